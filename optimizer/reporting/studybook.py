"""The workbook of a study (a sweep, a stress test): formatted tables, a Charts sheet, the charts' numbers, About.

The tables are written like the result workbook's (``optimizer.reporting.xlsx``: an
Excel table per sheet, frozen header, number formats, widths); the charts are
native Excel charts (XlsxWriter) reading their numbers from a ``Chart data``
sheet (``optimizer.reporting.charts.ChartData``). The file is written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from optimizer.contract.data import PlanningData
from optimizer.contract.problems import InputRefused, Problem
from optimizer.files import write_atomically
from optimizer.reporting.about import about_spec
from optimizer.reporting.charts import CHART_HEIGHT_CM, Block, ChartData, axis, category_axis, finish, place_rows
from optimizer.reporting.workbook import TableSpec, plan_book, write_table

CHARTS_PER_ROW = 2
LABEL_CM_PER_CHARACTER = 0.15  # what a slanted category name of 8 pt takes below a chart, per character
COLOURS = ("#1F3864", "#C00000", "#2E75B6", "#7F7F7F", "#548235", "#BF8F00", "#7030A0", "#F4B183")


def write_study_workbook(path: Path, tables: list[TableSpec], make_charts: Callable[[ChartData], list],
                         caption: str, data: PlanningData, about: list[tuple[str, object]] = ()) -> None:
    """Tables first, then a Charts sheet (``caption`` on top, two charts a row, made by ``make_charts``), the
    chart data, then About (``about`` rows first)."""
    def write(temporary: Path) -> None:
        book = plan_book(temporary, data)
        chart_data = ChartData(book)
        for spec in tables:
            write_table(book, spec)
        charts = [chart for chart in make_charts(chart_data) if chart is not None]
        if charts:
            sheet = book.sheet("Charts", note=caption)
            sheet.write_string(0, 0, caption, book.format(bold=True, font_size=12))
            sheet.fit_to_pages(1, 0)
            place_rows(sheet, [charts[i:i + CHARTS_PER_ROW] for i in range(0, len(charts), CHARTS_PER_ROW)], 2)
            chart_data.write()
        write_table(book, about_spec(book, data, list(about)))
        book.close()
    write_atomically(path, write)


def line_chart(charts: ChartData, blocks: list[Block], title: str, x_title: str, y_title: str,
               y_format: str | None = None, x_format: str | None = None, y_min: float | None = None,
               markers: bool = True, y_max: float | None = None, labels: list[list[str] | None] | None = None):
    """Straight lines through points at numeric x: one series per block of two columns (x, then y named by
    its header).

    ``y_min`` starts the value axis there instead of at 0 (small differences between large costs show);
    ``y_max`` ends it there (a point far above the rest would flatten them); ``labels``, per block, a label
    beside each of its points (None: none), when x is not what was varied (which point is which weight).
    """
    chart = charts.chart("scatter", "straight_with_markers" if markers else "straight")
    for index, block in enumerate(blocks):
        colour = COLOURS[index % len(COLOURS)]
        marker = ({"type": "circle", "size": 6, "fill": {"color": colour}, "border": {"color": colour}}
                  if markers else {"type": "none"})
        named = labels[index] if labels and index < len(labels) else None
        # "value" on: LibreOffice draws custom labels only where the series shows labels at all
        points = {"data_labels": {"value": True, "custom": [{"value": text} for text in named], "position": "right",
                                  "font": {"size": 8}}} if named else {}
        chart.add_series(block.series(2, line={"color": colour, "width": 1.75}, marker=marker, smooth=False,
                                      **points))
    chart.set_x_axis(axis(x_title, x_format, major_gridlines={"visible": False}))
    chart.set_y_axis(axis(y_title, y_format, **({"min": y_min} if y_min is not None else {}),
                          **({"max": y_max} if y_max is not None else {})))
    finish(chart, title, legend="bottom" if len(blocks) > 1 else None)
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


def bar_chart(charts: ChartData, block: Block, title: str, y_title: str, y_format: str | None = None,
              categories: list[str] = ()):
    """Clustered columns: categories from the block's first column, one series per further column; the chart
    taller by the longest of the ``categories``' names, which stand slanted below it (the plot keeps its height)."""
    chart = charts.chart("column")
    for index, column in enumerate(range(2, block.columns + 1)):
        chart.add_series(block.series(column, fill={"color": COLOURS[index % len(COLOURS)]}))
    chart.set_x_axis(category_axis())
    chart.set_y_axis(axis(y_title, y_format))
    longest = max((len(str(name)) for name in categories), default=0)
    finish(chart, title, height=CHART_HEIGHT_CM + LABEL_CM_PER_CHARACTER * longest)
    return chart


def refuse_overwriting(output: Path, *inputs: Path) -> None:
    """Raise InputRefused when ``output`` is one of the study's inputs (a plan or an input workbook)."""
    if any(output.resolve() == Path(given).resolve() for given in inputs):
        raise InputRefused([Problem("error", "the output would overwrite an input; expected another --output",
                                    file=str(output))])
