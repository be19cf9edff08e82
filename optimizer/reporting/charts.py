"""Native Excel charts of a plan (XlsxWriter), with their numbers in a ``Chart data`` sheet.

``ChartData`` lays out blocks of numbers (a caption, a header, rows) before
any sheet is written, so charts on sheets written earlier (the Dashboard) can
reference rows of the data sheet written last. Charts:

- Dashboard: spending per period by funding source (stacked columns), share
  of supply value by country before and after the plan, expected shortfall
  penalty by mineral;
- Charts sheet: stock against target per mineral over time (base and the
  mineral's worst scenario), spending per period against budget per funding
  source, and the country and supplier mix of each mineral's orders.

Lines are straight between points (``smooth val="0"`` written, which LibreOffice
needs: without it, it draws a smoothed curve that overshoots a budget).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from optimizer.analysis import metrics
from optimizer.contract.data import BASE, PlanningData
from optimizer.contract.frames import columns
from optimizer.contract.results import Plan
from optimizer.reporting.xlsx import Book, column_name as column_letter, money_axis, quantity_format

DATA_SHEET = "Chart data"
CHART_WIDTH_CM, CHART_HEIGHT_CM = 16.0, 7.5
PIXELS_PER_CM = 37.8
ROW_CM = 0.53  # a default row
ROWS_PER_CHART = 16  # 7.5 cm of default rows plus a gap
COLUMNS_PER_CHART = 10  # 16 cm of default columns (1.7 cm)
STOCK_COLOURS = ("#1F3864", "#C00000", "#7F7F7F")  # base stock, worst-scenario stock, target
# Twenty colours that stay apart (Tableau 20): series beyond the default ten would repeat colours.
PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22",
           "#17BECF", "#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5", "#C49C94", "#F7B6D2", "#C7C7C7",
           "#DBDB8D", "#9EDAE5")


@dataclass
class Block:
    """Rows of the data sheet: header at ``header_row`` (1-based), ``rows`` data rows below it."""

    header_row: int
    rows: int
    columns: int

    def series(self, column: int, **options) -> dict:
        """Column ``column`` (1-based) as a chart series named by its header, categories the first column."""
        first, last = self.header_row, self.header_row + self.rows - 1  # 0-based rows of the data
        return {"name": [DATA_SHEET, self.header_row - 1, column - 1],
                "categories": [DATA_SHEET, first, 0, last, 0],
                "values": [DATA_SHEET, first, column - 1, last, column - 1], **options}


@dataclass
class ChartData:
    """The data sheet, laid out in memory first: caption, header and rows per block; charts of ``book``."""

    book: Book
    lines: list[list] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # per line: caption, header, row or blank
    formats: list[tuple] = field(default_factory=list)  # per line: the number format of each cell (or None)

    def block(self, caption: str, header: list[str], rows: list[list], formats=(), row_formats=None) -> Block:
        """Add a captioned table of ``rows`` under ``header`` to the Chart data sheet and return where it sits;
        ``formats``: the number format of each column's numbers (``row_formats``: of each row's, one tuple a
        row, for rows of different units)."""
        self._add("caption", [caption])
        self._add("header", header)
        header_row = len(self.lines)
        for index, row in enumerate(rows):
            self._add("row", row, tuple(formats if row_formats is None else row_formats[index]))
        self._add("blank", [])
        return Block(header_row, len(rows), len(header))

    def _add(self, kind: str, values: list, formats: tuple = ()) -> None:
        self.lines.append(values)
        self.kinds.append(kind)
        self.formats.append(formats)

    def chart(self, kind: str, subtype: str | None = None):
        """A new chart of the workbook, its lines straight."""
        chart = self.book.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
        straight(chart)
        return chart

    def write(self) -> None:
        """Write the Chart data sheet: captions bold, headers as a table's, numbers in their formats."""
        book = self.book
        sheet = book.sheet(DATA_SHEET, note="the numbers behind every chart, one captioned block per chart")
        widths = [28] + [15] * (max((len(line) for line in self.lines), default=1) - 1)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        sheet.fit_to_pages(1, 0)
        styles = {"caption": book.format(bold=True), "header": book.header(), "row": book.text()}
        for row, (kind, line, formats) in enumerate(zip(self.kinds, self.lines, self.formats)):
            for column, value in enumerate(line):
                if value is None or (isinstance(value, float) and not math.isfinite(value)):
                    continue
                if isinstance(value, str):
                    sheet.write_string(row, column, value, styles[kind])
                else:
                    number_format = formats[column] if column < len(formats) else None
                    sheet.write_number(row, column, value, book.number(number_format))


