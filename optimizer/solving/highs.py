"""Solve stage: hand a built model to HiGHS and say what came back.

This is the one module that knows which Pyomo interface to HiGHS is used: the
persistent highspy interface of ``pyomo.contrib.solver`` (no files on disk).
Its helper optimizer/solving/decompose.py (the block start of large models) works on
the highspy arrays it is handed, never on Pyomo objects. A plan with orders
the solver left half-placed (within its integrality tolerance) is repaired
here, by the rounding of models/repair.py and an LP (or MIP) solve again. It
never prints; success is judged by the termination condition.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import logging
import math
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Hashable, Iterator

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.common.collections import ComponentMap
from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.core.base.var import VarData

from models.start import commitments_only_plan
from models.repair import cut_to_need, fix_binaries, release, round_strays, stray_orders
from models.blocks import mineral_of, minerals_of, twin_of
from optimizer.solving.stopping import Stop
from optimizer.solving.killable import Died, Failed, Finished, PlanBuffer, can_fork, in_child
from optimizer.solving.workers import block_cluster, cores
from optimizer.solving.alike import Alike, SolvedModel, alike_start
from optimizer.solving.block_bound import BLOCKWISE_COLUMNS
from optimizer.solving.decompose import (BlockStart, block_start, blocks_around, hand_over, plan_objective, polish,
                                         set_solution)
from optimizer.solving.fix_and_optimise import SEARCH_OPTIONS as BLOCKWISE_SEARCH_OPTIONS
from optimizer.solving.fix_and_optimise import BlockwisePlan, PassBesideSearch, fix_and_optimise
from optimizer.contract.results import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, SolveResult
from optimizer.files import write_atomically

_INFEASIBLE = {
    TerminationCondition.provenInfeasible,
    TerminationCondition.locallyInfeasible,
    TerminationCondition.infeasibleOrUnbounded,
}
_HAS_PLAN = {SolutionStatus.optimal, SolutionStatus.feasible}
# HiGHS's integrality and row tolerance in a MIP: a binary within it of 0 counts as 0 (models/repair.py).
MIP_FEASIBILITY_TOLERANCE = 1e-7
# The model is handed over once with set_instance; nothing changes before the solve.
_NO_UPDATES = {key: False for key in (
    "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
    "check_for_new_objective", "update_constraints", "update_vars", "update_parameters",
    "update_named_expressions", "update_objective")}


def write_lp(model: pyo.ConcreteModel, path: Path) -> None:
    """Write the built model to ``path`` as a CPLEX LP file, named as in models/ (``order[ga,S1,3]``).

    For a reviewer or another solver (``optimize run --save-lp``). The file is
    written atomically (optimizer/files.py): whole, or not at all.
    """
    import pyomo.environ  # noqa: F401  (registers Pyomo's LP writer: loaded only here, for --save-lp)

    write_atomically(path, lambda temporary: model.write(
        str(temporary), format="lp", io_options={"symbolic_solver_labels": True}))


def highs_of(solver) -> highspy.Highs:
    """The highspy.Highs object behind Pyomo's persistent interface (a private attribute of Pyomo's:
    this function, ``row_of`` and ``column_of`` are the only places that read them)."""
    return solver._solver_model


def row_of(solver) -> dict:
    """Pyomo constraint -> its HiGHS row, for the constraints the persistent interface holds."""
    return solver._pyomo_con_to_solver_con_map


def column_of(solver) -> dict[int, int]:
    """id(Pyomo variable) -> its HiGHS column, for the variables the persistent interface holds."""
    return solver._pyomo_var_to_solver_var_map


def solve_model(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float,
                threads: int | None = None, start: dict | None = None,
                blocks: Callable[[VarData], Hashable | None] | None = None,
                options: dict | None = None, search_beside_pass: bool = False) -> SolveResult:
    """Solve ``model`` in place; variable values are loaded when a plan exists.

    A plan with stray orders (a quantity, its yes/no variable below 0.5: models/repair.py)
    is repaired before it is returned, with its true objective and gap (``repair_plan``).
    ``options``: more HiGHS options for this solve (e.g. ``SMALL_MIP_OPTIONS``).
    ``search_beside_pass``: a MIP too small for the block start (with ``blocks``) runs its search beside its
    fix-and-optimise pass rather than after it, the pass's plan handed over at the end of the search's root
    (optimizer/solving/fix_and_optimise.py ``PassBesideSearch``): for a solve that has both cores to itself
    (the main solve), not for solves already run side by side.
    """
    started = time.perf_counter()
    with _noting_interrupts() as stop:
        result = _solve(model, mip_gap, time_limit_s, threads, start, blocks, options, stop,
                        search_beside_pass=search_beside_pass)
        return _without_strays(model, result, mip_gap, time_limit_s - (time.perf_counter() - started), threads)


_PYOMO_HIGHS_LOG = logging.getLogger("pyomo.contrib.solver.solvers.highs")

# The clock of every solve's deadline (optimizer/solving/stopping.py); a test may set another.
solver_clock = time.perf_counter

class _ColumnsInOneCall(PyomoHighs):
    """Pyomo's persistent HiGHS interface, the columns a batch of rows brings sent to HiGHS in one call.

    Pyomo's ``add_constraints`` finds each row's new variables and hands them to HiGHS row by row (at L,
    56,514 rows: as many ``addVars`` and ``changeColsIntegrality`` calls, each with its numpy arrays); here
    they are kept until the rows go in, then added at once, in the same order, so every variable gets the
    same column and HiGHS the same model. 1.4x faster at L (docs/performance.md, issue 17, target 3)."""

    def __init__(self, stop: Stop | None = None, **options):
        super().__init__(**options)
        self._waiting: list = []  # columns of the rows being added, not yet in HiGHS
        self._gathering = False
        self._stop = stop

    def _reinit(self) -> None:
        stop = self._stop
        super()._reinit()  # Pyomo's set_instance calls __init__ again
        self._stop = stop

    def _solve(self):
        """HiGHS's own ``time_limit`` is what is left of the stop's deadline when its ``run`` begins, after Pyomo's
        update and set-up, not before them: HiGHS counts it from its ``run``, and it is what stops an LP inside a
        cut round, which no interrupt callback reaches (stopping.py)."""
        if self._stop is not None and self._stop.deadline is not None:
            self._active_config.time_limit = max(self._stop.remaining(), 1e-3)
        return super()._solve()

    def add_constraints(self, cons) -> None:
        self._gathering = True
        try:
            super().add_constraints(cons)  # ends with _add_constraints, which sends the columns first
        finally:
            self._gathering = False
            self._waiting = []

    def _add_variables(self, variables) -> None:
        if self._gathering:
            self._waiting.extend(variables)
        else:
            super()._add_variables(variables)

    def _add_constraints(self, cons) -> None:
        if self._waiting:
            waiting, self._waiting = self._waiting, []
            super()._add_variables(waiting)
        super()._add_constraints(cons)

    # Pyomo's update before each run (``solve``) removes what left the model, even with every automatic update off
    # (``_NO_UPDATES``): three removals of nothing, each renumbering every row or column in Python. At L 0.28 s of
    # the 0.6 s a search spent before HiGHS's ``run`` (0.15-0.55 s under load), before HiGHS's own clock started
    # (docs/performance.md, issue 17, target 4, load-values). Nothing removed, nothing is renumbered.
    def _remove_constraints(self, cons) -> None:
        if cons:
            super()._remove_constraints(cons)

    def _remove_variables(self, variables) -> None:
        if variables:
            super()._remove_variables(variables)


def persistent_highs(stop: Stop | None = None) -> PyomoHighs:
    """The persistent HiGHS interface a solve hands its Pyomo model to (``set_instance``); HiGHS's own time limit
    at each run is what is left of ``stop``'s deadline then, when it has one."""
    return _ColumnsInOneCall(stop)


