"""The stress-test workbook: shortfall per mineral across the samples, the worst samples, the harm of each scenario.

Sheets: ``Summary`` (what was run; the penalty's mean, its two parts and
standard error, the plan's penalty_cost beside it; 95th percentile and worst; with priced Demand, the
mean release_revenue beside the plan's), ``Shortfall`` (per mineral: mean, 95th percentile and worst unmet
demand, target shortfall and penalty, how often demand goes unmet), ``Worst
samples``, ``Scenarios`` (most harmful first), ``Distribution`` (the penalty
at every percentile), then ``Charts``: the penalty per mineral (mean, 95th
percentile, worst; in money, so minerals compare) and across the samples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.reporting.charts import ChartData, axis
from optimizer.reporting.xlsx import money_axis
from optimizer.reporting.workbook import MONEY, QUANTITY, SHARE, WHOLE, TableSpec, summary_format
from optimizer.contract.data import SERVE_FIRST
from optimizer.contract.words import money, signed_money
from optimizer.studies.stress import EXCLUSIVE, SHORT, WORST_SAMPLES, StressResult, mineral_statistics, percentile, scenario_harm, worst_samples
from optimizer.reporting.studybook import bar_chart, line_chart, write_study_workbook


def write_stress_workbook(path: Path, result: StressResult, worst: int = WORST_SAMPLES) -> None:
    """Write the stress test's workbook to ``path`` atomically."""
    caption = (f"Stress test of {result.plan_path.name}: {result.occurs.shape[0]:,} sampled disruptions "
               f"({result.mode}, seed {result.seed})")
    write_study_workbook(path, stress_tables(result, worst), lambda charts: [
        mineral_penalty_chart(result, charts), penalty_chart(result, charts)], caption, result.data)


def stress_tables(result: StressResult, worst: int = WORST_SAMPLES) -> list[TableSpec]:
    """The stress workbook's sheets: Summary, Shortfall, the ``worst`` samples, Scenarios, Distribution."""
    quantities = {c: QUANTITY for c in ("demand", "mean_unmet_demand", "p95_unmet_demand", "worst_unmet_demand",
                                        "mean_target_shortfall", "p95_target_shortfall", "worst_target_shortfall",
                                        "unmet_demand", "target_shortfall")}
    worst_frame = pd.DataFrame(worst_samples(result, worst),
                               columns=["rank", "sample", "scenarios", "penalty", "unmet_demand", "target_shortfall",
                                        *[f"{m} unmet_demand" for m in result.exposure.minerals]])
    money = result.data.settings.currency
    return [
        TableSpec("Summary", summary_frame(result), {"value": "General"},
                  f"what was run and the shortfall penalty across the samples beside the plan's penalty_cost "
                  f"(money in {money})", wide=("value",), key_formats=summary_format),
        TableSpec("Shortfall", pd.DataFrame(mineral_statistics(result)),
                  {**quantities, "probability_unmet_demand": SHARE, "mean_unmet_penalty": MONEY,
                   "mean_target_penalty": MONEY, "mean_penalty": MONEY, "p95_penalty": MONEY,
                   "worst_penalty": MONEY},
                  "per mineral across the samples: mean, 95th percentile and worst unmet demand, target shortfall "
                  "and penalty"),
        TableSpec("Worst samples", worst_frame,
                  {"rank": WHOLE, "sample": WHOLE, "penalty": MONEY, **quantities,
                   **{c: QUANTITY for c in worst_frame.columns if c.endswith(" unmet_demand")}},
                  "the samples with the largest penalty: which scenarios occurred and what went unmet"),
        TableSpec("Scenarios", scenarios_frame(result),
            {"probability": SHARE, "occurred": SHARE, "mean_penalty_when_it_occurs": MONEY,
             "mean_penalty_otherwise": MONEY, "added_penalty": MONEY, "added_penalty_noise": MONEY,
             "share_of_worst_5pct": SHARE},
            "each scenario, most harmful first: the mean penalty when it occurs and otherwise; "
            "added_penalty_noise: twice its standard error", wide=("finding",)),
        TableSpec("Distribution", distribution_frame(result), {"percentile": WHOLE, "penalty": MONEY},
                  "the shortfall penalty at every percentile of the samples"),
    ]


