"""What changed between two plans: the deals (projects funded or dropped, contracts signed or dropped, stock
sold), orders added, removed and changed, the cost change, the price moves, the conversions started, stopped or
resized; each with why.

A plan is seen here as a ``PlanView``: its orders, its costs, the list prices it
was made with (all of them when the run history stored them, else those of its
own orders) and its calendar (start_date, period_unit). Views come from a
result workbook (``read_plan``), a history record (``from_record``) or a fresh
plan (``from_plan``). ``compare(before, after)`` gives the ``Changes`` sheet;
``optimize diff`` prints the same table. No Pyomo here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from optimizer.contract.data import PlanningData, Slot
from optimizer.contract.results import COST_TERMS, EXTRA_TERMS, LATER_TERMS, OPTIONAL_COST_TERMS, Plan, PlanChanges
from optimizer.contract.scenario_costs import expected_view, of_scenario
from optimizer.contract.words import money, plural, price, quantity, signed_money
from optimizer.intake.plans import NotAPlan, read_plan_workbook

CHANGE_COLUMNS = ["change", "reason", "supplier", "mineral", "period", "scenario", "previous_quantity", "quantity", "quantity_change",
                  "without_change_penalty", "previous_unit_price", "unit_price", "price_change", "previous_cost",
                  "cost", "cost_change", "finding"]
# The columns naming a deal or a conversion, before ``supplier``, each only when a row of its kind changed.
NAME_COLUMNS = ("project", "contract", "conversion")
ORDER_KINDS = ("added", "removed", "changed")
MOVED = "moved"  # an order removed from one period and added in another, the same quantity: one row
ORDER_CHANGES = (*ORDER_KINDS, MOVED)  # the rows of orders that changed, each with why
# The words of each kind of row besides orders for added, removed and changed (ORDER_KINDS): a row's change
# ("project dropped") and its Summary count ("projects_dropped"). The deals first: they are the most money.
FAMILIES = {"project": ("funded", "dropped", "changed"), "contract": ("signed", "dropped", "changed"),
            "sale": ("added", "removed", "changed"), "conversion": ("added", "removed", "changed")}
DEALS = ("project", "contract", "sale")


def change_of(noun: str, kind: str) -> str:
    """A row's change: ``noun``'s word for ``kind`` (one of ORDER_KINDS): "project funded", "sale removed"."""
    return f"{noun} {FAMILIES[noun][ORDER_KINDS.index(kind)]}"


CONVERSION_KINDS = {kind: change_of("conversion", kind) for kind in ORDER_KINDS}
NOT_MEASURED = "not measured"  # a row naming what was skipped for lack of time
QUANTITY_TOLERANCE = 1e-6  # relative: solver round-off is no change
PRICE_TOLERANCE = 1e-9
MONTHS = {"month": 1, "quarter": 3, "year": 12}
# summary_counts' keys of things other than orders: noun, verb
COUNTED = {"prices_moved": ("price", "moved"),
           **{f"{noun}s_{verb}": (noun, verb) for noun, verbs in FAMILIES.items() for verb in verbs}}
BINDING = 1e-6  # relative: a source or budget used to within this share of its amount binds

# Why an order, a deal or a conversion changed, by the first rule that holds (order_reasons, deal_reason).
COMMITMENT = "a commitment appeared or a frozen period ended"
OWN_OFFER = "the offer's own price or terms moved"
SAME_MINERAL = "a price of the same mineral moved"
FUNDING = "a budget or funding source it uses binds and another mineral's orders changed"
NEW_OFFER = "a new offer"
GONE_OFFER = "its offer is no longer in the input"
NEVER_ORDERED = "an offer the previous plan never ordered from"
NEW_RIVAL = "a new offer of the same mineral"
DEMAND = "the demand of the same mineral moved"
DEAL_NEWS = "a deal of the same mineral changed"
FEEDSTOCK = "orders of its input mineral changed"  # a conversion following its feedstock's orders
NEW_DEAL = "a new deal in the input"
GONE_DEAL = "the deal is no longer in the input"
OWN_TERMS = "the deal's own terms moved"
WITHIN_GAP = "within the gap"
# where the funding rule cannot be tried (optimize diff: the plans alone, not their inputs' budgets)
NO_REASON = "no reason found: optimize diff does not know which budgets bind"
NO_OTHER = "no other order changed"
REASONS = (NEW_DEAL, GONE_DEAL, OWN_TERMS, NEW_OFFER, GONE_OFFER, COMMITMENT, OWN_OFFER, SAME_MINERAL, NEW_RIVAL,
           DEMAND, DEAL_NEWS, FEEDSTOCK, FUNDING, NEVER_ORDERED, WITHIN_GAP, NO_REASON)
# The reasons of rows that are no change of the plan's own choosing, so that no row is without one.
ROW_REASONS = {"cost": "the changes below", "price": "the input's list price moved",
               "frozen": "frozen by --freeze: a commitment carried from the previous plan",
               "held": "the change penalty (Settings change_penalty)", "reasons": "the rows below, counted",
               "none": "nothing to compare", NOT_MEASURED: "no time left of analysis_time_s"}

@dataclass(frozen=True)
class Deal:
    """A project or a contract of a plan's input as the Changes sheet compares it (its Projects or Contracts
    row): who and what it supplies, its own terms, and what the plan pays for it."""

    supplier: str
    mineral: str  # a project's minerals, joined by ", "
    terms: dict[str, float | None]  # project: capex, life_periods; contract: unit_price, quantities, window, floor
    paid: float = 0.0  # project: capex paid within the horizon; contract: delivery, take-or-pay and signing paid
    take_or_pay: float = 0.0  # contract: take_or_pay_paid


@dataclass
class Decisions:
    """A plan's decisions besides its orders, as --freeze carries them (optimizer/replan/freeze.py) and the
    Changes sheet compares them (every project and contract of its input, the stock it sells)."""

    builds: dict[str, int] = field(default_factory=dict)  # project -> decision period
    signed: dict[str, bool] = field(default_factory=dict)  # contract -> signed by the plan
    deliveries: dict[tuple[str, int], float] = field(default_factory=dict)  # (contract, period) -> quantity
    # (scenario or "" for a shared one, conversion, period) -> input: the plan's Conversions rows
    conversions: dict[tuple[str, str, int], float] = field(default_factory=dict)
    conversion_minerals: dict[str, str] = field(default_factory=dict)  # conversion -> its from_mineral
    conversion_products: dict[str, str] = field(default_factory=dict)  # conversion -> its to_mineral
    projects: dict[str, Deal] = field(default_factory=dict)  # every project of the input, funded (builds) or not
    contracts: dict[str, Deal] = field(default_factory=dict)  # every contract of the input, signed or not
    sales: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)  # (mineral, period) -> sold, revenue
    # (mineral, period) -> the sale's unit_price: of every sale of the input (a fresh plan), of those sold (a workbook)
    sale_prices: dict[tuple[str, int], float] = field(default_factory=dict)
    demand: dict[tuple[str, int], float] = field(default_factory=dict)  # (mineral, period) -> the first scenario's
    sales_known: bool = False  # sale_prices holds every sale of the input (a fresh plan, or told by the history)


@dataclass
class PlanView:
    """One plan as the comparison needs it."""

    label: str
    orders: dict[Slot, dict]  # slot -> {"quantity", "unit_price", "list_price", "cost", "committed"}
    costs: dict[str, float | None]  # objective and the cost terms
    prices: dict[Slot, float] = field(default_factory=dict)  # list price of each (offer, period) known
    start_date: date | None = None
    period_unit: str | None = None
    run_id: int | None = None
    path: Path | None = None
    # Each offer's terms (offer_terms), when every offer of the input is known (a fresh plan, the history).
    terms: dict[tuple[str, str], list] | None = None
    decisions: Decisions | None = None  # projects and contracts decided; None when the plan's file is not at hand
    # A plan with recourse: ``orders`` are the shared ones (blank scenario), these each scenario's own, and
    # ``scenarios`` every scenario of the plan (base first; one without own orders has the shared ones only).
    scenario_orders: dict[str, dict[Slot, dict]] = field(default_factory=dict)
    scenarios: tuple[str, ...] = ()
    # The (supplier, mineral) offers of the input the plan was made with; None when unknown (a plan workbook
    # that no run of the history wrote).
    offers: frozenset[tuple[str, str]] | None = None
    # For the sentences: the plan's currency and each mineral's unit, where known ("" and {} where not).
    currency: str = ""
    units: dict[str, str] = field(default_factory=dict)
    # (mineral, period) -> the unit_price of every sale of the input, when the history knows it (a plan
    # workbook lists the sales made only): so a sale added can say its price moved; None when unknown
    sale_prices: dict[tuple[str, int], float] | None = None

    def quantities(self, scenario: str | None = None) -> dict[Slot, float]:
        """The quantity of each order of the plan, by (supplier, mineral, period); with ``scenario``, of the
        orders that hold in it (the shared ones and its own)."""
        return {slot: row["quantity"] for slot, row in self.orders_in(scenario).items()}

    def orders_in(self, scenario: str | None) -> dict[Slot, dict]:
        """The orders that hold in ``scenario``: the shared ones and the scenario's own (None: the shared ones)."""
        return {**self.orders, **self.scenario_orders.get(scenario, {})} if scenario else self.orders

    def in_scenario(self, scenario: str) -> PlanView:
        """The plan as seen in ``scenario``: its orders those that hold there, without scenarios."""
        return replace(self, orders=self.orders_in(scenario), scenario_orders={}, scenarios=())


# --- views ----------------------------------------------------------------------------------


