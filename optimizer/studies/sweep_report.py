"""The sweep workbook: the table of points, shortfall by mineral, what was run, and a chart per frontier.

Sheets: ``Sweep`` (one row per point: the varied values, status, objective and
its seven cost terms, expected shortfall, value-weighted risk, country shares, money
drawn), ``Shortfall by mineral``, ``About`` (input, variations, where it ran,
throughput), ``Charts`` and ``Chart data``. One chart per varied input, read
at every combination of the other varied inputs (one line each, at most
``MAX_LINES``):

    funding        expected cost (objective) against the source's amount
    risk_weight    cost excluding risk_cost against value-weighted risk (the cost-risk frontier)
    country_share  expected cost against the country's max_share
    price_shock    the mineral's expected shortfall against the price factor
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from optimizer.contract.results import COST_TERMS
from optimizer import __version__
from optimizer.reporting.charts import ChartData
from optimizer.reporting.workbook import MONEY, QUANTITY, SHARE, WHOLE, TableSpec
from optimizer.reporting.studybook import axis_start, line_chart, write_study_workbook
from optimizer.studies.sweep import (
    CONVERSION_CAPACITY, COUNTRY_SHARE, FUNDING, OPTION, PRICE_SHOCK, RISK_WEIGHT, SweepResult, Variation,
)

MAX_LINES = 8
MILLIONS = '#,##0,,"M"'
_NOT_SHOWN = ("shortfall_by_mineral", "seconds", "cpu_seconds")


def write_sweep_workbook(path: Path, result: SweepResult) -> None:
    """Write the sweep's workbook to ``path`` atomically."""
    charts = ChartData()
    figures = [chart for variation in result.variations
               if (chart := frontier_chart(result, variation, charts)) is not None]
    caption = "Frontiers: each varied input against what it changes, one line per combination of the others"
    write_study_workbook(path, sweep_tables(result), figures, charts, caption)


def sweep_tables(result: SweepResult) -> list[TableSpec]:
    """The sweep workbook's sheets as tables: Sweep, Shortfall by mineral and About, with their number formats."""
    table = sweep_frame(result)
    formats = {c: MONEY for c in table.columns if c in COST_TERMS or c.endswith(" spent")
               or c in ("objective", "cost_excluding_risk", "spent")}
    formats.update({c: SHARE for c in table.columns if c.endswith((" share", " max_share"))})
    formats.update({c: MONEY for c in table.columns if c.endswith(" amount")})
    formats.update({"point": WHOLE, "expected_unmet_demand": QUANTITY, "expected_shortfall": QUANTITY,
                    "value_weighted_risk": "0.000", "mip_gap": "0.00%", "solve_seconds": "0.00", "attempts": WHOLE})
    money = result.data.settings.currency
    return [
        TableSpec("Sweep", table, formats, f"money in {money}"),
        TableSpec("Shortfall by mineral", shortfall_frame(result),
                  {"point": WHOLE, "expected_unmet_demand": QUANTITY, "expected_shortfall": QUANTITY}),
        TableSpec("About", about_frame(result), {"value": "General"}, wide=("value",)),
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


def about_frame(result: SweepResult) -> pd.DataFrame:
    """What was swept, where it ran and how fast, and how to read the measures."""
    rows: list[tuple[str, object]] = [
        ("input", str(result.input_path)), ("input_sha256", result.data.input_sha256),
        *[(OPTION[v.kind], _describe(v)) for v in result.variations],
        ("points", len(result.rows)), ("points failed", result.failed),
        ("ran on", result.workers.describe()), ("wall seconds", round(result.seconds, 2)),
        ("solves per minute", round(result.solves_per_minute, 2)),
        ("time_limit_s per solve", result.data.settings.time_limit_s),
        ("cost_excluding_risk", "objective - risk_cost: what the plan costs in money"),
        ("expected_shortfall", "unmet demand + stock below target, probability-weighted over the scenarios, "
                               "summed over periods and minerals (each in its own unit)"),
        ("value_weighted_risk", "supplier risk_score of the plan's orders, weighted by value at reference prices"),
        ("<country> share", "the country's share of the plan's ordered value (at reference prices)"),
        ("written_at", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("engine_version", __version__),
    ]
    return pd.DataFrame(rows, columns=["key", "value"])


def _describe(variation: Variation) -> str:
    target = f"{variation.name}: " if variation.name else ""
    return target + ", ".join(f"{v:g}" for v in variation.values)


# --- frontier charts ---------------------------------------------------------------------------

def frontier_chart(result: SweepResult, variation: Variation, charts: ChartData):
    """The chart of one varied input: one line per combination of the other varied inputs."""
    others = [v for v in result.variations if v is not variation]
    x_column, y_column, title, x_title, y_title, y_format, x_format = _axes(result, variation)
    blocks, shown = [], []
    for combination in itertools.islice(itertools.product(*[o.values for o in others]), MAX_LINES):
        rows = [row for row in result.rows
                if all(row[o.column] == value for o, value in zip(others, combination))]
        name = ", ".join(f"{o.column}={value:g}" for o, value in zip(others, combination)) or y_title
        points = [[row.get(x_column or variation.column), _y(row, y_column)] for row in rows]
        points = sorted((p for p in points if p[0] is not None), key=lambda p: p[0])
        if points:
            blocks.append(charts.block(f"{title} ({name})", [x_title, name], points))
            shown += [y for _, y in points]
    if not blocks:
        return None
    return line_chart(blocks, title, x_title, y_title, y_format, x_format, axis_start(shown))


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
    if variation.kind == COUNTRY_SHARE:
        return (None, "objective", f"Expected cost against {variation.name}'s max_share",
                f"{variation.name} max_share", f"expected cost ({money})", MILLIONS, "0%")
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
