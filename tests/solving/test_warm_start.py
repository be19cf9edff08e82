"""Re-solves start from the previous plan's orders (models/start.py start_from_orders)."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest
from replancase import write
from workbooks import base_sheets, write_workbook

from models import build_model
from models.start import commitments_only_start, start_from_orders
from optimizer.pipeline import load
from optimizer.contract.results import OPTIMAL
from optimizer.solving.highs import solve_model


def data_of(tmp_path, **kw):
    data, _ = load(write(tmp_path / "in.xlsx", **kw))
    return data


def test_a_feasible_previous_plan_is_a_complete_start(tmp_path):
    data = data_of(tmp_path, s1_price=13.0)
    model = build_model(data)
    start = start_from_orders(model, data, {("S1", "ga", t): 5.0 for t in (1, 2, 3)})
    variables = list(model.component_data_objects(pyo.Var))
    assert len(start) == len(variables)  # every variable: funding, stock, totals follow the orders
    for var, value in start.items():
        var.set_value(value)
    assert pyo.value(model.objective) * model.facts.money_unit == pytest.approx(195)  # 15 t x 13


def test_orders_are_fitted_to_the_new_offers(tmp_path):
    book = dict(max_per_period=None)
    data = data_of(tmp_path, **book)
    data = dataclasses.replace(data, offers={k: dataclasses.replace(o, max_per_period=4.0, min_order=2.0)
                                             for k, o in data.offers.items()})
    model = build_model(data)
    start = start_from_orders(model, data, {("S1", "ga", 1): 5.0, ("S1", "ga", 2): 1.0, ("S9", "ga", 1): 3.0})
    assert start[model.Order["S1", "ga", 1]] == 4.0  # capped at max_per_period
    assert start[model.Order["S1", "ga", 2]] == 2.0  # raised to min_order
    assert start[model.IsOrdered["S1", "ga", 3]] == 0.0  # the unknown offer S9 is left out


def test_a_warm_start_reaches_the_cold_optimum_even_with_commitments(tmp_path):
    """The previous plan (S1 in every quarter, 195) is worse than the new optimum (S2 from quarter 2: 185).
    With a commitment fixed, HiGHS 1.16 once kept such a start as 'optimal' at a wrong value; solve_model
    notices the disagreement and solves again without it."""
    data = data_of(tmp_path, s1_price=13.0)
    data = dataclasses.replace(data, commitments={("S1", "ga", 1): 5.0})
    model = build_model(data)
    start = start_from_orders(model, data, {("S1", "ga", t): 5.0 for t in (1, 2, 3)})
    result = solve_model(model, 0.0, 60.0, start=start)
    assert result.status == OPTIMAL
    assert result.objective == pytest.approx(pyo.value(model.objective))
    assert result.objective * model.facts.money_unit == pytest.approx(185)


def test_re_plans_start_from_the_previous_plan_only_on_large_models(tmp_path, monkeypatch):
    import models.start as start_module

    data = data_of(tmp_path, s1_price=13.0)
    model = build_model(data)
    previous = {("S1", "ga", t): 5.0 for t in (1, 2, 3)}
    small = start_module.replan_start(model, data, previous)  # 7 binaries: HiGHS's own root is quicker
    assert small[model.Order["S1", "ga", 2]] == 0.0  # the commitments-only start
    monkeypatch.setattr(start_module, "WARM_START_MIN_BINARIES", 5)
    large = start_module.replan_start(model, data, previous)
    assert large[model.Order["S1", "ga", 2]] == 5.0


def test_no_commitments_only_start_when_the_commitments_break_a_share_cap(tmp_path):
    """A single commitment of S1 is all of ga's orders: 100% > max_supplier_share 0.6, so ordering only the
    commitments is no plan, and no start is given (HiGHS, or the block start, finds one). Without the cap
    the commitments-only plan is a complete start."""
    book = base_sheets(2)
    book["Suppliers"].append({"supplier": "S2", "country": "Chile"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 5}]
    data, _ = load(write_workbook(tmp_path / "free.xlsx", book))
    assert commitments_only_start(build_model(data), data) is not None
    book["Minerals"][0]["max_supplier_share"] = 0.6
    data, _ = load(write_workbook(tmp_path / "capped.xlsx", book))
    assert commitments_only_start(build_model(data), data) is None
