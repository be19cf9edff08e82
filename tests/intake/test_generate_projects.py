"""``optimize generate --projects N``: N capacity projects on top of the same workbook."""

from __future__ import annotations

from dataclasses import replace

from inputcheck import errors, read_and_validate

from optimizer.intake.generate import SIZES, generate_sheets, write_generated_workbook


def test_projects_are_added_on_top_of_the_same_workbook():
    """Without projects the sheets are the ones generated before (no Projects sheet); with 3, the same rows
    plus 3 plants in Suppliers, their offers and 3 Projects rows."""
    plain = generate_sheets(SIZES["S"], seed=4)
    with_projects = generate_sheets(replace(SIZES["S"], projects=3), seed=4)
    assert "Projects" not in plain and len(with_projects["Projects"]) == 1 + 3
    for name, rows in plain.items():
        assert with_projects[name][: len(rows)] == rows
    assert [row[0] for row in with_projects["Suppliers"][len(plain["Suppliers"]):]] == ["plant_01", "plant_02",
                                                                                     "plant_03"]


def test_a_generated_workbook_with_projects_validates(tmp_path):
    """Every plant's offers give a max_per_period; the decisions fit the horizon (12 periods, build 2-4,
    first_period 1, last_period 6)."""
    path = write_generated_workbook(tmp_path / "S.xlsx", replace(SIZES["S"], projects=3), seed=0)
    data, problems = read_and_validate(path)
    assert errors(problems) == [] and sorted(data.projects) == ["project_01", "project_02", "project_03"]
    assert all(data.decision_periods(p) for p in data.projects.values())
