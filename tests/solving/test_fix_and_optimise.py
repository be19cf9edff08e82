"""The fix-and-optimise start of a small MIP (optimizer/solving/fix_and_optimise.py) and the searches that take it
(optimizer/solving/highs.py: the main solve's, each scenario alone's). The main solve runs its search beside the
pass (``PassBesideSearch``): tested on small generated workbooks for the same plan every run, within mip_gap of the
optimum, and never dearer than the search after the pass.

The hand instance: two minerals, each needs one of two offers, and one budget of 3 links them.
ga: a costs 5 (spends 1), b costs 3 (spends 2); co: a costs 4.5 (spends 1), b costs 2 (spends 2).
Both b's spend 4 > 3, so the plans are (a, a) 9.5, (a, b) 7 (the optimum) and (b, a) 7.5.
From (a, a): ga alone, co's a held, takes b (7.5: spends 3); then co alone, ga's b held, cannot take b
(spends 4) and keeps a. So the pass ends at 7.5, a plan that meets every row; the search from it ends at 7.
Co's block need not be searched to know it: with ga's b held, co's LP relaxation (x_a + x_b >= 1, x_a + 2 x_b <= 1)
is x_a = 1, 4.5 + 3 = 7.5, the plan's own cost, so its MIP is never run (``BlockRelaxation``). Ga's, from (a, a)
with co's a held, is 3 + 4.5 = 7.5 < 9.5 (x_b = 1, spends 2 of the 2 left): its MIP runs.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.common.collections import ComponentMap
from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

import optimizer.solving.fix_and_optimise as fix_and_optimise_module
import optimizer.solving.highs as highs
from models.blocks import mineral_of
from optimizer.contract.results import OPTIMAL
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.block_bound import in_own_thread
from optimizer.solving.decompose import feasible, plan_objective
from optimizer.solving.fix_and_optimise import BLOCK_GAP, BlockRelaxation, fix_and_optimise
from optimizer.solving.decompose import integer_columns
from optimizer.solving.highs import solve_in_worker, solve_model
from optimizer.solving.session import build, first_start, solve_main

COST = {("ga", "a"): 5.0, ("ga", "b"): 3.0, ("co", "a"): 4.5, ("co", "b"): 2.0}
SPEND = {"a": 1.0, "b": 2.0}
BUDGET = 3.0


def two_minerals_lp() -> highspy.HighsLp:
    """Columns ga a, ga b, co a, co b (binaries); rows: ga's need, co's need, the budget."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 4, 3
    lp.col_cost_ = np.array(list(COST.values()))
    lp.col_lower_, lp.col_upper_ = np.zeros(4), np.ones(4)
    lp.row_lower_, lp.row_upper_ = np.array([1.0, 1.0, -np.inf]), np.array([np.inf, np.inf, BUDGET])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = [0, 2, 4, 6, 8]
    lp.a_matrix_.index_ = [0, 2, 0, 2, 1, 2, 1, 2]
    lp.a_matrix_.value_ = [1.0, SPEND["a"], 1.0, SPEND["b"], 1.0, SPEND["a"], 1.0, SPEND["b"]]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * 4
    return lp


def holding(lp: highspy.HighsLp) -> highspy.Highs:
    model = highspy.Highs()
    model.setOptionValue("output_flag", False)
    model.passModel(lp)
    return model


def two_minerals() -> pyo.ConcreteModel:
    """The hand instance as a Pyomo model, each offer's yes/no in its mineral's block."""
    model = pyo.ConcreteModel()
    model.Take = pyo.Var(list(COST), domain=pyo.Binary)
    model.need = pyo.Constraint(["ga", "co"], rule=lambda m, mineral: m.Take[mineral, "a"] + m.Take[mineral, "b"] >= 1)
    model.budget = pyo.Constraint(expr=sum(SPEND[offer] * model.Take[m, offer] for m, offer in COST) <= BUDGET)
    model.objective = pyo.Objective(expr=sum(cost * model.Take[key] for key, cost in COST.items()))
    return model


