"""The summary after ``optimize run``: status, cost breakdown, funding, largest orders, shortfalls."""

from __future__ import annotations

from click.testing import CliRunner

from optimizer.cli import main
from optimizer.reporting.terminal import table
from workbooks import base_sheets, write_workbook


def short_by_capacity(tmp_path):
    """10 t wanted in period 1, 6 t can be bought: 4 t short, and the capacity is why."""
    sheets = base_sheets(1)
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 10}]
    sheets["Offers"][0]["max_per_period"] = 6
    return write_workbook(tmp_path / "in.xlsx", sheets)


def test_run_prints_readable_tables_on_standard_error(tmp_path):
    source = short_by_capacity(tmp_path)
    result = CliRunner().invoke(main, ["run", str(source), "--output", str(tmp_path / "out.xlsx"), "--json"])
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "optimal (gap 0%): expected cost 460 USD" in err  # 6 x 10 + 4 x 100
    for heading in ("Cost breakdown", "Funding", "Largest orders (1 of 1)", "Shortfalls (expected, summed over periods)",
                    "Why short (one limit lifted at a time)"):
        assert heading in err
    assert "  Shortfall penalty (expected)  400   87.0%" in err
    assert "  S1        ga            1       6 t        60" in err
    assert "capacity 100%" in err
    assert result.stdout.startswith("{")  # --json still prints only the Summary on standard output


def test_no_explain_skips_the_causes(tmp_path):
    source = short_by_capacity(tmp_path)
    result = CliRunner().invoke(main, ["run", str(source), "--output", str(tmp_path / "out.xlsx"), "--no-explain"])
    assert result.exit_code == 0
    assert "Why short" not in result.stderr and "Shortfalls" in result.stderr


def test_table_pads_columns():
    assert table(["a", "bb"], [["xyz", "1"]]) == ["  a    bb", "  ---  --", "  xyz   1"]
    assert table(["n"], [["6 t"], ["12.5%"], ["text"]])[2:] == ["  6 t", "  12.5%", "  text"]


def test_the_analysis_says_what_it_measures_a_line_per_mineral(tmp_path):
    """The analysis' re-solves print as they go, on standard error, one plain line each (a log reads them too)."""
    source = short_by_capacity(tmp_path)
    result = CliRunner().invoke(main, ["run", str(source), "--output", str(tmp_path / "out.xlsx"), "--explain"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith("  sensitivities: ") and " limit(s) valued in " in line for line in lines)
    assert "  why short: 1 mineral(s), " in result.stderr
    [mineral] = [line for line in lines if line.startswith("  why short [1/1] ga: ")]
    assert " limit(s) measured in " in mineral and "of analysis time left" in mineral
    assert "\r" not in result.stderr  # no bar redrawn in place: a log file reads every line


def test_a_gap_below_a_thousandth_of_a_percent_reads_0():
    from optimizer.reporting.dashboard import gap_text

    assert [gap_text(g) for g in (1.5e-16, 0.0, 0.0025, 0.1245)] == ["0%", "0%", "0.25%", "12%"]
