"""The limits that can keep a mineral short, each with the planning data that relaxes it.

A ``Limit`` names one kind of limit as it touches one mineral (its budget, its
offers' capacity, a country cap...) and knows the ``PlanningData`` in which
that limit alone is lifted. ``optimizer.analysis.analyse`` re-solves with it and
measures how much of the mineral's shortfall goes away, so a cause is found by
measurement, never guessed. ``limits_touching`` lists only the limits that can
touch the mineral, which keeps the number of re-solves small.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import pandas as pd

from optimizer.contract.data import FundingSource, PlanningData, Scenario

Relax = Callable[[PlanningData], PlanningData]


@dataclass(frozen=True)
class Limit:
    name: str  # the kind: budget, capacity, lead time...
    what: str  # which rows, in words
    relax: Relax


def limits_touching(data: PlanningData, mineral: str) -> list[Limit]:
    """Every limit that can bind on ``mineral``'s supply, in the order an analyst would check them."""
    finders = (_amounts, _budgets, _excluded_countries, _mineral_lists, _funding_windows, _capacity,
               _contract_ceilings, _conversion_capacity, _lead_time, _order_windows, _projects, _country_cap,
               _supplier_cap, _risk_cap, _market_cap, _storage, _sales_caps, _disruptions, _targets, _penalty)
    return [limit for finder in finders if (limit := finder(data, mineral)) is not None]


def relax_all(data: PlanningData, limits: list[Limit]) -> PlanningData:
    """Every limit in ``limits`` lifted at once (the penalty is a price, not a limit, and stays)."""
    for limit in limits:
        if limit.name != PENALTY:
            data = limit.relax(data)
    return data


PENALTY = "penalty below the cost of supply"
TARGETS = "targets"
PROJECTS = "projects not yet built"


def one_mineral(data: PlanningData, orders, funding, mineral: str, capex=None,
                conversion_funding=None) -> PlanningData:
    """The planning data of ``mineral`` alone, the rest of the plan held as it is (``minerals_alone``)."""
    return minerals_alone(data, orders, funding, {mineral}, capex, conversion_funding)


def minerals_alone(data: PlanningData, orders, funding, minerals: set[str], capex=None,
                   conversion_funding=None) -> PlanningData:
    """The planning data of ``minerals`` alone (a block), the rest of the plan held as it is.

    What the plan's ``funding`` pays for the other minerals comes off each
    source's amount and per-period budgets, and suppliers the plan's ``orders``
    onboard for other minerals are already paid for. Projects whose plant sells
    one of the minerals stay open to the re-solve; the plan's ``capex`` (CAPEX_COLUMNS) of
    the others comes off the sources as the other minerals' funding does. Any plan
    of this data, put beside the plan's other orders, is a plan of the full data
    (a plant selling minerals outside the block aside: ``project_block`` closes the block over them):
    so the re-solve is small and measures only the block's own choices.

    With conversions, the forms the minerals are upgraded from (``forms_of``) come along with the
    conversions into them, a supply route of the mineral; every other conversion is left out (what the
    plan pays for it, ``conversion_funding``, comes off the sources too). Sales of minerals outside the
    block are left out with the revenue they bring.

    A plan with recourse pays the other minerals differently in each scenario: what comes off a source's
    amount (and each budget) is the most any scenario pays from it (``spent_in_every_scenario``), so the
    re-solve's money is there in every scenario; each scenario keeps its own frozen orders of the minerals.
    """
    keep = set(minerals).union(*(forms_of(data, m) for m in minerals))
    projects = {name: p for name, p in data.projects.items() if any((p.supplier, m) in data.offers for m in keep)}
    conversions = {name: c for name, c in data.conversions.items() if c.to_mineral in keep}
    paid = ["source", "period", "amount"]
    # with recourse, each funding and capex row's scenario (blank: shared) comes along; conversion rows have none
    others = funding[~funding["mineral"].isin(keep)][[*paid, *(["scenario"] if "scenario" in funding else [])]]
    if capex is not None and not capex.empty:
        capex = capex if "scenario" in capex or "scenario" not in others else capex.assign(scenario="")
        others = pd.concat([others, capex[~capex["project"].isin(projects)][list(others.columns)]])
    if conversion_funding is not None and not conversion_funding.empty:
        others = pd.concat([others, conversion_funding[~conversion_funding["conversion"].isin(conversions)][paid]])
    spent, spent_in = spent_in_every_scenario(others, data)
    sources = {name: replace(
        source, amount=max(0.0, source.amount - float(spent.get(name, 0.0))),
        budgets={t: max(0.0, b - float(spent_in.get((name, t), 0.0))) for t, b in source.budgets.items()})
        for name, source in data.funding.items()}
    onboarded = set(orders.loc[~orders["mineral"].isin(keep), "supplier"])
    suppliers = {name: replace(s, onboarding_cost=0.0) if name in onboarded else s
                 for name, s in data.suppliers.items()}

    def mine(table: dict) -> dict:
        return {key: value for key, value in table.items() if any(m in key for m in keep)}
    return replace(
        data, minerals={m: spec for m, spec in data.minerals.items() if m in keep}, suppliers=suppliers,
        funding=sources, offers={key: offer for key, offer in data.offers.items() if offer.mineral in keep},
        demand=mine(data.demand), targets=mine(data.targets), target_cover=mine(data.target_cover),
        pipeline=mine(data.pipeline), commitments=mine(data.commitments),
        commitment_prices=mine(data.commitment_prices), projects=projects,
        scenario_commitments={k: mine(own) for k, own in data.scenario_commitments.items()},
        scenario_commitment_prices={k: mine(own) for k, own in data.scenario_commitment_prices.items()},
        contracts={name: c for name, c in data.contracts.items() if c.mineral in keep},
        scenario_demand=mine(data.scenario_demand), scenario_penalty=mine(data.scenario_penalty),
        conversions=conversions, sales=tuple(s for s in data.sales if s.mineral in keep))


