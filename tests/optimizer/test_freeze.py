"""Frozen orders: the previous plan's first periods become commitments; a re-plan never drops them silently."""

from __future__ import annotations

from datetime import date

import pytest
from replancase import orders, replan, sheets, write
from workbooks import write_workbook

from optimizer.changes import PlanView
from optimizer.freeze import freeze_orders
from optimizer.history import History
from optimizer.pipeline import load
from optimizer.replan import Options, plan_input


def view(quantities: dict, start: date | None = date(2027, 1, 1)) -> PlanView:
    rows = {("S1", "ga", t): {"quantity": q, "unit_price": 10.0, "list_price": 10.0, "cost": 10.0 * q,
                              "committed": False} for t, q in quantities.items()}
    return PlanView("run 7", rows, {"objective": 150.0}, {}, start, "quarter", run_id=7)


def test_orders_of_the_first_periods_become_commitments(tmp_path):
    data, _ = load(write(tmp_path / "in.xlsx"))
    frozen = freeze_orders(data, view({1: 5.0, 2: 5.0, 3: 5.0}), 2)
    assert frozen.data.commitments == {("S1", "ga", 1): 5.0, ("S1", "ga", 2): 5.0}
    assert frozen.slots == {("S1", "ga", 1), ("S1", "ga", 2)} and frozen.problems == []
    assert data.commitments == {}  # the original data is untouched (frozen dataclass, replaced)


def test_the_workbooks_commitment_stands_with_a_warning(tmp_path):
    book = sheets()
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 7}]
    data, _ = load(write_workbook(tmp_path / "in.xlsx", book))
    frozen = freeze_orders(data, view({1: 5.0}), 1)
    assert frozen.data.commitments == {("S1", "ga", 1): 7.0}
    assert [p.severity for p in frozen.problems] == ["warning"]
    assert "the workbook's commitment stands" in str(frozen.problems[0])


def test_a_later_start_date_shifts_periods_and_leaves_past_orders_out(tmp_path):
    """The horizon moved on by one quarter: old period 2 is new period 1; old period 1 is past."""
    data, _ = load(write(tmp_path / "in.xlsx", start_date=date(2027, 4, 1)))
    frozen = freeze_orders(data, view({1: 5.0, 2: 6.0, 3: 7.0}), 2)
    assert frozen.data.commitments == {("S1", "ga", 1): 6.0}
    assert len(frozen.problems) == 1 and "lies before the new horizon" in str(frozen.problems[0])


@pytest.mark.parametrize("change, expected", [
    ({"max_per_period": 4}, "above max_per_period 4"),
    ({"min_order": 6}, "below min_order 6"),
    ({"first_period": 2}, "it can be ordered only in periods 2-3"),
])
def test_a_frozen_order_that_no_longer_fits_its_offer_is_an_error(tmp_path, change, expected):
    book = sheets()
    book["Offers"][0].update(change)
    data, _ = load(write_workbook(tmp_path / "in.xlsx", book))
    problems = freeze_orders(data, view({1: 5.0}), 1).problems
    assert [p.severity for p in problems] == ["error"]
    message = str(problems[0])
    assert "frozen order of 5 ga from S1 in period 1 (from run 7) no longer fits its offer" in message
    assert expected in message


def test_replan_with_freeze_keeps_placed_orders_that_a_price_move_would_cancel(tmp_path):
    """S1 at 10 wins every quarter; then S1 rises to 13 above S2's 12. Unfrozen, every order moves to S2
    (objective 3 x 5 x 12 = 180); with --freeze 1 the first quarter's S1 order stays: 65 + 120 = 185."""
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx")
    first = replan(source, tmp_path, history)
    assert orders(first) == {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}
    write(source, s1_price=13.0)
    unfrozen = replan(source, tmp_path, None, previous_plan=first.output)
    assert orders(unfrozen) == {("S2", 1): 5, ("S2", 2): 5, ("S2", 3): 5}
    assert unfrozen.result.plan.objective == pytest.approx(180.0)  # no stock is held over a quarter
    frozen = replan(source, tmp_path, history, freeze=1)
    assert orders(frozen) == {("S1", 1): 5, ("S2", 2): 5, ("S2", 3): 5}
    assert frozen.result.plan.objective == pytest.approx(185.0)
    assert frozen.result.plan.orders.set_index("supplier").loc["S1", "committed"]
    assert history.get(frozen.run_id).frozen_orders == 1 and history.get(frozen.run_id).previous_run_id == 1
    assert frozen.result.plan.changes.counts["orders_frozen"] == 1


def test_replan_refuses_when_a_frozen_order_no_longer_fits(tmp_path):
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "prices.xlsx")
    replan(source, tmp_path, history)
    book = sheets()
    book["Offers"][0]["max_per_period"] = 4
    write_workbook(source, book)
    outcome = plan_input(source, Options(tmp_path / "outputs", freeze=1, command="watch"), history)
    assert outcome.exit_code == 2 and outcome.output is None
    assert "above max_per_period 4" in str(outcome.refusal.problems[0])
    assert history.get(outcome.run_id).status == "refused"
