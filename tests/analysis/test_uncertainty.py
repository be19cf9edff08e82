"""What the uncertainty is worth: each scenario's cost, WS and EVPI = RP - WS (the Scenario costs sheet).

The hand instance: one period, 10 t of ga, C (China) at 8, K (Canada) at 12, shortfall_penalty 30,
'ban' (probability 0.1) loses China's arrivals.
"""

from __future__ import annotations

import random
from dataclasses import replace

import openpyxl
import pytest
from inputcheck import read_and_validate
from modelcase import approx, ban_book, run_case, sheets
from workbooks import write_workbook

from optimizer.analysis.uncertainty import scenario_values
from optimizer.contract.data import Disruption, Scenario, ScenarioPrice
from optimizer.solving.budget import TimeBudget
from optimizer.solving.session import costs_alone, plan_from_data
from optimizer.stages import Stages


def test_each_scenario_cost_ws_and_evpi_by_hand(tmp_path):
    """The plan buys 10 t from C (expected 80 + 0.1 x 300 = 110 < K's 120): base costs 80, ban 80 + 300 = 380.
    Alone, base buys from C (80), ban from K (120): WS = 0.9 x 80 + 0.1 x 120 = 84; EVPI = 110 - 84 = 26."""
    result = run_case(tmp_path, ban_book())
    values = result.plan.scenario_values
    costs = dict(zip(values.frame["scenario"], values.frame["cost"]))
    assert costs == {"base": approx(80), "ban": approx(380)}
    assert dict(zip(values.frame["scenario"], values.frame["cost_alone"])) == {"base": approx(80), "ban": approx(120)}
    assert values.expected_cost == approx(110)
    assert values.wait_and_see == approx(84)
    assert values.evpi == approx(26)
    assert values.evpi_text("USD").startswith("$26")
    book = openpyxl.load_workbook(result.output)
    rows = list(book["Scenario costs"].iter_rows(values_only=True))
    assert rows[-1][0] == "EVPI = RP - WS" and "$26" in rows[-1][-1]
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["evpi"] == approx(26) and summary["wait_and_see"] == approx(84)
    dashboard = [c for row in book["Dashboard"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "would save $26" in " ".join(dashboard)


@pytest.mark.parametrize("with_plan", [True, False], ids=["side by side", "one after another"])
def test_each_scenario_alone_costs_the_same_on_the_worker_pool_or_in_turn(tmp_path, with_plan):
    """The hand instance's scenarios alone: base buys 10 t from C (80), ban from K (120), each proven (cost =
    bound within the gap), whether solved side by side on the worker pool started from the plan (a small
    model's plan: 10 t from C, the start of both) or one after another with the block start (no plan)."""
    data, _ = read_and_validate(write_workbook(tmp_path / "ban.xlsx", ban_book()))
    plan = plan_from_data(data, Stages()) if with_plan else None
    assert plan is None or plan.solved is not None
    solved = costs_alone(data, ["base", "ban"], TimeBudget(60.0), plan)
    assert [cost for cost, _ in solved] == [approx(80), approx(120)]
    assert all(bound == pytest.approx(cost, rel=2 * data.settings.mip_gap) for cost, bound in solved)


def test_evpi_is_about_zero_when_foresight_changes_nothing(tmp_path):
    """C at 13: K (12) is cheaper in every scenario, so every scenario alone buys from K: WS = RP = 120."""
    values = run_case(tmp_path, ban_book(china_price=13)).plan.scenario_values
    assert values.evpi == approx(0)
    assert values.evpi_text("USD").startswith("about 0")


def test_no_scenarios_no_sheet(tmp_path):
    book = ban_book()
    del book["Scenarios"]
    result = run_case(tmp_path, book)
    assert result.plan.scenario_values is None
    assert "Scenario costs" not in openpyxl.load_workbook(result.output).sheetnames


def random_variant(data, rng: random.Random):
    """Two suppliers (China, Canada), 2-3 periods of random demand, random prices, holding, penalties, lead
    times, and one or two scenarios mixing losses of China and price moves."""
    periods = rng.randint(2, 3)
    offers = {key: replace(offer, unit_price=rng.uniform(5, 15), lead_time=rng.randint(0, 1))
              for key, offer in data.offers.items()}
    mineral = replace(data.minerals["ga"], holding_cost=rng.uniform(0, 3), shortfall_penalty=rng.uniform(10, 60),
                      target_penalty=rng.uniform(0, 5))
    scenarios = tuple(
        Scenario(f"s{i}", rng.uniform(0.05, 0.45), (Disruption("China", rng.randint(1, periods), periods,
                                                               rng.choice([0.0, 0.5, 1.0])),))
        for i in range(rng.randint(1, 2)))
    prices = tuple(ScenarioPrice(k.name, None, rng.choice([None, "China"]), 1, periods, rng.uniform(0.7, 2.0))
                   for k in scenarios if rng.random() < 0.6)
    demand = {("ga", t): float(rng.randint(0, 10)) for t in range(1, periods + 1)}
    settings = replace(data.settings, num_periods=periods, cvar_weight=rng.choice([0.0, 0.0, 0.5]))
    return replace(data, settings=settings, offers=offers, minerals={"ga": mineral}, scenarios=scenarios,
                   scenario_prices=prices, demand=demand)


def test_evpi_is_never_below_zero_by_more_than_the_gaps(tmp_path):
    """30 random small workbooks: RP >= WS within the solver gaps (RP optimal over first-stage plans, WS over
    plans that see their scenario)."""
    data, _ = read_and_validate(write_workbook(tmp_path / "base.xlsx", ban_book()))
    rng = random.Random(15)
    positive = 0
    for _ in range(30):
        variant = random_variant(data, rng)
        plan = plan_from_data(variant, Stages())
        values = scenario_values(variant, plan)
        assert values.evpi is not None, values.note
        assert values.evpi >= -values.evpi_gap - 1e-6 * max(1.0, values.expected_cost), variant
        positive += values.evpi > 1e-3
    assert positive >= 10, "the random workbooks should mostly be ones where foresight pays"


def lead_time_book() -> dict:
    """Recourse; C (China) at 10, lead time 0; K (Canada) at 12, lead time 1; 10 t of demand in period 3,
    holding 3, shortfall_penalty 100; 'ban' (0.1) loses China's arrivals in period 3, known in period 3."""
    book = sheets(3, Demand=[{"mineral": "ga", "period": 3, "quantity": 10}])
    book["Settings"]["recourse"] = "yes"
    book["Minerals"][0]["holding_cost"] = 3
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12, "lead_time": 1}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 3,
                          "last_period": 3}]
    return book


