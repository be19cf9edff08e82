"""Solve stage: hand a built model to HiGHS and say what came back.

This is the one module that knows which Pyomo interface to HiGHS is used: the
persistent highspy interface of ``pyomo.contrib.solver`` (no files on disk).
It never prints; success is judged by the termination condition.
"""

from __future__ import annotations

import math
import time

import highspy
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
        if start:
            _set_start(solver, start)
        started = time.perf_counter()
        results = solver.solve(
            model, rel_gap=mip_gap, time_limit=time_limit_s, threads=threads, load_solutions=False,
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


def _set_start(solver, start: dict) -> None:
    highs = solver._solver_model  # the highspy.Highs object behind Pyomo's persistent interface
    column_of = solver._pyomo_var_to_solver_var_map
    values = [0.0] * highs.getNumCol()
    for var, value in start.items():
        column = column_of.get(id(var))
        if column is not None:
            values[column] = float(value)
    solution = highspy.HighsSolution()
    solution.col_value = values
    solution.value_valid = True
    highs.setSolution(solution)


def _relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(1e-9, abs(objective))


def _percent(gap: float | None) -> str:
    return "an unknown distance" if gap is None else f"{100 * gap:.3g}%"
