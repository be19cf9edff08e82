"""The plan checker: a hand-worked valid plan passes, and each kind of corruption is caught.

The data is built from the dataclasses directly and the result workbook is
written cell by cell with openpyxl, every number worked out by hand below.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from optimizer.checker import (FundingRow, OrderRow, SaleRow, Tolerance, check_funding, check_result_workbook,
                               check_sales)
from optimizer.contract.data import (Disruption, FundingSource, Mineral, Offer, PlanningData, Sale, Scenario, Settings,
                            Supplier)
from optimizer.intake.generate import write_sheets

# Three periods; Li is bought from A (country AU) and B (country CN); Co has an offer
# from B but no source may pay for it (Fund excludes CN, Loan pays only Li), so Co runs out.


def make_data() -> PlanningData:
    minerals = {
        "Li": Mineral("Li", "t", initial_stock=20, holding_cost=2, shortfall_penalty=1000, target_penalty=100, max_stock=100,
                      max_supplier_share=0.8, max_avg_risk=0.5),
        "Co": Mineral("Co", "t", initial_stock=5, holding_cost=1, shortfall_penalty=500, target_penalty=50, max_stock=None,
                      max_supplier_share=1.0, max_avg_risk=1.0),
    }
    suppliers = {
        "A": Supplier("A", "AU", risk_score=0.2, onboarding_cost=500),
        "B": Supplier("B", "CN", risk_score=0.6, onboarding_cost=0),
    }
    offers = {
        ("A", "Li"): Offer("A", "Li", unit_price=100, lead_time=1, min_order=5, max_per_period=50, order_cost=50,
                           first_period=1, last_period=3, prices={2: 110}, discounts=((40.0, 0.1),)),
        ("B", "Li"): Offer("B", "Li", unit_price=80, lead_time=0, min_order=0, max_per_period=None, order_cost=0,
                           first_period=1, last_period=3),
        ("B", "Co"): Offer("B", "Co", unit_price=200, lead_time=0, min_order=0, max_per_period=None, order_cost=0,
                           first_period=1, last_period=3),
    }
    funding = {
        "Fund": FundingSource("Fund", amount=10000, first_period=1, last_period=3, cost_rate=0.05,
                              excluded_countries=frozenset({"CN"}), minerals=None, budgets={1: 5000}),
        "Loan": FundingSource("Loan", amount=5000, first_period=1, last_period=3, cost_rate=0.1,
                              excluded_countries=frozenset(), minerals=frozenset({"Li"})),
    }
    return PlanningData(
        settings=Settings(num_periods=3, risk_weight=0.1),
        minerals=minerals,
        suppliers=suppliers,
        offers=offers,
        funding=funding,
        demand={("Li", 1): 20, ("Li", 2): 10, ("Li", 3): 30, ("Co", 1): 3, ("Co", 2): 3, ("Co", 3): 3},
        targets={("Li", 2): 50, ("Li", 3): 15},
        pipeline={("B", "Li", 1): 5},
        commitments={("A", "Li", 1): 40},
        country_max_share={"CN": 0.5},
        scenarios=(Scenario("CN cut", 0.25, (Disruption("CN", 2, 2, 0.5),)),),
    )


def replace(data: PlanningData, **changes) -> PlanningData:
    return dataclasses.replace(data, **changes)


ORDERS_HEADER = ["supplier", "mineral", "country", "period", "arrival_period", "quantity", "unit_price", "cost"]
ORDERS = [
    # committed 40 >= tier 40: 100 x (1 - 0.1) = 90; cost 40 x 90 + 50 = 3650; arrives 1 + 1
    ["A", "Li", "AU", 1, 2, 40, 90, 3650],
    # Prices override 110 in period 2, 10 < 40 no discount; cost 10 x 110 + 50 = 1150
    ["A", "Li", "AU", 2, 3, 10, 110, 1150],
    ["B", "Li", "CN", 2, 2, 20, 80, 1600],  # 20 x 80 + 0
    ["B", "Li", "CN", 3, 3, 15, 80, 1200],  # 15 x 80 + 0
]
# Li totals: A 50, B (CN) 35, all 85. CN 35/85 = 0.41 <= 0.5; A 50/85 = 0.59 <= 0.8;
# average risk (0.2 x 50 + 0.6 x 35) / 85 = 31/85 = 0.365 <= 0.5.

FUNDING_HEADER = ["source", "supplier", "mineral", "period", "amount"]
FUNDING = [
    ["Fund", "A", "Li", 1, 3000],  # 3000 + 650 = 3650; Fund in period 1: 3000 <= budget 5000
    ["Loan", "A", "Li", 1, 650],
    ["Fund", "A", "Li", 2, 1150],
    ["Loan", "B", "Li", 2, 1600],  # CN: only Loan may pay
    ["Loan", "B", "Li", 3, 1200],
]
# Fund total 3000 + 1150 = 4150 <= 10000; Loan 650 + 1600 + 1200 = 3450 <= 5000.

STOCK_HEADER = ["scenario", "mineral", "period", "arrivals", "demand", "unmet_demand", "stock", "target",
                "shortfall"]
STOCK = [
    # base. Li t1: pipeline 5 (B); 20 + 5 - 20 = 5.
    ["base", "Li", 1, 5, 20, 0, 5, 0, 0],
    # t2: A's 40 (placed t1, lead 1) + B's 20 (lead 0) = 60; 5 + 60 - 10 = 55 >= target 50.
    ["base", "Li", 2, 60, 10, 0, 55, 50, 0],
    # t3: A's 10 (placed t2) + B's 15 = 25; 55 + 25 - 30 = 50 >= 15.
    ["base", "Li", 3, 25, 30, 0, 50, 15, 0],
    # Co, no arrivals: 5 - 3 = 2; 2 - 3 -> unmet 1, stock 0; 0 - 3 -> unmet 3, stock 0.
    ["base", "Co", 1, 0, 3, 0, 2, 0, 0],
    ["base", "Co", 2, 0, 3, 1, 0, 0, 0],
    ["base", "Co", 3, 0, 3, 3, 0, 0, 0],
    # CN cut (CN loses half in period 2). t1 as base: 5.
    ["CN cut", "Li", 1, 5, 20, 0, 5, 0, 0],
    # t2: 40 + 0.5 x 20 = 50; 5 + 50 - 10 = 45, target 50 -> shortfall 5.
    ["CN cut", "Li", 2, 50, 10, 0, 45, 50, 5],
    # t3: 25; 45 + 25 - 30 = 40 >= 15.
    ["CN cut", "Li", 3, 25, 30, 0, 40, 15, 0],
    ["CN cut", "Co", 1, 0, 3, 0, 2, 0, 0],
    ["CN cut", "Co", 2, 0, 3, 1, 0, 0, 0],
    ["CN cut", "Co", 3, 0, 3, 3, 0, 0, 0],
]

SUMMARY = [
    ["status", "optimal"],
    # 11251.5 = 7500 + 100 + 500 + 552.5 + 262 + 212 + 2125
    ["objective", 11251.5],
    ["purchase_cost", 7500],  # 40 x 90 + 10 x 110 + 20 x 80 + 15 x 80 = 3600 + 1100 + 1600 + 1200
    ["order_cost", 100],  # two orders with A at 50
    ["onboarding_cost", 500],  # A 500 + B 0
    ["financing_cost", 552.5],  # 0.05 x 4150 + 0.1 x 3450 = 207.5 + 345
    ["risk_cost", 262],  # 0.1 x (0.2 x (3600 + 1100) + 0.6 x (1600 + 1200)) = 0.1 x (940 + 1680)
    # base (p 0.75): 2 x (5 + 55 + 50) + 1 x 2 = 222; CN cut (p 0.25): 2 x (5 + 45 + 40) + 2 = 182;
    # 0.75 x 222 + 0.25 x 182 = 166.5 + 45.5
    ["holding_cost", 212],
    # shortfall_penalty x unmet + target_penalty x below target. base: Co 500 x (1 + 3) = 2000;
    # CN cut: Li 100 x 5 + Co 2000 = 2500; 0.75 x 2000 + 0.25 x 2500 = 1500 + 625
    ["penalty_cost", 2125],
    ["mip_gap", 0.0],
    ["solve_seconds", 0.1],
    ["input_sha256", "sha-of-input"],  # not checked: make_data() has no input_sha256
]


def make_tables() -> dict[str, list[list]]:
    """Sheet title -> rows, header first; fresh lists so a test may corrupt them."""
    return {
        "Summary": [["key", "value"]] + [list(r) for r in SUMMARY],
        "Orders": [list(ORDERS_HEADER)] + [list(r) for r in ORDERS],
        "Funding": [list(FUNDING_HEADER)] + [list(r) for r in FUNDING],
        "Stock": [list(STOCK_HEADER)] + [list(r) for r in STOCK],
    }


def set_cell(tables: dict[str, list[list]], sheet: str, match: dict, column: str, value) -> None:
    """Set ``column`` of the one row of ``sheet`` whose cells equal ``match``."""
    header, *rows = tables[sheet]
    hits = [r for r in rows if all(r[header.index(k)] == v for k, v in match.items())]
    assert len(hits) == 1, hits
    hits[0][header.index(column)] = value


def delete_row(tables: dict[str, list[list]], sheet: str, match: dict) -> None:
    header = tables[sheet][0]
    hits = [r for r in tables[sheet][1:] if all(r[header.index(k)] == v for k, v in match.items())]
    assert len(hits) == 1, hits
    tables[sheet].remove(hits[0])


def check(tmp_path: Path, tables: dict[str, list[list]], data: PlanningData | None = None) -> list[str]:
    return check_result_workbook(write_sheets(tmp_path / "result.xlsx", tables), data or make_data())


def assert_reported(problems: list[str], *fragments: str) -> None:
    assert any(all(f in p for f in fragments) for p in problems), problems


def test_valid_plan_passes(tmp_path):
    problems = check(tmp_path, make_tables())
    assert problems == []


def test_layout_freedoms_are_accepted(tmp_path):
    """Headers in any case and order, extra columns and sheets, blank rows: all ignored."""
    tables = make_tables()
    tables["Orders"] = [[" Supplier ", "EXTRA"] + [h.upper() for h in ORDERS_HEADER[1:]]] + [
        [r[0], "x"] + r[1:] for r in tables["Orders"][1:]]
    tables["Stock"] = [STOCK_HEADER[::-1]] + [r[::-1] for r in tables["Stock"][1:]]
    tables["Funding"].insert(3, [None] * 5)
    tables["Notes"] = [["anything"], [1]]
    assert check(tmp_path, tables) == []


def test_solver_noise_is_tolerated(tmp_path):
    tables = make_tables()
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Li", "period": 2}, "stock", 55 + 2e-7)
    set_cell(tables, "Orders", {"supplier": "B", "period": 3}, "quantity", 15 - 1e-7)
    set_cell(tables, "Summary", {"key": "objective"}, "value", 11251.5 * (1 + 5e-7))
    assert check(tmp_path, tables) == []


def test_discount_tier_boundary_within_tolerance(tmp_path):
    """40 - 1e-7 is the committed 40 to the solver: the tier's discount applies."""
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "A", "period": 1}, "quantity", 40 - 1e-7)
    assert check(tmp_path, tables) == []


