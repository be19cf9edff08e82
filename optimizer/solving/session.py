"""The one place where a model is built, started, solved and read back, under one time budget.

Every solve of the engine goes through here: the plan (``plan_from_data``, then its
stability pass), the conflicts of an infeasible input (``conflicts``), the plan's LP
for the marginals (``marginals``), each why-short re-solve (``shortfall_when_solved``)
and the change-penalty comparison of a re-plan (``plan_without_change_cost``).
Callers outside optimizer/solving/ never import models/, pyomo or highspy.

The time budget (optimizer/solving/budget.py): Settings ``time_limit_s`` bounds
the main solve (block start and search). Everything solved after it draws on one
``TimeBudget`` of ``analysis_time_s`` seconds, opened when the main solve ends and
kept on the plan (``plan.analysis_budget``): a part that finds no time left is
skipped, and its caller names it on the sheet it would have filled.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from models import build_model
from models.blocks import mineral_of
from models.contracts import solved_deliveries
from models.conversions import planned_conversions
from models.ordering import order_upper_bounds
from models.projects import decided_in, force_build, forbidden
from models.recourse import (
    build_recourse_model, expected_value_data, extract_recourse_plan, fix_first_stage_conversions, scenario_alone,
    with_first_stage, with_recourse,
)
from models.recourse_deals import fix_deals
from models.release import apply_serve_first
from models.risk_aversion import add_recourse_risk_aversion
from models.results import describe_conflicts, extract_plan, model_size
from models.sensitivity import (
    expected_shortfall, read_marginals, read_recourse_marginals, recourse_expected_shortfall,
    recourse_sensitivity_model, sensitivity_model,
)
from models.stability import add_recourse_change_cost, expected_change_cost, highest_previous_orders
from models.stability import change_cost as change_cost_of_orders
from models.start import (
    SolvedValues, commitments_only_start, replan_start, solved_values, start_from_orders, start_from_solved,
)
from optimizer.contract.data import PlanningData, Slot
from optimizer.contract.results import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, Marginal, Plan, ProjectValue, SolveResult
from optimizer.contract.scenario_costs import with_cvar_cost
from optimizer.solving.alike import Alike, SolvedModel, alike_sources, settled_minerals
from optimizer.solving.budget import TimeBudget
from optimizer.solving.highs import (
    BLOCK_START_MIN_BINARIES, PYOMO_TURN, SMALL_MIP_OPTIONS, solve_in_worker, solve_model, write_lp,
)
from optimizer.solving.stability import stabilise, stabilise_recourse
from optimizer.solving.workers import cores, in_workers, in_workers_after
from optimizer.stages import Stages

RESOLVE_TIME_LIMIT_S = 30.0  # per why-short re-solve: each holds one mineral's decisions only
RESOLVE_GAP = 1e-6


def build(data: PlanningData, previous_orders: dict[Slot, float] | None = None):
    """The Pyomo model of ``data`` (models/); with ``previous_orders`` and change_penalty > 0, with its change cost."""
    return build_model(data, previous_orders=previous_orders)


def first_start(model, data: PlanningData, previous_orders: dict[Slot, float] | None = None,
                always_previous: bool = False):
    """The main solve's start (models/start.py): the commitments alone (a plan in hand even if the time
    limit hits); with ``previous_orders`` the previous plan, on large models (or ``always_previous``)."""
    if previous_orders is None:
        return commitments_only_start(model, data)
    if always_previous:
        return start_from_orders(model, data, previous_orders)
    return replan_start(model, data, previous_orders)


def solve_main(model, data: PlanningData, start) -> SolveResult:
    """The main solve: ``time_limit_s`` for the block start (per mineral) and the search, to ``mip_gap``; a model
    too small for the block start has its search begun beside its fix-and-optimise pass (both cores at work:
    nothing else runs during the main solve)."""
    settings = data.settings
    return solve_model(model, settings.mip_gap, settings.time_limit_s, start=start, blocks=mineral_of,
                       search_beside_pass=True)


def read_back(model, data: PlanningData, result: SolveResult) -> Plan:
    """The plan held by a solved model (models/results.py)."""
    return extract_plan(model, data, result)


def size_of(model) -> dict[str, int]:
    """Variables, binaries and constraints of a built model, for the Summary and the benchmarks."""
    return model_size(model)


def plan_from_data(data: PlanningData, stages: Stages, previous_orders: dict | None = None,
                   clock: Callable[[], float] = time.perf_counter, save_lp: Path | None = None) -> Plan:
    """Build, solve and read back the plan; an infeasible model is analysed for its conflicts.

    ``previous_orders`` (a re-plan, optimizer/replan/replan.py): the previous plan's orders start
    the solver (large models: models/start.py replan_start), with Settings
    change_penalty > 0 each unit of change against them costs, and the stability
    pass (optimizer/solving/stability.py) moves the plan as close to them as the gap allows.
    The plan carries the budget of analysis_time_s (``plan.analysis_budget``), opened on ``clock``
    when the main solve ends. ``save_lp``: the built model is also written there as an LP file (``--save-lp``).
    """
    if with_recourse(data):  # previous_orders: scenario -> the orders that held in it (optimizer/replan/replan.py)
        return recourse_plan(data, stages, clock, save_lp, previous_orders)
    with stages.stage("build"):
        model = build(data, previous_orders)
        start = first_start(model, data, previous_orders)
        if save_lp is not None:
            write_lp(model, save_lp)
    with stages.stage("solve"):
        result = solve_main(model, data, start)
    budget = TimeBudget(data.settings.analysis_seconds, clock)  # what is solved after the plan draws on it
    if result.status == INFEASIBLE:
        with stages.stage("diagnose"):
            plan = Plan.empty(INFEASIBLE, result, conflicts(data, budget))
        return dataclasses.replace(plan, model_size=size_of(model))
    if result.status == ERROR:
        return Plan.empty(ERROR, result)
    plan = read_back(model, data, result)
    with stages.stage("stability"):
        plan = stabilise(model, data, plan, result, previous_orders, budget)
    return dataclasses.replace(plan, analysis_budget=budget, solved=_solved_if_small(model, plan))


def _solved_if_small(model, plan: Plan) -> SolvedValues | None:
    """The plan's model values (models/start.py ``solved_values``), the start of each scenario solved alone, for a
    model whose scenarios alone are solved side by side (``costs_alone``); None for a larger one."""
    binaries = plan.model_size.get("binaries")
    return solved_values(model) if binaries is not None and binaries < BLOCK_START_MIN_BINARIES else None


def recourse_plan(data: PlanningData, stages: Stages, clock: Callable[[], float] = time.perf_counter,
                  save_lp: Path | None = None, previous_orders: dict[str, dict[Slot, float]] | None = None) -> Plan:
    """The plan with recourse (models/recourse.py): one copy of the model per scenario, orders shared until
    the scenario is told apart; with ``previous_orders`` (scenario -> the previous plan's orders that held
    in it) and change_penalty > 0 each expected unit of change costs (models/stability.py
    add_recourse_change_cost), and the stability pass moves it as close to them as the gap allows."""
    with stages.stage("build"):
        model = build_recourse_model(data, previous_orders=highest_previous_orders(data, previous_orders))
        add_recourse_change_cost(model, data, previous_orders)
        add_recourse_risk_aversion(model, data)
        if save_lp is not None:
            write_lp(model, save_lp)
    with stages.stage("solve"):
        result = solve_model(model, data.settings.mip_gap, data.settings.time_limit_s, blocks=mineral_of)
    budget = TimeBudget(data.settings.analysis_seconds, clock)
    if result.status == INFEASIBLE:
        return dataclasses.replace(Plan.empty(INFEASIBLE, result, conflicts(data, budget)), model_size=size_of(model))
    if result.status == ERROR:
        return Plan.empty(ERROR, result)
    plan = with_cvar_cost(extract_recourse_plan(model, data, result), data)
    if previous_orders is not None:
        with stages.stage("stability"):
            plan = stabilise_recourse(model, data, plan, result, previous_orders, budget)
    return dataclasses.replace(plan, analysis_budget=budget)


def analysis_budget(data: PlanningData, plan: Plan) -> TimeBudget:
    """The plan's budget of analysis_time_s, or a new one for a plan made elsewhere (a test, a script)."""
    budget = plan.analysis_budget
    return budget if isinstance(budget, TimeBudget) else TimeBudget(data.settings.analysis_seconds)


