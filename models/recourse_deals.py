"""Projects and Contracts with recourse (Settings.recourse: yes; issue 15, docs/contract-readings.md).

Recourse lets *orders* differ by scenario once it is known (models/recourse.py). The deals are decided
before any scenario is known, so they are first-stage: every scenario copy Scenario[k] of the model with
recourse holds the same

    Build[p,d]        project p decided in period d                       (models/projects.py)
    Signed[c]         contract c signed                                   (models/contracts.py)
    Delivery[c,t]     the quantity ordered under c in period t
    Untaken[c]        what c pays for below its min_quantity (take-or-pay), and UnderMinimum[c]
    Sold[i,m,t]       stock sold by sale i (models/sales.py: a sale is decided before the scenario is known)

as the first copy r (the first of data.all_scenarios), one equality row per copy and column:

    v[k,i] = v[r,i]   for every k != r and every index i of v in k's copy or r's (0 where a copy has none)

What stays per scenario is how a bill is paid: CapexSpend[k,f,p,t] and ContractSpend[k,f,c,t] may differ by
scenario (each copy's con_capex_funded and con_contract_funded still pay the same capex and the delivery
bill at its own price, within its own amounts and budgets). Each copy's objective counts capex_cost and
signing_cost (the same in every copy) and the deliveries at its own price (scenario_alone: unit_price, or
with a floor_price max(floor_price, factor[k] x unit_price)), so the expected cost sums the deliveries at
their expected price.

A delivery slot a copy leaves out (its own funds or storage cannot pay or hold anything there,
models/contracts.py delivery_upper_bounds) holds 0, so every copy's delivery there is 0: the deliveries
meet the tightest copy's bound.
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer.contract.data import PlanningData

# The deal columns every scenario copy shares (models/projects.py, models/contracts.py).
DEAL_VARIABLES = ("Build", "Signed", "Delivery", "Untaken", "UnderMinimum", "Sold")


def has_deals(data: PlanningData) -> bool:
    """Whether the input has Projects, Contracts or Sales (decisions the scenario copies share)."""
    return bool(data.projects or data.contracts or data.sales)


def deal_index(model: pyo.ConcreteModel, names: list[str]) -> list[tuple]:
    """(scenario, variable, *index) of every deal column of a copy other than the first (``names[0]``) that
    is tied to the first's: the indices of the variable in that copy or in the first, in order."""
    first = model.Scenario[names[0]]
    rows = []
    for variable in DEAL_VARIABLES:
        reference = list(getattr(first, variable, {}) or {})
        for name in names[1:]:
            own = list(getattr(model.Scenario[name], variable, {}) or {})
            for index in dict.fromkeys(reference + own):
                rows.append((name, variable, *(index if isinstance(index, tuple) else (index,))))
    return rows


def add_shared_deals(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """con_shared_deal: the deal columns of every scenario copy equal the first copy's (none without deals)."""
    names = [k.name for k in data.all_scenarios]
    if not has_deals(data) or len(names) < 2:
        return
    model.SHARED_DEALS = pyo.Set(initialize=deal_index(model, names), dimen=None, ordered=True)

    def column(scenario: str, variable: str, index: tuple):
        """The copy's deal column at ``index``; 0 where the copy has none."""
        var = getattr(model.Scenario[scenario], variable, None)
        key = index[0] if len(index) == 1 else index
        return var[key] if var is not None and key in var else 0.0

    def con_shared_deal(m, scenario, variable, *index):
        """Deals are decided before any scenario is known: v[k,i] = v[r,i] (Build, Signed, Delivery, Untaken,
        UnderMinimum, Sold), r the first scenario."""
        own, first = column(scenario, variable, index), column(names[0], variable, index)
        if all(isinstance(v, float) or v.fixed for v in (own, first)):
            return pyo.Constraint.Skip  # nothing to tie (a decided project, a signed contract: fixed in each copy)
        return own == first

    model.con_shared_deal = pyo.Constraint(model.SHARED_DEALS, rule=con_shared_deal)


def fix_deals(model: pyo.ConcreteModel, builds: dict[str, int], signed: set[str],
              deliveries: dict[tuple[str, int], float]) -> None:
    """Fix every copy's deals at a plan's (the expected-value plan's first stage, VSS): Build[p,d] = 1 for
    its decisions and 0 otherwise, Signed[c] = 1 for the contracts it signs, Delivery[c,t] its delivery (0
    where none). Untaken and UnderMinimum follow from them in each copy."""
    for copy in model.Scenario.values():
        for (project, period) in getattr(copy, "BUILD_SLOTS", ()):
            copy.Build[project, period].fix(1 if builds.get(project) == period else 0)
        for contract in getattr(copy, "CONTRACTS", ()):
            copy.Signed[contract].fix(1 if contract in signed else 0)
        for slot in getattr(copy, "DELIVERY_SLOTS", ()):
            copy.Delivery[slot].fix(deliveries.get(slot, 0.0))
