"""A scenario alone started from another scenario alone already solved, when their models differ in a few blocks.

The Scenario costs sheet's WS solves each scenario alone (probability 1, the others dropped; session.py
``costs_alone``). Two scenarios alone are the same model wherever their data are the same: a scenario that
disrupts one mineral (the example's DRC cobalt disruption) differs from base alone only in that mineral's
columns and rows, and one that adds emergency demand of two minerals to another (Pacific conflict beside China
ban 2028) only in those two. So the plan of the one solved first, its integer columns held and the rest re-solved
in the other's model, is a plan of the other that is already right in every block but those few, and the
fix-and-optimise pass (fix_and_optimise.py) need only re-solve those blocks; the search that follows keeps
every binary free, so the optimum it proves, within mip_gap, is the scenario's own.

On the example (docs/performance.md, ws-blocks): DRC cobalt disruption after base differs in 1 block of 11,
Pacific conflict after China ban 2028 in 2; their passes took 0.09 and 0.21 s of CPU against 1.49 and 1.61 s
from the plan, the same optima. Which scenario follows which (``alike_sources``) is told from the plan's
stock classes (models/inventory.py ``scenario_classes``: the minerals on which two scenarios lose and need the
same); which blocks differ (``differing_blocks``), from the two models themselves, so a price factor or a
scenario's own commitments, which the classes do not see, still count. Works on highspy's arrays, as
decompose.py does.

The plan itself is alike every scenario alone on some minerals: one on which every scenario loses and needs the
same (one stock class, ``settled_minerals``) has in the plan's model one set of stock columns weighted by the
scenarios' summed probability, 1: the scenario alone's block of that mineral, its choice made against the same
data. A pass from the plan leaves those blocks (their rows differ from the scenario alone's only through the other
blocks' share of the linking rows), as it leaves those an alike source already holds; what the classes do not see
(a scenario's price factor on such a mineral) is left to the search, which keeps every binary free and proves the
scenario's own gap, as after any start. On the example, ferroniobium
and tungsten concentrate: ferroniobium's block was the longest of each pass from the plan (0.23-0.33 s of CPU, 29
nodes) and never lowered a plan; the three whole passes 0.6x their CPU, every plan the same (docs/performance.md,
pass-gap).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.solving.block_bound import by_column, in_own_thread
from optimizer.solving.decompose import integer_columns, plan_objective, solve_mip
from optimizer.solving.stopping import Stop

# A scenario alone follows an earlier one when their stock classes differ on at most this share of the minerals:
# the pass then re-solves those minerals' blocks only. The example's chains differ on 1 and 2 minerals of 11; the
# other pairs on 9, where the plan's start and a whole pass are as good.
ALIKE_SHARE = 0.5
# The held plan's LP: the integer columns fixed, HiGHS's MIP ends in presolve and one LP.
_HELD_OPTIONS = {"mip_feasibility_tolerance": 1e-7}


@dataclass(frozen=True)
class SolvedModel:
    """A model as HiGHS held it once solved: its arrays and the plan it ended on (every column)."""

    lp: highspy.HighsLp
    values: np.ndarray


@dataclass
class Alike:
    """A scenario alone's link to the one it follows: ``source``, that one's solved model (None: it follows none),
    and ``solved``, this one's, filled by its solve for those that follow it; ``settled``, the minerals on which the
    plan it starts from is already its own (``settled_minerals``)."""

    source: SolvedModel | None = None
    solved: SolvedModel | None = None
    settled: frozenset[str] = field(default_factory=frozenset)


def settled_minerals(stock_scenario: dict[tuple[str, str], str]) -> frozenset[str]:
    """The minerals on which every scenario shares one stock class (``stock_scenario``: (scenario, mineral) -> the
    scenario whose stock it shares, models/facts.py): the plan's model holds them as each scenario alone does."""
    classes: dict[str, set[str]] = defaultdict(set)
    for (_, mineral), representative in stock_scenario.items():
        classes[mineral].add(representative)
    return frozenset(mineral for mineral, representatives in classes.items() if len(representatives) == 1)


