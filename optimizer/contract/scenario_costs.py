"""What a plan costs in each scenario, and the CVaR of those costs (issue 15): plain tables, no solver.

The model's own form of the same costs is models/risk_aversion.py (``scenario_cost``); this one
reads a plan's tables, so the Summary, the Scenario costs sheet and the sweep measure the plan as
written. The independent checker (optimizer/checker.py) recomputes both its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from optimizer.contract.data import PlanningData
from optimizer.contract.frames import columns

# The cost terms paid when ordering: without recourse the same in every scenario.
FIRST_STAGE_TERMS = ("order_cost", "onboarding_cost", "financing_cost", "risk_cost")
SCENARIO_COST_COLUMNS = ["scenario", "probability", "purchase_cost", "first_stage_cost", "holding_cost",
                         "penalty_cost", "cost"]


def scenario_cost_frame(orders: pd.DataFrame, funding: pd.DataFrame, stock: pd.DataFrame,
                        data: PlanningData) -> pd.DataFrame:
    """Each scenario's cost from a plan's tables (currency): one row per scenario, base first.

    A scenario's orders and funding are the rows without a scenario and, with recourse, its own rows.
    Columns scenario, probability, purchase_cost (the orders at the scenario's prices after discount;
    agreed commitment prices as agreed), first_stage_cost (order costs, onboarding of the suppliers
    ordered from, financing of the funding rows, risk cost on the orders' spend), holding_cost,
    penalty_cost, cost (their sum). The probability-weighted sum of cost is the plan's expected cost.
    """
    rows = []
    for scenario in data.all_scenarios:
        own = of_scenario(orders, scenario.name)
        bought = list(zip(*columns(own, "supplier", "mineral", "period", "quantity", "unit_price", "discount")))
        purchase = sum(
            quantity * (unit_price if pd.isna(discount) else
                        data.scenario_list_price(scenario.name, (supplier, mineral, int(period))) * (1.0 - discount))
            for supplier, mineral, period, quantity, unit_price, discount in bought)
        paid = of_scenario(funding, scenario.name)
        first_stage = (float(own["order_cost"].sum())
                       + sum(data.suppliers[s].onboarding_cost for s in set(own["supplier"]))
                       + sum(data.funding[source].cost_rate * amount
                             for source, amount in zip(*columns(paid, "source", "amount")))
                       + data.settings.risk_weight * sum(data.risk_score(supplier) * quantity * unit_price
                                                         for supplier, _, _, quantity, unit_price, _ in bought))
        held = list(zip(*columns(stock[stock["scenario"] == scenario.name], "mineral", "stock", "unmet_demand",
                                  "shortfall")))
        holding = sum(data.minerals[mineral].holding_cost * amount for mineral, amount, _, _ in held)
        penalty = sum(data.minerals[mineral].shortfall_penalty * unmet + data.minerals[mineral].target_penalty * below
                      for mineral, _, unmet, below in held)
        rows.append({"scenario": scenario.name, "probability": scenario.probability, "purchase_cost": purchase,
                     "first_stage_cost": first_stage, "holding_cost": holding, "penalty_cost": penalty,
                     "cost": purchase + first_stage + holding + penalty})
    return pd.DataFrame(rows, columns=SCENARIO_COST_COLUMNS)


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


def plan_scenario_costs(plan, data: PlanningData) -> pd.DataFrame:
    """scenario_cost_frame of a solved plan, with what its Projects, Contracts, Sales and Conversions cost
    added to every scenario's first_stage_cost: capex, take-or-pay, signing, deliveries at agreed prices,
    sales revenue and conversion costs are the same in every scenario (recourse and cvar_weight are
    refused with projects and contracts), so that part is the plan's
    expected cost (objective - cvar_cost) less the probability-weighted sum of the rest. The weighted
    costs then add up to the plan's expected cost, as the Summary says."""
    frame = scenario_cost_frame(plan.orders, plan.funding, plan.stock, data)
    if not (data.projects or data.contracts or data.sales or data.conversions) or plan.objective is None:
        return frame
    same = plan.objective - plan.costs.get("cvar_cost", 0.0) - float((frame["probability"] * frame["cost"]).sum())
    return frame.assign(first_stage_cost=frame["first_stage_cost"] + same, cost=frame["cost"] + same)


def plan_tail_cost(plan, data: PlanningData) -> float:
    """CVaR at Settings.cvar_level of a solved plan's scenario costs (plan_scenario_costs)."""
    frame = plan_scenario_costs(plan, data)
    return conditional_value_at_risk(list(zip(frame["probability"], frame["cost"])), data.settings.cvar_level)


def plan_cvar(orders: pd.DataFrame, funding: pd.DataFrame, stock: pd.DataFrame, data: PlanningData) -> float:
    """CVaR at Settings.cvar_level of a plan's scenario costs (scenario_cost_frame)."""
    frame = scenario_cost_frame(orders, funding, stock, data)
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

    def vss_text(self, currency: str) -> str:
        """VSS in words: "about 0" within the gaps, else the amount and the gap behind it."""
        if self.vss is None:
            return "not measured: " + self.vss_note
        return self._amount_text(self.vss, self.vss_gap, currency)

    def _amount_text(self, value: float, gap: float, currency: str) -> str:
        if self.about_zero(value, gap):
            return f"about 0 (within the solver gaps of {gap:,.0f} {currency})"
        return f"{value:,.0f} {currency} (+- {gap:,.0f} from the solver gaps)"

    def about_zero(self, value: float, gap: float) -> bool:
        """Whether ``value`` is within ``gap`` of 0 (and solver round-off: 1e-6 of the expected cost)."""
        return abs(value) <= gap + 1e-6 * max(1.0, abs(self.expected_cost))

    def evpi_text(self, currency: str) -> str:
        """EVPI in words: "about 0" within the gaps, else the amount and the gap behind it."""
        if self.evpi is None:
            return "not measured: " + self.note
        return self._amount_text(self.evpi, self.evpi_gap, currency)


def expected_view(plan, data: PlanningData):
    """A plan with recourse as its expected orders and funding, for the sheets that sum them (Mix, Spending,
    Concentration, Dashboard...): each scenario's own rows weighted by its probability, shared rows whole.
    A plan without recourse is returned as it is."""
    if "scenario" not in plan.orders:
        return plan
    probability = {k.name: k.probability for k in data.all_scenarios}

    def weighted(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
        weight = frame["scenario"].map(lambda name: probability.get(name, 1.0) if name else 1.0)
        return frame.assign(**{c: frame[c] * weight for c in columns if c in frame})

    return replace(plan, orders=weighted(plan.orders, ("quantity", "cost", "floor_cost")),
                   funding=weighted(plan.funding, ("amount",)))
