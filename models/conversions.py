"""Conversions: one form of a mineral upgraded into another (chromite ore to ferrochromium; issue 14, point 2).

Symbols
    CONVERSION_SLOTS        (conversion, period) t with t + lead_time <= T
    Convert[c,t]            q: input of from_mineral converted, started in t     unit  0..max_per_period
    CONVERSION_FUNDING      (source, conversion, period) where the source may pay (PlanningData.conversion_sources)
    ConversionSpend[f,c,t]  v: money source f pays for the conversion            money_unit >= 0
    yield[c], unit_cost[c], lead_time[c], max_per_period[c]: the Conversions sheet
    kept[k,c,t]             share of the output arriving in t that scenario k delivers: 1 at home, else
                            1 - the loss of the toll processor's origin countries (PlanningData.conversion_kept)

A conversion is decided before the scenario is known: its input leaves the from_mineral's stock at the
start of its period in every scenario (so it must be there in every scenario), before demand is served,
and its output joins the to_mineral's arrivals lead_time later. ``conversion_flow`` is the term the
stock balance of every scenario (models/inventory.py) adds:

    - sum over c from m of q[c,t] + sum over c to m of kept[k,c,t] * yield[c] * q[c,t-lead_time[c]]

Conversions are paid like orders, within the sources' amounts and budgets (models/funding.py takes
``conversion_payments``), and cost conversion_cost = sum over c,t of unit_cost[c] * q[c,t].
"""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

import pyomo.core as pyo

from optimizer.contract.data import Conversion, PlanningData, Scenario

ConversionSlot = tuple[str, int]  # (conversion, period it starts in)


def conversion_slots(data: PlanningData) -> list[ConversionSlot]:
    """Every (conversion, period) a conversion can start in: its output arrives within the horizon."""
    return [(name, t) for name, c in data.conversions.items() for t in c.start_periods(data.settings.num_periods)]


