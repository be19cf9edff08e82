"""Re-planning a plan with recourse (orders by scenario): --freeze, the stability pass, the history, diff.

The case: C (China) at 10 and K (Canada) at 12 sell ga, 10 t of demand in period 3 (holding 3); 'ban'
(0.1) loses China's period-3 arrivals and is told apart in period 3. The plan: base buys 10 t of C in
period 3 (100), ban 10 t of K (120): 0.9 x 100 + 0.1 x 120 = 102, nothing shared. Each run below is
checked by the independent checker before it is written (the pipeline), so exit 0 means it passed.
"""

from __future__ import annotations

import openpyxl
import pytest
from clirun import invoke
from workbooks import base_sheets, write_workbook

from optimizer.checker import check_result_workbook
from optimizer.replan.changes import read_plan
from optimizer.replan.replan import Options, plan_input


def recourse_sheets(c_price: float = 10, k_price: float = 12, recourse: str = "yes", mip_gap: float | None = None,
                    **offers) -> dict:
    sheets = base_sheets(3)
    sheets["Settings"]["recourse"] = recourse
    if mip_gap is not None:
        sheets["Settings"]["mip_gap"] = mip_gap
    sheets["Minerals"][0]["holding_cost"] = 3
    sheets["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    sheets["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": c_price},
                        {"supplier": "K", "mineral": "ga", "unit_price": k_price}]
    for supplier, price in offers.items():  # more Canadian offers: D=12.0
        sheets["Suppliers"].append({"supplier": supplier, "country": "Canada"})
        sheets["Offers"].append({"supplier": supplier, "mineral": "ga", "unit_price": price})
    sheets["Demand"] = [{"mineral": "ga", "period": 3, "quantity": 10}]
    sheets["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 3,
                            "last_period": 3}]
    return sheets


def recourse_input(tmp_path, name: str = "recourse.xlsx", **kw):
    return write_workbook(tmp_path / name, recourse_sheets(**kw))


def plan_of(tmp_path, source, **options):
    outcome = plan_input(source, Options(tmp_path / "outputs", **options))
    assert outcome.refusal is None and outcome.error is None, (outcome.refusal, outcome.error)
    assert outcome.exit_code == 0, outcome.result.plan.solve.message
    return outcome


def orders_by_scenario(outcome) -> dict[tuple[str, str, int], float]:
    """{(scenario or "", supplier, period): quantity} of the plan's orders."""
    return {(r.scenario, r.supplier, int(r.period)): round(float(r.quantity), 6)
            for r in outcome.result.plan.orders.itertuples() if r.quantity > 1e-7}


def changes_of(outcome) -> list[tuple]:
    """(change, supplier, period, scenario, previous_quantity, quantity) of each order row of the Changes sheet."""
    frame = outcome.result.plan.changes.frame
    rows = frame[frame["change"].isin(("added", "removed", "changed", "frozen"))]
    return [(r.change, r.supplier, int(r.period), r.scenario, r.previous_quantity, r.quantity) for r in rows.itertuples()]


@pytest.fixture
def first_plan(tmp_path):
    """The case's plan, written to first.xlsx."""
    outcome = plan_of(tmp_path, recourse_input(tmp_path), output_path=tmp_path / "first.xlsx")
    assert orders_by_scenario(outcome) == {("base", "C", 3): 10, ("ban", "K", 3): 10}
    return outcome


def test_freeze_keeps_each_scenarios_orders_as_planned_for_it(tmp_path, first_plan):
    """C's price rises to 20: planned afresh every scenario buys K (120). With --freeze 3 the frozen periods
    keep base's 10 t of C (at its agreed 10) and ban's 10 t of K: 0.9 x 100 + 0.1 x 120 = 102, each a
    frozen order of its own scenario on the Changes sheet."""
    source = recourse_input(tmp_path, "dearer.xlsx", c_price=20)
    fresh = plan_of(tmp_path, source, output_path=tmp_path / "fresh.xlsx")
    assert orders_by_scenario(fresh) == {("", "K", 3): 10}
    frozen = plan_of(tmp_path, source, output_path=tmp_path / "frozen.xlsx", freeze=3,
                     previous_plan=tmp_path / "first.xlsx")
    assert orders_by_scenario(frozen) == {("base", "C", 3): 10, ("ban", "K", 3): 10}
    assert frozen.result.plan.objective == pytest.approx(102)
    assert changes_of(frozen) == [("frozen", "C", 3, "base", 10, 10), ("frozen", "K", 3, "ban", 10, 10)]


def test_freeze_of_orders_by_scenario_without_recourse_is_refused(tmp_path, first_plan):
    source = recourse_input(tmp_path, "plain.xlsx", recourse="no")
    outcome = plan_input(source, Options(tmp_path / "outputs", freeze=3, previous_plan=tmp_path / "first.xlsx"))
    assert outcome.exit_code == 2
    assert any("cannot keep orders that differ by scenario" in str(p) for p in outcome.refusal.problems)