def from_plan(plan: Plan, data: PlanningData, label: str = "this plan") -> PlanView:
    """The fresh plan, with every list price of its input."""
    costs = {"objective": plan.objective, **plan.costs}
    terms = {key: offer_terms(offer) for key, offer in data.offers.items()}
    shared, own = _split_by_scenario(plan.orders.to_dict("records"))
    names = tuple(k.name for k in data.all_scenarios) if own or "scenario" in plan.orders else ()
    return PlanView(label, shared, costs, input_prices(data), data.settings.start_date,
                    data.settings.period_unit, terms=terms, decisions=plan_decisions(plan, data), scenario_orders=own,
                    scenarios=names, offers=frozenset(data.offers), currency=data.settings.currency,
                    units={name: mineral.unit for name, mineral in data.minerals.items()})


def plan_decisions(plan: Plan, data: PlanningData) -> Decisions:
    """The fresh plan's project decisions, contract signatures and deliveries, conversions, sales, and every
    project and contract of ``data`` as the Projects and Contracts sheets show them."""
    contracts = [] if plan.contracts is None else plan.contracts.to_dict("records")
    rows = [] if plan.deliveries is None else plan.deliveries.to_dict("records")
    return Decisions(dict(plan.builds), {str(r["contract"]): r["signed"] == "yes" for r in contracts},
                     _summed_deliveries(rows), *_summed_conversions(plan.conversions.to_dict("records")),
                     projects=_plan_projects(plan, data),
                     contracts={str(r["contract"]): _contract_deal(r) for r in contracts},
                     sales=_summed_sales(plan.sales.to_dict("records")),
                     sale_prices={(sale.mineral, t): sale.unit_price for sale in data.sales for t in sale.periods},
                     demand=_first_demand(plan.stock.to_dict("records")), sales_known=True)


def _first_demand(rows: list[dict]) -> dict[tuple[str, int], float]:
    """Stock rows (scenario, mineral, period, demand) as (mineral, period) -> the demand of the first scenario."""
    first = next((row.get("scenario") for row in rows), None)
    return {(str(row["mineral"]), int(row["period"])): _number(row.get("demand")) or 0.0 for row in rows
            if row.get("scenario") == first}


def _plan_projects(plan: Plan, data: PlanningData) -> dict[str, Deal]:
    """Every project of ``data``: its supplier, minerals, capex and life, and the capex the plan pays (with
    recourse as expected, as the Projects sheet's capex_paid)."""
    capex = expected_view(plan, data).capex
    paid = capex.groupby("project")["amount"].sum() if capex is not None and not capex.empty else {}
    return {name: Deal(project.supplier, ", ".join(data.project_minerals(project)),
                       {"capex": project.capex, "life_periods": project.life_periods}, float(paid.get(name, 0.0)))
            for name, project in data.projects.items()}


def _project_deal(row: dict) -> Deal:
    """A Projects sheet row as a Deal."""
    return Deal(str(row.get("supplier") or ""), str(row.get("minerals") or ""),
                {"capex": _number(row.get("capex")), "life_periods": _number(row.get("life_periods"))},
                _number(row.get("capex_paid")) or 0.0)


CONTRACT_TERMS = ("unit_price", "min_quantity", "max_quantity", "first_period", "last_period", "floor_price")


def _contract_deal(row: dict) -> Deal:
    """A Contracts row (the plan's table or the sheet, CONTRACT_COLUMNS) as a Deal: what it pays is its
    deliveries, its take-or-pay and its signing cost."""
    paid = sum(_number(row.get(c)) or 0.0 for c in ("delivery_cost", "take_or_pay_paid", "signing_cost_paid"))
    return Deal(str(row["supplier"]), str(row["mineral"]), {c: _number(row.get(c)) for c in CONTRACT_TERMS},
                paid, _number(row.get("take_or_pay_paid")) or 0.0)


def _summed_sales(rows: list[dict]) -> dict[tuple[str, int], tuple[float, float]]:
    """Sales rows (mineral, period, quantity, revenue) as (mineral, period) -> (quantity sold, revenue)."""
    sold: dict[tuple[str, int], tuple[float, float]] = {}
    for row in rows:
        key = (str(row["mineral"]), int(row["period"]))
        quantity, revenue = sold.get(key, (0.0, 0.0))
        sold[key] = (quantity + float(row["quantity"]), revenue + (_number(row.get("revenue")) or 0.0))
    return sold


def book_decisions(book) -> Decisions:
    """A plan workbook's decisions: Projects' decision_period, Contracts' signed, the Orders rows that
    name a contract (its deliveries), the Conversions rows (with their scenario, blank when shared), each
    project and contract as its row shows it, and the Sales rows."""
    builds = {str(row["project"]): int(row["decision_period"]) for _, row in book.projects or []
              if row.get("decision_period") not in (None, "")}
    signed = {str(row["contract"]): row.get("signed") == "yes" for _, row in book.contracts or []}
    rows = [row for _, row in book.orders or [] if row.get("contract") not in (None, "")]
    return Decisions(builds, signed, _summed_deliveries(rows),
                     *_summed_conversions([row for _, row in book.conversions or []]),
                     projects={str(row["project"]): _project_deal(row) for _, row in book.projects or []},
                     contracts={str(row["contract"]): _contract_deal(row) for _, row in book.contracts or []},
                     sales=_summed_sales([row for _, row in book.sales or []]),
                     sale_prices={(str(row["mineral"]), int(row["period"])): float(row["unit_price"])
                                  for _, row in book.sales or [] if _number(row.get("unit_price")) is not None},
                     demand=_first_demand([row for _, row in book.stock or []]))


def _summed_conversions(rows: list[dict]) -> tuple[dict[tuple[str, str, int], float], dict[str, str],
                                                     dict[str, str]]:
    """Conversions rows (scenario, conversion, from_mineral, to_mineral, period, input) as (scenario or "" for a
    shared one, conversion, period) -> the input started, conversion -> its from_mineral and -> its to_mineral."""
    converted: dict[tuple[str, str, int], float] = {}
    for row in rows:
        key = (_scenario_of(row), str(row["conversion"]), int(row["period"]))
        converted[key] = converted.get(key, 0.0) + float(row["input"])

    def minerals(column: str) -> dict[str, str]:
        return {str(row["conversion"]): str(row[column]) for row in rows if row.get(column)}

    return converted, minerals("from_mineral"), minerals("to_mineral")


def _scenario_of(row: dict) -> str:
    """A row's scenario: blank (a shared row) when it has none."""
    scenario = row.get("scenario")
    return "" if _missing(scenario) else str(scenario).strip()


def _summed_deliveries(rows: list[dict]) -> dict[tuple[str, int], float]:
    """(contract, period) -> the quantity delivered, summed over delivery rows (contract, period, quantity)."""
    deliveries: dict[tuple[str, int], float] = {}
    for row in rows:
        key = (str(row["contract"]), int(row["period"]))
        deliveries[key] = deliveries.get(key, 0.0) + float(row["quantity"])
    return deliveries


def decisions_of(view: PlanView) -> Decisions | None:
    """``view``'s decisions; of a run from the history (which keeps its orders only), read from the plan file it
    wrote, with the sale prices of its input the history keeps. None when that file is gone or no longer a
    plan."""
    if view.decisions is not None:
        return view.decisions
    if view.path is None or not Path(view.path).is_file():
        return None
    try:
        decisions = book_decisions(read_plan_workbook(Path(view.path)))
    except NotAPlan:
        return None
    return _told_sales(decisions, view.sale_prices)


def _told_sales(decisions: Decisions, sale_prices: dict[tuple[str, int], float] | None) -> Decisions:
    """A workbook's ``decisions`` told every sale price of its input (``sale_prices``, from the history; None:
    unknown, the workbook's sales made only)."""
    if sale_prices is None:
        return decisions
    return replace(decisions, sale_prices={**sale_prices, **decisions.sale_prices}, sales_known=True)


def _split_by_scenario(rows: list[dict]) -> tuple[dict[Slot, dict], dict[str, dict[Slot, dict]]]:
    """Order rows as (the shared orders, scenario -> its own orders): a row's scenario, blank for a shared one."""
    shared: dict[Slot, dict] = {}
    own: dict[str, dict[Slot, dict]] = {}
    for row in rows:
        scenario = _scenario_of(row)
        slot = (str(row["supplier"]), str(row["mineral"]), int(row["period"]))
        (own.setdefault(scenario, {}) if scenario else shared)[slot] = _order_values(row)
    return shared, own


def offer_terms(offer) -> list:
    """What an offer asks besides its price (as stored in the history): lead time, minimum, capacity,
    order cost, discount tiers."""
    return [offer.lead_time, offer.min_order, offer.max_per_period, offer.order_cost,
            [list(tier) for tier in offer.discounts]]


def input_prices(data: PlanningData) -> dict[Slot, float]:
    """p[o,t] of every offer in every period it can be ordered."""
    T = data.settings.num_periods
    return {(s, m, t): offer.price(t) for (s, m), offer in data.offers.items() for t in offer.orderable_periods(T)}


def prices_as_records(data: PlanningData) -> list[dict]:
    """The input's prices in a compact form for the run history."""
    return [{"supplier": s, "mineral": m, "unit_price": offer.unit_price,
             "prices": {str(t): p for t, p in offer.prices.items()},
             "periods": [offer.orderable_periods(data.settings.num_periods).start,
                         offer.orderable_periods(data.settings.num_periods).stop - 1],
             "terms": offer_terms(offer)}
            for (s, m), offer in data.offers.items()]


def sale_prices_as_records(data: PlanningData) -> list[list]:
    """The input's sale prices for the run history: [mineral, period, unit_price] of every sale's period."""
    return [[sale.mineral, t, sale.unit_price] for sale in data.sales for t in sale.periods]


