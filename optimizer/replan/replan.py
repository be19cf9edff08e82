"""Re-plan an input against its previous plan, and record the run in the history.

``plan_input`` is what ``optimize run``, ``watch`` and ``schedule`` call:

1. find the previous plan of the same input (``--previous PLAN.xlsx``, else the
   history's latest plan of the same input path or name);
2. run the pipeline with a ``Replan``: the previous plan's first ``--freeze N``
   periods become commitments (optimizer/replan/freeze.py), its orders are the
   solver's starting solution (models/start.py) and, with Settings
   ``change_penalty`` > 0, each unit of change costs (models/stability.py; with recourse, each
   scenario's unit of change weighted by its probability);
3. give the plan its ``Changes`` sheet (optimizer/replan/changes.py);
4. record the run, whatever its outcome, in the history (optimizer/replan/history.py).
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.replan import changes
from optimizer.replan.changes import NotAPlan, PlanChanges, PlanView
from optimizer.contract.data import BASE, PlanningData, Slot
from optimizer.files import CannotWrite
from optimizer.replan.freeze import freeze_orders
from optimizer.replan.records import RunRecord, content_hash, input_key, now_utc
from optimizer.pipeline import RunResult, run
from optimizer.contract.results import ERROR, INFEASIBLE, Plan
from optimizer.contract.problems import InputRefused, Problem
from optimizer.solving.session import (
    analysis_budget, change_cost, no_time_left, plan_without_change_cost, recourse_change_cost,
    recourse_plan_without_change_cost,
)
from optimizer.stages import Progress, quiet

if TYPE_CHECKING:  # SQLAlchemy only where a history is opened (optimizer/replan/records.py)
    from optimizer.replan.history import History

REFUSED = "refused"
RECOURSE = "yes"
EXIT_FAILED, EXIT_REFUSED = 1, 2  # as optimizer/cli.py


@dataclass
class Options:
    """How to re-plan: where results go, which previous plan, how many of its periods are frozen."""

    outputs_dir: Path = Path("outputs")
    output_path: Path | None = None
    freeze: int = 0
    previous_plan: Path | None = None  # a plan workbook; default: the history's previous plan of the input
    explain: bool | None = None
    command: str = "run"
    overwrite: bool = False  # --output may name an existing file (the history row of the plan there says so)
    save_lp: Path | None = None  # --save-lp: the built model also written there as an LP file


@dataclass
class Outcome:
    """One run's outcome, recorded or not."""

    exit_code: int
    result: RunResult | None = None
    refusal: InputRefused | None = None
    error: str | None = None
    run_id: int | None = None
    previous: PlanView | None = None
    seconds: float = 0.0

    @property
    def output(self) -> Path | None:
        """The plan workbook written, or None when no plan was written."""
        return self.result.output if self.result else None


