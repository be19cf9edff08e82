"""The change penalty with recourse (models/stability.py add_recourse_change_cost): the expected change cost,

    change_cost = change_penalty x sum over scenarios k of pi[k] x sum over (o,t) of |x[k,o,t] - x_prev[k,o,t]|,

written per node of the scenario tree, one pair of variables per distinct previous order of its members.
The hand cases through the whole pipeline (checker, Changes, Summary) are in tests/replan/test_recourse_replan.py.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pyomo.environ as pyo
import pytest
from test_model_recourse import ban_book, random_tree
from workbooks import write_workbook

from inputcheck import read_and_validate
from models.recourse import build_recourse_model
from models.stability import add_recourse_change_cost, expected_change_cost, highest_previous_orders
from optimizer.contract.results import OPTIMAL
from optimizer.solving.highs import solve_model


def penalised_optimum(data, previous, by_node: bool = True):
    """The solved model with recourse and its change cost; its optimum (expected cost + change cost)."""
    model = build_recourse_model(data, by_node=by_node, previous_orders=highest_previous_orders(data, previous))
    add_recourse_change_cost(model, data, previous)
    result = solve_model(model, 0.0, 60.0)
    assert result.status == OPTIMAL, (result.status, result.message)
    return model, result.objective * model.money_unit


def orders_held(model, data) -> dict[str, dict]:
    """scenario -> slot -> the order that holds in it, read from the solved model."""
    return {k.name: {slot: model.Scenario[k.name].Order[slot].value for slot in model.Scenario[k.name].ORDER_SLOTS}
            for k in data.all_scenarios}


def test_a_shared_order_weighs_its_members_previous_orders_by_probability(tmp_path):
    """ban_book over 4 periods, ban (0.1) known only from period 4: period 3's orders are one node of base and
    ban. The previous plan told them apart: base bought 10 t of C in period 3, ban 10 t of K. At a change
    penalty of 100 a unit, the node keeps the weighted median of its members' previous orders: C 10 (base's,
    0.9) and K 0 (base's again). Each slot gets two pairs of variables (previous 10 and 0). The change cost
    is ban's alone: 100 x 0.1 x (|10 - 0| for C + |0 - 10| for K) = 200, as recomputed from the orders."""
    data, _ = read_and_validate(write_workbook(tmp_path / "ban.xlsx", ban_book(4, known_from=4)))
    data = replace(data, settings=replace(data.settings, change_penalty=100.0))
    previous = {"base": {("C", "ga", 3): 10.0}, "ban": {("K", "ga", 3): 10.0}}
    model, _ = penalised_optimum(data, previous)
    assert model.Scenario["ban"].Order["C", "ga", 3].value == pytest.approx(10)
    assert model.Scenario["ban"].Order["K", "ga", 3].value == pytest.approx(0, abs=1e-7)
    assert {index[:3] + index[4:] for index in model.NODE_CHANGES if index[2] == 3} == {
        ("C", "ga", 3, 0), ("C", "ga", 3, 1), ("K", "ga", 3, 0), ("K", "ga", 3, 1)}
    assert pyo.value(model.change_cost) * model.money_unit == pytest.approx(200)
    assert expected_change_cost(data, orders_held(model, data), previous) == pytest.approx(200)


def test_without_a_penalty_or_a_previous_plan_nothing_is_added(tmp_path):
    data, _ = read_and_validate(write_workbook(tmp_path / "ban.xlsx", ban_book()))
    model = build_recourse_model(data)
    add_recourse_change_cost(model, data, {"base": {("C", "ga", 3): 10.0}})  # change_penalty 0
    assert model.component("NODE_CHANGES") is None
    penalised = replace(data, settings=replace(data.settings, change_penalty=1.0))
    add_recourse_change_cost(model, penalised, None)
    assert model.component("NODE_CHANGES") is None and highest_previous_orders(penalised, None) is None


def test_the_node_and_per_scenario_forms_price_change_alike_on_random_trees(tmp_path):
    """Eight random small workbooks (test_model_recourse.random_tree) with random previous orders differing by
    scenario and a random change penalty: the node form and the per-scenario form reach one optimum, and the
    model's change cost is the one recomputed from its orders (expected_change_cost)."""
    data, _ = read_and_validate(write_workbook(tmp_path / "base.xlsx", ban_book(4)))
    rng = random.Random(16)
    for _ in range(8):
        tree = random_tree(data, rng)
        tree = replace(tree, settings=replace(tree.settings, change_penalty=rng.choice([0.5, 2.0, 8.0])))
        previous = {k.name: {(s, "ga", t): float(rng.choice([0, 0, 4, 10]))
                             for s in ("C", "K") for t in tree.periods} for k in tree.all_scenarios}
        node_model, node_optimum = penalised_optimum(tree, previous)
        _, scenario_optimum = penalised_optimum(tree, previous, by_node=False)
        assert node_optimum == pytest.approx(scenario_optimum, rel=1e-7, abs=1e-6)
        recomputed = expected_change_cost(tree, orders_held(node_model, tree), previous)
        assert pyo.value(node_model.change_cost) * node_model.money_unit == pytest.approx(recomputed, rel=1e-6, abs=1e-5)
