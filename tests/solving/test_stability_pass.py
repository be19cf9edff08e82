"""The stability pass: a re-plan moves only the orders the news justifies (optimizer/solving/stability.py).

The cases hold offers that tie (two suppliers of one mineral at the same price), so several plans
are equally good and the solver's own choice among them is arbitrary. The previous plan is written
by hand (``previous_plan``) holding the tied choice the cold solve does NOT make: without the pass
the re-plan would move those orders for no reason (each test checks it does, so it can fail).
"""

from __future__ import annotations

import random
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from inputcheck import errors, only, read_and_validate
from replancase import replan
from workbooks import base_sheets, write_workbook

from optimizer.solving import highs as solve_module
from optimizer.solving import stability as stability_module
from optimizer.studies import sweep
from optimizer.replan.changes import FUNDING, NEVER_ORDERED, NO_OTHER, OWN_OFFER, SAME_MINERAL, WITHIN_GAP
from optimizer.checker import check_result_workbook
from optimizer.cli import main
from optimizer.replan.history import History
from optimizer.solving.session import plan_from_data
from optimizer.contract.results import FEASIBLE, SolveResult
from optimizer.replan.replan import Options, plan_input


def book(ga_prices: dict[str, float], ge_prices: dict[str, float], funding: list[dict] | None = None,
         num_periods: int = 3, **settings) -> dict:
    """ga from S1/S2, ge from T1/T2 (Canada), 5 t of each in every quarter, holding 1 per t and quarter."""
    sheets = base_sheets(num_periods)
    sheets["Settings"].update({"start_date": date(2027, 1, 1), "period_unit": "quarter", **settings})
    sheets["Minerals"] = [{"mineral": m, "unit": "t", "shortfall_penalty": penalty, "holding_cost": 1}
                          for m, penalty in (("ga", 100), ("ge", 50))]
    suppliers = [*ga_prices, *ge_prices]
    sheets["Suppliers"] = [{"supplier": s, "country": "Canada"} for s in suppliers]
    sheets["Offers"] = ([{"supplier": s, "mineral": "ga", "unit_price": p} for s, p in ga_prices.items()]
                        + [{"supplier": s, "mineral": "ge", "unit_price": p} for s, p in ge_prices.items()])
    sheets["Demand"] = [{"mineral": m, "period": t, "quantity": 5} for m in ("ga", "ge")
                        for t in range(1, num_periods + 1)]
    if funding is not None:
        sheets["Funding"] = funding
    return sheets


def previous_plan(path, orders: dict[tuple[str, str, int], tuple[float, float]]):
    """A plan workbook as `optimize run` writes it, reduced to what a re-plan reads:
    (supplier, mineral, period) -> (quantity, unit price)."""
    rows = [{"supplier": s, "mineral": m, "period": t, "quantity": q, "unit_price": p, "list_price": p,
             "cost": q * p, "committed": "no"} for (s, m, t), (q, p) in orders.items()]
    objective = sum(q * p for q, p in orders.values())
    return write_workbook(path, {"Summary": {"objective": objective, "start_date": date(2027, 1, 1),
                                             "period_unit": "quarter"}, "Orders": rows})


def plan_of(outcome) -> dict[tuple[str, str, int], float]:
    return {(r.supplier, r.mineral, int(r.period)): round(float(r.quantity), 6)
            for r in outcome.result.plan.orders.itertuples() if r.quantity > 1e-7}


def sheet_rows(path, name: str) -> list[dict]:
    """The rows of a result sheet by header (a row's empty trailing cells are not stored)."""
    sheet = openpyxl.load_workbook(path, read_only=True)[name]
    sheet.reset_dimensions()
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row + (None,) * (len(rows[0]) - len(row)))) for row in rows[1:]]


def summary(path) -> dict:
    return {row["key"]: row["value"] for row in sheet_rows(path, "Summary")}


def changes_rows(path) -> list[dict]:
    return sheet_rows(path, "Changes")


def cold(tmp_path, sheets: dict, name: str = "cold"):
    """The plan without a previous one."""
    return replan(write_workbook(tmp_path / name / "in.xlsx", sheets), tmp_path / name)


