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

With recourse (models/recourse.py) the change cost is the expected one, each scenario's change
against the previous plan's orders in that scenario weighted by its probability, written per node of
the scenario tree (``add_recourse_change_cost``; ``expected_change_cost`` recomputes it from orders).

The stability pass (``add_stability_pass``, run by optimizer/solving/stability.py after
the solve, Settings ``stability``) keeps the solved plan's objective within the
gap and minimises the change instead, weighted by list price: among equally good
plans, the one closest to the previous plan.
"""

from __future__ import annotations

import math

import pyomo.core as pyo

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


def add_recourse_change_cost(model: pyo.ConcreteModel, data: PlanningData,
                             previous: dict[str, dict[Slot, float]] | None) -> None:
    """Price each unit of change on a model with recourse (models/recourse.py) at Settings.change_penalty:
    the expected change cost, added to what is minimised and kept as ``model.change_cost``.

        change_cost = change_penalty * sum over k of pi[k] * sum over (o,t) of |x[k,o,t] - x_prev[k,o,t]|

    x[k,o,t] is the order that holds in scenario k (its node's: shared until k is told apart), x_prev[k,o,t]
    the previous plan's order in k (``previous``: scenario -> the orders that held in it; a previous plan
    without recourse gives every scenario all its orders, one with recourse its shared ones and k's own, a
    scenario new to it the shared ones). Slots are those orders of k may be placed in (``offered_slots``).
    In node form the sum runs over nodes n of the scenario tree: the members k of n whose previous order is
    the same value v share one pair of variables, weighted by their probabilities,

        x[o,t,n] - v = NodeChangeUp[o,t,n,j] - NodeChangeDown[o,t,n,j]          (con_node_change)
        change_cost = change_penalty * (sum over (o,t,n,j) of w[o,t,n,j] * (NodeChangeUp + NodeChangeDown)
                                        + sum over k of pi[k] * (previous orders of k in slots its copy
                                          lacks: they can hold nothing, so their change is a constant))

    w[o,t,n,j] = sum of pi[k] over those members (j numbers the distinct v of node n; one pair per node when
    the previous plan agrees across its members, as a plan without recourse always does). The objective
    drives NodeChangeUp + NodeChangeDown down to |x - v|: linear, no yes/no variable. Without a change
    penalty or a previous plan nothing is added: the model is exactly the one without it.
    """
    penalty = data.settings.change_penalty
    if penalty <= 0 or previous is None:
        return
    weights, orders, constant = _node_change_groups(model, data, previous)
    model.NODE_CHANGES = pyo.Set(dimen=5, initialize=sorted(weights), ordered=True)
    model.NodeChangeUp = pyo.Var(model.NODE_CHANGES, within=pyo.NonNegativeReals)
    model.NodeChangeDown = pyo.Var(model.NODE_CHANGES, within=pyo.NonNegativeReals)

    def con_node_change(m, *index):
        """The change of a node's order against one previous order v of its members:
        x[o,t,n] - v = NodeChangeUp[o,t,n,j] - NodeChangeDown[o,t,n,j]."""
        order, previous_order = orders[index]
        return order - previous_order == m.NodeChangeUp[index] - m.NodeChangeDown[index]

    model.con_node_change = pyo.Constraint(model.NODE_CHANGES, rule=con_node_change)
    model.change_cost = pyo.Expression(expr=penalty / model.money_unit * (constant + sum(
        weights[index] * (model.NodeChangeUp[index] + model.NodeChangeDown[index]) for index in model.NODE_CHANGES)))
    model.objective.expr = model.objective.expr + model.change_cost


def _node_change_groups(model: pyo.ConcreteModel, data: PlanningData, previous: dict[str, dict[Slot, float]]):
    """(o,t,n,j) -> w, (o,t,n,j) -> (x[o,t,n], v), and the constant sum of pi[k] * x_prev[k,o,t] over the
    slots offered to k that its copy lacks (add_recourse_change_cost)."""
    from models.recourse import representative, scenario_alone

    leader = representative(data)
    weights: dict[tuple, float] = {}
    orders: dict[tuple, tuple] = {}
    numbers: dict[tuple, int] = {}  # (o,t,n,v) -> j
    counts: dict[tuple, int] = {}  # (o,t,n) -> how many distinct v so far
    constant = 0.0
    for k in data.all_scenarios:
        block, before = model.Scenario[k.name], previous.get(k.name, {})
        for slot in block.ORDER_SLOTS:
            value = before.get(slot, 0.0)
            node = slot + (leader[k.name, slot[2]],)
            if node + (value,) not in numbers:
                numbers[node + (value,)] = counts.get(node, 0)
                counts[node] = numbers[node + (value,)] + 1
            index = node + (numbers[node + (value,)],)
            weights[index] = weights.get(index, 0.0) + k.probability
            orders.setdefault(index, (block.Order[slot], value))
        lacking = offered_slots(scenario_alone(data, k.name)) - set(block.ORDER_SLOTS)
        constant += k.probability * sum(before.get(slot, 0.0) for slot in lacking)
    return weights, orders, constant


def highest_previous_orders(data: PlanningData, previous: dict[str, dict[Slot, float]] | None) -> dict[Slot, float] | None:
    """slot -> the largest previous order any scenario held there, to raise the order bounds with a change
    penalty (order_upper_bounds: lowering an order below a previous one can raise the change cost); None
    without a change penalty or a previous plan, so the model is exactly the one without them."""
    if data.settings.change_penalty <= 0 or previous is None:
        return None
    highest: dict[Slot, float] = {}
    for orders in previous.values():
        for slot, quantity in orders.items():
            highest[slot] = max(highest.get(slot, 0.0), quantity)
    return highest


def offered_slots(data: PlanningData) -> set[Slot]:
    """The order slots of ``data``: each offer in the periods an order of it may be placed in (order_periods)."""
    return {(offer.supplier, offer.mineral, t) for offer in data.offers.values() for t in data.order_periods(offer)}


def expected_change_cost(data: PlanningData, orders: dict[str, dict[Slot, float]],
                         previous: dict[str, dict[Slot, float]] | None) -> float:
    """The change cost of a plan with recourse, recomputed from two plans' orders (``orders`` and
    ``previous``: scenario -> the orders that hold in it): change_penalty * sum over k of pi[k] * sum over
    the slots offered to k of |x[k,o,t] - x_prev[k,o,t]| (add_recourse_change_cost)."""
    from models.recourse import scenario_alone

    penalty = data.settings.change_penalty
    if penalty <= 0 or previous is None:
        return 0.0
    total = 0.0
    for k in data.all_scenarios:
        now, before = orders.get(k.name, {}), previous.get(k.name, {})
        slots = (set(now) | set(before)) & offered_slots(scenario_alone(data, k.name))
        total += k.probability * sum(abs(now.get(s, 0.0) - before.get(s, 0.0)) for s in slots)
    return penalty * total


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