# --- Orders ------------------------------------------------------------------------------


def test_wrong_unit_price(tmp_path):
    tables = make_tables()  # period 2's Prices override (110) ignored
    set_cell(tables, "Orders", {"supplier": "A", "period": 2}, "unit_price", 100)
    assert_reported(check(tmp_path, tables), "Orders row 3", "unit_price 100", "110")


def test_discount_not_applied(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "A", "period": 1}, "unit_price", 100)
    set_cell(tables, "Orders", {"supplier": "A", "period": 1}, "cost", 4050)
    assert_reported(check(tmp_path, tables), "unit_price 100", "discount 0.1")


def test_unit_price_off_by_a_millionth_of_a_percent_more_than_noise(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "B", "period": 2}, "unit_price", 80.01)
    assert_reported(check(tmp_path, tables), "unit_price 80.01")


def test_cost_without_order_cost(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "A", "period": 2}, "cost", 1100)
    assert_reported(check(tmp_path, tables), "cost 1100", "order_cost 1150")


def test_wrong_arrival_period(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "A", "period": 2}, "arrival_period", 2)
    assert_reported(check(tmp_path, tables), "arrival_period 2")


def test_wrong_country(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "B", "period": 3}, "country", "AU")
    assert_reported(check(tmp_path, tables), "country 'AU'", "'CN'")


