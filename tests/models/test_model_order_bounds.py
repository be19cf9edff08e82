"""Order bounds (models/ordering.py ``order_upper_bounds``): big-M values some optimal plan respects
(model.md, last property), never "what the money could buy" (issue 11, section 1).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from modelcase import approx, sheets, solve
from test_model_wagner_whitin import wagner_whitin_plan
from workbooks import BIG_LOAN_DEMAND, big_loan_sheets, write_workbook

import models.facts as facts
import models.ordering as ordering
import optimizer.solving.highs as solve_module
from models import build_model
from optimizer.contract.data import PlanningData
from optimizer.pipeline import load
from optimizer.solving.highs import solve_model

K, H = 900, 1  # big_loan_sheets' order_cost and holding_cost


def money_bound(data: PlanningData, previous_orders=None) -> dict:
    """The bound before issue 11: capacity, money and storage only (commitments kept)."""
    slots = ordering.order_upper_bounds(data)
    limits = ordering.hard_order_limits(data)
    return {slot: max(limits[slot], data.commitments.get(slot, 0.0)) for slot in slots}


def optimum(data: PlanningData) -> tuple[str, float | None]:
    """(status, objective in currency) of ``data`` at mip_gap 0."""
    model = build_model(data)
    result = solve_model(model, 0.0, 60)
    return result.status, None if result.objective is None else result.objective * model.facts.money_unit


def tight_optimum(data: PlanningData, monkeypatch) -> tuple[str, float | None]:
    """``optimum`` with the old money bound, solved at integrality tolerance 1e-9."""
    with monkeypatch.context() as patch:
        patch.setattr(facts, "order_upper_bounds", money_bound)
        patch.setattr(solve_module, "MIP_FEASIBILITY_TOLERANCE", 1e-9)
        return optimum(data)


@pytest.mark.parametrize("unit_price", [1e-2, 1, 10, 1e3, 1e6])
@pytest.mark.parametrize("amount", ["just enough", 1e9, 1e12, 1e13])
def test_big_loan_plan_is_the_wagner_whitin_optimum(tmp_path, unit_price, amount):
    """The issue's workbook (one offer, no max_per_period, K = 900, h = 1, 10 periods) over prices
    1e-2..1e6 and funding from just enough (the purchase and order costs of the least-cost plan
    with the fewest orders) to 1e13: the plan is the Wagner-Whitin optimum and pays every order_cost.
    Before issue 11 the 1e12 and 1e13 loans made big-M values of 1e11 and more: exit 1."""
    optimum, orders = wagner_whitin_plan(list(BIG_LOAN_DEMAND), K, H, unit_price)
    if amount == "just enough":
        amount = unit_price * sum(BIG_LOAN_DEMAND) + K * orders
    plan = solve(tmp_path, big_loan_sheets(unit_price=unit_price, amount=amount))
    assert plan.costs["penalty_cost"] == approx(0)
    assert plan.objective == approx(optimum)
    assert plan.costs["order_cost"] == approx(K * len(plan.orders))


def capped_sheets() -> dict:
    """Two minerals, China capped at 10%, offers without max_per_period, a loan of 1e12.

    ga: a committed 50 t from China at 1 means at least 500 t in all, so 450 t from elsewhere:
        Canada at 10 + order_cost 100 (one order) beats Australia at 12: 50 + 4,500 + 100 = 4,650.
    ge: a committed 20 t from China at 2 means at least 200 t, 180 t from Australia at 20
        + order_cost 100: 40 + 3,600 + 100 = 3,740.
    Demand (ga 100 in period 1, ge 30 in period 2) is served; no holding cost. Objective 8,390.
    The dilution order is 4.5 times ga's demand: the bound must allow for it (1 / 0.1 x need).
    """
    offer = {"lead_time": 0, "order_cost": 0}
    return {
        "Settings": {"num_periods": 3, "mip_gap": 0, "time_limit_s": 60},
        "Minerals": [{"mineral": m, "unit": "t", "shortfall_penalty": 10_000} for m in ("ga", "ge")],
        "Suppliers": [{"supplier": "CN1", "country": "China"}, {"supplier": "CA1", "country": "Canada"},
                      {"supplier": "AU1", "country": "Australia"}],
        "Countries": [{"country": "China", "max_share": 0.1}],
        "Offers": [{**offer, "supplier": "CN1", "mineral": "ga", "unit_price": 1},
                   {**offer, "supplier": "CA1", "mineral": "ga", "unit_price": 10, "order_cost": 100},
                   {**offer, "supplier": "AU1", "mineral": "ga", "unit_price": 12},
                   {**offer, "supplier": "CN1", "mineral": "ge", "unit_price": 2},
                   {**offer, "supplier": "AU1", "mineral": "ge", "unit_price": 20, "order_cost": 100}],
        "Commitments": [{"supplier": "CN1", "mineral": "ga", "period": 1, "quantity": 50},
                        {"supplier": "CN1", "mineral": "ge", "period": 1, "quantity": 20}],
        "Demand": [{"mineral": "ga", "period": 1, "quantity": 100}, {"mineral": "ge", "period": 2, "quantity": 30}],
        "Funding": [{"source": "Loan", "amount": 1e12}],
    }


def test_country_cap_dilution_fits_the_bound(tmp_path, monkeypatch):
    """Hand optimum in capped_sheets' docstring; the old money bound at a tight tolerance agrees."""
    plan = solve(tmp_path, capped_sheets())
    assert plan.objective == approx(8_390)
    assert plan.costs["order_cost"] == approx(200)
    data, _ = load(write_workbook(Path(tmp_path) / "capped.xlsx", capped_sheets()))
    assert tight_optimum(data, monkeypatch) == ("optimal", approx(8_390))