def straight(chart) -> None:
    """Write ``<c:smooth val="0"/>`` on every line series: XlsxWriter writes nothing for a straight line,
    and LibreOffice then smooths it. (The element writer is XlsxWriter's own, told to write 0 too.)"""
    write_tag = chart._xml_empty_tag
    chart._write_c_smooth = lambda smooth: write_tag("c:smooth", [("val", "1" if smooth else "0")])


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

def finish(chart, title: str, width: float = CHART_WIDTH_CM, height: float = CHART_HEIGHT_CM,
           legend: str | None = "bottom") -> None:
    """Title in bold at 12 pt, axis labels at 8 pt, the legend, the size in centimetres."""
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}, "overlay": False})
    chart.set_legend({"position": legend, "font": {"size": 8}} if legend else {"none": True})
    chart.set_size({"width": round(width * PIXELS_PER_CM), "height": round(height * PIXELS_PER_CM)})


def rows_of(chart_height_cm: float) -> int:
    """Rows of the sheet a chart of this height covers, with a gap below."""
    return int(chart_height_cm / ROW_CM) + 2


def category_axis(**options) -> dict:
    """An axis of categories (periods, minerals, countries): every label shown."""
    return axis(interval_unit=1, **options)


def axis(title: str | None = None, number_format: str | None = None, **options) -> dict:
    """XlsxWriter's options of an axis: its title at 9 pt, its labels at 8 pt in ``number_format``."""
    return {**({"name": title, "name_font": {"size": 9, "bold": False}} if title else {}),
            **({"num_format": number_format} if number_format else {}), "num_font": {"size": 8}, **options}


def stock_chart(data: PlanningData, plan: Plan, mineral: str, charts: ChartData, worst: dict | None = None,
                mine: pd.DataFrame | None = None):
    """Stock against target over time, in base and the mineral's worst scenario (none when never short);
    ``worst``: metrics.worst_scenarios of the plan, ``mine`` the mineral's Stock rows, when already known."""
    unit = data.minerals[mineral].unit
    worst = (worst or metrics.worst_scenarios(plan, data))[mineral].shown or BASE
    if mine is None:
        mine = plan.stock[plan.stock["mineral"] == mineral]
    scenarios, periods, stocks, targets = columns(mine, "scenario", "period", "stock", "target")
    stock = {(k, int(t)): float(q) for k, t, q in zip(scenarios, periods, stocks)}
    target = {int(t): float(q) for k, t, q in zip(scenarios, periods, targets) if k == BASE}
    header = ["period", "stock (base)"] + ([f"stock ({worst})"] if worst != BASE else []) + ["target"]
    rows = [[period_label(data, t), stock[BASE, t]] + ([stock[worst, t]] if worst != BASE else []) + [target[t]]
            for t in data.periods]
    quantity = quantity_format(unit)
    block = charts.block(f"Stock of {mineral} ({unit})", header, rows, [None] + [quantity] * (len(header) - 1))
    chart = charts.chart("line")
    colours = STOCK_COLOURS if worst != BASE else (STOCK_COLOURS[0], STOCK_COLOURS[2])
    dashes = ["solid"] + (["round_dot"] if worst != BASE else []) + ["dash"]  # worst dotted: equal stock shows both
    for column, colour, dash in zip(range(2, block.columns + 1), colours, dashes):
        chart.add_series(block.series(column, line={"color": colour, "width": 1.75, "dash_type": dash},
                                      smooth=False))
    chart.set_x_axis(category_axis())
    chart.set_y_axis(axis(unit, "#,##0.#", major_gridlines={"visible": False}))
    finish(chart, f"{mineral}: stock against target")
    return chart


def spending_chart(data: PlanningData, plan: Plan, source: str, charts: ChartData):
    """Spent per period (columns: orders and capex) against the per-period budget (line), for one funding source."""
    payments = plan.payments()
    spent = payments[payments["source"] == source].groupby("period")["amount"].sum()
    budgets = data.funding[source].budgets
    header = ["period", "spent"] + (["budget"] if budgets else [])
    rows = [[period_label(data, t), float(spent.get(t, 0.0))] + ([budgets.get(t)] if budgets else [])
            for t in data.periods]
    money = charts.book.money()
    block = charts.block(f"Spending of {source} ({data.settings.currency})", header, rows, [None, money, money])
    bars = charts.chart("column")
    bars.add_series(block.series(2, fill={"color": "#2E75B6"}))
    if budgets:
        line = charts.chart("line")
        line.add_series(block.series(3, line={"color": "#C00000", "dash_type": "dash", "width": 1.75},
                                     marker={"type": "none"}, smooth=False))
        bars.combine(line)
    bars.set_x_axis(category_axis())
    bars.set_y_axis(axis(data.settings.currency, money_axis(max([*spent.tolist(), *budgets.values()], default=0.0))))
    finish(bars, f"{source}: spent per period" + (" against budget" if budgets else ""))
    return bars


