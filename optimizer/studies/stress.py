"""Stress test: a plan's orders fixed, its stock simulated under many sampled disruptions.

No solver: with the orders fixed, each sample's stock follows in closed form,
per mineral m and period t, starting from ``initial_stock``:

    arrivals[m,t] = sum over countries c of (1 - loss[c,t]) * (orders + pipeline of m from c arriving in t)
                    (from c: by origin, each supplier's quantity times share(s,m,c) of the Origins sheet)
    available     = stock[m,t-1] + arrivals[m,t] + converted_in[m,t] - converted_out[m,t] - demand[m,t]
                    (the plan's Conversions sheet: input taken at the start of the period, before demand,
                    a share of what is there when a sample has less; output kept lead_time later)
                    (demand[m,t]: of a ScenarioDemand row of a scenario in the sample, the largest where
                    several give one, priced at its row's shortfall_penalty; else the Demand row)
    unmet_demand[m,t] = max(0, -available)          demand is served whenever stock allows
    stock[m,t]        = kept[m] * max(0, max(0, available) - sold[m,t])
                        kept = 1 - loss_rate (decay); sold: the plan's Sales sheet, made after demand is
                        served and only from what is left (a sample worse than every scenario may sell less)
    target_shortfall[m,t] = max(0, min_stock[m,t] - stock[m,t])
    revenue[m,t]      = price[m,t] x (demand[m,t] - unmet_demand[m,t])   participants' payments (Demand.unit_price,
                        PlanningData.release_price); 0 where a ScenarioDemand row replaced the Demand row

vectorised with numpy over samples and minerals. A sample's ``penalty`` is
sum over m of (shortfall_penalty[m] * unmet demand + target_penalty[m] * target
shortfall), the same terms as the plan's penalty_cost; its ``release_revenue``, minus
the sum of revenue[m,t], is the plan's release_revenue term. Demand comes first here,
which is the plan's own rule under ``release_rule: serve_first`` (model.md
constraint 7): then, under ``exclusive`` sampling, the mean penalty converges to
the plan's penalty_cost (the Summary states both). Under ``release_rule:
optimal`` the plan may hold stock back for a target or later demand, so the two
can differ.

Sampling the disruptions (``loss[c,t]``), from the input's Scenarios sheet:

- ``independent`` (default): each scenario (all its rows) occurs in a sample
  independently, with its probability. Several may occur together; where two
  hit the same country in the same period the larger supply_loss applies (as
  two rows of one scenario do).
- ``exclusive``: each sample is exactly one scenario, or ``base`` with
  pi[base] = 1 - the sum of the others: the distribution the plan was
  optimised against.

Samples are drawn in chunks of ``CHUNK_SAMPLES`` from one seeded
``numpy.random.SeedSequence``, each chunk a task (``optimizer.execution``), so
the result depends on the seed, never on how many workers ran it. The 95th
percentile is the smallest value that at least 95% of samples do not exceed.
"""

from __future__ import annotations

from collections import defaultdict

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optimizer.contract.words import plural
from optimizer.contract.data import BASE, PlanningData
from optimizer.contract.results import CONTRACT_ORDER_COLUMNS
from optimizer.execution import Progress, Workers, run_tasks
from optimizer.pipeline import load
from optimizer.contract.problems import InputRefused, Problem, Problems
from optimizer.intake.plans import NotAPlan, Row, read_plan_workbook
from optimizer.stages import quiet

INDEPENDENT, EXCLUSIVE = "independent", "exclusive"
MODES = (INDEPENDENT, EXCLUSIVE)
WORST_SAMPLES = 20  # samples listed on the Worst samples sheet (stress_report.py), unless told
CHUNK_SAMPLES = 20_000  # samples per task: about 50 MB of arrays for 10 minerals, 20 countries, 12 periods
# The Orders columns a stress test needs, as contract/results.py names them; the arrival comes from
# arrival_period, or period plus the offer's lead_time.
ORDER_COLUMNS = tuple(column for column in CONTRACT_ORDER_COLUMNS if column in ("supplier", "mineral", "quantity"))
SHORT = 1e-9  # a quantity below this is no shortfall (round-off of the plan's quantities)


# --- the plan's orders ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FixedOrder:
    supplier: str
    mineral: str
    arrival_period: int
    quantity: float
    scenario: str = ""  # a plan with recourse: the scenario whose order it is ("": every scenario's)


@dataclass
class PlanOrders:
    """The orders read from a plan workbook's Orders sheet, and the input_sha256 its Summary names (if any)."""

    orders: list[FixedOrder]
    input_sha256: str | None = None
    penalty_cost: float | None = None  # the plan's Summary penalty_cost, when it has one
    release_revenue: float | None = None  # the plan's Summary release_revenue (0 where it states none)
    sold: dict[tuple[str, int], float] = field(default_factory=dict)  # (mineral, period) -> the plan's Sales
    conversions: dict[tuple[str, int], float] = field(default_factory=dict)  # (conversion, period) -> input
    # a plan with recourse: scenario -> its own conversions ((conversion, period) -> input) beside the shared ones
    scenario_conversions: dict[str, dict[tuple[str, int], float]] = field(default_factory=dict)


