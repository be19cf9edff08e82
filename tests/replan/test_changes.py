"""What changed: the Changes sheet of every plan and ``optimize diff`` between plans or runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from replancase import replan, sheets, write
from workbooks import write_workbook

from optimizer.replan.changes import (COMMITMENT, FUNDING, GONE_OFFER, NEVER_ORDERED, NEW_OFFER, NEW_RIVAL, NO_OTHER,
                                     NO_REASON, OWN_OFFER, SAME_MINERAL, WITHIN_GAP, PlanView, compare, counts_text,
                                     read_plan, reason_lines, render)
from optimizer.cli import main
from optimizer.replan.history import History


def view(label: str, quantities: dict, prices: dict, objective: float, start=date(2027, 1, 1)) -> PlanView:
    orders = {("S1", "ga", t): {"quantity": q, "unit_price": prices[t], "list_price": prices[t],
                                "cost": q * prices[t], "committed": False} for t, q in quantities.items()}
    all_prices = {("S1", "ga", t): p for t, p in prices.items()}
    return PlanView(label, orders, {"objective": objective, "purchase_cost": objective}, all_prices, start, "quarter")


def test_orders_added_removed_changed_the_cost_and_the_prices_behind_them():
    before = view("run 1", {1: 5.0, 2: 5.0}, {1: 10.0, 2: 10.0, 3: 10.0}, 100.0)
    after = view("run 2", {2: 8.0, 3: 6.0}, {1: 10.0, 2: 11.0, 3: 11.0}, 154.0)  # 6 t: no move of the 5 t
    frame = compare(before, after, "USD")
    kinds = list(frame["change"])
    assert kinds == ["cost", "cost", "removed", "changed", "added", "price"]
    objective = frame.iloc[0]
    assert objective["cost_change"] == pytest.approx(54.0)
    assert objective["finding"] == "run 1 to run 2: objective: $100 to $154 (+$54, +54.0%)"
    changed = frame[frame["change"] == "changed"].iloc[0]
    assert (changed["previous_quantity"], changed["quantity"], changed["quantity_change"]) == (5.0, 8.0, 3.0)
    assert changed["price_change"] == pytest.approx(0.1)
    assert "raised from 5 to 8; list price rose 10.0% ($10.00 to $11.00)" in changed["finding"]
    price = frame[frame["change"] == "price"].iloc[0]
    assert (price["previous_unit_price"], price["unit_price"]) == (10.0, 11.0)
    assert "in periods 2-3" in price["finding"]
    text = render(frame)
    assert "objective: $100 to $154" in text and "removed" in text and "added" in text


def test_a_moved_horizon_compares_the_same_calendar_quarters():
    """The new plan starts a quarter later: its period 1 is the old period 2."""
    before = view("run 1", {1: 5.0, 2: 5.0}, {1: 10.0, 2: 10.0}, 100.0)
    after = view("run 2", {1: 5.0}, {1: 10.0}, 50.0, start=date(2027, 4, 1))
    assert [k for k in compare(before, after)["change"] if k != "cost"] == []


@pytest.fixture
def two_runs(tmp_path):
    """A first plan (S1 at 10), then S1's price rises to 13 and the plan moves to S2 at 12."""
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx")
    first = replan(source, tmp_path, history)
    write(source, s1_price=13.0)
    return history, first, replan(source, tmp_path, history)


def changes_sheet(path) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True)["Changes"]
    sheet.reset_dimensions()
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_every_plan_gets_a_changes_sheet_against_the_previous_plan_of_its_input(two_runs):
    _, first, second = two_runs
    assert [r["change"] for r in changes_sheet(first.output)] == ["none"]
    rows = changes_sheet(second.output)
    assert [r["change"] for r in rows] == ["cost", "cost", "reasons", "removed", "removed", "removed", "added",
                                           "added", "added", "price"]
    assert rows[0]["finding"].startswith("run 1 to this plan: objective: $150 to $180 (+$30, +20.0%)")
    # Why: S1's own price rose; S2's orders follow a price of the same mineral.
    assert {r["reason"] for r in rows if r["change"] == "removed"} == {OWN_OFFER}
    assert {r["reason"] for r in rows if r["change"] == "added"} == {SAME_MINERAL}
    assert rows[2]["finding"] == (f"6 orders changed: 3 as {OWN_OFFER}, 3 as {SAME_MINERAL}; no other order "
                                  "changed")
    assert rows[-1]["finding"].startswith("list price of ga from S1 rose 30.0% ($10.00 to $13.00)")
    assert second.result.plan.changes.counts == {"orders_added": 3, "orders_removed": 3, "orders_changed": 0,
                                                 "orders_frozen": 0, "orders_held": 0, "prices_moved": 1}


