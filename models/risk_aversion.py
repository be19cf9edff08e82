"""Risk aversion: expected cost + cvar_weight x CVaR of the scenario cost (issue 15, point 4).

Symbols
    k                  a scenario with pi[k] > 0 (base and every Scenarios name)
    cost[k]            the plan's cost if scenario k happens, term by term as the Scenario costs sheet
                       prices it (optimizer/contract/scenario_costs.py): purchases at k's prices
                       (p[k,o,t] = max(floor_price, factor[k,o,t] x p[o,t]), after discount; a contract
                       delivery at p[k,c,t] = max(floor_price, factor[k,c,t] x unit_price) with a
                       floor_price, else unit_price); the
                       terms decided before any scenario is known, the same in every k (SHARED_TERMS:
                       order, onboarding, financing, risk, conversion_cost, sales_revenue, and the
                       deal terms); k's holding and penalty costs (penalty[k,m,t], ScenarioDemand's
                       where it gives one) and k's release_revenue
                       - sum over m,t of price[k,m,t] x (demand[m,t] - u[k,m,t])
    CvarThreshold      eta: free; at the optimum the alpha-quantile of cost (value at risk)
    CvarExcess[k]      u[k] >= 0: how far cost[k] exceeds eta
    cvar_weight        lambda (Settings), cvar_level alpha (Settings)

    CVaR_alpha = eta + 1 / (1 - alpha) x sum over k of pi[k] x u[k],  u[k] >= cost[k] - eta, u[k] >= 0
    cvar_cost  = lambda x CVaR_alpha   (registered as a cost term: the Summary's terms add up)

Since sum over k of pi[k] x cost[k] is the contract's objective (every term but cvar_cost), the model
minimises expected cost + lambda x CVaR. With cvar_weight 0 nothing is added: the model is
exactly the one without this concern. The CVaR rows link minerals (every mineral's costs enter
cost[k]); the block start of optimizer/solving/decompose.py treats eta and u as linking columns.
"""

from __future__ import annotations

import pyomo.core as pyo

from models.ordering import purchase_at
from optimizer.contract.data import PlanningData
from optimizer.contract.scenario_costs import SHARED_TERMS


