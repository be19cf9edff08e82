"""The procurement model of ``../shared/spec/model.md`` in Pyomo, one module per concern.

``build_model`` reads like the table of contents of model.md: each concern adds
its sets, variables, constraints and cost terms; the objective sums the cost
terms the concerns registered. Nothing here touches files.
"""

from __future__ import annotations

import pyomo.core as pyo

from models.contracts import add_contracts
from models.conversions import add_conversions
from models.facts import ModelFacts, model_facts
from models.funding import add_funding
from models.inventory import add_inventory
from models.market import add_market
from models.mix_and_risk import add_mix_and_risk
from models.objective import add_objective
from models.ordering import add_ordering
from models.projects import add_projects
from models.risk_aversion import add_risk_aversion
from models.participants import add_release_revenue
from models.sales import add_sales, add_sales_funding
from models.stability import add_stability
from optimizer.contract.data import PlanningData, Slot

__all__ = ["ModelFacts", "build_model"]


def build_model(data: PlanningData, elastic: bool = False,
                previous_orders: dict[Slot, float] | None = None,
                order_upper: dict[Slot, float] | None = None,
                node_orders: dict[Slot, tuple] | None = None,
                node_conversions: dict[tuple[str, int], object] | None = None) -> pyo.ConcreteModel:
    """The mixed-integer model of a workbook.

    ``elastic=True`` builds the infeasibility-analysis variant: every hard limit
    that commitments can break (funding, budgets, storage, mix caps, market caps) gets a
    non-negative slack, and the objective is the total slack, so a positive
    slack names a limit that cannot be met.

    ``previous_orders`` (the previous plan's order quantities) prices each unit
    of change against them at Settings.change_penalty (models/stability.py).
    ``order_upper`` replaces the order bounds and ``node_orders`` (slot -> its node's x and y variables)
    the order variables, ``node_conversions`` ((conversion, period) -> its node's q) the conversion
    variables (one scenario's model of models/recourse.py).

    The model's facts beside its components (money unit, big-Ms, price
    segments, scenario classes, registered cost terms) are ``model.facts``,
    a ``ModelFacts``.
    """
    model = pyo.ConcreteModel(name="critical_minerals_procurement")
    # the workbook's facts beside the Pyomo components: big-Ms, money unit, scenario classes (models/facts.py)
    model.facts = model_facts(data, elastic, previous_orders, order_upper, node_orders, node_conversions)
    add_ordering(model, data)  # x, y, z, order size, commitments, discount tiers
    add_projects(model, data)  # build versus buy: decisions, capex and its funding (optional)
    add_contracts(model, data)  # signed, deliveries, take-or-pay (optional)
    add_sales(model, data)  # stock sold, the same in every scenario, and its revenue (optional)
    add_conversions(model, data)  # upgrading one form into another (optional)
    add_inventory(model, data)  # stock balance per scenario, targets, storage
    add_release_revenue(model, data)  # what participants pay for the demand served (optional)
    add_funding(model, data)  # who pays each order, amounts and budgets
    add_sales_funding(model, data)  # revenue adds to its source's amount from the next period on
    add_mix_and_risk(model, data)  # country and supplier shares, average risk, risk cost
    add_market(model, data)  # orders per period within a share of world supply (optional)
    add_stability(model, data)  # change against the previous plan (optional)
    add_risk_aversion(model, data)  # cvar_weight x CVaR of the scenario cost (optional)
    add_objective(model, data)  # the sum of the registered cost terms
    return model
