"""Sensitivities with their range (HiGHS ranging of the plan's LP), checked against re-solves of that LP.

The plan's LP has every yes/no decision fixed at the plan (models/sensitivity.py); its duals price one more
unit of a limit, its ranging says for how much more that price holds. A MIP re-solve would mix the effect
with the gap, so the step is checked on the LP (optimizer/solving/session.py ``plan_lp_objective``).
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from modelcase import demand, run_case, sheets

from optimizer.analysis.explain import analyst_step, round_down, sensitivity_frame
from optimizer.solving.session import plan_lp_objective


def short_of_money():
    """ga: 50 t demanded in each of 3 periods, 10 a t from S1, shortfall_penalty 100 a t; F1 has 1,000.

    By hand: 1,000 buys 100 t, 50 t go unmet (penalty 5,000). Each extra 1 buys 0.1 t, saving 100 x 0.1 - 1
    = 9: the slope is -9. It holds until demand is met: 500 more (150 t at 10 = 1,500). The analyst's step is
    1% of 1,000 = 10, saving 90."""
    book = sheets(3, Demand=demand(50, 50, 50))
    book["Funding"][0]["amount"] = 1_000
    return book


def with_amount(data, source: str, amount: float):
    funding = dict(data.funding)
    funding[source] = dataclasses.replace(funding[source], amount=amount)
    return dataclasses.replace(data, funding=funding)


def with_capacity(data, supplier: str, mineral: str, capacity: float):
    offers = dict(data.offers)
    offers[supplier, mineral] = dataclasses.replace(offers[supplier, mineral], max_per_period=capacity)
    return dataclasses.replace(data, offers=offers)


def test_a_funding_amount_holds_for_its_hand_computed_range_and_the_lp_moves_by_the_stated_step(tmp_path):
    result = run_case(tmp_path, short_of_money())
    [amount] = [m for m in result.plan.analysis.marginals if m.kind == "amount"]
    assert amount.value == pytest.approx(-9.0) and amount.room == pytest.approx(500.0)
    row = sensitivity_frame(result.plan.analysis.marginals, result.data).set_index("limit").loc["funding amount"]
    assert row["change"] == "+$10" and row["effect"] == pytest.approx(-90.0)
    assert "holds for up to $500 more" in row["finding"]
    base = plan_lp_objective(result.data, result.plan.orders)
    assert base == pytest.approx(result.plan.objective, rel=1e-9)
    stepped = plan_lp_objective(with_amount(result.data, "F1", 1_010), result.plan.orders)
    assert stepped - base == pytest.approx(row["effect"], rel=0.01)
    # Past the range the value per unit changes: 600 more saves 9 x 500 (the shortfall is gone), not 9 x 600.
    beyond = plan_lp_objective(with_amount(result.data, "F1", 1_600), result.plan.orders)
    assert beyond - base == pytest.approx(-4_500.0, rel=1e-6)


def test_a_binding_capacity_is_priced_at_a_round_tenth_within_its_range(tmp_path):
    """One period: 50 t demanded; S1 sells at most 40 t at 10, S2 the rest at 20.

    By hand: each t more from S1 saves 20 - 10 = 10 until S2 is not needed: 10 t more. The step is a round
    10% of 40 (4, rounded down to 1-2-5: 2 t), saving 20; the plan's LP re-solved with 42 t moves by that."""
    book = sheets(1, Demand=demand(50))
    book["Offers"][0]["max_per_period"] = 40
    book["Suppliers"].append({"supplier": "S2", "country": "Chile"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 20})
    result = run_case(tmp_path, book)
    [marginal] = [m for m in result.plan.analysis.marginals if m.kind == "capacity" and m.key[0] == "S1"]
    assert marginal.value == pytest.approx(-10.0) and marginal.room == pytest.approx(10.0)
    row = sensitivity_frame(result.plan.analysis.marginals, result.data).set_index("limit").loc["capacity"]
    assert row["change"] == "+2 t" and row["effect"] == pytest.approx(-20.0) and row["holds_for_up_to"] == 10
    assert "holds for up to 10 t more" in row["finding"]
    base = plan_lp_objective(result.data, result.plan.orders)
    raised = plan_lp_objective(with_capacity(result.data, "S1", "ga", 42), result.plan.orders)
    assert raised - base == pytest.approx(row["effect"], rel=0.01)


@pytest.mark.parametrize("value, expected", [(16.7e6, 10e6), (340, 200), (0.07, 0.05), (1e8, 1e8), (5.5, 5)])
def test_round_down_to_one_two_five(value, expected):
    assert round_down(value) == pytest.approx(expected)


def test_the_step_is_a_round_share_of_the_limit_within_its_range():
    assert analyst_step(10e9, 0.01, math.inf) == 100e6  # $100M of a $10B loan
    assert analyst_step(10e9, 0.01, 30e6) == 20e6  # no further than the value holds
    assert analyst_step(10e9, 0.01, 0.0) == 100e6  # degenerate: the sentence says it holds only at the margin
