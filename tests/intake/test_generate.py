"""The generator's issue-14 options: N conversions and K emergency scenarios, on top of an unchanged workbook."""

from __future__ import annotations

from optimizer.intake.generate import Size, generate_sheets, write_generated_workbook
from optimizer.pipeline import load


def test_conversions_and_emergencies_are_added_and_the_rest_is_unchanged(tmp_path):
    plain = generate_sheets(Size(6, 4, 8, 2), seed=3)
    more = generate_sheets(Size(6, 4, 8, 2, conversions=3, emergencies=2), seed=3)
    assert {name: rows for name, rows in more.items() if name not in ("Conversions", "ScenarioDemand", "Scenarios")} \
        == {name: rows for name, rows in plain.items() if name != "Scenarios"}
    assert more["Scenarios"][: len(plain["Scenarios"])] == plain["Scenarios"]
    data, warnings = load(write_generated_workbook(tmp_path / "more.xlsx", Size(6, 4, 8, 2, conversions=3,
                                                                                 emergencies=2), seed=3))
    assert len(data.conversions) == 3 and {k for k, _, _ in data.scenario_demand} == {"emergency_1", "emergency_2"}
    assert not [w for w in warnings if "Conversions" in str(w) or "ScenarioDemand" in str(w)]
