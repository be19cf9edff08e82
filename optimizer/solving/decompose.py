"""A starting plan assembled block by block: one small MIP per mineral.

On large models HiGHS can spend its whole time limit in root cut rounds
without finding a plan (the generated L workbook: no plan in 60 s), although
the LP bound is within 0.1% of the optimum. The model is nearly separable:
minerals are linked only by a few rows (funding amounts and budgets) and a few
columns (supplier onboarding). So:

1. solve the LP relaxation of the whole model (from ``BLOCKWISE_COLUMNS``
   columns, XL and XXL, or when it does not end within ``RELAXATION_SHARE``
   of the time, each block's own LP relaxation instead, priced by Dantzig-Wolfe's
   master over the blocks' minima, which also bounds the model: see
   ``_blockwise_relaxation`` and optimizer/solving/block_bound.py);
2. fix the linking columns (those of no block) at their relaxed value, rounded
   up for integers (a supplier the relaxation uses at all is onboarded);
3. split each linking row's bounds among its blocks: each gets what it used in
   the relaxation plus a share of the slack in proportion to that use, so the
   blocks' shares add up to the row's bound and any combination of block
   plans meets the row;
4. solve each block's MIP on its own (in worker threads, each with its own
   HiGHS scheduler, or on the workers of a Dask cluster; blocks reached after
   the time is up get their first plan only, and so do, with presolve off, the
   blocks that found none in their time: ``_first_plans``; on the blockwise
   route every block's first plan comes first, a block without one taking its
   part of the commitments-only plan: ``_blockwise_first_plans``), solve again,
   from their plan, the blocks furthest from their own bound with any time left
   (``refine``, until the assembled plan is within the run's gap of the
   bound: ``_within_gap``), assemble the full plan and lower the linking
   columns that no block needs. Each pass over the blocks names its kind,
   a ``BlockPass``: which blocks, how much time each, what is done with each.

Where the search after the block start could not even end its root LP in the
time left (at XL the relaxation alone takes a third of the limit and more), the
blocks take that time too and their polished plan is the answer (``search``).

With recourse, scenarios alike on a mineral (no loss, price factor or demand change on it) plan it with one
copy in its block (``twin_of_column``; models/recourse.py block_twins): each such column takes its twin's
value, and the linking rows are shared out by the relaxation with the twins held equal (``_twinned``), solved on
the smaller LP where each twin stands for its followers (``twin_reduced_lp``: at L, 100k of 218k columns). While
that LP is below ``BLOCKWISE_COLUMNS`` columns the whole relaxation is not solved at all (the tied route,
``_tied_start``): the bound is the blocks' Lagrangian one (block_bound.py) at the tied relaxation's prices of the
linking rows (``_tied_prices``; at L 0.04% below the tied relaxation, where the blocks' LPs at price 0 give 1.1%).

The assembled plan meets every row by construction. It is only a start: the
full solve that follows keeps every binary free, so the optimum is unchanged,
only found sooner. Works on highspy's arrays, never on Pyomo objects: the
caller says which block each column is in.

The blocks plan at the relaxation's split of what links them (a conversion
from one mineral into another, each mineral's share of a budget, the sale
revenue a source receives), so ``polish`` then re-solves the whole model's LP
with the assembled plan's integer columns fixed: every quantity moves jointly
and the plan can only get cheaper (at L with the stock flows of issue 14, 0.6%,
enough to land within the 1% gap; docs/performance.md).

On a cluster (``cluster``: a Dask scheduler's address, ``optimize run --scheduler``)
each block is one task of plain data (a ``Block``: its columns, rows and
bounds as numpy arrays, the linking rows at its share; ``BlockLimits``: the
gap and the deadline). The worker builds the block's HiGHS model from it,
solves it and returns the plan, exactly as a worker thread here would
(``solve_block``): the same block, the same plan. The LP relaxation of the
whole model and the assembly stay here; the blocks' own relaxations, when
needed, go to the cluster as the blocks do. The deadline is a wall-clock time, so the cluster's
machines are taken to keep their clocks in step (NTP).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import highspy
import numpy as np

from optimizer.execution import CannotConnect, Workers, cluster_threads, run_tasks
from optimizer.solving.block_bound import BLOCKWISE_COLUMNS, BlockRelaxations, master_search, solve_lp
from optimizer.solving.block_bound import by_column as _by_column
from optimizer.solving import serve_first
from optimizer.solving.stopping import Stop
from optimizer.solving.workers import in_workers

# Blocks solve at half the requested gap, so the assembled plan usually lands within the gap.
BLOCK_GAP_SHARE = 0.5
# A block may take up to this many times its even share of the time (its plan so far is kept).
BLOCK_TIME_SHARE = 4.0
# Blocks reached after the time is up get their first plan only (about 0.05 s each at L, 10-20% dearer):
# a complete plan, however rough, keeps a plan in hand; the full search then improves on it.
FIRST_PLAN_SECONDS = 2.0
# A block the first pass left without a plan gets its first plan with these (``_first_plans``): with presolve on,
# the hardest blocks of L with recourse spent their whole time at the root (sub-MIP heuristics) without a plan;
# with it off their first plan comes in 0.1-0.4 s (docs/performance.md).
FIRST_PLAN_OPTIONS = {"presolve": "off"}
# ... for at most this many seconds each: under load 7-11 one block of L with recourse found none in
# FIRST_PLAN_SECONDS, and the search then took 320 s to complete the partial plan (docs/performance.md).
MISSING_PLAN_SECONDS = 10.0
# When the search is not worth starting (``block_start``), this share of the whole time is left for the polish LP.
POLISH_SHARE = 0.05
# The whole model's LP relaxation may take this share of the block start's time; past it (XXL: 250,000 columns,
# its simplex and its interior point both unfinished in 300 s) each block's own relaxation measures what it
# needs of the linking rows instead (``_blockwise_relaxation``), and those relaxations may take this share too.
RELAXATION_SHARE = 0.25
# From BLOCKWISE_COLUMNS (block_bound.py): the blocks' first plans take this share of the block start's time, each
# block its even share of it (so every block has a plan, its own or its fallback, before any is improved).
FIRST_PASS_SHARE = 0.5
# ... after the master's search of prices that shares the linking rows out (this share of the time left after the
# blocks' LPs at zero prices; it ends sooner once converged: XL 8 rounds, 12 s at load 7), and before the bound at
# the shares' prices (``_share_priced_bound``: three passes of the blocks' LPs), for which this share of the time
# the blocks leave is kept.
PRICE_SEARCH_SHARE = 0.25
BOUND_SHARE = 0.15
# On the blockwise route a serve_first block's MIP is solved with its release binaries w relaxed, then repaired
# (``_relaxed_then_repaired``, optimizer/solving/serve_first.py): the relaxed MIP's first plan takes at most this
# share of the block's time, the repair the rest, at least REPAIR_SECONDS (to the late deadline: a plan in hand
# beats the fallback; at XL the repair took 0.2-0.8 s at load 5).
RELAXED_SHARE = 0.7
REPAIR_SECONDS = 1.0
# Under serve_first the blockwise first pass is two passes (``_blockwise_first_plans``): every block's relaxed MIP to
# its first plan (at XL 0.1-0.7 s a block), in at most this share of the first pass's time, then every block's
# repair from its relaxed plan in the rest; in both, a block that ends early hands its time on to those not yet
# begun (``BlockPass.hand_on``). In one pass, a block's 1.3 s (load 5) held its relaxed step and a repair
# cut at REPAIR_SECONDS: 20 of 60 repairs found nothing in it, most of them timed out rather than infeasible.
RELAXED_PASS_SHARE = 0.3
_TOLERANCE = 1e-7


@dataclass
class _Enough(Stop):
    """The refinement's stop: ``outer``'s (the whole solve's deadline, a Ctrl-C), and ``interrupt`` once the
    assembled plan is within the gap (``_Split.refine``), which ends this pass only."""

    outer: Stop | None = None

    def due(self) -> bool:
        return super().due() or (self.outer is not None and self.outer.due())

    def late_due(self) -> bool:
        return super().late_due() or (self.outer is not None and self.outer.late_due())


def _relative_gap(objective: float, bound: float) -> float:
    """A plan's relative distance from a bound on the optimum (which it cannot be below)."""
    return max(0.0, objective - bound) / max(1e-9, abs(objective))


def _within_gap(mip_gap: float, bound: float | None) -> Callable[[float], bool] | None:
    """Whether a plan's objective is within ``mip_gap`` of ``bound``, as ``BlockStart.gap`` measures it (the
    solve then takes the block plan as its answer); None without a bound (shares from each block's own
    relaxation: no bound to measure against). ``bound`` must be a valid bound on the whole model's optimum
    (its LP relaxation's objective), never the relaxation with twins held equal, a restriction."""
    if bound is None:
        return None
    return lambda objective: _relative_gap(objective, bound) <= mip_gap


@dataclass
class BlockStart:
    """What the block heuristic produced: a full column vector (``columns`` None) or a partial one."""

    values: np.ndarray | None  # None: no plan
    columns: np.ndarray | None  # the columns ``values`` gives; None when every column is given
    relaxed_objective: float | None  # the LP relaxation's objective: a bound on the optimum
    blocks: int
    solved: int
    seconds: float
    objective: float | None = None  # of a complete plan
    where: str = ""  # where the block MIPs ran, when not in this process ("on the Dask cluster at ...")
    blocks_seconds: float = 0.0  # of ``seconds``: the block MIPs alone (sent, solved, returned)
    assembled: float | None = None  # the assembled plan's objective, when ``polish`` lowered it
    search: bool = True  # False: the search after it could not end its root LP in the time left (``block_start``)
    # The time the search's root LP needs at least: the whole relaxation's, as it took here (``_time_for_search``);
    # None where no search was weighed. A search begun with less left than this cannot end its root LP either.
    root_seconds: float | None = None
    fallbacks: int = 0  # blocks planned by their part of the fallback plan (none of their own in their first pass)
    blockwise_bound: bool = False  # the bound is the blocks' Lagrangian one (block_bound.py), not the whole LP's

    def gap(self) -> float | None:
        """The complete plan's relative distance from the LP bound (which it cannot be below)."""
        if self.objective is None or self.relaxed_objective is None:
            return None
        return _relative_gap(self.objective, self.relaxed_objective)

    def describe(self) -> str:
        """The block start in words (Summary solver_start): complete, partial or none, blocks solved, seconds."""
        where = f" {self.where}" if self.where else ""
        if self.values is None:
            return f"no block plan ({self.solved} of {self.blocks} blocks solved in {self.seconds:.1f} s{where})"
        whole = "complete" if self.columns is None else "partial"
        polished = ""
        if self.assembled is not None and self.objective is not None:
            lower = (self.assembled - self.objective) / max(1e-9, abs(self.assembled))
            polished = f", polished {_share(lower)} lower by the LP with its yes/no choices fixed"
        shares = "" if self.relaxed_objective is not None else ", shares from each block's own LP relaxation"
        if self.blockwise_bound:
            shares = ", shares and bound from each block's own LP relaxation (priced blocks)"
        fallbacks = f", {self.fallbacks} at their fallback plan (the commitments, diluted within their caps)" if self.fallbacks else ""
        return (f"{whole} block plan: {self.solved} of {self.blocks} blocks solved in {self.seconds:.1f} s{where}"
                f"{fallbacks}{shares}{polished}")


def block_start(highs: highspy.Highs, block_of_column: np.ndarray, mip_gap: float, time_limit_s: float,
                workers: int = 2, stop: Stop | None = None, cluster: str | None = None,
                twin_of_column: np.ndarray | None = None, whole_s: float | None = None,
                fallback: np.ndarray | None = None, release: np.ndarray | None = None) -> BlockStart:
    """A plan for the model in ``highs`` from one MIP per block; ``block_of_column[j]`` is column j's
    block (0, 1, ...) or -1 for a column that links blocks. ``twin_of_column[j]``: a column of j's block
    whose value j takes in the block MIPs (-1: none; ``_Split.share_twins``), a restriction of the blocks
    that shrinks them (a model with recourse: scenarios alike on a mineral plan it with one copy).
    Spends at most ``time_limit_s``; every block MIP stops at ``stop`` (the whole solve's deadline, a
    Ctrl-C: optimizer/solving/stopping.py), but the first plans of blocks reached after the time is up,
    which keep a plan in hand, stop at its late deadline.
    ``cluster``: the block MIPs run on the Dask cluster at that address instead of ``workers`` threads here.

    ``whole_s``: the whole solve's time, of which the search after the block start gets what is left. When
    that is less than the relaxation took, the search could not even end its root LP (about as long as the
    relaxation) in it: the blocks get ``whole_s`` less ``POLISH_SHARE`` of it, and the result says the
    search is not worth starting (``search`` False).

    From ``BLOCKWISE_COLUMNS`` columns (XL, XXL) the whole relaxation is not tried: the blocks' own LPs share
    out the linking rows and give the bound (optimizer/solving/block_bound.py), and there is no search
    (its root LP would not end). Each block then gets its first plan in its even share of
    ``FIRST_PASS_SHARE`` of the time (``_blockwise_first_plans``); a block without one takes its part of ``fallback``
    (a plan of every column meeting every row, NaN where not given: the commitments-only start, its commitments
    diluted within their mineral's caps, models/dilution.py, so every block holds its part), for which
    the shares leave room (``_Split.leave_room_for``); the refinement then starts each block from its plan.
    ``release``: which columns are serve_first's release binaries w (models/release.py); on the blockwise route each
    block's first plan, and a block at its fallback plan in the refinement, is its MIP with w relaxed, then
    repaired (``_relaxed_then_repaired``)."""
    started = time.perf_counter()
    lp = highs.getLp()
    run = _Run(lp, block_of_column, integer_columns(lp), mip_gap, started, time_limit_s, workers, stop, cluster,
               twin_of_column, fallback, release)
    if _tied_route(lp, twin_of_column):
        shares = _tied_route_shares(run, whole_s)
    elif lp.num_col_ >= BLOCKWISE_COLUMNS:
        shares = _blockwise_route_shares(run, whole_s)
    else:
        shares = _relaxation_route_shares(highs, run, whole_s)
    return _blocks_within(run, shares)


@dataclass
class _Run:
    """What every route of ``block_start`` shares: the model, its blocks, the time and where the blocks run.
    ``time_limit_s`` is lengthened when the search after the block start is not worth starting
    (``_time_for_search``)."""

    lp: highspy.HighsLp
    block_of: np.ndarray
    integer: np.ndarray
    mip_gap: float
    started: float
    time_limit_s: float
    workers: int
    stop: Stop | None
    cluster: str | None
    twin: np.ndarray | None
    fallback: np.ndarray | None
    release: np.ndarray | None = None  # the serve_first release binaries w (blockwise route: relaxed, then repaired)
    root_seconds: float | None = None  # the search's root LP's time at least (``_time_for_search``)

    @property
    def blocks(self) -> int:
        return int(self.block_of.max(initial=-1)) + 1

    @property
    def deadline(self) -> float:
        return self.started + self.time_limit_s

    def interrupted(self) -> bool:
        return self.stop is not None and self.stop.interrupted


@dataclass
class _Shares:
    """How a route of ``block_start`` shared the linking rows out: the split (None: not shared, the relaxation
    not solved or a row of linking columns alone broken), the bound (None: none), the blocks' own relaxations
    when they shared the rows out (the blockwise route's: its first plans, its bound at the shares' prices),
    whether the tied relaxation did, and whether the search after the block start is worth starting."""

    split: _Split | None
    bound: float | None
    relaxations: BlockRelaxations | None = None
    tied: bool = False
    search: bool = True

    @property
    def lagrangian(self) -> bool:
        """Whether the bound is the blocks' Lagrangian one (block_bound.py), not the whole LP's."""
        return self.tied or self.relaxations is not None


def _time_for_search(run: _Run, whole_s: float | None, blockwise: bool) -> bool:
    """Whether the search after the block start is worth starting (``block_start``'s ``whole_s``): not on the
    blockwise route, nor when the search's time is less than the relaxation took; then the blocks' time
    (``run.time_limit_s``) becomes the whole solve's to its deadline, less ``POLISH_SHARE`` of it."""
    relaxation_s = time.perf_counter() - run.started
    run.root_seconds = relaxation_s  # the search's root LP takes about the relaxation's time, and more
    search = whole_s is None or (not blockwise and whole_s - run.time_limit_s >= relaxation_s)
    if not search:  # to the whole solve's deadline (``stop``'s, when it has one), less the polish's share
        left = run.stop.remaining() if run.stop is not None else whole_s - relaxation_s
        run.time_limit_s = relaxation_s + min(left, whole_s - relaxation_s) - POLISH_SHARE * whole_s
    return search


def _tied_route_shares(run: _Run, whole_s: float | None) -> _Shares:
    """The tied route (recourse, ``_tied_start``): the tied relaxation shares the rows out, the blocks' LPs
    bound; the blockwise shares when the tied relaxation is not solved in its share of the time."""
    split, bound = _tied_start(run.lp, run.block_of, run.twin, run.integer, RELAXATION_SHARE * run.time_limit_s,
                               run.workers, run.stop)
    search = _time_for_search(run, whole_s, blockwise=False)
    if split is None:
        return _blockwise_shares(run, search)
    return _Shares(split, bound, tied=True, search=search)


def _relaxation_route_shares(highs: highspy.Highs, run: _Run, whole_s: float | None) -> _Shares:
    """The whole relaxation's route: its solution shares the rows out (with twins, the relaxation with them held
    equal: ``_twinned``) and its objective bounds; the blockwise shares when it is not solved in its share."""
    relaxed, bound = _relaxation(highs, run.integer, RELAXATION_SHARE * run.time_limit_s)
    search = _time_for_search(run, whole_s, blockwise=False)
    if relaxed is None:
        return _blockwise_shares(run, search)
    split = _Split.of(run.lp, run.block_of, relaxed, run.integer)
    if split is not None and run.twin is not None:
        split, _ = _twinned(run.lp, split, run.twin, run.integer, run.deadline - time.perf_counter(), run.stop)
    return _Shares(split, bound, search=search)


def _blockwise_route_shares(run: _Run, whole_s: float | None) -> _Shares:
    """The blockwise route (from ``BLOCKWISE_COLUMNS`` columns): the whole relaxation is not tried, and there is
    no search after the block start (its root LP would not end)."""
    return _blockwise_shares(run, _time_for_search(run, whole_s, blockwise=True))


def _blockwise_shares(run: _Run, search: bool) -> _Shares:
    """The rows shared out and bounded by the blocks' own relaxations (``_blockwise_relaxation``), the shares
    leaving room for each block's part of the fallback plan; no shares after a Ctrl-C."""
    if run.interrupted():
        return _Shares(None, None, search=search)
    relaxations = BlockRelaxations(run.lp, run.block_of)
    relaxed, bound = _blockwise_relaxation(relaxations, run.deadline, run.workers, run.stop)
    split = None if relaxed is None else _Split.of(run.lp, run.block_of, relaxed, run.integer)
    if split is not None:
        if run.fallback is not None:
            split.leave_room_for(run.fallback)
        if run.twin is not None:
            split.share_twins(run.twin)
        split.release = run.release
    return _Shares(split, bound, relaxations, search=search)


def _blocks_within(run: _Run, shares: _Shares) -> BlockStart:
    """Each block's MIP within its shares of the linking rows (the blockwise route: every block's first plan or
    its fallback first, ``_blockwise_first_plans``, and the bound at the shares' prices after the refinement),
    the furthest refined in the time left, the plan assembled: complete, partial or none."""
    blocks_started = time.perf_counter()
    split = shares.split
    if split is None:
        return _block_start_result(run, shares, blocks_started)
    # The blocks share what the relaxation left of ``time_limit_s`` (counted from ``started``, once: a deadline
    # of started + the time left would take the relaxation's time off twice, which left L with recourse,
    # whose relaxation takes 40% of the limit, a few seconds per block and no plan)
    block_gap, deadline = max(run.mip_gap * BLOCK_GAP_SHARE, 1e-4), run.deadline
    if shares.relaxations is None:
        solutions = split.solve_blocks(BlockPass.each_mip(split.every_block), block_gap, deadline, run.workers,
                                       stop=run.stop, cluster=run.cluster)
        solutions = _first_plans(split, solutions, block_gap, run.workers, run.stop, run.cluster)
        fallbacks = 0
    else:
        solutions, fallbacks = _blockwise_first_plans(split, run.fallback, block_gap, deadline, run.workers,
                                                      run.stop, run.cluster)
    bound_time = 0.0 if shares.relaxations is None else BOUND_SHARE * (deadline - time.perf_counter())
    solutions = split.refine(solutions, block_gap, deadline - bound_time, run.workers, stop=run.stop,
                             cluster=run.cluster, enough=_within_gap(run.mip_gap, shares.bound))
    if shares.relaxations is not None:  # the time kept back: the bound at the shares' prices
        shares.bound = _share_priced_bound(shares.relaxations, split, shares.bound, deadline, run.workers, run.stop)
    return _assembled(run, shares, split, solutions, fallbacks, blocks_started)


def _assembled(run: _Run, shares: _Shares, split: _Split, solutions: list[tuple | None], fallbacks: int,
               blocks_started: float) -> BlockStart:
    """The block start of the blocks' ``solutions``: complete when every block has a plan and their assembly
    meets every row (linking columns no block needs lowered), partial when some have none, none else."""
    solved = sum(solution is not None for solution in solutions)
    values, given = split.assemble(solutions)
    if solved == 0:
        return _block_start_result(run, shares, blocks_started)
    if solved < run.blocks:
        return _block_start_result(run, shares, blocks_started, values[given], np.flatnonzero(given),
                                   solved - fallbacks)
    split.lower_linking_columns(values)
    if not split.feasible(values):
        return _block_start_result(run, shares, blocks_started, solved=solved - fallbacks)
    return _block_start_result(run, shares, blocks_started, values, None, solved - fallbacks, fallbacks)


def _block_start_result(run: _Run, shares: _Shares, blocks_started: float, values=None, columns=None, solved=0,
                        fallbacks=0) -> BlockStart:
    complete = values is not None and columns is None
    objective = plan_objective(run.lp, values) if complete else None
    ended = time.perf_counter()
    where = f"on the Dask cluster at {run.cluster}" if run.cluster else ""
    return BlockStart(values, columns, shares.bound, run.blocks, solved, ended - run.started, objective, where,
                      ended - blocks_started, search=shares.search, root_seconds=run.root_seconds,
                      fallbacks=fallbacks,
                      blockwise_bound=shares.lagrangian and shares.bound is not None)


def hand_over(highs: highspy.Highs, start: BlockStart) -> None:
    """Give HiGHS the block plan as its starting solution."""
    if start.columns is None:
        set_solution(highs, start.values)
    else:
        highs.setSolution(len(start.columns), start.columns.astype(np.int32), start.values.astype(np.float64))


def set_solution(highs: highspy.Highs, values) -> None:
    """A starting solution of every column."""
    solution = highspy.HighsSolution()
    solution.col_value = np.asarray(values, dtype=np.float64).tolist()
    solution.value_valid = True
    highs.setSolution(solution)


def blocks_around(highs: highspy.Highs, block_of_column: np.ndarray, plan: np.ndarray, mip_gap: float,
                  time_limit_s: float, workers: int = 2, cluster: str | None = None) -> BlockStart:
    """Re-solve the model in ``highs`` block by block around ``plan``, a complete plan that meets every row
    (the stability pass of large models, optimizer/solving/stability.py).

    The linking columns stay at the plan's values; each linking row's bounds are split among its blocks
    as in the block start, by what each block uses in the plan plus a share of the row's slack in
    proportion to that use. So each block gets its own allowance of every shared limit (funding, the
    pass's objective bound), the blocks' plans combine into one that meets every row, and each block's
    part of ``plan`` is feasible for it: the block starts from it and keeps it when it is not solved in
    time. ``solved`` counts the blocks solved within ``mip_gap``; the result is complete (``values`` of
    every column) unless the assembled plan fails the final check (``values`` None). ``cluster``: as in
    ``block_start``.
    """
    started = time.perf_counter()
    lp = highs.getLp()
    blocks = int(block_of_column.max(initial=-1)) + 1
    split = _Split.of(lp, block_of_column, plan, integer_columns(lp))
    if split is None:
        return BlockStart(None, None, None, blocks, 0, time.perf_counter() - started)
    solutions = split.solve_blocks(BlockPass.each_mip(split.every_block), mip_gap, started + time_limit_s, workers,
                                   start=plan, cluster=cluster)
    finished = sum(solution is not None and solution[2] for solution in solutions)
    values, _ = split.assemble(solutions)
    if not split.feasible(values):
        return BlockStart(None, None, None, blocks, finished, time.perf_counter() - started)
    objective = plan_objective(lp, values)
    return BlockStart(values, None, None, blocks, finished, time.perf_counter() - started, objective)


@dataclass(frozen=True)
class Block:
    """One block's MIP as plain numpy arrays: picklable, so a Dask worker can build and solve it.

    ``columns``: the whole model's columns it gives (its plan goes back there); the matrix is stored
    column by column (``start``, ``index``, ``value``), its rows numbered within the block; linking rows
    carry the block's share of their bounds. ``plan``: the block's part of a plan to start from. ``release``:
    its serve_first release binaries, when its MIP is to be solved with them relaxed, then repaired; ``relaxed``: the
    relaxed step's plan and bound when a pass of its own found them (``relax_block``): the repair starts from them;
    ``within_pattern``: in the refinement, its repaired plan (``plan``) improved with the w its relaxed plan decides
    held (``_within_pattern``)."""

    columns: np.ndarray
    sense: int
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    integer: np.ndarray
    plan: np.ndarray | None = None
    release: np.ndarray | None = None  # which columns are release binaries w to relax, then repair (None: none)
    relaxed: tuple[np.ndarray, float] | None = None  # its MIP's first plan with w relaxed and that MIP's bound
    within_pattern: bool = False  # improve ``plan`` (its repaired plan) with only the w ``relaxed`` leaves open free

    def highs_lp(self) -> highspy.HighsLp:
        """The block as HiGHS's model."""
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.columns), len(self.row_lower)
        lp.sense_ = highspy.ObjSense(self.sense)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.cost, self.col_lower, self.col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = self.start.astype(np.int32)
        lp.a_matrix_.index_ = self.index.astype(np.int32)
        lp.a_matrix_.value_ = self.value
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in self.integer]
        return lp


