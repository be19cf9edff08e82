"""Starting plans for the solver: a known feasible point, so a time limit always leaves a plan.

``commitments_only_start`` is the plan that orders nothing but the
commitments (model.md: without commitments it always meets every
constraint). Funding is assigned greedily and stock simulated per scenario;
when that simple plan breaks a limit, no start is given and the solver
searches on its own.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from optimizer.data import PlanningData

Start = ComponentMap  # VarData -> value


def commitments_only_start(model: pyo.ConcreteModel, data: PlanningData) -> Start | None:
    start = ComponentMap()
    for slot in model.ORDER_SLOTS:
        quantity = data.commitments.get(slot, 0.0)
        start[model.Order[slot]] = quantity
        start[model.IsOrdered[slot]] = 1.0 if slot in data.commitments else 0.0
        _start_segment(model, slot, quantity, start)
    used = {s for s, _, _ in data.commitments}
    for supplier in model.SUPPLIERS_USED:
        start[model.UsesSupplier[supplier]] = 1.0 if supplier in used else 0.0
    if not _start_funding(model, data, start):
        return None
    if not _start_stock(model, data, start):
        return None
    return start


def _start_segment(model, slot, quantity: float, start: Start) -> None:
    segments = model.price_segments[slot]
    if len(segments) == 1:
        return
    placed = slot in model.TIERED_SLOTS and quantity > 0
    chosen = max((j for j, s in enumerate(segments) if s.lower <= quantity), default=0)
    for j, segment in enumerate(segments):
        inside = placed and j == chosen
        start[model.InTier[slot + (j,)]] = 1.0 if inside else 0.0
        start[model.TierQuantity[slot + (j,)]] = quantity if inside else 0.0


def _start_funding(model, data: PlanningData, start: Start) -> bool:
    """Pay each commitment from its eligible sources in order, within amounts and budgets."""
    unit = model.money_unit
    left = {f: source.amount / unit for f, source in data.funding.items()}
    left_in_period = defaultdict(lambda: float("inf"))
    for f, source in data.funding.items():
        for period, budget in source.budgets.items():
            left_in_period[f, period] = budget / unit
    sources_of = defaultdict(list)
    for index in model.FUNDING_SLOTS:
        sources_of[index[1:]].append(index)
        start[model.Spend[index]] = 0.0
    for slot in data.commitments:
        offer = data.offers[slot[:2]]
        discount = offer.discount_for(data.commitments[slot])
        due = (offer.price(slot[2]) * (1 - discount) * data.commitments[slot] + offer.order_cost) / unit
        for index in sources_of.get(slot, ()):
            f, period = index[0], index[3]
            paid = min(due, left[f], left_in_period[f, period])
            if paid <= 0:
                continue
            start[model.Spend[index]] = paid
            left[f] -= paid
            left_in_period[f, period] -= paid
            due -= paid
        if due > 1e-9:
            return False
    return True


def _start_stock(model, data: PlanningData, start: Start) -> bool:
    """Stock, unmet demand and shortfall per scenario when only commitments and pipeline arrive."""
    arriving = defaultdict(lambda: defaultdict(float))
    for (supplier, mineral, period), quantity in data.commitments.items():
        arriving[mineral, period + data.offers[supplier, mineral].lead_time][data.country(supplier)] += quantity
    for (supplier, mineral, period), quantity in data.pipeline.items():
        arriving[mineral, period][data.country(supplier)] += quantity
    for scenario in data.all_scenarios:
        for mineral, spec in data.minerals.items():
            if model.stock_scenario[scenario.name, mineral] != scenario.name:
                continue  # shares the stock variables of an equal scenario
            stock = spec.initial_stock
            for period in data.periods:
                arrivals = sum((1 - scenario.loss(country, period)) * q
                               for country, q in arriving.get((mineral, period), {}).items())
                available = stock + arrivals - data.demand.get((mineral, period), 0.0)
                stock = max(0.0, available)
                if spec.max_stock is not None and stock > spec.max_stock:
                    return False
                index = (scenario.name, mineral, period)
                start[model.Stock[index]] = stock
                if index in model.Unmet:
                    start[model.Unmet[index]] = max(0.0, -available)
                if index in model.Shortfall:
                    start[model.Shortfall[index]] = max(0.0, data.targets[mineral, period] - stock)
    return True
