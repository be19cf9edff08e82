"""Re-planning a plan with recourse that has deals (Projects, Contracts) or conversions: --freeze, the stability pass.

Deals are decided before any scenario is known (models/recourse_deals.py), so a frozen delivery holds in
every scenario and the stability pass keeps a build decision every scenario shares. Each run is checked by
the independent checker before it is written (the pipeline), so exit 0 means it passed.
"""

from __future__ import annotations

import openpyxl
import pytest
from modelcase import approx, build_or_buy, china_contract_book, smelt_book
from workbooks import write_workbook

from optimizer.checker import check_result_workbook
from optimizer.replan.replan import Options, plan_input


def plan_of(tmp_path, book: dict, name: str, **options):
    source = write_workbook(tmp_path / f"{name}.xlsx", book)
    outcome = plan_input(source, Options(tmp_path / "outputs", output_path=tmp_path / f"{name}_plan.xlsx", **options))
    assert outcome.refusal is None and outcome.error is None, (outcome.refusal, outcome.error)
    assert outcome.exit_code == 0, outcome.result.plan.solve.message
    return outcome.result.plan


def orders_by_scenario(plan) -> dict[tuple[str, str, int], float]:
    """{(scenario or "", supplier, period): quantity} of the plan's orders."""
    return {(r.scenario, r.supplier, int(r.period)): float(r.quantity) for r in plan.orders.itertuples()
            if r.quantity > 1e-7}


def deliveries_of(plan) -> dict[tuple[str, int, str], float]:
    return {(r.contract, int(r.period), r.scenario): float(r.quantity) for r in plan.deliveries.itertuples()}


def test_freeze_of_a_plan_with_recourse_keeps_its_contract_deliveries_in_every_scenario(tmp_path):
    """china_contract_book: 6 t under C1 in period 2 (shared), K 4 t for base and 10 t for ban: 94. C1 now
    costs 20 a t: re-planned freely nothing is delivered (20d + 0.5 x 10 x (10 - d) + 50 = 100 + 15d: 100).
    Frozen 2 periods, period 2's 6 t stand in both scenarios: base still buys only 4 t of K, ban (which loses
    them) 10 t: 6 x 20 + 0.5 x 40 + 0.5 x 100 = 190."""
    first = plan_of(tmp_path, china_contract_book(), "first")
    assert deliveries_of(first) == {("C1", 2, ""): approx(6)} and first.objective == approx(94)
    dearer = china_contract_book()
    dearer["Contracts"][0]["unit_price"] = 20
    assert plan_of(tmp_path, dearer, "free").deliveries.empty
    frozen = plan_of(tmp_path, dearer, "frozen", freeze=2, previous_plan=tmp_path / "first_plan.xlsx")
    assert deliveries_of(frozen) == {("C1", 2, ""): approx(6)}
    assert orders_by_scenario(frozen) == {("base", "K", 3): approx(4), ("ban", "K", 3): approx(10)}
    assert frozen.objective == approx(190)
    arrived = frozen.stock.set_index(["scenario", "period"])["arrivals"]
    assert arrived["base", 3] == approx(10) and arrived["ban", 3] == approx(10)  # ban's 6 t from C1 are lost


def test_the_stability_pass_with_recourse_keeps_the_build_decision_when_nothing_changed(tmp_path):
    """build_or_buy at capex 2,000 with 'ban' (0.1) losing the plant's (United States) output in periods 3-4,
    known from period 3: built in period 1, base takes the plant's 10 t a period, ban buys S1's: 1,560
    (tests/models/test_model_recourse_deals.py). The same input re-planned against that plan: the pass runs
    and keeps the build and every scenario's orders, at the same cost."""
    book = build_or_buy(2_000)
    book["Settings"]["recourse"] = "yes"
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "United States", "first_period": 3,
                          "last_period": 4, "supply_loss": 1}]
    first = plan_of(tmp_path, book, "first")
    assert first.builds == {"P": 1} and first.objective == approx(1_560)
    again = plan_of(tmp_path, book, "again", previous_plan=tmp_path / "first_plan.xlsx")
    assert again.stability.outcome == "ran"
    assert again.builds == {"P": 1}
    assert orders_by_scenario(again) == orders_by_scenario(first)
    assert again.objective == approx(1_560)