@dataclass(frozen=True)
class BlockLimits:
    """What every block's solve shares: its gap, the wall-clock deadline (``time.time``), its longest time; with
    ``first_plans``, each block's first plan only, with ``FIRST_PLAN_OPTIONS``, in at most ``longest``, to the
    deadline (a block the first pass left without a plan: ``_first_plans``)."""

    mip_gap: float
    deadline: float
    longest: float
    first_plans: bool = False
    first_repairs: bool = False  # a serve_first repair stops at its first plan (``BlockPass.repair_to_first_plan``)


@dataclass(frozen=True)
class BlockPass:
    """One pass of ``_Split.solve_blocks``: which blocks, in this order; how much time each gets; what is done with
    each. Each kind of pass the block start and the stability pass run has its constructor below, which says why
    it is set so: a caller names its pass, and no other combination is run."""

    blocks: tuple[int, ...]
    time_share: float = BLOCK_TIME_SHARE  # a block's longest time, in even shares of the time left on the workers
    hand_on: bool = False  # a block beginning gets at least its even share of the time then left (threads only)
    relaxed_step_only: bool = False  # its relaxed step alone (``relax_block``), else its solve (``solve_block``)
    first_plan_only: bool = False  # its first plan only, with FIRST_PLAN_OPTIONS, in MISSING_PLAN_SECONDS at most
    repair: frozenset[int] = frozenset()  # its release binaries w, when it has any, relaxed, then repaired
    improve: frozenset[int] = frozenset()  # (within ``repair``) its repaired plan improved within its pattern
    repair_to_first_plan: bool = False  # a repair stops at its first plan

    @classmethod
    def each_mip(cls, blocks: Iterable[int]) -> BlockPass:
        """Each block's MIP (from its part of the plan, when the pass starts from one), up to ``BLOCK_TIME_SHARE``
        times its even share of the time: one hard block cannot starve the rest, and the time of those that end
        early goes to the slow ones. The first pass of the whole relaxation's route and of the tied route; the
        stability pass (``blocks_around``)."""
        return cls(tuple(blocks))

    @classmethod
    def first_plans(cls, blocks: Iterable[int]) -> BlockPass:
        """Each block's first plan only, with ``FIRST_PLAN_OPTIONS`` (presolve off), in at most
        ``MISSING_PLAN_SECONDS`` each: the blocks a pass left without a plan (``_first_plans``), to the late
        deadline; a complete plan keeps a plan in hand, and the refinement improves it."""
        return cls(tuple(blocks), first_plan_only=True)

    @classmethod
    def even_shares(cls, blocks: Iterable[int]) -> BlockPass:
        """Each block in its even share of the time, its release binaries (serve_first) relaxed, then repaired: the
        blockwise route's first pass (at XXL one block alone needs half a minute or more for its first plan: no
        block takes another's time before every block has a plan) and its pass again over the blocks still
        without one (``_blockwise_first_plans``)."""
        blocks = tuple(blocks)
        return cls(blocks, time_share=1.0, repair=frozenset(blocks))

    @classmethod
    def relaxed_steps(cls, blocks: Iterable[int]) -> BlockPass:
        """Each serve_first block's relaxed step alone (``relax_block``: its MIP with w relaxed, to its first plan),
        up to ``BLOCK_TIME_SHARE`` times its even share (at load 5-8 an even share of 0.4-0.6 s cut a third of them
        short), a block that ends early handing its time on: the first of the blockwise first pass's two passes
        under serve_first (``_relaxed_then_repaired_passes``)."""
        blocks = tuple(blocks)
        return cls(blocks, hand_on=True, relaxed_step_only=True, repair=frozenset(blocks))

    @classmethod
    def first_repairs(cls, blocks: Iterable[int]) -> BlockPass:
        """Each serve_first block's repair from its relaxed plan (both steps, late, for a block the relaxed pass did
        not begin), to its first plan, in its even share, a block that ends early handing its time on: the second
        of the two passes (``_relaxed_then_repaired_passes``); the refinement improves the plans."""
        blocks = tuple(blocks)
        return cls(blocks, time_share=1.0, hand_on=True, repair=frozenset(blocks), repair_to_first_plan=True)

    @classmethod
    def refinement(cls, furthest: Iterable[int], at_fallback: Iterable[int], repaired: Iterable[int]) -> BlockPass:
        """The blocks furthest from their own bound, furthest first, each from its plan, up to ``BLOCK_TIME_SHARE``
        times its even share (``_Split.refine``): a block at its fallback plan repaired to its first plan (any plan
        of its own beats the fallback; a repair that ran on to the gap took the time of the next block at its
        fallback), a repaired block whose relaxed plan was kept improved within that plan's pattern
        (``_within_pattern``), any other block's MIP solved from its plan."""
        repaired = frozenset(repaired)
        return cls(tuple(furthest), repair=frozenset(at_fallback) | repaired, improve=repaired,
                   repair_to_first_plan=True)

    def limits(self, mip_gap: float, deadline: float, workers: int) -> BlockLimits:
        """What each block of the pass is given from now to ``deadline`` (``time.perf_counter``) on ``workers``:
        ``time_share`` times its even share of the time left (a first plan: ``MISSING_PLAN_SECONDS``), to that
        deadline on the wall clock (``time.time``, which a cluster's worker reads too)."""
        remaining = deadline - time.perf_counter()
        even_share = max(1, workers) * remaining / max(1, len(self.blocks))
        longest = MISSING_PLAN_SECONDS if self.first_plan_only else self.time_share * even_share
        return BlockLimits(mip_gap, time.time() + remaining, longest, first_plans=self.first_plan_only,
                           first_repairs=self.repair_to_first_plan)

    def task(self) -> Callable:
        """What is done with each block, on a worker thread here or a Dask worker: its relaxed step alone
        (``relax_block``: (values, bound)) or its solve (``solve_block``)."""
        return relax_block if self.relaxed_step_only else solve_block


