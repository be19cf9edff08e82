"""Emergency demand (the ScenarioDemand sheet): in a scenario, a mineral's demand in a period is the
sheet's quantity instead of the Demand row, priced at the row's own shortfall_penalty when given.

The hand case (``surge_book``): one mineral ga, one supplier S1 in Canada at 10 a t, lead time 0,
holding_cost 1 a t and period, two periods, no Demand rows. The scenario ``war`` (probability 0.25)
cuts Canada's supply in period 2 and brings a surge of 10 t of ga demand in period 2 with its own
shortfall_penalty P (the mineral's is 100). Stock for the surge must be bought in period 1, before
the scenario is known; a unit bought then costs

    10 (price) + 1 (held at the end of period 1, every scenario) + 0.75 x 1 (still held at the end of
    period 2 in base, where nothing draws it) = 11.75

and saves 0.25 x P of expected penalty. So the surge is covered exactly when 0.25 x P > 11.75,
P > 47: at P = 48 the plan buys 10 t (117.5 against 0.25 x 48 x 10 = 120), at P = 46 it buys
nothing (0.25 x 46 x 10 = 115 against 117.5).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyomo.environ as pyo
import pytest
from modelcase import approx, demand, order_map, solve, sheets, stock_of
from workbooks import write_workbook

from inputcheck import errors, only, read_and_validate
from models import build_model
from optimizer.checker import check_result_workbook
from optimizer.pipeline import load, run
from optimizer.studies.stress import exposure, simulate_costs


def war(probability: float = 0.25, name: str = "war", supply_loss: float = 1.0) -> dict:
    return {"scenario": name, "probability": probability, "country": "Canada", "first_period": 2,
            "last_period": 2, "supply_loss": supply_loss}


def surge_book(penalty: float | None, quantity: float = 10, **changes) -> dict:
    """The hand case of the module docstring, with the surge's shortfall_penalty ``penalty``."""
    book = sheets(2, Scenarios=[war()], **changes)
    book["Minerals"][0]["holding_cost"] = 1
    row = {"scenario": "war", "mineral": "ga", "period": 2, "quantity": quantity}
    if penalty is not None:
        row["shortfall_penalty"] = penalty
    book.setdefault("ScenarioDemand", []).append(row)
    return book


def test_an_emergency_surge_is_covered_ahead_when_probability_times_penalty_beats_holding_it(tmp_path):
    """P = 48 > 47: buy 10 t in period 1, 117.5; the war draws them in period 2, nothing unmet."""
    plan = solve(tmp_path, surge_book(48))
    assert plan.objective == approx(117.5)
    assert order_map(plan) == {("S1", 1): approx(10)}
    assert stock_of(plan, 2, scenario="war", column="demand") == approx(10)
    assert stock_of(plan, 2, scenario="war", column="unmet_demand") == approx(0)
    assert stock_of(plan, 2, scenario="base", column="demand") == approx(0)
    assert stock_of(plan, 2, scenario="base") == approx(10)


def test_below_the_threshold_the_surge_goes_unmet_at_its_own_penalty(tmp_path):
    """P = 46 < 47: nothing bought, 0.25 x 46 x 10 = 115. (At the mineral's penalty of 100 the
    plan would buy: the row's own penalty is the one that counts.)"""
    plan = solve(tmp_path, surge_book(46))
    assert plan.objective == approx(115)
    assert order_map(plan) == {}
    assert stock_of(plan, 2, scenario="war", column="unmet_demand") == approx(10)


def test_without_its_own_penalty_the_surge_is_priced_at_the_minerals(tmp_path):
    """Blank shortfall_penalty: the mineral's 100 > 47, so the 10 t are bought ahead: 117.5."""
    plan = solve(tmp_path, surge_book(None))
    assert plan.objective == approx(117.5)


def test_scenario_demand_replaces_the_demand_row_in_that_scenario_only(tmp_path):
    """Demand 5 t in period 2; the war's row says 0 t there (the plant is shut): buying 5 t in period 2
    serves base (10 x 5 = 50, nothing held), the war needs nothing, so the cut costs nothing: 50.
    Without the row the war needs its 5 t too, which only stock bought in period 1 can serve:
    5 x (10 + 1 held) = 55 < 50 + 0.25 x 100 x 5 = 175."""
    book = surge_book(None, quantity=0, Demand=demand(0, 5))
    plan = solve(tmp_path, book)
    assert plan.objective == approx(50)
    assert order_map(plan) == {("S1", 2): approx(5)}
    assert stock_of(plan, 2, scenario="war", column="demand") == approx(0)
    assert stock_of(plan, 2, scenario="base", column="demand") == approx(5)
    book.pop("ScenarioDemand")
    assert solve(tmp_path, book).objective == approx(55)


def test_serve_first_holds_in_the_scenario_of_the_surge(tmp_path):
    """Initial stock 4 t, a surge of 10 t in the war (penalty 46, below the threshold): the war serves
    4 t from stock and leaves 6 t unmet, none held while demand goes unmet (the release rule per
    scenario; the checker's check_release agrees)."""
    book = surge_book(46)
    book["Minerals"][0]["initial_stock"] = 4
    plan = solve(tmp_path, book)
    assert stock_of(plan, 2, scenario="war", column="unmet_demand") == approx(6)
    assert stock_of(plan, 2, scenario="war") == approx(0)


