"""Funding: which source pays for each order, within amounts and budgets (model.md 7).

Symbols
    FUNDING_SLOTS      (source, supplier, mineral, period) where the source may pay the order
    Spend[f,o,t]       v: money source f pays for order (o,t)              money_unit >= 0
    amount[f]          Funding.amount: total over the horizon
    budget[f,t]        Budgets.amount: per-period cap where given
    cost_rate[f]       Funding.cost_rate: financing cost per currency unit drawn

Spend exists only where the source may pay (period in its window, country not
excluded, mineral allowed), so the eligibility rules need no constraint.
Other concerns register what a source pays beyond orders (a project's capex,
models/projects.py) in ``model.facts.other_spending``; it counts against the same
amounts and budgets and bears the same cost_rate.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.core as pyo

from models.contracts import add_contract_funding
from models.conversions import conversion_payments
from models.elastic import add_slack, slack_of
from optimizer.contract.data import PlanningData


def add_funding(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add Spend: each order paid in full, each source within its amount and per-period budgets."""
    funding_slots = [
        (source, supplier, mineral, period)
        for supplier, mineral, period in model.ORDER_SLOTS
        for source in data.eligible_sources(supplier, mineral, period)
    ]
    model.FUNDING_SLOTS = pyo.Set(dimen=4, initialize=funding_slots, ordered=True)
    model.FUNDING_SOURCES = pyo.Set(initialize=list(data.funding), ordered=True)
    model.Spend = pyo.Var(model.FUNDING_SLOTS, within=pyo.NonNegativeReals)
    # money terms of each source and period: orders' v[f,o,t], then capex (models/projects.py)
    # and contracts' bills (models/contracts.py), then conversions' payments (models/conversions.py)
    by_order: dict[tuple, list] = defaultdict(list)
    by_source_period: dict[tuple[str, int], list] = defaultdict(list)
    for index in funding_slots:
        by_order[index[1:]].append(model.Spend[index])
        by_source_period[index[0], index[3]].append(model.Spend[index])
    for key, terms in model.facts.other_spending.items():
        by_source_period[key].extend(terms)
    for source, period, spend in add_contract_funding(model, data):
        by_source_period[source, period].append(spend)
    for source, period, spend in conversion_payments(model):  # paid like orders (models/conversions.py)
        by_source_period[source, period].append(spend)
    model.facts.paid_by_source_period.update(by_source_period)  # sales' money-left rule counts them (models/sales.py)
    by_source: dict[str, list] = defaultdict(list)
    for (source, _), terms in by_source_period.items():
        by_source[source].extend(terms)
    model.BUDGET_INDEX = pyo.Set(dimen=2, ordered=True, initialize=[
        (f, t) for f, source in data.funding.items() for t in sorted(source.budgets) if (f, t) in by_source_period])

    unfunded = add_slack(model, "con_order_funded", model.ORDER_SLOTS)
    over_amount = add_slack(model, "con_source_amount", model.FUNDING_SOURCES)
    over_budget = add_slack(model, "con_period_budget", model.BUDGET_INDEX)

    def con_order_funded(m, supplier, mineral, period):
        """Every order is paid in full: sum over f of v[f,o,t] = the order's cost."""
        order = (supplier, mineral, period)
        paid = sum(by_order.get(order, ()))
        return paid + slack_of(unfunded, order) == m.OrderTotal[order]

    def con_source_amount(m, source):
        """A source pays at most its amount: sum over o,t of v[f,o,t] + its capex, contract and conversion
        payments <= amount[f]."""
        spent = by_source.get(source)
        if not spent:
            return pyo.Constraint.Skip
        amount = data.funding[source].amount / m.facts.money_unit
        return sum(spent) <= amount + slack_of(over_amount, source)

    def con_period_budget(m, source, period):
        """A source pays at most its budget in a period: sum over o of v[f,o,t] + its capex, contract and
        conversion payments in t <= Budgets[f,t]."""
        spent = sum(by_source_period[source, period])
        budget = data.funding[source].budgets[period] / m.facts.money_unit
        return spent <= budget + slack_of(over_budget, (source, period))

    model.con_order_funded = pyo.Constraint(model.ORDER_SLOTS, rule=con_order_funded)
    model.con_source_amount = pyo.Constraint(model.FUNDING_SOURCES, rule=con_source_amount)
    model.con_period_budget = pyo.Constraint(model.BUDGET_INDEX, rule=con_period_budget)
    model.facts.cost_terms["financing_cost"] = sum(
        data.funding[f].cost_rate * term for (f, _), terms in by_source_period.items() for term in terms
        if data.funding[f].cost_rate > 0)
