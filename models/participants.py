"""Participants who pay: expected revenue from the demand served (issue 14, point 5; Demand.unit_price).

Symbols
    price[m,t]     PlanningData.release_price: sum over the priced Demand rows of quantity x unit_price,
                   over demand[m,t] (a shortfall falls on every row of the period in proportion)
    u[k,m,t]       unmet demand (models/inventory.py)

    release_revenue = - sum over k of pi[k] * sum over m,t of price[k,m,t] * (demand[m,t] - u[k,m,t])
    price[k,m,t]   price[m,t], or 0 where a ScenarioDemand row of k replaces the Demand rows (and their
                   unit_price) of m in t (PlanningData.release_price_in)

a negative cost term: an expected value over the scenarios. It is not re-spent in
the plan (that would need funding per scenario); Demand.source names who is repaid,
for the Dashboard. Each unit of demand served earns price[m,t], so serving it is worth
shortfall_penalty + price. Without a priced Demand row no term is registered.
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer.contract.data import PlanningData


def add_release_revenue(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Register release_revenue where some Demand row gives a unit_price."""
    if not data.demand_revenue:
        return
    unit = model.facts.money_unit
    probability = model.facts.probability
    model.facts.cost_terms["release_revenue"] = -sum(
        probability[k, m] * data.release_price_in(k, m, t) / unit * (data.demand[m, t] - model.Unmet[k, m, t])
        for k, m, t in model.UNMET_INDEX
        if (m, t) in data.demand_revenue and probability[k, m] > 0 and data.release_price_in(k, m, t) > 0)
