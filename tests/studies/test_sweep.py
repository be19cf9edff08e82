"""What-if sweeps: parsing the variations, hand-checked frontiers, the workbook, failures, local and Dask workers.

The instance behind most tests (``budget_input``): demand 5 t of ga in each of 3
periods (15 t), one supplier at 10 per t, shortfall_penalty 100 per t, one
funding source F1 whose amount A is varied. Every unit of money buys 0.1 t that
would otherwise cost 100 in penalty, so the plan spends all of A up to 150:

    objective(A) = A + 100 * (15 - A / 10) = 1500 - 9 A        (0 <= A <= 150)
    objective(0) = 1500, objective(50) = 1050, objective(100) = 600, objective(150) = 150
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import base_sheets, upgrade_sheets, write_workbook

from optimizer import execution
from optimizer.studies import sweep as sweep_module
from optimizer.cli import main
from optimizer.execution import Workers
from optimizer.pipeline import load
from optimizer.studies.sweep import (COUNTRY_SHARE, FUNDING, PRICE_SHOCK, RISK_WEIGHT, Variation, check_variations, grid,
                             parse_values, run_sweep, variations_from_options)

BUDGET_FRONTIER = {0.0: 1500.0, 50.0: 1050.0, 100.0: 600.0, 150.0: 150.0}


def _demand(quantity: float = 5) -> list[dict]:
    return [{"mineral": "ga", "period": t, "quantity": quantity} for t in (1, 2, 3)]


@pytest.fixture
def budget_input(tmp_path: Path) -> Path:
    sheets = base_sheets()
    sheets["Demand"] = _demand()
    return write_workbook(tmp_path / "budget.xlsx", sheets)


@pytest.fixture
def two_supplier_input(tmp_path: Path) -> Path:
    """15 t of ga from S1 (Canada, risk 0, 12 per t) or S2 (China, risk 1, 10 per t); ample money."""
    sheets = base_sheets()
    sheets["Demand"] = _demand()
    sheets["Suppliers"] = [{"supplier": "S1", "country": "Canada", "risk_score": 0},
                           {"supplier": "S2", "country": "China", "risk_score": 1}]
    sheets["Offers"] = [{"supplier": "S1", "mineral": "ga", "unit_price": 12},
                        {"supplier": "S2", "mineral": "ga", "unit_price": 10}]
    return write_workbook(tmp_path / "two suppliers.xlsx", sheets)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def table(path: Path, sheet: str = "Sweep") -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


# --- parsing ------------------------------------------------------------------------------------

def test_values_are_a_range_a_list_or_one_number():
    assert parse_values("5e9:15e9:5") == (5e9, 7.5e9, 10e9, 12.5e9, 15e9)
    assert parse_values("0,0.25, 0.5") == (0.0, 0.25, 0.5)
    assert parse_values("0.65") == (0.65,)
    assert parse_values("2:2:1") == (2.0,)
    for bad in ("1:2", "1:2:0", "1:2:2.5", "a:2:3", "1,x", "nan"):
        with pytest.raises(ValueError):
            parse_values(bad)


def test_options_become_variations_in_order():
    variations = variations_from_options(("Ex-Im loan=5e9:15e9:3",), "0:0.5:6", ("China=0:0.65:5",),
                                         ("gallium=1:2:5",))
    assert [(v.kind, v.name, len(v.values)) for v in variations] == [
        (FUNDING, "Ex-Im loan", 3), (RISK_WEIGHT, None, 6), (COUNTRY_SHARE, "China", 5), (PRICE_SHOCK, "gallium", 5)]
    assert [v.column for v in variations] == ["Ex-Im loan amount", "risk_weight", "China max_share",
                                              "gallium price factor"]
    with pytest.raises(ValueError, match="--funding"):
        variations_from_options(("5e9:15e9:3",))


def test_unknown_names_and_values_out_of_range_are_refused(budget_input):
    data, _ = load(budget_input)
    problems = check_variations([Variation(FUNDING, "f1", (1.0,)), Variation(COUNTRY_SHARE, "Canada", (0.5, 1.5)),
                                 Variation(PRICE_SHOCK, "copper", (0.0,)), Variation(RISK_WEIGHT, None, (-1.0,))],
                                data)
    assert any("'f1': no such funding source; did you mean 'F1'?" in p for p in problems)
    assert any("Canada max_share: found 1.5; expected a share in [0, 1]" in p for p in problems)
    assert any("'copper': no such mineral" in p for p in problems)
    assert any("found 0; expected a factor > 0" in p for p in problems)
    assert any("found -1; expected a risk_weight >= 0" in p for p in problems)


def test_variations_combine_as_a_grid_the_last_changing_fastest():
    amount, share = Variation(FUNDING, "F1", (1.0, 2.0)), Variation(COUNTRY_SHARE, "China", (0.0, 0.5, 1.0))
    points = grid([amount, share])
    assert [tuple(value for _, value in p.values) for p in points] == [
        (1.0, 0.0), (1.0, 0.5), (1.0, 1.0), (2.0, 0.0), (2.0, 0.5), (2.0, 1.0)]


# --- frontiers, hand-checked ----------------------------------------------------------------

def test_budget_frontier_matches_the_hand_computed_costs_and_never_rises(budget_input):
    result = run_sweep(budget_input, variations_from_options(("F1=0:150:4",)), Workers(0))
    objectives = {row["F1 amount"]: row["objective"] for row in result.rows}
    assert objectives == pytest.approx(BUDGET_FRONTIER)
    ordered = [objectives[a] for a in sorted(objectives)]
    assert all(later <= earlier + 1e-6 for earlier, later in zip(ordered, ordered[1:])), "more budget never costs more"
    # 150 buys everything: no shortfall; 0 buys nothing: all 15 t short (one scenario, base)
    shortfall = {row["F1 amount"]: row["expected_unmet_demand"] for row in result.rows}
    assert shortfall[150.0] == pytest.approx(0.0, abs=1e-6) and shortfall[0.0] == pytest.approx(15.0)
    assert [row["F1 spent"] for row in result.rows] == pytest.approx([0.0, 50.0, 100.0, 150.0])


def test_risk_frontier_trades_cost_for_lower_value_weighted_risk(two_supplier_input):
    """S2 costs 10 (1 + w) with its risk, S1 12: S2 below w = 0.2, S1 above."""
    result = run_sweep(two_supplier_input, variations_from_options(risk_weight="0,0.1,0.3"), Workers(0))
    rows = {row["risk_weight"]: row for row in result.rows}
    assert rows[0.0]["value_weighted_risk"] == pytest.approx(1.0) and rows[0.0]["cost_excluding_risk"] == pytest.approx(150)
    assert rows[0.1]["risk_cost"] == pytest.approx(0.1 * 150)
    assert rows[0.3]["value_weighted_risk"] == pytest.approx(0.0) and rows[0.3]["cost_excluding_risk"] == pytest.approx(180)


def test_country_share_frontier_prices_going_china_free(two_supplier_input):
    result = run_sweep(two_supplier_input, variations_from_options(country_share=("China=0:1:3",)), Workers(0))
    rows = {row["China max_share"]: row for row in result.rows}
    # China-free: 15 t at 12 = 180; half from China: 7.5 x 10 + 7.5 x 12 = 165; no cap: 150
    assert {s: r["objective"] for s, r in rows.items()} == pytest.approx({0.0: 180.0, 0.5: 165.0, 1.0: 150.0})
    assert {s: r["China share"] for s, r in rows.items()} == pytest.approx({0.0: 0.0, 0.5: 0.5, 1.0: 1.0})


def test_price_shock_raises_the_shortfall_a_fixed_budget_leaves(tmp_path):
    """F1 holds 150: at 10, 20 and 30 per t it buys 15, 7.5 and 5 t of the 15 t demanded."""
    sheets = base_sheets()
    sheets["Demand"] = _demand()
    sheets["Funding"] = [{"source": "F1", "amount": 150}]
    source = write_workbook(tmp_path / "shock.xlsx", sheets)
    result = run_sweep(source, variations_from_options(price_shock=("ga=1:3:3",)), Workers(0))
    shortfall = {row["ga price factor"]: row["shortfall_by_mineral"]["ga"] for row in result.rows}
    assert shortfall == pytest.approx({1.0: 0.0, 2.0: 7.5, 3.0: 10.0}, abs=1e-6)


def test_sale_price_sweep_finds_where_rotation_starts_to_pay(tmp_path):
    """50 t in stock, holding 2 a period, demand 50 t in period 3, buying at 10 only in period 3; a sale of up
    to 50 t in period 1 at price p. Selling a unit and buying it back costs 10 - p and saves 2 x 2 of holding,
    so the plan rotates iff p > 6: p = 4 holds (200), p = 8 sells and buys back 50 t (500 - 400 = 100)."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 3, "quantity": 50}]
    sheets["Minerals"][0].update(initial_stock=50, holding_cost=2)
    sheets["Offers"][0]["first_period"] = 3
    sheets["Sales"] = [{"mineral": "ga", "first_period": 1, "last_period": 1, "unit_price": 5, "max_per_period": 50,
                        "source": "F1"}]
    source = write_workbook(tmp_path / "rotation.xlsx", sheets)
    result = run_sweep(source, variations_from_options(sale_price=("ga=4,8",)), Workers(0))
    assert {row["ga sale price"]: row["objective"] for row in result.rows} == pytest.approx({4.0: 200.0, 8.0: 100.0})


