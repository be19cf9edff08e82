"""The pipeline, one stage at a time: read -> validate -> build -> solve -> report.

Build -> solve -> read back is optimizer/solving/session.py's; the stage timer is optimizer/stages.py.

Each stage is timed; progress goes to a callback (the CLI prints it to
standard error). The functions here are what the CLI, the tests and later
commands (watch, sweep) call: no logic lives in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from optimizer.analysis.analyse import analyse
from optimizer.analysis.uncertainty import scenario_values
from optimizer.checker import check_result_workbook
from optimizer.contract.data import PlanningData
from optimizer.files import CannotWrite, check_writable, release_name, reserve_name
from optimizer.solving.bounds import order_bound_warnings
from optimizer.contract.results import ERROR, INFEASIBLE, Plan
from optimizer.contract.problems import InputRefused, Problem, Problems
from optimizer.intake.reader import read_input
from optimizer.reporting.workbook import write_result_workbook
from optimizer.solving.session import plan_from_data
from optimizer.solving.size import too_large
from optimizer.intake.validate import validate
from optimizer.stages import Progress, Stages, quiet

OVER_AN_INPUT = "the output would overwrite an input; expected another --output"


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


def load(input_path: Path, progress: Progress = quiet,
         stages: Stages | None = None) -> tuple[PlanningData, list[Problem]]:
    """Read and validate INPUT; raises InputRefused with every problem when it breaks the contract,
    or when its model could not fit in this machine's memory (optimizer/solving/size.py, before building)."""
    stages = stages or Stages(progress)
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


def run(input_path: Path, output_path: Path | None = None, outputs_dir: Path = Path("outputs"),
        progress: Progress = quiet, explain: bool | None = None, replan=None, overwrite: bool = False,
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
    stages = Stages(progress)
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


def _plan_and_write(data: PlanningData, warnings: list[Problem], output: Path, stages: Stages,
                    explain: bool | None, replan, save_lp: Path | None = None) -> RunResult:
    for written in filter(None, (output, save_lp)):
        _refuse_overwriting_input(written, data)
    check_writable(output)  # an unwritable folder fails now (CannotWrite), not after a long solve
    plan = plan_from_data(data, stages, replan.previous_orders() if replan is not None else None,
                          save_lp=save_lp)
    written = None
    if plan.status not in (INFEASIBLE, ERROR):
        with stages.stage("analyse"):
            plan = replace(plan, analysis=analyse(data, plan, explain, progress=stages.progress))
            plan = replace(plan, scenario_values=scenario_values(data, plan))  # WS and EVPI (Scenario costs)
        if replan is not None:
            with stages.stage("changes"):
                plan = replace(plan, changes=replan.changes(plan, data))
        with stages.stage("write"):
            try:
                write_result_workbook(output, plan, data, warnings, stages.timings,
                                      verify=lambda written: _verify(written, data, replan))
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


def _verify(written: Path, data: PlanningData, replan=None) -> None:
    """Every plan is checked against the input by the independent checker before it is published (a re-plan
    with recourse: its change cost against the previous plan's orders in each scenario too)."""
    previous = replan.previous_by_scenario if replan is not None else None
    violations = check_result_workbook(written, data, previous=previous)
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