def alike_sources(scenarios: list[str], stock_scenario: dict[tuple[str, str], str],
                  share: float = ALIKE_SHARE) -> dict[str, str | None]:
    """Each scenario's source: the earlier scenario of ``scenarios`` whose stock classes (``stock_scenario``:
    (scenario, mineral) -> the scenario whose stock it shares, models/facts.py) differ from its own on the
    fewest minerals, at most ``share`` of them; None when no earlier one is that close."""
    minerals = sorted({mineral for _, mineral in stock_scenario})
    sources: dict[str, str | None] = {}
    for at, scenario in enumerate(scenarios):
        apart = {earlier: sum(stock_scenario.get((scenario, m)) != stock_scenario.get((earlier, m)) for m in minerals)
                 for earlier in scenarios[:at]}
        nearest = min(apart, key=apart.get, default=None)
        sources[scenario] = nearest if nearest is not None and apart[nearest] <= share * len(minerals) else None
    return sources


def differing_blocks(lp: highspy.HighsLp, other: highspy.HighsLp, block_of_column: np.ndarray) -> set[int] | None:
    """The blocks (``block_of_column``: each column's, -1 a linking column) in which the models ``lp`` and ``other``
    differ: a column's cost, bounds or integrality, a matrix entry, a row's bounds (every block of the row's
    columns). None when they are not alike: another shape, another matrix pattern, or a linking column or a row
    of linking columns alone differs."""
    if (lp.num_col_, lp.num_row_) != (other.num_col_, other.num_row_):
        return None
    (start, index, value), (other_start, other_index, other_value) = by_column(lp), by_column(other)
    if not (np.array_equal(start, other_start) and np.array_equal(index, other_index)):
        return None
    columns = ((_array(lp.col_cost_) != _array(other.col_cost_)) | (_array(lp.col_lower_) != _array(other.col_lower_))
               | (_array(lp.col_upper_) != _array(other.col_upper_)) | (integer_columns(lp) != integer_columns(other)))
    column_of_entry = np.repeat(np.arange(lp.num_col_), np.diff(start))
    rows = (_array(lp.row_lower_) != _array(other.row_lower_)) | (_array(lp.row_upper_) != _array(other.row_upper_))
    touched = np.concatenate([block_of_column[columns], block_of_column[column_of_entry[value != other_value]],
                              block_of_column[column_of_entry[rows[index]]]])
    if (touched < 0).any():
        return None
    return {int(block) for block in np.unique(touched)}


def alike_start(highs: highspy.Highs, block_of_column: np.ndarray, given: np.ndarray, source: SolvedModel | None,
                stop: Stop | None = None) -> tuple[np.ndarray, set[int] | None]:
    """The fix-and-optimise pass's start for the model in ``highs`` and the blocks it need re-solve (None: every
    block): ``given`` (every column's value, meeting every row) and every block; or, when the model is alike
    ``source``'s (``differing_blocks``) and ``source``'s plan, its integer columns held and the rest re-solved
    here (``held_plan``), costs less than ``given``, that plan and the blocks in which the two models differ."""
    if source is None:
        return given, None
    lp = highs.getLp()
    blocks = differing_blocks(lp, source.lp, block_of_column)
    if blocks is None:
        return given, None
    held = held_plan(lp, source.values, stop)
    if held is None or plan_objective(lp, held) >= plan_objective(lp, given):
        return given, None
    return held, blocks


def held_plan(lp: highspy.HighsLp, plan: np.ndarray, stop: Stop | None = None) -> np.ndarray | None:
    """The plan of the model in ``lp`` with its integer columns held at ``plan``'s (rounded), the others re-solved:
    every column's value, or None when no such plan exists (or none is found before ``stop``). ``lp`` is left
    as it was. Run in a thread of its own, as the pass's MIPs are (fix_and_optimise.py)."""
    integer = integer_columns(lp)
    held = np.round(plan)
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    if (integer & ((held < lower) | (held > upper))).any():
        return None
    lp.col_lower_, lp.col_upper_ = np.where(integer, held, lower), np.where(integer, held, upper)
    try:  # HiGHS takes its own copy of ``lp`` (passModel)
        seconds = np.inf if stop is None else stop.remaining()
        values, _, _ = in_own_thread(lambda: solve_mip(lp, 0.0, seconds, stop=stop, options=_HELD_OPTIONS))
    finally:
        lp.col_lower_, lp.col_upper_ = lower, upper
    return values


def _array(values) -> np.ndarray:
    return np.asarray(values)
