"""Ordering (model.md constraints 1-4): order sizes, fixed costs, lead times, windows,
onboarding, commitments, price updates and all-units discounts.

Every instance is small enough to solve by hand; the arithmetic is next to each
assertion. Unless a test says otherwise: mineral ga, supplier S1 (Canada) at 10 per t,
shortfall_penalty 100, holding_cost 0, ample funding (base_sheets).
"""

from __future__ import annotations

import pandas as pd
import pytest
from modelcase import approx, demand, order_map, sheets, solve, stock_of


def test_min_order_buys_the_minimum_and_holds_the_excess(tmp_path):
    book = sheets(2, Demand=demand(5))
    book["Offers"][0]["min_order"] = 8
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Buying 8 (the minimum) costs 8 x 10 = 80 and leaves 3 t in stock at the end of
    # periods 1 and 2: holding 3 x 1 x 2 = 6. Not buying costs 5 x 100 = 500.
    assert plan.objective == approx(80 + 6)
    assert plan.costs["purchase_cost"] == approx(80)
    assert plan.costs["holding_cost"] == approx(6)
    assert order_map(plan) == {("S1", 1): approx(8)}
    assert stock_of(plan, 1) == approx(3) and stock_of(plan, 2) == approx(3)


def test_max_per_period_spreads_an_order_over_periods(tmp_path):
    book = sheets(2, Demand=demand(0, 15))
    book["Offers"][0]["max_per_period"] = 10
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # 15 t needed in period 2, at most 10 a period: 5 bought early and held one period.
    # 15 x 10 + 5 x 1 = 155 (the alternative, 5 t unmet, costs 5 x 100 more).
    assert plan.objective == approx(155)
    assert order_map(plan) == {("S1", 1): approx(5), ("S1", 2): approx(10)}