def no_time_left(budget: TimeBudget) -> str:
    """How a part skipped for lack of time is named on its sheet."""
    return f"no time left of analysis_time_s ({budget.seconds:g} s)"


def conflicts(data: PlanningData, budget: TimeBudget) -> list[str]:
    """One sentence per limit that cannot be met, from the elastic model (models/results.py)."""
    if budget.exhausted():
        return ["the limits that conflict could not be identified: " + no_time_left(budget)]
    elastic = build_model(data, elastic=True)
    result = solve_model(elastic, 0.0, budget.remaining())
    if result.objective is None:
        return ["the limits that conflict could not be identified: " + result.message]
    return describe_conflicts(elastic, data) or ["the commitments cannot all be met"]


def marginals(data: PlanningData, plan: Plan, budget: TimeBudget) -> list[Marginal] | None:
    """The duals of the plan's LP (its binaries fixed, models/sensitivity.py); empty when the LP is not
    solved to optimality, None when no time of the budget is left to solve it."""
    if budget.exhausted():
        return None
    if with_recourse(data):
        return recourse_marginals(data, plan, budget)
    model = sensitivity_model(build(data), data, plan.orders, plan.builds, plan.contracts, plan.deliveries,
                              plan.sales, plan.conversions)
    result = solve_model(model, 0.0, budget.remaining())
    if result.status != OPTIMAL:
        return []
    return read_marginals(model, data)