def conversions_by_scenario(plan) -> dict[tuple[str, str, int], float]:
    """{(scenario or "", conversion, period): input} of the plan's conversions."""
    return {(r.scenario, r.conversion, int(r.period)): float(r.input) for r in plan.conversions.itertuples()
            if r.input > 1e-7}


@pytest.mark.parametrize(("lead_time", "probability", "periods", "converted", "free", "frozen_cost"), [
    (1, 0.5, 2, {("", "smelt", 2): approx(10)}, 125.0, 300.0),
    (0, 0.1, 3, {("ban", "smelt", 3): approx(10)}, 110.0, 120.0)], ids=["shared", "ban's own"])
def test_freeze_of_a_plan_with_recourse_keeps_its_conversions_in_their_scenarios(
        tmp_path, lead_time, probability, periods, converted, free, frozen_cost):
    """modelcase.smelt_book. Lead time 1, ban 0.5: smelted once for both in period 2 (120). Lead time 0, ban 0.1:
    ban smelts its own in period 3 (base buys C's 5 t: 102). Smelting now costs 30 a t of ore (300 for the 5 t):
    re-planned freely nothing is smelted (lead time 1: C's 5 t bought ahead in period 2 for both, 100 + 5 x 5
    of holding = 125; lead time 0: 0.9 x 100 + 0.1 x 200 of K's = 110); frozen, the conversions stand where
    they were, shared or ban's own: 300 in every scenario; base's C order (100) and ban's 300:
    0.9 x 100 + 0.1 x 300 = 120."""
    first = plan_of(tmp_path, smelt_book(probability, lead_time), "first")
    assert conversions_by_scenario(first) == converted
    dearer = smelt_book(probability, lead_time)
    dearer["Conversions"][0]["unit_cost"] = 30
    assert plan_of(tmp_path, dearer, "free").objective == approx(free)
    frozen = plan_of(tmp_path, dearer, "frozen", freeze=periods, previous_plan=tmp_path / "first_plan.xlsx")
    assert conversions_by_scenario(frozen) == converted
    assert frozen.objective == approx(frozen_cost)


def test_the_checker_holds_a_plan_with_recourse_to_its_frozen_conversions(tmp_path):
    """The shared case above, frozen 2 periods: the frozen plan's smelt of period 2 rewritten to 4 t (and its
    cost and funding with it) is reported in both scenarios."""
    plan_of(tmp_path, smelt_book(0.5, 1), "first")
    source = write_workbook(tmp_path / "frozen.xlsx", smelt_book(0.5, 1))
    outcome = plan_input(source, Options(tmp_path / "outputs", output_path=tmp_path / "frozen_plan.xlsx", freeze=2,
                                         previous_plan=tmp_path / "first_plan.xlsx"))
    assert outcome.exit_code == 0
    workbook = openpyxl.load_workbook(tmp_path / "frozen_plan.xlsx")
    for title, changes in (("Conversions", {"input": 4, "output": 2, "cost": 48}), ("Conversion funding", {"amount": 48})):
        sheet = workbook[title]
        header = [cell.value for cell in sheet[1]]
        for name, value in changes.items():
            sheet.cell(row=2, column=header.index(name) + 1, value=value)
    workbook.save(tmp_path / "frozen_plan.xlsx")
    problems = check_result_workbook(tmp_path / "frozen_plan.xlsx", outcome.result.data)
    assert [p for p in problems if "frozen period" in p] == [
        f"conversion (smelt, period 2) in scenario {k}: input 4 in a frozen period, where the previous plan's is 10"
        for k in ("base", "ban")]
