"""Solve stage: hand a built model to HiGHS and say what came back.

This is the one module that knows which Pyomo interface to HiGHS is used: the
persistent highspy interface of ``pyomo.contrib.solver`` (no files on disk).
It never prints; success is judged by the termination condition.
"""

from __future__ import annotations

import math
import time

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

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
                threads: int | None = None, start: dict | None = None) -> SolveResult:
    """Solve ``model`` in place; variable values are loaded when a plan exists.

    ``start`` (variable -> value) is handed to HiGHS as a starting solution: a
    feasible one guarantees a plan even when the time limit stops the search.
    """
    solver = SolverFactory("highs")
    started = time.perf_counter()
    try:
        solver.set_instance(model)  # the hand-over: Pyomo's rows and columns into highspy
        handover = time.perf_counter() - started
        started = time.perf_counter()
        guided_seconds, guided = _lp_guided_start(solver._solver_model, mip_gap, time_limit_s, threads)
        if start and not guided:  # set after the guided start's own runs, which would drop it
            _set_start(solver, start)
        time_left = time_limit_s - guided_seconds
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
        if start and _misvalued(model, results.incumbent_objective):
            # HiGHS (1.16) can value a starting solution wrongly in its presolved space when the model
            # has fixed columns (commitments), then keep that start as "optimal". Caught here: the
            # plan's own objective disagrees with the solver's; solve again without the start.
            time_left = max(1.0, time_limit_s - (time.perf_counter() - started))
            return solve_model(model, mip_gap, time_left, threads, start=None)
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
    return SolveResult(status, termination.name, objective, bound, gap, seconds, message, handover)


def _load_duals(model: pyo.ConcreteModel, results) -> None:
    """A model that declares a ``dual`` Suffix (an LP: models/sensitivity.py) gets every row's dual.

    HiGHS's dual of a row is d objective / d (the row's active bound).
    """
    suffix = model.component("dual")
    if suffix is None:
        return
    for row, value in results.solution_loader.get_duals().items():
        suffix[row] = value


# The LP-guided start pays off on models HiGHS's own root heuristics struggle with;
# small models solve faster without it.
GUIDED_START_MIN_BINARIES = 1000
GUIDED_START_SHARE = 0.25  # of the time limit, at most


def _lp_guided_start(highs: highspy.Highs, mip_gap: float, time_limit_s: float,
                     threads: int | None) -> tuple[float, bool]:
    """Find a good plan fast and hand it to HiGHS as its starting solution; returns the seconds spent
    and whether a plan was handed over.

    Solve the LP relaxation, fix to 0 every binary that is 0 there, and solve that
    much smaller MIP for a share of the time limit (a relaxation-induced
    neighbourhood). Its plan is feasible for the full model, which then starts
    from it with every binary free again: the optimum is unchanged, only found sooner.
    """
    started = time.perf_counter()
    lp = highs.getLp()
    binaries = [j for j, kind in enumerate(lp.integrality_) if kind == highspy.HighsVarType.kInteger]
    if len(binaries) < GUIDED_START_MIN_BINARIES:
        return 0.0, False
    count = len(binaries)
    highs.setOptionValue("output_flag", False)
    if threads:
        highs.setOptionValue("threads", threads)
    highs.changeColsIntegrality(count, binaries, [highspy.HighsVarType.kContinuous] * count)
    highs.setOptionValue("time_limit", GUIDED_START_SHARE * time_limit_s)
    highs.run()
    relaxed = highs.getSolution()
    highs.changeColsIntegrality(count, binaries, [highspy.HighsVarType.kInteger] * count)
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return time.perf_counter() - started, False
    unused = [j for j in binaries if relaxed.col_value[j] < 1e-6]
    lower, upper = [lp.col_lower_[j] for j in unused], [lp.col_upper_[j] for j in unused]
    highs.changeColsBounds(len(unused), unused, [0.0] * len(unused), [0.0] * len(unused))
    budget = GUIDED_START_SHARE * time_limit_s - (time.perf_counter() - started)
    highs.setOptionValue("time_limit", max(budget, 1e-3))
    highs.setOptionValue("mip_rel_gap", max(mip_gap, 1e-3))
    highs.run()
    found = highs.getSolution()
    has_plan = highs.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    highs.changeColsBounds(len(unused), unused, lower, upper)
    if has_plan:
        highs.setSolution(found)
    return time.perf_counter() - started, has_plan


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
