"""The pipeline, one stage at a time: read -> validate -> build -> solve -> report.

Each stage is timed; progress goes to a callback (the CLI prints it to
standard error). The functions here are what the CLI, the tests and later
commands (watch, sweep) call: no logic lives in the CLI.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from models import build_model
from models.blocks import mineral_of
from models.results import describe_conflicts, extract_plan, model_size
from models.start import commitments_only_start, replan_start
from optimizer.analysis.analyse import analyse
from optimizer.solving.budget import TimeBudget
from optimizer.checker import check_result_workbook
from optimizer.contract.data import PlanningData
from optimizer.files import CannotWrite, check_writable, release_name, reserve_name
from optimizer.solving.bounds import order_bound_warnings
from optimizer.contract.results import ERROR, INFEASIBLE, Plan
from optimizer.contract.problems import InputRefused, Problem, Problems
from optimizer.intake.reader import read_input
from optimizer.reporting.workbook import write_result_workbook
from optimizer.solving.size import too_large
from optimizer.solving.highs import solve_model, write_lp
from optimizer.solving.stability import stabilise
from optimizer.intake.validate import validate

Progress = Callable[[str], None]
OVER_AN_INPUT = "the output would overwrite an input; expected another --output"


def _quiet(message: str) -> None:
    pass


@dataclass
class RunResult:
    plan: Plan
    data: PlanningData
    output: Path | None
    warnings: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds

    @property
    def exit_code(self) -> int:
        """0 a plan was written, 3 no plan exists, 1 anything else (2 is raised as InputRefused)."""
        if self.output is not None:
            return 0
        return 3 if self.plan.status == INFEASIBLE else 1


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped the run; ``stage`` is the stage it stopped."""

    def __init__(self, stage: str):
        super().__init__(stage)
        self.stage = stage


class _Stages:
    def __init__(self, progress: Progress):
        self.progress = progress
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except KeyboardInterrupt as interrupt:
            raise interrupt if isinstance(interrupt, Interrupted) else Interrupted(name) from None
        self.timings[name] = time.perf_counter() - started
        self.progress(f"{name:<9} {self.timings[name]:8.2f} s")


def load(input_path: Path, progress: Progress = _quiet,
         stages: _Stages | None = None) -> tuple[PlanningData, list[Problem]]:
    """Read and validate INPUT; raises InputRefused with every problem when it breaks the contract,
    or when its model could not fit in this machine's memory (optimizer/solving/size.py, before building)."""
    stages = stages or _Stages(progress)
    with stages.stage("read"):
        raw, read_problems = read_input(input_path)
    with stages.stage("validate"):
        # Validate even after reading problems, so every problem is reported in one go
        # (unless no sheet could be read at all: then "sheet missing" would only add noise).
        data, problems = validate(raw) if raw.sheets else (None, Problems())
        problems.items[:0] = read_problems.items
        if data is not None and (size_error := too_large(data, input_path)) is not None:
            problems.items.append(size_error)
    if data is None or problems.errors:
        raise InputRefused(problems.items)
    return data, problems.warnings


