"""Sensitivities: the plan's binaries fixed, the LP that remains, and its duals.

With every yes/no decision fixed at the plan's value (which orders are placed,
in which discount tier, which suppliers are onboarded) the model is a linear
programme whose optimum is the plan's expected cost. Its duals y are the
marginal values of the limits, by the envelope theorem (valid while the same
limits bind). With slope(row) = d objective / d (the limit in that row):

    d cost / d amount[f]               = slope(con_source_amount[f])                    (per currency unit)
    d cost / d Budgets[f,t]            = slope(con_period_budget[f,t])                  (per currency unit)
    d cost / d max_per_period[o] at t  = slope(con_capacity[o,t]) * money_unit          (per unit of the mineral)
    d cost / d max_per_period[c] at t  = slope(con_conversion_capacity[c,t]) * money_unit (per unit of input;
                                         models/conversions.py restate_conversion_capacity)
    d cost / d market cap[m] at t      = slope(con_market_share[m,t]) * money_unit      (per unit of the mineral;
                                         the cap is max_market_share x world_supply, models/market.py)
    d cost / d min_stock[m,t]          = sum over k of slope(con_target[k,m,t]) * money_unit   (per unit)

Money rows are stated in model money units on both sides, so their duals are
already per currency unit; quantity rows need the factor money_unit. The sign
of each row is read from the row itself (``_slope``), so no convention of the
solver interface leaks into the formulas.

Derived big-M bounds (``order_upper_bounds``: what funding or storage could
pay or hold, what some optimal plan can use) are implied by the funding and
stock rows or cut off no optimal plan. In the LP they would take the duals that
belong to those rows (or a zero-cost bound's), so the LP drops them and states
the one physical limit left, the offer's capacity, as ``con_capacity``:

    con_capacity[o,t]:  x[o,t] <= max_per_period[o]   for placed, uncommitted orders

``expected_shortfall`` serves the shortfall explanations: what a solved
model leaves one mineral short. It reads the solved model's own variables
(u and e after the serve-first release rule) for the many re-solves of one
mineral, where no plan is read back; every figure of a written plan comes from
``optimizer/analysis/metrics.py`` ``expected_shortfall``, the same sum over the
plan's Stock table.
"""

from __future__ import annotations

import pandas as pd
import pyomo.core as pyo
from pyomo.repn import generate_standard_repn
from pyomo.core.expr.visitor import identify_variables

from models.conversions import conversion_capacity_rows, planned_conversions, restate_conversion_capacity
from models.release import apply_serve_first, release_pattern
from models.sales import sold_in_table
from optimizer.contract.data import PlanningData
from optimizer.contract.results import Marginal

_ZERO = 1e-9


def placed_orders(orders: pd.DataFrame) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(supplier, mineral, period) -> (quantity, discount) of every order in the plan's Orders table."""
    return {(r.supplier, r.mineral, int(r.period)): (float(r.quantity), float(r.discount))
            for r in orders.itertuples()}


def fix_binaries(model: pyo.ConcreteModel, data: PlanningData, orders: pd.DataFrame,
                 builds: dict[str, int] | None = None, contracts: pd.DataFrame | None = None,
                 deliveries: pd.DataFrame | None = None, sales: pd.DataFrame | None = None,
                 conversions: pd.DataFrame | None = None) -> None:
    """Fix y, the discount tiers, z and the release rule's w at the plan's values and make them
    continuous (an LP).

    An order slot absent from ``orders`` is not placed (y = 0); a placed order
    sits in the segment whose discount the plan shows; a supplier is
    onboarded when some order is placed with it; a project is decided where
    ``builds`` (the plan's decisions) says; demand may go unmet (w = 1)
    where the plan's serve-first stock (its orders, contract ``deliveries``, ``sales``, the Sales table, and
    ``conversions``, the plan's Conversions table) leaves it unmet. A contract is signed (s) and below its
    minimum (b) as the plan's Contracts table says (``contracts``, with its ``deliveries``).
    """
    for project, period in model.BUILD_SLOTS:
        _fix(model.Build[project, period], 1.0 if (builds or {}).get(project) == period else 0.0)
    placed = placed_orders(orders)
    for slot in model.ORDER_SLOTS:
        _fix(model.IsOrdered[slot], 1.0 if slot in placed else 0.0)
        segments = model.facts.price_segments[slot]
        if len(segments) > 1:
            chosen = _segment_of(segments, placed[slot][1]) if slot in placed else None
            for j in range(len(segments)):
                _fix(model.InTier[slot + (j,)], 1.0 if j == chosen else 0.0)
    used = {supplier for supplier, _, _ in placed}
    for supplier in model.SUPPLIERS_USED:
        _fix(model.UsesSupplier[supplier], 1.0 if supplier in used else 0.0)
    taken = {} if deliveries is None else {(r.contract, int(r.period)): float(r.quantity)
                                           for r in deliveries.itertuples()}
    for row in ([] if contracts is None else contracts.itertuples()):
        _fix(model.Signed[row.contract], 1.0 if row.signed == "yes" else 0.0)
        if row.contract in model.TAKE_OR_PAY:
            _fix(model.UnderMinimum[row.contract], 1.0 if row.take_or_pay_quantity > 0 else 0.0)
    orders_placed = {slot: q for slot, (q, _) in placed.items()}
    converted = planned_conversions(conversions)
    for index, value in release_pattern(model, data, orders_placed, taken, sold_in_table(sales),
                                        converted).items():
        _fix(model.Release[index], value)


