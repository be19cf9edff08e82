"""What changed in a plan's deals: projects funded or dropped, contracts signed or dropped, stock sold; in the
Changes sheet of a re-plan, on the terminal and in ``optimize diff`` (optimizer/replan/changes.py). Every row
says why, the deals first: they are the most money."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from modelcase import build_or_buy, china_contract_book, demand, sheets
from replancase import replan
from test_changes import changes_sheet
from workbooks import write_workbook

from optimizer.cli import main
from optimizer.replan.changes import (DEAL_NEWS, DEMAND, NEW_DEAL, NO_REASON, OWN_TERMS, SAME_MINERAL, counts_text,
                                      reason_lines)
from optimizer.replan.history import History


def deal_rows(path) -> list[tuple]:
    """(change, reason, scenario, previous_quantity, quantity, previous_cost, cost) of a Changes sheet's deal rows."""
    return [(r["change"], r["reason"], r.get("scenario") or "", r.get("previous_quantity"), r.get("quantity"),
             r.get("previous_cost"), r.get("cost")) for r in changes_sheet(path)
            if str(r["change"]).split(" ")[0] in ("project", "contract", "sale")]


def summary(path) -> dict:
    sheet = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {key: value for key, value in sheet.iter_rows(min_row=2, values_only=True)}


def re_plans(tmp_path, books: list[dict], name: str = "deal") -> list:
    """Each book planned in turn as the same input, against the one before (one history)."""
    history = History(str(tmp_path / "history.sqlite"))
    return [replan(write_workbook(tmp_path / "in" / f"{name}.xlsx", book), tmp_path, history) for book in books]


def test_a_project_funded_then_dropped_when_its_capex_rose_then_funded_again(tmp_path):
    """modelcase.build_or_buy: buying 20 t from S1 costs 2,000; the plant's 20 t cost 400 plus capex_cost, half
    the capex (2 of its 4 life periods within the horizon). Capex 1,000: 900 < 2,000, funded in period 1, all
    1,000 paid within the horizon. Capex 4,000: 400 + 2,000 > 2,000, dropped. Capex 1,000 again: funded."""
    runs = re_plans(tmp_path, [build_or_buy(1_000), build_or_buy(4_000), build_or_buy(1_000)])
    dropped, funded = (deal_rows(run.output) for run in runs[1:])
    assert dropped == [("project dropped", OWN_TERMS, "", None, None, pytest.approx(1_000), 0)]
    assert funded == [("project funded", OWN_TERMS, "", None, None, 0, pytest.approx(1_000))]
    rows = changes_sheet(runs[1].output)
    project = next(r for r in rows if r["change"] == "project dropped")
    assert (project["project"], project["supplier"], project["mineral"], project["period"]) == ("P", "Plant", "ga", 1)
    assert project["finding"] == ("project P dropped: no longer funded (was decided in period 1, $1K of capex paid; "
                                  "Plant: ga); its capex $1K to $4K")
    # the orders moved because the project did: the plant's output dropped, S1's bought instead
    assert {r["reason"] for r in rows if r["change"] in ("added", "removed")} == {DEAL_NEWS}
    assert all(r["reason"] for r in rows)  # no row without a reason
    # the deals come first: after the cost and reasons rows
    assert [r["change"] for r in rows][:6] == ["cost", "cost", "cost", "reasons", "reasons", "project dropped"]
    assert rows[3]["finding"] == f"1 deal changed: 1 as {OWN_TERMS}; no other deal changed"
    counts = {k: v for k, v in summary(runs[1].output).items() if k.startswith("projects_")}
    assert counts == {"projects_funded": 0, "projects_dropped": 1, "projects_changed": 0}
    assert "projects_funded" not in summary(runs[0].output)  # a first plan: nothing compared
    dashboard = openpyxl.load_workbook(runs[1].output)["Dashboard"]
    text = " ".join(str(c.value) for row in dashboard.iter_rows() for c in row if c.value is not None)
    deal = text.index("project P dropped: no longer funded")  # the deal first, with why
    assert text.index(f"{OWN_TERMS})", deal) < text.index("objective: $900 to $2K")
    assert deal < text.index("objective: $900 to $2K") < text.index("1 project dropped; 2 orders added")


def contract_book(contract_price: float, offer_price: float = 10) -> dict:
    """10 t of ga demanded in period 3; S1 offers it at ``offer_price``; contract K1 with S1 at ``contract_price``,
    take-or-pay minimum 10 t: signed when cheaper than the offer (10 t at 6 = 60 against 100)."""
    book = sheets(3, Demand=demand(0, 0, 10))
    book["Offers"][0]["unit_price"] = offer_price
    book["Contracts"] = [{"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": contract_price,
                          "min_quantity": 10, "max_quantity": 10}]
    return book