def orders_as_records(plan: Plan) -> list[dict]:
    """The plan's orders as plain records for the run history (the columns a later comparison needs); of a plan
    with recourse, each with its ``scenario`` ("" for a shared order)."""
    columns = ["supplier", "mineral", "period", "quantity", "unit_price", "list_price", "cost", "committed",
               "scenario"]
    return [{c: _plain(row[c]) for c in columns if c in row} for row in plan.orders.to_dict("records")]


def from_record(record) -> PlanView:
    """A plan from the run history (optimizer/replan/history.py RunRecord)."""
    orders, own = _split_by_scenario(record.orders)
    prices: dict[Slot, float] = {}
    terms = {(o["supplier"], o["mineral"]): o["terms"] for o in record.prices if "terms" in o} or None
    for offer in record.prices:
        first, last = offer.get("periods") or (1, 0)
        overrides = {int(t): p for t, p in (offer.get("prices") or {}).items()}
        for t in range(first, last + 1):
            prices[offer["supplier"], offer["mineral"], t] = overrides.get(t, offer["unit_price"])
    settings = record.settings or {}
    costs = {"objective": record.objective, **(record.costs or {})}
    return PlanView(f"run {record.id}", orders, costs, prices, _as_date(settings.get("start_date")),
                    settings.get("period_unit"), record.id, Path(record.output_path) if record.output_path else None,
                    terms, scenario_orders=own, scenarios=tuple(settings.get("scenarios") or ()),
                    offers=frozenset((o["supplier"], o["mineral"]) for o in record.prices) or None,
                    currency=str(settings.get("currency") or ""),
                    sale_prices=None if "sale_prices" not in settings else
                    {(str(m), int(t)): float(p) for m, t, p in settings["sale_prices"]})


def with_input_of(view: PlanView, record) -> PlanView:
    """A plan read from its workbook, told the input it was made with by the history run that wrote it
    (``record``): every offer, its list prices and terms. Its orders and decisions stay the workbook's."""
    known = from_record(record)
    decisions = view.decisions and _told_sales(view.decisions, known.sale_prices)
    return replace(view, prices={**known.prices, **view.prices}, terms=known.terms, offers=known.offers,
                   run_id=known.run_id, sale_prices=known.sale_prices, decisions=decisions)


def read_plan(path: Path) -> PlanView:
    """A plan from its result workbook (Summary and Orders sheets, read by ``optimizer/intake/plans.py``);
    ``NotAPlan`` says why a file is none."""
    book = read_plan_workbook(Path(path))
    if book.orders is None or book.summary is None:
        raise NotAPlan(path, f"the workbook is not a plan: it has no sheets Summary and Orders (its sheets: "
                             f"{', '.join(book.sheet_names)})")
    try:
        # contract deliveries (rows naming a contract) are not orders: not compared, not frozen
        orders, own = _split_by_scenario([row for _, row in book.orders if row.get("contract") is None])
    except Exception as failure:  # the cells of a damaged or hand-made workbook raise many types
        raise NotAPlan(path, f"the file cannot be read as a plan ({type(failure).__name__}: {failure})") from None
    summary = book.summary
    costs = {key: _number(summary.get(key)) for key in ("objective", *COST_TERMS, *EXTRA_TERMS)}
    # a term a plan states only where not 0 (the revenues) is 0 where missing, when the plan states another later term
    if any(costs[key] is not None for key in LATER_TERMS):
        costs |= {key: 0.0 for key in OPTIONAL_COST_TERMS if costs[key] is None}
    prices = {slot: row["list_price"] for rows in (orders, *own.values()) for slot, row in rows.items()
              if row["list_price"] is not None}
    return PlanView(Path(path).name, orders, costs, prices, _as_date(summary.get("start_date")),
                    summary.get("period_unit"), path=Path(path), decisions=book_decisions(book),
                    scenario_orders=own, scenarios=book.scenarios,
                    currency=str(summary.get("currency") or ""))


def _order_values(row: dict) -> dict:
    committed = row.get("committed")
    return {"quantity": float(row["quantity"]), "unit_price": _number(row.get("unit_price")),
            "list_price": _number(row.get("list_price", row.get("unit_price"))), "cost": _number(row.get("cost")),
            "committed": committed in (True, "yes")}


# --- calendars ------------------------------------------------------------------------------


def period_shift(before: PlanView, start_date: date | None, period_unit: str | None) -> int:
    """How many periods the horizon moved on since ``before`` (0 when either has no start_date).

    Period t of ``before`` is period t - shift of a plan starting ``shift`` periods later.
    """
    if before.start_date is None or start_date is None or before.period_unit != period_unit:
        return 0
    months = (start_date.year - before.start_date.year) * 12 + start_date.month - before.start_date.month
    step = MONTHS.get(period_unit or "", 0)
    return months // step if step and months % step == 0 else 0


def aligned_quantities(before: PlanView, start_date: date | None, period_unit: str | None,
                       scenario: str | None = None) -> dict[Slot, float]:
    """``before``'s order quantities in the periods of a plan starting at ``start_date``; past orders dropped.
    With ``scenario``, the orders that hold in that scenario (a plan with recourse: the shared and its own)."""
    shift = period_shift(before, start_date, period_unit)
    return {(s, m, t - shift): q for (s, m, t), q in before.quantities(scenario).items() if t - shift >= 1}


def _aligned(view: PlanView, shift: int) -> PlanView:
    """``view``'s orders, prices and demand in the periods of a plan starting ``shift`` periods later."""
    if not shift:
        return view
    decisions = view.decisions and replace(view.decisions, demand=_shifted(view.decisions.demand, shift))
    return replace(view, orders=_shifted(view.orders, shift), prices=_shifted(view.prices, shift),
                   scenario_orders={k: _shifted(rows, shift) for k, rows in view.scenario_orders.items()},
                   decisions=decisions)


def _shifted(values: dict[tuple, object], shift: int) -> dict[tuple, object]:
    """``values`` keyed by (..., period) in the periods of a plan starting ``shift`` periods later; past ones
    dropped."""
    return {(*key[:-1], key[-1] - shift): v for key, v in values.items() if key[-1] - shift >= 1}


# --- comparison -----------------------------------------------------------------------------


def compare(before: PlanView, after: PlanView, currency: str = "", frozen: set[Slot] | None = None,
            unpenalised: dict | None = None, funding: FundingUse | None = None,
            held_note: str = "", scenario_frozen: dict[str, set[Slot]] | None = None) -> pd.DataFrame:
    """The Changes table: cost change first, then the deals, the order changes, the conversions, the
    orders held back, then price moves; every row with its reason.

    ``frozen`` slots are shown as kept from ``before``; ``unpenalised`` (the plan
    without the change penalty; with recourse, scenario -> its orders that hold there) shows the order
    changes the penalty held back (with recourse, in each scenario);
    ``held_note`` says why they are not shown (no time left of analysis_time_s).
    Each order, deal and conversion added, removed or changed says why (order_reasons, deal_reason); with
    ``funding`` (a re-plan: the new plan's sources that bind) the funding rule is tried too, and one row per
    kind sums them up; without it (optimize diff) a row no other rule explains says no reason was found.

    When either plan has recourse (orders by scenario), orders are compared in each scenario (the
    orders that hold there: shared and its own; ``scenario_frozen`` its own frozen orders) and the
    table gains a ``scenario`` column: blank for a row every scenario has alike, else its scenario. Deals
    are decided before any scenario is known (models/recourse_deals.py): their rows are every scenario's.
    """
    shift = period_shift(before, after.start_date, after.period_unit)
    before = _aligned(replace(before, decisions=decisions_of(before)), shift)  # read once from its file, if need be
    # the sentences' currency and units: the caller's, else either plan's
    after = replace(after, currency=currency or after.currency or before.currency,
                    units={**before.units, **after.units}, decisions=decisions_of(after))
    names = _scenario_names(before, after)
    first = (lambda view: view.in_scenario(names[0])) if names else (lambda view: view)  # noqa: E731
    base = funding.in_scenario(names[0]) if names and funding is not None else funding
    news = News(first(before), first(after), _changed_slots(first(before), first(after), frozen or set()),
                frozen or set(), base)
    deal_rows = _deal_change_rows(before, after, news, names, shift)
    news.deal_minerals = {m for row in deal_rows for m in str(row["mineral"]).split(", ")}
    if names:
        order_rows = _merge_scenarios({
            k: _order_rows_with_reasons(before.in_scenario(k), after.in_scenario(k),
                                        (frozen or set()) | (scenario_frozen or {}).get(k, set()),
                                        funding and funding.in_scenario(k), news.deal_minerals) for k in names})
    else:
        order_rows = _order_rows_with_reasons(before, after, frozen or set(), funding, news.deal_minerals)
    ordered = {row["mineral"] for row in order_rows if row["change"] in ORDER_CHANGES
               and row["reason"] not in (WITHIN_GAP, NO_REASON)}  # minerals whose orders changed with news
    conversion_rows = _conversion_change_rows(before, after, names, news, shift, ordered)
    rows = _cost_rows(before, after)
    if funding is not None:
        rows += _reasons_rows(deal_rows, order_rows, conversion_rows)
    rows += deal_rows + order_rows + conversion_rows
    if unpenalised is not None and names:  # with recourse: scenario -> the orders without the penalty held there
        rows += _merge_scenarios({k: _held_rows(before.in_scenario(k), after.in_scenario(k), unpenalised.get(k, {}))
                                  for k in names})
    elif unpenalised is not None:
        rows += _held_rows(before, after, unpenalised)
    elif held_note:
        rows.append({"change": NOT_MEASURED, "finding": f"Orders held back by the change penalty not measured: "
                                                        f"{held_note}."})
    rows += _price_rows(before, after)
    rows = [{**row, "reason": row.get("reason") or ROW_REASONS[row["change"]]} for row in rows]
    frame = pd.DataFrame(rows, columns=_change_columns(rows))
    return frame if names else frame.drop(columns="scenario")


