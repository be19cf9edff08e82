"""Frozen orders: the previous plan's first periods become commitments; a re-plan never drops them silently."""

from __future__ import annotations

from datetime import date

import pytest
from replancase import orders, replan, sheets, write
from workbooks import write_workbook

from optimizer.replan.changes import PlanView
from optimizer.checker import check_result_workbook
from optimizer.replan.freeze import freeze_orders
from optimizer.replan.history import History
from optimizer.pipeline import load
from optimizer.replan.replan import Options, plan_input


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
    (objective 3 x 5 x 12 = 180); with --freeze 1 the first quarter's S1 order stays, at the 10 it was placed
    at: 5 x 10 + 2 x 5 x 12 = 170."""
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
    assert frozen.result.plan.objective == pytest.approx(170.0)
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


# ------------------------------------------------- frozen orders keep their price; frozen periods stay frozen
def _first_plan(tmp_path, **kw):
    """S1 at 10 beats S2 at 13 every quarter: 5 t from S1 in quarters 1, 2 and 3 (objective 150)."""
    source = write(tmp_path / "in" / "prices.xlsx", s2_price=13.0, **kw)
    first = replan(source, tmp_path)
    assert orders(first) == {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}
    return source, first


def test_after_a_price_move_frozen_orders_keep_their_price_and_no_order_joins_them(tmp_path):
    """S1 rises 20% (10 -> 12) and S2 offers 8 in quarter 1 only (Prices). Unfrozen, the best plan buys
    all 15 t from S2 in quarter 1: 15 x 8 + holding 5 x 1 + 5 x 2 = 135. With --freeze 2, quarters 1 and 2
    are decided: S1's two orders stay at the 10 they were placed at (2 x 50), nothing else is ordered in
    them (an extra 5 t from S2 in quarter 1 for quarter 3 would cost 5 x 8 + 5 x 2 = 50 < 60), and
    quarter 3 buys from S1 at 12: 100 + 60 = 160."""
    source, first = _first_plan(tmp_path)
    book = sheets(s1_price=12.0, s2_price=13.0)
    book["Prices"] = [{"supplier": "S2", "mineral": "ga", "period": 1, "unit_price": 8}]
    write_workbook(source, book)
    unfrozen = replan(source, tmp_path, previous_plan=first.output)
    assert orders(unfrozen) == {("S2", 1): 15}
    assert unfrozen.result.plan.objective == pytest.approx(135.0)
    frozen = replan(source, tmp_path, previous_plan=first.output, freeze=2)
    assert orders(frozen) == {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}
    assert frozen.result.plan.objective == pytest.approx(160.0)
    table = frozen.result.plan.orders.set_index("period")
    assert list(table["unit_price"]) == [10.0, 10.0, 12.0] and list(table["cost"]) == [50.0, 50.0, 60.0]
    assert list(table["list_price"]) == [12.0, 12.0, 12.0]  # the period's list price, beside the agreed one
    assert table["discount"].isna().tolist() == [True, True, False]  # an agreed price takes no discount
    assert frozen.result.data.frozen_orders == {("S1", "ga", 1), ("S1", "ga", 2)}
    assert check_result_workbook(frozen.output, frozen.result.data) == []


def test_frozen_orders_at_their_old_price_still_fit_a_tight_budget(tmp_path):
    """Budgets of 50 in quarters 1 and 2 and 60 in quarter 3 (160 in all). After S1's +20% (12 a t) the
    frozen orders, re-priced, would need 60 each and break the budgets; at the 10 they were placed at they
    cost 50 each and fit, and quarter 3 buys 5 t from S1 at 12 = 60: objective 160."""
    budgets = [{"source": "F1", "period": t, "amount": a} for t, a in ((1, 50), (2, 50), (3, 60))]
    book = sheets(s2_price=13.0)
    book["Budgets"] = budgets
    source = write_workbook(tmp_path / "in" / "prices.xlsx", book)
    first = replan(source, tmp_path)
    book = sheets(s1_price=12.0, s2_price=13.0)
    book["Budgets"] = budgets
    write_workbook(source, book)
    frozen = replan(source, tmp_path, previous_plan=first.output, freeze=2)
    assert orders(frozen) == {("S1", 1): 5, ("S1", 2): 5, ("S1", 3): 5}
    assert frozen.result.plan.objective == pytest.approx(160.0)


def test_frozen_orders_that_alone_break_a_budget_are_named(tmp_path):
    """The new workbook cuts quarter 1's budget to 40; the frozen order of 5 t at 10 costs 50: no plan
    exists, and the message names the budget, the 10 it lacks and the frozen order behind it."""
    source, first = _first_plan(tmp_path)
    book = sheets(s2_price=13.0)
    book["Budgets"] = [{"source": "F1", "period": 1, "amount": 40}]
    write_workbook(source, book)
    outcome = plan_input(source, Options(tmp_path / "outputs", previous_plan=first.output, freeze=2))
    assert outcome.exit_code == 3 and outcome.output is None
    conflicts = outcome.result.plan.conflicts
    assert any("source 'F1' would need 10.00 USD more than its budget in period 1" in c
               and "frozen order of 5 t of ga from S1 in period 1 (5 x 10 agreed + order cost 0 = 50.00 USD)" in c
               and "period 2" not in c for c in conflicts), conflicts


def test_a_frozen_order_is_committed_at_the_unit_price_it_was_placed_at(tmp_path):
    """The view's orders were placed at 10 after discount; the workbook now lists S1 at 13."""
    data, _ = load(write(tmp_path / "in.xlsx", s1_price=13.0))
    frozen = freeze_orders(data, view({1: 5.0, 2: 5.0, 3: 5.0}), 2)
    assert frozen.data.commitment_prices == {("S1", "ga", 1): 10.0, ("S1", "ga", 2): 10.0}
    assert frozen.data.frozen_periods == 2 and frozen.data.order_periods(data.offers["S1", "ga"]) == [1, 2, 3]
    assert frozen.data.order_periods(data.offers["S2", "ga"]) == [3]  # S2 had no order in the frozen periods