def project_block(data: PlanningData, project: str) -> set[str]:
    """The minerals a re-solve of ``project`` must hold open: those its plant sells, closed over every other
    plant selling one of them and every conversion from or into one of them (each links its minerals)."""
    links = [set(data.project_minerals(p)) for p in data.projects.values()]
    links += [{c.from_mineral, c.to_mineral} for c in data.conversions.values()]
    block = set(data.project_minerals(data.projects[project]))
    grown = True
    while grown:
        grown = False
        for link in links:
            if link & block and not link <= block:
                block |= link
                grown = True
    return block


def spent_in_every_scenario(paid: pd.DataFrame, data: PlanningData) -> tuple[pd.Series, pd.Series]:
    """(source -> amount, (source, period) -> amount) that ``paid`` (rows source, period, amount) takes from
    each source: their sums; with recourse (``paid`` has each row's scenario, blank or missing when shared),
    the most any scenario pays (its shared rows and its own)."""
    if "scenario" not in paid or data.settings.recourse != "yes":
        return paid.groupby("source")["amount"].sum(), paid.groupby(["source", "period"])["amount"].sum()
    of = paid["scenario"].fillna("")
    frames = [paid[of.isin(("", k.name)).to_numpy()] for k in data.all_scenarios]
    spent = pd.concat([f.groupby("source")["amount"].sum() for f in frames], axis=1).max(axis=1)
    spent_in = pd.concat([f.groupby(["source", "period"])["amount"].sum() for f in frames], axis=1).max(axis=1)
    return spent, spent_in


def forms_of(data: PlanningData, mineral: str) -> set[str]:
    """The minerals ``mineral`` is upgraded from, directly or through a chain of conversions."""
    forms: set[str] = set()
    todo = [mineral]
    while todo:
        target = todo.pop()
        for c in data.conversions.values():
            if c.to_mineral == target and c.from_mineral not in forms:
                forms.add(c.from_mineral)
                todo.append(c.from_mineral)
    return forms


# --- who can pay ---------------------------------------------------------------------------

def _sources_for(data: PlanningData, mineral: str) -> list[FundingSource]:
    """Sources that may pay for some offer of ``mineral`` in some period (rules permitting)."""
    countries = _offer_countries(data, mineral)
    return [f for f in data.funding.values()
            if (f.minerals is None or mineral in f.minerals) and countries - f.excluded_countries and f.amount > 0]


def _with_sources(data: PlanningData, changed: dict[str, FundingSource]) -> PlanningData:
    return replace(data, funding={**data.funding, **changed})