def test_a_sale_price_needs_a_mineral_with_a_sales_row(budget_input):
    data, _ = load(budget_input)
    assert check_variations(variations_from_options(sale_price=("ga=1:2:2",)), data) == [
        "--sale-price 'ga': no such mineral with a Sales row"]


def test_an_infeasible_point_is_a_row_with_the_reason_and_the_others_still_chart(tmp_path):
    """A commitment of 10 t at 10 per t needs 100: an amount of 50 cannot pay it."""
    sheets = base_sheets()
    sheets["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 10}]
    source = write_workbook(tmp_path / "committed.xlsx", sheets)
    output = tmp_path / "committed_sweep.xlsx"
    result = invoke("sweep", source, "--funding", "F1=50,150", "--workers", 0, "--output", output)
    assert result.exit_code == 0, result.output
    infeasible, optimal = table(output)
    assert infeasible["status"] == "infeasible" and infeasible["objective"] is None and infeasible["message"]
    assert optimal["status"] == "optimal" and optimal["objective"] == pytest.approx(100.0)
    [chart] = openpyxl.load_workbook(output)["Charts"]._charts
    assert len(chart.series) == 1


# --- the command and its workbook --------------------------------------------------------------

def test_sweep_command_writes_the_table_and_a_chart_per_frontier(two_supplier_input, tmp_path):
    output = tmp_path / "frontier.xlsx"
    result = invoke("sweep", two_supplier_input, "--funding", "F1=100:200:2", "--country-share", "China=0,1",
                    "--workers", 0, "--output", output)
    assert result.exit_code == 0, result.output
    assert "[4/4]" in result.stderr and "solves per minute" in result.stderr
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Sweep", "Shortfall by mineral", "Charts", "Chart data", "About"]
    rows = table(output)
    assert [(r["F1 amount"], r["China max_share"]) for r in rows] == [(100, 0), (100, 1), (200, 0), (200, 1)]
    assert {"status", "objective", "purchase_cost", "penalty_cost", "expected_shortfall", "value_weighted_risk",
            "China share"} <= set(rows[0])
    # 100 buys 100/12 t China-free, 10 t from China; 200 buys all 15 t either way
    assert [r["objective"] for r in rows] == pytest.approx([100 + 100 * (15 - 100 / 12), 100 + 100 * 5, 180, 150])
    charts = book["Charts"]._charts
    assert [len(c.series) for c in charts] == [2, 2], "one line per value of the other varied input"
    assert book["Sweep"].tables and book["Sweep"].freeze_panes == "A2"


def test_sweep_default_output_goes_to_the_outputs_folder(budget_input, tmp_path):
    outputs = tmp_path / "outputs"
    result = invoke("sweep", budget_input, "--funding", "F1=150", "--workers", 0, "--outputs-dir", outputs)
    assert result.exit_code == 0, result.output
    [written] = outputs.glob("*.xlsx")
    assert written.name.startswith("budget_sweep_")


def test_sweep_command_refuses_bad_options_before_solving(budget_input, tmp_path):
    assert invoke("sweep", budget_input, "--workers", 0).exit_code == 2  # nothing to vary
    assert invoke("sweep", budget_input, "--funding", "F1=1:2").exit_code == 2
    refused = invoke("sweep", budget_input, "--funding", "Ex-Im=1:2:2", "--outputs-dir", tmp_path / "out")
    assert refused.exit_code == 2 and "no such funding source" in refused.stderr
    assert not (tmp_path / "out").exists(), "nothing is written, not even the folder"


def test_sweep_runs_on_local_worker_processes(budget_input, tmp_path):
    output = tmp_path / "local.xlsx"
    result = invoke("sweep", budget_input, "--funding", "F1=0:150:4", "--workers", 2, "--output", output)
    assert result.exit_code == 0, result.output
    assert "2 local worker processes" in result.stderr
    assert {r["F1 amount"]: r["objective"] for r in table(output)} == pytest.approx(BUDGET_FRONTIER)


# --- failures: retried once, then a row --------------------------------------------------------

def test_a_failing_point_is_retried_then_reported_and_a_flaky_one_recovers(budget_input, tmp_path, monkeypatch):
    real = sweep_module.plan_from_data
    calls: dict[float, int] = {}

    def failing(data, stages):
        amount = data.funding["F1"].amount
        calls[amount] = calls.get(amount, 0) + 1
        if amount == 50 or (amount == 100 and calls[amount] == 1):
            raise RuntimeError(f"worker lost at {amount:g}")
        return real(data, stages)

    monkeypatch.setattr(sweep_module, "plan_from_data", failing)
    output = tmp_path / "failures.xlsx"
    result = invoke("sweep", budget_input, "--funding", "F1=0:150:4", "--workers", 0, "--output", output)
    assert result.exit_code == 0, "a failed point is never fatal to the sweep"
    rows = {r["F1 amount"]: r for r in table(output)}
    assert rows[50]["status"] == "error" and rows[50]["attempts"] == 2
    assert rows[50]["message"] == "failed 2 times: RuntimeError: worker lost at 50"
    assert rows[100]["status"] == "optimal" and rows[100]["attempts"] == 2
    assert rows[0]["attempts"] == rows[150]["attempts"] == 1
    assert calls == {0.0: 1, 50.0: 2, 100.0: 2, 150.0: 1}
    assert "trying once more" in result.stderr


# --- Dask (the cluster tests are in test_studies_on_dask.py) -----------------------------------------

def test_an_unreachable_scheduler_is_an_error_not_a_traceback(budget_input, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 1)
    result = CliRunner().invoke(main, ["sweep", str(budget_input), "--funding", "F1=150", "--scheduler",
                                       "tcp://127.0.0.1:9", "--output", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler" in result.stderr


def test_cvar_frontier_trades_expected_cost_for_tail_risk(tmp_path):
    """One period, 10 t of ga; C (China) at 8, K (Canada) at 12, shortfall_penalty 30; 'ban' (0.1) loses China.
    cvar_weight 0: all from C, expected 80 + 0.1 x 300 = 110, CVaR_0.95 the ban's 380 (its 0.1 covers the
    worst 5%). cvar_weight 1: all from K, 120 in every scenario (tests/models/test_model_risk_aversion.py)."""
    sheets = base_sheets(1)
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 10}]
    sheets["Minerals"][0]["shortfall_penalty"] = 30
    sheets["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    sheets["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 8},
                        {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    sheets["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 1,
                            "last_period": 1}]
    source = write_workbook(tmp_path / "tail.xlsx", sheets)
    output = tmp_path / "tail_sweep.xlsx"
    result = invoke("sweep", source, "--cvar-weight", "0:1:2", "--workers", 0, "--output", output)
    assert result.exit_code == 0, result.output
    rows = {r["cvar_weight"]: r for r in table(output)}
    assert (rows[0]["expected_cost"], rows[0]["cvar"]) == pytest.approx((110, 380))
    assert (rows[1]["expected_cost"], rows[1]["cvar"], rows[1]["cvar_cost"]) == pytest.approx((120, 120, 120))
    assert len(openpyxl.load_workbook(output)["Charts"]._charts) == 1


def test_varied_values_read_as_people_write_them():
    from optimizer.studies.sweep import readable

    assert [readable(v) for v in (0, 333333333.33, 2.5e9, 1500, 0.65)] == ["0", "333.3M", "2.5B", "1,500", "0.65"]


def test_a_point_far_above_the_rest_is_left_off_the_top_of_the_frontier():
    """A $0 loan costs about $15B (nearly all penalty), the others about $1B: the axis ends just above
    the others and the $15B point is named in the title instead of squashing them."""
    from optimizer.studies.sweep_report import axis_end

    top, above = axis_end([15e9, 1.2e9, 1.1e9, 1.05e9, 1.0e9])
    assert above == [15e9] and 1.2e9 < top <= 1.4e9
    assert axis_end([1.2e9, 1.1e9, 1.0e9]) == (None, [])


def test_conversion_capacity_trades_upgrading_against_buying_the_upgrade(tmp_path):
    """The upgrade case (tests/workbooks.py upgrade_sheets, fecr at 25, upgrading a t of fecr costs 24):
    capacity 0, 6 and 10 t of ore cost 125, 122 (6 t converted, 2 t of fecr bought) and 120."""
    source = write_workbook(tmp_path / "upgrade.xlsx", upgrade_sheets(25))
    output = tmp_path / "upgrade_sweep.xlsx"
    result = invoke("sweep", source, "--conversion-capacity", "smelt=0,6,10", "--workers", 0, "--output", output)
    assert result.exit_code == 0, result.output
    rows = {row["smelt max_per_period"]: row["objective"] for row in table(output)}
    assert rows == pytest.approx({0.0: 125.0, 6.0: 122.0, 10.0: 120.0})
    unknown = invoke("sweep", source, "--conversion-capacity", "smelter=1", "--workers", 0)
    assert unknown.exit_code == 2 and "no such conversion" in unknown.output + (unknown.stderr or "")


def test_a_small_sweeps_chart_data_is_in_full_money_and_its_axes_not_in_millions(budget_input, tmp_path):
    """F1 from 100 to 200: objectives of a few hundred dollars. The Chart data cells took the axis's millions
    (every cost read $0M) and the axes ticked 0.00M; now the cells are whole dollars and the axes too."""
    import re
    import zipfile

    from optimizer.reporting.xlsx import money_format

    output = tmp_path / "small.xlsx"
    assert invoke("sweep", budget_input, "--funding", "F1=100:200:2", "--workers", 0, "--output", output).exit_code == 0
    sheet = openpyxl.load_workbook(output)["Chart data"]
    money_cells = [c for row in sheet.iter_rows(min_row=1) for c in row if isinstance(c.value, (int, float))]
    assert money_cells and {c.number_format for c in money_cells} == {money_format("USD")}
    with zipfile.ZipFile(output) as book:
        formats = [f for n in book.namelist() if n.startswith("xl/charts/chart")
                   for f in re.findall(r'formatCode="([^"]*)"', book.read(n).decode())]
    assert formats and not any("M" in f for f in formats)
