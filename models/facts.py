"""The facts a built model needs beside its Pyomo components, in one typed record.

``build_model`` computes them from the workbook before any variable exists and
attaches the record once, as ``model.facts``. Every concern that builds the
model and every reader of a solved model (results, start, sensitivity, repair,
release, the stability pass, the solver's blocks) reads these fields, never
loose attributes on the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.core as pyo

from models.contracts import DeliverySlot, delivery_upper_bounds
from models.inventory import scenario_classes
from models.ordering import Segment, order_upper_bounds, slot_segments
from models.scaling import money_unit
from optimizer.contract.data import PlanningData, Slot


@dataclass(frozen=True)
class ModelFacts:
    """What a model is built from and counts in, beside its Pyomo components.

    ``cost_terms`` and ``slack_terms`` are registries: each concern adds its
    terms while the model is built, and the objective sums them.
    """

    data: PlanningData  # the workbook the model encodes (the repair reads min_order and funding)
    elastic: bool  # the infeasibility-analysis variant: hard limits get slacks, the objective is their sum
    money_unit: float  # currency units per model money unit (models/scaling.py)
    order_upper: dict[Slot, float]  # each order slot's big-M (models/ordering.py order_upper_bounds)
    price_segments: dict[Slot, list[Segment]]  # each slot's all-units discount segments
    stock_scenario: dict[tuple[str, str], str]  # (scenario, mineral) -> the scenario whose stock it shares
    probability: dict[tuple[str, str], float]  # (representative scenario, mineral) -> its class's summed pi
    previous_orders: dict[Slot, float] | None  # the previous plan's orders; None: there is no previous plan
    cost_terms: dict[str, object] = field(default_factory=dict)  # cost name -> expression
    # each contract delivery slot's bound (models/contracts.py delivery_upper_bounds); none without contracts
    delivery_upper: dict[DeliverySlot, float] = field(default_factory=dict)
    slack_terms: dict[str, pyo.Var] = field(default_factory=dict)  # constraint name -> slack (elastic only)
    # (source, period) -> what the source pays beyond orders (capex, models/projects.py), for the funding rows
    other_spending: dict[tuple[str, int], list] = field(default_factory=dict)
    # (source, period) -> every money term the source pays (orders, capex, contracts, conversions), set by
    # models/funding.py for the sales money-left rule (models/sales.py)
    paid_by_source_period: dict[tuple[str, int], list] = field(default_factory=dict)
    # slot -> (x, y) of the scenario-tree node the slot's order belongs to (models/recourse.py); None: the
    # model's own Order and IsOrdered
    node_orders: dict[Slot, tuple] | None = None
    # (conversion, period) -> q of the scenario-tree node the conversion belongs to (models/recourse.py); None:
    # the model's own Convert
    node_conversions: dict[tuple[str, int], object] | None = None

    def previous_order(self, slot: Slot) -> float:
        """x_prev[o,t]: the previous plan's order of ``slot`` (0 when it had none, or there is no previous plan)."""
        return (self.previous_orders or {}).get(slot, 0.0)


def model_facts(data: PlanningData, elastic: bool = False, previous_orders: dict[Slot, float] | None = None,
                order_upper: dict[Slot, float] | None = None,
                node_orders: dict[Slot, tuple] | None = None,
                node_conversions: dict[tuple[str, int], object] | None = None) -> ModelFacts:
    """The facts of ``build_model(data, elastic, previous_orders)``, computed from the workbook alone
    (``order_upper``: the order bounds, when another workbook's needs set them, and ``node_orders`` and
    ``node_conversions``: the scenario-tree node's order and conversion variables: models/recourse.py)."""
    upper = order_upper if order_upper is not None else order_upper_bounds(data, previous_orders)
    classes = scenario_classes(data, delivering_countries(data, upper))
    return ModelFacts(
        data=data,
        elastic=elastic,
        money_unit=money_unit(data, upper),
        order_upper=upper,
        price_segments={slot: slot_segments(data, slot, bound) for slot, bound in upper.items()},
        stock_scenario={(k, m): rep for m, groups in classes.items() for rep, members in groups.items()
                        for k in members},
        probability={(rep, m): sum(members.values()) for m, groups in classes.items()
                     for rep, members in groups.items()},
        previous_orders=None if previous_orders is None else dict(previous_orders),
        delivery_upper=delivery_upper_bounds(data),
        node_orders=node_orders,
        node_conversions=node_conversions,
    )


def delivering_countries(data: PlanningData, order_slots) -> dict[str, set[str]]:
    """mineral -> the countries that can deliver it: the origins (Origins, else the supplier's country)
    of the suppliers of its order slots, its contracts, its pipeline and of the toll processors converting into it."""
    countries: dict[str, set[str]] = {}
    contracts = [(c.supplier, c.mineral, c.first_period) for c in data.contracts.values()]
    for supplier, mineral, _ in (*order_slots, *data.pipeline, *contracts):
        countries.setdefault(mineral, set()).update(data.origin_shares(supplier, mineral))
    for conversion in data.conversions.values():  # a toll processor delivers its to_mineral
        if conversion.supplier is not None:
            countries.setdefault(conversion.to_mineral, set()).update(
                data.origin_shares(conversion.supplier, conversion.to_mineral))
    return countries