# Pyomo's solver interface redirects the process's output (file descriptors 1 and 2) while HiGHS runs, and
# its model building is not meant for threads: in worker threads, Pyomo's part of a solve takes turns.
PYOMO_TURN = threading.RLock()


def solve_in_worker(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float,
                    options: dict | None = None, start: dict | None = None,
                    blocks: Callable[[VarData], Hashable | None] | None = None,
                    alike: Alike | None = None) -> SolveResult:
    """``solve_model`` for a worker thread (optimizer/solving/workers.py): the hand-over and the read-back
    take their turn (``PYOMO_TURN``), HiGHS runs beside the other workers, single-threaded.

    For small models solved side by side (the why-short re-solves, the scenarios alone): no block start;
    ``start`` (variable -> value) as in ``solve_model``; a plan with stray orders is repaired as there. With
    ``blocks`` (as in ``solve_model``) and a ``start`` of every column that meets every row, the search starts
    from the plan the fix-and-optimise pass finds from it (optimizer/solving/fix_and_optimise.py), without the
    sub-MIPs that pass makes unneeded (``BLOCKWISE_SEARCH_OPTIONS``). With ``alike`` (a scenario alone,
    optimizer/solving/alike.py), the pass may start from ``alike.source``'s plan instead and re-solve only the
    blocks in which the two models differ, and leaves the blocks of ``alike.settled`` (labels of ``blocks``: there the
    start is already the model's own); ``alike.solved`` is set to this model's once solved."""
    started = time.perf_counter()
    with PYOMO_TURN:
        solver = persistent_highs()
        solver.set_instance(model)
        columns = _columns(solver, model)
        given = _complete_start(solver, start) if blocks and start else None
        if start and given is None:
            _set_start(solver, start)
    handover = time.perf_counter() - started
    highs = highs_of(solver)
    found = None
    if given is not None:
        block_of_column, count = _labelled(solver, columns, blocks)
        stop = Stop.after(time_limit_s)
        given, only = alike_start(highs, block_of_column, given, None if alike is None else alike.source, stop)
        if alike is not None and alike.settled:
            settled = {int(block_of_column[column]) for var, column in columns if blocks(var) in alike.settled}
            only = (set(range(count)) if only is None else only) - settled
        found = fix_and_optimise(highs, block_of_column, given, stop, only=only)
        set_solution(highs, given if found is None else found.values)
    time_left = time_limit_s - (time.perf_counter() - started) + handover
    for name, value in {"output_flag": False, "threads": 1, "mip_rel_gap": mip_gap,
                        "time_limit": max(time_left, 1e-3), "mip_feasibility_tolerance": MIP_FEASIBILITY_TOLERANCE,
                        **(BLOCKWISE_SEARCH_OPTIONS if found else {}), **(options or {})}.items():
        highs.setOptionValue(name, value)
    began = time.perf_counter()
    highs.run()
    result = _result_of(highs, time.perf_counter() - began, handover)
    if alike is not None and result.status in (OPTIMAL, FEASIBLE):
        alike.solved = SolvedModel(highs.getLp(), np.asarray(highs.getSolution().col_value))
    with PYOMO_TURN:
        if result.status in (OPTIMAL, FEASIBLE):
            load_plan(columns, highs.getSolution().col_value)
        return _without_strays(model, result, mip_gap, time_limit_s - result.seconds, 1)


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """``logger``'s warnings held back for the block (errors still shown)."""
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _result_of(highs: highspy.Highs, seconds: float, handover: float) -> SolveResult:
    """What HiGHS's own report says of its last run, in the contract's words."""
    status, info = highs.getModelStatus(), highs.getInfo()
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = info.objective_function_value if has_plan else None
    bound = info.mip_dual_bound if highs.getLp().integrality_ else objective
    gap = relative_gap(objective, bound)
    name = highs.modelStatusToString(status)
    if status == highspy.HighsModelStatus.kOptimal and has_plan:
        return SolveResult(OPTIMAL, name, objective, bound, gap, seconds, "optimal within the gap", handover)
    if has_plan:
        return SolveResult(FEASIBLE, name, objective, bound, gap, seconds,
                           f"the solver stopped ({name}) with a plan {_percent(gap)} from the best bound", handover)
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return SolveResult(INFEASIBLE, name, seconds=seconds, message="no plan meets every hard limit",
                           handover_seconds=handover)
    return SolveResult(ERROR, name, seconds=seconds, message=f"the solver stopped ({name}) without a plan",
                       handover_seconds=handover)


def _without_strays(model: pyo.ConcreteModel, result: SolveResult, mip_gap: float, time_left: float,
                    threads: int | None) -> SolveResult:
    """``result``, or its plan repaired (``repair_plan``) when it has stray orders."""
    if result.status not in (OPTIMAL, FEASIBLE) or model.component("IsOrdered") is None:
        return result
    strays = stray_orders(model)
    if not strays:
        return result
    return repair_plan(model, result, strays, mip_gap, time_left, threads)


@contextmanager
def _noting_interrupts() -> Iterator[Stop]:
    """A Ctrl-C during the solve stops the run as a Ctrl-C (KeyboardInterrupt), never as a failed solve
    nor as a traceback.

    While the solve runs, Ctrl-C is only noted on the ``Stop`` this yields (optimizer/solving/stopping.py):
    raised inside Pyomo's set-up of the solver, where it once landed, it could escape as a traceback.
    HiGHS, watching the stop, returns at its next check; the interrupt is raised at the solving code's
    own safe points (``Stop.check``) and once the solver has returned. Only the main thread receives
    signals: elsewhere the stop is never interrupted.
    """
    stop = Stop(clock=solver_clock)
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield stop  # not the main thread, or Ctrl-C is ignored or left to the system here
        return
    solving = [True]

    def on_ctrl_c(number, frame) -> None:
        # noted while this solve runs; should the handler outlive it (solves left out of order), a
        # Ctrl-C is raised as at a terminal rather than noted on a stop nobody watches any more
        if not solving[0]:
            raise KeyboardInterrupt
        stop.interrupt()

    signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield stop
    finally:
        solving[0] = False
        signal.signal(signal.SIGINT, previous)
    stop.check()


