"""Upstream origin (the Origins sheet): a refiner's material counted by the countries it comes from,
in country caps (model.md constraint 8), scenario losses of orders and pipeline (constraints 5-6),
the Concentration sheet, and the independent checker.

The refiner R is in Belgium and fed 70% from China (Origins: R, China, 0.7); the rest, 30%, is
Belgian. It sells ga at 10; a second supplier S2 in Brazil at 12. shortfall_penalty 100.
"""

from __future__ import annotations

from pathlib import Path

from modelcase import approx, demand, order_map, run_case, sheets, solve, stock_of
from workbooks import write_workbook

from inputcheck import read_and_validate
from optimizer.analysis.metrics import concentration_frame
from optimizer.checker import check_result_workbook
from optimizer.reporting.workbook import mix_frame


def refiner_book(num_periods: int = 1, china: float | None = 0.7, **changes) -> dict:
    """R (Belgium, fed ``china`` from China; None: no Origins sheet) at 10, S2 (Brazil) at 12."""
    book = sheets(num_periods, **changes)
    book["Suppliers"] = [{"supplier": "R", "country": "Belgium"}, {"supplier": "S2", "country": "Brazil"}]
    book["Offers"] = [{"supplier": "R", "mineral": "ga", "unit_price": 10},
                      {"supplier": "S2", "mineral": "ga", "unit_price": 12}]
    if china is not None:
        book["Origins"] = [{"supplier": "R", "country": "China", "share": china}]
    return book


def ban(probability: float, loss: float = 1.0) -> list[dict]:
    return [{"scenario": "ban", "probability": probability, "country": "China",
             "first_period": 1, "last_period": 1, "supply_loss": loss}]


def test_origin_share_moves_a_refiner_under_the_china_cap(tmp_path):
    """China cap 50%, demand 10 t. R's a t count 0.7a t from China: 0.7a <= 0.5(a + b), a + b = 10
    gives a <= 50/7 = 7.142857 t from R, b = 20/7 = 2.857143 t from S2 at 12:
    10 x 50/7 + 12 x 20/7 = 740/7 = 105.714286. Without the Origins sheet R is Belgian, free of
    the cap: all 10 t from R, 100."""
    countries = [{"country": "China", "max_share": 0.5}]
    plan = solve(tmp_path, refiner_book(Demand=demand(10), Countries=countries))
    assert plan.objective == approx(740 / 7)
    assert order_map(plan) == {("R", 1): approx(50 / 7), ("S2", 1): approx(20 / 7)}
    without = solve(tmp_path, refiner_book(china=None, Demand=demand(10), Countries=countries))
    assert without.objective == approx(100)


def test_a_mineral_row_overrides_the_suppliers_blank_mineral_rows(tmp_path):
    """R's blank-mineral row says 70% China, its ga row 20% China: ga counts 0.2a from China,
    0.2 x 10 = 2 <= 0.5 x 10, so all 10 t from R at 10: 100 (the 70% row would give 740/7)."""
    book = refiner_book(Demand=demand(10), Countries=[{"country": "China", "max_share": 0.5}])
    book["Origins"].append({"supplier": "R", "mineral": "ga", "country": "China", "share": 0.2})
    plan = solve(tmp_path, book)
    assert plan.objective == approx(100)
    assert order_map(plan) == {("R", 1): approx(10)}


def test_a_china_ban_loses_70_percent_of_the_refiners_arrivals(tmp_path):
    """Only R sells (S2 dropped). Ban of China with probability 0.3 in period 1, demand 10 t.
    Ordering q >= 10 costs 10q + 0.3 x 100 x (10 - 0.3q) = 300 + q, least at q = 10: 310
    (q < 10 adds unmet demand in base at 0.7 x 100 a unit). In the ban 30% of 10 t arrive: 3 t,
    7 t unmet. Without the Origins sheet the Belgian refiner is untouched: 100."""
    book = refiner_book(Demand=demand(10), Scenarios=ban(0.3))
    book["Offers"].pop()
    plan = solve(tmp_path, book)
    assert plan.objective == approx(310)
    assert order_map(plan) == {("R", 1): approx(10)}
    assert stock_of(plan, 1, scenario="ban", column="arrivals") == approx(3)
    assert stock_of(plan, 1, scenario="ban", column="unmet_demand") == approx(7)


def test_a_china_ban_loses_70_percent_of_the_refiners_pipeline(tmp_path):
    """10 t of R's pipeline arrive in period 1 against 10 t of demand; the ban (probability 0.3,
    half of China's supply lost) loses 0.7 x 0.5 = 35% of it: 6.5 t arrive, 3.5 t unmet,
    0.3 x 100 x 3.5 = 105. Buying q more from S2 (Brazil, untouched) costs 12q and saves
    0.3 x 100 = 30 a unit in the ban: q = 3.5 t, 42 (its 3.5 t held in base cost nothing)."""
    pipeline = [{"supplier": "R", "mineral": "ga", "period": 1, "quantity": 10}]
    plan = solve(tmp_path, refiner_book(Demand=demand(10), Pipeline=pipeline, Scenarios=ban(0.3, loss=0.5)))
    assert plan.objective == approx(42)
    assert order_map(plan) == {("S2", 1): approx(3.5)}
    assert stock_of(plan, 1, scenario="ban", column="arrivals") == approx(6.5 + 3.5)


def test_concentration_counts_the_refiner_by_origin(tmp_path):
    """10 t from R: 7 t Chinese, 3 t Belgian. HHI by country = 70^2 + 30^2 = 5800, by supplier
    100^2 = 10000; the largest country after is China with 70%. The Mix sheet's Belgian share of
    R's row is 3 / 10 = 0.3 (what a Belgium cap would count)."""
    result = run_case(tmp_path, refiner_book(Demand=demand(10)))
    row = concentration_frame(result.plan, result.data).iloc[0]
    assert row["hhi_country_plan"] == approx(5800)
    assert row["hhi_supplier_plan"] == approx(10000)
    assert row["largest_country_after"] == "China"
    assert row["largest_country_share_after"] == approx(0.7)
    mix = mix_frame(result.plan, result.data).set_index("supplier")
    assert mix.loc["R", "country"] == "Belgium" and mix.loc["R", "country_share_of_orders"] == approx(0.3)


def test_checker_catches_a_plan_that_ignores_origin_shares(tmp_path: Path):
    """The plan solved without the Origins sheet (10 t from R, all Belgian) checked against the
    workbook with it: China's 7 t of 10 break the 50% cap, and the ban's stock in period 1 should
    be 3 t of arrivals, not 10."""
    changes = dict(Demand=demand(10), Countries=[{"country": "China", "max_share": 0.5}], Scenarios=ban(0.3))
    ignoring = run_case(tmp_path, refiner_book(china=None, **changes))
    assert order_map(ignoring.plan) == {("R", 1): approx(10)}
    data, _ = read_and_validate(write_workbook(tmp_path / "with_origins.xlsx", refiner_book(**changes)))
    problems = check_result_workbook(ignoring.output, data)
    assert any("country China share broken: 7 of 10" in p for p in problems), problems
    assert any("ban" in p and "arrivals" in p for p in problems), problems