def test_two_scenarios_with_equal_losses_but_different_surges_keep_their_own_stock(tmp_path):
    """war and war2 cut the same supply; only war surges. Had they shared stock variables (one class
    of equal losses), war2 would carry war's demand. P = 48: buy 10 t ahead (probability 0.25 of the
    surge), war2 (0.25) holds the 10 t unused: 10 x (10 + 1 + 0.75 x 1) = 117.5 (base 0.5 and war2
    0.25 hold them at the end of period 2)."""
    book = surge_book(48)
    book["Scenarios"].append(war(name="war2"))
    plan = solve(tmp_path, book)
    assert plan.objective == approx(117.5)
    assert stock_of(plan, 2, scenario="war2", column="demand") == approx(0)
    assert stock_of(plan, 2, scenario="war2") == approx(10)
    assert stock_of(plan, 2, scenario="war") == approx(0)


def test_checker_recomputes_the_scenario_demand_and_its_penalty(tmp_path):
    """A plan whose Stock row shows the Demand row's quantity in the war is refused; so is a Summary
    whose penalty_cost prices the war's unmet demand at the mineral's penalty."""
    source = write_workbook(tmp_path / "surge.xlsx", surge_book(46))
    result = run(source, output_path=tmp_path / "plan.xlsx", outputs_dir=tmp_path)
    data = result.data
    assert check_result_workbook(tmp_path / "plan.xlsx", data) == []
    plain = replace(data, scenario_demand={}, scenario_penalty={})
    assert any("demand 10 != input demand 0" in p for p in check_result_workbook(tmp_path / "plan.xlsx", plain))
    no_penalty = replace(data, scenario_penalty={})
    assert any("penalty_cost" in p for p in check_result_workbook(tmp_path / "plan.xlsx", no_penalty))


def test_stress_takes_the_larger_demand_where_two_surges_are_drawn_at_once(tmp_path):
    """war surges to 10 t at penalty 46, war2 to 6 t at penalty 200 (no supply cut in war2); no orders,
    no stock. Samples: none, war, war2, both -> unmet 0, 10, 6, 10 (the larger demand, war's, at its
    penalty: 460), penalties 0, 460, 1200, 460."""
    book = surge_book(46)
    book["Scenarios"].append(war(name="war2", supply_loss=0.0))
    book["ScenarioDemand"].append({"scenario": "war2", "mineral": "ga", "period": 2, "quantity": 6,
                                   "shortfall_penalty": 200})
    data, _ = load(write_workbook(tmp_path / "two.xlsx", book))
    fixed = exposure(data, [])
    occurs = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=bool)
    unmet, below, penalty, _ = simulate_costs(fixed, occurs)
    assert unmet[:, 0].tolist() == pytest.approx([0, 10, 6, 10])
    assert penalty[:, 0].tolist() == pytest.approx([0, 460, 1200, 460])


def test_validation_names_unknown_scenarios_minerals_periods_and_repeated_rows(tmp_path):
    book = surge_book(46)
    book["ScenarioDemand"] += [
        {"scenario": "peace", "mineral": "ga", "period": 1, "quantity": 1},
        {"scenario": "war", "mineral": "gold", "period": 1, "quantity": 1},
        {"scenario": "war", "mineral": "ga", "period": 3, "quantity": 1},
        {"scenario": "war", "mineral": "ga", "period": 2, "quantity": 4},
        {"scenario": "base", "mineral": "ga", "period": 1, "quantity": 1},
    ]
    data, problems = read_and_validate(write_workbook(tmp_path / "bad.xlsx", book))
    assert data is None
    where = only(problems, "found 'peace'; expected a scenario listed in the sheet 'Scenarios'")
    assert (where.sheet, where.row, where.column, where.value) == ("ScenarioDemand", 3, "scenario", "peace")
    assert only(problems, "expected a mineral listed in the sheet 'Minerals'").row == 4
    assert only(problems, "the horizon has 2 periods").row == 5
    assert only(problems, "given twice, in rows 2 and 6").column == "period"
    assert only(problems, "'base' is the undisrupted scenario").row == 7
    assert len(errors(problems)) == 5


def test_without_the_sheet_the_model_is_the_same(tmp_path):
    """An empty ScenarioDemand sheet (or none) builds the same rows and columns as the workbook without it."""
    book = surge_book(46)
    data, _ = load(write_workbook(tmp_path / "with.xlsx", book))
    book.pop("ScenarioDemand")
    plain, _ = load(write_workbook(tmp_path / "without.xlsx", book))

    def names(model):
        return ([v.name for v in model.component_data_objects(pyo.Var)],
                [c.name for c in model.component_data_objects(pyo.Constraint)])
    assert names(build_model(plain)) == names(build_model(replace(data, scenario_demand={}, scenario_penalty={})))
    assert names(build_model(plain)) != names(build_model(data))  # the war's stock is its own class
