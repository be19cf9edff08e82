"""``optimize template``: every sheet and column of the contract, notes, validation, example rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.contract import schema
from optimizer.checker import check_result_workbook
from optimizer.cli import main
from optimizer.pipeline import load, run


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "planning.xlsx"
    result = invoke("template", path)
    assert result.exit_code == 0, result.output
    return path


def test_every_sheet_and_column_of_the_contract(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == [sheet.name for sheet in schema.SHEETS] + ["About"]  # About: read by people only
    for sheet in schema.SHEETS:
        if sheet.key_value:
            keys = [row[0] for row in book[sheet.name].iter_rows(min_row=2, values_only=True)]
            assert keys == [c.name for c in sheet.columns]
            continue
        assert [c.value for c in book[sheet.name][1]] == [c.name for c in sheet.columns]


def test_each_header_has_a_note_with_meaning_unit_and_default(template):
    book = openpyxl.load_workbook(template)
    price = book["Offers"]["C1"]
    assert price.value == "unit_price"
    assert "Price per unit" in price.comment.text and "Unit: currency/unit." in price.comment.text
    assert "Default: required." in price.comment.text and "Valid: a number > 0 and <= 1e+15." in price.comment.text
    assert "Default: quarter." in book["Settings"]["A3"].comment.text  # period_unit's row
    assert all(cell.comment is not None for cell in book["Funding"][1])


def test_data_validation_lists_and_ranges(template):
    book = openpyxl.load_workbook(template)
    offers = {tuple(str(r) for r in dv.sqref.ranges): dv for dv in book["Offers"].data_validations.dataValidation}
    by_column = {key[0][0]: dv for key, dv in offers.items()}
    assert by_column["A"].type == "list" and by_column["A"].formula1 == "Suppliers!$A$2:$A$1001"
    assert by_column["B"].formula1 == "Minerals!$A$2:$A$1001"
    assert by_column["C"].type == "decimal" and by_column["C"].operator == "greaterThan"
    assert by_column["D"].type == "whole" and by_column["D"].operator == "greaterThanOrEqual"
    scenarios = {str(dv.sqref).split(":")[0][0]: dv for dv in book["Scenarios"].data_validations.dataValidation}
    assert scenarios["C"].formula1 == "Suppliers!$B$2:$B$1001"  # countries come from the suppliers
    # between is the default operator of the file format: XlsxWriter leaves it out
    assert scenarios["B"].type == "decimal" and scenarios["B"].operator in (None, "between")
    assert (float(scenarios["B"].formula1), float(scenarios["B"].formula2)) == (0, 1)
    budgets = {str(dv.sqref).split(":")[0][0]: dv for dv in book["Budgets"].data_validations.dataValidation}
    assert budgets["A"].formula1 == "Funding!$A$2:$A$1001"
    settings = [dv for dv in book["Settings"].data_validations.dataValidation if dv.type == "list"]
    assert any('"month,quarter,year"' == dv.formula1 for dv in settings)


def test_the_example_rows_validate_cleanly_and_plan(template, tmp_path):
    data, warnings = load(template)
    assert warnings == []
    assert len(data.minerals) == 3 and data.targets[("germanium", 4)] == pytest.approx(0.5)  # 2 periods of cover
    assert data.scenario_demand == {("China ban", "gallium", 3): 0.6}
    assert data.conversions["GeO2 to Ge metal"].supplier == "BE Specialty Metals Refiner"
    assert data.commitment_prices == {("JP Gallium Recycler", "gallium", 1): 520_000}  # one agreed, one not
    assert ("JP Gallium Recycler", "gallium", 2) in data.commitments
    result = invoke("validate", template)
    assert result.exit_code == 0 and "valid: 3 minerals" in result.stderr
    planned = run(template, tmp_path / "plan.xlsx")
    assert planned.exit_code == 0
    assert check_result_workbook(planned.output, planned.data) == []
    agreed = planned.plan.orders.set_index(["supplier", "period"]).loc[("JP Gallium Recycler", 1)]
    assert agreed["unit_price"] == 520_000 and agreed["cost"] == pytest.approx(0.5 * 520_000 + 50_000)


def test_blank_template_and_no_overwrite(tmp_path, template):
    blank = tmp_path / "blank.xlsx"
    assert invoke("template", blank, "--blank").exit_code == 0
    book = openpyxl.load_workbook(blank)
    assert book["Offers"].max_row == 1  # headers only
    assert [row[1] for row in book["Settings"].iter_rows(min_row=2, values_only=True)] == \
        [None] * len(schema.SETTINGS.columns)
    before = template.read_bytes()
    again = invoke("template", template)
    assert again.exit_code == 1 and "exists" in again.stderr
    assert template.read_bytes() == before
