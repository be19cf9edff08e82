"""Independent plan checker: does a result workbook meet the model it claims to solve?

Everything is recomputed from the result workbook's contract sheets (``Summary``,
``Orders``, ``Funding``, ``Stock``; with Projects in the input also ``Projects`` and
``Capex``) and the validated ``PlanningData``; nothing
here imports Pyomo or the model, so an error in the model's encoding cannot hide
itself. Each check group below follows a section of ``model.md``.

The checker reads the workbook with its own code (calamine, cell by cell), apart from
``optimizer/intake/plans.py``, the reader the re-plan and stress commands share: a
fault in that reader cannot then hide itself from the judge. Only the names of the
sheets, columns and cost terms come from ``optimizer/contract/results.py``.

Comparisons allow ``abs_tol + rel_tol * magnitude``: the solver's answers are
exact only to about 1e-6 relative, while a real error (a unit of stock missing, a
wrong price, a budget overspent by 0.1%) is far larger.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from python_calamine import CalamineWorkbook

from optimizer.contract.data import SERVE_FIRST, Offer, PlanningData, Scenario
from optimizer.contract.results import (
    CONTRACT_COST_TERMS, CONVERSION_COLUMNS, CONVERSION_FUNDING_COLUMNS, CONVERSION_STOCK_COLUMNS, COST_TERMS,
    FEASIBLE, LATER_TERMS, OPTIMAL, OPTIONAL_COST_TERMS, OPTIONAL_RESULT_COLUMNS, OPTIONAL_RESULT_SHEETS,
    OPTIONAL_TERMS, PROJECT_SHEETS, PROJECT_TERMS, RESULT_SHEETS, SUMMARY_KEYS,
)

# The contract's sheets and columns are named once, in contract/results.py; how they are read and judged
# below is this module's own (see the module docstring).
SHEETS = {title.lower(): (title, columns) for title, columns in RESULT_SHEETS.items()}  # normalised name -> ...
# written when the plan has such sheets (Projects, Capex; Sales)
OPTIONAL_SHEETS = {title.lower(): (title, columns)
                   for title, columns in {**PROJECT_SHEETS, **OPTIONAL_RESULT_SHEETS}.items()}
# Read where present: the contract a row of Orders or Funding belongs to (blank: an order), and the Contracts
# sheet's signed column (required when the input has contracts).
CONTRACTS_SHEET = ("contracts", "Contracts", ("contract", "signed", "take_or_pay_paid"))
# With a Conversions input sheet (issue 14, point 2): two more sheets, and the Stock sheet's flows read apart.
CONVERSION_SHEETS = {"conversions": ("Conversions", tuple(CONVERSION_COLUMNS)),
                     "conversion funding": ("Conversion funding", tuple(CONVERSION_FUNDING_COLUMNS)),
                     "stock": ("Stock", ("scenario", "mineral", "period", *CONVERSION_STOCK_COLUMNS))}
PLAN_STATUSES = (OPTIMAL, FEASIBLE)
# Read when present: the contract of a delivery and of its payment, the scenario of a recourse order, of
# its funding, of a capex payment and of a conversion and its payment (blank: an order, or shared by every
# scenario).
OPTIONAL_COLUMNS = {"orders": ("contract", "scenario"), "funding": ("contract", "scenario"), "capex": ("scenario",),
                    "conversions": ("scenario",), "conversion funding": ("scenario",)}

Slot = tuple[str, str, int]  # (supplier, mineral, period)
StockKey = tuple[str, str, int]  # (scenario, mineral, period)
Cell = tuple[int, dict[str, object]]  # (Excel row number, normalised header -> value)


@dataclass(frozen=True)
class Tolerance:
    """``a`` and ``b`` agree when ``|a - b| <= abs_tol + rel_tol * max(|a|, |b|, scale)``."""

    rel_tol: float
    abs_tol: float

    def slack(self, *magnitudes: float) -> float:
        """The allowed difference at the size of the largest of ``magnitudes``."""
        return self.abs_tol + self.rel_tol * max((abs(v) for v in magnitudes), default=0.0)

    def close(self, a: float, b: float, scale: float = 0.0) -> bool:
        """Whether ``a`` and ``b`` are equal within the tolerance."""
        return abs(a - b) <= self.slack(a, b, scale)

    def at_most(self, a: float, b: float, scale: float = 0.0) -> bool:
        """Whether ``a`` is at most ``b`` within the tolerance."""
        return a <= b + self.slack(a, b, scale)


@dataclass(frozen=True)
class OrderRow:
    row: int
    supplier: str
    mineral: str
    country: str
    period: int
    arrival_period: int
    quantity: float
    unit_price: float
    cost: float

    @property
    def slot(self) -> Slot:
        """The order's (supplier, mineral, period)."""
        return (self.supplier, self.mineral, self.period)


@dataclass(frozen=True)
class DeliveryRow(OrderRow):
    """A row of Orders that names a contract: a delivery under it."""

    contract: str


@dataclass(frozen=True)
class ContractRow:
    row: int
    contract: str
    signed: str
    take_or_pay_paid: float


@dataclass(frozen=True)
class FundingRow:
    row: int
    source: str
    supplier: str
    mineral: str
    period: int
    amount: float

    @property
    def slot(self) -> Slot:
        """The (supplier, mineral, period) of the order this row pays."""
        return (self.supplier, self.mineral, self.period)


@dataclass(frozen=True)
class CapexRow:
    row: int
    project: str
    supplier: str
    source: str
    period: int
    amount: float


@dataclass(frozen=True)
class ContractFundingRow(FundingRow):
    """A row of Funding that names a contract: a payment of that contract's bill in the period."""

    contract: str


@dataclass(frozen=True)
class StockRow:
    row: int
    scenario: str
    mineral: str
    period: int
    arrivals: float
    demand: float
    unmet_demand: float
    stock: float
    target: float
    shortfall: float
    sold: float = 0.0  # optional column: stock sold (the Sales sheet)
    lost: float = 0.0  # optional column: stock lost to decay

    @property
    def key(self) -> StockKey:
        """The row's (scenario, mineral, period)."""
        return (self.scenario, self.mineral, self.period)


@dataclass(frozen=True)
class SaleRow:
    row: int
    sale: int
    mineral: str
    period: int
    quantity: float
    unit_price: float
    revenue: float
    source: str


def check_result_workbook(path: Path, data: PlanningData, tolerance: float = 1e-6,
                          previous: dict[str, dict[Slot, float]] | None = None) -> list[str]:
    """Every way the result workbook at ``path`` breaks the model for ``data``; empty when valid.

    ``tolerance`` is the relative tolerance; the absolute one is 100 times it
    (1e-4 by default), for quantities and money alike. ``previous`` (a re-plan of a plan with recourse:
    scenario -> the previous plan's orders that hold in it): the Summary's change_cost is recomputed.
    """
    tol = Tolerance(rel_tol=tolerance, abs_tol=100 * tolerance)
    sheets, problems = read_contract_sheets(Path(path))
    if problems:
        return problems
    converted, problems = read_conversions(Path(path), data, tol) if data.conversions else (Conversions(), [])
    summary = _parse_summary(sheets["summary"], problems)
    order_cells, delivery_cells = _split_contract_rows(sheets["orders"])
    funding_cells, paid_cells = _split_contract_rows(sheets["funding"])
    orders = _parse_rows(order_cells, "Orders", OrderRow, problems)
    funding = _parse_rows(funding_cells, "Funding", FundingRow, problems)
    stock = _index_stock(_parse_rows(sheets["stock"], "Stock", StockRow, problems), data, problems)
    decisions, capex = _project_sheets(sheets, data, problems)
    supply = Supply(orders, _parse_rows(delivery_cells, "Orders", DeliveryRow, problems),
                    _parse_rows(paid_cells, "Funding", ContractFundingRow, problems),
                    _read_contracts(path, data, problems))
    sales = _parse_rows(sheets.get("sales", []), "Sales", SaleRow, problems)
    if data.settings.recourse == "yes":
        return problems + check_recourse(summary, sheets, orders, funding, stock, data, tol, previous,
                                         Deals(supply, decisions, capex, sales), converted)
    problems += check_orders(orders, data, tol)
    problems += check_commitments(orders, data, tol)
    problems += check_projects(decisions, capex, orders, data, tol)
    problems += check_contracts(supply, data, tol)
    problems += check_sales(sales, data, tol)
    problems += check_funding(funding, orders, data, tol, capex, supply, sales, converted.payments)
    problems += check_stock(stock, supply, data, tol, sold=sold_by_period(sales, data), converted=converted)
    problems += check_release(stock, data, tol)
    problems += check_mix(supply, data, tol)
    problems += check_market(supply, data, tol)
    problems += check_summary(summary, supply, funding, stock, data, tol, capex, decisions, sales=sales,
                              converted=converted)
    problems += check_floor_cost(summary, recompute_floor_cost(supply, data), tol)
    return problems


# --- reading ---------------------------------------------------------------------------


def _normalise(name: object) -> str:
    return str(name).strip().lower()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_contract_sheets(path: Path, wanted: dict | None = None) -> tuple[dict[str, list[Cell]], list[str]]:
    """The contract sheets' rows by normalised sheet name, and any structural problems (``wanted``:
    other sheets and columns than the contract's)."""
    wanted = {**SHEETS, **OPTIONAL_SHEETS} if wanted is None else wanted
    try:
        # calamine reads cell values fast and opens only the sheets asked for
        workbook = CalamineWorkbook.from_path(str(path))
        names = {_normalise(name): name for name in workbook.sheet_names}
        grids = {key: workbook.get_sheet_by_name(names[key]).to_python(skip_empty_area=False)
                 for key in wanted if key in names}
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one violation
        return {}, [f"cannot open result workbook {path}: {exc}"]
    return _contract_rows(grids, wanted)


def _contract_rows(grids: dict[str, list[list]], wanted: dict) -> tuple[dict[str, list[Cell]], list[str]]:
    sheets: dict[str, list[Cell]] = {}
    problems: list[str] = []
    for key, (title, columns) in wanted.items():
        if key not in grids:
            if key in SHEETS:
                problems.append(f"sheet {title} is missing")  # the optional ones only when written
            continue
        rows = [(n, values) for n, values in enumerate(grids[key], 1) if not all(_blank(v) for v in values)]
        header = [_normalise(v) if not _blank(v) else "" for v in rows[0][1]] if rows else []
        missing = [c for c in columns if c not in header]
        if missing:
            problems.append(f"sheet {title}: missing column(s) {', '.join(missing)}")
            continue
        optional = [c for c in (*OPTIONAL_COLUMNS.get(key, ()), *OPTIONAL_RESULT_COLUMNS.get(title, ()))
                    if c in header]
        index = {c: header.index(c) for c in (*columns, *optional)}
        sheets[key] = [(n, {c: (values[i] if i < len(values) else None) for c, i in index.items()})
                       for n, values in rows[1:]]
    return sheets, problems