def _fix(var, value: float) -> None:
    var.fix(value)
    var.domain = pyo.Reals  # a fixed continuous variable: HiGHS sees an LP and returns duals


def _segment_of(segments, discount: float) -> int:
    return min(range(len(segments)), key=lambda j: abs(segments[j].discount - discount))


def restate_capacity(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Drop the derived order bounds of placed orders; state the capacity x[o,t] <= max_per_period instead."""
    capacity_slots = []
    for slot in model.ORDER_SLOTS:
        if pyo.value(model.IsOrdered[slot]) < 0.5:
            continue  # con_max_order (or the tier rows) keep x = 0
        model.Order[slot].setub(None)
        segments = model.facts.price_segments[slot]
        if len(segments) == 1:
            model.con_max_order[slot].deactivate()
        else:
            last = (slot + (len(segments) - 1,))
            if pyo.value(model.InTier[last]) > 0.5:  # an order in a lower tier stays below the next tier
                model.con_tier_upper[last].deactivate()
                model.TierQuantity[last].setub(None)
        offer = data.offers[slot[:2]]
        if offer.max_per_period is not None and slot not in data.commitments:
            capacity_slots.append(slot)
    model.CAPACITY_SLOTS = pyo.Set(dimen=3, initialize=capacity_slots, ordered=True)

    def con_capacity(m, supplier, mineral, period):
        """The offer's capacity: x[o,t] <= max_per_period."""
        return m.Order[supplier, mineral, period] <= data.offers[supplier, mineral].max_per_period

    model.con_capacity = pyo.Constraint(model.CAPACITY_SLOTS, rule=con_capacity)


def sensitivity_model(model: pyo.ConcreteModel, data: PlanningData, orders: pd.DataFrame,
                      builds: dict[str, int] | None = None, contracts: pd.DataFrame | None = None,
                      deliveries: pd.DataFrame | None = None, sales: pd.DataFrame | None = None,
                      conversions: pd.DataFrame | None = None) -> pyo.ConcreteModel:
    """Turn a freshly built model into the plan's LP, ready for a solve that fills ``model.dual``."""
    fix_binaries(model, data, orders, builds, contracts, deliveries, sales, conversions)
    restate_capacity(model, data)
    restate_conversion_capacity(model, data)
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)  # optimizer.solving.highs fills it for an LP
    return model


