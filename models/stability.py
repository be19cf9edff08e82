"""Plan stability: a cost per unit of change against the previous plan, and the stability pass
(optional, not in model.md).

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

The stability pass (``add_stability_pass``, run by optimizer/solving/stability.py after
the solve, Settings ``stability``) keeps the solved plan's objective within the
gap and minimises the change instead, weighted by list price: among equally good
plans, the one closest to the previous plan.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo

from optimizer.contract.data import PlanningData, Slot


def add_stability(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Price each unit of change against ``model.facts.previous_orders`` at Settings.change_penalty."""
    penalty = data.settings.change_penalty
    if penalty <= 0 or model.facts.previous_orders is None or model.facts.elastic:
        return
    _add_change(model)
    model.facts.cost_terms["change_cost"] = penalty / model.facts.money_unit * sum(
        model.ChangeUp[slot] + model.ChangeDown[slot] for slot in model.CHANGE_SLOTS)


def _add_change(model: pyo.ConcreteModel) -> None:
    """ChangeUp and ChangeDown of every order slot, valued at the model's current orders where it has them
    (a solved model: so the plan it holds is a complete start for the stability pass)."""
    model.CHANGE_SLOTS = pyo.Set(dimen=3, initialize=list(model.ORDER_SLOTS), ordered=True)

    def change(m, supplier, mineral, period):
        slot = (supplier, mineral, period)
        quantity = m.Order[slot].value
        return None if quantity is None else quantity - m.facts.previous_order(slot)

    model.ChangeUp = pyo.Var(model.CHANGE_SLOTS, within=pyo.NonNegativeReals,
                             initialize=lambda m, *slot: _part(change(m, *slot), 1))
    model.ChangeDown = pyo.Var(model.CHANGE_SLOTS, within=pyo.NonNegativeReals,
                               initialize=lambda m, *slot: _part(change(m, *slot), -1))

    def con_change(m, supplier, mineral, period):
        """The change of an order against the previous plan: x[o,t] - x_prev[o,t] = ChangeUp - ChangeDown."""
        slot = (supplier, mineral, period)
        previous = m.facts.previous_order(slot)
        return m.Order[slot] - previous == m.ChangeUp[slot] - m.ChangeDown[slot]

    model.con_change = pyo.Constraint(model.CHANGE_SLOTS, rule=con_change)


def _part(change: float | None, sign: int) -> float | None:
    return None if change is None else max(0.0, sign * change)


def add_stability_pass(model: pyo.ConcreteModel, data: PlanningData, allowance: float) -> float:
    """Turn a solved model into the stability pass (optimizer/solving/stability.py): the closest plan to the
    previous one (``model.facts.previous_orders``) among those that cost at most ``allowance`` (currency).

        minimise   change_value = sum over (o,t) in CHANGE_SLOTS of p[o,t] * (ChangeUp[o,t] + ChangeDown[o,t])
        subject to every constraint of the model, and con_within_gap below

    p[o,t] is the list price, so a tonne of an expensive mineral moved counts for more than a tonne
    of a cheap one. ChangeUp + ChangeDown >= |x - x_prev| (con_change) and the objective drives it
    down to exactly |x - x_prev|: linear, no yes/no variable added. The variables' values are the
    solved plan's, which meets con_within_gap: the pass starts from it.

    Returns the allowance in model money units, what con_within_gap holds ``plan_cost`` to.
    """
    if model.component("ChangeUp") is None:
        _add_change(model)
    model.plan_cost = pyo.Expression(expr=model.objective.expr)  # objective + change_cost, as minimised
    model.del_component(model.objective)
    allowance = allowance / model.facts.money_unit

    def con_within_gap(m):
        """The plan stays within the gap: objective + change_cost <= allowance, where (allowed_objective)
        allowance = bound / (1 - mip_gap) for bound >= 0, bound / (1 + mip_gap) for bound < 0 (that is
        objective - bound <= mip_gap * |objective|, HiGHS's relative gap), and never below the objective
        + change_cost of the plan found first."""
        return m.plan_cost <= allowance if math.isfinite(allowance) else pyo.Constraint.Skip

    model.con_within_gap = pyo.Constraint(rule=con_within_gap)
    prices = {slot: data.offers[slot[:2]].price(slot[2]) / model.facts.money_unit for slot in model.CHANGE_SLOTS}
    model.objective = pyo.Objective(expr=sum(
        prices[slot] * (model.ChangeUp[slot] + model.ChangeDown[slot]) for slot in model.CHANGE_SLOTS),
        sense=pyo.minimize)
    return allowance


