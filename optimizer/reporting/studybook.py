"""The workbook of a study (a sweep, a stress test): formatted tables, a Charts sheet, the charts' numbers.

The tables are written like the result workbook's (``optimizer.reporting.workbook``: an
Excel table per sheet, frozen header, number formats, widths); the charts are
native Excel charts (openpyxl.chart) reading their numbers from a ``Chart
data`` sheet (``optimizer.reporting.charts.ChartData``). The file is written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, ScatterChart, Series
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from optimizer.reporting.charts import (COLUMNS_PER_CHART, ROWS_PER_CHART, Block, ChartData, set_size, set_title,
                                       show_axes)
from optimizer.files import write_atomically
from optimizer.reporting.printing import landscape
from optimizer.contract.problems import InputRefused, Problem
from optimizer.reporting.workbook import TableSpec, write_table

CHARTS_PER_ROW = 2
COLOURS = ("1F3864", "C00000", "2E75B6", "7F7F7F", "548235", "BF8F00", "7030A0", "F4B183")


def write_study_workbook(path: Path, tables: list[TableSpec], charts: list, chart_data: ChartData,
                         caption: str) -> None:
    """Tables first, then a Charts sheet (``caption`` on top, two charts a row), then the chart data."""
    def write(temporary: Path) -> None:
        book = openpyxl.Workbook(write_only=True)
        for spec in tables:
            write_table(book, spec)
        if charts:
            _charts_sheet(book, charts, caption)
            chart_data.write(book)
        book.save(temporary)
    write_atomically(path, write)


def _charts_sheet(book, charts: list, caption: str) -> None:
    sheet = book.create_sheet("Charts")
    landscape(sheet)
    title = WriteOnlyCell(sheet, value=caption)
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    for index, chart in enumerate(charts):
        row = 3 + (index // CHARTS_PER_ROW) * ROWS_PER_CHART
        column = 1 + (index % CHARTS_PER_ROW) * COLUMNS_PER_CHART
        sheet.add_chart(chart, f"{get_column_letter(column)}{row}")


def line_chart(blocks: list[Block], title: str, x_title: str, y_title: str,
               y_format: str | None = None, x_format: str | None = None, y_min: float | None = None,
               markers: bool = True) -> ScatterChart:
    """Lines through points at numeric x: one series per block of two columns (x, then y named by its header).

    ``y_min`` starts the value axis there instead of at 0 (small differences between large costs show).
    """
    chart = ScatterChart()
    chart.style = 13
    set_title(chart, title)
    for index, block in enumerate(blocks):
        series = Series(block.series(2), block.categories(), title_from_data=True)
        colour = COLOURS[index % len(COLOURS)]
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 22000
        series.marker.symbol = "circle" if markers else "none"
        if markers:
            series.marker.size = 6
            series.marker.graphicalProperties.solidFill = colour
            series.marker.graphicalProperties.line.solidFill = colour
        series.smooth = False
        chart.series.append(series)
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    if y_format:
        chart.y_axis.number_format = y_format
    if x_format:
        chart.x_axis.number_format = x_format
    if y_min is not None:
        chart.y_axis.scaling.min = y_min
    chart.x_axis.majorGridlines = None
    chart.legend.position = "b"
    if len(blocks) == 1:
        chart.legend = None
    show_axes(chart)
    set_size(chart)
    return chart


def axis_start(values: list[float | None]) -> float | None:
    """A round value below the smallest of ``values`` to start the axis at, when 0 would flatten them.

    None (start at 0) when a value is <= 0 or the smallest is under 30% of the largest.
    """
    shown = [v for v in values if v is not None]
    if not shown or min(shown) <= 0 or min(shown) < 0.3 * max(shown):
        return None
    low, high = min(shown), max(shown)
    span = (high - low) or 0.1 * high
    step = 10 ** math.floor(math.log10(span))
    return max(0.0, step * math.floor((low - 0.2 * span) / step))


def bar_chart(block: Block, title: str, y_title: str) -> BarChart:
    """Clustered columns: categories from the block's first column, one series per further column."""
    chart = BarChart()
    chart.type = "col"
    set_title(chart, title)
    for column in range(2, block.columns + 1):
        chart.add_data(block.series(column), titles_from_data=True)
    chart.set_categories(block.categories())
    for index, series in enumerate(chart.series):
        series.graphicalProperties.solidFill = COLOURS[index % len(COLOURS)]
    chart.y_axis.title = y_title
    chart.legend.position = "b"
    show_axes(chart)
    set_size(chart)
    return chart


def refuse_overwriting(output: Path, *inputs: Path) -> None:
    """Raise InputRefused when ``output`` is one of the study's inputs (a plan or an input workbook)."""
    if any(output.resolve() == Path(given).resolve() for given in inputs):
        raise InputRefused([Problem("error", "the output would overwrite an input; expected another --output",
                                    file=str(output))])
