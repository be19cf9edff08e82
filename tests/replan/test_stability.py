"""Plan stability: Settings change_penalty prices each unit of change against the previous plan.

The case (replancase.py): 5 t of ga in each of 3 quarters. The previous plan bought it all from S1 at 10.
Now S1 asks 10.5 and S2 10: moving a quarter's 5 t saves 5 x 0.5 = 2.5 and changes 10 units
(5 less from S1, 5 more from S2). At change_penalty 1 that costs 10 > 2.5: every order is kept.
At 0.1 it costs 1 < 2.5: every order moves.
"""

from __future__ import annotations

import openpyxl
import pytest
from replancase import orders, replan, write

from models import build_model
from optimizer.checker import check_result_workbook
from optimizer.replan.history import History
from optimizer.pipeline import load


def first_then_moved(tmp_path, penalty: float):
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx")
    first = replan(source, tmp_path, history)
    assert orders(first) == {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}
    write(source, s1_price=10.5, s2_price=10.0, change_penalty=penalty)
    return replan(source, tmp_path, history)


def summary(path) -> dict:
    sheet = openpyxl.load_workbook(path, read_only=True)["Summary"]
    sheet.reset_dimensions()
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_a_high_change_penalty_keeps_every_order_and_shows_what_it_held_back(tmp_path):
    second = first_then_moved(tmp_path, 1.0)
    plan = second.result.plan
    assert orders(second) == {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}
    assert plan.objective == pytest.approx(157.5)  # the seven contract costs: 15 x 10.5
    assert plan.changes.change_cost == pytest.approx(0.0)
    values = summary(second.output)
    assert values["objective"] == pytest.approx(157.5) and values["change_cost"] == pytest.approx(0.0)
    assert check_result_workbook(second.output, second.result.data) == []  # the seven still add up
    held = plan.changes.frame[plan.changes.frame["change"] == "held"]
    # Without the penalty every quarter would move from S1 to S2: six slots held where they were.
    assert len(held) == 6 and plan.changes.counts["orders_held"] == 6
    assert set(held["without_change_penalty"]) == {0.0, 5.0}
    assert "the change penalty keeps 5 t of ga from S1 in period 1" in " ".join(held["finding"])


def test_a_low_change_penalty_lets_the_orders_move_and_reports_its_cost(tmp_path):
    second = first_then_moved(tmp_path, 0.1)
    plan = second.result.plan
    assert orders(second) == {("S2", 1): 5, ("S2", 2): 5, ("S2", 3): 5}
    assert plan.objective == pytest.approx(150.0)
    assert plan.changes.change_cost == pytest.approx(0.1 * 30)  # 15 t less from S1, 15 t more from S2
    assert summary(second.output)["change_cost"] == pytest.approx(3.0)
    assert plan.changes.counts["orders_held"] == 0
    assert plan.changes.counts["orders_added"] == 3 and plan.changes.counts["orders_removed"] == 3


def test_no_previous_plan_or_no_penalty_adds_nothing_to_the_model(tmp_path):
    """A contract workbook (change_penalty 0, the default) means exactly what it did: no change term."""
    data, _ = load(write(tmp_path / "in.xlsx"))
    previous = {("S1", "ga", 1): 5.0}
    for model in (build_model(data), build_model(data, previous_orders=previous)):
        assert model.component("ChangeUp") is None and "change_cost" not in model.facts.cost_terms
    penalised, _ = load(write(tmp_path / "in2.xlsx", change_penalty=2.0))
    model = build_model(penalised, previous_orders=previous)
    assert len(model.ChangeUp) == len(model.ORDER_SLOTS) == 6  # two non-negative variables per order slot
    assert "change_cost" in model.facts.cost_terms and model.component("ChangeUp") is not None
    assert build_model(penalised).component("ChangeUp") is None  # no previous plan: nothing to stay close to
