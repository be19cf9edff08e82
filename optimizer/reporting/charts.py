"""Native Excel charts of a plan (openpyxl.chart), with their numbers in a ``Chart data`` sheet.

``ChartData`` lays out blocks of numbers (a caption, a header, rows) before
any sheet is written, so charts on sheets written earlier (the Dashboard) can
reference rows of the data sheet written last. Charts:

- Dashboard: spending per period by funding source (stacked columns), share
  of supply value by country before and after the plan, expected shortfall
  penalty by mineral;
- Charts sheet: stock against target per mineral over time (base and the
  mineral's worst scenario), spending per period against budget per funding
  source, and the country and supplier mix of each mineral's orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.styles import Font
from openpyxl.worksheet.pagebreak import Break

from optimizer.analysis import metrics
from optimizer.contract.data import BASE, PlanningData
from optimizer.contract.results import Plan
from optimizer.reporting.printing import landscape

DATA_SHEET = "Chart data"
CHART_WIDTH_CM, CHART_HEIGHT_CM = 16.0, 7.5
ROWS_PER_CHART = 16  # 7.5 cm of default rows (0.53 cm) plus a gap
COLUMNS_PER_CHART = 10  # 16 cm of default columns (1.7 cm)
TITLE_SIZE = 1200
LABEL_SIZE = 800
STOCK_COLOURS = ("1F3864", "C00000", "7F7F7F")
# Twenty colours that stay apart (Tableau 20): series beyond the default ten would repeat colours.
PALETTE = ("1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F", "BCBD22", "17BECF",
           "AEC7E8", "FFBB78", "98DF8A", "FF9896", "C5B0D5", "C49C94", "F7B6D2", "C7C7C7", "DBDB8D", "9EDAE5")  # base stock, worst-scenario stock, target


@dataclass
class Block:
    """Rows of the data sheet: header at ``header_row``, ``rows`` data rows below it."""

    header_row: int
    rows: int
    columns: int

    def series(self, column: int) -> Reference:
        """Column ``column`` (1-based) with its header as the series title."""
        return _reference(column, self.header_row, self.header_row + self.rows)

    def categories(self) -> Reference:
        """The block's first column, below its header: the categories of a chart's x axis."""
        return _reference(1, self.header_row + 1, self.header_row + self.rows)


def _reference(column: int, first_row: int, last_row: int) -> Reference:
    letter = _letter(column)
    return Reference(range_string=f"'{DATA_SHEET}'!${letter}${first_row}:${letter}${last_row}")


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(column)


@dataclass
class ChartData:
    """The data sheet, laid out in memory first: caption, header and rows per block."""

    lines: list[list] = field(default_factory=list)

    def block(self, caption: str, header: list[str], rows: list[list]) -> Block:
        """Add a captioned table of ``rows`` under ``header`` to the Chart data sheet and return where it sits."""
        self.lines.append([caption])
        self.lines.append(header)
        header_row = len(self.lines)
        self.lines.extend(rows)
        self.lines.append([])
        return Block(header_row, len(rows), len(header))

    def write(self, book) -> None:
        """Write the Chart data sheet into ``book``."""
        sheet = book.create_sheet(DATA_SHEET)
        landscape(sheet)
        sheet.column_dimensions["A"].width = 24
        for line in self.lines:
            sheet.append([_text(sheet, v) for v in line])


def _text(sheet, value):
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # names from the input are never formulas
        return cell
    return value


def period_label(data: PlanningData, period: int) -> str:
    """Q1 2027, Mar 2027, 2027 when the start date is known; P1 otherwise."""
    start = data.settings.start_date
    if start is None:
        return f"P{period}"
    step = {"month": 1, "quarter": 3, "year": 12}[data.settings.period_unit]
    months = start.month - 1 + step * (period - 1)
    first = date(start.year + months // 12, months % 12 + 1, 1)
    if data.settings.period_unit == "year":
        return str(first.year)
    if data.settings.period_unit == "quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    return first.strftime("%b %Y")


# --- charts ------------------------------------------------------------------------------------

def set_size(chart, width: float = CHART_WIDTH_CM, height: float = CHART_HEIGHT_CM) -> None:
    """The chart's size in centimetres (the Dashboard's and the study workbooks' default unless told)."""
    chart.width, chart.height = width, height


