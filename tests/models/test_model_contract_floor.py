"""Price floors on contracts (Contracts.floor_price, issue 15 point 3) and risk aversion with deals.

A contract with a floor_price is market-indexed: a delivery under it, ordered in period t, costs
max(floor_price, factor[k] x unit_price) in scenario k, factor[k] the ScenarioPrices factor of the
contract's mineral, supplier's country and t (docs/contract-readings.md). Without recourse every
delivery is ordered before any scenario is known, so it pays the expected price, sum over k of pi[k] x
that; the floor's part, sum over k of pi[k] x (price[k] - factor[k] x unit_price), is its floor_cost.
Without a floor_price a contract costs unit_price in every scenario, as before.

Defaults as in base_sheets: ga from S1 (Canada) at 10 per t, shortfall_penalty 100. Every plan below has
passed the independent checker (modelcase.run_case), which recomputes the prices, floor_cost and CVaR.
"""

from __future__ import annotations

from pathlib import Path

from modelcase import approx, canada_priced, demand, floored_book, order_map, run_case, sheets, solve
from workbooks import write_workbook

from inputcheck import read_and_validate
from optimizer.analysis.explain import contract_sentences
from optimizer.checker import check_result_workbook


def test_a_contract_floor_above_every_scenario_price_costs_its_difference_times_volume(tmp_path):
    """Floor 8 above both scenario prices of K1 (base 5, spike 6): every delivery costs 8. 12 t delivered:
    96, of which the floor pays 12 x (0.75 x (8 - 5) + 0.25 x (8 - 6)) = 12 x 2.75 = 33 (its difference
    with each scenario's price times the volume). The other 8 t from the offer at 10.5: 84; signing 5.
    Objective 96 + 84 + 5 = 185. Each scenario pays 8 a unit delivered: base 96 + 80 + 5 = 181 and spike
    96 + 96 + 5 = 197 (0.75 x 181 + 0.25 x 197 = 185)."""
    result = run_case(tmp_path, floored_book())
    plan = result.plan
    assert {(r.contract, r.period): r.quantity for r in plan.deliveries.itertuples()} == {
        ("K1", 1): approx(6), ("K1", 2): approx(6)}
    assert list(plan.deliveries["unit_price"]) == [approx(8), approx(8)]
    assert plan.costs["purchase_cost"] == approx(96 + 84)
    assert plan.floor_cost() == approx(33)
    assert plan.contracts.iloc[0].floor_cost == approx(33) and plan.contracts.iloc[0].delivery_cost == approx(96)
    assert plan.objective == approx(185)
    costs = plan.scenario_values.frame.set_index("scenario")["cost"]
    assert costs["base"] == approx(181) and costs["spike"] == approx(197)
    [sentence] = contract_sentences(plan, result.data)
    assert "its price floor of $8 pays $33 above the market in expectation" in sentence


def test_an_offer_floor_above_every_scenario_price_costs_its_difference_times_volume(tmp_path):
    """The same for an offer: S1 with floor_price 14 above its base 10 and spike 12; K1 left out. 20 t at 14 =
    280, of which the floor pays 20 x (0.75 x 4 + 0.25 x 2) = 70."""
    book = floored_book()
    del book["Contracts"]
    book["Offers"][0]["floor_price"] = 14
    plan = solve(tmp_path, book)
    assert plan.costs["purchase_cost"] == approx(280) and plan.floor_cost() == approx(70)


def test_a_contract_without_a_floor_keeps_its_price_in_every_scenario(tmp_path):
    """No floor_price: K1 costs 5 in both scenarios (the spike does not move it). 12 t x 5 = 60, 8 t from
    the offer at 10.5 = 84, signing 5: 149; no floor_cost. base 60 + 80 + 5 = 145, spike 60 + 96 + 5 = 161."""
    plan = solve(tmp_path, floored_book(floor_price=None))
    assert plan.objective == approx(149) and plan.floor_cost() == 0
    costs = plan.scenario_values.frame.set_index("scenario")["cost"]
    assert costs["base"] == approx(145) and costs["spike"] == approx(161)


def test_the_checker_recomputes_the_floor(tmp_path):
    """The plan written with K1's floor of 8, judged against the same input with the floor at 7: the
    deliveries' price (8 against 7 + 0.25 x ... = 7.25), the bills and floor_cost are all named."""
    result = run_case(tmp_path, floored_book())
    lower = floored_book(floor_price=7)
    data, _ = read_and_validate(write_workbook(Path(tmp_path) / "lower.xlsx", lower))
    problems = check_result_workbook(result.output, data)
    assert any("expected price over the scenarios" in p for p in problems)
    assert any(p.startswith("Summary: floor_cost") for p in problems)


def slump_book(weight: float) -> dict:
    """Demand 10 t in period 2. K1 (S1, Canada): unit_price 10, floor_price 9, lead time 1, no signing cost,
    the plan decides. A (Australia) at 9.6. S1's own offer at 1,000 (never used). 'slump' (p = 0.5) halves
    Canada's prices: K1 costs 10 in base and max(9, 5) = 9 in slump, expected 9.5 (the floor binds only in
    slump, floor_cost 0.5 x (9 - 5) = 2 a t). cvar_level 0.5: CVaR is the dearer scenario's cost."""
    contract = {"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 10, "lead_time": 1,
                "floor_price": 9}
    book = sheets(2, Demand=demand(0, 10), Contracts=[contract])
    book["Settings"].update(cvar_weight=weight, cvar_level=0.5)
    book["Suppliers"].append({"supplier": "A", "country": "Australia"})
    book["Offers"] = [{"supplier": "S1", "mineral": "ga", "unit_price": 1000},
                      {"supplier": "A", "mineral": "ga", "unit_price": 9.6}]
    return canada_priced(book, "slump", 0.5, 0.5)


