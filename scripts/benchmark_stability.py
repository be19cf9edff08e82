"""Measure the stability pass: a 5% price move on one mineral, re-planned with and without it.

    python scripts/benchmark_stability.py --mineral cobalt       # inputs/example.xlsx
    python scripts/benchmark_stability.py --mineral ferroniobium --sizes M

For each workbook (copied into a temporary folder; inputs/ is never written):
plan it (the previous plan), raise every price of one mineral's offers by 5%
(Offers unit_price and its Prices rows) in a copy, then re-plan the copy against
the previous plan (``--previous``) twice: Settings stability yes (the default)
and no. Prints, per run, the orders changed per mineral, the reasons the Changes
sheet gives, the solve's and the pass's seconds, the objective and gap. Not a
test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.intake.generate import SIZES, write_generated_workbook  # noqa: E402
from optimizer.replan.replan import Options, plan_input  # noqa: E402

ORDER_KINDS = ("added", "removed", "changed")


def edited_copy(source: Path, target: Path, mineral: str | None, factor: float, settings: dict) -> Path:
    """``source`` copied to ``target`` with ``mineral``'s prices times ``factor`` and ``settings`` set."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    book = openpyxl.load_workbook(target)
    for name in ("Offers", "Prices"):
        if mineral is None or name not in book.sheetnames:
            continue
        sheet = book[name]
        header = [str(c.value).strip().lower() if c.value is not None else "" for c in sheet[1]]
        column_of = {h: i for i, h in enumerate(header)}
        for row in sheet.iter_rows(min_row=2):
            if row[column_of["mineral"]].value == mineral:
                cell = row[column_of["unit_price"]]
                cell.value = float(cell.value) * factor
    sheet = book["Settings"]
    keys = {str(row[0].value).strip().lower(): row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}
    for key, value in settings.items():
        if key in keys:
            keys[key].value = value
        else:
            sheet.append([key, value])
    book.save(target)
    return target


def replanned(path: Path, previous: Path | None, output: Path) -> dict:
    """Re-plan ``path`` against ``previous``: objective, gap, seconds, orders changed per mineral."""
    outcome = plan_input(path, Options(output.parent, output, previous_plan=previous, explain=False))
    if outcome.output is None:
        raise SystemExit(f"{path}: no plan ({outcome.error or outcome.result.plan.solve.message})")
    plan, timings = outcome.result.plan, outcome.result.timings
    figures = {"objective": plan.objective, "gap": plan.solve.gap, "solve": timings.get("solve", 0.0),
               "stability": timings.get("stability", 0.0), "pass": plan.stability, "output": outcome.output}
    if plan.changes is not None and previous is not None:
        frame = plan.changes.frame
        orders = frame[frame["change"].isin(ORDER_KINDS)]
        figures["changed_by_mineral"] = Counter(orders["mineral"])
        figures["reasons"] = Counter(orders["reason"])
        figures["reasons_by_mineral"] = Counter(zip(orders["mineral"], orders["reason"]))
        figures["sentence"] = next(iter(frame.loc[frame["change"] == "reasons", "finding"]), "")
    return figures


def measure(name: str, source: Path, mineral: str, folder: Path, time_limit: float | None) -> None:
    """Plan ``source``, move ``mineral``'s prices by 5%, and print the re-plan with and without the stability pass."""
    settings = {"time_limit_s": time_limit} if time_limit else {}
    first = replanned(edited_copy(source, folder / "first" / "in.xlsx", None, 1.0, settings), None,
                      folder / "first" / "plan.xlsx")
    print(f"\n## {name}: previous plan objective {first['objective']:,.0f}, solve {first['solve']:.1f} s")
    for stability in ("yes", "no"):
        moved = edited_copy(source, folder / stability / "in.xlsx", mineral, 1.05,
                            {**settings, "stability": stability})
        run = replanned(moved, first["output"], folder / stability / "plan.xlsx")
        print(f"\nstability {stability}: objective {run['objective']:,.0f} (gap {run['gap']:.3g}), "
              f"solve {run['solve']:.1f} s, stability stage {run['stability']:.1f} s")
        print(f"  pass: {run['pass'].outcome}: {run['pass'].note}")
        print(f"  orders changed per mineral: {dict(run['changed_by_mineral'])}")
        print(f"  reasons: {dict(run['reasons'])}")
        print(f"  reasons per mineral: {dict(run['reasons_by_mineral'])}")
        print(f"  {run['sentence']}")


def main() -> None:
    """Measure the stability pass on the example and the generated sizes given."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", default=str(ROOT / "inputs" / "example.xlsx"), help="'' for none")
    parser.add_argument("--mineral", default="ferroniobium", help="the mineral whose prices move (example)")
    parser.add_argument("--sizes", nargs="*", default=[], help="generated workbooks (their mineral: mineral_01)")
    parser.add_argument("--time-limit", type=float, default=None, help="override the workbooks' time_limit_s")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="stability_"))
    if args.example:
        example = Path(args.example)
        measure(f"{example.name}, {args.mineral} +5%", example, args.mineral, folder / "example", args.time_limit)
    for size in args.sizes:
        path = write_generated_workbook(folder / f"{size}.xlsx", SIZES[size], 0)
        measure(f"generated {size} ({SIZES[size].describe()}), mineral_01 +5%", path, "mineral_01",
                folder / size, args.time_limit)


if __name__ == "__main__":
    main()