def mineral(var) -> str:
    return var.index()[0]


def test_the_pass_lowers_a_plan_block_by_block_to_one_that_meets_every_row():
    lp = two_minerals_lp()
    model = holding(lp)
    found = fix_and_optimise(model, np.array([0, 0, 1, 1]), np.array([1.0, 0.0, 1.0, 0.0]))
    assert found.first == pytest.approx(9.5)
    assert found.objective == pytest.approx(7.5)  # ga's b; co's b would overdraw the budget
    assert found.values == pytest.approx([0.0, 1.0, 1.0, 0.0])
    assert found.improved == 1 and found.blocks == 2
    assert feasible(lp, found.values)
    assert "1 of 2 blocks" in found.describe()
    assert np.asarray(model.getLp().col_upper_) == pytest.approx(np.ones(4))  # the model is left as it was


def test_a_block_whose_lp_cannot_lower_the_plan_is_left_as_it_is_its_mip_never_run(monkeypatch):
    """The hand instance from (a, a): ga's MIP runs and takes b (7.5); co's LP relaxation with ga's b held is 7.5,
    the plan's cost, so co's MIP is never run; the plan is the one the pass ended on before (7.5, ga b and co a)."""
    solved, block_solved = [], fix_and_optimise_module._block_solved

    def noting(lp, held, plan, stop):
        solved.append(held.copy())
        return block_solved(lp, held, plan, stop)

    monkeypatch.setattr(fix_and_optimise_module, "_block_solved", noting)
    found = fix_and_optimise(holding(two_minerals_lp()), np.array([0, 0, 1, 1]), np.array([1.0, 0.0, 1.0, 0.0]))
    assert [list(held) for held in solved] == [[False, False, True, True]]  # ga's MIP alone, co's held
    assert found.relaxed_out == 1 and found.improved == 1
    assert found.objective == pytest.approx(7.5) and found.values == pytest.approx([0.0, 1.0, 1.0, 0.0])
    assert "1 left as they were" in found.describe()


@pytest.mark.parametrize("room, could_lower", [(1e-4, False), (1e-3, True)])
def test_a_block_lp_rules_its_mip_out_only_within_the_mip_gap(room, could_lower):
    """From (a, a), co's a held, ga's LP reaches 7.5 against the plan's 9.5: ga's MIP could lower it. With the
    budget 3 + room and ga's b held (the plan ga b, co a at 7.5), co's LP takes x_b = room (x_a + 2 x_b <= 1 + room):
    7.5 - 2.5 room. Ruled out when that is within BLOCK_GAP (1e-4) of 7.5, 7.5e-4: room 1e-4 (2.5e-4 lower) is,
    room 1e-3 (2.5e-3 lower) is not. In a thread of its own, as the pass runs it (a single-thread HiGHS)."""
    lp = two_minerals_lp()
    co_held, a_a = np.array([False, False, True, True]), np.array([1.0, 0.0, 1.0, 0.0])
    assert in_own_thread(lambda: BlockRelaxation(lp, integer_columns(lp)).could_lower(co_held, a_a,
                                                                                      plan_objective(lp, a_a)))
    lp.row_upper_ = np.array([np.inf, np.inf, BUDGET + room])
    assert 2.5 * room < BLOCK_GAP * 7.5 or could_lower
    ga_held, b_a = np.array([True, True, False, False]), np.array([0.0, 1.0, 1.0, 0.0])
    ruled = in_own_thread(lambda: BlockRelaxation(lp, integer_columns(lp)).could_lower(ga_held, b_a,
                                                                                       plan_objective(lp, b_a)))
    assert ruled == could_lower


def test_the_pass_starts_from_highs_first_plan_when_given_none():
    lp = two_minerals_lp()
    found = fix_and_optimise(holding(lp), np.array([0, 0, 1, 1]))
    assert found is not None and feasible(lp, found.values)
    assert found.objective in (pytest.approx(7.0), pytest.approx(7.5)) and found.objective <= found.first


