"""Stopping HiGHS at the time limit and on Ctrl-C (optimizer/solving/stopping.py, optimizer/solving/highs.py).

No test here depends on the machine's speed: the deadlines are read on fake clocks that jump past
them after a given number of looks, and the outcomes are HiGHS's own statuses.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from types import SimpleNamespace

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

import optimizer.solving.highs as solve_module
from models import build_model
from models.blocks import mineral_of
from optimizer.contract.results import ERROR, FEASIBLE
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.decompose import BlockStart
from optimizer.solving.stopping import Stop


def jumping_clock(looks: int, before: float = 0.0, after: float = 1e9):
    """A clock that reads ``before`` for its first ``looks`` readings and ``after`` from then on."""
    readings = [0]

    def clock() -> float:
        readings[0] += 1
        return before if readings[0] <= looks else after
    return clock


def test_a_stop_is_due_at_its_deadline_or_once_interrupted():
    now = [0.0]
    stop = Stop.after(10.0, clock=lambda: now[0])
    assert not stop.due() and stop.remaining() == 10.0
    now[0] = 9.99
    assert not stop.due()
    now[0] = 10.0
    assert stop.due() and stop.remaining() == 0.0
    waiting = Stop()
    assert not waiting.due() and waiting.remaining() == float("inf")
    waiting.check()  # nothing noted: nothing raised
    waiting.interrupt()
    assert waiting.due()
    with pytest.raises(KeyboardInterrupt):
        waiting.check()


def test_a_late_first_plan_stops_two_percent_of_the_limit_after_the_deadline():
    """A 100 s limit: the deadline at 100 s, a late block's first plan's at 102 s (LATE_SHARE 2%)."""
    now = [0.0]
    stop = Stop.after(100.0, clock=lambda: now[0])
    assert stop.deadline == 100.0 and stop.late_deadline == pytest.approx(102.0)
    now[0] = 101.0
    assert stop.due() and not stop.late_due()
    now[0] = 102.0
    assert stop.late_due()
    assert Stop().late_deadline is None and not Stop().late_due()


@pytest.mark.parametrize("now, stopped", [(101.0, False), (102.5, True)])
def test_highs_watched_for_a_late_first_plan_stops_at_the_late_deadline(now, stopped):
    """The knapsack below, its deadline (100 s) passed: watched as a late first plan it runs to its optimum
    at 101 s, within the late deadline (102 s), and is interrupted at once at 102.5 s."""
    highs = knapsack()
    stop = Stop.after(100.0, clock=lambda: 0.0)
    stop.clock = lambda: now
    stop.watch(highs, late=True)
    highs.run()
    expected = highspy.HighsModelStatus.kInterrupt if stopped else highspy.HighsModelStatus.kOptimal
    assert highs.getModelStatus() == expected


def knapsack() -> highspy.Highs:
    """A MIP HiGHS needs some nodes for: 40 items, weights 2i+7 (odd and even mixed), values 3i+10."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    for item in range(40):
        highs.addVar(0, 1)
        highs.changeColCost(item, -(3 * item + 10))
        highs.changeColIntegrality(item, highspy.HighsVarType.kInteger)
    highs.addRow(0, 401.5, 40, list(range(40)), [2 * item + 7 + (item % 3) * 0.37 for item in range(40)])
    return highs


def test_highs_stops_when_the_watched_stop_falls_due():
    """The same MIP: watched by a stop whose clock passes the deadline at its first look, HiGHS returns
    interrupted at once (its own time limit is an hour away); unwatched, it runs to the optimum."""
    watched = knapsack()
    watched.setOptionValue("time_limit", 3600.0)
    Stop(10.0, jumping_clock(0)).watch(watched)
    watched.run()
    assert watched.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    free = knapsack()
    Stop(10.0, jumping_clock(10**9)).watch(free)
    free.run()
    assert free.getModelStatus() == highspy.HighsModelStatus.kOptimal


@pytest.fixture
def model(tmp_path):
    """A generated workbook (6 minerals x 4 suppliers x 12 periods, 2 scenarios) asked for gap 0."""
    data, _ = load(write_generated_workbook(tmp_path / "generated.xlsx", Size(6, 4, 12, 2), 0))
    data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, mip_gap=0.0))
    return build_model(data)


