"""Every workbook the project writes (plans, sweeps, stress tests, the template) is written here, by XlsxWriter.

``Book`` wraps one XlsxWriter workbook: input text always stays text
(``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off),
each cell format is made once, and every sheet prints landscape on A4 with
its header rows repeated. ``write_table`` writes a ``TableSpec`` (a frame
and the number format of each column) as an Excel table:

- the generic formats (``MONEY``, ``QUANTITY``, ``SHARE`` ...) become the
  workbook's: money in its currency with thousands separators, a quantity
  in the unit of the row's mineral with decimals that suit the column's
  size, a period as its number beside its label ("3 · Q3 2027");
- text is indented so that it never touches a right-aligned number before it;
- widths come from the content, sentences wrap in rows as tall as they need;
- a sheet wider than a page prints its identifying columns on every page and
  breaks between columns, never shrunk below a readable size;
- a sheet over ``LARGE_SHEET`` rows is written in constant memory, which
  cannot make tables: it gets an autofilter and a frozen header instead.

The cells keep every digit: only what is shown changes (the checker and the
re-planner read the values back with openpyxl and calamine).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_col_to_name

# The generic number formats of a TableSpec; Book.number_format makes them the workbook's own.
MONEY = "#,##0.00"
QUANTITY = "#,##0.####"
SHARE = "0.0%"
WHOLE = "0"
COUNT = "#,##0"
GAP = "0.000%"
SECONDS = "0.00"
SIZED = "sized"  # not an Excel format: each cell's decimals by its size, sign kept (sized_format)
OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
           "nan_inf_to_errors": False}
LARGE_SHEET = 100_000  # rows: a table's filter and style no longer help; written in constant memory
# Cells of one sheet past which the workbook's parts go through temporary files rather than memory at
# close (XlsxWriter's in_memory): the XML of such a sheet would double its memory.
IN_MEMORY_CELLS = 200_000
WIDEST = 64  # characters: a sentence column wraps beyond this
NARROWEST = 8
TEXT_WIDEST = 60  # characters: a text column no wider; a longer text in it wraps (_sentence_columns)
PAGE_WIDTH = 100  # characters of column width on a landscape A4 page at 100% in LibreOffice (measured: 105)
SMALLEST_SCALE = 65  # percent: below this a printed sheet is split, not shrunk
HEADER_COLOUR = "#1F3864"
PERIOD_COLUMNS = ("period", "previous_period", "arrival_period", "first_period", "last_period")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "AUD": "A$", "CAD": "C$"}


@dataclass(frozen=True)
class TableSpec:
    """One sheet of a result or study workbook: a frame, the number format of each column, how to read it.

    ``formats`` maps a column to a number format (the generic ``MONEY``, ``QUANTITY``, ``SHARE``, ``WHOLE``
    ... or any Excel format); ``wide`` names columns of sentences (wrapped); ``key_formats`` gives a
    key/value sheet's value its format by its key; ``note`` is the sheet's one line in the About sheet.
    """

    title: str
    frame: pd.DataFrame
    formats: dict[str, str]  # column -> number format
    note: str = ""
    wide: tuple[str, ...] = ()  # columns of sentences: wrapped at WIDEST characters
    # Key/value sheets (columns key, value): the number format of each value, chosen by its key.
    key_formats: Callable[[str], str | None] | None = None
    # The identifying columns repeated on every printed page of a sheet too wide for one (None: the
    # leading text columns).
    keys: int | None = None


def money_format(currency: str, decimals: int = 0) -> str:
    """Money with thousands separators in ``currency``: "$"#,##0 for USD, #,##0" CHF" for a code without symbol."""
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f'"{symbol}"{number};-"{symbol}"{number}'
    return f'{number}" {_quoted(currency)}"' if currency else number


MILLIONS = '#,##0,,"M"'