def test_a_contract_signed_then_dropped_when_its_price_rose_or_the_offer_fell(tmp_path):
    """K1 at 6 against the offer at 10: signed, takes 10 t (60). K1 at 12: dropped (its own terms). K1 at 6
    again: signed. The offer falls to 5: dropped (a price of the same mineral moved)."""
    runs = re_plans(tmp_path, [contract_book(6), contract_book(12), contract_book(6), contract_book(6, 5)])
    dropped, signed, undercut = (deal_rows(run.output) for run in runs[1:])
    assert dropped == [("contract dropped", OWN_TERMS, "", pytest.approx(10), 0, pytest.approx(60), 0)]
    assert signed == [("contract signed", OWN_TERMS, "", 0, pytest.approx(10), 0, pytest.approx(60))]
    assert undercut == [("contract dropped", SAME_MINERAL, "", pytest.approx(10), 0, pytest.approx(60), 0)]
    row = next(r for r in changes_sheet(runs[1].output) if r["change"] == "contract dropped")
    assert (row["contract"], row["previous_unit_price"], row["unit_price"]) == ("K1", 6, 12)
    assert row["finding"] == ("contract K1 dropped: no longer signed (took 10 t of ga from S1; $60 paid, take-or-pay "
                              "$0); its unit_price $6.00 to $12.00")
    assert summary(runs[1].output)["contracts_dropped"] == 1


def test_a_contract_with_recourse_is_every_scenario_s(tmp_path):
    """modelcase.china_contract_book, signing C1 costing 1: at 4 it is signed (6 t: 24 + 1, against 60 from K;
    lost in ban, 0.5). At 11, dearer than K at 10 in every scenario: dropped. Signed before any scenario is
    known: a blank scenario."""
    book, dearer = china_contract_book(), china_contract_book()
    for contract_row, price in ((book["Contracts"][0], 4), (dearer["Contracts"][0], 11)):
        contract_row.update(unit_price=price, signing_cost=1)
    first, second = re_plans(tmp_path, [book, dearer], "china")
    assert deal_rows(second.output) == [("contract dropped", OWN_TERMS, "", pytest.approx(6), 0, pytest.approx(25),
                                         0)]


def sale_book(sale_price: float) -> dict:
    """10 t of ga in stock, 10 t demanded in period 2, S1 at 10, holding 1 a t and period; stock may be sold in
    period 1 at ``sale_price``: selling all and buying in period 2 costs 100 - 10 x price, keeping it 10 of
    holding; sold when the price is above 9."""
    book = sheets(2, Demand=demand(0, 10))
    book["Minerals"][0].update(initial_stock=10, holding_cost=1)
    book["Sales"] = [{"mineral": "ga", "first_period": 1, "last_period": 1, "unit_price": sale_price,
                      "max_per_period": 10, "source": "F1"}]
    return book


def test_stock_sold_then_not_when_the_sale_price_fell(tmp_path):
    """Sale price 12: 10 t sold in period 1 (revenue 120). 8: kept (the sale's own price moved)."""
    first, second = re_plans(tmp_path, [sale_book(12), sale_book(8)], "sale")
    assert deal_rows(second.output) == [("sale removed", OWN_TERMS, "", pytest.approx(10), 0, None, None)]
    row = next(r for r in changes_sheet(second.output) if r["change"] == "sale removed")
    assert (row["mineral"], row["period"], row["previous_unit_price"], row["unit_price"]) == ("ga", 1, 12, 8)
    assert row["finding"] == ("sale dropped: 10 t of ga in period 1; sale price fell 33.3% ($12.00 to $8.00); "
                              "revenue $120 to $0")


def test_the_terminal_line_of_a_run_names_the_deals_first(tmp_path):
    source = write_workbook(tmp_path / "in" / "bob.xlsx", build_or_buy(1_000))
    runner = CliRunner()
    arguments = ["run", str(source), "--outputs-dir", str(tmp_path / "outputs")]
    assert runner.invoke(main, arguments, catch_exceptions=False).exit_code == 0
    write_workbook(source, build_or_buy(4_000))
    result = runner.invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("vs run 1:"))
    assert lines[at] == "vs run 1: 1 project dropped, 2 added, 2 removed (sheet Changes)"
    assert lines[at + 3].startswith(f"  project P dropped: no longer funded") and lines[at + 3].endswith(
        f"({OWN_TERMS})")


