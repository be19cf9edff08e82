"""The ``optimize`` command line: thin wrappers around ``optimizer.pipeline``.

Exit status: 0 a plan was written, 2 the input was refused (nothing written),
3 no plan exists (infeasible, with the reason), 1 anything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from optimizer import __version__
from optimizer.generate import SIZES, Size, write_generated_workbook
from optimizer.pipeline import RunResult, load, run
from optimizer.plan import INFEASIBLE
from optimizer.files import CannotWrite
from optimizer.problems import InputRefused, Problem
from optimizer.report import summary_frame
from optimizer.template import write_template
from optimizer.terminal import summary_lines

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_INFEASIBLE = 0, 1, 2, 3


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _report_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _refused(refusal: InputRefused) -> None:
    _report_problems(refusal.problems)
    errors = sum(1 for p in refusal.problems if p.severity == "error")
    click.echo(f"input refused: {errors} error(s); nothing was written", err=True)
    sys.exit(EXIT_REFUSED)


@click.group()
@click.version_option(__version__, prog_name="optimize")
def main() -> None:
    """Plan critical-mineral purchases from planning workbooks."""


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
def run_command(input_path: Path, output_path: Path | None, outputs_dir: Path, as_json: bool,
                explain: bool | None) -> None:
    """Validate INPUT (a workbook or a folder of them), solve, and write the plan."""
    try:
        result = run(input_path, output_path, outputs_dir, progress=_progress, explain=explain)
    except InputRefused as refusal:
        _refused(refusal)
    except CannotWrite as exc:  # checked before solving: nothing was solved or written
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except Exception as exc:  # the last line of defence: a message, never a traceback
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    _report_problems(result.warnings)
    _print_outcome(result)
    if as_json:
        summary = summary_frame(result.plan, result.data, result.timings)
        click.echo(json.dumps(dict(zip(summary["key"], summary["value"])), default=str))
    sys.exit(result.exit_code)


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


@main.command("validate")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
def validate_command(input_path: Path) -> None:
    """Check INPUT against the workbook contract without solving."""
    try:
        data, warnings = load(input_path, progress=_progress)
    except InputRefused as refusal:
        _refused(refusal)
    except Exception as exc:
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    _report_problems(warnings)
    click.echo(f"valid: {len(data.minerals)} minerals, {len(data.suppliers)} suppliers, {len(data.offers)} offers, "
               f"{len(data.funding)} funding sources, {len(data.scenarios)} scenarios, "
               f"{data.settings.num_periods} periods", err=True)
    sys.exit(EXIT_OK)


@main.command("generate")
@click.argument("output_path", metavar="OUTPUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--size", type=click.Choice(sorted(SIZES)), help="A benchmark size (S, M, L, XL).")
@click.option("--minerals", type=click.IntRange(1), default=10, show_default=True)
@click.option("--suppliers", type=click.IntRange(1), default=5, show_default=True)
@click.option("--periods", type=click.IntRange(1), default=12, show_default=True)
@click.option("--scenarios", type=click.IntRange(0), default=0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def generate_command(output_path: Path, size: str | None, minerals: int, suppliers: int, periods: int,
                     scenarios: int, seed: int) -> None:
    """Write a synthetic planning workbook that uses every sheet of the contract."""
    chosen = SIZES[size] if size else Size(minerals, suppliers, periods, scenarios)
    write_generated_workbook(output_path, chosen, seed)
    click.echo(f"wrote {output_path}: {chosen.describe()}, seed {seed}", err=True)


@main.command("template")
@click.argument("output_path", metavar="[PATH]", required=False, default="planning_template.xlsx",
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--examples/--blank", default=True, show_default=True,
              help="Fill in a few example rows of a small plan, or leave every sheet blank.")
def template_command(output_path: Path, examples: bool) -> None:
    """Write an input workbook to fill in: every sheet and column, notes, validation, examples."""
    if output_path.exists():
        click.echo(f"error: {output_path} exists; expected a new file name", err=True)
        sys.exit(EXIT_FAILED)
    write_template(output_path, examples)
    click.echo(f"wrote {output_path}: every sheet of the contract" + (" with example rows" if examples else ""),
               err=True)


if __name__ == "__main__":
    main()
