"""Mix and risk: country and supplier concentration, average supplier risk (model.md 8).

Symbols
    X[o]                  total quantity ordered from offer o over the horizon: sum over t of x[o,t]
    max_share[c]          Countries.max_share
    max_supplier_share[m] Minerals.max_supplier_share
    max_avg_risk[m]       Minerals.max_avg_risk
    risk_score[s]         Suppliers.risk_score
    risk_weight           Settings.risk_weight

The cap bounds the quantity-weighted average risk of a mineral's orders; the
risk cost prices risk in the objective, weighted by what each order costs.

A cap that no plan can break (a share of 1, a risk cap at or above every
offer's risk) is left out: it would only add rows.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.core as pyo

from models.contracts import bought_by_offer, contract_risk_cost
from models.elastic import add_slack, slack_of
from optimizer.contract.data import PlanningData


def add_mix_and_risk(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add the country share, supplier share and average risk caps that some plan could break."""
    # the quantities of each (supplier, mineral): its orders, then what its contracts buy (models/contracts.py)
    bought_of_offer: dict[tuple[str, str], list] = defaultdict(list)
    for slot in model.ORDER_SLOTS:
        bought_of_offer[slot[:2]].append(model.Order[slot])
    for offer, terms in bought_by_offer(model, data).items():
        bought_of_offer[offer] += terms
    offers_of_mineral: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for offer in bought_of_offer:
        offers_of_mineral[offer[1]].append(offer)

    capped = capped_minerals(data, offers_of_mineral)
    model.CAPPED_OFFERS = pyo.Set(dimen=2, ordered=True, initialize=[
        o for mineral in capped for o in offers_of_mineral[mineral]])
    model.CAPPED_MINERALS = pyo.Set(ordered=True, initialize=capped)
    # Totals are variables, not expressions: each cap row then has a few entries
    # instead of every order of the mineral, which keeps the LP sparse.
    model.OfferTotal = pyo.Var(model.CAPPED_OFFERS, within=pyo.NonNegativeReals)
    model.MineralTotal = pyo.Var(model.CAPPED_MINERALS, within=pyo.NonNegativeReals)

    def con_offer_total(m, supplier, mineral):
        """X[o] = sum over t of x[o,t] + sum over contracts c of (s,m) of bought[c] (taken + take-or-pay quantity)."""
        return m.OfferTotal[supplier, mineral] == sum(bought_of_offer[supplier, mineral])

    def con_mineral_total(m, mineral):
        """The mineral's total orders: sum of X[o] over offers of m."""
        return m.MineralTotal[mineral] == sum(m.OfferTotal[o] for o in offers_of_mineral[mineral])

    model.con_offer_total = pyo.Constraint(model.CAPPED_OFFERS, rule=con_offer_total)
    model.con_mineral_total = pyo.Constraint(model.CAPPED_MINERALS, rule=con_mineral_total)

    _add_country_share(model, data, offers_of_mineral)
    _add_supplier_share(model, data, offers_of_mineral)
    _add_average_risk(model, data, offers_of_mineral)
    _add_risk_cost(model, data)


def capped_minerals(data: PlanningData, offers_of_mineral) -> list[str]:
    """Minerals with at least one cap that some plan could break."""
    return sorted(
        mineral for mineral, offers in offers_of_mineral.items()
        if data.minerals[mineral].max_supplier_share < 1.0
        or max(data.risk_score(s) for s, _ in offers) > data.minerals[mineral].max_avg_risk
        or any(data.country_max_share.get(country, 1.0) < 1.0
               for s, m in offers for country in data.origin_shares(s, m))
    )


def _add_country_share(model, data: PlanningData, offers_of_mineral) -> None:
    index = sorted({
        (mineral, country)
        for mineral, offers in offers_of_mineral.items() for supplier, _ in offers
        for country in data.origin_shares(supplier, mineral)
        if data.country_max_share.get(country, 1.0) < 1.0
    })
    model.COUNTRY_SHARE_INDEX = pyo.Set(dimen=2, initialize=index, ordered=True)
    slack = add_slack(model, "con_country_share", model.COUNTRY_SHARE_INDEX)

    def con_country_share(m, mineral, country):
        """A country supplies at most max_share of a mineral's orders, counted by origin (Origins):
        sum over offers o of m of share(s(o),m,c) * X[o] <= max_share[c] * sum of X[o] over offers of m."""
        from_country = sum(share * m.OfferTotal[o] for o in offers_of_mineral[mineral]
                           if (share := data.origin_shares(*o).get(country, 0.0)) > 0.0)
        return (from_country <= data.country_max_share[country] * m.MineralTotal[mineral]
                + slack_of(slack, (mineral, country)))

    model.con_country_share = pyo.Constraint(model.COUNTRY_SHARE_INDEX, rule=con_country_share)


def _add_supplier_share(model, data: PlanningData, offers_of_mineral) -> None:
    index = sorted(
        offer for mineral, offers in offers_of_mineral.items() for offer in offers
        if data.minerals[mineral].max_supplier_share < 1.0
    )
    model.SUPPLIER_SHARE_INDEX = pyo.Set(dimen=2, initialize=index, ordered=True)
    slack = add_slack(model, "con_supplier_share", model.SUPPLIER_SHARE_INDEX)

    def con_supplier_share(m, supplier, mineral):
        """No supplier provides more than max_supplier_share of a mineral's orders:
        X[o] <= max_supplier_share[m] * sum of X[o'] over offers o' of m."""
        share = data.minerals[mineral].max_supplier_share
        return (m.OfferTotal[supplier, mineral] <= share * m.MineralTotal[mineral]
                + slack_of(slack, (supplier, mineral)))

    model.con_supplier_share = pyo.Constraint(model.SUPPLIER_SHARE_INDEX, rule=con_supplier_share)


def _add_average_risk(model, data: PlanningData, offers_of_mineral) -> None:
    index = sorted(
        mineral for mineral, offers in offers_of_mineral.items()
        if max(data.risk_score(s) for s, _ in offers) > data.minerals[mineral].max_avg_risk
    )
    model.AVERAGE_RISK_INDEX = pyo.Set(initialize=index, ordered=True)
    slack = add_slack(model, "con_average_risk", model.AVERAGE_RISK_INDEX)

    def con_average_risk(m, mineral):
        """The quantity-weighted average risk of a mineral's orders stays within max_avg_risk:
        sum of risk_score[s(o)] * X[o] <= max_avg_risk[m] * sum of X[o], sums over offers of m."""
        weighted = sum(data.risk_score(o[0]) * m.OfferTotal[o] for o in offers_of_mineral[mineral])
        return (weighted <= data.minerals[mineral].max_avg_risk * m.MineralTotal[mineral]
                + slack_of(slack, mineral))

    model.con_average_risk = pyo.Constraint(model.AVERAGE_RISK_INDEX, rule=con_average_risk)


def _add_risk_cost(model, data: PlanningData) -> None:
    """risk_cost = risk_weight * sum over (o,t) of risk_score[s(o)] * purchase cost[o,t] (model.md, Objective)
    + risk_weight * sum over contracts c of risk_score[s(c)] * unit_price[c] * bought[c] (models/contracts.py)."""
    model.facts.cost_terms["risk_cost"] = data.settings.risk_weight * (sum(
        data.risk_score(s) * model.PurchaseCost[s, m, t] for s, m, t in model.ORDER_SLOTS)
        + contract_risk_cost(model, data))