def recourse_marginals(data: PlanningData, plan: Plan, budget: TimeBudget) -> list[Marginal]:
    """The duals of the LP of a plan with recourse (each scenario's binaries fixed at its orders,
    models/sensitivity.py recourse_sensitivity_model), a limit's summed over the scenarios; empty when the
    LP is not solved to optimality. The per-scenario form (each copy its own order columns and size rows, tied
    by equality rows): the node form's shared columns have no per-copy rows for the LP to restate."""
    model = build_recourse_model(data, by_node=False)
    add_recourse_risk_aversion(model, data)
    recourse_sensitivity_model(model, data, plan.orders, plan.builds, plan.contracts, plan.deliveries, plan.sales,
                               plan.conversions)
    result = solve_model(model, 0.0, budget.remaining())
    if result.status != OPTIMAL:
        return []
    return read_recourse_marginals(model, data)


def plan_lp_objective(data: PlanningData, orders, time_limit_s: float = 60.0) -> float | None:
    """The expected cost of the plan's LP (its yes/no decisions fixed at ``orders``, models/sensitivity.py) for
    ``data``: what a sensitivity's step is checked against. None when that LP has no optimum."""
    result = solve_model(sensitivity_model(build(data), data, orders), 0.0, time_limit_s)
    return result.objective if result.status == OPTIMAL else None


def shortfall_when_solved(data: PlanningData, mineral: str, budget: TimeBudget) -> float | None:
    """The mineral's expected shortfall in the optimal plan of ``data`` (one mineral's data); None when no
    plan is found in the time given (at most RESOLVE_TIME_LIMIT_S of what is left of the budget).

    Run in a worker thread (``side_by_side``): Pyomo's part takes its turn, HiGHS runs beside the others."""
    seconds = budget.slice(min(RESOLVE_TIME_LIMIT_S, data.settings.time_limit_s))
    if seconds <= 0:
        return None
    recourse = with_recourse(data)  # the model with recourse (models/recourse.py): each scenario's copy
    with PYOMO_TURN:
        model = build(data) if not recourse else build_recourse_model(data)
    result = solve_in_worker(model, RESOLVE_GAP, seconds, SMALL_MIP_OPTIONS)
    if result.status not in (OPTIMAL, FEASIBLE):
        return None
    with PYOMO_TURN:
        if recourse:
            return recourse_expected_shortfall(model, data, mineral)
        apply_serve_first(model, data)
        return expected_shortfall(model, mineral)


def side_by_side(solve: Callable, cases: list, workers: int | None = None) -> list:
    """``solve(case)`` of each case, in order, on the worker pool (optimizer/solving/workers.py), as many
    workers as cores (or ``workers``). For the why-short re-solves: many, small and independent."""
    return in_workers(solve, cases, workers or cores())


