"""Participants who pay (issue 14, point 5; models/participants.py): Demand.unit_price is what a participant
pays per unit released; release_revenue, minus its expected value over the scenarios, is a cost term.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, lead time 0, F1 with 1,000,000.
"""

from __future__ import annotations

import openpyxl
import pytest
from modelcase import approx, order_map, run_case, sheets, solve

from optimizer.analysis.metrics import drawn_and_repaid
from optimizer.contract.problems import WARNING
from inputcheck import errors, only, read_and_validate
from workbooks import write_workbook

BAN = {"scenario": "ban", "probability": 0.5, "country": "Canada", "first_period": 1, "last_period": 1,
       "supply_loss": 1}


def paying(unit_price, penalty=100, **demand):
    """Demand 10 t of ga in period 1 that a participant pays ``unit_price`` a unit for, repaying F1."""
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": 10, "unit_price": unit_price,
                              "source": "F1", **demand}])
    book["Minerals"][0]["shortfall_penalty"] = penalty
    return book


def test_release_revenue(tmp_path):
    """10 t bought at 10 (100) and released at 30 a unit (300): objective -200; the terms add up."""
    plan = solve(tmp_path, paying(30))
    assert plan.costs["release_revenue"] == approx(-300)
    assert plan.objective == approx(-200) and sum(plan.costs.values()) == approx(-200)


def test_a_payment_makes_serving_worth_more_than_the_penalty_alone(tmp_path):
    """shortfall_penalty 5 is below the price of 10: without a payment nothing is bought (50 of penalty).
    A payment of 8 makes a unit served worth 5 + 8 = 13 > 10: 10 t bought, 100 - 80 = 20."""
    assert solve(tmp_path, paying(None, penalty=5)).objective == approx(50)
    plan = solve(tmp_path, paying(8, penalty=5))
    assert order_map(plan) == {("S1", 1): approx(10)}
    assert plan.objective == approx(20)


def test_the_revenue_is_an_expected_value_over_the_scenarios(tmp_path):
    """A ban of Canada in period 1 with probability 0.5 loses the 10 t bought: half the time the demand is
    served. Payment 20, penalty 5: buying costs 100 + 0.5 x 10 x 5 - 0.5 x 10 x 20 = 25, not buying 50.
    The Dashboard's table: F1 draws 100 in period 1 and expects 0.5 x 10 x 20 = 100 back."""
    book = paying(20, penalty=5)
    book["Scenarios"] = [BAN]
    result = run_case(tmp_path, book)
    plan = result.plan
    assert plan.objective == approx(25)
    assert plan.costs["release_revenue"] == approx(-100)
    table = drawn_and_repaid(plan, result.data)
    assert table.values.tolist() == [["F1", 1, approx(100), approx(100)]]
    cells = {row[0].value: [c.value for c in row[1:]]
             for row in openpyxl.load_workbook(result.output)["Dashboard"].iter_rows() if row[0].value}
    assert "Money drawn and expected repayment by participants" in cells
    assert cells["F1"][1:3] == [approx(100), approx(100)]


def test_rows_of_one_period_share_a_shortfall_in_proportion(tmp_path):
    """Two rows in period 1: 6 t at 20 (F1) and 4 t unpriced; capacity 5 t, penalty 100. Price per unit
    served = 6 x 20 / 10 = 12; 5 t served: revenue 60, purchase 50, penalty 500: 490."""
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": 6, "unit_price": 20, "source": "F1"},
                             {"mineral": "ga", "period": 1, "quantity": 4}])
    book["Offers"][0]["max_per_period"] = 5
    plan = solve(tmp_path, book)
    assert plan.costs["release_revenue"] == approx(-60)
    assert plan.objective == approx(490)


def test_a_source_must_be_in_funding_and_wants_a_price(tmp_path):
    book = paying(None)
    _, problems = read_and_validate(write_workbook(tmp_path / "no_price.xlsx", book))
    assert only(problems, "names a source but no unit_price", WARNING).column == "source"
    book = paying(5, source="F9")
    _, problems = read_and_validate(write_workbook(tmp_path / "unknown.xlsx", book))
    (error,) = errors(problems)
    assert "expected a source listed in the sheet 'Funding'" in str(error) and error.row == 2


@pytest.mark.parametrize("unit_price", [None, 0])
def test_no_price_registers_no_term(tmp_path, unit_price):
    """Unpriced demand (or a price of 0) earns nothing: 10 t at 10 = 100."""
    plan = solve(tmp_path, paying(unit_price))
    assert plan.costs["release_revenue"] == 0 and plan.objective == approx(100)


def test_the_checker_recomputes_release_revenue(tmp_path):
    """The written plan passes (run_case checks it); a Summary claiming 1 more of participants' revenue
    (release_revenue 1 lower, the objective still adding up) is refused with the recomputed -300."""
    from optimizer.checker import check_result_workbook

    result = run_case(tmp_path, paying(30))
    workbook = openpyxl.load_workbook(result.output)
    for row in workbook["Summary"].iter_rows(min_row=2):
        if row[0].value in ("release_revenue", "objective"):
            row[1].value -= 1
    workbook.save(result.output)
    assert check_result_workbook(result.output, result.data) == ["Summary: release_revenue -301 != recomputed -300"]