def solve_block(limits: BlockLimits, block: Block, stop: Stop | None = None) -> tuple | None:
    """The block's (columns, values, finished, bound), or None when no plan was found; in a worker thread
    here or as a task on a Dask worker (then without ``stop``: the deadline alone ends it). A block reached
    after the deadline: with a plan to start from, left at it (None); else its first plan, which still
    completes the whole (within ``stop``'s late deadline). A block whose ``release`` is marked is solved with its
    w relaxed, then repaired (``_relaxed_then_repaired``), also for a late first plan; one marked ``within_pattern``
    is improved from its repaired plan (``_within_pattern``). With ``limits.first_plans``, its first plan only
    (``_first_plans``)."""
    remaining = limits.deadline - time.time()
    if limits.first_plans:  # to the deadline (the late one: ``_first_plans``), at most ``longest``
        values, finished, bound = solve_mip(block.highs_lp(), limits.mip_gap, min(limits.longest, remaining),
                                            first_only=True, stop=stop, until_deadline=False,
                                            options=FIRST_PLAN_OPTIONS)
    elif block.within_pattern and remaining > 0:
        values, finished, bound = _within_pattern(block, limits.mip_gap, min(remaining, limits.longest), stop)
    elif block.release is not None and (remaining > 0 or block.plan is None):  # late: as a first plan
        late = remaining <= 0
        values, finished, bound = _relaxed_then_repaired(
            block, limits.mip_gap, FIRST_PLAN_SECONDS if late else min(remaining, limits.longest), stop,
            until_deadline=not late, first_only=limits.first_repairs)
    elif remaining > 0:
        values, finished, bound = solve_mip(block.highs_lp(), limits.mip_gap, min(remaining, limits.longest),
                                               start=block.plan, stop=stop)
    elif block.plan is not None:
        return None  # out of time: the block keeps its part of the start
    else:  # out of time (a loaded machine): the block's first plan still completes the whole
        values, finished, bound = solve_mip(block.highs_lp(), limits.mip_gap, FIRST_PLAN_SECONDS, first_only=True,
                                               stop=stop, until_deadline=False)
    return None if values is None else (block.columns, values, finished, bound)


