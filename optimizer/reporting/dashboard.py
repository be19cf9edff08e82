"""The Dashboard sheet: the first page of a result workbook, for a reader with two minutes.

Left, top to bottom: the expected cost and its terms, what each funding source
pays, the expected shortfall per mineral, the share of supply value from each
country before (pipeline) and after the plan, the average supplier risk, the
three largest risks in words, what more money or capacity would buy, and why
shortfalls remain. Right: three charts (spending per period by source,
country shares, shortfall penalty by mineral), their numbers in ``Chart data``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from optimizer.reporting import charts as chart_module
from optimizer.analysis import explain, metrics
from optimizer.reporting.charts import ChartData
from optimizer.contract.data import PlanningData
from optimizer.contract.results import Plan
from optimizer.reporting.printing import landscape

TITLE_FONT = Font(bold=True, size=16, color="1F3864")
SECTION_FONT = Font(bold=True, size=12, color="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
NOTE_FONT = Font(italic=True, color="595959")
BOLD = Font(bold=True)
RIGHT = Alignment(horizontal="right")
INDENT = Alignment(horizontal="left", indent=1)
MONEY = "#,##0"
SHARE = "0.0%"
QUANTITY = "#,##0.##"
RISK = "0.00"
COVER = "0.0"
WIDTHS = {"A": 34, "B": 18, "C": 18, "D": 18, "E": 18, "F": 26}
TEXT_WIDTH = 100  # characters of a sentence per row, across columns A to E
CHART_COLUMN = "G"
COUNTRIES_SHOWN = 8  # the rest summed in one row
CHART_HEIGHT_CM = 6.8  # three charts beside the first page of tables
COST_LABELS = {
    "purchase_cost": "Purchases", "order_cost": "Order costs", "onboarding_cost": "Supplier onboarding",
    "financing_cost": "Financing", "risk_cost": "Supplier risk charge", "holding_cost": "Holding (expected)",
    "penalty_cost": "Shortfall penalty (expected)", "conversion_cost": "Upgrading (conversions)",
    "sales_revenue": "Sales revenue (negative)", "release_revenue": "Participants' payments (expected, negative)",
}
OPTIONAL_TERMS = {"conversion_cost"}  # shown only when the plan has them


class _Page:
    """Appends styled rows to a write-only sheet and counts them."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.row = 0

    def add(self, *values, font=None, formats=(), fill=None, header=False) -> None:
        cells = []
        for index, value in enumerate(values):
            if value is None:
                cells.append(None)
                continue
            cell = WriteOnlyCell(self.sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # names from the input are never formulas
                if index > 0:  # text beside numbers: headers over right-aligned numbers, names set apart
                    cell.alignment = RIGHT if header else INDENT
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if index < len(formats) and formats[index] and isinstance(value, (int, float)):
                cell.number_format = formats[index]
            cells.append(cell)
        self.sheet.append(cells)
        self.row += 1

    def blank(self) -> None:
        self.sheet.append([])
        self.row += 1

    def section(self, title: str, *headers: str) -> None:
        self.blank()
        self.add(title, font=SECTION_FONT)
        if headers:
            self.add(*headers, font=HEADER_FONT, fill=HEADER_FILL, header=True)

    def sentences(self, texts: list[str], numbered: bool = True) -> None:
        for number, text in enumerate(texts, 1):
            lead = f"{number}. " if numbered else "- "
            lines = textwrap.wrap(text, TEXT_WIDTH - len(lead))
            for index, line in enumerate(lines):
                self.add((lead if index == 0 else " " * len(lead)) + line)


def write_dashboard(book, plan: Plan, data: PlanningData, charts: ChartData) -> None:
    """Add the Dashboard: cost, funding, shortfall, country mix, risk, what more buys, why short."""
    sheet = book.create_sheet("Dashboard")
    landscape(sheet)
    for column, width in WIDTHS.items():
        sheet.column_dimensions[column].width = width
    page = _Page(sheet)
    currency = data.settings.currency
    shortfall = metrics.shortfall_by_mineral(plan, data)
    concentration = metrics.concentration_frame(plan, data)
    shares = metrics.top_countries(metrics.country_shares(plan, data), COUNTRIES_SHOWN)
    _title(page, plan, data)
    _costs(page, plan, currency)
    _funding(page, plan, data)
    _repayment(page, plan, data)
    _upgraded(page, plan, data)
    _shortfall(page, shortfall)
    _sold_and_lost(page, plan, data)
    _cover(page, plan, data)
    _countries(page, shares)
    _risk(page, plan, data)
    page.section("Largest risks")
    page.sentences(explain.largest_risks(shortfall, concentration, data) or ["No shortfall and no concentrated supply."])
    _what_helps(page, plan, data)
    _why_short(page, plan, data)
    _add_charts(sheet, plan, data, shortfall, shares, charts)


def _title(page: _Page, plan: Plan, data: PlanningData) -> None:
    files = ", ".join(Path(f.path).name for f in data.input_files) or "planning workbook"
    page.add(f"Procurement plan: {files}", font=TITLE_FONT)
    settings = data.settings
    horizon = f"{settings.num_periods} {settings.period_unit}s"
    if settings.start_date:
        horizon += f" from {chart_module.period_label(data, 1)}"
    gap = "" if plan.solve.gap is None else f" (gap {100 * plan.solve.gap:.2g}%)"
    page.add(f"Status {plan.status}{gap}; {horizon}; money in {settings.currency}.", font=NOTE_FONT)
    page.add("Quantities in each mineral's unit; expected values weigh every scenario by its probability.",
             font=NOTE_FONT)


def _costs(page: _Page, plan: Plan, currency: str) -> None:
    total = plan.objective or 0.0
    page.section("Expected cost", "", currency, "share")
    page.add("Total expected cost", total, 1.0 if total else None, font=BOLD, formats=(None, MONEY, SHARE))
    for name in plan.stated_cost_terms():
        value = plan.costs.get(name, 0.0)
        if name in OPTIONAL_TERMS and not value:
            continue
        page.add(COST_LABELS[name], value, value / total if total else None, formats=(None, MONEY, SHARE))
    paid = sum(plan.costs.get(k, 0.0) for k in ("purchase_cost", "order_cost", "onboarding_cost"))
    page.add("Paid to suppliers (first three)", paid, paid / total if total else None, font=BOLD,
             formats=(None, MONEY, SHARE))


def _funding(page: _Page, plan: Plan, data: PlanningData) -> None:
    """What each source paid, beside its amount and what its budgets, window and rules let it pay at most."""
    page.section("Funding", "source", "spent", "amount", "can pay at most", "spent of that")
    use = metrics.funding_use(plan, data)
    for row in use.itertuples():
        page.add(row.source, row.spent, row.amount, row.at_most, row.used_of_at_most,
                 formats=(None, MONEY, MONEY, MONEY, SHARE))
    page.sentences(explain.funding_limits(use, data), numbered=False)


def _upgraded(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Per conversion of the input: what the plan upgrades over the horizon (input, output before losses, cost)."""
    if not data.conversions:
        return
    page.section("Upgraded (conversions)", "conversion", "input", "output", "cost")
    totals = plan.conversions.groupby("conversion")[["input", "output", "cost"]].sum()
    for name in data.conversions:
        row = totals.loc[name] if name in totals.index else {"input": 0.0, "output": 0.0, "cost": 0.0}
        page.add(name, float(row["input"]), float(row["output"]), float(row["cost"]),
                 formats=(None, QUANTITY, QUANTITY, MONEY))
    for name, c in data.conversions.items():
        page.add(f"{name}: {c.from_mineral} ({data.minerals[c.from_mineral].unit}) in, {c.to_mineral} "
                 f"({data.minerals[c.to_mineral].unit}) out, over the horizon, before losses.", font=NOTE_FONT)


def _shortfall(page: _Page, shortfall: pd.DataFrame) -> None:
    short = shortfall[shortfall["expected_penalty"] > 0].sort_values("expected_penalty", ascending=False)
    page.section("Expected shortfall", "mineral (unit)", "unmet demand", "its penalty", "below target",
                 "its penalty", "worst scenario")
    if short.empty:
        page.add("No mineral is short of demand or target in any scenario.", font=NOTE_FONT)
        return
    for row in short.itertuples():
        page.add(f"{row.mineral} ({row.unit})", row.expected_unmet_demand, row.unmet_penalty,
                 row.expected_below_target, row.target_penalty, row.worst_scenario,
                 formats=(None, QUANTITY, MONEY, QUANTITY, MONEY))
    page.add("Quantities are expected units short, summed over periods.", font=NOTE_FONT)
    page.add("Demand not served costs shortfall_penalty a unit; stock below target, target_penalty a unit and "
             "period.", font=NOTE_FONT)


def _table(page: _Page, title: str, headers: tuple[str, ...], rows: list[tuple], formats: tuple, note: str) -> None:
    """A section of one row per item, with a note below; nothing when there are no rows."""
    if not rows:
        return
    page.section(title, *headers)
    for row in rows:
        page.add(*row, formats=formats)
    page.add(note, font=NOTE_FONT)


def _repayment(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Per source repaid by participants (Demand.source) and period: money drawn and expected repayment."""
    rows = [(r.source, chart_module.period_label(data, r.period), r.drawn, r.expected_repayment)
            for r in metrics.drawn_and_repaid(plan, data).itertuples()]
    _table(page, "Money drawn and expected repayment by participants",
           ("source", "period", "drawn", "expected repayment"), rows, (None, None, MONEY, MONEY),
           "Repayment: what participants pay for the demand served (Demand.unit_price), weighed over the "
           "scenarios; it is not re-spent in the plan.")


def _sold_and_lost(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Per mineral that is sold or decays: quantity sold, its revenue, and the expected stock lost to decay."""
    rows = [(f"{r.mineral} ({r.unit})", r.sold, r.revenue, r.expected_lost)
            for r in metrics.sold_and_lost(plan, data).itertuples()]
    _table(page, "Sold / lost to decay", ("mineral (unit)", "sold", "revenue", "lost to decay (expected)"), rows,
           (None, QUANTITY, MONEY, QUANTITY),
           "Sales are the same in every scenario; revenue funds the receiving source from the next period on.")


def _cover(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Achieved cover per mineral with demand: periods of demand ahead its base-scenario stock would serve."""
    cover = metrics.cover_summary(plan, data).dropna(subset=["least_cover_periods"])
    if cover.empty:
        return
    asked = cover["target_cover_periods"].notna().any()  # a column only when some target is in cover
    page.section(f"Stock cover ({data.settings.period_unit}s of demand ahead, base scenario)", "mineral",
                 "least", "at the end", *(["asked for"] if asked else []))
    for row in cover.itertuples():
        page.add(row.mineral, row.least_cover_periods, row.final_cover_periods,
                 *([row.target_cover_periods] if asked else []), formats=(None, COVER, COVER, COVER))


def _countries(page: _Page, shares: pd.DataFrame) -> None:
    page.section("Supply by country (share of value)", "country", "before (pipeline)", "after (with plan)")
    for row in shares.itertuples():
        page.add(row.country, row.before, row.after, formats=(None, SHARE, SHARE))
    page.add("Each mineral's quantity valued at the average price of its offers.", font=NOTE_FONT)


def _risk(page: _Page, plan: Plan, data: PlanningData) -> None:
    page.section("Value-weighted supplier risk (0 safest, 1 riskiest)", "", "before (pipeline)", "plan's orders",
                 "after (with plan)")
    values = [metrics.value_weighted_risk(plan, data, view) for view in ("pipeline", "plan", "after")]
    page.add("value-weighted risk_score", *values, formats=(None, RISK, RISK, RISK))


def _what_helps(page: _Page, plan: Plan, data: PlanningData) -> None:
    analysis = plan.analysis
    if analysis is None or not analysis.marginals:
        return
    table = explain.sensitivity_frame(analysis.marginals, data)
    helps = table[(table["limit"] != "target") & (table["effect"] < 0)]
    helps = helps.sort_values("effect").drop_duplicates("item")  # the best period of each source or offer
    if helps.empty:
        return
    page.section("What more money or capacity would buy (see Sensitivities)")
    page.sentences(list(helps["finding"].head(3)))


def _why_short(page: _Page, plan: Plan, data: PlanningData) -> None:
    analysis = plan.analysis
    if analysis is None or analysis.causes is None:
        return
    sentences = list(explain.verdicts(analysis.causes, data).values())
    if sentences:
        page.section("Why shortfalls remain (measured by lifting one limit at a time; see Why short)")
        page.sentences(sentences, numbered=False)


def _add_charts(sheet, plan: Plan, data: PlanningData, shortfall: pd.DataFrame, shares: pd.DataFrame,
                charts: ChartData) -> None:
    figures = [chart_module.spending_by_source_chart(plan, data, charts, CHART_HEIGHT_CM),
               chart_module.country_share_chart(shares, charts, CHART_HEIGHT_CM),
               chart_module.penalty_chart(shortfall, data, charts, CHART_HEIGHT_CM)]
    row = 2
    for chart in figures:
        if chart is None:
            continue
        sheet.add_chart(chart, f"{CHART_COLUMN}{row}")
        row += int(chart.height / 0.5) + 2
