"""Analysis stage: what the plan's limits are worth, and why a shortfall remains.

Three measurements on top of a solved plan, all by re-solving models:

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
- **projects**: each capacity project, largest capex first, re-solved the other
  way (forbidden when the plan funds it, forced when it does not) on its block
  of minerals alone (``relax.project_block``: the minerals its plant sells, and
  those linked to them by other plants or conversions), every other mineral held
  as planned (``relax.minerals_alone``): the difference in expected cost is what
  funding it saves within its block (the Projects sheet). Two small MIPs each.

Every solve goes through optimizer/solving/session.py and draws on the plan's budget
of Settings ``analysis_time_s`` (optimizer/solving/budget.py): what finds no time
left is not measured, and the note says so on the sheet it would have filled.
"""

from __future__ import annotations

import time

from optimizer.contract.data import PlanningData
from optimizer.contract.results import Analysis, Cause, Marginal, Plan, ProjectValue
from optimizer.analysis.metrics import minerals_short
from optimizer.analysis.relax import PENALTY, limits_touching, minerals_alone, one_mineral, project_block, relax_all
from optimizer.solving.budget import TimeBudget
from optimizer.solving.session import (
    analysis_budget, marginals, no_time_left, project_value, shortfall_when_solved, side_by_side,
)
from optimizer.stages import Progress, quiet

# Without --explain/--no-explain, causes are measured when the re-solves are this few.
AUTO_EXPLAIN_RESOLVES = 160
ALL_LIMITS = "all limits together"
NO_OFFER = "no offer"
RESOLVE_WORKERS = None  # side by side on this many workers; None: one per core


def resolves_needed(data: PlanningData, plan: Plan) -> int:
    """How many re-solves ``shortfall_causes`` would make for this plan."""
    return sum(len(limits_touching(data, m)) + 2 for m in minerals_short(plan, data))


def shortfall_causes(data: PlanningData, plan: Plan, budget: TimeBudget,
                     progress: Progress = quiet) -> tuple[list[Cause], list[str]]:
    """Each limit touching each mineral short, lifted alone, and all of them together; and the minerals
    short that were not measured because ``budget`` had run out. A line of ``progress`` per mineral.

    A mineral's re-solves are independent of each other, so they run side by side on the worker pool
    (optimizer/solving/session.py ``side_by_side``); the minerals one after another, so a budget that
    runs out leaves whole minerals unmeasured, the last ones, and each mineral's progress line is printed
    here, on the calling thread, once its re-solves are back."""
    causes, unmeasured = [], []
    short = minerals_short(plan, data)
    for number, (mineral, in_plan) in enumerate(short.items(), start=1):
        if budget.exhausted():
            unmeasured.append(mineral)
            progress(f"  why short [{number}/{len(short)}] {mineral}: not measured, no analysis time left")
            continue
        started, before = time.perf_counter(), len(causes)
        _causes_of(data, plan, mineral, in_plan, budget, causes, unmeasured)
        progress(f"  why short [{number}/{len(short)}] {mineral}: {len(causes) - before} limit(s) measured in "
                 f"{time.perf_counter() - started:.1f} s, {budget.remaining():.0f} s of analysis time left")
    return causes, unmeasured


def project_values(data: PlanningData, plan: Plan, budget: TimeBudget,
                   progress: Progress = quiet) -> list[ProjectValue]:
    """Each project re-solved the other way on its block of minerals, the others held as planned, largest
    capex first; those reached after the budget ran out say so (not measured). A line of ``progress`` each."""
    largest_first = sorted(data.projects, key=lambda name: -data.projects[name].capex)
    values = []
    for number, name in enumerate(largest_first, start=1):
        started = time.perf_counter()
        value = project_value(project_block_data(data, plan, name), plan, name, budget)
        what = (f"measured on {', '.join(value.minerals)} in {time.perf_counter() - started:.1f} s"
                if value.objective is not None else f"not measured ({value.note})")
        progress(f"  project [{number}/{len(largest_first)}] {name}: {what}")
        values.append(value)
    return values