def _split_contract_rows(cells: list[Cell]) -> tuple[list[Cell], list[Cell]]:
    """Rows without a contract (orders, their payments) and rows naming one (deliveries, contract payments)."""
    plain = [cell for cell in cells if _blank(cell[1].get("contract"))]
    named = [cell for cell in cells if not _blank(cell[1].get("contract"))]
    return plain, named


def _read_contracts(path: Path, data: PlanningData, problems: list[str]) -> dict[str, ContractRow]:
    """The Contracts sheet's rows by contract (read only when the input has contracts: then it is required)."""
    if not data.contracts:
        return {}
    key, title, columns = CONTRACTS_SHEET
    workbook = CalamineWorkbook.from_path(str(path))
    names = {_normalise(name): name for name in workbook.sheet_names}
    if key not in names:
        problems.append(f"sheet {title} is missing (the input has contracts)")
        return {}
    grids, more = _contract_rows({key: workbook.get_sheet_by_name(names[key]).to_python(skip_empty_area=False)},
                                    {key: (title, columns)})
    problems += more
    rows = {r.contract: r for r in _parse_rows(grids.get(key, []), title, ContractRow, problems)}
    for name in data.contracts:
        if name not in rows:
            problems.append(f"Contracts: contract {name} has no row")
    return rows


def _convert(value: object, kind: type) -> object:
    """``value`` as ``kind`` (str, int or float); raises ValueError when it is not one."""
    if _blank(value):
        raise ValueError("is blank")
    if kind is str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    if kind is int:
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    return number


def _parse_rows(cells: list[Cell], title: str, cls: type, problems: list[str]) -> list:
    """One ``cls`` per row whose cells all convert; the others are reported and dropped."""
    parsed = []
    columns = [f for f in fields(cls) if f.name != "row"]
    kinds = {"str": str, "int": int, "float": float}
    for row, values in cells:
        converted: dict[str, object] = {}
        for column in columns:
            if column.default is not MISSING and _blank(values.get(column.name)):
                converted[column.name] = column.default  # an optional column (OPTIONAL_RESULT_COLUMNS)
                continue
            try:
                converted[column.name] = _convert(values[column.name], kinds[column.type])
            except ValueError as exc:
                problems.append(f"{title} row {row}: {column.name} {exc}")
        if len(converted) == len(columns):
            parsed.append(cls(row=row, **converted))
    return parsed


def _parse_summary(cells: list[Cell], problems: list[str]) -> dict[str, object]:
    """Summary values by normalised key; duplicate keys are reported."""
    summary: dict[str, object] = {}
    for row, values in cells:
        if _blank(values["key"]):
            problems.append(f"Summary row {row}: key is blank")
            continue
        key = _normalise(values["key"])
        if key in summary:
            problems.append(f"Summary row {row}: key {key} appears more than once")
            continue
        summary[key] = values["value"]
    return summary


def _index_stock(rows: list[StockRow], data: PlanningData, problems: list[str]) -> dict[StockKey, StockRow]:
    """Stock rows by (scenario, mineral, period); unknown keys and duplicates are reported."""
    scenarios = {k.name for k in data.all_scenarios}
    index: dict[StockKey, StockRow] = {}
    for r in rows:
        where = f"Stock row {r.row}"
        if r.scenario not in scenarios:
            problems.append(f"{where}: scenario {r.scenario!r} is not base or a Scenarios name")
        elif r.mineral not in data.minerals:
            problems.append(f"{where}: mineral {r.mineral!r} is not in Minerals")
        elif r.period not in data.periods:
            problems.append(f"{where}: period {r.period} is outside 1..{data.settings.num_periods}")
        elif r.key in index:
            problems.append(f"{where}: duplicates row {index[r.key].row} "
                            f"({r.scenario}, {r.mineral}, period {r.period})")
        else:
            index[r.key] = r
    return index


def _project_sheets(sheets: dict[str, list[Cell]], data: PlanningData,
                    problems: list[str]) -> tuple[dict[str, int | None], list[CapexRow]]:
    """The Projects sheet's decision per project (None: not funded) and the Capex rows; both sheets are
    required when the input has projects."""
    if not data.projects:
        return {}, []
    for title in PROJECT_SHEETS:
        if title.lower() not in sheets:
            problems.append(f"sheet {title} is missing (the input has Projects)")
    decisions: dict[str, int | None] = {}
    for row, values in sheets.get("projects", []):
        try:
            name = _convert(values["project"], str)
            period = None if _blank(values["decision_period"]) else _convert(values["decision_period"], int)
        except ValueError as exc:
            problems.append(f"Projects row {row}: {exc}")
            continue
        if name not in data.projects:
            problems.append(f"Projects row {row}: project {name!r} is not in the input's Projects")
        elif name in decisions:
            problems.append(f"Projects row {row}: project {name!r} appears more than once")
        else:
            decisions[name] = period
    capex = _parse_rows(sheets.get("capex", []), "Capex", CapexRow, problems)
    return decisions, capex


# --- checks ----------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _known_orders(orders: list[OrderRow], data: PlanningData) -> list[OrderRow]:
    return [r for r in orders if (r.supplier, r.mineral) in data.offers]


def _ordered(orders: list[OrderRow], data: PlanningData) -> dict[Slot, float]:
    """x[o,t] by (supplier, mineral, period), from the order rows of existing offers."""
    quantities: dict[Slot, float] = defaultdict(float)
    for r in _known_orders(orders, data):
        quantities[r.slot] += r.quantity
    return quantities


@dataclass(frozen=True)
class Supply:
    """What the plan buys, as written: orders, contract deliveries, contract payments and the Contracts sheet."""

    orders: list[OrderRow]
    deliveries: list[DeliveryRow]
    contract_funding: list[ContractFundingRow]
    contracts: dict[str, ContractRow]

    def known_deliveries(self, data: PlanningData) -> list[DeliveryRow]:
        """Delivery rows of contracts of the input."""
        return [r for r in self.deliveries if r.contract in data.contracts]

    def signed(self, name: str) -> bool:
        """Whether the Contracts sheet says the contract is signed."""
        row = self.contracts.get(name)
        return row is not None and _normalise(row.signed) == "yes"

    def taken(self, data: PlanningData) -> dict[str, float]:
        """taken[c]: the quantity ordered under each contract of the input (0 when none)."""
        taken = {name: 0.0 for name in data.contracts}
        for r in self.known_deliveries(data):
            taken[r.contract] += r.quantity
        return taken

    def take_or_pay(self, data: PlanningData) -> dict[str, float]:
        """The quantity paid for and not taken: max(0, min_quantity x signed - taken) per contract."""
        return {name: max(0.0, data.contracts[name].min_quantity * self.signed(name) - quantity)
                for name, quantity in self.taken(data).items()}

    def placed(self, data: PlanningData) -> dict[Slot, float]:
        """Orders and contract deliveries by (supplier, mineral, period placed): what the market cap counts."""
        quantities = _ordered(self.orders, data)
        for r in self.known_deliveries(data):
            quantities[r.slot] += r.quantity
        return quantities

    def bought(self, data: PlanningData) -> dict[tuple[str, str], float]:
        """X by (supplier, mineral): orders, deliveries and take-or-pay quantities, as the caps count them."""
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for (s, m, _t), quantity in self.placed(data).items():
            totals[s, m] += quantity
        for name, quantity in self.take_or_pay(data).items():
            totals[data.contracts[name].supplier, data.contracts[name].mineral] += quantity
        return totals

    def arriving(self, data: PlanningData) -> dict[Slot, float]:
        """(supplier, mineral, arrival period) -> quantity before losses: orders and contract deliveries."""
        arriving: dict[Slot, float] = defaultdict(float)
        for (s, m, t), quantity in _ordered(self.orders, data).items():
            arriving[s, m, t + data.offers[s, m].lead_time] += quantity
        for r in self.known_deliveries(data):
            arriving[r.supplier, r.mineral, r.period + data.contracts[r.contract].lead_time] += r.quantity
        return arriving


def check_contracts(supply: Supply, data: PlanningData, tol: Tolerance) -> list[str]:
    """Contracts: each delivery lies in its contract's periods at its unit_price, within max_per_period and only
    under a signed contract; max_quantity over the contract; signed: yes honoured; take_or_pay_paid =
    unit_price x max(0, min_quantity x signed - taken)."""
    problems: list[str] = []
    num_periods = data.settings.num_periods
    for r in supply.deliveries:
        where = f"Orders row {r.row} (contract {r.contract}, period {r.period})"
        contract = data.contracts.get(r.contract)
        if contract is None:
            problems.append(f"{where}: contract {r.contract!r} is not in Contracts")
            continue
        if (r.supplier, r.mineral) != (contract.supplier, contract.mineral):
            problems.append(f"{where}: ({r.supplier}, {r.mineral}) is not the contract's ({contract.supplier}, "
                            f"{contract.mineral})")
        if r.period not in contract.delivery_periods(num_periods):
            problems.append(f"{where}: period {r.period} is outside the contract's periods {contract.first_period}.."
                            f"{contract.last_period} (lead time {contract.lead_time}, horizon {num_periods})")
        if r.arrival_period != r.period + contract.lead_time:
            problems.append(f"{where}: arrival_period {r.arrival_period} != period + lead time "
                            f"{r.period + contract.lead_time}")
        price = expected_delivery_price(r.contract, r.period, data)  # unit_price without a floor_price
        what = "the contract's" if contract.floor_price is None else "the expected price over the scenarios"
        if not tol.close(r.unit_price, price):
            problems.append(f"{where}: unit_price {_fmt(r.unit_price)} != {what} {_fmt(price)}")
        if not tol.close(r.cost, r.quantity * price):
            problems.append(f"{where}: cost {_fmt(r.cost)} != quantity x unit_price "
                            f"{_fmt(r.quantity * price)}")
        if not tol.at_most(0.0, r.quantity):
            problems.append(f"{where}: quantity {_fmt(r.quantity)} is negative")
        if contract.max_per_period is not None and not tol.at_most(r.quantity, contract.max_per_period):
            problems.append(f"{where}: quantity {_fmt(r.quantity)} is above max_per_period "
                            f"{_fmt(contract.max_per_period)}")
        if r.quantity > tol.abs_tol and not supply.signed(r.contract):
            problems.append(f"{where}: a delivery under a contract the Contracts sheet shows as not signed")
    shortfalls = supply.take_or_pay(data)
    for name, taken in supply.taken(data).items():
        contract, row = data.contracts[name], supply.contracts.get(name)
        if contract.max_quantity is not None and not tol.at_most(taken, contract.max_quantity):
            problems.append(f"contract {name}: {_fmt(taken)} taken, above max_quantity {_fmt(contract.max_quantity)}")
        if contract.signed and row is not None and not supply.signed(name):
            problems.append(f"contract {name}: signed in the input, shown as not signed")
        expected = contract.unit_price * shortfalls[name]
        if row is not None and not tol.close(row.take_or_pay_paid, expected):
            problems.append(f"Contracts row {row.row} ({name}): take_or_pay_paid {_fmt(row.take_or_pay_paid)} != "
                            f"unit_price x max(0, min_quantity x signed - taken {_fmt(taken)}) = {_fmt(expected)}")
    return problems + check_frozen_contracts(supply, data, tol)


