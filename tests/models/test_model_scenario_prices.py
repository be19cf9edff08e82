"""Scenario prices (the ScenarioPrices sheet) and price floors (Offers.floor_price), without recourse.

Every order is placed before any scenario is known, so it pays the probability-weighted price over
the scenarios: sum over k (base included, pi[base] = 1 - the Scenarios' probabilities, at the offers'
own prices) of pi[k] x max(floor_price, factor[k] x price). A price-only scenario is a Scenarios row
with supply_loss 0.

Two suppliers of ga: C in China at 10 and K in Canada at 12; shortfall_penalty 100.
"""

from __future__ import annotations

import pytest
from modelcase import approx, demand, order_map, run_case, sheets, solve
from workbooks import write_workbook

from inputcheck import errors, only, read_and_validate
from optimizer.checker import check_result_workbook


def two_suppliers(num_periods: int = 1, probability: float = 0.5, **changes) -> dict:
    """C (China) at 10, K (Canada) at 12; a price-only scenario 'spike' of ``probability``."""
    book = sheets(num_periods, **changes)
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    book["Scenarios"] = [{"scenario": "spike", "probability": probability, "country": "China",
                          "first_period": 1, "last_period": 1, "supply_loss": 0}]
    return book


def spike(factor: float, first: int = 1, last: int = 1, country: str | None = "China",
          mineral: str | None = None) -> list[dict]:
    return [{"scenario": "spike", "mineral": mineral, "country": country, "first_period": first,
             "last_period": last, "factor": factor}]


@pytest.mark.parametrize(("factor", "supplier", "cost"), [(1.6, "K", 120.0), (1.3, "C", 115.0)])
def test_the_expected_price_chooses_the_supplier(tmp_path, factor, supplier, cost):
    """Demand 10 t. China's expected price is 0.5 x 10 + 0.5 x 10 x factor: 13 with factor 1.6
    (dearer than Canada's 12: 10 t from K, 120), 11.5 with 1.3 (10 t from C, 115)."""
    plan = solve(tmp_path, two_suppliers(Demand=demand(10), ScenarioPrices=spike(factor)))
    assert order_map(plan) == {(supplier, 1): approx(10)}
    assert plan.costs["purchase_cost"] == approx(cost)
    assert plan.objective == approx(cost)


def test_a_price_move_applies_only_in_its_periods(tmp_path):
    """Demand 10 t in period 2, holding_cost 3, lead time 0; China x3 in period 1 only (expected 20):
    the plan buys from C in period 2 at 10: 100. Moved to period 2 (expected 20 there), C in period 1
    costs 10 + 3 holding = 13 a unit, K in period 2 12: 120."""
    book = two_suppliers(2, Demand=demand(0, 10), ScenarioPrices=spike(3.0, 1, 1))
    book["Minerals"][0]["holding_cost"] = 3
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("C", 2): approx(10)}
    assert plan.objective == approx(100)
    book["ScenarioPrices"] = spike(3.0, 2, 2)
    moved = solve(tmp_path, book)
    assert order_map(moved) == {("K", 2): approx(10)}
    assert moved.objective == approx(120)


def test_rows_that_price_the_same_order_multiply_and_blank_means_every(tmp_path):
    """Every country x1.5 and China x1.2 in 'spike' (p = 0.5): China's expected price 0.5 x 10 + 0.5 x 18 = 14,
    Canada's 0.5 x 12 + 0.5 x 18 = 15: 10 t from C, 140."""
    rows = spike(1.5, country=None) + spike(1.2, mineral="ga")
    plan = solve(tmp_path, two_suppliers(Demand=demand(10), ScenarioPrices=rows))
    assert order_map(plan) == {("C", 1): approx(10)}
    assert plan.objective == approx(140)


def test_the_base_scenario_keeps_the_offer_price(tmp_path):
    """'spike' of probability 0.2 doubles China's price; base (0.8) keeps it: expected 0.8 x 10 + 0.2 x 20 = 12,
    a tie with K broken either way, so the cost is 120 exactly."""
    plan = solve(tmp_path, two_suppliers(probability=0.2, Demand=demand(10), ScenarioPrices=spike(2.0)))
    assert plan.objective == approx(120)


