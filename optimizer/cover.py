"""Targets in periods of cover: stock that covers the demand of the periods ahead.

A ``Targets`` row may give ``cover_periods`` c instead of (or besides)
``min_stock``. The stock wanted at the end of period t is the demand of the
next c periods (forward cover, as "60 days of imports" goals are stated):

    min_stock[m,t] = D[m,t+1] + ... + D[m,t+floor(c)] + (c - floor(c)) * D[m,t+floor(c)+1]

where D[m,s] is the mineral's ``Demand`` in period s within the horizon, and
beyond the horizon its average demand per period over the horizon. When a row
gives both, the target is the larger of ``min_stock`` and the cover. Achieved
cover is the inverse: how many periods of demand ahead the stock would serve.
"""

from __future__ import annotations

import math


def _demand_ahead(demand: dict[tuple[str, int], float], mineral: str, num_periods: int):
    """D[m, s] for s >= 1: the input demand in the horizon, its average beyond."""
    within = [demand.get((mineral, s), 0.0) for s in range(1, num_periods + 1)]
    average = sum(within) / num_periods if num_periods else 0.0
    return lambda s: within[s - 1] if s <= num_periods else average, average


def cover_stock(demand: dict[tuple[str, int], float], mineral: str, period: int, cover_periods: float,
                num_periods: int) -> float:
    """The stock that covers ``cover_periods`` periods of demand after ``period``."""
    demand_in, _ = _demand_ahead(demand, mineral, num_periods)
    whole = math.floor(cover_periods)
    stock = sum(demand_in(period + i) for i in range(1, whole + 1))
    return stock + (cover_periods - whole) * demand_in(period + whole + 1)


def achieved_cover(demand: dict[tuple[str, int], float], mineral: str, period: int, stock: float,
                   num_periods: int) -> float | None:
    """Periods of demand after ``period`` that ``stock`` covers; None when no demand lies ahead."""
    demand_in, average = _demand_ahead(demand, mineral, num_periods)
    left, covered = max(0.0, stock), 0.0
    for s in range(period + 1, num_periods + 1):
        needed = demand_in(s)
        if left < needed:
            return covered + left / needed
        left -= needed
        covered += 1.0
    if average <= 0:
        return None
    return covered + left / average
