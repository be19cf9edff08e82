"""The command line: exit codes, outputs, --json, progress, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from optimizer.reporting.xlsx import money_format
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.checker import check_result_workbook
from optimizer.pipeline import load
from workbooks import base_sheets, write_workbook


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    """Demand of 5 t of ga in each of 3 periods, bought from S1 at 10 per t: objective 150."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return write_workbook(tmp_path / "plan input.xlsx", sheets)


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_run_writes_a_checked_plan_and_prints_json(small_input, tmp_path):
    output = tmp_path / "result.xlsx"
    result = invoke("run", small_input, "--output", output, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(150.0)
    assert summary["purchase_cost"] == pytest.approx(150.0)
    data, _ = load(small_input)
    assert check_result_workbook(output, data) == []
    # progress names each stage on standard error
    for stage in ("read", "validate", "build", "solve", "write"):
        assert stage in result.stderr


def test_run_without_output_writes_into_the_outputs_folder(small_input, tmp_path):
    outputs = tmp_path / "outputs"
    first = invoke("run", small_input, "--outputs-dir", outputs)
    second = invoke("run", small_input, "--outputs-dir", outputs)
    assert first.exit_code == second.exit_code == 0
    written = sorted(outputs.glob("*.xlsx"))
    # two runs in the same second never overwrite each other
    assert len(written) == 2
    assert all(p.name.startswith("plan input_plan_") for p in written)
    assert not list(outputs.glob("*.tmp*")), "no temporary file is left behind"


def test_result_workbook_has_the_contract_sheets_as_formatted_tables(small_input, tmp_path):
    output = tmp_path / "result.xlsx"
    assert invoke("run", small_input, "--output", output).exit_code == 0
    book = openpyxl.load_workbook(output)
    contract = [name for name in book.sheetnames if name in ("Summary", "Orders", "Funding", "Stock")]
    assert contract == ["Summary", "Orders", "Funding", "Stock"]
    for name in ("Mix", "Spending", "Shortfall"):
        assert name in book.sheetnames
    orders = book["Orders"]
    assert [c.value for c in orders[1]][:8] == ["supplier", "mineral", "country", "period", "arrival_period",
                                               "quantity", "unit_price", "cost"]
    assert orders.freeze_panes == "A2"
    assert "OrdersTable" in orders.tables
    assert orders["H2"].number_format == money_format("USD")  # cost: whole dollars with separators
    keys = {row[0] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert {"status", "objective", "purchase_cost", "order_cost", "onboarding_cost", "financing_cost", "risk_cost",
            "holding_cost", "penalty_cost", "mip_gap", "solve_seconds", "input_sha256"} <= keys


def test_refused_input_exits_2_and_writes_nothing(tmp_path):
    sheets = base_sheets()
    sheets["Offers"][0]["unit_price"] = "ten"
    bad = write_workbook(tmp_path / "bad.xlsx", sheets)
    before = bad.read_bytes()
    outputs = tmp_path / "outputs"
    result = invoke("run", bad, "--outputs-dir", outputs)
    assert result.exit_code == 2
    assert "sheet 'Offers', row 2, column 'unit_price': found 'ten'" in result.stderr
    assert "input refused: 1 error; nothing was written" in result.stderr  # was "1 error(s)"
    assert "Traceback" not in result.output
    assert not outputs.exists() or not any(outputs.iterdir())
    assert bad.read_bytes() == before


def test_output_over_an_input_is_refused(small_input):
    before = small_input.read_bytes()
    result = invoke("run", small_input, "--output", small_input)
    assert result.exit_code == 2
    assert "overwrite an input" in result.stderr
    assert small_input.read_bytes() == before


def test_validate_reports_a_valid_input(small_input):
    result = invoke("validate", small_input)
    assert result.exit_code == 0
    assert "valid: 1 mineral," in result.stderr  # singular: "1 scenarios" read badly


def test_missing_input_exits_2(tmp_path):
    result = invoke("validate", tmp_path / "nowhere.xlsx")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