def other_tied(plan: dict, mineral: str, tied: tuple[str, str]) -> str:
    """The tied supplier the cold solve did not use for ``mineral``."""
    used = {s for s, m, _ in plan if m == mineral}
    assert len(used) == 1 and used <= set(tied), used
    return next(s for s in tied if s not in used)


@pytest.fixture
def ample(tmp_path):
    return ample_case(tmp_path)


def ample_case(tmp_path):
    """Ample funding. Before: ga 5 t a quarter from S1 at 10; ge from whichever of T1/T2 (both 10) the
    cold solve does not pick. Now S1 asks 13, S2 12.

    By hand: ga moves to S2 (12 < 13), cost 3 x 5 x 12 = 180; ge costs 150 from either supplier;
    objective 330. Only ga has news, so ge must stay with the previous plan's supplier."""
    sheets = book({"S1": 13, "S2": 12}, {"T1": 10, "T2": 10})
    first = plan_of(cold(tmp_path, sheets))
    kept = other_tied(first, "ge", ("T1", "T2"))
    previous = previous_plan(tmp_path / "previous.xlsx", {
        **{("S1", "ga", t): (5, 10) for t in (1, 2, 3)}, **{(kept, "ge", t): (5, 10) for t in (1, 2, 3)}})
    return sheets, previous, kept


def test_a_price_move_on_one_mineral_changes_no_order_of_another(tmp_path, ample):
    sheets, previous, kept = ample
    source = write_workbook(tmp_path / "in" / "in.xlsx", sheets)
    outcome = replan(source, tmp_path, previous_plan=previous)
    plan = outcome.result.plan
    assert plan_of(outcome) == {**{("S2", "ga", t): 5 for t in (1, 2, 3)}, **{(kept, "ge", t): 5 for t in (1, 2, 3)}}
    assert plan.objective == pytest.approx(330.0)
    assert check_result_workbook(outcome.output, outcome.result.data) == []
    rows = changes_rows(outcome.output)
    reasons = {(r["supplier"], r["change"]): r["reason"] for r in rows if r["change"] in ("added", "removed")}
    assert reasons == {("S1", "removed"): OWN_OFFER, ("S2", "added"): SAME_MINERAL}
    assert all(r["mineral"] != "ge" for r in rows if r["change"] in ("added", "removed", "changed"))
    sentence = next(r["finding"] for r in rows if r["change"] == "reasons")
    assert sentence.endswith(NO_OTHER)
    values = summary(outcome.output)
    assert values["stability_pass"].startswith("ran: change from the previous plan")
    # Moving ge back costs nothing: the change at list price falls by 2 x 15 t x 10 = 300 (ga's 3 x 5 x 13
    # removed from S1 and 3 x 5 x 12 added at S2 stay).
    assert values["change_value_before_stability"] == pytest.approx(195 + 180 + 300)
    assert values["change_value"] == pytest.approx(195 + 180)
    assert values["objective"] == pytest.approx(values["objective_before_stability"])


