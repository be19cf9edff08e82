"""The fallback plan's diluting orders (models/dilution.py): commitments that break their mineral's supplier
share get orders from its other offers, so the plan meets every row.

One period, 20 t of ga demanded (shortfall_penalty 100), max_supplier_share 0.6. S1 (Canada) at 10 has a
commitment of 10 t; S2 (Brazil) sells at 12. The commitments alone are all S1's orders (share 1 > 0.6): no plan.
S1's 10 t are at most 0.6 of the total when S2 brings 10 / 0.6 - 10 = 6.667 t (the order takes a margin of
1e-6 of it, so the share holds strictly: ``near``).
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from modelcase import demand, sheets
from workbooks import write_workbook

from models import build_model
from models.dilution import diluting_orders
from models.start import commitments_only_plan
from optimizer.pipeline import load


def near(value: float):
    return pytest.approx(value, rel=1e-5)


def committed_book() -> dict:
    book = sheets(1, Demand=demand(20))
    book["Minerals"][0]["max_supplier_share"] = 0.6
    book["Suppliers"].append({"supplier": "S2", "country": "Brazil"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 12})
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 10}]
    return book


def broken_rows(model, start) -> list[str]:
    """The rows of ``model`` the start's values break (relative tolerance 1e-6)."""
    for var, value in start.items():
        var.set_value(value, skip_validation=True)
    broken = []
    for row in model.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(row.body)
        slack = 1e-6 * max(1.0, abs(body))
        if (row.lower is not None and body < pyo.value(row.lower) - slack) or (
                row.upper is not None and body > pyo.value(row.upper) + slack):
            broken.append(row.name)
    return broken


def test_commitments_breaking_the_supplier_share_get_the_order_that_dilutes_them(tmp_path):
    data, _ = load(write_workbook(tmp_path / "committed.xlsx", committed_book()))
    model = build_model(data)
    assert diluting_orders(model, data, dict(data.commitments)) == {("S2", "ga", 1): near(10 / 0.6 - 10)}
    plan = commitments_only_plan(model, data)
    assert plan[model.Order["S2", "ga", 1]] == near(10 / 0.6 - 10)
    assert plan[model.Unmet["base", "ga", 1]] == near(20 - 10 / 0.6)
    assert broken_rows(model, plan) == []


def test_commitments_within_their_caps_get_no_order(tmp_path):
    book = committed_book()
    book["Minerals"][0]["max_supplier_share"] = 1.0  # no cap
    data, _ = load(write_workbook(tmp_path / "uncapped.xlsx", book))
    model = build_model(data)
    assert diluting_orders(model, data, dict(data.commitments)) == {}
    assert commitments_only_plan(model, data)[model.Order["S2", "ga", 1]] == 0.0


def test_a_cap_no_other_offer_can_mend_leaves_the_commitments_alone(tmp_path):
    book = committed_book()
    book["Offers"][1]["max_per_period"] = 5  # S2 brings at most 5 t: S1's share stays 10 / 15 > 0.6
    data, _ = load(write_workbook(tmp_path / "short.xlsx", book))
    model = build_model(data)
    assert diluting_orders(model, data, dict(data.commitments)) == {}
    plan = commitments_only_plan(model, data)
    assert plan[model.Order["S2", "ga", 1]] == 0.0
    assert broken_rows(model, plan) == ["con_supplier_share[S1,ga]"]


def test_a_diluting_order_arriving_where_no_demand_is_left_is_held(tmp_path):
    """Two periods, the 20 t demanded in period 1; S2 can only be ordered in period 2 (first_period 2), where
    nothing is demanded: its 6.667 t are not capped by the demand on their arrival (none) but held in stock
    (period 1: S1's 10 t against 20 t, 10 t short, nothing held)."""
    book = committed_book()
    book["Settings"]["num_periods"] = 2
    book["Offers"][1]["first_period"] = 2
    data, _ = load(write_workbook(tmp_path / "late.xlsx", book))
    model = build_model(data)
    plan = commitments_only_plan(model, data)
    assert plan[model.Order["S2", "ga", 2]] == near(10 / 0.6 - 10)
    assert plan[model.Stock["base", "ga", 1]] == 0.0 and plan[model.Unmet["base", "ga", 1]] == near(10)
    assert plan[model.Stock["base", "ga", 2]] == near(10 / 0.6 - 10)
    assert broken_rows(model, plan) == []
