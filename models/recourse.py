"""Recourse (Settings.recourse: yes; issue 15, point 2): orders may differ by scenario once it is known.

The scenario tree comes from the data. A scenario's data in a period are each country's supply_loss
and each ScenarioPrices factor of orders placed then. What is known in period t if scenario k happens
is its data in periods 1..t once k is known (from known_from[k], default 1), and base's data (none)
before. Orders placed in period t are shared by scenarios whose histories agree in t: two scenarios
share every decision up to the last period in which their data are the same, and known_from may delay
a scenario's branching, never advance it.

The model is one copy of the model of each scenario alone (``scenario_alone``: the workbook with that
scenario at probability 1, its prices; base: no scenario), as sub-blocks ``Scenario[k]`` of one model,
whose orders are the scenario tree's: one order x[o,t,n] and one yes/no y[o,t,n] per node n of period t
(a group of scenarios that cannot be told apart in t), which every member's copy uses as its own:

    minimise  sum over k of pi[k] x (the objective of Scenario[k])
    x[k,o,t] = x[o,t,n(k,t)], y[k,o,t] = y[o,t,n(k,t)]  (non-anticipativity by construction: one column)

A shared order is one column however many scenarios share it, and its min_order and big-M rows are
written once (``_add_node_orders``); the per-scenario form (each copy its own columns, tied by equality
rows, ``by_node=False``) has the same optimum and is kept as the reference the tests compare with.
Each copy keeps every constraint of the contract, so funding amounts, budgets, onboarding, mix and
market caps hold in every scenario, and costs are expected values. The order bounds of each copy are
its own limits (its prices) with every scenario's needs (order_upper_bounds ``hard``), a node's the least
of its members', so a shared order may be as large as the scenario needing most of it. Risk aversion
(cvar_weight) is added on top, cost[k] being the objective of Scenario[k] (models/risk_aversion.py
add_recourse_risk_aversion).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyomo.core as pyo

from models import build_model
from models.conversions import ConversionSlot, conversion_slots
from models.facts import delivering_countries
from models.recourse_deals import add_shared_deals, has_deals
from models.ordering import hard_order_limits, order_upper_bounds
from optimizer.contract.data import BASE, PlanningData, Scenario, Slot
from optimizer.contract.results import COST_TERMS, Plan, SolveResult

YES = "yes"


def with_recourse(data: PlanningData) -> bool:
    """Whether Settings.recourse asks for orders that may differ by scenario."""
    return data.settings.recourse == YES


def scenario_alone(data: PlanningData, scenario: str) -> PlanningData:
    """``data`` with ``scenario`` alone at probability 1 (base: no scenario), risk-neutral, no recourse; its
    own frozen orders (--freeze of a plan with recourse) among its commitments."""
    data = data.with_scenario_commitments(scenario)
    settings = dataclasses.replace(data.settings, cvar_weight=0.0, change_penalty=0.0, recourse="no")
    alone = tuple(dataclasses.replace(k, probability=1.0) for k in data.scenarios if k.name == scenario)
    single = dataclasses.replace(data, scenarios=alone, settings=settings)
    if alone:
        # Base, at probability 0 beside it, would only add stock variables that weigh nothing: the
        # scenario is the workbook's only one (all_scenarios is a cached property of the frozen data).
        single.__dict__["all_scenarios"] = alone
    return single


def period_data(data: PlanningData, scenario: Scenario, period: int) -> tuple:
    """The scenario's data in ``period``: its losses and the price factors of orders placed then."""
    losses = tuple(sorted({(d.country, scenario.loss(d.country, period)) for d in scenario.disruptions
                           if d.first_period <= period <= d.last_period and d.supply_loss > 0}))
    prices = tuple(sorted((row.mineral or "", row.country or "", row.factor) for row in data.scenario_prices
                          if row.scenario == scenario.name and row.first_period <= period <= row.last_period))
    return losses + prices


def history(data: PlanningData, scenario: Scenario, period: int) -> tuple:
    """What is known in ``period`` if ``scenario`` happens: its data in periods 1..period once it is known
    (from known_from, default 1), else base's (none)."""
    if period < (scenario.known_from or 1):
        return tuple(() for _ in range(period))
    return tuple(period_data(data, scenario, t) for t in range(1, period + 1))