def _slot_of(row: dict) -> Slot:
    return (row["supplier"], row["mineral"], row["period"])


def _changed_slots(before: PlanView, after: PlanView, frozen: set[Slot]) -> list[Slot]:
    """The orders added, removed or changed from ``before`` to ``after`` (frozen ones aside)."""
    quantities = before.quantities(), after.quantities()
    return [slot for slot in {*quantities[0], *quantities[1]} - frozen
            if _change_kind(quantities[0].get(slot, 0.0), quantities[1].get(slot, 0.0))]


def _change_columns(rows: list[dict]) -> list[str]:
    """CHANGE_COLUMNS, with ``project``, ``contract`` and ``conversion`` before ``supplier``, each when a row of
    its kind changed, and ``previous_period`` before ``period`` when an order moved."""
    named = [column for column in NAME_COLUMNS if any(column in row for row in rows)]
    at, period = CHANGE_COLUMNS.index("supplier"), CHANGE_COLUMNS.index("period")
    moved = ["previous_period"] if any("previous_period" in row for row in rows) else []
    return [*CHANGE_COLUMNS[:at], *named, *CHANGE_COLUMNS[at:period], *moved, *CHANGE_COLUMNS[period:]]


def _conversion_change_rows(before: PlanView, after: PlanView, names: tuple[str, ...], news: News,
                            shift: int, ordered: set[str] = frozenset()) -> list[dict]:
    """The conversions added, removed or changed (their input started, by conversion and period), from each
    plan's Conversions rows (``before``'s in ``after``'s periods); with recourse compared in each scenario
    (the shared conversions and its own), as orders are. Each says why: news of its to_mineral, then of its
    from_mineral (``news``), then orders of its from_mineral that changed with a reason (``ordered``: it
    follows its feedstock), else news.otherwise. None when either plan's decisions are unknown."""
    old, new = before.decisions, after.decisions
    if old is None or new is None:
        return []
    minerals = {**old.conversion_minerals, **new.conversion_minerals}
    products = {**old.conversion_products, **new.conversion_products}

    def rows_in(scenario: str) -> list[dict]:
        return _conversion_rows(_started(old, scenario, shift), _started(new, scenario, 0), minerals, after.units)

    rows = _merge_scenarios({k: rows_in(k) for k in names}) if names else rows_in("")
    for row in rows:
        row["reason"] = (news.of_mineral(products.get(row["conversion"], "")) or news.of_mineral(row["mineral"] or "")
                         or (FEEDSTOCK if row["mineral"] in ordered else None) or news.otherwise())
    return rows


def _started(decisions: Decisions, scenario: str, shift: int) -> dict[tuple[str, int], float]:
    """(conversion, period) -> the input started in ``scenario`` (the shared conversions and its own), in the
    periods of a plan starting ``shift`` periods later; those before it dropped."""
    started: dict[tuple[str, int], float] = {}
    for (k, name, period), quantity in decisions.conversions.items():
        if k in ("", scenario) and period - shift >= 1:
            started[name, period - shift] = started.get((name, period - shift), 0.0) + quantity
    return started


def _conversion_rows(old: dict[tuple[str, int], float], new: dict[tuple[str, int], float],
                     minerals: dict[str, str], units: dict[str, str]) -> list[dict]:
    """One row per conversion and period whose input was added, removed or changed, worded as orders are (its
    input in its from_mineral's unit of ``units``)."""
    rows = []
    for name, period in sorted(set(old) | set(new), key=lambda key: (minerals.get(key[0], ""), *key)):
        old_q, new_q = old.get((name, period), 0.0), new.get((name, period), 0.0)
        kind = _change_kind(old_q, new_q)
        if kind is None:
            continue
        mineral = minerals.get(name)
        what = f"{mineral} by {name} in period {period}" if mineral else f"{name} in period {period}"
        old_text, new_text = (quantity(q, units.get(mineral or "", "")) for q in (old_q, new_q))
        rows.append({"change": CONVERSION_KINDS[kind], "conversion": name, "supplier": None, "mineral": mineral,
                     "period": period, "previous_quantity": old_q, "quantity": new_q,
                     "quantity_change": _round_off(new_q - old_q),
                     "finding": _quantity_finding(kind, "conversion", what, old_text, new_text, new_q > old_q)})
    return rows


def _order_rows_with_reasons(before: PlanView, after: PlanView, frozen: set[Slot],
                             funding: FundingUse | None, deal_minerals: set[str]) -> list[dict]:
    """The order rows of two plans without scenarios, each added, removed or changed one with its reason
    (order_reasons; the funding rule only with ``funding``; ``deal_minerals`` those of the deals changed)."""
    order_rows = _order_change_rows(before, after, frozen)
    changed = [_slot_of(r) for r in order_rows if r["change"] in ORDER_KINDS]
    reasons = order_reasons(before, after, changed, frozen, funding, deal_minerals)
    for row in order_rows:
        if row["change"] in ORDER_KINDS:
            row["reason"] = reasons[_slot_of(row)]
    return _with_moves(order_rows, before, after)


def _with_moves(rows: list[dict], before: PlanView, after: PlanView) -> list[dict]:
    """``rows`` with each order removed and an order added of the same offer and quantity (the nearest period
    first) as one ``moved`` row: the order went to another period, the same quantity. Of the others, an order
    cut and one of the same offer raised (or added, or removed) by as much are the two sides of one move:
    each finding says so, and a side no rule explains takes the other side's reason."""
    whole = _opposite_pairs(rows, lambda cut, raised: cut["change"] == "removed" and raised["change"] == "added")
    paired = {id(row) for pair in whole for row in pair}
    for cut, raised in _opposite_pairs([row for row in rows if id(row) not in paired], lambda cut, raised: True):
        _mark_partial_move(cut, raised, after)
    moved = {id(raised): cut for cut, raised in whole}
    gone = {id(cut) for cut, _ in whole}
    return [_moved_row(moved[id(row)], row, before, after) if id(row) in moved else row for row in rows
            if id(row) not in gone]


def _opposite_pairs(rows: list[dict], fits) -> list[tuple[dict, dict]]:
    """(cut, raised) order rows of the same offer whose quantities moved by as much in opposite directions,
    ``fits`` them, the nearest periods paired first; each row in one pair at most."""
    cuts: dict[tuple[str, str], list[dict]] = {}  # by offer: a large plan's thousands of rows, paired per offer
    for row in rows:
        if row["change"] in ORDER_KINDS and row["quantity_change"] < 0:
            cuts.setdefault((row["supplier"], row["mineral"]), []).append(row)
    pairs = []
    for raised in (row for row in rows if row["change"] in ORDER_KINDS and row["quantity_change"] > 0):
        offer = cuts.get((raised["supplier"], raised["mineral"]), [])
        match = [cut for cut in offer if _same(-cut["quantity_change"], raised["quantity_change"], QUANTITY_TOLERANCE)
                 and fits(cut, raised)]
        if match:
            pairs.append((min(match, key=lambda cut: abs(cut["period"] - raised["period"])), raised))
            offer.remove(pairs[-1][0])
    return pairs


def _mark_partial_move(cut: dict, raised: dict, after: PlanView) -> None:
    """Two sides of one move (``cut`` and ``raised``: by as much, the same offer) say so in their findings;
    a side whose reason is the last rule takes the other's."""
    amount = quantity(raised["quantity_change"], after.units.get(raised["mineral"], ""))
    cut["finding"] += f"; {amount} of it moved to period {raised['period']}"
    raised["finding"] += f"; {amount} of it moved from period {cut['period']}"
    last = (WITHIN_GAP, NO_REASON)
    if cut["reason"] in last and raised["reason"] not in last:
        cut["reason"] = raised["reason"]
    elif raised["reason"] in last and cut["reason"] not in last:
        raised["reason"] = cut["reason"]


def _moved_row(removed: dict, added: dict, before: PlanView, after: PlanView) -> dict:
    """One order moved from ``removed``'s period to ``added``'s: the added row's prices and reason (the removed
    one's when only it found news), its cost change the two rows'; the finding names the list price move of
    either period."""
    supplier, mineral = added["supplier"], added["mineral"]
    amount = quantity(added["quantity"], after.units.get(mineral, ""))
    finding = (f"order of {amount} of {mineral} from {supplier} moved from period {removed['period']} to period "
               f"{added['period']}")
    moves = [(period, _price_move(before.prices.get(slot), after.prices.get(slot), after.currency))
             for period, slot in ((row["period"], _slot_of(row)) for row in (removed, added))]
    tail = "; ".join(f"list price in period {period} {move}" for period, move in moves if move)
    last = (WITHIN_GAP, NO_REASON)
    reason = added["reason"] if added["reason"] not in last or removed["reason"] in last else removed["reason"]
    return {**added, "change": MOVED, "previous_period": removed["period"], "previous_quantity": added["quantity"],
            "quantity_change": 0.0, "previous_unit_price": removed["previous_unit_price"],
            "price_change": _ratio(removed["previous_unit_price"], added["unit_price"]),
            "previous_cost": removed["previous_cost"],
            "cost_change": _round_off(added["cost"] - removed["previous_cost"]),
            "reason": reason, "finding": finding + (f"; {tail}" if tail else "")}


# --- deals: projects, contracts, sales ------------------------------------------------------


