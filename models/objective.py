"""Objective: the sum of the cost terms the concerns registered (model.md, Objective).

    objective = purchase_cost + order_cost + onboarding_cost + financing_cost
                + risk_cost + holding_cost + penalty_cost

The elastic model minimises the total slack instead: the smallest violation of
the hard limits, which names the limits that cannot be met.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.data import PlanningData

COST_TERMS = (
    "purchase_cost", "order_cost", "onboarding_cost", "financing_cost",
    "risk_cost", "holding_cost", "penalty_cost",
)


def add_objective(model: pyo.ConcreteModel, data: PlanningData) -> None:
    model.Cost = pyo.Expression(list(COST_TERMS), rule=lambda m, name: m.cost_terms.get(name, 0.0))
    if model.elastic:
        model.objective = pyo.Objective(
            expr=sum(sum(slack.values()) for slack in model.slack_terms.values()), sense=pyo.minimize)
    else:
        model.objective = pyo.Objective(expr=sum(model.Cost[name] for name in COST_TERMS), sense=pyo.minimize)