def information_groups(data: PlanningData) -> dict[int, list[tuple[str, ...]]]:
    """period t -> the groups of scenario names whose orders placed in t are shared: those whose histories
    agree (each group's first member, in the order of data.all_scenarios, is its representative)."""
    groups: dict[int, list[tuple[str, ...]]] = {}
    for period in data.periods:
        by_history: dict[tuple, list[str]] = {}
        for k in data.all_scenarios:
            by_history.setdefault(history(data, k, period), []).append(k.name)
        groups[period] = [tuple(names) for names in by_history.values()]
    return groups


def representative(data: PlanningData) -> dict[tuple[str, int], str]:
    """(scenario, period) -> the scenario whose order of that period it shares (itself when it leads its group).

    In a frozen period (--freeze of a plan with recourse) each scenario is its own: its orders there are its
    own commitments, decided, so they are not shared even where the scenarios cannot be told apart."""
    return {(name, period): name if period <= data.frozen_periods else group[0]
            for period, period_groups in information_groups(data).items()
            for group in period_groups for name in group}


def build_recourse_model(data: PlanningData, by_node: bool = True,
                         previous_orders: dict[Slot, float] | None = None) -> pyo.ConcreteModel:
    """One copy of each scenario's model, linked by non-anticipativity; expected cost minimised.

    ``by_node`` (the default): the copies' orders are one pair of variables per node of the scenario tree
    (``_add_node_orders``), their conversions one q per node (``_add_node_conversions``); otherwise each copy
    has its own, tied by equality rows (``_add_non_anticipativity``: the same optimum, a larger model, kept as
    the reference the node form is tested against).
    Each copy counts money in its own unit (models/scaling.py): its objective enters scaled to the first's.
    ``previous_orders`` (a change penalty's: the most any scenario held, models/stability.py
    highest_previous_orders) raise the order bounds as they do without recourse (order_upper_bounds).
    """
    model = pyo.ConcreteModel(name="critical_minerals_procurement_with_recourse")
    names = [k.name for k in data.all_scenarios]
    model.RECOURSE_SCENARIOS = pyo.Set(initialize=names, ordered=True)
    model.Scenario = pyo.Block(model.RECOURSE_SCENARIOS)
    alone = {name: scenario_alone(data, name) for name in names}
    upper = {name: order_upper_bounds(data, previous_orders, hard=hard_order_limits(alone[name])) for name in names}
    node_orders = _add_node_orders(model, data, upper) if by_node else {}
    node_conversions = _add_node_conversions(model, data) if by_node else {}
    unit = None
    objective = 0.0
    for k in data.all_scenarios:
        copy = build_model(alone[k.name], order_upper=upper[k.name], node_orders=node_orders.get(k.name),
                           node_conversions=node_conversions.get(k.name))
        copy.objective.deactivate()
        unit = unit or copy.facts.money_unit
        objective += k.probability * copy.facts.money_unit / unit * copy.objective.expr
        model.Scenario[k.name].transfer_attributes_from(copy)
    model.money_unit = unit
    model.objective = pyo.Objective(expr=objective, sense=pyo.minimize)
    add_shared_deals(model, data)  # Projects and Contracts: first-stage in every copy (models/recourse_deals.py)
    if not by_node:
        _add_non_anticipativity(model, data)
    else:  # read by the block start only (models/blocks.py twin_of): the model itself is unchanged
        model.block_twins = block_twins(data)
    return model


@dataclasses.dataclass(frozen=True)
class BlockTwins:
    """Which columns of a mineral's block may share one column in the block start (models/blocks.py twin_of).

    ``copies``: (scenario, mineral) -> the scenario whose copy of that mineral it takes (the first of the
    scenarios with the same data on the mineral, mineral_data); ``nodes``: (mineral, period, node) -> the
    node whose order of that mineral it takes (every member's copy takes the same scenario's, whose
    node in that period it is)."""

    copies: dict[tuple[str, str], str]
    nodes: dict[tuple[str, int, str], str]


