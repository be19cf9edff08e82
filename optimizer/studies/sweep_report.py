"""The sweep workbook: the table of points, shortfall by mineral, what was run, and a chart per frontier.

Sheets: ``Sweep`` (one row per point: the varied values, status, objective and
its seven cost terms, expected shortfall, value-weighted risk, country shares, money
drawn), ``Shortfall by mineral``, ``About`` (input, variations, where it ran,
throughput), ``Charts`` and ``Chart data``. One chart per varied input, read
at every combination of the other varied inputs (one line each, at most
``MAX_LINES``):

    funding        expected cost (objective) against the source's amount
    risk_weight    cost excluding risk_cost against value-weighted risk (the cost-risk frontier)
    cvar_weight    expected cost against the CVaR of the scenario cost (the cost against tail risk frontier)
    country_share  expected cost against the country's max_share
    price_shock    the mineral's expected shortfall against the price factor
    capex          expected cost against the project's capex; the About sheet reads the break-even
                   capex off this frontier (``break_even``)
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd

from optimizer.contract.results import COST_TERMS
from optimizer.contract.words import money as money_words, plural
from optimizer.reporting.charts import ChartData
from optimizer.reporting.xlsx import MILLIONS, money_axis
from optimizer.reporting.workbook import MONEY, QUANTITY, SHARE, WHOLE, TableSpec
from optimizer.reporting.studybook import axis_start, line_chart, write_study_workbook
from optimizer.studies.sweep import (
    CAPEX, CONVERSION_CAPACITY, COUNTRY_SHARE, CVAR_WEIGHT, FUNDING, OPTION, PRICE_SHOCK, RISK_WEIGHT, SweepResult,
    Variation, readable,
)

MAX_LINES = 8
YES_NO = '"yes";"yes";"no"'  # a project's built (1 or 0) as the plan says it; the cell keeps the number
_NOT_SHOWN = ("shortfall_by_mineral", "seconds", "cpu_seconds")


def write_sweep_workbook(path: Path, result: SweepResult) -> None:
    """Write the sweep's workbook to ``path`` atomically."""
    caption = "Frontiers: each varied input against what it changes, one line per combination of the others"
    write_study_workbook(path, sweep_tables(result), lambda charts: [
        frontier_chart(result, variation, charts) for variation in result.variations], caption, result.data,
        about_rows(result))


def sweep_tables(result: SweepResult) -> list[TableSpec]:
    """The sweep workbook's sheets as tables: Sweep and Shortfall by mineral, with their number formats."""
    table = sweep_frame(result)
    formats = {c: MONEY for c in table.columns if c in COST_TERMS or c.endswith(" spent")
               or c in ("objective", "cost_excluding_risk", "expected_cost", "cvar", "spent")}
    formats.update({c: SHARE for c in table.columns if c.endswith((" share", " max_share"))})
    formats.update({c: MONEY for c in table.columns if c.endswith(" amount")})
    formats.update({c: YES_NO for c in table.columns if c.endswith(" built")})
    formats.update({"point": WHOLE, "expected_unmet_demand": QUANTITY, "expected_shortfall": QUANTITY,
                    "value_weighted_risk": "0.000", "mip_gap": "0.00%", "solve_seconds": "0.00", "attempts": WHOLE})
    money = result.data.settings.currency
    return [
        TableSpec("Sweep", table, formats, keys=1 + len(result.variations),
                  note=f"one row per point of the grid: the varied inputs, status, the expected cost and its terms "
                       f"(money in {money}), shortfall, risk, country shares"),
        TableSpec("Shortfall by mineral", shortfall_frame(result),
                  {"point": WHOLE, "expected_unmet_demand": QUANTITY, "expected_shortfall": QUANTITY,
                   **{v.column: formats.get(v.column) for v in result.variations}},
                  "per point and mineral: expected shortfall (unmet demand + stock below target) in its unit",
                  keys=2 + len(result.variations)),
    ]


def sweep_frame(result: SweepResult) -> pd.DataFrame:
    """One row per point, in grid order."""
    rows = [{k: v for k, v in row.items() if k not in _NOT_SHOWN} for row in result.rows]
    frame = pd.DataFrame(rows)
    first = ["point"] + [v.column for v in result.variations] + ["status", "objective"]
    last = ["mip_gap", "solve_seconds", "attempts", "message"]
    middle = [c for c in frame.columns if c not in first and c not in last]
    return frame.reindex(columns=first + middle + last)


def shortfall_frame(result: SweepResult) -> pd.DataFrame:
    """Per point and mineral: expected shortfall (unmet demand + stock below target) in the mineral's unit."""
    rows = []
    for row in result.rows:
        for mineral, shortfall in row.get("shortfall_by_mineral", {}).items():
            rows.append({"point": row["point"], **{v.column: row[v.column] for v in result.variations},
                         "mineral": mineral, "unit": result.data.minerals[mineral].unit,
                         "expected_shortfall": shortfall})
    columns = ["point"] + [v.column for v in result.variations] + ["mineral", "unit", "expected_shortfall"]
    return pd.DataFrame(rows, columns=columns)