def stock_chart(data: PlanningData, plan: Plan, mineral: str, charts: ChartData) -> LineChart:
    """Stock against target over time, in base and the mineral's worst scenario (none when never short)."""
    unit = data.minerals[mineral].unit
    worst = metrics.worst_scenarios(plan, data)[mineral].shown or BASE
    mine = plan.stock[plan.stock["mineral"] == mineral]
    stock = {(k, int(t)): float(q) for k, t, q in zip(mine["scenario"], mine["period"], mine["stock"])}
    target = {int(t): float(q) for k, t, q in zip(mine["scenario"], mine["period"], mine["target"]) if k == BASE}
    header = ["period", "stock (base)"] + ([f"stock ({worst})"] if worst != BASE else []) + ["target"]
    rows = [[period_label(data, t), stock[BASE, t]] + ([stock[worst, t]] if worst != BASE else []) + [target[t]]
            for t in data.periods]
    block = charts.block(f"Stock of {mineral} ({unit})", header, rows)
    chart = LineChart()
    set_title(chart, f"{mineral}: stock against target")
    chart.y_axis.title = unit
    chart.y_axis.majorGridlines = None
    for column in range(2, block.columns + 1):
        chart.add_data(block.series(column), titles_from_data=True)
    chart.set_categories(block.categories())
    colours = STOCK_COLOURS if worst != BASE else (STOCK_COLOURS[0], STOCK_COLOURS[2])
    for series, colour in zip(chart.series, colours):
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 22000
        series.smooth = False
    chart.series[-1].graphicalProperties.line.dashStyle = "dash"
    if worst != BASE:  # drawn over base: dotted, so equal stock shows both
        chart.series[1].graphicalProperties.line.dashStyle = "sysDot"
    chart.legend.position = "b"
    show_axes(chart)
    set_size(chart)
    return chart


def spending_chart(data: PlanningData, plan: Plan, source: str, charts: ChartData) -> BarChart:
    """Spent per period (columns: orders and capex) against the per-period budget (line), for one funding source."""
    payments = plan.payments()
    spent = payments[payments["source"] == source].groupby("period")["amount"].sum()
    budgets = data.funding[source].budgets
    header = ["period", "spent"] + (["budget"] if budgets else [])
    rows = [[period_label(data, t), float(spent.get(t, 0.0))] + ([budgets.get(t)] if budgets else [])
            for t in data.periods]
    block = charts.block(f"Spending of {source} ({data.settings.currency})", header, rows)
    bars = BarChart()
    bars.type = "col"
    set_title(bars, f"{source}: spent per period" + (" against budget" if budgets else ""))
    bars.y_axis.title = data.settings.currency
    bars.y_axis.number_format = '#,##0,,"M"'
    bars.add_data(block.series(2), titles_from_data=True)
    bars.set_categories(block.categories())
    bars.series[0].graphicalProperties.solidFill = "2E75B6"
    if budgets:
        line = LineChart()
        line.add_data(block.series(3), titles_from_data=True)
        line.series[0].graphicalProperties.line.solidFill = "C00000"
        line.series[0].graphicalProperties.line.dashStyle = "dash"
        bars += line
    bars.legend.position = "b"
    show_axes(bars)
    set_size(bars)
    return bars


