"""Market size (issue 13, point 4; models/market.py): orders of a mineral placed in a period are at
most max_market_share x world_supply, commitments included.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, shortfall_penalty 100,
F1 with 1,000,000.
"""

from __future__ import annotations

from dataclasses import replace

import openpyxl

from modelcase import approx, demand, optimum, order_map, run_case, sheets, solve

from optimizer.contract.results import INFEASIBLE


def market(world_supply=200, share=0.25, periods=1, **settings):
    """Demand 100 t of ga in period 1; ga's world market sells ``world_supply`` t a period."""
    book = sheets(periods, Demand=demand(100))
    book["Minerals"][0].update(world_supply=world_supply, max_market_share=share)
    book["Settings"].update(settings)
    return book


def test_a_binding_market_cap_leaves_demand_unmet(tmp_path):
    """Cap 0.25 x 200 = 50 t in period 1: 50 t bought (500) and 50 t unmet at 100 (5,000) = 5,500."""
    plan = solve(tmp_path, market())
    assert order_map(plan) == {("S1", 1): approx(50)}
    assert plan.objective == approx(5_500)
    assert plan.costs["penalty_cost"] == approx(5_000)


def test_the_cap_is_per_period_so_buying_early_gets_round_it(tmp_path):
    """Demand 100 t in period 2, cap 50 t a period: 50 t in period 1 and 50 t in period 2 (lead time 0),
    1,000 plus holding 0: nothing unmet."""
    book = market(periods=2)
    book["Demand"] = demand(0, 100)
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("S1", 1): approx(50), ("S1", 2): approx(50)}
    assert plan.objective == approx(1_000)


def test_the_cap_counts_every_offer_of_the_mineral(tmp_path):
    """Two suppliers at 10 and 12, cap 50 t: together still 50 t, all from the cheaper one; 500 + 5,000."""
    book = market()
    book["Suppliers"].append({"supplier": "S2", "country": "Brazil"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("S1", 1): approx(50)}
    assert plan.objective == approx(5_500)


def test_the_settings_default_applies_where_the_mineral_gives_no_share(tmp_path):
    """No Minerals.max_market_share, Settings.max_market_share 0.4: cap 0.4 x 200 = 80 t;
    800 + 20 unmet x 100 = 2,800."""
    plan = solve(tmp_path, market(share=None, max_market_share=0.4))
    assert order_map(plan) == {("S1", 1): approx(80)}
    assert plan.objective == approx(2_800)


def test_the_minerals_share_overrides_the_settings_default(tmp_path):
    """Minerals 0.25 beside Settings 0.4: the mineral's 50 t holds (5,500)."""
    plan = solve(tmp_path, market(max_market_share=0.4))
    assert plan.objective == approx(5_500)


def test_without_world_supply_there_is_no_cap(tmp_path):
    """No world_supply: Settings.max_market_share has nothing to apply to; 100 t for 1,000."""
    plan = solve(tmp_path, market(world_supply=None, share=None, max_market_share=0.1))
    assert plan.objective == approx(1_000)


def test_a_cap_the_plan_does_not_reach_changes_nothing(tmp_path):
    """world_supply 1,000 x 0.25 = 250 t > 100 t wanted: 1,000, and the optimum equals the uncapped one."""
    result = run_case(tmp_path, market(world_supply=1_000))
    assert result.plan.objective == approx(1_000)
    uncapped = replace(result.data, minerals={"ga": replace(result.data.minerals["ga"], world_supply=None)})
    assert optimum(uncapped) == approx(1_000)


def test_commitments_above_the_cap_are_infeasible_and_named(tmp_path):
    """A commitment of 60 t in period 1 against a cap of 50 t: no plan; the conflict names the market
    cap, the 10 t excess and the committed order."""
    book = market()
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 60}]
    result = run_case(tmp_path, book)
    assert result.plan.status == INFEASIBLE and result.exit_code == 3
    sentence = next(c for c in result.plan.conflicts if c.startswith("market cap"))
    assert "ga" in sentence and "period 1" in sentence and "by 10 t" in sentence, sentence
    assert "commitment of 60 t of ga from S1 in period 1" in sentence, sentence


def test_commitments_within_the_cap_count_toward_it(tmp_path):
    """S1's committed 30 t in period 1 (a commitment fixes its order) and S2 at 12: the cap of 50 t leaves
    S2 20 t; 300 + 240 + 50 unmet x 100 = 5,540."""
    book = market()
    book["Suppliers"].append({"supplier": "S2", "country": "Brazil"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 30}]
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("S1", 1): approx(30), ("S2", 1): approx(20)}
    assert plan.objective == approx(5_540)


def test_the_market_sheet_shows_orders_against_the_cap(tmp_path):
    """The Market sheet: ga in periods 1 and 2, 50 t ordered of a 50 t cap in period 1 (100% used),
    nothing in period 2; a workbook without world_supply has no Market sheet."""
    book = market(periods=2)
    result = run_case(tmp_path, book)
    rows = list(openpyxl.load_workbook(result.output, read_only=True)["Market"].values)
    assert rows[0] == ("mineral", "period", "ordered_quantity", "world_supply", "max_market_share", "market_cap",
                       "cap_used")
    assert [r[:4] for r in rows[1:]] == [("ga", 1, approx(50), 200), ("ga", 2, 0, 200)]
    assert [r[4:] for r in rows[1:]] == [(0.25, 50, approx(1)), (0.25, 50, 0)]
    plain = run_case(tmp_path, market(world_supply=None, share=None))
    assert "Market" not in openpyxl.load_workbook(plain.output, read_only=True).sheetnames
