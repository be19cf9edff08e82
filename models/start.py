"""Starting plans for the solver: a known feasible point, so a time limit always leaves a plan.

``commitments_only_start`` is the plan that orders nothing but the
commitments (model.md: without commitments it always meets every
constraint). Funding is assigned greedily and stock simulated per scenario;
when that simple plan breaks a limit, no start is given and the solver
searches on its own.

``start_from_orders`` starts a re-solve from the previous plan's orders
(fitted to the new data's order slots). When that plan meets every limit the
start is complete; otherwise only its decisions are given (orders, order and
tier binaries, supplier use) and HiGHS completes the rest itself.

``start_from_solved`` starts the model of one scenario alone from the solved plan of
the whole workbook (``solved_values``): every column, no search to complete it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyomo.core as pyo
from pyomo.common.collections import ComponentMap
from pyomo.repn import generate_standard_repn

from models.ordering import TIER_GAP
from models.projects import capex_payments, start_builds
from models.conversions import conversion_variables
from models.dilution import diluting_orders
from models.release import serve_first_stock, stock_values
from models.sales import start_funds_left
from optimizer.contract.data import PlanningData, Slot

Start = ComponentMap  # VarData -> value


def commitments_only_start(model: pyo.ConcreteModel, data: PlanningData) -> Start | None:
    """A starting plan that places only the commitments, or None when they alone break a limit."""
    return _full_start(model, data, dict(data.commitments))


def commitments_only_plan(model: pyo.ConcreteModel, data: PlanningData) -> Start | None:
    """Every variable of the plan that places the commitments and, where they alone break a share or risk cap
    of their mineral (one committed offer is all of its mineral's orders), the orders that dilute them back
    within it (models/dilution.py); None when it breaks a funding limit or max_stock (without the diluting
    orders when only they break one). A cap the orders cannot mend (or a market cap) stays broken: those caps
    are rows of one mineral each, so the plan still holds for every other mineral. The block start of the
    largest models (optimizer/solving/decompose.py) takes a mineral's part of it where its MIP finds no plan
    in time, after checking that mineral's own rows."""
    commitments = dict(data.commitments)
    added = {slot: _snap_to_tier(model, slot, quantity)
             for slot, quantity in diluting_orders(model, data, commitments).items()}
    diluted = _full_start(model, data, {**commitments, **added}, mix_checked=False) if added else None
    return diluted or _full_start(model, data, commitments, mix_checked=False)


def start_from_orders(model: pyo.ConcreteModel, data: PlanningData, orders: dict[Slot, float]) -> Start:
    """The previous plan's ``orders`` ((supplier, mineral, period) -> quantity) as a starting solution.

    Complete (funding, stock, mix totals) when those orders meet every limit of
    ``data``; otherwise only the decisions, for HiGHS to complete.
    """
    fitted = fit_orders(model, data, orders)
    return _full_start(model, data, fitted) or _decisions(model, data, fitted)


@dataclass(frozen=True)
class SolvedValues:
    """A solved model's values, (component name, index) -> value, with its ``facts.stock_scenario``: the
    scenario whose stock, unmet demand, shortfall and release variables each (scenario, mineral) shares."""

    values: dict[tuple[str, object], float]
    stock_scenario: dict[tuple[str, str], str]


def solved_values(model: pyo.ConcreteModel) -> SolvedValues:
    """The values of every variable of the solved ``model`` that has one (``start_from_solved``)."""
    values = {(var.parent_component().local_name, var.index()): var.value
              for var in model.component_data_objects(pyo.Var) if var.value is not None}
    return SolvedValues(values, dict(model.facts.stock_scenario))


def start_from_solved(model: pyo.ConcreteModel, solved: SolvedValues) -> Start:
    """The plan of ``solved`` as a start of ``model``, the same workbook with one scenario k alone
    (models/recourse.py ``scenario_alone``): a variable takes the value of the variable of the same name and
    index, a per-scenario one x[k, m, ...] that of x[r, m, ...] where r is the scenario whose stock k shares on
    mineral m in the solved model (``stock_scenario``: k's losses and demand of m are r's). Variables the
    solved model lacks start at 0.

    It meets every row of ``model`` when ``solved`` met every row of its own, a model without recourse: the
    first-stage rows (orders, tiers, funding, contracts, projects, sales, conversions, mix and market caps) are
    the same rows over the same columns in both models, and k's rows alone (stock balance, targets, release)
    are the rows of r's class in the solved model (models/inventory.py ``scenario_classes``: the same data),
    over the columns mapped to. What ``model`` lacks (the other scenarios, a CVaR term, a change cost:
    scenario_alone drops them) has no row in it. Only the objective differs (probability 1 on k). So HiGHS
    begins with an incumbent: the plan's cost in k.
    """
    start = ComponentMap()
    for var in model.component_data_objects(pyo.Var):
        key = (var.parent_component().local_name, var.index())
        index = key[1]
        if key not in solved.values and isinstance(index, tuple) and index[:2] in solved.stock_scenario:
            key = (key[0], (solved.stock_scenario[index[:2]],) + index[1:])
        start[var] = solved.values.get(key, 0.0)
    return start


# A previous plan's start pays off on models HiGHS's own root heuristics struggle with. Measured with
# scripts/benchmark_resolve.py (docs/performance.md, Re-solves): on a generated M workbook (4,737
# binaries) it made re-solves about 10 times faster; on the shipped example (about 400 binaries) 1.0 to
# 1.9 times slower, the root's own heuristics being quicker. Smaller models start as a first run does.
WARM_START_MIN_BINARIES = 1000


def replan_start(model: pyo.ConcreteModel, data: PlanningData, orders: dict[Slot, float]) -> Start | None:
    """The start of a re-plan: the previous plan's ``orders`` for a large model, else commitments only."""
    binaries = len(model.IsOrdered) + len(model.InTier) + len(model.UsesSupplier)
    if binaries < WARM_START_MIN_BINARIES:
        return commitments_only_start(model, data)
    return start_from_orders(model, data, orders)


def fit_orders(model: pyo.ConcreteModel, data: PlanningData, orders: dict[Slot, float]) -> dict[Slot, float]:
    """``orders`` that still have an order slot, within the slot's bounds; commitments as committed."""
    fitted = {}
    for slot, quantity in orders.items():
        if slot not in model.facts.order_upper or quantity <= 0:
            continue
        offer = data.offers[slot[:2]]
        fitted[slot] = _snap_to_tier(model, slot, min(max(quantity, offer.min_order), model.facts.order_upper[slot]))
    fitted.update(data.commitments)
    return fitted


def _snap_to_tier(model, slot, quantity: float) -> float:
    """A quantity just short of a discount threshold (read back from a workbook) lies in no price
    segment (models/ordering.py TIER_GAP): it is raised to the threshold."""
    for segment in model.facts.price_segments[slot][1:]:
        if segment.lower * (1 - 2 * TIER_GAP) <= quantity < segment.lower <= model.facts.order_upper[slot]:
            return segment.lower
    return quantity


def _decisions(model, data: PlanningData, orders: dict[Slot, float]) -> Start:
    """Order quantities and every binary: a partial start that pins down the plan's decisions."""
    start = ComponentMap()
    for slot in model.ORDER_SLOTS:
        quantity = orders.get(slot, 0.0)
        start[model.Order[slot]] = quantity
        start[model.IsOrdered[slot]] = 1.0 if slot in orders else 0.0
        _start_segment(model, slot, quantity, start)
    used = {s for s, _, _ in orders}
    for supplier in model.SUPPLIERS_USED:
        start[model.UsesSupplier[supplier]] = 1.0 if supplier in used else 0.0
    builds = start_builds(data, orders)  # the projects these orders need, built as early as they can be
    for project, period in model.BUILD_SLOTS:
        start[model.Build[project, period]] = 1.0 if builds.get(project) == period else 0.0
    contract_decisions(model, data, start)
    for var in conversion_variables(model):  # a start from orders alone converts nothing
        start[var] = 0.0
    return start


def contract_decisions(model, data: PlanningData, start: Start) -> None:
    """Contracts in a start: only the signed ones signed, nothing taken, each signed minimum paid as take-or-pay.
    Their payments are left to HiGHS (with contracts every start is partial, models/contracts.py)."""
    for name, contract in data.contracts.items():
        start[model.Signed[name]] = 1.0 if contract.signed else 0.0
        if name in model.TAKE_OR_PAY:
            start[model.UnderMinimum[name]] = 1.0 if contract.signed else 0.0
            start[model.Untaken[name]] = contract.min_quantity if contract.signed else 0.0
    for slot in model.DELIVERY_SLOTS:
        start[model.Delivery[slot]] = 0.0


def _full_start(model, data: PlanningData, orders: dict[Slot, float], mix_checked: bool = True) -> Start | None:
    """Every variable of the plan that places ``orders``, or None when that plan breaks a limit (the share,
    risk and market caps only when ``mix_checked``)."""
    start = _decisions(model, data, orders)
    if not _start_funding(model, data, start, orders):
        return None
    start_funds_left(model, data, start)  # money left of sources receiving revenue (models/sales.py)
    if not _start_stock(model, data, start, orders):
        return None
    _start_totals(model, start, orders)
    if mix_checked and not _start_mix_holds(model, data, start):
        return None
    _start_changes(model, start)
    return start


def _start_totals(model, start: Start, orders: dict[Slot, float]) -> None:
    """X[o] and each mineral's total, where the mix caps made them variables (models/mix_and_risk.py)."""
    offer_total = defaultdict(float)
    for slot, quantity in orders.items():
        offer_total[slot[:2]] += quantity
    mineral_total = defaultdict(float)
    for offer in model.CAPPED_OFFERS:
        start[model.OfferTotal[offer]] = offer_total[offer]
        mineral_total[offer[1]] += offer_total[offer]
    for mineral in model.CAPPED_MINERALS:
        start[model.MineralTotal[mineral]] = mineral_total[mineral]


def _start_mix_holds(model, data: PlanningData, start: Start) -> bool:
    """Whether the start's totals meet every share, risk and market cap (commitments alone can break a
    supplier share: one committed offer is all of its mineral's orders; or a market cap). Each cap row is
    checked as stated, with the start's values, to a relative tolerance of 1e-9."""
    for name in ("con_country_share", "con_supplier_share", "con_average_risk", "con_market_share"):
        for row in model.component(name).values():
            body = _start_value(row.body, start)
            if body > pyo.value(row.upper) + 1e-9 * max(1.0, abs(body)):
                return False
    return True


def _start_value(expression, start: Start) -> float:
    """A linear expression's value at the start (variables the start does not give count 0)."""
    repn = generate_standard_repn(expression)
    return repn.constant + sum(coefficient * start.get(var, 0.0)
                               for coefficient, var in zip(repn.linear_coefs, repn.linear_vars))


def _start_changes(model, start: Start) -> None:
    """Change against the previous plan (models/stability.py), when the model prices it."""
    if model.component("ChangeUp") is None:
        return
    for slot in model.CHANGE_SLOTS:
        quantity = start[model.Order[slot]] if slot in model.Order else 0.0
        change = quantity - model.facts.previous_order(slot)
        start[model.ChangeUp[slot]] = max(0.0, change)
        start[model.ChangeDown[slot]] = max(0.0, -change)


def _start_segment(model, slot, quantity: float, start: Start) -> None:
    segments = model.facts.price_segments[slot]
    if len(segments) == 1:
        return
    placed = slot in model.TIERED_SLOTS and quantity > 0
    chosen = max((j for j, s in enumerate(segments) if s.lower <= quantity), default=0)
    for j, segment in enumerate(segments):
        inside = placed and j == chosen
        start[model.InTier[slot + (j,)]] = 1.0 if inside else 0.0
        start[model.TierQuantity[slot + (j,)]] = quantity if inside else 0.0


def _discount_for_quantity(model, slot, quantity: float) -> float:
    """The discount of the price segment ``_start_segment`` puts an order of ``quantity`` in."""
    segments = model.facts.price_segments[slot]
    return max((s for s in segments if s.lower <= quantity), key=lambda s: s.lower, default=segments[0]).discount


def _start_funding(model, data: PlanningData, start: Start, orders: dict[Slot, float]) -> bool:
    """Pay the capex of the projects the orders need (models/projects.py start_builds), then each order,
    from their eligible sources in order, within amounts and budgets."""
    unit = model.facts.money_unit
    left = {f: source.amount / unit for f, source in data.funding.items()}
    left_in_period = defaultdict(lambda: float("inf"))
    for f, source in data.funding.items():
        for period, budget in source.budgets.items():
            left_in_period[f, period] = budget / unit

    def pay(due: float, payers: list, period: int) -> bool:
        """Pay ``due`` from ``payers`` ((source, variable) in order); whether it is paid in full."""
        for f, var in payers:
            paid = min(due, left[f], left_in_period[f, period])
            if paid <= 0:
                continue
            start[var] = paid
            left[f] -= paid
            left_in_period[f, period] -= paid
            due -= paid
        return due <= 1e-9

    capex_payers = defaultdict(list)
    for f, project, period in model.CAPEX_SLOTS:
        capex_payers[project, period].append((f, model.CapexSpend[f, project, period]))
        start[model.CapexSpend[f, project, period]] = 0.0
    for (project, period), due in capex_payments(data, start_builds(data, orders)).items():
        if not pay(due / unit, capex_payers[project, period], period):
            return False
    sources_of = defaultdict(list)
    for index in model.FUNDING_SLOTS:
        sources_of[index[1:]].append((index[0], model.Spend[index]))
        start[model.Spend[index]] = 0.0
    for slot, quantity in orders.items():
        discount = _discount_for_quantity(model, slot, quantity)
        due = (data.unit_price(slot, discount) * quantity + data.offers[slot[:2]].order_cost) / unit
        if not pay(due, sources_of.get(slot, []), slot[2]):
            return False
    return True


def _start_stock(model, data: PlanningData, start: Start, orders: dict[Slot, float]) -> bool:
    """Stock, unmet demand, shortfall and w per scenario when ``orders`` and the pipeline arrive, demand
    served first (models/release.py); False when that stock breaks max_stock."""
    simulated = serve_first_stock(model, data, orders, sold={})  # a start sells nothing (models/sales.py)
    for var in model.Sold.values():
        start[var] = 0.0
    for (_, mineral, _), (stock, _) in simulated.items():
        max_stock = data.minerals[mineral].max_stock
        if max_stock is not None and stock > max_stock:
            return False
    start.update(stock_values(model, data, simulated))  # one map into the other at once (at XL 100,000 values)
    return True
