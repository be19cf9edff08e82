"""What a plan costs in each scenario, and the CVaR of those costs (issue 15): plain tables, no solver.

The model's own form of the same costs is models/risk_aversion.py (``scenario_cost``); this one
reads a plan's tables, so the Summary, the Scenario costs sheet and the sweep measure the plan as
written. The independent checker (optimizer/checker.py) recomputes both its own way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from optimizer.contract.data import PlanningData
from optimizer.contract.words import money
from optimizer.contract.results import CAPEX_COLUMNS, CONTRACT_COLUMNS, summary_terms

# Terms paid before any scenario is known (without recourse: the same in every scenario's cost), and the
# terms each scenario prices its own way: purchases at its prices, its stock's holding and penalties, and
# what participants pay for the demand it serves. Together they are COST_TERMS but cvar_cost.
SHARED_TERMS = ("order_cost", "onboarding_cost", "financing_cost", "risk_cost", "conversion_cost", "sales_revenue",
                "capex_cost", "take_or_pay_cost", "signing_cost")
SCENARIO_TERMS = ("purchase_cost", "holding_cost", "penalty_cost", "release_revenue")


def scenario_terms(data: PlanningData) -> tuple[str, ...]:
    """The cost terms of a workbook's scenario costs, in the Summary's order: the terms of its sheets
    (summary_terms; a revenue only where the workbook has sales or priced demand) but cvar_cost."""
    has_revenue = {"sales_revenue": bool(data.sales), "release_revenue": bool(data.demand_revenue)}
    terms = summary_terms(bool(data.projects), bool(data.contracts), has_revenue)
    return tuple(t for t in terms if t != "cvar_cost")


def scenario_cost_frame(plan, data: PlanningData) -> pd.DataFrame:
    """Each scenario's cost from a plan's tables (currency): one row per scenario, base first.

    A scenario's orders, funding, conversions and their funding are the rows without a scenario and, with
    recourse, its own rows.
    Columns scenario, probability, then each cost term of scenario_terms priced in that scenario, and cost
    (their sum):
      purchase_cost     the orders at the scenario's prices after discount (agreed commitment prices as
                        agreed) + contract deliveries at the scenario's price (unit_price; with a floor_price
                        max(floor_price, factor x unit_price), PlanningData.delivery_scenario_price)
      order_cost, onboarding_cost (the suppliers ordered from), financing_cost (cost_rate x every payment:
                        orders, contract bills, capex, conversions), risk_cost (risk_weight x risk_score x
                        the orders' spend at expected prices, deliveries and take-or-pay), conversion_cost
                        (input x unit_cost), sales_revenue (- the Sales' revenue), capex_cost (capex x
                        capex_share of each project funded), take_or_pay_cost, signing_cost
      holding_cost      holding_cost[m] x the scenario's stock
      penalty_cost      the scenario's shortfall_penalty (ScenarioDemand's where it gives one) x unmet demand
                        + target_penalty x shortfall below target
      release_revenue   - price[k,m,t] x (demand[m,t] - unmet demand) (models/participants.py)
    Each term's probability-weighted sum is the plan's term, so the weighted costs add up to the plan's
    expected cost (objective - cvar_cost), term by term.
    """
    terms = scenario_terms(data)
    shared = _shared_terms(plan, data)
    rows = []
    for scenario in data.all_scenarios:
        row = {**_ordered_terms(of_scenario(plan.orders, scenario.name), of_scenario(plan.funding, scenario.name),
                                data, scenario.name),
               **_stock_terms(plan.stock[plan.stock["scenario"] == scenario.name], data, scenario.name)}
        row["purchase_cost"] += _delivered(plan.deliveries, data, scenario.name)
        row["financing_cost"] += _financed(of_scenario(_capex(plan), scenario.name), data)  # with recourse: its own
        row["financing_cost"] += _financed(of_scenario(plan.conversion_funding, scenario.name), data)
        row["conversion_cost"] = float(of_scenario(plan.conversions, scenario.name)["cost"].sum())
        priced = {term: row.get(term, 0.0) + shared.get(term, 0.0) for term in terms}
        rows.append({"scenario": scenario.name, "probability": scenario.probability, **priced,
                     "cost": math.fsum(priced.values())})
    return pd.DataFrame(rows, columns=["scenario", "probability", *terms, "cost"])


def scenario_floor_costs(plan, data: PlanningData) -> dict[str, float]:
    """Each scenario's floor_cost: what price floors add within its purchase_cost, over its orders (quantity x
    (1 - discount) x floor_payment) and the contract deliveries (quantity x delivery_floor_payment); their
    probability-weighted sum is the Summary's floor_cost."""
    costs = {}
    for scenario in data.all_scenarios:
        orders = of_scenario(plan.orders, scenario.name)
        suppliers, minerals, periods, quantities, discounts = _columns(
            orders, "supplier", "mineral", "period", "quantity", "discount")
        paid = [q * (1.0 if pd.isna(d) else 1.0 - d) * data.floor_payment(scenario.name, (s, m, int(t)))
                for s, m, t, q, d in zip(suppliers, minerals, periods, quantities, discounts)
                if (s, m) in data.offers]
        if plan.deliveries is not None:
            paid += [r.quantity * data.delivery_floor_payment(scenario.name, r.contract, int(r.period))
                     for r in plan.deliveries.itertuples()]
        costs[scenario.name] = math.fsum(paid)
    return costs


