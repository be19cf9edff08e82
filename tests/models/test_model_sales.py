"""Sales (issue 14, point 1; models/sales.py): stock sold before the scenario is known, its revenue a
negative cost term (sales_revenue) that adds to its source's amount from the next period on.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, lead time 0, shortfall_penalty 100.
"""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pytest
from modelcase import approx, demand, funded, optimum, order_map, sheets, solve, stock_of

from models import build_model
from optimizer.pipeline import load
from optimizer.solving.highs import write_lp
from workbooks import write_workbook


def rotation(sale_periods=(1, 1)):
    """ga: 50 t in stock, holding_cost 2, demand 30 in period 3. S1 sells only from period 2; F1 has no
    money of its own (amount 0); a sale of up to 50 t at 8 pays into F1 in ``sale_periods``."""
    book = sheets(3, Demand=demand(0, 0, 30))
    book["Minerals"][0].update(initial_stock=50, holding_cost=2)
    book["Offers"][0]["first_period"] = 2
    book["Funding"][0]["amount"] = 0
    first, last = sale_periods
    book["Sales"] = [{"mineral": "ga", "first_period": first, "last_period": last, "unit_price": 8,
                      "max_per_period": 50, "source": "F1"}]
    return book


def test_selling_excess_pays_and_its_revenue_funds_a_later_purchase(tmp_path):
    """Holding the 50 t costs 2 x 50 (end of period 1) + 2 x 50 (period 2) + 2 x 20 (period 3) = 240.

    Selling all 50 t in period 1 at 8 brings 400 (received by F1 from period 2 on) and buying the 30 t
    back in period 3 at 10 costs 300, paid from that revenue (F1's own amount is 0, so without the sale
    nothing could be bought): 300 - 400 = -100. Keeping 30 t and selling 20 would cost
    2 x 30 x 2 - 160 = -40; a unit sold at 8 and bought back at 10 costs 2 and saves 2 x 2 of holding.
    """
    plan = solve(tmp_path, rotation())
    assert plan.sales[["period", "quantity", "revenue", "source"]].values.tolist() == [[1, approx(50), approx(400),
                                                                                          "F1"]]
    assert order_map(plan) == {("S1", 3): approx(30)}
    assert funded(plan, "F1") == approx(300)
    assert plan.costs["sales_revenue"] == approx(-400)
    assert plan.costs["purchase_cost"] == approx(300)
    assert plan.objective == approx(-100)
    assert sum(plan.costs.values()) == approx(plan.objective)
    assert stock_of(plan, 1) == approx(0) and stock_of(plan, 1, column="sold") == approx(50)


def test_revenue_arrives_the_period_after_the_sale(tmp_path):
    """The sale allowed only in period 3: its revenue would reach F1 in period 4, after the horizon, so
    nothing can be bought. Hold 50 t to period 3, serve 30, sell the other 20 at 8:
    holding 2 x 50 x 2 = 200, revenue 160: 40."""
    plan = solve(tmp_path, rotation((3, 3)))
    assert order_map(plan) == {}
    assert plan.sales[["period", "quantity"]].values.tolist() == [[3, approx(20)]]
    assert plan.objective == approx(40)


def test_demand_is_served_before_anything_is_sold(tmp_path):
    """10 t in stock, demand 10 in period 1, a sale at 50 (above shortfall_penalty 20) of up to 10 t in
    period 1, buying dearer than going short (price 1,000).

    serve_first: demand takes the 10 t, nothing is sold: 0. optimal: sell 10 (500) and leave the demand
    unmet (200): -300.
    """
    book = sheets(1, Demand=demand(10))
    book["Minerals"][0].update(initial_stock=10, shortfall_penalty=20)
    book["Offers"][0]["unit_price"] = 1_000
    book["Sales"] = [{"mineral": "ga", "unit_price": 50, "max_per_period": 10, "source": "F1"}]
    plan = solve(tmp_path, book)
    assert plan.sales.empty and plan.objective == approx(0)
    book["Settings"]["release_rule"] = "optimal"
    plan = solve(tmp_path, book)
    assert plan.sales["quantity"].tolist() == [approx(10)]
    assert plan.objective == approx(-300)


