"""Time the Changes comparison (optimizer/replan/changes.py ``compare``) on a large pair of plans.

    python scripts/benchmark_changes.py [--offers 400] [--periods 50] [BEFORE.xlsx AFTER.xlsx]

Two generated plans without funding (``optimize diff``'s case): ``--offers`` offers over 40 minerals, each
ordering 0, 0, 5 or 10 t in each of ``--periods`` periods at random (seed 1, then 2), so about half the slots
change; then, when given, two plan workbooks read and compared. Run it with PYTHONPATH at another
checkout to compare branches (interleave the runs; note the load beside each).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date

from optimizer.replan.changes import PlanView, compare, read_plan


def generated(label: str, offers: int, periods: int, seed: int) -> PlanView:
    """A plan of ``offers`` offers, each ordering 0, 0, 5 or 10 t in each period at 10 a t."""
    rng = random.Random(seed)
    orders, prices = {}, {}
    for o in range(offers):
        for t in range(1, periods + 1):
            slot = (f"S{o}", f"m{o % 40}", t)
            prices[slot] = 10.0
            q = rng.choice([0, 0, 5, 10])
            if q:
                orders[slot] = {"quantity": float(q), "unit_price": 10.0, "list_price": 10.0, "cost": 10.0 * q,
                                "committed": False}
    return PlanView(label, orders, {"objective": 1.0}, prices, date(2027, 1, 1), "quarter")


def timed(before: PlanView, after: PlanView) -> tuple[float, int]:
    """The seconds ``compare`` takes, and the rows it gives."""
    start = time.perf_counter()
    rows = len(compare(before, after))
    return time.perf_counter() - start, rows


def main() -> None:
    """Compare the generated plans, then the two workbooks given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=400)
    parser.add_argument("--periods", type=int, default=50)
    parser.add_argument("plans", nargs="*", help="two plan workbooks to compare as well")
    args = parser.parse_args()
    before, after = (generated(label, args.offers, args.periods, seed) for label, seed in (("a", 1), ("b", 2)))
    seconds, rows = timed(before, after)
    print(f"generated, {args.offers * args.periods:,} order slots: {seconds:.2f} s, {rows:,} rows")
    if len(args.plans) == 2:
        seconds, rows = timed(*(read_plan(path) for path in args.plans))
        print(f"{args.plans[0]} to {args.plans[1]}: compare {seconds:.3f} s, {rows:,} rows")


if __name__ == "__main__":
    main()