def _solve(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float, threads: int | None = None,
           start: dict | None = None, blocks: Callable[[VarData], Hashable | None] | None = None,
           options: dict | None = None, stop: Stop | None = None, search_beside_pass: bool = False) -> SolveResult:
    """One solve of ``model`` as it stands (solve_model without the repair).

    ``start`` (variable -> value) is handed to HiGHS as a starting solution: a
    feasible one guarantees a plan even when the time limit stops the search.
    ``blocks`` (variable -> block name, None for a variable linking blocks; e.g.
    models/blocks.py ``mineral_of``): on large models, a plan assembled from one
    MIP per block (optimizer/solving/decompose.py) starts the search instead, when one is found.
    ``stop`` (optimizer/solving/stopping.py): HiGHS stops at it, a noted Ctrl-C is raised between steps;
    its deadline is set here, ``time_limit_s`` after the hand-over.
    """
    stop = stop or Stop()
    solver = persistent_highs(stop)
    started = time.perf_counter()
    try:
        solver.set_instance(model)  # the hand-over: Pyomo's rows and columns into highspy
        handover = time.perf_counter() - started
        stop.check()
        started = time.perf_counter()
        stop.limit(time_limit_s)  # HiGHS checks its own limit too seldom (stopping.py)
        stop.watch(highs_of(solver))
        columns = _columns(solver, model) if blocks else []  # only the block start needs them
        block_plan = _block_start(solver, columns, blocks, mip_gap, time_limit_s, threads, stop) if blocks else None
        stop.check()
        if _accepted(block_plan, mip_gap, solver, columns):
            # The assembled plan is already within the gap of the LP bound: the full search could only
            # confirm it (after another root LP), so it is the answer.
            return SolveResult(OPTIMAL, TerminationCondition.convergenceCriteriaSatisfied.name,
                               block_plan.objective, block_plan.relaxed_objective, block_plan.gap(),
                               time.perf_counter() - started, "optimal within the gap (the block plan is within "
                               f"{_percent(block_plan.gap())} of {_bound_name(block_plan)})", handover,
                               block_plan.describe())
        if _without_search(block_plan, solver, columns):
            # The search would not end its root LP in the time left (at XL the relaxation alone takes a
            # third of the limit): the block plan, refined with that time instead, is the answer.
            return SolveResult(FEASIBLE, TerminationCondition.maxTimeLimit.name, block_plan.objective,
                               block_plan.relaxed_objective, block_plan.gap(), time.perf_counter() - started,
                               f"the block plan, {_percent(block_plan.gap())} from {_bound_name(block_plan)} (the "
                               "search could not end its root LP in the time left)", handover,
                               block_plan.describe())
        if stop.due() and _complete(block_plan) and _loaded(block_plan, solver, columns):
            return _unsearched(block_plan, started, handover)
        beside = _beside_blocks(solver, columns, blocks, block_plan) if search_beside_pass else None
        found = None if beside is not None else _blockwise_plan(solver, columns, blocks, block_plan, stop)
        start_note = _hand_over_start(solver, block_plan, start, found)
        options = _search_options(columns, blocks, options, found is not None or beside is not None)
        rootless = _root_out_of_reach(block_plan, stop)
        if rootless:
            handed = block_plan.values is not None or bool(start)
            options = {**(options or {}), **(ROOTLESS_SEARCH_OPTIONS if handed else STARTLESS_ROOTLESS_OPTIONS)}
        search = _Search(solver, model, mip_gap, threads, options, beside, stop, start_note)
        if _killable(solver, model, stop):
            searched = _searched_in_child(search, _complete_plans(block_plan, found), stop)
        else:
            searched = search(None)
    except Exception as exc:  # a solver crash is reported, never raised through the CLI
        return SolveResult(ERROR, "error", seconds=time.perf_counter() - started,
                           message=f"the solver failed: {type(exc).__name__}: {exc}")
    stop.check()
    if isinstance(searched, str):  # the child failed or died: the solver's fault, as a crash here would be
        return SolveResult(ERROR, "error", seconds=time.perf_counter() - started,
                           message=f"the solver failed: {searched}")
    termination, has_plan, start_note = searched.termination, searched.plan is not None, searched.start_note
    if termination in (TerminationCondition.interrupted, TerminationCondition.unknown) and stop.due():
        termination = TerminationCondition.maxTimeLimit  # stopped at the deadline (Pyomo: "unknown")
    if rootless and termination == TerminationCondition.iterationLimit:
        termination = TerminationCondition.maxTimeLimit  # stopped before the root the time left could not hold
    if has_plan:
        columns = columns or _columns(solver, model)
        held = load_plan(columns, searched.plan)
        if searched.results is not None:
            _load_duals(model, searched.results)
            _load_ranging(model, solver)
        if (start or block_plan or found or searched.found) and _misvalued(highs_of(solver), held, searched.objective):
            # HiGHS (1.16) can value a starting solution wrongly in its presolved space when the model
            # has fixed columns (commitments), then keep that start as "optimal". Caught here: the
            # plan's own objective disagrees with the solver's; solve again without the start.
            time_left = max(1.0, time_limit_s - (time.perf_counter() - started))
            return _solve(model, mip_gap, time_left, threads, stop=stop)
    objective = searched.objective
    if searched.pass_plan is not None:
        # The search ended before asking for the pass's plan, on a dearer one or none: the pass's is the answer,
        # and the search's bound holds for it as for any plan of the model.
        if _loaded(searched.pass_plan, solver, columns):
            objective, has_plan = searched.pass_plan.objective, True
            start_note = searched.pass_note
        elif has_plan:
            load_plan(columns, searched.plan)  # the search's plan back
    seconds = time.perf_counter() - started  # the plan loaded and checked too: the solver's time (issue 17, target 4)
    bound = best_bound(searched.bound, block_plan)
    gap = relative_gap(objective, bound)
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
    if rootless and status in (FEASIBLE, ERROR):
        message += f" ({ROOTLESS_NOTE})"
    if searched.killed:
        message += f" ({KILLED_NOTE}{'; the plan is the last it reported' if searched.plan is not None else ''})"
    return SolveResult(status, termination.name, objective, bound, gap, seconds, message, handover, start_note)


@dataclasses.dataclass
class Searched:
    """What the search came back with, in this process or from the child that ran it (``_searched_in_child``).

    ``plan``: every column's value (None: no plan); ``objective``, ``bound``: the search's. ``found``: the plan of the
    fix-and-optimise pass beside the search, if it ran one; ``pass_plan`` that plan again when it is the answer
    (``PassBesideSearch.better_than``), ``pass_note`` then the start's words. ``killed``: the child was killed at the
    deadline, ``plan`` the last it reported. ``results``: Pyomo's, for the duals of an LP (only in this process)."""

    termination: TerminationCondition
    plan: np.ndarray | None
    objective: float | None
    bound: float | None
    start_note: str
    found: BlockwisePlan | None = None
    pass_plan: BlockwisePlan | None = None
    pass_note: str = ""
    killed: bool = False
    results: object = None


