"""Benchmark re-solves: a 5% price move solved cold against a solve started from the previous plan.

    python scripts/benchmark_resolve.py                       # inputs/example.xlsx and a generated M
    python scripts/benchmark_resolve.py --sizes M L --seeds 1 2 3
    python scripts/benchmark_resolve.py --markdown docs/performance.md   # appends a "Re-solves" section

For each workbook: solve it (the previous plan), move every offer's prices by a
random factor in [-5%, +5%] (one per offer, seeded), then solve the moved
workbook twice from a fresh model: cold (the commitments-only start, as a first
run gets) and warm (``models/start.py start_from_orders`` with the previous
plan's orders, as ``optimize run`` gets when the history knows the input). The
ratio is warm / cold, build and start included. Not a test: timings depend on
the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.contract.data import PlanningData  # noqa: E402
from optimizer.intake.generate import SIZES, write_generated_workbook  # noqa: E402
from optimizer.pipeline import load  # noqa: E402
from optimizer.solving.session import build, first_start, read_back, solve_main  # noqa: E402


def moved_prices(data: PlanningData, seed: int, move: float = 0.05) -> PlanningData:
    """Every offer's prices (unit_price and Prices overrides) times one factor in [1 - move, 1 + move]."""
    rng = random.Random(seed)
    offers = {}
    for key, offer in data.offers.items():
        factor = 1.0 + rng.uniform(-move, move)
        offers[key] = dataclasses.replace(offer, unit_price=offer.unit_price * factor,
                                          prices={t: p * factor for t, p in offer.prices.items()})
    return dataclasses.replace(data, offers=offers)


def timed_solve(data: PlanningData, previous: dict | None) -> dict:
    """Build, start and solve ``data``; cold without ``previous``, warm from its orders."""
    started = time.perf_counter()
    model = build(data)
    start = first_start(model, data, previous, always_previous=True)
    result = solve_main(model, data, start)
    seconds = time.perf_counter() - started
    plan = read_back(model, data, result)
    orders = {(r.supplier, r.mineral, int(r.period)): float(r.quantity) for r in plan.orders.itertuples()}
    return {"seconds": seconds, "solve": result.seconds, "status": result.status, "objective": plan.objective,
            "gap": result.gap, "orders": orders}


def measure(name: str, path: Path, seeds: list[int], time_limit: float | None) -> list[dict]:
    """Solve the workbook at ``path``, then for each seed move its prices and solve cold and warm; one row per seed."""
    data, _ = load(path)
    if time_limit:
        data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, time_limit_s=time_limit))
    previous = timed_solve(data, None)
    print(f"{name}: previous plan {previous['status']} in {previous['seconds']:.1f} s", file=sys.stderr)
    rows = []
    for seed in seeds:
        moved = moved_prices(data, seed)
        cold = timed_solve(moved, None)
        warm = timed_solve(moved, previous["orders"])
        rows.append({"workbook": name, "seed": seed, "cold": cold, "warm": warm,
                     "ratio": warm["seconds"] / cold["seconds"], "mip_gap": data.settings.mip_gap})
        print(f"{name} seed {seed}: cold {cold['seconds']:.1f} s ({cold['status']}, {cold['objective']:,.0f}), "
              f"warm {warm['seconds']:.1f} s ({warm['status']}, {warm['objective']:,.0f}), "
              f"ratio {rows[-1]['ratio']:.2f}", file=sys.stderr)
    return rows


def markdown(rows: list[dict], note: str) -> str:
    """The re-solve figures as the 'Re-solves' section of docs/performance.md."""
    lines = [
        "## Re-solves",
        "",
        "A re-plan after a price move starts HiGHS from the previous plan's orders (`models/start.py`",
        "`start_from_orders`; HiGHS completes funding and stock itself when the old orders no longer fit).",
        "Measured by `python scripts/benchmark_resolve.py`: every offer's prices moved by a random factor in",
        "[-5%, +5%], then the moved workbook solved cold (commitments-only start) and warm (previous plan),",
        "build and start included; both stop at the workbook's `mip_gap`.",
        "",
        "| workbook | seed | cold s | warm s | warm / cold | cold objective | warm objective | mip_gap |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        cold, warm = row["cold"], row["warm"]
        lines.append(f"| {row['workbook']} | {row['seed']} | {cold['seconds']:.1f} | {warm['seconds']:.1f} | "
                     f"{row['ratio']:.2f} | {cold['objective']:,.0f} | {warm['objective']:,.0f} | "
                     f"{row['mip_gap']:g} |")
    return "\n".join(lines + ["", note, ""])


def main() -> None:
    """Measure cold against warm re-solves on the example and the generated sizes, and print (or append) the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", type=Path, default=ROOT / "inputs" / "example.xlsx")
    parser.add_argument("--sizes", nargs="*", default=["M"], help="generated workbooks (optimize generate --size)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--time-limit", type=float, default=None, help="override the workbooks' time_limit_s")
    parser.add_argument("--markdown", type=Path, help="append the table as a 'Re-solves' section to this file")
    parser.add_argument("--note", default="", help="a line under the table (the machine, its load)")
    args = parser.parse_args()
    rows = measure("example.xlsx", args.example, args.seeds, args.time_limit)
    folder = Path(tempfile.mkdtemp(prefix="resolve_"))
    for size in args.sizes:
        path = write_generated_workbook(folder / f"{size}.xlsx", SIZES[size], 0)
        rows += measure(f"generated {size} ({SIZES[size].describe()})", path, args.seeds, args.time_limit)
    table = markdown(rows, args.note)
    print(table)
    if args.markdown:
        existing = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else "# Performance\n"
        args.markdown.write_text(existing.rstrip("\n") + "\n\n" + table, encoding="utf-8")


if __name__ == "__main__":
    main()
