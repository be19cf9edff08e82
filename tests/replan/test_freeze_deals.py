"""--freeze N carries the previous plan's project decisions, contract signings and deliveries in periods 1..N
(optimizer/replan/freeze.py carry_decisions).

Contract cases: tests/models/test_model_contracts.py's offtake_book: ga over 3 periods from S1 at 10 a t
(lead time 0), contract K1 (first_period 1) from S1 at 5 a t, lead time 1, at most 6 t a period and 20 t in
all, 15 t take-or-pay, signing 5. Project cases: modelcase.build_or_buy.
"""

from __future__ import annotations

from datetime import date

from modelcase import approx, build_or_buy, demand, optimum, run_case, sheets
from workbooks import upgrade_sheets, write_workbook

from optimizer.pipeline import load
from optimizer.replan.changes import Decisions, PlanView, read_plan
from optimizer.replan.freeze import freeze_orders


def contract_book(**changes) -> dict:
    row = {"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 5, "lead_time": 1,
           "max_per_period": 6, "min_quantity": 15, "max_quantity": 20, "signing_cost": 5, **changes}
    return sheets(3, Demand=demand(0, 10, 10), Contracts=[row])


def previous(decisions: Decisions, orders: dict | None = None) -> PlanView:
    return PlanView("run 3", orders or {}, {"objective": 0.0}, {}, date(2027, 1, 1), "quarter", run_id=3,
                    decisions=decisions)


def loaded(tmp_path, book):
    data, _ = load(write_workbook(tmp_path / "in.xlsx", book))
    return data


def test_a_signed_contract_stays_signed_and_its_frozen_delivery_is_kept(tmp_path):
    """The previous plan signed K1 and ordered 6 t under it in period 1. Demand is now 10 t in period 2 only:
    unfrozen, K1 is left (6 x 5 + 9 x 5 take-or-pay + 5 + 4 x 10 = 120 > 100 from S1). Frozen 1 period: K1
    stays signed, its 6 t of period 1 stand, so the plan pays 120."""
    book = contract_book()
    book["Demand"] = demand(0, 10)
    data = loaded(tmp_path, book)
    assert optimum(data) == approx(100)
    frozen = freeze_orders(data, previous(Decisions({}, {"K1": True}, {("K1", 1): 6.0, ("K1", 2): 6.0})), 1)
    assert frozen.problems == []
    assert frozen.data.contracts["K1"].signed
    assert frozen.data.frozen_deliveries == {("K1", 1): 6.0}  # period 2 is not frozen
    assert optimum(frozen.data) == approx(120)


def test_no_delivery_is_added_in_a_frozen_period(tmp_path):
    """The previous plan signed K1 but took nothing in period 1. Frozen 1 period: only period 2's 6 t (arriving
    in 3) can be taken: 6 x 5 + 9 x 5 take-or-pay + 5 + 10 x 10 (period 2) + 4 x 10 (period 3) = 220, where
    unfrozen deliveries in periods 1 and 2 give 160."""
    data = loaded(tmp_path, contract_book())
    assert optimum(data) == approx(160)
    frozen = freeze_orders(data, previous(Decisions({}, {"K1": True}, {})), 1)
    assert frozen.data.frozen_deliveries == {}
    assert optimum(frozen.data) == approx(220)


def test_a_contract_left_unsigned_in_a_frozen_period_stays_unsigned(tmp_path):
    """The previous plan left K1 (signing in period 1). Frozen 1 period: it cannot be signed now, so the
    plan buys 20 t at 10 = 200 (signing would give 160). Frozen 0 periods it is open again."""
    data = loaded(tmp_path, contract_book())
    left = previous(Decisions({}, {"K1": False}, {}))
    frozen = freeze_orders(data, left, 1)
    assert frozen.data.unsigned_contracts == {"K1"}
    assert optimum(frozen.data) == approx(200)
    assert freeze_orders(data, left, 0).data.unsigned_contracts == frozenset()


def test_a_frozen_delivery_above_the_contracts_capacity_is_an_error(tmp_path):
    """8 t under K1 in period 1, where max_per_period is 6: an error naming the delivery."""
    data = loaded(tmp_path, contract_book())
    frozen = freeze_orders(data, previous(Decisions({}, {"K1": True}, {("K1", 1): 8.0})), 1)
    [problem] = frozen.problems
    assert problem.severity == "error"
    assert "frozen delivery of 8 under contract 'K1' in period 1" in str(problem)
    assert "above max_per_period 6" in str(problem)


def test_a_project_decided_in_a_frozen_period_becomes_decided(tmp_path):
    """build_or_buy at capex 3,000 with P open in periods 1..2. The previous plan decided P in period 1 and
    ordered 10 t of its output in period 3. Frozen 3 periods: P is decided in period 1 (built by 3), the
    order stands: capex_cost 1,500 + 10 t at 20 in period 3 + 10 t at 20 in period 4 = 1,900. Without the
    decision carried, the order would be an error (tests/replan/test_freeze_projects.py)."""
    data = loaded(tmp_path, build_or_buy(3_000, last_period=2))
    order = {("Plant", "ga", 3): {"quantity": 10.0, "unit_price": 20.0, "list_price": 20.0, "cost": 200.0,
                                  "committed": False}}
    frozen = freeze_orders(data, previous(Decisions({"P": 1}, {}, {}), order), 3)
    assert frozen.problems == []
    project = frozen.data.projects["P"]
    assert (project.decided, project.first_period, project.last_period) == (True, 1, 1)
    assert optimum(frozen.data) == approx(1_900)


