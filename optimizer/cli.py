"""The ``optimize`` command line: thin wrappers around ``optimizer.pipeline``.

Exit status: 0 a plan was written, 2 the input was refused (nothing written),
3 no plan exists (infeasible, with the reason), 1 anything else.
"""

from __future__ import annotations

import gc

# The imports below make about 90,000 objects (modules, classes, functions) that live as long as the process. Left
# on, the collector scanned them again and again while they were being made, and every full collection of a run
# scanned them once more (docs/performance.md, "the collector, the write's texts"): it is off while they are made, on again after
# them, and the process's own command line sets them apart for good (``gc.freeze``, _Commands.main), so that a
# run's collections scan only what the run makes. Its garbage is collected as before.
_COLLECTING = gc.isenabled()
gc.disable()

import atexit
import dataclasses

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from optimizer import __version__
from optimizer.intake.generate import SIZES, Size
from optimizer.pipeline import RunResult, load
from optimizer.contract.results import INFEASIBLE
from optimizer.files import CannotWrite
from optimizer.contract.problems import InputRefused, Problem
from optimizer.contract.words import plural
from optimizer.reporting.workbook import summary_frame
from optimizer.reporting.terminal import summary_lines
from optimizer.replan import changes as plan_changes
from optimizer.replan.records import HistoryUnavailable, as_json as history_json, as_table as history_table, default_url
from optimizer.replan.replan import Options, Outcome, plan_input
from optimizer.execution import CannotConnect, Workers, default_workers, cluster_threads
from optimizer.solving.workers import blocks_on_cluster
from optimizer.pipeline import default_output_path
from optimizer.files import check_writable
from optimizer.studies.stress import INDEPENDENT, MODES, WORST_SAMPLES

# Made without the collector, they would all be scanned by its first run once it is back on: moved to its oldest
# generation first, unscanned (freeze, then unfreeze: neither scans), where they sit as collections had left them.
gc.freeze()
gc.unfreeze()
if _COLLECTING:
    gc.enable()

# What only another command needs is imported by that command, so that `optimize run` starts without it: the
# template, the studies' solving and workbooks, the schedule (APScheduler) and the watch; the history's
# database (SQLAlchemy) only where a history is opened (docs/performance.md, "Start-up").
if TYPE_CHECKING:  # SQLAlchemy only where a history is opened (optimizer/replan/records.py)
    from optimizer.replan.history import History

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_INFEASIBLE = 0, 1, 2, 3


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _report_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _refused(refusal: InputRefused) -> None:
    _report_problems(refusal.problems)
    errors = sum(1 for p in refusal.problems if p.severity == "error")
    click.echo(f"input refused: {plural(errors, 'error')}; nothing was written", err=True)
    sys.exit(EXIT_REFUSED)


def _interrupted(interrupt: KeyboardInterrupt) -> None:
    """Ctrl-C: one line saying so (and in which stage); exit 1, the contract's "anything else"."""
    stage = getattr(interrupt, "stage", None)
    click.echo(f"interrupted (Ctrl-C){f' during {stage}' if stage else ''}: no plan was written and no file "
               "was changed", err=True)
    sys.exit(EXIT_FAILED)


class _Commands(click.Group):
    """The command group; as the process's own command line (no ``args`` given: the ``optimize`` script,
    ``python -m optimizer.cli``), what the imports made is set apart from the collector (``gc.freeze``: see the
    imports) and a finished ``run`` leaves without tearing down the interpreter.

    Python's teardown after a run frees every module and object one by one (Pyomo, pandas, numpy, the
    models): 0.3-0.7 s of wall after the plan is written, nothing of which the run needs
    (docs/performance.md, "Start-up and exit"). So after ``run`` the exit handlers run, the output is
    flushed, and the process ends there (``_leave``). Anything else (a test's ``CliRunner`` passes ``args``,
    the other commands, a run on a Dask cluster) exits as usual."""

    def main(self, args=None, **extra):
        if args is not None:
            return super().main(args, **extra)
        gc.freeze()  # what the imports made is never garbage: out of every collection's scan (see the imports)
        try:
            return super().main(args, **extra)
        except SystemExit as leaving:
            if _QUICK_EXIT:
                _leave(leaving.code)
            raise
        finally:
            gc.unfreeze()  # an exit as usual: the teardown finalises what the imports made, as before


