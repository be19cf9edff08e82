"""A start for a small MIP, found block by block: fix every block's integer columns but one, solve, go on.

On the shipped example (740 binaries, too few for the block start of decompose.py) HiGHS's root proves the
0.1% gap in about 1 s once it holds a plan within about 0.02% of the optimum; without one its RINS and RENS
sub-MIPs spend 4-5 s finding it (docs/performance.md, example-fast3 and example-polish). This finds such a plan
cheaply. Minerals are linked only by rows (funding amounts and budgets) and a few columns (supplier onboarding),
so from a first plan that meets every row:

1. for each block b in turn, hold every other block's integer columns at the plan's values and solve the whole
   model's MIP for the rest: b's integer columns, the linking integer columns (onboarding) and every continuous
   column of every block, so funding stays shared and each block's choice is priced against all the others;
2. a block's plan replaces the plan when it costs less (it meets every row: it is the whole model's solution
   with some bounds tightened); the next block starts from it.

A block whose MIP could not lower the plan by more than its own gap (``BLOCK_GAP``) is left as it is, its MIP never
run: the LP relaxation of that same MIP (``BlockRelaxation``, one LP kept warm from block to block) bounds what it
can reach, and HiGHS's root bound is never below it, so the MIP would end at its root on the plan it was handed.
On the example five or six of the 11 blocks of each whole pass are such, 0.02-0.09 s of MIP each against about 3 ms of
LP: the passes 0.9x their CPU, every plan the same (docs/performance.md, pass-gap).

With ``only``, the pass re-solves those blocks alone: a scenario alone started from another one's plan, in whose
model only those blocks differ (optimizer/solving/alike.py).

One pass over the blocks (``ROUNDS``): a second pass, over the blocks solved before the last change, found
0.008-0.012% more on two of the example's six models at a third more of the pass's time (docs/performance.md).

The plan is only a start: the search that follows keeps every binary free, so the optimum it proves is the
model's; what changes is which plan within the gap it ends on. Works on highspy's arrays, as decompose.py does.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.solving.block_bound import in_own_thread, lp_solver
from optimizer.solving.decompose import integer_columns, plan_objective, solve_mip
from optimizer.solving.stopping import Stop
from optimizer.solving.workers import beside

# Each block's MIP stops within this share of the whole objective: the search after it needs a plan within about
# 0.02% of the optimum (the example's 0.1% gap, its root bound 0.08% below the optimum).
BLOCK_GAP = 1e-4
# The engine's integrality and row tolerance (highs.py MIP_FEASIBILITY_TOLERANCE): at HiGHS's looser default the
# pass ended 0.009% dearer on the example.
_TOLERANCE = {"mip_feasibility_tolerance": 1e-7}
# HiGHS's sub-MIPs (RINS, RENS, the root reduced-cost one) and its restart cost each block's small MIP more
# than they find: on the example the pass took 0.6-0.75 of its CPU without them, the same plans.
BLOCK_OPTIONS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
                 "mip_heuristic_run_root_reduced_cost": False, "mip_allow_restart": False, **_TOLERANCE}
# The first plan (when none is given): HiGHS's first, without its sub-MIPs (0.15 s on the example, 15% dearer).
FIRST_PLAN_OPTIONS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False, **_TOLERANCE}
# The search from such a plan: it has the plan, so its sub-MIPs would only look for what the pass found
# (the example's main solve 1.3-1.5 s from it, against 5.1-5.4 s without; docs/performance.md).
SEARCH_OPTIONS = {**BLOCK_OPTIONS}
ROUNDS = 1


@dataclass(frozen=True)
class BlockwisePlan:
    """The plan the pass found: every column's value, its objective, the first plan's, how many blocks lowered it."""

    values: np.ndarray
    objective: float
    first: float
    blocks: int
    improved: int
    seconds: float
    relaxed_out: int = 0

    def describe(self) -> str:
        """The start in words (Summary solver_start)."""
        lower = (self.first - self.objective) / max(1e-9, abs(self.first))
        left = f" ({self.relaxed_out} left as they were: their LP could not lower it)" if self.relaxed_out else ""
        return (f"a plan found block by block: {self.improved} of {self.blocks} blocks' yes/no choices re-solved "
                f"with the others held lowered the first plan by {100 * lower:.3g}% in {self.seconds:.1f} s{left}")


def fix_and_optimise(highs: highspy.Highs, block_of_column: np.ndarray, plan: np.ndarray | None = None,
                     stop: Stop | None = None, rounds: int = ROUNDS,
                     only: set[int] | None = None) -> BlockwisePlan | None:
    """The plan the pass finds for the model in ``highs`` (left as it is), each column in block
    ``block_of_column`` (-1: a column linking blocks), from ``plan`` (every column's value, meeting every row)
    or, when None, HiGHS's first plan. None when there is no first plan, fewer than two blocks, or the model has
    no integer column. Each MIP stops at ``stop`` (its deadline, a Ctrl-C). ``only``: the blocks to re-solve
    (None: every block). Run in a thread of its own: its MIPs are single-threaded, and the caller's thread may
    hold a HiGHS scheduler of more (block_bound.py)."""
    lp = highs.getLp()
    return in_own_thread(lambda: _fix_and_optimise(lp, block_of_column, plan, stop, rounds, only))


def _fix_and_optimise(lp: highspy.HighsLp, block_of_column: np.ndarray, plan: np.ndarray | None,
                      stop: Stop | None, rounds: int, only: set[int] | None = None) -> BlockwisePlan | None:
    """``fix_and_optimise`` of the model ``lp`` (a copy of its own) in the calling thread."""
    began = time.perf_counter()
    integer = integer_columns(lp)
    blocks = int(block_of_column.max(initial=-1)) + 1
    if blocks < 2 or not integer.any():
        return None
    if plan is None:
        plan = _first_plan(lp, stop)
        if plan is None:
            return None
    first = plan_objective(lp, plan)
    best, best_cost, improved, relaxed_out = plan, first, set(), 0
    tolerance = 1e-9 * max(1.0, abs(first))  # a block's plan must be lower by more than rounding
    relaxation = BlockRelaxation(lp, integer, stop)
    for _ in range(rounds):
        changed = False
        for block in range(blocks) if only is None else sorted(only):
            if stop is not None and stop.due():
                break
            held = integer & (block_of_column >= 0) & (block_of_column != block)
            if not relaxation.could_lower(held, best, best_cost):
                relaxed_out += 1
                continue
            better = _block_solved(lp, held, best, stop)
            cost = None if better is None else plan_objective(lp, better)
            if cost is not None and cost < best_cost - tolerance:
                best, best_cost, changed = better, cost, True
                improved.add(block)
        if not changed:
            break
    return BlockwisePlan(best, best_cost, first, blocks, len(improved), time.perf_counter() - began,
                         relaxed_out)


def _first_plan(lp: highspy.HighsLp, stop: Stop | None) -> np.ndarray | None:
    """HiGHS's first plan of the whole model, or None when it finds none before ``stop``."""
    seconds = np.inf if stop is None else stop.remaining()
    values, _, _ = solve_mip(lp, BLOCK_GAP, seconds, first_only=True, stop=stop, options=FIRST_PLAN_OPTIONS)
    return values


def _block_solved(lp: highspy.HighsLp, held: np.ndarray, plan: np.ndarray, stop: Stop | None) -> np.ndarray | None:
    """The whole model's plan with the integer columns ``held`` at ``plan``'s values, started from ``plan``
    (which meets every row, so HiGHS has it in hand); None when the MIP was stopped before returning one.
    ``lp`` (the caller's copy of the model) is left as it was."""
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    lp.col_lower_, lp.col_upper_ = np.where(held, np.round(plan), lower), np.where(held, np.round(plan), upper)
    try:  # HiGHS takes its own copy of ``lp`` (passModel)
        seconds = np.inf if stop is None else stop.remaining()
        values, _, _ = solve_mip(lp, BLOCK_GAP, seconds, start=plan, stop=stop, options=BLOCK_OPTIONS)
    finally:
        lp.col_lower_, lp.col_upper_ = lower, upper
    return values


class BlockRelaxation:
    """The LP relaxation of a block's MIP (``_block_solved``: the integer columns ``held`` at the plan's values, the
    rest free), one HiGHS LP for every block of a pass: only the integer columns' bounds change from one block to
    the next, so each LP starts from the last one's basis (about 3 ms on the example, against 20-90 ms for a MIP
    that ends at its root). Its optimum bounds the block's MIP from below, and HiGHS's root bound is at least it.

    Build it in the thread that runs the pass (``lp_solver``: a single-thread HiGHS)."""

    def __init__(self, lp: highspy.HighsLp, integer: np.ndarray, stop: Stop | None = None):
        self.stop = stop
        self.highs = lp_solver(lp, stop)
        self.columns = np.flatnonzero(integer)
        self.highs.changeColsIntegrality(len(self.columns), self.columns,
                                         np.full(len(self.columns), highspy.HighsVarType.kContinuous))
        self.lower = np.asarray(lp.col_lower_)[self.columns]
        self.upper = np.asarray(lp.col_upper_)[self.columns]

    def could_lower(self, held: np.ndarray, plan: np.ndarray, cost: float) -> bool:
        """Whether the MIP of the block with ``held`` at ``plan``'s values could end below ``plan`` (its objective
        ``cost``, the pass's ``plan_objective``) by more than its gap (``BLOCK_GAP``, as HiGHS measures it: the gap
        to the plan's cost): false only when the LP proves it cannot. A MIP started from ``plan`` whose root bound
        is within that gap ends there, on ``plan`` or on one no lower by more than the gap, so leaving the block as
        it is keeps what the MIP would guarantee."""
        if self.stop is not None and self.stop.due():
            return True
        at, value = held[self.columns], np.round(plan[self.columns])
        self.highs.changeColsBounds(len(self.columns), self.columns, np.where(at, value, self.lower),
                                    np.where(at, value, self.upper))
        self.highs.setOptionValue("time_limit", max(1e-3, np.inf if self.stop is None else self.stop.remaining()))
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return True
        return cost - self.highs.getInfo().objective_function_value > BLOCK_GAP * max(1e-9, abs(cost))


class PassBesideSearch:
    """The pass run beside the search of the same model, its plan handed to the search at the end of the
    search's root: both cores at work, the same plan and bound on every run.

    The example's main solve was the pass (one core, 1.8 s) and then the search (one core, 1.2 s, all of it its
    root: cut rounds and the proof at node 1); the second core waited throughout. The root's cut rounds do not
    need the plan, only the reduced-cost fixing and the proof after them: handed the pass's plan at the root's
    last queries, the example's root still proves the gap at node 1, 0.2 s of CPU after the plan arrives
    (docs/performance.md, example-solve). So the search starts at once, and HiGHS asks for a user plan after each
    cut round (``cbMipUserSolution``); the answer waits for the pass at the first query after the cut loop (HiGHS
    hands its cut pool then, ``cbMipGetCutPool``) or, should the root not get there, at the first query in the
    tree. Where the plan arrives is a point of the search's own (deterministic) path, never a time: however loaded
    the machine, the same plan reaches the same point.

    A search that ends before that point (its own plan proven within the gap at the root) may end on a plan dearer
    than the pass's: the caller then takes the pass's (``better_than``), within the search's bound all the same.

    ``attach`` before the search runs (after its start is set); ``finish`` after it returns, always."""

    def __init__(self, highs: highspy.Highs, block_of_column: np.ndarray, stop: Stop):
        self.highs = highs
        lp = highs.getLp()  # before the search runs: the pass works on its own copy
        self.plan: Future = beside(lambda: _fix_and_optimise(lp, block_of_column, None, stop, ROUNDS))
        self.separated = False
        self.handed = False

    def attach(self) -> None:
        """Make the search ask for the pass's plan (``_ask``) and tell when its cut loop is done."""
        self.highs.cbMipGetCutPool += self._separated
        self.highs.cbMipUserSolution += self._ask

    def finish(self) -> BlockwisePlan | None:
        """After the search: the pass's plan once the pass has ended (None: none found)."""
        self.highs.cbMipUserSolution -= self._ask
        self.highs.cbMipGetCutPool -= self._separated
        return self.plan.result()

    def better_than(self, found: BlockwisePlan | None, objective: float | None) -> bool:
        """Whether the pass's plan ``found`` was never handed over and costs less than the search's ``objective``."""
        if self.handed or found is None:
            return False
        return objective is None or found.objective < objective - 1e-9 * max(1.0, abs(objective))

    def describe(self, found: BlockwisePlan | None, taken: bool = False) -> str:
        """The start in words (Summary solver_start); ``taken``: the pass's plan is the answer (``better_than``)."""
        if found is None:
            return "no plan found block by block beside the search"
        if taken:
            return f"{found.describe()}; the search ended before asking for it, on a dearer plan"
        if not self.handed:
            return f"{found.describe()}; the search ended before asking for it"
        return f"{found.describe()}, handed to the search at the end of its root"

    def _separated(self, event) -> None:
        """HiGHS hands its cut pool once, when the root's cut loop ends: the next query is the hand-over's."""
        self.separated = True

    def _ask(self, event) -> None:
        """HiGHS asks for a user plan: at the hand-over point, wait for the pass and give it its plan."""
        if self.handed or not (self.separated or event.data_out.mip_node_count > 0):
            return
        self.handed = True
        if self.plan.exception() is not None:  # waits for the pass (a Ctrl-C or the deadline stops it too)
            return  # raised by ``finish``, outside HiGHS
        found = self.plan.result()
        if found is not None:
            event.data_in.user_solution[:] = found.values
            event.data_in.user_has_solution = True
