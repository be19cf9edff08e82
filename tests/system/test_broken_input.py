"""Broken input that once got a traceback or the wrong exit code (issue 18, items 7 to 12).

Each case is a workbook built here, as a colleague's workbook would arrive: money and
quantities beyond what a double and HiGHS can hold, Excel's escaped control characters,
names that only look equal, a name of 32,767 characters, a macOS ``._`` file in the
folder, a watched file that turns into something else, a password-protected workbook,
hidden sheets. Refusals are exit 2 naming file, sheet, row, column and value; nothing is
written. (Item 6, a model too large for memory, is tests/solving/test_size.py.)
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from inputcheck import errors, only, read_and_validate
from optimizer.contract import schema
from optimizer.cli import main
from optimizer.pipeline import load
from optimizer.contract.problems import WARNING, InputRefused
from optimizer.intake.reader import decode_excel_escapes
from optimizer.replan.watch import Watch
from test_hostile_input import parts_of, write_zip
from workbooks import base_sheets, write_workbook


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result, *phrases: str) -> str:
    """Exit 2 with each phrase in the messages, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    return result.stderr


def with_supplier(name: str, offered_as: str | None = None) -> dict:
    """The base plan with its supplier named ``name`` in Suppliers and ``offered_as`` (default the same) in Offers."""
    sheets = base_sheets()
    sheets["Suppliers"][0]["supplier"] = name
    sheets["Offers"][0]["supplier"] = name if offered_as is None else offered_as
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    return sheets