def test_the_changes_compare_each_scenario_and_name_it(tmp_path, first_plan):
    """C at 20: base moves from C to K, ban keeps K: K's order is now shared. Compared in each scenario:
    base's C removed and K added (scenario base), ban nothing."""
    source = recourse_input(tmp_path, "dearer.xlsx", c_price=20)
    outcome = plan_of(tmp_path, source, output_path=tmp_path / "second.xlsx", previous_plan=tmp_path / "first.xlsx")
    assert changes_of(outcome) == [("removed", "C", 3, "base", 10, 0), ("added", "K", 3, "base", 0, 10)]
    frame = outcome.result.plan.changes.frame
    assert "new order: 10 t of ga from K in period 3 (scenario base)" in list(frame["finding"])
    sheet = openpyxl.load_workbook(tmp_path / "second.xlsx", read_only=True)["Changes"]
    assert "scenario" in [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    diff = invoke("diff", tmp_path / "first.xlsx", tmp_path / "second.xlsx")
    assert diff.exit_code == 0, diff.output
    assert "scenario" in diff.output and "base" in diff.output


def test_the_history_stores_the_scenario_of_each_order(tmp_path):
    """The second run's previous plan comes from the history: base's C and ban's K, each in its scenario."""
    db = f"sqlite:///{tmp_path / 'history.sqlite'}"
    source = recourse_input(tmp_path)
    assert invoke("run", source, "--output", tmp_path / "first.xlsx", "--db", db).exit_code == 0
    recourse_input(tmp_path, c_price=20)
    second = invoke("run", source, "--output", tmp_path / "second.xlsx", "--db", db)
    assert second.exit_code == 0, second.output
    frame = read_changes(tmp_path / "second.xlsx")
    assert [(r["change"], r["supplier"], r["scenario"]) for r in frame] == [("removed", "C", "base"),
                                                                            ("added", "K", "base")]
    diff = invoke("diff", "1", "2", "--db", db)
    assert diff.exit_code == 0 and "base" in diff.output, diff.output


def read_changes(path) -> list[dict]:
    """The order rows of a plan's Changes sheet, by header."""
    rows = openpyxl.load_workbook(path, read_only=True)["Changes"].iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row)) for row in rows
            if row[header.index("change")] in ("added", "removed", "changed", "frozen")]


def test_the_stability_pass_moves_a_scenarios_orders_back(tmp_path, first_plan):
    """D (Canada) joins at 11.9999, a hair below K's 12: ban's 10 t would move to D (0.1 x 10 x 0.0001 =
    0.0001 cheaper in expectation, far within mip_gap 0.001 of 102). The stability pass keeps ban's order
    with K, as in the previous plan, and base's with C; without a previous plan ban buys from D."""
    source = recourse_input(tmp_path, "with_d.xlsx", D=11.9999, mip_gap=0.001)
    stable = plan_of(tmp_path, source, output_path=tmp_path / "stable.xlsx", previous_plan=tmp_path / "first.xlsx")
    assert orders_by_scenario(stable) == {("base", "C", 3): 10, ("ban", "K", 3): 10}
    assert stable.result.plan.stability.outcome == "ran"
    unstable = plan_of(tmp_path, recourse_input(tmp_path, "no_pass.xlsx", D=11.9999, mip_gap=0.001))
    assert orders_by_scenario(unstable)[("ban", "D", 3)] == 10


def test_a_plan_with_recourse_reads_back_with_every_scenario(tmp_path, first_plan):
    view = read_plan(tmp_path / "first.xlsx")
    assert view.scenarios == ("base", "ban") and view.orders == {}
    assert view.quantities("ban") == {("K", "ga", 3): 10}


def penalised(tmp_path, name: str, penalty: float, **kw):
    """The case's workbook with Settings change_penalty."""
    sheets = recourse_sheets(**kw)
    sheets["Settings"]["change_penalty"] = penalty
    return write_workbook(tmp_path / name, sheets)


def summary_value(path, key: str) -> float:
    rows = openpyxl.load_workbook(path, read_only=True)["Summary"].iter_rows(values_only=True)
    return next(row[1] for row in rows if row[0] == key)


