"""Figures an analyst reads off a plan: concentration, country shares, supplier risk, cover, shortfall.

Everything is computed from the plan's tables and the planning data (no
Pyomo). Three views of supply per mineral recur:

    pipeline  arrivals already paid for (before the plan)
    plan      the plan's orders
    after     pipeline + plan: what the mineral's supply is once the plan is carried out

Herfindahl-Hirschman index of a mineral's supply: HHI = sum over holders i of
(100 * share_i)^2, from 0 (spread thin) to 10,000 (one holder). The 2023 US
Merger Guidelines call a market above 1,800 highly concentrated.

Country shares over all minerals weigh each mineral's quantity by its
reference price, the average ``unit_price`` of its offers, so tonnes of
graphite and kilograms of gallium add up as money.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from optimizer.cover import achieved_cover
from optimizer.data import BASE, PlanningData
from optimizer.plan import Plan

HIGHLY_CONCENTRATED = 1800
VIEWS = ("pipeline", "plan", "after")


def supply(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and supplier: pipeline, ordered, and after (their sum) quantities."""
    quantities: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (supplier, mineral, _), quantity in data.pipeline.items():
        quantities[mineral, supplier][0] += quantity
    for row in plan.orders.itertuples():
        quantities[row.mineral, row.supplier][1] += float(row.quantity)
    rows = [{"mineral": m, "supplier": s, "country": data.country(s), "pipeline": q[0], "plan": q[1],
             "after": q[0] + q[1]} for (m, s), q in sorted(quantities.items())]
    return pd.DataFrame(rows, columns=["mineral", "supplier", "country", *VIEWS])


def hhi(quantities) -> float | None:
    """sum of (100 * share)^2 over holders; None when there is nothing to share."""
    values = [float(q) for q in quantities if q > 0]
    total = sum(values)
    if total <= 0:
        return None
    return sum((100.0 * q / total) ** 2 for q in values)


def concentration_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral: HHI by country and by supplier for pipeline, plan and after; the largest country after."""
    table = supply(plan, data)
    rows = []
    for mineral in data.minerals:
        mine = table[table["mineral"] == mineral]
        row: dict[str, object] = {"mineral": mineral, "unit": data.minerals[mineral].unit}
        for view in VIEWS:
            row[f"{view}_quantity"] = float(mine[view].sum())
        for view in VIEWS:
            row[f"hhi_country_{view}"] = hhi(mine.groupby("country")[view].sum())
        for view in VIEWS:
            row[f"hhi_supplier_{view}"] = hhi(mine[view])
        by_country = mine.groupby("country")["after"].sum()
        total = float(by_country.sum())
        row["largest_country_after"] = by_country.idxmax() if total > 0 else None
        row["largest_country_share_after"] = float(by_country.max()) / total if total > 0 else None
        for view in ("pipeline", "plan"):
            row[f"average_risk_{view}"] = _average_risk(mine, view, data)
        row["max_avg_risk"] = data.minerals[mineral].max_avg_risk
        hhi_after = row["hhi_country_after"]
        row["concentration_after"] = None if hhi_after is None else _level(hhi_after)
        rows.append(row)
    return pd.DataFrame(rows)


def _level(value: float) -> str:
    if value > HIGHLY_CONCENTRATED:
        return "high"
    return "moderate" if value >= 1000 else "low"


def _average_risk(rows: pd.DataFrame, view: str, data: PlanningData) -> float | None:
    total = float(rows[view].sum())
    if total <= 0:
        return None
    return sum(data.risk_score(r.supplier) * getattr(r, view) for r in rows.itertuples()) / total


def reference_price(data: PlanningData) -> dict[str, float]:
    """Average offer unit_price of each mineral that has an offer."""
    prices: dict[str, list[float]] = defaultdict(list)
    for offer in data.offers.values():
        prices[offer.mineral].append(offer.unit_price)
    return {m: sum(p) / len(p) for m, p in prices.items()}


def country_shares(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Share of supply value from each country, before (pipeline) and after (pipeline + plan)."""
    table = supply(plan, data)
    price = reference_price(data)
    table = table.assign(weight=table["mineral"].map(price).fillna(0.0))
    rows = []
    totals = {view: float((table[view] * table["weight"]).sum()) for view in ("pipeline", "after")}
    for country, group in table.groupby("country"):
        row = {"country": country}
        for view, label in (("pipeline", "before"), ("after", "after")):
            value = float((group[view] * group["weight"]).sum())
            row[label] = value / totals[view] if totals[view] > 0 else 0.0
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["country", "before", "after"])
    largest = frame[["before", "after"]].max(axis=1)
    return frame.assign(_largest=largest).sort_values(["_largest", "after"], ascending=False, ignore_index=True
                                                      ).drop(columns="_largest")


