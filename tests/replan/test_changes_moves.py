"""A delivery moved between periods with the same total, on the Changes sheet of a re-plan and in ``optimize
diff`` (optimizer/replan/changes.py): an order removed from one period and added in another, the same quantity,
is one ``moved`` row; a contract whose deliveries moved between periods is changed, the finding says where."""

from __future__ import annotations

import pytest
from modelcase import demand, sheets
from test_changes import changes_sheet
from test_changes_deals import re_plans, summary

from optimizer.replan.changes import FUNDING, OWN_OFFER, OWN_TERMS, reason_lines


def late_book(period_3_price: float) -> dict:
    """10 t of ga demanded in period 3, holding 1 a t and period; S1 at 10, at ``period_3_price`` in period 3.
    At 10 the 10 t are ordered in period 3 (no holding); at 13, in period 2: 10 + 1 of holding = 11 < 13."""
    book = sheets(3, Demand=demand(0, 0, 10))
    book["Minerals"][0]["holding_cost"] = 1
    book["Prices"] = [{"supplier": "S1", "mineral": "ga", "period": 3, "unit_price": period_3_price}]
    return book


def test_an_order_moved_to_an_earlier_period_is_one_row_saying_from_where_and_why(tmp_path):
    first, second = re_plans(tmp_path, [late_book(10), late_book(13)], "late")
    rows = [r for r in changes_sheet(second.output) if r["change"] not in ("cost", "reasons", "price")]
    assert [(r["change"], r["previous_period"], r["period"], r["previous_quantity"], r["quantity"], r["reason"])
            for r in rows] == [("moved", 3, 2, 10, 10, OWN_OFFER)]
    assert rows[0]["finding"] == ("order of 10 t of ga from S1 moved from period 3 to period 2; list price in "
                                  "period 3 rose 30.0% ($10.00 to $13.00)")
    assert (rows[0]["previous_cost"], rows[0]["cost"]) == (100, 100)
    counts = summary(second.output)
    assert (counts["orders_moved"], counts["orders_added"], counts["orders_removed"]) == (1, 0, 0)
    lines = reason_lines(second.result.plan.changes.frame, {"ga": "t"})
    assert lines[0] == f"1 order changed: 1 as {OWN_OFFER}; no other order changed"
    assert lines[1] == f"  moved   10 t of ga from S1 from period 3 to period 2 ({OWN_OFFER})"


def window_book(last_period: int) -> dict:
    """10 t of ga demanded in period 3, holding 1 a t and period; contract K1 with S1 at 6 (the offer at 10),
    10 t at least and at most, delivered in periods 1..``last_period``: in period 3 when it may (no holding),
    else in its last period, 10 t held from there."""
    book = sheets(3, Demand=demand(0, 0, 10))
    book["Minerals"][0]["holding_cost"] = 1
    book["Contracts"] = [{"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 6, "min_quantity": 10,
                          "max_quantity": 10, "first_period": 1, "last_period": last_period}]
    return book


def test_a_contract_whose_deliveries_moved_with_the_same_total_is_changed(tmp_path):
    """K1's window cut from 1..3 to 1..2: the 10 t come in period 2 instead of 3, the same 10 t, $60."""
    first, second = re_plans(tmp_path, [window_book(3), window_book(2)], "window")
    [row] = [r for r in changes_sheet(second.output) if str(r["change"]).startswith("contract")]
    assert (row["change"], row["reason"], row["previous_quantity"], row["quantity"]) == (
        "contract changed", OWN_TERMS, 10, 10)
    assert row["finding"] == ("contract K1 takes 10 t of ga from S1 as before ($60 paid, take-or-pay $0 before; $60 "
                              "paid, take-or-pay $0 now); 10 t of its deliveries moved from period 3 to period 2; "
                              "its last_period 3 to 2")
    assert summary(second.output)["contracts_changed"] == 1


def budget_book(ge_price: float) -> dict:
    """Two periods. 10 t of ge demanded in period 1 from S1 at ``ge_price``; 10 t of ga in period 2 from S1 at 10
    in period 1, 12 in period 2, holding 1: bought in period 1 (11 < 12). F1's budget in period 1 is 150. At 5:
    ge 50 + ga 100 = 150, all ga in period 1. At 6: ge 60 leaves 90, 9 t of ga in period 1 and 1 t in period 2
    (a t short costs 100)."""
    book = sheets(2, Demand=[*demand(0, 10), *demand(10, mineral="ge")])
    book["Minerals"][0]["holding_cost"] = 1
    book["Minerals"].append({"mineral": "ge", "unit": "t", "shortfall_penalty": 100})
    book["Offers"].append({"supplier": "S1", "mineral": "ge", "unit_price": ge_price})
    book["Prices"] = [{"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 12}]
    book["Budgets"] = [{"source": "F1", "period": 1, "amount": 150}]
    return book


def test_the_two_sides_of_a_partial_move_say_so_and_share_the_reason_found(tmp_path):
    """ga's period-1 order is cut 10 -> 9 t because F1's period-1 budget binds and ge's price moved (the
    funding rule); the 1 t added in period 2 is the other side of that move: it said "within the gap"."""
    first, second = re_plans(tmp_path, [budget_book(5), budget_book(6)], "budget")
    rows = {(r["change"], r["period"]): r for r in changes_sheet(second.output) if r.get("mineral") == "ga"}
    cut, added = rows["changed", 1], rows["added", 2]
    assert (cut["quantity"], added["quantity"]) == (pytest.approx(9), pytest.approx(1))
    assert cut["reason"] == added["reason"] == FUNDING
    assert cut["finding"] == "order of ga from S1 in period 1 cut from 10 t to 9 t; 1 t of it moved to period 2"
    assert added["finding"] == "new order: 1 t of ga from S1 in period 2; 1 t of it moved from period 1"
