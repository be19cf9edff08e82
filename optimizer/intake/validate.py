"""Validate stage: raw sheets -> the frozen ``PlanningData``, or every problem at once.

Checks come in three layers: cells (type, range, whole numbers, blanks and
defaults, from ``schema``), sheets (uniqueness of keys), and references between
sheets (offers of known suppliers, commitments that fit their offer, periods
within the horizon, scenario probabilities). Every message names file, sheet,
Excel row, column, the value found and what was expected.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from optimizer.contract import schema
from optimizer.contract.data import (
    BASE, Contract, Conversion, DemandRevenue, Disruption, FundingSource, Mineral, Offer, PlanningData, Project,
    Sale, Scenario, ScenarioPrice, Settings, Supplier,
)
from optimizer.contract.cover import DemandAhead
from optimizer.intake.numerics import scaling_warnings
from optimizer.contract.problems import Problems
from optimizer.intake.reader import FormulaWithoutValue, RawInput, RawSheet
from optimizer.contract.schema import Column, Sheet

PERIOD_COLUMNS = {"period", "first_period", "last_period"}
_INVALID = object()  # a cell that failed its check (already reported)


@dataclass
class Record:
    """One parsed row: typed values by column name, and where it came from."""

    sheet: RawSheet
    row: int
    values: dict[str, object]
    cells: dict[str, object] = field(default_factory=dict)  # the cells as read, shown in messages

    def __getitem__(self, column: str) -> object:
        return self.values[column]

    def valid(self, *columns: str) -> bool:
        """Whether every one of ``columns`` holds a valid value in this row."""
        return all(self.values.get(c) is not _INVALID for c in columns)

    def at(self, column: str | None = None) -> dict:
        """Where-arguments for a problem about this row (and column)."""
        where = {"file": self.sheet.file, "sheet": self.sheet.title, "row": self.row}
        if column:
            where["column"] = self.sheet.headers.get(column, column)
            where["value"] = self.cells.get(column, self.values.get(column))
        return where


def validate(raw: RawInput) -> tuple[PlanningData | None, Problems]:
    """Turn raw sheets into planning data; ``None`` when any error was found."""
    problems = Problems()
    checker = _Validator(raw, problems)
    data = checker.run()
    if data is not None and not problems.errors:
        scaling_warnings(raw, problems)  # prices or quantities spanning many orders of magnitude
    return (None if problems.errors else data), problems


class _Validator:
    def __init__(self, raw: RawInput, problems: Problems):
        self.raw = raw
        self.problems = problems
        self.num_periods: int | None = None
        self.unreadable = False  # a formula without saved value: reported by the reader, data incomplete
        self.commitment_rows: dict[tuple, Record] = {}  # (supplier, mineral, period) -> a commitment's first row

    # ----------------------------------------------------------------- cells
    def convert(self, column: Column, value: object, where: dict, subject: str = "") -> object:
        """A cell's typed value, its default when blank, or _INVALID (reported).

        ``subject`` names what the cell holds when the column does not (a Settings value).
        """
        if isinstance(value, FormulaWithoutValue):
            self.unreadable = True
            return _INVALID
        if column.kind == schema.RAW:
            return value
        expected = f"expected {subject}{column.expectation()}"
        if value is None:
            if column.required:
                self.problems.error(f"{expected} (required)", **where, value=None)
                return _INVALID
            return column.default
        try:
            typed = _CONVERTERS[column.kind](value, column)
        except ValueError as reason:
            self.problems.error(f"{expected}{reason}", **where, value=value)
            return _INVALID
        if not _in_range(column, typed) or not self._in_horizon(column, typed):
            self.problems.error(f"{expected}{self._why_out_of_range(column, typed)}", **where, value=value)
            return _INVALID
        return typed

    def _why_out_of_range(self, column: Column, value: object) -> str:
        if column.name in PERIOD_COLUMNS:
            return f" (the horizon has {self.num_periods} periods)"
        if column.unit in schema.UNIT_LIMITS and value > column.maximum:
            what = "money figure" if column.unit.startswith("currency") else "quantity"
            return (f" (a larger {what} is beyond the solver's precision, which takes 1e20 for infinite: "
                    "check the units and the decimal point)")
        return ""

    def _in_horizon(self, column: Column, value: object) -> bool:
        return not (column.name in PERIOD_COLUMNS and self.num_periods is not None and value > self.num_periods)

    def records(self, sheet: Sheet) -> list[Record]:
        """Every non-empty row of a table sheet, typed column by column."""
        raw = self.raw.sheets.get(sheet.name.lower())
        if raw is None:
            if sheet.required:
                self.problems.error(f"the required sheet '{sheet.name}' is missing; expected a sheet with columns "
                                    + ", ".join(c.name for c in sheet.columns), file=self.raw.path or None)
            return []
        if not self._check_headers(sheet, raw):
            return []
        records = []
        for raw_row in self._contract_rows(sheet, raw):
            record = Record(raw, raw_row.row, {}, raw_row.values)
            for column in sheet.columns:
                where = {"file": raw.file, "sheet": raw.title, "row": raw_row.row,
                         "column": raw.headers.get(column.name, column.name)}
                record.values[column.name] = self.convert(column, raw_row.values.get(column.name), where)
            records.append(record)
        if sheet.required and not records:
            self.problems.error(f"the sheet '{raw.title}' has no rows; expected at least one", file=raw.file,
                                sheet=raw.title)
        return records

    @staticmethod
    def _contract_rows(sheet: Sheet, raw: RawSheet) -> list:
        """Rows with a value in some column of the contract; notes in ignored columns make no row."""
        names = [c.name for c in sheet.columns]
        return [r for r in raw.rows if any(r.values.get(name) is not None for name in names)]

    def _check_headers(self, sheet: Sheet, raw: RawSheet) -> bool:
        known = {c.name for c in sheet.columns}
        where = {"file": raw.file, "sheet": raw.title, "row": raw.header_row or 1}
        for header in raw.headers:
            if header not in known:
                self.problems.warning(f"column '{raw.headers[header]}' is not part of the contract and is ignored",
                                      **where, column=raw.headers[header])
        missing = [c.name for c in sheet.columns if c.required and c.name not in raw.headers]
        for name in missing:
            self.problems.error(f"the required column '{name}' is missing; expected a header row with "
                                + ", ".join(c.name for c in sheet.columns), **where, column=name)
        return not missing

    # -------------------------------------------------------------- settings
    def settings(self) -> Settings | None:
        """The Settings sheet: rows of (key, value), each value typed by its key's schema record."""
        sheet = schema.Sheet("Settings", (Column("key", schema.TEXT, "setting name", required=True),
                                          Column("value", schema.RAW, "setting value")), required=True)
        by_key = {c.name: c for c in schema.SETTINGS.columns}
        raw = self.raw.sheets.get("settings")
        values: dict[str, object] = {}
        seen: dict[str, int] = {}
        for record in self.records(sheet):
            if not record.valid("key"):
                continue
            name = schema.normalise_name(record["key"])
            if name not in by_key:
                self.problems.warning(f"unknown setting; expected one of {', '.join(by_key)}", **record.at("key"))
                continue
            if name in seen:
                self.problems.error(f"setting '{name}' is given twice (rows {seen[name]} and {record.row}); "
                                    "expected each setting once", **record.at("key"))
                continue
            seen[name] = record.row
            if not record.valid("value"):
                values[name] = _INVALID  # a formula without saved value, reported by the reader
                continue
            where = record.at("value")
            del where["value"]
            values[name] = self.convert(by_key[name], record["value"], where, subject=f"{name} to be ")
        for name, column in by_key.items():
            if name not in values:
                if column.required and raw is not None:
                    self.problems.error(f"the setting '{name}' is missing; expected a row with key '{name}' and "
                                        f"{column.expectation()}", file=raw.file, sheet=raw.title)
                values[name] = _INVALID if column.required else column.default
        if any(v is _INVALID for v in values.values()):
            num_periods = values.get("num_periods")
            self.num_periods = None if num_periods is _INVALID else num_periods
            return None
        self.num_periods = values["num_periods"]
        return Settings(**values)

    # ------------------------------------------------------------------ run
    def run(self) -> PlanningData | None:
        settings = self.settings()
        T = self.num_periods
        minerals_rows = self.records(schema.MINERALS)
        suppliers_rows = self.records(schema.SUPPLIERS)
        offers_rows = self.records(schema.OFFERS)
        mineral_rows = self.unique(minerals_rows, ("mineral",))
        supplier_rows = self.unique(suppliers_rows, ("supplier",))
        suppliers = {
            key[0]: Supplier(key[0], r["country"], r["risk_score"], r["onboarding_cost"])
            for key, r in supplier_rows.items() if r.valid(*r.values)
        }
        offer_rows = self.offers(offers_rows, mineral_rows, supplier_rows, T)
        prices = self.keyed_values(self.records(schema.PRICES), offer_rows, "unit_price", "period")
        discounts = self.discounts(self.records(schema.DISCOUNTS), offer_rows)
        offers = {
            key: Offer(
                supplier=key[0], mineral=key[1], unit_price=r["unit_price"], lead_time=r["lead_time"],
                min_order=r["min_order"], max_per_period=r["max_per_period"], order_cost=r["order_cost"],
                first_period=r["first_period"], last_period=r["last_period"] or T,
                prices=prices.get(key, {}), discounts=discounts.get(key, ()), floor_price=r["floor_price"],
            )
            for key, r in offer_rows.items() if r.valid(*r.values)
        }
        minerals = self.minerals(mineral_rows, offers, offers_rows, T)
        demand_records = self.records(schema.DEMAND)
        demand = self.summed(demand_records, mineral_rows, ("mineral", "period"), "quantity")
        targets, target_cover = self.targets(self.records(schema.TARGETS), mineral_rows, demand, T)
        pipeline = self.summed(self.records(schema.PIPELINE), mineral_rows, ("supplier", "mineral", "period"),
                               "quantity", supplier_rows)
        commitments, commitment_prices = self.commitments(self.records(schema.COMMITMENTS), offers, offer_rows, T)
        funding_records = self.records(schema.FUNDING)
        sales = self.sales(self.records(schema.SALES), mineral_rows, funding_records, offers, minerals, T)
        funding = self.funding(funding_records, self.records(schema.BUDGETS), mineral_rows,
                               suppliers, T, receiving={sale.source for sale in sales})
        demand_revenue = self.demand_revenue(demand_records, funding_records)
        origins = self.origins(self.records(schema.ORIGINS), mineral_rows, supplier_rows)
        known = {s.country for s in suppliers.values()} | {c for shares in origins.values() for c in shares}
        countries = self.countries(self.records(schema.COUNTRIES), known)
        scenarios = self.scenarios(self.records(schema.SCENARIOS), known)
        projects = self.projects(self.records(schema.PROJECTS), supplier_rows, offer_rows, offers, T)
        contracts = self.contracts(self.records(schema.CONTRACTS), mineral_rows, supplier_rows, T)
        scenario_prices = self.scenario_prices(self.records(schema.SCENARIO_PRICES), scenarios, mineral_rows, known)
        scenario_demand, scenario_penalty = self.scenario_demand(self.records(schema.SCENARIO_DEMAND),
                                                                 scenarios, mineral_rows)
        conversions = self.conversions(self.records(schema.CONVERSIONS), mineral_rows, supplier_rows, T)
        self.warn_unorderable(offers, T)
        if self.problems.errors or settings is None or self.unreadable:
            return None
        return PlanningData(
            settings=settings, minerals=minerals, suppliers=suppliers, offers=offers, funding=funding,
            demand=demand, targets=targets, target_cover=target_cover, pipeline=pipeline, commitments=commitments,
            commitment_prices=commitment_prices,
            country_max_share=countries, origins=origins, scenarios=scenarios, projects=projects,
            contracts=contracts, scenario_prices=scenario_prices, scenario_demand=scenario_demand,
            scenario_penalty=scenario_penalty, conversions=conversions, input_files=self.raw.files,
            sales=sales, demand_revenue=demand_revenue,
            input_sha256=self.raw.sha256,
        )

    # --------------------------------------------------------------- sheets
    def unique(self, records: list[Record], key_columns: tuple[str, ...]) -> dict[tuple, Record]:
        """Records by key; a key given twice is an error naming both rows."""
        by_key: dict[tuple, Record] = {}
        for record in records:
            if not record.valid(*key_columns):
                continue
            key = tuple(record[c] for c in key_columns)
            if key in by_key:
                label = ", ".join(_show(k) for k in key)
                what = key_columns[0] if len(key_columns) == 1 else f"({', '.join(key_columns)})"
                self.problems.error(f"({label}) is given twice, in rows {by_key[key].row} and {record.row}; "
                                    f"expected each {what} once", **record.at(key_columns[-1]))
                continue
            by_key[key] = record
        return by_key

    def reference(self, record: Record, column: str, known: dict, sheet_name: str) -> bool:
        """Whether ``record[column]`` names a row of ``sheet_name`` (reported when it does not)."""
        value = record[column]
        if value is _INVALID:
            return False
        if (value,) in known or value in known:
            return True
        hint = _same_but_for_case(value, [k[0] if isinstance(k, tuple) else k for k in known])
        self.problems.error(f"expected a {column} listed in the sheet '{sheet_name}'{hint}", **record.at(column))
        return False

    def offers(self, records, mineral_rows, supplier_rows, T) -> dict[tuple[str, str], Record]:
        referenced = [r for r in records
                      if self.reference(r, "supplier", supplier_rows, "Suppliers")
                      & self.reference(r, "mineral", mineral_rows, "Minerals")]
        offer_rows = self.unique(referenced, ("supplier", "mineral"))
        for record in offer_rows.values():
            first, last = record["first_period"], record["last_period"]
            if record.valid("first_period", "last_period") and last is not None and first > last:
                self.problems.error(f"last_period {last} is before first_period {first}; expected "
                                    "first_period <= last_period", **record.at("last_period"))
                record.values["last_period"] = _INVALID
            self.check_order_size(record)
        return offer_rows

    def check_order_size(self, record: Record) -> None:
        low, high = record["min_order"], record["max_per_period"]
        if record.valid("min_order", "max_per_period") and high is not None and low > high:
            self.problems.error(f"min_order {low:g} is above max_per_period {high:g}; expected "
                                "min_order <= max_per_period", **record.at("min_order"))
            record.values["min_order"] = _INVALID

    def keyed_values(self, records, offer_rows, column, period_column) -> dict[tuple, dict[int, float]]:
        """Per-offer, per-period values (Prices): the offer must exist, each period once."""
        result: dict[tuple, dict[int, float]] = defaultdict(dict)
        known = [r for r in records if self.offer_exists(r, offer_rows)]
        for key, record in self.unique(known, ("supplier", "mineral", period_column)).items():
            if record.valid(column):
                result[key[:2]][key[2]] = record[column]
        return result

    def offer_exists(self, record: Record, offer_rows) -> bool:
        if not record.valid("supplier", "mineral"):
            return False
        if (record["supplier"], record["mineral"]) in offer_rows:
            return True
        self.problems.error(f"there is no offer of {record['mineral']} from {record['supplier']}; expected a "
                            "supplier and mineral pair listed in the sheet 'Offers'", **record.at("supplier"))
        return False

    def discounts(self, records, offer_rows) -> dict[tuple, tuple[tuple[float, float], ...]]:
        tiers: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
        known = [r for r in records if self.offer_exists(r, offer_rows)]
        for key, record in self.unique(known, ("supplier", "mineral", "min_quantity")).items():
            if record.valid("discount"):
                tiers[key[:2]].append((key[2], record["discount"]))
        return {key: tuple(sorted(values)) for key, values in tiers.items()}

    def minerals(self, mineral_rows, offers, offer_records, T) -> dict[str, Mineral]:
        """Minerals with defaults applied; shortfall_penalty defaults to 10 x the highest offer price,
        target_penalty to shortfall_penalty / (num_periods + 1)."""
        highest_price: dict[str, float] = {}
        for offer in offers.values():
            highest_price[offer.mineral] = max(highest_price.get(offer.mineral, 0.0), offer.unit_price)
        minerals = {}
        for (name,), record in mineral_rows.items():
            penalty = record["shortfall_penalty"]
            if penalty is None:
                if name not in highest_price:
                    if any(r.valid("mineral") and r["mineral"] == name for r in offer_records):
                        continue  # its offers had errors, reported there
                    self.problems.error("the mineral has no offer, so shortfall_penalty has no default; expected "
                                        "a number >= 0", **record.at("shortfall_penalty"))
                    continue
                penalty = 10.0 * highest_price[name]
            target_penalty = record["target_penalty"]
            if not record.valid("shortfall_penalty"):
                continue  # reported at its cell; no target_penalty default can follow from it
            if target_penalty is None and T is not None:
                target_penalty = penalty / (T + 1)
            if record["max_market_share"] is not None and record["world_supply"] is None:
                self.problems.warning("max_market_share has no effect without world_supply: the mineral has no "
                                      "market cap; expected a world_supply beside it", **record.at("max_market_share"))
            if record.valid(*record.values) and target_penalty is not None:
                minerals[name] = Mineral(
                    name=name, unit=record["unit"], initial_stock=record["initial_stock"],
                    holding_cost=record["holding_cost"], shortfall_penalty=penalty, target_penalty=target_penalty,
                    max_stock=record["max_stock"],
                    max_supplier_share=record["max_supplier_share"], max_avg_risk=record["max_avg_risk"],
                    world_supply=record["world_supply"], max_market_share=record["max_market_share"],
                    loss_rate=record["loss_rate"],
                )
        return minerals

    def summed(self, records, mineral_rows, key_columns, column, supplier_rows=None) -> dict[tuple, float]:
        """Additive quantities (Demand, Pipeline): rows with the same key add up."""
        totals: dict[tuple, float] = defaultdict(float)
        for record in records:
            ok = self.reference(record, "mineral", mineral_rows, "Minerals")
            if supplier_rows is not None:
                ok &= self.reference(record, "supplier", supplier_rows, "Suppliers")
            if ok and record.valid(*key_columns, column):
                totals[tuple(record[c] for c in key_columns)] += record[column]
        return dict(totals)

    def targets(self, records, mineral_rows, demand, T) -> tuple[dict[tuple[str, int], float], dict]:
        """Stock wanted per (mineral, period): min_stock, cover_periods of demand ahead
        (``optimizer.contract.cover``), or the larger of both; and the cover_periods as given."""
        known = [r for r in records if self.reference(r, "mineral", mineral_rows, "Minerals")]
        targets, cover = {}, {}
        ahead: dict[str, DemandAhead] = {}  # per mineral, built once
        for key, r in self.unique(known, ("mineral", "period")).items():
            if not r.valid("min_stock", "cover_periods"):
                continue
            if r["min_stock"] is None and r["cover_periods"] is None:
                self.problems.error("the row gives no target; expected min_stock or cover_periods (or both)",
                                    **r.at("min_stock"))
                continue
            wanted = [] if r["min_stock"] is None else [r["min_stock"]]
            if r["cover_periods"] is not None and T is not None:
                cover[key] = r["cover_periods"]
                if key[0] not in ahead:
                    ahead[key[0]] = DemandAhead(demand, key[0], T)
                wanted.append(ahead[key[0]].cover_stock(key[1], r["cover_periods"]))
                if wanted[-1] > schema.QUANTITY_LIMIT:
                    self.problems.error(f"cover_periods {r['cover_periods']:g} asks for a stock of {wanted[-1]:.3g}; "
                                        f"expected a target of at most {schema.QUANTITY_LIMIT:g}, the limit of every "
                                        "quantity", **r.at("cover_periods"))
                    continue
                if not any(q > 0 for (m, _), q in demand.items() if m == key[0]):
                    self.problems.warning("the mineral has no demand, so cover_periods asks for no stock",
                                          **r.at("cover_periods"))
            targets[key] = max(wanted, default=0.0)
        return targets, cover

    def commitments(self, records, offers, offer_rows, T) -> tuple[dict[tuple, float], dict[tuple, float]]:
        """Orders already decided, and the agreed unit_price of those that give one.

        Rows of one order add up, their purchase money too (the agreed price is
        sum of quantity x unit_price / sum of quantity); either every row of an
        order gives unit_price or none does. Each order must fit its offer's
        window, lead time, capacity and minimum.
        """
        totals: dict[tuple, float] = defaultdict(float)
        money: dict[tuple, float] = defaultdict(float)
        first_row: dict[tuple, Record] = {}
        for record in records:
            if not self.offer_exists(record, offer_rows) or not record.valid("period", "quantity", "unit_price"):
                continue
            key = (record["supplier"], record["mineral"], record["period"])
            first = first_row.setdefault(key, record)
            if (record["unit_price"] is None) != (first["unit_price"] is None):
                given, blank = (record, first) if first["unit_price"] is None else (first, record)
                self.problems.error(f"row {given.row} of the same commitment ({key[0]}, {key[1]}, period {key[2]}) "
                                    f"gives a unit_price and row {blank.row} does not; expected a unit_price on "
                                    "every row of a commitment or on none", **record.at("unit_price"))
                continue
            totals[key] += record["quantity"]
            if record["unit_price"] is not None:
                money[key] += record["quantity"] * record["unit_price"]
        self.check_commitments(totals, offers, first_row, T)
        self.commitment_rows = first_row
        return dict(totals), {key: money[key] / totals[key] for key in money}

    def check_commitments(self, totals: dict[tuple, float], offers, first_row: dict[tuple, Record], T) -> None:
        """Each commitment fits its offer's window, lead time, capacity and minimum."""
        for key, quantity in totals.items():
            offer, record = offers.get(key[:2]), first_row[key]
            if offer is None or T is None:
                continue
            period = key[2]
            if period not in offer.orderable_periods(T):
                self.problems.error(
                    f"the offer can be ordered only in periods {_span(offer.orderable_periods(T))} "
                    f"(first_period {offer.first_period}, last_period {offer.last_period}, lead_time "
                    f"{offer.lead_time}, {T} periods); expected a period in that range", **record.at("period"))
            if quantity < offer.min_order:
                self.problems.error(f"the committed quantity {quantity:g} is below the offer's min_order "
                                    f"{offer.min_order:g}; expected at least {offer.min_order:g}",
                                    **record.at("quantity"))
            if offer.max_per_period is not None and quantity > offer.max_per_period:
                self.problems.error(f"the committed quantity {quantity:g} is above the offer's max_per_period "
                                    f"{offer.max_per_period:g}; expected at most {offer.max_per_period:g}",
                                    **record.at("quantity"))

    def funding(self, records, budget_records, mineral_rows, suppliers, T,
                receiving: set[str] = frozenset()) -> dict[str, FundingSource]:
        countries = {s.country for s in suppliers.values()}
        budgets: dict[str, dict[int, float]] = defaultdict(dict)
        source_rows = self.unique(records, ("source",))
        for record in budget_records:
            self.reference(record, "source", source_rows, "Funding")
        known = [r for r in budget_records if r.valid("source") and (r["source"],) in source_rows]
        for (source, period), record in self.unique(known, ("source", "period")).items():
            if record.valid("amount"):
                budgets[source][period] = record["amount"]
        funding = {}
        for (name,), record in source_rows.items():
            first, last = record["first_period"], record["last_period"] or T
            if record.valid("first_period", "last_period") and last is not None and first > last:
                self.problems.error(f"last_period {last} is before first_period {first}; expected "
                                    "first_period <= last_period", **record.at("last_period"))
                continue
            listed = record["minerals"]
            if listed is not None and record.valid("minerals"):
                for mineral in listed:
                    if (mineral,) not in mineral_rows:
                        hint = _same_but_for_case(mineral, [k[0] for k in mineral_rows])
                        self.problems.error(f"'{mineral}' is not in the sheet 'Minerals'{hint}; expected a list "
                                            "of minerals listed there", **record.at("minerals"))
            excluded = record["excluded_countries"] or []
            if record.valid("excluded_countries"):
                for country in excluded:
                    if country not in countries:
                        self.problems.warning(f"no supplier is in the country '{country}'"
                                              f"{_same_but_for_case(country, countries)}", **record.at("excluded_countries"))
            if record.valid(*record.values):
                funding[name] = FundingSource(
                    name=name, amount=record["amount"], first_period=first, last_period=last,
                    cost_rate=record["cost_rate"], excluded_countries=frozenset(excluded),
                    minerals=None if listed is None else frozenset(listed), budgets=budgets.get(name, {}),
                    receives_sales=name in receiving,
                )
        return funding

    def sales(self, records, mineral_rows, funding_records, offers, minerals, T) -> tuple[Sale, ...]:
        """The Sales rows, numbered in sheet order; a warning where the price is above the mineral's
        cheapest purchase price among the orders that can arrive by the sale's last period (buying to
        sell) or above its shortfall_penalty (selling what demand needs)."""
        sources = {(r["source"],) for r in funding_records if r.valid("source")}
        sales = []
        for record in records:
            known = (self.reference(record, "mineral", mineral_rows, "Minerals")
                     & self.reference(record, "source", sources, "Funding"))
            first, last = record["first_period"], record["last_period"] or T
            if record.valid("first_period", "last_period") and last is not None and first > last:
                self.problems.error(f"last_period {last} is before first_period {first}; expected "
                                    "first_period <= last_period", **record.at("last_period"))
                continue
            if not known or not record.valid(*record.values) or last is None:
                continue
            sale = Sale(len(sales) + 1, record["mineral"], first, last, record["unit_price"],
                        record["max_per_period"], record["source"])
            self.warn_sale_price(record, sale, offers, minerals.get(sale.mineral))
            sales.append(sale)
        return tuple(sales)

    def demand_revenue(self, records, funding_records) -> dict[tuple[str, int], tuple[DemandRevenue, ...]]:
        """Demand rows with a unit_price, by (mineral, period); a source must be in Funding, and a source
        without a unit_price is a warning (nothing repays it)."""
        sources = {(r["source"],) for r in funding_records if r.valid("source")}
        revenue: dict[tuple[str, int], list[DemandRevenue]] = defaultdict(list)
        for record in records:
            if record["source"] is not None and not self.reference(record, "source", sources, "Funding"):
                continue
            if record["unit_price"] is None:
                if record["source"] is not None:
                    self.problems.warning("the row names a source but no unit_price, so nothing repays it; expected "
                                          "a unit_price beside it", **record.at("source"))
                continue
            if record.valid("mineral", "period", "quantity", "unit_price") and record["quantity"] > 0:
                revenue[record["mineral"], record["period"]].append(
                    DemandRevenue(record["quantity"], record["unit_price"], record["source"]))
        return {key: tuple(rows) for key, rows in revenue.items()}

    def warn_sale_price(self, record: Record, sale: Sale, offers, mineral: Mineral | None) -> None:
        """A purchase that can arrive by the sale's last period, cheaper than the sale, could be bought to sell."""
        prices = [offer.price(t) for offer in offers.values() if offer.mineral == sale.mineral
                  for t in offer.orderable_periods(self.num_periods) if t + offer.lead_time <= sale.last_period]
        if prices and sale.unit_price > min(prices):
            self.problems.warning(f"the sale price is above the cheapest purchase price of {sale.mineral} "
                                  f"({min(prices):g}): the plan may buy only to sell; expected a price at most "
                                  "that", **record.at("unit_price"))
        if mineral is not None and sale.unit_price > mineral.shortfall_penalty:
            self.problems.warning(f"the sale price is above the shortfall_penalty of {sale.mineral} "
                                  f"({mineral.shortfall_penalty:g}): the plan may sell stock it could serve "
                                  "demand with in later periods; expected a price at most that",
                                  **record.at("unit_price"))

    def origins(self, records, mineral_rows, supplier_rows) -> dict[tuple[str, str | None], dict[str, float]]:
        """(supplier, mineral or None) -> {country: share}; the shares of one key add up to at most 1."""
        referenced = [r for r in records
                      if self.reference(r, "supplier", supplier_rows, "Suppliers")
                      & (r["mineral"] is None or self.reference(r, "mineral", mineral_rows, "Minerals"))]
        grouped: dict[tuple[str, str | None], list[Record]] = defaultdict(list)
        for (supplier, mineral, _country), record in self.unique(referenced, ("supplier", "mineral", "country")).items():
            if record.valid("share"):
                grouped[supplier, mineral].append(record)
        origins = {}
        for (supplier, mineral), rows in grouped.items():
            total = sum(r["share"] for r in rows)
            if total > 1.0 + 1e-9:
                what = f"supplier '{supplier}'" + (f", mineral '{mineral}'" if mineral is not None else "")
                self.problems.error(f"the shares of {what} add up to {total:g} (rows "
                                    f"{', '.join(str(r.row) for r in rows)}); expected at most 1 (the rest comes "
                                    "from the supplier's own country)", **rows[-1].at("share"))
            origins[supplier, mineral] = {r["country"]: r["share"] for r in rows}
        return origins

    def projects(self, records, supplier_rows, offer_rows, offers, T) -> dict[str, Project]:
        """Capacity projects: a known supplier with offers that each give max_per_period, one project per
        supplier, first_period <= last_period; a decided project pays its capex within the horizon, and no
        commitment falls before its output can be ordered."""
        referenced = [r for r in records if self.reference(r, "supplier", supplier_rows, "Suppliers")]
        by_supplier = self.unique(self.unique(referenced, ("project",)).values(), ("supplier",))
        projects = {}
        for (supplier,), record in by_supplier.items():
            own_offers = [row for (s, _m), row in offer_rows.items() if s == supplier]
            if not own_offers:
                self.problems.error("the supplier has no offer in the sheet 'Offers'; expected a supplier whose "
                                    "offers are the plant's output", **record.at("supplier"))
            for row in own_offers:
                if row.valid("max_per_period") and row["max_per_period"] is None:
                    self.problems.error(f"the offer is the output of project '{record['project']}', which needs "
                                        "its capacity; expected a number >= 0 (the plant's output per period)",
                                        **row.at("max_per_period"))
            first, last = record["first_period"], record["last_period"] or T
            if record.valid("first_period", "last_period") and last is not None and first > last:
                self.problems.error(f"last_period {last} is before first_period {first}; expected "
                                    "first_period <= last_period", **record.at("last_period"))
                continue
            if not record.valid(*record.values) or T is None:
                continue
            project = Project(record["project"], supplier, record["capex"], record["build_periods"], first, last,
                              record["decided"] == "yes", record["life_periods"])
            self.check_project(project, record, offers, T)
            projects[project.name] = project
        return projects

    def check_project(self, project: Project, record: Record, offers, T: int) -> None:
        """A decided project pays within the horizon; an open one can be decided; commitments of its
        offers fall after its earliest completion."""
        paid = project.payment_periods(project.first_period)
        if project.decided and paid.stop - 1 > T:
            self.problems.error(f"the decided project is paid in periods {_span(paid)}, beyond the horizon of {T} "
                                "periods; expected first_period + build_periods - 1 <= num_periods",
                                **record.at("build_periods"))
        if not project.decided and min(project.last_period, T - project.build_periods + 1) < project.first_period:
            self.problems.warning(f"the project can never be decided: with build_periods {project.build_periods} "
                                  f"its capex would be paid after the horizon of {T} periods; expected a decision "
                                  f"by period {T - project.build_periods + 1}", **record.at("first_period"))
        earliest = project.first_period + project.build_periods
        for (supplier, mineral, period), row in self.commitment_rows.items():
            if supplier == project.supplier and period < earliest:
                self.problems.error(f"the offer is the output of project '{project.name}', which cannot be built "
                                    f"before period {earliest}; expected a period >= {earliest}", **row.at("period"))
        if not project.decided and all(offer.lead_time + earliest > T for offer in offers.values()
                                       if offer.supplier == project.supplier):
            self.problems.warning(f"the project's output cannot arrive within the horizon of {T} periods "
                                  f"(built at the earliest by period {earliest}); the plan will not fund it",
                                  **record.at("build_periods"))

    def contracts(self, records, mineral_rows, supplier_rows, T) -> dict[str, Contract]:
        """Contracts by name: a known supplier and mineral, first_period <= last_period, min_quantity at most
        max_quantity (and at most what max_per_period allows over the contract's periods)."""
        referenced = [r for r in records
                      if self.reference(r, "supplier", supplier_rows, "Suppliers")
                      & self.reference(r, "mineral", mineral_rows, "Minerals")]
        contracts = {}
        for (name,), record in self.unique(referenced, ("contract",)).items():
            first, last = record["first_period"], record["last_period"] or T
            if record.valid("first_period", "last_period") and last is not None and first > last:
                self.problems.error(f"last_period {last} is before first_period {first}; expected "
                                    "first_period <= last_period", **record.at("last_period"))
                continue
            low, high = record["min_quantity"], record["max_quantity"]
            if record.valid("min_quantity", "max_quantity") and high is not None and low > high:
                self.problems.error(f"min_quantity {low:g} is above max_quantity {high:g}; expected "
                                    "min_quantity <= max_quantity", **record.at("min_quantity"))
                continue
            if not record.valid(*record.values) or T is None:
                continue
            contract = Contract(
                name=name, supplier=record["supplier"], mineral=record["mineral"], first_period=first,
                last_period=last, unit_price=record["unit_price"], lead_time=record["lead_time"],
                max_per_period=record["max_per_period"], min_quantity=low, max_quantity=high,
                signing_cost=record["signing_cost"], signed=record["signed"] == "yes",
                floor_price=record["floor_price"])
            self.warn_undeliverable(contract, record, T)
            contracts[name] = contract
        return contracts

    def warn_undeliverable(self, contract: Contract, record: Record, T: int) -> None:
        """A contract that can deliver nothing within the horizon, or less than its min_quantity: take-or-pay
        is then paid on what it cannot deliver (a warning, the plan is still made)."""
        periods = contract.delivery_periods(T)
        room = math.inf if contract.max_per_period is None else contract.max_per_period * len(periods)
        if not periods:
            self.problems.warning(f"the contract {contract.name} can deliver nothing within the horizon: with "
                                  f"lead_time {contract.lead_time} a delivery must be ordered by period "
                                  f"{T - contract.lead_time}", **record.at("last_period"))
        elif contract.min_quantity > room + 1e-9:
            self.problems.warning(f"min_quantity {contract.min_quantity:g} is above what the contract can deliver "
                                  f"within the horizon ({room:g}: max_per_period x {len(periods)} periods); the "
                                  "rest is paid as take-or-pay if the contract is signed",
                                  **record.at("min_quantity"))

    def countries(self, records, known: set[str]) -> dict[str, float]:
        shares = {}
        for (country,), record in self.unique(records, ("country",)).items():
            if country not in known:
                self.problems.warning(f"no supplier is in this country{_same_but_for_case(country, known)}; "
                                      "the cap has no effect", **record.at("country"))
            if record.valid("max_share"):
                shares[country] = record["max_share"]
        return shares

    def scenarios(self, records, known: set[str]) -> tuple[Scenario, ...]:
        grouped: dict[str, list[Record]] = defaultdict(list)
        for record in records:
            if not record.valid("scenario"):
                continue
            if schema.normalise_name(record["scenario"]) == BASE:
                self.problems.error("'base' is the name of the undisrupted scenario; expected another name",
                                    **record.at("scenario"))
                continue
            grouped[record["scenario"]].append(record)
            if record.valid("first_period", "last_period") and record["first_period"] > record["last_period"]:
                self.problems.error(f"last_period {record['last_period']} is before first_period "
                                    f"{record['first_period']}; expected first_period <= last_period",
                                    **record.at("last_period"))
            if record.valid("country") and record["country"] not in known:
                self.problems.warning(f"no supplier is in this country{_same_but_for_case(record['country'], known)}; "
                                      "the disruption has no effect", **record.at("country"))
        scenarios = []
        for name, rows in grouped.items():
            probabilities = {r["probability"] for r in rows if r.valid("probability")}
            if len(probabilities) > 1:
                self.problems.error(f"scenario '{name}' has different probabilities on its rows "
                                    f"({', '.join(f'{p:g}' for p in sorted(probabilities))}); expected the same "
                                    "probability on every row of a scenario", **rows[-1].at("probability"))
            known_from = {r["known_from"] for r in rows if r.valid("known_from") and r["known_from"] is not None}
            if len(known_from) > 1:
                self.problems.error(f"scenario '{name}' has different known_from on its rows "
                                    f"({', '.join(str(p) for p in sorted(known_from))}); expected the same "
                                    "known_from on every row that gives one", **rows[-1].at("known_from"))
            disruptions = tuple(
                Disruption(r["country"], r["first_period"], r["last_period"], r["supply_loss"])
                for r in rows if r.valid(*r.values)
            )
            scenarios.append(Scenario(name, min(probabilities, default=0.0), disruptions,
                                      max(known_from) if known_from else None))
        total = sum(s.probability for s in scenarios)
        if total > 1.0 + 1e-9 and records:
            sheet = records[0].sheet
            self.problems.error(f"the scenario probabilities add up to {total:g}; expected at most 1 "
                                "(the rest is the base scenario)", file=sheet.file, sheet=sheet.title,
                                column=sheet.headers.get("probability"))
        return tuple(scenarios)

    def scenario_prices(self, records, scenarios, mineral_rows, known: set[str]) -> tuple[ScenarioPrice, ...]:
        """ScenarioPrices rows: a scenario of the sheet Scenarios, a known mineral (or blank), a window."""
        names = {(s.name,) for s in scenarios}
        rows = []
        for record in records:
            if record.valid("scenario") and schema.normalise_name(record["scenario"]) == BASE:
                self.problems.error("the base scenario has no price moves (its prices are the offers'); expected "
                                    "a scenario listed in the sheet 'Scenarios'", **record.at("scenario"))
                continue
            listed = self.reference(record, "scenario", names, "Scenarios")
            mineral_known = record["mineral"] is None or self.reference(record, "mineral", mineral_rows, "Minerals")
            if record.valid("country") and record["country"] is not None and record["country"] not in known:
                self.problems.warning(f"no supplier is in this country{_same_but_for_case(record['country'], known)}; "
                                      "the price move has no effect", **record.at("country"))
            window = record.valid("first_period", "last_period")
            if window and record["first_period"] > record["last_period"]:
                self.problems.error(f"last_period {record['last_period']} is before first_period "
                                    f"{record['first_period']}; expected first_period <= last_period",
                                    **record.at("last_period"))
                continue
            if listed and mineral_known and record.valid(*record.values):
                rows.append(ScenarioPrice(record["scenario"], record["mineral"], record["country"],
                                          record["first_period"], record["last_period"], record["factor"]))
        return tuple(rows)

    def scenario_demand(self, records, scenarios, mineral_rows) -> tuple[dict[tuple, float], dict[tuple, float]]:
        """Emergency demand per (scenario, mineral, period) and the shortfall_penalty of the rows that give one:
        the scenario must be on the Scenarios sheet (not base), each key once."""
        names = {(s.name,) for s in scenarios}
        for record in records:
            if record.valid("scenario") and schema.normalise_name(record["scenario"]) == BASE:
                self.problems.error("'base' is the undisrupted scenario, whose demand is the Demand sheet's; "
                                    "expected a scenario listed in the sheet 'Scenarios'", **record.at("scenario"))
                record.values["scenario"] = _INVALID
        known = [r for r in records
                 if self.reference(r, "scenario", names, "Scenarios") & self.reference(r, "mineral", mineral_rows,
                                                                                      "Minerals")]
        demand, penalty = {}, {}
        for key, record in self.unique(known, ("scenario", "mineral", "period")).items():
            if not record.valid("quantity", "shortfall_penalty"):
                continue
            demand[key] = record["quantity"]
            if record["shortfall_penalty"] is not None:
                penalty[key] = record["shortfall_penalty"]
        return demand, penalty

    def conversions(self, records, mineral_rows, supplier_rows, T) -> dict[str, Conversion]:
        """Conversions by name: known minerals and toll processor, two different forms, no chain of
        conversions leading back to its own from_mineral (material could then loop without end)."""
        known = []
        for record in records:
            ok = (self.reference(record, "from_mineral", mineral_rows, "Minerals")
                  & self.reference(record, "to_mineral", mineral_rows, "Minerals"))
            if record["supplier"] is not None:
                ok &= self.reference(record, "supplier", supplier_rows, "Suppliers")
            if ok and record["from_mineral"] == record["to_mineral"]:
                self.problems.error("from_mineral and to_mineral are the same; expected two different forms",
                                    **record.at("to_mineral"))
                ok = False
            if ok and T is not None and record.valid("lead_time") and record["lead_time"] >= T:
                self.problems.warning(f"with lead_time {record['lead_time']} nothing converted arrives within "
                                      f"the {T} periods of the horizon", **record.at("lead_time"))
            if ok:
                known.append(record)
        rows = {key[0]: r for key, r in self.unique(known, ("conversion",)).items() if r.valid(*r.values)}
        conversions = {name: Conversion(name, r["from_mineral"], r["to_mineral"], r["yield"], r["unit_cost"],
                                        r["lead_time"], r["max_per_period"], r["supplier"])
                       for name, r in rows.items()}
        for name in conversion_cycle(conversions):
            self.problems.error("this conversion is part of a chain of conversions leading back to its own "
                                "from_mineral; expected conversions that never return to a form they came from",
                                **rows[name].at("to_mineral"))
        return conversions

    def warn_unorderable(self, offers: dict, T: int | None) -> None:
        if T is None:
            return
        for offer in offers.values():
            if not offer.orderable_periods(T):
                sheet = self.raw.sheets["offers"]
                self.problems.warning(
                    f"the offer of {offer.mineral} from {offer.supplier} can never be ordered: with lead_time "
                    f"{offer.lead_time} an order must be placed by period {T - offer.lead_time}",
                    file=sheet.file, sheet=sheet.title)