def relax_block(limits: BlockLimits, block: Block, stop: Stop | None = None) -> tuple[np.ndarray, float] | None:
    """The relaxed step of ``_relaxed_then_repaired`` alone, for a pass of its own (``_blockwise_first_plans``): the
    block's MIP with its release binaries w relaxed, to its first plan, and that MIP's bound (None: no plan found),
    in its time (``limits``). A block reached after the deadline is not begun (None): the repair pass then takes
    both steps for it as a late first plan, once (at load 11 late relaxed steps of 0.8 s each took the first pass
    and the solve past their time). On a worker thread here or as a task on a Dask worker."""
    remaining = limits.deadline - time.time()
    if block.release is None or remaining <= 0:
        return None  # no release binaries (its MIP is solved as it is), or out of time
    values, _, bound = solve_mip(serve_first.relaxed(block).highs_lp(), limits.mip_gap,
                                 min(remaining, limits.longest), first_only=True, stop=stop)
    return None if values is None else (values, bound)


def _relaxed_then_repaired(block: Block, mip_gap: float, time_limit_s: float, stop: Stop | None = None,
                           until_deadline: bool = True,
                           first_only: bool = False) -> tuple[np.ndarray | None, bool, float]:
    """``solve_mip``'s answer for a serve_first block (``block.release`` its w): its MIP with w relaxed, to its first
    plan, in ``RELAXED_SHARE`` of ``time_limit_s``; then the repair (optimizer/solving/serve_first.py): the MIP
    with w fixed at that plan's pattern and every other integer free, where that finds none the next pattern
    (``serve_first.TRIES``), each in the time left (the first at least ``REPAIR_SECONDS``, to ``stop``'s late
    deadline; the next only while time is left: most tries that find nothing end in 0.3 s, infeasible).
    The bound is the relaxed MIP's; no plan (None) when the relaxed MIP or every try found none. The block's
    own plan (``block.plan``: its fallback, in the refinement) is not its start: the relaxed MIP would stop at it.
    ``until_deadline`` False: the relaxed MIP too runs to ``stop``'s late deadline (a block reached late).
    A block that comes with its relaxed plan (``block.relaxed``, from ``relax_block``) is repaired from it at once:
    the whole time is the repair's. ``first_only``: the repair stops at its first plan (the refinement improves it:
    ``_within_pattern``). A block with a plan in hand (``block.plan``: its fallback, in the refinement) has no first
    plan to keep: its repair ends within ``time_limit_s`` and at ``stop``'s deadline (at XL under load 12-15 the
    refinement's repairs, each given ``REPAIR_SECONDS`` to the late deadline, ran 2 s past the whole solve's).
    """
    began = time.perf_counter()
    in_hand = block.plan is not None
    if block.relaxed is not None:
        relaxed, bound = block.relaxed
    else:
        relaxed, _, bound = solve_mip(serve_first.relaxed(block).highs_lp(), mip_gap, RELAXED_SHARE * time_limit_s,
                                      first_only=True, stop=stop, until_deadline=until_deadline)
    if relaxed is None:
        return None, False, -np.inf
    for tried, pattern in enumerate(serve_first.TRIES):
        left = time_limit_s - (time.perf_counter() - began)
        if (tried or in_hand) and left <= 0:
            break
        values, _, _ = solve_mip(serve_first.repaired(block, relaxed, pattern).highs_lp(), mip_gap,
                                 left if tried or in_hand else max(REPAIR_SECONDS, left), first_only=first_only,
                                 stop=stop, until_deadline=in_hand)
        if values is not None:
            return values, _relative_gap(float(np.dot(block.cost, values)), bound) <= mip_gap, bound
    return None, False, -np.inf


def _within_pattern(block: Block, mip_gap: float, time_limit_s: float,
                    stop: Stop | None = None) -> tuple[np.ndarray | None, bool, float]:
    """``solve_mip``'s answer for a serve_first block's refinement, from its repaired plan (``block.plan``): its MIP
    with the w its relaxed plan decides held (``serve_first.repaired``'s "decided": demand unmet and no stock, or
    stock and no demand unmet), the others binary again, every other integer free. The repaired plan meets it
    (every pattern sets those w as "decided" does), so the search only improves on it; the w fixed by a pattern are
    what a repaired plan loses against its relaxed bound (at XL 1-10% a block), the block's whole MIP (every w free)
    is what serve-first-xl found too hard. The bound is the relaxed MIP's (``block.relaxed``)."""
    relaxed, bound = block.relaxed
    values, _, _ = solve_mip(serve_first.repaired(block, relaxed, "decided").highs_lp(), mip_gap, time_limit_s,
                             start=block.plan, stop=stop)
    if values is None:
        return None, False, -np.inf
    return values, _relative_gap(float(np.dot(block.cost, values)), bound) <= mip_gap, bound


def _on_cluster(limits: BlockLimits, blocks: list[Block], scheduler: str, task: Callable) -> list[tuple | None]:
    """``task`` (``solve_block``, ``relax_block``) of each block on the Dask cluster at ``scheduler``
    (optimizer/execution.py: a failed task is tried once more); a block whose task failed, or a cluster that cannot be reached,
    leaves the block without a plan, as a block not solved in time would."""
    solutions: list[tuple | None] = [None] * len(blocks)
    try:
        for outcome in run_tasks(task, limits, blocks, Workers(scheduler=scheduler)):
            solutions[outcome.index] = None if outcome.failed else outcome.value
    except CannotConnect:
        pass  # every block without a plan: the whole search, here, finds the plan
    return solutions


def _first_plans(split: _Split, solutions: list[tuple | None], mip_gap: float, workers: int,
                 stop: Stop | None = None, cluster: str | None = None) -> list[tuple | None]:
    """``solutions`` with each block left without a plan (its time ran out before HiGHS found one) solved again for
    its first plan only, with ``FIRST_PLAN_OPTIONS``, for at most ``MISSING_PLAN_SECONDS`` each (to ``stop``'s late
    deadline, as a late block's first plan: a complete plan keeps a plan in hand, and the refinement then starts
    each such block from its plan, furthest from its bound first). In worker threads here or, with ``cluster``, on
    its workers: the same step in both places, so the cluster's blocks plan as this process's do (without it the
    cluster solved such blocks again with presolve on, in half the time then left: at L one block still had no
    plan, and the refinement lost that time; docs/performance.md, cluster-equal). A block that still finds none
    stays without (the plan is then partial and the search completes it); so do blocks whose cluster is gone."""
    missing = [b for b, solution in enumerate(solutions) if solution is None]
    if not missing or (stop is not None and stop.interrupted):
        return solutions
    # On a cluster the worker has no ``stop``: the late deadline goes with the block as its deadline.
    late = np.inf if stop is None or stop.deadline is None else time.perf_counter() + stop.late_deadline - stop.clock()
    completed = list(solutions)
    for b, solution in zip(missing, split.solve_blocks(BlockPass.first_plans(missing), mip_gap, late, workers,
                                                       stop=stop, cluster=cluster)):
        completed[b] = solution
    return completed


def _twinned(lp, split: _Split, twin_of_column: np.ndarray, integer: np.ndarray, time_limit_s: float,
             stop: Stop | None = None) -> tuple[_Split, np.ndarray | None]:
    """``split`` with its blocks' twins (``_Split.share_twins``), its linking rows shared out by the LP relaxation
    with every column held at its twin's value: the relaxation's own solution may plan two twins apart where
    they cost the same (a degenerate optimum: an order placed a period earlier in one scenario than in
    another), and then the twin's share of each linking row (the least of its group's) would be too small for
    the plan of either. That LP is solved on the reduced model where twins share one column
    (``_twin_reduced_relaxation``). ``split`` as it was when it is not solved in time. Its objective is no bound
    on the model's (the tie is a restriction); also the rows' prices there (``_tied_prices``), None with ``split``
    as it was."""
    split.share_twins(twin_of_column)
    if not np.any(split.twin >= 0):
        return split, None
    tied = _twin_reduced_relaxation(lp, split.twin, time_limit_s, stop, matrix=(split.start, split.index, split.value))
    if tied is None:
        return split, None
    relaxed, prices = tied
    twinned = _Split.of(lp, split.block_of, relaxed, integer)
    if twinned is None:
        return split, None
    twinned.share_twins(split.twin)
    return twinned, prices


def _tied_route(lp: highspy.HighsLp, twin_of_column: np.ndarray | None) -> bool:
    """Whether the block start takes the tied route (``_tied_start``): a model with twins (recourse) whose reduced
    LP (each twin standing for its followers) is below ``BLOCKWISE_COLUMNS`` columns."""
    return twin_of_column is not None and int(np.sum(twin_of_column < 0)) < BLOCKWISE_COLUMNS


def _tied_start(lp: highspy.HighsLp, block_of_column: np.ndarray, twin_of_column: np.ndarray, integer: np.ndarray,
                share_s: float, workers: int, stop: Stop | None) -> tuple[_Split | None, float | None]:
    """The tied route of a model with twins: the linking rows shared out by the relaxation with the twins held
    equal (``_twinned``, on the reduced LP, in ``share_s``), and the bound the blocks' own LPs give at its prices
    (block_bound.py: the Lagrangian bound, valid whatever the prices; in ``share_s`` again). The whole
    relaxation, the bound otherwise (L with recourse: 47 s at load 2-3, 80-105 s at load 6-8 and once not
    ended in its share), is not solved. (None, None) when the tied relaxation is not solved in time (the
    blocks' own relaxations then share the rows out, as from ``BLOCKWISE_COLUMNS``); the bound None when the
    blocks' LPs are not."""
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    twin, _, _ = _taken_twins(twin_of_column, block_of_column, integer, lower, upper)
    tied = _twin_reduced_relaxation(lp, twin, share_s, stop)
    if tied is None:
        return None, None
    relaxed, prices = tied
    split = _Split.of(lp, block_of_column, relaxed, integer)
    if split is None:
        return None, None
    split.share_twins(twin)
    priced = BlockRelaxations(lp, block_of_column).bound(prices, time.perf_counter() + share_s, workers, stop)
    return split, None if priced is None else priced.bound


