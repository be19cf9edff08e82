"""The Projects and Capex sheets, the Dashboard section and the terminal lines of a plan with a project.

modelcase.build_or_buy: at capex 3,000 project P is funded in period 1 (1,900 against 2,000 without it);
at 3,400 it is not (2,000 against 2,100 with it forced).
"""

from __future__ import annotations

from dataclasses import replace

import openpyxl
from modelcase import build_or_buy, run_case

from optimizer.analysis.analyse import project_values
from optimizer.reporting.terminal import summary_lines
from optimizer.solving.budget import TimeBudget


def _sheet(path, title) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[title].values)
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_a_funded_project_reads_as_what_it_saves(tmp_path):
    """Projects: built yes, decision 1, first output 3, capex 3,000 paid, capex_cost 1,500, 20 t bought at
    400, saving 2,000 - 1,900 = 100. Capex: 1,500 from F1 in periods 1 and 2. Spending counts the capex."""
    result = run_case(tmp_path, build_or_buy(3_000))
    [row] = _sheet(result.output, "Projects")
    assert (row["built"], row["decision_period"], row["first_output_period"]) == ("yes", 1, 3)
    assert (row["capex_paid"], row["capex_cost"], row["output_cost"], row["saving"]) == (3_000, 1_500, 400, 100)
    assert row["output_quantity"] == "20 t ga"
    # money in words as every sentence says it; the costs with and without named (was "(2,000)" bare)
    assert row["finding"] == "Funding P saves $100 in expectation (expected cost $1.9K with it, $2K without)."
    assert [(r["source"], r["period"], r["amount"]) for r in _sheet(result.output, "Capex")] == [
        ("F1", 1, 1_500), ("F1", 2, 1_500)]
    spent = {r["period"]: r["spent"] for r in _sheet(result.output, "Spending")}
    assert spent == {1: 1_500, 2: 1_500, 3: 200, 4: 200}
    dashboard = [cell for row in openpyxl.load_workbook(result.output, read_only=True)["Dashboard"].values
                 for cell in row if isinstance(cell, str)]
    assert "Projects (build versus buy)" in dashboard
    lines = summary_lines(result.plan, result.data)
    assert any(line.strip().startswith("P (Plant): funded in period 1, output from period 3 ($3K of capex paid, "
                                       "$1.5K of it charged to the horizon). Funding P saves $100") for line in lines)


def test_a_project_left_reads_as_what_it_would_cost(tmp_path):
    """capex 3,400: not funded; forced, the plan costs 2,100: 100 more."""
    result = run_case(tmp_path, build_or_buy(3_400))
    [row] = _sheet(result.output, "Projects")
    assert (row["built"], row["decision_period"], row["capex_paid"], row["saving"]) == ("no", None, 0, -100)
    assert "would cost $100 more in expectation (expected cost $2.1K with it, $2K without)" in row["finding"]
    assert _sheet(result.output, "Capex") == []


def test_projects_are_measured_largest_capex_first_while_time_lasts(tmp_path):
    """Two projects, no analysis time left: neither is measured, the larger capex (Q, 5,000) listed first,
    each named as not measured."""
    result = run_case(tmp_path, build_or_buy(3_000))
    data = result.data
    q = replace(data.projects["P"], name="Q", capex=5_000)
    data = replace(data, projects={**data.projects, "Q": q})
    values = project_values(data, result.plan, TimeBudget(0.0))
    assert [v.project for v in values] == ["Q", "P"]
    assert all(v.objective is None and "no time left" in v.note for v in values)