def check_frozen_contracts(supply: Supply, data: PlanningData, tol: Tolerance) -> list[str]:
    """--freeze N: in periods 1..N each contract delivers exactly the previous plan's frozen delivery (none
    where it had none), and a contract it left unsigned in them is not signed."""
    problems: list[str] = []
    delivered: dict[tuple[str, int], float] = defaultdict(float)
    for r in supply.deliveries:
        if r.period <= data.frozen_periods:
            delivered[r.contract, r.period] += r.quantity
    for key in sorted(set(delivered) | set(data.frozen_deliveries)):
        frozen = data.frozen_deliveries.get(key, 0.0)
        if not tol.close(delivered.get(key, 0.0), frozen):
            problems.append(f"contract {key[0]}, frozen period {key[1]}: {_fmt(delivered.get(key, 0.0))} delivered "
                            f"where the previous plan's frozen delivery is {_fmt(frozen)}")
    for name in sorted(data.unsigned_contracts):
        if name in supply.contracts and supply.signed(name):
            problems.append(f"contract {name}: signed, though the previous plan left it unsigned in the frozen "
                            "periods (--freeze)")
    return problems


def contract_bills(supply: Supply, data: PlanningData) -> dict[tuple[str, int], float]:
    """(contract, period) -> its bill: deliveries ordered in the period (at the expected price with a
    floor_price), signing_cost in first_period when signed, take-or-pay at unit_price in last_period."""
    bills: dict[tuple[str, int], float] = defaultdict(float)
    for r in supply.known_deliveries(data):
        bills[r.contract, r.period] += r.quantity * expected_delivery_price(r.contract, r.period, data)
    for name, short in supply.take_or_pay(data).items():
        contract = data.contracts[name]
        if supply.signed(name):
            bills[name, contract.first_period] += contract.signing_cost
        bills[name, contract.last_period] += contract.unit_price * short
    return bills


def check_orders(orders: list[OrderRow], data: PlanningData, tol: Tolerance) -> list[str]:
    """Constraints 1 and 4 and the offer window: each order row is an order the offer allows."""
    problems: list[str] = []
    num_periods = data.settings.num_periods
    seen: dict[Slot, int] = {}
    for r in orders:
        where = f"Orders row {r.row} ({r.supplier}, {r.mineral}, period {r.period})"
        offer = data.offers.get((r.supplier, r.mineral))
        if offer is None:
            problems.append(f"{where}: ({r.supplier}, {r.mineral}) is not an offer")
            continue
        if r.slot in seen:
            problems.append(f"{where}: duplicate order, also in row {seen[r.slot]}")
        seen.setdefault(r.slot, r.row)
        if r.period not in offer.orderable_periods(num_periods):
            problems.append(f"{where}: period {r.period} is not orderable (offer periods "
                            f"{offer.first_period}..{offer.last_period}, lead time {offer.lead_time}, "
                            f"horizon {num_periods})")
        if r.arrival_period != r.period + offer.lead_time:
            problems.append(f"{where}: arrival_period {r.arrival_period} != period + lead time "
                            f"{r.period + offer.lead_time}")
        if r.country != data.country(r.supplier):
            problems.append(f"{where}: country {r.country!r} != supplier's country {data.country(r.supplier)!r}")
        problems += _check_order_size(r, offer, where, tol)
        problems += _check_unit_price(r, offer, data, where, tol)
        expected_cost = r.quantity * r.unit_price + offer.order_cost
        if not tol.close(r.cost, expected_cost):
            problems.append(f"{where}: cost {_fmt(r.cost)} != quantity x unit_price + order_cost "
                            f"{_fmt(expected_cost)}")
    return problems


def _check_unit_price(r: OrderRow, offer: Offer, data: PlanningData, where: str, tol: Tolerance) -> list[str]:
    """Constraints 2 and 4: a commitment's agreed price, else the period's price less the tier's discount."""
    agreed = data.commitment_prices.get(r.slot)
    if agreed is not None:
        if tol.close(r.unit_price, agreed):
            return []
        return [f"{where}: unit_price {_fmt(r.unit_price)} != the commitment's agreed unit_price {_fmt(agreed)}"]
    discount = offer.discount_for(r.quantity)  # reached within 1e-6 of a tier's min_quantity
    price = expected_price(r.slot, data)
    expected = price * (1 - discount)
    if tol.close(r.unit_price, expected):
        return []
    what = "price" if price == offer.price(r.period) else "expected price over the scenarios"
    return [f"{where}: unit_price {_fmt(r.unit_price)} != {what} {_fmt(price)} "
            f"x (1 - discount {_fmt(discount)}) = {_fmt(expected)}"]


def market_price(slot: Slot, price: float, scenario: str, data: PlanningData) -> float:
    """``price`` times the factors of the ScenarioPrices rows that match the scenario and the slot's mineral,
    supplier's country and period (before any floor)."""
    supplier, mineral, period = slot
    country = data.suppliers[supplier].country
    for row in data.scenario_prices:
        if (row.scenario == scenario and row.first_period <= period <= row.last_period
                and row.mineral in (None, mineral) and row.country in (None, country)):
            price *= row.factor
    return price


def scenario_price(slot: Slot, scenario: str, data: PlanningData) -> float:
    """One scenario's price of an order before discount: max(floor_price, product of the factors of the
    ScenarioPrices rows that match its scenario, mineral, supplier's country and period x the period's price)."""
    offer = data.offers[slot[:2]]
    price = market_price(slot, offer.prices.get(slot[2], offer.unit_price), scenario, data)
    return price if offer.floor_price is None else max(price, offer.floor_price)


def delivery_price(name: str, period: int, scenario: str, data: PlanningData) -> float:
    """One scenario's price of a delivery under contract ``name`` ordered in ``period``: unit_price, or with a
    floor_price max(floor_price, the ScenarioPrices factors of its supplier, mineral and period x unit_price)."""
    contract = data.contracts[name]
    if contract.floor_price is None:
        return contract.unit_price
    slot = (contract.supplier, contract.mineral, period)
    return max(contract.floor_price, market_price(slot, contract.unit_price, scenario, data))


def expected_price(slot: Slot, data: PlanningData) -> float:
    """The probability-weighted scenario price (base weighs 1 - the Scenarios' probabilities, at the offer's price)."""
    return _expected(data, lambda scenario: scenario_price(slot, scenario, data))


def expected_delivery_price(name: str, period: int, data: PlanningData) -> float:
    """The probability-weighted scenario price of a delivery (unit_price without a floor_price)."""
    return _expected(data, lambda scenario: delivery_price(name, period, scenario, data))


def _expected(data: PlanningData, price_in) -> float:
    """sum over k of pi[k] x price_in(k): base weighs 1 - the Scenarios' probabilities."""
    base = max(0.0, 1.0 - math.fsum(k.probability for k in data.scenarios))
    return base * price_in("base") + math.fsum(k.probability * price_in(k.name) for k in data.scenarios)


def recompute_floor_cost(supply: Supply, data: PlanningData) -> float:
    """The expected payment price floors add above the scenario prices: over orders of offers with a
    floor_price (not at an agreed commitment price), quantity x (1 - discount) x sum over k of pi[k] x
    (scenario price - market price); over deliveries of contracts with one, quantity x the same per unit."""
    paid = []
    for r in _known_orders(supply.orders, data):
        offer = data.offers[r.supplier, r.mineral]
        if offer.floor_price is None or r.slot in data.commitment_prices:
            continue
        listed = offer.prices.get(r.period, offer.unit_price)
        above = _expected(data, lambda k: scenario_price(r.slot, k, data) - market_price(r.slot, listed, k, data))
        paid.append(r.quantity * (1 - offer.discount_for(r.quantity)) * above)
    for r in supply.known_deliveries(data):
        contract = data.contracts[r.contract]
        if contract.floor_price is None:
            continue
        slot = (contract.supplier, contract.mineral, r.period)
        above = _expected(data, lambda k: delivery_price(r.contract, r.period, k, data)
                          - market_price(slot, contract.unit_price, k, data))
        paid.append(r.quantity * above)
    return math.fsum(paid)


def check_floor_cost(summary: dict[str, object], expected: float, tol: Tolerance) -> list[str]:
    """The Summary's floor_cost (the part of purchase_cost price floors add) is ``expected``, the
    recomputed one (recompute_floor_cost; with recourse its probability-weighted sum over the scenarios)."""
    if "floor_cost" not in summary or _blank(summary["floor_cost"]):
        return []
    try:
        reported = _convert(summary["floor_cost"], float)
    except ValueError as exc:
        return [f"Summary: floor_cost {exc}"]
    if tol.close(reported, expected, abs(expected)):
        return []
    return [f"Summary: floor_cost {_fmt(reported)} != recomputed {_fmt(expected)}"]


