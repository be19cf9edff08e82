"""Orders that bring commitments back within their mineral's share and risk caps (the fallback plan's).

Commitments alone can break a cap of their mineral (model.md 9): one committed offer is all of the
mineral's orders, so ``X[o] <= max_supplier_share[m] * sum of X`` fails whatever else holds. Ordering
nothing more is then no plan at all; every plan orders enough from the mineral's other offers to dilute
the commitment. ``diluting_orders`` finds such orders greedily, so that the block start of the largest
models (optimizer/solving/decompose.py) has a plan of every mineral in hand by construction, not only
where a MIP found one in its time (serve_first XL: five minerals' commitments broke a supplier share and
two of their MIPs found no plan in 10 s each under load, so the run had no plan: docs/performance.md,
serve-first-xl).

Each cap over a mineral's totals is a row  sum over offers o of a[o] * X[o] <= b  once the mineral's total
(``MineralTotal``) is written as the sum of its offers' (``OfferTotal``): a supplier share row has
a = 1 - share on its own offer and -share on every other; a country share row origin share - max_share;
the risk row risk_score - max_avg_risk. While a row is broken, one order is added: on the offer whose
coefficients, summed over the broken rows, are the most negative (it dilutes most per unit), in its free
period whose arrival meets the most demand (the order is served rather than held, so it adds the least
stock and cost), of the quantity that mends the most broken row, no more than the rows that hold can take
nor than the period's demand (at least ``min_order``, at most the slot's upper bound). It stops when every
row holds, or when no order can be added (the mineral is left as it was: its block then needs its MIP's
plan). The plan's other rows (funding, max_stock, serve_first) are checked by the caller
(models/start.py ``commitments_only_plan``), which drops the diluting orders when they break one.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.core as pyo
from pyomo.repn import generate_standard_repn

from optimizer.contract.data import BASE, PlanningData, Slot

# The cap rows over a mineral's offer totals that commitments can break (the market caps are per period: not here).
TOTAL_CAP_ROWS = ("con_country_share", "con_supplier_share", "con_average_risk")
# A row holds within this relative tolerance (as models/start.py checks the caps).
_TOLERANCE = 1e-9
# Orders added per mineral at most.
MAX_ORDERS = 200


class CapRow:
    """One cap row of a mineral as  sum over offers of a[o] * X[o] <= bound."""

    def __init__(self, coefficients: dict[tuple[str, str], float], bound: float):
        self.coefficients, self.bound = coefficients, bound

    def value(self, totals: dict[tuple[str, str], float]) -> float:
        """The row's left-hand side at offer ``totals``."""
        return sum(a * totals.get(offer, 0.0) for offer, a in self.coefficients.items())

    def excess(self, totals: dict[tuple[str, str], float]) -> float:
        """How far the row is broken (<= 0: it holds)."""
        value = self.value(totals)
        return value - self.bound - _TOLERANCE * max(1.0, abs(value))


def cap_rows(model: pyo.ConcreteModel) -> dict[str, list[CapRow]]:
    """Each mineral's cap rows over its offer totals (``TOTAL_CAP_ROWS``), MineralTotal written out."""
    offers_of = defaultdict(list)
    for offer in model.CAPPED_OFFERS:
        offers_of[offer[1]].append(offer)
    rows: dict[str, list[CapRow]] = defaultdict(list)
    for name in TOTAL_CAP_ROWS:
        for row in model.component(name).values():
            repn = generate_standard_repn(row.body)
            coefficients: dict[tuple[str, str], float] = defaultdict(float)
            mineral = None
            for a, var in zip(repn.linear_coefs, repn.linear_vars):
                component = var.parent_component()
                if component is model.OfferTotal:
                    coefficients[var.index()] += a
                    mineral = var.index()[1]
                elif component is model.MineralTotal:
                    mineral = var.index()
                    for offer in offers_of[mineral]:
                        coefficients[offer] += a
            if mineral is not None:  # an elastic model's slack would not be here: the start is the model's own
                rows[mineral].append(CapRow(dict(coefficients), pyo.value(row.upper) - repn.constant))
    return rows