def test_the_solve_ends_at_its_deadline_even_where_highs_would_not_look(model, monkeypatch):
    """The solve's clock jumps an hour ahead after the deadline is set (and a few looks): HiGHS, whose own
    limit is an hour too, is stopped by the watched deadline, and the solve says the time limit stopped it."""
    monkeypatch.setattr(solve_module, "solver_clock", jumping_clock(3, before=0.0, after=7200.0))
    result = solve_module.solve_model(model, 0.0, 3600.0)
    assert result.status in (FEASIBLE, ERROR)
    assert result.termination == "maxTimeLimit"


@pytest.mark.parametrize("complete", [True, False])
def test_a_block_start_ending_past_the_deadline_with_a_complete_plan_leaves_no_search_begun(model, monkeypatch,
                                                                                          search_here,
                                                                                          complete):
    """The block start (every model large enough for it) ends after the deadline, as its late first plans may. With
    a complete plan the search is not begun (begun, HiGHS stopped at its first check, but only after Pyomo's update
    and its own set-up: at L under load 10-15, 1-3 s past the limit): the block plan is the answer, held by the
    model's variables and FEASIBLE at the time limit. A partial plan still goes to the search, which may complete
    it or keep the caller's start. The clock is the test's."""
    now = [0.0]
    monkeypatch.setattr(solve_module, "solver_clock", lambda: now[0])
    monkeypatch.setattr(solve_module, "BLOCK_START_MIN_BINARIES", 0)
    block_start = solve_module.block_start

    def ended(*args, **kwargs):
        start = block_start(*args, **kwargs)
        now[0] = 61.0
        return start if complete else dataclasses.replace(start, values=start.values[:3], columns=np.arange(3))

    monkeypatch.setattr(solve_module, "block_start", ended)
    searched = []
    search = PyomoHighs._solve
    monkeypatch.setattr(PyomoHighs, "_solve", lambda self: searched.append(1) or search(self))
    result = solve_module.solve_model(model, 0.0, 60.0, blocks=mineral_of)
    assert result.termination == "maxTimeLimit" and searched == ([] if complete else [1])
    if complete:
        assert result.status == FEASIBLE and "no time was left for the search" in result.message
        assert result.objective == pytest.approx(pyo.value(model.objective), rel=1e-9)


def test_highs_own_time_limit_is_what_is_left_when_its_run_begins(model, monkeypatch, search_here):
    """A 60 s limit; Pyomo's update before the search takes 50 s on the test's clock: HiGHS's own time limit, counted
    from its run, is the 10 s left then, not the 60 s left before the update (HiGHS stops an LP inside a cut round by
    that limit alone)."""
    now = [0.0]
    monkeypatch.setattr(solve_module, "solver_clock", lambda: now[0])
    update = PyomoHighs.update

    def slow_update(self, *args, **kwargs):
        now[0] += 50.0
        return update(self, *args, **kwargs)

    monkeypatch.setattr(PyomoHighs, "update", slow_update)
    limits = []
    search = PyomoHighs._solve
    monkeypatch.setattr(PyomoHighs, "_solve", lambda self: limits.append(self._active_config.time_limit)
                        or search(self))
    solve_module.solve_model(model, 0.0, 60.0)
    assert limits == [pytest.approx(10.0)]