def test_risk_cap_dilution_by_the_weakest_diluter_fits_the_bound(tmp_path, monkeypatch):
    """One period, demand 10, max_avg_risk 0.5, a committed 50 t from HI (risk 0.9, price 1).
    The cap needs 0.4 x 50 = 20 risk-units of dilution: from L2 (risk 0.45, price 1) at 0.05 a t, 400 t
    for 400; from L1 (risk 0.1, price 100) at 0.4 a t, 50 t for 5,000. Optimum: 50 + 400 = 450.
    The contract's factor (r_max - r_min) / (max_avg_risk - r_min) = 2 over a need of 70 would cap L2's
    order at 140 and cut this plan off; the bound uses the weakest diluter, r_low = 0.45: 1 + 0.4 / 0.05 = 9."""
    offer = {"mineral": "ga", "lead_time": 0}
    book = {
        "Settings": {"num_periods": 1, "mip_gap": 0, "time_limit_s": 60},
        "Minerals": [{"mineral": "ga", "unit": "t", "shortfall_penalty": 10_000, "max_avg_risk": 0.5}],
        "Suppliers": [{"supplier": "HI", "country": "Canada", "risk_score": 0.9},
                      {"supplier": "L1", "country": "Canada", "risk_score": 0.1},
                      {"supplier": "L2", "country": "Canada", "risk_score": 0.45}],
        "Offers": [{**offer, "supplier": "HI", "unit_price": 1}, {**offer, "supplier": "L1", "unit_price": 100},
                   {**offer, "supplier": "L2", "unit_price": 1}],
        "Commitments": [{"supplier": "HI", "mineral": "ga", "period": 1, "quantity": 50}],
        "Demand": [{"mineral": "ga", "period": 1, "quantity": 10}],
        "Funding": [{"source": "Loan", "amount": 1e9}],
    }
    plan = solve(tmp_path, book)
    assert plan.objective == approx(450)
    data, _ = load(write_workbook(Path(tmp_path) / "risk.xlsx", book))
    assert ordering.dilution_factor(data, "ga") == pytest.approx(9)
    assert tight_optimum(data, monkeypatch) == ("optimal", approx(450))


@pytest.mark.parametrize("min_order, discounts, demand, optimum", [
    (60, [], 5, 60),  # 60 t at 1 beats 5 t unmet at 100: the bound is at least min_order
    (0, [{"supplier": "S1", "mineral": "ga", "min_quantity": 100, "discount": 0.6}], 50, 40),
    # 100 t at 60% off (40) beats 50 t at 1 (50): the bound is at least the largest discount threshold
])
def test_bound_is_at_least_min_order_and_the_largest_threshold(tmp_path, min_order, discounts, demand, optimum):
    """One period, price 1, ample funding; buying more than the demand is optimal (hand optimum given)."""
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": demand}])
    book["Offers"][0].update(unit_price=1, min_order=min_order)
    if discounts:
        book["Discounts"] = discounts
    assert solve(tmp_path, book).objective == approx(optimum)