def mineral_data(data: PlanningData, scenario: Scenario, mineral: str, countries: dict[str, set[str]]) -> tuple:
    """Everything in ``scenario`` that bears on ``mineral`` alone: the losses of the countries delivering it
    (``countries``: models/facts.py delivering_countries), the price factors of its orders, its ScenarioDemand
    rows and their shortfall_penalty; with known_from when any (empty: the mineral is as in base)."""
    losses = tuple((c, t, scenario.loss(c, t)) for c in sorted(countries.get(mineral, ())) for t in data.periods
                   if scenario.loss(c, t) > 0)
    prices = tuple(sorted((row.country or "", row.first_period, row.last_period, row.factor)
                          for row in data.scenario_prices
                          if row.scenario == scenario.name and row.mineral in (None, mineral)))
    demand = tuple(sorted((t, q, data.scenario_penalty.get((k, m, t))) for (k, m, t), q in data.scenario_demand.items()
                          if k == scenario.name and m == mineral))
    datum = losses + prices + demand
    return (datum, scenario.known_from) if datum else ()


def block_twins(data: PlanningData) -> BlockTwins:
    """The columns each mineral's block may share in the block start: scenarios whose data on a mineral are
    the same (most scenarios touch a few minerals) plan it alike there, one copy instead of several.

    A restriction of the block, never of the model: the block's plan then meets every row of every copy
    (the shared column's value is given to each), and the full search that follows keeps every column
    free, so the optimum is unchanged. Scenarios alike on a mineral differ there only through what links
    the minerals (each scenario's funding): the block's share of each scenario's funding row still holds.
    None with frozen periods (each scenario's frozen orders are its own commitments)."""
    if data.frozen_periods > 0:
        return BlockTwins({}, {})
    countries = delivering_countries(data, [(s, m, None) for s, m in data.offers])  # every offer, any period
    copies: dict[tuple[str, str], str] = {}
    for mineral in data.minerals:
        first: dict[tuple, str] = {}
        for k in data.all_scenarios:
            leader = first.setdefault(mineral_data(data, k, mineral, countries), k.name)
            if leader != k.name:
                copies[k.name, mineral] = leader
    leader = representative(data)
    nodes: dict[tuple[str, int, str], str] = {}
    for period, groups in information_groups(data).items():
        for group in groups:
            for mineral in data.minerals:
                taken = {leader[copies.get((name, mineral), name), period] for name in group}
                if len(taken) == 1 and (node := taken.pop()) != group[0]:
                    nodes[mineral, period, group[0]] = node
    return BlockTwins(copies, nodes)


def _add_node_orders(model: pyo.ConcreteModel, data: PlanningData,
                     upper: dict[str, dict[Slot, float]]) -> dict[str, dict[Slot, tuple]]:
    """One order x[o,t,n] and one yes/no y[o,t,n] per node n of the scenario tree in period t (a group of
    information_groups, named after its first member); scenario -> slot -> its node's (x, y).

    Orders placed before a scenario is told apart are its group's by construction: x[k,o,t] = x[n(k,t),o,t]
    is no row but the same column. The node's bound is the least of its members' (each copy's
    order_upper: its prices, every scenario's needs), 0 when a member has no such slot (it cannot order
    there), as the equality rows would make it.
    """
    leader = representative(data)
    bound: dict[tuple, float] = {}
    for name, slots in upper.items():
        for slot in slots:
            node = node_of(leader, name, slot)
            bound[node] = min(bound.get(node, float("inf")), slots[slot])
    for node in bound:  # a member without the slot holds the node's order at 0
        members = [name for name in upper if leader[name, node[2]] == node[3]]
        if any(node[:3] not in upper[name] for name in members):
            bound[node] = 0.0
    model.ORDER_NODES = pyo.Set(dimen=4, initialize=sorted(bound), ordered=True)
    model.NodeOrder = pyo.Var(model.ORDER_NODES, within=pyo.NonNegativeReals, bounds=lambda m, *node: (0, bound[node]))
    model.NodeIsOrdered = pyo.Var(model.ORDER_NODES, within=pyo.Binary)

    def con_node_min_order(m, supplier, mineral, period, node):
        """An order that is placed is at least min_order: x[o,t,n] >= min_order * y[o,t,n] (once per node,
        not once per scenario sharing it)."""
        min_order = data.offers[supplier, mineral].min_order
        if min_order <= 0:
            return pyo.Constraint.Skip
        return m.NodeOrder[supplier, mineral, period, node] >= min_order * m.NodeIsOrdered[supplier, mineral, period, node]

    def con_node_max_order(m, *node):
        """Nothing is ordered unless an order is placed: x[o,t,n] <= U[o,t,n] * y[o,t,n], U the node's bound
        (discounted offers' segments say it again in each scenario: models/ordering.py con_tier_upper)."""
        return m.NodeOrder[node] <= bound[node] * m.NodeIsOrdered[node]

    model.con_node_min_order = pyo.Constraint(model.ORDER_NODES, rule=con_node_min_order)
    model.con_node_max_order = pyo.Constraint(model.ORDER_NODES, rule=con_node_max_order)
    return {name: {slot: (model.NodeOrder[node_of(leader, name, slot)], model.NodeIsOrdered[node_of(leader, name, slot)])
                   for slot in slots} for name, slots in upper.items()}


