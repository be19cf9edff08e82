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
repair (``repaired``) fixes w from that plan's pattern (``release_pattern``): w[t] = 1 where the plan leaves
demand unmet (a row of w[t]'s breaks at w[t] = 0: u[t] > 0), else 0, and solves the block's MIP again with
w so fixed and every other integer free: a period with unmet demand then has no stock left, every other
period serves its demand in full. With w fixed the MIP is about as easy as under release_rule optimal
(at XL's hardest blocks a plan in 0.2-0.8 s, 1-8% from the block's bound, where the full MIP found none
in 5 s: docs/performance.md, serve-first-repair).

Its plan meets every row of the block with w at 0 or 1: the rule holds as stated (model.md constraint
7). The pattern may leave the MIP without a plan (a period the relaxed plan served in full now needs
stock the repair released earlier, and no order can bring it: 4 of XL's 60 blocks): the second try
fixes only w[t] = 1 where the plan leaves demand unmet and lets the other w be 0 or 1 (``loose``; it
found those 4 in 0.1-1.1 s, but is slower than the first where both find one); a block still without
a plan takes its fallback.
The relaxed MIP's dual bound is a bound on the block (it drops only w's integrality).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimizer.solving.decompose import Block

# A relaxed plan's unmet demand below this (relative to its row's coefficients) is round-off: w stays 0 there.
_TOLERANCE = 1e-6


def relaxed(block: Block) -> Block:
    """``block`` with its release columns (``block.release``) continuous within their bounds."""
    return dataclasses.replace(block, integer=block.integer & ~block.release, release=None)


def release_pattern(block: Block, plan: np.ndarray) -> np.ndarray:
    """Each release column's value in the repair (step 1): 1 where ``plan`` (the block's columns) breaks one of
    its rows with the column at 0 (u[t] > 0: u[t] <= demand[t] x w[t] needs w[t] > 0), else 0; the block's
    other columns 0."""
    column_of_entry = np.repeat(np.arange(len(block.columns)), np.diff(block.start))
    activity = np.bincount(block.index, weights=block.value * plan[column_of_entry], minlength=len(block.row_lower))
    pattern = np.zeros(len(block.columns))
    for j in np.flatnonzero(block.release):
        entries = slice(block.start[j], block.start[j + 1])
        rows, coefficients = block.index[entries], block.value[entries]
        at_zero = activity[rows] - coefficients * plan[j]
        slack = _TOLERANCE * np.maximum(1.0, np.abs(coefficients))
        broken = np.any(at_zero < block.row_lower[rows] - slack) or np.any(at_zero > block.row_upper[rows] + slack)
        pattern[j] = 1.0 if broken else 0.0
    return pattern


def repaired(block: Block, plan: np.ndarray, loose: bool = False) -> Block:
    """``block`` with its release columns fixed at ``release_pattern`` of ``plan`` (its relaxed plan), every other
    integer column free: the repair's MIP. ``loose``: only w[t] = 1 fixed where the pattern has it (demand unmet),
    the other w binary again (the second try, where the pattern leaves no plan)."""
    pattern = release_pattern(block, plan)
    lower, upper = block.col_lower.astype(np.float64), block.col_upper.astype(np.float64)
    unmet = block.release & (pattern == 1.0)
    lower[unmet] = 1.0
    if not loose:
        upper[block.release] = pattern[block.release]
    return dataclasses.replace(block, col_lower=lower, col_upper=upper, release=None, plan=None)