# ------------------------------------------------ 7. money and quantity limits
ROW_OF = {  # a valid row of every sheet with a money or quantity column (base_sheets holds the others)
    "Prices": {"supplier": "S1", "mineral": "ga", "period": 1, "unit_price": 10},
    "Discounts": {"supplier": "S1", "mineral": "ga", "min_quantity": 5, "discount": 0.1},
    "Demand": {"mineral": "ga", "period": 1, "quantity": 5},
    "Targets": {"mineral": "ga", "period": 1, "min_stock": 1},
    "Pipeline": {"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 1},
    "Commitments": {"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 1},
    "Budgets": {"source": "F1", "period": 1, "amount": 100},
    "Projects": {"project": "P", "supplier": "S1", "capex": 1_000},  # S1's offer then needs a max_per_period
    "Contracts": {"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 5},
    "Sales": {"mineral": "ga", "unit_price": 5, "max_per_period": 1, "source": "F1"},
    "ScenarioDemand": {"scenario": "war", "mineral": "ga", "period": 1, "quantity": 5},
    "Conversions": {"conversion": "refine", "from_mineral": "ga", "to_mineral": "ga metal", "yield": 0.9},
}
NEEDS = {  # the rows another sheet's row names
    "ScenarioDemand": {"Scenarios": [{"scenario": "war", "probability": 0.1, "country": "Canada",
                                      "first_period": 1, "last_period": 1, "supply_loss": 0}]},
    "Conversions": {"Minerals": [{"mineral": "ga", "unit": "t", "shortfall_penalty": 100},
                                 {"mineral": "ga metal", "unit": "t", "shortfall_penalty": 100}]},
}
LIMITED = [(sheet.name, column.name, schema.UNIT_LIMITS[column.unit])
           for sheet in schema.SHEETS for column in sheet.columns if column.unit in schema.UNIT_LIMITS]


def test_every_money_and_quantity_column_has_its_limit():
    """Money: 20 columns (amounts, budgets, prices, agreed prices, floor prices, sale prices, participants'
    prices, costs (a conversion's unit_cost among them), capex, three penalties, change_penalty; a contract's
    unit_price, signing_cost and floor_price); quantities: 16 columns (world_supply, the sales' max_per_period,
    ScenarioDemand's quantity, a conversion's max_per_period and a contract's max_per_period, min_quantity and
    max_quantity among them)."""
    assert len(LIMITED) == 36
    assert {limit for *_, limit in LIMITED} == {1e15, 1e12}
    for sheet in schema.SHEETS:
        for column in sheet.columns:
            if column.unit in schema.UNIT_LIMITS:
                assert column.maximum == schema.UNIT_LIMITS[column.unit], (sheet.name, column.name)


@pytest.mark.parametrize(("sheet", "column", "limit"), LIMITED, ids=[f"{s}.{c}" for s, c, _ in LIMITED])
def test_a_value_above_the_limit_is_an_error_at_its_cell(tmp_path, sheet, column, limit):
    """Ten times the limit in one cell: one error, at that cell, naming the limit."""
    sheets = base_sheets()
    if sheet == "Projects":
        sheets["Offers"][0]["max_per_period"] = 100  # the plant's output needs its capacity
    sheets.update(NEEDS.get(sheet, {}))
    if sheet == "Settings":
        sheets["Settings"][column] = 10 * limit
    else:
        sheets.setdefault(sheet, [dict(ROW_OF.get(sheet, {}))])[0][column] = 10 * limit
    _, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", sheets))
    (error,) = errors(problems)
    assert error.sheet == sheet and (error.column == column or error.column == "value")
    assert f"<= {limit:g} (a larger " in error.expected and "check the units and the decimal point" in error.expected


@pytest.mark.parametrize(("sheet", "column", "value", "limit"), [
    ("Funding", "amount", 1e308, "1e+15"), ("Funding", "amount", 1e20, "1e+15"),
    ("Demand", "quantity", 1e308, "1e+12")])
def test_the_values_that_failed_the_independent_check_are_refused(tmp_path, sheet, column, value, limit):
    """The issue's three: each solved, then failed the independent check (exit 1). Now exit 2, nothing written."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    sheets[sheet][0][column] = value
    output = tmp_path / "out.xlsx"
    result = invoke("run", write_workbook(tmp_path / "plan.xlsx", sheets), "--output", output, "--no-history")
    refused(result, f"error: plan.xlsx, sheet '{sheet}', row 2, column '{column}': found {value!r}; expected a number "
            f">= 0 and <= {limit} (a larger ")
    assert not output.exists()


def test_money_at_the_limit_beside_small_prices_plans_and_passes_the_check(tmp_path):
    """An amount of 1e15 beside a price of 10: 5 t cost 50. Money scaled by the amount alone made
    that 5e-9 model units, below HiGHS's tolerances, and the plan failed its check; the money unit
    now keeps the cheapest price at 1e-3 units or more (models/scaling.py)."""
    sheets = base_sheets()
    sheets["Funding"][0]["amount"] = 1e15
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    result = invoke("run", write_workbook(tmp_path / "plan.xlsx", sheets), "--output", tmp_path / "out.xlsx",
                    "--no-history", "--no-explain")
    assert result.exit_code == 0, result.output
    assert "expected cost 50 USD" in result.stderr


def test_cover_periods_asking_for_more_than_the_quantity_limit_is_refused_without_walking_them(tmp_path):
    """cover_periods 1e12 of a demand of 5 per period: a target of 5e12, above 1e12. The cover is
    summed from the Demand rows (optimizer/contract/cover.py), not period by period: 1e12 steps would never end."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    sheets["Targets"] = [{"mineral": "ga", "period": 1, "cover_periods": 1e12}]
    _, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", sheets))
    error = only(problems, "cover_periods 1e+12 asks for a stock of 5e+12; expected a target of at most 1e+12")
    assert (error.sheet, error.row, error.column) == ("Targets", 2, "cover_periods")


# ------------------------------------------- 8. Excel's escaped characters
def with_shared_strings(tmp_path: Path, sheets: dict, texts: dict[str, str]) -> Path:
    """The workbook with Suppliers cells (e.g. "A2") replaced by shared strings holding ``texts`` as written
    in the XML, escapes and all, the way Excel stores text (openpyxl writes inline strings)."""
    parts = parts_of(write_workbook(tmp_path / "inline.xlsx", sheets))
    xml = parts["xl/worksheets/sheet3.xml"].decode()  # Settings, Minerals, Suppliers, ...
    items = []
    for index, (cell, text) in enumerate(texts.items()):
        start = xml.index(f'<c r="{cell}"')
        end = xml.index("</c>", start) + len("</c>")
        xml = xml[:start] + f'<c r="{cell}" t="s"><v>{index}</v></c>' + xml[end:]
        items.append(f"<si><t>{text}</t></si>")
    parts["xl/worksheets/sheet3.xml"] = xml.encode()
    parts["xl/sharedStrings.xml"] = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                     + "".join(items) + "</sst>").encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    return write_zip(tmp_path / "escaped.xlsx", parts)


def test_an_escaped_control_character_is_refused_at_its_cell(tmp_path):
    """'S1_x0001_' in the shared strings is 'S1' and the control character U+0001 to Excel: it once
    passed validation as another supplier and ended in exit 1 ('... is not an offer')."""
    path = with_shared_strings(tmp_path, with_supplier("S1"), {"A2": "S1_x0001_"})
    output = tmp_path / "out.xlsx"
    refused(invoke("run", path, "--output", output, "--no-history"),
            "error: escaped.xlsx, sheet 'Suppliers', row 2, column 'supplier': found 'S1\\x01'; expected a text "
            "without invisible characters; character 3 is U+0001 (a control character)")
    assert not output.exists()


def test_escaped_printable_characters_are_read_as_excel_shows_them(tmp_path):
    """'Soci_x00E9_t_x00E9_' is 'Société' in Excel, the name the Offers sheet uses; '_x005F_' is an
    underscore, so '_x005F_x0031_' is the text '_x0031_', not '1'."""
    path = with_shared_strings(tmp_path, with_supplier("placeholder", offered_as="Société"),
                               {"A2": "Soci_x00E9_t_x00E9_"})
    data, problems = read_and_validate(path)
    assert errors(problems) == [] and list(data.suppliers) == ["Société"]
    assert decode_excel_escapes("S_x005F_x0031_") == "S_x0031_" and decode_excel_escapes("a_x0031_") == "a1"


# ----------------------------------------------------- 9. names that look equal
def test_a_zero_width_space_is_refused_with_its_code_point(tmp_path):
    _, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", with_supplier("S\u200b1", "S1")))
    error = only(problems, "character 2 is U+200B ZERO WIDTH SPACE (an invisible format character), which prints "
                           "as nothing, so two names that look the same would differ: retype the name without it")
    assert (error.sheet, error.row, error.column, error.value) == ("Suppliers", 2, "supplier", "S\u200b1")


@pytest.mark.parametrize("character", ["\u00ad", "\u2060", "\ufeff", "\u202e", "\u200e", "\u2028"],
                         ids=["soft hyphen", "word joiner", "byte order mark", "right-to-left override",
                              "left-to-right mark", "line separator"])
def test_other_invisible_characters_are_refused(tmp_path, character):
    _, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", with_supplier(f"S{character}1", "S1")))
    only(problems, f"character 2 is U+{ord(character):04X}")


def test_composed_and_decomposed_accents_are_one_name(tmp_path):
    """'Société' typed with é (U+00E9) in Suppliers and with e + U+0301 in Offers: one supplier, in NFC."""
    composed, decomposed = "Société", unicodedata.normalize("NFD", "Société")
    assert composed != decomposed
    data, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", with_supplier(composed, decomposed)))
    assert errors(problems) == [] and list(data.suppliers) == [composed] and list(data.offers) == [(composed, "ga")]


def test_two_rows_of_one_name_in_two_encodings_are_the_same_supplier_twice(tmp_path):
    sheets = with_supplier("Société")
    sheets["Suppliers"].append({"supplier": unicodedata.normalize("NFD", "Société"), "country": "France"})
    _, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", sheets))
    only(problems, "(Société) is given twice, in rows 2 and 3")


def test_a_no_break_space_is_a_space(tmp_path):
    """'Rio Tinto' with U+00A0 between the words in Suppliers, a plain space in Offers: one supplier."""
    data, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", with_supplier("Rio\u00a0Tinto",
                                                                                           "Rio Tinto")))
    assert errors(problems) == [] and list(data.suppliers) == ["Rio Tinto"]