def test_order_in_unorderable_period(tmp_path):
    tables = make_tables()  # A has lead time 1: an order in period 3 would arrive after the horizon
    tables["Orders"].append(["A", "Li", "AU", 3, 4, 5, 100, 550])
    assert_reported(check(tmp_path, tables), "period 3 is not orderable")


def test_order_outside_offer_window(tmp_path):
    data = make_data()
    data = replace(data, offers={**data.offers, ("B", "Li"): dataclasses.replace(data.offers[("B", "Li")],
                                                                                  first_period=3)})
    assert_reported(check(tmp_path, make_tables(), data), "(B, Li, period 2)", "not orderable")


def test_not_an_offer(tmp_path):
    tables = make_tables()
    tables["Orders"].append(["A", "Co", "AU", 1, 1, 1, 200, 200])
    assert_reported(check(tmp_path, tables), "(A, Co) is not an offer")


def test_duplicate_order(tmp_path):
    tables = make_tables()
    tables["Orders"].append(["B", "Li", "CN", 3, 3, 0, 80, 0])
    assert_reported(check(tmp_path, tables), "duplicate order")


def test_below_min_order(tmp_path):
    data = make_data()
    data = replace(data, offers={**data.offers, ("A", "Li"): dataclasses.replace(data.offers[("A", "Li")],
                                                                                  min_order=12)})
    assert_reported(check(tmp_path, make_tables(), data), "quantity 10 is below min_order 12")


