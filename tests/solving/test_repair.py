"""Stray orders (a quantity with its yes/no variable below 0.5) are repaired after the solve (issue 11, section 1).

HiGHS returns such a plan only when a big-M is large against its integrality
tolerance, which the bounds of models/ordering.py now prevent. So each path of
``optimizer.solving.highs.repair_plan`` is reached by injecting a bad incumbent: the
workbook is solved to its optimum, then chosen variable values of the solved
model are overwritten (``set_value``) the way a solver with a 1e11 big-M leaves
them, and ``repair_plan`` is called on that model directly.
"""

from __future__ import annotations

from pathlib import Path

import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from workbooks import big_loan_sheets, write_workbook

from models import build_model
from models.repair import stray_orders
from optimizer.checker import check_result_workbook
from optimizer.cli import main
from optimizer.solving.bounds import order_bound_warnings
from optimizer.pipeline import load
from optimizer.contract.results import OPTIMAL
from optimizer.solving.highs import repair_plan, solve_model

SLOT1, SLOT2 = ("S1", "ga", 1), ("S1", "ga", 2)


def solved(tmp_path: Path, sheets: dict):
    """The model of ``sheets`` solved to its optimum, with the solve's result."""
    data, _ = load(write_workbook(tmp_path / "repair.xlsx", sheets))
    model = build_model(data)
    result = solve_model(model, 0.0, 60)
    assert result.status == OPTIMAL and stray_orders(model) == []
    return model, result


def currency(model, value: float) -> float:
    return value * model.facts.money_unit


def test_a_stray_order_that_meets_min_order_and_fits_its_funding_is_placed(tmp_path):
    """Injected: the optimal plan's period-1 order keeps its quantity, its yes/no variable set to 0 (as if
    the solver had returned 1e-9). The repair places it (y = 1) and the LP with every binary fixed gives
    back the optimal plan: the same objective, optimal, its order_cost paid."""
    model, result = solved(tmp_path, big_loan_sheets())
    assert pyo.value(model.Order[SLOT1]) > 0
    model.IsOrdered[SLOT1].set_value(0.0)
    assert stray_orders(model) == [SLOT1]
    repaired = repair_plan(model, result, stray_orders(model), 0.0, 60, None)
    assert repaired.status == OPTIMAL
    assert repaired.objective == pytest.approx(result.objective, rel=1e-9)
    assert pyo.value(model.IsOrdered[SLOT1]) == 1 and not model.IsOrdered[SLOT1].fixed  # fixings released
    assert "1 placed, 0 dropped" in repaired.message


def test_a_stray_discount_segment_is_placed(tmp_path):
    """A 5% discount from 100 t: injected, the segment holding the period-1 order gets InTier 0 while its
    TierQuantity stays. The repair puts the order back in that segment: the optimum again."""
    sheets = big_loan_sheets()
    sheets["Discounts"] = [{"supplier": "S1", "mineral": "ga", "min_quantity": 100, "discount": 0.05}]
    model, result = solved(tmp_path, sheets)
    holding = [index for index in model.TIER_SLOTS
               if index[:3] == SLOT1 and pyo.value(model.TierQuantity[index]) > 0]
    assert len(holding) == 1
    model.InTier[holding[0]].set_value(0.0)
    assert stray_orders(model) == [SLOT1]
    repaired = repair_plan(model, result, stray_orders(model), 0.0, 60, None)
    assert repaired.status == OPTIMAL
    assert repaired.objective == pytest.approx(result.objective, rel=1e-9)
    assert pyo.value(model.InTier[holding[0]]) == 1


def test_a_stray_order_below_min_order_is_dropped(tmp_path):
    """Injected: 5 t ordered in period 2 (where the optimum orders nothing) with y = 0; min_order is 20,
    so the repair drops it (x = 0) and the LP gives back the optimum."""
    sheets = big_loan_sheets()
    sheets["Offers"][0]["min_order"] = 20
    model, result = solved(tmp_path, sheets)
    assert pyo.value(model.Order[SLOT2]) == pytest.approx(0)
    model.Order[SLOT2].set_value(5.0)
    repaired = repair_plan(model, result, stray_orders(model), 0.0, 60, None)
    assert repaired.status == OPTIMAL
    assert repaired.objective == pytest.approx(result.objective, rel=1e-9)
    assert pyo.value(model.Order[SLOT2]) == pytest.approx(0) and pyo.value(model.IsOrdered[SLOT2]) == 0
    assert "0 placed, 1 dropped" in repaired.message


def test_an_lp_without_a_plan_is_solved_again_as_a_mip_with_bounds_cut_to_the_need(tmp_path):
    """Two periods, demand 100 in each, min_order 100, price 10, order_cost 50, no holding cost, a loan of 2,050.
    Optimum by hand: one order of 200 in period 1, 2,000 + 50 = 2,050 (two orders would cost 2,100).
    Injected: 100 t in each period with y = 0, each paid 1,000. Either order's 50 fits the 50 left, so both
    are placed; together they cost 2,100 > 2,050, so the LP with the binaries fixed has no plan, and the
    MIP solved again (bounds cut to the need: 200 and 100) finds the optimum, 2,050."""
    sheets = big_loan_sheets(amount=2_050, order_cost=50, holding_cost=0)
    sheets["Settings"]["num_periods"] = 2
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 100} for t in (1, 2)]
    sheets["Offers"][0]["min_order"] = 100
    model, result = solved(tmp_path, sheets)
    assert currency(model, result.objective) == pytest.approx(2_050)
    for slot in (SLOT1, SLOT2):
        model.Order[slot].set_value(100.0)
        model.IsOrdered[slot].set_value(0.0)
        model.Spend[("F1",) + slot].set_value(1_000 / model.facts.money_unit)
    repaired = repair_plan(model, result, stray_orders(model), 0.0, 60, None)
    assert "2 placed, 0 dropped" in repaired.message
    assert "solved again with their bounds cut to their need" in repaired.message
    assert repaired.status == OPTIMAL
    assert currency(model, repaired.objective) == pytest.approx(2_050)
    assert pyo.value(model.Order[SLOT1]) == pytest.approx(200) and model.Order[SLOT2].ub == pytest.approx(100)


def test_the_big_loan_workbook_runs_and_its_plan_passes_the_check(tmp_path):
    """Issue 11's workbook end to end: exit 0 (it was exit 1, "pays 900 for no order"), the written plan
    passes the independent checker and pays an order_cost for every order; no big-M warning."""
    source = write_workbook(tmp_path / "big loan.xlsx", big_loan_sheets())
    output = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(main, ["run", str(source), "--output", str(output)])
    assert result.exit_code == 0, result.output
    data, _ = load(source)
    assert check_result_workbook(output, data) == []
    assert order_bound_warnings(data) == []
