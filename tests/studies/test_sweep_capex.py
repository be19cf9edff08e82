"""``optimize sweep --capex``: the frontier of a project's capex and the break-even read from it.

modelcase.build_or_buy: buying costs 2,000; building costs 400 + capex / 2 (capex_cost: 2 output
periods of life 4). Break-even: capex 3,200.

    capex   2,800   3,000   3,200        3,400   3,600
    built   yes     yes     yes or no    no      no
    cost    1,800   1,900   2,000        2,000   2,000

At 3,200 both plans cost 2,000: either may be returned, so the sweep's values skip it.
"""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner
from modelcase import build_or_buy
from workbooks import write_workbook

from optimizer.cli import main
from optimizer.execution import Workers
from optimizer.studies.sweep import run_sweep, variations_from_options
from optimizer.studies.sweep_report import break_even


def test_the_capex_frontier_and_its_break_even(tmp_path):
    source = write_workbook(tmp_path / "project.xlsx", build_or_buy(3_000))
    variations = variations_from_options(capex=("P=2800,3000,3400,3600",))
    result = run_sweep(source, variations, Workers(0))
    assert [row["P capex"] for row in result.rows] == [2_800, 3_000, 3_400, 3_600]
    assert [row["P built"] for row in result.rows] == [1, 1, 0, 0]
    assert [row["objective"] for row in result.rows] == pytest.approx([1_800, 1_900, 2_000, 2_000])
    assert break_even(result, variations[0]) == ("between 3,000 and 3,400 USD; about 3,200 USD where the cost "
                                                 "lines meet")


def test_the_capex_option_writes_the_break_even_on_the_about_sheet(tmp_path):
    source = write_workbook(tmp_path / "project.xlsx", build_or_buy(3_000))
    output = tmp_path / "capex sweep.xlsx"
    result = CliRunner().invoke(main, ["sweep", str(source), "--capex", "P=2800:3000:2", "--workers", "0",
                                       "--output", str(output)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    about = dict(openpyxl.load_workbook(output, read_only=True)["About"].iter_rows(min_row=2, values_only=True))
    assert about["--capex"] == "P: 2,800; 3,000"
    assert about["break-even P capex"] == "funded at every capex swept (up to 3,000 USD)"


def test_an_unknown_project_is_refused_before_solving(tmp_path):
    source = write_workbook(tmp_path / "project.xlsx", build_or_buy(3_000))
    result = CliRunner().invoke(main, ["sweep", str(source), "--capex", "Q=1:2:2", "--workers", "0"])
    assert result.exit_code == 2
    assert "--capex 'Q': no such project" in result.output
