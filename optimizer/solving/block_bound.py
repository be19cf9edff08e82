"""A lower bound on the whole model from its blocks alone: the Lagrangian bound of the block start.

At XL and XXL the whole model's LP relaxation is the wall (XL: 39-83 s of a 120 s limit; XXL and
serve_first XL: unfinished in the block start's time), yet the block start needs two things from it:
how much of each linking row (funding amounts, budgets) each block may use, and a bound the plan is
measured against. Both come from the blocks' own LPs here, each a few thousand columns.

Symbols (the model minimises; ``lp`` is HiGHS's):

    x_b      the columns of block b (one mineral)          x_L   the linking columns (onboarding)
    c_b, c_L their costs                                    A_i   linking row i: l_i <= A_i x <= u_i
    X_b      block b's own rows (they may hold x_L too) and column bounds
    X_L      the rows of linking columns alone and their bounds
    y_i      a price on linking row i: y_i >= 0 needs a finite l_i, y_i <= 0 a finite u_i

The bound (``BlockRelaxations.bound``) is

    L(y) = sum_i y_i * (l_i if y_i > 0 else u_i)
           + sum_b min { (c_b - y A_b) x_b : (x_b, copy of x_L) in X_b, x_b meets the implied rows }
           + min { (c_L - y A_L) x_L : x_L in X_L }

with each block's own copy of the linking columns free of cost, and the implied rows: block b's part
of linking row i between l_i - R_max(i, b) and u_i - R_min(i, b), R the least and greatest activity
the rest of the row (the other blocks and the linking columns) can have within the column bounds.

**It is a valid lower bound, for every such y.** Take any x meeting every row and bound of the
model. (1) For each linking row, y_i (bound_i - A_i x) <= 0: y_i > 0 and A_i x >= l_i, or y_i < 0 and
A_i x <= u_i. So c x >= c x + sum_i y_i (bound_i - A_i x) = sum_i y_i bound_i + sum_b (c_b - y A_b) x_b
+ (c_L - y A_L) x_L. (2) x_b together with x_L (as block b's copy) meets X_b, and A_i x_b lies within
the implied rows because the rest of row i lies within [R_min, R_max]; so (c_b - y A_b) x_b is at
least block b's minimum. (3) x_L meets X_L, so its term is at least the last minimum. Summing, c x >=
L(y) for every feasible x, the optimum included; the copies only drop the requirement that the
blocks agree on x_L (a relaxation), the integrality is dropped too (another). With y = 0 it is the
sum of the blocks' own LP bounds plus the least cost of the linking columns; any y gives a bound, so
the highest found is kept (``master_search``). By LP duality the best y reaches the whole LP
relaxation's bound (the implied rows can only raise it), so this bound is never stronger than the
whole relaxation where that ends, and is the one there is where it does not.

The blocks' LP solutions at y = 0 also say what each block wants of each linking row: the block
start shares the rows out in proportion to that (decompose.py ``_Split.of``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.solving.stopping import Stop
from optimizer.solving.workers import in_workers

# From this many columns the whole model's LP relaxation is not tried (XL optimal: 180,566 columns, 39-83 s of
# its 120 s; serve_first XL and XXL: unfinished): the blocks' own LPs share out the linking rows and bound it.
BLOCKWISE_COLUMNS = 120_000
# The master's search (``master_search``) stops once its LP's cost is within this share of the best bound.
_MASTER_CONVERGED = 1e-4
# A master solution paying less than this for overdrawn rows pays nothing.
_TOLERANCE = 1e-7


@dataclass
class Priced:
    """The blocks' LPs at one set of prices: the bound, their solutions and the linking rows' activity there."""

    prices: np.ndarray
    bound: float
    values: np.ndarray  # each column's value at the blocks' minima (linking columns: the linking part's)
    activity: np.ndarray  # each row's activity at ``values``


class BlockRelaxations:
    """The model in ``lp`` cut into its blocks' LPs and the linking columns' own LP, ready to price.

    ``block_of_column[j]``: column j's block (0, 1, ...), -1 a linking column. A row is block b's when
    only b's columns (and linking columns) are in it, a linking row when two blocks' columns are, a row of
    the linking columns alone when none are."""

    def __init__(self, lp: highspy.HighsLp, block_of_column: np.ndarray):
        self.lp = lp
        self.block_of = np.asarray(block_of_column, dtype=np.int64)
        self.start, self.index, self.value = by_column(lp)
        self.cost = np.asarray(lp.col_cost_, dtype=np.float64)
        self.lower, self.upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
        self.row_lower, self.row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
        self.column_of_entry = np.repeat(np.arange(lp.num_col_), np.diff(self.start))
        self.entry_block = self.block_of[self.column_of_entry]
        self.row_block = _row_blocks(self.index, self.entry_block, lp.num_row_)
        self.linking_row = self.row_block == -2
        self.blocks = int(self.block_of.max(initial=-1)) + 1
        # Each entry's owner: the block whose LP holds it (a linking column's entry in a row of block b is b's
        # copy's), -1 the linking columns' own LP, -2 an entry of a linking row outside any block (the rest).
        row_owner = self.row_block[self.index]
        owner = np.where(self.entry_block >= 0, self.entry_block, np.where(row_owner >= 0, row_owner, -3))
        owner = np.where((self.entry_block < 0) & (row_owner == -1), -1, owner)
        self.order = np.argsort(owner, kind="stable")  # column order kept within each owner
        self.owner_start = np.searchsorted(owner[self.order], np.arange(-3, self.blocks + 1))
        self.implied = _implied_rows(self)
        self.solvers: dict[int, tuple[np.ndarray, highspy.Highs, Stop | None]] = {}  # each part's, kept (``_solve_part``)

    def bound(self, prices: np.ndarray | None, deadline: float, workers: int, stop: Stop | None = None,
              ) -> Priced | None:
        """L(``prices``) (module docstring), or None when an LP is not solved in time or is unbounded.
        ``prices``: one per row, zero but on linking rows (None: all zero); projected first onto the signs
        the rows' bounds allow."""
        if self.lp.sense_ == highspy.ObjSense.kMaximize:
            return None  # the models of this project minimise; the signs below are a minimisation's
        prices = self.valid_prices(np.zeros(self.lp.num_row_) if prices is None else prices)
        priced = self._priced(prices)
        solved = in_workers(lambda b: self._solve_part(b, priced, deadline, stop), list(range(-1, self.blocks)),
                            workers)
        if any(part is None for part in solved):
            return None
        values = np.zeros(self.lp.num_col_)
        total = float(np.dot(prices, np.where(prices > 0, self.row_lower, np.where(prices < 0, self.row_upper, 0.0))))
        for columns, part_values, objective in solved:
            values[columns] = part_values
            total += objective
        activity = np.bincount(self.index, weights=self.value * values[self.column_of_entry],
                               minlength=self.lp.num_row_)
        return Priced(prices, total + float(self.lp.offset_), values, activity)

    def valid_prices(self, prices: np.ndarray) -> np.ndarray:
        """``prices`` on linking rows only, a positive price only where the row has a floor, a negative one
        only where it has a ceiling."""
        prices = np.where(self.linking_row, prices, 0.0)
        prices = np.where(np.isfinite(self.row_lower), prices, np.minimum(prices, 0.0))
        return np.where(np.isfinite(self.row_upper), prices, np.maximum(prices, 0.0))

    def _priced(self, prices: np.ndarray) -> np.ndarray:
        """c - y A: each column's cost less its linking rows' prices."""
        return self.cost - np.bincount(self.column_of_entry, weights=self.value * prices[self.index],
                                       minlength=self.lp.num_col_)

    def _solve_part(self, b: int, priced: np.ndarray, deadline: float, stop: Stop | None):
        """Block b's LP (b = -1: the linking columns' own): (its columns, their values, its minimum) or None.
        Each part's HiGHS is kept between calls (``_warm_part``): at new prices only the costs change, so its
        simplex starts from the last basis (XL: all 61 parts in 1.6 s against 15 s anew, docs/performance.md)."""
        columns, highs = self._warm_part(b, priced, stop)
        values, objective = run_lp(highs, deadline - time.perf_counter())
        if values is None:
            return None
        return columns[: self.part_size(b)], values[: self.part_size(b)], objective

    def _warm_part(self, b: int, priced: np.ndarray, stop: Stop | None) -> tuple[np.ndarray, highspy.Highs]:
        """Part b's columns and a HiGHS holding its LP at costs ``priced``: the one kept from the last call (its
        costs changed, its basis kept) when there is one watched by ``stop``, else a new one, then kept."""
        kept = self.solvers.get(b)
        if kept is not None and kept[2] is stop:
            columns, highs, _ = kept
            own = self.part_size(b)
            cost = np.where(np.arange(len(columns)) < own, priced[columns], 0.0)
            highs.changeColsCost(len(columns), np.arange(len(columns), dtype=np.int32), cost)
            return columns, highs
        columns, lp = self.part(b, priced)
        highs = lp_solver(lp, stop)
        self.solvers[b] = (columns, highs, stop)
        return columns, highs

    def part_size(self, b: int) -> int:
        """How many of part b's columns are its own (then come block b's copies of linking columns)."""
        return int(np.sum(self.block_of == b))

    def part(self, b: int, priced: np.ndarray) -> tuple[np.ndarray, highspy.HighsLp]:
        """Part b's columns (its own first, then its copies of linking columns) and its LP at costs ``priced``
        (copies cost nothing): block b's rows, and its implied rows of each linking row it is in."""
        entries = self.order[self.owner_start[b + 3]: self.owner_start[b + 4]]
        own = np.flatnonzero(self.block_of == b)
        copies = np.setdiff1d(self.column_of_entry[entries], own) if b >= 0 else np.empty(0, dtype=np.int64)
        columns = np.concatenate([own, copies])
        local = np.full(self.lp.num_col_, -1, dtype=np.int64)
        local[columns] = np.arange(len(columns))
        entry_column = local[self.column_of_entry[entries]]
        entries = entries[np.lexsort((self.index[entries], entry_column))]
        entry_column = local[self.column_of_entry[entries]]
        rows, row = np.unique(self.index[entries], return_inverse=True)
        row_lower, row_upper = self._row_bounds(rows, b)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(columns), len(rows)
        lp.col_cost_ = np.where(np.arange(len(columns)) < len(own), priced[columns], 0.0)
        lp.col_lower_, lp.col_upper_ = self.lower[columns], self.upper[columns]
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(np.bincount(entry_column, minlength=len(columns)))]
                                             ).astype(np.int32)
        lp.a_matrix_.index_ = row.ravel().astype(np.int32)
        lp.a_matrix_.value_ = self.value[entries]
        return columns, lp

    def _row_bounds(self, rows: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Part b's bounds on ``rows``: a linking row's implied ones for block b, any other row's own."""
        row_lower, row_upper = self.row_lower[rows].copy(), self.row_upper[rows].copy()
        for position in np.flatnonzero(self.linking_row[rows]):
            row_lower[position], row_upper[position] = self.implied[int(rows[position]), b]
        return row_lower, row_upper


def master_search(relaxations: BlockRelaxations, first: Priced, deadline: float, workers: int,
                  stop: Stop | None = None) -> tuple[Priced, np.ndarray]:
    """The highest L(y) found from ``first`` by Dantzig-Wolfe's master (``Master``), and the column values the
    master's solution combines (each part's convex combination of its minima so far): they meet every
    linking row, so they share the rows out as the whole relaxation does once the master has converged.

    Each round the master LP picks, for each part (block, linking columns), a convex combination of its
    minima found so far, meeting the linking rows (an overdrawn row at a penalty) at least cost; its dual
    values on the linking rows are the next prices y. L(y) is a valid bound (module docstring) whatever y;
    the master's cost is at least the whole relaxation's once no penalty is paid, so the two meet at the
    whole relaxation's bound, where the search stops (``_MASTER_CONVERGED``), or at ``deadline``. At XL:
    8 rounds, 12 s, L(y) 258,844 against the whole relaxation's 258,894, where the subgradient steps it replaces reached
    247,166 in 30 s (docs/performance.md)."""
    master = Master(relaxations)
    master.add(first)
    best, combined = first, first.values
    while time.perf_counter() < deadline and not (stop is not None and stop.interrupted):
        solved = master.solve(deadline - time.perf_counter())
        if solved is None:
            break
        prices, cost, combination = solved
        if combination is not None:
            combined = combination
        if cost - best.bound <= _MASTER_CONVERGED * max(1.0, abs(best.bound)):
            break
        priced = relaxations.bound(prices, deadline, workers, stop)
        if priced is None:
            break
        best = max(best, priced, key=lambda at: at.bound)
        master.add(priced)
    return best, combined


class Master:
    """Dantzig-Wolfe's master LP over the parts' minima found so far (``master_search``): a weight per part and
    minimum, each part's weights summing to 1, each linking row between its bounds up to a penalised slack."""

    def __init__(self, relaxations: BlockRelaxations):
        self.relaxations = relaxations
        self.part_of = relaxations.block_of + 1  # 0: the linking columns' own part, b + 1: block b
        self.parts = relaxations.blocks + 1
        self.rows = np.flatnonzero(relaxations.linking_row)
        position = np.full(relaxations.lp.num_row_, -1)
        position[self.rows] = np.arange(len(self.rows))
        entries = np.flatnonzero(relaxations.linking_row[relaxations.index])
        self.entry_row, self.entry_column = position[relaxations.index[entries]], relaxations.column_of_entry[entries]
        self.entry_value = relaxations.value[entries]
        # An overdrawn unit of a linking row costs more than any column could save: the master first finds minima
        # that meet the rows (their prices then at the penalty), then prices them.
        self.penalty = 1e3 * max(1.0, float(np.max(np.abs(relaxations.cost), initial=0.0)))
        self.minima: list[np.ndarray] = []
        self.costs: list[np.ndarray] = []  # per minimum: each part's cost
        self.uses: list[np.ndarray] = []  # per minimum: parts x linking rows, each part's activity on each row

    def add(self, priced: Priced) -> None:
        """The parts' minima at one set of prices as new columns of the master."""
        values = priced.values
        self.minima.append(values)
        self.costs.append(np.bincount(self.part_of, weights=self.relaxations.cost * values, minlength=self.parts))
        use = np.zeros((self.parts, len(self.rows)))
        np.add.at(use, (self.part_of[self.entry_column], self.entry_row), self.entry_value * values[self.entry_column])
        self.uses.append(use)

    def solve(self, time_limit_s: float) -> tuple[np.ndarray, float, np.ndarray] | None:
        """The master's prices (each row's dual value, zero off the linking rows), its cost (with the model's
        offset) and the column values its weights combine (None while it pays a penalty: its minima do not yet
        meet the linking rows, and the search keeps the values it had, at first the zero prices' minima);
        None when not solved in time."""
        if time_limit_s <= 0:
            return None
        highs = lp_solver(self.lp())
        if in_own_thread(lambda: run_lp(highs, time_limit_s))[0] is None:
            return None
        solution = highs.getSolution()
        weights = np.asarray(solution.col_value)[: len(self.minima) * self.parts].reshape(len(self.minima), self.parts)
        prices = np.zeros(self.relaxations.lp.num_row_)
        prices[self.rows] = np.asarray(solution.row_dual)[: len(self.rows)]
        paid = float(np.sum(np.asarray(solution.col_value)[len(self.minima) * self.parts:]))
        combined = None if paid > _TOLERANCE else sum(weights[k][self.part_of] * minimum
                                                      for k, minimum in enumerate(self.minima))
        cost = float(highs.getInfo().objective_function_value) + float(self.relaxations.lp.offset_)
        return self.relaxations.valid_prices(prices), cost, combined

    def lp(self) -> highspy.HighsLp:
        """min sum_k,p cost_kp w_kp + penalty (s+ + s-): l <= sum_k,p use_kp w_kp + s+ - s- <= u on each linking
        row, sum_k w_kp = 1 for each part p, all >= 0."""
        rows, parts, count = len(self.rows), self.parts, len(self.minima)
        row, column, value = [], [], []
        for k, use in enumerate(self.uses):
            part, linking = np.nonzero(use)
            row += [linking, rows + np.arange(parts)]
            column += [k * parts + part, k * parts + np.arange(parts)]
            value += [use[part, linking], np.ones(parts)]
        slack = count * parts + np.arange(2 * rows)
        row += [np.arange(rows), np.arange(rows)]
        column += [slack[:rows], slack[rows:]]
        value += [np.ones(rows), -np.ones(rows)]
        row, column, value = (np.concatenate(a) for a in (row, column, value))
        order = np.lexsort((row, column))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = count * parts + 2 * rows, rows + parts
        lp.col_cost_ = np.concatenate(self.costs + [np.full(2 * rows, self.penalty)])
        lp.col_lower_, lp.col_upper_ = np.zeros(lp.num_col_), np.full(lp.num_col_, np.inf)
        lp.row_lower_ = np.concatenate([self.relaxations.row_lower[self.rows], np.ones(parts)])
        lp.row_upper_ = np.concatenate([self.relaxations.row_upper[self.rows], np.ones(parts)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(np.bincount(column, minlength=lp.num_col_))]
                                             ).astype(np.int32)
        lp.a_matrix_.index_ = row[order].astype(np.int32)
        lp.a_matrix_.value_ = value[order]
        return lp


def solve_lp(lp: highspy.HighsLp, time_limit_s: float, stop: Stop | None = None, row_duals: bool = False):
    """An LP's optimal column values and objective (None, None when not solved to optimality in time), from
    any thread: the solve runs in a thread of its own (``_solve_lp_here``), because each thread's HiGHS
    scheduler is its own and one already started with more threads (the main thread's, once the whole solve
    has run) refuses ``threads=1`` (optimizer/solving/workers.py). With ``row_duals``, also each row's dual value
    (HiGHS's sign; None when not solved): the tied relaxation's prices (optimizer/solving/decompose.py)."""
    if lp.num_col_ == 0 or time_limit_s <= 0:
        return _solve_lp_here(lp, time_limit_s, stop, row_duals)
    return in_own_thread(lambda: _solve_lp_here(lp, time_limit_s, stop, row_duals))


def in_own_thread(work):
    """``work()`` in a new thread (whose HiGHS scheduler is its own: ``solve_lp``)."""
    return in_workers(lambda _: work(), [None], 1)[0]


def _solve_lp_here(lp: highspy.HighsLp, time_limit_s: float, stop: Stop | None, row_duals: bool = False):
    """``solve_lp`` in the calling thread, with ``threads=1``: only where this thread's scheduler is not started
    with more (a fresh thread's)."""
    if lp.num_col_ == 0:
        values, objective, duals = np.zeros(0), 0.0, np.zeros(lp.num_row_)
    elif time_limit_s <= 0:
        values, objective, duals = None, None, None
    else:
        highs = lp_solver(lp, stop)
        values, objective = run_lp(highs, time_limit_s)
        duals = None if values is None else np.asarray(highs.getSolution().row_dual)
    return (values, objective, duals) if row_duals else (values, objective)


def lp_solver(lp: highspy.HighsLp, stop: Stop | None = None) -> highspy.Highs:
    """A quiet single-thread HiGHS holding ``lp``, watched by ``stop``; run it in a thread whose HiGHS scheduler
    is not started with more threads (``solve_lp``)."""
    highs = highspy.Highs()
    if stop is not None:
        stop.watch(highs)
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.passModel(lp)
    return highs


def run_lp(highs: highspy.Highs, time_limit_s: float):
    """The optimal column values and objective of the LP in ``highs`` (None, None when not solved to optimality
    within ``time_limit_s``); an empty LP's are (empty, 0)."""
    if highs.getNumCol() == 0:
        return np.zeros(0), 0.0
    if time_limit_s <= 0:
        return None, None
    highs.setOptionValue("time_limit", time_limit_s)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, None
    return np.asarray(highs.getSolution().col_value), float(highs.getInfo().objective_function_value)


def _implied_rows(parts: BlockRelaxations) -> dict[tuple[int, int], tuple[float, float]]:
    """(linking row i, block b) -> the bounds on b's part of row i that every plan meets: l_i - R_max(i, b) and
    u_i - R_min(i, b), R the rest of the row (the other blocks and the linking columns) at its least and
    greatest activity within the column bounds (module docstring, the implied rows)."""
    entries = np.flatnonzero(parts.linking_row[parts.index])
    rows, block = parts.index[entries], parts.entry_block[entries]  # block -1: a linking column (always rest)
    a = parts.value[entries]
    lower, upper = parts.lower[parts.column_of_entry[entries]], parts.upper[parts.column_of_entry[entries]]
    with np.errstate(invalid="ignore"):
        ends = np.stack([a * lower, a * upper])
    ends = np.where(np.isnan(ends), 0.0, ends)  # 0 x an infinite bound
    least, greatest = ends.min(axis=0), ends.max(axis=0)
    keys, position = np.unique(np.stack([rows, block]), axis=1, return_inverse=True)
    position = position.ravel()

    def per_key_and_row(part: np.ndarray, infinite: np.ndarray):
        finite = np.where(infinite, 0.0, part)
        key_sum = np.bincount(position, weights=finite, minlength=keys.shape[1])
        key_infinite = np.bincount(position, weights=infinite, minlength=keys.shape[1])
        row_sum = np.bincount(rows, weights=finite, minlength=len(parts.row_lower))[keys[0]]
        row_infinite = np.bincount(rows, weights=infinite, minlength=len(parts.row_lower))[keys[0]]
        return np.where(row_infinite - key_infinite > 0, np.nan, row_sum - key_sum)  # nan: the rest is unbounded

    rest_least = per_key_and_row(least, np.isneginf(least).astype(float))
    rest_greatest = per_key_and_row(greatest, np.isposinf(greatest).astype(float))
    row_lower, row_upper = parts.row_lower[keys[0]], parts.row_upper[keys[0]]
    with np.errstate(invalid="ignore"):
        implied_lower = np.where(np.isnan(rest_greatest) | ~np.isfinite(row_lower), -np.inf, row_lower - rest_greatest)
        implied_upper = np.where(np.isnan(rest_least) | ~np.isfinite(row_upper), np.inf, row_upper - rest_least)
    return {(int(r), int(b)): (float(lo), float(up))
            for r, b, lo, up in zip(keys[0], keys[1], implied_lower, implied_upper) if b >= 0}


def by_column(lp: highspy.HighsLp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The constraint matrix column by column: (start, row index, value), whichever way HiGHS holds it."""
    matrix = lp.a_matrix_
    start = np.asarray(matrix.start_, dtype=np.int64)
    index = np.asarray(matrix.index_, dtype=np.int64)
    value = np.asarray(matrix.value_, dtype=np.float64)
    if matrix.format_ == highspy.MatrixFormat.kColwise:
        return start, index, value
    rows = np.repeat(np.arange(lp.num_row_), np.diff(start[: lp.num_row_ + 1]))
    entries = start[lp.num_row_]
    columns, value = index[:entries], value[:entries]
    order = np.lexsort((rows, columns))
    column_start = np.concatenate([[0], np.cumsum(np.bincount(columns, minlength=lp.num_col_))])
    return column_start, rows[order], value[order]


def _row_blocks(index: np.ndarray, entry_block: np.ndarray, rows: int) -> np.ndarray:
    """Each row's block: b when block b's columns alone (with linking columns) are in it, -2 when two blocks'
    are (a linking row), -1 when none are."""
    in_block = entry_block >= 0
    pairs = np.unique(np.stack([index[in_block], entry_block[in_block]]), axis=1)
    blocks_in_row = np.bincount(pairs[0], minlength=rows)
    row_block = np.full(rows, -1, dtype=np.int64)
    single = blocks_in_row[pairs[0]] == 1
    row_block[pairs[0][single]] = pairs[1][single]
    row_block[blocks_in_row >= 2] = -2
    return row_block
