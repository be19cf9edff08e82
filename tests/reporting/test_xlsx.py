"""The one writer of every workbook (optimizer/reporting/xlsx.py, XlsxWriter), read back by openpyxl and calamine."""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from optimizer.reporting import xlsx
from optimizer.reporting.xlsx import MONEY, QUANTITY, SHARE, WHOLE, Book, TableSpec, money_format, quantity_format

HOSTILE = ["=1+1", "=HYPERLINK(\"http://x\")", "+A1", "-2", "@SUM(A1)", "http://example.com", "123", " padded ",
           "a & b < c"]


def write(path, *specs: TableSpec, **book_options) -> openpyxl.Workbook:
    book = Book(path, **book_options)
    for spec in specs:
        xlsx.write_table(book, spec)
    book.close()
    return openpyxl.load_workbook(path)


def test_input_text_stays_text_never_a_formula_a_link_or_a_number(tmp_path):
    """Names from an input (a supplier called "=1+1") are written as text: no formula, no link, no number."""
    frame = pd.DataFrame({"supplier": HOSTILE, "quantity": range(len(HOSTILE))})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Orders", frame, {"quantity": WHOLE}))["Orders"]
    cells = [sheet.cell(row=row, column=1) for row in range(2, len(HOSTILE) + 2)]
    assert [c.value for c in cells] == HOSTILE
    assert {c.data_type for c in cells} == {"s"}  # "f" would be a live formula
    assert all(c.hyperlink is None for c in cells)
    rows = CalamineWorkbook.from_path(str(tmp_path / "t.xlsx")).get_sheet_by_name("Orders").to_python()
    assert [r[0] for r in rows[1:]] == HOSTILE


def test_cells_keep_every_digit_and_blanks_stay_blank(tmp_path):
    frame = pd.DataFrame({"mineral": ["ga", "ga", "ge"], "cost": [0.1 + 0.2, float("nan"), 1e15 / 3],
                          "flag": [True, False, True]})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Orders", frame, {"cost": MONEY}))["Orders"]
    # 16 significant digits, as Excel keeps them
    assert sheet["B2"].value == pytest.approx(0.1 + 0.2, rel=1e-15) and sheet["B3"].value is None
    assert sheet["B4"].value == pytest.approx(1e15 / 3, rel=1e-15)
    assert sheet["C2"].value is True


def test_money_quantities_shares_and_periods_take_the_workbooks_formats(tmp_path):
    """Money in the currency, a quantity in the unit of its row's mineral, a period beside its label; the
    cell keeps the number (period 2 stays 2)."""
    frame = pd.DataFrame({"mineral": ["ga", "ge"], "period": [1, 2], "quantity": [1234.5, 0.25],
                          "cost": [1e6, 2.5e6], "share": [0.5, 0.25]})
    spec = TableSpec("Orders", frame, {"period": WHOLE, "quantity": QUANTITY, "cost": MONEY, "share": SHARE})
    sheet = write(tmp_path / "t.xlsx", spec, currency="EUR", units={"ga": "t", "ge": "kg"},
                  period_label=lambda t: f"Q{t} 2027")["Orders"]
    assert sheet["B3"].value == 2 and sheet["B3"].number_format == '0" · Q2 2027"'
    assert sheet["C2"].number_format == quantity_format("t") and sheet["C3"].number_format == quantity_format("kg")
    assert sheet["D2"].number_format == money_format("EUR") == '"€"#,##0;-"€"#,##0'
    assert sheet["E2"].number_format == SHARE
    assert money_format("CHF") == '#,##0" CHF"'
    assert quantity_format("t") == '[>=100]#,##0" t";[>=1]#,##0.0" t";#,##0.00" t"'


def test_every_sheet_is_a_table_with_a_frozen_repeated_header(tmp_path):
    frame = pd.DataFrame({"mineral": ["ga"], "quantity": [1.0]})
    book = write(tmp_path / "t.xlsx", TableSpec("Shortfall by mineral", frame, {"quantity": QUANTITY}))
    sheet = book["Shortfall by mineral"]
    assert list(sheet.tables) == ["ShortfallbymineralTable"]
    assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9


