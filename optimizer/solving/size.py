"""The model's size, estimated from the data before it is built: a model that cannot fit is refused.

A workbook with ``num_periods`` 10,000,000 is valid cell by cell, but its model
has tens of millions of columns: built, it grows until the machine runs out of
memory, minutes later (a MemoryError after 96 s and 2.8 GB in the report that
led here). So before building, ``estimate`` counts the columns and rows the
model would have from the data alone, in time that grows with the number of
offers, sources, minerals and scenarios, never with the periods, and
``too_large`` is the error that refuses the input (exit 2, through
``optimizer.pipeline.load``) when the memory they would take is more than the
machine has available, with both figures.

The counts are upper bounds of what ``models.build_model`` creates (an order
slot every orderable period, each eligible source paying it, one stock class
per distinct set of disruptions touching a mineral); tests check them against
built models. ``BYTES_PER_COLUMN`` is what a whole run (build, hand-over to
HiGHS, solve, plan read back, result written and checked) took per column of
the model, above what the process held once the input was validated (about
120 MB), measured at the benchmark sizes (``optimize generate --size L`` and
``XL``, seed 0) as the peak resident memory (VmHWM) of a fresh process:

| size | columns | rows | run | above the validated input | per column |
| --- | ---: | ---: | --- | ---: | ---: |
| L  |  50,976 |  43,314 | whole, 30 s limit, plan written and checked |   416 MB | 8,154 bytes |
| XL | 180,566 | 147,840 | to a 150 s limit that stopped without a plan (busy machine) | 867 MB | 4,802 bytes |
| XL | 180,566 | 147,840 | whole, docs/performance.md (peak 1,490 MB) | 1,369 MB | 7,580 bytes |

``BYTES_PER_COLUMN`` rounds the largest up. The block start's worker processes
(one mineral's model each) come on top. The refusal needs the estimate above
what ``/proc/meminfo`` calls MemAvailable (memory to be had without swapping).
Where that cannot be read, nothing is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from models.mix_and_risk import capped_minerals
from optimizer.contract.data import SERVE_FIRST, PlanningData
from optimizer.contract.problems import ERROR, Problem

BYTES_PER_COLUMN = 8_500  # measured: the module's table (L: 8,154 bytes per column, whole run)
GB = 1e9


@dataclass(frozen=True)
class ModelEstimate:
    columns: int
    rows: int
    order_slots: int

    @property
    def memory_bytes(self) -> float:
        """The memory a run of this model would take, at BYTES_PER_COLUMN a column."""
        return BYTES_PER_COLUMN * self.columns


def estimate(data: PlanningData) -> ModelEstimate:
    """Upper bounds of the columns and rows of ``build_model(data)``, without building anything per period."""
    orders = _ordering(data)
    # onboarding yes/no: suppliers with an order slot (a contract alone does not onboard its supplier)
    suppliers = len({s for offers in orders.offers_of_mineral.values() for s, _ in offers})
    contract_columns, contract_rows = _contracts(data, orders.offers_of_mineral)
    stock, release = _inventory(data)
    change = 2 * orders.slots if data.settings.change_penalty > 0 else 0  # models/stability.py
    capped = capped_minerals(data, orders.offers_of_mineral)
    capped_offers = sum(len(orders.offers_of_mineral[mineral]) for mineral in capped)
    mix = capped_offers + len(capped)  # offer and mineral totals of capped minerals (models/mix_and_risk.py)
    project_columns, project_rows = _projects(data)
    # models/sales.py: one Sold per sale and period, one FundsLeft per receiving source and period
    funds = len({sale.source for sale in data.sales}) * data.settings.num_periods
    sold = sum(len(sale.periods) for sale in data.sales)
    conversions = _conversions(data)
    columns = (orders.columns + suppliers + stock + release + change + mix + project_columns + contract_columns
               + sold + funds + sum(conversions))
    mix_rows = mix + len(capped) * (len(data.country_max_share) + 1) + capped_offers
    budget_rows = len(data.funding) + sum(len(source.budgets) for source in data.funding.values())
    # a market cap per period of each mineral with a world_supply (models/market.py)
    market_rows = data.settings.num_periods * sum(1 for m in data.minerals.values() if m.world_supply is not None)
    # funds with revenue: a row per receiving source and period; no sale where demand goes unmet: one per yes/no
    sale_rows = funds + (release if sold else 0)
    rows = (orders.rows + stock + 2 * release + change // 2 + mix_rows + budget_rows + market_rows
            + project_rows + orders.project_slots  # con_project_output: one per slot of a project's output
            + contract_rows + sale_rows + conversions[0])
    return ModelEstimate(columns, rows, orders.slots)


def _conversions(data: PlanningData) -> tuple[int, int]:
    """(conversion slots, their funding columns) (models/conversions.py): a Convert column and a funded row
    per slot, a ConversionSpend column per source that may pay it."""
    slots = spend = 0
    for conversion in data.conversions.values():
        for period in conversion.start_periods(data.settings.num_periods):
            slots += 1
            spend += len(data.conversion_sources(conversion, period))
    return slots, spend


@dataclass
class _Ordering:
    slots: int = 0
    columns: int = 0
    rows: int = 0
    offers_of_mineral: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # offers with a slot
    project_slots: int = 0  # slots of a project's output


def _ordering(data: PlanningData) -> _Ordering:
    """Order slots (an order and its yes/no each), the sources paying them, discount segments (models/ordering.py,
    models/funding.py): per offer, from the lengths of its orderable periods and of the sources' windows."""
    T = data.settings.num_periods
    size = _Ordering()
    for offer in data.offers.values():
        periods = offer.orderable_periods(T)
        start = data.output_start(offer.supplier)  # a project's output: only once it can be built
        if start is not None:
            periods = range(int(min(max(periods.start, start), periods.stop)), periods.stop)
            size.project_slots += len(periods)
        if not periods:
            continue
        size.slots += len(periods)
        size.offers_of_mineral.setdefault(offer.mineral, []).append(offer.key)
        country = data.country(offer.supplier)
        spend = sum(_overlap(periods, source.first_period, source.last_period) for source in data.funding.values()
                    if (source.amount > 0 or source.receives_sales) and country not in source.excluded_countries
                    and (source.minerals is None or offer.mineral in source.minerals))
        segments = 1 + len(offer.discounts) if offer.discounts else 0  # with the undiscounted one
        size.columns += (2 + 2 * segments) * len(periods) + spend
        size.rows += (4 + 2 + 2 * segments if segments else 4) * len(periods)
    return size