def default_output_path(input_path: Path, outputs_dir: Path, now: datetime | None = None,
                        kind: str = "plan") -> Path:
    """outputs/<input name>_<kind>_<run time>.xlsx: one new file per run, never over another."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    stem = input_path.stem if input_path.is_file() else input_path.resolve().name
    candidate = outputs_dir / f"{stem}_{kind}_{stamp}.xlsx"
    counter = 1
    while candidate.exists() or not reserve_name(candidate):  # claimed atomically: see files.reserve_name
        counter += 1
        candidate = outputs_dir / f"{stem}_{kind}_{stamp}_{counter}.xlsx"
    return candidate


def plan_from_data(data: PlanningData, stages: _Stages, previous_orders: dict | None = None,
                   save_lp: Path | None = None) -> Plan:
    """Build, solve and read back the plan; an infeasible model is analysed for its conflicts.

    ``previous_orders`` (a re-plan, optimizer/replan/replan.py): the previous plan's orders start
    the solver (large models: models/start.py replan_start), with Settings
    change_penalty > 0 each unit of change against them costs, and the stability
    pass (optimizer/solving/stability.py) moves the plan as close to them as the gap allows.
    ``save_lp``: the built model is also written there as an LP file (``--save-lp``).
    """
    settings = data.settings
    with stages.stage("build"):
        model = build_model(data, previous_orders=previous_orders)
        if previous_orders is None:
            start = commitments_only_start(model, data)  # a plan in hand even if the time limit hits
        else:
            start = replan_start(model, data, previous_orders)  # the previous plan, on large models
        if save_lp is not None:
            write_lp(model, save_lp)
    with stages.stage("solve"):
        result = solve_model(model, settings.mip_gap, settings.time_limit_s, start=start, blocks=mineral_of)
    if result.status == INFEASIBLE:
        with stages.stage("diagnose"):
            plan = Plan.empty(INFEASIBLE, result, _conflicts(data, settings))
        plan = replace(plan, model_size=model_size(model))
        return plan
    if result.status == ERROR:
        return Plan.empty(ERROR, result)
    plan = extract_plan(model, data, result)
    budget = TimeBudget(settings.analysis_seconds)  # what is solved after the plan draws on it
    with stages.stage("stability"):
        plan = stabilise(model, data, plan, result, previous_orders, budget)
    plan = replace(plan, analysis_budget=budget)
    return plan


def _conflicts(data: PlanningData, settings) -> list[str]:
    elastic = build_model(data, elastic=True)
    result = solve_model(elastic, 0.0, settings.time_limit_s)
    if result.objective is None:
        return ["the limits that conflict could not be identified: " + result.message]
    return describe_conflicts(elastic, data) or ["the commitments cannot all be met"]


def run(input_path: Path, output_path: Path | None = None, outputs_dir: Path = Path("outputs"),
        progress: Progress = _quiet, explain: bool | None = None, replan=None, overwrite: bool = False,
        save_lp: Path | None = None) -> RunResult:
    """The main job: plan purchases for INPUT and write the result workbook (atomically).

    ``explain``: measure why shortfalls remain (re-solves); None decides by their number.
    ``replan`` (optimizer/replan/replan.py ``Replan``): plan against a previous plan: frozen
    orders, a warm start, the change cost and the Changes sheet.
    ``overwrite``: ``output_path`` and ``save_lp`` may name an existing file (else InputRefused, before any work).
    ``save_lp``: also write the built model there as an LP file; never over an input.
    """
    for given in (output_path, save_lp):
        if given is not None and not overwrite:
            refuse_existing_output(given, input_path)
    stages = _Stages(progress)
    data, warnings = load(input_path, progress, stages)
    if replan is not None:
        data, frozen = replan.prepare(data)  # the previous plan's first periods become commitments
        warnings = warnings + frozen
    warnings = warnings + order_bound_warnings(data)  # big-M values the solver's tolerances cannot honour
    output = output_path or default_output_path(input_path, outputs_dir)
    try:
        return _plan_and_write(data, warnings, output, stages, explain, replan, save_lp)
    finally:
        if output_path is None and not output.exists():
            release_name(output)  # the name claimed by default_output_path is free again


def _plan_and_write(data: PlanningData, warnings: list[Problem], output: Path, stages: _Stages,
                    explain: bool | None, replan, save_lp: Path | None = None) -> RunResult:
    for written in filter(None, (output, save_lp)):
        _refuse_overwriting_input(written, data)
    check_writable(output)  # an unwritable folder fails now (CannotWrite), not after a long solve
    plan = plan_from_data(data, stages, replan.previous_orders() if replan is not None else None, save_lp)
    written = None
    if plan.status not in (INFEASIBLE, ERROR):
        with stages.stage("analyse"):
            plan = replace(plan, analysis=analyse(data, plan, explain))
        if replan is not None:
            with stages.stage("changes"):
                plan = replace(plan, changes=replan.changes(plan, data))
        with stages.stage("write"):
            try:
                write_result_workbook(output, plan, data, warnings, stages.timings,
                                      verify=lambda written: _verify(written, data))
                written = output
            except CannotWrite as failure:  # a full disk, a folder made read-only meanwhile
                plan = replace(plan, status=ERROR, solve=replace(plan.solve, message=f"the plan could not be written: {failure}"))
            except PlanCheckFailed as failure:
                plan = replace(plan, status=ERROR, solve=replace(plan.solve, message="the plan failed the independent check, "
                               "so it was not written: " + "; ".join(failure.violations[:5])))
    return RunResult(plan, data, written, warnings, stages.timings)


class PlanCheckFailed(Exception):
    def __init__(self, violations: list[str]):
        super().__init__("; ".join(violations))
        self.violations = violations


def _verify(written: Path, data: PlanningData) -> None:
    """Every plan is checked against the input by the independent checker before it is published."""
    violations = check_result_workbook(written, data)
    if violations:
        raise PlanCheckFailed(violations)


def refuse_existing_output(output: Path, input_path: Path) -> None:
    """A run never writes over another file unless asked to (--overwrite), and never over its input."""
    if not (output.exists() or output.is_symlink()):
        return
    resolved, given = output.resolve(), Path(input_path).resolve()
    if given in (resolved, resolved.parent):
        message = OVER_AN_INPUT
    else:
        message = ("the file exists and a run never writes over another file; expected a new --output, "
                   "or --overwrite to replace it")
    raise InputRefused([Problem("error", message, file=str(output))])


def _refuse_overwriting_input(output: Path, data: PlanningData) -> None:
    resolved = output.resolve()
    for input_file in data.input_files:
        if Path(input_file.path).resolve() == resolved:
            raise InputRefused([Problem("error", OVER_AN_INPUT, file=str(output))])