@dataclass
class Replan:
    """What a re-plan adds to ``pipeline.run``: frozen orders, the start, the change cost, the Changes sheet."""

    previous: PlanView | None
    freeze: int = 0
    frozen: set[Slot] = field(default_factory=set)
    previous_quantities: dict[Slot, float] | None = None
    scenario_frozen: dict[str, set[Slot]] = field(default_factory=dict)  # with recourse: each scenario's own
    previous_by_scenario: dict[str, dict[Slot, float]] | None = None  # with recourse: the orders held in each

    def prepare(self, data: PlanningData) -> tuple[PlanningData, list[Problem]]:
        """Freeze the previous plan's first periods; raises InputRefused when a frozen order no longer fits.

        With Settings.recourse yes the previous plan is compared in each scenario (its orders there: the
        shared ones and the scenario's own; a previous plan without recourse: all of them); without, a
        previous plan with recourse is compared through its orders in base."""
        if self.previous is None:
            return data, []
        start, unit = data.settings.start_date, data.settings.period_unit
        if with_recourse(data):
            self.previous_by_scenario = {k.name: changes.aligned_quantities(self.previous, start, unit, k.name)
                                         for k in data.all_scenarios}
        self.previous_quantities = changes.aligned_quantities(
            self.previous, start, unit, BASE if self.previous.scenario_orders else None)
        if self.freeze <= 0:
            return data, []
        frozen = freeze_orders(data, self.previous, self.freeze)
        errors = [p for p in frozen.problems if p.severity == "error"]
        if errors:
            raise InputRefused(frozen.problems)
        self.frozen = frozen.slots
        self.scenario_frozen = frozen.scenario_slots
        return frozen.data, frozen.problems

    def previous_orders(self) -> dict | None:
        """The previous plan's quantities in this plan's periods (None without a previous plan): by slot, or,
        for a plan with recourse, scenario -> the orders that held in it."""
        if self.previous_by_scenario is not None:
            return self.previous_by_scenario
        return self.previous_quantities

    def changes(self, plan: Plan, data: PlanningData) -> PlanChanges:
        """The Changes sheet against the previous plan, and the change cost the plan pays."""
        if self.previous is None:
            frame = changes.no_previous("no previous plan of this input: nothing to compare")
            return PlanChanges(frame, None, None, {})
        after = changes.from_plan(plan, data)
        if with_recourse(data):  # the expected change cost, each scenario against its previous orders
            cost = recourse_change_cost(data, {k.name: after.quantities(k.name) for k in data.all_scenarios},
                                        self.previous_by_scenario)
            unpenalised, held_note = self._unpenalised_with_recourse(data, plan)
        else:
            cost = change_cost(data, plan.order_quantities(), self.previous_quantities)
            unpenalised, held_note = self._unpenalised(data, plan)
        after.costs["change_cost"] = cost
        frame = changes.compare(self.previous, after, data.settings.currency, self.frozen, unpenalised,
                                changes.FundingUse.of_plan(data, plan), held_note, self.scenario_frozen)
        return PlanChanges(frame, self.previous.label, cost, changes.summary_counts(frame))

    @staticmethod
    def _unpenalised_with_recourse(data: PlanningData, plan: Plan) -> tuple[dict[str, dict[Slot, float]] | None, str]:
        """With recourse: scenario -> the orders of the plan without the change penalty that hold in it (the
        model with recourse solved again without it, in the seconds left of analysis_time_s), and why they
        are missing when they are (for the Changes sheet's held rows, compared in each scenario)."""
        if data.settings.change_penalty <= 0:
            return None, ""
        budget = analysis_budget(data, plan)
        if budget.exhausted():
            return None, no_time_left(budget)
        unpenalised = recourse_plan_without_change_cost(data, budget)
        missing = "no plan without the change penalty was found in the seconds left of analysis_time_s"
        return unpenalised, "" if unpenalised is not None else missing

    @staticmethod
    def _unpenalised(data: PlanningData, plan: Plan) -> tuple[dict[Slot, float] | None, str]:
        """The orders of the plan without the change penalty (in the seconds left of analysis_time_s), and
        why they are missing when they are (for the Changes sheet's held rows)."""
        if data.settings.change_penalty <= 0:
            return None, ""
        budget = analysis_budget(data, plan)
        if budget.exhausted():
            return None, no_time_left(budget)
        unpenalised = plan_without_change_cost(data, plan, budget)
        missing = "no plan without the change penalty was found in the seconds left of analysis_time_s"
        return unpenalised, "" if unpenalised is not None else missing


def with_recourse(data: PlanningData) -> bool:
    """Whether the plan's orders may differ by scenario (Settings.recourse yes)."""
    return data.settings.recourse == RECOURSE


def plan_input(input_path: Path, options: Options, history: History | None = None,
               progress: Progress = quiet) -> Outcome:
    """Plan ``input_path`` against its previous plan and record the run; never raises for a bad input."""
    started_at, started = now_utc(), time.perf_counter()
    try:
        previous = _previous(input_path, options, history, progress)
    except NotAPlan as refusal:  # --previous names a file that is not a plan: an input error
        return Outcome(EXIT_REFUSED, refusal=InputRefused([Problem("error", str(refusal),
                                                                   file=str(options.previous_plan))]))
    replan = Replan(previous, options.freeze)
    if previous is not None:
        progress(f"previous  {previous.label}" + (f" (freezing its first {options.freeze} period(s))"
                                                  if options.freeze else ""))
    try:
        result = run(input_path, options.output_path, options.outputs_dir, progress, options.explain, replan=replan,
                     overwrite=options.overwrite, save_lp=options.save_lp)
        outcome = Outcome(result.exit_code, result, previous=previous)
    except InputRefused as refusal:
        outcome = Outcome(EXIT_REFUSED, refusal=refusal, previous=previous)
    except CannotWrite as exc:
        outcome = Outcome(EXIT_FAILED, error=str(exc), previous=previous)
    except Exception as exc:  # the last line of defence: a message, never a traceback
        outcome = Outcome(EXIT_FAILED, error=f"{type(exc).__name__}: {exc}", previous=previous)
        progress(traceback.format_exc(limit=3))
    outcome.seconds = time.perf_counter() - started
    if outcome.refusal is not None and options.command == "run":
        return outcome  # the contract: a refused `optimize run` changes no file (watch and schedule record it)
    if history is not None:  # a history that fails never costs the plan: a warning, the run not recorded
        _record_run(history, input_path, outcome, options, replan, started_at, progress)
    return outcome


