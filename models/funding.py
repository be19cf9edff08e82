"""Funding: which source pays for each order, within amounts and budgets (model.md 7).

Symbols
    FUNDING_SLOTS      (source, supplier, mineral, period) where the source may pay the order
    Spend[f,o,t]       v: money source f pays for order (o,t)              money_unit >= 0
    amount[f]          Funding.amount: total over the horizon
    budget[f,t]        Budgets.amount: per-period cap where given
    cost_rate[f]       Funding.cost_rate: financing cost per currency unit drawn

Spend exists only where the source may pay (period in its window, country not
excluded, mineral allowed), so the eligibility rules need no constraint.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

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
    by_order: dict[tuple, list] = defaultdict(list)
    by_source: dict[str, list] = defaultdict(list)
    by_source_period: dict[tuple[str, int], list] = defaultdict(list)
    for index in funding_slots:
        by_order[index[1:]].append(index)
        by_source[index[0]].append(index)
        by_source_period[index[0], index[3]].append(index)

    conversions = conversion_payments(model)  # (source, period, money): paid like orders
    paid_otherwise: dict[str, list] = defaultdict(list)
    paid_otherwise_in: dict[tuple[str, int], list] = defaultdict(list)
    for source, period, spend in conversions:
        paid_otherwise[source].append(spend)
        paid_otherwise_in[source, period].append(spend)

    model.FUNDING_SLOTS = pyo.Set(dimen=4, initialize=funding_slots, ordered=True)
    model.FUNDING_SOURCES = pyo.Set(initialize=list(data.funding), ordered=True)
    model.BUDGET_INDEX = pyo.Set(dimen=2, ordered=True, initialize=[
        (f, t) for f, source in data.funding.items() for t in sorted(source.budgets)
        if (f, t) in by_source_period or (f, t) in paid_otherwise_in])
    model.Spend = pyo.Var(model.FUNDING_SLOTS, within=pyo.NonNegativeReals)

    unfunded = add_slack(model, "con_order_funded", model.ORDER_SLOTS)
    over_amount = add_slack(model, "con_source_amount", model.FUNDING_SOURCES)
    over_budget = add_slack(model, "con_period_budget", model.BUDGET_INDEX)

    def con_order_funded(m, supplier, mineral, period):
        """Every order is paid in full: sum over f of v[f,o,t] = the order's cost."""
        order = (supplier, mineral, period)
        paid = sum(m.Spend[index] for index in by_order.get(order, ()))
        return paid + slack_of(unfunded, order) == m.OrderTotal[order]

    def con_source_amount(m, source):
        """A source pays at most its amount: sum over o,t of v[f,o,t] (+ its conversions') <= amount[f]."""
        spent = by_source.get(source)
        if not spent and not paid_otherwise.get(source):
            return pyo.Constraint.Skip
        amount = data.funding[source].amount / m.facts.money_unit
        return (sum(m.Spend[index] for index in spent or ()) + sum(paid_otherwise.get(source, ()))
                <= amount + slack_of(over_amount, source))

    def con_period_budget(m, source, period):
        """A source pays at most its budget in a period: sum over o of v[f,o,t] (+ its conversions') <= Budgets[f,t]."""
        spent = sum(m.Spend[index] for index in by_source_period.get((source, period), ()))
        spent += sum(paid_otherwise_in.get((source, period), ()))
        budget = data.funding[source].budgets[period] / m.facts.money_unit
        return spent <= budget + slack_of(over_budget, (source, period))

    model.con_order_funded = pyo.Constraint(model.ORDER_SLOTS, rule=con_order_funded)
    model.con_source_amount = pyo.Constraint(model.FUNDING_SOURCES, rule=con_source_amount)
    model.con_period_budget = pyo.Constraint(model.BUDGET_INDEX, rule=con_period_budget)
    model.facts.cost_terms["financing_cost"] = sum(
        data.funding[f].cost_rate * model.Spend[f, s, m, t] for f, s, m, t in funding_slots
        if data.funding[f].cost_rate > 0) + sum(
        data.funding[f].cost_rate * spend for f, _, spend in conversions if data.funding[f].cost_rate > 0)