def twin_reduced_lp(lp: highspy.HighsLp, twin: np.ndarray,
                    matrix: tuple | None = None) -> tuple[highspy.HighsLp, np.ndarray, np.ndarray]:
    """The LP relaxation of ``lp`` with every column j with ``twin[j] >= 0`` held at its twin's value, as a smaller
    LP: x_j = x_twin substituted, so the twin's column carries j's cost and matrix entries (summed row by row)
    and the intersection of both bounds, and the rows this leaves alike (a scenario's copy of a row its twin's
    copy has) are kept once with the intersection of their bounds. The same optimum as ``lp`` relaxed with the
    rows x_j = x_twin added, on a fraction of the columns (L with recourse: 100k of 218k). Also each column's
    column in it (a follower's is its twin's) and each row's row in it (a row kept once for another: that row's).
    A twin must not itself have a twin. ``matrix``: ``_by_column(lp)`` when the caller has it."""
    start, index, value = matrix or _by_column(lp)
    twin = np.asarray(twin, dtype=np.int64)
    count = lp.num_col_
    own = np.flatnonzero(twin < 0)
    reduced_of = np.full(count, -1, dtype=np.int64)
    reduced_of[own] = np.arange(len(own))
    followers = np.flatnonzero(twin >= 0)
    reduced_of[followers] = reduced_of[twin[followers]]
    cost, lower, upper = (np.array(a, dtype=np.float64) for a in (lp.col_cost_, lp.col_lower_, lp.col_upper_))
    np.add.at(cost, twin[followers], cost[followers])
    np.maximum.at(lower, twin[followers], lower[followers])
    np.minimum.at(upper, twin[followers], upper[followers])

    column = reduced_of[np.repeat(np.arange(count), np.diff(start))]
    keys, entry_of_key = np.unique(column * lp.num_row_ + index, return_inverse=True)
    summed = np.bincount(entry_of_key.ravel(), weights=value, minlength=len(keys))
    nonzero = summed != 0  # a follower's entry cancelling its twin's
    column, row, summed = keys[nonzero] // lp.num_row_, keys[nonzero] % lp.num_row_, summed[nonzero]
    row_lower, row_upper = np.array(lp.row_lower_, dtype=np.float64), np.array(lp.row_upper_, dtype=np.float64)
    kept, alike = _alike_rows_once(row, column, summed, row_lower, row_upper)
    entry_kept = kept[row] >= 0
    column, row, summed = column[entry_kept], kept[row[entry_kept]], summed[entry_kept]
    keep = np.flatnonzero(kept >= 0)

    reduced = highspy.HighsLp()
    reduced.num_col_, reduced.num_row_ = len(own), len(keep)
    reduced.sense_, reduced.offset_ = lp.sense_, lp.offset_
    reduced.col_cost_, reduced.col_lower_, reduced.col_upper_ = cost[own], lower[own], upper[own]
    reduced.row_lower_, reduced.row_upper_ = row_lower[keep], row_upper[keep]
    order = np.lexsort((row, column))
    reduced.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    reduced.a_matrix_.num_col_, reduced.a_matrix_.num_row_ = reduced.num_col_, reduced.num_row_
    reduced.a_matrix_.start_ = np.concatenate([[0], np.cumsum(np.bincount(column, minlength=len(own)))]).astype(np.int32)
    reduced.a_matrix_.index_ = row[order].astype(np.int32)
    reduced.a_matrix_.value_ = summed[order]
    return reduced, reduced_of, kept[alike]


