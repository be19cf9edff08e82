"""Market size: a plan cannot buy more of a mineral in a period than the world market can sell.

Symbols
    x[o,t]               Order: quantity of offer o ordered in period t (commitments included)
    world_supply[m]      Minerals.world_supply: what the world market sells of m in one period
    max_market_share[m]  Minerals.max_market_share, else Settings.max_market_share
    market_cap[m]        max_market_share[m] * world_supply[m] (PlanningData.market_cap)

Only minerals with a world_supply get the cap, in every period where the
mineral has an order slot. The order bounds (models/ordering.py) hold the cap
too, but the sensitivity LP (models/sensitivity.py) drops those bounds, so
the row is kept even where the bounds alone would meet it. The row holds orders of one mineral only, so it lies in that mineral's block
(models/blocks.py) and the per-mineral start of optimizer/solving/decompose.py
keeps it.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.core as pyo

from models.contracts import deliveries_of
from models.elastic import add_slack, slack_of
from optimizer.contract.data import PlanningData


def market_rows(model: pyo.ConcreteModel, data: PlanningData) -> dict[tuple[str, int], list]:
    """The orders x[o,t] and contract deliveries d[c,t] of each (mineral, period) of a mineral with a world_supply."""
    slots: dict[tuple[str, int], list] = defaultdict(list)
    for slot in model.ORDER_SLOTS:
        if data.market_cap(slot[1]) is not None:
            slots[slot[1], slot[2]].append(model.Order[slot])
    for name, contract_slots in deliveries_of(model).items():
        mineral = data.contracts[name].mineral
        if data.market_cap(mineral) is not None:
            for slot in contract_slots:
                slots[mineral, slot[1]].append(model.Delivery[slot])
    return dict(sorted(slots.items()))


def add_market(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Add the market-share cap per mineral and period where the mineral gives a world_supply."""
    rows = market_rows(model, data)
    model.MARKET_INDEX = pyo.Set(dimen=2, ordered=True, initialize=list(rows))
    slack = add_slack(model, "con_market_share", model.MARKET_INDEX)

    def con_market_share(m, mineral, period):
        """Orders and contract deliveries of a mineral placed in a period stay within its share of the world
        market: sum over offers o of m of x[o,t] + sum over contracts c of m of d[c,t]
        <= max_market_share[m] * world_supply[m]."""
        return (sum(rows[mineral, period])
                <= data.market_cap(mineral) + slack_of(slack, (mineral, period)))

    model.con_market_share = pyo.Constraint(model.MARKET_INDEX, rule=con_market_share)
