"""A warning for order bounds (big-M) the solver's integrality tolerance cannot honour.

| check | threshold | what |
| --- | --- | --- |
| order big-M | ``MAX_BIG_M_SPAN`` = 1e6 | an offer's largest order bound (models/ordering.py ``order_upper_bounds``) / the smallest positive demand, target, min_order, discount threshold or commitment of its mineral |

A property of the model, not of one cell: ``order_bound_warnings`` runs on the
validated data, before the model is built. An order bound M links an order x to
its yes/no variable y by x <= M y; HiGHS accepts y within about 1e-9..1e-6 of 0,
so a large M lets a small order through unpaid. The solve repairs such orders
(models/repair.py), but the warning says which offer invites them. The cell-scale
warnings of the raw sheets are ``optimizer/intake/numerics.py``'s.
"""

from __future__ import annotations

from models.ordering import order_upper_bounds
from optimizer.contract.data import PlanningData
from optimizer.contract.problems import Problem, Problems

MAX_BIG_M_SPAN = 1e6


def order_bound_warnings(data: PlanningData) -> list[Problem]:
    """A warning for each offer whose order bound exceeds MAX_BIG_M_SPAN times its mineral's smallest quantity."""
    largest: dict[tuple[str, str], float] = {}
    for slot, bound in order_upper_bounds(data).items():
        if slot not in data.commitments:
            largest[slot[:2]] = max(largest.get(slot[:2], 0.0), bound)
    smallest = smallest_quantities(data)
    problems = Problems()
    for (supplier, mineral), bound in sorted(largest.items()):
        if mineral not in smallest:
            continue
        quantity, what = smallest[mineral]
        if bound > MAX_BIG_M_SPAN * quantity:
            unit = data.minerals[mineral].unit
            problems.warning(
                f"an order of {mineral} from {supplier} can reach {bound:.3g} {unit} (its bound: what an optimal "
                f"plan could use, within capacity, money and storage), {bound / quantity:.3g} times the smallest "
                f"quantity of {mineral} ({quantity:g} {unit}, {what}); expected at most {MAX_BIG_M_SPAN:.0e} times, "
                "or the solver's integrality tolerance can let an order skip its order_cost (such orders are "
                "repaired after the solve): set this offer's max_per_period, or check the units",
                sheet="Offers", column="max_per_period", value=data.offers[supplier, mineral].max_per_period)
    return problems.items


def smallest_quantities(data: PlanningData) -> dict[str, tuple[float, str]]:
    """Per mineral, its smallest positive demand, target, min_order, discount threshold or commitment, and where."""
    found: dict[str, tuple[float, str]] = {}

    def consider(mineral: str, quantity: float, what: str) -> None:
        if quantity > 0 and (mineral not in found or quantity < found[mineral][0]):
            found[mineral] = (quantity, what)

    for (mineral, period), quantity in data.demand.items():
        consider(mineral, quantity, f"demand in period {period}")
    for (scenario, mineral, period), quantity in data.scenario_demand.items():
        consider(mineral, quantity, f"demand of scenario {scenario} in period {period}")
    for (mineral, period), quantity in data.targets.items():
        consider(mineral, quantity, f"target in period {period}")
    for (supplier, mineral), offer in data.offers.items():
        consider(mineral, offer.min_order, f"min_order of {supplier}")
        for threshold, _ in offer.discounts:
            consider(mineral, threshold, f"discount threshold of {supplier}")
    for (supplier, mineral, period), quantity in data.commitments.items():
        consider(mineral, quantity, f"commitment of {supplier} in period {period}")
    return found
