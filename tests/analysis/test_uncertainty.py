"""What the uncertainty is worth: each scenario's cost, WS and EVPI = RP - WS (the Scenario costs sheet).

The hand instance: one period, 10 t of ga, C (China) at 8, K (Canada) at 12, shortfall_penalty 30,
'ban' (probability 0.1) loses China's arrivals.
"""

from __future__ import annotations

import random
from dataclasses import replace

import openpyxl
from inputcheck import read_and_validate
from modelcase import approx, run_case, sheets
from workbooks import write_workbook

from optimizer.analysis.uncertainty import scenario_values
from optimizer.contract.data import Disruption, Scenario, ScenarioPrice
from optimizer.solving.session import plan_from_data
from optimizer.stages import Stages


def ban_book(china_price: float = 8) -> dict:
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": 10}])
    book["Minerals"][0]["shortfall_penalty"] = 30
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": china_price},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 1,
                          "last_period": 1}]
    return book


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
    assert values.evpi_text("USD").startswith("26 USD")
    book = openpyxl.load_workbook(result.output)
    rows = list(book["Scenario costs"].iter_rows(values_only=True))
    assert rows[-1][0] == "EVPI = RP - WS" and "26 USD" in rows[-1][-1]
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["evpi"] == approx(26) and summary["wait_and_see"] == approx(84)
    dashboard = [c for row in book["Dashboard"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("would save 26 USD" in text for text in dashboard)


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
