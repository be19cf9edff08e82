"""One time budget for a run's solver work (optimizer/solving/session.py, optimizer/solving/budget.py).

``time_limit_s`` bounds the main solve; everything solved after it (the stability
pass, the marginals' LP, the why-short re-solves, the change-penalty comparison)
shares one ``TimeBudget`` of ``analysis_time_s`` (default time_limit_s / 4). Every
clock here is a fake one the test moves by hand: no test depends on the machine's speed.
"""

from __future__ import annotations

import functools

import openpyxl
import pytest
from replancase import replan, write

import optimizer.pipeline as pipeline
import optimizer.solving.session as session
import optimizer.solving.stability as stability
from optimizer.replan.history import History
from optimizer.solving.budget import TimeBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_counts_down_on_its_clock_and_never_below_zero():
    clock = FakeClock()
    budget = TimeBudget(15.0, clock)
    assert (budget.remaining(), budget.slice(30.0), budget.exhausted()) == (15.0, 15.0, False)
    clock.now += 10.0
    assert (budget.spent(), budget.remaining(), budget.slice(2.0)) == (10.0, 5.0, 2.0)
    clock.now += 7.0
    assert (budget.remaining(), budget.slice(30.0), budget.exhausted()) == (0.0, 0.0, True)


def changes_sheet(path) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)["Changes"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_the_solves_after_the_plan_share_analysis_time_s_and_name_what_they_skip(tmp_path, monkeypatch):
    """A re-plan whose orders move (change_penalty 0.1, tests/replan/test_stability.py) with time_limit_s 60,
    so analysis_time_s 15. Every solve runs 8 s on the fake clock, or its whole limit when that is
    shorter. The main solve is given 60 s; after it the stability pass is given 15 s (runs 8), the
    marginals' LP the 7 s left (runs 7); the change-penalty comparison finds none left and is named
    on the Changes sheet. So the solver work after the plan is 15 s, and the run's at most
    60 + 15 = 1.25 x time_limit_s."""
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx")
    replan(source, tmp_path, history)
    write(source, s1_price=10.5, s2_price=10.0, change_penalty=0.1)
    clock, given = FakeClock(), []

    def eight_seconds(solve, name):
        def timed(*args, **kwargs):
            limit = args[2]  # (model, mip_gap, time_limit_s, ...), as both solvers take them
            given.append((name, limit))
            result = solve(*args, **kwargs)
            clock.now += min(limit, 8.0)
            return result
        return timed

    monkeypatch.setattr(session, "solve_model", eight_seconds(session.solve_model, "solve"))
    monkeypatch.setattr(stability, "solve_around", eight_seconds(stability.solve_around, "stability"))
    monkeypatch.setattr(pipeline, "plan_from_data", functools.partial(session.plan_from_data, clock=clock))
    second = replan(source, tmp_path, history)
    assert given == [("solve", 60.0), ("stability", 15.0), ("solve", 7.0)]
    assert second.result.plan.analysis_budget.spent() == 15.0
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(second.output)["Summary"].iter_rows(values_only=True)}
    assert (summary["analysis_time_s"], summary["analysis_seconds_used"]) == (15, 15)
    assert [row["finding"] for row in changes_sheet(second.output) if row["change"] == "not measured"] == [
        "Orders held back by the change penalty not measured: no time left of analysis_time_s (15 s)."]


def test_the_held_rows_name_the_comparison_skipped_for_lack_of_time(tmp_path):
    """change_penalty 1 keeps every order (tests/replan/test_stability.py), but with analysis_time_s 0
    the plan without the penalty is not solved: the Changes sheet says so in place of its held rows."""
    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx")
    replan(source, tmp_path, history)
    write(source, s1_price=10.5, s2_price=10.0, change_penalty=1.0, analysis_time_s=0)
    second = replan(source, tmp_path, history)
    assert second.result.plan.objective == pytest.approx(157.5)  # the orders kept, as with time left
    rows = changes_sheet(second.output)
    assert not [row for row in rows if row["change"] == "held"]
    assert [row["finding"] for row in rows if row["change"] == "not measured"] == [
        "Orders held back by the change penalty not measured: no time left of analysis_time_s (0 s)."]
    assert second.result.plan.changes.counts["orders_held"] == 0