def test_optimize_diff_between_two_plan_workbooks_and_two_runs(two_runs, tmp_path):
    history, first, second = two_runs
    runner = CliRunner()
    by_file = runner.invoke(main, ["diff", str(first.output), str(second.output)], catch_exceptions=False)
    assert by_file.exit_code == 0
    assert "objective: $150 to $180" in by_file.stdout
    assert by_file.stdout.count("removed") == 3 and by_file.stdout.count("added") == 3
    by_id = runner.invoke(main, ["diff", str(first.run_id), str(second.run_id), "--db", history.url],
                          catch_exceptions=False)
    assert by_id.exit_code == 0 and "run 1 to run 2" in by_id.stdout
    # From the history every list price of the input is known, not only those of ordered offers.
    assert "list price of ga from S2" not in by_id.stdout and "price" in by_id.stdout
    missing = runner.invoke(main, ["diff", "1", "99", "--db", history.url])
    assert missing.exit_code == 2 and "no run 99 in the history" in missing.stderr


def test_read_plan_reads_a_result_workbook(two_runs):
    _, first, _ = two_runs
    plan = read_plan(first.output)
    assert plan.quantities() == {("S1", "ga", t): pytest.approx(5.0) for t in (1, 2, 3)}
    assert plan.costs["objective"] == pytest.approx(150.0) and plan.start_date == date(2027, 1, 1)


def test_diff_refuses_a_workbook_that_is_not_a_plan(tmp_path):
    source = write_workbook(tmp_path / "in.xlsx", sheets())
    result = CliRunner().invoke(main, ["diff", str(source), str(source)])
    assert result.exit_code == 2 and "is not a plan" in result.stderr


class SourcesThatBind:
    """FundingUse's answer, given: the binding sources that may pay each order (by mineral)."""

    def __init__(self, by_mineral: dict[str, set[str]]):
        self.by_mineral = by_mineral

    def binding(self, slot) -> set[str]:
        return self.by_mineral.get(slot[1], set())