def test_the_workbooks_commitment_and_its_price_stand_over_the_frozen_order(tmp_path):
    book = sheets()
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 5, "unit_price": 9}]
    data, _ = load(write_workbook(tmp_path / "in.xlsx", book))
    frozen = freeze_orders(data, view({1: 5.0}), 1)
    assert frozen.data.commitment_prices == {("S1", "ga", 1): 9.0}
    assert frozen.data.frozen_orders == frozenset()  # the workbook's commitment, not the previous plan's order


def test_a_later_start_date_shifts_the_frozen_periods(tmp_path):
    """Frozen periods 1..2 of a plan one quarter older are period 1 of the new one."""
    data, _ = load(write(tmp_path / "in.xlsx", start_date=date(2027, 4, 1)))
    assert freeze_orders(data, view({1: 5.0, 2: 6.0}), 2).data.frozen_periods == 1


def test_frozen_orders_that_alone_break_a_country_cap_are_named(tmp_path):
    """The new workbook allows nothing from Canada (max_share 0); S1's frozen 5 t in quarters 1 and 2 are
    from Canada, so no plan exists, and the country cap's message names both frozen orders."""
    source, first = _first_plan(tmp_path)
    book = sheets(s2_price=13.0)
    book["Countries"] = [{"country": "Canada", "max_share": 0}]
    write_workbook(source, book)
    outcome = plan_input(source, Options(tmp_path / "outputs", previous_plan=first.output, freeze=2))
    assert outcome.exit_code == 3
    conflicts = outcome.result.plan.conflicts
    assert any(c.startswith("country cap: orders of ga from Canada would exceed max_share 0 by 10 t")
               and "frozen order of 5 t of ga from S1 in period 1" in c
               and "frozen order of 5 t of ga from S1 in period 2" in c for c in conflicts), conflicts


def test_a_frozen_order_without_unit_price_is_priced_at_the_input_with_a_warning(tmp_path):
    """A hand-made previous plan whose Orders give no unit_price: the order is frozen, its price is the input's."""
    data, _ = load(write(tmp_path / "in.xlsx"))
    previous = view({1: 5.0})
    previous.orders["S1", "ga", 1]["unit_price"] = None
    frozen = freeze_orders(data, previous, 1)
    assert frozen.data.commitments == {("S1", "ga", 1): 5.0} and frozen.data.commitment_prices == {}
    assert [p.severity for p in frozen.problems] == ["warning"]
    assert "has no unit_price in run 7, so it is priced at the input's prices" in str(frozen.problems[0])
