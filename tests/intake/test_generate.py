"""optimize generate (optimizer/intake/generate.py): --contracts N, and the issue-14 options (N conversions and
K emergency scenarios), each added without changing the rest of the workbook."""

from __future__ import annotations

from pathlib import Path

from inputcheck import read_and_validate

from optimizer.intake.generate import SIZES, Size, generate_sheets, write_generated_workbook
from optimizer.pipeline import load


def test_contracts_are_added_and_the_other_sheets_stay_the_same():
    """Four contracts: a Contracts sheet of 4 rows (the first signed); every other sheet as with none."""
    plain = generate_sheets(SIZES["S"], seed=3)
    with_contracts = generate_sheets(SIZES["S"], seed=3, contracts=4)
    assert "Contracts" not in plain and len(with_contracts.pop("Contracts")) == 1 + 4
    assert with_contracts == plain


def test_a_generated_workbook_with_contracts_validates(tmp_path):
    data, problems = read_and_validate(write_generated_workbook(Path(tmp_path) / "s.xlsx", SIZES["S"], 0, 6))
    assert data is not None, [str(p) for p in problems]
    assert len(data.contracts) == 6
    assert [c.signed for c in data.contracts.values()].count(True) == 2  # contracts 1 and 5
    assert all(data.country(c.supplier) != "China" for c in data.contracts.values())



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
