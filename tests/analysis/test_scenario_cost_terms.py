"""Each scenario's cost priced term by term (optimizer/contract/scenario_costs.py ``scenario_cost_frame``):
every cost term has its column, a scenario's row adds up, and each column weighted by the scenarios'
probabilities is the plan's term, so the weighted costs are the plan's expected cost."""

from __future__ import annotations

import dataclasses
import math
import random

import pandas as pd
from modelcase import approx, run_case, sheets

from optimizer.contract.results import STOCK_COLUMNS, Plan, SolveResult
from optimizer.contract.scenario_costs import of_scenario, scenario_cost_frame, scenario_terms
from optimizer.intake.generate import Size, generate_sheets, write_sheets
from optimizer.pipeline import load
from optimizer.solving.session import plan_from_data
from optimizer.stages import Stages


def every_sheet_book() -> dict[str, list]:
    """A generated workbook with every optional sheet and column: Projects, Contracts, Sales, decay,
    Conversions, ScenarioDemand (an emergency), ScenarioPrices and priced Demand repaying a source."""
    book = generate_sheets(Size(4, 4, 4, 2, projects=1, sales=2, decaying=2, conversions=1, emergencies=1),
                           seed=1, contracts=1)
    book["Demand"] = [book["Demand"][0] + ["unit_price", "source"]] + [
        row + ([400.0, "Loan"] if row[0] == "mineral_01" else [None, None]) for row in book["Demand"][1:]]
    book["Projects"][1][book["Projects"][0].index("decided")] = "yes"  # built: capex_cost is paid
    book["Contracts"][1][book["Contracts"][0].index("signing_cost")] = 5_000
    book["ScenarioPrices"] = [["scenario", "country", "first_period", "last_period", "factor"],
                              ["disruption_1", "China", 1, 4, 1.5]]
    return book


def test_every_term_is_priced_per_scenario_and_weighs_up_to_the_plan(tmp_path):
    """For every cost term t of the workbook: sum over k of pi[k] x frame[k, t] = the plan's t, and each row's
    cost is the sum of its terms; so sum over k of pi[k] x cost[k] = objective - cvar_cost."""
    data, _ = load(write_sheets(tmp_path / "every.xlsx", every_sheet_book()), stages=Stages(lambda _m: None))
    data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, mip_gap=1e-4))
    plan = plan_from_data(data, Stages(lambda _m: None))
    assert plan.objective is not None
    frame = scenario_cost_frame(plan, data)
    terms = scenario_terms(data)
    assert {"capex_cost", "take_or_pay_cost", "signing_cost", "conversion_cost", "sales_revenue",
            "release_revenue"} <= set(terms)
    for term in ("capex_cost", "signing_cost", "conversion_cost"):  # the flows are in the plan
        assert plan.costs[term] > 0, term
    assert plan.costs["sales_revenue"] < 0 and plan.costs["release_revenue"] < 0
    for term in terms:
        weighted = float((frame["probability"] * frame[term]).sum())
        assert weighted == approx(plan.costs[term]), term
    assert list(frame["cost"]) == [approx(sum(row[t] for t in terms)) for _, row in frame.iterrows()]
    assert float((frame["probability"] * frame["cost"]).sum()) == approx(plan.objective - plan.costs["cvar_cost"])