def money_axis(largest: float) -> str:
    """The number format of a money axis reaching ``largest``: billions with a decimal from 1B (2.5B, not
    2,500M), millions from 10M (20M), millions with a decimal from 1M (2.5M), thousands from 10K (40K), else
    whole units: never "0M" ticks on a small plan."""
    if largest >= 1e9:
        return '#,##0.0,,,"B"'
    if largest >= 1e7:
        return MILLIONS
    if largest >= 1e6:
        return '#,##0.0,,"M"'
    if largest >= 1e4:
        return '#,##0,"K"'
    return "#,##0" if largest >= 10 else "General"


def quantity_format(unit: str, decimals: int | None = None) -> str:
    """A quantity in its unit: with ``decimals`` decimals, or (None) decimals by its size: 1,234 t, 12.3 t,
    0.25 t (Excel's conditional sections, so every cell shows about three significant figures)."""
    suffix = f'" {_quoted(unit)}"' if unit else ""
    if decimals is None:
        return f"[>=100]#,##0{suffix};[>=1]#,##0.0{suffix};#,##0.00{suffix}"
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    return number + suffix


def sized_format(value) -> str:
    """A rate or an amount of any size in about 4 significant figures, sign kept: -42,773 / 2.88 / 0.0421
    ("#,##0.00##" showed -42,773.3654, and Excel's size sections drop a negative's sign)."""
    size = abs(value) if _is_number(value) else 0.0
    return "#,##0" if size >= 100 else "#,##0.00" if size >= 1 else "#,##0.00##"


def size_decimals(value) -> int | None:
    """The decimals quantity_format's size sections give ``value`` (0 from 100, 1 from 1, else 2), by its
    size whatever its sign; None for a blank."""
    if not _is_number(value):
        return None
    size = abs(value)
    return 0 if size >= 100 else 1 if size >= 1 else 2


def _quoted(text: str) -> str:
    return text.replace('"', "'")