def _deal_change_rows(before: PlanView, after: PlanView, news: News, names: tuple[str, ...],
                      shift: int) -> list[dict]:
    """The projects funded, dropped or changed, the contracts signed, dropped or changed, and the stock sold
    added, removed or changed (``before``'s in ``after``'s periods), each with its reason; with recourse
    (``names``) every scenario's (blank scenario): deals are decided before any scenario is known. None
    when either plan's decisions are unknown."""
    old, new = before.decisions, after.decisions
    if old is None or new is None:
        return []
    rows = [*_project_rows(old, new, shift, news), *_contract_rows(old, new, shift, news),
            *_sale_rows(old, new, shift, news)]
    for row in rows:  # no other rule holds: another deal of its mineral changed (a contract signed as a plant fell)
        if row["reason"] == news.otherwise() and any(_shares_mineral(row, other) for other in rows if other is not row):
            row["reason"] = DEAL_NEWS
    return [{**row, "scenario": ""} for row in rows] if names else rows


def _shares_mineral(row: dict, other: dict) -> bool:
    return bool(set(str(row["mineral"]).split(", ")) & set(str(other["mineral"]).split(", ")))


def _deal_kind(was: bool, now: bool, moved: bool) -> str | None:
    """added (taken up), removed (let go), changed (kept, ``moved``) or None."""
    if was != now:
        return "added" if now else "removed"
    return "changed" if was and moved else None


def _moved(old: float | None, new: float | None) -> bool:
    return not _same(old or 0.0, new or 0.0, QUANTITY_TOLERANCE)


def _project_rows(old: Decisions, new: Decisions, shift: int, news: News) -> list[dict]:
    """One row per project funded (not before), dropped (no longer funded) or changed (its decision period
    or the capex it pays moved); money: the capex paid within the horizon."""
    rows = []
    for name in sorted({*old.projects, *new.projects, *old.builds, *new.builds}):
        was = old.builds[name] - shift if name in old.builds else None
        now = new.builds.get(name)
        deal_old, deal_new = old.projects.get(name), new.projects.get(name)
        paid_old, paid_new = (deal.paid if deal else 0.0 for deal in (deal_old, deal_new))
        repriced = bool(_moved_terms(deal_old, deal_new)) and _moved(paid_old, paid_new)
        kind = _deal_kind(was is not None, now is not None, not _same_decision(was, now) or repriced)
        if kind is None:
            continue
        deal = deal_new or deal_old or Deal("", "", {})
        minerals = [m for m in deal.mineral.split(", ") if m]
        period = now if now is not None else was
        reason = deal_reason(news, deal_old, deal_new, [(deal.supplier, m, period) for m in minerals], True)
        rows.append({"change": change_of("project", kind), "reason": reason, "project": name,
                     "supplier": deal.supplier, "mineral": deal.mineral, "period": period,
                     "previous_cost": paid_old, "cost": paid_new, "cost_change": _round_off(paid_new - paid_old),
                     "finding": _project_finding(kind, name, deal, (was, now), (paid_old, paid_new), news)
                     + _terms_moved(deal_old, deal_new, news.after.currency)})
    return rows


def _same_decision(was: int | None, now: int | None) -> bool:
    """Whether a project funded in both plans keeps its decision: the same period in the new plan's periods,
    or decided before the new horizon (``was`` < 1: its capex partly paid in periods now past) and decided in
    the new plan's first period (the input marking it decided, as --freeze asks)."""
    return was == now or (was is not None and was < 1 and now == 1)


def _project_finding(kind: str, name: str, deal: Deal, periods: tuple, paid: tuple[float, float],
                     news: News) -> str:
    """"project P dropped: no longer funded (was decided in period 1, $500 of capex paid; Plant: ga)"."""
    was, now = periods
    currency = news.after.currency
    plant = f"{deal.supplier}: {deal.mineral}" if deal.mineral else deal.supplier
    if kind == "added":
        return f"project {name} funded: decided in period {now}, {money(paid[1], currency)} of capex paid ({plant})"
    if kind == "removed":
        return (f"project {name} dropped: no longer funded (was decided in period {was}, "
                f"{money(paid[0], currency)} of capex paid; {plant})")
    before = f"{was}" if was >= 1 else f"before this plan's horizon (its period {was})"
    moved = f"decided in period {now} instead of {before}" if not _same_decision(was, now) else \
        f"still decided in period {now}"
    return (f"project {name} {moved}; capex paid {money(paid[0], currency)} to {money(paid[1], currency)} "
            f"({plant})")


def _contract_rows(old: Decisions, new: Decisions, shift: int, news: News) -> list[dict]:
    """One row per contract signed (not before), dropped (no longer signed) or changed (what it takes in the
    plan's periods, its take-or-pay or what it pays moved); money: delivery, take-or-pay and signing paid."""
    rows = []
    for name in sorted({*old.contracts, *new.contracts, *old.signed, *new.signed}):
        was, now = old.signed.get(name, False), new.signed.get(name, False)
        deal_old, deal_new = old.contracts.get(name), new.contracts.get(name)
        taken_old, taken_new = _taken(old, name, shift), _taken(new, name, 0)
        paid_old, paid_new = (deal.paid if deal and signed else 0.0
                              for deal, signed in ((deal_old, was), (deal_new, now)))
        shifted = _delivery_shift(_by_period(old, name, shift), _by_period(new, name, 0))
        moved = _moved(taken_old, taken_new) or _moved(paid_old, paid_new) or _moved(
            deal_old and deal_old.take_or_pay, deal_new and deal_new.take_or_pay) or bool(shifted)
        kind = _deal_kind(was, now, moved)
        if kind is None:
            continue
        deal = deal_new or deal_old or Deal("", "", {})
        price_old, price_new = ((d.terms.get("unit_price") if d else None) for d in (deal_old, deal_new))
        period = deal.terms.get("first_period")
        reason = deal_reason(news, deal_old, deal_new, [(deal.supplier, deal.mineral, int(period or 1))], False)
        rows.append({"change": change_of("contract", kind), "reason": reason, "contract": name,
                     "supplier": deal.supplier, "mineral": deal.mineral, "period": period,
                     "previous_quantity": taken_old, "quantity": taken_new,
                     "quantity_change": _round_off(taken_new - taken_old), "previous_unit_price": price_old,
                     "unit_price": price_new, "price_change": _ratio(price_old, price_new),
                     "previous_cost": paid_old, "cost": paid_new, "cost_change": _round_off(paid_new - paid_old),
                     "finding": _contract_finding(kind, name, deal, (taken_old, taken_new), (deal_old, deal_new),
                                                  news) + _deliveries_moved(kind, shifted, deal.mineral, news)
                     + _terms_moved(deal_old, deal_new, news.after.currency)})
    return rows


def _by_period(decisions: Decisions, contract: str, shift: int) -> dict[int, float]:
    """What ``contract`` takes in each period of a plan starting ``shift`` periods later (past ones dropped)."""
    return {period - shift: q for (name, period), q in decisions.deliveries.items()
            if name == contract and period - shift >= 1}


def _delivery_shift(old: dict[int, float], new: dict[int, float]) -> tuple[float, list[int], list[int]] | tuple[()]:
    """What moved between the periods of a contract's deliveries: (the quantity moved: taken out of some
    periods and put into others, the periods that lost, the periods that gained); empty when no period's
    delivery moved."""
    changes = {t: new.get(t, 0.0) - old.get(t, 0.0) for t in {*old, *new}}
    changes = {t: change for t, change in changes.items() if _moved(old.get(t, 0.0), new.get(t, 0.0))}
    if not changes:
        return ()
    lost = sorted(t for t, change in changes.items() if change < 0)
    out, into = (sum(abs(changes[t]) for t in periods) for periods in (lost, set(changes) - set(lost)))
    return min(out, into), lost, sorted(set(changes) - set(lost))


def _deliveries_moved(kind: str, shifted: tuple, mineral: str, news: News) -> str:
    """"; 10 t of its deliveries moved from period 3 to period 5" for a contract signed in both plans whose
    deliveries moved between periods ("" otherwise)."""
    if kind != "changed" or not shifted or not shifted[1] or not shifted[2]:
        return ""
    amount, lost, gained = shifted
    where = (f"from {'period' if len(lost) == 1 else 'periods'} {_span(lost)} to "
             f"{'period' if len(gained) == 1 else 'periods'} {_span(gained)}")
    return f"; {quantity(amount, news.after.units.get(mineral, ''))} of its deliveries moved {where}"


def _taken(decisions: Decisions, contract: str, shift: int) -> float:
    """What ``contract`` takes in the periods of a plan starting ``shift`` periods later."""
    return sum(_by_period(decisions, contract, shift).values())


def _contract_finding(kind: str, name: str, deal: Deal, taken: tuple[float, float], deals: tuple,
                      news: News) -> str:
    """"contract K1 signed: takes 12 t of ga from S1 ($70 paid, take-or-pay $10)"."""
    unit, currency = news.after.units.get(deal.mineral, ""), news.after.currency
    old_text, new_text = (quantity(q, unit) for q in taken)
    paid = [f"{money(d.paid if d else 0.0, currency)} paid, take-or-pay {money(d.take_or_pay if d else 0.0, currency)}"
            for d in deals]
    what = f"{deal.mineral} from {deal.supplier}"
    if kind == "added":
        return f"contract {name} signed: takes {new_text} of {what} ({paid[1]})"
    if kind == "removed":
        return f"contract {name} dropped: no longer signed (took {old_text} of {what}; {paid[0]})"
    instead = "as before" if not _moved(*taken) else f"instead of {old_text}"
    return f"contract {name} takes {new_text} of {what} {instead} ({paid[0]} before; {paid[1]} now)"


