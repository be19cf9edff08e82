"""Report stage: the result workbook of the contract, formatted for people.

Sheets: Summary, Orders, Funding, Stock (the contract's, with its columns
first), then Mix (supplier and country shares per mineral, pipeline and plan),
Spending (each funding source per period against its limits), Shortfall (per
mineral and scenario) and Warnings. Every sheet is an Excel table with a
frozen header, number formats and widths. Text from the inputs is always
written as text, never as a formula.
"""

from __future__ import annotations

from collections import defaultdict

import contextlib
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import openpyxl
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from optimizer import __version__
from optimizer.analysis import explain, metrics
from optimizer.reporting.charts import ChartData, write_charts_sheet
from optimizer.reporting.dashboard import write_dashboard
from optimizer.reporting.printing import landscape
from optimizer.reporting.sheetrows import append_rendered
from optimizer.contract.data import PlanningData
from optimizer.files import write_atomically
from optimizer.contract.results import Plan
from optimizer.contract.problems import Problem

MONEY = "#,##0.00"
QUANTITY = "#,##0.####"
SHARE = "0.0%"
WHOLE = "0"
COUNT = "#,##0"
GAP = "0.000%"
SECONDS = "0.00"
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FORMULA_STARTS = ("=", "+", "-", "@")
WIDEST = 140  # characters: a sentence column


@dataclass(frozen=True)
class TableSpec:
    title: str
    frame: pd.DataFrame
    formats: dict[str, str]  # column -> number format
    note: str = ""
    wide: tuple[str, ...] = ()  # columns of sentences: as wide as their text, up to WIDEST
    # Key/value sheets (columns key, value): the number format of each value, chosen by its key.
    key_formats: Callable[[str], str | None] | None = None


def summary_format(key: str) -> str | None:
    """The number format of a Summary value by its key: money, gaps, shares, seconds and counts.

    Only the display changes: the cell keeps every digit (the checker reads the values).
    """
    if key.startswith("mip_gap"):
        return GAP
    if "seconds" in key or key.endswith("_time_s"):
        return SECONDS
    if key.startswith("probability"):
        return SHARE
    if (key.startswith(("objective", "change_value", "best_bound")) or key.endswith("_cost")
            or "penalty" in key):
        return MONEY
    if key.startswith(("model_", "orders_", "samples", "scenarios")):
        return COUNT
    return None


def write_result_workbook(path: Path, plan: Plan, data: PlanningData, warnings: list[Problem],
                          timings: dict[str, float], verify: Callable[[Path], None] | None = None) -> None:
    """Write the result workbook to ``path`` atomically (``verify`` may veto the written file)."""
    tables = result_tables(plan, data, warnings, timings)
    write_atomically(path, lambda temporary: _write_tables(temporary, tables, plan, data), verify)


def result_tables(plan: Plan, data: PlanningData, warnings: list[Problem],
                  timings: dict[str, float]) -> list[TableSpec]:
    """The result workbook's sheets as tables, with their number formats, in workbook order."""
    money = data.settings.currency
    return [
        TableSpec("Summary", summary_frame(plan, data, timings), {"value": "General"},
                  f"money in {money}; costs add up to objective", key_formats=summary_format),
        TableSpec("Orders", plan.orders.assign(committed=plan.orders["committed"].map({True: "yes", False: "no"})),
                  {"period": WHOLE, "arrival_period": WHOLE, "quantity": QUANTITY, "unit_price": MONEY,
                   "cost": MONEY, "list_price": MONEY, "discount": SHARE, "order_cost": MONEY}),
        TableSpec("Funding", plan.funding, {"period": WHOLE, "amount": MONEY}),
        TableSpec("Stock", plan.stock, {"period": WHOLE, **{c: QUANTITY for c in (
            "arrivals", "demand", "unmet_demand", "stock", "target", "shortfall", "sold", "lost", "converted_in",
            "converted_out")}}),
        *sales_tables(plan, data),
        *conversion_tables(plan, data),
        TableSpec("Mix", mix_frame(plan, data), {"pipeline_quantity": QUANTITY, "ordered_quantity": QUANTITY,
                                                 "share_of_orders": SHARE, "country_share_of_orders": SHARE,
                                                 "max_supplier_share": SHARE, "country_max_share": SHARE}),
        *market_tables(plan, data),
        TableSpec("Spending", spending_frame(plan, data), {"period": WHOLE, **{c: MONEY for c in (
            "spent", "budget", "cumulative_spent", "amount", "remaining")}, "budget_used": SHARE}),
        TableSpec("Shortfall", shortfall_frame(plan, data), {
            "probability": SHARE, "unmet_demand": QUANTITY, "unmet_penalty": MONEY, "target_shortfall": QUANTITY,
            "target_penalty": MONEY, "penalty_cost": MONEY}),
        *analysis_tables(plan, data),
        *changes_tables(plan),
        TableSpec("Warnings", pd.DataFrame({"warning": [str(w) for w in warnings]}), {}),
    ]