_QUICK_EXIT: list[bool] = []  # set by a finished ``run`` that may end its process at once (_Commands)


def _leave(code) -> None:
    """End the process with exit status ``code`` (SystemExit's: None 0, a text printed and 1), after the
    exit handlers (atexit: temporary files, logging) and the flush of the output, without the teardown."""
    if code is not None and not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    atexit._run_exitfuncs()  # what the interpreter's own exit would run first
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
            pass
    os._exit(code or 0)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="optimize")
def main() -> None:
    """Plan critical-mineral purchases from planning workbooks."""


def _history_options(command):
    """--db and --no-history: where runs are recorded (and previous plans found)."""
    command = click.option("--no-history", is_flag=True,
                           help="Neither record this run nor compare with the previous plan in the history.")(command)
    return click.option("--db", metavar="URL", help="Run history: a SQLAlchemy URL (postgresql+psycopg://...) or "
                        "a SQLite file (default: <outputs-dir>/history.sqlite).")(command)


def _freeze_option(command):
    return click.option("--freeze", type=click.IntRange(0), default=0, show_default=True, metavar="N",
                        help="Keep the previous plan's orders in its first N periods, as commitments.")(command)


def _open_history(db: str | None, outputs_dir: Path, no_history: bool, required: bool = False) -> History | None:
    """The run history, or None (--no-history, or it cannot be opened: then a warning, unless required)."""
    if no_history:
        return None
    from optimizer.replan.history import History  # SQLAlchemy, only when a history is opened

    try:
        return History(db or default_url(outputs_dir))
    except Exception as exc:
        click.echo(f"{'error' if required else 'warning'}: the run history cannot be opened "
                   f"({type(exc).__name__}: {exc}){'' if required else '; runs are not recorded'}", err=True)
        if required:
            sys.exit(EXIT_FAILED)
        return None


@main.command("run")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--output", "output_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Result workbook to write (default: outputs/<input>_plan_<time>.xlsx).")
@click.option("--outputs-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Folder for results when --output is not given.")
@click.option("--json", "as_json", is_flag=True, help="Print the Summary as one JSON object on standard output.")
@click.option("--explain/--no-explain", default=None,
              help="Measure why shortfalls remain by re-solving with each limit lifted "
                   "(default: when the re-solves are few).")
@_freeze_option
@click.option("--overwrite", is_flag=True,
              help="Let --output replace an existing file (its history row then says it was replaced).")