def read_plan_orders(path: Path, data: PlanningData) -> PlanOrders:
    """The orders of the plan at ``path``: its Orders sheet (a result workbook, or any workbook with that sheet).

    Columns: supplier, mineral, quantity, and arrival_period (or period, plus the offer's lead_time).
    Raises InputRefused naming file, sheet, row and column of every problem.
    """
    problems = Problems()
    try:
        book = read_plan_workbook(Path(path))
    except NotAPlan as failure:
        raise InputRefused([Problem("error", f"cannot open the plan: {failure.reason}", file=str(path))]) from None
    if book.orders is None:
        raise InputRefused([Problem("error", "the plan has no Orders sheet", file=str(path))])
    summary = book.summary or {}
    orders = _orders(book.orders_header, book.orders, data, problems, str(path))
    conversions = _conversions(book.conversions or [], data, problems, str(path))
    sold = _sales(book.sales or [], data, problems, str(path))
    if problems.errors:
        raise InputRefused(problems.items)
    return PlanOrders(orders, summary.get("input_sha256"), _float_or_none(summary.get("penalty_cost")),
                      _float_or_none(summary.get("release_revenue", 0.0)), sold, conversions.pop("", {}),
                      conversions)


def _sales(rows: list[Row], data: PlanningData, problems: Problems, file: str) -> dict[tuple[str, int], float]:
    """(mineral, period) -> quantity sold, from the plan's Sales sheet (columns mineral, period, quantity)."""
    sold: dict[tuple[str, int], float] = defaultdict(float)
    for number, cells in rows:
        where = dict(file=file, sheet="Sales", row=number)
        mineral = str(cells.get("mineral") or "").strip()
        if mineral not in data.minerals:
            problems.error("expected a mineral of the input's Minerals sheet", column="mineral", value=mineral, **where)
            continue
        period, quantity = _number(cells, "period", problems, where), _number(cells, "quantity", problems, where)
        if period is not None and quantity is not None and period in data.periods:
            sold[mineral, int(period)] += quantity
    return dict(sold)


def _conversions(rows: list[Row], data: PlanningData, problems: Problems,
                 file: str) -> dict[str, dict[tuple[str, int], float]]:
    """scenario -> (conversion, period) -> input of the plan's Conversions sheet: a conversion of the input,
    started in a period its output arrives within the horizon; "" the shared rows (every row of a plan without
    recourse), a scenario of the input (a plan with recourse) its own."""
    started: dict[str, dict[tuple[str, int], float]] = defaultdict(lambda: defaultdict(float))
    for number, cells in rows:
        where = dict(file=file, sheet="Conversions", row=number)
        name = str(cells.get("conversion") or "").strip()
        scenario = str(cells.get("scenario") or "").strip()
        if scenario and scenario not in {k.name for k in data.all_scenarios}:
            problems.error("expected base or a scenario of the input's Scenarios sheet", column="scenario",
                           value=scenario, **where)
            continue
        if name not in data.conversions:
            problems.error("expected a conversion of the input's Conversions sheet", column="conversion",
                           value=name, **where)
            continue
        period, quantity = _number(cells, "period", problems, where), _number(cells, "input", problems, where)
        if period is None or quantity is None:
            continue
        if not float(period).is_integer() or int(period) not in data.conversions[name].start_periods(
                data.settings.num_periods):
            problems.error("expected a period the conversion can start in", column="period", value=period, **where)
            continue
        started[scenario][name, int(period)] += max(0.0, quantity)
    return {scenario: dict(inputs) for scenario, inputs in started.items()}


