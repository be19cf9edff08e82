"""The checker on a plan with a project: the written Projects and Capex sheets are judged without the model.

The plan is modelcase.build_or_buy at capex 3,000: project P (supplier Plant)
decided in period 1, capex paid 1,500 in each of periods 1 and 2 by F1, capex_cost 1,500, 10 t from
the plant in each of periods 3 and 4. Each test changes one cell of the written plan.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from modelcase import build_or_buy, run_case

from optimizer.checker import check_result_workbook


@pytest.fixture()
def plan(tmp_path):
    result = run_case(tmp_path, build_or_buy(3_000))  # run_case has checked the plan: no problem
    return result.output, result.data


def _edit(path: Path, sheet: str, find: dict, column: str, value) -> None:
    """Set ``column`` of the first row of ``sheet`` whose cells match ``find``."""
    book = openpyxl.load_workbook(path)
    rows = book[sheet].iter_rows()
    header = [c.value for c in next(rows)]
    for row in rows:
        cells = dict(zip(header, row))
        if all(cells[k].value == v for k, v in find.items()):
            cells[column].value = value
            book.save(path)
            return
    raise AssertionError(f"no row {find} in {sheet}")


def test_a_tampered_capex_payment_is_caught(plan):
    """1,500 due in period 1 (3,000 / 2 build periods); 1,400 written: the payment and the source's total
    no longer match."""
    path, data = plan
    _edit(path, "Capex", {"period": 1}, "amount", 1_400)
    problems = check_result_workbook(path, data)
    assert any("capex paid in period 1 is 1400, due capex / build_periods = 1500" in p for p in problems)


def test_a_tampered_capex_cost_is_caught(plan):
    """capex_cost = 3,000 x min(1, 2 output periods / life_periods 4) = 1,500; 1,000 written."""
    path, data = plan
    _edit(path, "Summary", {"key": "capex_cost"}, "value", 1_000)
    problems = check_result_workbook(path, data)
    assert any("capex_cost 1000 != recomputed 1500" in p for p in problems)


def test_a_decision_moved_before_the_output_is_caught(plan):
    """Decision period written as 2: payments are then due in periods 2 and 3, not 1 and 2, and the order of
    the plant's output in period 3 falls before completion (2 + 2 = 4); period 2 is not even a decision period
    (last_period 1)."""
    path, data = plan
    _edit(path, "Projects", {"project": "P"}, "decision_period", 2)
    problems = check_result_workbook(path, data)
    assert any("decision period 2 is not among its decision periods 1..1" in p for p in problems)
    assert any("ordered before it is built (from period 4)" in p for p in problems)
    assert any("capex paid in period 3 is 0, due" in p for p in problems)


def test_an_unfunded_project_with_orders_of_its_output_is_caught(plan):
    """The decision erased: the plant's orders in periods 3 and 4 are of a plant never funded."""
    path, data = plan
    _edit(path, "Projects", {"project": "P"}, "decision_period", None)
    problems = check_result_workbook(path, data)
    assert sum("never funded" in p for p in problems) == 2


def test_capex_paid_by_a_source_that_may_not_pay_it_is_caught(plan):
    """F1 excludes the United States in the data the plan is judged against: its capex payments are refused."""
    path, data = plan
    f1 = replace(data.funding["F1"], excluded_countries=frozenset({"United States"}))
    problems = check_result_workbook(path, replace(data, funding={"F1": f1}))
    assert any("Capex row" in p and "source may not pay this project" in p for p in problems)


def test_capex_counts_against_the_source_amount(plan):
    """F1's amount cut to 3,000: capex 3,000 + the plant's orders 400 = 3,400 paid, above it."""
    path, data = plan
    f1 = replace(data.funding["F1"], amount=3_000)
    problems = check_result_workbook(path, replace(data, funding={"F1": f1}))
    assert any("source F1: pays 3400 in total, above its amount 3000" in p for p in problems)
