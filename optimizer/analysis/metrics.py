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

import math
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from optimizer.contract.cover import achieved_cover
from optimizer.contract.data import BASE, PlanningData
from optimizer.contract.frames import columns
from optimizer.contract.results import Plan

HIGHLY_CONCENTRATED = 1800
VIEWS = ("pipeline", "plan", "after")


def by_mineral(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``frame``'s rows of each mineral, in their order (each ``frame[frame["mineral"] == m]``), split in one pass."""
    return {mineral: rows for mineral, rows in frame.groupby("mineral", sort=False)}


def supply(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and supplier: pipeline, ordered (contract deliveries included), and after (their sum) quantities."""
    quantities: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (supplier, mineral, _), quantity in data.pipeline.items():
        quantities[mineral, supplier][0] += quantity
    for row in plan.placed().itertuples():  # orders and contract deliveries
        quantities[row.mineral, row.supplier][1] += float(row.quantity)
    rows = [{"mineral": m, "supplier": s, "country": data.country(s), "pipeline": q[0], "plan": q[1],
             "after": q[0] + q[1]} for (m, s), q in sorted(quantities.items())]
    return pd.DataFrame(rows, columns=["mineral", "supplier", "country", *VIEWS])


def supply_by_origin(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """``supply`` with each supplier's quantities split over the countries its material comes from
    (PlanningData.origin_shares): one row per mineral, supplier and origin country."""
    table = supply(plan, data)
    rows = [{**row, "country": country, **{view: share * row[view] for view in VIEWS}}
            for row in table.to_dict("records")
            for country, share in data.origin_shares(row["supplier"], row["mineral"]).items()]
    return pd.DataFrame(rows, columns=table.columns)


def hhi(quantities) -> float | None:
    """sum of (100 * share)^2 over holders; None when there is nothing to share."""
    values = [float(q) for q in quantities if q > 0]
    total = sum(values)
    if total <= 0:
        return None
    return sum((100.0 * q / total) ** 2 for q in values)


def concentration_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral: HHI by country (of origin) and by supplier for pipeline, plan and after; the largest
    country after."""
    table, by_origin = supply(plan, data), supply_by_origin(plan, data)
    suppliers, origins_of = by_mineral(table), by_mineral(by_origin)
    rows = []
    for mineral in data.minerals:
        mine = suppliers.get(mineral, table.iloc[:0])
        origins = origins_of.get(mineral, by_origin.iloc[:0])
        row: dict[str, object] = {"mineral": mineral, "unit": data.minerals[mineral].unit}
        for view in VIEWS:
            row[f"{view}_quantity"] = float(mine[view].sum())
        countries = origins.groupby("country")[list(VIEWS)].sum()  # per country, each view
        for view in VIEWS:
            row[f"hhi_country_{view}"] = hhi(countries[view])
        for view in VIEWS:
            row[f"hhi_supplier_{view}"] = hhi(mine[view])
        by_country = countries["after"]
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
    """The quantity-weighted average risk_score of one mineral's supply in ``view``: what max_avg_risk caps."""
    total = float(rows[view].sum())
    if total <= 0:
        return None
    return sum(data.risk_score(supplier) * quantity
               for supplier, quantity in zip(*columns(rows, "supplier", view))) / total


def reference_price(data: PlanningData) -> dict[str, float]:
    """Average offer unit_price of each mineral that has an offer."""
    prices: dict[str, list[float]] = defaultdict(list)
    for offer in data.offers.values():
        prices[offer.mineral].append(offer.unit_price)
    return {m: sum(p) / len(p) for m, p in prices.items()}


def country_shares(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Share of supply value from each country of origin, before (pipeline) and after (pipeline + plan);
    largest after the plan first."""
    table = supply_by_origin(plan, data)
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
    return frame.sort_values(["after", "before"], ascending=False, ignore_index=True)  # as the plan leaves it


def top_countries(shares: pd.DataFrame, count: int) -> pd.DataFrame:
    """The ``count`` largest rows of ``country_shares``, the rest summed into one row."""
    if len(shares) <= count + 1:
        return shares
    rest = shares.iloc[count:]
    other = pd.DataFrame([{"country": f"{len(rest)} other countries", "before": float(rest["before"].sum()),
                           "after": float(rest["after"].sum())}])
    return pd.concat([shares.iloc[:count], other], ignore_index=True)


def value_weighted_risk(plan: Plan, data: PlanningData, view: str) -> float | None:
    """Supplier risk_score averaged over every mineral's supply in ``view``, weighted by value at reference
    prices. Not the quantity-weighted average of one mineral that Minerals.max_avg_risk caps."""
    table = supply(plan, data)
    price = reference_price(data)
    weights = table[view] * table["mineral"].map(price).fillna(0.0)
    total = float(weights.sum())
    if total <= 0:
        return None
    risk = table["supplier"].map(data.risk_score)
    return float((risk * weights).sum()) / total


def funding_use(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per funding source: what it paid, its amount, and what its rules let it pay at most over the horizon.

    ``at_most`` = min(amount + the plan's sale revenue it received before the last of those periods,
    sum of Budgets[f,t] over the periods t in which the source may pay some
    order: inside its window, with an offer that can be ordered then from a country it does not exclude,
    of a mineral it pays for); a period without a budget lets it pay its whole amount. ``limit`` says
    which bound that is: ``amount`` or ``budgets``; ``periods`` the periods it may pay in.
    """
    payments = plan.payments()
    spent = payments.groupby("source")["amount"].sum() if not payments.empty else {}
    rows = []
    for name, source in data.funding.items():
        periods = payable_periods(data, source)
        caps = math.fsum(source.budgets.get(t, math.inf) for t in periods)
        at_most = min(source.amount + _revenue_before(plan, name, max(periods, default=0)), caps)
        paid = float(spent.get(name, 0.0))
        rows.append({"source": name, "spent": paid, "amount": source.amount, "at_most": at_most,
                     "used_of_at_most": paid / at_most if at_most else None,
                     "limit": "budgets" if caps < source.amount else "amount", "periods": tuple(periods)})
    return pd.DataFrame(rows, columns=["source", "spent", "amount", "at_most", "used_of_at_most", "limit", "periods"])


def _revenue_before(plan: Plan, source: str, period: int) -> float:
    """The revenue of the plan's sales paid into ``source`` in periods before ``period``."""
    sales = plan.sales
    if sales.empty:
        return 0.0
    return float(sales.loc[(sales["source"] == source) & (sales["period"] < period), "revenue"].sum())


def payable_periods(data: PlanningData, source) -> list[int]:
    """The periods in which ``source`` may pay some order (window, budget > 0, countries, minerals, offers)."""
    periods: set[int] = set()
    for offer in data.offers.values():
        country = data.country(offer.supplier)
        if country in source.excluded_countries or offer.mineral not in (source.minerals or {offer.mineral}):
            continue  # quicker than asking can_pay period by period
        periods.update(t for t in data.order_periods(offer) if source.can_pay(country, offer.mineral, t))
    for project in data.projects.values():  # capex it may pay (PlanningData.capex_sources)
        periods.update(t for d in data.decision_periods(project) for t in project.payment_periods(d)
                       if source.name in data.capex_sources(project, t))
    return sorted(periods)


def _totals(plan: Plan) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(scenario, mineral) -> (unmet demand, below target, stock) summed over periods."""
    if plan.stock.empty:
        return {}
    sums = plan.stock.groupby(["scenario", "mineral"])[["unmet_demand", "shortfall", "stock"]].sum()
    return {key: (float(u), float(s), float(k)) for key, u, s, k in zip(
        sums.index, sums["unmet_demand"], sums["shortfall"], sums["stock"])}


def unmet_penalties(stock: pd.DataFrame, data: PlanningData) -> dict[tuple[str, str], float]:
    """(scenario, mineral) -> the penalty of its demand not served: sum over t of penalty[k,m,t] x unmet_demand,
    penalty[k,m,t] the ScenarioDemand row's shortfall_penalty, else the mineral's."""
    totals: dict[tuple[str, str], float] = {}
    for scenario, mineral, period, unmet in zip(*columns(stock, "scenario", "mineral", "period", "unmet_demand")):
        key = (scenario, mineral)
        totals[key] = totals.get(key, 0.0) + data.shortfall_penalty_of(scenario, mineral, int(period)) * float(unmet)
    return totals


# Shortfalls below this share of a mineral's demand and targets are solver round-off.
SHORT_TOLERANCE = 1e-6


def expected_shortfall(plan: Plan, data: PlanningData) -> dict[str, tuple[float, float]]:
    """Per mineral of ``data``: (expected unmet demand, expected stock below target), summed over periods.

        unmet[m] = sum over k, t of pi[k] * unmet_demand[k,m,t]      below[m] = sum over k, t of pi[k] * shortfall[k,m,t]

    read off the plan's Stock table. The one expected-shortfall function: the Dashboard, the terminal summary,
    the sweeps and the analysis's choice of minerals to explain all use it.
    """
    totals = _totals(plan)
    result = {}
    for mineral in data.minerals:
        sums = [(k.probability, totals.get((k.name, mineral), (0.0, 0.0, 0.0))) for k in data.all_scenarios]
        result[mineral] = (sum(p * total[0] for p, total in sums), sum(p * total[1] for p, total in sums))
    return result


def minerals_short(plan: Plan, data: PlanningData) -> dict[str, float]:
    """Expected shortfall (unmet demand + stock below target) of each mineral short beyond solver round-off,
    by mineral name."""
    return {mineral: unmet + below for mineral, (unmet, below) in sorted(expected_shortfall(plan, data).items())
            if unmet + below > SHORT_TOLERANCE * _scale(data, mineral)}


def _scale(data: PlanningData, mineral: str) -> float:
    demand = sum(q for (m, _), q in data.peak_demand.items() if m == mineral)
    target = sum(q for (m, _), q in data.targets.items() if m == mineral)
    return max(1.0, demand + target)


def shortfall_by_mineral(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral: expected unmet demand and stock below target, their two penalties apart (demand not served:
    shortfall_penalty x unmet; stock below target: target_penalty x units below, per period) and their sum,
    and its worst scenarios.

    ``worst_scenario`` is ``WorstScenario.label`` ("" when never short, "every scenario" when all tie);
    ``worst_scenarios`` the tied scenarios' names, ``worst_probability`` their probability together.
    """
    expected = expected_shortfall(plan, data)
    worst = worst_scenarios(plan, data)
    penalties = unmet_penalties(plan.stock, data)
    rows = []
    for mineral, spec in data.minerals.items():
        unmet, below = expected[mineral]
        mine = worst[mineral]
        unmet_penalty = sum(k.probability * penalties.get((k.name, mineral), 0.0) for k in data.all_scenarios)
        rows.append({
            "mineral": mineral, "unit": spec.unit, "expected_unmet_demand": unmet,
            "expected_below_target": below, "unmet_penalty": unmet_penalty,
            "target_penalty": spec.target_penalty * below,
            "expected_penalty": unmet_penalty + spec.target_penalty * below,
            "worst_scenario": mine.label, "worst_scenarios": mine.scenarios,
            "worst_probability": mine.probability,
            "worst_unmet_demand": mine.unmet_demand, "worst_below_target": mine.below_target,
        })
    return pd.DataFrame(rows)


EVERY_SCENARIO = "every scenario"
TIE_TOLERANCE = 1e-6  # relative: solver round-off is no difference between scenarios


@dataclass(frozen=True)
class WorstScenario:
    """Where a mineral is shortest: every scenario tied at its largest penalty (unmet demand and stock below target).

    No scenario is picked from a tie: ``label`` names them all ("every scenario" when base and every
    disruption tie), and is "" when the mineral is never short. ``shown`` is the one scenario a chart or
    the Cover sheet draws beside base: a worst one other than base (of tied ones, the one with least stock),
    None when base is among the worst or the mineral is never short.
    """

    scenarios: tuple[str, ...] = ()
    label: str = ""
    shown: str | None = None
    probability: float = 0.0  # of the tied scenarios together
    unmet_demand: float = 0.0  # in a worst scenario, summed over periods
    below_target: float = 0.0


def worst_scenarios(plan: Plan, data: PlanningData) -> dict[str, WorstScenario]:
    """Per mineral, its ``WorstScenario``: the one place the worst scenario is chosen."""
    totals = _totals(plan)
    penalties = unmet_penalties(plan.stock, data)
    return {mineral: _worst(mineral, totals, penalties, data) for mineral in data.minerals}


def _worst(mineral: str, totals: dict, penalties: dict, data: PlanningData) -> WorstScenario:
    amounts = {k.name: totals.get((k.name, mineral), (0.0, 0.0, 0.0)) for k in data.all_scenarios}
    spec = data.minerals[mineral]
    # Ranked by penalty: a unit of demand not served and a unit-period below target weigh differently.
    penalty = {name: penalties.get((name, mineral), 0.0) + spec.target_penalty * b
               for name, (u, b, _) in amounts.items()}
    shortest = {name: u + b for name, (u, b, _) in amounts.items()}
    if max(shortest.values()) <= TIE_TOLERANCE:
        return WorstScenario()
    largest = max(penalty.values())
    tied = tuple(k.name for k in data.all_scenarios
                 if penalty[k.name] >= largest - TIE_TOLERANCE * max(1.0, largest))
    every = len(tied) == len(data.all_scenarios) > 1
    shown = None if BASE in tied else min(tied, key=lambda name: amounts[name][2])
    probability = sum(k.probability for k in data.all_scenarios if k.name in tied)
    first = amounts[tied[0]]
    return WorstScenario(tied, EVERY_SCENARIO if every else ", ".join(tied), shown, probability, first[0], first[1])


def cover_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and period, in base and the mineral's worst scenario: stock as periods of demand ahead."""
    T = data.settings.num_periods
    shown = {mineral: worst.shown for mineral, worst in worst_scenarios(plan, data).items()}
    demand = {k.name: data.demand_in(k.name) for k in data.all_scenarios}  # each scenario's own (ScenarioDemand)
    rows = []
    for scenario, mineral, period, stock, target in zip(*columns(plan.stock, "scenario", "mineral", "period",
                                                                 "stock", "target")):
        if scenario != BASE and scenario != shown[mineral]:
            continue
        rows.append({
            "scenario": scenario, "mineral": mineral, "period": int(period), "stock": float(stock),
            "cover_periods": achieved_cover(demand[scenario], mineral, int(period), float(stock), T),
            "target": float(target), "target_cover_periods": data.target_cover.get((mineral, int(period))),
        })
    return pd.DataFrame(rows, columns=["scenario", "mineral", "period", "stock", "cover_periods", "target",
                                       "target_cover_periods"])


def cover_summary(plan: Plan, data: PlanningData, cover: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per mineral: the least cover over the horizon (base), the cover at its end, and the cover asked for
    (``cover``: the plan's cover_frame, when already made)."""
    if cover is None:
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


def market_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral with a world_supply and period: what the plan orders against its market cap."""
    placed = plan.placed().groupby(["mineral", "period"])["quantity"].sum()
    rows = []
    for name, mineral in data.minerals.items():
        cap = data.market_cap(name)
        if cap is None:
            continue
        for period in data.periods:
            ordered = float(placed.get((name, period), 0.0))
            rows.append({"mineral": name, "period": period, "ordered_quantity": ordered,
                         "world_supply": mineral.world_supply, "max_market_share": data.market_share(name),
                         "market_cap": cap,
                         "cap_used": ordered / cap if cap > 0 else None})
    return pd.DataFrame(rows, columns=["mineral", "period", "ordered_quantity", "world_supply", "max_market_share",
                                       "market_cap", "cap_used"])


def sold_and_lost(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral that has a Sales row or decays: quantity sold and its revenue (the Sales table), and the
    stock lost to decay, probability-weighted over the scenarios and summed over periods."""
    columns = ["mineral", "unit", "sold", "revenue", "expected_lost"]
    probability = {k.name: k.probability for k in data.all_scenarios}
    sold = plan.sales.groupby("mineral")[["quantity", "revenue"]].sum() if not plan.sales.empty else None
    stock = plan.stock
    rows = []
    for name, mineral in data.minerals.items():
        if mineral.loss_rate <= 0 and not any(sale.mineral == name for sale in data.sales):
            continue
        lost = 0.0
        if "lost" in stock and mineral.loss_rate > 0:
            mine = stock[stock["mineral"] == name]
            lost = float((mine["scenario"].map(probability) * mine["lost"]).sum())
        in_sales = sold is not None and name in sold.index
        rows.append({"mineral": name, "unit": mineral.unit,
                     "sold": float(sold.loc[name, "quantity"]) if in_sales else 0.0,
                     "revenue": float(sold.loc[name, "revenue"]) if in_sales else 0.0, "expected_lost": lost})
    return pd.DataFrame(rows, columns=columns)


def drawn_and_repaid(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per source that priced Demand rows repay (Demand.source) and period: the money the plan draws from it
    and the expected repayment, sum over its rows of quantity x unit_price x the expected share of the
    period's demand served (1 - expected unmet demand / demand, over the scenarios whose ScenarioDemand
    does not replace the Demand rows)."""
    columns = ["source", "period", "drawn", "expected_repayment"]
    repaid = sorted({r.source for rows in data.demand_revenue.values() for r in rows if r.source is not None})
    if not repaid:
        return pd.DataFrame(columns=columns)
    probability = {k.name: k.probability for k in data.all_scenarios}
    stock = plan.stock
    replaced = {(k, m, t) for k, m, t in data.scenario_demand}  # no payment there (release_price_in)
    paying = stock[[(k, m, t) not in replaced for k, m, t in zip(stock["scenario"], stock["mineral"], stock["period"])]
                   ] if not stock.empty else stock
    unmet = (paying["scenario"].map(probability) * paying["unmet_demand"]).groupby(
        [paying["mineral"], paying["period"]]).sum() if not paying.empty else pd.Series(dtype=float)
    repayment: dict[tuple[str, int], float] = defaultdict(float)
    for (mineral, period), rows in data.demand_revenue.items():
        paid = sum(p for k, p in probability.items() if (k, mineral, period) not in replaced)
        served = paid - float(unmet.get((mineral, period), 0.0)) / data.demand[mineral, period]
        for row in rows:
            if row.source is not None:
                repayment[row.source, period] += row.quantity * row.unit_price * served
    drawn = plan.funding.groupby(["source", "period"])["amount"].sum() if not plan.funding.empty else {}
    rows = [{"source": source, "period": t, "drawn": float(drawn.get((source, t), 0.0)),
             "expected_repayment": repayment.get((source, t), 0.0)} for source in repaid for t in data.periods]
    return pd.DataFrame([r for r in rows if r["drawn"] or r["expected_repayment"]], columns=columns)