def node_of(leader: dict[tuple[str, int], str], scenario: str, slot: tuple) -> tuple:
    """The scenario-tree node of ``scenario``'s decision in ``slot`` (an order's or a conversion's, its period
    last): the slot and the representative of the scenario's group in that period (``leader``: representative)."""
    return slot + (leader[scenario, slot[-1]],)


def _add_node_conversions(model: pyo.ConcreteModel, data: PlanningData) -> dict[str, dict[ConversionSlot, object]]:
    """One conversion q[c,t,n] per node n of the scenario tree in period t, as the orders' (``_add_node_orders``);
    scenario -> (conversion, period) -> its node's q (none without conversions).

    A conversion started before a scenario is told apart is its group's: q[k,c,t] = q[c,t,n(k,t)], the same
    column. Each member's copy lowers the node's bound to its own (models/conversions.py add_conversions),
    so the node's is the least of its members', as the equality rows would make it.
    """
    slots = conversion_slots(data)
    if not slots:
        return {}
    leader = representative(data)
    names = [k.name for k in data.all_scenarios]
    model.CONVERSION_NODES = pyo.Set(dimen=3, ordered=True,
                                     initialize=sorted({node_of(leader, name, slot) for name in names for slot in slots}))
    model.NodeConvert = pyo.Var(model.CONVERSION_NODES, within=pyo.NonNegativeReals)
    return {name: {slot: model.NodeConvert[node_of(leader, name, slot)] for slot in slots} for name in names}