def test_a_decision_after_the_frozen_periods_stays_open(tmp_path):
    """The previous plan decided P in period 2; frozen 1 period: P stays open, decidable in period 2 only."""
    data = loaded(tmp_path, build_or_buy(3_000, last_period=2))
    frozen = freeze_orders(data, previous(Decisions({"P": 2}, {}, {})), 1)
    assert not frozen.data.projects["P"].decided
    assert list(frozen.data.decision_periods(frozen.data.projects["P"])) == [2]


def test_a_written_plan_gives_back_its_decisions(tmp_path):
    """read_plan reads Projects' decision_period, Contracts' signed and the Orders rows naming a contract:
    build_or_buy(3,000) funds P in period 1; contract_book signs K1 and takes 6 t in periods 1 and 2."""
    built = run_case(tmp_path, build_or_buy(3_000))
    assert read_plan(built.output).decisions.builds == {"P": 1}
    signed = read_plan(run_case(tmp_path, contract_book()).output).decisions
    assert signed.signed == {"K1": True}
    assert signed.deliveries == {("K1", 1): approx(6), ("K1", 2): approx(6)}


def test_a_replan_from_the_history_carries_the_contract(tmp_path):
    """End to end through the history (its run's plan file is read for the decisions): the first plan signs
    K1 and takes 6 t in periods 1 and 2 (160). Demand then drops to 10 t in period 2 only; re-planned with
    --freeze 1, K1 stays signed with its 6 t of period 1: 120 (the first test's arithmetic), and the plan
    passes the independent checker."""
    from replancase import replan

    from optimizer.checker import check_result_workbook
    from optimizer.replan.history import History

    history = History(str(tmp_path / "history.sqlite"))
    source = write_workbook(tmp_path / "in" / "offtake.xlsx", contract_book())
    first = replan(source, tmp_path, history)
    assert first.result.plan.objective == approx(160)
    book = contract_book()
    book["Demand"] = demand(0, 10)
    write_workbook(source, book)
    frozen = replan(source, tmp_path, history, freeze=1)
    plan = frozen.result.plan
    assert plan.objective == approx(120)
    assert plan.contracts.iloc[0].signed == "yes"
    assert {(r.contract, r.period): r.quantity for r in plan.deliveries.itertuples()}[("K1", 1)] == approx(6)
    assert check_result_workbook(frozen.output, frozen.result.data) == []


def test_the_checker_holds_a_plan_to_its_frozen_deliveries(tmp_path):
    """The plan above delivers 6 t under K1 in frozen period 1 and signs K1: checked against a frozen delivery
    of 5 t, or against K1 left unsigned in the frozen periods, the independent checker objects."""
    from dataclasses import replace

    from replancase import replan

    from optimizer.checker import check_result_workbook
    from optimizer.replan.history import History

    history = History(str(tmp_path / "history.sqlite"))
    source = write_workbook(tmp_path / "in" / "offtake.xlsx", contract_book())
    replan(source, tmp_path, history)
    frozen = replan(source, tmp_path, history, freeze=1)
    data = frozen.result.data
    assert data.frozen_deliveries == {("K1", 1): approx(6)}
    assert check_result_workbook(frozen.output, data) == []
    wrong = check_result_workbook(frozen.output, replace(data, frozen_deliveries={("K1", 1): 5.0}))
    assert any("frozen period 1: 6 delivered where the previous plan's frozen delivery is 5" in p for p in wrong)
    unsigned = check_result_workbook(frozen.output, replace(data, unsigned_contracts=frozenset({"K1"})))
    assert any("contract K1: signed, though the previous plan left it unsigned" in p for p in unsigned)


def test_a_frozen_conversion_is_kept_and_no_other_starts_in_a_frozen_period(tmp_path):
    """workbooks.upgrade_sheets with fecr at 23: buying 5 t of fecr (115) beats smelting 10 t of ore in period 1
    (100 + 20 = 120). The previous plan bought 10 t of ore and smelted them in period 1: frozen 1 period, both
    stand (120). At fecr 30 smelting wins (120 < 150); a previous plan that bought the ore but smelted nothing
    in period 1 leaves nothing to start there: the ore is bought and fecr too, 100 + 150 = 250."""
    ore = {("S1", "ore", 1): {"quantity": 10.0, "unit_price": 10.0}}
    data = loaded(tmp_path, upgrade_sheets(23))
    assert optimum(data) == approx(115)
    kept = freeze_orders(data, previous(Decisions(conversions={("", "smelt", 1): 10.0}), ore), 1)
    assert kept.problems == [] and kept.data.frozen_conversions == {("smelt", 1): 10.0}
    assert optimum(kept.data) == approx(120)
    cheap = loaded(tmp_path, upgrade_sheets(30))
    assert optimum(cheap) == approx(120)
    assert optimum(freeze_orders(cheap, previous(Decisions(), ore), 1).data) == approx(250)


def test_a_frozen_conversion_of_a_scenario_without_recourse_is_an_error(tmp_path):
    data = loaded(tmp_path, upgrade_sheets(23))
    frozen = freeze_orders(data, previous(Decisions(conversions={("ban", "smelt", 1): 10.0})), 1)
    assert [p.severity for p in frozen.problems] == ["error"]
    assert "cannot keep conversions that differ by scenario" in frozen.problems[0].expected
