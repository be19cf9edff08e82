"""Properties on seeded random small instances (model.md, Properties), mip_gap 0:

- raising a funding amount, a budget, a max_per_period capacity or a share cap never
  raises the optimal objective (the feasible set only grows);
- doubling every money figure (prices, order, onboarding, penalty and holding costs,
  funding amounts and budgets; rates and fractions unchanged) doubles the objective;
- without commitments a plan always exists, no dearer than ordering nothing.

Each instance: 3 periods, ga (and sometimes ge), three suppliers in two or three
countries, two funding sources with a budget, caps, tiers, a price update, a scenario.
The base, doubled and unfunded instances go through the pipeline and the independent
checker (modelcase); the relaxed variants of a checked instance are solved in memory.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest
from modelcase import optimum, run_case, solve
from workbooks import base_sheets

from optimizer.contract.data import PlanningData
from optimizer.contract.results import OPTIMAL

SEEDS = range(10)
T = 3


def random_sheets(seed: int) -> dict:
    rng = random.Random(seed)
    book = base_sheets(T)
    minerals = ["ga"] + (["ge"] if rng.random() < 0.5 else [])
    countries = rng.sample(["Canada", "China", "Chile"], 3)
    book["Settings"]["risk_weight"] = rng.choice([0, 0, 0.1])
    book["Minerals"] = []
    for m in minerals:
        initial = rng.choice([0, 0, 3])
        book["Minerals"].append({
            "mineral": m, "initial_stock": initial, "holding_cost": rng.choice([0, 0.5, 1, 2]),
            "shortfall_penalty": rng.randint(15, 40),
            "max_stock": rng.choice([None, 30 + initial + 5]),  # room for initial stock and pipeline
            "max_supplier_share": rng.choice([1, 0.7, 0.8]),
            "max_avg_risk": rng.choice([1, 0.5, 0.6]),
        })
    book["Suppliers"] = [
        {"supplier": f"S{i}", "country": countries[rng.randint(0, 1) if i > 1 else 0],
         "risk_score": round(rng.random(), 2), "onboarding_cost": rng.choice([0, 0, 10, 30])}
        for i in (1, 2, 3)]
    book["Offers"], book["Discounts"], book["Prices"] = [], [], []
    for i in (1, 2, 3):
        for m in minerals:
            if i > 1 and rng.random() < 0.3:
                continue
            cap = rng.choice([None, rng.randint(8, 20)])
            book["Offers"].append({
                "supplier": f"S{i}", "mineral": m, "unit_price": rng.randint(5, 15),
                "lead_time": rng.choice([0, 0, 1]), "min_order": rng.choice([0, 0, 3]),
                "max_per_period": cap if i > 1 else rng.randint(8, 20),  # S1 always has a cap
                "order_cost": rng.choice([0, 5, 15]), "first_period": rng.choice([1, 1, 2]),
            })
            if rng.random() < 0.3:
                book["Discounts"].append({"supplier": f"S{i}", "mineral": m,
                                          "min_quantity": rng.randint(6, 15), "discount": rng.choice([0.1, 0.2])})
            if rng.random() < 0.3:
                book["Prices"].append({"supplier": f"S{i}", "mineral": m, "period": rng.randint(1, T),
                                       "unit_price": rng.randint(5, 15)})
    book["Demand"] = [{"mineral": m, "period": t, "quantity": rng.randint(0, 15)}
                      for m in minerals for t in range(1, T + 1)]
    book["Targets"] = [{"mineral": m, "period": T, "min_stock": rng.randint(0, 8)} for m in minerals]
    book["Pipeline"] = [{"supplier": "S1", "mineral": "ga", "period": 2, "quantity": rng.choice([0, 4])}]
    book["Funding"] = [
        {"source": "F1", "amount": rng.randint(100, 400), "cost_rate": rng.choice([0, 0.05]),
         "excluded_countries": rng.choice([None, countries[1]])},
        {"source": "F2", "amount": rng.randint(50, 300), "cost_rate": rng.choice([0, 0.1]),
         "last_period": rng.choice([2, 3]), "minerals": rng.choice([None, "ga"])},
    ]
    book["Budgets"] = [{"source": "F1", "period": 1, "amount": rng.randint(30, 150)}]
    book["Countries"] = [{"country": countries[1], "max_share": rng.choice([0.3, 0.5, 0.7])}]
    book["Scenarios"] = [{"scenario": "cut", "probability": rng.choice([0.1, 0.3]), "country": countries[0],
                          "first_period": rng.randint(2, 3), "last_period": 3, "supply_loss": rng.choice([0.5, 1])}]
    for name in ("Discounts", "Prices"):
        if not book[name]:
            del book[name]  # a sheet without even a header row is refused
    return book


_base_dir: list[Path] = []


@lru_cache(maxsize=None)
def base_plan(seed: int):
    """The optimal, checked (data, objective) of instance ``seed``, solved once for all tests below."""
    result = run_case(_base_dir[0], random_sheets(seed))
    assert result.plan.status == OPTIMAL and result.output is not None
    return result.data, result.plan.objective


@pytest.fixture(scope="module", autouse=True)
def _base_tmp(tmp_path_factory):
    _base_dir[:] = [tmp_path_factory.mktemp("base")]
    yield
    base_plan.cache_clear()


def at_most(a: float, b: float) -> bool:
    return a <= b + 1e-6 * max(1.0, abs(b))


# The relaxed variants are solved in memory (modelcase.optimum) from the checked base
# instance's PlanningData: one workbook round trip per variant would multiply the runtime.

def raise_amount(data: PlanningData) -> PlanningData:
    funding = {name: replace(f, amount=f.amount + 200) if name == "F1" else f for name, f in data.funding.items()}
    return replace(data, funding=funding)


def raise_budget(data: PlanningData) -> PlanningData:
    f1 = data.funding["F1"]
    return replace(data, funding={**data.funding, "F1": replace(f1, budgets={1: f1.budgets[1] + 150})})


def raise_capacity(data: PlanningData) -> PlanningData:
    offers = {key: replace(o, max_per_period=None if o.max_per_period is None else o.max_per_period + 10)
              for key, o in data.offers.items()}
    return replace(data, offers=offers)


def raise_share_caps(data: PlanningData) -> PlanningData:
    minerals = {name: replace(m, max_supplier_share=min(1.0, m.max_supplier_share + 0.2),
                              max_avg_risk=min(1.0, m.max_avg_risk + 0.2)) for name, m in data.minerals.items()}
    countries = {c: min(1.0, share + 0.3) for c, share in data.country_max_share.items()}
    return replace(data, minerals=minerals, country_max_share=countries)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_in_memory_optimum_is_the_checked_plans(seed):
    data, objective = base_plan(seed)
    assert optimum(data) == pytest.approx(objective, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("relax", [raise_amount, raise_budget, raise_capacity, raise_share_caps])
@pytest.mark.parametrize("seed", SEEDS)
def test_relaxing_a_limit_never_raises_the_objective(seed, relax):
    data, objective = base_plan(seed)
    relaxed = relax(data)
    assert relaxed != data
    assert at_most(optimum(relaxed), objective)


def double_money(book) -> dict:
    book = copy.deepcopy(book)
    for mineral in book["Minerals"]:
        mineral["shortfall_penalty"] *= 2
        mineral["holding_cost"] *= 2
    for supplier in book["Suppliers"]:
        supplier["onboarding_cost"] *= 2
    for offer in book["Offers"]:
        offer["unit_price"] *= 2
        offer["order_cost"] *= 2
    for row in book.get("Prices", []) + book["Funding"] + book["Budgets"]:
        key = "unit_price" if "unit_price" in row else "amount"
        row[key] *= 2
    return book


@pytest.mark.parametrize("seed", SEEDS)
def test_doubling_every_money_figure_doubles_the_objective(tmp_path, seed):
    doubled = solve(tmp_path, double_money(random_sheets(seed))).objective
    assert doubled == pytest.approx(2 * base_plan(seed)[1], rel=1e-6, abs=1e-6)


def no_order_cost(book) -> float:
    """The expected cost of ordering nothing: stock from initial stock and pipeline only,
    demand served while stock lasts (a feasible plan, so an upper bound on the optimum)."""
    scenario = book["Scenarios"][0]
    total = 0.0
    for k, probability in (("base", 1 - scenario["probability"]), ("cut", scenario["probability"])):
        for mineral in book["Minerals"]:
            m = mineral["mineral"]
            stock = mineral["initial_stock"]
            for t in range(1, T + 1):
                arriving = sum(p["quantity"] for p in book["Pipeline"] if p["mineral"] == m and p["period"] == t)
                if k == "cut" and scenario["first_period"] <= t <= scenario["last_period"] \
                        and scenario["country"] == book["Suppliers"][0]["country"]:  # pipeline is from S1
                    arriving *= 1 - scenario["supply_loss"]
                stock += arriving
                need = sum(d["quantity"] for d in book["Demand"] if d["mineral"] == m and d["period"] == t)
                unmet = max(0.0, need - stock)
                stock = max(0.0, stock - need)
                target = sum(x["min_stock"] for x in book["Targets"] if x["mineral"] == m and x["period"] == t)
                total += probability * (mineral["holding_cost"] * stock
                                        + mineral["shortfall_penalty"] * (unmet + max(0.0, target - stock)))
    return total


@pytest.mark.parametrize("seed", SEEDS)
def test_without_commitments_a_plan_exists_no_dearer_than_ordering_nothing(seed):
    book = random_sheets(seed)
    assert "Commitments" not in book
    # base_plan asserts status optimal (never infeasible) and a checked plan.
    assert at_most(base_plan(seed)[1], no_order_cost(book))


@pytest.mark.parametrize("seed", range(4))
def test_without_money_the_plan_is_ordering_nothing(tmp_path, seed):
    book = random_sheets(seed)
    for source in book["Funding"]:
        source["amount"] = 0
    plan = solve(tmp_path, book)
    assert plan.orders.empty
    assert plan.objective <= no_order_cost(book) + 1e-6