def test_above_max_per_period(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "A", "period": 2}, "quantity", 51)
    assert_reported(check(tmp_path, tables), "quantity 51 is above max_per_period 50")


def test_missing_commitment(tmp_path):
    tables = make_tables()
    delete_row(tables, "Orders", {"supplier": "A", "period": 1})
    assert_reported(check(tmp_path, tables), "commitment (A, Li, period 1) of 40 has no order row")


def test_commitment_with_other_quantity(tmp_path):
    data = replace(make_data(), commitments={("A", "Li", 1): 40, ("B", "Li", 3): 16})
    assert_reported(check(tmp_path, make_tables(), data), "commitment (B, Li, period 3) of 16 is ordered as 15")


def test_a_commitment_at_an_agreed_price_is_priced_at_it(tmp_path):
    """The committed 40 t of Li from A were agreed at 90 a t, as the plan shows: valid. Agreed at 95, the
    plan's 90 (list 100 less the tier's 10%) is wrong: the agreed price replaces Prices and Discounts."""
    assert check(tmp_path, make_tables(), replace(make_data(), commitment_prices={("A", "Li", 1): 90.0})) == []
    data = replace(make_data(), commitment_prices={("A", "Li", 1): 95.0})
    assert_reported(check(tmp_path, make_tables(), data),
                    "Orders row 2 (A, Li, period 1): unit_price 90 != the commitment's agreed unit_price 95")


def test_no_order_but_the_commitments_in_frozen_periods(tmp_path):
    """--freeze 2: the commitment in period 1 may stand; B's orders in period 2 may not."""
    problems = check(tmp_path, make_tables(), replace(make_data(), frozen_periods=2))
    assert_reported(problems, "Orders row 3 (A, Li, period 2): an order in frozen period 2 (--freeze 2) that is "
                              "not a commitment")
    assert_reported(problems, "Orders row 4 (B, Li, period 2)")
    assert not any("period 1)" in p or "period 3)" in p for p in problems), problems


def test_bad_cell_is_reported(tmp_path):
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "B", "period": 3}, "quantity", "lots")
    set_cell(tables, "Orders", {"supplier": "B", "period": 2}, "period", 2.5)
    problems = check(tmp_path, tables)
    assert_reported(problems, "Orders row 5: quantity 'lots' is not a number")
    assert_reported(problems, "Orders row 4: period 2.5 is not a whole number")


# --- Funding ------------------------------------------------------------------------------


def test_budget_overspent_by_a_tenth_of_a_percent(tmp_path):
    data = make_data()  # Fund pays 3000 in period 1; 2997 x 1.001 = 3000.0
    data = replace(data, funding={**data.funding, "Fund": dataclasses.replace(data.funding["Fund"],
                                                                              budgets={1: 2997})})
    assert_reported(check(tmp_path, make_tables(), data), "source Fund: pays 3000 in period 1, above its budget 2997")


def test_budget_overspent_by_moving_money(tmp_path):
    tables = make_tables()  # still 3650 for the order, but Fund now pays 5100 > 5000 in period 1
    set_cell(tables, "Funding", {"source": "Fund", "period": 1}, "amount", 5100)
    set_cell(tables, "Funding", {"source": "Loan", "period": 1}, "amount", -1450)
    problems = check(tmp_path, tables)
    assert_reported(problems, "above its budget 5000")
    assert_reported(problems, "amount -1450 is negative")


def test_source_amount_exceeded(tmp_path):
    data = make_data()
    data = replace(data, funding={**data.funding, "Loan": dataclasses.replace(data.funding["Loan"], amount=3449)})
    assert_reported(check(tmp_path, make_tables(), data), "source Loan: pays 3450 in total, above its amount 3449")


def test_funding_of_excluded_country(tmp_path):
    tables = make_tables()
    set_cell(tables, "Funding", {"source": "Loan", "period": 2}, "source", "Fund")
    assert_reported(check(tmp_path, tables), "Funding row 5", "country CN is excluded")


def test_funding_of_mineral_not_allowed(tmp_path):
    data = make_data()
    data = replace(data, funding={**data.funding, "Loan": dataclasses.replace(data.funding["Loan"],
                                                                              minerals=frozenset({"Co"}))})
    assert_reported(check(tmp_path, make_tables(), data), "mineral Li is not among its minerals")


