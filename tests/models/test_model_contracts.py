"""Contracts (issue 13, point 2; models/contracts.py): offtake contracts with a take-or-pay minimum.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, shortfall_penalty 100, F1 with 1,000,000.
Each plan below has passed the independent checker (modelcase.run_case).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyomo.environ as pyo

from modelcase import approx, demand, order_map, run_case, sheets, solve, stock_of
from workbooks import write_workbook

from inputcheck import read_and_validate
from models import build_model
from optimizer.checker import check_result_workbook
from optimizer.contract.results import INFEASIBLE


def contract(**changes) -> dict:
    """K1: ga from S1 at 5 a t, lead time 1, at most 6 t a period and 20 t in all, 15 t take-or-pay, signing 5."""
    row = {"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 5, "lead_time": 1,
           "max_per_period": 6, "min_quantity": 15, "max_quantity": 20, "signing_cost": 5}
    row.update(changes)
    return row


def offtake_book(**changes) -> dict:
    """Demand 10 t in periods 2 and 3; the offer S1 at 10 and contract K1 (``contract(**changes)``)."""
    return sheets(3, Demand=demand(0, 10, 10), Contracts=[contract(**changes)])


def test_signing_and_under_taking_is_cheaper_than_leaving_the_contract(tmp_path):
    """Without K1: 20 t at 10 = 200. With K1 (ordered in 1 and 2, arriving in 2 and 3, at most 6 t each):
    12 t at 5 = 60, take-or-pay on 15 - 12 = 3 t at 5 = 15, signing 5, and the other 8 t from the offer at 10
    = 80: 160 < 200, so the plan signs and takes less than the minimum."""
    plan = solve(tmp_path, offtake_book())
    assert plan.objective == approx(160)
    assert plan.costs["take_or_pay_cost"] == approx(15)
    assert plan.costs["signing_cost"] == approx(5)
    assert plan.costs["purchase_cost"] == approx(60 + 80)
    row = plan.contracts.iloc[0]
    assert row.signed == "yes" and row.taken == approx(12) and row.take_or_pay_quantity == approx(3)
    assert {(r.contract, r.period): r.quantity for r in plan.deliveries.itertuples()} == {
        ("K1", 1): approx(6), ("K1", 2): approx(6)}
    assert order_map(plan) == {("S1", 2): approx(4), ("S1", 3): approx(4)}


def test_a_dearer_contract_is_left_unsigned(tmp_path):
    """K1 at 8: signing costs 12 x 8 + 3 x 8 + 5 + 8 x 10 = 205 > 200 from the offer alone: not signed,
    nothing taken, no take-or-pay."""
    plan = solve(tmp_path, offtake_book(unit_price=8))
    assert plan.objective == approx(200)
    assert plan.contracts.iloc[0].signed == "no"
    assert plan.deliveries.empty and plan.costs["take_or_pay_cost"] == 0


def test_a_signed_contract_pays_its_minimum_even_when_nothing_is_needed(tmp_path):
    """No demand, K1 signed: nothing is taken (holding nothing costs 0, taking costs the same 5 a t),
    take-or-pay 15 x 5 = 75 and signing 5: 80."""
    book = offtake_book(signed="yes")
    del book["Demand"]
    plan = solve(tmp_path, book)
    assert plan.objective == approx(80)
    assert plan.costs["take_or_pay_cost"] == approx(75)


def ban_book() -> dict:
    """K1 signed; demand 6 t in periods 2 and 3; the offer S1 too dear to use (1,000); a ban loses all of
    Canada's (S1's) arrivals in period 3 with probability 0.5."""
    book = offtake_book(signed="yes")
    book["Demand"] = demand(0, 6, 6)
    book["Offers"][0]["unit_price"] = 1_000
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.5, "country": "Canada", "first_period": 3,
                          "last_period": 3, "supply_loss": 1}]
    return book


def test_contract_deliveries_are_lost_in_a_ban_and_take_or_pay_still_counts_them(tmp_path):
    """S1 is Canadian; a ban loses all of Canada's arrivals in period 3 with probability 0.5. K1 signed,
    6 t ordered in periods 1 and 2 (arriving in 2 and 3): the period-3 arrival of the delivery is lost in
    the ban, yet take-or-pay is on what was ordered, 15 - 12 = 3 t (15), not on what arrived.

    Demand 6 t in periods 2 and 3, offer S1 too dear to use (1,000). Base: 6 + 6 arrive, all served.
    Ban: the 6 t arriving in 3 are lost: 6 t unmet x 100 x 0.5 = 300 expected.
    Cost: 60 + 15 + 5 + 300 = 380 (ordering more would arrive lost as well)."""
    book = ban_book()
    plan = solve(tmp_path, book)
    assert plan.costs["take_or_pay_cost"] == approx(15)
    assert plan.costs["penalty_cost"] == approx(300)
    assert plan.objective == approx(380)
    assert stock_of(plan, 3, scenario="ban", column="arrivals") == approx(0)
    assert stock_of(plan, 3, scenario="base", column="arrivals") == approx(6)


def test_a_signed_contract_above_a_country_cap_is_explained(tmp_path):
    """K2 (China, signed) carries 100 t of take-or-pay; China may supply at most 50% of ga. Bought under
    K2 is at least 100 t, so the other 100 t must come from S1, which sells at most 30 t: no plan
    (the cap is short by 100 - 0.5 x 130 = 35 t), and the explanation names the cap and K2."""
    book = sheets(1, Demand=demand(10), Countries=[{"country": "China", "max_share": 0.5}])
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"][0]["max_per_period"] = 30
    book["Contracts"] = [{"contract": "K2", "supplier": "S2", "mineral": "ga", "unit_price": 4,
                          "min_quantity": 100, "signed": "yes"}]
    result = run_case(tmp_path, book)
    assert result.plan.status == INFEASIBLE and result.exit_code == 3
    text = " ".join(result.plan.conflicts)
    assert "country cap" in text and "China" in text and "K2" in text
    assert "take-or-pay minimum 100 t of ga from S2" in text


def test_the_market_cap_counts_contract_deliveries(tmp_path):
    """World supply 10 t a period, share 0.5: orders and deliveries at most 5 t in each of periods 1-3, so
    15 t of the 20 t demand. K1 takes 5 t in periods 1 and 2 (50), take-or-pay on 15 - 10 = 5 t (25),
    signing 5; the offer 5 t in period 3 (50); 5 t unmet (500): 630. Without K1: 15 t from the offer
    (150) + 500 = 650 > 630. Counting the deliveries, nothing more fits under the cap."""
    book = offtake_book()
    book["Minerals"][0].update(world_supply=10, max_market_share=0.5)
    plan = solve(tmp_path, book)
    assert plan.objective == approx(630)
    assert sum(plan.deliveries["quantity"]) == approx(10)
    assert plan.costs["penalty_cost"] == approx(500)


def test_the_checker_catches_a_tampered_take_or_pay(tmp_path):
    """The 160 plan above, with its Contracts row's take_or_pay_paid and the Summary's take_or_pay_cost
    both lowered to 0 (and the objective with them): the checker recomputes 5 x (15 - 12) = 15."""
    result = run_case(tmp_path, offtake_book())
    book = openpyxl.load_workbook(result.output)
    sheet = book["Contracts"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("take_or_pay_paid") + 1, value=0)
    for row in book["Summary"].iter_rows(min_row=2):
        if row[0].value == "take_or_pay_cost":
            row[1].value = 0
        if row[0].value == "objective":
            row[1].value = 145
    tampered = Path(tmp_path) / "tampered.xlsx"
    book.save(tampered)
    problems = check_result_workbook(tampered, result.data)
    assert any("take_or_pay_paid 0 != unit_price x max(0, min_quantity x signed - taken 12) = 15" in p
               for p in problems), problems
    assert any("Summary: take_or_pay_cost 0 != recomputed 15" in p for p in problems), problems


def test_the_checker_catches_a_delivery_above_max_per_period(tmp_path):
    """A delivery row raised from 6 to 7 t breaks max_per_period 6 (and its funding and the stock)."""
    result = run_case(tmp_path, offtake_book())
    book = openpyxl.load_workbook(result.output)
    sheet = book["Orders"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("contract")].value == "K1":
            row[header.index("quantity")].value = 7
            break
    tampered = Path(tmp_path) / "tampered.xlsx"
    book.save(tampered)
    problems = check_result_workbook(tampered, result.data)
    assert any("is above max_per_period 6" in p for p in problems), problems


def _model_text(tmp_path: Path, book: dict, name: str) -> str:
    data = read_and_validate(write_workbook(Path(tmp_path) / f"{name}.xlsx", book))[0]
    path = Path(tmp_path) / f"{name}.lp"
    build_model(data).write(str(path), format="lp", io_options={"symbolic_solver_labels": True})
    return path.read_text()


def rich_book() -> dict:
    """Two suppliers, a discount, a country cap, a market cap, a budget, a ban scenario, a commitment."""
    book = sheets(3, Demand=demand(5, 10, 10), Countries=[{"country": "China", "max_share": 0.6}])
    book["Suppliers"].append({"supplier": "S2", "country": "China", "risk_score": 0.5})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 8, "order_cost": 3, "lead_time": 1})
    book["Discounts"] = [{"supplier": "S1", "mineral": "ga", "min_quantity": 8, "discount": 0.1}]
    book["Minerals"][0].update(world_supply=100, max_market_share=0.5, max_supplier_share=0.8)
    book["Budgets"] = [{"source": "F1", "period": 1, "amount": 500}]
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 2}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.2, "country": "China", "first_period": 2,
                          "last_period": 3, "supply_loss": 1}]
    return book


GOLDEN = Path(__file__).with_name("golden") / "rich_book_without_contracts.lp"


def test_a_workbook_without_contracts_builds_the_model_it_built_before(tmp_path):
    """The LP of rich_book (every concern but contracts) is, row for row and column for column, the LP the
    engine wrote before contracts existed (tests/models/golden, written by the code of main before the
    Contracts branch); an empty Contracts sheet changes nothing either."""
    without = _model_text(tmp_path, rich_book(), "without")
    assert without == GOLDEN.read_text()
    empty = rich_book()
    empty["Contracts"] = [{"contract": None, "supplier": None, "mineral": None, "unit_price": None}]
    assert _model_text(tmp_path, empty, "empty") == without


def test_a_contract_adds_only_its_own_columns_and_rows(tmp_path):
    """With one unsigned contract the model gains Signed, Delivery, Untaken and UnderMinimum columns and
    the contract's rows; the offers' own variables are the same."""
    data = read_and_validate(write_workbook(Path(tmp_path) / "k.xlsx", offtake_book()))[0]
    model = build_model(data)
    assert len(model.Signed) == 1 and len(model.Delivery) == 2 and len(model.UnderMinimum) == 1
    assert len(model.con_take_or_pay) == 1 and len(model.con_contract_delivery) == 2
    assert not model.Signed["K1"].fixed
    signed = build_model(read_and_validate(write_workbook(Path(tmp_path) / "s.xlsx",
                                                          offtake_book(signed="yes")))[0])
    assert signed.Signed["K1"].fixed and pyo.value(signed.Signed["K1"]) == 1


def test_take_or_pay_cannot_be_inflated_to_dilute_a_cap(tmp_path):
    """Demand 30 t in one period; S2 (China) at 5, S1 (Canada) at 10, China at most 50%; K3 (Canada, signed)
    at 1, at most 10 t, 10 t take-or-pay. K3 takes its 10 t (10); then China <= 0.5 x (10 + china + canada)
    with china + canada = 20 gives china 15 (75) and canada 5 (50): 135, no take-or-pay.
    Were the take-or-pay quantity free to exceed what is missing, paying 10 t more for nothing (10) would
    count as bought, let China supply all 20 t (100) and cost 120: the model must not allow it."""
    book = sheets(1, Demand=demand(30), Countries=[{"country": "China", "max_share": 0.5}])
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 5})
    book["Contracts"] = [{"contract": "K3", "supplier": "S1", "mineral": "ga", "unit_price": 1,
                          "max_per_period": 10, "min_quantity": 10, "signed": "yes"}]
    plan = solve(tmp_path, book)
    assert plan.objective == approx(135)
    assert plan.costs["take_or_pay_cost"] == approx(0)
    assert order_map(plan) == {("S2", 1): approx(15), ("S1", 1): approx(5)}


def test_order_bounds_leave_room_to_dilute_a_signed_minimum(tmp_path):
    """Demand 10 t; K4 (China, signed) buys at least 100 t at 1 (taken or not: 100); China at most 50%, so
    S1 (Canada, at 10) must sell at least 100 t: 1,000; objective 1,100. Demand alone would bound S1's
    order at its need x dilution = 10 x 2 = 20 t (models/ordering.py): the contract's 100 t must count
    as useful, or the bound cuts off every plan."""
    book = sheets(1, Demand=demand(10), Countries=[{"country": "China", "max_share": 0.5}])
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Contracts"] = [{"contract": "K4", "supplier": "S2", "mineral": "ga", "unit_price": 1,
                          "min_quantity": 100, "signed": "yes"}]
    plan = solve(tmp_path, book)
    assert plan.objective == approx(1_100)
    assert order_map(plan) == {("S1", 1): approx(100)}


def test_marginals_are_measured_with_the_contract_decisions_fixed(tmp_path):
    """F1 holds 150: K1 as above (60 + 15 take-or-pay + 5 signing = 80), 7 t from the offer (70), 1 t unmet
    (100): 250. A dollar more buys 0.1 t at 10 that saves 0.1 x 100: -9 per dollar, read from the plan's LP
    (Signed and UnderMinimum fixed, so it is an LP with duals)."""
    book = offtake_book()
    book["Funding"][0]["amount"] = 150
    result = run_case(tmp_path, book)
    assert result.plan.objective == approx(250)
    amount, = [m for m in result.plan.analysis.marginals if m.kind == "amount"]
    assert amount.value == approx(-9)


def test_each_scenario_pays_the_contract_and_the_scenario_costs_add_up_to_the_plan(tmp_path):
    """The ban case above: K1's 60 of deliveries, 15 of take-or-pay and 5 of signing are the same in every
    scenario (80); the ban adds 6 t unmet x 100 = 600. Base 80, ban 680; 0.5 x 80 + 0.5 x 680 = 380, the
    plan's expected cost, as the Scenario costs sheet and the Dashboard's sentence must say."""
    from optimizer.contract.scenario_costs import scenario_cost_frame

    book = ban_book()
    result = run_case(tmp_path, book)
    costs = scenario_cost_frame(result.plan, result.data).set_index("scenario")["cost"]
    assert costs["base"] == approx(80)
    assert costs["ban"] == approx(680)
