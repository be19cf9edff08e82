"""Recourse (Settings.recourse yes): orders may differ by scenario from the period it is told apart.

Orders placed in period t are shared by scenarios that show the same data (losses, order-price factors;
from known_from on) in every period up to t; each scenario keeps every limit of the contract; costs
are expected values. Every plan here passes the independent checker (modelcase.solve), which checks each
scenario's orders, funding and stock and the non-anticipativity of the orders.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from modelcase import approx, demand, run_case, sheets, solve
from workbooks import write_workbook

from inputcheck import errors, only, read_and_validate
from models import build_model
from models.recourse import build_recourse_model, information_groups
from models.results import model_size
from optimizer.checker import check_result_workbook
from optimizer.contract.data import Disruption, Scenario, ScenarioPrice
from optimizer.contract.results import OPTIMAL
from optimizer.solving.highs import solve_model


def orders_by_scenario(plan) -> dict[tuple[str, str, int], float]:
    """{(scenario or "", supplier, period): quantity} of the plan's orders."""
    return {(r.scenario, r.supplier, int(r.period)): float(r.quantity) for r in plan.orders.itertuples()
            if r.quantity > 1e-7}


def spike_book(holding: float) -> dict:
    """S (Canada) at 10, 10 t of demand in period 3, holding_cost ``holding``; 'spike' (probability 0.25)
    doubles the price of orders placed in period 3 (a Scenarios row without loss, ScenarioPrices x2)."""
    book = sheets(3, Demand=demand(0, 0, 10))
    book["Settings"]["recourse"] = "yes"
    book["Minerals"][0]["holding_cost"] = holding
    book["Scenarios"] = [{"scenario": "spike", "probability": 0.25, "country": "Canada", "first_period": 3,
                          "last_period": 3, "supply_loss": 0}]
    book["ScenarioPrices"] = [{"scenario": "spike", "first_period": 3, "last_period": 3, "factor": 2}]
    return book


@pytest.mark.parametrize(("holding", "ahead", "cost"), [(2.0, True, 120.0), (3.0, False, 125.0)])
def test_a_price_spike_known_from_period_3_buys_ahead_when_spike_x_probability_exceeds_holding(
        tmp_path, holding, ahead, cost):
    """Waiting for period 3 costs 10 in base and 20 in 'spike': 10 + 0.25 x 10 = 12.5 a unit in expectation;
    buying in period 2 (shared: the spike is not known yet) costs 10 + holding. Spike x probability = 2.5:
    holding 2 buys 10 t ahead in period 2 (120); holding 3 waits, and each scenario buys in period 3 at its
    own price: 0.75 x 100 + 0.25 x 200 = 125."""
    plan = solve(tmp_path, spike_book(holding))
    expected = {("", "S1", 2): approx(10)} if ahead else {("base", "S1", 3): approx(10), ("spike", "S1", 3): approx(10)}
    assert orders_by_scenario(plan) == expected
    assert plan.objective == approx(cost)


def ban_book(num_periods: int = 3, known_from: int | None = None) -> dict:
    """C (China) at 10, K (Canada) at 12, 10 t of demand in period 3, holding 3; 'ban' (0.1) loses China's
    arrivals in period 3; shortfall_penalty 100. Buying ahead from C in period 2 costs 10 + 3 = 13 a unit."""
    book = sheets(num_periods, Demand=demand(0, 0, 10))
    book["Settings"]["recourse"] = "yes"
    book["Minerals"][0]["holding_cost"] = 3
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 3,
                          "last_period": 3, "known_from": known_from}]
    return book


def test_a_ban_known_when_it_bites_gets_no_first_stage_buying(tmp_path):
    """Told apart in period 3: base buys C (100), ban buys K (120): 0.9 x 100 + 0.1 x 120 = 102, nothing
    bought in periods 1-2 (C ahead costs 13 a unit against 10.2 in expectation), as base alone would."""
    plan = solve(tmp_path, ban_book())
    assert orders_by_scenario(plan) == {("base", "C", 3): approx(10), ("ban", "K", 3): approx(10)}
    assert plan.objective == approx(102)


def test_known_from_delays_the_branching(tmp_path):
    """Horizon 4, the ban known only from period 4: the period-3 order is shared. C in period 3:
    100 + 0.1 x 10 x 100 = 200, C in period 2: 130, K in period 3: 120: 10 t from K for both, 120 (not 102)."""
    plan = solve(tmp_path, ban_book(4, known_from=4))
    assert orders_by_scenario(plan) == {("", "K", 3): approx(10)}
    assert plan.objective == approx(120)


