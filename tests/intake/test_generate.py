"""optimize generate --contracts N (optimizer/intake/generate.py): contracts added without changing the rest."""

from __future__ import annotations

from pathlib import Path

from inputcheck import read_and_validate

from optimizer.intake.generate import SIZES, generate_sheets, write_generated_workbook


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