def about_rows(result: SweepResult) -> list[tuple[str, object]]:
    """What was swept, where it ran and how fast, and how to read the measures (the About sheet's first rows)."""
    rows: list[tuple[str, object]] = [
        ("input", str(result.input_path)),  # input_sha256: provenance's row (About), explained there
        *[(OPTION[v.kind], _describe(v)) for v in result.variations],
        *[(f"break-even {v.name} capex", break_even(result, v)) for v in result.variations if v.kind == CAPEX],
        ("points", len(result.rows)), ("points failed", result.failed),
        ("ran on", result.workers.describe()), ("wall seconds", round(result.seconds, 2)),
        ("solves per minute", round(result.solves_per_minute, 2)),
        ("time_limit_s per solve", result.data.settings.time_limit_s),
        ("cost_excluding_risk", "objective - risk_cost: what the plan costs in money"),
        ("expected_shortfall", "unmet demand + stock below target, probability-weighted over the scenarios, "
                               "summed over periods and minerals (each in its own unit)"),
        ("value_weighted_risk", "supplier risk_score of the plan's orders, weighted by value at reference prices"),
        ("<country> share", "the country's share of the plan's ordered value (at reference prices)"),
        *[(f"finding {OPTION[v.kind]}", text) for v in result.variations if (text := flat_finding(result, v))],
    ]
    return rows


def flat_finding(result: SweepResult, variation: Variation) -> str:
    """A sentence when the expected cost does not move over ``variation`` (every other varied input at its
    first value) by more than the points' solver gap: a flat line read without it looks like a fault."""
    others = [v for v in result.variations if v is not variation]
    rows = [row for row in result.rows if row.get("objective") is not None
            and all(row[o.column] == o.values[0] for o in others)]
    if len(rows) < 2:
        return ""
    costs = [row["objective"] for row in rows]
    gap = max((abs(row.get("mip_gap") or 0.0) * abs(row["objective"]) for row in rows), default=0.0)
    if max(costs) - min(costs) > max(gap, 1e-9 * max(abs(c) for c in costs)):
        return ""
    currency = result.data.settings.currency
    return (f"the expected cost is {money_words(costs[0], currency)} at every {variation.column} swept, within "
            f"the solver's gap: over this range it does not bind, another limit does (a plan's Sensitivities "
            f"sheet names which)")


def break_even(result: SweepResult, variation: Variation) -> str:
    """The capex at which funding the project stops paying, read off the frontier at the first values of
    the other varied inputs: between the largest capex still built and the smallest not built; where two
    built points give the slope of the cost line, where that line meets the cost without the project."""
    others = [v for v in result.variations if v is not variation]
    rows = sorted((row for row in result.rows if row.get("objective") is not None
                   and all(row[o.column] == o.values[0] for o in others)), key=lambda row: row[variation.column])
    built = [(row[variation.column], row["objective"]) for row in rows if row.get(f"{variation.name} built")]
    left = [(row[variation.column], row["objective"]) for row in rows if not row.get(f"{variation.name} built")]
    money = result.data.settings.currency
    if not built:
        return f"not funded at any capex swept (from {variation.values[0]:,.6g} {money})"
    if not left:
        return f"funded at every capex swept (up to {max(variation.values):,.6g} {money})"
    (low, cost_low), high = built[-1], min(capex for capex, _ in left if capex > built[-1][0])
    text = f"between {low:,.6g} and {high:,.6g} {money}"
    if len(built) >= 2 and built[-1][0] > built[-2][0]:
        slope = (built[-1][1] - built[-2][1]) / (built[-1][0] - built[-2][0])
        level = next(cost for capex, cost in left if capex == high)
        if slope > 0:
            text += f"; about {low + (level - cost_low) / slope:,.6g} {money} where the cost lines meet"
    return text


def _describe(variation: Variation) -> str:
    target = f"{variation.name}: " if variation.name else ""
    return target + "; ".join(readable(v) for v in variation.values)  # "; ": values may hold commas


# --- frontier charts ---------------------------------------------------------------------------