def test_the_terminal_says_why_each_order_changed(tmp_path, ample):
    sheets, previous, _ = ample
    source = write_workbook(tmp_path / "in" / "in.xlsx", sheets)
    result = CliRunner().invoke(main, ["run", str(source), "--previous", str(previous), "--no-history",
                                       "--outputs-dir", str(tmp_path / "outputs")], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert f"6 orders changed: 3 as {OWN_OFFER}, 3 as {SAME_MINERAL}; {NO_OTHER}" in result.stderr
    assert f"  removed ga from S1 in period 1: 5 t to 0 t ({OWN_OFFER})" in result.stderr
    assert f"  added   ga from S2 in period 3: 0 t to 5 t ({SAME_MINERAL})" in result.stderr
    assert ("stability pass ran: change from the previous plan $675 to $375 of orders at list price, objective $330 "
            "to $330, $0 of the $0 allowed") in result.stderr


def test_without_the_pass_the_tied_orders_move_within_the_gap(tmp_path, ample):
    """The mutation check of the test above: Settings stability = no leaves the solver's own choice."""
    sheets, previous, kept = ample
    sheets["Settings"]["stability"] = "no"
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    assert all(s != kept for s, m, _ in plan_of(outcome) if m == "ge")
    rows = changes_rows(outcome.output)
    # the previous plan is a workbook without its input (no history): the offer it never ordered from is said
    assert {(r["change"], r["reason"]) for r in rows if r["mineral"] == "ge" and r["change"] in ("added", "removed")} \
        == {("removed", WITHIN_GAP), ("added", NEVER_ORDERED)}
    assert summary(outcome.output)["stability_pass"] == "not run: Settings stability is no"


def test_the_per_mineral_pass_of_large_models_keeps_the_same_orders(tmp_path, monkeypatch):
    """Every model counted as large (the solve starts from the block plan): the pass runs one MIP per
    mineral, each with its share of the objective's allowance and of the funding, and finds the same plan
    on its own (the whole-model solve that follows it finds nothing: stubbed here)."""
    monkeypatch.setattr(solve_module, "BLOCK_START_MIN_BINARIES", 0)
    sheets, previous, kept = ample_case(tmp_path)
    nothing = SolveResult("error", "error", message="stubbed")
    monkeypatch.setattr(solve_module, "solve_model", lambda *args, **kwargs: nothing)  # the pass's whole-model solve
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    assert plan_of(outcome) == {**{("S2", "ga", t): 5 for t in (1, 2, 3)}, **{(kept, "ge", t): 5 for t in (1, 2, 3)}}
    stability = outcome.result.plan.stability
    assert stability.note.endswith("(2 of 2 blocks solved within the gap; the whole model from it found nothing "
                                   "better (stubbed))")
    assert stability.change_after == pytest.approx(195 + 180) and stability.change_before > 195 + 180 + 1
    assert check_result_workbook(outcome.output, outcome.result.data) == []


def test_with_a_binding_budget_only_the_orders_the_budget_forces_change(tmp_path):
    """One period. Source F (100) pays ga and ge only; G (ample) pays in. Before: 5 t each of ga from S1,
    ge from T1 and in from the tied U1/U2 the cold solve does not pick, all at 10: F spent to its 100.

    Now S1 asks 14 (S2 11). By hand: a t of ga saves its penalty 100 for 11 (9.1 per unit of money), a t
    of ge 50 for 10 (5 per unit): F buys ga's 5 t from S2 (55) and 45 / 10 = 4.5 t of ge; 0.5 t of ge
    goes unmet (25). ga's orders change for their prices; ge's because F binds and ga's changed; in has
    no news and keeps its supplier. Objective 55 + 45 + 25 + 50 (in) = 175.
    """
    sheets = book({"S1": 14, "S2": 11}, {"T1": 10}, num_periods=1,
                  funding=[{"source": "F", "amount": 100, "minerals": "ga, ge"},
                           {"source": "G", "amount": 1_000_000, "minerals": "in"}])
    sheets["Minerals"].append({"mineral": "in", "unit": "t", "shortfall_penalty": 100})
    sheets["Suppliers"] += [{"supplier": "U1", "country": "Canada"}, {"supplier": "U2", "country": "Canada"}]
    sheets["Offers"] += [{"supplier": u, "mineral": "in", "unit_price": 10} for u in ("U1", "U2")]
    sheets["Demand"].append({"mineral": "in", "period": 1, "quantity": 5})
    kept = other_tied(plan_of(cold(tmp_path, sheets)), "in", ("U1", "U2"))
    previous = previous_plan(tmp_path / "previous.xlsx", {("S1", "ga", 1): (5, 10), ("T1", "ge", 1): (5, 10),
                                                          (kept, "in", 1): (5, 10)})
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    assert plan_of(outcome) == {("S2", "ga", 1): 5, ("T1", "ge", 1): 4.5, (kept, "in", 1): 5}
    assert outcome.result.plan.objective == pytest.approx(175.0)
    reasons = {(r["supplier"], r["change"]): r["reason"] for r in changes_rows(outcome.output)
               if r["change"] in ("added", "removed", "changed")}
    assert reasons == {("S1", "removed"): OWN_OFFER, ("S2", "added"): SAME_MINERAL, ("T1", "changed"): FUNDING}


@pytest.mark.parametrize("mip_gap", [0.01, 0.05])
def test_the_pass_never_raises_the_objective_beyond_the_allowed_gap(tmp_path, mip_gap):
    """Before: 5 t of ga a quarter from S1 (and ge from T1), all at 10. Now S1 asks 11, S2 10: the
    optimum moves all 15 t of ga to S2 (150 + ge 150 = 300). Each t of ga left at S1 costs 1 more and
    saves 11 + 10 of change, so the pass keeps at S1 as much as the allowance pays for, all 15 t at most:
    allowance - 300 t, with allowance = bound / (1 - mip_gap) (HiGHS's relative gap): 3.03 t at 1%, all
    15 t at 5% (315 <= 315.79)."""
    sheets = book({"S1": 11, "S2": 10}, {"T1": 10}, mip_gap=mip_gap)
    previous = previous_plan(tmp_path / "previous.xlsx", {
        **{("S1", "ga", t): (5, 10) for t in (1, 2, 3)}, **{("T1", "ge", t): (5, 10) for t in (1, 2, 3)}})
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    values = summary(outcome.output)
    allowance = max(values["objective_before_stability"], values["best_bound"] / (1 - mip_gap))
    assert values["objective_allowed"] == pytest.approx(allowance)
    assert values["objective"] <= allowance * (1 + 1e-9)
    assert values["mip_gap"] <= mip_gap * (1 + 1e-6)
    kept_at_s1 = sum(q for (s, _, _), q in plan_of(outcome).items() if s == "S1")
    assert values["best_bound"] == pytest.approx(300.0)
    assert kept_at_s1 == pytest.approx(min(15.0, allowance - 300.0), rel=1e-6)
    assert check_result_workbook(outcome.output, outcome.result.data) == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_on_random_prices_and_previous_plans_the_pass_stays_within_the_allowance(tmp_path, seed):
    """Properties, whatever the prices and the previous plan: the objective written is within the
    allowance, the allowance is max(plan found first, bound / (1 - mip_gap)), the change only falls,
    and the plan passes the independent check."""
    rng = random.Random(seed)
    mip_gap = rng.choice([0.005, 0.02, 0.1])
    sheets = book({"S1": rng.uniform(8, 14), "S2": rng.uniform(8, 14)},
                  {"T1": rng.uniform(8, 14), "T2": rng.uniform(8, 14)}, mip_gap=mip_gap)
    previous = previous_plan(tmp_path / "previous.xlsx", {
        (supplier, mineral, t): (rng.choice([0, 2.5, 5, 8]), 10.0)
        for supplier, mineral in (("S1", "ga"), ("S2", "ga"), ("T1", "ge"), ("T2", "ge")) for t in (1, 2, 3)})
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    values = summary(outcome.output)
    assert values["stability_pass"].startswith("ran: change from the previous plan")
    assert values["objective_allowed"] == pytest.approx(
        max(values["objective_before_stability"], values["best_bound"] / (1 - mip_gap)))
    assert values["objective"] <= values["objective_allowed"] * (1 + 1e-9)
    assert values["change_value"] <= values["change_value_before_stability"] * (1 + 1e-9)
    assert check_result_workbook(outcome.output, outcome.result.data) == []


def test_a_change_penalty_and_the_pass_combine_on_the_minimised_total(tmp_path):
    """With change_penalty 0.5 the solve minimises objective + change_cost; the pass holds that total
    within the gap. S1 11, S2 10, mip_gap 0.05: moving a t of ga costs 1 (its price) - 2 x 0.5 (the change
    cost it saves) = 0: the solve may keep or move; the pass keeps all 15 t at S1 (total 165 + 150, within
    315 / 0.95)."""
    sheets = book({"S1": 11, "S2": 10}, {"T1": 10}, mip_gap=0.05, change_penalty=0.5)
    previous = previous_plan(tmp_path / "previous.xlsx", {
        **{("S1", "ga", t): (5, 10) for t in (1, 2, 3)}, **{("T1", "ge", t): (5, 10) for t in (1, 2, 3)}})
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    assert plan_of(outcome) == {**{("S1", "ga", t): 5 for t in (1, 2, 3)}, **{("T1", "ge", t): 5 for t in (1, 2, 3)}}
    values = summary(outcome.output)
    assert values["change_cost"] == pytest.approx(0.0)
    assert values["objective"] <= values["objective_allowed"] * (1 + 1e-9)


def test_without_a_previous_plan_no_pass_runs_and_the_summary_says_so(tmp_path):
    sheets = book({"S1": 13, "S2": 12}, {"T1": 10, "T2": 10})
    source = write_workbook(tmp_path / "in" / "in.xlsx", sheets)
    outcome = plan_input(source, Options(tmp_path / "outputs"), History(str(tmp_path / "history.sqlite")))
    values = summary(outcome.output)
    assert values["stability_pass"] == "not run: no previous plan of this input: nothing to stay close to"
    assert "stability_seconds" not in values and "objective_before_stability" not in values
    assert outcome.result.plan.solve.message == "optimal within the gap"


def test_a_pass_cut_short_without_a_closer_plan_leaves_the_plan_found_first(tmp_path, ample, monkeypatch):
    """The pass's solver stopped by analysis_time_s with nothing better than its start."""
    sheets, previous, kept = ample

    def stopped(model, mip_gap, time_limit_s, start, blocks):
        return SolveResult(FEASIBLE, "maxTimeLimit", seconds=time_limit_s, message="the solver stopped")

    monkeypatch.setattr(stability_module, "solve_around", stopped)
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    values = summary(outcome.output)
    assert values["stability_pass"].startswith("cut short: no plan closer to the previous plan was found")
    assert values["stability_pass"].endswith("the plan found first stands")
    assert values["change_value"] == values["change_value_before_stability"]


def test_no_time_left_for_the_pass(tmp_path, ample):
    sheets, previous, _ = ample
    sheets["Settings"]["analysis_time_s"] = 0
    outcome = replan(write_workbook(tmp_path / "in" / "in.xlsx", sheets), tmp_path, previous_plan=previous)
    assert summary(outcome.output)["stability_pass"] == "not run: no time left of analysis_time_s (0 s)"


# --- Settings stability and analysis_time_s --------------------------------------------------------------


def test_the_settings_default_and_refuse_what_they_cannot_mean(tmp_path):
    data, problems = read_and_validate(write_workbook(tmp_path / "plain.xlsx", base_sheets()))
    assert not errors(problems)
    assert data.settings.stability == "yes"
    assert data.settings.analysis_seconds == 60 / 4  # time_limit_s / 4
    sheets = base_sheets()
    sheets["Settings"].update({"stability": "sometimes", "analysis_time_s": -1})  # rows 5 and 6
    _, problems = read_and_validate(write_workbook(tmp_path / "bad.xlsx", sheets))
    choice, negative = only(problems, "'sometimes'"), only(problems, "analysis_time_s")
    assert (choice.sheet, choice.row, str(choice).endswith("expected stability to be one of yes, no")) == \
        ("Settings", 5, True)
    assert (negative.row, str(negative).endswith("expected analysis_time_s to be a number >= 0")) == (6, True)
    sheets["Settings"].update({"stability": "no", "analysis_time_s": 7})
    data, problems = read_and_validate(write_workbook(tmp_path / "good.xlsx", sheets))
    assert not errors(problems) and (data.settings.stability, data.settings.analysis_seconds) == ("no", 7)


def test_sweep_points_have_no_previous_plan_and_run_no_pass(tmp_path, monkeypatch):
    data, _ = read_and_validate(write_workbook(tmp_path / "in.xlsx", book({"S1": 13, "S2": 12}, {"T1": 10})))
    plans = []

    def recorded(*args, **kwargs):
        plans.append(plan_from_data(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(sweep, "plan_from_data", recorded)
    sweep.solve_point(data, sweep.Point((), ()))
    assert plans[0].stability.outcome == "not run" and plans[0].objective == pytest.approx(330.0)