def test_vss_by_hand(tmp_path):
    """RP: K must be ordered in period 2, before the ban is known; y t from K cost 12y + 0.9 x 10 (10 - y)
    + 0.1 x 100 (10 - y) = 190 - 7y: y = 10, RP = 120. The average loses 10% of China's period-3 arrivals:
    C in period 3 buys 10 / 0.9 t for 111.1 < K's 120, so the average's plan orders nothing in periods 1-2.
    Keeping that first stage, base buys C (100) and ban is 10 t short (1,000): EEV = 90 + 100 = 190,
    VSS = 190 - 120 = 70. WS: base 100, ban 120 (K): 102; EVPI = 120 - 102 = 18."""
    result = run_case(tmp_path, lead_time_book())
    values = result.plan.scenario_values
    assert values.expected_cost == approx(120)
    assert values.expected_value_cost == approx(190)
    assert values.vss == approx(70)
    assert values.evpi == approx(18)
    book = openpyxl.load_workbook(result.output)
    dashboard = [c for row in book["Dashboard"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "Planning for the bans instead of for the average saves $70" in " ".join(dashboard)
    rows = list(book["Scenario costs"].iter_rows(values_only=True))
    assert rows[-1][0] == "VSS = EEV - RP" and "$70" in rows[-1][-1]


def test_vss_is_about_zero_when_the_average_decides_nothing_early(tmp_path):
    """K without lead time: nothing needs deciding before period 3, so the average's first stage is empty and
    EEV = RP = 0.9 x 100 + 0.1 x 120 = 102."""
    book = lead_time_book()
    book["Offers"][1]["lead_time"] = 0
    values = run_case(tmp_path, book).plan.scenario_values
    assert values.expected_cost == approx(102)
    assert values.vss_text("USD").startswith("about 0")


def test_vss_and_evpi_never_below_zero_with_recourse(tmp_path):
    """30 random small workbooks with recourse (random known_from): EEV >= RP >= WS within the gaps."""
    data, _ = read_and_validate(write_workbook(tmp_path / "base.xlsx", lead_time_book()))
    rng = random.Random(5)
    for _ in range(30):
        variant = random_variant(data, rng)
        variant = replace(variant, settings=replace(variant.settings, recourse="yes", cvar_weight=0.0),
                          scenarios=tuple(replace(k, known_from=rng.choice([None, 2, 3])) for k in variant.scenarios))
        values = scenario_values(variant, plan_from_data(variant, Stages()))
        slack = 1e-6 * max(1.0, values.expected_cost)
        assert values.evpi >= -values.evpi_gap - slack, variant
        assert values.vss is not None, values.vss_note
        assert values.vss >= -values.vss_gap - slack, variant