@dataclasses.dataclass
class _Search:
    """The search of ``_solve``, ready to run (``__call__``) here or in a child: HiGHS from the start it was handed,
    with the fix-and-optimise pass beside it when ``beside`` (each column's block) is given. With a ``PlanBuffer``
    (optimizer/solving/killable.py), each improving plan, the pass's too, is reported there as it comes."""

    solver: PyomoHighs
    model: pyo.ConcreteModel
    mip_gap: float
    threads: int | None
    options: dict | None
    beside: np.ndarray | None
    stop: Stop
    start_note: str

    def __call__(self, buffer: PlanBuffer | None) -> Searched:
        highs = highs_of(self.solver)
        pass_beside = None if self.beside is None else PassBesideSearch(highs, self.beside, self.stop)
        if buffer is not None:
            buffer.watch(highs)
            if pass_beside is not None:
                pass_beside.plan.add_done_callback(lambda done: _offer_pass(buffer, done))
        if pass_beside:
            pass_beside.attach()
        found, start_note = None, self.start_note
        try:
            with _quiet(_PYOMO_HIGHS_LOG):  # a stop at the deadline is "unhandled status kInterrupt" to Pyomo
                results = self.solver.solve(
                    self.model, rel_gap=self.mip_gap, time_limit=max(self.stop.remaining(), 1e-3),
                    threads=self.threads, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                    auto_updates=_NO_UPDATES,
                    solver_options={"output_flag": False, "mip_feasibility_tolerance": MIP_FEASIBILITY_TOLERANCE,
                                    **(self.options or {})},
                )
        finally:
            if pass_beside:
                found = pass_beside.finish()
                start_note = pass_beside.describe(found)
        has_plan = results.solution_status in _HAS_PLAN
        objective = results.incumbent_objective if has_plan else None
        preferred = pass_beside is not None and pass_beside.better_than(found, objective)
        return Searched(results.termination_condition,
                        np.asarray(highs.getSolution().col_value) if has_plan else None, objective,
                        results.objective_bound, start_note, found, found if preferred else None,
                        pass_beside.describe(found, taken=True) if preferred else "", results=results)


def _offer_pass(buffer: PlanBuffer, done) -> None:
    """The pass's plan, once it ends, into the child's buffer: a search killed before it took that plan keeps it."""
    if not done.cancelled() and done.exception() is None and done.result() is not None:
        buffer.offer(done.result().values, done.result().objective)


def _sent(search: _Search, buffer: PlanBuffer) -> Searched:
    """The child's search, as it is sent back: without Pyomo's results (an LP's duals, not forked), and a Ctrl-C the
    child alone received (its HiGHS stopped at it) raised, so that the parent raises it too."""
    searched = search(buffer)
    search.stop.check()
    return dataclasses.replace(searched, results=None)


# Said of a search killed past the deadline (``_searched_in_child``).
KILLED_NOTE = ("the search had not returned past the deadline and was stopped there (some of HiGHS's steps look at no "
               "clock)")
# How long past the deadline a search's child may run before it is killed: this share of the limit, at least
# ``KILL_FLOOR_S``. A search ends a little past the deadline on its own (HiGHS's next look at its limits, then Pyomo's
# results and the plan sent back: at L under load 22 HiGHS returned 1.11 s past it, and a kill at 2% of the limit,
# 1.2 s, came before its plan was sent); the plan is loaded and checked after it (0.4-0.8 s at L under load), within
# the 5% the solver may take past the limit (issue 17, target 4). The floor is for short limits: a search begun at or
# past the deadline must still take, or complete, the start it was handed (docs/performance.md, killable-search).
KILL_SHARE = 0.03
KILL_FLOOR_S = 1.0
# The smallest MIP whose search runs in a child: the models the block start takes (``BLOCK_START_MIN_BINARIES``).
# Below it the steps that look at no clock take milliseconds, and the fork costs more (the example: 21 ms a search;
# the suite's many small solves: 245 s to 332 s wall, 11 s to 48 s of system CPU, when every MIP forked).
KILLABLE_MIN_BINARIES = 1000


def _killable(solver, model: pyo.ConcreteModel, stop: Stop) -> bool:
    """Whether the search runs in a child killed at the deadline (optimizer/solving/killable.py): a MIP of at least
    ``KILLABLE_MIN_BINARIES`` integer columns (an LP's simplex and interior point look at the clock: ``Stop.watch``)
    under a deadline, from the main thread of a platform that forks, and no ``dual`` Suffix to fill (its duals are
    Pyomo's, from the process that searched)."""
    if stop.deadline is None or model.component("dual") is not None or not can_fork():
        return False
    return int(np.count_nonzero(np.asarray(highs_of(solver).getLp().integrality_))) >= KILLABLE_MIN_BINARIES


def _complete_plans(block_plan: BlockStart | None, found: BlockwisePlan | None) -> list[tuple[np.ndarray, float]]:
    """The plans of every column the search is handed that meet every row (a complete block plan, the pass's): the
    answer should the search be killed before it reported one."""
    plans = [(found.values, found.objective)] if found is not None else []
    if _complete(block_plan) and block_plan.objective is not None:
        plans.append((block_plan.values, block_plan.objective))
    return plans


def _searched_in_child(search: _Search, handed: list[tuple[np.ndarray, float]], stop: Stop) -> Searched | str:
    """``search`` run in a forked child (optimizer/solving/killable.py), killed once past the deadline by ``KILL_SHARE``
    of the limit, at least ``KILL_FLOOR_S``: what it came back with, or killed, the last plan it reported (else the
    cheapest of ``handed``), or the fault in words when it failed or died."""
    buffer = PlanBuffer(highs_of(search.solver).getNumCol())
    for values, objective in handed:
        buffer.offer(values, objective)
    kill_after = stop.deadline + max(KILL_SHARE * stop.seconds, KILL_FLOOR_S) - stop.clock()
    came = in_child(lambda into: _sent(search, into), buffer, max(kill_after, 0.0), lambda: stop.interrupted)
    if isinstance(came, Finished):
        return came.outcome
    if isinstance(came, Failed):
        if came.interrupt:
            raise KeyboardInterrupt
        return f"{came.kind}: {came.text}"
    if isinstance(came, Died):
        return came.how
    plan = came.plan
    return Searched(TerminationCondition.maxTimeLimit, None if plan is None else plan.values,
                    None if plan is None else plan.objective, None if plan is None else plan.bound,
                    search.start_note, killed=True)


# Said of a search stopped before its root node (``ROOTLESS_SEARCH_OPTIONS``).
ROOTLESS_NOTE = "the search could not end its root LP in the time left: HiGHS only took or completed its start"


def _root_out_of_reach(block_plan: BlockStart | None, stop: Stop) -> bool:
    """Whether the search after ``block_plan`` is to stop before its root node (``ROOTLESS_SEARCH_OPTIONS``): the
    block start found the root LP out of reach in the time left (``BlockStart.search`` False; at XL, always), and the
    search is begun all the same only for a plan the block start cannot answer with alone: partial, none, or
    complete without a bound (``_without_search``); or it found it within reach, but the block start ran on (under
    load) and less is left now than the relaxation took (``BlockStart.root_seconds``)."""
    if block_plan is None:
        return False
    shrunk = block_plan.root_seconds is not None and stop.remaining() < block_plan.root_seconds
    return not block_plan.search or shrunk