def test_counts_in_words_name_the_deals_first_with_their_plurals():
    counts = {"orders_added": 1, "orders_removed": 0, "prices_moved": 2, "projects_dropped": 1, "contracts_signed": 2,
              "sales_removed": 1}
    assert counts_text(counts) == ("1 project dropped, 2 contracts signed, 1 sale removed, 1 order added, "
                                   "2 prices moved")


def plan_book(projects: list[dict], contracts: list[dict], sales: list[dict]) -> dict:
    """A plan workbook as far as a comparison reads it: Summary, Orders (one order, alike in both), Projects,
    Contracts, Orders rows naming a contract (its deliveries) and Sales."""
    order = {"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 5.0, "unit_price": 10.0, "cost": 50.0}
    deliveries = [{"contract": c["contract"], "supplier": c["supplier"], "mineral": c["mineral"], "period": 2,
                   "quantity": c["taken"], "unit_price": c["unit_price"], "cost": c["taken"] * c["unit_price"]}
                  for c in contracts if c["signed"] == "yes"]
    return {"Summary": [{"key": "objective", "value": 100.0}, {"key": "currency", "value": "USD"}],
            "Orders": [order, *deliveries],
            "Projects": projects, "Contracts": contracts, "Sales": sales}


def project(decision: int | None, capex: float, paid: float) -> dict:
    return {"project": "P", "supplier": "Plant", "minerals": "ga", "capex": capex, "life_periods": 4,
            "decision_period": decision, "capex_paid": paid}


def contract(signed: str, taken: float, take_or_pay: float) -> dict:
    return {"contract": "K1", "supplier": "S1", "mineral": "ga", "signed": signed, "first_period": 1,
            "last_period": 3, "unit_price": 6.0, "min_quantity": 10.0, "max_quantity": 10.0, "taken": taken,
            "take_or_pay_paid": take_or_pay, "delivery_cost": 6.0 * taken}


def test_optimize_diff_compares_the_deals_of_two_plan_workbooks_first(tmp_path):
    """A: P funded in period 1 (capex 1,000, all paid), K1 takes 10 t of ga. B: P moved to period 2 (500 paid
    within the horizon), K1 takes 6 t (take-or-pay 4 x 6 = 24), 4 t of ge sold in period 3. Neither workbook
    knows its input's budgets: the sale, alone of its mineral, has no reason found; P and K1, both of ga, each
    changed with the other."""
    sold = {"sale": 1, "mineral": "ge", "period": 3, "quantity": 4.0, "unit_price": 12.0, "revenue": 48.0,
            "source": "F1"}
    before = plan_book([project(1, 1_000, 1_000)], [contract("yes", 10, 0)], [])
    after = plan_book([project(2, 1_000, 500)], [contract("yes", 6, 24)], [sold])
    paths = [write_workbook(tmp_path / f"{name}.xlsx", book) for name, book in (("A", before), ("B", after))]
    result = CliRunner().invoke(main, ["diff", *map(str, paths), "--json"], catch_exceptions=False)
    records = [r for r in json.loads(result.stdout) if r["change"] != "cost"]
    assert [(r["change"], r["period"], r["previous_quantity"], r["quantity"], r["previous_cost"], r["cost"],
             r["reason"]) for r in records] == [
        ("project changed", 2, None, None, 1_000.0, 500.0, DEAL_NEWS),
        ("contract changed", 1, 10.0, 6.0, 60.0, 60.0, DEAL_NEWS),
        ("sale added", 3, 0.0, 4.0, None, None, NO_REASON)]
    assert records[0]["finding"] == "project P decided in period 2 instead of 1; capex paid $1K to $500 (Plant: ga)"
    assert records[1]["finding"] == ("contract K1 takes 6 of ga from S1 instead of 10 ($60 paid, take-or-pay $0 "
                                     "before; $60 paid, take-or-pay $24 now)")
    assert records[2]["finding"] == "new sale: 4 of ge in period 3; revenue $0 to $48"
    text = CliRunner().invoke(main, ["diff", *map(str, paths)], catch_exceptions=False).stdout.splitlines()
    assert text[1].startswith("project P decided in period 2 instead of 1") and text[1].endswith(f"({DEAL_NEWS})")


def test_every_conversion_row_says_why(tmp_path):
    """test_changes_conversions' runs: C's fecr 20 -> 30 (smelting added: a price of fecr moved), demand 5 -> 4
    (cut: the demand moved), C back at 20 (removed: a price of fecr moved)."""
    from test_changes_conversions import smelt_input

    history = History(str(tmp_path / "history.sqlite"))
    runs = [replan(smelt_input(tmp_path, price, quantity), tmp_path, history)
            for price, quantity in ((20, 5), (30, 5), (30, 4), (20, 4))]
    reasons = [[r["reason"] for r in changes_sheet(run.output) if r.get("conversion")] for run in runs[1:]]
    assert reasons == [[SAME_MINERAL], [DEMAND], [SAME_MINERAL]]
    lines = reason_lines(runs[2].result.plan.changes.frame)
    assert any(line.startswith("1 conversion changed: 1 as the demand") for line in lines)


def test_optimize_diff_reads_a_revenue_a_plan_leaves_out_as_0(tmp_path):
    """A Summary states sales_revenue only where not 0: B sold nothing, so its revenue is 0, not unknown."""
    books = [plan_book([], [], []) for _ in range(2)]
    books[0]["Summary"] += [{"key": "conversion_cost", "value": 0.0}, {"key": "sales_revenue", "value": -120.0}]
    books[1]["Summary"] += [{"key": "conversion_cost", "value": 0.0}]
    paths = [write_workbook(tmp_path / f"{name}.xlsx", book) for name, book in zip("AB", books)]
    text = CliRunner().invoke(main, ["diff", *map(str, paths)], catch_exceptions=False).stdout
    assert "sales_revenue: -$120 to $0 (+$120, -100.0%)" in text


def test_a_rolling_re_plan_keeps_a_project_decided_before_its_horizon_unchanged(tmp_path):
    """build_or_buy with P decided in period 1 (capex 1,000 paid in periods 1 and 2), then re-planned one quarter
    later with --freeze 1, the workbook still deciding P (now in its period 1; the previous decision is in its
    period 0, half its capex already paid). P's decision did not change: no project row, and no order says a deal
    of its mineral changed."""
    first_book, later_book = build_or_buy(1_000, decided="yes"), build_or_buy(1_000, decided="yes")
    first_book["Settings"].update(start_date=date(2027, 1, 1), period_unit="quarter")
    later_book["Settings"].update(start_date=date(2027, 4, 1), period_unit="quarter")
    later_book["Demand"] = demand(0, 10, 10, 10)
    history = History(str(tmp_path / "history.sqlite"))
    source = tmp_path / "in" / "rolling.xlsx"
    replan(write_workbook(source, first_book), tmp_path, history)
    later = replan(write_workbook(source, later_book), tmp_path, history, freeze=1)
    rows = changes_sheet(later.output)
    assert deal_rows(later.output) == []
    assert DEAL_NEWS not in {r["reason"] for r in rows}
    assert "projects_changed" not in summary(later.output)


def test_a_sale_added_when_its_price_rose_says_so(tmp_path):
    """sale_book at 8: kept; at 12: sold (10 t, revenue 120). The first plan's workbook lists no sale, but the
    history knows its input's sale price: the sale's own price moved."""
    first, second = re_plans(tmp_path, [sale_book(8), sale_book(12)], "sale")
    assert deal_rows(second.output) == [("sale added", OWN_TERMS, "", 0, pytest.approx(10), None, None)]
    row = next(r for r in changes_sheet(second.output) if r["change"] == "sale added")
    assert (row["previous_unit_price"], row["unit_price"]) == (8, 12)
    assert row["finding"] == ("new sale: 10 t of ga in period 1; sale price rose 50.0% ($8.00 to $12.00); "
                              "revenue $0 to $120")


def test_a_sale_added_when_the_mineral_s_purchase_price_fell_says_so(tmp_path):
    """sale_book at 8 with S1 at 10: kept (selling and buying back costs 100 - 80 = 20 > 10 of holding). S1 at 1:
    selling 10 t at 8 and buying them back in period 2 at 1 gains 80 - 10 + 10 of holding saved: sold."""
    cheaper = sale_book(8)
    cheaper["Offers"][0]["unit_price"] = 1
    first, second = re_plans(tmp_path, [sale_book(8), cheaper], "sale")
    assert deal_rows(second.output) == [("sale added", SAME_MINERAL, "", 0, pytest.approx(10), None, None)]
    row = next(r for r in changes_sheet(second.output) if r["change"] == "sale added")
    assert row["finding"] == ("new sale: 10 t of ga in period 1; list price of ga from S1 fell 90.0% ($10.00 to $1.00) "
                              "in period 1; revenue $0 to $80")


def test_a_sale_new_to_the_input_says_so(tmp_path):
    """sale_book without its Sales row, then with it at 12: sold (10 t). The history knows the first input had
    no sale: a new deal, not news of its mineral."""
    without = sale_book(12)
    del without["Sales"]
    first, second = re_plans(tmp_path, [without, sale_book(12)], "sale")
    assert deal_rows(second.output) == [("sale added", NEW_DEAL, "", 0, pytest.approx(10), None, None)]