def test_risk_neutral_the_floored_contract_wins_on_its_expected_price(tmp_path):
    """cvar_weight 0: x t from K1 and 10 - x from A cost 9.5x + 9.6(10 - x) in expectation: x = 10, 95,
    floor_cost 20; base pays 100, slump 90."""
    plan = solve(tmp_path, slump_book(0))
    assert plan.deliveries["quantity"].sum() == approx(10) and order_map(plan) == {}
    assert plan.objective == approx(95) and plan.floor_cost() == approx(20)
    costs = plan.scenario_values.frame.set_index("scenario")["cost"]
    assert costs["base"] == approx(100) and costs["slump"] == approx(90)


def test_cvar_prices_the_contract_at_each_scenarios_floored_price(tmp_path):
    """cvar_weight 1: base costs 10x + 9.6(10 - x) = 96 + 0.4x, slump 9x + 9.6(10 - x) = 96 - 0.6x;
    expected 96 - 0.1x, CVaR_0.5 (the dearer, base) 96 + 0.4x: 192 + 0.3x, so x = 0: all 10 t from A,
    objective 192, cvar_cost 96. A CVaR pricing K1 at its expected 9.5 in every scenario would see
    95 + 95 = 190 < 192 and sign it. The checker recomputes cvar_cost from each scenario's delivery price."""
    plan = solve(tmp_path, slump_book(1))
    assert plan.deliveries.empty and sum(order_map(plan).values()) == approx(10)
    assert plan.objective == approx(192) and plan.costs["cvar_cost"] == approx(96)


def test_with_recourse_the_floor_cost_is_weighted_by_scenario(tmp_path):
    """Recourse: S1 at 10 with floor_price 12, holding 3, 10 t of demand in period 3; 'spike' (0.25) doubles
    period 3's price. Ahead in period 2 (shared): 12 + 3 = 15 a unit; waiting: base 12 (the floor pays 2), spike
    20 (no floor): 14 in expectation, so each scenario buys in period 3: 0.75 x 120 + 0.25 x 200 = 140. The
    Summary's floor_cost is 0.75 x 10 x 2 = 15 (not base's 20 unweighted); the checker recomputes it."""
    import openpyxl

    book = sheets(3, Demand=demand(0, 0, 10))
    book["Settings"]["recourse"] = "yes"
    book["Minerals"][0]["holding_cost"] = 3
    book["Offers"][0]["floor_price"] = 12
    book["Scenarios"] = [{"scenario": "spike", "probability": 0.25, "country": "Canada", "first_period": 3,
                          "last_period": 3, "supply_loss": 0}]
    book["ScenarioPrices"] = [{"scenario": "spike", "first_period": 3, "last_period": 3, "factor": 2}]
    result = run_case(tmp_path, book)
    assert result.plan.objective == approx(140)
    summary = dict(openpyxl.load_workbook(result.output, read_only=True)["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["floor_cost"] == approx(15)


def test_a_negative_contract_floor_is_an_error_at_its_cell(tmp_path):
    """floor_price -1 on K1 (and a text on a second contract): both reported at once, each at its row and
    column, saying what is expected; no plan data."""
    from inputcheck import errors

    book = floored_book(floor_price=-1)
    book["Contracts"].append({**book["Contracts"][0], "contract": "K2", "floor_price": "high"})
    data, problems = read_and_validate(write_workbook(Path(tmp_path) / "bad.xlsx", book))
    assert data is None
    found = {(p.sheet, p.row, p.column) for p in errors(problems)}
    assert found == {("Contracts", 2, "floor_price"), ("Contracts", 3, "floor_price")}
    assert all(">= 0" in p.expected or "number" in p.expected for p in errors(problems))


def test_cvar_counts_a_projects_capex_in_every_scenario(tmp_path):
    """modelcase.build_or_buy with C = 4,000 (build: 400 + 2,000 = 2,400 in every scenario, the plant in the
    United States) and S1 in China at 100 a t; 'ban' (0.05) loses China's arrivals in periods 1-4,
    shortfall_penalty 200. Buying: base 2,000, ban 2,000 + 20 t x 200 = 6,000; expected 2,200 < 2,400, so
    risk-neutral the plan buys. cvar_weight 1 at cvar_level 0.95 (CVaR = the ban's cost): buying 2,200 +
    6,000 = 8,200, building 2,400 + 2,400 = 4,800: the plant is built, cvar_cost 2,400. The checker
    recomputes cvar_cost with the capex in each scenario's cost."""
    from modelcase import build_or_buy

    def book(weight: float) -> dict:
        changed = build_or_buy(4_000)
        changed["Suppliers"][0]["country"] = "China"
        changed["Minerals"][0]["shortfall_penalty"] = 200
        changed["Scenarios"] = [{"scenario": "ban", "probability": 0.05, "country": "China", "first_period": 1,
                                 "last_period": 4, "supply_loss": 1}]
        changed["Settings"].update(cvar_weight=weight, cvar_level=0.95)
        return changed

    neutral = solve(tmp_path, book(0))
    assert neutral.builds == {} and neutral.objective == approx(2_200)
    averse = solve(tmp_path, book(1))
    assert averse.builds == {"P": 1}
    assert averse.objective == approx(4_800) and averse.costs["cvar_cost"] == approx(2_400)
    costs = averse.scenario_values.frame.set_index("scenario")["cost"]
    assert costs["base"] == approx(2_400) and costs["ban"] == approx(2_400)