# --------------------------------------------------------- 10. overlong names
def test_a_name_of_32767_characters_is_refused_at_its_cell(tmp_path):
    """Excel's longest cell: once cut on reading without a word; result cells quoting it overflowed."""
    name = "S" * 32_767
    output = tmp_path / "out.xlsx"
    message = refused(invoke("run", write_workbook(tmp_path / "plan.xlsx", with_supplier(name)), "--output", output,
                             "--no-history"),
                      "error: plan.xlsx, sheet 'Suppliers', row 2, column 'supplier': found 'SSSS",
                      "...'; expected a text of at most 200 characters (this one has 32,767)")
    assert "sheet 'Offers', row 2, column 'supplier'" in message and not output.exists()


def test_a_name_of_200_characters_is_accepted_and_a_list_item_counts_alone(tmp_path):
    """200 characters is the limit of a name; a list of countries is a list of names, each within it."""
    sheets = with_supplier("S" * 200)
    sheets["Funding"][0]["excluded_countries"] = ", ".join(f"Country {i:03d}" for i in range(30))  # 359 characters
    data, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", sheets))
    assert errors(problems) == [] and "S" * 200 in data.suppliers
    assert len(data.funding["F1"].excluded_countries) == 30
    sheets["Funding"][0]["excluded_countries"] = "Chile, " + "C" * 201
    _, problems = read_and_validate(write_workbook(tmp_path / "plan.xlsx", sheets))
    only(problems, "expected a comma-separated list of at most 200 characters (this one has 201)")


