"""Sales: stock sold from the stockpile, and the revenue that funds later purchases (issue 14, point 1).

Symbols
    SALE_SLOTS         (sale, mineral, period): a Sales row and a period in its window
    Sold[i,m,t]        q: quantity sold by sale i in period t                 unit    0..max_per_period
    FundsLeft[f,t]     L: money a source receiving revenue has left after period t    money_unit >= 0
    price[i]           Sales.unit_price: revenue per unit sold
    source[i]          Sales.source: the funding source that receives the revenue
    sold[m,t]          sum over sales i of m of Sold[i,m,t]

A sale is decided before the scenario is known, so one q serves every scenario:
the stock balance of every scenario subtracts it (models/inventory.py,
``less_sold``), and a scenario's stock never goes below 0, so a sale never
exceeds what any scenario holds after its demand. Under release_rule serve_first
demand is served before anything is sold (``con_release_sale``).

    sales_revenue = - sum over i,t of price[i] * Sold[i,m,t]        (a negative cost term)

Revenue received in period t adds to the source's amount from period t + 1 on
(``con_source_funds``, replacing con_source_amount for a source that receives any), stated as the
money left FundsLeft[f,t] >= 0 carried from period to period (at most what is left: money may lie unused):

    sum over t' <= t of v[f,o,t'] <= amount[f] + sum over t' < t of revenue[f,t']
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pyomo.core as pyo

from models.conversions import conversion_payments
from models.elastic import add_slack, slack_of
from optimizer.contract.data import PlanningData
from optimizer.contract.results import SALES_COLUMNS


def add_sales(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Sold on the sale slots, within each sale's max_per_period, and the sales_revenue cost term."""
    sales = {sale.number: sale for sale in data.sales}
    model.SALE_SLOTS = pyo.Set(dimen=3, ordered=True, initialize=data.sale_slots())
    model.Sold = pyo.Var(model.SALE_SLOTS, within=pyo.NonNegativeReals,
                         bounds=lambda m, i, mineral, t: (0, sales[i].max_per_period))
    if data.sales:
        model.facts.cost_terms["sales_revenue"] = -sum(
            sales[i].unit_price / model.facts.money_unit * model.Sold[i, m, t] for i, m, t in model.SALE_SLOTS)


def sold_terms(model: pyo.ConcreteModel) -> dict[tuple[str, int], list]:
    """(mineral, period) -> the Sold variables of the sales of that mineral in that period."""
    grouped: dict[tuple[str, int], list] = defaultdict(list)
    for i, mineral, period in model.SALE_SLOTS:
        grouped[mineral, period].append(model.Sold[i, mineral, period])
    return grouped


def less_sold(held: object, sold: list | None) -> object:
    """held - sold[m,t]; ``held`` itself where nothing can be sold (the model without sales is unchanged)."""
    return held if not sold else held - sum(sold)


