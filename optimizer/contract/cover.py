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
from bisect import bisect_left, bisect_right


def _demand_ahead(demand: dict[tuple[str, int], float], mineral: str, num_periods: int):
    """D[m, s] for s >= 1: the input demand in the horizon, its average beyond."""
    within = [demand.get((mineral, s), 0.0) for s in range(1, num_periods + 1)]
    average = sum(within) / num_periods if num_periods else 0.0
    return lambda s: within[s - 1] if s <= num_periods else average, average


class DemandAhead:
    """D[m, s] of one mineral, summed over any stretch of periods in time that grows with the
    ``Demand`` rows, never with the horizon or the cover asked for (a workbook may give
    num_periods 10,000,000 or cover_periods 1e12: validation must not walk them period by period)."""

    def __init__(self, demand: dict[tuple[str, int], float], mineral: str, num_periods: int):
        entries = sorted((s, q) for (m, s), q in demand.items() if m == mineral and 1 <= s <= num_periods)
        self.periods = [s for s, _ in entries]
        self.quantities = [q for _, q in entries]
        self.num_periods = num_periods
        self.average = math.fsum(self.quantities) / num_periods if num_periods else 0.0

    def total(self, first: int, last: int) -> float:
        """D[m, first] + ... + D[m, last]."""
        inside = self.quantities[bisect_left(self.periods, first):bisect_right(self.periods, last)]
        beyond = max(0, last - max(first - 1, self.num_periods))  # periods past the horizon
        return math.fsum(inside) + beyond * self.average

    def cover_stock(self, period: int, cover_periods: float) -> float:
        """The stock that covers ``cover_periods`` periods of demand after ``period``."""
        whole = math.floor(cover_periods)
        following = period + whole + 1
        return self.total(period + 1, period + whole) + (cover_periods - whole) * self.total(following, following)


def cover_stock(demand: dict[tuple[str, int], float], mineral: str, period: int, cover_periods: float,
                num_periods: int) -> float:
    """The stock that covers ``cover_periods`` periods of demand after ``period``."""
    return DemandAhead(demand, mineral, num_periods).cover_stock(period, cover_periods)


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