# ------------------------------------------------ 11. hidden files, watched files
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(100)  # a macOS ._ resource file


def test_hidden_files_of_a_folder_are_skipped(tmp_path):
    folder = tmp_path / "inputs"
    write_workbook(folder / "a.xlsx", base_sheets())
    (folder / "._a.xlsx").write_bytes(APPLE_DOUBLE)
    (folder / ".~a.xlsx.tmp.xlsx").write_bytes(b"half a copy")
    result = invoke("validate", folder)
    assert result.exit_code == 0, result.output
    assert "._a.xlsx" not in result.stderr


def test_a_folder_of_hidden_files_only_says_they_were_skipped(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "._a.xlsx").write_bytes(APPLE_DOUBLE)
    refused(invoke("validate", folder),
            "error: inputs: the folder holds no .xlsx workbook (hidden files are skipped: ._a.xlsx)")


def test_a_watched_file_replaced_by_something_else_is_reported_once_as_refused(tmp_path):
    """A workbook overwritten with bytes that are no zip: a copy stalls for seconds, not half a minute,
    so after 30 s standing still it is read and refused, once; until then it waits like a copy."""
    now = {"t": 0.0}
    outcomes = []

    def plan(target: Path) -> str:
        try:
            load(target)
            return "valid"
        except InputRefused as refusal:
            return str(refusal.problems[0])

    watch = Watch(tmp_path, plan, debounce=2.0, clock=lambda: now["t"], each=True)
    source = write_workbook(tmp_path / "plan.xlsx", base_sheets())
    for t, content in ((0, None), (3, None), (4, b"this is not a workbook any more"), (10, None), (33, None),
                       (35, None), (100, None)):
        now["t"] = float(t)
        if content is not None:
            source.write_bytes(content)
        outcomes += [(t, outcome) for _, outcome in watch.poll()]
    assert [t for t, _ in outcomes] == [3, 35]
    assert outcomes[0][1] == "valid"
    assert outcomes[1][1].startswith("error: plan.xlsx: the file is damaged or is not a workbook")


# ------------------------------------- 12. password-protected workbooks, hidden sheets
def compound_file(stream_name: str) -> bytes:
    """The start of an OLE compound file (the format of encrypted workbooks and .xls) whose directory
    names ``stream_name``: a 512-byte header, then a directory entry (names are UTF-16)."""
    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)
    name = stream_name.encode("utf-16-le") + b"\x00\x00"
    return header + name + bytes(128 - len(name)) + bytes(2048)


def test_a_password_protected_workbook_is_named_as_such(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(compound_file("EncryptionInfo"))
    refused(invoke("validate", path), "error: locked.xlsx: the workbook is password-protected (encrypted); "
                                      "expected a workbook saved without a password")


def test_an_old_xls_renamed_is_named_as_such(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(compound_file("Workbook"))
    refused(invoke("validate", path), "error: old.xlsx: the file is an Excel 97-2003 workbook (.xls)")


def test_hidden_and_very_hidden_sheets_are_read_with_a_warning(tmp_path):
    path = write_workbook(tmp_path / "plan.xlsx", base_sheets())
    book = openpyxl.load_workbook(path)
    book["Minerals"].sheet_state = "hidden"
    book["Funding"].sheet_state = "veryHidden"
    book.save(path)
    data, problems = read_and_validate(path)
    assert errors(problems) == [] and list(data.funding) == ["F1"]
    hidden = only(problems, "the sheet is hidden in Excel; its rows are read and planned all the same", WARNING)
    very = only(problems, "the sheet is very hidden (visible only in the VBA editor)", WARNING)
    assert (hidden.file, hidden.sheet, very.sheet) == (str(path), "Minerals", "Funding")
    result = invoke("validate", path)
    assert result.exit_code == 0 and "warning: plan.xlsx, sheet 'Minerals': the sheet is hidden" in result.stderr