def top_countries(shares: pd.DataFrame, count: int) -> pd.DataFrame:
    """The ``count`` largest rows of ``country_shares``, the rest summed into one row."""
    if len(shares) <= count + 1:
        return shares
    rest = shares.iloc[count:]
    other = pd.DataFrame([{"country": f"{len(rest)} other countries", "before": float(rest["before"].sum()),
                           "after": float(rest["after"].sum())}])
    return pd.concat([shares.iloc[:count], other], ignore_index=True)


def average_risk(plan: Plan, data: PlanningData, view: str) -> float | None:
    """Value-weighted average supplier risk_score over every mineral's supply in ``view``."""
    table = supply(plan, data)
    price = reference_price(data)
    weights = table[view] * table["mineral"].map(price).fillna(0.0)
    total = float(weights.sum())
    if total <= 0:
        return None
    risk = table["supplier"].map(data.risk_score)
    return float((risk * weights).sum()) / total


def shortfall_by_mineral(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral: expected unmet demand and stock below target, their penalty, and the worst scenario."""
    probability = {k.name: k.probability for k in data.all_scenarios}
    stock = plan.stock
    rows = []
    for mineral, spec in data.minerals.items():
        mine = stock[stock["mineral"] == mineral]
        weights = mine["scenario"].map(probability)
        unmet = float((mine["unmet_demand"] * weights).sum())
        below = float((mine["shortfall"] * weights).sum())
        worst = worst_scenario(plan, data, mineral)
        in_worst = mine[mine["scenario"] == worst]
        rows.append({
            "mineral": mineral, "unit": spec.unit, "expected_unmet_demand": unmet,
            "expected_below_target": below, "expected_penalty": spec.shortfall_penalty * (unmet + below),
            "worst_scenario": worst, "worst_probability": probability[worst],
            "worst_unmet_demand": float(in_worst["unmet_demand"].sum()),
            "worst_below_target": float(in_worst["shortfall"].sum()),
        })
    return pd.DataFrame(rows)


def worst_scenario(plan: Plan, data: PlanningData, mineral: str) -> str:
    """The scenario other than base that leaves the mineral shortest (then with least stock); base if none."""
    if not data.scenarios:
        return BASE
    mine = plan.stock[plan.stock["mineral"] == mineral]
    scored = []
    for scenario in data.scenarios:
        rows = mine[mine["scenario"] == scenario.name]
        short = float((rows["unmet_demand"] + rows["shortfall"]).sum())
        scored.append((-short, float(rows["stock"].sum()), scenario.name))
    return min(scored)[2] if scored else BASE


def cover_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and period, in base and the mineral's worst scenario: stock as periods of demand ahead."""
    T = data.settings.num_periods
    rows = []
    for mineral in data.minerals:
        scenarios = dict.fromkeys([BASE, worst_scenario(plan, data, mineral)])
        for scenario in scenarios:
            mine = plan.stock[(plan.stock["mineral"] == mineral) & (plan.stock["scenario"] == scenario)]
            for r in mine.itertuples():
                rows.append({
                    "scenario": scenario, "mineral": mineral, "period": int(r.period), "stock": float(r.stock),
                    "cover_periods": achieved_cover(data.demand, mineral, int(r.period), float(r.stock), T),
                    "target": float(r.target), "target_cover_periods": data.target_cover.get((mineral, int(r.period))),
                })
    return pd.DataFrame(rows, columns=["scenario", "mineral", "period", "stock", "cover_periods", "target",
                                       "target_cover_periods"])


def cover_summary(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral: the least cover over the horizon (base), the cover at its end, and the cover asked for."""
    cover = cover_frame(plan, data)
    base = cover[cover["scenario"] == BASE]
    rows = []
    for mineral in data.minerals:
        mine = base[base["mineral"] == mineral]
        values = mine["cover_periods"].dropna()
        asked = mine["target_cover_periods"].dropna()
        rows.append({"mineral": mineral, "least_cover_periods": float(values.min()) if len(values) else None,
                     "final_cover_periods": mine["cover_periods"].iloc[-1] if len(mine) else None,
                     "target_cover_periods": float(asked.max()) if len(asked) else None})
    return pd.DataFrame(rows, columns=["mineral", "least_cover_periods", "final_cover_periods",
                                       "target_cover_periods"])
