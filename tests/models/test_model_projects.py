"""Capacity projects, build versus buy (issue 13, point 1; models/projects.py).

The workbook of ``build_or_buy``: ga, 4 periods, demand 10 t in each of periods 3 and 4
(shortfall_penalty 1,000). S1 (Canada) sells at 100 per t, lead time 0. The plant
(supplier Plant, United States) sells at 20 per t, at most 10 t a period, once built.
Project P: capex C, build_periods 2, decided in period 1 at the earliest (first_period 1,
last_period 1 unless changed): built by period 3, so its output periods within the
horizon are 3 and 4, and with life_periods 4 capex_cost = C x min(1, 2 / 4) = C / 2.

    buy:   20 t x 100 = 2,000
    build: 20 t x 20 + C / 2 = 400 + C / 2      break-even: C / 2 = 1,600, C = 3,200
"""

from __future__ import annotations

from dataclasses import replace

from modelcase import approx, build_or_buy, demand, order_map, run_case, solve

from optimizer.contract.results import INFEASIBLE


def test_just_below_break_even_the_plant_is_built(tmp_path):
    """C = 3,000: build 400 + 1,500 = 1,900 < buy 2,000. Capex paid 1,500 in each of periods 1 and 2.
    Re-solved with the project forbidden: 2,000, so funding it saves 100."""
    plan = solve(tmp_path, build_or_buy(3_000))
    [value] = plan.analysis.projects
    assert (value.project, value.built, value.objective) == ("P", True, approx(2_000))
    assert plan.builds == {"P": 1}
    assert order_map(plan) == {("Plant", 3): approx(10), ("Plant", 4): approx(10)}
    assert plan.costs["capex_cost"] == approx(1_500)
    assert plan.objective == approx(1_900)
    assert sorted(zip(plan.capex["period"], plan.capex["amount"])) == [(1, approx(1_500)), (2, approx(1_500))]


def test_just_above_break_even_the_plan_buys(tmp_path):
    """C = 3,400: build 400 + 1,700 = 2,100 > buy 2,000: nothing funded, 20 t from S1.
    Re-solved with the project forced: 2,100, decided in period 1 (its only decision period)."""
    plan = solve(tmp_path, build_or_buy(3_400))
    [value] = plan.analysis.projects
    assert (value.built, value.objective, value.decision_period) == (False, approx(2_100), 1)
    assert plan.builds == {}
    assert order_map(plan) == {("S1", 3): approx(10), ("S1", 4): approx(10)}
    assert plan.costs["capex_cost"] == 0
    assert plan.objective == approx(2_000)


def test_the_output_is_ordered_only_once_built(tmp_path):
    """Demand 10 t in period 2 too: the plant (built by period 3 at the earliest) cannot serve it, so S1
    sells 10 t in period 2 (1,000); C = 3,000: 1,000 + 400 + 1,500 = 2,900."""
    book = build_or_buy(3_000)
    book["Demand"] = demand(0, 10, 10, 10)
    plan = solve(tmp_path, book)
    assert order_map(plan) == {("S1", 2): approx(10), ("Plant", 3): approx(10), ("Plant", 4): approx(10)}
    assert plan.objective == approx(2_900)


def test_a_later_decision_charges_less_of_the_capex_and_the_plan_weighs_it(tmp_path):
    """Decision in period 1 or 2 (last_period 2), life_periods 2, C = 1,000, demand 10 t in periods 3, 4.
    Decided in 1: built by 3, output periods 3, 4: capex_cost 1,000 x min(1, 2/2) = 1,000; 400 + 1,000
    = 1,400. Decided in 2: built by 4, output period 4: capex_cost 500; 10 t from S1 in period 3 (1,000)
    + 10 t from the plant (200) + 500 = 1,700. Buy: 2,000. Best: decide in period 1, 1,400."""
    plan = solve(tmp_path, build_or_buy(1_000, last_period=2, life_periods=2))
    assert plan.builds == {"P": 1}
    assert plan.objective == approx(1_400)


def test_a_project_immune_to_a_ban_is_built_where_buying_is_cheaper_without_it(tmp_path):
    """S1 is in China; scenario "ban" (probability 0.5) loses all Chinese arrivals in periods 1 to 4.
    C = 4,000 (above break-even 3,200 without the ban: build 400 + 2,000 = 2,400 > buy 2,000).
    With the ban, buying 20 t from S1 costs 2,000 + 0.5 x 20 t x 1,000 unmet = 12,000; building costs
    2,400 and the US plant's output arrives in every scenario: the plant is built."""
    book = build_or_buy(4_000)
    book["Suppliers"][0]["country"] = "China"
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.5, "country": "China", "first_period": 1,
                          "last_period": 4, "supply_loss": 1}]
    plan = solve(tmp_path, book)
    assert plan.builds == {"P": 1}
    assert plan.objective == approx(2_400)
    without_ban = build_or_buy(4_000)
    without_ban["Suppliers"][0]["country"] = "China"
    assert solve(tmp_path, without_ban).builds == {}