def add_conversions(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Convert and ConversionSpend, each conversion paid in full, and conversion_cost (nothing without
    the Conversions sheet).

    q[c,t] is at most the most of its from_mineral any plan has at hand in t (stock_bounds), so an
    unlimited conversion still gets a finite bound. With recourse (``model.facts.node_conversions``) q[c,t]
    is the scenario-tree node's column, bounded by the least of its members' bounds. In a frozen period
    (--freeze) q[c,t] is fixed at the previous plan's (data.frozen_conversions; 0 where it started none).
    """
    if not data.conversions:
        return
    input_bound = stock_bounds(data, most_arriving(model, data))[1]
    slots = conversion_slots(data)
    model.CONVERSION_SLOTS = pyo.Set(dimen=2, ordered=True, initialize=slots)

    def bounds(m, name, period):
        conversion = data.conversions[name]
        upper = input_bound[conversion.from_mineral, period]
        return (0, upper if conversion.max_per_period is None else min(upper, conversion.max_per_period))

    nodes = model.facts.node_conversions
    if nodes is None:
        model.Convert = pyo.Var(model.CONVERSION_SLOTS, within=pyo.NonNegativeReals, bounds=bounds)
    else:  # the scenario's conversions are its scenario-tree nodes' (models/recourse.py), shared with others
        model.Convert = pyo.Reference({slot: nodes[slot] for slot in slots})
        for slot in slots:  # a node's bound is the least of its members' (each copy's own stock bounds)
            upper = bounds(model, *slot)[1]
            nodes[slot].setub(upper if nodes[slot].ub is None else min(nodes[slot].ub, upper))
    for slot in slots:  # --freeze: a frozen period's conversions are the previous plan's, no other starts
        if slot[1] <= data.frozen_periods:
            model.Convert[slot].fix(data.frozen_conversions.get(slot, 0.0))
    funding = [(source, name, t) for name, t in slots
               for source in data.conversion_sources(data.conversions[name], t)]
    model.CONVERSION_FUNDING = pyo.Set(dimen=3, ordered=True, initialize=funding)
    model.ConversionSpend = pyo.Var(model.CONVERSION_FUNDING, within=pyo.NonNegativeReals)
    paid_by: dict[ConversionSlot, list] = defaultdict(list)
    for index in funding:
        paid_by[index[1:]].append(index)
    unit = model.facts.money_unit

    def con_conversion_funded(m, name, period):
        """Every conversion is paid in full: sum over f of v[f,c,t] = unit_cost[c] * q[c,t]
        (no source may pay: q[c,t] = 0)."""
        paid = sum(m.ConversionSpend[index] for index in paid_by.get((name, period), ()))
        return paid == data.conversions[name].unit_cost / unit * m.Convert[name, period]

    model.con_conversion_funded = pyo.Constraint(model.CONVERSION_SLOTS, rule=con_conversion_funded)
    model.facts.cost_terms["conversion_cost"] = sum(
        data.conversions[name].unit_cost / unit * model.Convert[name, t] for name, t in slots
        if data.conversions[name].unit_cost > 0)


def conversion_payments(model: pyo.ConcreteModel) -> list[tuple[str, int, object]]:
    """(source, period, money paid for a conversion started then) for models/funding.py's amounts,
    budgets and financing cost; none without conversions."""
    if model.component("ConversionSpend") is None:
        return []
    return [(source, period, model.ConversionSpend[source, name, period])
            for source, name, period in model.CONVERSION_FUNDING]


def conversion_flow(data: PlanningData, scenario: Scenario, mineral: str, period: int, converted: Mapping) -> object:
    """What conversions add to ``mineral``'s stock in ``period`` of ``scenario`` (see the module docstring):
    output arriving and kept minus input taken. ``converted`` maps (conversion, period) to q: the model's
    Convert or a plan's values."""
    flow = 0.0
    for direction, quantity in _flow_terms(data, scenario, mineral, period, converted):
        flow = flow + quantity if direction == "converted_in" else flow - quantity
    return flow


def converted_in_and_out(data: PlanningData, scenario: Scenario, mineral: str, period: int,
                         converted: Mapping) -> dict[str, float]:
    """The Stock sheet's converted_in (output kept, arriving in ``period``) and converted_out (input
    taken then) of ``mineral`` in ``scenario``; no columns without conversions."""
    if not data.conversions:
        return {}
    flows = {"converted_in": 0.0, "converted_out": 0.0}
    for direction, quantity in _flow_terms(data, scenario, mineral, period, converted):
        flows[direction] += quantity
    return flows


def _flow_terms(data: PlanningData, scenario: Scenario, mineral: str, period: int, converted: Mapping):
    """("converted_out", q[c,t]) of each conversion out of ``mineral`` and ("converted_in",
    kept[k,c,t] * yield[c] * q[c,t-lead_time]) of each conversion into it."""
    for name, conversion in data.conversions.items():
        if conversion.from_mineral == mineral and (name, period) in converted:
            yield "converted_out", converted[name, period]
        start = period - conversion.lead_time
        if conversion.to_mineral == mineral and (name, start) in converted:
            kept = data.conversion_kept(scenario, conversion, period)
            yield "converted_in", kept * conversion.yield_ * converted[name, start]


def conversion_variables(model: pyo.ConcreteModel) -> list:
    """Every Convert and ConversionSpend (none without conversions): a start that converts nothing sets them to 0."""
    return [var for name in ("Convert", "ConversionSpend") if model.component(name) is not None
            for var in model.component(name).values()]


def planned_conversions(frame) -> dict[ConversionSlot, float]:
    """(conversion, period) -> input of a plan's Conversions table (None: no conversions)."""
    if frame is None:
        return {}
    return {(r.conversion, int(r.period)): float(r.input) for r in frame.itertuples()}


def solved_conversions(model: pyo.ConcreteModel) -> dict[ConversionSlot, float]:
    """q[c,t] of a solved model, round-off below zero removed (empty without conversions)."""
    if model.component("Convert") is None:
        return {}
    return {slot: max(0.0, pyo.value(model.Convert[slot])) for slot in model.CONVERSION_SLOTS}


def most_arriving(model: pyo.ConcreteModel, data: PlanningData) -> dict[tuple[str, int], float]:
    """(mineral, period) -> the most orders and contract deliveries (their slots' upper bounds,
    ``model.facts.order_upper``, ``delivery_upper``) and the pipeline can deliver then."""
    arriving: dict[tuple[str, int], float] = defaultdict(float)
    for (supplier, mineral, period), upper in model.facts.order_upper.items():
        arriving[mineral, period + data.offers[supplier, mineral].lead_time] += upper
    for (name, period), upper in model.facts.delivery_upper.items():
        contract = data.contracts[name]
        arriving[contract.mineral, period + contract.lead_time] += upper
    for (supplier, mineral, period), quantity in data.pipeline.items():
        arriving[mineral, period] += quantity
    return arriving


def stock_bounds(data: PlanningData, arriving: Mapping[tuple[str, int], float]
                 ) -> tuple[dict[tuple[str, int], float], dict[tuple[str, int], float]]:
    """(cap, input_bound): cap[m,t] bounds the stock at the end of t, input_bound[m,t] what is at hand at
    the start of t before demand, in any plan and scenario.

        input_bound[m,t] = cap[m,t-1] + arriving[m,t] + sum over c to m of yield[c] * q_max[c,t-lead_time]
        cap[m,t]         = min(max_stock, input_bound[m,t]),   cap[m,0] = initial_stock
        q_max[c,t]       = min(max_per_period[c], input_bound[from_mineral,t])

    with ``arriving[m,t]`` the most orders and pipeline can deliver (no loss adds to an arrival, and
    a conversion takes from its input at most what is at hand). Minerals are taken from forms to upgrades.
    """
    cap: dict[tuple[str, int], float] = {}
    at_hand: dict[tuple[str, int], float] = {}
    into = defaultdict(list)
    for c in data.conversions.values():
        into[c.to_mineral].append(c)
    for mineral in data.conversion_order():
        spec = data.minerals[mineral]
        previous = spec.initial_stock
        for period in data.periods:
            total = previous + arriving.get((mineral, period), 0.0) + sum(
                c.yield_ * _most_converted(c, at_hand, period - c.lead_time) for c in into[mineral])
            at_hand[mineral, period] = total
            previous = cap[mineral, period] = total if spec.max_stock is None else min(total, spec.max_stock)
    return cap, at_hand


def _most_converted(conversion: Conversion, at_hand: dict, period: int) -> float:
    if period < 1:
        return 0.0
    most = at_hand[conversion.from_mineral, period]
    return most if conversion.max_per_period is None else min(most, conversion.max_per_period)


def conversion_use(data: PlanningData, need_from: Mapping[tuple[str, int], float]) -> dict[tuple[str, int], float]:
    """(mineral, t) -> the most of the mineral its conversions can use from period t on: for each
    conversion c out of it, the to_mineral's need from t + lead_time on (``need_from``: demand and
    target, plus its own conversions' use) / (yield[c] x the smallest share of the output any scenario
    delivers above 0), within max_per_period in each period from t on. Taken from upgrades back to
    forms, so a chain of conversions adds up."""
    use: dict[tuple[str, int], float] = defaultdict(float)
    T = data.settings.num_periods
    for mineral in reversed(data.conversion_order()):
        for conversion in (c for c in data.conversions.values() if c.from_mineral == mineral):
            kept = _smallest_kept(data, conversion)
            for t in data.periods:
                arrival = t + conversion.lead_time
                if arrival > T:
                    continue
                target = conversion.to_mineral
                wanted = (need_from.get((target, arrival), 0.0) + use.get((target, arrival), 0.0)) / (
                    conversion.yield_ * kept)
                if conversion.max_per_period is not None:
                    wanted = min(wanted, conversion.max_per_period * (T - conversion.lead_time - t + 1))
                use[mineral, t] += wanted
    return dict(use)


def _smallest_kept(data: PlanningData, conversion: Conversion) -> float:
    """The smallest share above 0 of the conversion's output any scenario delivers in any period."""
    return min((kept for k in data.all_scenarios for t in data.periods
                if (kept := data.conversion_kept(k, conversion, t)) > 0), default=1.0)


def most_converted_out(data: PlanningData, mineral: str) -> float | None:
    """The most of ``mineral`` conversions can take in one period: the sum of their max_per_period
    (None: some conversion out of it is unlimited); 0 without one."""
    limits = [c.max_per_period for c in data.conversions.values() if c.from_mineral == mineral]
    return None if None in limits else float(sum(limits))


def restate_conversion_capacity(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """The sensitivity LP (models/sensitivity.py): q[c,t]'s derived bound (what is at hand, implied by
    the stock rows) dropped, and max_per_period stated as a row whose dual is one more unit's value:

        con_conversion_capacity[c,t]:  q[c,t] <= max_per_period[c]
    """
    if model.component("Convert") is None:
        return
    limited = [slot for slot in model.CONVERSION_SLOTS if data.conversions[slot[0]].max_per_period is not None]
    for slot in model.CONVERSION_SLOTS:
        model.Convert[slot].setub(None)
    model.CONVERSION_CAPACITY_SLOTS = pyo.Set(dimen=2, initialize=limited, ordered=True)

    def con_conversion_capacity(m, name, period):
        """The conversion's capacity: q[c,t] <= max_per_period[c]."""
        return m.Convert[name, period] <= data.conversions[name].max_per_period

    model.con_conversion_capacity = pyo.Constraint(model.CONVERSION_CAPACITY_SLOTS, rule=con_conversion_capacity)


def conversion_capacity_rows(model: pyo.ConcreteModel) -> list:
    """((conversion, period), row) of every con_conversion_capacity of the sensitivity LP."""
    if model.component("con_conversion_capacity") is None:
        return []
    return [(slot, model.con_conversion_capacity[slot]) for slot in model.CONVERSION_CAPACITY_SLOTS]