@pytest.mark.parametrize("penalty, ban_supplier, change_cost", [(0.6, "K", 0.0), (0.4, "D", 0.8)])
def test_the_change_penalty_keeps_a_scenarios_order_exactly_when_it_exceeds_the_saving(
        tmp_path, first_plan, penalty, ban_supplier, change_cost):
    """D (Canada) joins at 11, 1 below K: moving ban's 10 t from K to D saves 0.1 x 10 x 1 = 1 in
    expectation and changes 20 t in ban (10 removed from K, 10 added at D): an expected change cost of
    0.1 x 20 x penalty = 2 x penalty. At 0.6 (1.2 > 1) ban keeps K: 102 + 0 against 101 + 1.2; at 0.4
    (0.8 < 1) it moves to D: 101 + 0.8 = 101.8 against 102, change_cost 0.8 on the Summary. Base keeps C
    either way (nothing to save). The checker recomputes change_cost before the plan is written."""
    source = penalised(tmp_path, f"d_{penalty}.xlsx", penalty, D=11)
    output = tmp_path / f"penalised_{penalty}.xlsx"
    outcome = plan_of(tmp_path, source, output_path=output, previous_plan=tmp_path / "first.xlsx")
    assert orders_by_scenario(outcome) == {("base", "C", 3): 10, ("ban", ban_supplier, 3): 10}
    assert outcome.result.plan.changes.change_cost == pytest.approx(change_cost)
    assert summary_value(output, "change_cost") == pytest.approx(change_cost)
    assert outcome.result.plan.objective == pytest.approx(102 if ban_supplier == "K" else 101)
    assert not any("change_penalty" in str(w) for w in outcome.result.warnings)
    previous = {"base": {("C", "ga", 3): 10.0}, "ban": {("K", "ga", 3): 10.0}}
    assert check_result_workbook(output, outcome.result.data, previous=previous) == []
    elsewhere = {"base": {("C", "ga", 3): 10.0}, "ban": {("D", "ga", 3): 10.0}}  # as if ban had bought D before
    wrong = 0.1 * penalty * (0 if ban_supplier == "D" else 20)
    assert check_result_workbook(output, outcome.result.data, previous=elsewhere) == [
        f"Summary: change_cost {change_cost:g} != recomputed {wrong:g} (change_penalty {penalty:g} x the "
        "probability-weighted change of each scenario's orders)"]


@pytest.mark.parametrize("penalty, orders, change_cost", [
    (1.5, {("", "K", 3): 10}, 0.0),
    (0.5, {("base", "C", 3): 10, ("ban", "K", 3): 10}, 9.0),
])
def test_a_previous_plan_without_recourse_is_the_previous_order_of_every_scenario(tmp_path, penalty, orders,
                                                                                   change_cost):
    """Without recourse the plan buys K's 10 t for every scenario (120; C's would cost 100 + 0.1 x 10 x 120
    of ban's shortfall). Re-planned with recourse, base could buy C instead: 0.9 x 10 x 2 = 18 saved,
    against 20 t changed in base (K 10 -> 0, C 0 -> 10) at probability 0.9: 18 x penalty. Ban compares
    its K with the same previous K: no change. At 1.5 (27 > 18) the shared K order stays; at 0.5
    (9 < 18) base moves to C: objective 102, change_cost 0.9 x 20 x 0.5 = 9."""
    plain = plan_of(tmp_path, recourse_input(tmp_path, "plain.xlsx", recourse="no"),
                    output_path=tmp_path / "plain_plan.xlsx")
    assert plain.result.plan.order_quantities() == {("K", "ga", 3): pytest.approx(10)}
    source = penalised(tmp_path, f"recourse_{penalty}.xlsx", penalty)
    outcome = plan_of(tmp_path, source, output_path=tmp_path / f"replanned_{penalty}.xlsx",
                      previous_plan=tmp_path / "plain_plan.xlsx")
    assert orders_by_scenario(outcome) == orders
    assert outcome.result.plan.changes.change_cost == pytest.approx(change_cost)
    frame = outcome.result.plan.changes.frame
    assert any(f.startswith("change_cost") or "change_cost:" in f for f in frame["finding"]) == (change_cost > 0)
    dashboard = [cell for row in openpyxl.load_workbook(tmp_path / f"replanned_{penalty}.xlsx", read_only=True)
                 ["Dashboard"].iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    said = [text for text in dashboard if "the change penalty (notional: nobody pays it) added" in text]
    assert len(said) == (change_cost > 0) and all("added $9 to what was optimised" in text for text in said)


def test_the_orders_the_change_penalty_holds_back_are_shown_in_their_scenario(tmp_path, first_plan):
    """The 0.6 case above: ban keeps K's 10 t where the plan without the penalty (re-solved with recourse)
    moves them to D. The Changes sheet's held rows say so in scenario ban (K: kept 10, free 0; D: kept 0, free
    10); base holds nothing back."""
    source = penalised(tmp_path, "held.xlsx", 0.6, D=11)
    outcome = plan_of(tmp_path, source, output_path=tmp_path / "held_plan.xlsx",
                      previous_plan=tmp_path / "first.xlsx")
    frame = outcome.result.plan.changes.frame
    held = {(r.scenario, r.supplier, int(r.period)): (r.quantity, r.without_change_penalty)
            for r in frame[frame["change"] == "held"].itertuples()}
    assert held == {("ban", "K", 3): (pytest.approx(10), pytest.approx(0)),
                    ("ban", "D", 3): (pytest.approx(0), pytest.approx(10))}
    assert not (frame["change"] == "not measured").any()
