"""The summary printed after a run: status, cost breakdown, funding, largest orders, shortfalls.

Plain fixed-width tables for a terminal (the CLI prints them to standard
error); the numbers are the result workbook's.
"""

from __future__ import annotations

import re

from optimizer.analysis import explain, metrics
from optimizer.reporting.dashboard import COST_LABELS
from optimizer.contract.data import PlanningData
from optimizer.contract.results import Plan

LARGEST_ORDERS = 5
NUMBER = re.compile(r"^-?[\d,.]+(%| \S+)?$")  # 1,234 / 12.5% / 6 t


def table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Columns padded to their widest cell: numbers (with a unit or %) right-aligned, text left-aligned."""
    columns = list(zip(headers, *rows))
    widths = [max(len(str(cell)) for cell in column) for column in columns]
    right = [bool(rows) and all(NUMBER.match(str(cell)) for cell in column[1:]) for column in columns]

    def line(cells) -> str:
        parts = [str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right)]
        return (indent + "  ".join(parts)).rstrip()
    return [line(headers), indent + "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def summary_lines(plan: Plan, data: PlanningData) -> list[str]:
    """The summary printed after a run: status and cost, cost terms, funding, largest orders, shortfalls and why."""
    currency = data.settings.currency
    gap = "" if plan.solve.gap is None else f" (gap {100 * plan.solve.gap:.2g}%)"
    lines = [f"{plan.status}{gap}: expected cost {plan.objective:,.0f} {currency}", ""]
    lines += _costs(plan, currency) + [""]
    lines += _funding(plan, data) + [""]
    lines += _orders(plan, data) + [""]
    lines += _shortfalls(plan, data)
    return lines


def _costs(plan: Plan, currency: str) -> list[str]:
    total = plan.objective or 0.0
    rows = [[COST_LABELS[name], f"{plan.costs.get(name, 0.0):,.0f}",
             f"{plan.costs.get(name, 0.0) / total:.1%}" if total else ""] for name in plan.stated_cost_terms()]
    rows.append(["Total expected cost", f"{total:,.0f}", "100.0%" if total else ""])
    return ["Cost breakdown"] + table(["term", currency, "share"], rows)


def _funding(plan: Plan, data: PlanningData) -> list[str]:
    use = metrics.funding_use(plan, data)
    rows = [[r.source, f"{r.spent:,.0f}", f"{r.amount:,.0f}", f"{r.at_most:,.0f}",
             f"{r.used_of_at_most:.1%}" if r.at_most else ""] for r in use.itertuples()]
    return ["Funding"] + table(["source", "spent", "amount", "can pay at most", "spent of that"], rows)


def _orders(plan: Plan, data: PlanningData) -> list[str]:
    if plan.orders.empty:
        return ["Orders: none"]
    largest = plan.orders.sort_values("cost", ascending=False).head(LARGEST_ORDERS)
    rows = [[o.supplier, o.mineral, str(int(o.period)),
             f"{explain.number(float(o.quantity))} {data.minerals[o.mineral].unit}", f"{o.cost:,.0f}"]
            for o in largest.itertuples()]
    title = f"Largest orders ({min(LARGEST_ORDERS, len(plan.orders))} of {len(plan.orders)})"
    return [title] + table(["supplier", "mineral", "period", "quantity", f"cost {data.settings.currency}"], rows)


def _shortfalls(plan: Plan, data: PlanningData) -> list[str]:
    short = metrics.shortfall_by_mineral(plan, data)
    short = short[short["expected_penalty"] > 0].sort_values("expected_penalty", ascending=False)
    if short.empty:
        return ["Shortfalls: none in any scenario"]
    rows = [[r.mineral, f"{explain.number(r.expected_unmet_demand)} {r.unit}", f"{r.unmet_penalty:,.0f}",
             f"{explain.number(r.expected_below_target)} {r.unit}", f"{r.target_penalty:,.0f}", r.worst_scenario]
            for r in short.itertuples()]
    lines = ["Shortfalls (expected, summed over periods)"]
    currency = data.settings.currency
    lines += table(["mineral", "unmet demand", f"its penalty {currency}", "below target",
                    f"its penalty {currency}", "worst scenario"], rows)
    analysis = plan.analysis
    if analysis is not None and analysis.causes:
        lines += ["", "Why short (one limit lifted at a time)"]
        lines += [f"  {text}" for text in explain.verdicts(analysis.causes, data).values()]
    return lines
