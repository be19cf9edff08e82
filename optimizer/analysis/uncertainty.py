"""What the uncertainty is worth (issue 15, point 5): each scenario's cost, WS and EVPI; with recourse, VSS.

RP is the plan's expected cost (objective - cvar_cost). WS ("wait and see") solves each scenario
alone, as if it were known before any order, and weighs the optima by the scenarios' probabilities;
EVPI = RP - WS is what perfect foresight would save in expectation, never below 0 but for the solver
gaps: RP is within the plan's gap of its optimum, each alone-solve within its own. A risk-averse plan
(cvar_weight > 0) is not the expected-cost optimum, so its EVPI is an upper bound on the risk-neutral one.
With recourse, EEV is the expected cost of the plan made for the expected-value problem (every loss and
price replaced by its probability-weighted mean), its first-stage orders fixed and re-solved with
recourse in every scenario (models/recourse.py); VSS = EEV - RP, never below 0 but for the gaps.

Every solve goes through optimizer/solving/session.py and draws on the plan's budget of
analysis_time_s; a scenario not solved in time leaves WS and EVPI unmeasured, and the note says so.
"""

from __future__ import annotations

from dataclasses import replace

from optimizer.contract.data import PlanningData
from optimizer.contract.results import Plan
from optimizer.contract.scenario_costs import ScenarioValues, scenario_cost_frame
from optimizer.solving.budget import TimeBudget
from optimizer.solving.session import analysis_budget, costs_alone, expected_value_plan_cost, no_time_left


def scenario_values(data: PlanningData, plan: Plan, budget: TimeBudget | None = None) -> ScenarioValues | None:
    """The Scenario costs sheet's figures; None for a workbook without Scenarios or a run without a plan."""
    if not data.scenarios or plan.objective is None:
        return None
    budget = budget or analysis_budget(data, plan)
    try:
        return _measured(data, plan, budget)
    except Exception as exc:  # noqa: BLE001 - a measurement is never worth losing the plan
        frame = scenario_cost_frame(plan, data)
        return ScenarioValues(frame, plan.objective - plan.costs.get("cvar_cost", 0.0), 0.0,
                              note=f"the measurement failed ({type(exc).__name__}: {exc})")


def _measured(data: PlanningData, plan: Plan, budget: TimeBudget) -> ScenarioValues:
    frame = scenario_cost_frame(plan, data)
    solve = plan.solve
    plan_gap = 0.0 if solve.objective is None or solve.bound is None else max(0.0, solve.objective - solve.bound)
    expected = plan.objective - plan.costs.get("cvar_cost", 0.0)
    weighing = [scenario.name for scenario in data.all_scenarios if scenario.probability > 0]
    solved_alone = dict(zip(weighing, costs_alone(data, weighing, budget, plan)))
    alone, gaps, missing = [], [], []
    for scenario in data.all_scenarios:
        solved = solved_alone.get(scenario.name)
        if solved is None and scenario.probability > 0:
            missing.append(scenario.name)
        alone.append(None if solved is None else solved[0])
        gaps.append(None if solved is None else solved[0] - solved[1])
    frame = frame.assign(cost_alone=alone, solver_gap=gaps)
    if missing:
        why = no_time_left(budget) if budget.exhausted() else "no plan found in the time given"
        return ScenarioValues(frame, expected, plan_gap, note=f"{', '.join(missing)} not solved alone: {why}")
    weighted = [(k.probability, c, g) for k, c, g in zip(data.all_scenarios, alone, gaps) if k.probability > 0]
    values = ScenarioValues(frame, expected, plan_gap, sum(p * c for p, c, _ in weighted),
                            sum(p * g for p, _, g in weighted))
    if data.settings.recourse != "yes":
        return values
    eev = expected_value_plan_cost(data, budget)
    if isinstance(eev, str):
        return replace(values, vss_note=eev)
    return replace(values, expected_value_cost=eev[0], expected_value_gap=eev[0] - eev[1])