def test_a_sale_never_exceeds_the_stock_of_any_scenario(tmp_path):
    """Buy at 10 and sell at 12 (up to 5 t a period), no stock, no demand; a Canada ban in period 1 with
    probability 0.5. A sale in period 1 would need stock in the ban too, where none arrives: the plan
    sells only in period 2, 5 t bought and sold there: 50 - 60 = -10."""
    book = sheets(2, Scenarios=[{"scenario": "ban", "probability": 0.5, "country": "Canada", "first_period": 1,
                                 "last_period": 1, "supply_loss": 1}])
    book["Sales"] = [{"mineral": "ga", "unit_price": 12, "max_per_period": 5, "source": "F1"}]
    plan = solve(tmp_path, book)
    assert plan.sales[["period", "quantity"]].values.tolist() == [[2, approx(5)]]
    assert order_map(plan) == {("S1", 2): approx(5)}
    assert plan.objective == approx(-10)


@pytest.mark.parametrize("price, cap, holding, first", [(8, 50, 2, 1), (3, 20, 0.5, 2), (12, 10, 0, 1),
                                                        (9.5, 40, 1, 3)])
def test_selling_never_raises_the_objective_when_sales_are_optional(tmp_path, price, cap, holding, first):
    """The same workbook with and without its Sales row: the optimum with sales is never above (a plan
    without sales is still a plan), whatever the price, cap and holding cost."""
    book = rotation((first, 3))
    book["Funding"][0]["amount"] = 200
    book["Minerals"][0]["holding_cost"] = holding
    book["Sales"][0].update(unit_price=price, max_per_period=cap)
    data, _ = load(write_workbook(tmp_path / f"sales_{price}.xlsx", book))
    with_sales = optimum(data)
    without = optimum(replace(data, sales=()))
    assert with_sales <= without + 1e-6


def test_only_the_excess_is_sold_when_buying_back_costs_more_than_holding(tmp_path):
    """No holding cost, demand 45 t in period 2 against 50 t in stock, a sale in period 1 at 8, buying at 10
    from period 2: a unit sold beyond the 5 t of excess must be bought back at 10 (a loss of 2), so the plan
    sells exactly 5 t: -40, nothing bought."""
    book = rotation()
    book["Demand"] = demand(0, 45)
    book["Minerals"][0]["holding_cost"] = 0
    plan = solve(tmp_path, book)
    assert plan.sales["quantity"].tolist() == [approx(5)]
    assert order_map(plan) == {}
    assert plan.objective == approx(-40)


def test_a_workbook_without_sales_or_decay_builds_the_same_model(tmp_path):
    """The same plan written without the new sheet and column, and with them at their neutral values (a
    Sales sheet with only its header, loss_rate 0 on every mineral), gives the same LP file, line for
    line, and neither has a Sold column or a funds-with-revenue row. (Against the code before issue 14,
    the shipped example's LP file was compared byte for byte when this was built: identical.)"""
    book = rotation()
    del book["Sales"]
    book["Funding"][0]["amount"] = 1_000
    book["Targets"] = [{"mineral": "ga", "period": 2, "min_stock": 10}]
    neutral = {**book, "Minerals": [dict(book["Minerals"][0], loss_rate=0)]}
    texts = []
    for name, sheets_ in (("plain", book), ("neutral", neutral)):
        data, _ = load(write_workbook(tmp_path / f"{name}.xlsx", sheets_))
        path = tmp_path / f"{name}.lp"
        write_lp(build_model(data), path)
        texts.append(path.read_text())
    empty_sales = tmp_path / "neutral.xlsx"
    workbook = openpyxl.load_workbook(empty_sales)
    workbook.create_sheet("Sales").append(["mineral", "unit_price", "max_per_period", "source"])
    workbook.save(empty_sales)
    data, _ = load(empty_sales)
    assert data.sales == ()
    write_lp(build_model(data), tmp_path / "empty.lp")
    texts.append((tmp_path / "empty.lp").read_text())
    assert texts[0] == texts[1] == texts[2]
    assert "Sold" not in texts[0] and "con_source_funds" not in texts[0]
