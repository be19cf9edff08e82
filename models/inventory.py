"""Inventory: stock, unmet demand and shortfall below target, per scenario (model.md 5-6).

Symbols
    SCENARIOS          k: base and every Scenarios name
    STOCK_INDEX        (scenario, mineral, period), one scenario per class of equal losses (scenario_classes)
    Stock[k,m,t]       I: stock at the end of period t                     unit    0..max_stock
    Unmet[k,m,t]       u: demand not served                                 unit    0..demand
    Shortfall[k,m,t]   e: stock below min_stock                             unit    >= 0
    Release[k,m,t]     w: 1 when demand may go unmet (models/release.py)    binary
    probability[k,m]   pi: Scenarios.probability (base = 1 - the others), summed over a class
    loss[k,c,t]        Scenarios.supply_loss of country c in period t (0 outside windows and in base)
    demand[k,m,t]      ScenarioDemand.quantity of scenario k, else Demand.quantity (PlanningData.demand_of)
    penalty[k,m,t]     ScenarioDemand.shortfall_penalty, else Minerals.shortfall_penalty
    arrivals: orders placed lead_time earlier plus Pipeline, from every supplier

Unmet and Shortfall exist only where demand or a target is positive. Under
Settings.release_rule serve_first, models/release.py adds constraint 7 (stock is
drawn before demand goes unmet).
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.core as pyo

from models.contracts import delivery_arrivals
from models.decay import stock_balance, stock_upper
from models.conversions import conversion_flow
from models.elastic import add_slack, slack_of
from models.release import add_release_rule, serves_first
from models.sales import less_sold, sold_terms
from optimizer.contract.data import PlanningData


def add_inventory(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add stock, unmet demand and shortfall per scenario class, with stock balance, target and storage."""
    periods = list(data.periods)
    arrivals = _arrival_terms(model, data)
    model.SCENARIOS = pyo.Set(initialize=[k.name for k in data.all_scenarios], ordered=True)
    # one scenario per class of equal losses: the representatives of model.facts.probability
    model.STOCK_INDEX = pyo.Set(dimen=3, ordered=True, initialize=[
        (rep, m, t) for rep, m in model.facts.probability for t in periods])
    model.UNMET_INDEX = pyo.Set(dimen=3, ordered=True, initialize=[
        i for i in model.STOCK_INDEX if data.demand_of(*i) > 0])
    model.SHORTFALL_INDEX = pyo.Set(dimen=3, ordered=True, initialize=[
        i for i in model.STOCK_INDEX if data.targets.get(i[1:], 0.0) > 0])

    def stock_bounds(m, scenario, mineral, period):
        # The elastic model states storage as con_max_stock, with a slack.
        return (0, stock_upper(data, mineral, None if model.facts.elastic else data.minerals[mineral].max_stock))

    model.Stock = pyo.Var(model.STOCK_INDEX, within=pyo.NonNegativeReals, bounds=stock_bounds)
    model.Unmet = pyo.Var(model.UNMET_INDEX, within=pyo.NonNegativeReals,
                          bounds=lambda m, k, mineral, t: (0, data.demand_of(k, mineral, t)))
    # e <= min_stock loses nothing (I >= 0) and keeps e meaningful where pi[k] = 0.
    model.Shortfall = pyo.Var(model.SHORTFALL_INDEX, within=pyo.NonNegativeReals,
                              bounds=lambda m, k, mineral, t: (0, data.targets[mineral, t]))

    _add_stock_balance(model, data, arrivals)
    _add_targets(model, data)
    if serves_first(model, data):
        add_release_rule(model, data)
    if model.facts.elastic:
        _add_elastic_storage(model, data)
    _add_inventory_costs(model, data)