def _amounts(data: PlanningData, mineral: str) -> Limit | None:
    """The amounts of the sources that may pay for the mineral, raised by more than it could ever cost."""
    sources = _sources_for(data, mineral)
    if not sources:
        return None
    extra = _ample_money(data, mineral)

    def relax(d: PlanningData) -> PlanningData:
        return _with_sources(d, {f.name: replace(d.funding[f.name], amount=d.funding[f.name].amount + extra)
                                 for f in sources})
    return Limit("budget", "the amount of " + _names(f.name for f in sources), relax)


def _budgets(data: PlanningData, mineral: str) -> Limit | None:
    """Per-period budgets of the sources that may pay for the mineral, removed."""
    sources = [f for f in _sources_for(data, mineral) if f.budgets]
    if not sources:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return _with_sources(d, {f.name: replace(d.funding[f.name], budgets={}) for f in sources})
    return Limit("per-period budgets", "the per-period budgets of " + _names(f.name for f in sources), relax)


def _excluded_countries(data: PlanningData, mineral: str) -> Limit | None:
    """Exclusions of the mineral's supplier countries, lifted."""
    countries = _offer_countries(data, mineral)
    sources = [f for f in data.funding.values() if f.excluded_countries & countries]
    if not sources:
        return None
    excluded = sorted(set().union(*(f.excluded_countries & countries for f in sources)))

    def relax(d: PlanningData) -> PlanningData:
        return _with_sources(d, {f.name: replace(d.funding[f.name], excluded_countries=frozenset())
                                 for f in sources})
    return Limit("funding rule: excluded countries",
                 f"the exclusion of {_names(excluded)} by {_names(f.name for f in sources)}", relax)


def _mineral_lists(data: PlanningData, mineral: str) -> Limit | None:
    """Sources whose mineral list leaves this mineral out, allowed to pay for it."""
    sources = [f for f in data.funding.values() if f.minerals is not None and mineral not in f.minerals]
    if not sources:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return _with_sources(d, {f.name: replace(d.funding[f.name], minerals=d.funding[f.name].minerals | {mineral})
                                 for f in sources})
    return Limit("funding rule: mineral lists", f"the mineral lists of {_names(f.name for f in sources)}", relax)


def _funding_windows(data: PlanningData, mineral: str) -> Limit | None:
    """Sources that may pay only in some periods, opened to the whole horizon."""
    T = data.settings.num_periods
    sources = [f for f in _sources_for(data, mineral) if f.first_period > 1 or f.last_period < T]
    if not sources:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return _with_sources(d, {f.name: replace(d.funding[f.name], first_period=1, last_period=T)
                                 for f in sources})
    return Limit("funding rule: periods", f"the payment periods of {_names(f.name for f in sources)}", relax)


# --- what can be bought, and when ------------------------------------------------------------

def _offers_of(data: PlanningData, mineral: str):
    return [offer for offer in data.offers.values() if offer.mineral == mineral]


def _with_offers(data: PlanningData, mineral: str, change) -> PlanningData:
    offers = dict(data.offers)
    for offer in _offers_of(data, mineral):
        changed = change(offer)
        if changed is not None:
            offers[offer.key] = changed
    return replace(data, offers=offers)


def _capacity(data: PlanningData, mineral: str) -> Limit | None:
    limited = [o for o in _offers_of(data, mineral) if o.max_per_period is not None]
    if not limited:
        return None
    return Limit("capacity", "max_per_period of " + _names(o.supplier for o in limited), lambda d: _with_offers(
        d, mineral, lambda o: replace(o, max_per_period=None) if o.max_per_period is not None else None))


def _contract_ceilings(data: PlanningData, mineral: str) -> Limit | None:
    """The max_per_period and max_quantity of the mineral's contracts, lifted together."""
    capped = [c for c in data.contracts.values()
              if c.mineral == mineral and (c.max_per_period is not None or c.max_quantity is not None)]
    if not capped:
        return None
    lifted = {c.name: replace(c, max_per_period=None, max_quantity=None) for c in capped}
    return Limit("contract ceilings", "max_per_period and max_quantity of " + _names(c.name for c in capped),
                 lambda d: replace(d, contracts={**d.contracts, **lifted}))