def test_each_changed_order_gets_the_first_rule_that_holds():
    """Before: ga from S1 (periods 1, 2), ge from T1 (period 1), in from U1 (period 1), li from L1, each 5 at 10.
    After: a commitment of ga (period 3) is new; ge's T1 now needs 2 t at least (terms); in's U2 is
    cheaper (so U1's order moves to U2: U2's price moved, U1's follows a price of its mineral); li is cut by
    a binding source F it shares with ge; co's order moved with nothing behind it."""
    def order(q, price=10.0, committed=False):
        return {"quantity": q, "unit_price": price, "list_price": price, "cost": q * price, "committed": committed}

    before_orders = {("S1", "ga", 1): order(5), ("S1", "ga", 2): order(5), ("T1", "ge", 1): order(5),
                     ("U1", "in", 1): order(5), ("L1", "li", 1): order(5), ("C1", "co", 1): order(5)}
    after_orders = {("S1", "ga", 1): order(4), ("S1", "ga", 2): order(5), ("S1", "ga", 3): order(1, committed=True),
                    ("T1", "ge", 1): order(6), ("U2", "in", 1): order(5, 9.0), ("L1", "li", 1): order(3),
                    ("C2", "co", 1): order(5)}
    prices = {slot: 10.0 for slot in [*before_orders, *after_orders]}
    terms = {slot[:2]: [0, 0.0, None, 0.0, []] for slot in prices}
    before = PlanView("run 1", before_orders, {"objective": 1.0}, {**prices, ("U2", "in", 1): 10.0},
                      date(2027, 1, 1), "quarter", terms=terms)
    after = PlanView("run 2", after_orders, {"objective": 1.0}, {**prices, ("U2", "in", 1): 9.0},
                     date(2027, 1, 1), "quarter", terms={**terms, ("T1", "ge"): [0, 2.0, None, 0.0, []]})
    frame = compare(before, after, funding=SourcesThatBind({"ge": {"F"}, "li": {"F"}}))
    reasons = {(r.supplier, r.mineral, int(r.period)): r.reason for r in frame.itertuples() if r.change in
               ("added", "removed", "changed")}
    assert reasons == {("S1", "ga", 1): COMMITMENT, ("S1", "ga", 3): COMMITMENT, ("T1", "ge", 1): OWN_OFFER,
                       ("U1", "in", 1): SAME_MINERAL, ("U2", "in", 1): OWN_OFFER, ("L1", "li", 1): FUNDING,
                       ("C1", "co", 1): WITHIN_GAP, ("C2", "co", 1): NEVER_ORDERED}
    sentence = frame.loc[frame["change"] == "reasons", "finding"].item()
    assert sentence.startswith(f"8 orders changed: 2 as {COMMITMENT}, 2 as {OWN_OFFER}, 1 as {SAME_MINERAL}, "
                               f"1 as {FUNDING}, 1 as {NEVER_ORDERED}, 1 {WITHIN_GAP}")
    assert NO_OTHER not in sentence
    # optimize diff: no funding known, so the rows the funding rule or the gap would explain say so
    diffed = compare(before, after)
    assert diffed["reason"].notna().all()
    assert {(r.supplier, r.mineral, int(r.period)): r.reason for r in diffed.itertuples()
            if r.change in ("added", "removed", "changed")} == {**reasons, ("L1", "li", 1): NO_REASON,
                                                                 ("C1", "co", 1): NO_REASON}


def offer_case(before_offers, after_offers):
    """Before: ga from S1 (periods 1, 3) and S2 (period 2). After: S2's offer is gone and S3's is new (ga in
    period 2 from S3), S1 cuts period 3 from 5 to 4; ge from G2 is added (an offer of both inputs)."""
    def order(q):
        return {"quantity": q, "unit_price": 10.0, "list_price": 10.0, "cost": 10.0 * q, "committed": False}

    before = PlanView("plan.xlsx", {("S1", "ga", 1): order(5), ("S2", "ga", 2): order(5), ("S1", "ga", 3): order(5)},
                      {"objective": 1.0}, {}, date(2027, 1, 1), "quarter", offers=before_offers)
    after = PlanView("run 2", {("S1", "ga", 1): order(5), ("S3", "ga", 2): order(5), ("S1", "ga", 3): order(4),
                               ("G2", "ge", 1): order(1)}, {"objective": 1.0}, {}, date(2027, 1, 1), "quarter",
                     offers=after_offers)
    frame = compare(before, after, funding=SourcesThatBind({}))
    return {(r.supplier, r.mineral, int(r.period)): r.reason for r in frame.itertuples()
            if r.change in ("added", "removed", "changed")}


def test_orders_of_a_new_or_gone_offer_say_so_instead_of_within_the_gap():
    after_offers = frozenset({("S1", "ga"), ("S3", "ga"), ("G2", "ge")})
    known = offer_case(frozenset({("S1", "ga"), ("S2", "ga"), ("G2", "ge")}), after_offers)
    assert known == {("S3", "ga", 2): NEW_OFFER, ("S2", "ga", 2): GONE_OFFER, ("S1", "ga", 3): NEW_RIVAL,
                     ("G2", "ge", 1): WITHIN_GAP}  # G2 was in the previous input: passed over, then taken
    # the previous input unknown (a plan workbook no run of the history wrote): S3 may or may not be new
    unknown = offer_case(None, after_offers)
    assert unknown == {("S3", "ga", 2): NEVER_ORDERED, ("S2", "ga", 2): GONE_OFFER, ("S1", "ga", 3): WITHIN_GAP,
                       ("G2", "ge", 1): NEVER_ORDERED}


