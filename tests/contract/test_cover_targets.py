"""Targets in periods of cover (optimizer/contract/cover.py): the conversion, its validation, its report.

Demand of ga is 1, 2, 3, 4 t in periods 1..4 (average 2.5 t a period), so
cover_periods c at the end of period t asks for the demand of periods t+1..t+c,
counting 2.5 t for each period beyond the horizon.
"""

from __future__ import annotations

import openpyxl
import pytest

from modelcase import demand, run_case, sheets
from workbooks import write_workbook

from optimizer.contract.cover import achieved_cover, cover_stock
from optimizer.pipeline import load
from optimizer.contract.problems import InputRefused

DEMAND = {("ga", 1): 1.0, ("ga", 2): 2.0, ("ga", 3): 3.0, ("ga", 4): 4.0}


@pytest.mark.parametrize("period, cover, stock", [
    (1, 2, 2 + 3),          # the next two periods
    (1, 1.5, 2 + 0.5 * 3),  # half of the second
    (3, 2, 4 + 2.5),        # period 5 lies beyond the horizon: the average
    (4, 0.4, 0.4 * 2.5),
    (2, 0, 0.0),
])
def test_cover_stock_by_hand(period, cover, stock):
    assert cover_stock(DEMAND, "ga", period, cover, 4) == pytest.approx(stock)


def test_achieved_cover_is_the_inverse():
    assert achieved_cover(DEMAND, "ga", 1, 3.5, 4) == pytest.approx(1.5)
    assert achieved_cover(DEMAND, "ga", 3, 9.0, 4) == pytest.approx(1 + 5 / 2.5)
    assert achieved_cover({}, "ga", 1, 5.0, 4) is None  # no demand ahead: cover is unbounded


def _book(**targets):
    return sheets(4, Demand=demand(1, 2, 3, 4), Targets=[{"mineral": "ga", "period": 2, **targets}])


def test_cover_periods_become_a_target_and_the_larger_of_both_wins(tmp_path):
    data, warnings = load(write_workbook(tmp_path / "cover.xlsx", _book(cover_periods=1.5)))
    assert data.targets[("ga", 2)] == pytest.approx(3 + 0.5 * 4)
    assert data.target_cover[("ga", 2)] == 1.5 and not warnings
    both, _ = load(write_workbook(tmp_path / "both.xlsx", _book(cover_periods=1, min_stock=6)))
    assert both.targets[("ga", 2)] == 6  # min_stock 6 > one period of cover (3)
    lower, _ = load(write_workbook(tmp_path / "lower.xlsx", _book(cover_periods=2, min_stock=6)))
    assert lower.targets[("ga", 2)] == 7  # cover 3 + 4 > 6


def test_a_target_row_needs_min_stock_or_cover_periods(tmp_path):
    book = _book(cover_periods=None, min_stock=None)
    book["Targets"][0]["cover_periods"] = None
    with pytest.raises(InputRefused) as refused:
        load(write_workbook(tmp_path / "none.xlsx", book))
    assert any("expected min_stock or cover_periods" in str(p) and "row 2" in str(p)
               for p in refused.value.problems)


def test_cover_of_a_mineral_without_demand_warns(tmp_path):
    book = sheets(2, Targets=[{"mineral": "ga", "period": 1, "cover_periods": 2}])
    data, warnings = load(write_workbook(tmp_path / "nodemand.xlsx", book))
    assert data.targets[("ga", 1)] == 0
    assert any("no demand" in str(w) for w in warnings)


def test_the_plan_meets_a_cover_target_and_reports_its_cover(tmp_path):
    """Cover of 1.5 periods at the end of period 2: 5 t; the plan holds it and the Cover sheet says 1.5.
    (A small holding cost makes holding exactly the target the one optimum: with free holding, buying
    for period 3 early costs the same.)"""
    book = _book(cover_periods=1.5)
    book["Minerals"][0]["holding_cost"] = 0.01
    result = run_case(tmp_path, book)
    stock = result.plan.stock
    row = stock[(stock["scenario"] == "base") & (stock["period"] == 2)].iloc[0]
    assert row["target"] == pytest.approx(5) and row["stock"] == pytest.approx(5)
    cover = openpyxl.load_workbook(result.output)["Cover"]
    rows = [r for r in cover.iter_rows(min_row=2, values_only=True) if r[2] == 2]
    assert rows[0][4] == pytest.approx(1.5) and rows[0][6] == pytest.approx(1.5)