def test_the_solvers_time_counts_loading_the_searchs_plan(model, monkeypatch):
    """Loading the search's plan into the model's variables and checking it (at L under load 1.5 s after HiGHS
    returned) is the solver's time too: on the module's clock, which loading moves 100 s on, the solve took 100 s
    or more."""
    now = [0.0]
    monkeypatch.setattr(solve_module, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    load_plan = solve_module.load_plan

    def slow_load(*args):
        now[0] += 100.0
        return load_plan(*args)

    monkeypatch.setattr(solve_module, "load_plan", slow_load)
    result = solve_module.solve_model(model, 0.0, 60.0)
    assert result.status == "optimal" and result.seconds >= 100.0


def test_ctrl_c_in_pyomos_set_up_of_the_solver_is_raised_after_it(model, monkeypatch):
    """Ctrl-C lands inside Pyomo's set_instance (the hand-over, before HiGHS runs), where it once escaped
    as a traceback: it is noted, Pyomo's set-up finishes, HiGHS never searches, and the solve raises
    KeyboardInterrupt with the Ctrl-C handler restored."""
    real = PyomoHighs.set_instance
    ran = []

    def set_instance_interrupted(self, pyomo_model):
        os.kill(os.getpid(), signal.SIGINT)
        real(self, pyomo_model)
        ran.append("set-up finished")

    monkeypatch.setattr(PyomoHighs, "set_instance", set_instance_interrupted)
    monkeypatch.setattr(PyomoHighs, "_solve", lambda self: ran.append("searched"))
    with pytest.raises(KeyboardInterrupt):
        solve_module.solve_model(model, 0.0, 60.0)
    assert ran == ["set-up finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_search_stopped_early_keeps_the_block_starts_lp_bound():
    """The model minimises, so the LP relaxation's objective (100) bounds the optimum from below: a search
    stopped before its root LP ended (bound 5, or none) reports 100; a search that proved more (120) keeps
    its own; without a block start the search's bound stands."""
    block_plan = BlockStart(None, None, 100.0, blocks=2, solved=0, seconds=1.0)
    assert solve_module.best_bound(5.0, block_plan) == 100.0
    assert solve_module.best_bound(None, block_plan) == 100.0
    assert solve_module.best_bound(float("-inf"), block_plan) == 100.0
    assert solve_module.best_bound(120.0, block_plan) == 120.0
    assert solve_module.best_bound(5.0, None) == 5.0


@pytest.mark.parametrize("plan, reach", [("partial", "judged"), ("none", "judged"), ("partial", "shrunk")])
def test_a_search_whose_root_lp_is_out_of_reach_stops_before_its_root(model, monkeypatch, search_here, plan, reach):
    """The block start found the search's root LP out of reach in the time left (``search`` False, as at XL), or
    found it within reach but less is left when the search begins than the relaxation took (``root_seconds``, here
    longer than the hour's limit: a block start that ran on under load), and left a partial plan, or none. The search is begun only to take or complete its start: HiGHS stops before its root node
    (no node, no LP iteration), whose analytic centre and feasibility jump look at no clock (at XL under load 15 such a
    search ended 38 s past the limit). With a partial plan the completed plan is the answer, at the time limit; with
    none, whatever start HiGHS holds (here the block MIPs' last). The limit (an hour) is never reached: the outcome is
    HiGHS's own; without the stop before the root the search proves this small model optimal."""
    monkeypatch.setattr(solve_module, "BLOCK_START_MIN_BINARIES", 0)
    block_start = solve_module.block_start

    def out_of_reach(*args, **kwargs):
        start = block_start(*args, **kwargs)
        assert start.values is not None and start.columns is None  # this model's block plan is complete
        binaries = np.flatnonzero(np.asarray(args[0].getLp().integrality_) == highspy.HighsVarType.kInteger)
        kept = {"partial": (start.values[binaries], binaries), "none": (None, None)}[plan]
        reached = {"judged": {"search": False}, "shrunk": {"search": True, "root_seconds": 7200.0}}[reach]
        return dataclasses.replace(start, values=kept[0], columns=kept[1], objective=None, **reached)

    monkeypatch.setattr(solve_module, "block_start", out_of_reach)
    searched = []
    search = PyomoHighs._solve

    def spied(self):
        outcome = search(self)
        info = solve_module.highs_of(self).getInfo()
        searched.append((info.mip_node_count, info.simplex_iteration_count))
        return outcome

    monkeypatch.setattr(PyomoHighs, "_solve", spied)
    result = solve_module.solve_model(model, 0.0, 3600.0, blocks=mineral_of)
    assert searched == [(0, 0)]
    assert result.termination == "maxTimeLimit" and solve_module.ROOTLESS_NOTE in result.message
    if plan == "partial":
        assert result.status == FEASIBLE
        assert result.objective == pytest.approx(pyo.value(model.objective), rel=1e-9)