def test_bound_of_the_big_loan_is_the_need_from_arrival(tmp_path):
    """No caps, no losses: the bound of period t is the demand of periods t..10 (at least min_order)."""
    data, _ = load(write_workbook(Path(tmp_path) / "loan.xlsx", big_loan_sheets()))
    upper = ordering.order_upper_bounds(data)
    assert upper["S1", "ga", 1] == sum(BIG_LOAN_DEMAND)
    assert upper["S1", "ga", 9] == 30 + 60
    assert upper["S1", "ga", 10] == 60


def test_need_is_grossed_up_for_partial_losses_only(tmp_path):
    """Canada loses 50% in period 2 in one scenario and 100% in period 3 in another: an order arriving in
    period 2 needs (demand 2..10 + largest target) / 0.5; one arriving in 3 is not grossed up (a total loss
    delivers nothing: lowering the order changes nothing there)."""
    book = big_loan_sheets()
    book["Targets"] = [{"mineral": "ga", "period": 5, "min_stock": 25}]
    book["Scenarios"] = [
        {"scenario": "half", "probability": 0.1, "country": "Canada", "first_period": 2, "last_period": 2,
         "supply_loss": 0.5},
        {"scenario": "all", "probability": 0.1, "country": "Canada", "first_period": 3, "last_period": 3,
         "supply_loss": 1.0}]
    data, _ = load(write_workbook(Path(tmp_path) / "losses.xlsx", book))
    upper = ordering.order_upper_bounds(data)
    assert upper["S1", "ga", 2] == pytest.approx((sum(BIG_LOAN_DEMAND[1:]) + 25) / 0.5)
    assert upper["S1", "ga", 3] == pytest.approx(sum(BIG_LOAN_DEMAND[2:]) + 25)
    assert upper["S1", "ga", 6] == pytest.approx(sum(BIG_LOAN_DEMAND[5:]))  # the target of period 5 is past


def random_sheets(seed: int) -> dict:
    """A small random workbook exercising every piece of the bound: min_order, discounts, lead times,
    commitments, targets, partial and total losses, country, supplier and risk caps, storage, budgets.
    Funding is moderate, so the old money bound stays near 1e3 and a 1e-9 tolerance honours it."""
    rng = random.Random(seed)
    T = rng.randint(3, 6)
    minerals = ["ga", "ge"][: rng.randint(1, 2)]
    suppliers = {"S1": "Canada", "S2": "China", "S3": "Australia"}
    offers, discounts = [], []
    for mineral in minerals:
        for supplier in rng.sample(sorted(suppliers), rng.randint(2, 3)):
            offers.append({"supplier": supplier, "mineral": mineral, "unit_price": rng.choice([5, 8, 10, 12]),
                           "lead_time": rng.choice([0, 0, 1]), "min_order": rng.choice([0, 0, 5, 25, 60]),
                           "max_per_period": rng.choice([None, None, None, 60]),
                           "order_cost": rng.choice([0, 40, 150])})
            if rng.random() < 0.3:
                discounts.append({"supplier": supplier, "mineral": mineral, "min_quantity": rng.choice([20, 50, 150]),
                                  "discount": rng.choice([0.1, 0.5])})
    book = {
        "Settings": {"num_periods": T, "mip_gap": 0, "time_limit_s": 60},
        "Minerals": [{"mineral": m, "unit": "t", "shortfall_penalty": rng.choice([40, 100, 400]),
                      "holding_cost": rng.choice([0, 0.5, 2]), "max_stock": rng.choice([None, None, 80]),
                      "max_supplier_share": rng.choice([1, 1, 0.6]), "max_avg_risk": rng.choice([1, 1, 0.5])}
                     for m in minerals],
        "Suppliers": [{"supplier": s, "country": c, "risk_score": rng.choice([0.1, 0.45, 0.9])}
                      for s, c in suppliers.items()],
        "Offers": offers,
        "Demand": [{"mineral": m, "period": t, "quantity": q} for m in minerals for t in range(1, T + 1)
                   if (q := rng.choice([0, 5, 10, 30] if t < T else [5, 10, 30]))],
        "Funding": [{"source": "F1", "amount": rng.choice([1_500, 3_000, 6_000])}],
    }
    if discounts:
        book["Discounts"] = discounts
    if rng.random() < 0.5:
        book["Countries"] = [{"country": "China", "max_share": rng.choice([0.1, 0.3])}]
    if rng.random() < 0.4:
        book["Targets"] = [{"mineral": minerals[0], "period": T, "min_stock": 15}]
    if rng.random() < 0.4:
        book["Scenarios"] = [{"scenario": "cut", "probability": 0.3, "country": rng.choice(sorted(suppliers.values())),
                              "first_period": 2, "last_period": T, "supply_loss": rng.choice([0.5, 0.8, 1.0])}]
    if rng.random() < 0.3:
        book["Budgets"] = [{"source": "F1", "period": t, "amount": 1_000} for t in range(1, T + 1)]
    first = offers[0]
    if rng.random() < 0.3 and first["lead_time"] + 1 <= T:
        book["Commitments"] = [{"supplier": first["supplier"], "mineral": first["mineral"], "period": 1,
                                "quantity": max(first["min_order"], 10)}]
    return book


