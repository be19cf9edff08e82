"""Benchmark writing the result workbook alone, on a plan of a generated workbook solved once.

    python scripts/benchmark_write.py solve --size L --plan /tmp/L.pickle   # solve once, keep the plan
    python scripts/benchmark_write.py write --plan /tmp/L.pickle --repeat 3 # seconds and peak MB of the write
    python scripts/benchmark_write.py write --plan /tmp/XL.pickle --repeat 1 --large-sheet 50000  # big sheets
                                                                             # in constant memory, no table

``write`` runs in its own process and reports the wall and CPU seconds (the
CPU time is the steadier on a loaded machine) and the peak resident memory
before and after writing, so the writer's own memory is the difference. Run ``write``
from two checkouts (PYTHONPATH) to compare writers on the same plan; the
machine's load varies, so compare ratios measured side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def solve(size: str, plan_path: Path, time_limit: float, start_only: bool = False) -> None:
    """Generate ``size`` (seed 0), solve it (no analysis) and pickle the plan and its data; ``start_only``:
    the plan of the main solve's start (the commitments alone, or no order; every Stock row filled), no solve, for a
    size a loaded machine cannot solve in time (its Stock sheet, the bulk of the cells, is full size)."""
    from optimizer.intake.generate import SIZES, write_generated_workbook
    from optimizer.intake.reader import read_input
    from optimizer.intake.validate import validate
    from optimizer.solving.session import build, first_start, read_back, solve_main

    folder = Path(tempfile.mkdtemp(prefix=f"write_{size}_"))
    raw, _ = read_input(write_generated_workbook(folder / f"{size}.xlsx", SIZES[size], 0))
    data, problems = validate(raw)
    assert data is not None, [str(p) for p in problems.errors]
    data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, time_limit_s=time_limit,
                                                                  mip_gap=0.05))
    model = build(data)
    start = first_start(model, data)
    if start_only:
        import pyomo.environ as pyo

        from optimizer.contract.results import SolveResult

        for variable, value in (start or {}).items():
            variable.set_value(value, skip_validation=True)
        for variable in model.component_data_objects(pyo.Var):  # no order beyond the start's
            if variable.value is None:
                variable.set_value(0.0, skip_validation=True)
        plan = read_back(model, data, SolveResult("feasible", "start", seconds=0.0, message="the start alone"))
        plan_path.write_bytes(pickle.dumps((plan, data)))
        print(f"{size} (start only): {len(plan.orders):,} orders, {len(plan.stock):,} stock rows")
        return
    result = solve_main(model, data, start)
    if result.status not in ("optimal", "feasible"):
        raise SystemExit(f"{size}: no plan within {time_limit:g} s ({result.message}); give a longer --time-limit")
    plan = read_back(model, data, result)
    plan_path.write_bytes(pickle.dumps((plan, data)))
    print(f"{size}: {result.status}, {len(plan.orders):,} orders, {len(plan.stock):,} stock rows")


def write(plan_path: Path, repeat: int, large_sheet: int | None = None) -> dict:
    """Write the pickled plan ``repeat`` times: wall and CPU seconds of each write, their medians and best, and
    the peak memory before and after (the first write included: the writer's own memory is the difference)."""
    from optimizer.reporting.workbook import write_result_workbook

    if large_sheet is not None:  # rows past which a sheet is written in constant memory, without a table
        from optimizer.reporting import xlsx

        xlsx.LARGE_SHEET = large_sheet
    plan, data = pickle.loads(plan_path.read_bytes())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, cpu = [], []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            write_result_workbook(Path(folder) / f"plan{index}.xlsx", plan, data, [], {})
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": [round(t, 2) for t in times], "best": round(min(times), 2),
            "median": round(statistics.median(times), 2), "cpu": [round(t, 2) for t in cpu],
            "cpu_best": round(min(cpu), 2), "cpu_median": round(statistics.median(cpu), 2),
            "peak_mb_before_write": round(before), "peak_mb_after_write": round(after)}


def main() -> None:
    """solve or write, as the command line says."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("solve", "write"))
    parser.add_argument("--size", default="L")
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--start-only", action="store_true", help="solve: the start's plan, no solve")
    parser.add_argument("--large-sheet", type=int, help="write: sheets over this many rows in constant memory "
                                                          "(default: the writer's LARGE_SHEET)")
    options = parser.parse_args()
    if options.action == "solve":
        solve(options.size, options.plan, options.time_limit, options.start_only)
    else:
        print(json.dumps(write(options.plan, options.repeat, options.large_sheet)))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