def _sale_rows(old: Decisions, new: Decisions, shift: int, news: News) -> list[dict]:
    """One row per mineral and period whose stock sold was added, removed or changed, worded as orders are
    (its revenue in the finding: the Sales sheet's; unit_price the sale's, where known). Its finding names the
    sale's price move, else the list price moves of its mineral's offers (news.purchase_moves)."""
    sold_old, prices_old = _shifted(old.sales, shift), _shifted(old.sale_prices, shift)
    old = replace(old, sale_prices=prices_old)  # its demand is in the new plan's periods already (_aligned)
    rows = []
    for mineral, period in sorted({*sold_old, *new.sales}):
        (old_q, old_revenue), (new_q, new_revenue) = (sold.get((mineral, period), (0.0, 0.0))
                                                      for sold in (sold_old, new.sales))
        kind = _change_kind(old_q, new_q)
        if kind is None:
            continue
        price_old, price_new = prices_old.get((mineral, period)), new.sale_prices.get((mineral, period))
        moved = price_old is not None and price_new is not None and _moved(price_old, price_new)
        reason = OWN_TERMS if moved else (_sale_news(old, new, (mineral, period)) or news.of_mineral(mineral)
                                          or news.otherwise())
        unit, currency = news.after.units.get(mineral, ""), news.after.currency
        old_text, new_text = (quantity(q, unit) for q in (old_q, new_q))
        finding = _quantity_finding(kind, "sale", f"{mineral} in period {period}", old_text, new_text, new_q > old_q)
        if moved:
            finding += f"; sale price {_price_move(price_old, price_new, currency)}"
        elif reason == SAME_MINERAL:
            finding += news.purchase_moves(mineral, period)
        rows.append({"change": change_of("sale", kind), "reason": reason, "supplier": None, "mineral": mineral,
                     "period": period, "previous_quantity": old_q, "quantity": new_q,
                     "quantity_change": _round_off(new_q - old_q), "previous_unit_price": price_old,
                     "unit_price": price_new, "price_change": _ratio(price_old, price_new),
                     "finding": f"{finding}; revenue {money(old_revenue, currency)} to {money(new_revenue, currency)}"})
    return rows


def _sale_news(old: Decisions, new: Decisions, key: tuple[str, int]) -> str | None:
    """A sale new to the input (none of ``key``'s mineral and period in the previous input, whose every sale
    is known, in a period its horizon covered) or gone from it (none in the new input); else None. ``old``
    in the new plan's periods."""
    if old.sales_known and key not in old.sale_prices and key[1] in {t for _, t in old.demand}:
        return NEW_DEAL
    if new.sales_known and key not in new.sale_prices:
        return GONE_DEAL
    return None


def deal_reason(news: News, old: Deal | None, new: Deal | None, slots: list[Slot], own_offers: bool) -> str:
    """Why a project or a contract changed, by the first of these rules that holds:

    0. it is new to the input (``old`` None: not in the previous plan's Projects or Contracts) or gone from it;
    1. its own terms moved (a project's capex or life_periods; a contract's unit_price, quantities, window or
       floor_price);
    2. news of its offers (``own_offers``: a project's plant, order_reasons' rules 0-3) or of its mineral (a
       contract: a commitment, a price of it moved, a new offer of it);
    3. the funding rule (order_reasons' rule 4) for one of its ``slots`` (supplier, mineral, period);
    4. otherwise within the gap (without funding: no reason found); but where another deal of its mineral
       changed, that (_deal_change_rows).
    """
    if old is None or new is None:
        return NEW_DEAL if old is None else GONE_DEAL
    if _moved_terms(old, new):
        return OWN_TERMS
    for supplier, mineral, _ in slots:
        reason = news.of_offer(supplier, mineral) if own_offers else news.of_mineral(mineral)
        if reason:
            return reason
    return next((reason for slot in slots if (reason := news.of_funding(slot))), None) or news.otherwise()


def _moved_terms(old: Deal | None, new: Deal | None) -> list[str]:
    """The terms of a deal that moved between the two inputs (none when either is unknown)."""
    if old is None or new is None:
        return []
    return [term for term, value in new.terms.items() if term in old.terms
            and ((old.terms[term] is None) != (value is None) or _moved(old.terms[term], value))]


def _terms_moved(old: Deal | None, new: Deal | None, currency: str) -> str:
    """"; its capex $500 to $5,000" for each term that moved ("" when none did)."""
    def shown(term: str, value: float | None) -> str:
        words = {"capex": money, "unit_price": price, "floor_price": price}
        return "none" if value is None else words[term](value, currency) if term in words else f"{value:,.6g}"

    parts = [f"{term} {shown(term, old.terms[term])} to {shown(term, new.terms[term])}"
             for term in _moved_terms(old, new)]
    return f"; its {', '.join(parts)}" if parts else ""


def _scenario_names(before: PlanView, after: PlanView) -> tuple[str, ...]:
    """The scenarios to compare in (empty when neither plan has recourse): the new plan's, then the old's."""
    if not (before.scenario_orders or after.scenario_orders or before.scenarios or after.scenarios):
        return ()
    names = dict.fromkeys([*after.scenarios, *before.scenarios, *after.scenario_orders, *before.scenario_orders])
    return tuple(names)


def _merge_scenarios(rows: dict[str, list[dict]]) -> list[dict]:
    """Each scenario's order rows as one list: a row every scenario has alike once with a blank scenario, the
    others once per scenario that has them, with its name."""
    count: dict[tuple, int] = {}
    for scenario_rows in rows.values():
        for row in scenario_rows:
            key = _row_key(row)
            count[key] = count.get(key, 0) + 1
    merged, seen = [], set()
    for scenario, scenario_rows in rows.items():
        for row in scenario_rows:
            key = _row_key(row)
            if count[key] < len(rows):
                merged.append({**row, "scenario": scenario, "finding": f"{row['finding']} (scenario {scenario})"})
            elif key not in seen:
                seen.add(key)
                merged.append({**row, "scenario": ""})
    shared = [r for r in merged if not r["scenario"]]
    own = [r for r in merged if r["scenario"]]
    position = {scenario: i for i, scenario in enumerate(rows)}  # base first, as the plan lists them
    return sorted(shared, key=_row_slot) + sorted(own, key=lambda r: (position[r["scenario"]], *_row_slot(r)))


def _row_key(row: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in row.items()))


def _row_slot(row: dict) -> tuple:
    return _slot_order((row["supplier"], row["mineral"], row["period"]))


class FundingUse:
    """Which funding sources bind in a plan: a source spent to its amount, or to its budget in a period."""

    def __init__(self, data: PlanningData, funding: pd.DataFrame):
        self.data = data
        self.funding = funding
        spent = funding.groupby("source")["amount"].sum() if not funding.empty else pd.Series(dtype=float)
        by_period = funding.groupby(["source", "period"])["amount"].sum() if not funding.empty else {}
        self.exhausted = {f for f, source in data.funding.items() if _reaches(spent.get(f, 0.0), source.amount)}
        self.budget_spent = {(f, int(t)): float(v) for (f, t), v in dict(by_period).items()}

    @classmethod
    def of_plan(cls, data: PlanningData, plan: Plan) -> FundingUse:
        """The sources that bind in ``plan``: what it pays for orders, capex and conversions (a source spent to
        its amount by all three binds, though its orders alone do not reach it)."""
        payments = plan.payments()
        spent = plan.conversion_funding
        if not spent.empty:
            extra = spent if "scenario" in spent or "scenario" not in payments else spent.assign(scenario="")
            payments = pd.concat([payments, extra[list(payments.columns)]], ignore_index=True)
        return cls(data, payments)

    def in_scenario(self, scenario: str) -> FundingUse:
        """The sources that bind in ``scenario`` (a plan with recourse: the shared funding rows and its own)."""
        return FundingUse(self.data, of_scenario(self.funding, scenario))

    def binding(self, slot: Slot) -> set[str]:
        """The sources that may pay an order of ``slot`` and bind: their amount, or their budget of its period."""
        supplier, mineral, period = slot
        if supplier not in self.data.suppliers:
            return set()
        return {f for f in self.data.eligible_sources(supplier, mineral, period)
                if f in self.exhausted or _reaches(self.budget_spent.get((f, period), 0.0),
                                                   self.data.funding[f].budgets.get(period))}


def _reaches(spent: float, limit: float | None) -> bool:
    return limit is not None and spent >= limit * (1 - BINDING) - 1e-9


