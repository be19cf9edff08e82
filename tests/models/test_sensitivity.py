"""Sensitivities (models/sensitivity.py): the duals of the plan's LP against finite differences.

Each instance is solved through the pipeline (its plan checked independently);
the marginal the analysis stage read from the LP with the binaries fixed must
match the slope of the optimal objective when the limit is raised a little and
the whole model (binaries free) is solved again. Defaults as in base_sheets:
ga from S1 (Canada) at 10 per t, shortfall_penalty 100, F1 with 1,000,000.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from modelcase import demand, run_case, sheets

import pyomo.environ as pyo

from models import build_model
from models.sensitivity import sensitivity_model
from optimizer.analysis import explain
from optimizer.contract.results import OPTIMAL
from optimizer.solving.highs import solve_model

STEP = 0.5  # small enough that the same limits bind


def objective(data) -> float:
    """The optimal objective of ``data`` in currency (the model counts money in money_unit)."""
    model = build_model(data)
    result = solve_model(model, 0.0, 60.0)
    assert result.status == OPTIMAL, result.message
    return result.objective * model.facts.money_unit


def marginal(result, kind: str, key: tuple) -> float:
    found = [m for m in result.plan.analysis.marginals if m.kind == kind and m.key == key]
    assert len(found) == 1, (kind, key, result.plan.analysis.marginals)
    return found[0].value


def slope(data, changed) -> float:
    """(objective with the limit raised by STEP - objective) / STEP."""
    return (objective(changed) - objective(data)) / STEP


def with_source(data, **changes):
    return replace(data, funding={**data.funding, "F1": replace(data.funding["F1"], **changes)})


def test_the_plans_lp_costs_what_the_plan_costs(tmp_path):
    """Fixing the binaries loses nothing: the LP's optimum is the plan's objective."""
    book = sheets(3, Demand=demand(10, 0, 10))
    book["Offers"][0].update(order_cost=30, min_order=2, max_per_period=15)
    book["Minerals"][0]["holding_cost"] = 1
    result = run_case(tmp_path, book)
    model = sensitivity_model(build_model(result.data), result.data, result.plan.orders)
    lp = solve_model(model, 0.0, 60.0)
    assert not any(v.is_integer() for v in model.component_data_objects(pyo.Var))  # an LP, with duals
    assert lp.objective * model.facts.money_unit == pytest.approx(result.plan.objective, rel=1e-9)


def test_amount_dual_matches_a_bigger_amount(tmp_path):
    """150 buys 15 of the 20 t wanted; each extra unit of money buys 0.1 t that saves 100 - 10 = 9 net."""
    book = sheets(2, Demand=demand(10, 10))
    book["Funding"][0]["amount"] = 150
    result = run_case(tmp_path, book)
    dual = marginal(result, "amount", ("F1",))
    assert dual == pytest.approx(-9.0)
    assert slope(result.data, with_source(result.data, amount=150 + STEP)) == pytest.approx(dual, rel=1e-6)


def test_budget_dual_matches_a_bigger_budget(tmp_path):
    """Period 1 may spend 50 (5 t of 10); one more unit of money there buys 0.1 t: 9 saved net of price."""
    book = sheets(2, Demand=demand(10, 10), Budgets=[{"source": "F1", "period": 1, "amount": 50}])
    result = run_case(tmp_path, book)
    dual = marginal(result, "budget", ("F1", 1))
    assert dual == pytest.approx(-9.0)
    raised = with_source(result.data, budgets={1: 50 + STEP})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)
    assert marginal(result, "amount", ("F1",)) == pytest.approx(0.0)  # the amount is far from binding


def test_capacity_dual_matches_more_capacity(tmp_path):
    """6 t a period can be bought of 10 wanted: one more t of capacity saves the penalty less the price, 90."""
    book = sheets(1, Demand=demand(10))
    book["Offers"][0]["max_per_period"] = 6
    result = run_case(tmp_path, book)
    dual = marginal(result, "capacity", ("S1", "ga", 1))
    assert dual == pytest.approx(-90.0)
    offer = result.data.offers["S1", "ga"]
    raised = replace(result.data, offers={("S1", "ga"): replace(offer, max_per_period=6 + STEP)})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)


def test_market_cap_dual_matches_a_bigger_world_supply(tmp_path):
    """Cap 0.25 x 20 = 5 t of 10 wanted: one more t of market saves the penalty less the price, 90;
    world_supply + STEP / 0.25 raises the cap by STEP."""
    book = sheets(1, Demand=demand(10))
    book["Minerals"][0].update(world_supply=20, max_market_share=0.25)
    result = run_case(tmp_path, book)
    dual = marginal(result, "market", ("ga", 1))
    assert dual == pytest.approx(-90.0)
    mineral = result.data.minerals["ga"]
    raised = replace(result.data, minerals={"ga": replace(mineral, world_supply=20 + STEP / 0.25)})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)
    sheet = explain.sensitivity_frame(result.plan.analysis.marginals, result.data)
    row = sheet[sheet["limit"] == "market cap"].iloc[0]
    assert "market" in row["finding"] and "90" in row["finding"], row["finding"]


def test_capacity_dual_is_per_currency_unit_when_money_is_scaled(tmp_path):
    """Prices of 1e6 and an amount of 5e9 make money_unit 10 (the 6 t an order can hold cost 6e6 at most):
    the dual is still currency per t (9e6)."""
    book = sheets(1, Demand=demand(10))
    book["Offers"][0].update(unit_price=1_000_000, max_per_period=6)
    book["Minerals"][0]["shortfall_penalty"] = 10_000_000
    book["Funding"][0]["amount"] = 5_000_000_000
    result = run_case(tmp_path, book)
    assert build_model(result.data).facts.money_unit == 10
    dual = marginal(result, "capacity", ("S1", "ga", 1))
    assert dual == pytest.approx(-9_000_000.0)
    offer = result.data.offers["S1", "ga"]
    raised = replace(result.data, offers={("S1", "ga"): replace(offer, max_per_period=6 + STEP)})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)


def test_target_dual_matches_a_higher_target(tmp_path):
    """A target of 5 t is bought at 10 and held at 2 per t and period: one more t costs 12."""
    book = sheets(1, Targets=[{"mineral": "ga", "period": 1, "min_stock": 5}])
    book["Minerals"][0]["holding_cost"] = 2
    result = run_case(tmp_path, book)
    dual = marginal(result, "target", ("ga", 1))
    assert dual == pytest.approx(12.0)
    raised = replace(result.data, targets={("ga", 1): 5 + STEP})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)


def test_target_dual_adds_up_over_scenarios(tmp_path):
    """Half of China's arrivals are lost with probability 0.5: the target is met in both scenarios
    by buying twice it; the dual sums the scenarios' rows and matches the finite difference."""
    book = sheets(1, Targets=[{"mineral": "ga", "period": 1, "min_stock": 4}],
                  Scenarios=[{"scenario": "cut", "probability": 0.5, "country": "Canada", "first_period": 1,
                              "last_period": 1, "supply_loss": 0.5}])
    book["Minerals"][0]["holding_cost"] = 2
    result = run_case(tmp_path, book)
    dual = marginal(result, "target", ("ga", 1))
    # 2 t bought per t of target (20), held at 2: base 2 x 0.5 x 2 + cut 1 x 0.5 x 2 = 3.
    assert dual == pytest.approx(23.0)
    raised = replace(result.data, targets={("ga", 1): 4 + STEP})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)


def test_a_discounted_order_keeps_its_tier_in_the_lp(tmp_path):
    """An order of 10 t in the 5% tier (from 8 t), capacity 10: one more t of capacity is worth
    the penalty less the discounted price, 100 - 9.5 = 90.5, at the margin."""
    book = sheets(1, Demand=demand(12), Discounts=[{"supplier": "S1", "mineral": "ga", "min_quantity": 8,
                                                     "discount": 0.05}])
    book["Offers"][0]["max_per_period"] = 10
    result = run_case(tmp_path, book)
    dual = marginal(result, "capacity", ("S1", "ga", 1))
    assert dual == pytest.approx(-90.5)
    offer = result.data.offers["S1", "ga"]
    raised = replace(result.data, offers={("S1", "ga"): replace(offer, max_per_period=10 + STEP)})
    assert slope(result.data, raised) == pytest.approx(dual, rel=1e-6)