def _check_order_size(r: OrderRow, offer: Offer, where: str, tol: Tolerance) -> list[str]:
    """Constraint 1: 0 <= min_order <= quantity <= max_per_period."""
    problems = []
    if not tol.at_most(0.0, r.quantity):
        problems.append(f"{where}: quantity {_fmt(r.quantity)} is negative")
    if not tol.at_most(offer.min_order, r.quantity):
        problems.append(f"{where}: quantity {_fmt(r.quantity)} is below min_order {_fmt(offer.min_order)}")
    if offer.max_per_period is not None and not tol.at_most(r.quantity, offer.max_per_period):
        problems.append(f"{where}: quantity {_fmt(r.quantity)} is above max_per_period "
                        f"{_fmt(offer.max_per_period)}")
    return problems


def check_commitments(orders: list[OrderRow], data: PlanningData, tol: Tolerance) -> list[str]:
    """Constraint 2: every commitment is an order row of exactly its quantity; frozen periods hold no other."""
    problems = [f"Orders row {r.row} ({r.supplier}, {r.mineral}, period {r.period}): an order in frozen period "
                f"{r.period} (--freeze {data.frozen_periods}) that is not a commitment"
                for r in orders if r.period <= data.frozen_periods and r.slot not in data.commitments]
    ordered = _ordered(orders, data)
    for (s, m, t), quantity in sorted(data.commitments.items()):
        if (s, m, t) not in ordered:
            problems.append(f"commitment ({s}, {m}, period {t}) of {_fmt(quantity)} has no order row")
        elif not tol.close(ordered[(s, m, t)], quantity):
            problems.append(f"commitment ({s}, {m}, period {t}) of {_fmt(quantity)} is ordered as "
                            f"{_fmt(ordered[(s, m, t)])}")
    return problems


def _why_source_cannot_pay(data: PlanningData, r: FundingRow) -> str | None:
    """Why ``r.source`` may not pay the order ``r`` funds (constraint 8), or None when it may."""
    source = data.funding[r.source]
    country = data.country(r.supplier)
    if source.can_pay(country, r.mineral, r.period):
        return None
    if not source.first_period <= r.period <= source.last_period:
        return f"period {r.period} is outside its periods {source.first_period}..{source.last_period}"
    if country in source.excluded_countries:
        return f"country {country} is excluded"
    if source.minerals is not None and r.mineral not in source.minerals:
        return f"mineral {r.mineral} is not among its minerals"
    return f"its amount or period {r.period} budget is 0"


def check_projects(decisions: dict[str, int | None], capex: list[CapexRow], orders: list[OrderRow],
                   data: PlanningData, tol: Tolerance) -> list[str]:
    """Projects: each decided in an allowed period at most once (a decided one in its first_period), its
    capex paid in equal parts over the build periods from the decision period by sources allowed to pay it,
    and no order of its output placed before decision period + build_periods."""
    problems: list[str] = []
    due: dict[tuple[str, int], float] = defaultdict(float)
    for name, project in data.projects.items():
        if name not in decisions:
            problems.append(f"Projects: project {name!r} has no row")
            continue
        decision = decisions[name]
        if decision is None and project.decided:
            problems.append(f"project {name}: decided in period {project.first_period}, but not built")
        elif decision is not None and decision not in data.decision_periods(project):
            periods = data.decision_periods(project)
            problems.append(f"project {name}: decision period {decision} is not among its decision periods "
                            f"{periods.start}..{periods.stop - 1}")
        for t in [] if decision is None else project.payment_periods(decision):
            due[name, t] += project.capex_part
        start = math.inf if decision is None else decision + project.build_periods
        problems += [f"Orders row {r.row} ({r.supplier}, {r.mineral}, period {r.period}): the output of project "
                     f"{name} ordered before it is built ({'never funded' if decision is None else f'from period {start}'})"
                     for r in orders if r.supplier == project.supplier and r.period < start]
    paid: dict[tuple[str, int], float] = defaultdict(float)
    for r in capex:
        where = f"Capex row {r.row} ({r.project}: {r.source}, period {r.period})"
        if r.project not in data.projects or r.source not in data.funding:
            problems.append(f"{where}: not a project of the input or not a funding source")
            continue
        if not tol.at_most(0.0, r.amount):
            problems.append(f"{where}: amount {_fmt(r.amount)} is negative")
        if r.amount > tol.abs_tol and r.source not in data.capex_sources(data.projects[r.project], r.period):
            problems.append(f"{where}: source may not pay this project (its supplier's country, every mineral of "
                            "its offers, its periods and amount)")
        paid[r.project, r.period] += r.amount
    for key in sorted(set(due) | set(paid)):
        if not tol.close(paid[key], due[key]):
            problems.append(f"project {key[0]}: capex paid in period {key[1]} is {_fmt(paid[key])}, due "
                            f"capex / build_periods = {_fmt(due[key])}")
    return problems


def check_funding(funding: list[FundingRow], orders: list[OrderRow], data: PlanningData,
                  tol: Tolerance, capex: list[CapexRow] = (), supply: Supply | None = None,
                  sales: list[SaleRow] = (), other_payments: list[tuple[str, int, float]] = ()) -> list[str]:
    """Constraint 8: each order (and each contract's bill in a period) is paid in full, by sources allowed to
    pay it, within amounts and budgets (which the capex payments and ``other_payments``, (source, period,
    amount) of conversions, draw on too); a source that receives sale revenue spends, up to any period, at
    most its amount plus the revenue received before that period."""
    problems: list[str] = []
    costs: dict[Slot, float] = defaultdict(float)
    for r in _known_orders(orders, data):
        costs[r.slot] += r.cost
    paid: dict[Slot, float] = defaultdict(float)
    by_source: dict[str, float] = defaultdict(float)
    by_source_period: dict[tuple[str, int], float] = defaultdict(float)
    for r in funding:
        where = f"Funding row {r.row} ({r.source}: {r.supplier}, {r.mineral}, period {r.period})"
        if r.source not in data.funding:
            problems.append(f"{where}: source {r.source!r} is not in Funding")
            continue
        if not tol.at_most(0.0, r.amount):
            problems.append(f"{where}: amount {_fmt(r.amount)} is negative")
        if r.supplier not in data.suppliers:
            problems.append(f"{where}: supplier {r.supplier!r} is not in Suppliers")
            continue
        if r.amount > tol.abs_tol:
            if r.slot not in costs:
                problems.append(f"{where}: pays {_fmt(r.amount)} for no order")
            reason = _why_source_cannot_pay(data, r)
            if reason:
                problems.append(f"{where}: source may not pay this order: {reason}")
        paid[r.slot] += r.amount
        by_source[r.source] += r.amount
        by_source_period[(r.source, r.period)] += r.amount
    for r in capex:
        if r.source in data.funding:
            by_source[r.source] += r.amount
            by_source_period[(r.source, r.period)] += r.amount
    for source, period, amount in other_payments:
        by_source[source] += amount
        by_source_period[source, period] += amount
    for (s, m, t), cost in sorted(costs.items()):
        if not tol.close(paid[(s, m, t)], cost):
            problems.append(f"order ({s}, {m}, period {t}): funding adds up to {_fmt(paid[(s, m, t)])}, "
                            f"its cost is {_fmt(cost)}")
    if supply is not None:
        problems += _check_contract_funding(supply, data, tol, by_source, by_source_period)
    problems += _check_funds_with_revenue(by_source_period, _revenue_by_source_period(sales, data), data, tol)
    for name, total in sorted(by_source.items()):
        if data.funding[name].receives_sales:
            continue  # judged period by period, revenue included
        if not tol.at_most(total, data.funding[name].amount):
            problems.append(f"source {name}: pays {_fmt(total)} in total, above its amount "
                            f"{_fmt(data.funding[name].amount)}")
    for (name, t), total in sorted(by_source_period.items()):
        budget = data.funding[name].budgets.get(t)
        if budget is not None and not tol.at_most(total, budget):
            problems.append(f"source {name}: pays {_fmt(total)} in period {t}, above its budget {_fmt(budget)}")
    return problems


def _check_contract_funding(supply: Supply, data: PlanningData, tol: Tolerance, by_source: dict[str, float],
                            by_source_period: dict[tuple[str, int], float]) -> list[str]:
    """Each contract bill paid in full by sources that may pay its supplier's country, mineral and period;
    the payments added to the sources' totals (``by_source``, ``by_source_period``)."""
    problems: list[str] = []
    paid: dict[tuple[str, int], float] = defaultdict(float)
    for r in supply.contract_funding:
        where = f"Funding row {r.row} ({r.source}: contract {r.contract}, period {r.period})"
        if r.source not in data.funding or r.contract not in data.contracts:
            problems.append(f"{where}: source or contract is not in the input")
            continue
        contract = data.contracts[r.contract]
        reason = _why_source_cannot_pay(data, replace(r, supplier=contract.supplier, mineral=contract.mineral))
        if reason and r.amount > tol.abs_tol:
            problems.append(f"{where}: source may not pay this contract: {reason}")
        paid[r.contract, r.period] += r.amount
        by_source[r.source] += r.amount
        by_source_period[r.source, r.period] += r.amount
    bills = contract_bills(supply, data)
    for key in sorted(set(bills) | set(paid)):
        if not tol.close(paid.get(key, 0.0), bills.get(key, 0.0)):
            problems.append(f"contract {key[0]}, period {key[1]}: funding adds up to {_fmt(paid.get(key, 0.0))}, "
                            f"its bill is {_fmt(bills.get(key, 0.0))}")
    return problems


def _known_sales(sales: list[SaleRow], data: PlanningData) -> list[SaleRow]:
    numbers = {sale.number for sale in data.sales}
    return [r for r in sales if r.sale in numbers]


def sold_by_period(sales: list[SaleRow], data: PlanningData) -> dict[tuple[str, int], float]:
    """sold[m,t]: the quantity of the Sales rows of known sales, by the input's mineral of each sale."""
    mineral_of = {sale.number: sale.mineral for sale in data.sales}
    sold: dict[tuple[str, int], float] = defaultdict(float)
    for r in _known_sales(sales, data):
        sold[mineral_of[r.sale], r.period] += r.quantity
    return sold


def _revenue_by_source_period(sales: list[SaleRow], data: PlanningData) -> dict[tuple[str, int], float]:
    """(source, period) -> revenue received: quantity x the input's unit_price, paid to the input's source."""
    by_number = {sale.number: sale for sale in data.sales}
    revenue: dict[tuple[str, int], float] = defaultdict(float)
    for r in _known_sales(sales, data):
        sale = by_number[r.sale]
        revenue[sale.source, r.period] += r.quantity * sale.unit_price
    return revenue