def _projects(data: PlanningData) -> tuple[int, int]:
    """Columns and rows of models/projects.py: a yes/no per decision period, a capex payment per source and
    period it may pay in (the sources' rules checked for every mineral of the project, per source not per
    period), a row per project and per payment period."""
    columns = rows = 0
    for project in data.projects.values():
        decisions = data.decision_periods(project)  # a range: no list of periods
        if not decisions:
            continue
        paid = range(decisions.start, decisions.stop - 1 + project.build_periods)
        country, minerals = data.country(project.supplier), data.project_minerals(project)
        sources = [f for f in data.funding.values() if f.amount > 0 and country not in f.excluded_countries
                   and (f.minerals is None or set(minerals) <= f.minerals)]
        columns += len(decisions) + sum(_overlap(paid, f.first_period, f.last_period) for f in sources)
        rows += 1 + len(paid)
    return columns, rows


def _contracts(data: PlanningData, offers_of_mineral: dict[str, list[tuple[str, str]]]) -> tuple[int, int]:
    """Contract columns and rows (models/contracts.py): per contract its yes/no, a delivery per period it may
    deliver in (each with a row), take-or-pay's quantity and yes/no (three rows) where it has a minimum, the
    total row, and per bill period (deliveries, signing, take-or-pay) a row and a column per eligible source.
    A contract's (supplier, mineral) joins ``offers_of_mineral``: its bought quantity counts in the caps."""
    columns = rows = 0
    for contract in data.contracts.values():
        periods = contract.delivery_periods(data.settings.num_periods)
        bills = {*periods, contract.first_period, contract.last_period}
        if not periods and contract.signing_cost == 0:
            bills.discard(contract.first_period)
        if not periods and contract.min_quantity == 0:
            bills.discard(contract.last_period)
        country = data.country(contract.supplier)
        spend = sum(1 for t in bills for source in data.funding.values()
                    if source.can_pay(country, contract.mineral, t))
        minimum = 2 if contract.min_quantity > 0 else 0
        columns += 1 + len(periods) + minimum + spend
        rows += len(periods) + 1 + (3 if minimum else 0) + len(bills)
        pairs = offers_of_mineral.setdefault(contract.mineral, [])
        if (contract.supplier, contract.mineral) not in pairs:
            pairs.append((contract.supplier, contract.mineral))
    return columns, rows