def allowed_objective(objective: float, bound: float, mip_gap: float) -> float:
    """The largest objective within ``mip_gap`` of the proven ``bound``: objective - bound <= mip_gap x
    |objective|, and at least ``objective`` (a plan stopped by the time limit may be farther)."""
    if bound < 0:
        return max(objective, bound / (1 + mip_gap))
    return max(objective, bound / (1 - mip_gap) if mip_gap < 1 else math.inf)


def change_value(data: PlanningData, orders: dict[Slot, float], previous_orders: dict[Slot, float],
                 order_slots) -> float:
    """sum over the order slots of p[o,t] x |x - x_prev|: what the stability pass minimises, from two plans."""
    slots = (set(orders) | set(previous_orders)) & set(order_slots)
    return sum(data.offers[s[:2]].price(s[2]) * abs(orders.get(s, 0.0) - previous_orders.get(s, 0.0))
               for s in slots)


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


def add_recourse_stability_pass(model: pyo.ConcreteModel, data: PlanningData, allowance: float,
                                previous: dict[str, dict[Slot, float]]) -> float:
    """The stability pass on a solved model with recourse (models/recourse.py): each order decision, a
    scenario's own or one its group shares (counted once, in the group's first scenario r), moved back
    towards the previous plan's order in that scenario (``previous``: scenario -> the orders that held in it).

        minimise   sum over (r,o,t) of p[o,t] * (RecourseChangeUp[r,o,t] + RecourseChangeDown[r,o,t])
        subject to x[r,o,t] - x_prev[r,o,t] = RecourseChangeUp[r,o,t] - RecourseChangeDown[r,o,t]
                   (con_recourse_change), every constraint of the model, and con_within_gap:
                   expected cost (+ cvar_cost) <= allowance, as add_stability_pass

    The variables are valued at the solved plan: the pass starts from it. Returns the allowance in the
    model's money unit."""
    from models.recourse import representative

    leader = representative(data)
    unit = model.money_unit
    decisions = [(k, *slot) for k in model.RECOURSE_SCENARIOS for slot in model.Scenario[k].ORDER_SLOTS
                 if leader[k, slot[2]] == k]
    model.RECOURSE_CHANGE_SLOTS = pyo.Set(dimen=4, initialize=decisions, ordered=True)

    def change(m, scenario, *slot):
        return (m.Scenario[scenario].Order[slot].value or 0.0) - previous.get(scenario, {}).get(slot, 0.0)

    model.RecourseChangeUp = pyo.Var(model.RECOURSE_CHANGE_SLOTS, within=pyo.NonNegativeReals,
                                     initialize=lambda m, *index: max(0.0, change(m, *index)))
    model.RecourseChangeDown = pyo.Var(model.RECOURSE_CHANGE_SLOTS, within=pyo.NonNegativeReals,
                                       initialize=lambda m, *index: max(0.0, -change(m, *index)))

    def con_recourse_change(m, scenario, supplier, mineral, period):
        """x[r,o,t] - x_prev[r,o,t] = RecourseChangeUp[r,o,t] - RecourseChangeDown[r,o,t] (r: the scenario)."""
        slot = (supplier, mineral, period)
        previous_order = previous.get(scenario, {}).get(slot, 0.0)
        index = (scenario, *slot)
        return (m.Scenario[scenario].Order[slot] - previous_order
                == m.RecourseChangeUp[index] - m.RecourseChangeDown[index])

    model.con_recourse_change = pyo.Constraint(model.RECOURSE_CHANGE_SLOTS, rule=con_recourse_change)
    model.plan_cost = pyo.Expression(expr=model.objective.expr)  # expected cost (+ cvar_cost), as minimised
    model.del_component(model.objective)
    allowance = allowance / unit

    def con_within_gap(m):
        """The plan stays within the gap: expected cost (+ cvar_cost) <= allowance (as add_stability_pass)."""
        return m.plan_cost <= allowance if math.isfinite(allowance) else pyo.Constraint.Skip

    model.con_within_gap = pyo.Constraint(rule=con_within_gap)
    model.objective = pyo.Objective(expr=sum(
        data.offers[index[1:3]].price(index[3]) / unit * (model.RecourseChangeUp[index] + model.RecourseChangeDown[index])
        for index in model.RECOURSE_CHANGE_SLOTS), sense=pyo.minimize)
    return allowance
