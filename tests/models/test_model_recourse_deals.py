"""Projects and Contracts with recourse (models/recourse_deals.py; docs/contract-readings.md).

Orders may differ by scenario once it is told apart; project decisions, contract signings and deliveries
are decided before any scenario is known: the same in every scenario copy. Every plan here passes the
independent checker (modelcase.solve), which checks each scenario's capex and contract payments and that no
delivery names a scenario.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from modelcase import approx, build_or_buy, china_contract_book, demand, run_case, sheets, solve
from workbooks import write_workbook

from inputcheck import read_and_validate
from optimizer.checker import check_result_workbook
from models.recourse import build_recourse_model
from models.results import model_size


def by_scenario(plan) -> dict[tuple[str, str, int], float]:
    """{(scenario or "", supplier, period): quantity} of the plan's orders."""
    return {(r.scenario, r.supplier, int(r.period)): float(r.quantity) for r in plan.orders.itertuples()
            if r.quantity > 1e-7}


def us_ban(book: dict, probability: float) -> dict:
    """``book`` with recourse and 'ban' (``probability``): the United States' arrivals lost in periods 3-4."""
    book["Settings"]["recourse"] = "yes"
    book["Scenarios"] = [{"scenario": "ban", "probability": probability, "country": "United States",
                          "first_period": 3, "last_period": 4, "supply_loss": 1}]
    return book


@pytest.mark.parametrize(("capex", "probability", "builds", "cost"),
                         [(2_000, 0.1, {"P": 1}, 1_560.0), (3_000, 0.5, {}, 2_000.0)])
def test_a_project_is_decided_once_for_every_scenario(tmp_path, capex, probability, builds, cost):
    """build_or_buy: the plant's output (20 t at 20) is lost in 'ban', which then buys 20 t from S1 at 100.
    Built: capex_cost C / 2 in every scenario; base 400 + C / 2, ban 2,000 + C / 2. Not built: 2,000 in both.
    C = 2,000, p = 0.1: 0.9 x 1,400 + 0.1 x 3,000 = 1,560 < 2,000: built, and 'ban' pays the capex too (each
    copy deciding alone would leave it there: 0.9 x 1,400 + 0.1 x 2,000 = 1,460).
    C = 3,000, p = 0.5: 0.5 x 1,900 + 0.5 x 3,500 = 2,700 > 2,000: not built (alone: 0.5 x 1,900 + 0.5 x 2,000
    = 1,950 with base building)."""
    plan = solve(tmp_path, us_ban(build_or_buy(capex), probability))
    assert plan.builds == builds
    assert plan.objective == approx(cost)
    if builds:
        assert by_scenario(plan) == {("base", "Plant", 3): approx(10), ("base", "Plant", 4): approx(10),
                                     ("ban", "S1", 3): approx(10), ("ban", "S1", 4): approx(10)}
        assert plan.costs["capex_cost"] == approx(capex / 2)
        assert sorted(plan.capex["amount"]) == [approx(capex / 2)] * 2  # alike in both: one row each, shared
    else:
        orders = by_scenario(plan)  # holding costs nothing: period 2 or 3 alike for period 3's 10 t
        assert {(k, s) for k, s, _ in orders} == {("", "S1")} and sum(orders.values()) == approx(20)


def test_deliveries_are_the_same_in_every_scenario_while_orders_differ(tmp_path):
    """d t delivered (ordered in period 2, arriving in 3) in both scenarios at 4: base buys 10 - d from K in
    period 3, ban loses d and buys 10: 4d + 0.5 x 10 x (10 - d) + 0.5 x 100 = 100 - d, so d = 6 (its most):
    94, with K's orders apart: base 4 t, ban 10 t. (Each scenario deciding its deliveries alone: base 64,
    ban 100, 82.)"""
    plan = solve(tmp_path, china_contract_book())
    assert {(r.contract, r.period, r.scenario): r.quantity for r in plan.deliveries.itertuples()} == {
        ("C1", 2, ""): approx(6)}
    assert by_scenario(plan) == {("base", "K", 3): approx(4), ("ban", "K", 3): approx(10)}
    assert plan.objective == approx(94)
    assert plan.costs["purchase_cost"] == approx(24 + 0.5 * 40 + 0.5 * 100)


