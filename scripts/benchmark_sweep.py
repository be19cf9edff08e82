"""Benchmark sweep throughput: the shipped example's budget frontier on 1 and 2 local workers and a Dask LocalCluster.

    python scripts/benchmark_sweep.py                                  # print the table
    python scripts/benchmark_sweep.py --write docs/performance.md      # and put it under "## Sweeps"
    python scripts/benchmark_sweep.py --funding "NDS fund=0:2e9:6" --time-limit 60

Each configuration runs the same sweep end to end (``optimizer.sweep.run_sweep``:
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
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.execution import Workers  # noqa: E402
from optimizer.sweep import run_sweep, variations_from_options  # noqa: E402

HEADING = "## Sweeps"


def measure(label: str, workers: Workers, args) -> dict:
    """One sweep end to end on ``workers``: wall seconds, solves per minute, statuses."""
    variations = variations_from_options((args.funding,))
    result = run_sweep(args.input, variations, workers, time_limit_s=args.time_limit,
                       progress=lambda message: print(f"  {message}", file=sys.stderr))
    solve_seconds = sum(row.get("seconds", 0.0) for row in result.rows)
    return {"label": label, "points": len(result.rows), "wall": result.seconds,
            "per_minute": result.solves_per_minute, "solve_seconds": solve_seconds,
            "statuses": sorted({row["status"] for row in result.rows}),
            "objectives": [row.get("objective") for row in result.rows]}


def with_local_cluster(args) -> dict:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        return measure("Dask LocalCluster, 2 worker processes x 1 thread", Workers(scheduler=cluster.scheduler_address),
                       args)


def markdown(figures: list[dict], args) -> str:
    lines = [
        HEADING, "",
        f"Throughput of `optimize sweep` on the shipped example's budget frontier: `--funding \"{args.funding}\"` "
        f"({figures[0]['points']} solves of `inputs/example.xlsx`, mip_gap 0.1%"
        + (f", time limit {args.time_limit:g} s" if args.time_limit else "") + "). "
        "Measured with `python scripts/benchmark_sweep.py`: wall time from starting the workers to the last "
        "row back, so it includes worker start-up and sending the data.", "",
        "| where | solves | wall (s) | solves per minute | sum of task times (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        lines.append(f"| {f['label']} | {f['points']} | {f['wall']:.1f} | {f['per_minute']:.2f} | "
                     f"{f['solve_seconds']:.1f} |")
    load = ", ".join(f"{value:.1f}" for value in args.load)
    lines += ["", (f"Machine: {os.cpu_count()} cores ({platform.machine()}, Python {platform.python_version()}), "
                   f"{date.today():%Y-%m-%d}; 1-minute load average {load} (before, after). With a load above "
                   "the core count other work shared the cores, so the figures are indicative. Solve times of "
                   "this example vary a lot with the budget (a binding budget takes HiGHS several times longer "
                   "than an ample one), so the slowest point bounds the wall time of a small sweep."), ""]
    return "\n".join(lines)


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