SCENARIO_COLUMNS = ["scenario", "finding", "probability", "disruptions", "occurred", "mean_penalty_when_it_occurs",
                    "mean_penalty_otherwise", "added_penalty", "added_penalty_noise", "share_of_worst_5pct"]


def scenarios_frame(result: StressResult) -> pd.DataFrame:
    """scenario_harm's rows, each with the sampling noise of its added_penalty (twice the standard error of
    the difference of the two means) and a finding: an added penalty within that noise (even below 0) is
    no harm the samples can tell, not a scenario that helps."""
    rows = []
    for row in scenario_harm(result):
        k = result.exposure.scenarios.index(row["scenario"])
        occurred = result.occurs[:, k]
        noise = 2 * _difference_error(result.penalty[occurred], result.penalty[~occurred])
        rows.append({**row, "added_penalty_noise": noise, "finding": _harm_finding(row["added_penalty"], noise,
                                                                                  result.data.settings.currency)})
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS)


def _difference_error(first: np.ndarray, second: np.ndarray) -> float | None:
    if first.size < 2 or second.size < 2:
        return None
    return float(np.sqrt(first.var(ddof=1) / first.size + second.var(ddof=1) / second.size))


def _harm_finding(added: float | None, noise: float | None, currency: str) -> str:
    if added is None or noise is None:
        return "not measured: too few samples with it and without it"
    if abs(added) <= noise:
        return (f"no harm the samples can tell: {signed_money(added, currency)} is within the sampling noise "
                f"(+- {money(noise, currency)}); more --samples narrow it")
    verb = "adds" if added > 0 else "lowers the penalty by"
    return f"{verb} {money(abs(added), currency)} (+- {money(noise, currency)}) when it occurs"


def summary_frame(result: StressResult) -> pd.DataFrame:
    """The stress Summary: plan, input, sampling, the mean penalty and its parts beside penalty_cost."""
    penalty = result.penalty
    simulated = result.occurs.shape[0]
    mean = float(penalty.mean()) if simulated else None
    rows: list[tuple[str, object]] = [
        ("plan", str(result.plan_path)), ("input", str(result.input_path)),
        ("input_sha256", result.data.input_sha256),
        ("samples", result.samples), ("samples simulated", simulated), ("seed", result.seed),
        ("sampling", result.mode), ("scenarios", len(result.exposure.scenarios)),
        ("mean_penalty", mean),
        ("mean_penalty: demand not served", float(result.unmet_penalty.sum(axis=1).mean()) if simulated else None),
        ("mean_penalty: stock below target", float(result.target_penalty.sum(axis=1).mean()) if simulated else None),
        ("standard error of mean_penalty", float(penalty.std(ddof=1) / np.sqrt(simulated)) if simulated > 1 else 0.0),
        ("plan penalty_cost", "not in the plan's Summary" if result.plan_penalty_cost is None
         else result.plan_penalty_cost),
        ("mean_penalty against plan penalty_cost", against_plan(mean, result.plan_penalty_cost)),
        ("p95_penalty", percentile(penalty, 0.95)), ("worst_penalty", float(penalty.max(initial=0.0))),
        ("probability of any unmet demand", float((result.unmet.sum(axis=1) > SHORT).mean()) if simulated else None),
        *_release_revenue_rows(result),
        ("ran on", result.workers.describe()), ("seconds", round(result.seconds, 3)),
        ("failed chunks", "; ".join(result.failed_chunks) or "none"),
        ("how a sample is simulated", "the plan's orders and the pipeline arrive, less the sampled losses; demand "
                                      "is served whenever stock allows (stock may fall below target); the penalty "
                                      "is shortfall_penalty x unmet demand + target_penalty x stock below target, "
                                      "per period"),
        ("against the plan", _comparison(result)),
        *_price_rows(result.data),
        ("warnings", "; ".join(str(w) for w in result.warnings) or "none"),
    ]
    return pd.DataFrame(rows, columns=["key", "value"])


def _price_rows(data) -> list[tuple[str, object]]:
    """With ScenarioPrices or a floor_price: that prices are not simulated, and where the plan prices them (its
    Dashboard tells a cost range and the floors' payment the samples here cannot show); none otherwise."""
    floors = [f"contract {name} (floor {c.floor_price:,.6g})" for name, c in data.contracts.items()
              if c.floor_price is not None]
    floors += [f"offer {s}/{m} (floor {o.floor_price:,.6g})" for (s, m), o in data.offers.items()
               if o.floor_price is not None]
    if not data.scenario_prices and not floors:
        return []
    rows = [("prices", "not simulated: ScenarioPrices change what the plan pays, not what arrives, so the samples "
                       "count shortfall only; the plan's Scenario costs sheet and Dashboard price each scenario "
                       "(its cost range, and floor_cost: what the price floors pay above the market)")]
    return rows + ([("price floors", "; ".join(floors))] if floors else [])


