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
"""

from __future__ import annotations

import time

from models import build_model
from models.release import apply_serve_first
from models.sensitivity import expected_shortfall, read_marginals, sensitivity_model
from optimizer.contract.data import PlanningData
from optimizer.contract.results import FEASIBLE, OPTIMAL, Analysis, Cause, Marginal, Plan
from optimizer.analysis.metrics import minerals_short
from optimizer.analysis.relax import PENALTY, limits_touching, one_mineral, relax_all
from optimizer.solving.highs import solve_model

RESOLVE_TIME_LIMIT_S = 30.0  # per re-solve: each holds one mineral's decisions only
RESOLVE_GAP = 1e-6
# Without --explain/--no-explain, causes are measured when the re-solves are this few.
AUTO_EXPLAIN_RESOLVES = 160
ALL_LIMITS = "all limits together"
NO_OFFER = "no offer"


def plan_marginals(data: PlanningData, plan: Plan) -> list[Marginal]:
    """The duals of the plan's LP; empty when it cannot be solved to optimality."""
    model = sensitivity_model(build_model(data), data, plan.orders)
    result = solve_model(model, 0.0, max(RESOLVE_TIME_LIMIT_S, data.settings.time_limit_s))
    if result.status != OPTIMAL:
        return []
    return read_marginals(model, data)


def resolves_needed(data: PlanningData, plan: Plan) -> int:
    """How many re-solves ``shortfall_causes`` would make for this plan."""
    return sum(len(limits_touching(data, m)) + 2 for m in minerals_short(plan, data))


def shortfall_causes(data: PlanningData, plan: Plan, deadline: float | None = None) -> tuple[list[Cause], list[str]]:
    """Each limit touching each mineral short, lifted alone, and all of them together; and the minerals
    short that were not measured because ``deadline`` (time.perf_counter()) had passed."""
    causes, unmeasured = [], []
    for mineral in minerals_short(plan, data):
        if deadline is not None and time.perf_counter() > deadline:
            unmeasured.append(mineral)
            continue
        limits = limits_touching(data, mineral)
        alone = one_mineral(data, plan.orders, plan.funding, mineral)
        baseline = _measure(alone, mineral)
        if baseline is None:
            continue
        for limit in limits:
            causes.append(Cause(mineral, limit.name, limit.what, baseline, _measure(limit.relax(alone), mineral)))
        if any(limit.name != PENALTY for limit in limits):
            causes.append(Cause(mineral, ALL_LIMITS, "every limit above lifted at once", baseline,
                                _measure(relax_all(alone, limits), mineral)))
        if not any(offer.mineral == mineral for offer in data.offers.values()):
            causes.append(Cause(mineral, NO_OFFER, "no supplier offers it", baseline, baseline))
    return causes, unmeasured


def _measure(data: PlanningData, mineral: str) -> float | None:
    """The mineral's expected shortfall in the optimal plan of ``data`` (one mineral's data)."""
    model = build_model(data)
    result = solve_model(model, RESOLVE_GAP, min(RESOLVE_TIME_LIMIT_S, data.settings.time_limit_s))
    if result.status not in (OPTIMAL, FEASIBLE):
        return None
    apply_serve_first(model, data)
    return expected_shortfall(model, mineral)


def should_explain(data: PlanningData, plan: Plan, explain: bool | None) -> bool:
    """``explain`` as asked; when not asked, only if the re-solves are few."""
    if explain is not None:
        return explain
    return resolves_needed(data, plan) <= AUTO_EXPLAIN_RESOLVES




def analyse(data: PlanningData, plan: Plan, explain: bool | None = None) -> Analysis:
    """Marginals always (one LP); shortfall causes when ``should_explain``.

    The analysis explains a plan that is already valid: whatever goes wrong in it is
    noted, never allowed to stop the plan from being written.
    """
    # The re-solves stop starting once the workbook's time_limit_s has passed: the plan is already made.
    deadline = time.perf_counter() + data.settings.time_limit_s
    try:
        marginals = plan_marginals(data, plan)
        if not should_explain(data, plan, explain):
            return Analysis(marginals, None, "run with --explain to measure why shortfalls remain")
        causes, unmeasured = shortfall_causes(data, plan, deadline)
    except Exception as exc:  # noqa: BLE001 - an explanation is never worth losing the plan
        return Analysis([], None, f"the analysis failed ({type(exc).__name__}: {exc})")
    note = "" if not unmeasured else (
        f"{len(unmeasured)} of the minerals short ({', '.join(unmeasured[:5])}"
        f"{', ...' if len(unmeasured) > 5 else ''}) were not measured: the re-solves ran past time_limit_s "
        f"({data.settings.time_limit_s:g} s); a larger time_limit_s measures them")
    return Analysis(marginals, causes, note)