def _conversion_capacity(data: PlanningData, mineral: str) -> Limit | None:
    """The max_per_period of the conversions that deliver the mineral, removed."""
    limited = [name for name, c in data.conversions.items() if c.to_mineral == mineral and c.max_per_period is not None]
    if not limited:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return replace(d, conversions={**d.conversions,
                                       **{name: replace(d.conversions[name], max_per_period=None) for name in limited}})
    return Limit("conversion capacity", "max_per_period of the conversion(s) " + _names(limited), relax)


def _lead_time(data: PlanningData, mineral: str) -> Limit | None:
    slow = [o for o in _offers_of(data, mineral) if o.lead_time > 0]
    if not slow:
        return None
    return Limit("lead time", "lead times of " + _names(f"{o.supplier} ({o.lead_time})" for o in slow),
                 lambda d: _with_offers(d, mineral, lambda o: replace(o, lead_time=0) if o.lead_time else None))


def _order_windows(data: PlanningData, mineral: str) -> Limit | None:
    T = data.settings.num_periods
    narrow = [o for o in _offers_of(data, mineral) if o.first_period > 1 or o.last_period < T]
    if not narrow:
        return None
    return Limit("order windows", "the order periods of " + _names(o.supplier for o in narrow), lambda d: _with_offers(
        d, mineral, lambda o: replace(o, first_period=1, last_period=T)))


def _projects(data: PlanningData, mineral: str) -> Limit | None:
    """Projects not yet built: their plants' output of the mineral only after funding and build_periods.
    Lifted, each plant sells from its offer's first period on, without capex (as if built already)."""
    names = sorted(p.name for p in data.projects.values() if (p.supplier, mineral) in data.offers)
    if not names:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return replace(d, projects={n: p for n, p in d.projects.items() if n not in names})
    return Limit(PROJECTS, "the plants of " + _names(f"'{n}'" for n in names) + " (output only once funded and "
                 "built)", relax)


# --- mix, risk, storage ----------------------------------------------------------------------

def _mineral_changed(data: PlanningData, mineral: str, **changes) -> PlanningData:
    return replace(data, minerals={**data.minerals, mineral: replace(data.minerals[mineral], **changes)})


def _country_cap(data: PlanningData, mineral: str) -> Limit | None:
    capped = sorted(c for c in _origin_countries(data, mineral) if data.country_max_share.get(c, 1.0) < 1.0)
    if not capped:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return replace(d, country_max_share={c: s for c, s in d.country_max_share.items() if c not in capped})
    caps = _names(f"{c} {data.country_max_share[c]:.0%}" for c in capped)
    return Limit("country cap", f"the country caps of {caps}", relax)


def _supplier_cap(data: PlanningData, mineral: str) -> Limit | None:
    share = data.minerals[mineral].max_supplier_share
    if share >= 1.0:
        return None
    return Limit("supplier share cap", f"max_supplier_share {share:.0%}",
                 lambda d: _mineral_changed(d, mineral, max_supplier_share=1.0))


def _risk_cap(data: PlanningData, mineral: str) -> Limit | None:
    cap = data.minerals[mineral].max_avg_risk
    if all(data.risk_score(o.supplier) <= cap for o in _offers_of(data, mineral)):
        return None
    return Limit("risk cap", f"max_avg_risk {cap:g}", lambda d: _mineral_changed(d, mineral, max_avg_risk=1.0))


def _market_cap(data: PlanningData, mineral: str) -> Limit | None:
    """The market-share cap (max_market_share x world_supply per period), lifted with the world_supply."""
    cap = data.market_cap(mineral)
    if cap is None:
        return None
    unit = data.minerals[mineral].unit
    return Limit("market share cap", f"at most {cap:,.6g} {unit} a period (max_market_share of world_supply "
                                     f"{data.minerals[mineral].world_supply:,.6g} {unit})",
                 lambda d: _mineral_changed(d, mineral, world_supply=None))


def _storage(data: PlanningData, mineral: str) -> Limit | None:
    max_stock = data.minerals[mineral].max_stock
    if max_stock is None:
        return None
    return Limit("storage", f"max_stock {max_stock:g} {data.minerals[mineral].unit}",
                 lambda d: _mineral_changed(d, mineral, max_stock=None))