def _complete(block_plan: BlockStart | None) -> bool:
    """Whether the block start gave a plan of every column."""
    return block_plan is not None and block_plan.columns is None and block_plan.values is not None


def _unsearched(block_plan: BlockStart, started: float, handover: float) -> SolveResult:
    """The answer when the block start ended at the deadline (its late first plans run past it) with a complete
    plan, loaded into the model's variables: the search is not begun. Begun with no time left, HiGHS stopped at
    its first check, but only after Pyomo's update and its own set-up (at L under load 10-15, 1-3 s past the
    limit), to return the plan it was handed. A partial block plan, or none, still goes to the search: there
    HiGHS may complete it, or keep the caller's start, in that time (before its root node, where the block start
    found that out of reach: ``ROOTLESS_SEARCH_OPTIONS``)."""
    return SolveResult(FEASIBLE, TerminationCondition.maxTimeLimit.name, block_plan.objective,
                       block_plan.relaxed_objective, block_plan.gap(), time.perf_counter() - started,
                       f"the block plan, {_percent(block_plan.gap())} from {_bound_name(block_plan)} (no time was "
                       "left for the search)", handover, block_plan.describe())


def _bound_name(block_plan: BlockStart) -> str:
    """What the block plan's bound is, in words."""
    if block_plan.blockwise_bound:
        return "the blocks' Lagrangian bound (each block's own LP, priced)"
    return "the LP relaxation's bound"


def best_bound(bound: float | None, block_plan: BlockStart | None) -> float | None:
    """The search's bound, or the block start's LP bound when that is higher (the model minimises): a search
    stopped at the time limit before its root LP ends has only a trivial bound of its own."""
    relaxed = block_plan.relaxed_objective if block_plan is not None else None
    if relaxed is None:
        return bound
    return relaxed if bound is None or not math.isfinite(bound) or relaxed > bound else bound


def repair_plan(model: pyo.ConcreteModel, result: SolveResult, strays: list, mip_gap: float, time_left: float,
                threads: int | None) -> SolveResult:
    """Round the stray orders (placed or dropped), re-solve the LP with every binary fixed; if that LP has
    no plan, solve the MIP again with the strays' big-M cut to their need (and drop any stray left).

    The plan keeps the first solve's bound, valid for the true problem, so its gap is honest.
    """
    started = time.perf_counter()
    data = model.facts.data
    placed, dropped = round_strays(model, data, strays)
    note = (f"{len(strays)} order(s) came back with a quantity but a yes/no variable below 0.5 "
            f"({_slots(strays)}): {len(placed)} placed, {len(dropped)} dropped, the LP solved with every "
            "yes/no variable fixed")
    repaired = _solve_fixed(model, time_left, threads)
    if repaired.status != OPTIMAL:
        cut_to_need(model, data, strays)
        repaired = _solve(model, mip_gap, max(1.0, time_left - (time.perf_counter() - started)), threads)
        note += "; that LP had no plan, so the MIP was solved again with their bounds cut to their need"
        left = stray_orders(model) if repaired.status in (OPTIMAL, FEASIBLE) else []
        if left:
            round_strays(model, data, left, drop_all=True)
            repaired = _solve_fixed(model, max(1.0, time_left - (time.perf_counter() - started)), threads)
    seconds = result.seconds + time.perf_counter() - started
    if repaired.status not in (OPTIMAL, FEASIBLE):
        return SolveResult(ERROR, repaired.termination, seconds=seconds, handover_seconds=result.handover_seconds,
                           message=f"{note}; no repaired plan was found: {repaired.message}")
    objective = pyo.value(model.objective)
    gap = relative_gap(objective, result.bound)
    status = OPTIMAL if gap is not None and gap <= max(mip_gap, 1e-7) else FEASIBLE
    message = "optimal within the gap" if status == OPTIMAL else f"a plan {_percent(gap)} from the best bound"
    return SolveResult(status, result.termination, objective, result.bound, gap, seconds,
                       f"{message} ({note})", result.handover_seconds, result.start)


def _solve_fixed(model: pyo.ConcreteModel, time_limit_s: float, threads: int | None) -> SolveResult:
    """The LP of ``model`` with every binary fixed at its rounded value (released afterwards)."""
    fixed = fix_binaries(model)
    try:
        return _solve(model, 0.0, max(1.0, time_limit_s), threads)
    finally:
        release(fixed)


def _slots(slots: list) -> str:
    shown = ", ".join(f"{s} {m} period {t}" for s, m, t in slots[:3])
    return shown + (f" and {len(slots) - 3} more" if len(slots) > 3 else "")


# Summary solver_start of a solve started from the caller's plan (the main solve's: models/start.py).
GIVEN_START = "a start plan handed to HiGHS (the commitments alone, or on a re-plan the previous plan)"


def _hand_over_start(solver, block_plan: BlockStart | None, start: dict | None,
                     found: BlockwisePlan | None = None) -> str:
    """Give HiGHS its starting solution and say which: the fix-and-optimise plan of a small model, a complete
    block plan, then the caller's start (a known feasible plan keeps a plan in hand when the time limit hits),
    then a partial block plan for HiGHS to complete. Set after the block start's own runs, which would drop it."""
    if found is not None:
        set_solution(highs_of(solver), found.values)
        return found.describe()
    if block_plan is not None and block_plan.values is not None and (block_plan.columns is None or not start):
        hand_over(highs_of(solver), block_plan)
        return block_plan.describe()
    if start:
        _set_start(solver, start)
        return GIVEN_START + (f"; {block_plan.describe()}" if block_plan else "")
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


def _load_ranging(model: pyo.ConcreteModel, solver) -> None:
    """An LP with a ``dual`` Suffix also gets HiGHS's ranging of its row bounds: ``model.bound_range[row]``
    = (lowest, highest) value the row's bound (as HiGHS holds it: the constant moved across) may take
    before the optimal basis changes, i.e. while its dual holds. Nothing when HiGHS has no ranging."""
    if model.component("dual") is None:
        return
    status, ranging = highs_of(solver).getRanging()
    if status != highspy.HighsStatus.kOk:
        return
    down, up = ranging.row_bound_dn.value_, ranging.row_bound_up.value_
    model.bound_range = {row: (down[index], up[index]) for row, index in row_of(solver).items()}


# Small MIPs (a why-short re-solve of one mineral, a few hundred columns) are proven at the root; HiGHS's
# RINS and RENS sub-MIPs took 60-70% of their time and found nothing the root did not: the shipped
# example's 148 re-solves, 40 s to 14-18 s of HiGHS time, every objective the same (docs/performance.md).
# Also each scenario alone (WS) of a model below BLOCK_START_MIN_BINARIES (session.costs_alone): the example's
# five, 32 s to 18 s of CPU, each within the 0.1% gap (docs/performance.md).
SMALL_MIP_OPTIONS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}