@click.option("--save-lp", "save_lp", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the built model to this file as an LP file (for a reviewer or another solver).")
@click.option("--previous", "previous_plan", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The previous plan to compare with and freeze from (default: the history's last plan of INPUT).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Solve the block start's per-mineral MIPs (large models) on the Dask distributed cluster whose "
                   "scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786); needs pip install -e \".[dask]\".")
@_history_options
def run_command(input_path: Path, output_path: Path | None, outputs_dir: Path, as_json: bool,
                explain: bool | None, overwrite: bool, save_lp: Path | None, freeze: int, previous_plan: Path | None,
                scheduler: str | None, db: str | None, no_history: bool) -> None:
    """Validate INPUT (a workbook or a folder of them), solve, and write the plan."""
    if scheduler is not None:
        _refuse_unreachable(scheduler)
    history = _open_history(db, outputs_dir, no_history)
    options = Options(outputs_dir, output_path, freeze, previous_plan, explain, "run", overwrite, save_lp)
    try:
        with blocks_on_cluster(scheduler):
            outcome = plan_input(input_path, options, history, progress=_progress)
    except KeyboardInterrupt as interrupt:
        _interrupted(interrupt)
    if outcome.refusal is not None:
        _refused(outcome.refusal)
    if outcome.error is not None:  # an unwritable folder (nothing solved or written), or anything else
        click.echo(f"error: {outcome.error}", err=True)
        sys.exit(EXIT_FAILED)
    result = outcome.result
    _report_problems(result.warnings)
    _print_outcome(result)
    _print_changes(result)
    if as_json:
        summary = summary_frame(result.plan, result.data, result.timings)
        click.echo(json.dumps(dict(zip(summary["key"], summary["value"])), default=str))
    if history is not None:  # its last connection closed checkpoints SQLite's WAL into the file before the exit
        history.dispose()
    if scheduler is None:
        _QUICK_EXIT.append(True)
    sys.exit(result.exit_code)


def _refuse_unreachable(scheduler: str) -> None:
    """A --scheduler that cannot be reached is refused like a bad input (exit 2), before any work."""
    try:
        threads = cluster_threads(scheduler)
    except CannotConnect as exc:
        click.echo(f"error: {exc}; nothing was written", err=True)
        sys.exit(EXIT_REFUSED)
    _progress(f"cluster   block MIPs on the Dask cluster at {scheduler} ({plural(threads, 'worker thread')} now)")


def _print_outcome(result: RunResult) -> None:
    plan = result.plan
    if plan.status == INFEASIBLE:
        click.echo("infeasible: no plan meets every hard limit. What conflicts:", err=True)
        for conflict in plan.conflicts:
            click.echo(f"  - {conflict}", err=True)
        return
    if result.output is None:
        click.echo(f"{plan.status}: {plan.solve.message}", err=True)
        return
    click.echo("", err=True)
    for line in summary_lines(plan, result.data):
        click.echo(line, err=True)
    click.echo(f"\nplan written to {result.output}", err=True)


@contextmanager
def _guarded() -> Iterator[None]:
    """Turn every failure into its exit status and a message: refused 2, anything else 1, never a traceback."""
    try:
        yield
    except InputRefused as refusal:
        _refused(refusal)
    except KeyboardInterrupt as interrupt:
        _interrupted(interrupt)
    except (CannotWrite, CannotConnect) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except Exception as exc:  # the last line of defence: a message, never a traceback
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_FAILED)


@main.command("validate")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
def validate_command(input_path: Path) -> None:
    """Check INPUT against the workbook contract without solving."""
    with _guarded():
        data, warnings = load(input_path, progress=_progress)
    _report_problems(warnings)
    counts = ((len(data.minerals), "mineral"), (len(data.suppliers), "supplier"), (len(data.offers), "offer"),
              (len(data.contracts), "contract"), (len(data.funding), "funding source"),
              (len(data.scenarios), "scenario"), (data.settings.num_periods, "period"))
    click.echo("valid: " + ", ".join(plural(count, noun) for count, noun in counts if count or noun != "contract"),
               err=True)
    sys.exit(EXIT_OK)


@main.command("generate")
@click.argument("output_path", metavar="OUTPUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--size", type=click.Choice(sorted(SIZES)), help="A benchmark size (S, M, L, XL, XXL).")
@click.option("--minerals", type=click.IntRange(1), default=10, show_default=True)
@click.option("--suppliers", type=click.IntRange(1), default=5, show_default=True)
@click.option("--periods", type=click.IntRange(1), default=12, show_default=True)
@click.option("--scenarios", type=click.IntRange(0), default=0, show_default=True)
@click.option("--conversions", type=click.IntRange(0), default=0, show_default=True,
              help="Conversions rows (each from one mineral to the next).")
@click.option("--emergencies", type=click.IntRange(0), default=0, show_default=True,
              help="Emergency scenarios, each with a ScenarioDemand surge of two minerals.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--projects", type=click.IntRange(0), default=0, show_default=True,
              help="Add this many capacity projects (build versus buy), each a new plant.")
@click.option("--contracts", type=click.IntRange(0), default=0, show_default=True,
              help="Add this many offtake contracts (the Contracts sheet).")
@click.option("--sales", type=click.IntRange(0), default=0, show_default=True, help="Rows of the Sales sheet.")
@click.option("--decaying", type=click.IntRange(0), default=0, show_default=True,
              help="Minerals given a loss_rate (decay).")
def generate_command(output_path: Path, size: str | None, minerals: int, suppliers: int, periods: int,
                     scenarios: int, seed: int, projects: int, contracts: int, conversions: int,
                     emergencies: int, sales: int, decaying: int) -> None:
    """Write a synthetic planning workbook that uses every sheet of the contract."""
    from optimizer.intake.generate import write_generated_workbook

    chosen = SIZES[size] if size else Size(minerals, suppliers, periods, scenarios)
    chosen = replace(chosen, projects=projects, conversions=conversions, emergencies=emergencies, sales=sales,
                     decaying=decaying)
    write_generated_workbook(output_path, chosen, seed, contracts)
    click.echo(f"wrote {output_path}: {chosen.describe()}" + (f", {contracts} contracts" if contracts else "")
               + f", seed {seed}", err=True)


@main.command("template")
@click.argument("output_path", metavar="[PATH]", required=False, default="planning_template.xlsx",
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--examples/--blank", default=True, show_default=True,
              help="Fill in a few example rows of a small plan, or leave every sheet blank.")
def template_command(output_path: Path, examples: bool) -> None:
    """Write an input workbook to fill in: every sheet and column, notes, validation, examples."""
    from optimizer.intake.template import write_template

    if output_path.exists():
        click.echo(f"error: {output_path} exists; expected a new file name", err=True)
        sys.exit(EXIT_FAILED)
    write_template(output_path, examples)
    click.echo(f"wrote {output_path}: every sheet of the contract" + (" with example rows" if examples else ""),
               err=True)


# --- what-if sweeps and stress tests (optimizer/studies/sweep.py, optimizer/studies/stress.py, optimizer/execution.py) ---

def _where_options(command):
    """--workers and --scheduler: local worker processes, or a Dask distributed cluster."""
    command = click.option("--scheduler", metavar="ADDRESS",
                           help="Run the tasks on the Dask distributed cluster whose scheduler is at ADDRESS "
                                "(e.g. tcp://10.0.0.5:8786); needs pip install -e \".[dask]\".")(command)
    return click.option("--workers", type=click.IntRange(0), default=default_workers(), show_default=True,
                        help="Local worker processes (0: run in this process).")(command)


def _output_options(command):
    command = click.option("--outputs-dir", type=click.Path(path_type=Path, file_okay=False),
                           default=Path("outputs"), show_default=True,
                           help="Folder for the workbook when --output is not given.")(command)
    return click.option("--output", "output_path", type=click.Path(path_type=Path, dir_okay=False),
                        help="Workbook to write (default: in --outputs-dir, named after the input and time).")(command)


def _study_output(output_path: Path | None, outputs_dir: Path, named_after: Path, kind: str,
                  *inputs: Path) -> Path:
    """Where the study's workbook goes; refused over an input, checked writable before solving."""
    from optimizer.reporting.studybook import refuse_overwriting

    output = output_path or default_output_path(named_after, outputs_dir, kind=kind)
    refuse_overwriting(output, *inputs)
    check_writable(output)
    return output


@main.command("sweep")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--funding", multiple=True, metavar='"SOURCE=FROM:TO:N"',
              help="Vary a funding source's amount (N values from FROM to TO, or a list a,b,c). Repeatable.")
