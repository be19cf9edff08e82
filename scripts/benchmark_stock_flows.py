"""Plan time with the stock flows of issue 14 against without: the generated L workbook as it is, and with
10 Sales rows, 10 conversions, a loss_rate on 20 minerals and 2 emergency scenarios (any of them may be
0), solved alternately in fresh processes.

    python scripts/benchmark_stock_flows.py --size L --sales 10 --conversions 10 --decaying 20 \
        --emergencies 2 --rounds 3

Each run validates, builds and solves the plan (``optimizer.solving.session.plan_from_data``, the block start
and time budget of a real run; no analysis, nothing written) and prints the stage seconds, the model size,
status and gap. The ratio of the medians is the figure of docs/performance.md: on a machine shared with other
work, absolute seconds wander, the alternation keeps both variants under the same load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOWS = ("sales", "conversions", "decaying", "emergencies")  # the Size fields of issue 14


def measure(size_name: str, flows: dict[str, int], seed: int, time_limit: float) -> dict:
    """One run in this process: seconds per stage, model size, status and gap."""
    from optimizer.intake.generate import SIZES, write_generated_workbook
    from optimizer.pipeline import load
    from optimizer.solving.session import plan_from_data
    from optimizer.stages import Stages

    size = dataclasses.replace(SIZES[size_name], **flows)
    workbook = write_generated_workbook(Path(tempfile.mkdtemp(prefix="flows_")) / "flows.xlsx", size, seed)
    stages = Stages(lambda _message: None)
    started = time.perf_counter()
    data, _ = load(workbook, stages=stages)
    data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, time_limit_s=time_limit))
    plan = plan_from_data(data, stages)
    return {**flows, "seconds": time.perf_counter() - started,
            "stages": dict(stages.timings), "size": plan.model_size, "status": plan.status, "gap": plan.solve.gap,
            "objective": plan.objective, "start": plan.solve.start}


def main() -> None:
    """Run the variants alternately, each in a fresh process, and print every run and the ratio of the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="L")
    for flow, default in zip(FLOWS, (10, 0, 20, 0)):
        parser.add_argument(f"--{flow}", type=int, default=default)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a JSON {flow: count} measured in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.size, json.loads(args.one), args.seed, args.time_limit)))
        return
    variants = {"plain": {}, "flows": {flow: getattr(args, flow) for flow in FLOWS}}
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, flows in variants.items():
            output = subprocess.run([sys.executable, __file__, "--size", args.size, "--seed", str(args.seed),
                                     "--time-limit", str(args.time_limit), "--one", json.dumps(flows)],
                                    check=True, capture_output=True, text=True).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            runs[name].append(figures)
            print(json.dumps({"variant": name, **figures}), flush=True)
    median = {name: statistics.median(r["seconds"] for r in rows) for name, rows in runs.items()}
    print(f"median seconds: without {median['plain']:.1f}, with {median['flows']:.1f}, "
          f"ratio {median['flows'] / median['plain']:.2f}")


if __name__ == "__main__":
    main()
