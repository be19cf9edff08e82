"""Table rows written straight as sheet XML into an openpyxl write-only sheet.

openpyxl turns every cell into an object and then into XML elements, about
50 microseconds a cell: the L plan's 200,000 cells took 10 s, most of the
write stage. Plain values (text, numbers, booleans, blanks) are rendered here
as the same XML openpyxl writes (inline strings, a style per number format)
in one string, and the sheet writes it as it is. A value of any other kind,
or text Excel cannot hold, leaves the rows to openpyxl.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


class _RenderedRows(tuple):
    """One element: the XML of many rows, passed through openpyxl's append untouched."""


def append_rendered(sheet: WriteOnlyWorksheet, rows: list[list], formats: list[str | None], first_row: int) -> bool:
    """Append ``rows`` (plain Python values) from Excel row ``first_row`` on, each number with its column's
    format; False (nothing appended) when a value needs openpyxl. The sheet must have a row already."""
    xml = render_rows(sheet, rows, formats, first_row)
    if xml is None:
        return False
    # openpyxl's writer is private API: its row writer and row conversion let a rendered block through.
    writer = sheet._writer
    write_row = writer.write_row
    writer.write_row = lambda xf, row, index: xf._file(row[0]) if isinstance(row, _RenderedRows) \
        else write_row(xf, row, index)
    sheet._values_to_row = lambda values, index: values if isinstance(values, _RenderedRows) \
        else WriteOnlyWorksheet._values_to_row(sheet, values, index)
    sheet.append(_RenderedRows((xml,)))
    return True


def render_rows(sheet: WriteOnlyWorksheet, rows: list[list], formats: list[str | None], first_row: int) -> str | None:
    """The rows' XML, or None when a value is not plain (a date, an infinity, a control character)."""
    letters = [get_column_letter(column) for column in range(1, len(formats) + 1)]
    styles = [f' s="{_style_id(sheet, number_format)}"' if number_format else "" for number_format in formats]
    parts = []
    for row_number, values in enumerate(rows, start=first_row):
        parts.append(f'<row r="{row_number}">')
        for letter, style, value in zip(letters, styles, values):
            cell = _render(f"{letter}{row_number}", style, value)
            if cell is None:
                return None
            parts.append(cell)
        parts.append("</row>")
    return "".join(parts)


def _render(reference: str, style: str, value: object) -> str | None:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        if ILLEGAL_CHARACTERS_RE.search(value):
            return None
        space = ' xml:space="preserve"' if value != value.strip() else ""
        # Always an inline string: text from an input is never a live formula.
        return f'<c r="{reference}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>' if value else ""
    if kind is bool:
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if kind is int:
        return f'<c r="{reference}"{style} t="n"><v>{value}</v></c>'
    if kind is float:
        if value != value:  # NaN: a blank cell
            return ""
        return f'<c r="{reference}"{style} t="n"><v>{value!r}</v></c>' if math.isfinite(value) else None
    return None


def _style_id(sheet: WriteOnlyWorksheet, number_format: str) -> int:
    """The workbook's style id of a cell with ``number_format`` (registered on first use)."""
    cell = WriteOnlyCell(sheet, value=0.0)
    cell.number_format = number_format
    return cell.style_id