def tree_book() -> dict:
    """Two bans of China from period 2 (one also of Canada from period 3), a price-only spike from period 3
    known from period 4 (ban_book over 4 periods)."""
    book = ban_book(4)
    book["Scenarios"] = [
        {"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 2, "last_period": 4},
        {"scenario": "wider", "probability": 0.1, "country": "China", "first_period": 2, "last_period": 4},
        {"scenario": "wider", "probability": 0.1, "country": "Canada", "first_period": 3, "last_period": 4},
        {"scenario": "spike", "probability": 0.1, "country": "China", "first_period": 1, "last_period": 1,
         "supply_loss": 0, "known_from": 4}]
    book["ScenarioPrices"] = [{"scenario": "spike", "first_period": 3, "last_period": 4, "factor": 1.5}]
    return book


def test_the_tree_comes_from_the_data_and_known_from(tmp_path):
    """tree_book: period 1 shared; in 2 the bans leave base (with the spike); in 3 they part."""
    data, _ = read_and_validate(write_workbook(tmp_path / "tree.xlsx", tree_book()))
    assert information_groups(data) == {
        1: [("base", "ban", "wider", "spike")], 2: [("base", "spike"), ("ban", "wider")],
        3: [("base", "spike"), ("ban",), ("wider",)], 4: [("base",), ("ban",), ("wider",), ("spike",)]}


def test_recourse_no_builds_todays_model(tmp_path):
    """recourse no (the default) with known_from given: the same rows, columns and optimum as without."""
    book = ban_book(4, known_from=4)
    book["Settings"]["recourse"] = "no"
    data, _ = read_and_validate(write_workbook(tmp_path / "no.xlsx", book))
    plain = replace(data, scenarios=tuple(replace(k, known_from=None) for k in data.scenarios))
    assert model_size(build_model(data)) == model_size(build_model(plain))
    assert solve(tmp_path, book).objective == approx(120)


def test_the_checker_finds_orders_that_anticipate(tmp_path):
    """The plan of the ban known in period 3 (its own period-3 orders) checked against the same workbook
    with known_from 4 (horizon 4): base and ban cannot be told apart in period 3, yet order differently."""
    result = run_case(tmp_path, ban_book(4))
    assert result.plan.objective == approx(102)
    later = replace(result.data, scenarios=tuple(replace(k, known_from=4) for k in result.data.scenarios))
    problems = check_result_workbook(result.output, later)
    assert any("cannot be told apart in period 3" in p for p in problems), problems


def test_the_checker_recomputes_each_scenarios_funding(tmp_path):
    """F1 holds 110: base's 100 fits, ban's 120 does not; the plan gives ban what it can (110 / 12 t from K) and
    the checker, given an amount of 100, finds ban's funding above it."""
    book = ban_book()
    book["Funding"][0]["amount"] = 110
    result = run_case(tmp_path, book)
    poorer = replace(result.data, funding={"F1": replace(result.data.funding["F1"], amount=100)})
    problems = check_result_workbook(result.output, poorer)
    assert any(p.startswith("scenario ban: source F1: pays 110") for p in problems), problems


def late_cover_book(weight: float) -> dict:
    """Horizon 3, 10 t of demand in period 3, shortfall_penalty 20; C (China) at 10 orderable in period 3, K
    (Canada) at 12 with lead_time 1 (ordered by period 2: before anything is known); 'ban' (0.1) loses China's
    period-3 arrivals, known in period 3; cvar_weight ``weight`` (cvar_level 0.95: the tail is 'ban' alone)."""
    book = ban_book()
    book["Minerals"][0]["shortfall_penalty"] = 20
    book["Offers"][1]["lead_time"] = 1
    book["Settings"]["cvar_weight"] = weight
    return book


def test_cvar_weight_0_with_recourse_is_the_recourse_plan(tmp_path):
    """x t of K ahead (shared), the rest: base buys C in period 3, ban goes short. base 12x + 10 (10 - x) =
    100 + 2x, ban 12x + 20 (10 - x) = 200 - 8x; expected 0.9 (100 + 2x) + 0.1 (200 - 8x) = 110 + x: x = 0,
    base buys 10 t of C in period 3 (ban buys nothing), 110, cvar_cost 0."""
    plan = solve(tmp_path, late_cover_book(0))
    assert orders_by_scenario(plan) == {("base", "C", 3): approx(10)}
    assert plan.objective == approx(110)
    assert plan.costs["cvar_cost"] == 0


def test_a_large_cvar_weight_with_recourse_buys_the_worst_scenarios_cover(tmp_path):
    """The tail (0.05 < 0.1) is 'ban' alone: CVaR = 200 - 8x, objective 110 + x + lambda (200 - 8x), falling in
    x for lambda > 1/8. lambda 1: x = 10, 10 t of K in period 2 (shared), 120 in both scenarios: expected 120,
    cvar_cost 120, objective 240. The checker (solve) recomputes cvar_cost from each scenario's cost."""
    plan = solve(tmp_path, late_cover_book(1))
    assert orders_by_scenario(plan) == {("", "K", 2): approx(10)}
    assert plan.costs["cvar_cost"] == approx(120)
    assert plan.objective == approx(240)


def test_known_from_must_agree_on_the_rows_of_a_scenario(tmp_path):
    book = ban_book(4, known_from=3)
    book["Scenarios"].append(dict(book["Scenarios"][0], country="Canada", known_from=4))
    _, problems = read_and_validate(write_workbook(tmp_path / "two.xlsx", book))
    assert only(problems, "scenario 'ban' has different known_from on its rows (3, 4)").column == "known_from"


def test_sensitivities_and_why_short_of_a_plan_with_recourse(tmp_path):
    """F1 holds 110: base buys 10 t of C (100), ban 110 / 12 = 9.1667 t of K and is 0.8333 t short (penalty 100),
    0.1 x 0.8333 = 0.08333 t in expectation. Sensitivities: one more unit of F1 in every scenario: base nothing
    (slack 10), ban 1/12 t more of K for 1, saving 100 / 12 - 1 = 7.3333, weighted by 0.1: -0.73333, for 10 more
    (ban then buys all 10 t: 120); the room is ban's, where F1 binds. Why short:
    the re-solve with recourse as given is as short as the plan (0.08333); with F1's amount lifted ban buys
    all 10 t of K: 0."""
    book = ban_book()
    book["Funding"][0]["amount"] = 110
    analysis = run_case(tmp_path, book).plan.analysis
    amount = only_marginal(analysis.marginals, "amount")
    assert amount.value == approx(-0.1 * (100 / 12 - 1))
    assert (amount.slack, amount.room) == (approx(0), approx(10))  # ban buys all 10 t of K with 10 more
    assert analysis.marginals_note == "" and analysis.note == ""
    budget = next(c for c in analysis.causes if c.limit == "budget")
    assert (budget.shortfall, budget.relaxed, budget.in_plan) == (approx(0.1 * 10 / 12), approx(0), approx(0.1 * 10 / 12))


def only_marginal(marginals, kind: str):
    found = [m for m in marginals if m.kind == kind]
    assert len(found) == 1, marginals
    return found[0]


def recourse_optimum(data, by_node: bool) -> tuple[float, dict[str, int]]:
    """The optimal expected cost of ``data`` with recourse in the node or the per-scenario form, and its size."""
    model = build_recourse_model(data, by_node=by_node)
    result = solve_model(model, 0.0, 60.0)
    assert result.status == OPTIMAL, (result.status, result.message)
    return result.objective * model.money_unit, model_size(model)


def assert_same_optimum(data) -> dict[str, int]:
    """One order column per scenario-tree node: the per-scenario form's optimum (one column per scenario, tied
    by equality rows) with no more columns, binaries and rows; how many fewer of each."""
    by_node, node_size = recourse_optimum(data, by_node=True)
    per_scenario, scenario_size = recourse_optimum(data, by_node=False)
    assert by_node == pytest.approx(per_scenario, rel=1e-7, abs=1e-6)
    fewer = {key: scenario_size[key] - node_size[key] for key in node_size}
    assert min(fewer.values()) >= 0, (node_size, scenario_size)
    return fewer


@pytest.mark.parametrize("book", [spike_book(2.0), spike_book(3.0), ban_book(), ban_book(4, known_from=4),
                                  tree_book()], ids=["spike ahead", "spike waits", "ban", "ban known late", "tree"])
def test_the_node_form_has_the_per_scenario_forms_optimum(tmp_path, book):
    """The hand cases above (120, 125, 102, 120 and the tree's) solved both ways give one optimum; each shares
    period 1's order, so the node form is smaller: S1's (or C's and K's) x and y in period 1 are one column each
    instead of one per scenario."""
    data, _ = read_and_validate(write_workbook(tmp_path / "case.xlsx", book))
    fewer = assert_same_optimum(data)
    assert fewer["variables"] > 0 and fewer["binaries"] > 0 and fewer["constraints"] > 0


def random_tree(data, rng: random.Random):
    """ban_book's two offers over 3-4 periods with random demand, prices, lead times, min_order and order_cost,
    and 1-3 scenarios of China's losses and price moves, each known from a random period."""
    periods = rng.randint(3, 4)
    offers = {key: replace(offer, unit_price=rng.uniform(5, 15), lead_time=rng.randint(0, 1),
                           min_order=rng.choice([0.0, 4.0]), order_cost=rng.choice([0.0, 0.0, 20.0]))
              for key, offer in data.offers.items()}
    mineral = replace(data.minerals["ga"], holding_cost=rng.uniform(0, 3), shortfall_penalty=rng.uniform(15, 60))
    scenarios = tuple(
        Scenario(f"s{i}", rng.uniform(0.05, 0.3), (Disruption("China", rng.randint(1, periods), periods,
                                                              rng.choice([0.5, 1.0])),),
                 known_from=rng.choice([None, 2, 3]))
        for i in range(rng.randint(1, 3)))
    prices = tuple(ScenarioPrice(k.name, None, rng.choice([None, "Canada"]), rng.randint(1, periods), periods,
                                 rng.uniform(0.7, 2.0)) for k in scenarios if rng.random() < 0.5)
    demand = {("ga", t): float(rng.randint(0, 10)) for t in range(1, periods + 1)}
    settings = replace(data.settings, num_periods=periods)
    return replace(data, settings=settings, offers=offers, minerals={"ga": mineral}, scenarios=scenarios,
                   scenario_prices=prices, demand=demand)


def test_the_node_form_has_the_per_scenario_forms_optimum_on_random_trees(tmp_path):
    """Eight random small workbooks (random_tree), each solved both ways: one optimum."""
    data, _ = read_and_validate(write_workbook(tmp_path / "base.xlsx", ban_book(4)))
    rng = random.Random(15)
    for _ in range(8):
        assert_same_optimum(random_tree(data, rng))


def test_a_frozen_periods_orders_are_each_scenarios_own_in_the_node_form(tmp_path):
    """ban_book over 4 periods known from 4: period 1 is one node of base and ban. Frozen (--freeze 1 of a plan
    with recourse whose horizon moved on) with base's own order of 4 t from C and ban's of 6 t from K in period 1:
    each scenario keeps its own (not one shared column, which would hold C at 0 in ban and K at 0 in base),
    and the node form's optimum is the per-scenario form's."""
    data, _ = read_and_validate(write_workbook(tmp_path / "ban.xlsx", ban_book(4, known_from=4)))
    frozen = replace(data, frozen_periods=1, scenario_commitments={"base": {("C", "ga", 1): 4.0},
                                                                   "ban": {("K", "ga", 1): 6.0}})
    model = build_recourse_model(frozen)
    assert solve_model(model, 0.0, 60.0).status == OPTIMAL
    assert model.Scenario["base"].Order["C", "ga", 1].value == approx(4)
    assert model.Scenario["ban"].Order["K", "ga", 1].value == approx(6)
    assert ("K", "ga", 1) not in model.Scenario["base"].ORDER_SLOTS
    assert ("C", "ga", 1) not in model.Scenario["ban"].ORDER_SLOTS
    assert_same_optimum(frozen)


def two_mineral_ban_book() -> dict:
    """ban_book over 4 periods (ban, 0.1, loses China's arrivals in period 3, told apart from period 3) with a
    second mineral, ge, sold by K (Canada) at 8, 5 t of demand in period 4: the ban touches ga alone."""
    book = ban_book(4)
    book["Minerals"].append({"mineral": "ge", "unit": "t", "shortfall_penalty": 100})
    book["Offers"].append({"supplier": "K", "mineral": "ge", "unit_price": 8})
    book["Demand"] += demand(0, 0, 0, 5, mineral="ge")
    return book


def test_the_block_start_shares_a_minerals_copies_across_scenarios_alike_on_it(tmp_path):
    """two_mineral_ban_book: ban's data on ge are base's (no loss of Canada, no price factor, no demand change), so
    in the block start (models/blocks.py twin_of) ban's copy of ge takes base's columns, and its ge orders of
    periods 3 and 4 (its own node: ban is told apart from period 3) take base's node's; ga, which the ban
    touches, keeps its own copies; the model itself keeps every column (a restriction of the block start only)."""
    from models.blocks import twin_of
    from models.recourse import block_twins

    data, _ = read_and_validate(write_workbook(tmp_path / "two.xlsx", two_mineral_ban_book()))
    twins = block_twins(data)
    assert twins.copies == {("ban", "ge"): "base"}
    assert twins.nodes == {("ge", 3, "ban"): "base", ("ge", 4, "ban"): "base"}
    model = build_recourse_model(data)
    ban, base = model.Scenario["ban"], model.Scenario["base"]
    assert twin_of(ban.Stock["ban", "ge", 4]) is base.Stock["base", "ge", 4]
    assert twin_of(model.NodeOrder["K", "ge", 3, "ban"]) is model.NodeOrder["K", "ge", 3, "base"]
    assert twin_of(model.NodeIsOrdered["K", "ge", 4, "ban"]) is model.NodeIsOrdered["K", "ge", 4, "base"]
    assert twin_of(ban.Stock["ban", "ga", 4]) is None
    assert twin_of(model.NodeOrder["C", "ga", 3, "ban"]) is None
    assert twin_of(base.Stock["base", "ge", 4]) is None and twin_of(model.NodeOrder["K", "ge", 1, "base"]) is None
    assert twin_of(build_recourse_model(data, by_node=False).Scenario["ban"].Stock["ban", "ge", 4]) is None
