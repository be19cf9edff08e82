"""Ordering: what is bought, from whom, when, and at which price (model.md constraints 1-4).

Symbols
    ORDER_SLOTS        (supplier, mineral, period) where an order can be placed and paid
    TIER_SLOTS         (supplier, mineral, period, tier) price segments of offers with discounts
    (money enters divided by money_unit, see models/scaling.py)
    Order[o,t]         x: quantity ordered                                  unit        >= 0
    IsOrdered[o,t]     y: 1 when an order is placed                          binary
    UsesSupplier[s]    z: 1 when any order is placed with supplier s        binary
    TierQuantity[o,t,j] part of x bought in discount segment j               unit        >= 0
    InTier[o,t,j]      1 when the order falls in segment j                   binary
    price[o,t]         p: Prices override or Offers.unit_price               currency/unit
    min_order, max_per_period, order_cost, lead_time: from Offers; onboarding_cost from Suppliers

An order slot exists only where an order is allowed (first_period <= t <=
last_period, t + lead_time <= T, and with ``--freeze N`` after period N) and
some funding source could pay it, so no variable is created that must be
zero. Commitments always get their slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer.data import Offer, PlanningData, Slot


TIER_GAP = 1e-5


@dataclass(frozen=True)
class Segment:
    """A stretch of order quantity with one effective discount (all-units tiers)."""

    lower: float
    upper: float
    discount: float


def add_ordering(model: pyo.ConcreteModel, data: PlanningData) -> None:
    upper = order_upper_bounds(data)
    segments = {slot: slot_segments(data, slot, bound) for slot, bound in upper.items()}
    tiered = {slot: segs for slot, segs in segments.items() if len(segs) > 1}

    model.ORDER_SLOTS = pyo.Set(dimen=3, initialize=sorted(upper), ordered=True)
    model.TIER_SLOTS = pyo.Set(dimen=4, ordered=True, initialize=[
        slot + (j,) for slot, segs in tiered.items() for j in range(len(segs))])
    model.SUPPLIERS_USED = pyo.Set(initialize=sorted({s for s, _, _ in upper}))
    model.order_upper = upper
    model.price_segments = segments

    model.Order = pyo.Var(model.ORDER_SLOTS, within=pyo.NonNegativeReals, bounds=lambda m, *slot: (0, upper[slot]))
    model.IsOrdered = pyo.Var(model.ORDER_SLOTS, within=pyo.Binary)
    model.UsesSupplier = pyo.Var(model.SUPPLIERS_USED, within=pyo.Binary)
    model.TierQuantity = pyo.Var(model.TIER_SLOTS, within=pyo.NonNegativeReals,
                                 bounds=lambda m, s, mi, t, j: (0, segments[s, mi, t][j].upper))
    model.InTier = pyo.Var(model.TIER_SLOTS, within=pyo.Binary)

    _add_order_size(model, data, tiered)
    _add_discount_tiers(model, tiered)
    _add_supplier_use(model)
    _fix_commitments(model, data)
    _add_order_costs(model, data, tiered)


def order_upper_bounds(data: PlanningData) -> dict[Slot, float]:
    """The largest quantity each order slot can hold; slots that can hold nothing are left out.

    The bound is the smallest of three limits that any plan must respect, so it
    cuts off no feasible plan (it is the big-M of con_max_order):
      - max_per_period (the offer's capacity);
      - what the eligible funding can pay in that period:
        (sum over eligible f of min(amount, Budgets[f,t]) - order_cost) / (price x (1 - largest discount));
      - storage in the base scenario, where nothing is lost:
        max_stock + demand in the arrival period (stock after arrival is at most max_stock).
    """
    upper: dict[Slot, float] = {}
    for (supplier, mineral), offer in data.offers.items():
        max_stock = data.minerals[mineral].max_stock
        best_discount = max((d for _, d in offer.discounts), default=0.0)
        for period in data.order_periods(offer):  # none in frozen periods but the commitments
            slot = (supplier, mineral, period)
            funds = sum(
                min(source.amount, source.budgets.get(period, math.inf))
                for source in data.funding.values()
                if source.can_pay(data.country(supplier), mineral, period)
            )
            unit_cost = offer.price(period) * (1.0 - best_discount)
            bound = (funds - offer.order_cost) / unit_cost
            if offer.max_per_period is not None:
                bound = min(bound, offer.max_per_period)
            if max_stock is not None:
                bound = min(bound, max_stock + data.demand.get((mineral, period + offer.lead_time), 0.0))
            committed = data.commitments.get(slot)
            if committed is not None:
                upper[slot] = max(bound, committed)
            elif bound > 0 and bound >= offer.min_order:
                upper[slot] = bound
    return upper


def slot_segments(data: PlanningData, slot: Slot, upper: float) -> list[Segment]:
    """The price segments of an order slot: one, without discount, for a commitment at an agreed price."""
    if slot in data.commitment_prices:
        return [Segment(0.0, upper, 0.0)]
    return price_segments(data.offers[slot[:2]], upper)


def price_segments(offer: Offer, upper: float) -> list[Segment]:
    """All-units tiers as segments of order quantity with the discount that applies in each.

    The discount of an order of x is the largest d_j with q_j <= x, a step
    function of x that only rises; each rise starts a new segment. Segments that
    start above the slot's upper bound are unreachable and left out.
    """
    starts = [(0.0, 0.0)]
    for min_quantity, discount in offer.discounts:  # sorted by min_quantity
        if discount > starts[-1][1] and min_quantity <= upper:
            starts.append((min_quantity, discount))
    # A segment stops just short of the next tier: an order exactly at a threshold is then
    # always priced at the higher discount, as the contract says, even in a plan the solver
    # did not prove optimal. Orders within TIER_GAP (relative) below a threshold are excluded.
    ends = [start * (1.0 - TIER_GAP) for start, _ in starts[1:]] + [upper]
    return [Segment(lower, end, discount) for (lower, discount), end in zip(starts, ends)]


def _add_order_size(model, data: PlanningData, tiered) -> None:
    def con_min_order(m, supplier, mineral, period):
        """An order that is placed is at least min_order: x[o,t] >= min_order * y[o,t]."""
        min_order = data.offers[supplier, mineral].min_order
        if min_order <= 0:
            return pyo.Constraint.Skip
        return m.Order[supplier, mineral, period] >= min_order * m.IsOrdered[supplier, mineral, period]

    def con_max_order(m, supplier, mineral, period):
        """Nothing is ordered unless an order is placed: x[o,t] <= max_per_period * y[o,t].

        Without a max_per_period the big-M is the slot's upper bound (order_upper_bounds).
        Discounted offers get this from their segments instead (con_tier_upper).
        """
        slot = (supplier, mineral, period)
        if slot in tiered:
            return pyo.Constraint.Skip
        return m.Order[slot] <= m.order_upper[slot] * m.IsOrdered[slot]

    model.con_min_order = pyo.Constraint(model.ORDER_SLOTS, rule=con_min_order)
    model.con_max_order = pyo.Constraint(model.ORDER_SLOTS, rule=con_max_order)


def _add_discount_tiers(model, tiered) -> None:
    tiered_slots = sorted(tiered)

    def con_tier_choice(m, supplier, mineral, period):
        """A placed order falls in exactly one price segment: sum over j of InTier[o,t,j] = y[o,t]."""
        slot = (supplier, mineral, period)
        return sum(m.InTier[slot + (j,)] for j in range(len(tiered[slot]))) == m.IsOrdered[slot]

    def con_tier_split(m, supplier, mineral, period):
        """The order quantity is the quantity of its segment: x[o,t] = sum over j of TierQuantity[o,t,j]."""
        slot = (supplier, mineral, period)
        return m.Order[slot] == sum(m.TierQuantity[slot + (j,)] for j in range(len(tiered[slot])))

    def con_tier_lower(m, supplier, mineral, period, j):
        """An order in segment j reaches its tier: TierQuantity[o,t,j] >= min_quantity_j * InTier[o,t,j]."""
        lower = tiered[supplier, mineral, period][j].lower
        if lower <= 0:
            return pyo.Constraint.Skip
        return m.TierQuantity[supplier, mineral, period, j] >= lower * m.InTier[supplier, mineral, period, j]

    def con_tier_upper(m, supplier, mineral, period, j):
        """An order in segment j stays below the next tier: TierQuantity[o,t,j] <= upper_j * InTier[o,t,j]."""
        upper = tiered[supplier, mineral, period][j].upper
        return m.TierQuantity[supplier, mineral, period, j] <= upper * m.InTier[supplier, mineral, period, j]

    model.TIERED_SLOTS = pyo.Set(dimen=3, initialize=tiered_slots, ordered=True)
    model.con_tier_choice = pyo.Constraint(model.TIERED_SLOTS, rule=con_tier_choice)
    model.con_tier_split = pyo.Constraint(model.TIERED_SLOTS, rule=con_tier_split)
    model.con_tier_lower = pyo.Constraint(model.TIER_SLOTS, rule=con_tier_lower)
    model.con_tier_upper = pyo.Constraint(model.TIER_SLOTS, rule=con_tier_upper)


def _add_supplier_use(model) -> None:
    def con_supplier_use(m, supplier, mineral, period):
        """A supplier is onboarded when any order is placed with it: z[s] >= y[o,t]."""
        return m.UsesSupplier[supplier] >= m.IsOrdered[supplier, mineral, period]

    model.con_supplier_use = pyo.Constraint(model.ORDER_SLOTS, rule=con_supplier_use)


def _fix_commitments(model, data: PlanningData) -> None:
    """Commitments: x[o,t] = quantity and y[o,t] = 1 (model.md constraint 2)."""
    for slot, quantity in data.commitments.items():
        model.Order[slot].fix(quantity)
        model.IsOrdered[slot].fix(1)


def _add_order_costs(model, data: PlanningData, tiered) -> None:
    def purchase_cost(m, supplier, mineral, period):
        """price[o,t] * (1 - d) * x[o,t], with d the discount of the order's segment.

        A commitment at an agreed price costs quantity x unit_price, a constant (model.md constraint 2).
        """
        slot = (supplier, mineral, period)
        if slot in data.commitment_prices:
            return data.commitment_prices[slot] * data.commitments[slot] / m.money_unit
        price = data.offers[supplier, mineral].price(period) / m.money_unit
        if slot not in tiered:
            return price * m.Order[slot]
        return sum(price * (1.0 - segment.discount) * m.TierQuantity[slot + (j,)]
                   for j, segment in enumerate(tiered[slot]))

    def order_total(m, supplier, mineral, period):
        """The order's cost: purchase cost + order_cost * y[o,t]; what funding must pay."""
        slot = (supplier, mineral, period)
        return m.PurchaseCost[slot] + data.offers[supplier, mineral].order_cost / m.money_unit * m.IsOrdered[slot]

    model.PurchaseCost = pyo.Expression(model.ORDER_SLOTS, rule=purchase_cost)
    model.OrderTotal = pyo.Expression(model.ORDER_SLOTS, rule=order_total)
    slots = list(model.ORDER_SLOTS)
    unit = model.money_unit
    model.cost_terms["purchase_cost"] = sum(model.PurchaseCost[slot] for slot in slots)
    model.cost_terms["order_cost"] = sum(
        data.offers[s, m].order_cost / unit * model.IsOrdered[s, m, t] for s, m, t in slots)
    model.cost_terms["onboarding_cost"] = sum(
        data.suppliers[s].onboarding_cost / unit * model.UsesSupplier[s] for s in model.SUPPLIERS_USED)
    model.cost_terms["risk_cost"] = data.settings.risk_weight * sum(
        data.risk_score(s) * model.PurchaseCost[s, m, t] for s, m, t in slots)