def mix_chart(plan: Plan, data: PlanningData, by: str, charts: ChartData) -> BarChart | None:
    """Each mineral's ordered quantity split by country or supplier (100% stacked bars)."""
    orders = plan.orders
    if orders.empty:
        return None
    table = orders.groupby(["mineral", by])["quantity"].sum().unstack(fill_value=0.0)
    table = table.loc[[m for m in data.minerals if m in table.index]]
    holders = list(table.sum().sort_values(ascending=False).index)
    rows = [[mineral] + [float(table.loc[mineral, h]) for h in holders] for mineral in table.index]
    block = charts.block(f"Ordered quantity by mineral and {by}", ["mineral"] + holders, rows)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "percentStacked"
    chart.overlap = 100
    set_title(chart, f"{by.capitalize()} mix of each mineral's orders")
    for column in range(2, block.columns + 1):
        chart.add_data(block.series(column), titles_from_data=True)
    chart.set_categories(block.categories())
    chart.x_axis.scaling.orientation = "maxMin"  # minerals top to bottom as in the sheets
    chart.y_axis.number_format = "0%"
    chart.gapWidth = 40
    _colour(chart)
    chart.legend.position = "r"
    show_axes(chart)
    set_size(chart, width=2 * CHART_WIDTH_CM, height=max(CHART_HEIGHT_CM, 1.5 + 0.8 * len(rows), 0.5 * len(holders)))
    return chart


def supplier_chart(data: PlanningData, supply: pd.DataFrame, mineral: str, charts: ChartData) -> BarChart:
    """One mineral's supply by supplier (and its country): pipeline and the plan's orders.

    ``supply`` is metrics.supply of the plan (computed once for every mineral's chart)."""
    mine = supply[supply["mineral"] == mineral].sort_values("after", ascending=False)
    unit = data.minerals[mineral].unit
    rows = [[f"{r.supplier} ({r.country})", float(r.pipeline), float(r.plan)] for r in mine.itertuples()]
    if not rows:
        rows = [["no supply", 0.0, 0.0]]
    block = charts.block(f"Supply of {mineral} by supplier ({unit})", ["supplier", "pipeline", "plan's orders"], rows)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    set_title(chart, f"{mineral}: supply by supplier ({unit})")
    chart.add_data(block.series(2), titles_from_data=True)
    chart.add_data(block.series(3), titles_from_data=True)
    chart.set_categories(block.categories())
    chart.series[0].graphicalProperties.solidFill = "A5A5A5"
    chart.series[1].graphicalProperties.solidFill = "2E75B6"
    chart.x_axis.scaling.orientation = "maxMin"
    chart.legend.position = "b"
    show_axes(chart)
    set_size(chart)
    return chart


def spending_by_source_chart(plan: Plan, data: PlanningData, charts: ChartData,
                             height: float = CHART_HEIGHT_CM) -> BarChart:
    """Dashboard: what each funding source pays per period, orders and capex (stacked columns)."""
    spent = plan.payments().groupby(["period", "source"])["amount"].sum()
    sources = list(data.funding)
    rows = [[period_label(data, t)] + [float(spent.get((t, f), 0.0)) for f in sources] for t in data.periods]
    block = charts.block(f"Spending per period by source ({data.settings.currency})", ["period"] + sources, rows)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    set_title(chart, "Spending per period by funding source")
    chart.y_axis.title = data.settings.currency
    chart.y_axis.number_format = '#,##0,,"M"'
    for column in range(2, block.columns + 1):
        chart.add_data(block.series(column), titles_from_data=True)
    chart.set_categories(block.categories())
    chart.legend.position = "b"
    show_axes(chart)
    set_size(chart, height=height)
    return chart


def country_share_chart(shares: pd.DataFrame, charts: ChartData, height: float = CHART_HEIGHT_CM) -> BarChart | None:
    """Dashboard: share of supply value by country, before (pipeline) and after the plan."""
    if shares.empty:
        return None
    rows = [[r.country, float(r.before), float(r.after)] for r in shares.itertuples()]
    block = charts.block("Share of supply value by country", ["country", "before (pipeline)",
                                                             "after (with plan)"], rows)
    chart = BarChart()
    chart.type = "col"  # countries along the bottom: every name shows
    set_title(chart, "Share of supply value by country")
    chart.add_data(block.series(2), titles_from_data=True)
    chart.add_data(block.series(3), titles_from_data=True)
    chart.set_categories(block.categories())
    chart.series[0].graphicalProperties.solidFill = "A5A5A5"
    chart.series[1].graphicalProperties.solidFill = "1F3864"
    chart.y_axis.number_format = "0%"
    chart.legend.position = "b"
    show_axes(chart)
    set_size(chart, height=height)
    return chart