# The search of a model too small for the block start (BLOCK_START_MIN_BINARIES): HiGHS's restart (presolve
# again once the root has fixed columns, then a new root) cost more than it saved on the shipped example's main
# solve: 0.6-0.7x its CPU, the plan within the same 0.1% gap (docs/performance.md, example-5s).
SMALL_SEARCH_OPTIONS = {"mip_allow_restart": False}

# The search after a block start that found its root LP out of reach in the time left (``BlockStart.search`` False)
# with no complete plan: HiGHS stops at its first look at its limits (no node is ever reached), after taking, or
# completing, the start it was handed, before its feasibility jump and its root node. Neither looks at a clock: the
# feasibility jump runs to an effort limit (20 s at XL under load 15), and the root node's analytic centre, an
# interior-point solve of the whole model on HiGHS's second thread with no time limit of its own, is waited for when
# the root LP stops at the time limit. Begun with 66 s left at XL under load 15, that search returned 38 s after the
# deadline, past HiGHS's own time_limit too, without a plan (docs/performance.md, search-stop).
ROOTLESS_SEARCH_OPTIONS = {"mip_max_nodes": 0}
# ... and when it was handed no start (no block plan, no caller's start), presolve off too: it has nothing to complete
# (completing a partial start solves the model with the start's discrete values fixed, which presolve shrinks to what
# is left), only a plan HiGHS may still hold to check, and XL's presolve took 40-45 s under load 17-22.
STARTLESS_ROOTLESS_OPTIONS = {**ROOTLESS_SEARCH_OPTIONS, "presolve": "off"}

# The block start pays off on models HiGHS's own root heuristics struggle with; small models solve
# faster without it (docs/performance.md).
BLOCK_START_MIN_BINARIES = 1000
BLOCK_START_SHARE = 0.7  # of the time limit, at most: the full solve then needs only its root


def _columns(solver, model: pyo.ConcreteModel) -> list[tuple[VarData, int]]:
    """Each variable HiGHS holds, with its column (made without the collector: ``_uncollected``)."""
    columns = column_of(solver)
    with _uncollected():
        return [(var, columns[id(var)]) for var in model.component_data_objects(pyo.Var) if id(var) in columns]


