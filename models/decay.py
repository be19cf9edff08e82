"""Decay: a share of the stock is lost each period (issue 14, point 3; Minerals.loss_rate).

Symbols
    loss_rate[m]   Minerals.loss_rate: share of the stock lost each period (tin pest, oxidation)   0..1
    kept[m]        1 - loss_rate[m]

The stock balance of every scenario (models/inventory.py) ends each period with
what is kept of what it would otherwise hold:

    I[k,m,t] = kept[m] * (I[k,m,t-1] + arrivals - demand[m,t] + u[k,m,t] - sold[m,t])
    lost[k,m,t] = (I[k,m,t-1] + arrivals - demand[m,t] + u[k,m,t] - sold[m,t]) - I[k,m,t]

Demand and sales of a period are served before the period's decay (stock lost
in period t is what was held at its end). A mineral with loss_rate 0 keeps the
balance exactly as before: no coefficient is added.
"""

from __future__ import annotations

from optimizer.contract.data import PlanningData


def after_decay(data: PlanningData, mineral: str, held: object) -> object:
    """kept[m] * held: what is left at the end of a period of ``held`` (a number or an expression);
    ``held`` itself when the mineral does not decay, so the model of a workbook without decay is unchanged."""
    kept = data.minerals[mineral].kept
    return held if kept == 1.0 else kept * held


def stock_balance(data: PlanningData, mineral: str, stock: object, held: object) -> object:
    """The balance row I = kept x held. With loss_rate 1 (kept = 0), where I is bounded to 0
    (``stock_upper``), the row is held >= I: what a period holds is never negative, so demand
    and sales still need stock that arrives in their period."""
    if data.minerals[mineral].kept == 0.0:
        return held >= stock
    return stock == after_decay(data, mineral, held)


def stock_upper(data: PlanningData, mineral: str, upper: float | None) -> float | None:
    """The upper bound of I: 0 when the whole stock is lost each period, else ``upper``."""
    return 0.0 if data.minerals[mineral].kept == 0.0 else upper


def needed_ahead(data: PlanningData, mineral: str, uses: dict[int, float],
                 targets: dict[int, float]) -> tuple[dict[int, float], dict[int, float]]:
    """(use_from[a], target_from[a]) per arrival period a: what must arrive in a to serve every use
    (demand, sales) from a on and the largest target from a on, grossed up for decay:

        use_from[a]    = sum over t >= a of uses[t] / kept^(t - a)
        target_from[a] = max over t >= a of targets[t] / kept^(t - a + 1)

    (a unit arriving in a serves the uses of a at once and meets decay at the end of each period
    it is held). With kept = 0 nothing is held: use_from[a] = uses[a], target_from[a] = 0. Without
    decay these are the plain sums and maxima the order bounds of #8 used (models/ordering.py).
    """
    kept = data.minerals[mineral].kept
    use_from: dict[int, float] = {}
    target_from: dict[int, float] = {}
    use, target = 0.0, 0.0
    for t in range(data.settings.num_periods, 0, -1):
        if kept == 0.0:
            use, target = uses.get(t, 0.0), 0.0
        else:
            use = uses.get(t, 0.0) + use / kept
            target = max(targets.get(t, 0.0), target) / kept if kept < 1.0 else max(targets.get(t, 0.0), target)
        use_from[t], target_from[t] = use, target
    return use_from, target_from
