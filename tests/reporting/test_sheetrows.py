"""Table rows rendered straight to sheet XML (optimizer/reporting/sheetrows.py) read back as openpyxl's own cells do."""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from optimizer.reporting import workbook as report
from optimizer.reporting.workbook import TableSpec, _write_tables

FRAME = pd.DataFrame({
    "text": ["Ga", "=1+1", " padded ", "a & b < c", None, ""],
    "whole": [1, 2, 3, 4, 5, 6],
    "money": [1234.5678, float("nan"), 0.1 + 0.2, -1e-12, 1e15, 7.0],
    "flag": [True, False, True, False, True, False],
})
FORMATS = {"whole": "0", "money": "#,##0.00"}


def written(path, frame):
    _write_tables(path, [TableSpec("Orders", frame, FORMATS)])
    return openpyxl.load_workbook(path)["Orders"]


def cells(sheet):
    return [[(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows()]


def test_rendered_rows_read_back_like_openpyxls_own(tmp_path, monkeypatch):
    fast = cells(written(tmp_path / "fast.xlsx", FRAME))
    monkeypatch.setattr(report, "append_rendered", lambda *args, **kwargs: False)
    slow = cells(written(tmp_path / "slow.xlsx", FRAME))
    assert fast == [[(pytest.approx(v, rel=1e-15) if isinstance(v, float) else v, f) for v, f in row] for row in slow]
    assert fast[2][0] == ("=1+1", "General")  # text, never a live formula
    assert fast[1][2] == (1234.5678, "#,##0.00") and fast[2][2][0] is None  # NaN: a blank cell
    assert fast[3][2][0] == 0.1 + 0.2 != slow[3][2][0]  # every digit kept (openpyxl writes 16)


def test_rendered_rows_keep_whitespace_and_open_in_calamine(tmp_path):
    written(tmp_path / "fast.xlsx", FRAME)
    rows = CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name("Orders").to_python()
    assert rows[3][0] == " padded " and rows[4][0] == "a & b < c"
    assert rows[1][3] is True and rows[6][1] == 6


def test_a_value_that_is_not_plain_leaves_the_rows_to_openpyxl(tmp_path):
    frame = FRAME.assign(when=[date(2027, 1, 1)] * len(FRAME))
    sheet = written(tmp_path / "dated.xlsx", frame)
    assert sheet["E2"].value.date() == date(2027, 1, 1) and sheet["B7"].value == 6


@pytest.mark.parametrize("value", [float("inf"), "bell\x07"])
def test_infinities_and_control_characters_are_not_rendered(tmp_path, value):
    from optimizer.reporting.sheetrows import render_rows

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("t")
    assert render_rows(sheet, [[1.0, value]], [None, None], first_row=2) is None
    assert render_rows(sheet, [[1.0, "bell"]], [None, None], first_row=2) is not None
