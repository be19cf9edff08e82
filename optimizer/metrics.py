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


def _totals(plan: Plan) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(scenario, mineral) -> (unmet demand, below target, stock) summed over periods."""
    if plan.stock.empty:
        return {}
    sums = plan.stock.groupby(["scenario", "mineral"])[["unmet_demand", "shortfall", "stock"]].sum()
    return {key: (float(u), float(s), float(k)) for key, u, s, k in zip(
        sums.index, sums["unmet_demand"], sums["shortfall"], sums["stock"])}


def shortfall_by_mineral(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral: expected unmet demand and stock below target, their two penalties apart (demand not served:
    shortfall_penalty x unmet; stock below target: target_penalty x units below, per period) and their sum,
    and the worst scenario."""
    totals = _totals(plan)
    worst = worst_scenarios(plan, data)
    rows = []
    for mineral, spec in data.minerals.items():
        unmet = sum(k.probability * totals.get((k.name, mineral), (0.0, 0.0, 0.0))[0] for k in data.all_scenarios)
        below = sum(k.probability * totals.get((k.name, mineral), (0.0, 0.0, 0.0))[1] for k in data.all_scenarios)
        in_worst = totals.get((worst[mineral], mineral), (0.0, 0.0, 0.0))
        rows.append({
            "mineral": mineral, "unit": spec.unit, "expected_unmet_demand": unmet,
            "expected_below_target": below, "unmet_penalty": spec.shortfall_penalty * unmet,
            "target_penalty": spec.target_penalty * below,
            "expected_penalty": spec.shortfall_penalty * unmet + spec.target_penalty * below,
            "worst_scenario": worst[mineral],
            "worst_probability": next(k.probability for k in data.all_scenarios if k.name == worst[mineral]),
            "worst_unmet_demand": in_worst[0], "worst_below_target": in_worst[1],
        })
    return pd.DataFrame(rows)


def worst_scenarios(plan: Plan, data: PlanningData) -> dict[str, str]:
    """Per mineral, the scenario other than base that leaves it shortest (then with least stock); base if none."""
    totals = _totals(plan)
    worst = {}
    for mineral in data.minerals:
        scored = [(-(t[0] + t[1]), t[2], k.name) for k in data.scenarios
                  if (t := totals.get((k.name, mineral))) is not None]
        worst[mineral] = min(scored)[2] if scored else BASE
    return worst


def worst_scenario(plan: Plan, data: PlanningData, mineral: str) -> str:
    return worst_scenarios(plan, data)[mineral]


def cover_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and period, in base and the mineral's worst scenario: stock as periods of demand ahead."""
    T = data.settings.num_periods
    worst = worst_scenarios(plan, data)
    rows = []
    for scenario, mineral, period, stock, target in zip(plan.stock["scenario"], plan.stock["mineral"],
                                                        plan.stock["period"], plan.stock["stock"],
                                                        plan.stock["target"]):
        if scenario != BASE and scenario != worst[mineral]:
            continue
        rows.append({
            "scenario": scenario, "mineral": mineral, "period": int(period), "stock": float(stock),
            "cover_periods": achieved_cover(data.demand, mineral, int(period), float(stock), T),
            "target": float(target), "target_cover_periods": data.target_cover.get((mineral, int(period))),
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
