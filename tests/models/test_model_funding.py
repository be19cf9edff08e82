"""Funding (model.md constraint 7): amounts, budgets, source windows, excluded countries,
mineral lists, financing cost, and several sources paying one order.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, shortfall_penalty 100.
"""

from __future__ import annotations

from modelcase import approx, demand, funded, order_map, sheets, solve


def test_amount_limit_binds(tmp_path):
    book = sheets(1, Demand=demand(10))
    book["Funding"][0]["amount"] = 50
    plan = solve(tmp_path, book)
    # 50 buys 5 t; the other 5 t go unmet: 50 + 5 x 100 = 550.
    assert plan.objective == approx(550)
    assert order_map(plan) == {("S1", 1): approx(5)}
    assert funded(plan, "F1") == approx(50)


def test_period_budget_moves_spending_to_another_period(tmp_path):
    book = sheets(2, Demand=demand(0, 10), Budgets=[{"source": "F1", "period": 2, "amount": 40}])
    book["Minerals"][0]["holding_cost"] = 1
    plan = solve(tmp_path, book)
    # Period 2 can pay 4 t; the other 6 t are bought in period 1 and held: 100 + 6 = 106.
    assert plan.objective == approx(106)
    assert order_map(plan) == {("S1", 1): approx(6), ("S1", 2): approx(4)}


def test_source_periods(tmp_path):
    book = sheets(2, Demand=demand(10, 10))
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "first_period": 2},
                       {"source": "F2", "amount": 30, "last_period": 1}]
    plan = solve(tmp_path, book)
    # Period 1 can be paid only by F2 (30: 3 t), so 7 t go unmet (700); period 2 by F1: 100.
    # 30 + 700 + 100 = 830.
    assert plan.objective == approx(830)
    assert order_map(plan) == {("S1", 1): approx(3), ("S1", 2): approx(10)}
    assert funded(plan, "F2") == approx(30) and funded(plan, "F1") == approx(100)


def _china_offer(book):
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 8})
    book["Funding"][0]["excluded_countries"] = "China, Russia"


def test_excluded_country_offer_unused_without_another_source(tmp_path):
    book = sheets(1, Demand=demand(10))
    _china_offer(book)
    plan = solve(tmp_path, book)
    # F1 may not pay China, so the cheaper China offer (8) is unused: 10 x 10 = 100.
    assert plan.objective == approx(100)
    assert order_map(plan) == {("S1", 1): approx(10)}


def test_excluded_country_offer_used_with_a_source_that_may_pay(tmp_path):
    book = sheets(1, Demand=demand(10))
    _china_offer(book)
    book["Funding"].append({"source": "F2", "amount": 1_000_000})
    plan = solve(tmp_path, book)
    # F2 may pay China: 10 x 8 = 80, all paid by F2.
    assert plan.objective == approx(80)
    assert order_map(plan) == {("S2", 1): approx(10)}
    assert funded(plan, "F2") == approx(80) and funded(plan, "F1") == approx(0)


def test_source_minerals_list(tmp_path):
    book = sheets(1, Demand=demand(5) + demand(5, mineral="ge"))
    book["Minerals"].append({"mineral": "ge", "shortfall_penalty": 100})
    book["Offers"].append({"supplier": "S1", "mineral": "ge", "unit_price": 10})
    book["Funding"][0]["minerals"] = "ga"
    plan = solve(tmp_path, book)
    # F1 pays only ga: 5 x 10 = 50; ge cannot be bought: 5 x 100 = 500.
    assert plan.objective == approx(550)
    assert order_map(plan) == {("S1", 1): approx(5)}
    assert order_map(plan, mineral="ge") == {}


def test_cost_rate_prefers_the_cheaper_source_and_two_sources_split_an_order(tmp_path):
    book = sheets(1, Demand=demand(10))
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "cost_rate": 0.1},
                       {"source": "F2", "amount": 60, "cost_rate": 0.05}]
    plan = solve(tmp_path, book)
    # The order costs 100: F2 (5%) pays all it has, 60 -> 3; F1 (10%) the other 40 -> 4.
    # 100 + 3 + 4 = 107.
    assert plan.objective == approx(107)
    assert plan.costs["financing_cost"] == approx(7)
    assert funded(plan, "F2") == approx(60) and funded(plan, "F1") == approx(40)
    assert len(plan.funding) == 2 and set(plan.funding["period"]) == {1}


def test_financing_cost_can_make_a_dearer_offer_cheaper(tmp_path):
    book = sheets(1, Demand=demand(10))
    book["Suppliers"].append({"supplier": "S2", "country": "Peru"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 10.5})
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "cost_rate": 0.1, "excluded_countries": "Peru"},
                       {"source": "F2", "amount": 1_000_000, "excluded_countries": "Canada"}]
    plan = solve(tmp_path, book)
    # S1 via F1: 10 x 1.1 = 11 per t; S2 via F2 (no cost): 10.5 per t -> 105.
    assert plan.objective == approx(105)
    assert order_map(plan) == {("S2", 1): approx(10)}
