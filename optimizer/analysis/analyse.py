"""Analysis stage: what the plan's limits are worth, and why a shortfall remains.

Two measurements on top of a solved plan, both by re-solving small models:

- **marginals**: the plan's LP (its binaries fixed, ``models/sensitivity.py``),
  solved once; its duals are the value of one more currency unit of each
  funding source and budget, one more unit of each capacity, and the cost of
  one more unit of each target.
- **causes**: for each mineral short of demand or target, each limit that
  touches it (``optimizer/analysis/relax.py``) is lifted alone and the model re-solved
  for that mineral alone, every other mineral's orders and funding held at the
  plan (``relax.one_mineral``); the shortfall that goes away is what that limit
  costs. One more re-solve lifts them all together. Re-solves: (number of
  limits + 2) per mineral short, each a model of one mineral.

Every solve goes through optimizer/solving/session.py and draws on the plan's budget
of Settings ``analysis_time_s`` (optimizer/solving/budget.py): what finds no time
left is not measured, and the note says so on the sheet it would have filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from models.sensitivity import Marginal
from optimizer.contract.data import PlanningData
from optimizer.contract.results import Plan
from optimizer.analysis.relax import PENALTY, limits_touching, one_mineral, relax_all
from optimizer.solving.budget import TimeBudget
from optimizer.solving.session import analysis_budget, marginals, no_time_left, shortfall_when_solved
# Shortfalls below this share of a mineral's demand and targets are solver round-off.
SHORT_TOLERANCE = 1e-6
# Without --explain/--no-explain, causes are measured when the re-solves are this few.
AUTO_EXPLAIN_RESOLVES = 160
ALL_LIMITS = "all limits together"
NO_OFFER = "no offer"


@dataclass(frozen=True)
class Cause:
    """One measurement: the mineral's expected shortfall with ``limit`` lifted, against the plan's."""

    mineral: str
    limit: str
    what: str
    shortfall: float  # expected units short (unmet demand + stock below target, summed over periods)
    relaxed: float | None  # the same with the limit lifted; None when the re-solve found no plan

    @property
    def removed(self) -> float:
        return 0.0 if self.relaxed is None else max(0.0, self.shortfall - self.relaxed)


def minerals_short(data: PlanningData, plan: Plan) -> dict[str, float]:
    """Expected shortfall per mineral, from the plan's Stock table, for minerals that have one."""
    probability = {k.name: k.probability for k in data.all_scenarios}
    stock = plan.stock
    if stock.empty:
        return {}
    weights = stock["scenario"].map(probability)
    short = ((stock["unmet_demand"] + stock["shortfall"]) * weights).groupby(stock["mineral"]).sum()
    return {m: float(v) for m, v in short.items() if v > SHORT_TOLERANCE * _scale(data, m)}


def _scale(data: PlanningData, mineral: str) -> float:
    demand = sum(q for (m, _), q in data.demand.items() if m == mineral)
    target = sum(q for (m, _), q in data.targets.items() if m == mineral)
    return max(1.0, demand + target)


def resolves_needed(data: PlanningData, plan: Plan) -> int:
    """How many re-solves ``shortfall_causes`` would make for this plan."""
    return sum(len(limits_touching(data, m)) + 2 for m in minerals_short(data, plan))


def shortfall_causes(data: PlanningData, plan: Plan, budget: TimeBudget) -> tuple[list[Cause], list[str]]:
    """Each limit touching each mineral short, lifted alone, and all of them together; and the minerals
    short that were not measured because ``budget`` had run out."""
    causes, unmeasured = [], []
    for mineral in minerals_short(data, plan):
        if budget.exhausted():
            unmeasured.append(mineral)
            continue
        limits = limits_touching(data, mineral)
        alone = one_mineral(data, plan.orders, plan.funding, mineral)
        baseline = shortfall_when_solved(alone, mineral, budget)
        if baseline is None:
            if budget.exhausted():
                unmeasured.append(mineral)
            continue
        for limit in limits:
            causes.append(Cause(mineral, limit.name, limit.what, baseline,
                                shortfall_when_solved(limit.relax(alone), mineral, budget)))
        if any(limit.name != PENALTY for limit in limits):
            causes.append(Cause(mineral, ALL_LIMITS, "every limit above lifted at once", baseline,
                                shortfall_when_solved(relax_all(alone, limits), mineral, budget)))
        if not any(offer.mineral == mineral for offer in data.offers.values()):
            causes.append(Cause(mineral, NO_OFFER, "no supplier offers it", baseline, baseline))
    return causes, unmeasured


def should_explain(data: PlanningData, plan: Plan, explain: bool | None) -> bool:
    """``explain`` as asked; when not asked, only if the re-solves are few."""
    if explain is not None:
        return explain
    return resolves_needed(data, plan) <= AUTO_EXPLAIN_RESOLVES


def causes_table(causes: list[Cause]) -> pd.DataFrame:
    return pd.DataFrame([{"mineral": c.mineral, "limit": c.limit, "what": c.what, "shortfall": c.shortfall,
                          "relaxed": c.relaxed, "removed": c.removed} for c in causes],
                        columns=["mineral", "limit", "what", "shortfall", "relaxed", "removed"])


@dataclass
class Analysis:
    """What the analysis stage measured: the LP's marginals and, when explained, the shortfall causes."""

    marginals: list[Marginal]
    causes: list[Cause] | None  # None: not measured (--no-explain, or too many re-solves for the default)
    note: str = ""  # why some causes were not measured (the Why short sheet)
    marginals_note: str = ""  # why the marginals were not measured (the Sensitivities sheet)


def analyse(data: PlanningData, plan: Plan, explain: bool | None = None, budget: TimeBudget | None = None) -> Analysis:
    """Marginals always (one LP); shortfall causes when ``should_explain``; both within ``budget`` (default
    the plan's budget of analysis_time_s, optimizer/solving/session.py).

    The analysis explains a plan that is already valid: whatever goes wrong in it is
    noted, never allowed to stop the plan from being written.
    """
    budget = budget or analysis_budget(data, plan)
    try:
        measured = marginals(data, plan, budget)
        marginals_note = "" if measured is not None else no_time_left(budget)
        if not should_explain(data, plan, explain):
            return Analysis(measured or [], None, "run with --explain to measure why shortfalls remain", marginals_note)
        causes, unmeasured = shortfall_causes(data, plan, budget)
    except Exception as exc:  # noqa: BLE001 - an explanation is never worth losing the plan
        return Analysis([], None, f"the analysis failed ({type(exc).__name__}: {exc})")
    note = "" if not unmeasured else (
        f"{len(unmeasured)} of the minerals short ({', '.join(unmeasured[:5])}"
        f"{', ...' if len(unmeasured) > 5 else ''}) were not measured: no time was left of analysis_time_s "
        f"({budget.seconds:g} s) for their re-solves; a larger analysis_time_s measures them")
    return Analysis(measured or [], causes, note, marginals_note)