@click.option("--risk-weight", metavar="FROM:TO:N", help="Vary Settings.risk_weight: the cost-risk frontier.")
@click.option("--country-share", multiple=True, metavar='"COUNTRY=FROM:TO:N"',
              help="Vary a country's max_share (0: none from it). Repeatable.")
@click.option("--price-shock", multiple=True, metavar='"MINERAL=FROM:TO:N"',
              help="Multiply every price of a mineral by a factor. Repeatable.")
@click.option("--capex", multiple=True, metavar='"PROJECT=FROM:TO:N"',
              help="Vary a project's capex: the break-even capex of building against buying. Repeatable.")
@click.option("--cvar-weight", metavar="FROM:TO:N",
              help="Vary Settings.cvar_weight: expected cost against the CVaR of the scenario cost.")
@click.option("--sale-price", multiple=True, metavar='"MINERAL=FROM:TO:N"',
              help="Vary the unit_price of a mineral's Sales rows. Repeatable.")
@click.option("--conversion-capacity", multiple=True, metavar='"CONVERSION=FROM:TO:N"',
              help="Vary a conversion's max_per_period (units of input a period). Repeatable.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Solver time limit per point in seconds (default: the workbook's time_limit_s).")
@_where_options
@_output_options
def sweep_command(input_path: Path, funding: tuple[str, ...], risk_weight: str | None,
                  country_share: tuple[str, ...], price_shock: tuple[str, ...], capex: tuple[str, ...],
                  cvar_weight: str | None, sale_price: tuple[str, ...], conversion_capacity: tuple[str, ...],
                  time_limit: float | None, workers: int, scheduler: str | None, output_path: Path | None,
                  outputs_dir: Path) -> None:
    """Solve INPUT over a grid of varied inputs; write the frontiers to one workbook.

    Several options combine as a grid: every combination of their values is solved.
    """
    from optimizer.studies.sweep import prepare_sweep, sweep, variations_from_options
    from optimizer.studies.sweep_report import write_sweep_workbook

    try:
        variations = variations_from_options(funding, risk_weight, country_share, price_shock, capex, cvar_weight,
                                             sale_price, conversion_capacity)
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None
    if not variations:
        raise click.UsageError("nothing to vary: give --funding, --risk-weight, --country-share, --price-shock, "
                               "--capex, --cvar-weight, --sale-price or --conversion-capacity")
    with _guarded():
        prepared = prepare_sweep(input_path, variations, time_limit, _progress)
        output = _study_output(output_path, outputs_dir, input_path, "sweep", input_path)
        result = sweep(prepared, Workers(workers, scheduler), _progress)
        write_sweep_workbook(output, result)
    _report_problems(result.warnings)
    click.echo(f"\n{plural(len(result.rows), 'point')}, {result.failed} failed, in {result.seconds:.1f} s "
               f"({result.solves_per_minute:.1f} solves per minute) on {result.workers.describe()}", err=True)
    click.echo(f"sweep written to {output}", err=True)
    sys.exit(EXIT_OK if result.failed < len(result.rows) else EXIT_FAILED)