def test_one_block_has_nothing_to_hold():
    assert fix_and_optimise(holding(two_minerals_lp()), np.zeros(4, dtype=np.int64), np.ones(4)) is None


def test_the_main_solve_of_a_small_mip_starts_from_the_pass_and_ends_at_the_optimum():
    model = two_minerals()
    result = solve_model(model, 0.0, 30.0, blocks=mineral)
    assert result.status == OPTIMAL and result.objective == pytest.approx(7.0)
    assert "block by block" in result.start
    assert [model.Take[key].value for key in COST] == pytest.approx([1, 0, 0, 1])


def test_a_solve_without_blocks_takes_no_pass():
    result = solve_model(two_minerals(), 0.0, 30.0)
    assert result.objective == pytest.approx(7.0) and "block by block" not in result.start


def test_a_scenario_alone_starts_from_the_pass_around_its_start_and_ends_at_the_optimum(monkeypatch):
    """solve_in_worker (the scenarios alone): from the complete start (a, a), the pass's 7.5, then the search's 7."""
    found = []

    def noting(*args, **kwargs):
        found.append(fix_and_optimise(*args, **kwargs))
        return found[-1]

    monkeypatch.setattr(highs, "fix_and_optimise", noting)
    model = two_minerals()
    start = ComponentMap((model.Take[key], 1.0 if key[1] == "a" else 0.0) for key in COST)
    result = in_own_thread(lambda: solve_in_worker(model, 0.0, 30.0, start=start, blocks=mineral))
    assert [plan.objective for plan in found] == [pytest.approx(7.5)]
    assert result.status == OPTIMAL and result.objective == pytest.approx(7.0)
    assert [model.Take[key].value for key in COST] == pytest.approx([1, 0, 0, 1])


def generated(tmp_path, size: Size, seed: int = 0):
    """A small generated workbook (its own mip_gap, 1%) and its model, built."""
    data, _ = load(write_generated_workbook(tmp_path / f"generated_{seed}.xlsx", size, seed))
    return data


def values_of(model) -> list[float]:
    return [var.value for var in model.component_data_objects(pyo.Var)]


def test_the_main_solve_searches_beside_the_pass_and_ends_on_the_same_optimal_plan_every_run(tmp_path, monkeypatch):
    """3 minerals x 3 suppliers x 6 periods (102 binaries): the pass waits until the search has begun, so the two
    run side by side (after the search, as before, it would wait in vain); the search's root takes the pass's plan
    at its end. Two runs, the same plan to the last value; at mip_gap 0 HiGHS alone proves the optimum it is at."""
    data = generated(tmp_path, Size(3, 3, 6))
    searching, waited_in_vain = threading.Event(), []
    search, the_pass = PyomoHighs.solve, fix_and_optimise_module._fix_and_optimise

    def noting_the_search(self, *args, **kwargs):
        searching.set()
        return search(self, *args, **kwargs)

    def waiting_for_the_search(*args, **kwargs):
        if not searching.wait(5.0):
            waited_in_vain.append(True)
        return the_pass(*args, **kwargs)

    monkeypatch.setattr(PyomoHighs, "solve", noting_the_search)
    monkeypatch.setattr(fix_and_optimise_module, "_fix_and_optimise", waiting_for_the_search)
    runs = []
    for _ in range(2):
        searching.clear()
        model = build(data)
        result = solve_main(model, data, first_start(model, data))
        runs.append((result, values_of(model)))
    assert not waited_in_vain
    (first, first_values), (second, second_values) = runs
    assert "handed to the search at the end of its root" in first.start
    assert first.status == OPTIMAL and first.gap <= data.settings.mip_gap
    assert (second.objective, second.bound, second_values) == (first.objective, first.bound, first_values)
    monkeypatch.undo()
    optimum = solve_model(build(data), 0.0, 60.0)
    assert optimum.status == OPTIMAL
    assert optimum.objective <= first.objective <= optimum.objective * (1 + data.settings.mip_gap)