def _record_run(history: History, input_path: Path, outcome: Outcome, options: Options, replan: Replan,
                started_at: str, progress: Progress) -> None:
    try:
        record = run_record(input_path, outcome, options, replan, started_at)
    except Exception as exc:  # an outcome the record cannot describe: the plan stands all the same
        progress(f"warning: the run could not be recorded in the history: {type(exc).__name__}: {exc}")
        return
    outcome.run_id = history.safely(lambda: history.record(record), None, progress)
    if outcome.run_id is not None and options.overwrite and outcome.output is not None:
        history.safely(lambda: history.note_replaced(outcome.output, outcome.run_id), 0, progress)


def _previous(input_path: Path, options: Options, history: History | None, progress: Progress) -> PlanView | None:
    if options.previous_plan is not None:
        view = changes.read_plan(options.previous_plan)
        record = history and history.safely(lambda: history.plan_at(options.previous_plan), None, progress)
        return changes.with_input_of(view, record) if record else view
    if history is None:
        return None
    record = history.safely(lambda: history.previous_plan(input_path), None, progress)
    return changes.from_record(record) if record else None


def run_record(input_path: Path, outcome: Outcome, options: Options, replan: Replan, started_at: str) -> RunRecord:
    """The history row of one run."""
    path, name = input_key(input_path)
    record = RunRecord(started_at=started_at, finished_at=now_utc(), command=options.command, input_path=path,
                       input_name=name, status=_status(outcome), exit_code=outcome.exit_code,
                       previous_run_id=outcome.previous.run_id if outcome.previous else None,
                       frozen_orders=len(replan.frozen) + sum(len(own - replan.frozen)
                                                              for own in replan.scenario_frozen.values()),
                       message=_message(outcome))
    result = outcome.result
    if result is None:
        record.input_sha256 = content_hash(input_path)  # so an unchanged refused input is not re-run
        return record
    data, plan = result.data, result.plan
    record.input_sha256 = data.input_sha256
    record.input_files = [{"path": f.path, "sha256": f.sha256} for f in data.input_files]
    record.settings = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                       for k, v in dataclasses.asdict(data.settings).items()}
    record.objective = plan.objective
    record.costs = dict(plan.costs)
    if plan.changes is not None and plan.changes.change_cost is not None:
        record.costs["change_cost"] = plan.changes.change_cost
    record.output_path = str(result.output.resolve()) if result.output else None
    record.timings = {k: round(v, 4) for k, v in result.timings.items()}
    record.orders = changes.orders_as_records(plan)
    if with_recourse(data):  # every scenario, so a later comparison knows those without orders of their own
        record.settings["scenarios"] = [k.name for k in data.all_scenarios]
    record.prices = changes.prices_as_records(data)
    record.settings["sale_prices"] = changes.sale_prices_as_records(data)  # so a sale added can say why
    return record


def _status(outcome: Outcome) -> str:
    if outcome.refusal is not None:
        return REFUSED
    if outcome.result is None:
        return ERROR
    return outcome.result.plan.status


def _message(outcome: Outcome) -> str:
    if outcome.refusal is not None:
        errors = [str(p) for p in outcome.refusal.problems if p.severity == "error"]
        return f"input refused: {len(errors)} error(s): " + "; ".join(errors[:3])
    if outcome.error:
        return outcome.error
    plan = outcome.result.plan
    if plan.status == INFEASIBLE:
        return "; ".join(plan.conflicts[:3])
    return plan.solve.message
