"""Risk aversion (Settings.cvar_weight, cvar_level): expected cost + lambda x CVaR_alpha of the scenario cost.

One mineral ga, one period, demand 10 t, shortfall_penalty 100. Two suppliers: C in China at 10 and
K in Canada at 12. Scenario 'ban' (probability 0.1) loses all of China's arrivals.
"""

from __future__ import annotations

from dataclasses import replace

from modelcase import approx, demand, order_map, sheets, solve
from workbooks import write_workbook

from inputcheck import read_and_validate
from models import build_model
from models.results import model_size


def ban_book(weight: float | None = None, level: float | None = None, **changes) -> dict:
    book = sheets(1, Demand=demand(10), **changes)
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 1,
                          "last_period": 1, "supply_loss": 1}]
    if weight is not None:
        book["Settings"]["cvar_weight"] = weight
    if level is not None:
        book["Settings"]["cvar_level"] = level
    return book


def test_weight_zero_is_todays_model_exactly(tmp_path):
    """cvar_weight 0 (the default) adds no row and no column, and the objective is the expected cost alone:
    buy 10 t from C at 10, lose it with probability 0.1: 100 + 0.1 x 10 x 100 = 200 (K: 120 for sure is
    cheaper!). So: expected cost of K 120 < C's 200: 10 t from K, 120; cvar_cost 0."""
    data, _ = read_and_validate(write_workbook(tmp_path / "w.xlsx", ban_book()))
    weighted = replace(data, settings=replace(data.settings, cvar_weight=0.0))
    assert model_size(build_model(data)) == model_size(build_model(weighted))
    plan = solve(tmp_path, ban_book(weight=0))
    assert plan.costs["cvar_cost"] == 0
    assert plan.objective == approx(120)


def test_a_large_weight_buys_the_worst_scenarios_cover(tmp_path):
    """Penalty 30 instead of 100. Expected cost: C alone 100 + 0.1 x 10 x 30 = 130 > K alone 120, and
    mixing (a t from C, 10 - a from K) costs 120 - 2a + 0.1 x 30 a = 120 + a: K alone, 120, without CVaR.

    Now make C cheap enough that expected cost prefers it: C at 8: 80 + 30 = 110 < 120, so with weight 0
    the plan buys 10 t from C (110). In 'ban' that plan costs 80 + 300 = 380, in base 80; CVaR_0.9 is
    the worst 10% of probability, all of it 'ban': 380. With lambda = 1: C alone 110 + 380 = 490; K alone
    120 + 120 = 240; a t from C: expected 120 - 4a + 3a = 120 - a, ban cost 120 - 4a + 30a = 120 + 26a:
    total 240 + 25a, least at a = 0: 10 t from K, objective 240 = 120 expected + cvar_cost 120."""
    book = ban_book(weight=0)
    book["Offers"][0]["unit_price"] = 8
    book["Minerals"][0]["shortfall_penalty"] = 30
    neutral = solve(tmp_path, book)
    assert order_map(neutral) == {("C", 1): approx(10)}
    assert neutral.objective == approx(110)
    book["Settings"]["cvar_weight"] = 1
    averse = solve(tmp_path, book)
    assert order_map(averse) == {("K", 1): approx(10)}
    assert averse.costs["cvar_cost"] == approx(120)
    assert averse.objective == approx(240)


def test_the_level_sets_how_much_of_the_tail_counts(tmp_path):
    """C at 8, penalty 30, lambda 0.05; a t from C and 10 - a from K cost 120 - a in expectation, 120 + 26a in
    'ban', 120 - 4a in base.
    cvar_level 0.9: the tail is 'ban' alone: 120 - a + 0.05 (120 + 26a) = 126 + 0.3a: a = 0, 10 t from K, 126.
    cvar_level 0.8: the tail is 'ban' and 0.1 of base: CVaR (0.1 (120 + 26a) + 0.1 (120 - 4a)) / 0.2 = 120 + 11a,
    126 - 0.45a: a = 10, all from C: 110 + 0.05 x 230 = 121.5 (cvar_cost 11.5)."""
    book = ban_book(weight=0.05, level=0.9)
    book["Offers"][0]["unit_price"] = 8
    book["Minerals"][0]["shortfall_penalty"] = 30
    top = solve(tmp_path, book)
    assert order_map(top) == {("K", 1): approx(10)}
    assert top.objective == approx(126)
    book["Settings"]["cvar_level"] = 0.8
    wider = solve(tmp_path, book)
    assert order_map(wider) == {("C", 1): approx(10)}
    assert wider.costs["cvar_cost"] == approx(11.5)
    assert wider.objective == approx(121.5)


def test_scenario_prices_count_in_the_scenario_cost(tmp_path):
    """No loss; 'ban' (0.1) doubles China's price (ScenarioPrices). C's expected price 0.9 x 10 + 0.1 x 20 = 11
    beats K's 12 (110 against 120), but in 'ban' the C plan costs 200: with lambda 1, C 110 + 200 = 310,
    K 120 + 120 = 240: 10 t from K."""
    book = ban_book(weight=1)
    book["Scenarios"][0]["supply_loss"] = 0
    book["ScenarioPrices"] = [{"scenario": "ban", "country": "China", "first_period": 1, "last_period": 1,
                               "factor": 2}]
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("K", 1): approx(10)}
    assert plan.objective == approx(240)


def test_the_checker_recomputes_cvar_cost(tmp_path):
    """The written plan passes (solve runs the checker); a Summary whose cvar_cost is 1 more than the plan's
    (and whose objective still adds up) is refused."""
    import openpyxl
    from modelcase import run_case
    from optimizer.checker import check_result_workbook

    book = ban_book(weight=1)
    book["Offers"][0]["unit_price"] = 8
    book["Minerals"][0]["shortfall_penalty"] = 30
    result = run_case(tmp_path, book)
    workbook = openpyxl.load_workbook(result.output)
    summary = workbook["Summary"]
    for row in summary.iter_rows(min_row=2):
        if row[0].value in ("cvar_cost", "objective"):
            row[1].value += 1
    workbook.save(result.output)
    problems = check_result_workbook(result.output, result.data)
    assert problems == ["Summary: cvar_cost 121 != recomputed 120"], problems
