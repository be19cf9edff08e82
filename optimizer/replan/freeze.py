"""Frozen orders (rolling horizon): the previous plan's first periods become commitments.

An order the previous plan placed in one of its first N periods may already be
with the supplier; a re-plan must keep it, never cancel it silently. So
``freeze_orders`` adds those orders to the workbook's Commitments (a new
``PlanningData``), each at the unit price it was placed at, and marks those
periods decided: the model places no other order in them (``frozen_periods``).
When the horizon moved on (a later ``start_date``), periods are shifted: an
order of a period now before the horizon is left out with a warning (record
it in ``Pipeline`` if it has not arrived). A frozen order that no longer fits
its offer (window, lead time, capacity, minimum order, or the offer is gone)
is an input error naming the order, so the analyst decides, rather than a
plan that quietly drops it.

Decisions besides orders (``carry_decisions``, from the previous plan's Projects,
Contracts and Orders sheets): a project the previous plan decided in a frozen period
becomes decided in that period (an open project may be decided only after the frozen
periods); a contract whose first_period (its signing, where signing_cost is billed) lies
in the frozen periods keeps the previous plan's choice: signed stays signed, unsigned
stays unsigned; and the previous plan's contract deliveries in the frozen periods are
fixed, no other delivery placed in them. A frozen order of a project's output is an
error when the project is not decided by then. The previous plan's conversions started in
the frozen periods (its Conversions sheet) are fixed likewise, no other conversion started
in them; with recourse a scenario's own conversions are kept for that scenario alone.

A plan with recourse (orders by scenario) freezes its shared orders as above and each scenario's own
orders of periods 1..N as commitments of that scenario alone (``PlanningData.scenario_commitments``):
frozen periods keep each scenario's orders as planned for it. Those orders are decided, so the
frozen periods are not linked across scenarios (models/recourse.py). Orders of a scenario the
workbook no longer has are left out with a warning; a workbook without recourse cannot keep orders
that differ by scenario, an input error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from optimizer.replan.changes import Decisions, PlanView, decisions_of, period_shift
from optimizer.contract.data import PlanningData, Slot
from optimizer.contract.problems import Problem


@dataclass
class Frozen:
    data: PlanningData  # with the frozen orders among its commitments
    slots: set[Slot]  # the frozen orders, in the new plan's periods
    problems: list[Problem]  # errors: orders that no longer fit; warnings: past orders, disagreeing commitments
    scenario_slots: dict[str, set[Slot]] = field(default_factory=dict)  # with recourse: each scenario's own


def freeze_orders(data: PlanningData, previous: PlanView, periods: int) -> Frozen:
    """Turn ``previous``'s orders in its first ``periods`` periods into commitments of ``data``.

    Each is committed at the unit price it was placed at (after discount), and
    those periods are decided: no other order is placed in them. With recourse, each
    scenario's own orders become commitments of that scenario (the module's docstring).
    """
    shift = period_shift(previous, data.settings.start_date, data.settings.period_unit)
    problems: list[Problem] = []
    data = carry_decisions(data, previous, periods, shift, problems)
    after_freeze = replace(data, frozen_periods=max(0, periods - shift))  # projects decided after the frozen periods
    commitments = dict(data.commitments)
    prices = dict(data.commitment_prices)
    frozen = _commit(previous.orders, previous, periods, shift, after_freeze, commitments, prices, problems)
    scenario_slots: dict[str, set[Slot]] = {}
    own_commitments: dict[str, dict[Slot, float]] = {}
    own_prices: dict[str, dict[Slot, float]] = {}
    for scenario in _scenarios_to_freeze(data, previous, periods, problems):
        kept, agreed = dict(commitments), dict(prices)
        slots = _commit(previous.scenario_orders.get(scenario, {}), previous, periods, shift, after_freeze, kept,
                        agreed, problems, f" of scenario {scenario}")
        scenario_slots[scenario] = slots
        own_commitments[scenario] = {slot: kept[slot] for slot in slots if slot not in commitments}
        own_prices[scenario] = {slot: agreed[slot] for slot in own_commitments[scenario] if slot in agreed}
    decided = replace(data, commitments=commitments, commitment_prices=prices,
                      frozen_periods=max(0, periods - shift),
                      frozen_orders=frozenset(frozen - set(data.commitments)),
                      scenario_commitments={k: v for k, v in own_commitments.items() if v},
                      scenario_commitment_prices={k: v for k, v in own_prices.items() if v})
    return Frozen(decided, frozen, problems, scenario_slots)


def _scenarios_to_freeze(data: PlanningData, previous: PlanView, periods: int, problems: list[Problem]) -> list[str]:
    """The scenarios whose own orders of the frozen periods are kept (the workbook's, with recourse); the
    previous plan's own orders of a scenario the workbook lacks, or of any scenario without recourse, are named."""
    where = {"file": str(previous.path or previous.label), "sheet": "Orders"}
    names = [k.name for k in data.all_scenarios] if data.settings.recourse == "yes" else []
    for scenario, orders in previous.scenario_orders.items():
        placed = sorted(slot for slot, order in orders.items() if slot[2] <= periods and order["quantity"] > 0)
        if not placed or scenario in names:
            continue
        supplier, mineral, period = placed[0]
        if data.settings.recourse != "yes":
            problems.append(Problem("error", f"{previous.label} orders {mineral} from {supplier} in frozen period "
                                    f"{period} for scenario {scenario} alone ({len(placed)} such order(s)), and a "
                                    "plan without recourse cannot keep orders that differ by scenario; expected "
                                    "Settings recourse yes, or a --freeze before the scenarios part", **where))
        else:
            problems.append(Problem("warning", f"{len(placed)} frozen order(s) of scenario {scenario} in "
                                    f"{previous.label} are left out: the workbook has no scenario {scenario}",
                                    **where))
    return names


def _commit(orders: dict[Slot, dict], previous: PlanView, periods: int, shift: int, after_freeze: PlanningData,
            commitments: dict[Slot, float], prices: dict[Slot, float], problems: list[Problem],
            whose: str = "") -> set[Slot]:
    """Add ``orders`` of the first ``periods`` periods to ``commitments`` (and their ``prices``); the slots
    frozen. ``whose`` names the scenario of a recourse plan's own orders in the messages."""
    frozen: set[Slot] = set()
    for (supplier, mineral, period), order in sorted(orders.items()):
        quantity = order["quantity"]
        if period > periods or quantity <= 0:
            continue
        slot = (supplier, mineral, period - shift)
        where = {"file": str(previous.path or previous.label), "sheet": "Orders"}
        what = f"frozen order{whose} of {quantity:g} {mineral} from {supplier}"
        if slot[2] < 1:
            problems.append(Problem("warning", f"{what} in period {period} of {previous.label} lies before the "
                                    "new horizon and is left out; expected it in Pipeline if it has not arrived",
                                    **where))
            continue
        unfit = misfit(after_freeze, slot, quantity)
        if unfit:
            problems.append(Problem("error", f"{what} in period {slot[2]} (from {previous.label}) no longer fits its "
                                    f"offer: {unfit}; expected an offer that can still deliver it, or a smaller "
                                    "--freeze", **where))
            continue
        frozen.add(slot)
        if slot in commitments:
            if abs(commitments[slot] - quantity) > 1e-6 * max(1.0, quantity):
                problems.append(Problem("warning", f"the workbook commits {commitments[slot]:g} {mineral} from "
                                        f"{supplier} in period {slot[2]} where {previous.label} ordered "
                                        f"{quantity:g}{whose}; the workbook's commitment stands", **where))
            continue
        commitments[slot] = quantity
        if order.get("unit_price") is None:
            problems.append(Problem("warning", f"{what} in period {slot[2]} has no unit_price in {previous.label}, "
                                    "so it is priced at the input's prices; expected the unit_price it was "
                                    "placed at", **where))
        else:
            prices[slot] = order["unit_price"]
    return frozen


def misfit(data: PlanningData, slot: Slot, quantity: float) -> str:
    """Why an order of ``quantity`` in ``slot`` breaks its offer, or "" when it fits."""
    supplier, mineral, period = slot
    offer = data.offers.get((supplier, mineral))
    if offer is None:
        return f"there is no offer of {mineral} from {supplier} any more"
    orderable = offer.orderable_periods(data.settings.num_periods)
    if period not in orderable:
        return (f"it can be ordered only in periods {orderable.start}-{orderable.stop - 1} (first_period "
                f"{offer.first_period}, last_period {offer.last_period}, lead_time {offer.lead_time})")
    start = data.output_start(supplier)
    if start is not None and period < start:
        project = data.project_by_supplier[supplier]
        return (f"it is the output of project '{project.name}', which the previous plan did not decide in the "
                f"frozen periods: decided after them it is built by period {start} at the earliest; expected the "
                "project marked decided in Projects (first_period its decision period)")
    if quantity < offer.min_order * (1 - 1e-9):
        return f"below min_order {offer.min_order:g}"
    if offer.max_per_period is not None and quantity > offer.max_per_period * (1 + 1e-9):
        return f"above max_per_period {offer.max_per_period:g}"
    return ""


def carry_decisions(data: PlanningData, previous: PlanView, periods: int, shift: int,
                    problems: list[Problem]) -> PlanningData:
    """``data`` with the previous plan's decisions in its first ``periods`` periods carried over: projects
    decided, contracts signed or left, deliveries fixed (the module's docstring). ``shift``: periods the
    horizon moved on. Problems (decisions that no longer fit) are added to ``problems``."""
    decisions = decisions_of(previous) or Decisions()
    frozen = max(0, periods - shift)
    where = {"file": str(previous.path or previous.label)}
    projects = dict(data.projects)
    for name, decision in sorted(decisions.builds.items()):
        period = decision - shift
        if decision > periods or name not in data.projects:
            continue
        spec = data.projects[name]
        if period < 1:
            problems.append(Problem("warning", f"project '{name}' was decided in period {decision} of "
                                    f"{previous.label}, before the new horizon; expected it marked decided in "
                                    "Projects (or its output in Pipeline)", sheet="Projects", **where))
        elif spec.decided and spec.first_period != period:
            problems.append(Problem("warning", f"the workbook decides project '{name}' in period "
                                    f"{spec.first_period} where {previous.label} decided it in period {period}; "
                                    "the workbook's decision stands", sheet="Projects", **where))
        elif period + spec.build_periods - 1 > data.settings.num_periods:
            problems.append(Problem("error", f"project '{name}' was decided in period {period} (from "
                                    f"{previous.label}), but its {spec.build_periods} build periods no longer fit "
                                    "the horizon; expected a longer horizon or a smaller --freeze",
                                    sheet="Projects", **where))
        else:
            projects[name] = replace(spec, decided=True, first_period=period, last_period=period)
    contracts = dict(data.contracts)
    unsigned = set(data.unsigned_contracts)
    for name, contract in data.contracts.items():
        if contract.signed or contract.first_period > frozen or name not in decisions.signed:
            continue
        if decisions.signed[name]:
            contracts[name] = replace(contract, signed=True)
        else:
            unsigned.add(name)
    deliveries = dict(data.frozen_deliveries)
    T = data.settings.num_periods
    for (name, period), quantity in sorted(decisions.deliveries.items()):
        if period > periods or quantity <= 0:
            continue
        moved = period - shift
        unfit = delivery_misfit(data, name, moved, quantity)
        if moved < 1:
            problems.append(Problem("warning", f"frozen delivery of {quantity:g} under contract '{name}' in period "
                                    f"{period} of {previous.label} lies before the new horizon and is left out; "
                                    "expected it in Pipeline if it has not arrived", sheet="Orders", **where))
        elif unfit:
            problems.append(Problem("error", f"frozen delivery of {quantity:g} under contract '{name}' in period "
                                    f"{moved} (from {previous.label}) no longer fits the contract: {unfit}; expected "
                                    "a contract that can still deliver it, or a smaller --freeze", sheet="Orders",
                                    **where))
        elif moved <= T:
            deliveries[name, moved] = quantity
    shared, own = _frozen_conversions(data, decisions, periods, shift, previous, problems)
    return replace(data, projects=projects, contracts=contracts, unsigned_contracts=frozenset(unsigned),
                   frozen_deliveries=deliveries, frozen_conversions={**data.frozen_conversions, **shared},
                   scenario_frozen_conversions=own)


def _frozen_conversions(data: PlanningData, decisions: Decisions, periods: int, shift: int, previous: PlanView,
                        problems: list[Problem]) -> tuple[dict, dict]:
    """(shared, scenario -> own): the previous plan's conversions started in its first ``periods`` periods, in
    the new plan's periods; with recourse a scenario's own are kept for it. A conversion before the new
    horizon is left out (warning); one the input no longer has or that no longer fits its horizon, or one
    of a scenario alone without recourse, is an error; one of a scenario the workbook lacks is left out."""
    where = {"file": str(previous.path or previous.label), "sheet": "Conversions"}
    names = {k.name for k in data.all_scenarios} if data.settings.recourse == "yes" else set()
    shared: dict[tuple[str, int], float] = {}
    own: dict[str, dict[tuple[str, int], float]] = {}
    for (scenario, name, period), quantity in sorted(decisions.conversions.items()):
        if period > periods or quantity <= 0:
            continue
        moved = period - shift
        what = f"frozen conversion {name} of {quantity:g} started in period {period} of {previous.label}" + (
            f" for scenario {scenario}" if scenario else "")
        conversion = data.conversions.get(name)
        if moved < 1:
            problems.append(Problem("warning", f"{what} lies before the new horizon and is left out", **where))
        elif conversion is None or moved not in conversion.start_periods(data.settings.num_periods):
            problems.append(Problem("error", f"{what} no longer fits: the input has no such conversion starting "
                                    f"in period {moved}; expected it in Conversions, or a smaller --freeze", **where))
        elif scenario and scenario not in names and data.settings.recourse != "yes":
            problems.append(Problem("error", f"{what} alone, and a plan without recourse cannot keep conversions "
                                    "that differ by scenario; expected Settings recourse yes", **where))
        elif scenario and scenario not in names:
            problems.append(Problem("warning", f"{what} is left out: the workbook has no scenario {scenario}",
                                    **where))
        elif conversion.max_per_period is not None and quantity > conversion.max_per_period * (1 + 1e-9):
            problems.append(Problem("error", f"{what} is above max_per_period {conversion.max_per_period:g}",
                                    **where))
        else:
            (own.setdefault(scenario, {}) if scenario else shared)[name, moved] = quantity
    return shared, own


def delivery_misfit(data: PlanningData, name: str, period: int, quantity: float) -> str:
    """Why a delivery of ``quantity`` under contract ``name`` in ``period`` breaks the contract, or "" when it fits."""
    contract = data.contracts.get(name)
    if contract is None:
        return "there is no such contract any more"
    window = contract.delivery_periods(data.settings.num_periods)
    if period >= 1 and period not in window:
        return (f"it can deliver only in periods {window.start}-{window.stop - 1} (first_period "
                f"{contract.first_period}, last_period {contract.last_period}, lead_time {contract.lead_time})")
    if contract.max_per_period is not None and quantity > contract.max_per_period * (1 + 1e-9):
        return f"above max_per_period {contract.max_per_period:g}"
    return ""
