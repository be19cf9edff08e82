"""The order bounds of issue 11 stay valid with projects: a plant's output bounded by order upper bound x
built cuts off no optimal plan (models/projects.py, models/ordering.py order_upper_bounds)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from modelcase import approx
from test_model_order_bounds import optimum, random_sheets, tight_optimum
from workbooks import write_workbook

from optimizer.pipeline import load


def with_project(seed: int) -> dict:
    """``random_sheets(seed)`` and a plant (Plant, USA) selling every mineral at 6 per t, at most 40 t a
    period, once project P is built: capex 100 to 1,500, build_periods 1 or 2, decided in periods 1..2."""
    rng = random.Random(1_000 + seed)
    book = random_sheets(seed)
    book["Suppliers"].append({"supplier": "Plant", "country": "USA", "risk_score": 0.1})
    for mineral in {offer["mineral"] for offer in book["Offers"]}:
        book["Offers"].append({"supplier": "Plant", "mineral": mineral, "unit_price": 6, "max_per_period": 40,
                               "order_cost": rng.choice([0, 40])})
    book["Projects"] = [{"project": "P", "supplier": "Plant", "capex": rng.choice([100, 400, 1_500]),
                         "build_periods": rng.choice([1, 2]), "first_period": 1, "last_period": 2,
                         "life_periods": rng.choice([None, 2, 6])}]
    return book


@pytest.mark.parametrize("seed", range(20))
def test_bound_with_a_project_costs_the_same_as_the_money_bound(tmp_path, monkeypatch, seed):
    """Property: with a project, the optimum with the bounds equals the optimum with the old money bound
    at mip_gap 0 and integrality tolerance 1e-9 (no optimal plan is cut off); infeasible draws agree."""
    data, _ = load(write_workbook(Path(tmp_path) / f"random{seed}.xlsx", with_project(seed)))
    status, objective = optimum(data)
    assert status in ("optimal", "infeasible")
    assert tight_optimum(data, monkeypatch) == (status, None if objective is None else approx(objective))