@main.command("stress")
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--input", "input_path", required=True, type=click.Path(path_type=Path),
              help="The planning workbook (or folder) the plan was made from.")
@click.option("--samples", type=click.IntRange(1), default=1000, show_default=True,
              help="Sampled disruptions to simulate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sampling: same seed, same samples.")
@click.option("--sampling", type=click.Choice(MODES), default=INDEPENDENT, show_default=True,
              help="independent: each scenario occurs with its probability, several may coincide; "
                   "exclusive: each sample is one scenario (or base).")
@click.option("--worst", type=click.IntRange(1), default=WORST_SAMPLES, show_default=True,
              help="Samples listed on the Worst samples sheet.")
@_where_options
@_output_options
def stress_command(plan_path: Path, input_path: Path, samples: int, seed: int, sampling: str, worst: int,
                   workers: int, scheduler: str | None, output_path: Path | None, outputs_dir: Path) -> None:
    """Fix PLAN's orders and simulate its stock under sampled disruptions; write the stress workbook."""
    from optimizer.studies.stress import prepare_stress, stress_test
    from optimizer.studies.stress_report import against_plan, write_stress_workbook

    with _guarded():
        prepared = prepare_stress(plan_path, input_path, _progress)
        output = _study_output(output_path, outputs_dir, plan_path, "stress", plan_path, input_path)
        result = stress_test(prepared, samples, seed, sampling, Workers(workers, scheduler), _progress)
        write_stress_workbook(output, result, worst)
    _report_problems(result.warnings)
    penalty = result.penalty
    if penalty.size:
        click.echo(f"\nshortfall penalty over {penalty.size:,} samples: mean {penalty.mean():,.0f}, worst "
                   f"{penalty.max():,.0f} {result.data.settings.currency}", err=True)
        if result.plan_penalty_cost is not None:
            click.echo(f"the plan's penalty_cost: {result.plan_penalty_cost:,.0f} (mean against it: "
                       f"{against_plan(float(penalty.mean()), result.plan_penalty_cost)})", err=True)
    click.echo(f"stress test written to {output}", err=True)
    sys.exit(EXIT_OK if not result.failed_chunks else EXIT_FAILED)