def read_marginals(model: pyo.ConcreteModel, data: PlanningData) -> list[Marginal]:
    """The marginal value of every funding amount, budget, capacity, market cap and target of the solved LP."""
    unit = model.facts.money_unit
    marginals = []
    for source in model.FUNDING_SOURCES:
        row = model.con_source_amount[source] if source in model.con_source_amount else None
        if row is not None and row.active:
            amount = data.funding[source].amount
            marginals.append(Marginal("amount", (source,), _slope(model, row, amount / unit),
                                      _slack(row) * unit, _room(model, row, amount / unit) * unit))
    for source, period in model.BUDGET_INDEX:
        row = model.con_period_budget[source, period]
        budget = data.funding[source].budgets[period]
        marginals.append(Marginal("budget", (source, period), _slope(model, row, budget / unit),
                                  _slack(row) * unit, _room(model, row, budget / unit) * unit))
    for slot in model.CAPACITY_SLOTS:
        row = model.con_capacity[slot]
        capacity = data.offers[slot[:2]].max_per_period
        marginals.append(Marginal("capacity", slot, _slope(model, row, capacity) * unit, _slack(row),
                                  _room(model, row, capacity)))
    for slot, row in conversion_capacity_rows(model):
        capacity = data.conversions[slot[0]].max_per_period
        marginals.append(Marginal("conversion", slot, _slope(model, row, capacity) * unit, _slack(row),
                                  _room(model, row, capacity)))
    for mineral, period in model.MARKET_INDEX:
        row = model.con_market_share[mineral, period]
        cap = data.market_cap(mineral)
        marginals.append(Marginal("market", (mineral, period), _slope(model, row, cap) * unit, _slack(row),
                                  _room(model, row, cap)))
    marginals += _target_marginals(model, data)
    return marginals


def _target_marginals(model, data: PlanningData) -> list[Marginal]:
    """Per (mineral, period): the sum over scenario classes of the target rows' slopes."""
    by_target: dict[tuple[str, int], list[float]] = {}
    for scenario, mineral, period in model.SHORTFALL_INDEX:
        row = model.con_target[scenario, mineral, period]
        target = data.targets[mineral, period]
        by_target.setdefault((mineral, period), []).append(_slope(model, row, target) * model.facts.money_unit)
    return [Marginal("target", key, sum(values), 0.0) for key, values in sorted(by_target.items())]


def _slope(model, row, parameter: float) -> float:
    """d objective / d parameter for a row whose only constant term is ``parameter``.

    The solver's dual y is d objective / d (the row's active bound), where the
    bound is stated after moving the body's constant across: bound - constant.
    That effective bound is +parameter or -parameter, so the slope is
    y * (effective bound / parameter).
    """
    dual = model.dual.get(row, 0.0) or 0.0
    if abs(parameter) < _ZERO:
        return 0.0
    constant = generate_standard_repn(row.body, compute_values=True).constant
    bound = row.upper if row.has_ub() else row.lower
    return dual * (pyo.value(bound) - constant) / parameter


def _room(model, row, parameter: float) -> float:
    """How much ``parameter`` (the row's only constant, as in ``_slope``) may grow before the LP's optimal
    basis changes, and with it the row's slope: from HiGHS's ranging of the row's bound (``bound_range``,
    optimizer/solving/highs.py). The effective bound is ratio x parameter, ratio = +-1 or a scale: growing the
    parameter moves it up (ratio > 0) or down (ratio < 0). NaN when not ranged.

        room = (highest bound - bound) / ratio    (ratio > 0)
        room = (lowest bound - bound) / ratio     (ratio < 0)
    """
    ranges = getattr(model, "bound_range", None)
    if not ranges or row not in ranges or abs(parameter) < _ZERO:
        return float("nan")
    constant = generate_standard_repn(row.body, compute_values=True).constant
    bound = pyo.value(row.upper if row.has_ub() else row.lower) - constant
    ratio = bound / parameter
    if abs(ratio) < _ZERO:
        return float("nan")
    lowest, highest = ranges[row]
    return max(0.0, ((highest if ratio > 0 else lowest) - bound) / ratio)


def _slack(row) -> float:
    """How far the row's body is from its bound (>= 0 for a feasible plan)."""
    body = pyo.value(row.body)
    if row.has_ub():
        return max(0.0, pyo.value(row.upper) - body)
    return max(0.0, body - pyo.value(row.lower))


# --- shortfall explanations ---------------------------------------------------------------


def expected_shortfall(model: pyo.ConcreteModel, mineral: str) -> float:
    """sum over k, t of pi[k] * (u[k,m,t] + e[k,m,t]) for one mineral: expected units short, summed over periods."""
    total = 0.0
    for index in model.UNMET_INDEX:
        if index[1] == mineral:
            total += model.facts.probability[index[:2]] * max(0.0, pyo.value(model.Unmet[index]))
    for index in model.SHORTFALL_INDEX:
        if index[1] == mineral:
            total += model.facts.probability[index[:2]] * max(0.0, pyo.value(model.Shortfall[index]))
    return total