class News:
    """What moved between two plans and their inputs, as the reasons read it: the offers whose price or terms
    moved, the new offers, the minerals with commitment news, and (a re-plan) the funding that binds."""

    def __init__(self, before: PlanView, after: PlanView, changed: list[Slot], frozen: set[Slot],
                 funding: FundingUse | None):
        self.before, self.after, self.funding = before, after, funding
        self.moved = {slot[:2] for slot in set(before.prices) & set(after.prices)
                      if not _same(before.prices[slot], after.prices[slot], PRICE_TOLERANCE)}
        if before.terms is not None and after.terms is not None:
            self.moved |= {key for key, terms in after.terms.items()
                           if key in before.terms and before.terms[key] != terms}
        known = before.offers is not None and after.offers is not None
        self.new_offers = after.offers - before.offers if known else set()
        self.committed = _commitment_news(before, after, frozen)
        self.demand_moved = _demand_news(before.decisions, after.decisions)
        self.deal_minerals: set[str] = set()  # the minerals of the deals changed, once they are known
        # Orders of a mineral that changed for funding's sake: changed ones, and kept ones whose price moved.
        kept = set(before.orders) & set(after.orders) - set(changed)
        repriced = [slot for slot in kept if slot in before.prices and slot in after.prices
                    and not _same(before.prices[slot], after.prices[slot], PRICE_TOLERANCE)]
        self.binding = {slot: self.sources(slot) for slot in [*changed, *repriced]}
        self.paid_minerals: dict[str, set[str]] = {}  # a binding source -> the minerals of the orders above it pays
        for slot, sources in self.binding.items():
            for source in sources:
                self.paid_minerals.setdefault(source, set()).add(slot[1])

    def sources(self, slot: Slot) -> set[str]:
        """The funding sources that may pay ``slot`` and bind (none without funding: optimize diff)."""
        return set() if self.funding is None else self.funding.binding(slot)

    def of_offer(self, supplier: str, mineral: str) -> str | None:
        """Rules 0-3 of order_reasons for an offer: new or gone, commitment news, its own price or terms,
        then its mineral's news (of_mineral)."""
        if self.before.offers is not None and (supplier, mineral) not in self.before.offers:
            return NEW_OFFER
        if self.after.offers is not None and (supplier, mineral) not in self.after.offers:
            return GONE_OFFER
        if mineral not in self.committed and (supplier, mineral) in self.moved:
            return OWN_OFFER
        return self.of_mineral(mineral)

    def of_mineral(self, mineral: str) -> str | None:
        """A commitment of ``mineral`` appeared or ended, a price of it moved, it has a new offer, its demand
        moved, or a deal of it changed."""
        if mineral in self.committed:
            return COMMITMENT
        if any(m == mineral for _, m in self.moved):
            return SAME_MINERAL
        if any(m == mineral for _, m in self.new_offers):
            return NEW_RIVAL
        if mineral in self.demand_moved:
            return DEMAND
        if mineral in self.deal_minerals:
            return DEAL_NEWS
        return None

    def purchase_moves(self, mineral: str, period: int) -> str:
        """"; list price of ga from S1 fell 30.0% ($10.00 to $7.00) in period 1" for each offer of ``mineral``
        whose list price moved in ``period`` (else in its first period that moved); "" when none did."""
        parts = []
        for supplier, moved_mineral in sorted(self.moved):
            periods = sorted(t for s, m, t in set(self.before.prices) & set(self.after.prices)
                             if (s, m) == (supplier, mineral) and _price_move(self.before.prices[s, m, t],
                                                                              self.after.prices[s, m, t], ""))
            if moved_mineral != mineral or not periods:
                continue
            t = period if period in periods else periods[0]
            move = _price_move(self.before.prices[supplier, mineral, t], self.after.prices[supplier, mineral, t],
                               self.after.currency)
            parts.append(f"; list price of {mineral} from {supplier} {move} in period {t}")
        return "".join(parts)

    def of_funding(self, slot: Slot) -> str | None:
        """Rule 4: a source that may pay ``slot`` binds and an order of another mineral it may pay changed."""
        sources = self.binding[slot] if slot in self.binding else self.sources(slot)
        if any(self.paid_minerals.get(source, set()) - {slot[1]} for source in sources):
            return FUNDING
        return None

    def otherwise(self) -> str:
        """The last rule: within the gap, or, where the funding rule could not be tried, no reason found."""
        return WITHIN_GAP if self.funding is not None else NO_REASON


def order_reasons(before: PlanView, after: PlanView, changed: list[Slot], frozen: set[Slot],
                  funding: FundingUse | None, deal_minerals: set[str] = frozenset()) -> dict[Slot, str]:
    """Why each ``changed`` order moved, by the first of these rules that holds:

    0. its offer was not in ``before``'s input (a new offer), or, an order ``after`` no longer has, its offer
       is not in ``after``'s input (each when that input's offers are known);
    1. a commitment of its mineral appeared (not an order frozen from ``before``) or one of ``before``'s
       ended (a frozen period over);
    2. its own offer's list price moved in a period both plans know, or its terms moved;
    3. the list price of another offer of the same mineral moved, or (second) its mineral has a new offer,
       or (third) its demand moved (each plan's Stock sheet, the first scenario's), or (fourth) a deal of its
       mineral changed (``deal_minerals``: a project funded or dropped, a contract, a sale);
    4. a funding source that may pay it binds (funding) and an order of another mineral that the same
       source may pay changed (its quantity, or its cost: a kept order whose price moved);
    5. ``before``'s input is unknown (a plan workbook no run of the history wrote) and ``before`` never
       ordered from its offer (in any period): the offer may be new to the input or one it passed over;
    6. otherwise the plan moved within the gap (without ``funding``, rule 4 untried: no reason found).
    """
    news = News(before, after, changed, frozen, funding)
    news.deal_minerals = set(deal_minerals)
    ordered_before = {slot[:2] for slot, row in before.orders.items() if row["quantity"] > 0}
    never_ordered = lambda slot: NEVER_ORDERED if before.offers is None and slot[:2] not in ordered_before else None  # noqa: E731
    return {slot: news.of_offer(*slot[:2]) or news.of_funding(slot) or never_ordered(slot) or news.otherwise()
            for slot in changed}


def _demand_news(before: Decisions | None, after: Decisions | None) -> set[str]:
    """Minerals whose demand moved in a period both plans know (none when either plan's is unknown)."""
    if before is None or after is None:
        return set()
    return {key[0] for key in set(before.demand) & set(after.demand)
            if _moved(before.demand[key], after.demand[key])}


def _commitment_news(before: PlanView, after: PlanView, frozen: set[Slot]) -> set[str]:
    """Minerals with a commitment that is new (not frozen from ``before``) or that ``before`` had and ended."""
    def committed(view: PlanView) -> set[Slot]:
        return {slot for slot, row in view.orders.items() if row["committed"]}

    old, new = committed(before), committed(after)
    return {slot[1] for slot in (new - old - frozen) | (old - new)}


def _reasons_rows(deal_rows: list[dict], order_rows: list[dict], conversion_rows: list[dict]) -> list[dict]:
    """The reasons rows: the deals' (when one changed), the orders', the conversions' (when one changed)."""
    rows = [_reasons_row([r["reason"] for r in deal_rows], "deal")] if deal_rows else []
    rows.append(_reasons_row([r["reason"] for r in order_rows if r["change"] in ORDER_CHANGES], "order"))
    if conversion_rows:
        rows.append(_reasons_row([r["reason"] for r in conversion_rows], "conversion"))
    return rows


def _reasons_row(reasons: list[str], noun: str) -> dict:
    """One sentence: how many of ``noun`` changed for each reason, and whether any changed with no news."""
    if not reasons:
        return {"change": "reasons", "finding": f"no {noun} changed"}
    counts = {reason: reasons.count(reason) for reason in REASONS if reason in reasons}
    parts = [f"{n} as {reason}" if reason != WITHIN_GAP else f"{n} {reason}" for reason, n in counts.items()]
    tail = (f"no other {noun} changed" if WITHIN_GAP not in counts
            else f"the {noun}s within the gap moved with no news behind them")
    return {"change": "reasons", "finding": f"{plural(len(reasons), noun)} changed: " + ", ".join(parts)
            + f"; {tail}"}


def _deal_row(change: object) -> bool:
    return str(change).split(" ")[0] in DEALS


def deal_sentences(frame: pd.DataFrame) -> list[str]:
    """Each deal changed in words, with why: "project P dropped: ... (the deal's own terms moved)"."""
    return [f"{row.finding} ({row.reason})" for row in frame[frame["change"].map(_deal_row)].itertuples()]


def reason_lines(frame: pd.DataFrame, units: dict[str, str] | None = None, limit: int = 20) -> list[str]:
    """For the terminal: the reasons sentences, then one line per deal changed (first: the most money), then
    per order added, removed or changed, each with why (quantities in each mineral's unit of ``units``)."""
    lines = [str(text) for text in frame.loc[frame["change"] == "reasons", "finding"]]
    lines += [f"  {sentence}" for sentence in deal_sentences(frame)]
    orders = frame[frame["change"].isin(ORDER_CHANGES) & frame["reason"].notna()]
    for row in orders.head(limit).itertuples():
        unit = (units or {}).get(row.mineral, "")
        scenario = f" in scenario {row.scenario}" if getattr(row, "scenario", "") else ""
        if row.change == MOVED:
            lines.append(f"  {row.change:<7} {quantity(row.quantity, unit)} of {row.mineral} from {row.supplier} from "
                         f"period {int(row.previous_period)} to period {int(row.period)}{scenario} ({row.reason})")
            continue
        lines.append(f"  {row.change:<7} {row.mineral} from {row.supplier} in period {int(row.period)}{scenario}: "
                     f"{quantity(row.previous_quantity, unit)} to {quantity(row.quantity, unit)} ({row.reason})")
    if len(orders) > limit:
        lines.append(f"  ... and {len(orders) - limit} more")
    return lines


def no_previous(reason: str) -> pd.DataFrame:
    """A Changes sheet with one row saying why there is nothing to compare."""
    return pd.DataFrame([{"change": "none", "finding": reason}], columns=CHANGE_COLUMNS)


def _cost_rows(before: PlanView, after: PlanView) -> list[dict]:
    """The objective's change, then each cost term that moved: "$792M to $799M (+$7.83M, +1.0%)"."""
    rows = []
    for key in ("objective", *COST_TERMS, *EXTRA_TERMS):
        old, new = before.costs.get(key), after.costs.get(key)
        if old is None and new is None:
            continue
        if key != "objective" and _same(old or 0.0, new or 0.0, 1e-9):
            continue
        delta = (new or 0.0) - (old or 0.0)
        rows.append({"change": "cost", "previous_cost": old, "cost": new, "cost_change": delta,
                     "finding": f"{key}: {_money(old, after.currency)} to {_money(new, after.currency)} "
                                f"({signed_money(delta, after.currency)}{_percent_of(delta, old)})"})
    if rows:
        rows[0]["finding"] = f"{before.label} to {after.label}: " + rows[0]["finding"]
    return rows


def _order_change_rows(before: PlanView, after: PlanView, frozen: set[Slot]) -> list[dict]:
    rows = []
    for slot in sorted(set(before.orders) | set(after.orders), key=_slot_order):
        old, new = before.orders.get(slot), after.orders.get(slot)
        old_q, new_q = (old or {}).get("quantity", 0.0), (new or {}).get("quantity", 0.0)
        kind = "frozen" if slot in frozen else _change_kind(old_q, new_q)
        if kind is None:
            continue
        rows.append(_order_row(kind, slot, old, new, before, after))
    return rows


