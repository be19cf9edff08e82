"""Inventory (model.md constraints 5-6): initial stock, holding, targets, unmet demand,
storage, scenarios with supply losses, and pipeline arrivals.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, shortfall_penalty 100,
holding_cost 0, ample funding.
"""

from __future__ import annotations

import pytest
from modelcase import approx, demand, order_map, sheets, solve, stock_of


def cut(probability, first, last, loss=1, country="Canada", name="cut"):
    return {"scenario": name, "probability": probability, "country": country,
            "first_period": first, "last_period": last, "supply_loss": loss}


def test_initial_stock_is_used_first(tmp_path):
    book = sheets(2, Demand=demand(3, 5))
    book["Minerals"][0].update(initial_stock=4, holding_cost=1)
    plan = solve(tmp_path, book)
    # Period 1 draws 3 of the 4 t in stock (1 t held: 1). Period 2 needs 5 - 1 = 4 t: 40.
    assert plan.objective == approx(41)
    assert order_map(plan) == {("S1", 2): approx(4)}
    assert stock_of(plan, 1) == approx(1) and stock_of(plan, 2) == approx(0)


def test_holding_cost_counts_the_stock_at_the_end_of_every_period(tmp_path):
    book = sheets(3, Demand=demand(0, 4))
    book["Minerals"][0].update(initial_stock=10, holding_cost=2)
    plan = solve(tmp_path, book)
    # Stock 10, 6, 6 at the end of periods 1-3: (10 + 6 + 6) x 2 = 44; nothing bought.
    assert plan.objective == approx(44)
    assert plan.costs["holding_cost"] == approx(44)
    assert plan.orders.empty


def test_target_met_when_missing_it_costs_more_than_buying(tmp_path):
    book = sheets(2, Targets=[{"mineral": "ga", "period": t, "min_stock": 5} for t in (1, 2)])
    book["Minerals"][0]["target_penalty"] = 8
    plan = solve(tmp_path, book)
    # Missing 5 t in both periods costs 5 x 8 x 2 = 80 > buying 5 t once: 50.
    assert plan.objective == approx(50)
    assert order_map(plan) == {("S1", 1): approx(5)}
    assert plan.costs["penalty_cost"] == approx(0)


def test_target_missed_when_buying_costs_more(tmp_path):
    book = sheets(2, Targets=[{"mineral": "ga", "period": 2, "min_stock": 5}])
    book["Minerals"][0]["target_penalty"] = 8
    plan = solve(tmp_path, book)
    # One period below target by 5 t: 5 x 8 = 40 < 50 to buy.
    assert plan.objective == approx(40)
    assert plan.costs["penalty_cost"] == approx(40)
    assert plan.orders.empty
    assert stock_of(plan, 2, column="shortfall") == approx(5)


def test_unmet_demand_when_buying_is_dearer_than_the_penalty(tmp_path):
    book = sheets(1, Demand=demand(5))
    book["Minerals"][0]["shortfall_penalty"] = 8
    plan = solve(tmp_path, book)
    # 5 t unmet x 8 = 40 < 5 x 10 = 50.
    assert plan.objective == approx(40)
    assert plan.orders.empty
    assert stock_of(plan, 1, column="unmet_demand") == approx(5)