class Book:
    """One XlsxWriter workbook being written: its cell formats, made once, and what the formats need to know.

    ``currency`` makes MONEY the workbook's money; ``units`` (mineral -> unit) gives a quantity in a row of
    a mineral its unit; ``period_label`` gives a period number its label.
    """

    def __init__(self, path, currency: str = "", units: dict[str, str] | None = None,
                 period_label: Callable[[int], str] | None = None):
        # in memory: no temporary file per part (a sheet in constant memory turns this off, see sheet())
        self.workbook = xlsxwriter.Workbook(str(path), {**OPTIONS, "in_memory": True})
        self.currency = currency
        self.units = units or {}
        self.period_label = period_label
        self.about: list[tuple[str, str]] = []  # (sheet, how to read it), for the About sheet
        self._formats: dict[tuple, object] = {}
        self._large: list = []

    # --- formats -------------------------------------------------------------------------------
    def format(self, **properties):
        """The cell format with ``properties`` (XlsxWriter's names), made on first use."""
        key = tuple(sorted(properties.items()))
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self.workbook.add_format(properties)
        return found

    def number(self, number_format: str | None, **properties):
        """The format of a number cell: right-aligned with ``number_format`` (General when None)."""
        if number_format:
            properties["num_format"] = number_format
        return self.format(valign="top", **properties)

    def text(self, **properties):
        """The format of a text cell: indented one character, so it never touches a number before it; at the
        top of its row, beside a wrapped sentence."""
        # left-aligned explicitly: an indent without a horizontal alignment is ignored (LibreOffice, Excel)
        return self.format(align="left", indent=1, valign="top", **properties)

    def header(self, numbers: bool = False):
        """A header cell: white on dark blue, wrapped; over numbers right-aligned, over text indented."""
        place = {"align": "right"} if numbers else {"indent": 1}
        return self.format(bold=True, font_color="white", bg_color=HEADER_COLOUR, valign="vcenter",
                           text_wrap=True, **place)

    def money(self, decimals: int = 0) -> str:
        """The number format of money in this workbook's currency (``money_format``)."""
        return money_format(self.currency, decimals)

    # --- sheets --------------------------------------------------------------------------------
    def sheet(self, title: str, large: bool = False, note: str = ""):
        """A new sheet printing landscape on A4; ``large``: written in constant memory (rows in order)."""
        self.workbook.constant_memory = large  # read as each sheet is made: one sheet at a time
        try:
            sheet = self.workbook.add_worksheet(title)
        finally:
            self.workbook.constant_memory = False
        if large:
            self._large.append(sheet)
            self.workbook.in_memory = False  # read when the file is closed: its rows are in a temporary file
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.set_footer(f"&L{_footer(title)}&RPage &P of &N")
        self.about.append((title, note or "its columns as named in the header (docs/results.md)"))
        return sheet

    def add_chart(self, options: dict):
        """A new chart of the workbook (XlsxWriter's options: its type and subtype)."""
        return self.workbook.add_chart(options)

    def close(self) -> None:
        """Write the file; the temporary files of constant-memory sheets are closed and removed. A file that
        cannot be written raises the OSError behind it (a full disk), as any other writer would."""
        try:
            self.workbook.close()
        except xlsxwriter.exceptions.FileCreateError as failure:
            cause = failure.args[0] if failure.args else None
            raise (cause if isinstance(cause, OSError) else OSError(str(failure))) from None
        finally:
            for sheet in self._large:
                if not sheet.row_data_fh_closed:
                    sheet.row_data_fh.close()
                    sheet.row_data_fh_closed = True
                if sheet.row_data_filename and os.path.exists(sheet.row_data_filename):
                    os.remove(sheet.row_data_filename)

    # --- what a column's values look like --------------------------------------------------------
    def column_formats(self, frame: pd.DataFrame, column: str, number_format: str | None) -> list | object | None:
        """The cell format of each row of ``column`` (one for every row, or a list, one per row)."""
        if number_format == MONEY:
            series = frame[column]
            cents = _has_cents(series) if column.endswith("price") else _small_with_cents(series)
            return self.number(self.money(2 if cents else 0))
        if column in PERIOD_COLUMNS and self.period_label is not None and number_format in (WHOLE, None):
            made = {}
            for value in set(frame[column].dropna().tolist()):
                if _is_number(value):
                    made[value] = self.number(self.period_format(value))
            return [made.get(value) for value in frame[column].tolist()]
        if number_format == SIZED:
            return [self.number(sized_format(value)) for value in frame[column].tolist()]
        if number_format == QUANTITY:
            units = (frame["mineral"].map(lambda m: self.units.get(m, "")).tolist()
                     if "mineral" in frame.columns and self.units else None)
            if _has_negatives(frame[column]):  # the format's size sections would show -10 as "10.00"
                return [self.number(quantity_format(units[i] if units else "", size_decimals(value)))
                        for i, value in enumerate(frame[column].tolist())]
            if units is not None:
                made = {unit: self.number(quantity_format(unit)) for unit in set(units)}
                return [made[unit] for unit in units]
            return self.number(quantity_format(""))
        return self.number(number_format) if number_format else None

    def period_format(self, period) -> str:
        """A period number shown beside its label: 3 · Q3 2027."""
        return f'0" · {_quoted(self.period_label(int(period)))}"'

    def shown(self, value, number_format: str | None, column: str) -> str:
        """About how ``value`` shows in its format: for the column's width."""
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value)
        if column in PERIOD_COLUMNS and self.period_label is not None:
            return f"{value} · {self.period_label(int(value))}"
        if number_format == SHARE:
            return f"{value:.1%}"
        if number_format == MONEY:
            return f"{self.currency} {value:,.0f}"
        if number_format == QUANTITY:  # as quantity_format shows it, in the longest unit
            size = abs(value)
            digits = f"{value:,.0f}" if size >= 100 else f"{value:,.1f}" if size >= 1 else f"{value:,.2f}"
            return f"{digits} {max(self.units.values(), key=len, default='')}"
        return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


def _footer(title: str) -> str:
    return title.replace("&", "&&")


def _has_negatives(series: pd.Series) -> bool:
    return _numeric(series) and bool((series < 0).any())


def _small_with_cents(series: pd.Series) -> bool:
    """Money of a small plan, every amount under 1,000 and some with cents: whole units would round them
    visibly (two floor_cost of 16.5 shown as $17 each, against a total of $33)."""
    values = series.head(1000)
    numbers = [float(v) for v in values if _is_number(v)]
    return bool(numbers) and max(abs(v) for v in numbers) < 1e3 and any(not v.is_integer() for v in numbers)


