"""Orders the solver left half-placed, and how the model is rounded to repair them (model.md constraint 1).

A MIP solver accepts a binary within its integrality tolerance (about 1e-6 to
1e-9) of 0 or 1. With a big-M of M, ``x <= M * y`` then lets an order of up to
M x 1e-9 through with ``y`` "0", without its order_cost. The bounds of
models/ordering.py keep M small, but a plan is checked anyway: a *stray* order
has a quantity above ``STRAY_QUANTITY`` with its yes/no variable (IsOrdered,
or InTier of the segment holding the quantity) below 0.5.

Repair (optimizer/solving/highs.py runs the solves):
    1. round: a stray order is placed (y = 1, the segment holding its quantity)
       where its quantity meets min_order and its order_cost fits the headroom of
       its funding; otherwise it is dropped (y = 0, so x = 0);
    2. fix every binary at its rounded value and re-solve the LP (true quantities,
       funding splits and stock), then release them;
    3. if that LP is infeasible: cut the stray orders' big-M to their need
       (ordering.order_need) and solve the MIP again.

Symbols are those of models/ordering.py and models/funding.py.
"""

from __future__ import annotations

import pyomo.core as pyo
from pyomo.core.base.var import VarData

from models.ordering import order_need
from optimizer.contract.data import PlanningData, Slot

STRAY_QUANTITY = 1e-6  # units: larger than the solver's primal feasibility tolerance on x <= M y with y = 0
ROUND_TOLERANCE = 1e-6  # relative: a quantity this close below min_order meets it


def stray_orders(model: pyo.ConcreteModel) -> list[Slot]:
    """Order slots with a quantity but a yes/no variable (order or discount segment) below 0.5."""
    strays = {slot for slot in model.ORDER_SLOTS
              if _value(model.Order[slot]) > STRAY_QUANTITY and _value(model.IsOrdered[slot]) < 0.5}
    strays.update(index[:3] for index in model.TIER_SLOTS
                  if _value(model.TierQuantity[index]) > STRAY_QUANTITY and _value(model.InTier[index]) < 0.5)
    return sorted(strays)


def round_strays(model: pyo.ConcreteModel, data: PlanningData, strays: list[Slot],
                 drop_all: bool = False) -> tuple[list[Slot], list[Slot]]:
    """Set the binaries of each stray order: placed where it can be, else dropped; returns (placed, dropped).

    Placed: quantity >= min_order and order_cost x (1 - y) fits the unused funding
    its sources may still pay in that period. ``drop_all`` drops every stray.
    """
    placed, dropped = [], []
    for slot in strays:
        quantity = _value(model.Order[slot])
        offer = data.offers[slot[:2]]
        extra = offer.order_cost / model.facts.money_unit * (1.0 - _value(model.IsOrdered[slot]))
        if (not drop_all and quantity >= offer.min_order * (1.0 - ROUND_TOLERANCE)
                and extra <= funding_headroom(model, data, slot) + 1e-9 * max(1.0, extra)):
            _place(model, slot, quantity)
            placed.append(slot)
        else:
            _drop(model, slot)
            dropped.append(slot)
    return placed, dropped


def funding_headroom(model: pyo.ConcreteModel, data: PlanningData, slot: Slot) -> float:
    """Money (model units) the sources eligible for ``slot`` could still pay it: amounts and budgets unused
    by orders and capex (models/projects.py)."""
    spent: dict[str, float] = {}
    spent_in_period: dict[str, float] = {}
    payments = [(index[0], index[3], model.Spend[index]) for index in model.FUNDING_SLOTS]
    payments += [(source, period, model.CapexSpend[source, project, period])
                 for source, project, period in model.CAPEX_SLOTS]
    for source, period, var in payments:
        value = _value(var)
        spent[source] = spent.get(source, 0.0) + value
        if period == slot[2]:
            spent_in_period[source] = spent_in_period.get(source, 0.0) + value
    headroom = 0.0
    for name in data.eligible_sources(*slot):
        source = data.funding[name]
        left = source.amount / model.facts.money_unit - spent.get(name, 0.0)
        budget = source.budgets.get(slot[2])
        if budget is not None:
            left = min(left, budget / model.facts.money_unit - spent_in_period.get(name, 0.0))
        headroom += max(0.0, left)
    return headroom


def fix_binaries(model: pyo.ConcreteModel) -> list[VarData]:
    """Fix every free binary at its rounded value (a supplier is used exactly when an order is
    placed with it); returns what was fixed, for ``release``."""
    placed_with = {slot[0] for slot in model.ORDER_SLOTS if _value(model.IsOrdered[slot]) >= 0.5}
    fixed = []
    for var in model.component_data_objects(pyo.Var, descend_into=True):
        if var.fixed or not var.is_binary():
            continue
        if var.parent_component() is model.UsesSupplier:
            var.set_value(1.0 if var.index() in placed_with else 0.0)
        var.fix(1.0 if _value(var) >= 0.5 else 0.0)
        fixed.append(var)
    return fixed


def release(variables: list[VarData]) -> None:
    """Unfix ``variables`` (undoes ``fix_binaries``)."""
    for var in variables:
        var.unfix()


def cut_to_need(model: pyo.ConcreteModel, data: PlanningData, slots: list[Slot]) -> None:
    """Lower the big-M of ``slots`` to their need (ordering.order_need): x <= b y, and the last segment's too."""
    for slot in slots:
        need = min(order_need(data, slot), model.Order[slot].ub)
        model.Order[slot].setub(need)
        if slot in model.TIERED_SLOTS:
            last = slot + (len(model.facts.price_segments[slot]) - 1,)
            model.TierQuantity[last].setub(need)
            model.con_tier_upper[last].set_value(model.TierQuantity[last] <= need * model.InTier[last])
        else:
            model.con_max_order[slot].set_value(model.Order[slot] <= need * model.IsOrdered[slot])


def _place(model, slot: Slot, quantity: float) -> None:
    model.IsOrdered[slot].set_value(1.0)
    if slot not in model.TIERED_SLOTS:
        return
    segments = model.facts.price_segments[slot]
    holding = max(j for j, segment in enumerate(segments) if segment.lower <= quantity * (1.0 + ROUND_TOLERANCE))
    for j in range(len(segments)):
        model.InTier[slot + (j,)].set_value(1.0 if j == holding else 0.0)


def _drop(model, slot: Slot) -> None:
    model.IsOrdered[slot].set_value(0.0)
    if slot in model.TIERED_SLOTS:
        for j in range(len(model.facts.price_segments[slot])):
            model.InTier[slot + (j,)].set_value(0.0)


def _value(var: VarData) -> float:
    return float(var.value or 0.0)