def frontier_chart(result: SweepResult, variation: Variation, charts: ChartData):
    """The chart of one varied input: one line per combination of the other varied inputs."""
    others = [v for v in result.variations if v is not variation]
    x_column, y_column, title, x_title, y_title, y_format, x_format = _axes(result, variation)
    lines, labels = [], []
    for combination in itertools.islice(itertools.product(*[o.values for o in others]), MAX_LINES):
        rows = [row for row in result.rows
                if all(row[o.column] == value for o, value in zip(others, combination))]
        name = ", ".join(f"{o.column} {readable(value)}" for o, value in zip(others, combination)) or y_title
        points = [[row.get(x_column or variation.column), _y(row, y_column), row[variation.column]] for row in rows]
        points = sorted((p for p in points if p[0] is not None), key=lambda p: p[0])
        if points:
            # x is not the varied value (a frontier of cost against risk): each point says its value
            labels.append([f"{variation.column} {readable(p[2])}" for p in points] if x_column else None)
            lines.append((name, [p[:2] for p in points]))
    if not lines:
        return None
    shown = [y for _, points in lines for _, y in points if y is not None]
    top, above = axis_end(shown)
    if above:
        title += f" (off the top: {plural(len(above), 'point')}, up to {readable(max(above))})"
    # the numbers in full money (the axis's millions would show a small sweep's costs as 0M)
    cells = [charts.book.money() if f == MILLIONS else f for f in (x_format, y_format)]
    blocks = [charts.block(f"{title} ({name})", [x_title, name], points, cells) for name, points in lines]
    y_format = _money_axis(y_format, shown)
    x_format = _money_axis(x_format, [x for _, points in lines for x, _ in points])
    return line_chart(charts, blocks, title, x_title, y_title, y_format, x_format,
                      axis_start([y for y in shown if top is None or y <= top]), y_max=top, labels=labels)


def _money_axis(number_format: str, values: list[float]) -> str:
    """A money axis (MILLIONS asked) in the units its values need: millions with two decimals from 1M, one from
    10M (a frontier's small steps show), none from 100M; below 1M and from 1B as money_axis says (no "0.00M"
    ticks, no "3,000M")."""
    if number_format != MILLIONS:
        return number_format
    largest = max((abs(v) for v in values if v is not None), default=0.0)
    if 1e8 <= largest < 1e9:
        return MILLIONS
    if largest >= 1e6:
        return '#,##0.0,,"M"' if largest >= 1e7 else '#,##0.00,,"M"'
    return money_axis(largest)


def axis_end(values: list[float]) -> tuple[float | None, list[float]]:
    """Where the value axis should end when a few points sit far above the rest (a sweep's $0 point, nearly
    all penalty): just above the others, and the points left off; (None, []) when nothing stands out.

    A point stands out when it is over 3 times the median of the values."""
    if len(values) < 3:
        return None, []
    ordered = sorted(values)
    median = ordered[len(ordered) // 2]
    if median <= 0:
        return None, []
    above = [v for v in values if v > 3 * median]
    if not above:
        return None, []
    rest = max(v for v in values if v <= 3 * median)
    step = 10 ** (math.floor(math.log10(rest)) - 1) if rest > 0 else 1.0
    return step * math.ceil(1.1 * rest / step), above


def _y(row: dict, column: str) -> float | None:
    """The row's value of ``column``; ``shortfall:<mineral>`` is that mineral's expected shortfall."""
    if column.startswith("shortfall:"):
        return row.get("shortfall_by_mineral", {}).get(column.split(":", 1)[1])
    return row.get(column)


def _axes(result: SweepResult, variation: Variation) -> tuple:
    """(x column or None for the varied value, y column, title, x title, y title, y format, x format)."""
    money = result.data.settings.currency
    if variation.kind == FUNDING:
        return (None, "objective", f"Expected cost against the {variation.name} amount",
                f"{variation.name} amount ({money})", f"expected cost ({money})", MILLIONS, MILLIONS)
    if variation.kind == RISK_WEIGHT:
        return ("value_weighted_risk", "cost_excluding_risk", "Cost-risk frontier (risk_weight varied)",
                "value-weighted supplier risk of the plan's orders", f"cost excluding risk_cost ({money})", MILLIONS,
                "0.000")
    if variation.kind == CVAR_WEIGHT:
        return ("cvar", "expected_cost", "Cost against tail risk (cvar_weight varied)",
                f"CVaR of the scenario cost ({money})", f"expected cost ({money})", MILLIONS, MILLIONS)
    if variation.kind == COUNTRY_SHARE:
        return (None, "objective", f"Expected cost against {variation.name}'s max_share",
                f"{variation.name} max_share", f"expected cost ({money})", MILLIONS, "0%")
    if variation.kind == CAPEX:
        return (None, "objective", f"Expected cost against the capex of {variation.name}",
                f"{variation.name} capex ({money})", f"expected cost ({money})", MILLIONS, MILLIONS)
    if variation.kind == CONVERSION_CAPACITY:
        conversion = result.data.conversions[variation.name]
        unit = result.data.minerals[conversion.from_mineral].unit
        return (None, "objective", f"Expected cost against {variation.name}'s capacity",
                f"{variation.name} max_per_period ({unit} of {conversion.from_mineral})", f"expected cost ({money})",
                MILLIONS, "#,##0.##")
    assert variation.kind == PRICE_SHOCK
    unit = result.data.minerals[variation.name].unit
    return (None, f"shortfall:{variation.name}", f"Expected shortfall of {variation.name} against its price shock",
            f"{variation.name} price factor", f"expected shortfall ({unit})", "#,##0.##", "0.00")