def _twin_reduced_relaxation(lp: highspy.HighsLp, twin: np.ndarray, time_limit_s: float, stop: Stop | None = None,
                             matrix: tuple | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The column values of ``lp``'s LP relaxation with every column held at its twin's (``twin_reduced_lp``), each
    follower given its twin's value, and a price of each row of ``lp`` (``_tied_prices``); None when it is not
    solved to optimality within ``time_limit_s`` (or ``stop``'s deadline: it watches this solve). Solved by
    block_bound.py's ``solve_lp`` (one function owns an LP solved in a thread of its own, one HiGHS thread, watched
    by ``stop``), as the blocks' own LPs are."""
    reduced, reduced_of, row_of = twin_reduced_lp(lp, twin, matrix)
    values, _, duals = solve_lp(reduced, time_limit_s, stop, row_duals=True)
    if values is None:
        return None
    return values[reduced_of], _tied_prices(duals, row_of)


def _tied_prices(reduced_duals: np.ndarray, row_of: np.ndarray) -> np.ndarray:
    """Each row's price from the reduced LP's dual values (``twin_reduced_lp``'s ``row_of``: each row's row there):
    the dual value of its row there, shared evenly among the rows kept once as that one (their scenarios' copies
    alike). On a tied plan, where alike rows have one activity, any split of the dual value prices the rows
    as the reduced LP does; the blocks' Lagrangian bound at these prices (block_bound.py) is valid whatever
    they are, and near the whole LP relaxation's where the tie costs little (``_tied_split``)."""
    group = np.bincount(row_of, minlength=len(reduced_duals))
    return reduced_duals[row_of] / group[row_of]


def _taken_twins(twin: np.ndarray, block_of: np.ndarray, integer: np.ndarray, lower: np.ndarray,
                 upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The twins ``_Split.share_twins`` takes (-1 for the others: a twin outside the column's block, itself a
    twin's, of another kind or with bounds disjoint from the column's), and each column's bounds intersected
    with its followers'."""
    twin = np.array(twin, dtype=np.int64)
    followers = np.flatnonzero(twin >= 0)
    leaders = twin[followers]
    taken = ((block_of[followers] >= 0) & (block_of[leaders] == block_of[followers])
             & (twin[leaders] < 0) & (integer[leaders] == integer[followers]))
    twin[followers[~taken]] = -1
    for _ in range(2):  # a second pass after dropping the followers of a twin whose bounds turned out disjoint
        followers = np.flatnonzero(twin >= 0)
        shared_lower, shared_upper = lower.astype(np.float64), upper.astype(np.float64)
        np.maximum.at(shared_lower, twin[followers], lower[followers])
        np.minimum.at(shared_upper, twin[followers], upper[followers])
        disjoint = np.flatnonzero(shared_lower > shared_upper + _TOLERANCE)
        if not len(disjoint):
            break
        twin[np.isin(twin, disjoint)] = -1
    return twin, shared_lower, shared_upper


def _relaxation(highs: highspy.Highs, integer: np.ndarray, time_limit_s: float):
    """The LP relaxation's column values and objective (None, None when it is not solved to optimality);
    ``integer`` marks the integer columns, made continuous for the run only."""
    integer = np.flatnonzero(integer)
    count = len(integer)
    highs.changeColsIntegrality(count, integer, [highspy.HighsVarType.kContinuous] * count)
    highs.setOptionValue("time_limit", max(time_limit_s, 1e-3))
    try:
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, None
        return np.asarray(highs.getSolution().col_value), highs.getInfo().objective_function_value
    finally:
        highs.changeColsIntegrality(count, integer, [highspy.HighsVarType.kInteger] * count)


def _blockwise_relaxation(relaxations: BlockRelaxations, deadline: float, workers: int,
                          stop: Stop | None) -> tuple[np.ndarray | None, float | None]:
    """Column values to split the linking rows by, and a bound, when the whole model's relaxation is not
    solved (too large, ``BLOCKWISE_COLUMNS``, or not ended in its share): each block's own LP relaxation
    (block_bound.py ``BlockRelaxations``: each linking row open to a block up to what the rest of the row
    leaves it), at zero prices first (up to ``RELAXATION_SHARE`` of the time left before ``deadline``), then
    priced by Dantzig-Wolfe's master in ``PRICE_SEARCH_SHARE`` of the time then left (block_bound.py
    ``master_search``). The bound is the best Lagrangian bound it found (block_bound.py: valid for the whole
    model, whatever the prices); the values, the master's combination of the blocks' minima (the whole
    relaxation's solution once it has converged), with every linking column at its upper bound (each supplier onboarded;
    ``lower_linking_columns`` later drops those no block orders from). What a block uses there is its
    demand on each shared row; ``_Split.of`` then gives each block that use scaled to the row's bound, so
    the shares still add up to it. (None, None) when a block's LP is not solved."""
    first = relaxations.bound(None, time.perf_counter() + RELAXATION_SHARE * (deadline - time.perf_counter()),
                              workers, stop)
    if first is None:
        return None, None
    search_deadline = time.perf_counter() + PRICE_SEARCH_SHARE * (deadline - time.perf_counter())
    best, values = master_search(relaxations, first, search_deadline, workers, stop)
    lp = relaxations.lp
    upper = np.asarray(lp.col_upper_)
    linking = np.where(np.isfinite(upper), upper, np.asarray(lp.col_lower_))
    return np.where(relaxations.block_of < 0, linking, values), best.bound


def _share_priced_bound(relaxations: BlockRelaxations, split: _Split, bound: float, deadline: float, workers: int,
                        stop: Stop | None) -> float:
    """The highest of ``bound`` and L(y) at the linking rows' prices where the blocks' LPs meet their shares:
    each block's LP relaxation at its shares (``split``) prices each linking row by its dual value there; y
    is, row by row, the mean of those, their median, or the one of least magnitude (a degenerate block LP
    can price a row far above its margin). Where the shares are the whole relaxation's use, its blocks'
    dual values are its own and L(y) its bound (LP duality); any y gives a valid bound (block_bound.py), so
    each is kept only where it is higher. Stops at ``deadline``; not begun after it, nor a pass of the blocks' LPs
    (at L under load 15 the blocks' LPs, begun after it, took the solve 2.8 s past its limit).
    """
    share_deadline = deadline
    if _past(deadline, stop):
        return bound
    duals = in_workers(lambda b: split.share_duals(b, share_deadline, stop), list(split.every_block), workers)
    if any(dual is None for dual in duals):
        return bound
    of_row: dict[int, list[float]] = {}
    for rows, values in duals:
        for row, value in zip(rows.tolist(), values.tolist()):
            of_row.setdefault(row, []).append(value)
    for pick in (np.mean, np.median, lambda values: min(values, key=abs)):
        if _past(deadline, stop):
            break
        prices = np.zeros(split.lp.num_row_)
        for row, values in of_row.items():
            prices[row] = pick(values)
        priced = relaxations.bound(prices, share_deadline, workers, stop)
        if priced is not None:
            bound = max(bound, priced.bound)
    return bound


def _past(deadline: float, stop: Stop | None) -> bool:
    """Whether ``deadline`` (``time.perf_counter``) or ``stop`` has passed: a step not begun then."""
    return time.perf_counter() >= deadline or (stop is not None and stop.due())


def _blockwise_first_plans(split: _Split, fallback: np.ndarray | None, mip_gap: float, deadline: float, workers: int,
                 stop: Stop | None, cluster: str | None) -> tuple[list[tuple | None], int]:
    """Every block's first plan before any is improved (at XXL one block alone needs half a minute or more
    for a first plan): each block in its even share of ``FIRST_PASS_SHARE`` of the time left; a block with
    none then takes its part of ``fallback`` where that gives each of the block's columns and meets the
    block's rows (``_Split.holds``); a block still without one gets its first plan with presolve off
    (``_first_plans``, as on the whole relaxation's route: serve_first XL, whose commitments break a supplier share
    of five blocks, found their plans so in 1-4 s where presolve on found none in their share, but under load two
    found none in 10 s and the run ended without a plan; the fallback now dilutes such commitments,
    models/dilution.py, so this is only for a cap no diluting order can mend); the blocks still without a plan
    are solved again in half the time then left. Under serve_first (``split.release``) each block's MIP in the first
    pass and again is solved with its release binaries relaxed, then repaired (``_relaxed_then_repaired``: at XL
    the full MIP found a plan for 14 of 60 blocks in its share), in two passes (``_relaxed_then_repaired_passes``).
    Returns the solutions and how many are fallbacks. The refinement (``_Split.refine``) then starts each block from
    its plan with the rest."""
    first_deadline = time.perf_counter() + FIRST_PASS_SHARE * (deadline - time.perf_counter())
    if split.release is not None:
        solutions = _relaxed_then_repaired_passes(split, mip_gap, first_deadline, workers, stop, cluster)
    else:
        solutions = split.solve_blocks(BlockPass.even_shares(split.every_block), mip_gap, first_deadline, workers,
                                       stop=stop, cluster=cluster)
    fallbacks = 0
    for b, solution in enumerate(solutions):
        if solution is None and fallback is not None:
            columns = np.flatnonzero((split.block_of == b) & (True if split.twin is None else split.twin < 0))
            if np.all(np.isfinite(fallback[columns])) and split.holds(b, fallback):
                solutions[b] = (columns, fallback[columns].copy(), False, -np.inf)
                fallbacks += 1
    solutions = _first_plans(split, solutions, mip_gap, workers, stop, cluster)
    missing = [b for b, solution in enumerate(solutions) if solution is None]
    if missing and time.perf_counter() < deadline:
        again = split.solve_blocks(BlockPass.even_shares(missing), mip_gap, (time.perf_counter() + deadline) / 2,
                                   workers, stop=stop, cluster=cluster)
        for b, solution in zip(missing, again):
            solutions[b] = solution
    return solutions, fallbacks


def _relaxed_then_repaired_passes(split: _Split, mip_gap: float, deadline: float, workers: int, stop: Stop | None,
                                  cluster: str | None) -> list[tuple | None]:
    """Every serve_first block's first plan (``_relaxed_then_repaired``) in two passes before ``deadline``: every
    block's relaxed step (``relax_block``) in ``RELAXED_PASS_SHARE`` of the time (each up to ``BLOCK_TIME_SHARE`` times
    its even share: it stops at its first plan, and at load 5-8 an even share of 0.4-0.6 s cut a third of them
    short), kept in ``split.relaxed_plans`` (a block at its fallback is repaired from it again in the refinement),
    then every block's repair from it, to its first plan, in the rest; in both a block that ends early hands its
    time on (``BlockPass.hand_on``). One pass gave each block its even share for both steps: a block whose
    relaxed step or repair needs more than that found nothing, while others ended early and left their time unused."""
    every = split.every_block
    relaxed_deadline = time.perf_counter() + RELAXED_PASS_SHARE * (deadline - time.perf_counter())
    relaxed = split.solve_blocks(BlockPass.relaxed_steps(every), mip_gap, relaxed_deadline, workers, stop=stop,
                                 cluster=cluster)
    split.relaxed_plans.update((b, plan) for b, plan in zip(every, relaxed) if plan is not None)
    return split.solve_blocks(BlockPass.first_repairs(every), mip_gap, deadline, workers, stop=stop, cluster=cluster)


def _handing_on(limits: BlockLimits, deadline: float, workers: int, count: int) -> Callable[[], BlockLimits]:
    """Each block's limits as it begins, in a pass of ``count`` blocks that hand their time on
    (``BlockPass.hand_on``): at least its even share of the time then left to ``deadline`` among the blocks not yet
    begun, itself and the others running (``workers``), so the time of a block that ended early goes to the blocks
    after it."""
    not_begun = [count]
    lock = threading.Lock()

    def handed_on() -> BlockLimits:
        with lock:
            not_begun[0] -= 1
            waiting = not_begun[0] + max(1, workers)  # those not begun, this one and the others running
        left = max(1, workers) * (deadline - time.perf_counter()) / waiting
        return dataclasses.replace(limits, longest=max(limits.longest, left))

    return handed_on


class _Split:
    """The model cut into blocks: the matrix by column, each row's block, linking rows' shares."""

    def __init__(self, lp, block, relaxed, integer, start, index, value, row_block, fixed, row_lower, row_upper,
                 shares):
        self.lp, self.block_of, self.relaxed, self.integer = lp, block, relaxed, integer
        self.start, self.index, self.value = start, index, value
        self.row_block = row_block  # a row's block; -2 a linking row; -1 a row in no block (no block columns)
        self.fixed = fixed  # linking columns' values
        self.row_lower, self.row_upper = row_lower, row_upper  # less the linking columns' fixed activity
        self.shares = shares  # (row, block) -> (lower, upper) for linking rows
        self.cost, self.lower, self.upper = (np.asarray(a) for a in (lp.col_cost_, lp.col_lower_, lp.col_upper_))
        self.twin = None  # share_twins: each column's twin in its block (-1 none)
        self.release = None  # which columns are serve_first's release binaries w (``block``'s ``repair``)
        self.relaxed_plans: dict[int, tuple[np.ndarray, float]] = {}  # a block's relaxed step (``relax_block``)

    @property
    def every_block(self) -> range:
        """Every block's number, in order (0, 1, ...)."""
        return range(int(self.block_of.max(initial=-1)) + 1)

    def share_twins(self, twin: np.ndarray) -> None:
        """Let each column j with ``twin[j] >= 0`` take its twin's value in the block MIPs: the block holds the
        twin alone, with j's cost added and its matrix entries moved onto it (x_j = x_twin substituted), its
        bounds the intersection of the two. Every block plan then gives each column of the whole model a
        value meeting every row of its block, so the assembly is unchanged; the blocks are smaller. A twin
        outside j's block, itself a twin's, of another kind or with bounds disjoint from j's is not taken."""
        twin, self.shared_lower, self.shared_upper = _taken_twins(twin, self.block_of, self.integer, self.lower,
                                                                  self.upper)
        followers = np.flatnonzero(twin >= 0)
        self.twin = twin
        self.shared_cost = self.cost + np.bincount(twin[followers], weights=self.cost[followers],
                                                   minlength=len(self.cost))

    @classmethod
    def of(cls, lp, block: np.ndarray, relaxed: np.ndarray, integer: np.ndarray) -> _Split | None:
        """None when a row holds only linking columns (no block could keep it)."""
        start, index, value = _by_column(lp)
        rows = lp.num_row_
        column_of_entry = np.repeat(np.arange(lp.num_col_), np.diff(start))
        entry_block = block[column_of_entry]
        in_block = entry_block >= 0

        fixed = np.where(integer, np.ceil(relaxed - 1e-6), relaxed)
        fixed = np.clip(fixed, np.asarray(lp.col_lower_), np.asarray(lp.col_upper_))
        linking = ~in_block
        fixed_activity = np.bincount(index[linking], weights=value[linking] * fixed[column_of_entry[linking]],
                                     minlength=rows)
        row_lower = np.asarray(lp.row_lower_) - fixed_activity
        row_upper = np.asarray(lp.row_upper_) - fixed_activity

        pairs = np.unique(np.stack([index[in_block], entry_block[in_block]]), axis=1)
        blocks_in_row = np.bincount(pairs[0], minlength=rows)
        # A row of linking columns alone (z >= 1 for a commitment's supplier) must hold at their fixed values.
        alone = blocks_in_row == 0
        if np.any(alone & ((row_lower > _TOLERANCE) | (row_upper < -_TOLERANCE))):
            return None
        row_block = np.full(rows, -1, dtype=np.int64)
        single = blocks_in_row[pairs[0]] == 1
        row_block[pairs[0][single]] = pairs[1][single]
        row_block[blocks_in_row >= 2] = -2
        shares = _linking_shares(index, value, column_of_entry, entry_block, in_block, row_block, relaxed,
                                 row_lower, row_upper)
        return cls(lp, block, relaxed, integer, start, index, value, row_block, fixed, row_lower, row_upper, shares)

    def leave_room_for(self, fallback: np.ndarray) -> None:
        """Shares that each hold the block's part of ``fallback`` (a plan meeting every row; NaN where not given),
        so a block that takes its fallback plan still meets its share: on each linking row whose shares do
        not, each block gets its fallback's use plus the rest of the row's bound in proportion to what its
        share held beyond that. A row the fallback's uses alone overfill (it cannot be: they meet the row)
        or a block whose fallback is not whole is left as it was."""
        given = np.isfinite(fallback)
        at = np.where(given, fallback, 0.0)
        keys = list(self.shares)
        column_of_entry = np.repeat(np.arange(self.lp.num_col_), np.diff(self.start))
        entry_block = self.block_of[column_of_entry]
        linking = (self.row_block[self.index] == -2) & (entry_block >= 0)
        used: dict[tuple[int, int], float] = {}
        for row, b, a, j in zip(self.index[linking], entry_block[linking], self.value[linking],
                                column_of_entry[linking]):
            used[int(row), int(b)] = used.get((int(row), int(b)), 0.0) + (a * at[j] if given[j] else np.nan)
        for row in {row for row, _ in keys}:
            blocks = [b for r, b in keys if r == row]
            uses = np.array([used.get((row, b), 0.0) for b in blocks])
            if not np.all(np.isfinite(uses)):
                continue
            lower, upper = (np.array(bounds) for bounds in zip(*(self.shares[row, b] for b in blocks)))
            upper = _room(upper, uses, self.row_upper[row])
            lower = -_room(-lower, -uses, -self.row_lower[row])
            for b, lo, up in zip(blocks, lower, upper):
                self.shares[row, b] = (float(lo), float(up))

    def share_duals(self, b: int, deadline: float, stop: Stop | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Block b's LP relaxation at its shares: its linking rows and their dual values there (HiGHS's sign:
        a ceiling's at most 0), or None when it is not solved to optimality before ``deadline``."""
        block = self.block(b)
        lp = block.highs_lp()
        lp.integrality_ = []
        highs = highspy.Highs()
        if stop is not None:
            stop.watch(highs)
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.setOptionValue("time_limit", max(deadline - time.perf_counter(), 1e-3))
        highs.passModel(lp)
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        columns = block.columns
        lengths = self.start[columns + 1] - self.start[columns]
        entries = np.repeat(self.start[columns], lengths) + np.arange(lengths.sum()) - np.repeat(
            np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        rows = np.unique(self.index[entries])
        if len(rows) != lp.num_row_:  # a block with twins merges rows: no prices from it
            return np.empty(0, dtype=np.int64), np.empty(0)
        linking = self.row_block[rows] == -2
        return rows[linking], np.asarray(highs.getSolution().row_dual)[linking]

    def holds(self, b: int, values: np.ndarray) -> bool:
        """Whether ``values`` meets every row of block b's own model (``block``: its linking rows at b's share)
        and its columns' bounds (relative tolerance 1e-6, as ``feasible``)."""
        block = self.block(b)
        x = values[block.columns]
        column_of_entry = np.repeat(np.arange(len(block.columns)), np.diff(block.start))
        activity = np.bincount(block.index, weights=block.value * x[column_of_entry], minlength=len(block.row_lower))
        slack = 1e-6 * np.maximum(1.0, np.abs(activity))
        rows_hold = np.all(activity >= block.row_lower - slack) and np.all(activity <= block.row_upper + slack)
        return bool(rows_hold and np.all(x >= block.col_lower - 1e-6) and np.all(x <= block.col_upper + 1e-6))

    def block(self, b: int, start: np.ndarray | None = None, repair: bool = False, improve: bool = False) -> Block:
        """Block b's own model: its columns, the rows they are in (linking rows with b's share); with
        ``start`` (a complete plan), its part of it; with ``repair``, its release binaries (``release``), when it
        has any, to relax, then repair (``_relaxed_then_repaired``), with its relaxed step's plan when a pass found
        it (``relaxed_plans``); with ``improve`` too, its plan in ``start`` improved within its relaxed plan's pattern
        (``Block.within_pattern``), when that relaxed plan is known."""
        if self.twin is not None:  # the block start only (blocks_around starts from a plan and takes no twins)
            return self._with_release(self._shared_block(b, start), repair, b, improve)
        return self._with_release(self._own_block(b, start), repair, b, improve)

    def _with_release(self, block: Block, repair: bool, b: int | None = None, improve: bool = False) -> Block:
        release = None if self.release is None or not repair else self.release[block.columns]
        if release is None or not release.any():
            return block
        relaxed = self.relaxed_plans.get(b)
        within = improve and relaxed is not None and block.plan is not None
        return dataclasses.replace(block, release=release, relaxed=relaxed, within_pattern=within)

    def _own_block(self, b: int, start: np.ndarray | None = None) -> Block:
        """Block b without twins (``block``)."""
        columns = np.flatnonzero(self.block_of == b)
        lengths = self.start[columns + 1] - self.start[columns]
        starts = np.concatenate([[0], np.cumsum(lengths)])
        entries = np.repeat(self.start[columns] - starts[:-1], lengths) + np.arange(starts[-1])
        rows, local_row = np.unique(self.index[entries], return_inverse=True)
        row_lower, row_upper = self.row_lower[rows].copy(), self.row_upper[rows].copy()
        for position in np.flatnonzero(self.row_block[rows] == -2):
            row_lower[position], row_upper[position] = self.shares[int(rows[position]), b]
        return Block(columns, int(self.lp.sense_), self.cost[columns], self.lower[columns], self.upper[columns],
                     row_lower, row_upper, starts, local_row.astype(np.int64), self.value[entries],
                     self.integer[columns], None if start is None else start[columns])

    def _shared_block(self, b: int, start: np.ndarray | None = None) -> Block:
        """Block b with each column's twin standing for it (share_twins): the twins' entries summed per row, and
        the rows this leaves alike (a scenario's copy of a row its twin's copy has) kept once, with the
        intersection of their bounds (each linking row's share still holds for every scenario)."""
        every = np.flatnonzero(self.block_of == b)
        own = every[self.twin[every] < 0]
        lengths = self.start[every + 1] - self.start[every]
        entries = np.repeat(self.start[every], lengths) + np.arange(lengths.sum()) - np.repeat(
            np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        column = np.repeat(every, lengths)
        column = np.searchsorted(own, np.where(self.twin[column] >= 0, self.twin[column], column))
        rows, row = np.unique(self.index[entries], return_inverse=True)
        row = row.ravel()
        keys, entry_of_key = np.unique(column * len(rows) + row, return_inverse=True)
        value = np.bincount(entry_of_key.ravel(), weights=self.value[entries])
        column, row = keys // len(rows), keys % len(rows)
        nonzero = value != 0  # a follower's entry cancelling its twin's
        column, row, value = column[nonzero], row[nonzero], value[nonzero]
        row_lower, row_upper = self.row_lower[rows].copy(), self.row_upper[rows].copy()
        for position in np.flatnonzero(self.row_block[rows] == -2):
            row_lower[position], row_upper[position] = self.shares[int(rows[position]), b]
        kept, _ = _alike_rows_once(row, column, value, row_lower, row_upper)
        entry_kept = kept[row] >= 0
        column, row, value = column[entry_kept], kept[row[entry_kept]], value[entry_kept]
        starts = np.concatenate([[0], np.cumsum(np.bincount(column, minlength=len(own)))])
        order = np.lexsort((row, column))
        keep = np.flatnonzero(kept >= 0)
        return Block(own, int(self.lp.sense_), self.shared_cost[own], self.shared_lower[own], self.shared_upper[own],
                     row_lower[keep], row_upper[keep], starts, row[order].astype(np.int64), value[order],
                     self.integer[own], None if start is None else start[own])

    def solve_blocks(self, kind: BlockPass, mip_gap: float, deadline: float, workers: int,
                     start: np.ndarray | None = None, stop: Stop | None = None, cluster: str | None = None,
                     on_plan: Callable[[int, tuple | None], None] | None = None) -> list[tuple | None]:
        """The pass ``kind`` (``BlockPass``: which blocks, how much time each, what is done with each): each of its
        blocks' (columns, values, finished, bound), or None where no plan was found before the deadline
        (``time.perf_counter``); ``finished``: solved within ``mip_gap``; ``bound``: the block's own bound (its
        relaxed step alone: (values, bound)). With ``start`` (a complete plan), each block starts from its part of
        it, and a block reached after the deadline is left as it is there. On ``workers`` threads here, or as tasks
        on the Dask cluster at ``cluster``. ``on_plan(b, solution)`` is called as each block here ends (threads
        only; not on a cluster)."""
        if cluster is not None:
            try:
                workers = cluster_threads(cluster)  # the cluster's threads share the time, not this machine's
            except CannotConnect:
                return [None] * len(kind.blocks)  # every block without a plan: the whole search, here, finds the plan
        limits, task = kind.limits(mip_gap, deadline, workers), kind.task()

        def block(b: int) -> Block:
            return self.block(b, start, repair=b in kind.repair, improve=b in kind.improve)

        if cluster is not None:
            return _on_cluster(limits, [block(b) for b in kind.blocks], cluster, task)
        limits_now = _handing_on(limits, deadline, workers, len(kind.blocks)) if kind.hand_on else lambda: limits

        def solve(b: int):
            if stop is not None and stop.late_due():
                return None  # Ctrl-C, or past even a late first plan's deadline: no block is begun any more
            if start is not None and time.perf_counter() >= deadline:
                return None  # a plan in hand, out of time: left at it (``solve_block``), its block not even made
            solution = task(limits_now(), block(b), stop)
            if on_plan is not None:
                on_plan(b, solution)
            return solution

        # In worker threads (optimizer/solving/workers.py): each with its own single-thread HiGHS scheduler.
        return in_workers(solve, list(kind.blocks), workers)

    def refine(self, solutions: list[tuple | None], mip_gap: float, deadline: float, workers: int,
               stop: Stop | None = None, cluster: str | None = None,
               enough: Callable[[float], bool] | None = None) -> list[tuple | None]:
        """``solutions`` with the blocks the first pass left furthest from their own bound solved again, from
        their plan, in the time left before ``deadline``: furthest first, each kept where it got cheaper.
        ``enough(objective)``: whether the assembled plan's objective is good enough (within the run's gap of a
        valid bound: ``_within_gap``); the pass is not begun, or ends as soon as a block's new plan makes it so
        (the blocks still running are stopped and keep their plan so far, the rest are not begun).

        Only complete sets are refined (each block's plan is its start); a block without a bound of its own
        (at its fallback plan) counts as furthest, and under serve_first is solved with its release binaries
        relaxed, then repaired (``_relaxed_then_repaired``), from its fallback plan (its relaxed plan, when the first
        pass kept it, is not solved again), to its first plan (at XL under load 6-9 a repair that ran on to the gap
        took its whole 5.5 s where its first plan came in 1-3 s, while other blocks stayed at their fallback, about 3
        times their bound); a repaired block whose relaxed plan was kept is improved from its plan with only the w
        that relaxed plan leaves open free (``_within_pattern``). At XL the first pass gives each
        block about a second: most stop at their time limit 5-15% from their own bound, while a few
        finish early and leave time that the furthest can use; the plan can only get cheaper.
        """
        if any(solution is None for solution in solutions) or time.perf_counter() >= deadline:
            return solutions
        distance = {b: abs(self.block_cost(solution) - solution[3]) if np.isfinite(solution[3]) else np.inf
                    for b, solution in enumerate(solutions) if not solution[2]}
        if not distance or (enough is not None and enough(self.objective(solutions))):
            return solutions
        furthest = sorted(distance, key=distance.get, reverse=True)
        plan, _ = self.assemble(solutions)
        refined = list(solutions)
        until = _Enough(outer=stop)
        lock = threading.Lock()

        def keep_cheaper(b: int, solution: tuple | None) -> None:
            with lock:
                if solution is not None and self.sense * (self.block_cost(solution) - self.block_cost(refined[b])) < 0:
                    refined[b] = solution
                if enough is not None and enough(self.objective(refined)):
                    until.interrupt()

        at_fallback = [b for b in furthest if not np.isfinite(solutions[b][3])]
        repaired = [b for b in furthest if np.isfinite(solutions[b][3]) and b in self.relaxed_plans]
        again = self.solve_blocks(BlockPass.refinement(furthest, at_fallback, repaired), mip_gap, deadline, workers,
                                  start=plan, stop=until, cluster=cluster, on_plan=keep_cheaper)
        for b, solution in zip(furthest, again):  # on a cluster, where blocks report only at the end
            keep_cheaper(b, solution)
        return refined

    def objective(self, solutions: list[tuple]) -> float:
        """The objective of the plan assembled from a complete set of ``solutions``."""
        values, _ = self.assemble(solutions)
        return float(np.dot(self.cost, values) + self.lp.offset_)

    @property
    def sense(self) -> int:
        """1 for a model that minimises, -1 for one that maximises."""
        return -1 if self.lp.sense_ == highspy.ObjSense.kMaximize else 1

    def block_cost(self, solution: tuple) -> float:
        """A block solution's part of the objective (with twins, each column's cost carries its followers')."""
        cost = self.cost if self.twin is None else self.shared_cost
        return float(np.dot(cost[solution[0]], solution[1]))

    def assemble(self, solutions) -> tuple[np.ndarray, np.ndarray]:
        """The full column vector and which columns it gives (linking columns and solved blocks)."""
        values = np.where(self.block_of < 0, self.fixed, self.relaxed)
        given = self.block_of < 0
        for solution in solutions:
            if solution is not None:
                columns, block_values = solution[:2]
                values[columns] = block_values
                given[columns] = True
        if self.twin is not None:  # a column takes its twin's value (share_twins)
            followers = np.flatnonzero(self.twin >= 0)
            followers = followers[given[self.twin[followers]]]
            values[followers], given[followers] = values[self.twin[followers]], True
        values[self.integer] = np.round(values[self.integer])
        return values, given

    def lower_linking_columns(self, values: np.ndarray) -> None:
        """Lower each linking column with a positive cost to its lower bound where every row still holds
        (a supplier no block orders from is not onboarded)."""
        activity = self.activity(values)
        lower = self.lower
        row_lower, row_upper = np.asarray(self.lp.row_lower_), np.asarray(self.lp.row_upper_)
        for j in np.flatnonzero((self.block_of < 0) & (self.cost > 0) & (values > lower)):
            entries = slice(self.start[j], self.start[j + 1])
            rows = self.index[entries]
            changed = activity[rows] + self.value[entries] * (lower[j] - values[j])
            if np.all(changed >= row_lower[rows] - _TOLERANCE) and np.all(changed <= row_upper[rows] + _TOLERANCE):
                activity[rows] = changed
                values[j] = lower[j]

    def activity(self, values: np.ndarray) -> np.ndarray:
        return _activity(self.lp, self.start, self.index, self.value, values)

    def feasible(self, values: np.ndarray) -> bool:
        """``feasible`` on the matrix this split already holds column by column."""
        return feasible(self.lp, values, matrix=(self.start, self.index, self.value))


def feasible(lp: highspy.HighsLp, values: np.ndarray, tolerance: float = 1e-6, matrix=None) -> bool:
    """Whether ``values`` meets every row and column bound of ``lp`` (row activity relative tolerance);
    ``matrix`` is ``_by_column(lp)`` when the caller has it already."""
    activity = _activity(lp, *(matrix or _by_column(lp)), values)
    row_lower, row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    slack = tolerance * np.maximum(1.0, np.abs(activity))
    rows_hold = np.all(activity >= row_lower - slack) and np.all(activity <= row_upper + slack)
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    columns_hold = np.all(values >= col_lower - tolerance) and np.all(values <= col_upper + tolerance)
    return bool(rows_hold and columns_hold)


def _activity(lp, start, index, value, values: np.ndarray) -> np.ndarray:
    column_of_entry = np.repeat(np.arange(lp.num_col_), np.diff(start))
    return np.bincount(index, weights=value * values[column_of_entry], minlength=lp.num_row_)


def plan_objective(lp: highspy.HighsLp, values: np.ndarray) -> float:
    """The objective of the plan ``values`` (every column's) in ``lp``: its costs and the constant."""
    return float(np.dot(lp.col_cost_, values) + lp.offset_)


def integer_columns(lp: highspy.HighsLp) -> np.ndarray:
    """Whether each column of ``lp`` is integer."""
    if not len(lp.integrality_):
        return np.zeros(lp.num_col_, dtype=bool)
    return np.array([kind == highspy.HighsVarType.kInteger for kind in lp.integrality_])


def _linking_shares(index, value, column_of_entry, entry_block, in_block, row_block, relaxed,
                    row_lower, row_upper) -> dict[tuple[int, int], tuple[float, float]]:
    """(row, block) -> bounds for block's part of each linking row: what the block used in the
    relaxation, plus the row's slack in proportion to that use (evenly when no block used any)."""
    linking_entries = in_block & (row_block[index] == -2)
    rows, blocks = index[linking_entries], entry_block[linking_entries]
    keys, position = np.unique(np.stack([rows, blocks]), axis=1, return_inverse=True)
    position = position.ravel()
    used = np.bincount(position, weights=value[linking_entries] * relaxed[column_of_entry[linking_entries]],
                       minlength=keys.shape[1])
    key_rows = keys[0]
    total = np.bincount(key_rows, weights=used, minlength=len(row_lower))[key_rows]
    magnitude = np.bincount(key_rows, weights=np.abs(used), minlength=len(row_lower))[key_rows]
    count = np.bincount(key_rows, minlength=len(row_lower))[key_rows]
    weight = np.where(magnitude > 0, np.abs(used) / np.where(magnitude > 0, magnitude, 1.0), 1.0 / count)
    with np.errstate(invalid="ignore"):  # infinite bounds stay infinite
        upper = np.where(np.isfinite(row_upper[key_rows]), used + (row_upper[key_rows] - total) * weight, np.inf)
        lower = np.where(np.isfinite(row_lower[key_rows]), used - (total - row_lower[key_rows]) * weight, -np.inf)
    return {(int(r), int(b)): (float(lo), float(up)) for r, b, lo, up in zip(keys[0], keys[1], lower, upper)}


def _room(shares: np.ndarray, uses: np.ndarray, bound: float) -> np.ndarray:
    """Upper ``shares`` of one row (summing to ``bound``) made to hold ``uses``: each the use plus the bound's rest in
    proportion to what its share held beyond its use (``shares`` as they were where they hold the uses already,
    the bound is infinite or the uses overfill it)."""
    if not np.isfinite(bound) or np.all(shares >= uses - _TOLERANCE) or np.sum(uses) > bound + _TOLERANCE:
        return shares
    beyond = np.maximum(shares - uses, 0.0)
    weight = beyond / beyond.sum() if beyond.sum() > 0 else np.full(len(uses), 1.0 / len(uses))
    return uses + (bound - np.sum(uses)) * weight


def _alike_rows_once(row: np.ndarray, column: np.ndarray, value: np.ndarray, row_lower: np.ndarray,
                     row_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's number among the rows kept (-1: dropped, the same as a row before it, whose bounds become the
    intersection of both: ``row_lower`` and ``row_upper`` are tightened in place), and each row's first alike
    row (itself when kept)."""
    order = np.lexsort((column, row))
    row, column, value = row[order], column[order], value[order]
    bounds = np.searchsorted(row, np.arange(len(row_lower) + 1))
    first: dict[tuple[bytes, bytes], int] = {}
    kept = np.full(len(row_lower), -1, dtype=np.int64)
    alike = np.arange(len(row_lower))
    for r in range(len(row_lower)):
        entries = slice(bounds[r], bounds[r + 1])
        same = alike[r] = first.setdefault((column[entries].tobytes(), value[entries].tobytes()), r)
        if same == r:
            kept[r] = 0
        else:
            row_lower[same], row_upper[same] = max(row_lower[same], row_lower[r]), min(row_upper[same], row_upper[r])
    kept[kept >= 0] = np.arange(int(np.sum(kept >= 0)))
    return kept, alike


def solve_mip(lp: highspy.HighsLp, mip_gap: float, time_limit_s: float, first_only: bool = False,
              start: np.ndarray | None = None, stop: Stop | None = None,
              until_deadline: bool = True, options: dict | None = None) -> tuple[np.ndarray | None, bool, float]:
    """A block's MIP (or any MIP held in ``lp``: optimizer/solving/fix_and_optimise.py) in one thread: the block's
    plan (None: none found), whether it is within ``mip_gap`` of the block's bound, and that bound (HiGHS's dual
    bound); it stops at ``stop``'s deadline, or its late one (``Stop.late``) when not
    ``until_deadline``. ``options``: HiGHS options besides these. A MIP whose deadline has passed is not begun
    (no plan): HiGHS would stop at its first check, but only after its set-up and presolve, which under load
    (XL, L at load 10-15) ran past the deadline by 0.5 s or more a block, and by seconds over a pass."""
    if stop is not None and (stop.due() if until_deadline else stop.late_due()):
        return None, False, -np.inf
    highs = highspy.Highs()
    if stop is not None:
        stop.watch(highs, simplex=False, late=not until_deadline)
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", mip_gap)
    highs.setOptionValue("time_limit", max(time_limit_s, 1e-3))
    if first_only:
        highs.setOptionValue("mip_max_improving_sols", 1)
    for name, value in (options or {}).items():
        highs.setOptionValue(name, value)
    highs.passModel(lp)
    if start is not None:
        set_solution(highs, start)
    highs.run()
    info = highs.getInfo()
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return None, False, -np.inf
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return np.asarray(highs.getSolution().col_value), optimal, float(info.mip_dual_bound)


def polish(highs: highspy.Highs, start: BlockStart, stop: Stop | None = None) -> BlockStart:
    """``start`` with its continuous columns re-optimised jointly: the LP of the whole model in ``highs``
    with every integer column fixed at the plan's value; the polished plan when it costs less, else
    ``start`` as it is (also a partial plan or none).

    The block start fixes the linking columns and splits each linking row among the blocks at the LP
    relaxation's values: a conversion from one mineral into another, the funding each mineral may draw,
    the sale revenue a source receives. Each block then plans within its share, so the assembled plan
    can carry money or material where the relaxation put it rather than where the chosen orders need it.
    With the binaries (which orders, which tiers, which suppliers) held, this LP moves every quantity,
    conversion, sale and funding split across minerals at once: it meets every row (the assembled plan
    is one of its solutions) and can only lower the cost. The model in ``highs`` is left as it was.
    Stops at ``stop`` (the whole solve's deadline, a Ctrl-C: it watches ``highs``).
    """
    if start.values is None or start.columns is not None or start.objective is None:
        return start
    if stop is not None and stop.due():  # not begun after the deadline: its LP would stop at once, after its set-up
        return start
    began = time.perf_counter()
    lp = highs.getLp()
    values = _fixed_integers_lp(highs, lp, start.values, stop)
    seconds = start.seconds + time.perf_counter() - began
    if values is None or not feasible(lp, values):
        return dataclasses.replace(start, seconds=seconds)
    objective = plan_objective(lp, values)
    if objective >= start.objective - _TOLERANCE * max(1.0, abs(start.objective)):
        return dataclasses.replace(start, seconds=seconds)
    return dataclasses.replace(start, values=values, objective=objective, seconds=seconds,
                               assembled=start.objective)


def _fixed_integers_lp(highs: highspy.Highs, lp: highspy.HighsLp, plan: np.ndarray,
                       stop: Stop | None) -> np.ndarray | None:
    """The column values of the LP in ``highs`` with its integer columns fixed at ``plan``'s (None: not
    solved to optimality in time); their bounds and integrality are restored afterwards."""
    integer = np.flatnonzero(integer_columns(lp))
    count = len(integer)
    at = np.round(plan[integer])
    lower, upper = np.asarray(lp.col_lower_)[integer], np.asarray(lp.col_upper_)[integer]
    highs.changeColsIntegrality(count, integer, [highspy.HighsVarType.kContinuous] * count)
    highs.changeColsBounds(count, integer, at, at)
    if stop is not None:
        highs.setOptionValue("time_limit", max(stop.remaining(), 1e-3) if stop.deadline is not None else np.inf)
    try:
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.asarray(highs.getSolution().col_value)
        values[integer] = at  # exactly the plan's choices (the LP may leave them within its tolerance)
        return values
    finally:
        highs.changeColsBounds(count, integer, lower, upper)
        highs.changeColsIntegrality(count, integer, [highspy.HighsVarType.kInteger] * count)


def _share(fraction: float) -> str:
    return f"{100 * fraction:.3g}%"
