"""Time ``scenario_cost_frame`` (optimizer/contract/scenario_costs.py) on a plan shaped like a generated
workbook's with recourse, without solving it: one order per offer and period (shared before the scenarios
are known, one per scenario after), a Funding row per order and each scenario's Stock rows.

    python scripts/benchmark_scenario_costs.py --size L --repeat 3

With ``--alone WORKBOOK``: time the solves behind the sheet's WS instead, each scenario solved alone
(optimizer/solving/session.py ``costs_alone``) after the plan is made: wall and process CPU seconds, each
scenario's cost and gap, WS and EVPI. For an A/B against another checkout, run this file with
``PYTHONPATH`` set to that checkout.

    python scripts/benchmark_scenario_costs.py --alone inputs/example.xlsx --repeat 3
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd


def synthetic_plan(data, rng: random.Random):
    """A plan's tables over every offer, period and scenario of ``data`` (quantities random)."""
    from optimizer.contract.results import ORDER_COLUMNS, STOCK_COLUMNS, Plan, SolveResult

    known = min((k.known_from or 1) for k in data.scenarios) if data.scenarios else 1
    names = [k.name for k in data.all_scenarios]
    source = next(iter(data.funding))
    orders, funding, stock = [], [], []
    for (supplier, mineral), offer in data.offers.items():
        for period in data.order_periods(offer):
            for scenario in ([""] if period < known else names):
                quantity = rng.uniform(1, 100)
                price = offer.price(period)
                orders.append({"scenario": scenario, "supplier": supplier, "mineral": mineral,
                               "country": data.country(supplier), "period": period, "quantity": quantity,
                               "unit_price": price, "list_price": price, "discount": 0.0,
                               "order_cost": offer.order_cost, "committed": "no", "floor_cost": 0.0})
                funding.append({"scenario": scenario, "source": source, "supplier": supplier, "mineral": mineral,
                                "period": period, "amount": quantity * price})
    for scenario in names:
        for mineral in data.minerals:
            for period in data.periods:
                stock.append({"scenario": scenario, "mineral": mineral, "period": period, "arrivals": 0.0,
                              "demand": 0.0, "unmet_demand": rng.uniform(0, 5), "stock": rng.uniform(0, 500),
                              "target": 0.0, "shortfall": rng.uniform(0, 5), "sold": 0.0, "lost": 0.0})
    columns = ["scenario", *[c for c in ORDER_COLUMNS if c in orders[0] and c != "scenario"]]
    return Plan("optimal", 0.0, {}, pd.DataFrame(orders)[columns], pd.DataFrame(funding),
                pd.DataFrame(stock, columns=STOCK_COLUMNS), SolveResult("optimal", "optimal"))


def process_cpu() -> float:
    """User and system CPU seconds of this process so far, every thread counted."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_alone(workbook: Path, repeat: int) -> None:
    """Make the plan of ``workbook``, then solve its scenarios alone ``repeat`` times; print each time's figures."""
    from optimizer.pipeline import load
    from optimizer.solving.budget import TimeBudget
    from optimizer.solving.session import costs_alone, plan_from_data
    from optimizer.stages import Stages

    data, _ = load(workbook)
    plan = plan_from_data(data, Stages())
    weighing = [k for k in data.all_scenarios if k.probability > 0]
    expected = plan.objective - plan.costs.get("cvar_cost", 0.0)
    for _ in range(repeat):
        cpu, wall = process_cpu(), time.perf_counter()
        solved = costs_alone(data, [k.name for k in weighing], TimeBudget(600.0), plan)
        wall, cpu = time.perf_counter() - wall, process_cpu() - cpu
        ws = sum(k.probability * cost for k, (cost, _) in zip(weighing, solved))
        gap = sum(k.probability * (cost - bound) for k, (cost, bound) in zip(weighing, solved))
        print(f"scenarios alone: wall {wall:.2f} s, CPU {cpu:.2f} s; WS {ws:,.0f} (+- {gap:,.0f}), "
              f"EVPI {expected - ws:,.0f}; " + ", ".join(f"{k.name} {cost:,.0f} ({100 * (cost - bound) / cost:.3f}%)"
                                                         for k, (cost, bound) in zip(weighing, solved)))


def main() -> None:
    """Generate the workbook of --size with 5 scenarios, a synthetic plan of it, and time scenario_cost_frame."""
    from optimizer.contract.scenario_costs import scenario_cost_frame
    from optimizer.intake.generate import SIZES, generate_sheets, write_sheets
    from optimizer.pipeline import load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--alone", type=Path, help="time the scenarios alone of this workbook instead")
    args = parser.parse_args()
    if args.alone is not None:
        time_alone(args.alone, args.repeat)
        return
    size = dataclasses.replace(SIZES[args.size], scenarios=5)
    sheets = generate_sheets(size, seed=0)
    header, *rows = sheets["Scenarios"]
    sheets["Scenarios"] = [[*header, "known_from"]] + [[*row, size.periods // 2 + 1] for row in rows]
    data, _ = load(write_sheets(Path(tempfile.mkdtemp(prefix="scenario_costs_")) / f"{args.size}.xlsx", sheets))
    data = dataclasses.replace(data, settings=dataclasses.replace(data.settings, recourse="yes"))
    plan = synthetic_plan(data, random.Random(0))
    seconds = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        scenario_cost_frame(plan, data)
        seconds.append(time.perf_counter() - started)
    print(f"{args.size}: {len(plan.orders):,} order rows, {len(plan.stock):,} stock rows; scenario_cost_frame "
          f"median {statistics.median(seconds):.3f} s of {[round(s, 3) for s in seconds]}")


if __name__ == "__main__":
    main()
