"""The main search in a child process killed at the deadline (optimizer/solving/killable.py and highs.py).

No test depends on the machine's speed: a HiGHS step that looks at no clock (the feasibility jump, the root's analytic
centre) is stood for by a callback of the child's HiGHS that sleeps an hour; only the kill, or a Ctrl-C, ends it.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import numpy as np
import pyomo.environ as pyo
import pytest

import optimizer.solving.highs as solve_module
import optimizer.solving.killable as killable
from optimizer.contract.results import ERROR, FEASIBLE, OPTIMAL
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.session import build, first_start


@pytest.fixture
def data(tmp_path):
    """A generated workbook (4 minerals x 3 suppliers x 8 periods) asked for gap 0."""
    data, _ = load(write_generated_workbook(tmp_path / "generated.xlsx", Size(4, 3, 8), 0))
    return dataclasses.replace(data, settings=dataclasses.replace(data.settings, mip_gap=0.0))


@pytest.fixture
def forked(monkeypatch) -> list[int]:
    """The process ids of the children the solve forks (every MIP's search here: the model is small, below
    ``KILLABLE_MIN_BINARIES``)."""
    monkeypatch.setattr(solve_module, "KILLABLE_MIN_BINARIES", 0)
    pids, fork = [], os.fork

    def noting() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(killable.os, "fork", noting)
    return pids


def reaped(pids: list[int]) -> bool:
    """Whether none of ``pids`` is a child of this process any more, living or unreaped."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def values(model: pyo.ConcreteModel) -> list[float]:
    return [var.value for var in model.component_data_objects(pyo.Var)]


def test_a_search_held_where_highs_looks_at_no_clock_is_killed_with_the_plan_it_reported(data, monkeypatch, forked):
    """The child's HiGHS reports its first plan (the start it was handed, taken at its set-up) and is then held an
    hour: the solve kills it once past its 1 s limit and answers with that plan, FEASIBLE at the time limit, loaded
    into the model, and leaves no child behind."""
    watch = killable.PlanBuffer.watch

    def watch_then_hold(self, highs):
        watch(self, highs)
        highs.cbMipImprovingSolution += lambda event: time.sleep(3600)

    monkeypatch.setattr(killable.PlanBuffer, "watch", watch_then_hold)
    model = build(data)
    result = solve_module.solve_model(model, 0.0, 1.0, start=first_start(model, data))
    assert result.status == FEASIBLE and result.termination == "maxTimeLimit"
    assert solve_module.KILLED_NOTE in result.message
    assert result.objective == pytest.approx(pyo.value(model.objective), rel=1e-9)
    assert len(forked) == 1 and reaped(forked)


def test_the_search_in_a_child_gives_the_plan_the_search_here_gives(data, monkeypatch, forked):
    """Ended normally, the child's search answers as the same search in this process: the same status, objective
    and plan in the model's variables."""
    there = build(data)
    in_a_child = solve_module.solve_model(there, 0.0, 600.0, start=first_start(there, data))
    monkeypatch.setattr(solve_module, "can_fork", lambda: False)
    here = build(data)
    in_this_process = solve_module.solve_model(here, 0.0, 600.0, start=first_start(here, data))
    assert len(forked) == 1 and reaped(forked) and in_a_child.status == in_this_process.status == OPTIMAL
    assert in_a_child.objective == pytest.approx(in_this_process.objective, rel=1e-12)
    assert values(there) == pytest.approx(values(here), abs=1e-9)


def test_a_search_whose_process_dies_is_the_solvers_fault_not_a_traceback(data, monkeypatch, forked):
    """The child is killed from outside (as the out-of-memory killer would) as its search begins: the solve says the
    solver failed and how, as for a crash of HiGHS in this process."""
    monkeypatch.setattr(killable.PlanBuffer, "watch", lambda self, highs: os.kill(os.getpid(), signal.SIGKILL))
    result = solve_module.solve_model(build(data), 0.0, 60.0)
    assert result.status == ERROR
    assert result.message == "the solver failed: the search's process was ended by signal 9 (SIGKILL)"
    assert len(forked) == 1 and reaped(forked)


@pytest.mark.parametrize("to", ["both", "child"])
def test_a_ctrl_c_during_the_childs_search_stops_the_run_as_a_ctrl_c(data, monkeypatch, forked, to):
    """Ctrl-C as the child's search begins. At a terminal it reaches both processes (``both``: here sent to the
    solve, the child held an hour where HiGHS looks at no clock): the solve kills the child at once. Sent to the
    child alone, its HiGHS stops at its next check and the child says so. Either way the solve raises
    KeyboardInterrupt, as in this process, the Ctrl-C handler restored and no child left behind."""
    def ctrl_c(self, highs):
        if to == "both":
            os.kill(os.getppid(), signal.SIGINT)
            time.sleep(3600)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(killable.PlanBuffer, "watch", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        solve_module.solve_model(build(data), 0.0, 3600.0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert len(forked) == 1 and reaped(forked)


def test_the_buffer_keeps_the_cheapest_whole_plan_and_the_last_bound():
    """Plans of objective 5, 3, then 4 (the model minimises): 3 is kept, with the last bound HiGHS reported."""
    buffer = killable.PlanBuffer(3)
    assert buffer.reported() is None
    buffer.offer(np.array([1.0, 2.0, 3.0]), 5.0, 1.0)
    buffer.offer(np.array([4.0, 5.0, 6.0]), 3.0, 2.0)
    buffer.offer(np.array([7.0, 8.0, 9.0]), 4.0, 2.5)
    assert buffer.reported().values.tolist() == [4.0, 5.0, 6.0] and buffer.reported().bound == 2.0
    buffer.note_bound(2.7)
    assert (buffer.reported().objective, buffer.reported().bound) == (3.0, 2.7)


def test_a_mip_below_the_killable_size_is_searched_in_this_process(data, monkeypatch):
    """This model has fewer integer columns than ``KILLABLE_MIN_BINARIES``: its search runs here, no child forked
    (the steps that look at no clock take milliseconds on it; the fork would cost more)."""
    forks = []
    monkeypatch.setattr(solve_module, "in_child", lambda *args: forks.append(1))
    model = build(data)
    integers = sum(var.is_integer() for var in model.component_data_objects(pyo.Var))
    assert 0 < integers < solve_module.KILLABLE_MIN_BINARIES
    assert solve_module.solve_model(model, 0.0, 600.0).status == OPTIMAL and forks == []