def _has_cents(series: pd.Series) -> bool:
    return any(_is_number(v) and not float(v).is_integer() and abs(v) < 1e4 for v in series.head(1000))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and math.isfinite(value)


# --- tables --------------------------------------------------------------------------------------

def write_table(book: Book, spec: TableSpec) -> None:
    """``spec`` as a new sheet of ``book``: an Excel table (or, over LARGE_SHEET rows, a filtered range)."""
    spec = replace(spec, wide=_sentence_columns(spec))
    frame = spec.frame
    columns = [str(c) for c in frame.columns]
    large = len(frame) > LARGE_SHEET
    sheet = book.sheet(spec.title, large=large, note=spec.note)
    if len(frame) * len(columns) > IN_MEMORY_CELLS:
        book.workbook.in_memory = False  # read when the file is closed
    widths = [_width(book, frame, column, spec) for column in frame.columns]
    text_format = book.text()
    wrap_format = book.text(text_wrap=True)
    for index, (column, width) in enumerate(zip(frame.columns, widths)):
        sheet.set_column(index, index, width, wrap_format if column in spec.wide else None)
    sheet.set_row(0, 30 if any(len(c) > w for c, w in zip(columns, widths)) else None)
    headers = [book.header(numbers=_numeric(frame[column])) for column in frame.columns]
    for index, (column, header) in enumerate(zip(columns, headers)):
        sheet.write_string(0, index, column, header)
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    print_columns(sheet, frame, widths, spec.keys, spec.wide)
    if spec.key_formats is not None and "value" in columns:
        cell_formats = _key_value_formats(book, frame, spec, columns)
    else:
        cell_formats = [book.column_formats(frame, column, spec.formats.get(column)) for column in frame.columns]
    wide = [column in spec.wide for column in frame.columns]
    _as_table(sheet, spec, columns, headers, len(frame), large)  # before the cells: see _as_table
    cells = Cells(book, sheet, text_format, wrap_format)
    # Columns of plain numbers or booleans first, each in one go (in memory only: constant memory takes
    # every row whole before the next); then the rest row by row, so that shared strings keep their order.
    plain = set() if large else {index for index, column in enumerate(frame.columns)
                                 if cells.column(index, frame[column], cell_formats[index])}
    rest = [index for index in range(len(columns)) if index not in plain]
    rows = _rows(frame) if large else zip(*(frame.iloc[:, index].tolist() for index in rest))
    cells.rows(rows, rest, cell_formats, wide, widths)


class Cells:
    """Writes a table's cells: numbers in their column's format (NaN a blank cell, infinity as text), text
    indented (sentences wrapped), yes/no as booleans, dates as dates; empty text and None leave the cell blank."""

    def __init__(self, book: Book, sheet, text_format, wrap_format):
        self.book, self.sheet, self.text_format, self.wrap_format = book, sheet, text_format, wrap_format

    def column(self, index: int, series: pd.Series, chosen) -> bool:
        """A column of finite numbers or of booleans, top to bottom without a test per cell (a sheet in
        memory takes its cells in any order); False, nothing written, for any other column."""
        if _numeric(series) and _finite(series):
            write_number, values = self.sheet.write_number, series.tolist()
            if type(chosen) is list:
                for row_index, (value, number_format) in enumerate(zip(values, chosen), start=1):
                    write_number(row_index, index, value, number_format)
            else:
                for row_index, value in enumerate(values, start=1):
                    write_number(row_index, index, value, chosen)
            return True
        if pd.api.types.is_bool_dtype(series.dtype) and not series.hasnans:
            write_boolean = self.sheet.write_boolean
            for row_index, value in enumerate(series.tolist(), start=1):
                write_boolean(row_index, index, value)
            return True
        return False

    def rows(self, rows, indices: list[int], cell_formats: list, wide: list[bool],
             widths: list[float]) -> None:
        """Row after row, each row's values those of the columns ``indices``; a row of a sentence longer than
        its column as tall as its wrapped text (set as it is written: constant memory moves on)."""
        cell = self.cell
        for row_index, values in enumerate(rows, start=1):
            lines = 1
            for column_index, value in zip(indices, values):
                chosen = cell_formats[column_index]
                cell(row_index, column_index, value, chosen[row_index - 1] if type(chosen) is list else chosen,
                     wide[column_index])
                if wide[column_index] and type(value) is str and value:
                    lines = max(lines, math.ceil(len(value) / max(widths[column_index] - 8, 1)))
            if lines > 1:
                self.sheet.set_row(row_index, 15 * lines)

    def cell(self, row_index: int, column_index: int, value, number_format, wide: bool) -> None:
        """One cell, its type told by its value."""
        if value is None:
            return
        if hasattr(value, "item"):  # numpy scalars
            value = value.item()
        kind = type(value)
        if kind is float or kind is int:
            if value != value:  # NaN: a blank cell
                return
            if not math.isfinite(value):  # infinity as text
                self.sheet.write_string(row_index, column_index, str(value), self.text_format)
                return
            self.sheet.write_number(row_index, column_index, value, number_format)
        elif kind is bool:
            self.sheet.write_boolean(row_index, column_index, value)
        elif kind is str:
            if value:
                self.sheet.write_string(row_index, column_index, value,
                                        self.wrap_format if wide else self.text_format)
        else:
            self.sheet.write(row_index, column_index, value, self.book.format(num_format="yyyy-mm-dd", indent=1))