def check_sales(sales: list[SaleRow], data: PlanningData, tol: Tolerance) -> list[str]:
    """Each Sales row is a sale the input allows: its mineral, window, cap, price, revenue and source."""
    by_number = {sale.number: sale for sale in data.sales}
    problems: list[str] = []
    seen: dict[tuple[int, int], int] = {}
    for r in sales:
        where = f"Sales row {r.row} (sale {r.sale}, period {r.period})"
        sale = by_number.get(r.sale)
        if sale is None:
            problems.append(f"{where}: sale {r.sale} is not a row of the input's Sales sheet (1..{len(data.sales)})")
            continue
        if (r.sale, r.period) in seen:
            problems.append(f"{where}: duplicate sale, also in row {seen[r.sale, r.period]}")
        seen.setdefault((r.sale, r.period), r.row)
        if r.mineral != sale.mineral or r.source != sale.source:
            problems.append(f"{where}: mineral {r.mineral!r} and source {r.source!r} != the sale's {sale.mineral!r} "
                            f"and {sale.source!r}")
        if r.period not in sale.periods:
            problems.append(f"{where}: period {r.period} is outside the sale's periods "
                            f"{sale.first_period}..{sale.last_period}")
        if not (tol.at_most(0.0, r.quantity) and tol.at_most(r.quantity, sale.max_per_period)):
            problems.append(f"{where}: quantity {_fmt(r.quantity)} is outside 0..max_per_period "
                            f"{_fmt(sale.max_per_period)}")
        if not tol.close(r.unit_price, sale.unit_price):
            problems.append(f"{where}: unit_price {_fmt(r.unit_price)} != the sale's {_fmt(sale.unit_price)}")
        if not tol.close(r.revenue, r.quantity * sale.unit_price):
            problems.append(f"{where}: revenue {_fmt(r.revenue)} != quantity x unit_price "
                            f"{_fmt(r.quantity * sale.unit_price)}")
    return problems


def _check_funds_with_revenue(spent: dict[tuple[str, int], float], revenue: dict[tuple[str, int], float],
                              data: PlanningData, tol: Tolerance) -> list[str]:
    """Per source receiving revenue and period t: spending in periods <= t at most amount + revenue before t."""
    problems: list[str] = []
    for name, source in sorted(data.funding.items()):
        if not source.receives_sales:
            continue
        paid = received = 0.0
        for t in data.periods:
            paid += spent.get((name, t), 0.0)
            if spent.get((name, t), 0.0) and not tol.at_most(paid, source.amount + received):
                problems.append(f"source {name}: pays {_fmt(paid)} up to period {t}, above its amount "
                                f"{_fmt(source.amount)} + revenue received before period {t} {_fmt(received)}")
            received += revenue.get((name, t), 0.0)
    return problems


def _expected_arrivals(scenario: Scenario, mineral: str, period: int, arriving: dict[Slot, float],
                       data: PlanningData) -> float:
    """sum over s of (1 - loss[k,s,m,t]) * (x[(s,m),t-L] + d[c,t-L(c)] + a[m,s,t]), with
    loss[k,s,m,t] = sum over origin countries c of share(s,m,c) * loss[k,c,t] (d: contract deliveries)."""
    total = 0.0
    for name in data.suppliers:
        amount = data.pipeline.get((name, mineral, period), 0.0) + arriving.get((name, mineral, period), 0.0)
        if amount:
            total += (1 - data.arrival_loss(scenario, name, mineral, period)) * amount
    return total


def check_stock(stock: dict[StockKey, StockRow], supply: Supply, data: PlanningData,
                tol: Tolerance, scenarios: tuple[Scenario, ...] | None = None,
                sold: dict[tuple[str, int], float] | None = None, converted: "Conversions | None" = None) -> list[str]:
    """Constraints 5 and 6 for every scenario (or ``scenarios``), mineral and period: one row each, balanced
    (decay included: stock = (1 - loss_rate) x what the period would otherwise end with, the rest is lost)
    and in bounds (with conversions, their input and kept output recomputed from the Conversions sheet)."""
    converted = converted or Conversions()
    problems: list[str] = []
    ordered = supply.arriving(data)
    for scenario in data.all_scenarios if scenarios is None else scenarios:
        for m, mineral in data.minerals.items():
            previous: float | None = mineral.initial_stock
            for t in data.periods:
                r = stock.get((scenario.name, m, t))
                if r is None:
                    problems.append(f"Stock: row missing for scenario {scenario.name}, mineral {m}, period {t}")
                    previous = None
                    continue
                arrivals = _expected_arrivals(scenario, m, t, ordered, data)
                converted_in, converted_out = converted.flows(data, scenario, m, t)
                problems += converted.check_stock_columns(r, converted_in, converted_out, tol)
                problems += _check_stock_row(r, previous, arrivals, data, tol, (sold or {}).get((m, t), 0.0),
                                             converted_in - converted_out)
                previous = r.stock
    return problems


def _check_stock_row(r: StockRow, previous: float | None, arrivals: float, data: PlanningData,
                     tol: Tolerance, sold: float = 0.0, converted: float = 0.0) -> list[str]:
    """One Stock row against the recomputed arrivals (and net conversion flow), the Sales sheet's sales,
    the data's demand, target and storage."""
    where = f"Stock row {r.row} ({r.scenario}, {r.mineral}, period {r.period})"
    mineral = data.minerals[r.mineral]
    demand = data.demand_of(r.scenario, r.mineral, r.period)  # ScenarioDemand, else Demand
    target = data.targets.get((r.mineral, r.period), 0.0)
    problems = []
    if not tol.close(r.arrivals, arrivals):
        problems.append(f"{where}: arrivals {_fmt(r.arrivals)} != recomputed {_fmt(arrivals)}")
    if not tol.close(r.demand, demand):
        problems.append(f"{where}: demand {_fmt(r.demand)} != input demand {_fmt(demand)}")
    if not (tol.at_most(0.0, r.unmet_demand) and tol.at_most(r.unmet_demand, demand)):
        problems.append(f"{where}: unmet_demand {_fmt(r.unmet_demand)} is outside 0..demand {_fmt(demand)}")
    if not tol.close(r.sold, sold):
        problems.append(f"{where}: sold {_fmt(r.sold)} != the Sales sheet's {_fmt(sold)}")
    if previous is not None:
        held = previous + arrivals + converted - demand + r.unmet_demand - sold
        expected = mineral.kept * held
        scale = max(abs(previous), arrivals, abs(converted), demand, abs(r.unmet_demand), sold)
        flow = f" + converted in - out {_fmt(converted)}" if converted else ""
        if not tol.close(r.stock, expected, scale):
            decay = f" x (1 - loss_rate {_fmt(mineral.loss_rate)})" if mineral.loss_rate else ""
            problems.append(f"{where}: stock balance broken: stock {_fmt(r.stock)} != (previous {_fmt(previous)} "
                            f"+ arrivals {_fmt(arrivals)}{flow} - demand {_fmt(demand)} + unmet_demand "
                            f"{_fmt(r.unmet_demand)} - sold {_fmt(sold)}){decay} = {_fmt(expected)}")
        if not tol.close(r.lost, held - expected, scale):
            problems.append(f"{where}: lost {_fmt(r.lost)} != loss_rate {_fmt(mineral.loss_rate)} x "
                            f"{_fmt(held)} held = {_fmt(held - expected)}")
    if not tol.at_most(0.0, r.stock):
        problems.append(f"{where}: stock {_fmt(r.stock)} is negative")
    if mineral.max_stock is not None and not tol.at_most(r.stock, mineral.max_stock):
        problems.append(f"{where}: stock {_fmt(r.stock)} is above max_stock {_fmt(mineral.max_stock)}")
    if not tol.close(r.target, target):
        problems.append(f"{where}: target {_fmt(r.target)} != input target {_fmt(target)}")
    if not (tol.at_most(0.0, r.shortfall) and tol.at_most(target - r.stock, r.shortfall, r.stock)):
        problems.append(f"{where}: shortfall {_fmt(r.shortfall)} is below max(0, target {_fmt(target)} "
                        f"- stock {_fmt(r.stock)})")
    return problems


def check_release(stock: dict[StockKey, StockRow], data: PlanningData, tol: Tolerance) -> list[str]:
    """Constraint 7 under release_rule serve_first: no period of any scenario ends with demand unmet
    while stock is left (both above the tolerance)."""
    if data.settings.release_rule != SERVE_FIRST:
        return []
    return [f"Stock row {r.row} ({r.scenario}, {r.mineral}, period {r.period}): unmet_demand "
            f"{_fmt(r.unmet_demand)} while stock {_fmt(r.stock)} is held or {_fmt(r.sold)} sold (release_rule "
            "serve_first: demand is served from stock first)"
            for r in stock.values()
            if r.unmet_demand > tol.slack(r.demand) and max(r.stock, r.sold) > tol.slack(r.demand)]


def check_mix(supply: Supply, data: PlanningData, tol: Tolerance) -> list[str]:
    """Constraint 9: country shares, supplier shares and average risk of each mineral's total order
    (contract deliveries and take-or-pay quantities included, Supply.bought)."""
    problems: list[str] = []
    totals = supply.bought(data)  # X[o] by (supplier, mineral)
    for m, mineral in data.minerals.items():
        by_supplier = {s: q for (s, mm), q in totals.items() if mm == m}
        total = sum(by_supplier.values())
        by_country: dict[str, float] = defaultdict(float)
        for s, q in by_supplier.items():
            for country, share in data.origin_shares(s, m).items():
                by_country[country] += share * q
        for country, share in sorted(data.country_max_share.items()):
            if not tol.at_most(by_country[country], share * total, total):
                problems.append(f"mineral {m}: country {country} share broken: {_fmt(by_country[country])} of "
                                f"{_fmt(total)} ordered, above max_share {_fmt(share)}")
        for s, q in sorted(by_supplier.items()):
            if not tol.at_most(q, mineral.max_supplier_share * total, total):
                problems.append(f"mineral {m}: supplier {s} share broken: {_fmt(q)} of {_fmt(total)} ordered, "
                                f"above max_supplier_share {_fmt(mineral.max_supplier_share)}")
        risk = sum(data.risk_score(s) * q for s, q in by_supplier.items())
        if not tol.at_most(risk, mineral.max_avg_risk * total, total):
            average = risk / total if total else math.nan
            problems.append(f"mineral {m}: average risk broken: {_fmt(average)} above max_avg_risk "
                            f"{_fmt(mineral.max_avg_risk)}")
    return problems


