"""Time the Projects sheet's re-solves: each project on its block of minerals against the whole model.

    python scripts/benchmark_project_values.py                       # the shipped example, 3 rounds
    python scripts/benchmark_project_values.py --input FILE --rounds 5

The plan is made once; then, in alternating rounds, (a) every project re-solved the other way on the
whole model, as before issue 13's per-block reading (one MIP per project, started from the commitments
when the project is forbidden), and (b) ``optimizer.analysis.analyse.project_values``: each project's block
alone, the other minerals held as planned (two small MIPs). Prints the seconds of each round, the
medians, their ratio and the objective each reports per project.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def whole_model(data, plan, name: str, seconds: float) -> float | None:
    """The re-solve before the per-block reading: the whole model with ``name`` the other way."""
    from models.blocks import mineral_of
    from models.projects import force_build, forbidden
    from optimizer.solving.highs import solve_model
    from optimizer.solving.session import build, first_start

    built = name in plan.builds
    variant = forbidden(data, name) if built else data
    model = build(variant)
    if not built:
        force_build(model, data, name)
    start = first_start(model, variant) if built else None
    result = solve_model(model, data.settings.mip_gap, seconds, start=start, blocks=mineral_of)
    return None if result.objective is None else result.objective * model.facts.money_unit


def main() -> None:
    """Make the plan, then time both ways of re-solving its projects in alternating rounds."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, default=ROOT / "inputs" / "example.xlsx")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from optimizer.analysis.analyse import project_values
    from optimizer.pipeline import load
    from optimizer.solving.budget import TimeBudget
    from optimizer.solving.session import plan_from_data
    from optimizer.stages import Stages

    data, _ = load(args.input)
    plan = plan_from_data(data, Stages())
    print(f"plan: {plan.status}, objective {plan.objective:,.0f}, projects {sorted(data.projects)}")
    limit = data.settings.time_limit_s
    times: dict[str, list[float]] = {"whole model": [], "per block": []}
    for number in range(1, args.rounds + 1):
        started = time.perf_counter()
        whole = {name: whole_model(data, plan, name, limit) for name in data.projects}
        times["whole model"].append(time.perf_counter() - started)
        started = time.perf_counter()
        blocks = {v.project: v.objective for v in project_values(data, plan, TimeBudget(10 * limit))}
        times["per block"].append(time.perf_counter() - started)
        print(f"round {number}: whole model {times['whole model'][-1]:.2f} s {whole}; "
              f"per block {times['per block'][-1]:.2f} s {blocks}")
    medians = {kind: statistics.median(seconds) for kind, seconds in times.items()}
    print(f"medians: whole model {medians['whole model']:.2f} s, per block {medians['per block']:.2f} s, "
          f"ratio {medians['per block'] / medians['whole model']:.2f}")


if __name__ == "__main__":
    main()