def test_a_floored_delivery_costs_each_scenario_its_own_price(tmp_path):
    """C1 with floor_price 4 at unit_price 4; 'ban' also doubles China's prices in period 2 (ScenarioPrices
    factor 2): a delivery ordered in period 2 costs 4 in base and max(4, 8) = 8 in ban, 6 in expectation.
    d t: 6d + 0.5 x 10 x (10 - d) + 0.5 x 100 = 100 + d: nothing delivered, 100 (K: 10 t in both, shared
    until period 3, where they part but order alike)."""
    book = china_contract_book()
    book["Contracts"][0]["floor_price"] = 4
    book["ScenarioPrices"] = [{"scenario": "ban", "country": "China", "first_period": 2, "last_period": 2,
                               "factor": 2}]
    book["Scenarios"][0]["known_from"] = 3
    plan = solve(tmp_path, book)
    assert plan.deliveries.empty
    assert plan.objective == approx(100)


def test_contract_bills_may_be_paid_by_different_sources_in_each_scenario(tmp_path):
    """The book above with F1 (free) holding 64 and F2 at cost_rate 0.5. Base spends 24 on the delivery and 40
    on K: 64, all F1's. Ban spends 24 + 100 = 124: F1's 64 and 60 from F2, financing 30. With d t delivered,
    base spends 100 - 6d (above 64, financed, for d < 6) and ban's financing 0.5 x (4d + 36) weighs 0.5:
    109 + 0.25 x max(0, 36 - 6d), so d = 6 still: 94 + 0.5 x 30 = 109. F2 pays in 'ban' alone."""
    book = china_contract_book()
    book["Funding"] = [{"source": "F1", "amount": 64}, {"source": "F2", "amount": 1_000, "cost_rate": 0.5}]
    plan = solve(tmp_path, book)
    assert plan.objective == approx(109)
    assert plan.costs["financing_cost"] == approx(15)
    by_source = plan.funding.groupby(["source", "scenario"])["amount"].sum()
    assert by_source[("F2", "ban")] == approx(60) and ("F2", "base") not in by_source and ("F2", "") not in by_source


def test_without_deals_the_model_with_recourse_is_the_one_before(tmp_path):
    """No Projects or Contracts: no deal rows, and the size the model had before (the ban book of
    tests/models/test_model_recourse.py, counted on main before recourse_deals)."""
    book = china_contract_book()
    del book["Contracts"]
    data, _ = read_and_validate(write_workbook(tmp_path / "no_deals.xlsx", book))
    model = build_recourse_model(data)
    assert model.component("con_shared_deal") is None
    assert model_size(model) == SIZE_WITHOUT_DEALS


def test_with_a_contract_each_copy_is_tied_by_one_row_per_deal_column(tmp_path):
    """C1 has one delivery slot (period 2): Signed and Delivery[C1,2], two rows tying ban's copy to base's (no
    take-or-pay: no Untaken or UnderMinimum)."""
    data, _ = read_and_validate(write_workbook(tmp_path / "deal.xlsx", china_contract_book()))
    model = build_recourse_model(data)
    assert sorted(model.SHARED_DEALS) == [("ban", "Delivery", "C1", 2), ("ban", "Signed", "C1")]


SIZE_WITHOUT_DEALS = {"variables": 26, "binaries": 8, "constraints": 28}  # main at 1b78012


def tampered(result, tmp_path, sheet_name: str, change) -> list[str]:
    """The checker's problems with ``result``'s workbook after ``change(sheet, header)`` on one sheet."""
    book = openpyxl.load_workbook(result.output)
    sheet = book[sheet_name]
    change(sheet, [c.value for c in sheet[1]])
    path = Path(tmp_path) / "tampered.xlsx"
    book.save(path)
    return check_result_workbook(path, result.data)