def check_market(supply: Supply, data: PlanningData, tol: Tolerance) -> list[str]:
    """Market size: orders and contract deliveries of a mineral placed in a period (commitments included) at
    most max_market_share x world_supply, where the mineral gives a world_supply."""
    placed: dict[tuple[str, int], float] = defaultdict(float)  # (mineral, period)
    for (_s, m, t), quantity in supply.placed(data).items():
        placed[m, t] += quantity
    problems: list[str] = []
    for (m, t), quantity in sorted(placed.items()):
        cap = data.market_cap(m) if m in data.minerals else None
        if cap is not None and not tol.at_most(quantity, cap, cap):
            problems.append(f"mineral {m}: market cap broken in period {t}: {_fmt(quantity)} ordered, above "
                            f"max_market_share x world_supply = {_fmt(cap)}")
    return problems


def recompute_costs(supply: Supply, funding: list[FundingRow], stock: dict[StockKey, StockRow],
                    data: PlanningData, capex: list[CapexRow] = (),
                    decisions: dict[str, int | None] | None = None, sales: list[SaleRow] = (),
                    converted: "Conversions | None" = None) -> dict[str, tuple[float, float]]:
    """The cost terms of the objective, each as (value, sum of the terms' magnitudes); capex payments bear
    their source's cost_rate, and capex_cost = capex x min(1, output periods in the horizon / life_periods);
    sales_revenue is minus the revenue of the Sales rows at the input's prices; release_revenue minus the
    expected payment for the demand served, price[m,t] = sum of the priced Demand rows' quantity x unit_price
    / demand; conversion_cost the Conversions sheet's input x unit_cost (its payments bear their source's
    cost_rate)."""
    converted = converted or Conversions()
    terms: dict[str, list[float]] = {key: [] for key in COST_TERMS}
    terms["conversion_cost"] = [data.conversions[c].unit_cost * q for (c, _), q in converted.input.items()]
    known = _known_orders(supply.orders, data)
    for r in known:
        spend = r.quantity * r.unit_price
        terms["purchase_cost"].append(spend)
        terms["order_cost"].append(data.offers[(r.supplier, r.mineral)].order_cost)
        terms["risk_cost"].append(data.settings.risk_weight * data.risk_score(r.supplier) * spend)
    for r in supply.known_deliveries(data):  # purchases at unit_price, or the expected price with a floor_price
        spend = r.quantity * expected_delivery_price(r.contract, r.period, data)
        terms["purchase_cost"].append(spend)
        terms["risk_cost"].append(data.settings.risk_weight * data.risk_score(r.supplier) * spend)
    for name, short in supply.take_or_pay(data).items():
        contract = data.contracts[name]
        terms["take_or_pay_cost"].append(contract.unit_price * short)
        terms["risk_cost"].append(data.settings.risk_weight * data.risk_score(contract.supplier)
                                  * contract.unit_price * short)
        terms["signing_cost"].append(contract.signing_cost if supply.signed(name) else 0.0)
    terms["onboarding_cost"] = [data.suppliers[s].onboarding_cost for s in {r.supplier for r in known}]
    terms["financing_cost"] = [data.funding[r.source].cost_rate * r.amount
                               for r in [*funding, *capex, *supply.contract_funding] if r.source in data.funding]
    terms["financing_cost"] += [data.funding[f].cost_rate * amount for f, _, amount in converted.payments
                                if f in data.funding]
    terms["capex_cost"] = [data.projects[p].capex * data.capex_share(data.projects[p], d)
                           for p, d in (decisions or {}).items() if d is not None and p in data.projects]
    probability = {k.name: k.probability for k in data.all_scenarios}
    for r in stock.values():
        mineral = data.minerals[r.mineral]
        terms["holding_cost"].append(probability[r.scenario] * mineral.holding_cost * r.stock)
        penalty = data.shortfall_penalty_of(r.scenario, r.mineral, r.period)
        terms["penalty_cost"].append(probability[r.scenario] * (penalty * r.unmet_demand
                                                                + mineral.target_penalty * r.shortfall))
        price = data.release_price_in(r.scenario, r.mineral, r.period)  # none where ScenarioDemand replaces
        if price:
            demand = data.demand.get((r.mineral, r.period), 0.0)
            terms["release_revenue"].append(-probability[r.scenario] * price * (demand - r.unmet_demand))
    terms["sales_revenue"] = [-revenue for revenue in _revenue_by_source_period(sales, data).values()]
    if data.settings.cvar_weight > 0:
        paid_first = math.fsum(
            math.fsum(terms[key]) for key in ("order_cost", "onboarding_cost", "financing_cost", "risk_cost",
                                              "conversion_cost", "sales_revenue", *PROJECT_TERMS,
                                              *CONTRACT_COST_TERMS))
        costs = scenario_costs(known, stock, data, paid_first, supply.known_deliveries(data))
        tail = tail_cost([(k.probability, costs[k.name]) for k in data.all_scenarios], data.settings.cvar_level)
        terms["cvar_cost"] = [data.settings.cvar_weight * tail]
    return {key: (math.fsum(values), math.fsum(abs(v) for v in values)) for key, values in terms.items()}


def scenario_costs(orders: list[OrderRow], stock: dict[StockKey, StockRow], data: PlanningData,
                   paid_first: float, deliveries: list[DeliveryRow] = ()) -> dict[str, float]:
    """What the plan costs if each scenario happens: the orders at that scenario's prices (after the
    discount their quantity reaches; agreed prices as agreed), the contract ``deliveries`` at its delivery
    price (unit_price, or max(floor_price, factor x unit_price)), ``paid_first`` (order, onboarding,
    financing, risk, conversion, deal costs and sales revenue: decided before any scenario is known) and
    the scenario's own holding, penalty (ScenarioDemand's shortfall_penalty where it gives one) and
    participants' revenue from the Stock sheet."""
    costs = {}
    for scenario in data.all_scenarios:
        bought = math.fsum(
            r.quantity * (data.commitment_prices[r.slot] if r.slot in data.commitment_prices else
                          scenario_price(r.slot, scenario.name, data)
                          * (1 - data.offers[r.supplier, r.mineral].discount_for(r.quantity)))
            for r in orders)
        bought += math.fsum(r.quantity * delivery_price(r.contract, r.period, scenario.name, data)
                            for r in deliveries)
        held = math.fsum(_stock_cost(r, data) for key, r in stock.items() if key[0] == scenario.name)
        costs[scenario.name] = bought + paid_first + held
    return costs


def _stock_cost(r: StockRow, data: PlanningData) -> float:
    """A Stock row's holding, penalties and minus participants' revenue for the demand it served."""
    mineral = data.minerals[r.mineral]
    served = data.demand.get((r.mineral, r.period), 0.0) - r.unmet_demand
    return (mineral.holding_cost * r.stock + mineral.target_penalty * r.shortfall
            + data.shortfall_penalty_of(r.scenario, r.mineral, r.period) * r.unmet_demand
            - data.release_price_in(r.scenario, r.mineral, r.period) * served)


def tail_cost(costs: list[tuple[float, float]], level: float) -> float:
    """CVaR at ``level`` of [(probability, cost)]: the probability-weighted mean cost of the dearest
    scenarios that together hold 1 - level of the probability (the last one taken in part)."""
    tail = 1.0 - level
    taken, total = 0.0, 0.0
    for probability, cost in sorted(costs, key=lambda pc: -pc[1]):
        part = min(probability, tail - taken)
        if part <= 0:
            break
        taken += part
        total += part * cost
    return total / tail


def check_summary(summary: dict[str, object], supply: Supply, funding: list[FundingRow],
                  stock: dict[StockKey, StockRow], data: PlanningData, tol: Tolerance, capex: list[CapexRow] = (),
                  decisions: dict[str, int | None] | None = None,
                  recomputed: dict[str, tuple[float, float]] | None = None, sales: list[SaleRow] = (),
                  converted: "Conversions | None" = None) -> list[str]:
    """The objective: status is a plan's, each cost key matches its recomputation (``recomputed``: (value,
    scale) by key, default recompute_costs of the tables), and they add up."""
    required = (*SUMMARY_KEYS, *(PROJECT_TERMS if data.projects else ()),
                *(CONTRACT_COST_TERMS if data.contracts else ()),
                *(("conversion_cost",) if data.conversions else ()))
    problems = [f"Summary: key {key} is missing" for key in required if key not in summary]
    status = summary.get("status")
    if "status" in summary and _normalise(status) not in PLAN_STATUSES:
        problems.append(f"Summary: status {status!r} is not a plan's ({' or '.join(PLAN_STATUSES)})")
    sha = "" if _blank(summary.get("input_sha256")) else str(summary["input_sha256"]).strip()
    if data.input_sha256 and "input_sha256" in summary and sha != data.input_sha256:
        problems.append(f"Summary: input_sha256 {sha!r} is not the input's {data.input_sha256!r}")
    reported: dict[str, float] = {}
    summary = {**dict.fromkeys(OPTIONAL_COST_TERMS, 0.0), **summary}  # a plan without sales may leave them out
    for key in ("objective", *COST_TERMS):
        if key in summary:
            try:
                reported[key] = _convert(summary[key], float)  # type: ignore[assignment]
            except ValueError as exc:
                problems.append(f"Summary: {key} {exc}")
    if recomputed is None:
        recomputed = recompute_costs(supply, funding, stock, data, capex, decisions, sales, converted)
    for key, (expected, scale) in recomputed.items():
        if key in reported and not tol.close(reported[key], expected, scale):
            problems.append(f"Summary: {key} {_fmt(reported[key])} != recomputed {_fmt(expected)}")
    if data.settings.cvar_weight > 0 and "cvar_cost" not in summary:
        problems.append("Summary: key cvar_cost is missing (Settings cvar_weight > 0)")
    for key in LATER_TERMS:  # absent from the Summary of an input without them (or an older plan): 0
        reported.setdefault(key, 0.0)
    if "objective" in reported and all(key in reported for key in COST_TERMS):
        total = math.fsum(reported[key] for key in COST_TERMS)
        scale = math.fsum(abs(reported[key]) for key in COST_TERMS)
        if not tol.close(reported["objective"], total, scale):
            problems.append(f"Summary: objective {_fmt(reported['objective'])} != sum of the cost keys {_fmt(total)}")
    return problems


# --- recourse (Settings.recourse yes) ------------------------------------------------------