def test_max_per_period_spreads_an_order_over_suppliers(tmp_path):
    book = sheets(1, Demand=demand(15))
    book["Offers"][0]["max_per_period"] = 10
    book["Suppliers"].append({"supplier": "S2", "country": "Canada"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    plan = solve(tmp_path, book)
    # 10 from S1 at 10, the other 5 from S2 at 12: 100 + 60 = 160.
    assert plan.objective == approx(160)
    assert order_map(plan) == {("S1", 1): approx(10), ("S2", 1): approx(5)}


@pytest.mark.parametrize("holding, objective, orders", [
    # order_cost 20, holding 1: one order of 15 in period 1 = 150 + 20 + holding (10 + 5) x 1
    # = 185; two orders 150 + 40 + 5 = 195; three orders 150 + 60 = 210.
    (1, 185, {("S1", 1): 15}),
    # holding 5: one order 150 + 20 + 15 x 5 = 245; two orders 150 + 40 + 5 x 5 = 215;
    # three orders of 5 = 150 + 3 x 20 = 210, the cheapest.
    (5, 210, {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}),
])
def test_order_cost_against_holding_cost(tmp_path, holding, objective, orders):
    book = sheets(3, Demand=demand(5, 5, 5))
    book["Offers"][0]["order_cost"] = 20
    book["Minerals"][0]["holding_cost"] = holding
    plan = solve(tmp_path, book)
    assert plan.objective == approx(objective)
    assert plan.costs["order_cost"] == approx(20 * len(orders))
    assert order_map(plan) == {k: approx(v) for k, v in orders.items()}


def test_lead_time_delays_arrival_and_period_1_demand_goes_unmet(tmp_path):
    book = sheets(2, Demand=demand(5, 5))
    book["Offers"][0]["lead_time"] = 1
    plan = solve(tmp_path, book)
    # Only period 1 is orderable (1 + 1 <= 2); its 5 t arrive in period 2. Period 1's
    # 5 t cannot arrive in time: 5 x 100 = 500. Total 50 + 500 = 550.
    assert plan.objective == approx(550)
    assert plan.costs["penalty_cost"] == approx(500)
    assert order_map(plan) == {("S1", 1): approx(5)}
    assert plan.orders["arrival_period"].tolist() == [2]
    assert stock_of(plan, 1, column="unmet_demand") == approx(5)
    assert stock_of(plan, 2, column="unmet_demand") == approx(0)


def test_offer_window_first_and_last_period(tmp_path):
    book = sheets(3, Demand=demand(5, 5, 5))
    book["Offers"][0].update(first_period=2, last_period=2)
    book["Suppliers"].append({"supplier": "S2", "country": "Canada"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Period 1: only S2 (12): 60. S1 sells only in period 2: 10 t there (5 for period 3,
    # held one period: 10 + 1 = 11 < 12): 100 + 5. Total 60 + 100 + 5 = 165.
    assert plan.objective == approx(165)
    assert order_map(plan) == {("S2", 1): approx(5), ("S1", 2): approx(10)}


def test_onboarding_cost_is_paid_once_and_favours_one_supplier(tmp_path):
    book = sheets(2, Demand=demand(15, 15))
    book["Offers"][0]["max_per_period"] = 10
    book["Suppliers"][0]["onboarding_cost"] = 50
    book["Suppliers"].append({"supplier": "S2", "country": "Canada", "onboarding_cost": 50})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Both suppliers: 2 x (10 x 10 + 5 x 12) + 50 + 50 = 420.
    # S2 alone: 30 x 12 + 50 = 410 (onboarding once for its two orders).
    # S1 alone: 20 x 10 + 50 + 10 t unmet x 100 = 1250.
    assert plan.objective == approx(410)
    assert plan.costs["onboarding_cost"] == approx(50)
    assert order_map(plan) == {("S2", 1): approx(15), ("S2", 2): approx(15)}


def test_commitment_is_ordered_paid_and_held_even_without_demand(tmp_path):
    book = sheets(2, Commitments=[{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 7}])
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # 7 x 10 = 70 bought, 7 t held at the end of periods 1 and 2: 14.
    assert plan.objective == approx(84)
    assert plan.costs["holding_cost"] == approx(14)
    assert order_map(plan) == {("S1", 1): approx(7)}
    assert plan.orders["committed"].tolist() == [True]
    assert stock_of(plan, 2) == approx(7)


def test_commitment_at_an_agreed_price_pays_it_without_prices_or_discounts(tmp_path):
    """S1 lists 10, a Prices row 8 in period 1 and 20% off from 5 t; the commitment of 6 t in period 1 was
    agreed at 12 (rows 4 t at 12.5 and 2 t at 11: 50 + 22 = 72) and pays order_cost 3: 75. Demand 6 in
    period 2 is served by it (6 t held once: 6); risk_weight 0.5 x risk 0.2 charges on its 72: 7.2."""
    rows = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": q, "unit_price": p}
            for q, p in ((4, 12.5), (2, 11))]
    book = sheets(2, Commitments=rows, Demand=demand(0, 6),
                  Prices=[{"supplier": "S1", "mineral": "ga", "period": 1, "unit_price": 8}],
                  Discounts=[{"supplier": "S1", "mineral": "ga", "min_quantity": 5, "discount": 0.2}])
    book["Settings"]["risk_weight"] = 0.5
    book["Suppliers"][0]["risk_score"] = 0.2
    book["Offers"][0]["order_cost"] = 3
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    assert plan.costs["purchase_cost"] == approx(72) and plan.costs["order_cost"] == approx(3)
    assert plan.costs["risk_cost"] == approx(7.2) and plan.objective == approx(72 + 3 + 6 + 7.2)
    order = plan.orders.iloc[0]
    assert (order["unit_price"], order["cost"], order["list_price"]) == (approx(12), approx(75), approx(8))
    assert pd.isna(order["discount"])  # an agreed price takes no discount


def test_price_override_moves_the_purchase_to_the_cheap_period(tmp_path):
    book = sheets(2, Demand=demand(0, 10),
                  Prices=[{"supplier": "S1", "mineral": "ga", "period": 1, "unit_price": 8}])
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Period 1 at 8 plus one period held at 1 = 9 per t < 10 in period 2: 80 + 10 = 90.
    assert plan.objective == approx(90)
    assert order_map(plan) == {("S1", 1): approx(10)}
    assert plan.orders["unit_price"].tolist() == [approx(8)]


def test_price_override_upwards_buys_before_the_rise(tmp_path):
    book = sheets(2, Demand=demand(0, 10),
                  Prices=[{"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 12}])
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Period 2 now costs 12; period 1 costs 10 + 1 holding = 11: 100 + 10 = 110.
    assert plan.objective == approx(110)
    assert order_map(plan) == {("S1", 1): approx(10)}


def discounts(*tiers):
    return [{"supplier": "S1", "mineral": "ga", "min_quantity": q, "discount": d} for q, d in tiers]


def test_discount_buying_up_to_the_tier_is_cheaper(tmp_path):
    plan = solve(tmp_path, sheets(1, Demand=demand(90), Discounts=discounts((100, 0.2))))
    # 90 t at 10 = 900; 100 t at 10 x 0.8 = 800 (10 t left in stock, no holding cost).
    assert plan.objective == approx(800)
    assert plan.costs["purchase_cost"] == approx(800)
    assert order_map(plan) == {("S1", 1): approx(100)}
    assert plan.orders["unit_price"].tolist() == [approx(8)]


def test_discount_not_worth_reaching_when_holding_costs(tmp_path):
    book = sheets(1, Demand=demand(90), Discounts=discounts((100, 0.2)))
    book["Minerals"][0]["holding_cost"] = 15
    plan = solve(tmp_path, book)
    # 100 t: 800 + 10 t x 15 held = 950 > 90 t at full price 900.
    assert plan.objective == approx(900)
    assert order_map(plan) == {("S1", 1): approx(90)}


@pytest.mark.parametrize("need, objective, bought, unit_price", [
    # Tiers 40: 10%, 80: 5%, 120: 30%. 90 t reach 40 and 80: the larger, 10%, applies:
    # 90 x 9 = 810; rounding up to 120 t would cost 120 x 7 = 840.
    (90, 810, 90, 9),
    # 100 t at 9 = 900 > 120 t at 7 = 840: buy 120.
    (100, 840, 120, 7),
    # 60 t reach only the 40 tier: 60 x 9 = 540 (< 120 x 7).
    (60, 540, 60, 9),
    # 30 t reach no tier: 300.
    (30, 300, 30, 10),
])
def test_discount_largest_reached_tier_applies_non_monotone(tmp_path, need, objective, bought, unit_price):
    tiers = discounts((40, 0.1), (80, 0.05), (120, 0.3))
    plan = solve(tmp_path, sheets(1, Demand=demand(need), Discounts=tiers))
    assert plan.objective == approx(objective)
    assert order_map(plan) == {("S1", 1): approx(bought)}
    assert plan.orders["unit_price"].tolist() == [approx(unit_price)]