def test_funding_outside_source_periods(tmp_path):
    data = make_data()
    data = replace(data, funding={**data.funding, "Fund": dataclasses.replace(data.funding["Fund"],
                                                                              last_period=1)})
    assert_reported(check(tmp_path, make_tables(), data), "(Fund: A, Li, period 2)", "outside its periods 1..1")


def test_order_not_fully_funded(tmp_path):
    tables = make_tables()
    set_cell(tables, "Funding", {"source": "Fund", "period": 2}, "amount", 1100)
    assert_reported(check(tmp_path, tables), "order (A, Li, period 2): funding adds up to 1100, its cost is 1150")


def test_funding_without_order(tmp_path):
    tables = make_tables()
    tables["Funding"].append(["Loan", "B", "Li", 1, 10])
    assert_reported(check(tmp_path, tables), "pays 10 for no order")


def test_unknown_funding_source(tmp_path):
    tables = make_tables()
    set_cell(tables, "Funding", {"source": "Loan", "period": 3}, "source", "Bank")
    assert_reported(check(tmp_path, tables), "source 'Bank' is not in Funding")


# --- Stock --------------------------------------------------------------------------------


def test_stock_balance_off_by_one(tmp_path):
    tables = make_tables()
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Li", "period": 3}, "stock", 51)
    assert_reported(check(tmp_path, tables), "(base, Li, period 3)", "stock balance broken", "= 50")


def test_arrivals_ignore_scenario_loss(tmp_path):
    tables = make_tables()
    set_cell(tables, "Stock", {"scenario": "CN cut", "mineral": "Li", "period": 2}, "arrivals", 60)
    assert_reported(check(tmp_path, tables), "(CN cut, Li, period 2)", "arrivals 60 != recomputed 50")


def test_stock_that_ignores_the_loss_breaks_the_balance(tmp_path):
    tables = make_tables()
    for column, value in (("arrivals", 60), ("stock", 55), ("shortfall", 0)):
        set_cell(tables, "Stock", {"scenario": "CN cut", "mineral": "Li", "period": 2}, column, value)
    assert_reported(check(tmp_path, tables), "(CN cut, Li, period 2)", "stock balance broken")


def test_wrong_demand_column(tmp_path):
    tables = make_tables()
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 1}, "demand", 4)
    assert_reported(check(tmp_path, tables), "demand 4 != input demand 3")


def test_unmet_demand_above_demand(tmp_path):
    tables = make_tables()  # balance kept: 0 + 0 - 3 + 4 = 1
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 3}, "unmet_demand", 4)
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 3}, "stock", 1)
    assert_reported(check(tmp_path, tables), "unmet_demand 4 is outside 0..demand 3")


def test_stock_above_max_stock(tmp_path):
    data = make_data()
    data = replace(data, minerals={**data.minerals, "Li": dataclasses.replace(data.minerals["Li"], max_stock=52)})
    assert_reported(check(tmp_path, make_tables(), data), "(base, Li, period 2)", "stock 55 is above max_stock 52")


def test_negative_stock(tmp_path):
    tables = make_tables()  # balance kept: 2 + 0 - 3 + 0 = -1
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 2}, "unmet_demand", 0)
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 2}, "stock", -1)
    assert_reported(check(tmp_path, tables), "stock -1 is negative")


def test_wrong_target_column(tmp_path):
    tables = make_tables()
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Li", "period": 1}, "target", 5)
    assert_reported(check(tmp_path, tables), "target 5 != input target 0")


def test_shortfall_too_small(tmp_path):
    tables = make_tables()
    set_cell(tables, "Stock", {"scenario": "CN cut", "mineral": "Li", "period": 2}, "shortfall", 4)
    assert_reported(check(tmp_path, tables), "(CN cut, Li, period 2)", "shortfall 4 is below")


def held_while_short(tables: dict[str, list[list]]) -> None:
    """Co in base holds 1 t in period 2 while 2 t of demand go unmet there: 5 - 3 = 2, then 2 + 0 - 3 + 2 = 1,
    then 1 + 0 - 3 + 2 = 0. Every balance holds and total unmet demand stays 4 (penalty unchanged); only
    holding_cost rises, by pi[base] x 1 x 1 = 0.75."""
    for period, unmet, stock in ((2, 2, 1), (3, 2, 0)):
        set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": period}, "unmet_demand", unmet)
        set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": period}, "stock", stock)
    set_cell(tables, "Summary", {"key": "holding_cost"}, "value", 212.75)
    set_cell(tables, "Summary", {"key": "objective"}, "value", 11252.25)