def project_block_data(data: PlanningData, plan: Plan, project: str) -> PlanningData:
    """The planning data of ``project``'s block of minerals alone, the plan's other minerals held as they are."""
    return minerals_alone(data, plan.orders, plan.funding, project_block(data, project), plan.capex,
                          plan.conversion_funding)


def _causes_of(data: PlanningData, plan: Plan, mineral: str, in_plan: float, budget: TimeBudget,
               causes: list[Cause], unmeasured: list[str]) -> None:
    """The causes of one mineral's shortfall, added to ``causes`` (or the mineral to ``unmeasured``); its
    re-solves side by side on ``RESOLVE_WORKERS`` workers, returning when all are back."""
    limits = limits_touching(data, mineral)
    alone = one_mineral(data, plan.orders, plan.funding, mineral, plan.capex, plan.conversion_funding)
    together = [relax_all(alone, limits)] if any(limit.name != PENALTY for limit in limits) else []
    baseline, *relaxed = side_by_side(
        lambda variant: shortfall_when_solved(variant, mineral, budget),
        [alone, *(limit.relax(alone) for limit in limits), *together], RESOLVE_WORKERS)
    if baseline is None:
        if budget.exhausted():
            unmeasured.append(mineral)
        return
    for limit, shortfall in zip(limits, relaxed):
        causes.append(Cause(mineral, limit.name, limit.what, baseline, shortfall, in_plan))
    if together:
        causes.append(Cause(mineral, ALL_LIMITS, "every limit above lifted at once", baseline, relaxed[-1],
                            in_plan))
    if not any(offer.mineral == mineral for offer in data.offers.values()):
        causes.append(Cause(mineral, NO_OFFER, "no supplier offers it", baseline, baseline, in_plan))


def should_explain(data: PlanningData, plan: Plan, explain: bool | None) -> bool:
    """``explain`` as asked; when not asked, only if the re-solves are few."""
    if explain is not None:
        return explain
    return resolves_needed(data, plan) <= AUTO_EXPLAIN_RESOLVES


def analyse(data: PlanningData, plan: Plan, explain: bool | None = None, budget: TimeBudget | None = None,
            progress: Progress = quiet) -> Analysis:
    """Marginals always (one LP); shortfall causes when ``should_explain``; both within ``budget`` (default
    the plan's budget of analysis_time_s, optimizer/solving/session.py).

    The analysis explains a plan that is already valid: whatever goes wrong in it is
    noted, never allowed to stop the plan from being written.
    """
    budget = budget or analysis_budget(data, plan)
    try:
        started = time.perf_counter()
        measured = marginals(data, plan, budget)
        marginals_note = "" if measured is not None else no_time_left(budget)
        progress(f"  sensitivities: {len(measured or [])} limit(s) valued in {time.perf_counter() - started:.1f} s"
                 if measured is not None else f"  sensitivities: not measured ({marginals_note})")
        values = project_values(data, plan, budget, progress)
        if not should_explain(data, plan, explain):
            return Analysis(measured or [], None, "run with --explain to measure why shortfalls remain", marginals_note,
                            values)
        short = len(minerals_short(plan, data))
        if short:
            progress(f"  why short: {short} mineral(s), {resolves_needed(data, plan)} re-solves within "
                     f"{budget.remaining():.0f} s")
        causes, unmeasured = shortfall_causes(data, plan, budget, progress)
    except Exception as exc:  # noqa: BLE001 - an explanation is never worth losing the plan
        return Analysis([], None, f"the analysis failed ({type(exc).__name__}: {exc})")
    note = "" if not unmeasured else (
        f"{len(unmeasured)} of the minerals short ({', '.join(unmeasured[:5])}"
        f"{', ...' if len(unmeasured) > 5 else ''}) were not measured: no time was left of analysis_time_s "
        f"({budget.seconds:g} s) for their re-solves; a larger analysis_time_s measures them")
    return Analysis(measured or [], causes, note, marginals_note, values)