def _add_non_anticipativity(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Each copy's orders and conversions of a period tied by equality rows to its group's representative's
    (the reference form of the node columns; a frozen period's orders are each scenario's commitments: its own)."""
    leader = representative(data)
    model.SHARED_ORDERS = pyo.Set(dimen=4, ordered=True, initialize=_tied_slots(model, data, leader, "ORDER_SLOTS"))
    model.SHARED_CONVERSIONS = pyo.Set(dimen=3, ordered=True,
                                       initialize=_tied_slots(model, data, leader, "CONVERSION_SLOTS"))

    def con_shared_order(m, scenario, supplier, mineral, period):
        """Orders placed before the scenario is told apart are its group's: x[k,o,t] = x[r,o,t]."""
        return _tie(model, leader, "Order", "ORDER_SLOTS", scenario, (supplier, mineral, period))

    def con_shared_placing(m, scenario, supplier, mineral, period):
        """Placing an order before the scenario is told apart is its group's: y[k,o,t] = y[r,o,t]."""
        return _tie(model, leader, "IsOrdered", "ORDER_SLOTS", scenario, (supplier, mineral, period))

    def con_shared_conversion(m, scenario, conversion, period):
        """Conversions started before the scenario is told apart are its group's: q[k,c,t] = q[r,c,t]."""
        return _tie(model, leader, "Convert", "CONVERSION_SLOTS", scenario, (conversion, period))

    model.con_shared_order = pyo.Constraint(model.SHARED_ORDERS, rule=_skip_trivial(con_shared_order))
    model.con_shared_placing = pyo.Constraint(model.SHARED_ORDERS, rule=_skip_trivial(con_shared_placing))
    model.con_shared_conversion = pyo.Constraint(model.SHARED_CONVERSIONS, rule=_skip_trivial(con_shared_conversion))


def _tied_slots(model: pyo.ConcreteModel, data: PlanningData, leader: dict, slot_set: str) -> list[tuple]:
    """(scenario, *slot) of every slot of the copies' ``slot_set`` (the period last) whose decision a scenario
    takes from another (its group's representative)."""
    slots = sorted({slot for k in data.all_scenarios for slot in getattr(model.Scenario[k.name], slot_set, ())})
    return [(k.name,) + slot for k in data.all_scenarios for slot in slots if leader[k.name, slot[-1]] != k.name]


def _tie(model: pyo.ConcreteModel, leader: dict, variable: str, slot_set: str, scenario: str, slot: tuple):
    """``variable`` of ``slot`` in the scenario's copy == in its representative's; 0 where a copy has no such slot."""
    def decision(name: str):
        block = model.Scenario[name]
        return getattr(block, variable)[slot] if slot in getattr(block, slot_set, ()) else 0.0
    return decision(scenario) == decision(leader[scenario, slot[-1]])


def _skip_trivial(rule):
    """A rule whose two sides are both absent (0 == 0) is skipped."""
    def wrapped(m, *index):
        relation = rule(m, *index)
        return pyo.Constraint.Skip if relation is True else relation
    wrapped.__doc__ = rule.__doc__
    return wrapped


def extract_recourse_plan(model: pyo.ConcreteModel, data: PlanningData, result: SolveResult) -> Plan:
    """The plan of a solved recourse model: each scenario's copy read back (models/results.py extract_plan),
    its orders, funding, conversions and their funding carrying the scenario (blank where every scenario has
    the same row), its own Stock rows, and the expected cost terms (sum over k of pi[k] x the copy's)."""
    from models.results import extract_plan, model_size

    plans = {}
    for k in data.all_scenarios:
        alone = scenario_alone(data, k.name)
        plans[k.name] = extract_plan(model.Scenario[k.name], alone, SolveResult(result.status, result.termination))
    probability = {k.name: k.probability for k in data.all_scenarios}
    costs = {name: sum(probability[k] * plan.costs.get(name, 0.0) for k, plan in plans.items())
             for name in COST_TERMS}
    orders = _by_scenario({k: plan.orders for k, plan in plans.items()})
    funding = _by_scenario({k: _blank_contract(plan.funding) for k, plan in plans.items()})
    stock = pd.concat([plan.stock[plan.stock["scenario"] == k] for k, plan in plans.items()], ignore_index=True)
    unit = model.money_unit
    solve = dataclasses.replace(result, objective=None if result.objective is None else result.objective * unit,
                                bound=None if result.bound is None else result.bound * unit)
    plan = Plan(solve.status, sum(costs.values()), costs, orders, funding, stock, solve, model_size(model))
    if data.conversions:
        plan = dataclasses.replace(plan, conversions=_by_scenario({k: p.conversions for k, p in plans.items()}),
                                   conversion_funding=_by_scenario({k: p.conversion_funding for k, p in plans.items()}))
    return _with_deals(plan, model, data, plans) if has_deals(data) else plan


def _with_deals(plan: Plan, model: pyo.ConcreteModel, data: PlanningData, plans: dict[str, Plan]) -> Plan:
    """The plan's deals, read back once (every copy holds the same, models/recourse_deals.py): the projects
    decided, the deliveries and contracts at their expected prices over the scenarios, blank in the scenario
    column (shared), the sales made, and the capex payments, which may differ by scenario (a scenario column
    as the funding)."""
    from models.results import contract_tables

    first = data.all_scenarios[0].name
    deliveries, contracts = contract_tables(model.Scenario[first], data)
    capex = _by_scenario({k: p.capex for k, p in plans.items()}) if data.projects else None
    return dataclasses.replace(plan, builds=plans[first].builds, capex=capex, contracts=contracts,
                               deliveries=None if deliveries is None else deliveries.assign(scenario=""),
                               sales=plans[first].sales)


def _blank_contract(funding: pd.DataFrame) -> pd.DataFrame:
    """Funding rows with a blank (None) contract for an order's payment, so alike rows compare equal."""
    if "contract" not in funding:
        return funding
    return funding.astype({"contract": object}).where(funding.notna(), None)


def _by_scenario(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The scenarios' rows in one table with a ``scenario`` column: a row every scenario has alike once,
    blank (a shared order, or its funding), the others once per scenario with its name."""
    rows: dict[tuple, list[str]] = {}
    columns = next(iter(frames.values())).columns
    for scenario, frame in frames.items():
        for row in frame.itertuples(index=False):
            rows.setdefault(tuple(row), []).append(scenario)
    shared = [list(row) + [""] for row, names in rows.items() if len(names) == len(frames)]
    own = [list(row) + [name] for row, names in rows.items() if len(names) < len(frames) for name in names]
    table = pd.DataFrame(shared + own, columns=[*columns, "scenario"])
    return table.sort_values(["scenario", *columns[:1]], kind="stable").reset_index(drop=True)


def expected_value_data(data: PlanningData) -> PlanningData:
    """The expected-value problem: every random datum replaced by its probability-weighted mean, one
    scenario 'average' at probability 1 losing sum over k of pi[k] x loss[k,c,t] of each country's
    arrivals, every order priced at its expected price (PlanningData.expected_list_price: scenario
    factors and floors) and every floored contract's delivery at its expected price (Contract.expected_prices,
    PlanningData.expected_delivery_price); no recourse, risk-neutral."""
    scenarios = data.all_scenarios
    countries = sorted({d.country for k in scenarios for d in k.disruptions})
    disruptions = tuple(
        dataclasses.replace(next(d for k in scenarios for d in k.disruptions if d.country == country),
                            first_period=t, last_period=t, supply_loss=mean)
        for country in countries for t in data.periods
        if (mean := sum(k.probability * k.loss(country, t) for k in scenarios)) > 0)
    offers = {key: dataclasses.replace(offer, floor_price=None, prices={
        t: data.expected_list_price((offer.supplier, offer.mineral, t)) for t in data.periods})
        for key, offer in data.offers.items()}
    contracts = {name: dataclasses.replace(contract, floor_price=None, expected_prices={
        t: data.expected_delivery_price(name, t) for t in data.periods}) if contract.floor_price is not None
        else contract for name, contract in data.contracts.items()}
    settings = dataclasses.replace(data.settings, recourse="no", cvar_weight=0.0, change_penalty=0.0)
    average = (Scenario("average", 1.0, disruptions),) if disruptions else ()
    return dataclasses.replace(data, settings=settings, offers=offers, contracts=contracts, scenarios=average,
                               scenario_prices=())


def shared_periods(data: PlanningData) -> int:
    """N: the periods 1..N whose orders every scenario shares (the first stage)."""
    groups = information_groups(data)
    return next((t - 1 for t in data.periods if len(groups[t]) > 1), data.settings.num_periods)


def with_first_stage(data: PlanningData, orders: dict[Slot, float], builds: dict[str, int] | None = None,
                     deliveries: dict[tuple[str, int], float] | None = None) -> PlanningData:
    """``data`` with the first stage decided: ``orders`` placed in periods 1..N (shared_periods) become
    commitments (priced like any other order, but for agreed prices already committed) and no other
    order is placed then. The deals decided in 1..N (``builds``: project -> decision period; ``deliveries``:
    (contract, period) -> quantity) are carried as a freeze carries them: a project decided then is decided,
    a delivery then is fixed (the later ones are fixed in the model, models/recourse_deals.py fix_deals)."""
    first = shared_periods(data)
    commitments = {slot: q for slot, q in data.commitments.items() if slot[2] > first}
    commitments.update({slot: q for slot, q in orders.items() if slot[2] <= first and q > 0})
    prices = {slot: p for slot, p in data.commitment_prices.items() if slot in commitments}
    projects = {name: dataclasses.replace(spec, decided=True, first_period=d, last_period=d)
                if (d := (builds or {}).get(name)) is not None and d <= first else spec
                for name, spec in data.projects.items()}
    frozen = {slot: q for slot, q in (deliveries or {}).items() if slot[1] <= first and q > 0}
    return dataclasses.replace(data, commitments=commitments, commitment_prices=prices,
                               frozen_periods=max(first, data.frozen_periods), projects=projects,
                               frozen_deliveries={**data.frozen_deliveries, **frozen})


def fix_first_stage_conversions(model: pyo.ConcreteModel, data: PlanningData,
                                converted: dict[ConversionSlot, float]) -> None:
    """Fix every copy's conversions started in periods 1..N (shared_periods of the workbook before its first
    stage was decided) at ``converted`` ((conversion, period) -> input; 0 where none): the expected-value
    plan's first-stage conversions, as with_first_stage fixes its orders (VSS)."""
    first = shared_periods(data)
    for copy in model.Scenario.values():
        for slot in getattr(copy, "CONVERSION_SLOTS", ()):
            if slot[1] <= first:
                copy.Convert[slot].fix(converted.get(slot, 0.0))
