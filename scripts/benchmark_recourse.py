"""Model size and solve time with and without recourse on generated workbooks (issue 15).

    python scripts/benchmark_recourse.py --sizes M L --time-limit 600
    python scripts/benchmark_recourse.py --sizes L --recourse yes --projects 10 --contracts 20   (with deals)

Each size is the generated workbook (optimizer/intake/generate.py) with 5 scenarios, each known from
mid-horizon (known_from = T / 2 + 1), solved once with Settings recourse no and once with yes, to the
workbook's mip_gap (1%: the issue's target) within --time-limit seconds. Prints one JSON line per solve: sizes,
seconds (build, hand-over, the whole LP relaxation, the relaxation with twins tied, the tied route's start: that
relaxation and the blocks' bound at its prices, the block MIPs, of which the refinement, the blocks' first plans,
the rest: the search), status, gap and the load average before and after.
--repeat N alternates: yes, no, yes, no, ... (interleaved pairs).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(owner, name: str, seconds: dict) -> None:
    """Wrap ``owner.name`` so that each call's seconds add up in ``seconds[name]`` (the profile)."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - started, 2)

    setattr(owner, name, wrapper)


# Seconds of the block start's parts in the solve being measured (``refine``'s are within ``solve_blocks``').
PROFILE: dict[str, float] = {}
# The parts that are not the search (the rest of the solve: the polish and HiGHS's search from the block plan).
# ``_tied_start`` (recourse: the tied relaxation and the blocks' bound at its prices) and ``_twinned`` (after the whole
# relaxation) each hold ``_twin_reduced_relaxation``; a run takes one of them.
OUTSIDE_SEARCH = ["_relaxation", "_twinned", "_tied_start", "solve_blocks", "_first_plans"]


def profile_block_start() -> None:
    """Time the block start's parts into ``PROFILE`` (once per process: a second wrap would count twice)."""
    from optimizer.solving import decompose

    for owner, name in [(decompose, "_relaxation"), (decompose, "_twin_reduced_relaxation"), (decompose, "_twinned"),
                        (decompose, "_tied_start"),
                        (decompose._Split, "solve_blocks"), (decompose, "_first_plans"), (decompose._Split, "refine")]:
        timed(owner, name, PROFILE)


def measure(size_name: str, recourse: str, time_limit: float, gap: float, projects: int = 0,
            contracts: int = 0) -> dict:
    """Build and solve one size with ``recourse`` (yes or no); sizes, seconds (build, hand-over, LP relaxation,
    block MIPs, the rest of the solve: the full search), status and gap."""
    import tempfile

    from optimizer.intake.generate import SIZES, generate_sheets, write_sheets
    from optimizer.pipeline import load
    from optimizer.solving.session import plan_from_data
    from optimizer.stages import Stages

    size = dataclasses.replace(SIZES[size_name], scenarios=5, projects=projects)
    sheets = generate_sheets(size, seed=0, contracts=contracts)
    header, *rows = sheets["Scenarios"]
    sheets["Scenarios"] = [[*header, "known_from"]] + [[*row, size.periods // 2 + 1] for row in rows]
    path = write_sheets(Path(tempfile.mkdtemp(prefix="recourse_")) / f"{size_name}.xlsx", sheets)
    data, _ = load(path)
    settings = dataclasses.replace(data.settings, recourse=recourse, time_limit_s=time_limit, mip_gap=gap)
    data = dataclasses.replace(data, settings=settings)
    stages = Stages()
    profile = PROFILE
    profile.clear()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    plan = plan_from_data(data, stages)
    search = plan.solve.seconds - sum(profile.get(name, 0.0) for name in OUTSIDE_SEARCH)
    return {"size": size_name, "dimensions": size.describe(), "contracts": contracts, "recourse": recourse,
            **plan.model_size,
            "build_s": round(stages.timings.get("build", 0.0), 2), "solve_s": round(stages.timings.get("solve", 0.0), 2),
            "total_s": round(time.perf_counter() - started, 2), "handover_s": round(plan.solve.handover_seconds, 2),
            "relaxation_s": profile.get("_relaxation"), "twinned_s": profile.get("_twin_reduced_relaxation"),
            "tied_start_s": profile.get("_tied_start"),
            "blocks_s": profile.get("solve_blocks"), "first_plans_s": profile.get("_first_plans"),
            "refine_s": profile.get("refine"), "search_s": round(search, 2), "start": plan.solve.start,
            "status": plan.status, "gap": plan.solve.gap, "objective": plan.objective,
            "load": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def main() -> None:
    """Measure each size asked for, without and with recourse."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["M", "L"])
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--recourse", nargs="+", default=["no", "yes"], choices=["no", "yes"])
    parser.add_argument("--repeat", type=int, default=1, help="solves of each, alternating (medians of 3: 3)")
    parser.add_argument("--projects", type=int, default=0, help="capacity projects (recourse with deals)")
    parser.add_argument("--contracts", type=int, default=0, help="offtake contracts (recourse with deals)")
    args = parser.parse_args()
    profile_block_start()
    for size in args.sizes:
        for recourse in [r for _ in range(args.repeat) for r in args.recourse]:
            print(json.dumps(measure(size, recourse, args.time_limit, args.gap, args.projects, args.contracts)),
                  flush=True)


if __name__ == "__main__":
    main()