def _float_or_none(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _orders(header: tuple[str, ...], rows: list[Row], data: PlanningData, problems: Problems,
            file: str) -> list[FixedOrder]:
    missing = [c for c in ORDER_COLUMNS if c not in header]
    if "arrival_period" not in header and "period" not in header:
        missing.append("arrival_period (or period)")
    if missing:
        problems.error(f"expected the column(s) {', '.join(missing)}", file=file, sheet="Orders", row=1)
        return []
    orders = []
    for number, cells in rows:
        order = _order(cells, data, problems, dict(file=file, sheet="Orders", row=number))
        if order is not None:
            orders.append(order)
    return orders


def _order(cells: dict, data: PlanningData, problems: Problems, where: dict) -> FixedOrder | None:
    """One order row, or None (with the problem recorded) when it names nothing known or is not a number."""
    supplier, mineral = str(cells["supplier"] or "").strip(), str(cells["mineral"] or "").strip()
    if supplier not in data.suppliers:
        problems.error("expected a supplier of the input's Suppliers sheet", column="supplier", value=supplier, **where)
        return None
    if mineral not in data.minerals:
        problems.error("expected a mineral of the input's Minerals sheet", column="mineral", value=mineral, **where)
        return None
    quantity = _number(cells, "quantity", problems, where)
    arrival = _arrival(cells, supplier, mineral, data, problems, where)
    if quantity is None or arrival is None:
        return None
    if quantity < 0:
        problems.error("expected a quantity >= 0", column="quantity", value=quantity, **where)
        return None
    scenario = str(cells.get("scenario") or "").strip()
    if scenario and scenario not in {k.name for k in data.all_scenarios}:
        problems.error("expected base or a scenario of the input's Scenarios sheet", column="scenario",
                       value=scenario, **where)
        return None
    return FixedOrder(supplier, mineral, arrival, quantity, scenario)


def _arrival(cells: dict, supplier: str, mineral: str, data: PlanningData, problems: Problems,
             where: dict) -> int | None:
    if cells.get("arrival_period") is not None:
        arrival = _number(cells, "arrival_period", problems, where)
    else:
        offer = data.offers.get((supplier, mineral))
        if offer is None:
            problems.error(f"expected an arrival_period (the input has no offer of {mineral} from {supplier} to take a "
                           "lead time from)", column="period", value=cells.get("period"), **where)
            return None
        period = _number(cells, "period", problems, where)
        arrival = None if period is None else period + offer.lead_time
    if arrival is None:
        return None
    if not float(arrival).is_integer() or not 1 <= arrival <= data.settings.num_periods:
        problems.error(f"expected a whole arrival period in 1..{data.settings.num_periods}", column="arrival_period",
                       value=arrival, **where)
        return None
    return int(arrival)


def _number(cells: dict, column: str, problems: Problems, where: dict) -> float | None:
    value = cells.get(column)
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.error("expected a number", column=column, value=value, **where)
        return None
    if not np.isfinite(number):
        problems.error("expected a finite number", column=column, value=value, **where)
        return None
    return number


# --- the exposure: everything the simulation needs, as arrays -------------------------------------

@dataclass(frozen=True)
class Exposure:
    """Supply, demand and disruptions as arrays (minerals M, countries C, periods T, scenarios K)."""

    minerals: tuple[str, ...]
    countries: tuple[str, ...]
    scenarios: tuple[str, ...]
    probability: np.ndarray  # [K]
    arrivals: np.ndarray  # [M, C, T] orders + pipeline arriving, before losses
    demand: np.ndarray  # [M, T]
    target: np.ndarray  # [M, T]
    initial_stock: np.ndarray  # [M]
    penalty: np.ndarray  # [M] shortfall_penalty, per unit of demand not served
    target_penalty: np.ndarray  # [M] target_penalty, per unit and period below target
    loss: np.ndarray  # [K, C, T] supply_loss of each scenario
    # A plan with recourse: [K + 1, M, C, T] each scenario's arrivals (base first), its orders and the shared
    # ones; None when every scenario has the same orders (``arrivals``).
    scenario_arrivals: np.ndarray | None = None
    kept: np.ndarray | None = None  # [M] 1 - loss_rate: the share of the stock a period keeps (decay); None: all
    sold: np.ndarray | None = None  # [M, T] the plan's sales, made after demand where stock allows; None: none
    # ScenarioDemand: [K, M, T] quantity and shortfall_penalty of each scenario's row, NaN where it gives none
    emergency_demand: np.ndarray | None = None
    emergency_penalty: np.ndarray | None = None
    conversions: "ConversionArrays | None" = None  # the plan's conversions (issue 14)
    release_price: np.ndarray | None = None  # [M, T] price[m,t] per unit of demand served; None: no priced demand


@dataclass(frozen=True)
class ConversionArrays:
    """The plan's conversions (N of them) as arrays; ``order``: the minerals from forms to upgrades."""

    from_mineral: np.ndarray  # [N] mineral index
    to_mineral: np.ndarray  # [N] mineral index
    yields: np.ndarray  # [N]
    lead_time: np.ndarray  # [N]
    started: np.ndarray  # [N, T] input converted, by start period
    origin: np.ndarray  # [N, C] share of the output from each country (0 at home: never lost)
    order: tuple[int, ...]  # mineral indices, every from_mineral before its to_minerals
    # a plan with recourse: [K + 1, N, T] each scenario's conversions (base first), its own and the shared ones;
    # None when every scenario converts alike (``started``)
    by_scenario: np.ndarray | None = None

    def started_in(self, t: int, which: np.ndarray) -> np.ndarray:
        """[S, N] (or [1, N] alike in every sample) the input each conversion starts in period index ``t`` in
        each sample, ``which`` its scenario (0: base; exclusive sampling)."""
        if self.by_scenario is None:
            return self.started[None, :, t]
        return self.by_scenario[which, :, t]


def exposure(data: PlanningData, orders: list[FixedOrder], sold: dict[tuple[str, int], float] | None = None,
             converted: dict[tuple[str, int], float] | None = None,
             scenario_converted: dict[str, dict[tuple[str, int], float]] | None = None) -> Exposure:
    """The arrays of ``data`` with the fixed ``orders``, sales ``sold`` ((mineral, period) -> quantity) and
    conversions ``converted`` ((conversion, period) -> input; periods 1..T are columns 0..T-1; with recourse
    ``scenario_converted``, each scenario's own besides them)."""
    minerals = tuple(data.minerals)
    countries = tuple(sorted(data.countries))
    arrivals = _arrival_array(data, [o for o in orders if not o.scenario], minerals, countries)
    scenario_arrivals = None
    if any(o.scenario for o in orders):  # recourse: each scenario's own orders besides the shared ones
        scenario_arrivals = np.stack([
            _arrival_array(data, [o for o in orders if o.scenario in ("", k.name)], minerals, countries)
            for k in data.all_scenarios])
    periods = data.settings.num_periods
    loss = np.zeros((len(data.scenarios), len(countries), periods))
    for k, scenario in enumerate(data.scenarios):
        for c, country in enumerate(countries):
            loss[k, c] = [scenario.loss(country, t) for t in data.periods]
    return Exposure(
        minerals, countries, tuple(s.name for s in data.scenarios),
        np.array([s.probability for s in data.scenarios], dtype=float), arrivals,
        _by_period(data.demand, minerals, periods), _by_period(data.targets, minerals, periods),
        np.array([data.minerals[m].initial_stock for m in minerals], dtype=float),
        np.array([data.minerals[m].shortfall_penalty for m in minerals], dtype=float),
        np.array([data.minerals[m].target_penalty for m in minerals], dtype=float), loss, scenario_arrivals,
        np.array([data.minerals[m].kept for m in minerals], dtype=float), _by_period(sold or {}, minerals, periods),
        *emergency_arrays(data, minerals),
        conversion_arrays(data, minerals, countries, converted or {}, scenario_converted or {}),
        _by_period({key: data.release_price(*key) for key in data.demand_revenue}, minerals, periods)
        if data.demand_revenue else None)


def _arrival_array(data: PlanningData, orders: list[FixedOrder], minerals: tuple[str, ...],
                   countries: tuple[str, ...]) -> np.ndarray:
    """[M, C, T]: ``orders`` and the pipeline arriving, before losses, by origin country (Origins)."""
    m_index = {m: i for i, m in enumerate(minerals)}
    c_index = {c: i for i, c in enumerate(countries)}
    arrivals = np.zeros((len(minerals), len(countries), data.settings.num_periods))
    arrived: dict = defaultdict(float)
    for order in orders:
        arrived[order.supplier, order.mineral, order.arrival_period] += order.quantity
    for (mineral, period), by_country in data.arriving_by_origin(arrived).items():
        for country, quantity in by_country.items():
            arrivals[m_index[mineral], c_index[country], period - 1] += quantity
    return arrivals


def conversion_arrays(data: PlanningData, minerals: tuple[str, ...], countries: tuple[str, ...],
                      converted: dict[tuple[str, int], float],
                      scenario_converted: dict[str, dict[tuple[str, int], float]] | None = None
                      ) -> ConversionArrays | None:
    """The plan's conversions (``converted``: (conversion, period) -> input; ``scenario_converted``, a plan with
    recourse: scenario -> its own) as arrays; None without any."""
    if not data.conversions:
        return None
    names = list(data.conversions)
    m_index = {m: i for i, m in enumerate(minerals)}
    c_index = {c: i for i, c in enumerate(countries)}
    started = np.zeros((len(names), data.settings.num_periods))
    origin = np.zeros((len(names), len(countries)))
    for n, name in enumerate(names):
        conversion = data.conversions[name]
        for t in data.periods:
            started[n, t - 1] = converted.get((name, t), 0.0)
        if conversion.supplier is not None:
            for country, share in data.origin_shares(conversion.supplier, conversion.to_mineral).items():
                origin[n, c_index[country]] = share
    by_scenario = None
    if any(scenario_converted or {}):  # recourse: each scenario's own conversions besides the shared ones
        by_scenario = np.stack([started + np.array([[scenario_converted.get(k.name, {}).get((name, t), 0.0)
                                                     for t in data.periods] for name in names])
                                for k in data.all_scenarios])
    every = [data.conversions[name] for name in names]
    return ConversionArrays(
        np.array([m_index[c.from_mineral] for c in every]), np.array([m_index[c.to_mineral] for c in every]),
        np.array([c.yield_ for c in every], dtype=float), np.array([c.lead_time for c in every]), started, origin,
        tuple(m_index[m] for m in data.conversion_order()), by_scenario)


def emergency_arrays(data: PlanningData, minerals: tuple[str, ...]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """ScenarioDemand as [K, M, T] quantity and shortfall_penalty, NaN where a scenario gives no row
    (None, None without the sheet)."""
    if not data.scenario_demand:
        return None, None
    shape = (len(data.scenarios), len(minerals), data.settings.num_periods)
    quantity, penalty = np.full(shape, np.nan), np.full(shape, np.nan)
    k_index = {k.name: i for i, k in enumerate(data.scenarios)}
    m_index = {m: i for i, m in enumerate(minerals)}
    for (scenario, mineral, period), amount in data.scenario_demand.items():
        index = (k_index[scenario], m_index[mineral], period - 1)
        quantity[index] = amount
        penalty[index] = data.shortfall_penalty_of(scenario, mineral, period)
    return quantity, penalty


def _by_period(values: dict[tuple[str, int], float], minerals: tuple[str, ...], periods: int) -> np.ndarray:
    table = np.zeros((len(minerals), periods))
    for i, mineral in enumerate(minerals):
        for t in range(1, periods + 1):
            table[i, t - 1] = values.get((mineral, t), 0.0)
    return table


# --- sampling and simulation ------------------------------------------------------------------------

def sample_scenarios(exposure: Exposure, rng: np.random.Generator, count: int, mode: str) -> np.ndarray:
    """occurs[s, k]: whether scenario k hits sample s (``independent`` or ``exclusive``, see the docstring)."""
    scenarios = len(exposure.scenarios)
    if mode == INDEPENDENT:
        return rng.random((count, scenarios)) < exposure.probability
    base = max(0.0, 1.0 - float(exposure.probability.sum()))
    weights = np.concatenate([[base], exposure.probability])
    drawn = rng.choice(scenarios + 1, size=count, p=weights / weights.sum())
    return drawn[:, None] == np.arange(1, scenarios + 1)[None, :]


def simulate(exposure: Exposure, occurs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unmet_demand, target_shortfall), each [samples, minerals] summed over the periods."""
    return simulate_costs(exposure, occurs)[:2]


def period_demand(exposure: Exposure, occurs: np.ndarray,
                  t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(demand, shortfall_penalty, replaced) of period column t, each [samples, minerals]: the Demand row and
    the mineral's penalty, replaced where a scenario in the sample gives a ScenarioDemand row (``replaced``
    True there; None without ScenarioDemand); where several do, the larger demand applies (on equal demand,
    the larger penalty)."""
    count, minerals = occurs.shape[0], len(exposure.minerals)
    demand = np.broadcast_to(exposure.demand[:, t], (count, minerals)).copy()
    penalty = np.broadcast_to(exposure.penalty, (count, minerals)).copy()
    if exposure.emergency_demand is None:
        return demand, penalty, None
    given = np.zeros((count, minerals), dtype=bool)
    for k in range(occurs.shape[1]):
        quantity, price = exposure.emergency_demand[k, :, t], exposure.emergency_penalty[k, :, t]
        hit = occurs[:, k, None] & ~np.isnan(quantity)[None, :]
        if not hit.any():
            continue
        larger = (quantity > demand) | ((quantity == demand) & (price > penalty))
        take = hit & (~given | larger)
        demand = np.where(take, quantity, demand)
        penalty = np.where(take, price, penalty)
        given |= hit
    return demand, penalty, given


def convert(conversions: ConversionArrays, loss: np.ndarray, t: int, at_hand: np.ndarray,
            converted_in: np.ndarray, which: np.ndarray | None = None) -> None:
    """Start period t's conversions in place: each takes its input from ``at_hand`` [S, M] (before demand;
    where a sample has less than the plan's conversions of a mineral take, each takes its share of what
    there is) and adds yield x input x (1 - its origin countries' loss at arrival) to ``converted_in``
    [S, M, T] lead_time later (to ``at_hand`` too when that is now). Minerals from forms to upgrades.
    ``which``: each sample's scenario (a plan with recourse: its conversions, ConversionArrays.started_in)."""
    periods = converted_in.shape[2]
    started = conversions.started_in(t, which)  # [S, N] or [1, N]
    for mineral in conversions.order:
        out = np.flatnonzero((conversions.from_mineral == mineral) & (started > 0).any(axis=0))
        if out.size == 0:
            continue
        planned = started[:, out].sum(axis=1)  # [S] or [1]
        share = np.minimum(1.0, np.divide(at_hand[:, mineral], planned, out=np.ones_like(at_hand[:, mineral]),
                                          where=planned > 0))  # [S]: 1 wherever the input is there
        at_hand[:, mineral] -= share * planned
        for n in out:
            arrival = t + int(conversions.lead_time[n])
            if arrival >= periods:
                continue
            kept = 1.0 - loss[:, :, arrival] @ conversions.origin[n]  # [S]
            output = share * started[:, n] * conversions.yields[n] * kept
            converted_in[:, conversions.to_mineral[n], arrival] += output
            if arrival == t:
                at_hand[:, conversions.to_mineral[n]] += output


def simulate_costs(exposure: Exposure,
                   occurs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unmet_demand, target_shortfall, unmet_penalty, revenue), each [samples, minerals] summed over the
    periods; unmet_penalty is the demand not served times its shortfall_penalty (ScenarioDemand's own where
    given), revenue what participants pay for the demand served (price[m,t], none where ScenarioDemand
    replaced the Demand row and its unit_price)."""
    count = occurs.shape[0]
    loss = np.zeros((count,) + exposure.loss.shape[1:])  # [S, C, T]
    for k in range(occurs.shape[1]):  # overlapping scenarios: the larger loss applies
        np.maximum(loss, occurs[:, k, None, None] * exposure.loss[k], out=loss)
    arrivals = _arrivals_after_loss(exposure, occurs, 1.0 - loss)  # [S, M, T]
    stock = np.broadcast_to(exposure.initial_stock, (count, len(exposure.minerals))).copy()
    unmet = np.zeros_like(stock)
    below = np.zeros_like(stock)
    unmet_penalty = np.zeros_like(stock)
    revenue = np.zeros_like(stock)
    converted_in = np.zeros_like(arrivals)  # [S, M, T] conversion output kept, by arrival period
    for t in range(exposure.demand.shape[1]):
        demand, penalty, replaced = period_demand(exposure, occurs, t)
        at_hand = stock + arrivals[:, :, t] + converted_in[:, :, t]
        if exposure.conversions is not None:
            convert(exposure.conversions, loss, t, at_hand, converted_in, sample_scenario(occurs))
        available = at_hand - demand
        unmet += np.maximum(0.0, -available)
        unmet_penalty += penalty * np.maximum(0.0, -available)
        if exposure.release_price is not None:
            price = exposure.release_price[:, t] if replaced is None else np.where(replaced, 0.0,
                                                                                   exposure.release_price[:, t])
            revenue += price * (demand - np.maximum(0.0, -available))
        stock = np.maximum(0.0, available)
        if exposure.sold is not None:
            stock = np.maximum(0.0, stock - exposure.sold[:, t])  # a sale takes what demand left, if any
        if exposure.kept is not None:
            stock *= exposure.kept  # decay at the period's end (Minerals.loss_rate)
        below += np.maximum(0.0, exposure.target[:, t] - stock)
    return unmet, below, unmet_penalty, revenue


def _arrivals_after_loss(exposure: Exposure, occurs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """[S, M, T] what arrives in each sample: the plan's orders (with recourse, those of the sample's scenario:
    exclusive sampling) times the share each country's arrivals keep."""
    if exposure.scenario_arrivals is None:
        return np.einsum("sct,mct->smt", kept, exposure.arrivals)
    which = sample_scenario(occurs)
    arrivals = np.zeros((occurs.shape[0], len(exposure.minerals), kept.shape[2]))
    for scenario in np.unique(which):
        chosen = which == scenario
        arrivals[chosen] = np.einsum("sct,mct->smt", kept[chosen], exposure.scenario_arrivals[scenario])
    return arrivals


def sample_scenario(occurs: np.ndarray) -> np.ndarray:
    """[S] the scenario of each sample under exclusive sampling: 0 for base, k + 1 for the k-th scenario."""
    return np.where(occurs.any(axis=1), occurs.argmax(axis=1) + 1, 0)


@dataclass(frozen=True)
class Chunk:
    """One task: ``count`` samples from its own seed sequence."""

    first_sample: int
    count: int
    seed: np.random.SeedSequence
    mode: str

    def describe(self) -> str:
        """The chunk's samples in words: "samples 1-20000"."""
        return f"samples {self.first_sample + 1}-{self.first_sample + self.count}"


@dataclass
class ChunkResult:
    first_sample: int
    occurs: np.ndarray  # [S, K] bool
    unmet: np.ndarray  # [S, M]
    below: np.ndarray  # [S, M]
    unmet_penalty: np.ndarray  # [S, M]
    revenue: np.ndarray  # [S, M] participants' payments for the demand served


def simulate_chunk(exposure: Exposure, chunk: Chunk) -> ChunkResult:
    """The task a worker runs: draw the chunk's samples and simulate them."""
    occurs = sample_scenarios(exposure, np.random.default_rng(chunk.seed), chunk.count, chunk.mode)
    return ChunkResult(chunk.first_sample, occurs, *simulate_costs(exposure, occurs))


def chunks(samples: int, seed: int, mode: str) -> list[Chunk]:
    """The samples split into tasks of ``CHUNK_SAMPLES``, each with its child of the seed's sequence."""
    count = max(1, -(-samples // CHUNK_SAMPLES))
    children = np.random.SeedSequence(seed).spawn(count)
    return [Chunk(i * CHUNK_SAMPLES, min(CHUNK_SAMPLES, samples - i * CHUNK_SAMPLES), child, mode)
            for i, child in enumerate(children)]


# --- the stress test ---------------------------------------------------------------------------

@dataclass
class StressResult:
    """Every sample's scenarios and shortfalls (in sample order), and how the test was run."""

    plan_path: Path
    input_path: Path
    data: PlanningData
    exposure: Exposure
    samples: int
    seed: int
    mode: str
    occurs: np.ndarray  # [S, K]
    unmet: np.ndarray  # [S, M]
    below: np.ndarray  # [S, M]
    workers: Workers
    seconds: float
    failed_chunks: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    plan_penalty_cost: float | None = None  # the plan's Summary penalty_cost
    unmet_cost: np.ndarray | None = None  # [S, M] shortfall_penalty * unmet demand, period by period
    revenue: np.ndarray | None = None  # [S, M] participants' payments for the demand served (Demand.unit_price)
    plan_release_revenue: float | None = None  # the plan's Summary release_revenue

    @property
    def release_revenue(self) -> np.ndarray:
        """[S]: minus what participants pay for the demand served, summed over minerals (the plan's
        release_revenue term, a negative cost)."""
        if self.revenue is None:
            return np.zeros(self.occurs.shape[0])
        return -self.revenue.sum(axis=1)

    @property
    def unmet_penalty(self) -> np.ndarray:
        """[S, M]: shortfall_penalty * unmet demand (ScenarioDemand's own penalty where it applied)."""
        return self.unmet * self.exposure.penalty if self.unmet_cost is None else self.unmet_cost

    @property
    def target_penalty(self) -> np.ndarray:
        """[S, M]: target_penalty * target shortfall (units below target, summed over periods)."""
        return self.below * self.exposure.target_penalty

    @property
    def penalty(self) -> np.ndarray:
        """[S]: sum over minerals of shortfall_penalty * unmet demand + target_penalty * target shortfall."""
        return (self.unmet_penalty + self.target_penalty).sum(axis=1)


@dataclass
class StressInput:
    """The validated input and the plan's orders as arrays: ready to sample."""

    plan_path: Path
    input_path: Path
    data: PlanningData
    exposure: Exposure
    warnings: list[Problem]
    plan_penalty_cost: float | None = None
    plan_release_revenue: float | None = None


def prepare_stress(plan_path: Path, input_path: Path, progress: Progress = quiet) -> StressInput:
    """Read and validate the input, then the plan's orders (InputRefused when either fails)."""
    data, warnings = load(input_path, progress)
    plan = read_plan_orders(plan_path, data)
    if plan.input_sha256 and plan.input_sha256 != data.input_sha256:
        warnings = warnings + [Problem("warning", "the plan was made from another version of the input "
                                                  "(its Summary's input_sha256 differs)", file=str(plan_path))]
    return StressInput(plan_path, input_path, data,
                       exposure(data, plan.orders, plan.sold, plan.conversions, plan.scenario_conversions),
                       warnings, plan.penalty_cost, plan.release_revenue)


def stress_test(prepared: StressInput, samples: int, seed: int, mode: str, workers: Workers,
                progress: Progress = quiet) -> StressResult:
    """Simulate the chunks of samples where ``workers`` says; a chunk that fails twice is left out and named.

    A plan with recourse (orders by scenario) is simulated under ``exclusive`` sampling only: each sample is
    one scenario, whose orders the plan holds; ``independent`` is refused (InputRefused)."""
    conversions = prepared.exposure.conversions
    by_scenario = prepared.exposure.scenario_arrivals is not None or (
        conversions is not None and conversions.by_scenario is not None)
    if by_scenario and mode != EXCLUSIVE:
        raise InputRefused([Problem("error", "the plan's orders differ by scenario (Settings recourse yes), so "
                                    "each sample must be one scenario; expected --sampling exclusive",
                                    file=str(prepared.plan_path), sheet="Orders", column="scenario")])
    tasks = chunks(samples, seed, mode)
    progress(f"stress  {plural(samples, 'sample')} in {plural(len(tasks), 'chunk')} on {workers.describe()}")
    started = time.perf_counter()
    results, failed = [], []
    for outcome in run_tasks(simulate_chunk, prepared.exposure, tasks, workers, progress,
                             lambda i: tasks[i].describe()):
        if outcome.failed:
            failed.append(f"{tasks[outcome.index].describe()}: {outcome.error}")
            progress(f"error: {failed[-1]}")
        else:
            results.append(outcome.value)
            progress(f"[{len(results) + len(failed)}/{len(tasks)}] {tasks[outcome.index].describe()} simulated")
    occurs, unmet, below, unmet_cost, revenue = _in_sample_order(results, prepared.exposure)
    return StressResult(prepared.plan_path, prepared.input_path, prepared.data, prepared.exposure, samples, seed,
                        mode, occurs, unmet, below, workers, time.perf_counter() - started, failed,
                        prepared.warnings, prepared.plan_penalty_cost, unmet_cost, revenue,
                        prepared.plan_release_revenue)


def _in_sample_order(results: list[ChunkResult], fixed: Exposure) -> tuple[np.ndarray, ...]:
    """The chunks' (occurs, unmet, below, unmet_penalty, revenue) stacked by first sample (empty arrays when none came back)."""
    results = sorted(results, key=lambda r: r.first_sample)
    none = (np.zeros((0, len(fixed.scenarios)), dtype=bool), np.zeros((0, len(fixed.minerals))))
    return (np.concatenate([none[0]] + [r.occurs for r in results]),
            *(np.concatenate([none[1]] + [getattr(r, name) for r in results])
              for name in ("unmet", "below", "unmet_penalty", "revenue")))


# --- statistics ---------------------------------------------------------------------------------

def percentile(values: np.ndarray, share: float) -> float:
    """The smallest value that at least ``share`` of the samples do not exceed (0 without samples)."""
    if values.size == 0:
        return 0.0
    return float(np.quantile(values, share, method="inverted_cdf"))


def mineral_statistics(result: StressResult) -> list[dict]:
    """Per mineral: mean, 95th percentile and worst unmet demand, target shortfall and penalty; how often short."""
    rows = []
    for i, mineral in enumerate(result.exposure.minerals):
        unmet, below = result.unmet[:, i], result.below[:, i]
        penalty = result.unmet_penalty[:, i] + result.target_penalty[:, i]
        rows.append({
            "mineral": mineral, "unit": result.data.minerals[mineral].unit,
            "demand": float(result.exposure.demand[i].sum()),
            "mean_unmet_demand": _mean(unmet), "p95_unmet_demand": percentile(unmet, 0.95),
            "worst_unmet_demand": float(unmet.max(initial=0.0)),
            "probability_unmet_demand": _mean(unmet > SHORT),
            "mean_target_shortfall": _mean(below), "p95_target_shortfall": percentile(below, 0.95),
            "worst_target_shortfall": float(below.max(initial=0.0)),
            "mean_unmet_penalty": _mean(result.unmet_penalty[:, i]),
            "mean_target_penalty": _mean(result.target_penalty[:, i]),
            "mean_penalty": _mean(penalty), "p95_penalty": percentile(penalty, 0.95),
            "worst_penalty": float(penalty.max(initial=0.0)),
        })
    return rows


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def scenario_names(result: StressResult, sample: int) -> str:
    """The scenarios that hit a sample, or ``base`` when none did."""
    hit = [name for name, occurred in zip(result.exposure.scenarios, result.occurs[sample]) if occurred]
    return ", ".join(hit) or BASE


def worst_samples(result: StressResult, count: int) -> list[dict]:
    """The ``count`` samples with the largest penalty (of those with any), worst first."""
    penalty = result.penalty
    order = np.lexsort((np.arange(penalty.size), -penalty))[:count]
    rows = []
    for rank, sample in enumerate((s for s in order if penalty[s] > 0), start=1):
        row = {"rank": rank, "sample": int(sample) + 1, "scenarios": scenario_names(result, sample),
               "penalty": float(penalty[sample]), "unmet_demand": float(result.unmet[sample].sum()),
               "target_shortfall": float(result.below[sample].sum())}
        row.update({f"{m} unmet_demand": float(result.unmet[sample, i])
                    for i, m in enumerate(result.exposure.minerals)})
        rows.append(row)
    return rows


def scenario_harm(result: StressResult) -> list[dict]:
    """Per scenario: how often it occurred and the penalty with it and without it, most harmful first."""
    penalty = result.penalty
    worst = penalty >= percentile(penalty, 0.95) if penalty.size else np.zeros(0, dtype=bool)
    worst &= penalty > 0
    rows = []
    for k, name in enumerate(result.exposure.scenarios):
        occurred = result.occurs[:, k]
        with_it, without = penalty[occurred], penalty[~occurred]
        rows.append({
            "scenario": name, "probability": float(result.exposure.probability[k]),
            "disruptions": _disruptions(result.data, name), "occurred": _mean(occurred),
            "mean_penalty_when_it_occurs": _mean(with_it), "mean_penalty_otherwise": _mean(without),
            "added_penalty": _mean(with_it) - _mean(without) if with_it.size and without.size else None,
            "share_of_worst_5pct": _mean(occurred[worst]) if worst.any() else None,
        })
    return sorted(rows, key=lambda r: -(r["added_penalty"] or 0.0))


def _disruptions(data: PlanningData, name: str) -> str:
    scenario = next(s for s in data.scenarios if s.name == name)
    return "; ".join(f"{d.country} periods {d.first_period}-{d.last_period} ({d.supply_loss:.0%} lost)"
                     for d in scenario.disruptions)
