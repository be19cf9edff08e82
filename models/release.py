"""Release rule: stock is drawn to serve demand before any is held (model.md constraint 7).

Symbols
    RELEASE_INDEX      (scenario, mineral, period) of Unmet where holding could pay (release_needed)
    Release[k,m,t]     w: 1 when demand may go unmet in period t           binary
    cap[m,t]           a bound on I[k,m,t] that some optimal plan respects (stock_cap)

Under ``Settings.release_rule: serve_first`` (the default), in every scenario
``u[k,m,t] > 0`` only when ``I[k,m,t] = 0``:

    u[k,m,t] <= demand[k,m,t] * w[k,m,t]        (con_release_unmet; demand[k,m,t]: ScenarioDemand, else Demand)
    I[k,m,t] <= cap[m,t] * (1 - w[k,m,t])       (con_release_stock)

Given the orders, stock and unmet demand then follow by simulation
(``serve_first_stock``), exactly what ``optimize stress`` does:

    I[t] = kept x max(0, I[t-1] + arrivals[t] - demand[t]),  u[t] = max(0, demand[t] - I[t-1] - arrivals[t])
    (kept = 1 - loss_rate, models/decay.py)

``release_rule: optimal`` drops both rows: the plan may, seeing the whole
scenario, leave demand unmet early and hold stock for later demand or a target.
The elastic model (which limits conflict) never needs the rule: serve-first
stock is the smallest stock any policy can have in every period (it serves the
most demand by every period), so it breaks no storage limit another policy
keeps.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

import pyomo.core as pyo
from pyomo.common.collections import ComponentMap

from models.contracts import solved_deliveries
from models.decay import after_decay
from models.sales import add_release_before_sales, solved_sales
from models.conversions import conversion_flow, most_arriving, solved_conversions, stock_bounds
from optimizer.contract.data import SERVE_FIRST, PlanningData, Scenario, Slot

StockKey = tuple[str, str, int]  # (scenario whose stock variables these are, mineral, period)


def add_release_rule(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """The yes/no variable w and its two rows, where holding could pay (``release_needed``)."""
    model.RELEASE_INDEX = pyo.Set(dimen=3, ordered=True, initialize=release_needed(model, data))
    model.Release = pyo.Var(model.RELEASE_INDEX, within=pyo.Binary)
    cap = stock_cap(model, data)

    def con_release_unmet(m, scenario, mineral, period):
        """Demand goes unmet only where w = 1: u[k,m,t] <= demand[k,m,t] * w[k,m,t]."""
        return (m.Unmet[scenario, mineral, period]
                <= data.demand_of(scenario, mineral, period) * m.Release[scenario, mineral, period])

    def con_release_stock(m, scenario, mineral, period):
        """Where w = 1 no stock is left: I[k,m,t] <= cap[m,t] * (1 - w[k,m,t])."""
        bound = cap[mineral, period]
        return m.Stock[scenario, mineral, period] <= bound * (1 - m.Release[scenario, mineral, period])

    model.con_release_unmet = pyo.Constraint(model.RELEASE_INDEX, rule=con_release_unmet)
    model.con_release_stock = pyo.Constraint(model.RELEASE_INDEX, rule=con_release_stock)
    add_release_before_sales(model, data)


def serves_first(model: pyo.ConcreteModel, data: PlanningData) -> bool:
    """Whether the model states the release rule (serve_first, and not the elastic model)."""
    return data.settings.release_rule == SERVE_FIRST and not model.facts.elastic


def release_needed(model: pyo.ConcreteModel, data: PlanningData) -> list[StockKey]:
    """The (scenario, mineral, period) of Unmet where, without w, an optimal plan could hold stock while
    demand goes unmet: where holding costs nothing (pi[k] * holding_cost[m] = 0), where a sale of the
    mineral can be made in period t or later (stock held or kept from demand for a sale), or where a target
    lies in period t or later and target_penalty[m] >= holding_cost[m].

    Elsewhere no optimal plan holds stock while demand goes unmet. Suppose u[t] > 0 and I[t] > 0 in a
    scenario of probability pi > 0 with holding_cost h > 0. Let t' be the first period after t with
    I[t'] = 0 (if any) and eps = min(u[t], I[t..t'-1]) > 0. Serve eps more at t, hold eps less in
    t..t'-1 and serve eps less at t' (it served at least I[t'-1] >= eps there; without t', hold eps less
    to T). Balances, storage and w elsewhere still hold; the stock below target rises by at most eps in
    the periods from t on that have a target. The cost changes by at most
    pi * eps * (t' - t) * (target_penalty - h) with a target from t on, by -pi * h * eps * (t' - t)
    without one (without t': minus pi * shortfall_penalty * eps more). Both are < 0 when no target lies
    ahead or target_penalty < h: such a plan was not optimal. (The plan read back is the serve-first
    simulation of its orders anyway, ``apply_serve_first``, which settles ties.)
    """
    last_target = {}
    for (mineral, period), quantity in data.targets.items():
        if quantity > 0:
            last_target[mineral] = max(period, last_target.get(mineral, 0))

    last_sale = {}
    for sale in data.sales:
        last_sale[sale.mineral] = max(sale.last_period, last_sale.get(sale.mineral, 0))

    def could_pay(scenario: str, mineral: str, period: int) -> bool:
        spec = data.minerals[mineral]
        if model.facts.probability[scenario, mineral] * spec.holding_cost <= 0 or period <= last_sale.get(mineral, 0):
            return True
        return period <= last_target.get(mineral, 0) and spec.target_penalty >= spec.holding_cost
    return [index for index in model.UNMET_INDEX if could_pay(*index)]


def stock_cap(model: pyo.ConcreteModel, data: PlanningData) -> dict[tuple[str, int], float]:
    """cap[m,t]: max_stock when given, else everything that could have arrived by t.

    initial_stock + pipeline arriving by t + the order slots' and contract delivery slots' upper bounds
    (``model.facts.order_upper``, ``delivery_upper``) arriving by t + the most conversions can deliver by t
    (models/conversions.py stock_bounds): no plan holds more, since no loss adds to an arrival.
    """
    return stock_bounds(data, most_arriving(model, data))[0]


def arrivals_after_losses(data: PlanningData, orders: dict[Slot, float],
                          deliveries: dict[tuple[str, int], float] | None = None) -> Callable[[Scenario, str, int], float]:
    """(scenario, mineral, period) -> what arrives of ``orders``, contract ``deliveries`` and the pipeline, less
    the scenario's losses: sum over origin countries c of (1 - loss[k,c,t]) x the quantity from c arriving in t."""
    # (mineral, period) -> country -> before losses
    arriving = data.arriving_by_origin(data.arrivals_of(orders, deliveries))

    def arrived(scenario: Scenario, mineral: str, period: int) -> float:
        return sum((1 - scenario.loss(country, period)) * quantity
                   for country, quantity in arriving.get((mineral, period), {}).items())

    return arrived


def serve_first_stock(model: pyo.ConcreteModel, data: PlanningData, orders: dict[Slot, float],
                      deliveries: dict[tuple[str, int], float] | None = None,
                      sold: dict[tuple[str, int], float] | None = None,
                      converted: dict | None = None) -> dict[StockKey, tuple[float, float]]:
    """(stock, unmet demand) of every stock variable when ``orders``, contract ``deliveries`` and the pipeline
    arrive, demand is served whenever stock allows and ``sold`` ((mineral, period) -> quantity; default the
    model's own Sold values, models/sales.py) leaves what is left:
    I[t] = kept x max(0, max(0, available) - sold[t]), u[t] = max(0, -available)
    with available = I[t-1] + arrivals[t] + conversion_flow[t] - demand[t] and kept = 1 - loss_rate
    (models/decay.py); ``converted``: q[c,t] (models/conversions.py; none by default), whose input is
    taken at the start of the period, before demand is served."""
    converted = converted or {}
    arrived = arrivals_after_losses(data, orders, deliveries)
    sold = solved_sales(model) if sold is None else sold
    scenarios = {k.name: k for k in data.all_scenarios}
    result = {}
    stock = {}
    for scenario, mineral, period in model.STOCK_INDEX:  # ordered by period within (scenario, mineral)
        previous = stock.get((scenario, mineral), data.minerals[mineral].initial_stock)
        arrivals = arrived(scenarios[scenario], mineral, period)
        available = previous + arrivals - data.demand_of(scenario, mineral, period)
        if converted:
            available += conversion_flow(data, scenarios[scenario], mineral, period, converted)
        held = after_decay(data, mineral, max(0.0, max(0.0, available) - sold.get((mineral, period), 0.0)))
        stock[scenario, mineral] = held
        result[scenario, mineral, period] = (held, max(0.0, -available))
    return result


def stock_values(model: pyo.ConcreteModel, data: PlanningData,
                 simulated: dict[StockKey, tuple[float, float]]) -> ComponentMap:
    """Every inventory variable's value in a simulated plan: I, u, e = max(0, target - I) and w = [u > 0]."""
    values = ComponentMap()
    unmet_of, shortfall_of, release_of = model.Unmet, model.Shortfall, model.component("Release")
    for index, (stock, unmet) in simulated.items():
        values[model.Stock[index]] = stock
        if index in unmet_of:
            values[unmet_of[index]] = unmet
        if index in shortfall_of:
            values[shortfall_of[index]] = max(0.0, data.targets[index[1:]] - stock)
        if release_of is not None and index in release_of:
            values[release_of[index]] = 1.0 if unmet > 0 else 0.0
    return values


def solved_orders(model: pyo.ConcreteModel) -> dict[Slot, float]:
    """x[o,t] of a solved model, round-off below zero removed."""
    return {slot: max(0.0, pyo.value(model.Order[slot])) for slot in model.ORDER_SLOTS}


def apply_serve_first(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Set a solved serve-first model's stock, unmet demand, shortfall and w to the simulation of its orders.

    The solver meets u <= demand * w and I <= cap * (1 - w) only to its tolerances, and w exists only
    where holding could pay; the simulation meets the rule exactly and, given the orders, costs no
    more wherever the solver deviated (the exchange argument of ``release_needed``).
    """
    if not serves_first(model, data):
        return
    simulated = serve_first_stock(model, data, solved_orders(model), solved_deliveries(model),
                                  converted=solved_conversions(model))
    for var, value in stock_values(model, data, simulated).items():
        var.set_value(value, skip_validation=True)


def release_pattern(model: pyo.ConcreteModel, data: PlanningData, orders: dict[Slot, float],
                    deliveries: dict[tuple[str, int], float] | None = None,
                    sold: dict[tuple[str, int], float] | None = None,
                    converted: dict | None = None) -> dict[StockKey, float]:
    """w in the serve-first simulation of ``orders``, contract ``deliveries``, ``sold`` ((mineral, period) ->
    quantity; default the model's own Sold values) and conversions ``converted``: 1 where demand goes unmet
    (none without the rule)."""
    if model.component("Release") is None:
        return {}
    simulated = serve_first_stock(model, data, orders, deliveries, sold, converted)
    return {index: 1.0 if simulated[index][1] > 0 else 0.0 for index in model.RELEASE_INDEX}