def project_value(block: PlanningData, plan: Plan, project: str, budget: TimeBudget) -> ProjectValue:
    """The plan with ``project`` the other way, re-solved on its block of minerals alone (``block``: the
    planning data of those minerals, every other mineral's orders and funding held at the plan's,
    optimizer/analysis/relax.py minerals_alone): forbidden when the plan funds it, forced (in the period
    the re-solve finds best) when it does not.

    Two small MIPs at mip_gap, each within time_limit_s of what is left of ``budget``: the block as planned
    (the project decided as the plan decides it, started from the plan's orders) and the block the other
    way (started from the plan's orders without the project's output where it is forbidden). Their
    difference is what the project saves within the block; the whole plan the other way costs the plan's
    objective plus that difference."""
    built = project in plan.builds
    if budget.exhausted():
        return ProjectValue(project, built, None, note=no_time_left(budget))
    as_planned = decided_in(block, project, plan.builds[project]) if built else forbidden(block, project)
    orders = plan.order_quantities()
    same = _block_solve(as_planned, orders, budget, "as the plan decides the project")
    if isinstance(same, str):
        return ProjectValue(project, built, None, note=f"the block as planned was not re-solved: {same}")
    supplier = block.projects[project].supplier
    if built:
        without_output = {slot: q for slot, q in orders.items() if slot[0] != supplier}
        other = _block_solve(forbidden(block, project), without_output, budget, "with the project forbidden")
    else:  # no start: the plan's orders do not fund the project
        other = _block_solve(block, None, budget, "with the project funded", force=project)
    if isinstance(other, str):
        return ProjectValue(project, built, None, note=other)
    (same_cost, same_stop, _), (other_cost, other_stop, decision) = same, other
    stops = [f"the {what} re-solve stopped at a plan {100 * gap:.2g}% from its bound"
             for what, gap in (("as-planned", same_stop), ("other-way", other_stop)) if gap is not None]
    return ProjectValue(project, built, plan.objective + other_cost - same_cost, decision, note="; ".join(stops),
                        minerals=tuple(sorted(block.minerals)))


def _block_solve(data: PlanningData, orders: dict[Slot, float] | None, budget: TimeBudget, variant: str,
                 force: str | None = None) -> tuple[float, float | None, int | None] | str:
    """(objective in currency, gap when not proven optimal, the decision period of ``force``) of ``data`` solved
    at mip_gap in at most time_limit_s of what is left of ``budget``, started from ``orders`` (None: no start);
    ``force``: that project must be decided. Why not, when no plan is found (``variant`` names the data)."""
    seconds = budget.slice(data.settings.time_limit_s)
    if seconds <= 0:
        return no_time_left(budget)
    if with_recourse(data):
        return _recourse_block_solve(data, seconds, variant, force)
    model = build(data)
    if force is not None:
        force_build(model, data, force)
    start = None if orders is None else start_from_orders(model, data, orders)
    result = solve_model(model, data.settings.mip_gap, seconds, start=start, blocks=mineral_of)
    return _block_result(model, model.facts.money_unit, result, variant, force)


def _recourse_block_solve(data: PlanningData, seconds: float, variant: str,
                          force: str | None) -> tuple[float, float | None, int | None] | str:
    """_block_solve with recourse: the block's model with recourse (models/recourse.py), the project forced
    in every scenario copy (its decision is one for all, models/recourse_deals.py), no start (the plan's
    orders differ by scenario)."""
    model = build_recourse_model(data)
    if force is not None:
        for copy in model.Scenario.values():
            force_build(copy, data, force)
    result = solve_model(model, data.settings.mip_gap, seconds, blocks=mineral_of)
    first = model.Scenario[data.all_scenarios[0].name]
    return _block_result(first, model.money_unit, result, variant, force)


def _block_result(model, money_unit: float, result: SolveResult, variant: str,
                  force: str | None) -> tuple[float, float | None, int | None] | str:
    """(objective in currency, gap when not proven optimal, the decision period of ``force`` in ``model``)."""
    if result.status == INFEASIBLE:
        return f"no plan exists {variant}"
    if result.status not in (OPTIMAL, FEASIBLE) or result.objective is None:
        return result.message
    decision = None if force is None else next(
        (d for p, d in model.BUILD_SLOTS if p == force and model.Build[p, d].value > 0.5), None)
    return (result.objective * money_unit, None if result.status == OPTIMAL else (result.gap or 0.0), decision)


