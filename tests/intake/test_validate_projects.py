"""Validation of the Projects sheet: each problem names its cell and says what was expected.

The workbook is modelcase.build_or_buy (4 periods; project P, supplier Plant, whose one offer of ga
gives max_per_period 10); each test breaks one thing. Row 2 is the first data row of every sheet.
"""

from __future__ import annotations

from pathlib import Path

from inputcheck import only, read_and_validate
from modelcase import build_or_buy
from workbooks import write_workbook

from optimizer.contract.problems import WARNING


def check(tmp_path: Path, sheets: dict):
    return read_and_validate(write_workbook(tmp_path / "plan.xlsx", sheets))


def where(problem) -> tuple:
    """(file name, sheet, row, column, value) of a problem."""
    return Path(problem.file).name, problem.sheet, problem.row, problem.column, problem.value


def test_a_valid_project_becomes_typed_data(tmp_path):
    """Blank decided: no; the plant's offers can be ordered from period 1 + 2 = 3 on."""
    data, problems = check(tmp_path, build_or_buy(3_000))
    project = data.projects["P"]
    assert (project.supplier, project.capex, project.build_periods, project.decided, project.life_periods) == (
        "Plant", 3_000, 2, False, 4)
    assert list(data.decision_periods(project)) == [1]
    assert data.order_periods(data.offers["Plant", "ga"]) == [3, 4]
    assert data.capex_share(project, 1) == 0.5  # output periods 3, 4 of life 4


def test_an_unknown_supplier(tmp_path):
    book = build_or_buy(3_000, supplier="Plnt")
    _, problems = check(tmp_path, book)
    problem = only(problems, "Suppliers")
    assert where(problem) == ("plan.xlsx", "Projects", 2, "supplier", "Plnt")
    assert "expected a supplier listed in the sheet 'Suppliers'" in str(problem)


def test_an_offer_of_the_plant_without_max_per_period_is_named_at_its_cell(tmp_path):
    """The plant's offer is row 3 of Offers (after S1's)."""
    book = build_or_buy(3_000)
    del book["Offers"][1]["max_per_period"]
    book["Offers"][0]["max_per_period"] = None  # keeps the column in the sheet
    data, problems = check(tmp_path, book)
    problem = only(problems, "the output of project 'P'")
    assert data is None
    assert where(problem) == ("plan.xlsx", "Offers", 3, "max_per_period", None)
    assert "needs its capacity; expected a number >= 0" in str(problem)


def test_a_supplier_without_offers(tmp_path):
    book = build_or_buy(3_000)
    book["Suppliers"].append({"supplier": "Empty", "country": "Chile"})
    book["Projects"][0]["supplier"] = "Empty"
    _, problems = check(tmp_path, book)
    assert where(only(problems, "has no offer")) == ("plan.xlsx", "Projects", 2, "supplier", "Empty")


def test_first_period_after_last_period(tmp_path):
    _, problems = check(tmp_path, build_or_buy(3_000, first_period=3, last_period=2))
    problem = only(problems, "before first_period")
    assert where(problem) == ("plan.xlsx", "Projects", 2, "last_period", 2)
    assert "expected first_period <= last_period" in str(problem)


def test_a_decided_project_with_first_period_outside_the_horizon(tmp_path):
    """first_period 5 of a 4-period horizon: the cell is refused as any period beyond the horizon."""
    _, problems = check(tmp_path, build_or_buy(3_000, decided="yes", first_period=5, last_period=None))
    problem = only(problems, "the horizon has 4 periods")
    assert where(problem)[:4] == ("plan.xlsx", "Projects", 2, "first_period")


def test_a_decided_project_paid_beyond_the_horizon(tmp_path):
    """Decided in period 4 with build_periods 2: paid in periods 4 and 5 of a 4-period horizon."""
    _, problems = check(tmp_path, build_or_buy(3_000, decided="yes", first_period=4, last_period=4))
    problem = only(problems, "beyond the horizon")
    assert where(problem) == ("plan.xlsx", "Projects", 2, "build_periods", 2)
    assert "paid in periods 4..5" in str(problem)


def test_two_projects_of_one_supplier(tmp_path):
    book = build_or_buy(3_000)
    book["Projects"].append({**book["Projects"][0], "project": "P2"})
    _, problems = check(tmp_path, book)
    problem = only(problems, "given twice")
    assert where(problem) == ("plan.xlsx", "Projects", 3, "supplier", "Plant")


def test_a_commitment_of_the_output_before_the_plant_can_be_built(tmp_path):
    """Built by period 3 at the earliest: a commitment in period 2 is refused at its period cell."""
    book = build_or_buy(3_000)
    book["Commitments"] = [{"supplier": "Plant", "mineral": "ga", "period": 2, "quantity": 5}]
    _, problems = check(tmp_path, book)
    problem = only(problems, "cannot be built before period 3")
    assert where(problem) == ("plan.xlsx", "Commitments", 2, "period", 2)


def test_a_project_that_can_never_be_decided_is_a_warning(tmp_path):
    """first_period 4, build_periods 2: the capex would be paid in period 5, after the horizon."""
    data, problems = check(tmp_path, build_or_buy(3_000, first_period=4, last_period=4))
    assert data is not None and not data.decision_periods(data.projects["P"])
    assert data.order_periods(data.offers["Plant", "ga"]) == []
    problem = only(problems, "can never be decided", WARNING)
    assert where(problem) == ("plan.xlsx", "Projects", 2, "first_period", 4)


def test_capex_must_be_positive(tmp_path):
    _, problems = check(tmp_path, build_or_buy(0))
    assert where(only(problems, "expected a number > 0")) == ("plan.xlsx", "Projects", 2, "capex", 0)
