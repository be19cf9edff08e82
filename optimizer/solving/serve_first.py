"""A serve_first block's plan by relaxing its release binaries w, then repairing them.

Symbols (one block's MIP, as HiGHS holds it; models/release.py for the rows)
    w[t]     the release binaries: 1 when demand may go unmet in period t (``release``: which columns)
    u[t]     unmet demand            I[t]  stock            cap[t], demand[t]: the rows' big-M values
    y        every other integer column (orders placed, tiers, onboarding copies)

The rule's two rows per period, u[t] <= demand[t] x w[t] and I[t] <= cap[t] x (1 - w[t]), make a
block of serve_first XL hard: in its share of the time its MIP often finds no plan of its own
(docs/performance.md, serve-first-xl: 46 of 60 at their fallback). With w continuous they only ask
u[t] / demand[t] + I[t] / cap[t] <= 1, and the block finds a plan as soon as under release_rule
optimal; that plan may hold stock in a period whose demand goes partly unmet (0 < w[t] < 1). The
repair (``repaired``) fixes w from that plan's stock and unmet demand (``release_breaches``), as serve-first's
simulation would: w[t] = 1 where the unmet demand is more than the stock (and sales) held, u[t] > I[t] +
sold[t] (drawing that stock would still leave demand unmet), else 0 (it would serve the demand), and solves
the block's MIP again with w so fixed and every other integer free: a period with unmet demand then has no
stock left, every other period serves its demand in full. With w fixed the MIP is about as easy as under
release_rule optimal (docs/performance.md, serve-first-repair).

Its plan meets every row of the block with w at 0 or 1: the rule holds as stated (model.md constraint
7). The pattern may leave the MIP without a plan (a period the relaxed plan served in full now needs
stock the repair drew earlier, and no order can bring it; a period's stock and sales that cannot be
drawn): the next try sets w[t] = 1 wherever demand goes unmet, the last fixes only the w the plan
decides (demand unmet and no stock, or stock and no demand unmet) and lets the others be 0 or 1
(``TRIES``); a block still without a plan takes its fallback.
The relaxed MIP's dual bound is a bound on the block (it drops only w's integrality).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimizer.solving.decompose import Block

# A row broken by less than this (relative to its activity) is round-off: it does not count (``_broken``).
_TOLERANCE = 1e-6


def relaxed(block: Block) -> Block:
    """``block`` with its release columns (``block.release``) continuous within their bounds."""
    return dataclasses.replace(block, integer=block.integer & ~block.release, release=None)


def release_breaches(block: Block, plan: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """By how much ``plan`` (the block's columns) breaks each release column's rows with the column at 0 (u[t]: the
    unmet demand w[t] = 0 forbids) and at 1 (I[t] + sold[t]: the stock and sales w[t] = 1 forbids), in units of
    the rows' other columns; 0 for other columns."""
    column_of_entry = np.repeat(np.arange(len(block.columns)), np.diff(block.start))
    activity = np.bincount(block.index, weights=block.value * plan[column_of_entry], minlength=len(block.row_lower))
    # Each row's breach in units of its other columns (u, I, sold: the model's rows may be scaled, models/scaling.py)
    unit = np.zeros(len(block.row_lower))
    other = ~block.release[column_of_entry]
    np.maximum.at(unit, block.index[other], np.abs(block.value[other]))
    at_zero, at_one = np.zeros(len(block.columns)), np.zeros(len(block.columns))
    for j in np.flatnonzero(block.release):
        entries = slice(block.start[j], block.start[j + 1])
        rows, coefficients = block.index[entries], block.value[entries]
        at_zero[j], at_one[j] = (_broken(block, rows, activity[rows] + coefficients * (w - plan[j]), unit[rows])
                                 for w in (0.0, 1.0))
    return at_zero, at_one


def _broken(block: Block, rows: np.ndarray, activity: np.ndarray, unit: np.ndarray) -> float:
    """By how much ``activity`` of ``rows`` breaks their bounds in all, each row's breach in ``unit``s (round-off,
    ``_TOLERANCE``, not counted)."""
    breach = np.maximum(0.0, block.row_lower[rows] - activity) + np.maximum(0.0, activity - block.row_upper[rows])
    breach = np.where(breach > _TOLERANCE * np.maximum(1.0, np.abs(activity)), breach, 0.0)
    return float(np.sum(breach / np.where(unit > 0, unit, 1.0)))


# The repair's tries, in order (``repaired``): w as serve-first's simulation would set it, w = 1 wherever demand
# goes unmet, only the w the relaxed plan decides.
TRIES = ("serve_first", "unmet", "decided")


def repaired(block: Block, plan: np.ndarray, pattern: str = "serve_first") -> Block:
    """``block`` with its release columns fixed at a pattern of ``plan`` (its relaxed plan; ``release_breaches``),
    every other integer column free: the repair's MIP. ``pattern`` (``TRIES``): "serve_first", w[t] = 1 where the
    unmet demand is more than the stock and sales held (u[t] > I[t] + sold[t]: drawing them would still leave
    demand unmet), else 0; "unmet", w[t] = 1 wherever u[t] > 0, else 0; "decided", only where one value of w[t]
    breaks its rows (u[t] > 0 = I[t] + sold[t]: 1, or the reverse: 0), the other w binary again."""
    at_zero, at_one = release_breaches(block, plan)
    value = (at_zero > at_one) if pattern == "serve_first" else (at_zero > 0)
    fixed = block.release & (((at_zero > 0) != (at_one > 0)) if pattern == "decided" else True)
    lower, upper = block.col_lower.astype(np.float64), block.col_upper.astype(np.float64)
    lower[fixed] = upper[fixed] = value[fixed]
    return dataclasses.replace(block, col_lower=lower, col_upper=upper, release=None, plan=None)
