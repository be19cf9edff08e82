"""Objective: the sum of the cost terms the concerns registered (model.md, Objective).

    objective = purchase_cost + order_cost + onboarding_cost + financing_cost
                + risk_cost + holding_cost + penalty_cost + capex_cost + take_or_pay_cost + signing_cost
                + conversion_cost
    (capex_cost from models/projects.py, the take-or-pay and signing costs from models/contracts.py,
    conversion_cost from models/conversions.py; each 0 without its sheet)

The elastic model minimises the total slack instead: the smallest violation of
the hard limits, which names the limits that cannot be met.
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer.contract.data import PlanningData
from optimizer.contract.results import COST_TERMS, EXTRA_TERMS

# Elastic objective weights. A currency unit an eligible source cannot pay costs at most
# two slacks if blamed on the source (its amount and its period budget), so weighting the
# order's own "unfunded" slack above 2 blames the source's limits whenever some source
# may pay the order, and the order only when none may (otherwise the two tie).
SLACK_WEIGHTS = {"con_order_funded": 3.0, "con_capex_funded": 3.0, "con_contract_funded": 3.0}


def add_objective(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add Cost[term] and the objective: their sum plus extra terms, or the elastic model's total slack."""
    model.Cost = pyo.Expression(list(COST_TERMS), rule=lambda m, name: m.facts.cost_terms.get(name, 0.0))
    if model.facts.elastic:
        model.objective = pyo.Objective(
            expr=sum(SLACK_WEIGHTS.get(name, 1.0) * sum(slack.values())
                     for name, slack in model.facts.slack_terms.items()), sense=pyo.minimize)
    else:
        extra = sum(model.facts.cost_terms[name] for name in EXTRA_TERMS if name in model.facts.cost_terms)
        model.objective = pyo.Objective(expr=sum(model.Cost[name] for name in COST_TERMS) + extra,
                                        sense=pyo.minimize)