def penalty_chart(shortfall: pd.DataFrame, data: PlanningData, charts: ChartData,
                  height: float = CHART_HEIGHT_CM) -> BarChart | None:
    """Dashboard: expected shortfall penalty by mineral, largest first, stacked: demand not served and
    stock below target."""
    short = shortfall[shortfall["expected_penalty"] > 0].sort_values("expected_penalty", ascending=False)
    if short.empty:
        return None
    rows = [[r.mineral, float(r.unmet_penalty), float(r.target_penalty)] for r in short.itertuples()]
    block = charts.block(f"Expected shortfall penalty ({data.settings.currency})",
                         ["mineral", "demand not served", "stock below target"], rows)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping, chart.overlap = "stacked", 100
    set_title(chart, "Expected shortfall penalty by mineral")
    for column, colour in ((2, "C00000"), (3, "F4B183")):
        chart.add_data(block.series(column), titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = colour
    chart.set_categories(block.categories())
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.number_format = '#,##0,,"M"'
    chart.legend.position = "b"
    show_axes(chart)
    set_size(chart, height=height)
    return chart


def _colour(chart) -> None:
    """Each series its own colour from PALETTE, in order."""
    for index, series in enumerate(chart.series):
        series.graphicalProperties.solidFill = PALETTE[index % len(PALETTE)]
        series.graphicalProperties.line.solidFill = PALETTE[index % len(PALETTE)]


def set_title(chart, text: str, size: int = TITLE_SIZE) -> None:
    """A chart title in bold at ``size`` hundredths of a point (the default title is too large)."""
    font = CharacterProperties(sz=size, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def show_axes(chart) -> None:
    """openpyxl 3.1 writes axes as deleted unless told otherwise; LibreOffice and Excel then hide them."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.tickLblSkip = 1  # every category labelled (LibreOffice skips some otherwise)
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr = _font(LABEL_SIZE)


def _font(size: int) -> RichText:
    """Axis labels at ``size`` hundredths of a point."""
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)), endParaRPr=
                                 CharacterProperties(sz=size))])


# --- the Charts sheet --------------------------------------------------------------------------

def write_charts_sheet(book, plan: Plan, data: PlanningData, charts: ChartData) -> None:
    """Per mineral a row: stock against target, supply by supplier; then spending per source; then country mix.

    A page break after every second row of charts keeps each chart whole on paper.
    """
    sheet = book.create_sheet("Charts")
    landscape(sheet)
    title = WriteOnlyCell(sheet, value="Charts: per mineral, stock against target (base and its worst scenario) "
                                       "and supply by supplier; spending against budget per funding source; "
                                       "country mix of each mineral's orders")
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    supply = metrics.supply(plan, data)
    rows_of_charts = [[stock_chart(data, plan, m, charts), supplier_chart(data, supply, m, charts)]
                      for m in data.minerals]
    sources = [spending_chart(data, plan, f, charts) for f in data.funding]
    rows_of_charts += [sources[i:i + 2] for i in range(0, len(sources), 2)]
    country = mix_chart(plan, data, "country", charts)
    if country is not None:
        rows_of_charts.append([country])
    row = 3
    for index, figures in enumerate(rows_of_charts):
        for position, chart in enumerate(figures):
            sheet.add_chart(chart, f"{_letter(1 + position * COLUMNS_PER_CHART)}{row}")
        row += max(ROWS_PER_CHART, max(int(c.height / 0.5) + 2 for c in figures))
        if index % 2 == 1:
            sheet.row_breaks.append(Break(id=row - 2))
