"""Wagner-Whitin (model.md, Properties): one mineral, one supplier, zero lead time, no caps,
no target, ample funding, demand d[t], order_cost K and holding_cost h. The optimal
purchase + order + holding cost equals the classic O(T^2) dynamic program.
"""

from __future__ import annotations

import random

import pytest
from modelcase import approx, demand, sheets, solve

PRICE = 10  # base_sheets' unit_price


def wagner_whitin(d: list[float], K: float, h: float, price: float = PRICE) -> float:
    """Least ordering + holding cost to meet every demand d[1..T] with zero lead time, every unit bought at ``price``."""
    return wagner_whitin_plan(d, K, h, price)[0]


def wagner_whitin_plan(d: list[float], K: float, h: float, price: float = PRICE) -> tuple[float, int]:
    """(least cost, fewest orders of a least-cost plan) to meet every demand d[1..T] with zero lead time.

    f[j] = cost of meeting periods 1..j ending with no stock; an order in period i covers
    periods i..j, holding each unit for period u at the ends of periods i..u-1:
    f[j] = min over i <= j of f[i-1] + K + h x sum over u = i..j of (u - i) d[u],
    or f[j-1] when d[j] = 0 (no order needed). Ties in cost go to fewer orders.
    """
    T = len(d)
    f = [(0.0, 0)] + [(float("inf"), 0)] * T
    for j in range(1, T + 1):
        if d[j - 1] == 0:
            f[j] = f[j - 1]
        for i in range(1, j + 1):
            holding = h * sum((u - i) * d[u - 1] for u in range(i, j + 1))
            f[j] = min(f[j], (f[i - 1][0] + K + holding, f[i - 1][1] + 1))
    return f[T][0] + price * sum(d), f[T][1]


def test_wagner_whitin_by_hand():
    # d = 5, 0, 5, K 20, h 1: one order 100 + 20 + 5 x 2 held = 130; two orders 100 + 40 = 140.
    assert wagner_whitin([5, 0, 5], 20, 1) == 130
    # h 3: one order 100 + 20 + 30 = 150 > two orders 140.
    assert wagner_whitin([5, 0, 5], 20, 3) == 140
    assert wagner_whitin([0, 0, 0], 20, 3) == 0


def random_instance(seed: int):
    rng = random.Random(seed)
    T = rng.randint(3, 8)
    d = [0 if rng.random() < 0.2 else rng.randint(1, 20) for _ in range(T)]
    return T, d, rng.randint(0, 60), rng.choice([0, 0.5, 1, 2, 3.5])


@pytest.mark.parametrize("seed", range(8))
def test_model_matches_wagner_whitin(tmp_path, seed):
    T, d, K, h = random_instance(seed)
    book = sheets(T, Demand=demand(*d))
    book["Offers"][0]["order_cost"] = K
    book["Minerals"][0].update(holding_cost=h, shortfall_penalty=10_000)  # always worth meeting demand
    plan = solve(tmp_path, book)
    costs = plan.costs
    assert costs["penalty_cost"] == approx(0)
    assert costs["purchase_cost"] + costs["order_cost"] + costs["holding_cost"] == approx(wagner_whitin(d, K, h))
    assert plan.objective == approx(wagner_whitin(d, K, h))