def add_risk_aversion(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add eta, u[k], the excess rows and cvar_cost when Settings.cvar_weight > 0 (else nothing)."""
    weight = data.settings.cvar_weight
    if weight <= 0 or model.facts.elastic:
        return
    alpha = data.settings.cvar_level
    scenarios = [k for k in data.all_scenarios if k.probability > 0]
    model.CVAR_SCENARIOS = pyo.Set(initialize=[k.name for k in scenarios], ordered=True)
    model.ScenarioCost = pyo.Expression(model.CVAR_SCENARIOS, rule=lambda m, k: scenario_cost(m, data, k))
    model.CvarThreshold = pyo.Var(within=pyo.Reals)
    model.CvarExcess = pyo.Var(model.CVAR_SCENARIOS, within=pyo.NonNegativeReals)

    def con_cvar_excess(m, scenario):
        """u[k] >= cost[k] - eta: the excess of scenario k's cost over the threshold."""
        return m.CvarExcess[scenario] >= m.ScenarioCost[scenario] - m.CvarThreshold

    model.con_cvar_excess = pyo.Constraint(model.CVAR_SCENARIOS, rule=con_cvar_excess)
    cvar = model.CvarThreshold + sum(k.probability * model.CvarExcess[k.name] for k in scenarios) / (1.0 - alpha)
    model.facts.cost_terms["cvar_cost"] = weight * cvar


def scenario_cost(model: pyo.ConcreteModel, data: PlanningData, scenario: str):
    """cost[k] in model money: the shared terms, purchases at k's prices, k's holding, penalty and release revenue.

    Purchases at k's prices are the expected purchase cost plus, on every slot whose price in k
    differs from its expected price, (p[k,o,t] - expected price) x (1 - d) x x[o,t], and on every delivery
    slot of a contract with a floor_price (p[k,c,t] - price[c,t]) x d[c,t] (models/contracts.py).
    """
    terms = model.facts.cost_terms
    cost = sum(terms.get(name, 0.0) for name in SHARED_TERMS) + terms.get("purchase_cost", 0.0)
    for slot in model.ORDER_SLOTS:
        if slot in data.commitment_prices:
            continue
        difference = data.scenario_list_price(scenario, slot) - data.expected_list_price(slot)
        if difference != 0.0:
            cost += purchase_at(model, slot, difference)
    for name, period in model.DELIVERY_SLOTS:  # a contract with a floor_price: its delivery at k's price
        difference = data.delivery_scenario_price(scenario, name, period) - data.expected_delivery_price(name, period)
        if difference != 0.0:
            cost += difference / model.facts.money_unit * model.Delivery[name, period]
    for mineral in data.minerals:
        representative = model.facts.stock_scenario[scenario, mineral]  # the class sharing k's stock
        for period in data.periods:
            cost += _stock_cost(model, data, scenario, (representative, mineral, period))
    return cost



def add_recourse_risk_aversion(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Risk aversion on a model with recourse (models/recourse.py): the same eta, u[k] and excess rows,
    where cost[k] is the objective of the scenario's own copy Scenario[k] (its orders, shared and its
    own, at its prices; its stock; every first-stage term), in the model's money unit:

        minimise  sum over k of pi[k] x cost[k] + cvar_weight x (eta + 1 / (1 - alpha) x sum over k of pi[k] x u[k])
        u[k] >= cost[k] - eta,  u[k] >= 0

    Nothing is added with cvar_weight 0: the model with recourse as it was."""
    weight = data.settings.cvar_weight
    if weight <= 0:
        return
    scenarios = [k for k in data.all_scenarios if k.probability > 0]
    model.CVAR_SCENARIOS = pyo.Set(initialize=[k.name for k in scenarios], ordered=True)

    def copy_cost(m, scenario):
        copy = m.Scenario[scenario]
        return copy.facts.money_unit / m.money_unit * copy.objective.expr

    model.ScenarioCost = pyo.Expression(model.CVAR_SCENARIOS, rule=copy_cost)
    model.CvarThreshold = pyo.Var(within=pyo.Reals)
    model.CvarExcess = pyo.Var(model.CVAR_SCENARIOS, within=pyo.NonNegativeReals)

    def con_cvar_excess(m, scenario):
        """u[k] >= cost[k] - eta: the excess of scenario k's cost (its copy's objective) over the threshold."""
        return m.CvarExcess[scenario] >= m.ScenarioCost[scenario] - m.CvarThreshold

    model.con_cvar_excess = pyo.Constraint(model.CVAR_SCENARIOS, rule=con_cvar_excess)
    model.cvar_cost = pyo.Expression(expr=weight * (model.CvarThreshold + sum(
        k.probability * model.CvarExcess[k.name] for k in scenarios) / (1.0 - data.settings.cvar_level)))
    model.objective.expr = model.objective.expr + model.cvar_cost

def _stock_cost(model: pyo.ConcreteModel, data: PlanningData, scenario: str, index: tuple[str, str, int]):
    """holding_cost[m] x I + penalty[k,m,t] x u + target_penalty[m] x e - price[k,m,t] x (demand[m,t] - u)
    of scenario k at its stock class's (class, m, t), in model money."""
    _, mineral, period = index
    spec = data.minerals[mineral]
    unit = model.facts.money_unit
    cost = spec.holding_cost / unit * model.Stock[index]
    if index in model.UNMET_INDEX:
        cost += data.shortfall_penalty_of(scenario, mineral, period) / unit * model.Unmet[index]
        price = data.release_price_in(scenario, mineral, period)
        if price > 0 and (mineral, period) in data.demand:
            cost -= price / unit * (data.demand[mineral, period] - model.Unmet[index])
    if index in model.SHORTFALL_INDEX:
        cost += spec.target_penalty / unit * model.Shortfall[index]
    return cost