def test_a_decided_project_is_built_and_paid_even_when_buying_is_cheaper(tmp_path):
    """decided yes, C = 10,000: capex_cost 5,000, output 400: 5,400 although buying costs 2,000."""
    plan = solve(tmp_path, build_or_buy(10_000, decided="yes"))
    assert plan.builds == {"P": 1}
    assert plan.objective == approx(5_400)


def test_capex_is_paid_by_sources_under_the_rules_of_orders(tmp_path):
    """F1 excludes the United States; F2 (cost_rate 0.1) may pay the plant: capex 3,000 paid by F2 (1,500 in
    each of periods 1 and 2) at financing cost 300, and its output (400) at 40, so building costs 400 + 1,500
    + 300 + 40 = 2,240 > 2,000: the plan buys. With F2's rate 0.01: 400 + 1,500 + 30 + 4 = 1,934 < 2,000:
    built, every capex unit paid by F2."""
    book = build_or_buy(3_000)
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "excluded_countries": "United States"},
                       {"source": "F2", "amount": 1_000_000, "cost_rate": 0.1}]
    assert solve(tmp_path, book).builds == {}
    book["Funding"][1]["cost_rate"] = 0.01
    plan = solve(tmp_path, book)
    assert plan.builds == {"P": 1}
    assert set(plan.capex["source"]) == {"F2"}
    assert plan.objective == approx(1_934)


def test_a_source_with_a_minerals_list_pays_a_project_only_for_all_of_its_minerals(tmp_path):
    """The plant sells ga and ge; F1 may pay only ga. The only other source F2 has 1,000 in total: the
    capex (3,000) cannot be paid, so the plan buys (2,000) even at C below break-even."""
    book = build_or_buy(3_000)
    book["Minerals"].append({"mineral": "ge", "unit": "t", "shortfall_penalty": 10})
    book["Offers"].append({"supplier": "Plant", "mineral": "ge", "unit_price": 5, "max_per_period": 1})
    book["Funding"] = [{"source": "F1", "amount": 1_000_000, "minerals": "ga"},
                       {"source": "F2", "amount": 1_000}]
    plan = solve(tmp_path, book)
    assert plan.builds == {}
    assert plan.objective == approx(2_000)


def test_a_decided_project_no_source_may_pay_is_infeasible_and_named(tmp_path):
    """decided yes, but F1 excludes the United States and is the only source: no plan (exit 3), and the
    conflict names the project and its unpaid capex (1,500 in each of periods 1 and 2)."""
    book = build_or_buy(3_000, decided="yes")
    book["Funding"][0]["excluded_countries"] = "United States"
    result = run_case(tmp_path, book)
    assert result.plan.status == INFEASIBLE
    assert result.exit_code == 3
    named = [c for c in result.plan.conflicts if "decided project 'P'" in c]
    assert len(named) == 2 and all("1,500.00" in c for c in named)


def test_a_workbook_without_projects_builds_the_same_model_as_before(tmp_path):
    """build_or_buy without its Projects sheet, plus a second source F2 with a budget in period 2 (so the
    capex hook of the funding rows is exercised): the model has 42 columns (12 binaries) and 35 rows, as
    main built it before projects existed (commit a17c7b5, counted with the same workbook), and no
    component of models/projects.py holds anything."""
    from inputcheck import read_and_validate
    from workbooks import write_workbook

    from models import build_model
    from models.results import model_size

    book = build_or_buy(3_000)
    del book["Projects"]
    book["Funding"].append({"source": "F2", "amount": 5_000, "cost_rate": 0.01})
    book["Budgets"] = [{"source": "F2", "period": 2, "amount": 100}]
    data, _ = read_and_validate(write_workbook(tmp_path / "no_projects.xlsx", book))
    model = build_model(data)
    assert model_size(model) == {"variables": 42, "binaries": 12, "constraints": 35}
    assert len(model.Build) == len(model.CapexSpend) == len(model.con_project_output) == 0
    assert len(model.con_build_once) == len(model.con_capex_funded) == 0
    assert model_size(build_model(replace(data, projects={}))) == model_size(model)