def diluting_orders(model: pyo.ConcreteModel, data: PlanningData, orders: dict[Slot, float]) -> dict[Slot, float]:
    """Orders to add to ``orders`` so that every mineral's cap rows over its totals hold (module docstring); a
    mineral whose rows cannot all be mended gets none."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for slot, quantity in orders.items():
        totals[slot[:2]] += quantity
    added: dict[Slot, float] = {}
    for mineral, rows in cap_rows(model).items():
        if any(row.excess(totals) > 0 for row in rows):
            added.update(_dilute(model, data, rows, dict(totals), orders))
    return added


def _dilute(model, data: PlanningData, rows: list[CapRow], totals: dict, orders: dict[Slot, float]) -> dict[Slot, float]:
    """The orders that mend ``rows`` of one mineral from ``totals``, or none when they cannot all be mended."""
    free = _free_slots(model, data, rows, orders)
    added: dict[Slot, float] = {}
    for _ in range(MAX_ORDERS):
        broken = [row for row in rows if row.excess(totals) > 0]
        if not broken:
            return added
        order = _next_order(model, data, rows, broken, totals, free)
        if order is None:
            return {}
        slot, quantity = order
        added[slot] = quantity
        totals[slot[:2]] = totals.get(slot[:2], 0.0) + quantity
        free[slot[:2]].remove(slot)
    return {}


def _free_slots(model, data: PlanningData, rows: list[CapRow], orders: dict[Slot, float]) -> dict[tuple, list[Slot]]:
    """Each offer of the rows' mineral -> its order slots not ordered already nor fixed (a commitment, a frozen
    period), the arrival with the most demand first."""
    offers = {offer for row in rows for offer in row.coefficients}
    free: dict[tuple, list[Slot]] = {offer: [] for offer in offers}
    for slot in model.ORDER_SLOTS:
        if slot[:2] in free and slot not in orders and not model.Order[slot].fixed:
            free[slot[:2]].append(slot)
    for offer, slots in free.items():
        slots.sort(key=lambda slot: -_demand_on_arrival(data, slot))
    return free


def _demand_on_arrival(data: PlanningData, slot: Slot) -> float:
    supplier, mineral, period = slot
    return data.demand_of(BASE, mineral, period + data.offers[supplier, mineral].lead_time)


def _next_order(model, data: PlanningData, rows: list[CapRow], broken: list[CapRow], totals: dict,
                free: dict[tuple, list[Slot]]) -> tuple[Slot, float] | None:
    """The order that dilutes most (module docstring), or None when no offer can take one."""
    ranked = sorted((sum(row.coefficients.get(offer, 0.0) for row in broken), offer)
                    for offer, slots in free.items() if slots)
    for gain, offer in ranked:
        if gain >= 0:
            return None
        quantity = _quantity(model, data, rows, broken, totals, offer, free[offer][0])
        if quantity is not None:
            return free[offer][0], quantity
    return None


def _quantity(model, data: PlanningData, rows: list[CapRow], broken: list[CapRow], totals: dict, offer: tuple,
              slot: Slot) -> float | None:
    """What to order in ``slot``: enough to mend the most broken row it dilutes, within what the holding rows
    allow it, the arrival's demand (where there is some, at least the minimum order) and the slot's bounds; None
    when that is less than ``min_order``."""
    low = data.offers[offer].min_order
    high = model.facts.order_upper[slot]
    if data.offers[offer].max_per_period is not None:
        high = min(high, data.offers[offer].max_per_period)
    need = max(row.excess(totals) / -row.coefficients[offer] for row in broken if row.coefficients.get(offer, 0) < 0)
    room = min((-row.excess(totals) / row.coefficients[offer] for row in rows
                if row not in broken and row.coefficients.get(offer, 0.0) > 0), default=float("inf"))
    demand = _demand_on_arrival(data, slot)
    quantity = min(need * (1 + 1e-6), room, high, demand if 0 < demand and low <= demand else float("inf"))
    quantity = max(quantity, low)
    if quantity > min(room, high) or quantity <= 0:
        return None
    return quantity
