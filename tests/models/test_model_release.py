"""The release rule (model.md constraint 7, models/release.py) and target_penalty.

Under ``release_rule: serve_first`` demand goes unmet only when no stock is
left at the end of the period, so stock, unmet demand and shortfall follow from
the orders by simulation, exactly what ``optimize stress`` does; ``optimal``
lets the plan hold stock while demand goes unmet.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from modelcase import approx, demand, sheets, solve

from models import build_model
from optimizer.checker import check_result_workbook
from optimizer.intake.generate import Size, generate_sheets, write_sheets
from optimizer.pipeline import load, run
from optimizer.contract.results import OPTIMAL
from optimizer.execution import Workers
from optimizer.studies.stress import EXCLUSIVE, exposure, prepare_stress, read_plan_orders, simulate, stress_test
from optimizer.studies.stress_report import summary_frame
from workbooks import write_workbook

P = 210.0  # shortfall_penalty of the counterexample; target_penalty default P / 21 = 10


def counterexample(rule: str) -> dict:
    """One mineral, 20 periods, initial stock 100 = target every period, demand 10 a period, nothing can
    arrive (the only offer's lead time is the horizon), holding free, shortfall_penalty P."""
    book = sheets(20, Demand=demand(*[10] * 20),
                  Targets=[{"mineral": "ga", "period": t, "min_stock": 100} for t in range(1, 21)])
    book["Settings"]["release_rule"] = rule
    book["Minerals"][0].update(initial_stock=100, shortfall_penalty=P)
    book["Offers"][0]["lead_time"] = 20
    return book


def test_serve_first_draws_the_stock_before_any_demand_goes_unmet(tmp_path):
    """serve_first, by hand: the 100 t in stock serve periods 1-10 (stock 90, 80, ..., 0), periods 11-20 go
    unmet (10 x 10 = 100 t). Below target: 10 + 20 + ... + 100 = 550 in periods 1-10, 100 x 10 = 1,000 in
    periods 11-20, 1,550 unit-periods. target_penalty defaults to P / (20 + 1), so
    penalty_cost = 100 P + 1,550 P / 21 = 21,000 + 15,500 = 36,500 with P = 210."""
    plan = solve(tmp_path, counterexample("serve_first"))
    unmet = list(plan.stock["unmet_demand"])
    assert unmet == [approx(0)] * 10 + [approx(10)] * 10
    assert list(plan.stock["stock"]) == [approx(100 - 10 * t) for t in range(1, 11)] + [approx(0)] * 10
    assert plan.costs["penalty_cost"] == approx(100 * P + 1550 * P / 21) == approx(36_500)


def test_optimal_release_holds_the_stock_for_the_target(tmp_path):
    """optimal, by hand: 100 t of the 200 t demanded go unmet whatever the plan (100 P); holding the stock
    at target through period 10 and serving periods 11-20 leaves stock 90, 80, ..., 0 in periods 11-20:
    10 + 20 + ... + 100 = 550 unit-periods below target, the fewest (serving any earlier unit lowers the
    stock of more periods). penalty_cost = 100 P + 550 P / 21 = 21,000 + 5,500 = 26,500."""
    plan = solve(tmp_path, counterexample("optimal"))
    assert list(plan.stock["unmet_demand"]) == [approx(10)] * 10 + [approx(0)] * 10
    assert plan.costs["penalty_cost"] == approx(100 * P + 550 * P / 21) == approx(26_500)


def test_target_penalty_given_replaces_the_default(tmp_path):
    """target_penalty 1 instead of P / 21: serve_first's plan is the same, its penalty
    100 P + 1,550 x 1 = 22,550."""
    book = counterexample("serve_first")
    book["Minerals"][0]["target_penalty"] = 1
    plan = solve(tmp_path, book)
    assert plan.costs["penalty_cost"] == approx(100 * P + 1550)


def _release_index(tmp_path, book) -> list:
    data, _ = load(write_workbook(tmp_path / "book.xlsx", book))
    model = build_model(data)
    return [] if model.component("Release") is None else list(model.RELEASE_INDEX)


def test_the_yes_no_variable_exists_only_where_holding_could_pay(tmp_path):
    """Demand in periods 1-6. With holding_cost 1 and a target in period 4 only, w exists in periods 1-4
    (holding for the target could pay), not in 5-6 (holding only costs). With holding free, everywhere;
    under release_rule optimal, nowhere."""
    book = sheets(6, Demand=demand(*[5] * 6), Targets=[{"mineral": "ga", "period": 4, "min_stock": 3}])
    book["Minerals"][0]["holding_cost"] = 1
    assert [t for _, _, t in _release_index(tmp_path, book)] == [1, 2, 3, 4]
    book["Minerals"][0]["holding_cost"] = 0
    assert [t for _, _, t in _release_index(tmp_path, book)] == [1, 2, 3, 4, 5, 6]
    book["Settings"]["release_rule"] = "optimal"
    assert _release_index(tmp_path, book) == []


def test_no_yes_no_variable_where_holding_costs_more_than_missing_the_target(tmp_path):
    """Holding 1 t costs 2 a period, one period below target only 1.5 (target_penalty): holding stock while
    demand goes unmet never pays, so no w; at target_penalty 2 it ties, and w is back up to the target."""
    book = sheets(6, Demand=demand(*[5] * 6), Targets=[{"mineral": "ga", "period": 4, "min_stock": 3}])
    book["Minerals"][0].update(holding_cost=2, target_penalty=1.5)
    assert _release_index(tmp_path, book) == []
    book["Minerals"][0]["target_penalty"] = 2
    assert [t for _, _, t in _release_index(tmp_path, book)] == [1, 2, 3, 4]


def test_holding_cost_alone_serves_first_without_the_yes_no_variable(tmp_path):
    """No target, holding_cost 1, initial stock 10, demand 8 in periods 1-3, nothing arriving: no w (the
    exchange argument of release_needed), yet the plan serves 8 + 2 and leaves 6 + 8 unmet, never holding
    while short (release_rule optimal gives the same plan here, for the same reason)."""
    book = sheets(3, Demand=demand(8, 8, 8))
    book["Minerals"][0].update(initial_stock=10, holding_cost=1)
    book["Offers"][0]["lead_time"] = 3
    assert _release_index(tmp_path, book) == []
    plan = solve(tmp_path, book)
    assert list(plan.stock["unmet_demand"]) == [approx(0), approx(6), approx(8)]


# --- random workbooks -----------------------------------------------------------------------

def random_book(seed: int) -> dict[str, list]:
    """A small generated workbook (2 minerals, 3 suppliers, 6 periods, 2 scenarios) varied so that holding
    could pay: holding free for some minerals, targets early or none, scarce funding, no commitments.
    analysis_time_s 0: the plan is the same without the analyses after it (scenarios solved alone, marginals),
    which the release rule does not touch and which took a third of each run."""
    rng = random.Random(seed)
    book = generate_sheets(Size(2, 3, 6, 2), seed=seed, offers_per_mineral=2)
    header = book["Minerals"][0]
    for row in book["Minerals"][1:]:
        if rng.random() < 0.5:
            row[header.index("holding_cost")] = 0
        row[header.index("initial_stock")] = round(row[header.index("initial_stock")] * rng.uniform(0.5, 3), 1)
    targets = book["Targets"]
    book["Targets"] = [targets[0]] + [[m, rng.randint(1, 6), q * rng.uniform(0.5, 3)] for m, _, q in targets[1:]
                                      if rng.random() < 0.5]
    book["Targets"] = [book["Targets"][0]] + list({(r[0], r[1]): r for r in book["Targets"][1:]}.values())
    book["Commitments"] = book["Commitments"][:1]  # scarce funding could not pay them
    funding = book["Funding"]
    for row in funding[1:]:
        row[1] = round(row[1] * rng.uniform(0.02, 0.3), 0)
    settings = book["Settings"]
    settings[settings.index(["mip_gap", 0.01])] = ["mip_gap", 0.0001]
    settings.append(["analysis_time_s", 0])
    return book


SEEDS = range(50)


@pytest.fixture(scope="module")
def random_plans(tmp_path_factory):
    """The 50 random workbooks planned (serve_first, no explanations), each with its data and plan path."""
    folder = tmp_path_factory.mktemp("release")
    planned = []
    for seed in SEEDS:
        source = write_sheets(folder / f"book{seed}.xlsx", random_book(seed))
        result = run(source, output_path=folder / f"plan{seed}.xlsx", outputs_dir=folder, explain=False)
        planned.append((seed, result))
    return planned


def test_random_plans_never_hold_stock_while_demand_goes_unmet(random_plans):
    """Property: on 50 random workbooks every plan passes the independent checker (which checks the release
    rule too), and no period of any scenario ends with unmet demand and stock above zero."""
    for seed, result in random_plans:
        assert result.plan.status == OPTIMAL, (seed, result.plan.solve.message)
        assert check_result_workbook(result.output, result.data) == [], seed
        stock = result.plan.stock
        both = stock[(stock["unmet_demand"] > 1e-9) & (stock["stock"] > 1e-9)]
        assert both.empty, (seed, both)


def test_the_simulation_reproduces_penalty_cost_exactly(random_plans):
    """Per scenario, the stress test's simulation of the plan's orders gives the plan's stock, so
    sum over k of pi[k] x simulated penalty[k] equals penalty_cost (to round-off) on every workbook."""
    for seed, result in random_plans:
        data = result.data
        fixed = exposure(data, read_plan_orders(result.output, data).orders)
        scenarios = len(data.scenarios)
        occurs = np.vstack([np.zeros((1, scenarios), dtype=bool), np.eye(scenarios, dtype=bool)])
        unmet, below = simulate(fixed, occurs)
        penalty = (unmet * fixed.penalty + below * fixed.target_penalty).sum(axis=1)
        probability = [k.probability for k in data.all_scenarios]
        assert float(np.dot(probability, penalty)) == approx(result.plan.costs["penalty_cost"]), seed


def test_the_stress_test_agrees_with_penalty_cost_within_two_percent(random_plans, tmp_path):
    """optimize stress --sampling exclusive with 20,000 samples: its mean penalty within 2% of the plan's
    penalty_cost on the workbooks with targets and a penalty, and the Summary states both figures."""
    compared = 0
    for seed, result in random_plans:
        if not result.data.targets or result.plan.costs["penalty_cost"] <= 0:
            continue
        prepared = prepare_stress(result.output, Path(result.data.input_files[0].path))
        stressed = stress_test(prepared, 20_000, seed, EXCLUSIVE, Workers(0))
        plan_penalty = result.plan.costs["penalty_cost"]
        assert float(stressed.penalty.mean()) == pytest.approx(plan_penalty, rel=0.02), seed
        summary = dict(summary_frame(stressed).itertuples(index=False))
        assert summary["plan penalty_cost"] == approx(plan_penalty)
        assert summary["mean_penalty"] == approx(float(stressed.penalty.mean()))
        compared += 1
    assert compared >= 10