def costs_alone(data: PlanningData, scenarios: list[str], budget: TimeBudget,
                plan: Plan | None = None) -> list[tuple[float, float] | None]:
    """``cost_alone`` of each scenario, in order. A model the block start would leave whole (the ``plan``'s
    binaries below BLOCK_START_MIN_BINARIES) is solved side by side on the worker pool, each HiGHS single-threaded
    without its RINS and RENS sub-MIPs, started from the plan (``plan.solved``, when the plan has it) improved block by
    block (optimizer/solving/fix_and_optimise.py), or, for a scenario whose stock classes are close to an earlier
    one's (optimizer/solving/alike.py ``alike_sources``), after that one and from its plan, re-solving only the
    blocks in which their models differ; either way leaving the minerals on which every scenario is alike
    (``settled_minerals``); a larger one (or no plan) one after another, each with the block start.
    The shipped example's five: 32 s of CPU to 18 s, then two at once, then from the plan, then from the plan
    improved block by block (8.7 s of CPU), then two of the five after an alike one (5.9 s; docs/performance.md)."""
    binaries = None if plan is None else plan.model_size.get("binaries")
    if binaries is None or binaries >= BLOCK_START_MIN_BINARIES:
        return [cost_alone(data, scenario, budget) for scenario in scenarios]
    sources = {} if plan.solved is None else alike_sources(scenarios, plan.solved.stock_scenario)
    settled = frozenset() if plan.solved is None else settled_minerals(plan.solved.stock_scenario)

    def solve(scenario: str, earlier: tuple | None) -> tuple[tuple[float, float] | None, SolvedModel | None]:
        alike = Alike(None if earlier is None else earlier[1], settled=settled)
        return cost_alone(data, scenario, budget, in_worker=True, solved=plan.solved, alike=alike), alike.solved

    return [cost for cost, _ in in_workers_after(solve, scenarios, sources, cores())]


def cost_alone(data: PlanningData, scenario: str, budget: TimeBudget, in_worker: bool = False,
               solved: SolvedValues | None = None, alike: Alike | None = None) -> tuple[float, float] | None:
    """(cost, proven bound) in currency of the best plan for ``scenario`` alone (probability 1, every other
    scenario dropped; base: no scenario), risk-neutral, at the workbook's mip_gap, in at most time_limit_s
    of what is left of ``budget``; None when no plan is found in that time. ``in_worker``: solved as
    in a worker thread (``solve_in_worker``, Pyomo's part taking its turn), no block start, started from
    ``solved`` (models/start.py ``start_from_solved``: the plan, every column, meets every row of the scenario
    alone) when given, improved mineral by mineral first (optimizer/solving/fix_and_optimise.py); with ``alike``
    (optimizer/solving/alike.py), from the plan of the alike scenario solved before it when that costs less here.

    Not from the plan's orders alone: as a start (partial, the contracts' payments left to HiGHS) they made the
    example's five solves 20% slower in CPU, not faster; the whole plan made them faster (docs/performance.md)."""
    seconds = budget.slice(data.settings.time_limit_s)
    if seconds <= 0:
        return None
    alone = scenario_alone(data, scenario)
    if in_worker:
        with PYOMO_TURN:
            model = build(alone)
            start = None if solved is None else start_from_solved(model, solved)
        result = solve_in_worker(model, alone.settings.mip_gap, seconds, SMALL_MIP_OPTIONS, start, blocks=mineral_of,
                                 alike=alike)
    else:
        model = build(alone)
        result = solve_model(model, alone.settings.mip_gap, seconds, start=first_start(model, alone),
                             blocks=mineral_of)
    if result.status not in (OPTIMAL, FEASIBLE) or result.objective is None:
        return None
    with PYOMO_TURN:
        plan = read_back(model, alone, result)
    bound = plan.objective if result.bound is None else min(plan.objective, result.bound * model.facts.money_unit)
    return plan.objective, bound


