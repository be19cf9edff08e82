"""Model structure: the size of one fixed model, counted by hand, and the variables that
must not exist (an ineligible source paying an order, an order outside its offer's window).

The fixture, three periods:
  ga: demand 5 in each period, target 10 at the end of period 3.
  S1 (Canada) sells ga at 10, lead_time 1, min_order 5, max_per_period 50:
      orderable in periods 1-2 (t + 1 <= 3).
  S2 (China) sells ga at 8 from period 2, one discount tier (20 t: 10%):
      orderable in periods 2-3, but no source can pay it in period 3 (below).
  F1: 1,000,000, excludes China, budget 500 in period 1.
  F2: 1,000,000, pays only up to period 2.
  Countries: China max_share 0.5. Scenario "cut": China loses everything in period 3.
"""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest
from modelcase import approx, run_case
from workbooks import base_sheets, write_workbook

from models import ModelFacts, build_model
from models.results import model_size
from optimizer.pipeline import load


def fixture_sheets() -> dict:
    book = base_sheets(3)
    book["Minerals"][0]["holding_cost"] = 1
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"] = [
        {"supplier": "S1", "mineral": "ga", "unit_price": 10, "lead_time": 1, "min_order": 5, "max_per_period": 50},
        {"supplier": "S2", "mineral": "ga", "unit_price": 8, "first_period": 2},
    ]
    book["Discounts"] = [{"supplier": "S2", "mineral": "ga", "min_quantity": 20, "discount": 0.1}]
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "excluded_countries": "China"},
                       {"source": "F2", "amount": 1_000_000, "last_period": 2}]
    book["Budgets"] = [{"source": "F1", "period": 1, "amount": 500}]
    book["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    book["Targets"] = [{"mineral": "ga", "period": 3, "min_stock": 10}]
    book["Countries"] = [{"country": "China", "max_share": 0.5}]
    book["Scenarios"] = [{"scenario": "cut", "probability": 0.2, "country": "China",
                          "first_period": 3, "last_period": 3, "supply_loss": 1}]
    return book


def fixture_model(tmp_path):
    data, _ = load(write_workbook(tmp_path / "structure.xlsx", fixture_sheets()))
    return build_model(data), data


def test_model_size_counted_by_hand(tmp_path):
    model, _ = fixture_model(tmp_path)
    # Order slots: (S1,1), (S1,2), (S2,2) = 3. (S1,3) breaks the lead time, (S2,1) the
    # window, and (S2,3) has no source that may pay it (F1 excludes China, F2 ends in period 2).
    # S2's one tier splits (S2,2) into 2 price segments: [0, 20) at 0% and [20, ..] at 10%.
    # Scenarios base and cut; one mineral; 3 periods.
    variables = (
        3     # Order x: one per slot
        + 3   # IsOrdered y: one per slot (binary)
        + 2   # UsesSupplier z: S1, S2 (binary)
        + 2   # TierQuantity: (S2,2) x 2 segments
        + 2   # InTier: (S2,2) x 2 segments (binary)
        + 6   # Stock I: 2 scenarios x 3 periods
        + 6   # Unmet u: 2 scenarios x 3 periods with demand
        + 2   # Shortfall e: 2 scenarios x period 3, the one target
        + 6   # Release w: 2 scenarios x 3 periods with demand, each up to the target in period 3 (binary)
        + 5   # Spend v: (S1,1) F1 F2, (S1,2) F1 F2, (S2,2) F2 only (F1 excludes China)
        + 2   # OfferTotal X: S1 and S2's offers of ga (ga has a country cap)
        + 1   # MineralTotal: ga
    )
    binaries = 3 + 2 + 2 + 6
    constraints = (
        2     # con_min_order: S1's two slots (S2 has min_order 0)
        + 2   # con_max_order: the untiered slots (S1,1), (S1,2); the tiers bound (S2,2)
        + 1   # con_tier_choice: (S2,2) is in exactly one segment when ordered
        + 1   # con_tier_split: x(S2,2) = the sum of its segments
        + 1   # con_tier_lower: segment 1 reaches 20 t (segment 0 starts at 0: skipped)
        + 2   # con_tier_upper: one per segment
        + 3   # con_supplier_use: z >= y per slot
        + 6   # con_stock_balance: 2 scenarios x 3 periods
        + 2   # con_target: 2 scenarios x period 3
        + 12  # con_release_unmet, con_release_stock: one each per w
        + 3   # con_order_funded: one per slot
        + 2   # con_source_amount: F1, F2
        + 1   # con_period_budget: F1 in period 1
        + 2   # con_offer_total: X[o] = sum of x[o,t], S1 and S2
        + 1   # con_mineral_total: ga's total
        + 1   # con_country_share: (ga, China); Canada's share is 1, no row
        + 0   # con_supplier_share, con_average_risk: caps of 1 bind nothing, no rows
    )
    assert (variables, binaries, constraints) == (40, 13, 42)
    assert model_size(model) == {"variables": variables, "binaries": binaries, "constraints": constraints}


def test_no_variable_for_what_cannot_happen(tmp_path):
    model, _ = fixture_model(tmp_path)
    assert set(model.Order) == {("S1", "ga", 1), ("S1", "ga", 2), ("S2", "ga", 2)}
    assert ("S1", "ga", 3) not in model.Order  # 3 + lead time 1 > 3 periods
    assert ("S2", "ga", 1) not in model.Order  # before S2's first_period
    assert ("S2", "ga", 3) not in model.Order  # no source may pay it
    assert set(model.Spend) == {("F1", "S1", "ga", 1), ("F2", "S1", "ga", 1),
                                ("F1", "S1", "ga", 2), ("F2", "S1", "ga", 2), ("F2", "S2", "ga", 2)}
    assert ("F1", "S2", "ga", 2) not in model.Spend  # F1 excludes China


def test_fixture_plan(tmp_path):
    result = run_case(tmp_path, fixture_sheets())
    plan = result.plan
    assert plan.status == "optimal"
    # Period 1's 5 t cannot arrive (S1 lead time 1, S2 from period 2): 5 x 100 = 500.
    # Periods 2 and 3 need 5 + 5 t and 10 t in stock at the end of period 3: 20 t must arrive
    # by period 3. S2 sells only in period 2 (8, 20 t earn 10% -> 7.2), capped at half of all
    # ga ordered; S1's period-1 order arrives in period 2, its period-2 order in period 3.
    # Cheapest mix: 10 t from S2 in period 2 (80) and 10 t from S1 ordered in period 2 (100),
    # stock 5 at the end of period 2 (holding 5) and 10 at the end of period 3 (holding 10).
    # Buying 20 + 20 for S2's tier: 40 t of stock to hold, dearer. Total 500 + 180 + 15 = 695.
    assert plan.objective == approx(695)
    assert plan.costs["penalty_cost"] == approx(500)


def test_model_facts_are_one_frozen_record_counted_by_hand(tmp_path):
    """The fixture's facts: slots (S1,1), (S1,2), (S2,2); (S2,2) has S2's two price segments; China
    delivers ga, so "cut" (China loses everything in period 3) is its own scenario class, base keeps
    probability 1 - 0.2 = 0.8. The record is the one extra attribute: no fact sits loose on the model."""
    model, data = fixture_model(tmp_path)
    facts = model.facts
    assert isinstance(facts, ModelFacts) and facts.data is data and not facts.elastic
    assert sorted(facts.order_upper) == [("S1", "ga", 1), ("S1", "ga", 2), ("S2", "ga", 2)]
    assert [len(facts.price_segments[slot]) for slot in sorted(facts.order_upper)] == [1, 1, 2]
    assert facts.stock_scenario == {("base", "ga"): "base", ("cut", "ga"): "cut"}
    assert facts.probability == {("base", "ga"): approx(0.8), ("cut", "ga"): approx(0.2)}
    assert facts.previous_orders is None and facts.previous_order(("S1", "ga", 1)) == 0.0
    assert set(facts.cost_terms) == {"purchase_cost", "order_cost", "onboarding_cost", "financing_cost",
                                     "risk_cost", "holding_cost", "penalty_cost"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.money_unit = 2.0
    plain = set(vars(pyo.ConcreteModel()))
    loose = {name for name in vars(model) if name not in plain and model.component(name) is None}
    assert loose == {"facts"}