def test_release_rule_broken(tmp_path):
    """serve_first (the default): a period that ends with unmet demand and stock held is the one violation."""
    tables = make_tables()
    held_while_short(tables)
    problems = check(tmp_path, tables)
    assert len(problems) == 1
    assert_reported(problems, "(base, Co, period 2)", "unmet_demand 2 while stock 1 is held")


def test_release_rule_optimal_allows_holding_while_short(tmp_path):
    tables = make_tables()
    held_while_short(tables)
    data = make_data()
    data = replace(data, settings=replace(data.settings, release_rule="optimal"))
    assert check(tmp_path, tables, data) == []


def test_stock_below_target_is_priced_at_target_penalty(tmp_path):
    """Li's target_penalty 100 -> 300: CN cut's 5 t below target cost 1,500, not 500; penalty_cost
    0.75 x 2000 + 0.25 x (1500 + 2000) = 2,375."""
    data = make_data()
    data = replace(data, minerals={**data.minerals, "Li": replace(data.minerals["Li"], target_penalty=300)})
    assert_reported(check(tmp_path, make_tables(), data), "Summary: penalty_cost 2125 != recomputed 2375")


def test_missing_stock_row(tmp_path):
    tables = make_tables()
    delete_row(tables, "Stock", {"scenario": "CN cut", "mineral": "Co", "period": 3})
    assert_reported(check(tmp_path, tables), "row missing for scenario CN cut, mineral Co, period 3")


def test_duplicate_and_unknown_stock_rows(tmp_path):
    tables = make_tables()
    tables["Stock"].append(["base", "Li", 1, 5, 20, 0, 5, 0, 0])
    tables["Stock"].append(["drought", "Li", 1, 5, 20, 0, 5, 0, 0])
    tables["Stock"].append(["base", "Li", 4, 5, 20, 0, 5, 0, 0])
    problems = check(tmp_path, tables)
    assert_reported(problems, "Stock row 14: duplicates row 2")
    assert_reported(problems, "scenario 'drought' is not base or a Scenarios name")
    assert_reported(problems, "period 4 is outside 1..3")


# --- Mix ----------------------------------------------------------------------------------


def test_country_share_broken(tmp_path):
    data = replace(make_data(), country_max_share={"CN": 0.4})  # CN has 35 / 85 = 0.41
    assert_reported(check(tmp_path, make_tables(), data), "mineral Li: country CN share broken")


def test_country_share_broken_by_a_bigger_order(tmp_path):
    tables = make_tables()  # CN 70 / 120 = 0.58 > 0.5
    set_cell(tables, "Orders", {"supplier": "B", "period": 3}, "quantity", 50)
    assert_reported(check(tmp_path, tables), "country CN share broken: 70 of 120")


def test_supplier_share_broken(tmp_path):
    data = make_data()  # A has 50 / 85 = 0.59
    data = replace(data, minerals={**data.minerals, "Li": dataclasses.replace(data.minerals["Li"],
                                                                              max_supplier_share=0.55)})
    assert_reported(check(tmp_path, make_tables(), data), "supplier A share broken")


def test_average_risk_broken(tmp_path):
    data = make_data()  # average 31 / 85 = 0.365
    data = replace(data, minerals={**data.minerals, "Li": dataclasses.replace(data.minerals["Li"],
                                                                              max_avg_risk=0.36)})
    assert_reported(check(tmp_path, make_tables(), data), "mineral Li: average risk broken")


def with_market(world_supply=100.0, share=0.4, default=1.0) -> PlanningData:
    """Li's world market sells ``world_supply`` t a period. Li orders placed per period: t1 40 (A,
    committed), t2 10 (A) + 20 (B) = 30, t3 15."""
    data = make_data()
    li = dataclasses.replace(data.minerals["Li"], world_supply=world_supply, max_market_share=share)
    return replace(data, minerals={**data.minerals, "Li": li},
                   settings=dataclasses.replace(data.settings, max_market_share=default))


def test_market_cap_met_exactly_passes(tmp_path):
    """0.4 x 100 = 40 t a period: t1's 40 reaches it, t2's 30 and t3's 15 stay below."""
    assert check(tmp_path, make_tables(), with_market()) == []


def test_market_cap_broken_by_a_bigger_order(tmp_path):
    """B's period-2 order raised to 40: 10 + 40 = 50 t placed in period 2, above the 40 t cap."""
    tables = make_tables()
    set_cell(tables, "Orders", {"supplier": "B", "period": 2}, "quantity", 40)
    assert_reported(check(tmp_path, tables, with_market()), "mineral Li: market cap broken in period 2: 50 ordered",
                    "= 40")