def test_max_stock_limits_buying_ahead(tmp_path):
    book = sheets(2, Demand=demand(0, 10),
                  Prices=[{"supplier": "S1", "mineral": "ga", "period": 1, "unit_price": 8},
                          {"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 12}])
    book["Minerals"][0]["max_stock"] = 6
    plan = solve(tmp_path, book)
    # Period 1 is cheaper (8 < 12) but only 6 t fit: 6 x 8 + 4 x 12 = 96 (80 without the cap).
    assert plan.objective == approx(96)
    assert order_map(plan) == {("S1", 1): approx(6), ("S1", 2): approx(4)}
    assert stock_of(plan, 1) == approx(6)


@pytest.mark.parametrize("probability, holding, objective, orders", [
    # p = 0.3: buying in period 2 risks 0.3 x 100 x 10 = 300 of expected penalty (400 in all);
    # buying in period 1 costs 100 + 10 t held x 1 = 110; S2 (Brazil) at 12 costs 120.
    (0.3, 1, 110, {("S1", 1): 10}),
    # Holding 5: period 1 costs 100 + 50 = 150; S2 is now cheapest at 120.
    (0.3, 5, 120, {("S2", 2): 10}),
    # p = 0.01: 100 + 0.01 x 100 x 10 = 110 < 120 (S2) < 150 (early): risk it.
    (0.01, 5, 110, {("S1", 2): 10}),
])
def test_disruption_makes_buying_early_or_elsewhere_pay(tmp_path, probability, holding, objective, orders):
    book = sheets(2, Demand=demand(0, 10), Scenarios=[cut(probability, 2, 2)])
    book["Minerals"][0]["holding_cost"] = holding
    book["Suppliers"].append({"supplier": "S2", "country": "Brazil"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    plan = solve(tmp_path, book)
    assert plan.objective == approx(objective)
    assert order_map(plan) == {k: approx(v) for k, v in orders.items()}


def test_disruption_expected_penalty_is_probability_times_lost_quantity(tmp_path):
    book = sheets(2, Demand=demand(0, 10), Scenarios=[cut(0.005, 2, 2)])
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Only supplier S1. Buying 10 t in period 2 loses them in scenario cut: expected penalty
    # 0.005 x 100 x 10 = 5, total 105; buying in period 1 is safe but costs 100 + 10 held = 110.
    assert plan.objective == approx(105)
    assert plan.costs["penalty_cost"] == approx(5)
    assert order_map(plan) == {("S1", 2): approx(10)}
    assert stock_of(plan, 2, scenario="cut", column="unmet_demand") == approx(10)


def test_disruption_in_the_only_period_is_an_expected_penalty(tmp_path):
    plan = solve(tmp_path, sheets(1, Demand=demand(10), Scenarios=[cut(0.3, 1, 1)]))
    # Nothing can arrive in period 1 of scenario cut: 0.3 x 100 x 10 = 300 expected penalty
    # whatever is bought; buying 10 t (100) saves 0.7 x 100 x 10 = 700 in base.
    assert plan.objective == approx(400)
    assert plan.costs["penalty_cost"] == approx(300)
    assert stock_of(plan, 1, scenario="cut", column="unmet_demand") == approx(10)
    assert stock_of(plan, 1, scenario="base", column="unmet_demand") == approx(0)


def test_half_supply_loss_halves_arrivals(tmp_path):
    book = sheets(2, Demand=demand(0, 10), Scenarios=[cut(0.3, 2, 2, loss=0.5)])
    book["Minerals"][0]["holding_cost"] = 20
    plan = solve(tmp_path, book)
    # Buy q >= 10 in period 2: 10q + 0.7 x 20 x (q - 10) held in base + 0.3 x 100 x (10 - q/2)
    # unmet in cut = 9q + 160, least at q = 10: 250 (q <= 10 is worse: slope 10 - 70 - 15 < 0).
    # Moving e t to period 1 (safe, but held at 20): 30e + 10(10 - e) + 0.3 x 100 x (10 - e - (10 - e)/2)
    # = 250 + 5e, so none.
    assert plan.objective == approx(250)
    assert plan.costs["penalty_cost"] == approx(150)
    assert order_map(plan) == {("S1", 2): approx(10)}
    assert stock_of(plan, 2, scenario="cut", column="arrivals") == approx(5)
    assert stock_of(plan, 2, scenario="cut", column="unmet_demand") == approx(5)


def test_base_probability_and_pipeline_loss_weight_holding_cost(tmp_path):
    book = sheets(1, Pipeline=[{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 10}],
                  Scenarios=[cut(0.25, 1, 1, name="cut"), cut(0.15, 1, 1, loss=0.5, name="half")])
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Pipeline arrives free. base (p = 1 - 0.25 - 0.15 = 0.6) holds 10, cut holds 0, half
    # holds 5: expected holding 0.6 x 10 + 0.25 x 0 + 0.15 x 5 = 6.75.
    assert plan.objective == approx(6.75)
    assert plan.costs["purchase_cost"] == approx(0)
    assert plan.orders.empty
    assert stock_of(plan, 1, scenario="base") == approx(10)
    assert stock_of(plan, 1, scenario="cut") == approx(0)
    assert stock_of(plan, 1, scenario="half") == approx(5)


def test_pipeline_covers_demand_and_its_loss_is_penalised(tmp_path):
    book = sheets(1, Demand=demand(10),
                  Pipeline=[{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 10}],
                  Scenarios=[cut(0.2, 1, 1)])
    plan = solve(tmp_path, book)
    # base: the pipeline's 10 t meet demand at no cost. cut (p 0.2): pipeline and any order
    # from Canada are lost, so 0.2 x 100 x 10 = 200; buying more would not help.
    assert plan.objective == approx(200)
    assert plan.orders.empty
    assert stock_of(plan, 1, scenario="cut", column="unmet_demand") == approx(10)