def expected_value_plan_cost(data: PlanningData, budget: TimeBudget) -> tuple[float, float] | str:
    """EEV: the expected cost, with recourse, of the plan made for the expected-value problem (models/recourse.py
    expected_value_data) with its first-stage orders and its deals (projects, signings, deliveries: first-stage
    whatever their period, models/recourse_deals.py fix_deals) fixed; (cost, proven bound) in currency, or why not."""
    seconds = budget.slice(data.settings.time_limit_s)
    if seconds <= 0:
        return no_time_left(budget)
    average = expected_value_data(data)
    model = build(average)
    result = solve_model(model, average.settings.mip_gap, seconds, start=first_start(model, average), blocks=mineral_of)
    if result.status not in (OPTIMAL, FEASIBLE):
        return f"the expected-value problem has no plan ({result.message})"
    plan = read_back(model, average, result)
    deliveries = solved_deliveries(model)
    fixed = with_first_stage(data, plan.order_quantities(), plan.builds, deliveries)
    seconds = budget.slice(data.settings.time_limit_s)
    if seconds <= 0:
        return no_time_left(budget)
    model = build_recourse_model(fixed)
    fix_deals(model, plan.builds, plan.signed_contracts(), deliveries)
    fix_first_stage_conversions(model, data, planned_conversions(plan.conversions))
    result = solve_model(model, fixed.settings.mip_gap, seconds, blocks=mineral_of)
    if result.status not in (OPTIMAL, FEASIBLE):
        return f"the expected-value plan's first stage leaves no plan in some scenario ({result.message})"
    cost = extract_recourse_plan(model, fixed, result).objective
    bound = cost if result.bound is None else min(cost, result.bound * model.money_unit)
    return cost, bound


def plan_without_change_cost(data: PlanningData, plan: Plan, budget: TimeBudget) -> dict[Slot, float] | None:
    """The orders the same data would get without the change penalty (started from ``plan``), in the
    seconds left of the budget (None when none are left or no plan is found in them)."""
    if budget.exhausted():
        return None
    free = dataclasses.replace(data, settings=dataclasses.replace(data.settings, change_penalty=0.0))
    model = build(free)
    start = first_start(model, free, plan.order_quantities(), always_previous=True)
    result = solve_model(model, free.settings.mip_gap, budget.remaining(), start=start, blocks=mineral_of)
    if result.status not in (OPTIMAL, FEASIBLE):
        return None
    return read_back(model, free, result).order_quantities()


def recourse_plan_without_change_cost(data: PlanningData, budget: TimeBudget) -> dict[str, dict[Slot, float]] | None:
    """With recourse: scenario -> the orders that hold in it in the plan the same data would get without the
    change penalty (the model with recourse re-solved at mip_gap, no start), in the seconds left of the budget
    (None when none are left or no plan is found in them)."""
    if budget.exhausted():
        return None
    free = dataclasses.replace(data, settings=dataclasses.replace(data.settings, change_penalty=0.0))
    model = build_recourse_model(free)
    add_recourse_risk_aversion(model, free)
    result = solve_model(model, free.settings.mip_gap, budget.remaining(), blocks=mineral_of)
    if result.status not in (OPTIMAL, FEASIBLE):
        return None
    orders = extract_recourse_plan(model, free, result).orders
    return {k.name: {(r.supplier, r.mineral, int(r.period)): float(r.quantity)
                     for r in orders[orders["scenario"].isin(("", k.name))].itertuples()}
            for k in free.all_scenarios}


def change_cost(data: PlanningData, orders: dict[Slot, float], previous_orders: dict[Slot, float] | None) -> float:
    """change_penalty * sum of |x - x_prev| over the model's order slots (models/stability.py)."""
    return change_cost_of_orders(data, orders, previous_orders, order_upper_bounds(data))


def recourse_change_cost(data: PlanningData, orders: dict[str, dict[Slot, float]],
                         previous_orders: dict[str, dict[Slot, float]] | None) -> float:
    """The expected change cost of a plan with recourse (scenario -> the orders that hold in it), as
    add_recourse_change_cost prices it (models/stability.py expected_change_cost)."""
    return expected_change_cost(data, orders, previous_orders)