# --- re-plans: watch, schedule, history, diff (optimizer/replan/replan.py, watch.py, schedule.py, history.py) ---

def _changes_text(plan) -> str:
    """"vs run 4: 2 added, 1 changed, 3 prices moved" (empty without a previous plan)."""
    changes = plan.changes
    if changes is None or changes.previous_label is None:
        return ""
    return f"vs {changes.previous_label}: {plan_changes.counts_text(changes.counts, orders=False) or 'no order changed'}"


def _print_changes(result: RunResult) -> None:
    text = _changes_text(result.plan) if result.output is not None else ""
    if text:
        click.echo(f"{text} (sheet Changes)", err=True)
        units = {name: mineral.unit for name, mineral in result.data.minerals.items()}
        for line in plan_changes.reason_lines(result.plan.changes.frame, units):
            click.echo(line, err=True)
        if result.plan.stability is not None:
            click.echo(f"stability pass {result.plan.stability.outcome}: {result.plan.stability.note}", err=True)


def _outcome_line(target: Path, outcome: Outcome) -> str:
    """One line per run of a watch or a schedule: what happened and where the plan went."""
    stamp = datetime.now().strftime("%H:%M:%S")
    run_id = f" (run {outcome.run_id})" if outcome.run_id else ""
    if outcome.refusal is not None:
        errors = [p for p in outcome.refusal.problems if p.severity == "error"]
        return (f"{stamp} {target.name}: input refused, {plural(len(errors), 'error')}{run_id}: "
                f"{errors[0] if errors else ''}")
    if outcome.error is not None:
        return f"{stamp} {target.name}: error{run_id}: {outcome.error}"
    plan = outcome.result.plan
    if outcome.output is None:
        reason = "; ".join(plan.conflicts[:2]) if plan.status == INFEASIBLE else plan.solve.message
        return f"{stamp} {target.name}: {plan.status}, no plan written{run_id}: {reason}"
    against = _changes_text(plan)
    against = f"; {against}" if against else ""
    return (f"{stamp} {target.name}: {plan.status}, objective {plan.objective:,.2f} "
            f"{outcome.result.data.settings.currency}{run_id}{against} -> {outcome.output}")


def _report_outcome(target: Path, outcome: Outcome) -> None:
    if outcome.refusal is not None:
        _report_problems(outcome.refusal.problems)
    click.echo(_outcome_line(target, outcome), err=True)


@main.command("watch")
@click.argument("folder", metavar="INPUT_DIR", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--each", is_flag=True, help="Plan every workbook of the folder on its own "
                                           "(default: the folder is one input, as in `optimize run FOLDER`).")