def upgrade_book(weight: float = 0.0) -> dict:
    """ga (ore): 10 t in stock, no demand, sold at 3 a unit (up to 10 t, into F1). fecr (metal): demand 10 t
    in period 1, paid 5 a unit by participants (repaying F1), penalty 100. Metal is bought from K (Canada)
    at 12, or ore upgraded at 15 a unit of input (yield 1, no lead time). Scenario 'ban' (0.1) halts China's
    supply: nobody in China, so every scenario costs the same."""
    book = sheets(1, Demand=[{"mineral": "fecr", "period": 1, "quantity": 10, "unit_price": 5, "source": "F1"}])
    book["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 10, "holding_cost": 0,
                         "shortfall_penalty": 100},
                        {"mineral": "fecr", "unit": "t", "initial_stock": 0, "holding_cost": 0,
                         "shortfall_penalty": 100}]
    book["Suppliers"] = [{"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "K", "mineral": "fecr", "unit_price": 12}]
    book["Sales"] = [{"mineral": "ga", "first_period": 1, "last_period": 1, "unit_price": 3,
                      "max_per_period": 10, "source": "F1"}]
    book["Conversions"] = [{"conversion": "roast", "from_mineral": "ga", "to_mineral": "fecr", "yield": 1,
                            "unit_cost": 15, "lead_time": 0, "max_per_period": 10}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 1,
                          "last_period": 1, "supply_loss": 1}]
    book["Settings"]["cvar_weight"] = weight
    return book


def test_a_scenario_row_by_hand(tmp_path):
    """Buy 10 t of fecr at 12 (120) and sell the ore at 3 (-30); upgrading would cost 15 + the 3 of a sale
    forgone = 18 > 12 a unit. Participants pay 5 x 10 = 50. Each scenario: purchase 120, sales_revenue -30,
    release_revenue -50, conversion_cost 0: cost 40; expected 40, the objective."""
    result = run_case(tmp_path, upgrade_book())
    frame = result.plan.scenario_values.frame.set_index("scenario")
    for scenario in ("base", "ban"):
        row = frame.loc[scenario]
        assert (row["purchase_cost"], row["sales_revenue"], row["release_revenue"], row["conversion_cost"],
                row["cost"]) == (approx(120), approx(-30), approx(-50), approx(0), approx(40))
    assert result.plan.objective == approx(40)


def test_cvar_counts_conversion_sales_and_participants_in_every_scenario(tmp_path):
    """cvar_weight 1, cvar_level 0.9 (default). Buying: every scenario costs 120 - 30 - 50 = 40, CVaR 40,
    objective 40 + 40 = 80. Upgrading the ore instead: conversion 150, no sale, participants -50: 100 in every
    scenario, objective 200. So the plan buys (80). A CVaR leaving out conversion, sales and participants'
    revenue would price buying at 40 + 120 = 160 and upgrading at 100 + 0 and upgrade. The model, the
    Scenario costs sheet and the checker (run_case checks the written plan) agree on cvar_cost 40."""
    import openpyxl

    result = run_case(tmp_path, upgrade_book(weight=1))
    plan = result.plan
    assert plan.conversions.empty and plan.costs["purchase_cost"] == approx(120)
    assert plan.costs["cvar_cost"] == approx(40) and plan.objective == approx(80)
    rows = list(openpyxl.load_workbook(result.output)["Scenario costs"].iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "scenario")
    costs = {r[0]: r[header.index("cost")] for r in rows if r[0] in ("base", "ban")}
    assert costs == {"base": approx(40), "ban": approx(40)}


def test_cvar_prices_an_emergency_shortfall_at_its_own_penalty(tmp_path):
    """ga: demand 10 t in period 1, shortfall_penalty 30. K (Canada) sells at 12, C (China) at 20. 'ban' (0.1)
    stops Canada's supply and raises the demand's shortfall_penalty to 50 (a ScenarioDemand row of 10 t).
    x t from K and 10 - x from C: base 12x + 20(10 - x), ban the same + 50x unmet; expected 200 - 3x, CVaR_0.9
    (the ban alone) 200 + 42x. With cvar_weight 0.1: 220 + 1.2x, so all from C: 220 (cvar_cost 20). At the
    mineral's penalty of 30 the ban would cost 200 + 22x and K would win (220 - 0.8x: 212)."""
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": 10}])
    book["Minerals"][0]["shortfall_penalty"] = 30
    book["Suppliers"] = [{"supplier": "K", "country": "Canada"}, {"supplier": "C", "country": "China"}]
    book["Offers"] = [{"supplier": "K", "mineral": "ga", "unit_price": 12},
                      {"supplier": "C", "mineral": "ga", "unit_price": 20}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "Canada", "first_period": 1,
                          "last_period": 1, "supply_loss": 1}]
    book["ScenarioDemand"] = [{"scenario": "ban", "mineral": "ga", "period": 1, "quantity": 10,
                               "shortfall_penalty": 50}]
    book["Settings"]["cvar_weight"] = 0.1
    plan = run_case(tmp_path, book).plan  # the checker recomputes cvar_cost at the ban's penalty too
    assert plan.order_quantities() == {("C", "ga", 1): approx(10)}
    assert plan.objective == approx(220) and plan.costs["cvar_cost"] == approx(20)