def mix_chart(plan: Plan, data: PlanningData, by: str, charts: ChartData):
    """Each mineral's ordered quantity, contract deliveries included, split by country or supplier (100% stacked
    bars)."""
    orders = plan.placed()  # a contract's deliveries are bought as orders are: the mix counts them
    if orders.empty:
        return None
    orders = orders.assign(country=orders["supplier"].map(data.country))
    table = orders.groupby(["mineral", by])["quantity"].sum().unstack(fill_value=0.0)
    table = table.loc[[m for m in data.minerals if m in table.index]]
    holders = list(table.sum().sort_values(ascending=False).index)
    rows = [[mineral] + [float(table.loc[mineral, h]) for h in holders] for mineral in table.index]
    delivered = plan.deliveries is not None and not plan.deliveries.empty
    block = charts.block(f"Ordered quantity by mineral and {by}" + (" (contract deliveries included)" if delivered
                                                                     else ""), ["mineral"] + holders, rows,
                         [None] + ["#,##0.##"] * len(holders))
    chart = charts.chart("bar", "percent_stacked")
    for index, column in enumerate(range(2, block.columns + 1)):
        chart.add_series(block.series(column, fill={"color": PALETTE[index % len(PALETTE)]}, gap=40, overlap=100))
    chart.set_x_axis(axis(number_format="0%"))
    chart.set_y_axis(category_axis(reverse=True))  # minerals top to bottom as in the sheets
    finish(chart, f"{by.capitalize()} mix of each mineral's orders", width=2 * CHART_WIDTH_CM,
           height=max(CHART_HEIGHT_CM, 1.5 + 0.8 * len(rows), 0.5 * len(holders)), legend="right")
    return chart


def supplier_chart(data: PlanningData, supply: pd.DataFrame, mineral: str, charts: ChartData):
    """One mineral's supply by supplier (and its country): pipeline and the plan's orders.

    ``supply`` is metrics.supply of the plan (computed once for every mineral's chart), or its rows of the mineral."""
    mine = supply[supply["mineral"] == mineral].sort_values("after", ascending=False)
    unit = data.minerals[mineral].unit
    rows = [[f"{supplier} ({country})", float(pipeline), float(plan)]
            for supplier, country, pipeline, plan in zip(*columns(mine, "supplier", "country", "pipeline", "plan"))]
    if not rows:
        rows = [["no supply", 0.0, 0.0]]
    quantity = quantity_format(unit)
    block = charts.block(f"Supply of {mineral} by supplier ({unit})", ["supplier", "pipeline", "plan's orders"], rows,
                         [None, quantity, quantity])
    chart = charts.chart("bar", "stacked")
    chart.add_series(block.series(2, fill={"color": "#A5A5A5"}, overlap=100))
    chart.add_series(block.series(3, fill={"color": "#2E75B6"}, overlap=100))
    chart.set_x_axis(axis(unit, "#,##0.#"))
    chart.set_y_axis(category_axis(reverse=True))
    finish(chart, f"{mineral}: supply by supplier ({unit})")
    return chart


def spending_by_source_chart(plan: Plan, data: PlanningData, charts: ChartData, height: float = CHART_HEIGHT_CM):
    """Dashboard: what each funding source pays per period, orders and capex (stacked columns)."""
    spent = plan.payments().groupby(["period", "source"])["amount"].sum()
    sources = list(data.funding)
    rows = [[period_label(data, t)] + [float(spent.get((t, f), 0.0)) for f in sources] for t in data.periods]
    block = charts.block(f"Spending per period by source ({data.settings.currency})", ["period"] + sources, rows,
                         [None] + [charts.book.money()] * len(sources))
    chart = charts.chart("column", "stacked")
    for index, column in enumerate(range(2, block.columns + 1)):
        chart.add_series(block.series(column, fill={"color": PALETTE[index % len(PALETTE)]}, overlap=100))
    chart.set_x_axis(category_axis())
    chart.set_y_axis(axis(data.settings.currency, money_axis(max((sum(row[1:]) for row in rows), default=0.0))))
    finish(chart, "Spending per period by funding source", height=height)
    return chart


