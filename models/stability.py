"""Plan stability: a cost per unit of change against the previous plan (optional, not in model.md).

Symbols
    CHANGE_SLOTS       (supplier, mineral, period): every order slot of the model
    x_prev[o,t]        the previous plan's order quantity (0 where it ordered nothing)  unit
    ChangeUp[o,t]      quantity ordered above the previous plan                    unit  >= 0
    ChangeDown[o,t]    quantity ordered below the previous plan                    unit  >= 0
    change_penalty     Settings.change_penalty: cost per unit of change            currency/unit

    change_cost = change_penalty * sum over o,t of (ChangeUp[o,t] + ChangeDown[o,t])

With ``con_change`` below, ChangeUp + ChangeDown >= |x - x_prev|, and the
objective drives it down to exactly |x - x_prev|. A previous order whose slot no
longer exists (its offer or window changed) costs a constant and is left out.

The term is added only with ``change_penalty > 0`` and a previous plan, so a
workbook without the setting means exactly what the contract says. It is
registered as ``change_cost``, outside the contract's seven cost terms: the
Summary's seven still add up to ``objective``, and the optimised total is
objective + change_cost.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.data import PlanningData, Slot


def add_stability(model: pyo.ConcreteModel, data: PlanningData, previous_orders: dict[Slot, float] | None) -> None:
    """Price each unit of change against ``previous_orders`` at Settings.change_penalty."""
    penalty = data.settings.change_penalty
    model.previous_orders = dict(previous_orders or {})
    if penalty <= 0 or previous_orders is None or model.elastic:
        return
    model.CHANGE_SLOTS = pyo.Set(dimen=3, initialize=list(model.ORDER_SLOTS), ordered=True)
    model.ChangeUp = pyo.Var(model.CHANGE_SLOTS, within=pyo.NonNegativeReals)
    model.ChangeDown = pyo.Var(model.CHANGE_SLOTS, within=pyo.NonNegativeReals)

    def con_change(m, supplier, mineral, period):
        """The change of an order against the previous plan: x[o,t] - x_prev[o,t] = ChangeUp - ChangeDown."""
        slot = (supplier, mineral, period)
        previous = m.previous_orders.get(slot, 0.0)
        return m.Order[slot] - previous == m.ChangeUp[slot] - m.ChangeDown[slot]

    model.con_change = pyo.Constraint(model.CHANGE_SLOTS, rule=con_change)
    model.cost_terms["change_cost"] = penalty / model.money_unit * sum(
        model.ChangeUp[slot] + model.ChangeDown[slot] for slot in model.CHANGE_SLOTS)


def change_cost(data: PlanningData, orders: dict[Slot, float], previous_orders: dict[Slot, float] | None,
                order_slots=None) -> float:
    """change_penalty * sum of |x - x_prev| over the order slots, recomputed from two plans' orders."""
    penalty = data.settings.change_penalty
    if penalty <= 0 or previous_orders is None:
        return 0.0
    slots = set(orders) | set(previous_orders)
    if order_slots is not None:
        slots &= set(order_slots)
    return penalty * sum(abs(orders.get(s, 0.0) - previous_orders.get(s, 0.0)) for s in slots)