def test_the_columns_read_at_once_give_the_row_by_row_sums_to_the_last_bit(tmp_path):
    """scenario_cost_frame reads its tables column by column (docs/performance.md: 3x faster at L). On a
    generated workbook's plan tables (shared and per-scenario orders, every other one discounted, random
    stock), each term equals, exactly, the sum over the rows one by one (itertuples), as it was read before."""
    data, _ = load(write_sheets(tmp_path / "small.xlsx", generate_sheets(Size(3, 4, 6, 2), seed=3)),
                   stages=Stages(lambda _m: None))
    data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, risk_weight=0.3))
    rng, names = random.Random(7), [k.name for k in data.all_scenarios]
    orders, funding, stock = [], [], []
    for (supplier, mineral), offer in data.offers.items():
        for period in data.order_periods(offer):
            for scenario in [""] if period <= 3 else names:
                quantity, discount = rng.uniform(1, 100), rng.choice([float("nan"), 0.05])
                orders.append({"scenario": scenario, "supplier": supplier, "mineral": mineral, "period": period,
                               "quantity": quantity, "unit_price": offer.price(period) * rng.uniform(0.9, 1.1),
                               "discount": discount, "order_cost": offer.order_cost})
                funding.append({"scenario": scenario, "source": rng.choice(list(data.funding)), "amount": quantity})
    for scenario in names:
        for mineral in data.minerals:
            for period in data.periods:
                stock.append({"scenario": scenario, "mineral": mineral, "period": period, "stock": rng.uniform(0, 50),
                              "unmet_demand": rng.uniform(0, 3), "shortfall": rng.uniform(0, 3)})
    plan = Plan("optimal", 0.0, {}, pd.DataFrame(orders), pd.DataFrame(funding),
                pd.DataFrame(stock).reindex(columns=STOCK_COLUMNS, fill_value=0.0), SolveResult("optimal", "optimal"))
    frame = scenario_cost_frame(plan, data).set_index("scenario")
    for scenario in names:
        own = of_scenario(plan.orders, scenario)
        purchase = math.fsum(r.quantity * (r.unit_price if pd.isna(r.discount) else data.scenario_list_price(
            scenario, (r.supplier, r.mineral, int(r.period))) * (1.0 - r.discount)) for r in own.itertuples())
        risk = data.settings.risk_weight * math.fsum(
            data.risk_score(r.supplier) * r.quantity * r.unit_price for r in own.itertuples())
        financed = math.fsum(data.funding[r.source].cost_rate * r.amount
                             for r in of_scenario(plan.funding, scenario).itertuples())
        holding = penalty = 0.0
        for r in plan.stock[plan.stock["scenario"] == scenario].itertuples():
            holding += data.minerals[r.mineral].holding_cost * r.stock
            penalty += (data.shortfall_penalty_of(scenario, r.mineral, int(r.period)) * r.unmet_demand
                        + data.minerals[r.mineral].target_penalty * r.shortfall)
        row = frame.loc[scenario]
        assert (row["purchase_cost"], row["risk_cost"], row["financing_cost"], row["holding_cost"],
                row["penalty_cost"]) == (purchase, risk, financed, holding, penalty), scenario
        assert purchase > 0 and risk > 0 and holding > 0 and penalty > 0