def analysis_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """Concentration, Why short, Sensitivities and Cover (optimizer/analysis/metrics.py, optimizer/analysis/explain.py)."""
    concentration = metrics.concentration_frame(plan, data)
    hhi = {c: WHOLE for c in concentration.columns if c.startswith("hhi_")}
    risk = {c: "0.00" for c in concentration.columns if "risk" in c}
    analysis = plan.analysis
    sensitivities = explain.sensitivity_frame(analysis.marginals if analysis else [], data)
    if analysis is not None and analysis.marginals_note:  # skipped for lack of time (optimizer/solving/session.py)
        not_measured = pd.DataFrame({"finding": [f"Not measured: {analysis.marginals_note}."]})
        sensitivities = pd.concat([sensitivities, not_measured], ignore_index=True)
    if analysis is not None and analysis.causes is not None:
        causes = explain.causes_frame(analysis.causes, data)
        if analysis.note:  # some minerals short were not measured
            causes = pd.concat([causes, pd.DataFrame({"finding": [f"Not measured: {analysis.note}."]})],
                               ignore_index=True)
    else:
        note = analysis.note if analysis is not None else "no analysis was run"
        causes = pd.DataFrame({"finding": [f"Not measured: {note}."]})
    return [
        TableSpec("Concentration", concentration, {**hhi, **risk, "largest_country_share_after": SHARE,
                                                   **{c: QUANTITY for c in concentration.columns
                                                      if c.endswith("_quantity")}}),
        TableSpec("Why short", causes, {"expected_shortfall": QUANTITY, "shortfall_in_plan": QUANTITY,
                                                        "shortfall_if_lifted": QUANTITY, "removed": QUANTITY,
                                                        "removed_share": SHARE}, wide=("finding",)),
        TableSpec("Sensitivities", sensitivities, {"period": WHOLE, "cost_change_per_unit": MONEY,
                                                                   "effect": MONEY}, wide=("finding",)),
        TableSpec("Cover", metrics.cover_frame(plan, data), {"period": WHOLE, "stock": QUANTITY, "target": QUANTITY,
                                                             "cover_periods": "0.00",
                                                             "target_cover_periods": "0.00"}),
    ]


def changes_tables(plan: Plan) -> list[TableSpec]:
    """The Changes sheet of a re-plan (optimizer/replan/changes.py): against the previous plan of the same input."""
    if plan.changes is None:
        return []
    money = {c: MONEY for c in ("previous_unit_price", "unit_price", "previous_cost", "cost", "cost_change")}
    quantities = {c: QUANTITY for c in ("previous_quantity", "quantity", "quantity_change", "without_change_penalty")}
    return [TableSpec("Changes", _finding_first(plan.changes.frame),
                      {"period": WHOLE, "price_change": SHARE, **money, **quantities}, wide=("finding",))]


