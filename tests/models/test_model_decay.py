"""Decay (issue 14, point 3; models/decay.py): Minerals.loss_rate, the share of the stock lost each period.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, lead time 0, shortfall_penalty 100
(target_penalty 100 / (T + 1)), F1 with 1,000,000.
"""

from __future__ import annotations

from modelcase import approx, demand, order_map, sheets, solve, stock_of

from models.decay import needed_ahead
from models.ordering import order_upper_bounds
from optimizer.pipeline import load
from workbooks import write_workbook


def held_for_a_target(loss_rate):
    """Target 100 t at the end of period 3; S1 sells only in period 1; no demand, no holding cost."""
    book = sheets(3, Targets=[{"mineral": "ga", "period": 3, "min_stock": 100}])
    book["Offers"][0]["last_period"] = 1
    book["Minerals"][0]["loss_rate"] = loss_rate
    return book


def test_decay_raises_the_purchase_that_holds_a_target_by_the_computed_amount(tmp_path):
    """Without decay 100 t bought in period 1 holds the target: 1,000.

    With 5% a period the stock ends period 3 with 0.95^3 = 0.857375 of the purchase, so
    x = 100 / 0.857375 = 116.63508 t, 16.63508 t more, costing 1,166.35 (a unit of target costs
    10 / 0.857 = 11.66, below target_penalty 100 / 4 = 25, so the target is met).
    Stock 110.80, 105.26, 100; lost 5.83, 5.54, 5.26.
    """
    plain = solve(tmp_path, held_for_a_target(0))
    assert order_map(plain) == {("S1", 1): approx(100)}
    decayed = solve(tmp_path, held_for_a_target(0.05))
    bought = 100 / 0.95 ** 3
    assert order_map(decayed) == {("S1", 1): approx(bought)}
    assert bought - 100 == approx(16.63508)
    assert decayed.objective == approx(10 * bought)
    assert [stock_of(decayed, t) for t in (1, 2, 3)] == [approx(bought * 0.95 ** t) for t in (1, 2, 3)]
    assert [stock_of(decayed, t, column="lost") for t in (1, 2, 3)] == [
        approx(bought * 0.95 ** (t - 1) * 0.05) for t in (1, 2, 3)]
    assert [stock_of(plain, t, column="lost") for t in (1, 2, 3)] == [0, 0, 0]


def test_demand_is_served_before_the_period_decays_and_what_is_left_is_short(tmp_path):
    """initial_stock 40, loss_rate 10%, demand 40 in period 2, buying dearer than going short (price 1,000).

    Period 1: 0.9 x 40 = 36 (4 lost). Period 2: 36 - 40 < 0: 4 t unmet (penalty 400), stock 0, nothing lost.
    """
    book = sheets(2, Demand=demand(0, 40))
    book["Minerals"][0].update(initial_stock=40, loss_rate=0.1)
    book["Offers"][0]["unit_price"] = 1_000
    plan = solve(tmp_path, book)
    assert order_map(plan) == {}
    assert stock_of(plan, 1) == approx(36) and stock_of(plan, 1, column="lost") == approx(4)
    assert stock_of(plan, 2, column="unmet_demand") == approx(4)
    assert stock_of(plan, 2) == approx(0) and stock_of(plan, 2, column="lost") == approx(0)
    assert plan.objective == approx(400)


def test_a_whole_loss_keeps_nothing_past_the_period(tmp_path):
    """loss_rate 1: stock bought in period 1 is gone at its end, so demand of 10 in period 2 is bought in
    period 2 (100), never earlier; the order bound of a period-1 order covers only period 1's uses (0)."""
    book = sheets(2, Demand=demand(0, 10))
    book["Minerals"][0]["loss_rate"] = 1
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("S1", 2): approx(10)}
    data, _ = load(write_workbook(tmp_path / "whole.xlsx", book))
    assert ("S1", "ga", 1) not in order_upper_bounds(data) or order_upper_bounds(data)["S1", "ga", 1] == 0


def test_needed_ahead_grosses_uses_and_targets_up_for_decay(tmp_path):
    """kept 0.5, uses 4 in period 2 and 8 in period 3, target 6 at period 3, 3 periods:
    use_from[3] = 8, use_from[2] = 4 + 8 / 0.5 = 20, use_from[1] = 0 + 20 / 0.5 = 40;
    target_from[3] = 6 / 0.5 = 12, [2] = 24, [1] = 48."""
    book = sheets(3)
    book["Minerals"][0]["loss_rate"] = 0.5
    data, _ = load(write_workbook(tmp_path / "ahead.xlsx", book))
    use_from, target_from = needed_ahead(data, "ga", {2: 4, 3: 8}, {3: 6})
    assert use_from == {3: 8, 2: 20, 1: 40}
    assert target_from == {3: 12, 2: 24, 1: 48}