def test_a_previous_plan_workbook_gets_its_input_from_the_run_that_wrote_it(tmp_path):
    """Run 1 buys from S1 at 10; the input then gains S3 at 8, so run 2 (--previous run 1's workbook) buys
    every quarter from S3: a new offer, which the history knows (run 1's input had S1 and S2 only); S1's
    orders go for a new offer of their mineral."""
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx")
    first = replan(source, tmp_path, history)
    book = sheets()
    book["Suppliers"].append({"supplier": "S3", "country": "Chile"})
    book["Offers"].append({"supplier": "S3", "mineral": "ga", "unit_price": 8.0})
    write_workbook(source, book)
    second = replan(source, tmp_path, history, previous_plan=first.output)
    reasons = {(r["change"], r["supplier"], r["period"]): r["reason"] for r in changes_sheet(second.output)
               if r["change"] in ("added", "removed")}
    assert reasons == {**{("added", "S3", t): NEW_OFFER for t in (1, 2, 3)},
                       **{("removed", "S1", t): NEW_RIVAL for t in (1, 2, 3)}}
    without_history = replan(source, tmp_path, None, previous_plan=first.output)
    assert {r["reason"] for r in changes_sheet(without_history.output) if r["change"] == "added"} == {NEVER_ORDERED}


def test_the_dashboard_says_what_changed_since_the_previous_plan_only_on_a_re_plan(two_runs):
    _, first, second = two_runs

    def dashboard(path) -> list[str]:
        sheet = openpyxl.load_workbook(path)["Dashboard"]
        return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]

    assert not any(text.startswith("Since the previous plan") for text in dashboard(first.output))
    text = dashboard(second.output)
    assert "Since the previous plan (run 1)" in text
    assert any("objective: $150 to $180 (+$30, +20.0%)" in line for line in text)
    assert any("3 orders added; 3 orders removed; 1 price moved (see Changes)" in line for line in text)


def test_counts_and_moves_read_in_the_singular_and_the_plural():
    """The Dashboard said "1 prices moved", the terminal "1 order(s) changed", a price row "period(s) 3"."""
    counts = {"orders_added": 1, "orders_removed": 2, "orders_changed": 0, "orders_frozen": 0, "orders_held": 0,
              "prices_moved": 1}
    assert counts_text(counts, separator="; ") == "1 order added; 2 orders removed; 1 price moved"
    assert counts_text(counts, orders=False) == "1 added, 2 removed, 1 price moved"
    assert counts_text({**counts, "prices_moved": 3}, orders=False).endswith("3 prices moved")
    before = view("run 1", {1: 5.0}, {1: 10.0, 2: 10.0}, 50)
    after = view("run 2", {1: 6.0}, {1: 10.0, 2: 10.5}, 60)
    [price] = compare(before, after, "EUR").query("change == 'price'")["finding"]
    assert price == "list price of ga from S1 rose 5.0% (€10.00 to €10.50) on average in period 2"


def test_order_quantities_carry_their_unit_on_the_sheet_and_the_terminal():
    """A re-plan's changed order read "cut from 3,000 to 2,751.71" (terminal: "3,000 -> 2,751.71"), no unit,
    six figures. Now in the mineral's unit, as every sentence writes quantities."""
    before = replace(view("run 1", {1: 3000.0}, {1: 10.0}, 50), units={"ga": "t"})
    after = replace(view("run 2", {1: 2751.71}, {1: 10.0}, 40), units={"ga": "t"})
    frame = compare(before, after, "USD")
    [finding] = frame.loc[frame["change"] == "changed", "finding"]
    assert finding == "order of ga from S1 in period 1 cut from 3,000 t to 2,752 t"
    frame["reason"] = frame["reason"].astype(object).where(frame["change"] != "changed", "within the gap")
    assert reason_lines(frame, {"ga": "t WO3"})[-1] == (
        "  changed ga from S1 in period 1: 3,000 t WO3 to 2,752 t WO3 (within the gap)")
