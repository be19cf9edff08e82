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

from optimizer.contract.data import PlanningData
from optimizer.contract.results import Analysis, Cause, Marginal, Plan
from optimizer.analysis.metrics import minerals_short
from optimizer.analysis.relax import PENALTY, limits_touching, one_mineral, relax_all
from optimizer.solving.budget import TimeBudget
from optimizer.solving.session import analysis_budget, marginals, no_time_left, shortfall_when_solved

# Without --explain/--no-explain, causes are measured when the re-solves are this few.
AUTO_EXPLAIN_RESOLVES = 160
ALL_LIMITS = "all limits together"
NO_OFFER = "no offer"


def resolves_needed(data: PlanningData, plan: Plan) -> int:
    """How many re-solves ``shortfall_causes`` would make for this plan."""
    return sum(len(limits_touching(data, m)) + 2 for m in minerals_short(plan, data))


def shortfall_causes(data: PlanningData, plan: Plan, budget: TimeBudget) -> tuple[list[Cause], list[str]]:
    """Each limit touching each mineral short, lifted alone, and all of them together; and the minerals
    short that were not measured because ``budget`` had run out."""
    causes, unmeasured = [], []
    for mineral, in_plan in minerals_short(plan, data).items():
        if budget.exhausted():
            unmeasured.append(mineral)
            continue
        limits = limits_touching(data, mineral)
        alone = one_mineral(data, plan.orders, plan.funding, mineral, plan.conversion_funding)
        baseline = shortfall_when_solved(alone, mineral, budget)
        if baseline is None:
            if budget.exhausted():
                unmeasured.append(mineral)
            continue
        for limit in limits:
            causes.append(Cause(mineral, limit.name, limit.what, baseline,
                                shortfall_when_solved(limit.relax(alone), mineral, budget), in_plan))
        if any(limit.name != PENALTY for limit in limits):
            causes.append(Cause(mineral, ALL_LIMITS, "every limit above lifted at once", baseline,
                                shortfall_when_solved(relax_all(alone, limits), mineral, budget), in_plan))
        if not any(offer.mineral == mineral for offer in data.offers.values()):
            causes.append(Cause(mineral, NO_OFFER, "no supplier offers it", baseline, baseline, in_plan))
    return causes, unmeasured


def should_explain(data: PlanningData, plan: Plan, explain: bool | None) -> bool:
    """``explain`` as asked; when not asked, only if the re-solves are few."""
    if explain is not None:
        return explain
    return resolves_needed(data, plan) <= AUTO_EXPLAIN_RESOLVES


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
