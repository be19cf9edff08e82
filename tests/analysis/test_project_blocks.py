"""Projects re-solved per mineral block (optimizer/analysis/analyse.py project_values), largest capex first.

two_minerals(): modelcase.build_or_buy at capex 3,000 (ga over 4 periods, 10 t demanded in periods 3 and 4;
S1 at 100 per t; plant P at 20 per t once built, capex 3,000 over 2 periods decided in period 1, life 4) and
a second mineral, ge: 5 t demanded in each period, bought from S1 at 10 per t (200). Funding is independent:
F1 pays only ga, F2 only ge. The plan funds P: capex_cost 3,000 x (4 - 1 - 2 + 1) / 4 = 1,500, its 20 t at
20 = 400, ge 200: objective 2,100. With P forbidden ga is bought from S1, 20 t at 100 = 2,000: 2,200.
So P saves 100 whether the whole model or ga's block alone is re-solved.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from modelcase import approx, build_or_buy, demand, optimum, run_case

import optimizer.analysis.analyse as analyse
from optimizer.analysis.analyse import project_block_data, project_values
from optimizer.analysis.relax import project_block
from optimizer.contract.data import Project
from optimizer.reporting.projects import projects_frame
from optimizer.solving.budget import TimeBudget
from models.projects import forbidden


def two_minerals() -> dict:
    book = build_or_buy(3_000)
    book["Minerals"].append({"mineral": "ge", "unit": "t", "shortfall_penalty": 1_000})
    book["Offers"].append({"supplier": "S1", "mineral": "ge", "unit_price": 10})
    book["Demand"] += demand(5, 5, 5, 5, mineral="ge")
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "minerals": "ga"},
                       {"source": "F2", "amount": 1_000_000, "minerals": "ge"}]
    return book


def test_the_block_figure_equals_the_whole_model_figure(tmp_path):
    """P sells ga only: its block is {ga}, ge held as planned. Block as planned 1,900 (capex_cost 1,500 +
    400), block without P 2,000: the whole plan without P costs 2,100 + 100 = 2,200, the whole model's
    own re-solve with P forbidden."""
    result = run_case(tmp_path, two_minerals())
    data, plan = result.data, result.plan
    assert plan.objective == approx(2_100) and plan.builds == {"P": 1}
    assert project_block(data, "P") == {"ga"}
    assert set(project_block_data(data, plan, "P").minerals) == {"ga"}
    whole_model = optimum(forbidden(data, "P"))
    assert whole_model == approx(2_200)
    [value] = project_values(data, plan, TimeBudget(60.0))
    assert value.objective == approx(whole_model)
    assert value.minerals == ("ga",) and value.note == ""
    [row] = projects_frame(replace(plan, analysis=replace(plan.analysis, projects=[value])), data).to_dict("records")
    assert row["saving"] == approx(100)
    assert row["finding"].endswith("Re-solved on ga alone; the other minerals held as planned, so this is what "
                                   "that block alone can achieve.")


def test_a_plant_selling_two_minerals_holds_both_open():
    """A plant with offers of ga and ge links them: its block is both, and with a conversion ge -> gd
    (a third mineral upgraded from ge) the block closes over gd too; gb, linked to none, stays out."""
    offers = {("Plant", "ga"): None, ("Plant", "ge"): None, ("S1", "gd"): None, ("S1", "gb"): None}
    data = SimpleNamespace(
        projects={"P": Project("P", "Plant", 3_000, 2, 1, 1)}, offers=offers,
        conversions={"up": SimpleNamespace(from_mineral="ge", to_mineral="gd")},
        project_minerals=lambda project: sorted(m for s, m in offers if s == project.supplier))
    assert project_block(data, "P") == {"ga", "ge", "gd"}


def test_a_budget_that_runs_out_names_the_rest_not_measured(tmp_path, monkeypatch):
    """Two projects: Q (capex 5,000, a plant selling ge at 9 per t, built by period 3) and P (3,000).
    Q is measured first (largest capex); the budget's clock then passes its end, so P is named as not
    measured. Q is not funded: forced, capex_cost 5,000 x 2 / 4 = 2,500 for 10 t at 9 instead of 10:
    2,500 - 10 more than the plan, 2,100 + 2,490 = 4,590."""
    book = two_minerals()
    book["Suppliers"].append({"supplier": "Plant2", "country": "United States"})
    book["Offers"].append({"supplier": "Plant2", "mineral": "ge", "unit_price": 9, "max_per_period": 10})
    book["Projects"].append({"project": "Q", "supplier": "Plant2", "capex": 5_000, "build_periods": 2,
                             "first_period": 1, "last_period": 1, "life_periods": 4})
    result = run_case(tmp_path, book)
    data, plan = result.data, result.plan
    assert plan.builds == {"P": 1} and plan.objective == approx(2_100)
    now = [0.0]
    measured = []

    def measure_then_run_out(block, plan_, name, budget):
        value = real(block, plan_, name, budget)
        measured.append(name)
        now[0] = 1e9  # the first project took the whole budget
        return value
    real = analyse.project_value
    monkeypatch.setattr(analyse, "project_value", measure_then_run_out)
    values = project_values(data, plan, TimeBudget(60.0, clock=lambda: now[0]))
    assert [v.project for v in values] == ["Q", "P"] == measured
    q, p = values
    assert (q.built, q.objective, q.decision_period, q.minerals) == (False, approx(4_590), 1, ("ge",))
    assert p.objective is None and "no time left of analysis_time_s" in p.note
    rows = {r["project"]: r for r in projects_frame(
        replace(plan, analysis=replace(plan.analysis, projects=values)), data).to_dict("records")}
    assert rows["P"]["finding"].startswith("Not measured: no time left of analysis_time_s")
    assert rows["Q"]["saving"] == approx(-2_490)
