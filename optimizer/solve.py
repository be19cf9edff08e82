"""Solve stage: hand a built model to HiGHS and say what came back.

This is the one module that knows which Pyomo interface to HiGHS is used: the
persistent highspy interface of ``pyomo.contrib.solver`` (no files on disk).
Its helper optimizer/decompose.py (the block start of large models) works on
the highspy arrays it is handed, never on Pyomo objects. It never prints;
success is judged by the termination condition.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Hashable, Iterator

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.core.base.var import VarData

from optimizer.decompose import BlockStart, block_start, hand_over
from optimizer.plan import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, SolveResult

_INFEASIBLE = {
    TerminationCondition.provenInfeasible,
    TerminationCondition.locallyInfeasible,
    TerminationCondition.infeasibleOrUnbounded,
}
_HAS_PLAN = {SolutionStatus.optimal, SolutionStatus.feasible}
# The model is handed over once with set_instance; nothing changes before the solve.
_NO_UPDATES = {key: False for key in (
    "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
    "check_for_new_objective", "update_constraints", "update_vars", "update_parameters",
    "update_named_expressions", "update_objective")}


def solve_model(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float,
                threads: int | None = None, start: dict | None = None,
                blocks: Callable[[VarData], Hashable | None] | None = None) -> SolveResult:
    """Solve ``model`` in place; variable values are loaded when a plan exists.

    ``start`` (variable -> value) is handed to HiGHS as a starting solution: a
    feasible one guarantees a plan even when the time limit stops the search.
    ``blocks`` (variable -> block name, None for a variable linking blocks; e.g.
    models/blocks.py ``mineral_of``): on large models, a plan assembled from one
    MIP per block (optimizer/decompose.py) starts the search instead, when one is found.
    """
    with _raising_interrupts():
        return _solve(model, mip_gap, time_limit_s, threads, start, blocks)


@contextmanager
def _raising_interrupts() -> Iterator[None]:
    """A Ctrl-C during the solve stops the run as a Ctrl-C (KeyboardInterrupt), never as a failed solve.

    highspy catches KeyboardInterrupt itself to stop HiGHS cleanly, and Pyomo then
    reports the stopped solve as an error: the interrupt is noted here and raised
    once the solver has returned. Only the main thread receives signals.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield  # not the main thread, or Ctrl-C is ignored or left to the system here
        return
    noted: list[int] = []

    def note(number, frame) -> None:
        noted.append(number)
        previous(number, frame)

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        raise KeyboardInterrupt


