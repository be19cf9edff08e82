"""--freeze with a project: a frozen order of a plant's output needs the project marked decided.

modelcase.build_or_buy at capex 3,000 (project P, decided in period 1 at the earliest, built by period 3,
life 4): the previous plan (below) ordered 10 t from the plant in period 3; freezing 3 periods.
"""

from __future__ import annotations

from datetime import date

from modelcase import build_or_buy
from workbooks import write_workbook

from optimizer.pipeline import load
from optimizer.replan.changes import PlanView
from optimizer.replan.freeze import freeze_orders


def previous() -> PlanView:
    rows = {("Plant", "ga", 3): {"quantity": 10.0, "unit_price": 20.0, "list_price": 20.0, "cost": 200.0,
                                 "committed": False}}
    return PlanView("run 3", rows, {"objective": 1_900.0}, {}, date(2027, 1, 1), "quarter", run_id=3)


def test_a_frozen_order_of_an_open_project_is_an_error_naming_it(tmp_path):
    """Open project (decision periods 1..2): after the 3 frozen periods no decision period is left, so it
    can never be built (earliest completion: infinity); the frozen order of period 3 cannot stand."""
    data, _ = load(write_workbook(tmp_path / "in.xlsx", build_or_buy(3_000, last_period=2)))
    frozen = freeze_orders(data, previous(), 3)
    [problem] = frozen.problems
    assert problem.severity == "error"
    assert "the output of project 'P', which the previous plan did not decide in the frozen periods" in str(problem)


def test_with_the_project_marked_decided_the_frozen_order_stands(tmp_path):
    """Decided in period 1 (the previous plan's decision): built by period 3, the order fits."""
    data, _ = load(write_workbook(tmp_path / "in.xlsx", build_or_buy(3_000, decided="yes")))
    frozen = freeze_orders(data, previous(), 3)
    assert frozen.problems == [] and frozen.data.commitments == {("Plant", "ga", 3): 10.0}