def test_a_sheet_over_the_large_limit_is_written_in_constant_memory_with_a_filter(tmp_path, monkeypatch):
    """Over LARGE_SHEET rows no table (constant memory cannot make one): an autofilter and frozen header;
    a smaller sheet of the same workbook is still a table."""
    monkeypatch.setattr(xlsx, "LARGE_SHEET", 5)
    large = pd.DataFrame({"mineral": ["ga"] * 6, "stock": [float(i) for i in range(6)]})
    small = large.head(3)
    book = write(tmp_path / "t.xlsx", TableSpec("Stock", large, {"stock": QUANTITY}),
                 TableSpec("Cover", small, {"stock": QUANTITY}))
    stock = book["Stock"]
    assert not stock.tables and stock.auto_filter.ref == "A1:B7" and stock.freeze_panes == "A2"
    assert [row[1] for row in stock.iter_rows(min_row=2, values_only=True)] == [0, 1, 2, 3, 4, 5]
    assert list(book["Cover"].tables) == ["CoverTable"]


def test_a_wide_sheet_repeats_its_names_and_breaks_between_columns_instead_of_shrinking(tmp_path):
    """40 money columns cannot print on one page at a readable size: the name column repeats on every
    page and the columns break; a narrow sheet fits one page wide."""
    wide = pd.DataFrame({"scenario": ["China ban"], **{f"cost {i}": [1e9] for i in range(40)}})
    narrow = pd.DataFrame({"scenario": ["China ban"], "cost": [1e9]})
    book = write(tmp_path / "t.xlsx", TableSpec("Wide", wide, {c: MONEY for c in wide.columns[1:]}),
                 TableSpec("Narrow", narrow, {"cost": MONEY}))
    sheet = book["Wide"]
    assert sheet.print_title_cols == "$A:$A"
    assert len(sheet.col_breaks.brk) >= 3 and sheet.page_setup.scale == 90
    assert not sheet.sheet_properties.pageSetUpPr or not sheet.sheet_properties.pageSetUpPr.fitToPage
    narrow = book["Narrow"]  # one page wide (1 is the file format's default, left out), as many down as needed
    assert narrow.sheet_properties.pageSetUpPr.fitToPage and narrow.page_setup.fitToWidth in (None, 1)
    assert narrow.page_setup.fitToHeight == 0


def test_text_is_indented_so_it_never_touches_a_number_before_it(tmp_path):
    frame = pd.DataFrame({"quantity": [1.0], "committed": ["no"]})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Orders", frame, {"quantity": QUANTITY}))["Orders"]
    assert sheet["B2"].alignment.indent == 1
    # an indent without horizontal="left" was written, which LibreOffice and Excel ignore: "3base", "$29,042,015China"
    assert sheet["B2"].alignment.horizontal == "left"
    assert sheet["A1"].alignment.horizontal == "right" and sheet["B1"].alignment.indent == 1


def test_a_date_is_written_as_a_date(tmp_path):
    frame = pd.DataFrame({"start": [date(2027, 1, 1)]})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Settings", frame, {}))["Settings"]
    assert sheet["A2"].value.date() == date(2027, 1, 1)


@pytest.mark.parametrize("title, name", [("Why short", "WhyshortTable"), ("1 plan", "T1planTable")])
def test_table_names_from_titles(title, name):
    assert xlsx.table_name(title) == name


def test_a_text_column_is_as_wide_as_its_longest_text_even_in_its_last_rows(tmp_path):
    frame = pd.DataFrame({"scenario": ["base"] * 600 + ["China partial restriction"], "stock": [1.0] * 601})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Stock", frame, {"stock": QUANTITY}))["Stock"]
    assert sheet.column_dimensions["A"].width >= len("China partial restriction") + 1


def test_line_charts_are_written_straight(tmp_path):
    """smooth val="0" on every line series: LibreOffice smooths a line that does not say so."""
    import zipfile

    from optimizer.reporting.charts import ChartData

    book = Book(tmp_path / "c.xlsx")
    charts = ChartData(book)
    block = charts.block("numbers", ["period", "stock"], [["P1", 1.0], ["P2", 3.0], ["P3", 2.0]])
    chart = charts.chart("line")
    chart.add_series(block.series(2))
    book.sheet("Charts").insert_chart(0, 0, chart)
    charts.write()
    book.close()
    with zipfile.ZipFile(tmp_path / "c.xlsx") as archive:
        xml = archive.read("xl/charts/chart1.xml").decode()
    assert '<c:smooth val="0"/>' in xml and 'val="1"' not in xml.split("<c:smooth")[1][:12]