def test_the_pass_leaves_the_same_blocks_and_ends_on_the_same_plan_every_run(tmp_path, monkeypatch):
    """4 minerals x 3 suppliers x 6 periods: the pass before the search (``solve_model`` with blocks), twice. Which
    blocks its LPs rule out is the same each time (decided by the plan and the model, never by time), and so are
    the plan and the search's answer; some blocks are ruled out, or this would test nothing."""
    data = generated(tmp_path, Size(4, 3, 6))
    found = []

    def noting(*args, **kwargs):
        found.append(fix_and_optimise(*args, **kwargs))
        return found[-1]

    monkeypatch.setattr(highs, "fix_and_optimise", noting)
    runs = []
    for _ in range(2):
        model = build(data)
        result = solve_model(model, data.settings.mip_gap, 60.0, start=first_start(model, data), blocks=mineral_of)
        runs.append((result.objective, result.bound, values_of(model)))
    first, second = found
    assert 0 < first.relaxed_out == second.relaxed_out < first.blocks
    assert (second.objective, second.improved) == (first.objective, first.improved)
    assert np.array_equal(second.values, first.values)
    assert runs[1] == runs[0]


def test_a_search_that_ends_before_asking_for_the_pass_plan_takes_it_when_cheaper(tmp_path):
    """4 x 3 x 6: at its 1% gap the search proves its own plan at the root before the end of its cut rounds, on a
    plan dearer than the pass's; the pass's is the answer, within the search's bound: never dearer than the search
    after the pass (the route before)."""
    data = generated(tmp_path, Size(4, 3, 6))
    gap, seconds = data.settings.mip_gap, 60.0
    beside_model, after_model = build(data), build(data)
    beside = solve_model(beside_model, gap, seconds, start=first_start(beside_model, data), blocks=mineral_of,
                         search_beside_pass=True)
    after = solve_model(after_model, gap, seconds, start=first_start(after_model, data), blocks=mineral_of)
    assert "the search ended before asking for it, on a dearer plan" in beside.start
    assert beside.status == OPTIMAL and beside.gap <= gap
    assert beside.objective <= after.objective * (1 + 1e-9)
    assert pyo.value(beside_model.objective) == pytest.approx(beside.objective, rel=1e-9)  # the plan loaded is it


def test_a_search_beside_the_pass_of_the_hand_instance_ends_at_the_optimum():
    result = solve_model(two_minerals(), 0.0, 30.0, blocks=mineral, search_beside_pass=True)
    assert result.status == OPTIMAL and result.objective == pytest.approx(7.0)


def test_a_ctrl_c_while_the_search_runs_beside_the_pass_stops_both_and_is_raised_after(tmp_path, monkeypatch,
                                                                                     search_here):
    """Ctrl-C lands as the pass begins, the search already running beside it: the solve's stop notes it, the pass
    (watched by the same stop) and the search return, nothing waits on the other, and the solve raises
    KeyboardInterrupt with the Ctrl-C handler restored."""
    data = generated(tmp_path, Size(3, 3, 6))
    the_pass, noted = fix_and_optimise_module._fix_and_optimise, []

    def interrupted_pass(lp, block_of_column, plan, stop, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # handled in the main thread, at the search's next callback
        for _ in range(10_000):
            if stop.due():
                break
            time.sleep(0.001)
        noted.append(stop.interrupted)
        return the_pass(lp, block_of_column, plan, stop, *args, **kwargs)

    monkeypatch.setattr(fix_and_optimise_module, "_fix_and_optimise", interrupted_pass)
    model = build(data)
    with pytest.raises(KeyboardInterrupt):
        solve_model(model, 0.0, 60.0, start=first_start(model, data), blocks=mineral_of, search_beside_pass=True)
    assert noted == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