@dataclass(frozen=True)
class Deals:
    """The deals of a plan with recourse, as written: the contract deliveries, contract payments and Contracts
    sheet (``supply``, its orders unused), the Projects sheet's decisions, the Capex rows and the Sales rows
    (every scenario's)."""

    supply: Supply
    decisions: dict[str, int | None]
    capex: list[CapexRow]
    sales: list[SaleRow] = ()

    def of(self, scenario: str, orders: list[OrderRow], paid: dict[int, str],
           capex_paid: dict[int, str]) -> tuple[Supply, list[CapexRow]]:
        """What holds in ``scenario``: its orders, every delivery (first-stage), the contract payments and the
        capex payments that are shared (blank scenario) or its own."""
        funding = [r for r in self.supply.contract_funding if paid.get(r.row, "") in ("", scenario)]
        capex = [r for r in self.capex if capex_paid.get(r.row, "") in ("", scenario)]
        return Supply(orders, self.supply.deliveries, funding, self.supply.contracts), capex

    def anticipating(self, delivered: dict[int, str]) -> list[str]:
        """Deliveries are decided before any scenario is known: a delivery row naming a scenario is wrong."""
        return [f"Orders row {r.row} (contract {r.contract}, period {r.period}): a contract delivery names scenario "
                f"{delivered[r.row]!r}; deliveries are the same in every scenario (blank)"
                for r in self.supply.deliveries if delivered.get(r.row, "")]


def check_recourse(summary: dict[str, object], sheets: dict[str, list[Cell]], orders: list[OrderRow],
                   funding: list[FundingRow], stock: dict[StockKey, StockRow], data: PlanningData,
                   tol: Tolerance, previous: dict[str, dict[Slot, float]] | None = None,
                   deals: Deals | None = None, converted: "Conversions | None" = None) -> list[str]:
    """A plan with recourse: every scenario's orders (the shared ones, blank, and its own), funding and
    stock meet the model of that scenario alone; orders placed before two scenarios can be told apart are
    equal; each Summary cost is the probability-weighted sum of the scenarios' own; with ``previous``, the
    change cost is the probability-weighted change of each scenario's orders (check_change_cost).

    With Projects or Contracts (``deals``): the decisions, signings and deliveries are one for every scenario
    (a delivery row naming a scenario is reported); the contracts are checked once at their expected prices;
    in each scenario its capex and contract payments (shared or its own) pay the capex due and each delivery
    bill at that scenario's price, within its amounts and budgets, and its cost counts capex, signing,
    take-or-pay and the deliveries at its price.

    With Conversions (``converted``): each scenario's conversions are the shared rows (blank) and its own; its
    stock, funding and cost are recomputed with them, and conversions started before two scenarios can be
    told apart are equal, as orders are."""
    deals = deals or Deals(Supply([], [], [], {}), {}, [])
    converted = converted or Conversions()
    order_scenario = _scenario_column(sheets["orders"])
    funding_scenario = _scenario_column(sheets["funding"])
    capex_scenario = _scenario_column(sheets.get("capex", []))
    problems = [f"Orders row {row}: scenario {name!r} is not base or a Scenarios name"
                for row, name in {**order_scenario, **funding_scenario}.items()
                if name and name not in {k.name for k in data.all_scenarios}]
    problems += deals.anticipating(order_scenario) + check_contracts(deals.supply, data, tol)
    problems += check_sales(deals.sales, data, tol)
    expected: dict[str, list[float]] = defaultdict(list)
    placed: dict[str, dict[Slot, float]] = {}
    started: dict[str, dict[tuple[str, int], float]] = {}  # scenario -> its conversions' input
    scenario_cost: dict[str, float] = {}
    floors: list[float] = []  # pi[k] x the floor payment of the orders that hold in k, at k's prices
    for scenario in data.all_scenarios:
        alone = _alone(data, scenario)
        own_orders = [r for r in orders if order_scenario.get(r.row, "") in ("", scenario.name)]
        own_funding = [r for r in funding if funding_scenario.get(r.row, "") in ("", scenario.name)]
        own_stock = {key: r for key, r in stock.items() if key[0] == scenario.name}
        own_conversions = converted.of(scenario.name)
        found = check_orders(own_orders, alone, tol) + check_commitments(own_orders, alone, tol)
        own_supply, own_capex = deals.of(scenario.name, own_orders, funding_scenario, capex_scenario)
        found += check_projects(deals.decisions, own_capex, own_orders, alone, tol)
        found += check_funding(own_funding, own_orders, alone, tol, own_capex,
                               own_supply if data.contracts else None, deals.sales, own_conversions.payments)
        found += check_stock(own_stock, own_supply, alone, tol, scenarios=alone.scenarios or alone.all_scenarios,
                             sold=sold_by_period(deals.sales, alone), converted=own_conversions)
        found += check_release(own_stock, alone, tol) + check_mix(own_supply, alone, tol)
        found += check_market(own_supply, alone, tol)
        problems += [f"scenario {scenario.name}: {problem}" for problem in found]
        own_costs = recompute_costs(own_supply, own_funding, own_stock, alone, own_capex, deals.decisions,
                                    deals.sales, own_conversions)
        for key, (value, _) in own_costs.items():
            expected[key].append(scenario.probability * value)
        scenario_cost[scenario.name] = math.fsum(value for value, _ in own_costs.values())
        floors.append(scenario.probability * recompute_floor_cost(own_supply, alone))
        placed[scenario.name] = _ordered(own_orders, alone)
        started[scenario.name] = own_conversions.input
    problems += check_non_anticipativity(placed, data, tol)
    problems += check_non_anticipativity(started, data, tol, "conversion")
    if previous is not None:
        problems += check_change_cost(summary, placed, previous, data, tol)
    if data.settings.cvar_weight > 0:  # cost[k]: what the plan costs if k happens, its own orders included
        tail = tail_cost([(k.probability, scenario_cost[k.name]) for k in data.all_scenarios], data.settings.cvar_level)
        expected["cvar_cost"] = [data.settings.cvar_weight * tail]
    weighted = {key: (math.fsum(values), math.fsum(abs(v) for v in values)) for key, values in expected.items()}
    problems += check_summary(summary, Supply(orders, [], [], {}), funding, stock, data, tol, recomputed=weighted)
    return problems + check_floor_cost(summary, math.fsum(floors), tol)


def check_change_cost(summary: dict[str, object], placed: dict[str, dict[Slot, float]],
                      previous: dict[str, dict[Slot, float]], data: PlanningData, tol: Tolerance) -> list[str]:
    """Summary change_cost = change_penalty x sum over scenarios k of probability[k] x sum of
    |x[k,o,t] - x_prev[k,o,t]| over the slots an order of k may be placed in (its offers' orderable periods,
    after the frozen ones but its commitments), x the orders that hold in k, x_prev the previous plan's."""
    penalty = data.settings.change_penalty
    if "change_cost" not in summary:
        return ["Summary: key change_cost is missing (a re-plan with change_penalty > 0)"] if penalty > 0 else []
    try:
        reported = _convert(summary["change_cost"], float)
    except ValueError as exc:
        return [f"Summary: change_cost {exc}"]
    terms = []
    for k in data.all_scenarios:
        alone = _alone(data, k)
        periods = {key: set(alone.order_periods(offer)) for key, offer in alone.offers.items()}
        now, before = placed.get(k.name, {}), previous.get(k.name, {})
        for slot in set(now) | set(before):
            if slot[2] in periods.get(slot[:2], ()):
                terms.append(k.probability * abs(now.get(slot, 0.0) - before.get(slot, 0.0)))
    expected = penalty * math.fsum(terms)
    if not tol.close(reported, expected):
        return [f"Summary: change_cost {_fmt(reported)} != recomputed {_fmt(expected)} (change_penalty "
                f"{_fmt(penalty)} x the probability-weighted change of each scenario's orders)"]
    return []


def _scenario_column(cells: list[Cell]) -> dict[int, str]:
    """Excel row -> the row's scenario ("" when blank or the column is absent)."""
    return {row: "" if _blank(values.get("scenario")) else str(values["scenario"]).strip() for row, values in cells}


def _alone(data: PlanningData, scenario: Scenario) -> PlanningData:
    """The workbook with ``scenario`` alone, at probability 1 (base: no scenario), without recourse."""
    settings = replace(data.settings, recourse="no", cvar_weight=0.0)
    kept = tuple(replace(k, probability=1.0) for k in data.scenarios if k.name == scenario.name)
    return replace(data.with_scenario_commitments(scenario.name), scenarios=kept, settings=settings)


def check_non_anticipativity(placed: dict[str, dict[tuple, float]], data: PlanningData,
                             tol: Tolerance, what: str = "order") -> list[str]:
    """Two scenarios whose data (losses and order-price factors) agree in every period up to t, seen from
    their known_from on (before it a scenario looks like base), place the same orders in t (``placed``:
    scenario -> slot, its period last -> quantity; ``what``: "conversion" for (conversion, period) -> input)."""
    problems = []
    names = [k.name for k in data.all_scenarios]
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            for slot in sorted(set(placed[first]) | set(placed[second])):
                period = slot[-1]
                if period <= data.frozen_periods:  # each scenario's frozen orders: checked as its commitments
                    continue
                a, b = placed[first].get(slot, 0.0), placed[second].get(slot, 0.0)
                if not tol.close(a, b) and _alike_until(data, first, second, period):
                    problems.append(f"{what} ({', '.join(map(str, slot[:-1]))}, period {period}): {_fmt(a)} in "
                                    f"{first} but {_fmt(b)} in {second}, which cannot be told apart in period {period}")
    return problems


def _alike_until(data: PlanningData, first: str, second: str, period: int) -> bool:
    """Whether nothing known in ``period`` tells the two scenarios apart."""
    by_name = {k.name: k for k in data.all_scenarios}

    def known(name: str) -> list:
        k = by_name[name]
        if k.known_from is not None and period < k.known_from:
            return [None] * period  # not known yet: it looks like base
        return [_data_of(data, k, t) for t in range(1, period + 1)]

    return known(first) == known(second)


def _data_of(data: PlanningData, k: Scenario, t: int) -> object:
    """A scenario's losses by country and order-price factors in period t (None when it has neither)."""
    losses = frozenset((c, k.loss(c, t)) for c in {d.country for d in k.disruptions} if k.loss(c, t) > 0)
    factors = frozenset((row.mineral, row.country, row.factor) for row in data.scenario_prices
                        if row.scenario == k.name and row.first_period <= t <= row.last_period)
    return (losses, factors) if losses or factors else None


