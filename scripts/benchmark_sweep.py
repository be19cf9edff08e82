"""Benchmark sweep throughput: the shipped example's budget frontier on 1 and 2 local workers and a Dask LocalCluster.

    python scripts/benchmark_sweep.py                                  # print the table
    python scripts/benchmark_sweep.py --write docs/performance.md      # and put it under "## Sweeps"
    python scripts/benchmark_sweep.py --funding "NDS fund=0:2e9:6" --time-limit 60

Each configuration runs the same sweep end to end (``optimizer.studies.sweep.run_sweep``:
starting the workers, sending the data, every solve, collecting the rows) and
reports wall time and solves per minute. The LocalCluster runs worker
processes (one thread each), as a real cluster would. ``--write`` replaces
the file's "## Sweeps" section (up to the next "## " heading) or appends one,
leaving every other section as it is.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.execution import Workers  # noqa: E402
from optimizer.studies.sweep import run_sweep, variations_from_options  # noqa: E402

HEADING = "## Sweeps"


def measure(label: str, workers: Workers, args) -> dict:
    """One sweep end to end on ``workers``: wall seconds, solves per minute, statuses."""
    variations = variations_from_options((args.funding,))
    result = run_sweep(args.input, variations, workers, time_limit_s=args.time_limit,
                       progress=lambda message: print(f"  {message}", file=sys.stderr))
    solve_seconds = sum(row.get("seconds", 0.0) for row in result.rows)
    cpu_seconds = sum(row.get("cpu_seconds", 0.0) for row in result.rows)
    return {"label": label, "points": len(result.rows), "wall": result.seconds,
            "per_minute": result.solves_per_minute, "solve_seconds": solve_seconds,
            "core_share": cpu_seconds / solve_seconds if solve_seconds else 0.0,
            "cpu_per_solve": cpu_seconds / len(result.rows) if result.rows else 0.0,
            "statuses": sorted({row["status"] for row in result.rows}),
            "objectives": [row.get("objective") for row in result.rows]}


def with_local_cluster(args) -> dict:
    """The sweep's figures on a Dask LocalCluster of 2 worker processes of 1 thread each."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        return measure("Dask LocalCluster, 2 worker processes x 1 thread", Workers(scheduler=cluster.scheduler_address),
                       args)


def markdown(figures: list[dict], args) -> str:
    """The "## Sweeps" section: what was measured, the table, and how to read it."""
    return "\n".join([HEADING, "", _paragraph(_intro(figures, args)), "", *_table(figures), "",
                      _paragraph(_reading(figures, args)), ""])


def _intro(figures: list[dict], args) -> str:
    limit = f", time limit {args.time_limit:g} s" if args.time_limit else ""
    return (f"Throughput of `optimize sweep` on the shipped example's budget frontier, `--funding "
            f"\"{args.funding}\"` ({figures[0]['points']} solves of `inputs/example.xlsx`, mip_gap 0.1%{limit}), "
            "measured with `python scripts/benchmark_sweep.py`: wall time from starting the workers to the last "
            "row back, so worker start-up and sending the data are included.")


def _table(figures: list[dict]) -> list[str]:
    lines = ["| where | solves | wall (s) | solves per minute | speed-up | sum of task times (s) "
             "| CPU per task second | CPU s per solve |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for f in figures:
        lines.append(f"| {f['label']} | {f['points']} | {f['wall']:.1f} | {f['per_minute']:.2f} "
                     f"| {f['per_minute'] / figures[0]['per_minute']:.2f}x | {f['solve_seconds']:.1f} "
                     f"| {f['core_share']:.2f} | {f['cpu_per_solve']:.1f} |")
    return lines


def _reading(figures: list[dict], args) -> str:
    cpu = figures[0]["cpu_per_solve"]
    load = ", ".join(f"{value:.1f}" for value in args.load)
    return (f"Machine: {os.cpu_count()} cores ({platform.machine()}, Python {platform.python_version()}), "
            f"{date.today():%Y-%m-%d}; 1-minute load average {load} (before, after). \"CPU per task second\" "
            "is the CPU time a task's process used per second of the task; a solve of this example keeps about "
            "one core busy, so it is the share of a core each task got. Near 1, N workers on N free cores run "
            "about N times as many solves per minute; well below 1, other work shared the cores (a load "
            "average above the core count) and the figures understate what the workers do on a machine of "
            f"their own. From the CPU time per solve ({cpu:.1f} s with one worker), N workers on N free cores "
            f"would run about N x {60 / cpu if cpu else 0:.0f} solves per minute (an estimate, not a "
            "measurement). Solve times vary a lot with the budget (a binding budget takes HiGHS several times "
            "longer than an ample one), so the slowest point bounds the wall time of a small sweep.")


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=100, break_long_words=False, break_on_hyphens=False)


def write_section(path: Path, section: str) -> None:
    """Replace the "## Sweeps" section of ``path`` (or append it), leaving the others untouched."""
    text = path.read_text() if path.exists() else "# Performance\n"
    start = text.find(HEADING + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    path.write_text(text)


def main() -> None:
    """Measure the sweep's throughput on 1 and 2 local worker processes and on Dask, and print (or write) the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, default=ROOT / "inputs" / "example.xlsx")
    parser.add_argument("--funding", default="Ex-Im loan=0:1e9:6")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--write", type=Path, help="Markdown file to put the table in, under \"## Sweeps\".")
    args = parser.parse_args()
    args.load = [os.getloadavg()[0]]
    figures = []
    for label, workers in (("1 local worker process", Workers(1)), ("2 local worker processes", Workers(2))):
        print(label, file=sys.stderr)
        figures.append(measure(label, workers, args))
    print("Dask LocalCluster", file=sys.stderr)
    figures.append(with_local_cluster(args))
    args.load.append(os.getloadavg()[0])
    section = markdown(figures, args)
    print(section)
    if args.write:
        write_section(args.write, section)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"benchmark took {time.perf_counter() - started:.0f} s", file=sys.stderr)