def _ordered_terms(orders: pd.DataFrame, funding: pd.DataFrame, data: PlanningData, scenario: str) -> dict:
    """The terms of a scenario's orders: purchases at its prices, order, onboarding, risk, and the financing
    of the Funding rows (orders and contract bills). Read column by column (a large plan's tens of thousands
    of rows: itertuples took seconds), summed row by row in the same order as before."""
    suppliers, minerals, periods = _columns(orders, "supplier", "mineral", "period")
    quantities, prices, discounts = _columns(orders, "quantity", "unit_price", "discount")
    purchase = math.fsum(
        q * (p if pd.isna(d) else data.scenario_list_price(scenario, (s, m, int(t))) * (1.0 - d))
        for s, m, t, q, p, d in zip(suppliers, minerals, periods, quantities, prices, discounts))
    return {"purchase_cost": purchase, "order_cost": float(orders["order_cost"].sum()),
            "onboarding_cost": math.fsum(data.suppliers[s].onboarding_cost for s in set(suppliers)),
            "financing_cost": _financed(funding, data),
            "risk_cost": data.settings.risk_weight * math.fsum(
                data.risk_score(s) * q * p for s, q, p in zip(suppliers, quantities, prices))}


def _columns(frame: pd.DataFrame, *names: str) -> list[list]:
    """Each named column of ``frame`` as a list of Python values."""
    return [frame[name].tolist() for name in names]


def _shared_terms(plan, data: PlanningData) -> dict:
    """What the decisions every scenario shares add to each term: sales, projects and contracts (their risk
    within risk_cost; deliveries are priced per scenario, ``_delivered``). Conversions and their payments, and
    capex payments, may differ by scenario with recourse: costed per scenario (scenario_cost_frame)."""
    contracts = plan.contracts if plan.contracts is not None else pd.DataFrame(columns=CONTRACT_COLUMNS)
    return {
        "sales_revenue": -float(plan.sales["revenue"].sum()),
        "capex_cost": math.fsum(data.projects[p].capex * data.capex_share(data.projects[p], d)
                                for p, d in plan.builds.items()),
        "take_or_pay_cost": float(contracts["take_or_pay_paid"].sum()),
        "signing_cost": float(contracts["signing_cost_paid"].sum()),
        "risk_cost": data.settings.risk_weight * math.fsum(
            data.risk_score(r.supplier) * (r.delivery_cost + r.take_or_pay_paid) for r in contracts.itertuples()),
    }


def _capex(plan) -> pd.DataFrame:
    """The plan's capex payments (with recourse, each with its scenario: blank when every scenario pays alike)."""
    return plan.capex if plan.capex is not None else pd.DataFrame(columns=CAPEX_COLUMNS)