def _rows(frame: pd.DataFrame, chunk: int = 10_000):
    """The frame's rows as lists of plain Python values, a chunk at a time (not the whole table at once)."""
    for start in range(0, len(frame), chunk):
        yield from frame.iloc[start:start + chunk].astype(object).to_numpy().tolist()


def _key_value_formats(book: Book, frame: pd.DataFrame, spec: TableSpec, columns: list[str]) -> list:
    """A key/value sheet: each value in the format its key asks for (money, gaps, seconds, counts)."""
    value_at = columns.index("value")
    formats: list = [None] * len(columns)
    per_row = []
    for key in frame[columns[0]]:
        chosen = spec.key_formats(str(key))  # left-aligned after the key: a column of text and numbers
        chosen = book.money(2) if chosen == MONEY else chosen
        per_row.append(book.number(chosen, align="left", indent=1))
    formats[value_at] = per_row
    return formats


def _finite(series: pd.Series) -> bool:
    """Whether every value of a numeric column is a finite number (no NaN, no infinity)."""
    return bool(np.isfinite(series.to_numpy(dtype=float, na_value=np.nan)).all())


def _numeric(series: pd.Series) -> bool:
    """Whether a column holds numbers (its header then sits over them, right-aligned)."""
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _as_table(sheet, spec: TableSpec, columns: list[str], headers: list, rows: int, large: bool) -> None:
    if not columns:
        return
    last_column = len(columns) - 1
    if large:  # constant memory cannot make tables: a filter on the header instead
        sheet.autofilter(0, 0, rows, last_column)
        return
    if rows == 0:
        sheet.autofilter(0, 0, 0, last_column)
        return
    sheet.add_table(0, 0, rows, last_column, {
        "name": table_name(spec.title), "style": "Table Style Medium 2", "autofilter": True,
        "columns": [{"header": column, "header_format": header} for column, header in zip(columns, headers)]})
    # XlsxWriter notes every cell of the table (a dict entry each, about 100 bytes) to refuse a later table or
    # merged range over it, and keeps the notes until the file is closed. A sheet here has one table and no
    # merged range: the notes are let go, before the cells are written, so that the two never take memory
    # together (the Stock sheet of an XL plan, 871,000 cells).
    sheet.table_cells.clear()


def table_name(title: str) -> str:
    """An Excel table's name from its sheet's title: letters, digits and underscores, then "Table"."""
    name = "".join(ch for ch in title if ch.isalnum() or ch == "_")
    return (name if name[:1].isalpha() else "T" + name) + "Table"