def changes_summary(plan: Plan) -> list[tuple[str, object]]:
    """change_cost (outside the seven: the optimised total is objective + change_cost) and the counts."""
    if plan.changes is None:
        return []
    rows: list[tuple[str, object]] = [("previous_plan", plan.changes.previous_label)]
    if plan.changes.change_cost is not None:
        rows.append(("change_cost", plan.changes.change_cost))
    rows += list(plan.changes.counts.items())
    return rows


def _finding_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The sentence first: it is what a reader reads; the numbers behind it follow."""
    return frame[["finding"] + [c for c in frame.columns if c != "finding"]]


def summary_frame(plan: Plan, data: PlanningData, timings: dict[str, float]) -> pd.DataFrame:
    """The contract's keys first (the seven costs add up to objective), then context."""
    solve = plan.solve
    rows: list[tuple[str, object]] = [("status", plan.status), ("objective", plan.objective)]
    rows += [(name, plan.costs.get(name, 0.0)) for name in plan.stated_cost_terms()]
    rows += [
        ("mip_gap", solve.gap), ("solve_seconds", round(solve.seconds, 3)),
        ("handover_seconds", round(solve.handover_seconds, 3)), ("input_sha256", data.input_sha256),
        ("message", solve.message), ("best_bound", solve.bound), ("solver_start", solve.start),
        ("currency", data.settings.currency),
        ("num_periods", data.settings.num_periods), ("period_unit", data.settings.period_unit),
        ("start_date", data.settings.start_date.isoformat() if data.settings.start_date else None),
        ("input_files", ", ".join(Path(f.path).name for f in data.input_files)),
        ("written_at", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("engine_version", __version__),
    ]
    rows += changes_summary(plan)
    rows += plan.stability.summary() if plan.stability is not None else []  # optimizer/solving/stability.py
    budget = plan.analysis_budget  # the seconds after the main solve (optimizer/solving/budget.py)
    if budget is not None:
        rows += [("analysis_time_s", budget.seconds),
                 ("analysis_seconds_used", round(min(budget.spent(), budget.seconds), 3))]
    rows += [(f"model_{key}", value) for key, value in plan.model_size.items()]
    rows += [(f"seconds_{stage}", round(seconds, 3)) for stage, seconds in timings.items()]
    return pd.DataFrame(rows, columns=["key", "value"])


def mix_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and supplier: pipeline and ordered quantities, shares and the caps that apply (the
    country share: of the mineral's orders, the quantity from the supplier's country counted by origin)."""
    ordered = plan.orders.groupby(["mineral", "supplier"])["quantity"].sum()
    mineral_total = plan.orders.groupby("mineral")["quantity"].sum()
    country_total: dict[tuple[str, str], float] = defaultdict(float)  # by origin (Origins), as the cap counts
    for (mineral, supplier), quantity in ordered.items():
        for country, share in data.origin_shares(supplier, mineral).items():
            country_total[mineral, country] += share * float(quantity)
    pipeline: dict[tuple[str, str], float] = {}
    for (supplier, mineral, _), quantity in data.pipeline.items():
        pipeline[mineral, supplier] = pipeline.get((mineral, supplier), 0.0) + quantity
    keys = sorted(set(ordered.index) | set(pipeline))
    rows = []
    for mineral, supplier in keys:
        country = data.country(supplier)
        total = float(mineral_total.get(mineral, 0.0))
        from_country = float(country_total.get((mineral, country), 0.0))
        rows.append({
            "mineral": mineral, "supplier": supplier, "country": country,
            "pipeline_quantity": pipeline.get((mineral, supplier), 0.0),
            "ordered_quantity": float(ordered.get((mineral, supplier), 0.0)),
            "share_of_orders": ordered.get((mineral, supplier), 0.0) / total if total > 0 else 0.0,
            "country_share_of_orders": from_country / total if total > 0 else 0.0,
            "max_supplier_share": data.minerals[mineral].max_supplier_share,
            "country_max_share": data.country_max_share.get(country, 1.0),
            "risk_score": data.risk_score(supplier),
        })
    return pd.DataFrame(rows, columns=["mineral", "supplier", "country", "pipeline_quantity", "ordered_quantity",
                                       "share_of_orders", "country_share_of_orders", "max_supplier_share",
                                       "country_max_share", "risk_score"])


def sales_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Sales sheet, when the workbook has a Sales sheet: every sale made, its revenue and the source paid."""
    if not data.sales:
        return []
    return [TableSpec("Sales", plan.sales, {"sale": WHOLE, "period": WHOLE, "quantity": QUANTITY,
                                            "unit_price": MONEY, "revenue": MONEY},
                      "stock sold (the same in every scenario); revenue adds to the source's amount from the next "
                      "period on; sale: the row of the input's Sales sheet")]


def conversion_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Conversions and Conversion funding sheets, when the input has a Conversions sheet: none otherwise."""
    if not data.conversions:
        return []
    return [TableSpec("Conversions", plan.conversions,
                      {"period": WHOLE, "arrival_period": WHOLE, "input": QUANTITY, "yield": "0.000",
                       "output": QUANTITY, "unit_cost": MONEY, "cost": MONEY},
                      "input in from_mineral's unit, taken when the conversion starts; output in to_mineral's, "
                      "arriving in arrival_period (before any scenario's loss at a toll processor)"),
            TableSpec("Conversion funding", plan.conversion_funding, {"period": WHOLE, "amount": MONEY},
                      "who pays each conversion, as orders are paid")]


def market_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Market sheet, when some mineral gives a world_supply: none otherwise."""
    frame = market_frame(plan, data)
    if frame.empty:
        return []
    return [TableSpec("Market", frame, {"period": WHOLE, "ordered_quantity": QUANTITY, "world_supply": QUANTITY,
                                        "max_market_share": SHARE, "market_cap": QUANTITY, "cap_used": SHARE},
                      "orders placed in the period, commitments included, against max_market_share x world_supply")]


def market_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral with a world_supply and period: what the plan orders against its market cap."""
    placed = plan.orders.groupby(["mineral", "period"])["quantity"].sum()
    rows = []
    for name, mineral in data.minerals.items():
        cap = data.market_cap(name)
        if cap is None:
            continue
        for period in data.periods:
            ordered = float(placed.get((name, period), 0.0))
            rows.append({"mineral": name, "period": period, "ordered_quantity": ordered,
                         "world_supply": mineral.world_supply, "max_market_share": data.market_share(name),
                         "market_cap": cap,
                         "cap_used": ordered / cap if cap > 0 else None})
    return pd.DataFrame(rows, columns=["mineral", "period", "ordered_quantity", "world_supply", "max_market_share",
                                       "market_cap", "cap_used"])


def spending_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Each funding source per period: spent, its budget, and what remains of its amount."""
    spent = plan.funding.groupby(["source", "period"])["amount"].sum()
    rows = []
    for name, source in data.funding.items():
        cumulative = 0.0
        for period in data.periods:
            paid = float(spent.get((name, period), 0.0))
            cumulative += paid
            budget = source.budgets.get(period)
            rows.append({
                "source": name, "period": period, "spent": paid, "budget": budget,
                "budget_used": paid / budget if budget else None, "cumulative_spent": cumulative,
                "amount": source.amount, "remaining": source.amount - cumulative,
                "can_pay": "yes" if source.first_period <= period <= source.last_period else "no",
            })
    return pd.DataFrame(rows, columns=["source", "period", "spent", "budget", "budget_used", "cumulative_spent",
                                       "amount", "remaining", "can_pay"])


def shortfall_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and scenario: demand not served and stock below target over the horizon, each with its
    penalty (shortfall_penalty x unmet demand, ScenarioDemand's own where it gives one; target_penalty x units
    below target, per period)."""
    probability = {k.name: k.probability for k in data.all_scenarios}
    penalties = metrics.unmet_penalties(plan.stock, data)
    if plan.stock.empty:
        totals = pd.DataFrame(columns=["scenario", "mineral", "unmet_demand", "shortfall"])
    else:
        totals = plan.stock.groupby(["scenario", "mineral"], sort=False)[["unmet_demand", "shortfall"]].sum()
        totals = totals.reset_index()
    rows = []
    for row in totals.itertuples():
        mineral = data.minerals[row.mineral]
        unmet_penalty = penalties.get((row.scenario, row.mineral), 0.0)
        target_penalty = mineral.target_penalty * row.shortfall
        rows.append({
            "mineral": row.mineral, "scenario": row.scenario, "probability": probability[row.scenario],
            "unmet_demand": row.unmet_demand, "unmet_penalty": unmet_penalty, "target_shortfall": row.shortfall,
            "target_penalty": target_penalty, "penalty_cost": unmet_penalty + target_penalty})
    return pd.DataFrame(rows, columns=["mineral", "scenario", "probability", "unmet_demand", "unmet_penalty",
                                       "target_shortfall", "target_penalty", "penalty_cost"])


def _write_tables(path: Path, tables: list[TableSpec], plan: Plan | None = None,
                  data: PlanningData | None = None) -> None:
    """The Dashboard first (with a plan), then the tables, then the Charts and their data."""
    book = openpyxl.Workbook(write_only=True)
    charts = ChartData()
    if plan is not None:
        write_dashboard(book, plan, data, charts)
    for spec in tables:
        write_table(book, spec)
    if plan is not None:
        write_charts_sheet(book, plan, data, charts)
        charts.write(book)
    try:
        book.save(path)
    except BaseException:
        _close_sheets(book)
        raise


def _close_sheets(book) -> None:
    """A failed save (a full disk) leaves write-only sheets open. Closed now, quietly: left to the garbage
    collector, each would print an "Exception ignored" message at some later moment.
    (openpyxl deletes their temporary files at exit.)"""
    for sheet in book.worksheets:
        if not sheet.closed:
            with contextlib.suppress(Exception):
                sheet.close()


def write_table(book, spec: TableSpec) -> None:
    """``spec`` as a new sheet of ``book``: every result and study workbook writes its tables here."""
    sheet = book.create_sheet(spec.title)
    landscape(sheet)
    frame = spec.frame
    columns = list(frame.columns)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(frame, column, spec.wide)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    formats = [spec.formats.get(column) for column in columns]
    rows = frame.astype(object).to_numpy().tolist()  # Python values; far quicker than itertuples
    if spec.key_formats is not None:  # a key/value sheet: few rows, each value formatted by its key
        value_at = columns.index("value")
        for values in rows:
            row_formats = formats[:value_at] + [spec.key_formats(str(values[0]))] + formats[value_at + 1:]
            sheet.append([_cell(sheet, value, number_format) for value, number_format in zip(values, row_formats)])
    elif not append_rendered(sheet, rows, formats, first_row=2):
        for values in rows:
            sheet.append([_cell(sheet, value, number_format) for value, number_format in zip(values, formats)])
    if len(frame):
        ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"
        table = Table(displayName=spec.title.replace(" ", "") + "Table", ref=ref)
        # Write-only sheets cannot read their header back: name the columns here.
        table.tableColumns = [TableColumn(id=i, name=str(c)) for i, c in enumerate(columns, start=1)]
        table.autoFilter = AutoFilter(ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        with warnings.catch_warnings():  # openpyxl warns on every write-only table; the columns are set
            warnings.simplefilter("ignore", UserWarning)
            sheet.add_table(table)


def _cell(sheet, value: object, number_format: str | None):
    if value is None or (isinstance(value, float) and value != value):  # None or NaN: a blank cell
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # text from an input is never a live formula
    elif number_format and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = number_format
    return cell


def _width(frame: pd.DataFrame, column: str, wide: tuple[str, ...] = ()) -> float:
    sample = frame[column].head(200)
    longest = max([len(str(column))] + [len(_shown(v)) for v in sample])
    return min(WIDEST if column in wide else 60, max(9, longest + 3))


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