def _delivered(deliveries: pd.DataFrame | None, data: PlanningData, scenario: str) -> float:
    """The contract deliveries at the scenario's price: sum of quantity x p[k,c,t]."""
    if deliveries is None:
        return 0.0
    return math.fsum(r.quantity * data.delivery_scenario_price(scenario, r.contract, int(r.period))
                     for r in deliveries.itertuples())


def _financed(payments: pd.DataFrame, data: PlanningData) -> float:
    """cost_rate x amount over payments (source, amount)."""
    sources, amounts = _columns(payments, "source", "amount")
    return math.fsum(data.funding[source].cost_rate * amount for source, amount in zip(sources, amounts))


def _stock_terms(stock: pd.DataFrame, data: PlanningData, scenario: str) -> dict:
    """A scenario's holding and penalty costs and participants' revenue, from its Stock rows."""
    holding = penalty = revenue = 0.0
    for name, period, held, unmet, short in zip(*_columns(stock, "mineral", "period", "stock", "unmet_demand",
                                                          "shortfall")):
        mineral = data.minerals[name]
        period = int(period)
        holding += mineral.holding_cost * held
        penalty += data.shortfall_penalty_of(scenario, name, period) * unmet + mineral.target_penalty * short
        price = data.release_price_in(scenario, name, period)
        if price:
            revenue -= price * (data.demand.get((name, period), 0.0) - unmet)
    return {"holding_cost": holding, "penalty_cost": penalty, "release_revenue": revenue}


