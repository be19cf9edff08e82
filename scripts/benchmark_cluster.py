"""Benchmark the block start on a Dask cluster (issue 17, target 5: past one machine).

Two measurements, run one at a time (each is heavy on a shared machine):

    python scripts/benchmark_cluster.py blocks --size L --runs 3
        The block start of a generated workbook, its per-mineral MIPs solved in worker threads here
        (1 and 2; not with --no-threads) and on a Dask LocalCluster of 1 and 2 worker processes x 1
        thread: blocks per minute per worker (the block MIPs alone: sent, solved, returned; the LP
        relaxation before them is reported apart), the median of ``--runs``.

    python scripts/benchmark_cluster.py end-to-end --size XXL --time-limit 120
        ``optimize run`` of a generated workbook (its time_limit_s set to ``--time-limit``) in one
        process, then with ``--scheduler`` on a 2-worker LocalCluster: status, gap, objective, the block
        start's summary, seconds and the run's peak memory (its own process; the workers' apart).

Prints a Markdown table for docs/performance.md (issue 17, target 5).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def workbook(size_name: str, seed: int, folder: Path, time_limit: float | None = None) -> Path:
    """A generated workbook of ``size_name``; with ``time_limit``, its Settings time_limit_s set to it."""
    import openpyxl

    from optimizer.intake.generate import SIZES, write_generated_workbook

    path = write_generated_workbook(folder / f"{size_name}.xlsx", SIZES[size_name], seed)
    if time_limit is not None:
        book = openpyxl.load_workbook(path)
        for row in book["Settings"].iter_rows(min_row=2):
            if row[0].value == "time_limit_s":
                row[1].value = time_limit
        book.save(path)
    return path


def handed_over(path: Path):
    """The model of ``path`` in HiGHS and each column's block (mineral), -1 for linking columns."""
    import numpy as np
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory

    from models.blocks import mineral_of
    from optimizer.pipeline import load
    from optimizer.solving.highs import column_of, highs_of
    from optimizer.solving.session import build

    data, _ = load(path)
    model = build(data)
    solver = SolverFactory("highs")
    solver.set_instance(model)
    columns, highs = column_of(solver), highs_of(solver)
    names: dict[str, int] = {}
    blocks = np.full(highs.getNumCol(), -1)
    for var in model.component_data_objects(pyo.Var):
        if id(var) in columns and mineral_of(var) is not None:
            blocks[columns[id(var)]] = names.setdefault(mineral_of(var), len(names))
    highs.setOptionValue("output_flag", False)
    return data, (model, solver), highs, blocks


def measure_blocks(size_name: str, seed: int, runs: int, time_limit: float, threads: bool = True) -> list[dict]:
    """Blocks per minute per worker: LocalCluster worker processes and (``threads``) threads here, 1 and 2."""
    from distributed import LocalCluster

    from optimizer.solving.decompose import BLOCK_GAP_SHARE, block_start

    folder = Path(tempfile.mkdtemp(prefix=f"bench_cluster_{size_name}_"))
    data, keep, highs, blocks = handed_over(workbook(size_name, seed, folder))
    gap = data.settings.mip_gap

    def runs_of(label: str, workers: int, cluster: str | None) -> dict:
        starts = [block_start(highs, blocks, gap, time_limit, workers, cluster=cluster) for _ in range(runs)]
        seconds = statistics.median(start.blocks_seconds for start in starts)
        solved = statistics.median(start.solved for start in starts)
        row = {"where": label, "workers": workers, "blocks": starts[0].blocks, "solved": solved,
               "relaxation_s": round(statistics.median(s.seconds - s.blocks_seconds for s in starts), 2),
               "blocks_s": round(seconds, 2), "per_minute_per_worker": round(60 * solved / seconds / workers, 1),
               "gap": statistics.median(start.gap() or 0.0 for start in starts)}
        print(json.dumps(row), flush=True)
        return row

    rows = []
    for workers in (1, 2):
        if threads:
            rows.append(runs_of(f"{workers} thread(s) in this process", workers, None))
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            rows.append(runs_of(f"LocalCluster, {workers} worker process(es) x 1 thread", workers,
                                cluster.scheduler_address))
    print(f"\n{size_name}: block MIPs at gap {gap * BLOCK_GAP_SHARE:g}, the median of {runs} runs\n")
    print("| where | blocks solved | LP relaxation s | block MIPs s | blocks / min / worker | block plan gap |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['where']} | {row['solved']:g} of {row['blocks']} | {row['relaxation_s']} | {row['blocks_s']} | "
              f"{row['per_minute_per_worker']} | {100 * row['gap']:.2f}% |")
    return rows


def run_once(path: Path, folder: Path, scheduler: str | None) -> dict:
    """``optimize run`` of ``path`` as a child process: its Summary, seconds and peak memory."""
    command = [sys.executable, "-m", "optimizer.cli", "run", str(path), "--json", "--no-history",
               "--outputs-dir", str(folder / ("cluster" if scheduler else "here"))]
    if scheduler:
        command += ["--scheduler", scheduler]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1]) if done.returncode == 0 and lines else {}
    row = {"where": f"LocalCluster, 2 workers ({scheduler})" if scheduler else "one process",
           "exit": done.returncode, "seconds": round(seconds, 1),
           "peak_mb": round(peak / 1024) if peak > before else "<= the run before",
           **{key: summary.get(key) for key in ("status", "objective", "mip_gap", "solver_start", "solve_seconds")}}
    if done.returncode != 0:
        row["stderr"] = done.stderr[-2000:]
    print(json.dumps(row, default=str), flush=True)
    return row


def measure_end_to_end(size_name: str, seed: int, time_limit: float) -> list[dict]:
    """``optimize run`` of a generated workbook in one process, then on a 2-worker LocalCluster, in turn."""
    from distributed import LocalCluster

    folder = Path(tempfile.mkdtemp(prefix=f"bench_cluster_e2e_{size_name}_"))
    path = workbook(size_name, seed, folder, time_limit)
    rows = [run_once(path, folder, None)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        rows.append(run_once(path, folder, cluster.scheduler_address))
    print(f"\n{size_name} end to end, time_limit_s {time_limit:g}\n")
    print("| where | status | gap | objective | block start | seconds | peak MB (the run's process) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        gap = f"{100 * row['mip_gap']:.2f}%" if isinstance(row.get("mip_gap"), (int, float)) else row.get("mip_gap")
        objective = f"{row['objective']:,.0f}" if isinstance(row.get("objective"), (int, float)) else row.get("objective")
        print(f"| {row['where']} | {row.get('status')} | {gap} | {objective} | {row.get('solver_start')} | "
              f"{row['seconds']} | {row['peak_mb']} |")
    return rows


def main() -> None:
    """Parse the command line and run the measurement it names."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("blocks", "end-to-end"))
    parser.add_argument("--size", default=None, help="blocks: L (default); end-to-end: XXL (default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="blocks: runs of each place (the median is reported)")
    parser.add_argument("--no-threads", action="store_true", help="blocks: the cluster only, not threads here")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="blocks: the block start's seconds (default 600, so every block finishes); "
                             "end-to-end: the workbook's time_limit_s (default 120)")
    args = parser.parse_args()
    if args.what == "blocks":
        measure_blocks(args.size or "L", args.seed, args.runs, args.time_limit or 600.0, not args.no_threads)
    else:
        measure_end_to_end(args.size or "XXL", args.seed, args.time_limit or 120.0)


if __name__ == "__main__":
    main()