def test_a_floor_above_every_scenario_price_costs_its_difference_times_volume(tmp_path):
    """C alone, floor_price 15; 'spike' (p = 0.25) makes China 12. Both scenario prices are below the floor,
    so every unit costs 15: purchase 10 t x 15 = 150, of which the floor pays
    10 x (0.75 x (15 - 10) + 0.25 x (15 - 12)) = 45 above the scenario prices."""
    book = two_suppliers(probability=0.25, Demand=demand(10), ScenarioPrices=spike(1.2))
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10, "floor_price": 15}]
    plan = solve(tmp_path, book)
    assert plan.costs["purchase_cost"] == approx(150)
    assert plan.floor_cost() == approx(45)
    assert float(plan.orders["unit_price"].iloc[0]) == approx(15)


def test_a_floor_below_a_spike_pays_only_where_the_market_is_lower(tmp_path):
    """Floor 11, spike x1.5 (p = 0.5): base pays 11 (floor), spike 15: expected 13 per unit; floor payment
    0.5 x (11 - 10) = 0.5 per unit, 5 on 10 t; purchase 130."""
    book = two_suppliers(Demand=demand(10), ScenarioPrices=spike(1.5))
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 10, "floor_price": 11}]
    plan = solve(tmp_path, book)
    assert plan.costs["purchase_cost"] == approx(130)
    assert plan.floor_cost() == approx(5)


def test_an_agreed_commitment_price_does_not_move(tmp_path):
    """A commitment of 10 t from C at an agreed 9 in a x2 spike (p = 0.5) costs 90, not 9 x 1.5 x 10."""
    book = two_suppliers(Demand=demand(10), ScenarioPrices=spike(2.0),
                         Commitments=[{"supplier": "C", "mineral": "ga", "period": 1, "quantity": 10, "unit_price": 9}])
    plan = solve(tmp_path, book)
    assert plan.objective == approx(90)


def test_the_checker_recomputes_the_expected_price(tmp_path):
    """The written plan passes the checker (run_case); the same plan read against data without the price
    move is refused: its unit_price is the expected 13, not the list price 10."""
    book = two_suppliers(Demand=demand(10), ScenarioPrices=spike(1.6))
    book["Offers"] = book["Offers"][:1]
    result = run_case(tmp_path, book)
    assert result.plan.objective == approx(130)
    del book["ScenarioPrices"]
    data, _ = read_and_validate(write_workbook(tmp_path / "plain.xlsx", book))
    problems = check_result_workbook(result.output, data)
    assert any("unit_price 13 != price 10" in p for p in problems), problems


def test_scenario_price_rows_are_validated(tmp_path):
    """An unknown scenario, 'base', an unknown mineral and a reversed window: one error each, at its cell."""
    rows = [{"scenario": "ban", "first_period": 1, "last_period": 1, "factor": 2},
            {"scenario": "base", "first_period": 1, "last_period": 1, "factor": 2},
            {"scenario": "spike", "mineral": "zz", "first_period": 1, "last_period": 1, "factor": 2},
            {"scenario": "spike", "first_period": 2, "last_period": 1, "factor": 2},
            {"scenario": "spike", "first_period": 1, "last_period": 1, "factor": 0}]
    _, problems = read_and_validate(write_workbook(tmp_path / "bad.xlsx", two_suppliers(2, ScenarioPrices=rows)))
    assert len(errors(problems)) == 5
    assert only(problems, "found 'ban'; expected a scenario listed in the sheet 'Scenarios'").row == 2
    assert only(problems, "base scenario has no price moves").row == 3
    assert only(problems, "expected a mineral listed in the sheet 'Minerals'").row == 4
    assert only(problems, "last_period 1 is before first_period 2").row == 5
    assert only(problems, "expected a number > 0 and <= 1000").column == "factor"