# --- conversions (issue 14, point 2) ------------------------------------------------------------


@dataclass(frozen=True)
class ConversionRow:
    row: int
    conversion: str
    from_mineral: str
    to_mineral: str
    period: int
    arrival_period: int
    input: float
    output: float
    cost: float


@dataclass(frozen=True)
class ConversionFundingRow:
    row: int
    source: str
    conversion: str
    period: int
    amount: float


@dataclass(frozen=True)
class ConversionStockRow:
    row: int
    scenario: str
    mineral: str
    period: int
    converted_in: float
    converted_out: float


@dataclass
class Conversions:
    """What the Conversions sheets say: q[c,t] (input), the payments, and the Stock sheet's flow columns.

    With recourse, the rows naming a scenario are that scenario's own (``own_input``, ``own_payments``);
    ``input`` and ``payments`` are the shared rows (blank scenario), and ``of`` what holds in one scenario."""

    input: dict[tuple[str, int], float] = field(default_factory=dict)  # (conversion, period) -> q
    payments: list[tuple[str, int, float]] = field(default_factory=list)  # (source, period, amount)
    stock_columns: dict[StockKey, ConversionStockRow] = field(default_factory=dict)
    own_input: dict[str, dict[tuple[str, int], float]] = field(default_factory=dict)  # scenario -> its own q
    own_payments: dict[str, list[tuple[str, int, float]]] = field(default_factory=dict)  # scenario -> its own

    def of(self, scenario: str) -> "Conversions":
        """The conversions that hold in ``scenario``: the shared rows and its own."""
        return Conversions({**self.input, **self.own_input.get(scenario, {})},
                           self.payments + self.own_payments.get(scenario, []), self.stock_columns)

    def inputs_of(self, scenario: str) -> dict[tuple[str, int], float]:
        """Where a Conversions row of ``scenario`` ("" for a shared one) is recorded."""
        return self.input if not scenario else self.own_input.setdefault(scenario, {})

    def flows(self, data: PlanningData, scenario: Scenario, mineral: str, period: int) -> tuple[float, float]:
        """(converted_in, converted_out) of a Stock row, recomputed: output kept = (1 - the toll processor's
        loss) x yield x input started lead_time earlier; input taken = input started in the period."""
        taken = arrived = 0.0
        for name, c in data.conversions.items():
            if c.from_mineral == mineral:
                taken += self.input.get((name, period), 0.0)
            if c.to_mineral == mineral:
                kept = 1.0 if c.supplier is None else 1.0 - data.arrival_loss(scenario, c.supplier, mineral, period)
                arrived += kept * c.yield_ * self.input.get((name, period - c.lead_time), 0.0)
        return arrived, taken

    def check_stock_columns(self, r: StockRow, converted_in: float, converted_out: float,
                            tol: Tolerance) -> list[str]:
        """The Stock row's converted_in and converted_out against their recomputation."""
        shown = self.stock_columns.get(r.key)
        if shown is None:
            return []
        where = f"Stock row {r.row} ({r.scenario}, {r.mineral}, period {r.period})"
        return [f"{where}: {name} {_fmt(value)} != recomputed {_fmt(expected)}"
                for name, value, expected in (("converted_in", shown.converted_in, converted_in),
                                              ("converted_out", shown.converted_out, converted_out))
                if not tol.close(value, expected)]


def read_conversions(path: Path, data: PlanningData, tol: Tolerance) -> tuple[Conversions, list[str]]:
    """The Conversions, Conversion funding and the Stock sheet's flow columns, each row checked: a known
    conversion started in a period whose output arrives within the horizon, arrival_period = period +
    lead_time, input within 0..max_per_period, output = yield x input, cost = unit_cost x input, paid in
    full by sources that may pay it."""
    sheets, problems = read_contract_sheets(path, CONVERSION_SHEETS)
    if problems:
        return Conversions(), problems
    rows = _parse_rows(sheets["conversions"], "Conversions", ConversionRow, problems)
    paid_rows = _parse_rows(sheets["conversion funding"], "Conversion funding", ConversionFundingRow, problems)
    scenario_of = {**_scenario_column(sheets["conversions"]), **{
        -row: name for row, name in _scenario_column(sheets["conversion funding"]).items()}}  # funding rows: < 0
    problems += _conversion_scenarios(scenario_of, data)
    result = Conversions()
    for r in rows:
        problems += _check_conversion_row(r, data, result.inputs_of(scenario_of.get(r.row, "")), tol)
    paid: dict[str, dict[tuple[str, int], float]] = defaultdict(lambda: defaultdict(float))  # by scenario
    for r in paid_rows:
        where = f"Conversion funding row {r.row} ({r.source}: {r.conversion}, period {r.period})"
        if r.source not in data.funding or r.conversion not in data.conversions:
            problems.append(f"{where}: unknown source or conversion")
            continue
        if r.amount > tol.abs_tol and r.source not in data.conversion_sources(data.conversions[r.conversion],
                                                                              r.period):
            problems.append(f"{where}: source may not pay this conversion (window, countries, minerals, budget)")
        if not tol.at_most(0.0, r.amount):
            problems.append(f"{where}: amount {_fmt(r.amount)} is negative")
        scenario = scenario_of.get(-r.row, "")
        paid[scenario][r.conversion, r.period] += r.amount
        (result.own_payments.setdefault(scenario, []) if scenario else result.payments).append(
            (r.source, r.period, r.amount))
    problems += _conversions_paid(result, paid, data, tol) + _frozen_conversions_kept(result, data, tol)
    for r in _parse_rows(sheets["stock"], "Stock", ConversionStockRow, problems):
        result.stock_columns[(r.scenario, r.mineral, r.period)] = r
    return result, problems


def _conversion_scenarios(scenario_of: dict[int, str], data: PlanningData) -> list[str]:
    """A Conversions or Conversion funding row (funding rows keyed by minus their row) names a scenario only
    with recourse, and then one of the workbook's."""
    names = {k.name for k in data.all_scenarios}
    problems = []
    for row, name in sorted(scenario_of.items(), key=lambda item: abs(item[0])):
        where = f"{'Conversions' if row > 0 else 'Conversion funding'} row {abs(row)}"
        if name and data.settings.recourse != "yes":
            problems.append(f"{where}: names scenario {name!r}, and a plan without recourse converts alike in "
                            "every scenario (blank)")
        elif name and name not in names:
            problems.append(f"{where}: scenario {name!r} is not base or a Scenarios name")
    return problems


def _conversions_paid(result: Conversions, paid: dict[str, dict[tuple[str, int], float]], data: PlanningData,
                      tol: Tolerance) -> list[str]:
    """Each conversion's funding adds up to its cost, in every scenario naming rows (the shared rows and its
    own), else once."""
    named = sorted(set(result.own_input) | set(result.own_payments))
    problems = []
    for scenario in [k.name for k in data.all_scenarios] if named else [""]:
        started = result.of(scenario).input
        paid_in = {**paid.get("", {})}
        for key, amount in paid.get(scenario, {}).items() if scenario else ():
            paid_in[key] = paid_in.get(key, 0.0) + amount
        whose = f" in scenario {scenario}" if scenario else ""
        for (name, period) in sorted(set(started) | set(paid_in)):
            cost = data.conversions[name].unit_cost * started.get((name, period), 0.0)
            if not tol.close(paid_in.get((name, period), 0.0), cost):
                problems.append(f"conversion ({name}, period {period}){whose}: funding adds up to "
                                f"{_fmt(paid_in.get((name, period), 0.0))}, its cost is {_fmt(cost)}")
    return problems


def _frozen_conversions_kept(result: Conversions, data: PlanningData, tol: Tolerance) -> list[str]:
    """--freeze: in every frozen period each conversion is the previous plan's (data.frozen_conversions, with
    recourse and each scenario's own too; none started where it started none), in every scenario."""
    if data.frozen_periods <= 0:
        return []
    problems = []
    for scenario in [k.name for k in data.all_scenarios] if data.settings.recourse == "yes" else [""]:
        started = result.of(scenario).input
        frozen = {**data.frozen_conversions, **data.scenario_frozen_conversions.get(scenario, {})}
        for (name, period) in sorted(set(started) | set(frozen)):
            kept, planned = frozen.get((name, period), 0.0), started.get((name, period), 0.0)
            if period <= data.frozen_periods and not tol.close(planned, kept):
                whose = f" in scenario {scenario}" if scenario else ""
                problems.append(f"conversion ({name}, period {period}){whose}: input {_fmt(planned)} in a frozen "
                                f"period, where the previous plan's is {_fmt(kept)}")
    return problems


def _check_conversion_row(r: ConversionRow, data: PlanningData, converted: dict, tol: Tolerance) -> list[str]:
    where = f"Conversions row {r.row} ({r.conversion}, period {r.period})"
    c = data.conversions.get(r.conversion)
    if c is None:
        return [f"{where}: conversion {r.conversion!r} is not in the input's Conversions"]
    if r.period not in c.start_periods(data.settings.num_periods):
        return [f"{where}: cannot start in period {r.period} (its output would arrive after the horizon)"]
    if (r.conversion, r.period) in converted:
        return [f"{where}: the conversion appears twice in period {r.period}"]
    converted[r.conversion, r.period] = r.input
    problems = []
    if (r.from_mineral, r.to_mineral) != (c.from_mineral, c.to_mineral):
        problems.append(f"{where}: converts {r.from_mineral} to {r.to_mineral}, the input says "
                        f"{c.from_mineral} to {c.to_mineral}")
    if r.arrival_period != r.period + c.lead_time:
        problems.append(f"{where}: arrival_period {r.arrival_period} != period + lead_time {r.period + c.lead_time}")
    if not tol.at_most(0.0, r.input) or (c.max_per_period is not None and not tol.at_most(r.input, c.max_per_period)):
        problems.append(f"{where}: input {_fmt(r.input)} is outside 0..max_per_period")
    if not tol.close(r.output, c.yield_ * r.input):
        problems.append(f"{where}: output {_fmt(r.output)} != yield x input {_fmt(c.yield_ * r.input)} "
                        "(material is not conserved through the yield)")
    if not tol.close(r.cost, c.unit_cost * r.input):
        problems.append(f"{where}: cost {_fmt(r.cost)} != unit_cost x input {_fmt(c.unit_cost * r.input)}")
    return problems
