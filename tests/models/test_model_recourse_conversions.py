"""Conversions with recourse (models/recourse.py; docs/contract-readings.md).

A conversion started in period t is shared, as an order placed then is, by the scenarios that cannot be
told apart in t: one column per scenario-tree node (equality rows in the per-scenario form). The plan reads
them back with a scenario column (blank for a shared one); every plan here passes the independent checker
(modelcase.solve), which recomputes each scenario's stock, funding and cost with its conversions and checks
their non-anticipativity.

The hand case (``smelt_book``, tests/modelcase.py): three periods, 5 t of ferrochromium (fecr) demanded in period 3, 10 t of
chromite ore in stock from the start (held at no cost). C (China) sells fecr at 20, K (Canada) at 40, lead
time 0. ``smelt`` turns ore into fecr (yield 0.5, unit_cost 12 per t of ore): 120 for the 5 t. 'ban'
(``probability``) loses China's arrivals in period 3, told apart from base only then. fecr is held at 5 a t
and period. The ore at hand makes the conversion a decision of its own: no order ties it across scenarios.
"""

from __future__ import annotations

import openpyxl
import pytest
from modelcase import approx, smelt_book, solve
from workbooks import write_workbook

from inputcheck import read_and_validate
from models.recourse import build_recourse_model
from optimizer.checker import check_result_workbook
from optimizer.contract.scenario_costs import expected_view, scenario_cost_frame
from optimizer.contract.results import OPTIMAL
from optimizer.solving.highs import solve_model


def conversions_by_scenario(plan) -> dict[tuple[str, str, int], float]:
    """{(scenario or "", conversion, period): input} of the plan's conversions."""
    return {(r.scenario, r.conversion, int(r.period)): float(r.input) for r in plan.conversions.itertuples()
            if r.input > 1e-7}


def test_a_conversion_needed_only_in_a_scenario_told_apart_when_it_starts_is_its_own(tmp_path):
    """Lead time 0: 'ban' smelts in period 3, once it is known (120 instead of K's 200); base buys C's fecr
    (100): 0.9 x 100 + 0.1 x 120 = 102, and nothing is smelted in the shared periods 1-2 (smelting in period 2
    for everyone costs 120 + 5 x 5 of holding)."""
    plan = solve(tmp_path, smelt_book(0.1, lead_time=0))
    assert conversions_by_scenario(plan) == {("ban", "smelt", 3): approx(10)}
    assert plan.objective == approx(102)
    assert plan.costs["conversion_cost"] == approx(0.1 * 120)
    assert list(plan.conversion_funding["scenario"]) == ["ban"]
    data, _ = read_and_validate(write_workbook(tmp_path / "again.xlsx", smelt_book(0.1, lead_time=0)))
    expected = expected_view(plan, data)  # the Dashboard's upgraded totals: ban's own rows weighted by 0.1
    assert expected.conversions["input"].sum() == approx(1) and expected.conversions["cost"].sum() == approx(12)
    costs = scenario_cost_frame(plan, data).set_index("scenario")["conversion_cost"]
    assert costs.to_dict() == {"base": approx(0), "ban": approx(120)}


@pytest.mark.parametrize(("probability", "converted", "cost"), [(0.1, {}, 110.0),
                                                                 (0.5, {("", "smelt", 2): approx(10)}, 120.0)])
def test_a_conversion_started_before_the_scenarios_part_is_one_for_every_scenario(tmp_path, probability,
                                                                                   converted, cost):
    """Lead time 1: fecr for period 3 is smelted in period 2, before 'ban' is known, so base smelts whenever
    'ban' does. Smelting: 120 in every scenario. Not: base 100 (C), ban 200 (K): 100 + 100 p. p = 0.1: 110 <
    120, nothing smelted (each scenario deciding alone: 0.9 x 100 + 0.1 x 120 = 102). p = 0.5: 120 < 150,
    smelted once for both, shared (alone: 0.5 x 100 + 0.5 x 120 = 110). C's fecr bought ahead in period 2 costs
    20 + 5 a t, 125: never better."""
    plan = solve(tmp_path, smelt_book(probability, lead_time=1))
    assert conversions_by_scenario(plan) == converted
    assert plan.objective == approx(cost)
    if converted:
        assert list(plan.conversion_funding["scenario"]) == [""]
        assert plan.costs["conversion_cost"] == approx(120)


@pytest.mark.parametrize("probability", [0.1, 0.5])
def test_the_per_scenario_form_ties_the_conversions_by_rows_to_the_same_optimum(tmp_path, probability):
    """The reference form (each copy its own Convert, tied by con_shared_conversion) has the node form's
    optimum: 110 and 120 as above, not the 102 and 110 of untied copies."""
    data, _ = read_and_validate(write_workbook(tmp_path / "smelt.xlsx", smelt_book(probability, lead_time=1)))
    optima = []
    for by_node in (True, False):
        model = build_recourse_model(data, by_node=by_node)
        result = solve_model(model, 0.0, 60.0)
        assert result.status == OPTIMAL, result.message
        optima.append(result.objective * model.money_unit)
    assert optima == [approx(100 + 100 * probability if probability < 0.2 else 120)] * 2


def test_the_checker_refuses_a_shared_period_conversion_that_differs_by_scenario(tmp_path):
    """The p = 0.5 plan with its shared smelt of period 2 rewritten as ban's own: base and ban cannot be told
    apart in period 2, so the checker names the conversion, besides base's stock, which now misses the output."""
    book = smelt_book(0.5, lead_time=1)
    plan = solve(tmp_path, book)
    assert conversions_by_scenario(plan) == {("", "smelt", 2): approx(10)}
    path = next(tmp_path.glob("case*_plan.xlsx"))
    workbook = openpyxl.load_workbook(path)
    for title in ("Conversions", "Conversion funding"):
        sheet = workbook[title]
        column = [cell.value for cell in sheet[1]].index("scenario") + 1
        sheet.cell(row=2, column=column, value="ban")
    workbook.save(path)
    data, _ = read_and_validate(write_workbook(tmp_path / "again.xlsx", book))
    problems = check_result_workbook(path, data)
    assert ("conversion (smelt, period 2): 0 in base but 10 in ban, which cannot be told apart in period 2"
            in problems), problems
    assert any(p.startswith("scenario base: Stock") for p in problems), problems


def test_a_conversion_naming_a_scenario_without_recourse_is_refused(tmp_path):
    """Without recourse a conversion is every scenario's: a Conversions row naming one is reported."""
    book = smelt_book(0.5, lead_time=1)
    book["Settings"]["recourse"] = "no"
    plan = solve(tmp_path, book)
    assert "scenario" not in plan.conversions
    path = next(tmp_path.glob("case*_plan.xlsx"))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Conversions"]
    sheet.cell(row=1, column=sheet.max_column + 1, value="scenario")
    sheet.cell(row=2, column=sheet.max_column, value="ban")
    workbook.save(path)
    data, _ = read_and_validate(write_workbook(tmp_path / "again.xlsx", book))
    problems = check_result_workbook(path, data)
    assert any("Conversions row 2: names scenario 'ban'" in p for p in problems), problems