def of_scenario(frame: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of an Orders or Funding table that hold in ``scenario``: all of them without a scenario
    column, else the shared (blank) rows and the scenario's own."""
    if "scenario" not in frame:
        return frame
    return frame[frame["scenario"].isin(("", scenario))]


def conditional_value_at_risk(costs: list[tuple[float, float]], level: float) -> float:
    """CVaR_alpha of a discrete cost distribution [(probability, cost)]: the smallest
    eta + 1 / (1 - alpha) x sum of p x max(0, cost - eta) over eta, reached at one of the costs."""
    weighted = [(p, c) for p, c in costs if p > 0]
    if not weighted:
        return 0.0
    return min(eta + sum(p * max(0.0, c - eta) for p, c in weighted) / (1.0 - level) for _, eta in weighted)


def plan_tail_cost(plan, data: PlanningData) -> float:
    """CVaR at Settings.cvar_level of a plan's scenario costs (scenario_cost_frame)."""
    frame = scenario_cost_frame(plan, data)
    return conditional_value_at_risk(list(zip(frame["probability"], frame["cost"])), data.settings.cvar_level)


@dataclass(frozen=True)
class ScenarioValues:
    """What the uncertainty is worth (the Scenario costs sheet): each scenario's cost in the plan and
    solved alone, RP, WS and EVPI = RP - WS, with the solver gaps behind them (currency).

    ``expected_cost`` (RP) is the plan's expected cost (objective - cvar_cost), ``plan_gap`` the
    distance of the plan's objective from its proven bound; ``wait_and_see`` (WS) the probability-weighted
    cost of each scenario solved alone, ``wait_and_see_gap`` the weighted distance of those solves from
    their bounds. The true EVPI lies within ``evpi`` +- ``evpi_gap``; None where not measured (``note``).
    """

    frame: pd.DataFrame  # SCENARIO_COST_COLUMNS + cost_alone, solver_gap
    expected_cost: float
    plan_gap: float
    wait_and_see: float | None = None
    wait_and_see_gap: float | None = None
    note: str = ""
    # With recourse: EEV, the expected cost of the expected-value plan's first stage with recourse after it
    expected_value_cost: float | None = None
    expected_value_gap: float | None = None
    vss_note: str = ""  # why VSS is not measured (empty with recourse measured; "" without recourse too)

    @property
    def evpi(self) -> float | None:
        """RP - WS: what knowing the scenario before ordering would save in expectation."""
        return None if self.wait_and_see is None else self.expected_cost - self.wait_and_see

    @property
    def evpi_gap(self) -> float | None:
        """How far the true EVPI may lie from ``evpi``: the plan's gap plus the weighted gaps of WS."""
        return None if self.wait_and_see_gap is None else self.plan_gap + self.wait_and_see_gap

    @property
    def vss(self) -> float | None:
        """EEV - RP: what planning for the scenarios saves against planning for their average."""
        return None if self.expected_value_cost is None else self.expected_value_cost - self.expected_cost

    @property
    def vss_gap(self) -> float | None:
        """How far the true VSS may lie from ``vss``: the plan's gap plus EEV's."""
        return None if self.expected_value_gap is None else self.plan_gap + self.expected_value_gap

    @property
    def vss_reason(self) -> str:
        """Why VSS is not measured: its own note, else (EEV not tried when a scenario was not solved alone)
        that scenario's ("not measured: " with nothing after read as a fault)."""
        return self.vss_note or (f"EEV not tried, as {self.note}" if self.note else "EEV not tried")

    def vss_text(self, currency: str) -> str:
        """VSS in words: "about 0" within the gaps, else the amount and the gap behind it."""
        if self.vss is None:
            return "not measured: " + self.vss_reason
        return self._amount_text(self.vss, self.vss_gap, currency)

    def _amount_text(self, value: float, gap: float, currency: str) -> str:
        if self.about_zero(value, gap):
            return f"about 0 (within the solver gaps of {money(gap, currency)})"
        return f"{money(value, currency)} (+- {money(gap, currency)} from the solver gaps)"

    def about_zero(self, value: float, gap: float) -> bool:
        """Whether ``value`` is within ``gap`` of 0 (and solver round-off: 1e-6 of the expected cost)."""
        return abs(value) <= gap + 1e-6 * max(1.0, abs(self.expected_cost))

    def evpi_text(self, currency: str) -> str:
        """EVPI in words: "about 0" within the gaps, else the amount and the gap behind it."""
        if self.evpi is None:
            return "not measured: " + self.note
        return self._amount_text(self.evpi, self.evpi_gap, currency)


def expected_view(plan, data: PlanningData):
    """A plan with recourse as its expected orders, funding, capex payments and conversions, for the sheets
    that sum them (Mix, Spending, Concentration, Dashboard...): each scenario's own rows weighted by its
    probability, shared rows whole (capex rows by scenario summed whole showed a source paying 248% of its
    amount). A plan without recourse is returned as it is."""
    if "scenario" not in plan.orders:
        return plan
    probability = {k.name: k.probability for k in data.all_scenarios}

    def weighted(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
        weight = frame["scenario"].map(lambda name: probability.get(name, 1.0) if name else 1.0)
        return frame.assign(**{c: frame[c] * weight for c in columns if c in frame})

    capex = plan.capex
    if capex is not None and not capex.empty and "scenario" in capex:  # weighted once: a view's view no more
        capex = weighted(capex.assign(scenario=capex["scenario"].fillna("")), ("amount",)).assign(scenario="")
    return replace(plan, orders=weighted(plan.orders, ("quantity", "cost", "floor_cost")),
                   funding=weighted(plan.funding, ("amount",)), capex=capex,
                   **({"conversions": weighted(plan.conversions, ("input", "output", "cost")),
                       "conversion_funding": weighted(plan.conversion_funding, ("amount",))}
                      if "scenario" in plan.conversions else {}))


def with_cvar_cost(plan, data: PlanningData):
    """A plan with recourse and cvar_weight > 0 with its cvar_cost (cvar_weight x the CVaR of its scenario costs,
    from its tables: the model's is models/risk_aversion.py add_recourse_risk_aversion) among its cost terms and
    in its objective; the plan itself with cvar_weight 0."""
    if data.settings.cvar_weight <= 0 or plan.objective is None:
        return plan
    cvar_cost = data.settings.cvar_weight * plan_tail_cost(plan, data)
    return replace(plan, costs={**plan.costs, "cvar_cost": cvar_cost}, objective=plan.objective + cvar_cost)