def test_market_cap_from_the_settings_default(tmp_path):
    """No Minerals share, Settings.max_market_share 0.35: cap 35 t; period 1's committed 40 breaks it,
    periods 2 (30) and 3 (15) do not."""
    problems = check(tmp_path, make_tables(), with_market(share=None, default=0.35))
    assert [p for p in problems if "market cap" in p] == [
        "mineral Li: market cap broken in period 1: 40 ordered, above max_market_share x world_supply = 35"]


# --- Summary ------------------------------------------------------------------------------


@pytest.mark.parametrize("key, value", [
    ("purchase_cost", 7501), ("order_cost", 50), ("onboarding_cost", 0), ("financing_cost", 552),
    ("risk_cost", 261.9), ("holding_cost", 213), ("penalty_cost", 2000),
])
def test_summary_cost_off(tmp_path, key, value):
    tables = make_tables()
    set_cell(tables, "Summary", {"key": key}, "value", value)
    assert_reported(check(tmp_path, tables), f"Summary: {key} {value} != recomputed")


def test_summary_objective_not_the_sum(tmp_path):
    tables = make_tables()
    set_cell(tables, "Summary", {"key": "objective"}, "value", 11252.5)
    assert_reported(check(tmp_path, tables), "objective 11252.5 != sum of the cost keys 11251.5")


def test_risk_cost_uses_risk_weight(tmp_path):
    data = replace(make_data(), settings=Settings(num_periods=3, risk_weight=0.2))
    assert_reported(check(tmp_path, make_tables(), data), "risk_cost 262 != recomputed 524")


def test_status_not_a_plan(tmp_path):
    tables = make_tables()
    set_cell(tables, "Summary", {"key": "status"}, "value", "infeasible")
    assert_reported(check(tmp_path, tables), "status 'infeasible' is not a plan's")


def test_summary_key_missing(tmp_path):
    tables = make_tables()
    delete_row(tables, "Summary", {"key": "penalty_cost"})
    assert_reported(check(tmp_path, tables), "key penalty_cost is missing")


def test_input_sha256_must_match_the_input(tmp_path):
    data = replace(make_data(), input_sha256="abc")
    assert_reported(check(tmp_path, make_tables(), data), "input_sha256 'sha-of-input' is not the input's 'abc'")


# --- Structure ----------------------------------------------------------------------------


def test_missing_sheet_and_column(tmp_path):
    tables = make_tables()
    del tables["Funding"]
    tables["Stock"] = [[h for h in STOCK_HEADER if h != "shortfall"]] + [r[:-1] for r in tables["Stock"][1:]]
    problems = check(tmp_path, tables)
    assert "sheet Funding is missing" in problems
    assert "sheet Stock: missing column(s) shortfall" in problems


def test_unreadable_file(tmp_path):
    path = tmp_path / "result.xlsx"
    path.write_text("not a workbook")
    assert_reported(check_result_workbook(path, make_data()), "cannot open result workbook")


# --- decay (Minerals.loss_rate) ---------------------------------------------------------------


def with_decay() -> tuple[PlanningData, dict[str, list[list]]]:
    """Co loses half its stock each period. In both scenarios: t1 (5 - 3) x 0.5 = 1, 1 lost;
    t2 1 - 3: 2 unmet, stock 0; t3 3 unmet. Against the plan without decay: holding -1 (Co's stock
    2 -> 1 at holding_cost 1), penalty +500 (one more unit unmet at 500): objective 11,750.5."""
    data = make_data()
    data = replace(data, minerals={**data.minerals, "Co": dataclasses.replace(data.minerals["Co"], loss_rate=0.5)})
    tables = make_tables()
    tables["Stock"][0].append("lost")
    for row in tables["Stock"][1:]:
        row.append(0)
    for scenario in ("base", "CN cut"):
        set_cell(tables, "Stock", {"scenario": scenario, "mineral": "Co", "period": 1}, "stock", 1)
        set_cell(tables, "Stock", {"scenario": scenario, "mineral": "Co", "period": 1}, "lost", 1)
        set_cell(tables, "Stock", {"scenario": scenario, "mineral": "Co", "period": 2}, "unmet_demand", 2)
    for key, value in (("holding_cost", 211), ("penalty_cost", 2625), ("objective", 11750.5)):
        set_cell(tables, "Summary", {"key": key}, "value", value)
    return data, tables


def test_decay_recomputed_passes(tmp_path):
    data, tables = with_decay()
    assert check(tmp_path, tables, data) == []