def _inventory(data: PlanningData) -> tuple[int, int]:
    """Stock, unmet demand and shortfall columns (models/inventory.py): per mineral and stock class, every
    period's stock, and one more per period with demand and per period with a target; as many rows, at most.
    Then the release rule's yes/no columns (models/release.py, serve_first only): at most one per stock
    class and period with demand, each with two rows."""
    demanded, targeted = _periods_with(data.peak_demand), _periods_with(data.targets)
    delivering = _countries_delivering(data)
    stock = release = 0
    for mineral in data.minerals:
        classes = _stock_classes(data, delivering.get(mineral, set()), mineral)
        stock += classes * (data.settings.num_periods + demanded.get(mineral, 0) + targeted.get(mineral, 0))
        release += classes * demanded.get(mineral, 0)
    return stock, release if data.settings.release_rule == SERVE_FIRST else 0


def _overlap(periods: range, first: int, last: int) -> int:
    return max(0, min(periods.stop - 1, last) - max(periods.start, first) + 1)


def _periods_with(values: dict[tuple[str, int], float]) -> dict[str, int]:
    """Per mineral, the number of periods with a positive value (Demand, Targets)."""
    counts: dict[str, int] = {}
    for (mineral, _), value in values.items():
        if value > 0:
            counts[mineral] = counts.get(mineral, 0) + 1
    return counts


def _countries_delivering(data: PlanningData) -> dict[str, set[str]]:
    """Per mineral, the origin countries (Origins) of the suppliers that offer, ship or contract it, or
    toll-process it."""
    countries: dict[str, set[str]] = {}
    contracted = [(c.supplier, c.mineral) for c in data.contracts.values()]
    tolls = [(c.supplier, c.to_mineral) for c in data.conversions.values() if c.supplier is not None]
    for supplier, mineral in list(data.offers) + [slot[:2] for slot in data.pipeline] + contracted + tolls:
        countries.setdefault(mineral, set()).update(data.origin_shares(supplier, mineral))
    return countries


def _stock_classes(data: PlanningData, countries: set[str], mineral: str) -> int:
    """At most how many scenarios of distinct losses a mineral delivered from ``countries`` has
    (models.inventory.scenario_classes): base, and one per distinct set of disruptions of those countries
    (and of ScenarioDemand rows: a scenario with any for the mineral is counted apart)."""
    emergency = {k for k, m, _ in data.scenario_demand if m == mineral}
    signatures = {
        frozenset((d.country, d.first_period, d.last_period, d.supply_loss) for d in scenario.disruptions
                  if d.country in countries and d.supply_loss > 0 and d.first_period <= data.settings.num_periods)
        | ({scenario.name} if scenario.name in emergency else set())
        for scenario in data.scenarios}
    return 1 + len(signatures - {frozenset()})


def available_memory() -> float | None:
    """Bytes of memory this machine can give without swapping (MemAvailable); None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def too_large(data: PlanningData, input_path: Path) -> Problem | None:
    """The error when the model would need more memory than the machine has available, else None."""
    size = estimate(data)
    available = available_memory()
    if available is None or size.memory_bytes <= available:
        return None
    return Problem(
        ERROR, f"the model would have about {size.columns:,} columns and {size.rows:,} rows "
        f"({size.order_slots:,} order slots over {data.settings.num_periods:,} periods), needing about "
        f"{size.memory_bytes / GB:,.1f} GB of memory, and this machine has {available / GB:,.1f} GB available; "
        "expected a model that fits: fewer periods (Settings num_periods), offers or scenarios, or a machine "
        "with more memory", file=str(input_path))