def recourse_sensitivity_model(model: pyo.ConcreteModel, data: PlanningData, orders: pd.DataFrame,
                               builds: dict[str, int] | None = None, contracts: pd.DataFrame | None = None,
                               deliveries: pd.DataFrame | None = None,
                               sales: pd.DataFrame | None = None,
                               conversions: pd.DataFrame | None = None) -> pyo.ConcreteModel:
    """Turn a freshly built model with recourse (models/recourse.py) into the plan's LP: each scenario's copy
    with its binaries fixed at the orders that hold in it (the shared rows and its own) and at the plan's deals
    (``builds``, ``contracts`` with their ``deliveries``, ``sales``: the same in every copy,
    models/recourse_deals.py; ``conversions``: the plan's, the shared rows and each scenario's own) and
    its capacities restated, as ``sensitivity_model`` does for a model without recourse. The rows tying the
    copies' deal columns that are now fixed alike in both are dropped (nothing left to tie)."""
    from models.recourse import scenario_alone

    for scenario in model.RECOURSE_SCENARIOS:
        own = orders[orders["scenario"].isin(("", scenario))].drop(columns="scenario")
        alone = scenario_alone(data, scenario)
        copy = model.Scenario[scenario]
        converted = None if conversions is None or "scenario" not in conversions else conversions[
            conversions["scenario"].isin(("", scenario))]
        fix_binaries(copy, alone, own, builds, contracts, deliveries, sales, converted)
        restate_capacity(copy, alone)
        restate_conversion_capacity(copy, alone)
    for row in (model.con_shared_deal.values() if model.component("con_shared_deal") is not None else ()):
        if all(var.fixed for var in identify_variables(row.body)):
            row.deactivate()
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return model


def read_recourse_marginals(model: pyo.ConcreteModel, data: PlanningData) -> list[Marginal]:
    """The marginal value of every limit of the solved LP of a model with recourse. A limit holds once in
    every scenario's copy, so one more unit of it is one more in each: its value is the sum over the copies
    of their rows' values (each already weighted by pi[k] in the expected objective), each in the model's
    money unit (a copy's row values are read in its own unit: times money_unit / the copy's money_unit);
    its slack is the least over the copies, its room the least over the copies where it binds (_least_room)."""
    from models.recourse import scenario_alone

    by_limit: dict[tuple, list[Marginal]] = {}
    for scenario in model.RECOURSE_SCENARIOS:
        copy = model.Scenario[scenario]
        copy.dual = pyo.Suffix(direction=pyo.Suffix.LOCAL)
        for row in copy.component_data_objects(pyo.Constraint, active=True):
            if row in model.dual:
                copy.dual[row] = model.dual[row]
        copy.bound_range = getattr(model, "bound_range", None)
        scale = model.money_unit / copy.facts.money_unit
        for marginal in read_marginals(copy, scenario_alone(data, scenario)):
            by_limit.setdefault((marginal.kind, tuple(marginal.key)), []).append(
                Marginal(marginal.kind, marginal.key, marginal.value * scale, marginal.slack, marginal.room))
    return [Marginal(kind, found[0].key, sum(m.value for m in found), min(m.slack for m in found),
                     _least_room(found)) for (kind, _), found in by_limit.items()]


def _least_room(found: list[Marginal]) -> float | None:
    """The room of a limit over the copies: the least of the copies where it binds (a copy with slack keeps
    its basis as the limit grows), of all when it binds in none; NaN when one is not measured."""
    binding = [m for m in found if m.slack <= _ZERO * max(1.0, abs(m.room or 0.0))] or found
    rooms = [m.room for m in binding]
    if any(room is None for room in rooms):
        return None
    return float("nan") if any(room != room for room in rooms) else min(rooms)


def recourse_expected_shortfall(model: pyo.ConcreteModel, data: PlanningData, mineral: str) -> float:
    """``expected_shortfall`` of a solved model with recourse: sum over k of pi[k] x the shortfall of scenario
    k's copy (each copy at probability 1, its stock set to the serve-first simulation of its orders)."""
    from models.recourse import scenario_alone

    total = 0.0
    for k in data.all_scenarios:
        copy = model.Scenario[k.name]
        apply_serve_first(copy, scenario_alone(data, k.name))
        total += k.probability * expected_shortfall(copy, mineral)
    return total