def test_stock_that_ignores_decay_breaks_the_balance(tmp_path):
    """Co's period-1 stock left at 2 (no decay) with nothing lost: the balance says 1."""
    data, tables = with_decay()
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 1}, "stock", 2)
    set_cell(tables, "Stock", {"scenario": "base", "mineral": "Co", "period": 1}, "lost", 0)
    assert_reported(check(tmp_path, tables, data), "stock balance broken: stock 2 != (previous 5",
                    "x (1 - loss_rate 0.5) = 1")


def test_lost_column_must_match_the_decay(tmp_path):
    data, tables = with_decay()
    set_cell(tables, "Stock", {"scenario": "CN cut", "mineral": "Co", "period": 1}, "lost", 0.5)
    assert_reported(check(tmp_path, tables, data), "lost 0.5 != loss_rate 0.5 x 2 held = 1")


# --- sales (the Sales sheet) and funds with revenue --------------------------------------------


def with_sale(amount: float = 3500) -> PlanningData:
    """Fund (amount ``amount``) receives the revenue of sale 1: Co in period 1, up to 2 t at 400."""
    data = make_data()
    fund = dataclasses.replace(data.funding["Fund"], amount=amount, receives_sales=True)
    return replace(data, funding={**data.funding, "Fund": fund},
                   sales=(Sale(1, "Co", 1, 1, unit_price=400, max_per_period=2, source="Fund"),))


def funding_rows() -> list[FundingRow]:
    return [FundingRow(n, *row) for n, row in enumerate(FUNDING, 2)]


def order_rows() -> list[OrderRow]:
    return [OrderRow(n, *row) for n, row in enumerate(ORDERS, 2)]


TOL = Tolerance(1e-6, 1e-4)


def test_revenue_received_before_a_period_pays_for_it():
    """Fund pays 3,000 in period 1 and 1,150 in period 2: 4,150 against its amount 3,500 plus the 800 of
    2 t of Co sold in period 1 (received from period 2 on): within. Without the sale, 650 over."""
    sold = [SaleRow(2, 1, "Co", 1, 2, 400, 800, "Fund")]
    assert check_funding(funding_rows(), order_rows(), with_sale(), TOL, sales=sold) == []
    assert_reported(check_funding(funding_rows(), order_rows(), with_sale(), TOL, sales=[]),
                    "source Fund: pays 4150 up to period 2, above its amount 3500 + revenue received before period 2 0")


def test_revenue_is_not_spent_in_the_period_it_is_received():
    """Fund with 2,900: period 1's 3,000 is above it whatever period 1's sale brings."""
    sold = [SaleRow(2, 1, "Co", 1, 2, 400, 800, "Fund")]
    assert_reported(check_funding(funding_rows(), order_rows(), with_sale(2900), TOL, sales=sold),
                    "pays 3000 up to period 1, above its amount 2900 + revenue received before period 1 0")


@pytest.mark.parametrize(("row", "message"), [
    (SaleRow(2, 9, "Co", 1, 1, 400, 400, "Fund"), "sale 9 is not a row of the input's Sales sheet (1..1)"),
    (SaleRow(2, 1, "Co", 2, 1, 400, 400, "Fund"), "period 2 is outside the sale's periods 1..1"),
    (SaleRow(2, 1, "Co", 1, 3, 400, 1200, "Fund"), "quantity 3 is outside 0..max_per_period 2"),
    (SaleRow(2, 1, "Co", 1, 1, 450, 450, "Fund"), "unit_price 450 != the sale's 400"),
    (SaleRow(2, 1, "Co", 1, 1, 400, 500, "Fund"), "revenue 500 != quantity x unit_price 400"),
    (SaleRow(2, 1, "Li", 1, 1, 400, 400, "Loan"), "mineral 'Li' and source 'Loan' != the sale's 'Co' and 'Fund'"),
])
def test_a_sales_row_the_input_does_not_allow_is_reported(row, message):
    assert_reported(check_sales([row], with_sale(), TOL), message)


def test_stock_must_show_the_sales_and_subtract_them(tmp_path):
    """2 t of Co sold in period 1 (Sales sheet) while the Stock sheet ignores it: both the sold column and
    the balance are reported, in every scenario."""
    tables = make_tables()
    tables["Sales"] = [["sale", "mineral", "period", "quantity", "unit_price", "revenue", "source"],
                       [1, "Co", 1, 2, 400, 800, "Fund"]]
    problems = check(tmp_path, tables, with_sale(10000))
    assert_reported(problems, "(base, Co, period 1): sold 0 != the Sales sheet's 2")
    assert_reported(problems, "(CN cut, Co, period 1): stock balance broken", "- sold 2")
    assert_reported(problems, "Summary: sales_revenue 0 != recomputed -800")
