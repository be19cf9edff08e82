"""Which mineral each variable belongs to: the model's block structure.

Minerals are linked only by funding (amounts and budgets: rows) and supplier
onboarding (``UsesSupplier``: columns shared by every mineral of a supplier).
Every other variable belongs to exactly one mineral, named at a fixed position
of its index. optimizer/solving/decompose.py uses this to solve one small model per
mineral and assemble a starting plan.
"""

from __future__ import annotations

from pyomo.core.base.var import Var, VarData

# Position of the mineral in each variable's index (models/ordering, inventory, funding, mix_and_risk,
# stability). A variable not listed (UsesSupplier, elastic slacks) links minerals.
MINERAL_POSITION = {
    "Order": 1, "IsOrdered": 1, "TierQuantity": 1, "InTier": 1,  # (supplier, mineral, period[, tier])
    "NodeOrder": 1, "NodeIsOrdered": 1,  # (supplier, mineral, period, node): models/recourse.py
    "Spend": 2,  # (source, supplier, mineral, period)
    "Stock": 1, "Unmet": 1, "Shortfall": 1, "Release": 1,  # (scenario, mineral, period)
    "OfferTotal": 1, "MineralTotal": 0,  # (supplier, mineral), (mineral)
    "ChangeUp": 1, "ChangeDown": 1,  # (supplier, mineral, period)
    "RecourseChangeUp": 2, "RecourseChangeDown": 2,  # (scenario, supplier, mineral, period)
    "Sold": 1,  # (sale, mineral, period)
}
# Position of the project in the index of models/projects.py's variables: they belong to the project's
# mineral when its offers sell one mineral, and link minerals otherwise.
PROJECT_POSITION = {"Build": 0, "CapexSpend": 1}  # (project, period), (source, project, period)


# Position of the contract in each contract variable's index (models/contracts.py): its mineral is the contract's.
CONTRACT_POSITION = {"Signed": 0, "Delivery": 0, "Untaken": 0, "UnderMinimum": 0, "ContractSpend": 1}


def mineral_of(var: VarData) -> str | None:
    """The mineral a variable belongs to, or None for a variable that links minerals."""
    name = var.parent_component().local_name
    index = var.index()
    if name in PROJECT_POSITION:
        data = _facts_of(var).data
        minerals = data.project_minerals(data.projects[index[PROJECT_POSITION[name]]])
        return minerals[0] if len(minerals) == 1 else None
    if name in CONTRACT_POSITION:
        contract = index if not isinstance(index, tuple) else index[CONTRACT_POSITION[name]]
        return _facts_of(var).data.contracts[contract].mineral
    position = MINERAL_POSITION.get(name)
    if position is None:
        return None
    return index if position == 0 and not isinstance(index, tuple) else index[position]


def minerals_of(component: Var) -> list[str | None]:
    """``mineral_of`` of each variable of ``component`` (a Var, indexed or not), in its own order (``values()``).

    The component's name is looked at once and each mineral read from its index at the name's position, rather
    than each variable's component and index looked up again (``var.index()`` finds the variable in its
    component): the block start labels every column of the model with it (optimizer/solving/highs.py; at XL
    209,486 columns, docs/performance.md, setup-passes). The variables of projects and contracts are labelled
    one by one, as ``mineral_of`` does, their minerals being the data's."""
    name = component.local_name
    if name in PROJECT_POSITION or name in CONTRACT_POSITION:
        return [mineral_of(var) for var in component.values()]
    position = MINERAL_POSITION.get(name)
    if position is None:
        return [None] * len(component)
    return [index if position == 0 and not isinstance(index, tuple) else index[position] for index in component.keys()]


def _facts_of(var: VarData):
    """The facts (models/facts.py) of the model ``var`` was built in: the model's own, or with recourse
    (models/recourse.py) its scenario copy's, the block holding it (the model with recourse has none)."""
    return var.parent_block().facts


# Position of the scenario in the index of a scenario copy's variables (each copy of a model with recourse,
# models/recourse.py, indexes its stock by its own scenario).
SCENARIO_POSITION = {"Stock": 0, "Unmet": 0, "Shortfall": 0, "Release": 0}
NODE_VARIABLES = ("NodeOrder", "NodeIsOrdered")  # (supplier, mineral, period, node)


def twin_of(var: VarData) -> VarData | None:
    """In the block start of a model with recourse: the variable of the same block whose value ``var`` takes
    (models/recourse.py block_twins: the same variable in the copy of a scenario with the same data on
    the mineral, or the node order such a scenario places), None for a variable of its own."""
    model = var.model()
    twins = getattr(model, "block_twins", None)
    mineral = mineral_of(var) if twins is not None else None
    if mineral is None:
        return None
    component, index = var.parent_component(), var.index()
    if component.local_name in NODE_VARIABLES:
        node = twins.nodes.get((mineral, index[2], index[3]))
        twin_index, other = (None, None) if node is None else (index[:3] + (node,), component)
    else:
        copy = component.parent_block()
        leader = twins.copies.get((copy.index(), mineral)) if copy.parent_component() is model.Scenario else None
        if leader is None:
            return None
        other = getattr(model.Scenario[leader], component.local_name, None)
        position = SCENARIO_POSITION.get(component.local_name)
        twin_index = index if position is None else index[:position] + (leader,) + index[position + 1:]
    return other[twin_index] if other is not None and twin_index in other else None