def conversion_cycle(conversions: dict[str, Conversion]) -> list[str]:
    """The conversions on a chain that leads back to its own from_mineral (none: an empty list)."""
    leads_to: dict[str, set[str]] = defaultdict(set)
    for c in conversions.values():
        leads_to[c.from_mineral].add(c.to_mineral)

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in leads_to[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen
    return [name for name, c in conversions.items() if c.from_mineral in reachable(c.to_mineral)]


# ------------------------------------------------------------------ converters
def _to_float(value: object, column: Column) -> float:
    if isinstance(value, bool):
        raise ValueError(", not a logical value")
    if isinstance(value, (datetime, date)):
        raise ValueError(", not a date (the cell is formatted as a date)")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            # Python would read "1_000" as 1000; a spreadsheet user would not expect that.
            number = float(value.replace("_", "x"))
        except ValueError:
            raise ValueError("") from None
    else:
        raise ValueError("")
    if not math.isfinite(number):
        raise ValueError(", not infinite or NaN")
    return number


def _to_int(value: object, column: Column) -> int:
    number = _to_float(value, column)
    if number != int(number):
        raise ValueError("")
    return int(number)


def _to_text(value: object, column: Column) -> str:
    return printed_name(_cell_text(value))


def _to_list(value: object, column: Column) -> list[str]:
    return [printed_name(item) for item in _cell_text(value).split(",") if item.strip()]


def _cell_text(value: object) -> str:
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        raise ValueError("")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_INVISIBLE = {"Cc": "a control character", "Cf": "an invisible format character", "Cs": "half a surrogate pair",
              "Cn": "an unassigned code point", "Zl": "a line separator", "Zp": "a paragraph separator"}


def printed_name(text: str) -> str:
    """A name as it prints, so names that look the same are the same: Unicode NFC (a composed and a
    decomposed accent agree), every space a plain space, trimmed. Raises ValueError (the rest of
    the expectation) for an invisible character, named by its code point, or a name over
    ``NAME_LENGTH_LIMIT`` characters."""
    if not (text.isascii() and text.isprintable()):  # the common case needs none of this
        text = "".join(" " if unicodedata.category(c) == "Zs" else c for c in unicodedata.normalize("NFC", text))
        for position, character in enumerate(text.strip(), start=1):
            kind = _INVISIBLE.get(unicodedata.category(character))
            if kind:
                name = unicodedata.name(character, "")
                raise ValueError(f" without invisible characters; character {position} is "
                                 f"U+{ord(character):04X}{' ' + name if name else ''} ({kind}), which prints as "
                                 "nothing, so two names that look the same would differ: retype the name without it")
    text = text.strip()
    if len(text) > schema.NAME_LENGTH_LIMIT:
        raise ValueError(f" of at most {schema.NAME_LENGTH_LIMIT} characters (this one has {len(text):,})")
    return text


def _to_date(value: object, column: Column) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(" (YYYY-MM-DD)") from None
    raise ValueError(" (YYYY-MM-DD)")


def _to_choice(value: object, column: Column) -> str:
    text = _to_text(value, column).lower()
    if text not in column.choices:
        raise ValueError("")
    return text


_CONVERTERS = {
    schema.FLOAT: _to_float, schema.INT: _to_int, schema.TEXT: _to_text,
    schema.LIST: _to_list, schema.DATE: _to_date, schema.CHOICE: _to_choice,
}


def _in_range(column: Column, value: object) -> bool:
    if not isinstance(value, (int, float)):
        return True
    if column.minimum is not None and (value <= column.minimum if column.minimum_open else value < column.minimum):
        return False
    if column.maximum is not None and (value >= column.maximum if column.maximum_open else value > column.maximum):
        return False
    return True


def _same_but_for_case(value: object, candidates) -> str:
    """A hint naming the candidate that differs from ``value`` only in case or surrounding spaces."""
    text = str(value).strip().lower()
    matches = [c for c in candidates if str(c).strip().lower() == text]
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def _show(value: object) -> str:
    """A key value as a person typed it: 50, not 50.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _span(periods: range) -> str:
    return f"{periods.start}..{periods.stop - 1}" if periods else "none"