@click.option("--debounce", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Seconds a workbook's size and time must stay still before it is read.")
@click.option("--interval", type=click.FloatRange(0.05), default=1.0, show_default=True,
              help="Seconds between two looks at the folder.")
@click.option("--once", is_flag=True, help="Look once, plan what changed, and exit (for cron).")
@click.option("--outputs-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Folder for the plans.")
@_freeze_option
@_history_options
def watch_command(folder: Path, each: bool, debounce: float, interval: float, once: bool, outputs_dir: Path,
                  freeze: int, db: str | None, no_history: bool) -> None:
    """Re-plan whenever a workbook in INPUT_DIR is added or changed (Ctrl-C stops)."""
    from optimizer.replan.watch import Watch

    history = _open_history(db, outputs_dir, no_history)
    options = Options(outputs_dir, freeze=freeze, command="watch")
    watch = Watch(folder, lambda target: plan_input(target, options, history, progress=_quiet_progress),
                  debounce, each, history, warn=_progress)
    if once:
        outcomes = watch.once(report=_report_outcome)
        sys.exit(max((o.exit_code for _, o in outcomes), default=EXIT_OK))
    click.echo(f"watching {folder} (every {interval:g} s, debounce {debounce:g} s); Ctrl-C stops", err=True)
    try:
        watch.run(interval, report=_report_outcome)
    except KeyboardInterrupt:
        click.echo("watch stopped", err=True)


def _quiet_progress(message: str) -> None:
    if message.startswith(("warning", "note")):
        click.echo(message, err=True)


@main.command("schedule")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path, exists=True))
@click.option("--cron", metavar="EXPR", help='A crontab line\'s five fields, e.g. "0 6 * * 1" (Mondays 06:00).')
@click.option("--every", metavar="INTERVAL", help="A fixed interval: 30m, 6h, 1d, 1w...")
@click.option("--force", is_flag=True, help="Plan at every time, even when the input has not changed.")
@click.option("--outputs-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Folder for the plans.")
@_freeze_option
@_history_options
def schedule_command(input_path: Path, cron: str | None, every: str | None, force: bool, outputs_dir: Path,
                     freeze: int, db: str | None, no_history: bool) -> None:
    """Re-plan INPUT on a schedule, in the foreground (Ctrl-C stops)."""
    from optimizer.replan.schedule import Schedule, make_trigger  # APScheduler

    try:
        trigger = make_trigger(cron, every)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    history = _open_history(db, outputs_dir, no_history)
    options = Options(outputs_dir, freeze=freeze, command="schedule")
    schedule = Schedule(input_path, trigger, lambda target: plan_input(target, options, history,
                                                                       progress=_quiet_progress), history, force,
                        warn=_progress)

    def report(due, outcome, reason):
        if outcome is None:
            click.echo(f"{due:%Y-%m-%d %H:%M} {input_path.name}: {reason}", err=True)
        else:
            _report_outcome(input_path, outcome)

    click.echo(f"scheduled {input_path} ({'cron ' + cron if cron else 'every ' + every}); next run "
               f"{schedule.next_time(None):%Y-%m-%d %H:%M %Z}; Ctrl-C stops", err=True)
    try:
        schedule.run(report=report)
    except KeyboardInterrupt:
        click.echo("schedule stopped", err=True)


@main.command("history")
@click.option("--input", "input_path", type=click.Path(path_type=Path), help="Only the runs of this input.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON (every recorded field with --full).")
@click.option("--full", is_flag=True, help="With --json: every field, orders and prices included.")
@click.option("--outputs-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Where the default history lives.")
@click.option("--db", metavar="URL", help="Run history URL or SQLite file (default: <outputs-dir>/history.sqlite).")
def history_command(input_path: Path | None, limit: int, as_json: bool, full: bool, outputs_dir: Path,
                    db: str | None) -> None:
    """List the recorded runs, latest first."""
    history = _open_history(db, outputs_dir, False, required=True)
    try:
        records = history.runs(limit, input_path)
    except HistoryUnavailable as failure:
        click.echo(f"error: {failure}", err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(history_json(records, full))
        return
    if not records:
        click.echo("no runs recorded", err=True)
        return
    click.echo(history_table(records))


@main.command("diff")
@click.argument("before", metavar="A")
@click.argument("after", metavar="B")
@click.option("--outputs-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Where the default history lives (for run ids).")
@click.option("--db", metavar="URL", help="Run history URL or SQLite file, for run ids.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON records.")
def diff_command(before: str, after: str, outputs_dir: Path, db: str | None, as_json: bool) -> None:
    """What changed from plan A to plan B (each a result workbook or a run id of the history)."""
    try:
        views = [_plan_view(ref, db, outputs_dir) for ref in (before, after)]
    except plan_changes.NotAPlan as exc:  # A or B is not a plan: the input is wrong
        click.echo(f"error: {exc.path}: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    except LookupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    except HistoryUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    frame = plan_changes.compare(*views)
    if as_json:
        click.echo(frame.to_json(orient="records"))
        return
    click.echo(plan_changes.render(frame))


def _plan_view(reference: str, db: str | None, outputs_dir: Path) -> plan_changes.PlanView:
    """A plan workbook by path, or a run of the history by its id."""
    if reference.isdigit() and not Path(reference).exists():
        record = _open_history(db, outputs_dir, False, required=True).get(int(reference))
        if record is None:
            raise LookupError(f"no run {reference} in the history")
        if not record.has_plan:
            raise LookupError(f"run {reference} has no plan (status {record.status})")
        return plan_changes.from_record(record)
    return plan_changes.read_plan(Path(reference))


if __name__ == "__main__":
    main()