def _disruptions(data: PlanningData, mineral: str) -> Limit | None:
    """Scenario losses in the countries that deliver the mineral (offers and pipeline), lifted."""
    countries = _origin_countries(data, mineral)
    hit = [k for k in data.scenarios if any(x.country in countries and x.supply_loss > 0 for x in k.disruptions)]
    if not hit:
        return None

    def relax(d: PlanningData) -> PlanningData:
        scenarios = tuple(Scenario(k.name, k.probability, tuple(x for x in k.disruptions if x.country not in countries))
                          for k in d.scenarios)
        return replace(d, scenarios=scenarios)
    return Limit("supply disruptions", "the losses in " + _names(f"'{k.name}'" for k in hit), relax)


def _targets(data: PlanningData, mineral: str) -> Limit | None:
    """The mineral's targets, removed: how much of the shortfall is stock below target rather than demand
    not served (and, under release_rule optimal, demand left unmet to hold stock for a target)."""
    periods = [t for (m, t), q in data.targets.items() if m == mineral and q > 0]
    if not periods:
        return None

    def relax(d: PlanningData) -> PlanningData:
        return replace(d, targets={k: q for k, q in d.targets.items() if k[0] != mineral},
                       target_cover={k: c for k, c in d.target_cover.items() if k[0] != mineral})
    return Limit(TARGETS, f"the targets (min_stock) of {mineral} in {len(periods)} period(s)", relax)


def _penalty(data: PlanningData, mineral: str) -> Limit | None:
    """Not a limit but a price: with penalties ten times higher, is buying worth it after all?"""
    spec = data.minerals[mineral]
    return Limit(PENALTY, f"shortfall_penalty {spec.shortfall_penalty:,.6g} and target_penalty "
                          f"{spec.target_penalty:,.6g} raised tenfold",
                 lambda d: _mineral_changed(d, mineral, shortfall_penalty=10 * max(spec.shortfall_penalty, 1.0),
                                            target_penalty=10 * max(spec.target_penalty, 1.0)))


# --- helpers ---------------------------------------------------------------------------------

def _offer_countries(data: PlanningData, mineral: str) -> set[str]:
    return {data.country(o.supplier) for o in _offers_of(data, mineral)}


def _origin_countries(data: PlanningData, mineral: str) -> set[str]:
    """The countries the mineral's offers and pipeline deliver from: their suppliers' origins (Origins)."""
    suppliers = {o.supplier for o in _offers_of(data, mineral)} | {s for s, m, _ in data.pipeline if m == mineral}
    return {c for s in suppliers for c in data.origin_shares(s, mineral)}


def _sales_caps(data: PlanningData, mineral: str) -> Limit | None:
    """The caps of the mineral's sales (their revenue can pay for its purchases), raised by more than its
    stock and demand could ever call for: the initial stock, the total demand and the largest target."""
    sales = [sale for sale in data.sales if sale.mineral == mineral]
    if not sales:
        return None
    extra = data.minerals[mineral].initial_stock + _need(data, mineral)

    def relax(d: PlanningData) -> PlanningData:
        return replace(d, sales=tuple(replace(sale, max_per_period=sale.max_per_period + extra)
                                      if sale.mineral == mineral else sale for sale in d.sales))
    return Limit("sales caps", "max_per_period of the sales of " + mineral + " into "
                 + _names(sorted({sale.source for sale in sales})), relax)


def _need(data: PlanningData, mineral: str) -> float:
    """1 + the mineral's total demand (the largest of any scenario in each period) + its largest target."""
    return 1.0 + sum(q for (m, _), q in data.peak_demand.items() if m == mineral) + max(
        (q for (m, _), q in data.targets.items() if m == mineral), default=0.0)


def _ample_money(data: PlanningData, mineral: str) -> float:
    """More than any plan could spend on ``mineral``: every offer at full need, in every period, twice.

    need = total demand + the largest target (+ 1 unit); each offer could sell it at its dearest
    price in every period, with its order cost and its supplier's onboarding.
    """
    need = _need(data, mineral)
    T = data.settings.num_periods
    total = 0.0
    for offer in _offers_of(data, mineral):
        dearest = max([offer.unit_price, *offer.prices.values()])
        total += need * dearest + T * offer.order_cost + data.suppliers[offer.supplier].onboarding_cost
    return 2.0 * total


def _names(items) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
