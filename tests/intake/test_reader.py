"""The read stage: which files and sheets are read, and how cells reach the validator.

Every workbook is built in the test itself (``write_workbook`` for plain tables,
openpyxl or the raw xlsx XML for special cells), so each test shows what it
reads. A problem must name the file, the sheet, the Excel row, the column, the
value found and what was expected; the tests check the fields and the message.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

from optimizer.contract.problems import ERROR, WARNING, Problem
from optimizer.intake.reader import read_input
from optimizer.intake.validate import validate
from inputcheck import errors, only, read_and_validate
from workbooks import base_sheets, write_workbook


# ------------------------------------------------------------------ helpers
def load(path: Path):
    """Read then validate, as ``optimize validate`` does: (data or None, every problem)."""
    return read_and_validate(path)


def new_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    return book


def add_table(book: openpyxl.Workbook, title: str, rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)


def base_book(skip: tuple[str, ...] = ()) -> openpyxl.Workbook:
    """base_sheets() as an openpyxl workbook, so a test can add special cells before saving."""
    book = new_book()
    for title, rows in base_sheets().items():
        if title in skip:
            continue
        if isinstance(rows, dict):
            add_table(book, title, [["key", "value"]] + [[k, v] for k, v in rows.items()])
        else:
            headers = list(rows[0])
            add_table(book, title, [headers] + [[row.get(h) for h in headers] for row in rows])
    return book


def rewrite_sheet_xml(path: Path, sheet_index: int, edit) -> None:
    """Apply ``edit(xml_text) -> xml_text`` to one worksheet part of a saved workbook."""
    part = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in entries:
            target.writestr(info, edit(content.decode()).encode() if info.filename == part else content)


# ------------------------------------------------------------ sheets and rows
def test_sheet_names_and_headers_are_case_insensitive_and_trimmed(tmp_path):
    sheets = base_sheets()
    sheets["  oFFers "] = [{" Supplier": "S1", "MINERAL ": "ga", "  Unit_Price  ": 10, "Lead_Time": 1}]
    del sheets["Offers"]
    sheets[" SETTINGS"] = sheets.pop("Settings")
    data, problems = load(write_workbook(tmp_path / "plan.xlsx", sheets))
    assert errors(problems) == []
    assert data.offers[("S1", "ga")].lead_time == 1
    assert data.settings.num_periods == 3


def test_empty_rows_are_ignored_and_rows_keep_their_excel_numbers(tmp_path):
    book = base_book(skip=("Offers",))
    add_table(book, "Offers", [
        ["supplier", "mineral", "unit_price"],
        [None, None, None],
        ["S1", "ga", 10],
        ["  ", None, ""],  # blanks and spaces only: empty too
        ["S1", "ga", 12],  # duplicate: its row number must be 5
    ])
    book.save(tmp_path / "plan.xlsx")
    raw, _ = read_input(tmp_path / "plan.xlsx")
    assert [r.row for r in raw.sheets["offers"].rows] == [3, 5]
    _, problems = load(tmp_path / "plan.xlsx")
    problem = only(problems, "given twice")
    assert (problem.sheet, problem.row) == ("Offers", 5)
    assert "rows 3 and 5" in problem.expected


def test_header_is_the_first_non_empty_row(tmp_path):
    book = base_book(skip=("Offers",))
    sheet = book.create_sheet("Offers")
    sheet["B3"], sheet["C3"], sheet["D3"] = "supplier", "mineral", "unit_price"
    sheet["B4"], sheet["C4"], sheet["D4"] = "S1", "ga", 10
    sheet["B5"], sheet["C5"], sheet["D5"] = "S1", "cu", -1
    book.save(tmp_path / "plan.xlsx")
    raw, _ = read_input(tmp_path / "plan.xlsx")
    assert raw.sheets["offers"].header_row == 3
    _, problems = load(tmp_path / "plan.xlsx")
    problem = only(problems, "expected a number > 0")
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.value) == \
        (str(tmp_path / "plan.xlsx"), "Offers", 5, "unit_price", -1)
    assert "plan.xlsx, sheet 'Offers', row 5, column 'unit_price': found -1" in str(problem)


def test_a_wrong_saved_dimension_does_not_hide_columns(tmp_path):
    """Some writers save <dimension ref="A1"/>; every column must still be read."""
    path = write_workbook(tmp_path / "plan.xlsx", base_sheets())
    rewrite_sheet_xml(path, 4, lambda xml: xml.replace('<dimension ref="A1:C2" />', '<dimension ref="A1" />'))
    assert '<dimension ref="A1" />' in zipfile.ZipFile(path).read("xl/worksheets/sheet4.xml").decode()
    data, problems = load(path)
    assert errors(problems) == []
    assert data.offers[("S1", "ga")].unit_price == 10


def test_unknown_sheet_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Notes"] = [{"remark": "prices from the March call"}]
    data, problems = load(write_workbook(tmp_path / "plan.xlsx", sheets))
    problem = only(problems, "not part of the contract", WARNING)
    assert (problem.file, problem.sheet) == (str(tmp_path / "plan.xlsx"), "Notes")
    assert "plan.xlsx, sheet 'Notes'" in str(problem)
    assert data is not None


def test_unknown_column_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Suppliers"][0]["comment"] = "audited 2024"
    data, problems = load(write_workbook(tmp_path / "plan.xlsx", sheets))
    problem = only(problems, "column 'comment' is not part of the contract", WARNING)
    assert (problem.sheet, problem.row, problem.column) == ("Suppliers", 1, "comment")
    assert "plan.xlsx, sheet 'Suppliers', row 1" in str(problem)
    assert data is not None


def test_row_with_content_only_in_unknown_columns_is_ignored(tmp_path):
    """A note beside the table is not a row of the contract: no 'required' errors for it."""
    sheets = base_sheets()
    sheets["Suppliers"].append({"comment": "S2 still in due diligence"})
    data, problems = load(write_workbook(tmp_path / "plan.xlsx", sheets))
    assert errors(problems) == []
    assert list(data.suppliers) == ["S1"]


def test_duplicated_header_is_an_error(tmp_path):
    book = base_book(skip=("Suppliers",))
    add_table(book, "Suppliers", [["supplier", "country", "Country "], ["S1", "Canada", "Chile"]])
    book.save(tmp_path / "plan.xlsx")
    _, problems = load(tmp_path / "plan.xlsx")
    problem = only(problems, "appears twice")
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("Suppliers", 1, "C", "Country")
    assert "plan.xlsx, sheet 'Suppliers', row 1, column 'C': found 'Country'" in str(problem)
    assert "expected each column once" in str(problem)


# ------------------------------------------------------------------ folders
def test_folder_of_workbooks_is_read_as_one_input(tmp_path):
    sheets = base_sheets()
    write_workbook(tmp_path / "in" / "settings.xlsx", {"Settings": sheets["Settings"]})
    write_workbook(tmp_path / "in" / "market.xlsx", {k: sheets[k] for k in ("Minerals", "Suppliers", "Offers")})
    write_workbook(tmp_path / "in" / "Prices.XLSX", {"Prices": [
        {"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 11}]})
    write_workbook(tmp_path / "in" / "funding.xlsx", {"Funding": sheets["Funding"]})
    (tmp_path / "in" / "readme.txt").write_text("not a workbook, not read")
    data, problems = load(tmp_path / "in")
    assert errors(problems) == []
    assert data.offers[("S1", "ga")].price(2) == 11
    assert sorted(Path(f.path).name for f in data.input_files) == \
        ["Prices.XLSX", "funding.xlsx", "market.xlsx", "settings.xlsx"]


def test_lock_files_in_a_folder_are_ignored(tmp_path):
    write_workbook(tmp_path / "in" / "plan.xlsx", base_sheets())
    (tmp_path / "in" / "~$plan.xlsx").write_bytes(b"\x00owner-name-of-the-open-file")
    data, problems = load(tmp_path / "in")
    assert problems == []
    assert [Path(f.path).name for f in data.input_files] == ["plan.xlsx"]


def test_sheet_in_two_files_is_an_error_naming_both(tmp_path):
    sheets = base_sheets()
    write_workbook(tmp_path / "in" / "a_main.xlsx", sheets)
    write_workbook(tmp_path / "in" / "b_update.xlsx", {"offers": sheets["Offers"]})
    _, problems = load(tmp_path / "in")
    problem = only(problems, "two files")
    assert (Path(problem.file).name, problem.sheet) == ("b_update.xlsx", "offers")
    assert "a_main.xlsx and b_update.xlsx" in str(problem)
    assert "expected each sheet in one file only" in str(problem)


def test_sheet_twice_in_one_workbook_is_an_error(tmp_path):
    sheets = base_sheets()
    sheets["Offers "] = sheets["Offers"]  # differs from 'Offers' only by a trailing space
    _, problems = load(write_workbook(tmp_path / "plan.xlsx", sheets))
    problem = only(problems, "twice in the workbook")
    assert (Path(problem.file).name, problem.sheet) == ("plan.xlsx", "Offers ")
    assert "'Offers' and 'Offers '" in str(problem)


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "~$old.xlsx").write_bytes(b"lock")
    raw, problems = read_input(tmp_path / "in")
    problem = only(problems.items, "no .xlsx workbook")
    assert problem.file == str(tmp_path / "in")
    assert str(problem).startswith("error: in: ")
    assert raw.sheets == {}


def test_missing_path_is_an_error(tmp_path):
    raw, problems = read_input(tmp_path / "nowhere.xlsx")
    problem = only(problems.items, "does not exist")
    assert problem.file == str(tmp_path / "nowhere.xlsx")
    assert "nowhere.xlsx" in str(problem) and "expected a .xlsx workbook or a folder" in str(problem)


# ------------------------------------------------------------ broken files
def test_text_file_renamed_xlsx_is_an_error(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("supplier,mineral,unit_price\nS1,ga,10\n")
    _, problems = read_input(path)
    problem = only(problems.items, "expected a valid .xlsx workbook")
    assert problem.file == str(path)
    assert str(problem).startswith("error: plan.xlsx: ")


def test_damaged_zip_is_an_error_without_a_traceback(tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", base_sheets()).read_bytes()
    for name, content in {
        "truncated.xlsx": good[: len(good) // 2],  # no central directory
        "scrambled.xlsx": good[:200] + bytes(len(good) - 400) + good[-200:],  # directory, garbage parts
    }.items():
        path = tmp_path / name
        path.write_bytes(content)
        raw, problems = read_input(path)
        problem = only(problems.items, "workbook")
        assert Path(problem.file).name == name
        assert "expected a valid .xlsx workbook" in str(problem)


def test_file_that_is_not_a_workbook_is_an_error(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("supplier,mineral\n")
    _, problems = read_input(path)
    problem = only(problems.items, "not an Excel workbook")
    assert "plan.csv" in str(problem) and "expected a .xlsx file" in str(problem)


def test_xlsm_is_read_with_a_warning_that_macros_never_run(tmp_path):
    path = write_workbook(tmp_path / "plan.xlsm", base_sheets())
    data, problems = load(path)
    problem = only(problems, "macros", WARNING)
    assert problem.file == str(path)
    assert "plan.xlsm" in str(problem) and "never run" in str(problem)
    assert data is not None


# ----------------------------------------------------------------- formulas
def test_formula_without_saved_value_is_an_error_naming_the_cell(tmp_path):
    book = base_book(skip=("Offers",))
    add_table(book, "Offers", [["supplier", "mineral", "unit_price", "check"], ["S1", "ga", "=4*2.5", "=C2>0"]])
    book["Suppliers"]["C1"] = '="risk"&"_score"'  # a header cell too
    book.save(tmp_path / "plan.xlsx")  # openpyxl saves formulas without a calculated value
    data, problems = load(tmp_path / "plan.xlsx")
    cell = only(problems, "'=4*2.5'")
    assert (cell.sheet, cell.row, cell.column, cell.value) == ("Offers", 2, "unit_price", "=4*2.5")
    assert "plan.xlsx, sheet 'Offers', row 2, column 'unit_price': found '=4*2.5'; the formula has no saved " \
           "value" in str(cell)
    assert "open and save the workbook in Excel" in str(cell)
    header = only(problems, "risk")
    assert (header.sheet, header.row, header.column) == ("Suppliers", 1, "C")
    # Only these two: not again as a bad number, and not for the ignored column 'check'.
    assert len(errors(problems)) == 2
    assert data is None


def test_formula_with_saved_value_is_read_as_that_value(tmp_path):
    book = base_book(skip=("Offers",))
    add_table(book, "Offers", [["supplier", "mineral", "unit_price"], ["S1", "ga", "=4*2.5"]])
    path = tmp_path / "plan.xlsx"
    book.save(path)
    # Excel saves the formula and its last calculated value: <c><f>4*2.5</f><v>10</v></c>.
    rewrite_sheet_xml(path, 5, lambda xml: xml.replace("<f>4*2.5</f><v />", "<f>4*2.5</f><v>10</v>"))
    assert "<v>10</v>" in zipfile.ZipFile(path).read("xl/worksheets/sheet5.xml").decode()
    data, problems = load(path)
    assert errors(problems) == []
    assert data.offers[("S1", "ga")].unit_price == 10.0


def test_input_hash_covers_every_file(tmp_path):
    sheets = base_sheets()
    first, _ = read_input(write_workbook(tmp_path / "a.xlsx", sheets))
    sheets["Offers"][0]["unit_price"] = 11
    second, _ = read_input(write_workbook(tmp_path / "b" / "a.xlsx", sheets))
    assert len(first.sha256) == 64 and first.sha256 != second.sha256