@pytest.mark.parametrize("seed", range(60))
def test_bound_costs_the_same_as_the_money_bound_at_a_tight_tolerance(tmp_path, monkeypatch, seed):
    """Property: on random small workbooks the optimum with the new bounds equals the optimum with the
    old money bound solved at mip_gap 0 and integrality tolerance 1e-9 (no optimal plan is cut off).
    Some draws are infeasible (a commitment against the caps): both bounds must say so."""
    data, _ = load(write_workbook(Path(tmp_path) / f"random{seed}.xlsx", random_sheets(seed)))
    status, objective = optimum(data)
    assert status in ("optimal", "infeasible")
    assert tight_optimum(data, monkeypatch) == (status, None if objective is None else approx(objective))


def sheets_with_issue_14(seed: int) -> dict:
    """``random_sheets`` with a form ``ore`` upgraded into ga (at home or at S2 in China, yield, cost,
    lead time and capacity drawn) and an emergency scenario with a surge of ga demand in the last period."""
    rng = random.Random(1_000 + seed)
    book = random_sheets(seed)
    T = book["Settings"]["num_periods"]
    book["Minerals"].append({"mineral": "ore", "unit": "t", "shortfall_penalty": 1,
                             "holding_cost": rng.choice([0, 0.2])})
    book["Offers"].append({"supplier": "S1", "mineral": "ore", "unit_price": rng.choice([2, 4, 6]),
                           "lead_time": rng.choice([0, 1]), "order_cost": rng.choice([0, 20])})
    book["Conversions"] = [{"conversion": "smelt", "from_mineral": "ore", "to_mineral": "ga",
                            "yield": rng.choice([0.5, 0.8]), "unit_cost": rng.choice([0, 1, 3]),
                            "lead_time": rng.choice([0, 1]), "max_per_period": rng.choice([None, 20]),
                            "supplier": rng.choice([None, "S2"])}]
    book.setdefault("Scenarios", []).append({"scenario": "war", "probability": 0.1, "country": "Canada",
                                             "first_period": 1, "last_period": 1, "supply_loss": 0})
    book["ScenarioDemand"] = [{"scenario": "war", "mineral": "ga", "period": T, "quantity": rng.choice([20, 50]),
                               "shortfall_penalty": rng.choice([50, 500])}]
    return book


@pytest.mark.parametrize("seed", range(20))
def test_bounds_with_conversions_and_surges_cost_the_same_as_the_money_bound(tmp_path, monkeypatch, seed):
    """Property (issue 14): with a conversion into ga and an emergency surge of ga, the bounds (which count
    what the conversion can use of ore, and the largest demand of any scenario) cut off no optimal plan."""
    data, _ = load(write_workbook(Path(tmp_path) / f"random{seed}.xlsx", sheets_with_issue_14(seed)))
    status, objective = optimum(data)
    assert status in ("optimal", "infeasible")
    assert tight_optimum(data, monkeypatch) == (status, None if objective is None else approx(objective))