def test_a_negative_quantity_keeps_its_minus_sign_and_its_size_decimals(tmp_path):
    """The size sections of quantity_format ([>=100] ...; [>=1] ...; else) show -10 as "10.00 t" (LibreOffice
    drops the sign in the last section): a column with negatives gets each cell's decimals by its size,
    sign kept: -10 -> -10.0 t, 250 -> 250 t, -0.5 -> -0.50 t."""
    frame = pd.DataFrame({"mineral": ["ga", "ga", "ga"], "quantity_change": [-10.0, 250.0, -0.5]})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Changes", frame, {"quantity_change": QUANTITY}),
                  units={"ga": "t"})["Changes"]
    assert [sheet.cell(row=r, column=2).number_format for r in (2, 3, 4)] == [
        quantity_format("t", 1), quantity_format("t", 0), quantity_format("t", 2)]
    assert quantity_format("t", 1) == '#,##0.0" t"'  # no sections: Excel and LibreOffice put the minus sign


def test_a_sized_column_shows_about_four_figures_whatever_the_size_and_sign(tmp_path):
    """Sensitivities' cost_change_per_unit in "#,##0.00##" read -42,773.3654 per t; sized: -42,773, 2.88,
    0.0421 and -0.04, each cell its own decimals (sign kept, which Excel's size sections would drop)."""
    frame = pd.DataFrame({"cost_change_per_unit": [-42_773.3654, 2.8792, 0.0421, -0.04]})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Sensitivities", frame, {"cost_change_per_unit": xlsx.SIZED}))
    assert [sheet["Sensitivities"].cell(row=r, column=1).number_format for r in (2, 3, 4, 5)] == [
        "#,##0", "#,##0.00", "#,##0.00##", "#,##0.00##"]


def test_a_long_text_outside_the_sentence_columns_wraps_instead_of_being_cut_off(tmp_path):
    """The Changes sheet's reason ("a budget or funding source it uses binds and another mineral's orders
    changed", 74 characters) was cut at the column's 60: only ``finding`` wrapped. A text column with a
    sentence longer than the widest column now wraps; a long word (a SHA-256) is left whole."""
    reason = "a budget or funding source it uses binds and another mineral's orders changed"
    frame = pd.DataFrame({"reason": [reason, "within the gap"], "sha": ["f" * 64, "e" * 64], "cost": [1.0, 2.0]})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Changes", frame, {"cost": MONEY}))["Changes"]
    assert sheet["A2"].alignment.wrap_text and sheet.column_dimensions["A"].width <= xlsx.WIDEST + 1
    assert sheet.row_dimensions[2].height and sheet.row_dimensions[2].height >= 30
    assert not sheet["B2"].alignment.wrap_text


def test_a_columns_width_and_wrap_read_its_values_as_text_with_blanks_left_out(tmp_path):
    """Widths and wrapping read a text column's values as text (``_texts``: one Python pass, not pandas' steps):
    None and NaN are blanks, not the words "None" or "nan" (a column of blanks keeps the narrowest width);
    numbers, yes/no and dates count as they are shown; a sentence after blanks in the last row still wraps."""
    sentence = "the supplier's offer ends before the period in which the stock would have to arrive"  # 84
    frame = pd.DataFrame({
        "note": pd.Series([None, float("nan"), None, sentence], dtype=object),
        "mixed": pd.Series([None, 12345.5, True, date(2027, 3, 31)], dtype=object),
        "blank": pd.Series([None, None, None, None], dtype=object),
        "code": pd.Series(["ab", None, "abcdefghij", None], dtype="str")})
    sheet = write(tmp_path / "t.xlsx", TableSpec("Notes", frame, {}))["Notes"]
    widths = {column: sheet.column_dimensions[column].width for column in "ABCD"}
    assert sheet["A5"].alignment.wrap_text and widths["A"] == pytest.approx(xlsx.WIDEST, abs=1)
    assert widths["B"] == pytest.approx(len("2027-03-31") + 2, abs=1)  # 12345.5 shows as "12345.5", 7
    assert widths["C"] == pytest.approx(max(xlsx.NARROWEST, len("blank") + 2), abs=1)
    assert widths["D"] == pytest.approx(max(xlsx.NARROWEST, len("abcdefghij") + 2), abs=1)


def test_a_money_axis_of_billions_reads_in_billions():
    """A sweep of a $1B-$3B fund read "1,000M ... 3,500M" along its axis."""
    assert xlsx.money_axis(3.5e9) == '#,##0.0,,,"B"'
    assert xlsx.money_axis(8e8) == '#,##0,,"M"'
