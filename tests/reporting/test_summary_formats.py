"""The key/value Summary sheets show each value in the format of its key; the cells keep every digit."""

from __future__ import annotations

import openpyxl
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.reporting.workbook import COUNT, GAP, MONEY, SECONDS, summary_format
from optimizer.reporting.xlsx import money_format
from workbooks import base_sheets, write_workbook


def test_each_summary_key_has_the_format_of_what_it_counts():
    assert [summary_format(key) for key in ("objective", "penalty_cost", "best_bound", "change_value",
                                            "objective_allowed", "mean_penalty", "standard error of mean_penalty")] \
        == [MONEY] * 7
    assert [summary_format(key) for key in ("mip_gap", "mip_gap_before_stability")] == [GAP, GAP]
    assert [summary_format(key) for key in ("solve_seconds", "seconds_write", "analysis_time_s")] == [SECONDS] * 3
    assert [summary_format(key) for key in ("model_binaries", "orders_added", "samples")] == [COUNT] * 3
    assert [summary_format(key) for key in ("status", "input_sha256", "num_periods")] == [None] * 3


def test_the_plans_summary_cells_carry_their_formats_and_every_digit(tmp_path):
    """5 t of ga in each of 3 periods at 10 a t: objective 150, written as 150 with the money format."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    source = write_workbook(tmp_path / "in.xlsx", sheets)
    result = CliRunner().invoke(main, ["run", str(source), "--output", str(tmp_path / "plan.xlsx"), "--no-explain"])
    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Summary"]
    cells = {row[0].value: row[1] for row in summary.iter_rows(min_row=2)}
    assert cells["objective"].value == 150 and cells["objective"].number_format == money_format("USD", 2)
    assert cells["mip_gap"].number_format == GAP
    assert cells["solve_seconds"].number_format == SECONDS
    assert cells["model_binaries"].number_format == COUNT
    assert cells["status"].value == "optimal"


def test_revenues_are_money_the_cvar_level_a_share_and_solver_start_says_none(tmp_path):
    """sales_revenue (-644000.000000031 on the example, shown raw) and release_revenue are money; cvar_level
    0.95 is 95.0%; solver_start says in words what HiGHS started from (was "the given start", or blank)."""
    from optimizer.reporting.workbook import NO_START, SHARE
    from optimizer.solving.highs import GIVEN_START

    assert [summary_format(key) for key in ("sales_revenue", "release_revenue", "cvar_level")] == [MONEY, MONEY, SHARE]
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    source = write_workbook(tmp_path / "in.xlsx", sheets)
    result = CliRunner().invoke(main, ["run", str(source), "--output", str(tmp_path / "plan.xlsx"), "--no-explain"])
    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Summary"]
    cells = {row[0].value: row[1] for row in summary.iter_rows(min_row=2)}
    assert cells["cvar_level"].number_format == SHARE
    assert cells["solver_start"].value == GIVEN_START  # the commitments-alone start of a first plan
    assert NO_START.startswith("none")