def _order_row(kind: str, slot: Slot, old: dict | None, new: dict | None, before: PlanView,
               after: PlanView) -> dict:
    old_q, new_q = (old or {}).get("quantity", 0.0), (new or {}).get("quantity", 0.0)
    old_price = (old or {}).get("unit_price") or before.prices.get(slot)
    new_price = (new or {}).get("unit_price") or after.prices.get(slot)
    old_cost, new_cost = (old or {}).get("cost") or 0.0, (new or {}).get("cost") or 0.0
    supplier, mineral, period = slot
    what = f"{mineral} from {supplier} in period {period}"
    old_text, new_text = (quantity(q, after.units.get(mineral, "")) for q in (old_q, new_q))
    finding = _quantity_finding(kind, "order", what, old_text, new_text, new_q > old_q)
    move = _price_move(before.prices.get(slot), after.prices.get(slot), after.currency)
    if move and kind != "frozen":
        finding += f"; list price {move}"
    return {"change": kind, "supplier": supplier, "mineral": mineral, "period": period, "previous_quantity": old_q,
            "quantity": new_q, "quantity_change": _round_off(new_q - old_q), "previous_unit_price": old_price,
            "unit_price": new_price, "price_change": _ratio(old_price, new_price), "previous_cost": old_cost,
            "cost": new_cost, "cost_change": _round_off(new_cost - old_cost), "finding": finding}


def _change_kind(old_q: float, new_q: float) -> str | None:
    """added (from none), removed (to none), changed (beyond round-off) or None (the same)."""
    if old_q <= 0 < new_q:
        return "added"
    if new_q <= 0 < old_q:
        return "removed"
    return None if _same(old_q, new_q, QUANTITY_TOLERANCE) else "changed"


def _quantity_finding(kind: str, noun: str, what: str, old: str, new: str, raised: bool) -> str:
    """An order's or a conversion's (``noun``) change in words, its quantities ``old`` and ``new`` as written."""
    return {
        "added": f"new {noun}: {new} of {what}",
        "removed": f"{noun} dropped: {old} of {what}",
        "changed": f"{noun} of {what} {'raised' if raised else 'cut'} from {old} to {new}",
        "frozen": f"frozen: {new} of {what} kept from the previous plan as a commitment",
    }[kind]


def _held_rows(before: PlanView, after: PlanView, unpenalised: dict[Slot, float]) -> list[dict]:
    """Orders where the plan without the change penalty differs: what the penalty held back."""
    rows = []
    kept = after.quantities()
    for slot in sorted(set(kept) | set(unpenalised), key=_slot_order):
        kept_q, free = kept.get(slot, 0.0), unpenalised.get(slot, 0.0)
        if _same(kept_q, free, QUANTITY_TOLERANCE):
            continue
        supplier, mineral, period = slot
        previous = before.orders.get(slot, {}).get("quantity", 0.0)
        unit = after.units.get(mineral, "")
        rows.append({"change": "held", "supplier": supplier, "mineral": mineral, "period": period,
                     "previous_quantity": previous, "quantity": kept_q, "quantity_change": kept_q - previous,
                     "without_change_penalty": free,
                     "finding": f"the change penalty keeps {quantity(kept_q, unit)} of {mineral} from {supplier} in "
                                f"period {period} (previous plan {quantity(previous, unit)}); without it the plan "
                                f"would order {quantity(free, unit)}"})
    return rows


def _price_rows(before: PlanView, after: PlanView) -> list[dict]:
    """One row per offer whose list price moved, over the periods both plans know."""
    moved: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for slot in sorted(set(before.prices) & set(after.prices), key=_slot_order):
        old, new = before.prices[slot], after.prices[slot]
        if old is not None and new is not None and not _same(old, new, PRICE_TOLERANCE):
            moved.setdefault(slot[:2], []).append((slot[2], old, new))
    rows = []
    for (supplier, mineral), moves in moved.items():
        old = sum(m[1] for m in moves) / len(moves)
        new = sum(m[2] for m in moves) / len(moves)
        periods = [m[0] for m in moves]
        ratios = [m[2] / m[1] - 1 for m in moves if m[1]]
        spread = f" (from {_pct(min(ratios))} to {_pct(max(ratios))})" if ratios and max(ratios) - min(ratios) > 1e-9 else ""
        rows.append({"change": "price", "supplier": supplier, "mineral": mineral, "period": moves[0][0],
                     "previous_unit_price": old, "unit_price": new, "price_change": _ratio(old, new),
                     "finding": f"list price of {mineral} from {supplier} {_price_move(old, new, after.currency)} "
                                f"on average in {'period' if len(periods) == 1 else 'periods'} {_span(periods)}"
                                f"{spread}"})
    return rows


def summary_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Summary keys: when a deal changed, its kind's counts first (projects funded, dropped, changed; contracts
    signed...; sales added...); orders added, removed, changed, moved (only when one did), frozen and held
    back; offers whose price moved;
    and, when a conversion changed, conversions added, removed and changed."""
    counts = frame["change"].value_counts()
    present = {noun for noun in FAMILIES if any(change_of(noun, kind) in counts for kind in ORDER_KINDS)}
    names = {change_of(noun, kind): f"{noun}s_{FAMILIES[noun][i]}" for noun in DEALS if noun in present
             for i, kind in enumerate(ORDER_KINDS)}
    moved = (MOVED,) if MOVED in counts else ()  # only when an order moved, as conversions
    names |= {**{kind: f"orders_{kind}" for kind in (*ORDER_KINDS, *moved, "frozen", "held")}, "price": "prices_moved"}
    if "conversion" in present:
        names |= {change: f"conversions_{kind}" for kind, change in CONVERSION_KINDS.items()}
    return {name: int(counts.get(kind, 0)) for kind, name in names.items()}


def counts_text(counts: dict[str, int], orders: bool = True, separator: str = ", ") -> str:
    """``summary_counts`` in words, those not 0, the deals first: "1 project dropped; 1 order added; 2 prices
    moved" (``orders``: the noun named, else "1 added, 2 prices moved" as a terminal line says it)."""
    parts = []
    for name, count in sorted(counts.items(), key=lambda item: COUNTED.get(item[0], ("",))[0] not in DEALS):
        if not count:
            continue
        if name.startswith("orders_"):
            kind = name.removeprefix("orders_").replace("_", " ")
            parts.append(f"{plural(count, 'order')} {kind}" if orders else f"{count:,} {kind}")
        else:
            noun, verb = COUNTED[name]
            parts.append(f"{plural(count, noun)} {verb}")
    return separator.join(parts)


# --- formatting -----------------------------------------------------------------------------


def render(frame: pd.DataFrame) -> str:
    """For the terminal: the cost change in sentences, then each deal changed with why (the most money), then
    one line per order, conversion and price change."""
    in_sentences = frame["change"].isin(("cost", "none", "reasons", NOT_MEASURED))
    deals = frame["change"].map(_deal_row)
    costs, rest = frame[in_sentences], frame[~in_sentences & ~deals]
    lines = [str(text) for text in costs["finding"]] + deal_sentences(frame)
    if rest.empty:
        return "\n".join(lines + ([] if deals.any() else ["no deal, order, conversion or price changed"]))
    columns = ["change", *(["conversion"] if "conversion" in frame else []), "supplier", "mineral",
               *(["previous_period"] if "previous_period" in frame else []), "period",
               *(["scenario"] if "scenario" in frame else []),
               "previous_quantity", "quantity", "previous_unit_price", "unit_price", "cost_change", "reason"]
    shown = rest[columns].astype(object)
    for column in ("previous_period", "period")[0 if "previous_period" in shown else 1:]:
        shown[column] = shown[column].map(lambda v: "" if _missing(v) else str(int(v)))
    shown["reason"] = shown["reason"].map(lambda v: "" if _missing(v) else v)
    if "scenario" in shown:
        shown["scenario"] = shown["scenario"].map(lambda v: "" if _missing(v) else v)
    for column in columns[-6:-1]:
        shown[column] = shown[column].map(lambda v: "" if _missing(v) else f"{v:,.2f}")
    return "\n".join(lines + ["", shown.fillna("").to_string(index=False)])


def _round_off(value: float) -> float:
    return 0.0 if abs(value) < 1e-6 else value


def _slot_order(slot: Slot) -> tuple:
    return (slot[1], slot[0], slot[2])  # mineral, supplier, period


def _same(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def _ratio(old: float | None, new: float | None) -> float | None:
    if old in (None, 0) or new is None:
        return None
    return new / old - 1


def _price_move(old: float | None, new: float | None, currency: str) -> str:
    """"rose 5.0% ($26,875.00 to $28,218.75)"; "" when the price did not move."""
    if old is None or new is None or _same(old, new, PRICE_TOLERANCE):
        return ""
    return (f"{'rose' if new > old else 'fell'} {100 * abs(new / old - 1):.1f}% "
            f"({price(old, currency)} to {price(new, currency)})")


def _span(periods: list[int]) -> str:
    periods = sorted(periods)
    parts, first, last = [], periods[0], periods[0]
    for p in periods[1:] + [None]:
        if p is not None and p == last + 1:
            last = p
            continue
        parts.append(str(first) if first == last else f"{first}-{last}")
        if p is not None:
            first = last = p
    return ", ".join(parts)


def _pct(value: float) -> str:
    return f"{100 * value:+.1f}%" if value < 0 or value > 0 else "0.0%"


def _percent_of(delta: float, base: float | None) -> str:
    return f", {_pct(delta / base)}" if base else ""


def _money(value: float | None, currency: str) -> str:
    return "n/a" if value is None else money(value, currency)


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    return value


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
