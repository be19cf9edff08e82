"""What changed in a plan's conversions: the Changes sheet of a re-plan and ``optimize diff``, with and without
recourse (optimizer/replan/changes.py). Conversions are compared by (conversion, period), their input started;
worded as orders are."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner
from modelcase import smelt_book
from replancase import replan
from test_changes import changes_sheet
from workbooks import upgrade_sheets, write_workbook

from optimizer.cli import main
from optimizer.replan.changes import FEEDSTOCK, FUNDING, read_plan
from optimizer.replan.history import History


def smelt_input(tmp_path, china_price: float, demand: float, name: str = "smelt") -> object:
    """modelcase.smelt_book without scenarios (lead time 0): 10 t of ore in stock, ``demand`` t of fecr in period
    3; C sells fecr at ``china_price``, smelting costs 12 a t of ore at yield 0.5 (24 a t of fecr, held at 5
    if early, so started in period 3). Buying costs china_price x demand, smelting 24 x demand."""
    book = smelt_book(0.5, 0)
    del book["Scenarios"]
    book["Settings"]["recourse"] = "no"
    book["Offers"][0]["unit_price"] = china_price
    book["Demand"][0]["quantity"] = demand
    return write_workbook(tmp_path / "in" / f"{name}.xlsx", book)


def conversion_rows(rows: list[dict]) -> list[tuple]:
    """(change, conversion, mineral, period, scenario, previous_quantity, quantity) of the conversion rows."""
    return [(r["change"], r["conversion"], r["mineral"], r["period"], r.get("scenario") or "",
             r["previous_quantity"], r["quantity"]) for r in rows if str(r["change"]).startswith("conversion")]


def summary(path) -> dict:
    sheet = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {key: value for key, value in sheet.iter_rows(min_row=2, values_only=True)}


def test_a_re_plan_says_which_conversions_were_added_changed_and_removed(tmp_path):
    """C at 20, 5 t: buying (100) beats smelting (120), nothing smelted. C at 30: smelting 10 t of ore (120)
    beats buying (150): added. 4 t demanded: 8 t of ore (96 against 120): changed 10 -> 8. C at 20 again:
    buying 4 t (80) beats smelting (96): removed."""
    history = History(str(tmp_path / "history.sqlite"))
    runs = [replan(smelt_input(tmp_path, price, demand), tmp_path, history)
            for price, demand in ((20, 5), (30, 5), (30, 4), (20, 4))]
    added, changed, removed = (conversion_rows(changes_sheet(run.output)) for run in runs[1:])
    assert added == [("conversion added", "smelt", "ore", 3, "", 0, pytest.approx(10))]
    assert changed == [("conversion changed", "smelt", "ore", 3, "", pytest.approx(10), pytest.approx(8))]
    assert removed == [("conversion removed", "smelt", "ore", 3, "", pytest.approx(8), 0)]
    findings = [r["finding"] for run in runs[1:] for r in changes_sheet(run.output) if r.get("conversion")]
    assert findings == ["new conversion: 10 t of ore by smelt in period 3",
                        "conversion of ore by smelt in period 3 cut from 10 t to 8 t",
                        "conversion dropped: 8 t of ore by smelt in period 3"]
    assert {k: v for k, v in summary(runs[2].output).items() if k.startswith("conversions_")} == {
        "conversions_added": 0, "conversions_removed": 0, "conversions_changed": 1}
    assert "conversions_added" not in summary(runs[0].output)  # a first plan: nothing compared
    dashboard = openpyxl.load_workbook(runs[3].output)["Dashboard"]
    text = [str(c.value) for row in dashboard.iter_rows() for c in row if c.value is not None]
    assert any("1 conversion removed" in line for line in text)


def test_a_re_plan_without_a_changed_conversion_adds_no_conversion_column_nor_count(tmp_path):
    history = History(str(tmp_path / "history.sqlite"))
    first = replan(smelt_input(tmp_path, 30, 5), tmp_path, history)
    again = replan(smelt_input(tmp_path, 30, 5), tmp_path, history, previous_plan=first.output)
    assert "conversion" not in again.result.plan.changes.frame
    assert not any(key.startswith("conversions_") for key in again.result.plan.changes.counts)


def test_a_re_plan_with_recourse_names_the_scenario_a_conversion_became_the_own_of(tmp_path):
    """modelcase.smelt_book, ban 0.5: smelting takes a period (lead time 1), so it starts in period 2, before
    ban is told apart: shared (120 against 0.5 x 100 + 0.5 x 200 = 150 buying). Instant (lead time 0), ban
    smelts its own in period 3 and base buys C's 5 t: the shared conversion is removed in every scenario,
    ban's own added in ban alone."""
    shared = write_workbook(tmp_path / "in" / "shared.xlsx", smelt_book(0.5, 1))
    first = replan(shared, tmp_path)
    own = write_workbook(tmp_path / "in" / "own.xlsx", smelt_book(0.5, 0))
    second = replan(own, tmp_path, previous_plan=first.output)
    assert conversion_rows(changes_sheet(second.output)) == [
        ("conversion removed", "smelt", "ore", 2, "", pytest.approx(10), 0),
        ("conversion added", "smelt", "ore", 3, "ban", 0, pytest.approx(10))]


