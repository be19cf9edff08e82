"""Mix and risk (model.md constraint 8 and risk_cost): country and supplier shares,
average risk cap and the risk weight.

S1 (Canada) sells ga at 10, a second supplier S2 at 12; demand 10 t in one period,
shortfall_penalty 100, so every test buys exactly 10 t.
"""

from __future__ import annotations

from modelcase import approx, demand, order_map, sheets, solve


def two_suppliers(country2="Brazil", risk1=0.0, risk2=0.0, price2=12):
    book = sheets(1, Demand=demand(10))
    book["Suppliers"][0]["risk_score"] = risk1
    book["Suppliers"].append({"supplier": "S2", "country": country2, "risk_score": risk2})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": price2})
    return book


def test_country_max_share_forces_half_from_the_dearer_country(tmp_path):
    book = two_suppliers()
    book["Countries"] = [{"country": "Canada", "max_share": 0.5}]
    plan = solve(tmp_path, book)
    # Canada <= 0.5 of the total: 5 t from S1 (50) and 5 t from S2 in Brazil (60) = 110.
    assert plan.objective == approx(110)
    assert order_map(plan) == {("S1", 1): approx(5), ("S2", 1): approx(5)}


def test_max_supplier_share(tmp_path):
    book = two_suppliers(country2="Canada")
    book["Minerals"][0]["max_supplier_share"] = 0.6
    plan = solve(tmp_path, book)
    # S1 <= 0.6 of the total: 6 t at 10 + 4 t at 12 = 108.
    assert plan.objective == approx(108)
    assert order_map(plan) == {("S1", 1): approx(6), ("S2", 1): approx(4)}


def test_max_avg_risk_is_quantity_weighted(tmp_path):
    book = two_suppliers(risk1=0.8, risk2=0.2)
    book["Minerals"][0]["max_avg_risk"] = 0.4
    plan = solve(tmp_path, book)
    # 0.8a + 0.2b <= 0.4(a + b) <=> b >= 2a; a + b = 10: a = 10/3 at 10, b = 20/3 at 12.
    # 100/3 + 80 = 113.333...
    assert plan.objective == approx(100 / 3 + 80)
    assert order_map(plan) == {("S1", 1): approx(10 / 3), ("S2", 1): approx(20 / 3)}
    assert plan.costs["risk_cost"] == approx(0)  # risk_weight 0


def test_risk_weight_adds_risk_score_times_purchase_cost(tmp_path):
    book = two_suppliers(risk1=0.4, risk2=0.0, price2=12.5)
    book["Settings"]["risk_weight"] = 0.5
    plan = solve(tmp_path, book)
    # S1 costs 10 x (1 + 0.5 x 0.4) = 12 per t < 12.5 at S2 (risk 0): 100 + risk 0.5 x 0.4 x 100 = 20.
    assert plan.objective == approx(120)
    assert plan.costs["risk_cost"] == approx(20)
    assert order_map(plan) == {("S1", 1): approx(10)}


def test_risk_weight_moves_purchases_to_the_safer_supplier(tmp_path):
    book = two_suppliers(risk1=0.4, risk2=0.0, price2=11.5)
    book["Settings"]["risk_weight"] = 0.5
    plan = solve(tmp_path, book)
    # S1 now costs 12 per t with risk, S2 11.5 with none: 115.
    assert plan.objective == approx(115)
    assert plan.costs["risk_cost"] == approx(0)
    assert order_map(plan) == {("S2", 1): approx(10)}