def add_sales_funding(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """FundsLeft and con_source_funds for every source that receives revenue, in place of its con_source_amount."""
    receiving = sorted({sale.source for sale in data.sales})
    if not receiving:
        return
    sales = {sale.number: sale for sale in data.sales}
    unit = model.facts.money_unit
    # (source, period) -> v, capex, contract bills and conversion payments (models/funding.py)
    spent = model.facts.paid_by_source_period
    received: dict[tuple[str, int], list] = defaultdict(list)  # (source, period) -> revenue
    for i, mineral, period in model.SALE_SLOTS:
        received[sales[i].source, period].append(sales[i].unit_price / unit * model.Sold[i, mineral, period])
    model.SOURCE_FUNDS_INDEX = pyo.Set(dimen=2, ordered=True, initialize=[
        (source, period) for source in receiving for period in data.periods])
    model.FundsLeft = pyo.Var(model.SOURCE_FUNDS_INDEX, within=pyo.NonNegativeReals)
    slack = add_slack(model, "con_source_funds", model.SOURCE_FUNDS_INDEX)

    def con_source_funds(m, source, period):
        """What a source has left is at most what it had, plus the revenue of the period before, less what it pays:
        L[f,t] <= L[f,t-1] + sum over sales i into f of price[i] * Sold[i,m,t-1] - sum over o of v[f,o,t]
        - its capex, contract bills and payments for conversions started in t (models/funding.py),
        L[f,0] = amount[f], L >= 0; so money spent up to any t is at most amount + revenue received before t.
        One row per period, each v and Sold in one row (cumulative sums would repeat them in every later row);
        an inequality, so the block start's share of a period's row is not an exact amount of spending."""
        before = data.funding[source].amount / unit if period == 1 else m.FundsLeft[source, period - 1]
        return (m.FundsLeft[source, period] <= before + sum(received.get((source, period - 1), ()))
                - sum(spent.get((source, period), ())) + slack_of(slack, (source, period)))

    model.con_source_funds = pyo.Constraint(model.SOURCE_FUNDS_INDEX, rule=con_source_funds)
    for source in receiving:
        if source in model.con_source_amount:
            model.con_source_amount[source].deactivate()
        if model.facts.elastic:
            model.facts.slack_terms["con_source_amount"][source].fix(0.0)


def add_release_before_sales(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Under serve_first, nothing is sold in a period where demand goes unmet (w = 1)."""
    sold = sold_terms(model)
    model.RELEASE_SALE_INDEX = pyo.Set(dimen=3, ordered=True, initialize=[
        index for index in model.RELEASE_INDEX if index[1:] in sold])

    def con_release_sale(m, scenario, mineral, period):
        """Demand is served before any stock is sold: sold[m,t] <= (sum of max_per_period) * (1 - w[k,m,t])."""
        index = (scenario, mineral, period)
        return sum(sold[mineral, period]) <= data.sale_cap(mineral, period) * (1 - m.Release[index])

    model.con_release_sale = pyo.Constraint(model.RELEASE_SALE_INDEX, rule=con_release_sale)


def solved_sales(model: pyo.ConcreteModel) -> dict[tuple[str, int], float]:
    """(mineral, period) -> quantity sold in the model's current values (0 where a Sold has no value)."""
    sold: dict[tuple[str, int], float] = defaultdict(float)
    for i, mineral, period in model.SALE_SLOTS:
        sold[mineral, period] += max(0.0, pyo.value(model.Sold[i, mineral, period], exception=False) or 0.0)
    return sold


def sales_made(model: pyo.ConcreteModel, data: PlanningData) -> pd.DataFrame:
    """The Sales result table: every sale slot with a quantity sold, its price, revenue and source."""
    sales = {sale.number: sale for sale in data.sales}
    rows = []
    for i, mineral, period in model.SALE_SLOTS:
        quantity = pyo.value(model.Sold[i, mineral, period], exception=False) or 0.0
        if quantity > 1e-9:
            sale = sales[i]
            rows.append({"sale": i, "mineral": mineral, "period": period, "quantity": quantity,
                         "unit_price": sale.unit_price, "revenue": quantity * sale.unit_price, "source": sale.source})
    return pd.DataFrame(rows, columns=SALES_COLUMNS)


def sold_in_table(sales: pd.DataFrame | None) -> dict[tuple[str, int], float]:
    """(mineral, period) -> quantity sold, from a plan's Sales table (empty without one)."""
    if sales is None or sales.empty:
        return {}
    return {(m, int(t)): float(q) for (m, t), q in sales.groupby(["mineral", "period"])["quantity"].sum().items()}


def start_funds_left(model: pyo.ConcreteModel, data: PlanningData, start) -> None:
    """FundsLeft of a starting plan that sells nothing: the amount less what the start's Spend pays up to t."""
    if model.component("FundsLeft") is None:
        return
    paid: dict[tuple[str, int], float] = defaultdict(float)
    for index in model.FUNDING_SLOTS:
        paid[index[0], index[3]] += start.get(model.Spend[index], 0.0)
    left: dict[str, float] = {}
    for source, period in model.SOURCE_FUNDS_INDEX:  # ordered by period within a source
        left[source] = left.get(source, data.funding[source].amount / model.facts.money_unit) - paid[source, period]
        start[model.FundsLeft[source, period]] = max(0.0, left[source])