def plan_book(conversions: list[dict], scenarios: tuple[str, ...] = ()) -> dict:
    """A plan workbook as far as a comparison reads it: Summary, Orders (one order, the same in both plans),
    Conversions, and, with recourse, a Stock sheet naming every scenario."""
    book = {"Summary": [{"key": "objective", "value": 100.0}],
            "Orders": [{"supplier": "C", "mineral": "fecr", "period": 1, "quantity": 5.0, "unit_price": 20.0,
                        "cost": 100.0, **({"scenario": None} if scenarios else {})}],
            "Conversions": [{"conversion": name, "from_mineral": "ore", "to_mineral": "fecr", "period": period,
                             "input": quantity, **({"scenario": scenario} if scenarios else {})}
                            for scenario, name, period, quantity in conversions]}
    if scenarios:
        book["Stock"] = [{"mineral": "fecr", "period": 1, "scenario": k} for k in scenarios]
    return book


def diff(tmp_path, before: dict, after: dict, *options: str):
    paths = [write_workbook(tmp_path / f"{name}.xlsx", book) for name, book in (("A", before), ("B", after))]
    result = CliRunner().invoke(main, ["diff", *map(str, paths), *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_optimize_diff_compares_the_conversions_of_two_plan_workbooks(tmp_path):
    """smelt 10 -> 8 in period 3, roast added in period 2, smelt of period 1 removed; the order is the same."""
    before = plan_book([("", "smelt", 1, 4.0), ("", "smelt", 3, 10.0)])
    after = plan_book([("", "roast", 2, 6.0), ("", "smelt", 3, 8.0)])
    records = json.loads(diff(tmp_path, before, after, "--json"))
    assert [(r["change"], r["conversion"], r["period"], r["previous_quantity"], r["quantity"]) for r in records
            if r["change"] != "cost"] == [("conversion added", "roast", 2, 0.0, 6.0),
                                          ("conversion removed", "smelt", 1, 4.0, 0.0),
                                          ("conversion changed", "smelt", 3, 10.0, 8.0)]
    text = diff(tmp_path, before, after)
    assert "conversion added" in text and "roast" in text and "conversion changed" in text
    assert "no order or price changed" not in text


def test_optimize_diff_of_a_conversion_that_became_one_scenario_s_own(tmp_path):
    """Shared smelt of 10 in period 3 (every scenario's), then ban's own of 8 only: base lost it, ban's cut."""
    scenarios = ("base", "ban")
    before = read_plan(write_workbook(tmp_path / "A.xlsx", plan_book([("", "smelt", 3, 10.0)], scenarios)))
    after = read_plan(write_workbook(tmp_path / "B.xlsx", plan_book([("ban", "smelt", 3, 8.0)], scenarios)))
    assert after.scenarios == scenarios  # told by its conversions: its orders are all shared
    records = json.loads(diff(tmp_path, plan_book([("", "smelt", 3, 10.0)], scenarios),
                              plan_book([("ban", "smelt", 3, 8.0)], scenarios), "--json"))
    assert [(r["change"], r["scenario"], r["previous_quantity"], r["quantity"], r["finding"]) for r in records
            if r["change"] != "cost"] == [
        ("conversion removed", "base", 10.0, 0.0, "conversion dropped: 10 of ore by smelt in period 3 (scenario base)"),
        ("conversion changed", "ban", 10.0, 8.0, "conversion of ore by smelt in period 3 cut from 10 to 8 "
                                                 "(scenario ban)")]
    assert before.decisions.conversions == {("", "smelt", 3): 10.0}


def budget_book(ge_price: float) -> dict:
    """modelcase.upgrade_sheets (fecr at 25, smelting 2 t of ore at 10 plus 2 a t: 24 a t of fecr, so 5 t of
    fecr are smelted from 10 t of ore, 120) and 10 t of ge in period 1 from S1 at ``ge_price``; one source F1
    of 170 pays all. At 5: ge 50 + 120 = 170, all of it met. At 6 ge costs 60: 110 left, and a dollar short of
    ge costs 100/6 of penalty where one short of fecr costs 100/24: ge bought in full, 110/24 t of fecr smelted
    from 2 x 110/24 = 9.17 t of ore."""
    book = upgrade_sheets()
    book["Minerals"].append({"mineral": "ge", "unit": "t", "shortfall_penalty": 100})
    book["Offers"].append({"supplier": "S1", "mineral": "ge", "unit_price": ge_price})
    book["Demand"].append({"mineral": "ge", "period": 1, "quantity": 10})
    book["Funding"] = [{"source": "F1", "amount": 170}]
    return book


def test_a_conversion_cut_with_its_feedstock_says_it_followed_its_orders(tmp_path):
    """The ore order is cut because F1 binds and ge's price moved (the funding rule); smelting, with no news of
    ore or fecr, follows the ore ordered."""
    history = History(str(tmp_path / "history.sqlite"))
    source = tmp_path / "in" / "budget.xlsx"
    runs = [replan(write_workbook(source, budget_book(price)), tmp_path, history) for price in (5, 6)]
    rows = changes_sheet(runs[1].output)
    [ore] = [r for r in rows if r["change"] == "changed" and r["mineral"] == "ore"]
    assert (ore["previous_quantity"], ore["quantity"], ore["reason"]) == (pytest.approx(10), pytest.approx(220 / 24),
                                                                        FUNDING)
    [smelt] = [r for r in rows if r["change"] == "conversion changed"]
    assert (smelt["previous_quantity"], smelt["quantity"], smelt["reason"]) == (
        pytest.approx(10), pytest.approx(220 / 24), FEEDSTOCK)