def country_share_chart(shares: pd.DataFrame, charts: ChartData, height: float = CHART_HEIGHT_CM):
    """Dashboard: share of supply value by country, before (pipeline) and after the plan."""
    if shares.empty:
        return None
    rows = [[r.country, float(r.before), float(r.after)] for r in shares.itertuples()]
    block = charts.block("Share of supply value by country", ["country", "before (pipeline)", "after (with plan)"],
                         rows, [None, "0.0%", "0.0%"])
    chart = charts.chart("column")  # countries along the bottom: every name shows
    chart.add_series(block.series(2, fill={"color": "#A5A5A5"}))
    chart.add_series(block.series(3, fill={"color": "#1F3864"}))
    chart.set_x_axis(category_axis(num_font={"size": 8, "rotation": -30}))
    largest = max((max(r[1], r[2]) for r in rows), default=0.0)
    # a share is at most 100%: the axis's automatic end would go on to 120% above a country near it
    chart.set_y_axis(axis(number_format="0%", **({"min": 0, "max": 1} if largest > 0.8 else {})))
    finish(chart, "Share of supply value by country (after the plan, largest first)", height=height)
    return chart


def penalty_chart(shortfall: pd.DataFrame, data: PlanningData, charts: ChartData, height: float = CHART_HEIGHT_CM):
    """Dashboard: expected shortfall penalty by mineral, largest first, stacked: demand not served and
    stock below target."""
    short = shortfall[shortfall["expected_penalty"] > 0].sort_values("expected_penalty", ascending=False)
    if short.empty:
        return None
    rows = [[r.mineral, float(r.unmet_penalty), float(r.target_penalty)] for r in short.itertuples()]
    money = charts.book.money()
    block = charts.block(f"Expected shortfall penalty ({data.settings.currency})",
                         ["mineral", "demand not served", "stock below target"], rows, [None, money, money])
    chart = charts.chart("bar", "stacked")
    for column, colour in ((2, "#C00000"), (3, "#F4B183")):
        chart.add_series(block.series(column, fill={"color": colour}, overlap=100))
    chart.set_x_axis(axis(data.settings.currency, money_axis(max((row[1] + row[2] for row in rows), default=0.0))))
    chart.set_y_axis(category_axis(reverse=True))
    finish(chart, "Expected shortfall penalty by mineral (notional)", height=max(height, 2.5 + 0.65 * len(rows)))
    return chart


# --- the Charts sheet --------------------------------------------------------------------------

def write_charts_sheet(book: Book, plan: Plan, data: PlanningData, charts: ChartData) -> None:
    """Per mineral a row: stock against target, supply by supplier; then spending per source; then country mix.

    A page break after every second row of charts keeps each chart whole on paper.
    """
    sheet = book.sheet("Charts", note="per mineral stock against target and supply by supplier; spending against "
                                      "budget per funding source; the country mix of each mineral's orders")
    sheet.write_string(0, 0, "Charts: per mineral, stock against target (base and its worst scenario) and supply "
                             "by supplier; spending against budget per funding source; country mix of each "
                             "mineral's orders", book.format(bold=True, font_size=12))
    sheet.fit_to_pages(1, 0)
    supply = metrics.supply(plan, data)
    worst = metrics.worst_scenarios(plan, data)
    stock, suppliers = metrics.by_mineral(plan.stock), metrics.by_mineral(supply)
    rows_of_charts = [[stock_chart(data, plan, m, charts, worst, stock.get(m, plan.stock.iloc[:0])),
                       supplier_chart(data, suppliers.get(m, supply.iloc[:0]), m, charts)]
                      for m in data.minerals]
    sources = [spending_chart(data, plan, f, charts) for f in data.funding]
    rows_of_charts += [sources[i:i + 2] for i in range(0, len(sources), 2)]
    country = mix_chart(plan, data, "country", charts)
    if country is not None:
        rows_of_charts.append([country])
    place_rows(sheet, rows_of_charts, start_row=2)


def place_rows(sheet, rows_of_charts: list[list], start_row: int) -> None:
    """Charts side by side, a row of charts at a time, a page break after every second row."""
    row, breaks = start_row, []
    for index, figures in enumerate(rows_of_charts):
        for position, chart in enumerate(figures):
            sheet.insert_chart(row, position * COLUMNS_PER_CHART, chart)
        row += max(ROWS_PER_CHART, max(rows_of(chart.height / PIXELS_PER_CM) for chart in figures))
        if index % 2 == 1:
            breaks.append(row - 1)
    sheet.set_h_pagebreaks(breaks)