def _solve(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float, threads: int | None, start: dict | None,
           blocks: Callable[[VarData], Hashable | None] | None) -> SolveResult:
    solver = SolverFactory("highs")
    started = time.perf_counter()
    try:
        solver.set_instance(model)  # the hand-over: Pyomo's rows and columns into highspy
        handover = time.perf_counter() - started
        started = time.perf_counter()
        columns = _columns(solver, model) if blocks else []  # only the block start needs them
        block_plan = _block_start(solver, columns, blocks, mip_gap, time_limit_s, threads) if blocks else None
        if _accepted(block_plan, mip_gap, model, columns):
            # The assembled plan is already within the gap of the LP bound: the full search could only
            # confirm it (after another root LP), so it is the answer.
            return SolveResult(OPTIMAL, TerminationCondition.convergenceCriteriaSatisfied.name,
                               block_plan.objective, block_plan.relaxed_objective, block_plan.gap(),
                               time.perf_counter() - started, "optimal within the gap (the block plan is within "
                               f"{_percent(block_plan.gap())} of the LP relaxation's bound)", handover,
                               block_plan.describe())
        start_note = _hand_over_start(solver, block_plan, start)
        time_left = time_limit_s - (block_plan.seconds if block_plan else 0.0)
        results = solver.solve(
            model, rel_gap=mip_gap, time_limit=max(time_left, 1e-3), threads=threads, load_solutions=False,
            raise_exception_on_nonoptimal_result=False, auto_updates=_NO_UPDATES,
            solver_options={"output_flag": False, "mip_feasibility_tolerance": 1e-7},
        )
    except Exception as exc:  # a solver crash is reported, never raised through the CLI
        return SolveResult(ERROR, "error", seconds=time.perf_counter() - started,
                           message=f"the solver failed: {type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    termination = results.termination_condition
    has_plan = results.solution_status in _HAS_PLAN
    if has_plan:
        results.solution_loader.load_vars()
        _load_duals(model, results)
        if (start or block_plan) and _misvalued(model, results.incumbent_objective):
            # HiGHS (1.16) can value a starting solution wrongly in its presolved space when the model
            # has fixed columns (commitments), then keep that start as "optimal". Caught here: the
            # plan's own objective disagrees with the solver's; solve again without the start.
            time_left = max(1.0, time_limit_s - (time.perf_counter() - started))
            return _solve(model, mip_gap, time_left, threads, None, None)
    objective = results.incumbent_objective
    bound = results.objective_bound
    gap = _relative_gap(objective, bound)
    if termination == TerminationCondition.convergenceCriteriaSatisfied and has_plan:
        status = OPTIMAL
        message = "optimal within the gap"
    elif has_plan:
        status = FEASIBLE
        message = f"the solver stopped ({termination.name}) with a plan {_percent(gap)} from the best bound"
    elif termination in _INFEASIBLE:
        status = INFEASIBLE
        message = "no plan meets every hard limit"
    else:
        status = ERROR
        message = f"the solver stopped ({termination.name}) without a plan"
    return SolveResult(status, termination.name, objective, bound, gap, seconds, message, handover, start_note)


def _hand_over_start(solver, block_plan: BlockStart | None, start: dict | None) -> str:
    """Give HiGHS its starting solution and say which: a complete block plan first, then the caller's
    start (a known feasible plan keeps a plan in hand when the time limit hits), then a partial block
    plan for HiGHS to complete. Set after the block start's own runs, which would drop it."""
    if block_plan is not None and block_plan.values is not None and (block_plan.columns is None or not start):
        hand_over(solver._solver_model, block_plan)
        return block_plan.describe()
    if start:
        _set_start(solver, start)
        return "the given start" + (f"; {block_plan.describe()}" if block_plan else "")
    return block_plan.describe() if block_plan else ""


def _load_duals(model: pyo.ConcreteModel, results) -> None:
    """A model that declares a ``dual`` Suffix (an LP: models/sensitivity.py) gets every row's dual.

    HiGHS's dual of a row is d objective / d (the row's active bound).
    """
    suffix = model.component("dual")
    if suffix is None:
        return
    for row, value in results.solution_loader.get_duals().items():
        suffix[row] = value


# The block start pays off on models HiGHS's own root heuristics struggle with; small models solve
# faster without it (docs/performance.md).
BLOCK_START_MIN_BINARIES = 1000
BLOCK_START_SHARE = 0.7  # of the time limit, at most: the full solve then needs only its root


def _columns(solver, model: pyo.ConcreteModel) -> list[tuple[VarData, int]]:
    """Each variable HiGHS holds, with its column."""
    column_of = solver._pyomo_var_to_solver_var_map
    return [(var, column_of[id(var)]) for var in model.component_data_objects(pyo.Var) if id(var) in column_of]


def _block_start(solver, columns: list[tuple[VarData, int]], blocks: Callable[[VarData], Hashable | None],
                 mip_gap: float, time_limit_s: float, threads: int | None) -> BlockStart | None:
    """A plan assembled from one small MIP per block (optimizer/decompose.py), for large models."""
    highs = solver._solver_model  # the highspy.Highs object behind Pyomo's persistent interface
    if sum(var.is_integer() for var, _ in columns) < BLOCK_START_MIN_BINARIES:
        return None
    labels: dict[Hashable, int] = {}
    block_of_column = np.full(highs.getNumCol(), -1, dtype=np.int64)
    for var, column in columns:
        label = blocks(var)
        if label is not None:
            block_of_column[column] = labels.setdefault(label, len(labels))
    if len(labels) < 2:
        return None
    highs.setOptionValue("output_flag", False)
    workers = threads or _cores()
    return block_start(highs, block_of_column, mip_gap, BLOCK_START_SHARE * time_limit_s, workers)


def _cores() -> int:
    """The cores this process may use (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _accepted(block_plan: BlockStart | None, mip_gap: float, model: pyo.ConcreteModel,
              columns: list[tuple[VarData, int]]) -> bool:
    """Load a complete block plan within ``mip_gap`` of the LP bound into the model's variables."""
    if block_plan is None or block_plan.columns is not None or block_plan.values is None:
        return False
    gap = block_plan.gap()
    if gap is None or gap > mip_gap:
        return False
    for var, column in columns:
        if not var.fixed:
            var.set_value(float(block_plan.values[column]), skip_validation=True)
    return not _misvalued(model, block_plan.objective)  # the model's own objective agrees


def _set_start(solver, start: dict) -> None:
    """A start of every column is handed over whole; a partial one (models/start.py ``_decisions``)
    sparse, and HiGHS completes it by solving the LP with its discrete values fixed."""
    highs = solver._solver_model  # the highspy.Highs object behind Pyomo's persistent interface
    column_of = solver._pyomo_var_to_solver_var_map
    given = {column_of[id(var)]: float(value) for var, value in start.items() if id(var) in column_of}
    if len(given) < highs.getNumCol():
        highs.setSolution(len(given), np.fromiter(given, dtype=np.int32, count=len(given)),
                          np.fromiter(given.values(), dtype=np.float64, count=len(given)))
        return
    values = [0.0] * highs.getNumCol()
    for column, value in given.items():
        values[column] = value
    solution = highspy.HighsSolution()
    solution.col_value = values
    solution.value_valid = True
    highs.setSolution(solution)


def _misvalued(model: pyo.ConcreteModel, reported: float | None) -> bool:
    """Whether the objective of the loaded plan differs from the value the solver reported for it."""
    if reported is None:
        return False
    actual = pyo.value(model.objective)
    return abs(actual - reported) > 1e-6 * max(1.0, abs(actual), abs(reported))


def _relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(1e-9, abs(objective))


def _percent(gap: float | None) -> str:
    return "an unknown distance" if gap is None else f"{100 * gap:.3g}%"