def scenario_classes(data: PlanningData, countries: dict[str, set[str]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per mineral, scenarios grouped by the losses they inflict on it: {mineral: {representative: {k: pi[k]}}}.

    Two scenarios that lose the same share of the same arrivals of a mineral
    and give it the same ScenarioDemand rows (quantity and shortfall_penalty)
    have the same stock balance and costs, so they share one set of stock variables
    weighted by their summed probability: an exact reformulation (the problem
    separates by scenario once orders are fixed). A scenario that disrupts
    no country delivering the mineral (``countries``, models/facts.py delivering_countries)
    joins ``base``.
    """
    emergency: dict[tuple[str, str], list] = defaultdict(list)  # (scenario, mineral) -> its ScenarioDemand rows
    for (scenario, mineral, period), quantity in sorted(data.scenario_demand.items()):
        emergency[scenario, mineral].append(
            (period, quantity, data.scenario_penalty.get((scenario, mineral, period))))
    classes: dict[str, dict[str, dict[str, float]]] = {}
    for mineral in data.minerals:
        groups: dict[tuple, dict[str, float]] = {}
        for scenario in data.all_scenarios:
            signature = tuple(
                (t, country, loss) for t in data.periods for country in sorted(countries.get(mineral, ()))
                if (loss := scenario.loss(country, t)) > 0) + tuple(emergency.get((scenario.name, mineral), ()))
            groups.setdefault(signature, {})[scenario.name] = scenario.probability
        classes[mineral] = {next(iter(members)): members for members in groups.values()}
    return classes


def _arrival_terms(model, data: PlanningData) -> dict[tuple[str, int], list[tuple[str, object]]]:
    """(mineral, arrival period) -> [(supplier, quantity arriving before losses)]: orders, contract deliveries
    and pipeline."""
    arrivals: dict[tuple[str, int], list[tuple[str, object]]] = defaultdict(list)
    for supplier, mineral, period in model.ORDER_SLOTS:
        lead_time = data.offers[supplier, mineral].lead_time
        arrivals[mineral, period + lead_time].append((supplier, model.Order[supplier, mineral, period]))
    for supplier, mineral, arrival, quantity in delivery_arrivals(model, data):
        arrivals[mineral, arrival].append((supplier, quantity))
    for (supplier, mineral, period), quantity in data.pipeline.items():
        arrivals[mineral, period].append((supplier, quantity))
    return arrivals


def _add_stock_balance(model, data: PlanningData, arrivals) -> None:
    scenario_by_name = {k.name: k for k in data.all_scenarios}
    sold = sold_terms(model)  # (mineral, period) -> Sold variables (models/sales.py)

    def con_stock_balance(m, scenario, mineral, period):
        """Stock carries over, plus what arrives and is not lost, minus demand served.

        I[k,m,t] = kept[m] * (I[k,m,t-1] + sum over s of (1 - loss[k,s,m,t]) * (x[(s,m),t-L] + d[c,t-L(c)] + a[m,s,t])
                   - sum over c from m of q[c,t] + sum over c to m of kept[k,c,t] * yield[c] * q[c,t-L[c]]
                   - demand[k,m,t] + u[k,m,t] - sold[m,t]),   with I[k,m,0] = initial_stock
        (d[c,t]: deliveries of the supplier's contracts of m, models/contracts.py)
        kept[m] = 1 - loss_rate[m] (models/decay.py; 1 without decay, and then no coefficient)
        sold[m,t] = the sales of m in t, the same in every scenario (models/sales.py; none without Sales)
        q[c,t] = conversions (models/conversions.py; none without Conversions)
        loss[k,s,m,t] = sum over origin countries c of share(s,m,c) * loss[k,c,t] (Origins; without
        them the supplier's own country: loss[k,c(s),t])
        """
        previous = (data.minerals[mineral].initial_stock if period == 1
                    else m.Stock[scenario, mineral, period - 1])
        losses = scenario_by_name[scenario]
        arrived = sum((1.0 - data.arrival_loss(losses, supplier, mineral, period)) * quantity
                      for supplier, quantity in arrivals.get((mineral, period), ()))
        demand = data.demand_of(scenario, mineral, period)
        unmet = m.Unmet[scenario, mineral, period] if demand > 0 else 0.0
        if data.conversions:  # - input taken + output kept (models/conversions.py)
            arrived = arrived + conversion_flow(data, losses, mineral, period, m.Convert)
        held = less_sold(previous + arrived - demand + unmet, sold.get((mineral, period)))
        return stock_balance(data, mineral, m.Stock[scenario, mineral, period], held)

    model.con_stock_balance = pyo.Constraint(model.STOCK_INDEX, rule=con_stock_balance)


def _add_targets(model, data: PlanningData) -> None:
    def con_target(m, scenario, mineral, period):
        """Stock below target is a shortfall: e[k,m,t] >= min_stock[m,t] - I[k,m,t]."""
        return (m.Shortfall[scenario, mineral, period]
                >= data.targets[mineral, period] - m.Stock[scenario, mineral, period])

    model.con_target = pyo.Constraint(model.SHORTFALL_INDEX, rule=con_target)


def _add_elastic_storage(model, data: PlanningData) -> None:
    limited = [i for i in model.STOCK_INDEX if data.minerals[i[1]].max_stock is not None]
    model.MAX_STOCK_INDEX = pyo.Set(dimen=3, ordered=True, initialize=limited)
    slack = add_slack(model, "con_max_stock", model.MAX_STOCK_INDEX)

    def con_max_stock(m, scenario, mineral, period):
        """Storage capacity: I[k,m,t] <= max_stock (+ slack in the elastic model)."""
        index = (scenario, mineral, period)
        return m.Stock[index] <= data.minerals[mineral].max_stock + slack_of(slack, index)

    model.con_max_stock = pyo.Constraint(model.MAX_STOCK_INDEX, rule=con_max_stock)


def _add_inventory_costs(model, data: PlanningData) -> None:
    """Expected holding and penalty costs over the scenarios (pi[k] weights).

    holding_cost = sum over k of pi[k] * sum over m,t of holding_cost[m] * I[k,m,t]
    penalty_cost = sum over k of pi[k] * sum over m,t of (penalty[k,m,t] * u[k,m,t]
                                                          + target_penalty[m] * e[k,m,t])
    """
    probability = model.facts.probability
    unit = model.facts.money_unit
    model.facts.cost_terms["holding_cost"] = sum(
        probability[k, m] * data.minerals[m].holding_cost / unit * model.Stock[k, m, t]
        for k, m, t in model.STOCK_INDEX
        if probability[k, m] > 0 and data.minerals[m].holding_cost > 0)
    model.facts.cost_terms["penalty_cost"] = sum(
        probability[k, m] * data.shortfall_penalty_of(k, m, t) / unit * model.Unmet[k, m, t]
        for k, m, t in model.UNMET_INDEX if probability[k, m] > 0
    ) + sum(
        probability[k, m] * data.minerals[m].target_penalty / unit * model.Shortfall[k, m, t]
        for k, m, t in model.SHORTFALL_INDEX if probability[k, m] > 0)