def _release_revenue_rows(result: StressResult) -> list[tuple[str, object]]:
    """With priced Demand: the mean release_revenue (minus what participants pay for the demand served) and
    its standard error, beside the plan's release_revenue; none otherwise."""
    if result.exposure.release_price is None:
        return []
    revenue = result.release_revenue
    simulated = revenue.size
    mean = float(revenue.mean()) if simulated else None
    return [("mean_release_revenue", mean),
            ("standard error of mean_release_revenue",
             float(revenue.std(ddof=1) / np.sqrt(simulated)) if simulated > 1 else 0.0),
            ("plan release_revenue", "not in the plan's Summary" if result.plan_release_revenue is None
             else result.plan_release_revenue),
            ("mean_release_revenue against plan release_revenue", against_plan(mean, result.plan_release_revenue))]


def against_plan(mean: float | None, plan: float | None) -> str | None:
    """The stress mean against the plan's penalty_cost, as a relative difference in words."""
    if mean is None or plan is None:
        return "not compared"
    if plan == 0:
        return "equal (both 0)" if mean == 0 else f"{mean:,.0f} above a plan penalty_cost of 0"
    return f"{(mean - plan) / plan:+.2%}"


def _comparison(result: StressResult) -> str:
    """When mean_penalty should reproduce the plan's penalty_cost, and why it may not."""
    rule = result.data.settings.release_rule
    if rule == SERVE_FIRST and result.mode == EXCLUSIVE:
        return ("the plan serves demand first (release_rule serve_first) and each sample is one scenario with "
                "its probability (exclusive): mean_penalty estimates the plan's penalty_cost, within a few "
                "standard errors")
    if rule != SERVE_FIRST:
        return ("the plan may hold stock while demand goes unmet (release_rule optimal); this test serves "
                "demand first, so mean_penalty may differ from the plan's penalty_cost")
    return ("scenarios are sampled independently, several at once: mean_penalty is not the plan's "
            "penalty_cost (--sampling exclusive reproduces it)")


def distribution_frame(result: StressResult) -> pd.DataFrame:
    """The penalty at percentiles 0, 1, ..., 100 of the samples."""
    penalty = result.penalty
    return pd.DataFrame({"percentile": list(range(101)),
                         "penalty": [percentile(penalty, p / 100) for p in range(101)]})


def mineral_penalty_chart(result: StressResult, charts: ChartData):
    """Per mineral, in money so minerals compare: the penalty's mean, 95th percentile and worst."""
    rows = [[r["mineral"], r["mean_penalty"], r["p95_penalty"], r["worst_penalty"]]
            for r in mineral_statistics(result)]
    money = result.data.settings.currency
    money_format = charts.book.money()
    block = charts.block(f"Shortfall penalty per mineral across the samples ({money})",
                         ["mineral", "mean", "95th percentile", "worst"], rows, [None] + [money_format] * 3)
    return bar_chart(charts, block, "Shortfall penalty per mineral: mean, 95th percentile, worst",
                     f"penalty ({money})", money_axis(max((r[3] for r in rows), default=0.0)),
                     categories=[r[0] for r in rows])


def penalty_chart(result: StressResult, charts: ChartData):
    """A line chart of the shortfall penalty at each percentile of the samples (its data added to ``charts``)."""
    frame = distribution_frame(result)
    block = charts.block(f"Shortfall penalty by percentile of the samples ({result.data.settings.currency})",
                         ["percentile", "penalty"], [[int(r.percentile), float(r.penalty)] for r in frame.itertuples()],
                         ["0", charts.book.money()])
    money = result.data.settings.currency
    chart = line_chart(charts, [block], "Shortfall penalty across the samples", "percentile of samples",
                       f"penalty ({money})", money_axis(float(result.penalty.max(initial=0.0))), markers=False)
    chart.set_x_axis(axis("percentile of samples", "0", min=0, max=100, major_gridlines={"visible": False}))
    return chart