def _sentence_columns(spec: TableSpec) -> tuple[str, ...]:
    """``spec.wide`` and every other text column with words longer together than the widest column
    (TEXT_WIDEST): wrapped at their spaces, not cut off at the column's edge (a hash, one word, is not)."""
    frame = spec.frame
    long = [column for column in frame.columns if column not in spec.wide and not _numeric(frame[column])
            and _has_long_sentence(frame[column])]
    return (*spec.wide, *long)


def _has_long_sentence(series: pd.Series) -> bool:
    return any(" " in text and len(text) > TEXT_WIDEST for text in _texts(series))


def _texts(series: pd.Series) -> list[str]:
    """A column's values as text, blanks left out, as ``series.dropna().astype(str)`` has them: for a column of
    text (or of anything, ``object``) in one Python pass, since pandas' own steps (dropna, astype, the ``str``
    accessor) cost more on a plan's tables of tens of rows than the texts themselves (docs/performance.md,
    "the write's texts"). ``pd.isna`` is True for a blank alone (a list in a cell gives an array: kept, as dropna
    keeps it)."""
    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return series.dropna().astype(str).tolist()
    return [value if type(value) is str else str(value) for value in series.tolist()
            if type(value) is str or pd.isna(value) is not True]


def _width(book: Book, frame: pd.DataFrame, column, spec: TableSpec) -> float:
    """Characters: the longest of the header (wrapped on two lines) and the values as shown, plus a gap."""
    number_format = spec.formats.get(column)
    values = frame[column]
    if _numeric(values):  # the first rows and the extremes, as shown
        sample = values.head(500).tolist() + [values.max(), values.min()] if len(values) else []
        longest = max([0] + [len(book.shown(v, number_format, str(column))) for v in sample])
    else:  # every text: a long scenario name may come only in the last rows
        longest = max(map(len, _texts(values)), default=0)
    header = len(str(column))
    if " " in str(column) and header > max(longest, 12):  # wraps at a space rather than widen its column
        header = max(math.ceil(header / 2) + 1, max(len(word) for word in str(column).split()))
    if column in spec.wide:
        return min(WIDEST, max(30, longest + 2))
    return min(TEXT_WIDEST, max(NARROWEST, longest + 2, header + 2))


def page_width(scale: int) -> float:
    """Characters of column width a landscape A4 page holds at ``scale`` percent in LibreOffice (whose
    fonts are wider than Calibri: 105 at 100%, measured; 100 leaves room for each column's padding)."""
    return PAGE_WIDTH * 100 / scale


def print_columns(sheet, frame: pd.DataFrame, widths: list[float], keys: int | None = None,
                  wide: tuple = ()) -> None:
    """Fit to one page wide when the columns fit at no less than SMALLEST_SCALE; otherwise repeat the
    ``keys`` identifying columns (by default the leading text columns, at most 3) on every page and break
    between columns: a wide sheet is split, never shrunk unreadable. The first page holds the keys up to
    the first sentence column (``wide``) whole, at a smaller scale if it must."""
    total = sum(widths)
    if total <= page_width(SMALLEST_SCALE):
        sheet.fit_to_pages(1, 0)
        return
    if keys is None:
        keys = 0
        for column in frame.columns:
            if _numeric(frame[column]) or keys == 3 or sum(widths[:keys + 1]) >= PAGE_WIDTH / 3:
                break
            keys += 1
    if keys:
        sheet.repeat_columns(0, keys - 1)
    scale = 90
    sentence = next((index for index, column in enumerate(frame.columns) if column in wide), None)
    if sentence is not None:
        first_page = sum(widths[:sentence + 1])
        scale = max(SMALLEST_SCALE, min(scale, int(100 * PAGE_WIDTH / first_page)))
    width = page_width(scale)
    base = sum(widths[:keys])
    breaks, used = [], base
    for index in range(keys, len(widths)):
        if used + widths[index] > width and used > base:
            breaks.append(index)
            used = base
        used += widths[index]
    sheet.set_v_pagebreaks(breaks)
    sheet.set_print_scale(scale)


def column_name(index: int) -> str:
    """The letter of a 0-based column."""
    return xl_col_to_name(index)