def test_the_checker_refuses_a_delivery_that_names_a_scenario(tmp_path):
    """The 94 plan: its delivery row (contract C1) given scenario 'ban' is a delivery decided after the ban is
    known: reported (and base, which no longer receives it, falls short in its stock)."""
    result = run_case(tmp_path, china_contract_book())

    def to_ban(sheet, header):
        row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, header.index("contract") + 1).value)
        sheet.cell(row=row, column=header.index("scenario") + 1, value="ban")

    problems = tampered(result, tmp_path, "Orders", to_ban)
    assert any("a contract delivery names scenario 'ban'" in p for p in problems), problems


def test_the_checker_recomputes_each_scenarios_capex_payments(tmp_path):
    """The built plan (C = 2,000): its capex row of period 2 lowered to 900 (of 1,000 due) in every scenario
    is reported once per scenario."""
    result = run_case(tmp_path, us_ban(build_or_buy(2_000), 0.1))

    def lower(sheet, header):
        row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, header.index("period") + 1).value == 2)
        sheet.cell(row=row, column=header.index("amount") + 1, value=900)

    problems = tampered(result, tmp_path, "Capex", lower)
    for scenario in ("base", "ban"):
        assert any(p.startswith(f"scenario {scenario}: project P: capex paid in period 2 is 900") for p in problems), \
            problems


def test_the_block_start_finds_the_mineral_of_each_copys_deal_columns(tmp_path):
    """models/blocks.py mineral_of reads a deal column's contract or project from the facts of the copy that
    holds it (the model with recourse has none of its own): C1's and P's columns belong to ga in every copy."""
    from models.blocks import mineral_of

    for name, book in (("contract", china_contract_book()), ("project", us_ban(build_or_buy(2_000), 0.1))):
        data, _ = read_and_validate(write_workbook(tmp_path / f"{name}.xlsx", book))
        model = build_recourse_model(data)
        for copy in model.Scenario.values():
            columns = [*copy.Signed.values(), *copy.Delivery.values(), *copy.Build.values(),
                       *copy.CapexSpend.values()]
            assert columns and {mineral_of(var) for var in columns} == {"ga"}


def test_a_sale_is_the_same_in_every_scenario(tmp_path):
    """tests/models/test_model_sales.py's rotation (50 t held at 2 a period, 30 t demanded in period 3, S1 from
    period 2 at 10, F1 funded by the sale at 8 only) with recourse and 'ban' (0.5): Canada's (S1's) arrivals
    lost in period 3, known then. Selling s t in period 1: revenue 8s, holding 2 x (50 - s) in periods 1 and 2;
    for s <= 20 both scenarios serve from stock, holding 2 x (20 - s) at the end: 240 - 14s; above 20 base
    buys s - 20 back at 10 and ban falls short at 100: -12s + 200 + 0.5 x 10 (s - 20) + 0.5 x 100 (s - 20) =
    43s - 900. So s = 20 in both: -40, no order. (Each scenario selling alone: base 50 t, -100; ban 20 t, -40:
    -70.)"""
    book = sheets(3, Demand=demand(0, 0, 30))
    book["Settings"]["recourse"] = "yes"
    book["Minerals"][0].update(initial_stock=50, holding_cost=2)
    book["Offers"][0]["first_period"] = 2
    book["Funding"][0]["amount"] = 0
    book["Sales"] = [{"mineral": "ga", "first_period": 1, "last_period": 1, "unit_price": 8, "max_per_period": 50,
                      "source": "F1"}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.5, "country": "Canada", "first_period": 3,
                          "last_period": 3, "supply_loss": 1}]
    plan = solve(tmp_path, book)
    assert plan.sales[["period", "quantity", "revenue"]].values.tolist() == [[1, approx(20), approx(160)]]
    assert plan.objective == approx(-40)
    assert plan.costs["sales_revenue"] == approx(-160)
