"""The stability pass: among the plans as good as the one found, the one closest to the previous plan.

With a gap of 0.1% many plans are equally good, and the solver returns whichever
it meets first: a price move on one mineral could reshuffle the orders of every
other. So when a previous plan exists (a re-plan, optimizer/replan/replan.py) and
Settings ``stability`` is ``yes``, the solved model is solved once more
(models/stability.py ``add_stability_pass``): its objective (+ change_cost, as
minimised) held within the workbook's ``mip_gap`` of the bound the first solve
proved, the change from the previous plan (sum of |x - x_prev| x list price)
minimised, started from the plan found first (which meets every constraint of
the pass). On large models it runs per mineral, as the block start does
(optimizer/solving/highs.py ``solve_around``).

It draws on the seconds of Settings ``analysis_time_s`` (optimizer/solving/budget.py).
Cut short, it keeps its best plan so far when that is closer to the previous
plan, else the plan found first stands. Either way the Summary says what it did.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pyomo.core as pyo
from pyomo.common.collections import ComponentMap

from models.blocks import mineral_of
from models.results import extract_plan
from models.recourse import extract_recourse_plan
from models.stability import add_recourse_stability_pass, add_stability_pass, allowed_objective, change_value
from optimizer.contract.words import money, signed_money
from optimizer.contract.scenario_costs import with_cvar_cost
from optimizer.solving.budget import TimeBudget
from optimizer.contract.data import PlanningData, Slot
from optimizer.contract.results import (CUT_SHORT, FEASIBLE, NOT_RUN, OPTIMAL, RAN, Plan, SolveResult,
                                        StabilityPass)
from optimizer.solving.highs import relative_gap, solve_around

_TOLERANCE = 1e-6  # relative: solver round-off is no change
# The pass stops within this relative gap of the least change (or mip_gap, when larger). The objective's
# bound is a constraint, kept exactly; only how close to the previous plan is approximate. On the shipped
# example (ferroniobium +5%) 1% found the same plan as 0.1% in 4 s instead of 20 s (docs/performance.md).
STABILITY_GAP = 0.01


def stabilise(model: pyo.ConcreteModel, data: PlanningData, plan: Plan, solved: SolveResult,
              previous_orders: dict[Slot, float] | None, budget: TimeBudget) -> Plan:
    """The plan after the stability pass (``plan`` itself when the pass does not run or finds nothing
    closer), with ``plan.stability`` saying what happened. ``model`` holds ``plan`` as solved
    (``solved``: the solver's figures in model money units); the pass changes it."""
    reason = _not_run(data, plan, previous_orders, budget)
    if reason:
        return replace(plan, stability=StabilityPass(NOT_RUN, reason))
    unit = model.facts.money_unit
    first = solved.objective * unit
    allowance = allowed_objective(first, solved.bound * unit, data.settings.mip_gap)
    before = change_value(data, plan.order_quantities(), previous_orders, model.ORDER_SLOTS)
    record = StabilityPass(RAN, "", first_objective=first, first_gap=plan.solve.gap, allowance=allowance,
                           change_before=before, change_after=before)
    if before <= 0:
        return replace(plan, stability=replace(
            record, note="the plan found first is the previous plan: nothing to move back"))
    # the new variables are valued at the plan found first
    allowance_in_units = add_stability_pass(model, data, allowance)
    start = ComponentMap((var, var.value) for var in model.component_data_objects(pyo.Var)
                         if var.value is not None)
    gap = max(data.settings.mip_gap, STABILITY_GAP)
    result = solve_around(model, gap, budget.remaining(), start, mineral_of)
    record = replace(record, seconds=result.seconds + result.handover_seconds)
    if result.status not in (OPTIMAL, FEASIBLE) or not _closer_within(model, before, allowance_in_units):
        return replace(plan, stability=replace(
            record, outcome=CUT_SHORT if result.status != OPTIMAL else RAN,
            note=(f"no plan closer to the previous plan was found in {record.seconds:.1f} s "
                  f"({result.message}); the plan found first stands")))
    return _stable_plan(model, data, plan, solved, result, record)


def _closer_within(model: pyo.ConcreteModel, before: float, allowance: float) -> bool:
    """Whether the model holds a plan within ``allowance`` (model money units) that changes less than ``before``."""
    within = pyo.value(model.plan_cost) <= allowance + _TOLERANCE * max(1.0, abs(allowance))
    return within and pyo.value(model.objective) * model.facts.money_unit < before * (1 - _TOLERANCE)


def _not_run(data: PlanningData, plan: Plan, previous_orders: dict[Slot, float] | None,
             budget: TimeBudget) -> str:
    """Why the pass does not run (empty when it does)."""
    if previous_orders is None:
        return "no previous plan of this input: nothing to stay close to"
    if data.settings.stability == "no":
        return "Settings stability is no"
    if plan.solve.bound is None or not math.isfinite(plan.solve.bound) or plan.objective is None:
        return "the solve proved no bound to stay within"
    if budget.remaining() <= 0:
        return f"no time left of analysis_time_s ({budget.seconds:g} s)"
    return ""


def objective_move(first: float, after: float, allowance: float, currency: str) -> str:
    """"$799M to $799M, +$1.03K of the +$1.03K allowed": the objective's move beside what the gap allows
    (the totals alike to 3 figures, the moves are what a reader compares)."""
    return (f"{money(first, currency)} to {money(after, currency)}, {signed_money(after - first, currency)} of the "
            f"{signed_money(allowance - first, currency)} allowed")


def _stable_plan(model, data: PlanningData, plan: Plan, solved: SolveResult, result: SolveResult,
                 record: StabilityPass) -> Plan:
    """The pass's plan, with the first solve's bound and the gap it now has."""
    objective = pyo.value(model.plan_cost)
    gap = relative_gap(max(objective, solved.bound), solved.bound)  # the bound is below any plan
    cut = result.status != OPTIMAL
    message = f"{solved.message}; stability pass: the closest plan to the previous one within the gap"
    if cut:
        message += f" found in {record.seconds:.1f} s (cut short by analysis_time_s: {result.message})"
    stable = extract_plan(model, data, replace(solved, objective=objective, gap=gap, message=message))
    change_after = change_value(data, stable.order_quantities(), model.facts.previous_orders or {},
                                model.ORDER_SLOTS)
    currency = data.settings.currency
    note = (f"change from the previous plan {money(record.change_before, currency)} to "
            f"{money(change_after, currency)} of orders at list price, objective "
            + objective_move(record.first_objective, objective * model.facts.money_unit, record.allowance, currency)
            + (f"; cut short after {record.seconds:.1f} s, its best plan so far kept" if cut else "")
            + f" ({result.message})")
    record = replace(record, outcome=CUT_SHORT if cut else RAN, change_after=change_after, note=note)
    return replace(stable, model_size=plan.model_size, stability=record)


def stabilise_recourse(model: pyo.ConcreteModel, data: PlanningData, plan: Plan, solved: SolveResult,
                       previous: dict[str, dict[Slot, float]], budget: TimeBudget) -> Plan:
    """The stability pass of a plan with recourse (models/stability.py add_recourse_stability_pass): each
    scenario's orders moved as close to the previous plan's orders in that scenario as the gap allows;
    ``plan`` itself, with what happened, when the pass does not run or finds nothing closer."""
    reason = _not_run(data, plan, previous, budget)
    if reason:
        return replace(plan, stability=StabilityPass(NOT_RUN, reason))
    unit = model.money_unit
    first = solved.objective * unit
    allowance = allowed_objective(first, solved.bound * unit, data.settings.mip_gap)
    allowance_in_units = add_recourse_stability_pass(model, data, allowance, previous)
    before = pyo.value(model.objective) * unit  # the change of the plan found first, at list price
    record = StabilityPass(RAN, "", first_objective=first, first_gap=plan.solve.gap, allowance=allowance,
                           change_before=before, change_after=before)
    if before <= _TOLERANCE:
        return replace(plan, stability=replace(
            record, note="the plan found first is the previous plan: nothing to move back"))
    start = ComponentMap((var, var.value) for var in model.component_data_objects(pyo.Var) if var.value is not None)
    result = solve_around(model, max(data.settings.mip_gap, STABILITY_GAP), budget.remaining(), start, mineral_of)
    record = replace(record, seconds=result.seconds + result.handover_seconds)
    within = pyo.value(model.plan_cost) <= allowance_in_units + _TOLERANCE * max(1.0, abs(allowance_in_units))
    after = pyo.value(model.objective) * unit
    if result.status not in (OPTIMAL, FEASIBLE) or not within or after >= before * (1 - _TOLERANCE):
        return replace(plan, stability=replace(
            record, outcome=CUT_SHORT if result.status != OPTIMAL else RAN,
            note=(f"no plan closer to the previous plan was found in {record.seconds:.1f} s "
                  f"({result.message}); the plan found first stands")))
    objective = pyo.value(model.plan_cost)
    cut = result.status != OPTIMAL
    gap = relative_gap(max(objective, solved.bound), solved.bound)
    stable = with_cvar_cost(extract_recourse_plan(model, data, replace(
        solved, objective=objective, gap=gap,
        message=f"{solved.message}; stability pass: the closest plan to the previous one within the gap")), data)
    currency = data.settings.currency
    note = (f"change from the previous plan {money(before, currency)} to {money(after, currency)} of orders "
            f"(each scenario's decision once) at list price, objective "
            + objective_move(first, objective * unit, allowance, currency) + (f"; cut short after {record.seconds:.1f} s, its best plan so far kept"
                                             if cut else "") + f" ({result.message})")
    return replace(stable, model_size=plan.model_size, stability=replace(
        record, outcome=CUT_SHORT if cut else RAN, change_after=after, note=note))