@contextmanager
def _uncollected() -> Iterator[None]:
    """Python's cyclic garbage collector held off for the block (then as it was), for the block start's set-up: its
    walks of every column make hundreds of thousands of objects, each a reason for a collection, none of them garbage
    while they are used (the columns, the commitments-only plan). A collection they set off scans every object of
    the process, the model's millions: at XL, 0.42-0.47 s quiet and 2.7-6.0 s under load of the set-up's 1.2 and 7-15 s
    (docs/performance.md, setup-passes). What the walks leave behind is counted afterwards as usual; the plan they
    drop is freed by its reference count, never scanned."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _binaries(columns: list[tuple[VarData, int]], enough: int = BLOCK_START_MIN_BINARIES) -> int:
    """The integer variables among ``columns``, counted up to ``enough`` (all that is asked of it is whether a model
    has fewer than ``BLOCK_START_MIN_BINARIES``): at XL the first 1,000 are found among the first columns, and the
    other 208,000 are not looked at."""
    integers = (1 for var, _ in columns if var.is_integer())
    return sum(1 for _ in itertools.islice(integers, enough))


def _search_options(columns: list[tuple[VarData, int]], blocks: Callable[[VarData], Hashable | None] | None,
                    options: dict | None, found: bool = False) -> dict | None:
    """The HiGHS options of the search: ``SMALL_SEARCH_OPTIONS`` (and ``BLOCKWISE_SEARCH_OPTIONS`` when it starts
    from the plan the fix-and-optimise pass ``found``) under the caller's ``options`` for a search that would take
    the block start (``blocks`` given; ``columns``, the model's) on a MIP too small for it, else ``options``."""
    if not _small_blocked(columns, blocks):
        return options
    return {**SMALL_SEARCH_OPTIONS, **(BLOCKWISE_SEARCH_OPTIONS if found else {}), **(options or {})}


def _small_blocked(columns: list[tuple[VarData, int]], blocks: Callable[[VarData], Hashable | None] | None) -> bool:
    """Whether a solve that would take the block start (``blocks`` given) has a MIP too small for it."""
    return blocks is not None and 0 < _binaries(columns) < BLOCK_START_MIN_BINARIES


def _beside_blocks(solver, columns: list[tuple[VarData, int]], blocks: Callable[[VarData], Hashable | None] | None,
                   block_plan: BlockStart | None) -> np.ndarray | None:
    """For a MIP too small for the block start (``_small_blocked``) of two blocks or more: each column's block, for
    the fix-and-optimise pass begun beside the search (optimizer/solving/fix_and_optimise.py ``PassBesideSearch``,
    with the search: ``_Search``); else None."""
    if block_plan is not None or not _small_blocked(columns, blocks):
        return None
    block_of_column, count = _labelled(solver, columns, blocks)
    return block_of_column if count >= 2 else None


def _blockwise_plan(solver, columns: list[tuple[VarData, int]], blocks: Callable[[VarData], Hashable | None] | None,
                    block_plan: BlockStart | None, stop: Stop) -> BlockwisePlan | None:
    """For a MIP too small for the block start (``_small_blocked``): the plan the fix-and-optimise pass finds
    from HiGHS's first plan (optimizer/solving/fix_and_optimise.py), the search's start; else None."""
    if block_plan is not None or not _small_blocked(columns, blocks):
        return None
    labelled = _labelled(solver, columns, blocks)
    return fix_and_optimise(highs_of(solver), labelled[0], stop=stop) if labelled[1] >= 2 else None


def _block_start(solver, columns: list[tuple[VarData, int]], blocks: Callable[[VarData], Hashable | None],
                 mip_gap: float, time_limit_s: float, threads: int | None, stop: Stop) -> BlockStart | None:
    """A plan assembled from one small MIP per block (optimizer/solving/decompose.py), for large models; on the
    Dask cluster of ``blocks_on_cluster`` (optimizer/solving/workers.py) when the run names one. From
    ``BLOCKWISE_COLUMNS`` columns, each block whose MIP finds no plan in its time falls back to its part of the
    commitments-only plan (``_fallback_of``) where that meets the block's rows. Every column's facts come from one
    walk of the model's variables (``_column_facts``)."""
    facts = _block_facts(solver, columns, blocks)
    if facts is None:
        return None
    with _uncollected():
        twin_of_column, fallback = _twin_of_column(solver, columns), _fallback_of(solver, columns, facts.fixed)
    assembled = block_start(highs_of(solver), facts.block_of_column, mip_gap, BLOCK_START_SHARE * time_limit_s,
                            threads or cores(), stop, cluster=block_cluster(), twin_of_column=twin_of_column,
                            whole_s=time_limit_s, fallback=fallback,
                            release=facts.release if facts.release.any() else None)
    # The blocks planned at the relaxation's split of conversions, funding and sale revenue: re-optimise those
    # jointly with the blocks' yes/no choices fixed, so the plan is compared with the gap, and the search
    # starts, from the best plan those choices allow (docs/performance.md, "Polishing the block plan").
    return polish(highs_of(solver), assembled, stop)


def _fallback_of(solver, columns: list[tuple[VarData, int]], fixed: np.ndarray) -> np.ndarray | None:
    """The commitments-only plan (models/start.py ``commitments_only_plan``: commitments that break their mineral's
    share or risk cap diluted by orders from its other offers, models/dilution.py) as a value of each column (a fixed
    variable's own value where the plan leaves it out: ``fixed``, NaN elsewhere, as ``_column_facts`` gives it; NaN
    where neither gives one), on a model of at least ``BLOCKWISE_COLUMNS`` columns (the blockwise route of
    decompose.py, the only one that takes it); else None, also for a model with recourse (no ``facts`` of its own:
    its scenarios' copies have theirs, and their commitments-only plans are not assembled into one; its blocks
    without a plan stay without). The plan's values go to their columns through HiGHS's own map of them, not by
    looking each column's variable up in the plan twice (``var in start``, ``start[var]``: docs/performance.md,
    setup-passes)."""
    if highs_of(solver).getNumCol() < BLOCKWISE_COLUMNS or not columns:
        return None
    model = columns[0][0].model()
    if not hasattr(model, "facts"):
        return None
    start = commitments_only_plan(model, model.facts.data)
    if not start:
        return None
    column = column_of(solver)
    fallback = np.array(fixed, dtype=np.float64)
    for var, value in start.items():
        j = column.get(id(var))
        if j is not None:
            fallback[j] = value
    return fallback


def _twin_of_column(solver, columns: list[tuple[VarData, int]]) -> np.ndarray | None:
    """Each column's twin in the block start (models/blocks.py ``twin_of``: a column of its block whose value it
    takes; -1 none), or None when no column has one (a model without recourse)."""
    if not columns or getattr(columns[0][0].model(), "block_twins", None) is None:
        return None
    column = column_of(solver)
    twin_of_column = np.full(highs_of(solver).getNumCol(), -1, dtype=np.int64)
    for var, j in columns:
        twin = twin_of(var)
        if twin is not None and id(twin) in column:
            twin_of_column[j] = column[id(twin)]
    return twin_of_column if np.any(twin_of_column >= 0) else None


@dataclasses.dataclass(frozen=True)
class _ColumnFacts:
    """What the block start reads of each column HiGHS holds, from one walk of the model's variables
    (``_column_facts``)."""

    block_of_column: np.ndarray  # each column's block (0, 1, ...; -1 a linking column)
    blocks: int  # how many blocks there are
    # whether the column is one of serve_first's release binaries w (models/release.py Release, in every scenario's
    # copy), which the blockwise block start relaxes, then repairs (optimizer/solving/serve_first.py)
    release: np.ndarray
    fixed: np.ndarray  # a fixed variable's own value in its column, NaN in every other


def _column_facts(solver, columns: list[tuple[VarData, int]],
                  blocks: Callable[[VarData], Hashable | None]) -> _ColumnFacts:
    """Each column's facts (``_ColumnFacts``) in one walk of the model's variables, component by component, in the
    order of ``columns`` (``_columns``; the blocks numbered in the order they first appear there). Under
    ``mineral_of`` each component's minerals are read from its index at once (models/blocks.py ``minerals_of``),
    any other ``blocks`` is asked variable by variable. One walk per fact, each variable looked up again in each,
    took 0.6-2 s a walk at XL under load (docs/performance.md, setup-passes)."""
    count = highs_of(solver).getNumCol()
    block_of_column = np.full(count, -1, dtype=np.int64)
    release = np.zeros(count, dtype=bool)
    fixed = np.full(count, np.nan)
    labels: dict[Hashable, int] = {}
    if not columns:
        return _ColumnFacts(block_of_column, 0, release, fixed)
    column = column_of(solver)
    for component in columns[0][0].model().component_objects(pyo.Var, descend_into=True):
        variables = list(component.values())
        held = [column.get(id(var), -1) for var in variables]
        named = minerals_of(component) if blocks is mineral_of else [blocks(var) for var in variables]
        for var, j, label in zip(variables, held, named):
            if j < 0:
                continue
            if label is not None:
                block_of_column[j] = labels.setdefault(label, len(labels))
            if var.fixed and var.value is not None:
                fixed[j] = var.value
        if component.local_name == "Release":
            release[[j for j in held if j >= 0]] = True
    return _ColumnFacts(block_of_column, len(labels), release, fixed)


def _labelled(solver, columns: list[tuple[VarData, int]],
              blocks: Callable[[VarData], Hashable | None]) -> tuple[np.ndarray, int]:
    """Each column's block (0, 1, ...; -1 a linking column) and how many blocks there are."""
    facts = _column_facts(solver, columns, blocks)
    return facts.block_of_column, facts.blocks


def _block_facts(solver, columns: list[tuple[VarData, int]],
                 blocks: Callable[[VarData], Hashable | None]) -> _ColumnFacts | None:
    """Each column's facts (``_column_facts``, walked without the collector: ``_uncollected``), on a large model of
    two blocks or more, the models solved block by block (the block start, the stability pass's blocks), HiGHS's log
    then off; else None: HiGHS is quicker on the whole."""
    if _binaries(columns) < BLOCK_START_MIN_BINARIES:
        return None
    with _uncollected():
        facts = _column_facts(solver, columns, blocks)
    if facts.blocks < 2:
        return None
    highs_of(solver).setOptionValue("output_flag", False)
    return facts


def solve_around(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float, start: dict,
                 blocks: Callable[[VarData], Hashable | None], threads: int | None = None) -> SolveResult:
    """Solve ``model`` from ``start``, a complete plan that meets every constraint (the stability pass).

    Where the block start plans per block (a large model), each block is first solved on its own around
    ``start`` (optimizer/solving/decompose.py ``blocks_around``, in at most BLOCK_START_SHARE of the time): a
    plan that meets every constraint whatever the time, as the block start's is. The whole model then
    starts from it in the time left, and can only improve on it (it moves funding between blocks,
    which the blocks alone cannot). ``status`` is OPTIMAL when the last solve that ran finished within
    ``mip_gap``; ``bound`` is None after the blocks alone. Otherwise the whole model from ``start``.
    """
    if sum(var.is_integer() for var in model.component_data_objects(pyo.Var)) < BLOCK_START_MIN_BINARIES:
        return solve_model(model, mip_gap, time_limit_s, threads, start)
    started = time.perf_counter()
    by_blocks = _solve_blocks_around(model, mip_gap, BLOCK_START_SHARE * time_limit_s, start, blocks, threads)
    if by_blocks is None:  # one block: the whole model
        return solve_model(model, mip_gap, time_limit_s, threads, start)
    time_left = time_limit_s - (time.perf_counter() - started)
    if by_blocks.status == ERROR or time_left <= 0:
        return _without_strays(model, by_blocks, mip_gap, time_left, threads)
    values = ComponentMap((var, var.value) for var in model.component_data_objects(pyo.Var) if var.value is not None)
    whole = solve_model(model, mip_gap, time_left, threads, values)
    seconds = time.perf_counter() - started
    if whole.status not in (OPTIMAL, FEASIBLE) or whole.objective > by_blocks.objective:
        for var, value in values.items():  # the blocks' plan stands
            var.set_value(value, skip_validation=True)
        return _without_strays(model, dataclasses.replace(
            by_blocks, seconds=seconds, message=f"{by_blocks.message}; the whole model from it found nothing "
            f"better ({whole.message})"), mip_gap, time_limit_s - seconds, threads)
    return dataclasses.replace(whole, seconds=seconds, handover_seconds=by_blocks.handover_seconds
                               + whole.handover_seconds, message=f"{by_blocks.message}, then the whole model "
                               f"from their plan: {whole.message}")


def _solve_blocks_around(model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float, start: dict,
                         blocks: Callable[[VarData], Hashable | None], threads: int | None) -> SolveResult | None:
    """Each block solved around ``start``, the plan they combine into loaded into ``model``: OPTIMAL when
    every block was solved within ``mip_gap``, FEASIBLE when a block was stopped by the time limit (it
    keeps its best plan, at worst its part of ``start``). None on a model of one block."""
    solver = persistent_highs()
    started = time.perf_counter()
    try:
        solver.set_instance(model)
        handover = time.perf_counter() - started
        started = time.perf_counter()
        columns = _columns(solver, model)
        facts = _block_facts(solver, columns, blocks)
        if facts is None:
            return None
        block_of_column = facts.block_of_column
        plan = np.zeros(len(block_of_column))
        for var, column in columns:
            plan[column] = start[var] if var in start else (var.value or 0.0)
        result = blocks_around(highs_of(solver), block_of_column, plan, mip_gap, time_limit_s,
                               threads or cores(), cluster=block_cluster())
    except Exception as exc:  # a solver crash is reported, never raised through the CLI
        return SolveResult(ERROR, "error", seconds=time.perf_counter() - started,
                           message=f"the solver failed: {type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    if result.values is None:
        return SolveResult(ERROR, "error", seconds=seconds, handover_seconds=handover,
                           message="the blocks' plans did not combine into one that meets every limit")
    load_plan(columns, result.values)
    every = result.solved == result.blocks
    return SolveResult(OPTIMAL if every else FEASIBLE, "blocks", pyo.value(model.objective), None, None, seconds,
                       f"{result.solved} of {result.blocks} blocks solved within the gap", handover)


def _accepted(block_plan: BlockStart | None, mip_gap: float, solver, columns: list[tuple[VarData, int]]) -> bool:
    """Load a complete block plan within ``mip_gap`` of the LP bound into the model's variables."""
    if block_plan is None or block_plan.columns is not None or block_plan.values is None:
        return False
    gap = block_plan.gap()
    if gap is None or gap > mip_gap:
        return False
    return _loaded(block_plan, solver, columns)


def _without_search(block_plan: BlockStart | None, solver, columns: list[tuple[VarData, int]]) -> bool:
    """Load a complete block plan into the model's variables when the search after it is not worth starting
    (``BlockStart.search``). Not without an LP bound (shares from each block's own relaxation): the answer
    must say how far it is from one."""
    if block_plan is None or block_plan.search or block_plan.columns is not None or block_plan.values is None:
        return False
    if block_plan.gap() is None:
        return False
    return _loaded(block_plan, solver, columns)


def _loaded(plan: BlockStart | BlockwisePlan, solver, columns: list[tuple[VarData, int]]) -> bool:
    """Load a complete ``plan`` (every column's value: a complete block plan, or the fix-and-optimise pass's) into
    the model's variables (``columns``, as ``solver`` holds them); whether the model's objective agrees with the
    plan's."""
    return not _misvalued(highs_of(solver), load_plan(columns, plan.values), plan.objective)


def load_plan(columns: list[tuple[VarData, int]], values) -> np.ndarray:
    """Set each variable of ``columns`` (variable, column) that is not fixed to its column's value in ``values``
    (every column's); return the values the model now holds, column by column (a fixed variable keeps its own).

    One pass: the columns gathered from a numpy array at once, each variable set without validation (the values are
    HiGHS's, within its bounds). Loading the plan at XL under load took 4.7 s of the solver's time, three quarters
    of it the model's objective evaluated term by term in Pyomo to check it (``_misvalued`` now values the held
    plan with HiGHS's copy of that objective; docs/performance.md, issue 17, target 4, load-values)."""
    held = np.array(values, dtype=np.float64)
    free, free_columns = [], []
    for var, column in columns:
        if var.fixed:
            held[column] = var.value
        else:
            free.append(var)
            free_columns.append(column)
    for var, value in zip(free, held[free_columns].tolist()):
        var.set_value(value, skip_validation=True)
    return held


def _complete_start(solver, start: dict) -> np.ndarray | None:
    """``start`` as a value of every column HiGHS holds, or None when it leaves a column out."""
    highs, columns = highs_of(solver), column_of(solver)
    values = np.full(highs.getNumCol(), np.nan)
    for var, value in start.items():
        if id(var) in columns:
            values[columns[id(var)]] = float(value)
    return None if np.isnan(values).any() else values


def _set_start(solver, start: dict) -> None:
    """A start of every column is handed over whole; a partial one (models/start.py ``_decisions``)
    sparse, and HiGHS completes it by solving the LP with its discrete values fixed."""
    highs, columns = highs_of(solver), column_of(solver)
    given = {columns[id(var)]: float(value) for var, value in start.items() if id(var) in columns}
    if len(given) < highs.getNumCol():
        highs.setSolution(len(given), np.fromiter(given, dtype=np.int32, count=len(given)),
                          np.fromiter(given.values(), dtype=np.float64, count=len(given)))
        return
    values = [0.0] * highs.getNumCol()
    for column, value in given.items():
        values[column] = value
    set_solution(highs, values)


def _misvalued(highs: highspy.Highs, held: np.ndarray, reported: float | None) -> bool:
    """Whether the objective of the loaded plan (``held``: the values the model holds, column by column, as
    ``load_plan`` returns them) differs from the value the solver reported for it. Valued with the objective
    ``highs`` was handed (Pyomo's, linear, as set_instance gave it: the model's own at those values), not by
    evaluating the model's objective term by term in Pyomo (0.25 s at XL quiet, most of loading a plan)."""
    if reported is None:
        return False
    actual = plan_objective(highs.getLp(), held)
    return abs(actual - reported) > 1e-6 * max(1.0, abs(actual), abs(reported))


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / |objective|, HiGHS's relative gap; round-off (1e-12 relative) is 0."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    gap = abs(objective - bound) / max(1e-9, abs(objective))
    return 0.0 if gap < 1e-12 else gap


def _percent(gap: float | None) -> str:
    return "an unknown distance" if gap is None else f"{100 * gap:.3g}%"
