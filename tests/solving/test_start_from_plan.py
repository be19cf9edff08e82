"""Each scenario solved alone starts from the plan (models/start.py ``start_from_solved``): every column, meeting
every row of the scenario alone, at the plan's cost in that scenario.

The hand instance (tests/analysis/test_uncertainty.py): one period, 10 t of ga, C (China) at 8, K (Canada) at 12,
shortfall_penalty 30; 'ban' (probability 0.1) loses China's arrivals, 'peru' (0.2) loses Peru's, where no supplier
is, so it shares base's stock (models/inventory.py scenario_classes). The plan buys 10 t from C (expected
80 + 0.1 x 300 = 110 < K's 120): base and peru cost 80, ban 80 + 10 t short x 30 = 380.
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from inputcheck import read_and_validate
from modelcase import ban_book
from workbooks import write_workbook

import optimizer.solving.session as session
from models import build_model
from models.recourse import scenario_alone
from models.start import solved_values, start_from_solved
from optimizer.contract.results import OPTIMAL
from optimizer.solving.budget import TimeBudget
from optimizer.solving.highs import solve_model
from optimizer.stages import Stages


def peru_and_ban(tmp_path):
    book = ban_book()
    book["Scenarios"].append({"scenario": "peru", "probability": 0.2, "country": "Peru", "first_period": 1,
                              "last_period": 1})
    data, _ = read_and_validate(write_workbook(tmp_path / "ban.xlsx", book))
    return data


def broken_rows(model) -> list[str]:
    return [row.name for row in model.component_data_objects(pyo.Constraint, active=True)
            if (row.lower is not None and pyo.value(row.body) < pyo.value(row.lower) - 1e-6)
            or (row.upper is not None and pyo.value(row.body) > pyo.value(row.upper) + 1e-6)]


@pytest.mark.parametrize("scenario, cost", [("base", 80), ("peru", 80), ("ban", 380)])
def test_the_plan_starts_each_scenario_alone_meeting_every_row_at_its_cost_there(tmp_path, scenario, cost):
    data = peru_and_ban(tmp_path)
    model = build_model(data)
    assert solve_model(model, 0.0, 30.0).status == OPTIMAL
    assert model.facts.stock_scenario["peru", "ga"] == "base"  # peru's stock is base's in the plan's model
    alone = build_model(scenario_alone(data, scenario))
    start = start_from_solved(alone, solved_values(model))
    assert len(start) == len(list(alone.component_data_objects(pyo.Var)))  # every column
    for var, value in start.items():
        var.set_value(value, skip_validation=True)
    assert start[alone.Order["C", "ga", 1]] == pytest.approx(10)
    assert broken_rows(alone) == []
    assert pyo.value(alone.objective) * alone.facts.money_unit == pytest.approx(cost)


def test_the_scenarios_alone_of_a_small_plan_are_handed_its_start(tmp_path, monkeypatch):
    """Each scenario alone reaches HiGHS with the plan as its start, and still ends at its own optimum: base and
    peru 80 (C), ban 120 (K, not the start's 380)."""
    data = peru_and_ban(tmp_path)
    plan = session.plan_from_data(data, Stages())
    starts = []
    solve = session.solve_in_worker

    def noting(model, mip_gap, seconds, options=None, start=None, blocks=None, **more):
        starts.append(None if start is None else start[model.Order["C", "ga", 1]])
        return solve(model, mip_gap, seconds, options, start, blocks, **more)

    monkeypatch.setattr(session, "solve_in_worker", noting)
    costs = session.costs_alone(data, ["base", "ban", "peru"], TimeBudget(60.0), plan)
    assert [cost for cost, _ in costs] == [pytest.approx(80), pytest.approx(120), pytest.approx(80)]
    assert starts == [pytest.approx(10)] * 3
