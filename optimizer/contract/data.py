"""The validated planning data: the one object passed from validation to the model.

Everything here is plain Python (no Pyomo, no file I/O) and frozen, with every
default of the contract already applied. Keys follow the contract's index
order: mineral, supplier, period; an offer is keyed ``(supplier, mineral)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
import math
from functools import cached_property

OfferKey = tuple[str, str]  # (supplier, mineral)
Slot = tuple[str, str, int]  # (supplier, mineral, period): an order that can be placed

BASE = "base"
SERVE_FIRST, OPTIMAL_RELEASE = "serve_first", "optimal"  # Settings.release_rule


@dataclass(frozen=True)
class Settings:
    num_periods: int
    period_unit: str = "quarter"
    start_date: date | None = None
    currency: str = "USD"
    risk_weight: float = 0.0
    mip_gap: float = 0.0001
    time_limit_s: float = 600.0
    change_penalty: float = 0.0  # cost per unit of change against the previous plan (models/stability.py)
    stability: str = "yes"  # "no": no stability pass against the previous plan (optimizer/solving/stability.py)
    analysis_time_s: float | None = None  # None: time_limit_s / 4
    release_rule: str = "serve_first"  # serve_first or optimal (model.md constraint 7, models/release.py)
    max_market_share: float = 1.0  # default for Minerals.max_market_share (models/market.py)
    cvar_weight: float = 0.0  # lambda: weight of the CVaR of the scenario cost (models/risk_aversion.py)
    cvar_level: float = 0.95  # alpha: CVaR_alpha is the expected cost of the worst 1 - alpha of probability
    recourse: str = "no"  # "yes": orders may differ by scenario once it is known (models/recourse.py)

    @property
    def analysis_seconds(self) -> float:
        """Solver seconds shared by everything solved after the plan (the contract's default: time_limit_s / 4)."""
        return self.time_limit_s / 4 if self.analysis_time_s is None else self.analysis_time_s


@dataclass(frozen=True)
class Mineral:
    name: str
    unit: str
    initial_stock: float
    holding_cost: float
    shortfall_penalty: float  # per unit of demand not served
    target_penalty: float  # per unit of stock below target, per period
    max_stock: float | None  # None: unlimited
    max_supplier_share: float
    max_avg_risk: float
    world_supply: float | None = None  # units per period the world market can sell; None: no market cap
    max_market_share: float | None = None  # None: Settings.max_market_share
    loss_rate: float = 0.0  # share of the stock lost each period (models/decay.py)

    @property
    def kept(self) -> float:
        """1 - loss_rate: the share of a period's stock that is still there at its end."""
        return 1.0 - self.loss_rate


@dataclass(frozen=True)
class Supplier:
    name: str
    country: str
    risk_score: float
    onboarding_cost: float


def arriving_window(first_period: int, last_period: int, lead_time: int, num_periods: int) -> range:
    """Periods t in [first_period, last_period] whose order, placed in t, arrives by T: t + lead_time <= T
    (an offer's orders, a contract's deliveries)."""
    return range(first_period, min(last_period, num_periods - lead_time) + 1)


@dataclass(frozen=True)
class Offer:
    supplier: str
    mineral: str
    unit_price: float
    lead_time: int
    min_order: float
    max_per_period: float | None  # None: unlimited
    order_cost: float
    first_period: int
    last_period: int
    prices: dict[int, float] = field(default_factory=dict)  # period -> Prices override
    # All-units tiers (min_quantity, discount), sorted by min_quantity.
    discounts: tuple[tuple[float, float], ...] = ()
    floor_price: float | None = None  # Offers.floor_price: a delivery costs at least this per unit (before discount)

    @property
    def key(self) -> OfferKey:
        """The offer's (supplier, mineral)."""
        return (self.supplier, self.mineral)

    def price(self, period: int) -> float:
        """p[o,t]: the Prices override or the offer's unit_price."""
        return self.prices.get(period, self.unit_price)

    def discount_for(self, quantity: float, tolerance: float = 1e-6) -> float:
        """The largest discount among the tiers an order of ``quantity`` reaches."""
        reached = [d for q, d in self.discounts if quantity >= q - tolerance * max(1.0, q)]
        return max(reached, default=0.0)

    def orderable_periods(self, num_periods: int) -> range:
        """Periods t with first_period <= t <= last_period and t + lead_time <= T."""
        return arriving_window(self.first_period, self.last_period, self.lead_time, num_periods)


@dataclass(frozen=True)
class Contract:
    """An offtake contract (Contracts sheet): deliveries at unit_price, take-or-pay below min_quantity."""

    name: str
    supplier: str
    mineral: str
    first_period: int
    last_period: int
    unit_price: float
    lead_time: int
    max_per_period: float | None  # None: unlimited
    min_quantity: float
    max_quantity: float | None  # None: unlimited
    signing_cost: float
    signed: bool  # True: signed, must be honoured; False: the plan may sign it
    # Contracts.floor_price: a delivery costs max(floor_price, the scenario's price), the contract then being
    # market-indexed (unit_price x the ScenarioPrices factor); None: unit_price in every scenario
    floor_price: float | None = None
    # The expected-value problem of VSS (models/recourse.py expected_value_data): period -> the expected price
    # of a floored contract's delivery over the scenarios, paid in place of unit_price (None: unit_price)
    expected_prices: dict[int, float] | None = None

    def price(self, period: int) -> float:
        """What a delivery ordered in ``period`` costs without a floor_price: unit_price, or its expected price
        in the expected-value problem."""
        return self.unit_price if self.expected_prices is None else self.expected_prices.get(period, self.unit_price)

    def delivery_periods(self, num_periods: int) -> range:
        """Periods t a delivery may be ordered in: first_period <= t <= last_period and t + lead_time <= T."""
        return arriving_window(self.first_period, self.last_period, self.lead_time, num_periods)


@dataclass(frozen=True)
class FundingSource:
    name: str
    amount: float
    first_period: int
    last_period: int
    cost_rate: float
    excluded_countries: frozenset[str]
    minerals: frozenset[str] | None  # None: all minerals
    budgets: dict[int, float] = field(default_factory=dict)  # period -> per-period cap
    receives_sales: bool = False  # some Sales row pays its revenue to this source (models/sales.py)

    def can_pay(self, country: str, mineral: str, period: int) -> bool:
        """Whether v[f,o,t] may be non-zero for an order of ``mineral`` from ``country`` in ``period``."""
        return (
            self.first_period <= period <= self.last_period
            and country not in self.excluded_countries
            and (self.minerals is None or mineral in self.minerals)
            and self.budgets.get(period, 1.0) > 0.0
            and (self.amount > 0.0 or self.receives_sales)
        )


@dataclass(frozen=True)
class Project:
    """A capacity project (build versus buy): fund a plant, then buy its output, ``supplier``'s offers."""

    name: str
    supplier: str
    capex: float  # what the programme pays, in equal parts over build_periods from the decision period
    build_periods: int  # from the decision until the offers can be ordered
    first_period: int  # first period the decision may be taken (decided: the decision period)
    last_period: int  # last period the decision may be taken
    decided: bool = False  # already funded: decided in first_period
    life_periods: int | None = None  # the plant's output life; None: the whole capex is charged

    def payment_periods(self, decision: int) -> range:
        """The periods the capex is paid in when decided in ``decision``: decision .. decision + build_periods - 1."""
        return range(decision, decision + self.build_periods)

    @property
    def capex_part(self) -> float:
        """What is paid in each build period: capex / build_periods."""
        return self.capex / self.build_periods


@dataclass(frozen=True)
class Sale:
    """A row of the Sales sheet: stock of ``mineral`` that may be sold in its periods, at most
    ``max_per_period`` a period, each unit paying ``unit_price`` into ``source``."""

    number: int  # 1, 2, ... in the order of the Sales sheet: the sale's name in results
    mineral: str
    first_period: int
    last_period: int
    unit_price: float
    max_per_period: float
    source: str

    @property
    def periods(self) -> range:
        """The periods a sale can be made: first_period..last_period."""
        return range(self.first_period, self.last_period + 1)


@dataclass(frozen=True)
class DemandRevenue:
    """A Demand row with a unit_price: what its participant pays per unit released, and the source repaid."""

    quantity: float
    unit_price: float
    source: str | None  # None: revenue that repays no named source


@dataclass(frozen=True)
class Disruption:
    country: str
    first_period: int
    last_period: int
    supply_loss: float


@dataclass(frozen=True)
class Scenario:
    name: str
    probability: float
    disruptions: tuple[Disruption, ...] = ()
    known_from: int | None = None  # Scenarios.known_from: None, from its first period whose data differ

    def loss(self, country: str, period: int) -> float:
        """loss[k,c,t]; overlapping rows for one country take the largest loss."""
        return max(
            (d.supply_loss for d in self.disruptions
             if d.country == country and d.first_period <= period <= d.last_period),
            default=0.0,
        )


@dataclass(frozen=True)
class ScenarioPrice:
    """A ScenarioPrices row: in ``scenario``, orders placed in first_period..last_period cost factor x price.

    ``mineral`` and ``country`` (the supplier's country) None: every mineral, every country.
    """

    scenario: str
    mineral: str | None
    country: str | None
    first_period: int
    last_period: int
    factor: float

    def applies(self, scenario: str, mineral: str, country: str, period: int) -> bool:
        """Whether this row prices an order of ``mineral`` from ``country`` placed in ``period`` of ``scenario``."""
        return (self.scenario == scenario and self.first_period <= period <= self.last_period
                and self.mineral in (None, mineral) and self.country in (None, country))


@dataclass(frozen=True)
class Conversion:
    """A row of the Conversions sheet: yield_ units of to_mineral per unit of from_mineral converted."""

    name: str
    from_mineral: str
    to_mineral: str
    yield_: float  # the contract's ``yield`` (a Python keyword)
    unit_cost: float  # per unit of input
    lead_time: int
    max_per_period: float | None  # None: unlimited
    supplier: str | None = None  # toll processor; None: at home, never disrupted

    def start_periods(self, num_periods: int) -> range:
        """Periods a conversion can start in: its output arrives within the horizon, t + lead_time <= T."""
        return range(1, num_periods - self.lead_time + 1)


@dataclass(frozen=True)
class InputFile:
    path: str
    sha256: str


@dataclass(frozen=True)
class PlanningData:
    settings: Settings
    minerals: dict[str, Mineral]
    suppliers: dict[str, Supplier]
    offers: dict[OfferKey, Offer]
    funding: dict[str, FundingSource]
    demand: dict[tuple[str, int], float] = field(default_factory=dict)  # (mineral, period)
    targets: dict[tuple[str, int], float] = field(default_factory=dict)  # (mineral, period)
    target_cover: dict[tuple[str, int], float] = field(default_factory=dict)  # Targets.cover_periods as given
    pipeline: dict[Slot, float] = field(default_factory=dict)  # (supplier, mineral, period)
    commitments: dict[Slot, float] = field(default_factory=dict)  # (supplier, mineral, period)
    # Commitments.unit_price: the agreed price of a commitment (purchase money / quantity over its rows)
    commitment_prices: dict[Slot, float] = field(default_factory=dict)
    frozen_periods: int = 0  # --freeze N: in periods 1..N no order is placed but the commitments
    frozen_orders: frozenset[Slot] = frozenset()  # the commitments that are the previous plan's frozen orders
    # --freeze N with contracts: the previous plan's deliveries in periods 1..N, (contract, period) -> quantity,
    # fixed (no other delivery in those periods), and the contracts it left unsigned whose first_period (the
    # signing) lies in them: they stay unsigned
    frozen_deliveries: dict[tuple[str, int], float] = field(default_factory=dict)
    unsigned_contracts: frozenset[str] = frozenset()
    # --freeze N of a plan with recourse: scenario -> its own frozen orders (a commitment in that scenario
    # only, besides ``commitments``) and their agreed prices (optimizer/replan/freeze.py)
    scenario_commitments: dict[str, dict[Slot, float]] = field(default_factory=dict)
    scenario_commitment_prices: dict[str, dict[Slot, float]] = field(default_factory=dict)
    # --freeze N with conversions: the previous plan's conversions started in periods 1..N, (conversion, period)
    # -> input, fixed (no other conversion starts in those periods); with recourse each scenario's own besides
    frozen_conversions: dict[tuple[str, int], float] = field(default_factory=dict)
    scenario_frozen_conversions: dict[str, dict[tuple[str, int], float]] = field(default_factory=dict)
    country_max_share: dict[str, float] = field(default_factory=dict)
    # Origins: (supplier, mineral or None for every mineral) -> {country: share of the supplier's material}
    origins: dict[tuple[str, str | None], dict[str, float]] = field(default_factory=dict)
    scenarios: tuple[Scenario, ...] = ()  # without base
    projects: dict[str, Project] = field(default_factory=dict)  # capacity projects by name (models/projects.py)
    contracts: dict[str, Contract] = field(default_factory=dict)  # Contracts, by name (models/contracts.py)
    scenario_prices: tuple[ScenarioPrice, ...] = ()  # ScenarioPrices rows (models/scenario_prices.py)
    sales: tuple[Sale, ...] = ()  # the Sales sheet (models/sales.py)
    # Demand rows with a unit_price, by (mineral, period): participants who pay for what is released
    demand_revenue: dict[tuple[str, int], tuple[DemandRevenue, ...]] = field(default_factory=dict)
    # ScenarioDemand: (scenario, mineral, period) -> demand in that scenario instead of the Demand row,
    # and the row's own shortfall_penalty where it gives one
    scenario_demand: dict[tuple[str, str, int], float] = field(default_factory=dict)
    scenario_penalty: dict[tuple[str, str, int], float] = field(default_factory=dict)
    conversions: dict[str, Conversion] = field(default_factory=dict)  # Conversions, by name
    input_files: tuple[InputFile, ...] = ()
    input_sha256: str = ""

    @property
    def periods(self) -> range:
        """The planning periods 1..num_periods."""
        return range(1, self.settings.num_periods + 1)

    @cached_property
    def all_scenarios(self) -> tuple[Scenario, ...]:
        """``base`` first, with pi[base] = 1 - the sum of the others, then the Scenarios sheet's."""
        base_probability = max(0.0, 1.0 - sum(s.probability for s in self.scenarios))
        return (Scenario(BASE, base_probability),) + self.scenarios

    def with_scenario_commitments(self, scenario: str) -> PlanningData:
        """The data as ``scenario`` sees them: its own frozen orders (scenario_commitments) among the
        commitments, at their agreed prices, and its own frozen conversions among the frozen ones; itself
        when it has none."""
        own = self.scenario_commitments.get(scenario, {})
        converted = self.scenario_frozen_conversions.get(scenario, {})
        if not own and not converted:
            return self
        return replace(self, commitments={**self.commitments, **own},
                       commitment_prices={**self.commitment_prices, **self.scenario_commitment_prices.get(scenario, {})},
                       frozen_orders=self.frozen_orders | frozenset(own), scenario_commitments={},
                       scenario_commitment_prices={}, frozen_conversions={**self.frozen_conversions, **converted},
                       scenario_frozen_conversions={})

    def demand_of(self, scenario: str, mineral: str, period: int) -> float:
        """demand[k,m,t]: the ScenarioDemand row of the scenario, else the Demand row (0 without one)."""
        return self.scenario_demand.get((scenario, mineral, period), self.demand.get((mineral, period), 0.0))

    def shortfall_penalty_of(self, scenario: str, mineral: str, period: int) -> float:
        """The cost of a unit of demand[k,m,t] not served: the ScenarioDemand row's shortfall_penalty,
        else the mineral's."""
        return self.scenario_penalty.get((scenario, mineral, period), self.minerals[mineral].shortfall_penalty)

    def demand_in(self, scenario: str) -> dict[tuple[str, int], float]:
        """(mineral, period) -> demand[k,m,t] of ``scenario``: the Demand rows, replaced by its ScenarioDemand rows."""
        return {**self.demand, **{(m, t): q for (k, m, t), q in self.scenario_demand.items() if k == scenario}}

    @cached_property
    def peak_demand(self) -> dict[tuple[str, int], float]:
        """(mineral, period) -> the largest demand[k,m,t] of any scenario (the Demand rows without ScenarioDemand)."""
        peak = dict(self.demand)
        for (_, mineral, period), quantity in self.scenario_demand.items():
            peak[mineral, period] = max(quantity, peak.get((mineral, period), 0.0))
        return peak

    def conversion_kept(self, scenario: Scenario, conversion: Conversion, period: int) -> float:
        """The share of a conversion's output arriving in ``period`` that ``scenario`` delivers: 1 at home,
        1 - arrival_loss of its toll processor (by origin) for the to_mineral."""
        if conversion.supplier is None:
            return 1.0
        return 1.0 - self.arrival_loss(scenario, conversion.supplier, conversion.to_mineral, period)

    def conversion_sources(self, conversion: Conversion, period: int) -> list[str]:
        """Funding sources allowed to pay ``conversion`` started in ``period``: as for an order of its
        to_mineral from its toll processor (at home: no country is excluded)."""
        country = "" if conversion.supplier is None else self.country(conversion.supplier)
        return [f.name for f in self.funding.values() if f.can_pay(country, conversion.to_mineral, period)]

    def conversion_order(self) -> list[str]:
        """The minerals, every from_mineral before its to_minerals (validation refuses cycles)."""
        into: dict[str, set[str]] = {m: set() for m in self.minerals}
        for c in self.conversions.values():
            into[c.to_mineral].add(c.from_mineral)
        ordered: list[str] = []
        while len(ordered) < len(into):
            ready = [m for m in into if m not in ordered and into[m] <= set(ordered)]
            if not ready:  # a cycle: validation refuses it, so only a hand-built PlanningData gets here
                raise ValueError("the conversions form a cycle")
            ordered += ready
        return ordered

    def order_periods(self, offer: Offer) -> list[int]:
        """Periods an order of ``offer`` may be placed in: orderable, in frozen periods only as committed, and
        for a project's supplier only once the project can be built (output_start)."""
        start = self.output_start(offer.supplier)
        return [t for t in offer.orderable_periods(self.settings.num_periods)
                if (t > self.frozen_periods or (offer.supplier, offer.mineral, t) in self.commitments)
                and (start is None or t >= start)]

    @cached_property
    def project_by_supplier(self) -> dict[str, Project]:
        """supplier -> the project whose output its offers are."""
        return {project.supplier: project for project in self.projects.values()}

    def decision_periods(self, project: Project) -> range:
        """The periods ``project`` may be decided in: first_period when decided; otherwise first_period ..
        last_period, after the frozen periods, with every capex part paid within the horizon."""
        if project.decided:
            return range(project.first_period, project.first_period + 1)
        last = min(project.last_period, self.settings.num_periods - project.build_periods + 1)
        return range(max(project.first_period, self.frozen_periods + 1), last + 1)

    def output_start(self, supplier: str) -> float | None:
        """The first period the offers of a project's ``supplier`` can be ordered: the earliest decision
        period + build_periods (infinity when the project can never be decided); None for other suppliers."""
        project = self.project_by_supplier.get(supplier)
        if project is None:
            return None
        decisions = self.decision_periods(project)
        return (decisions.start if decisions else math.inf) + project.build_periods

    def project_minerals(self, project: Project) -> list[str]:
        """The minerals of the project's output: those of its supplier's offers."""
        return sorted(m for s, m in self.offers if s == project.supplier)

    def capex_sources(self, project: Project, period: int) -> list[str]:
        """Funding sources allowed to pay ``project``'s capex in ``period``: allowed to pay an order from its
        supplier's country of every mineral of its offers in that period."""
        country = self.country(project.supplier)
        minerals = self.project_minerals(project)
        return [f.name for f in self.funding.values() if all(f.can_pay(country, m, period) for m in minerals)]

    def capex_share(self, project: Project, decision: int) -> float:
        """The share of the capex the objective charges when decided in ``decision``:
        min(1, output periods within the horizon / life_periods), 1 without a life_periods."""
        if project.life_periods is None:
            return 1.0
        output_periods = max(0, self.settings.num_periods - (decision + project.build_periods) + 1)
        return min(1.0, output_periods / project.life_periods)

    def unit_price(self, slot: Slot, discount: float = 0.0) -> float:
        """What a unit of the order in ``slot`` costs in expectation: its commitment's agreed price, else
        expected_list_price * (1 - d)."""
        agreed = self.commitment_prices.get(slot)
        if agreed is not None:
            return agreed
        return self.expected_list_price(slot) * (1.0 - discount)

    def price_factor(self, scenario: str, slot: Slot) -> float:
        """f[k,o,t]: the product of the factors of the ScenarioPrices rows of ``scenario`` that price the
        order in ``slot`` (1 when none does; always 1 in base)."""
        supplier, mineral, period = slot
        factor = 1.0
        for row in self.scenario_prices:
            if row.applies(scenario, mineral, self.country(supplier), period):
                factor *= row.factor
        return factor

    def scenario_list_price(self, scenario: str, slot: Slot) -> float:
        """p[k,o,t] = max(floor_price, f[k,o,t] * p[o,t]): the slot's price before discount in ``scenario``."""
        offer = self.offers[slot[:2]]
        price = self.price_factor(scenario, slot) * offer.price(slot[2])
        return price if offer.floor_price is None else max(offer.floor_price, price)

    def expected_list_price(self, slot: Slot) -> float:
        """sum over k (base included) of pi[k] * p[k,o,t]: what an order pays per unit before discount
        without recourse. Exactly p[o,t] when no scenario price and no floor applies."""
        price = self.offers[slot[:2]].price(slot[2])
        if not self.scenario_prices and self.offers[slot[:2]].floor_price is None:
            return price
        return price + sum(k.probability * (self.scenario_list_price(k.name, slot) - price)
                           for k in self.all_scenarios)

    def expected_floor_payment(self, slot: Slot) -> float:
        """sum over k of pi[k] * (p[k,o,t] - f[k,o,t] * p[o,t]): what the floor adds per unit before discount."""
        return sum(k.probability * self.floor_payment(k.name, slot) for k in self.all_scenarios)

    def floor_payment(self, scenario: str, slot: Slot) -> float:
        """p[k,o,t] - f[k,o,t] * p[o,t]: what the floor adds per unit before discount in ``scenario`` (0 without
        a floor_price or at an agreed commitment price)."""
        if self.offers[slot[:2]].floor_price is None or slot in self.commitment_prices:
            return 0.0
        price = self.offers[slot[:2]].price(slot[2])
        return self.scenario_list_price(scenario, slot) - self.price_factor(scenario, slot) * price

    @property
    def has_floors(self) -> bool:
        """Whether an offer or a contract has a floor_price."""
        return any(o.floor_price is not None for o in self.offers.values()) or any(
            c.floor_price is not None for c in self.contracts.values())

    def delivery_scenario_price(self, scenario: str, name: str, period: int) -> float:
        """p[k,c,t]: what a unit delivered under contract c, ordered in t, costs in ``scenario``: unit_price
        without a floor_price; with one, max(floor_price, f[k,c,t] x unit_price), f the ScenarioPrices factor
        of the contract's supplier, mineral and period (the contract is market-indexed)."""
        contract = self.contracts[name]
        if contract.floor_price is None:
            return contract.price(period)
        factor = self.price_factor(scenario, (contract.supplier, contract.mineral, period))
        return max(contract.floor_price, factor * contract.unit_price)

    def expected_delivery_price(self, name: str, period: int) -> float:
        """sum over k (base included) of pi[k] x p[k,c,t]: what a delivery pays per unit; exactly unit_price
        without a floor_price."""
        contract = self.contracts[name]
        if contract.floor_price is None:
            return contract.price(period)
        return contract.unit_price + sum(
            k.probability * (self.delivery_scenario_price(k.name, name, period) - contract.unit_price)
            for k in self.all_scenarios)

    def expected_delivery_floor_payment(self, name: str, period: int) -> float:
        """sum over k of pi[k] x (p[k,c,t] - f[k,c,t] x unit_price): what the floor adds per unit delivered."""
        return sum(k.probability * self.delivery_floor_payment(k.name, name, period) for k in self.all_scenarios)

    def delivery_floor_payment(self, scenario: str, name: str, period: int) -> float:
        """p[k,c,t] - f[k,c,t] x unit_price: what the floor adds per unit delivered in ``scenario`` (0 without
        a floor_price)."""
        contract = self.contracts[name]
        if contract.floor_price is None:
            return 0.0
        slot = (contract.supplier, contract.mineral, period)
        return (self.delivery_scenario_price(scenario, name, period)
                - self.price_factor(scenario, slot) * contract.unit_price)

    def market_share(self, mineral: str) -> float:
        """The largest share of ``mineral``'s world_supply the plan may order in a period: the mineral's
        max_market_share, else Settings.max_market_share."""
        share = self.minerals[mineral].max_market_share
        return self.settings.max_market_share if share is None else share

    def market_cap(self, mineral: str) -> float | None:
        """The most of ``mineral`` the plan may order in one period: market_share x world_supply;
        None when the mineral gives no world_supply."""
        world_supply = self.minerals[mineral].world_supply
        return None if world_supply is None else self.market_share(mineral) * world_supply

    def country(self, supplier: str) -> str:
        """The country of ``supplier``."""
        return self.suppliers[supplier].country

    @property
    def countries(self) -> set[str]:
        """Every country material can come from: the suppliers' and the Origins sheet's."""
        return {s.country for s in self.suppliers.values()} | {c for shares in self.origins.values() for c in shares}

    def origin_shares(self, supplier: str, mineral: str) -> dict[str, float]:
        """share(s,m,c): where ``supplier``'s ``mineral`` comes from, shares adding up to 1.

        The Origins rows of the supplier and mineral, else its rows without a mineral,
        else none; what they leave comes from the supplier's own country.
        """
        given = self.origins.get((supplier, mineral), self.origins.get((supplier, None), {}))
        own = self.country(supplier)
        shares = {own: 1.0} if not given else {**given, own: given.get(own, 0.0) + 1.0 - sum(given.values())}
        return {country: share for country, share in shares.items() if share > 1e-12}

    def arrivals_of(self, orders: dict[Slot, float],
                    deliveries: dict[tuple[str, int], float] | None = None) -> dict[Slot, float]:
        """``orders`` keyed by the period they arrive in: placed in t, an order of offer o arrives in t + lead_time;
        contract ``deliveries`` ((contract, period) -> quantity) added under their supplier and mineral."""
        arrivals = {(s, m, t + self.offers[s, m].lead_time): q for (s, m, t), q in orders.items()}
        for (name, period), quantity in (deliveries or {}).items():
            contract = self.contracts[name]
            key = (contract.supplier, contract.mineral, period + contract.lead_time)
            arrivals[key] = arrivals.get(key, 0.0) + quantity
        return arrivals

    def arriving_by_origin(self, arrivals: dict[Slot, float]) -> dict[tuple[str, int], dict[str, float]]:
        """(mineral, period) -> origin country -> quantity arriving before losses: ``arrivals`` (keyed by
        arrival period) and the pipeline, each supplier's quantity split by its origin_shares."""
        arriving: dict[tuple[str, int], dict[str, float]] = {}
        for (supplier, mineral, period), quantity in [*arrivals.items(), *self.pipeline.items()]:
            by_country = arriving.setdefault((mineral, period), {})
            for country, share in self.origin_shares(supplier, mineral).items():
                by_country[country] = by_country.get(country, 0.0) + share * quantity
        return arriving

    def arrival_loss(self, scenario: Scenario, supplier: str, mineral: str, period: int) -> float:
        """The share of an arrival of ``mineral`` from ``supplier`` in ``period`` that ``scenario`` loses:
        sum over origin countries c of share(s,m,c) * loss[k,c,t]."""
        return sum(share * scenario.loss(country, period)
                   for country, share in self.origin_shares(supplier, mineral).items())

    def risk_score(self, supplier: str) -> float:
        """The risk score of ``supplier``."""
        return self.suppliers[supplier].risk_score

    def sale_slots(self) -> list[tuple[int, str, int]]:
        """(sale number, mineral, period) of every period a sale can be made."""
        return [(sale.number, sale.mineral, t) for sale in self.sales for t in sale.periods]

    def release_price(self, mineral: str, period: int) -> float:
        """Revenue per unit of demand served in ``period``: sum over the priced Demand rows of quantity x
        unit_price, over the period's whole demand (a shortfall falls on every row in proportion)."""
        rows = self.demand_revenue.get((mineral, period), ())
        demand = self.demand.get((mineral, period), 0.0)
        return sum(r.quantity * r.unit_price for r in rows) / demand if rows and demand > 0 else 0.0

    def release_price_in(self, scenario: str, mineral: str, period: int) -> float:
        """release_price in ``scenario``: 0 where a ScenarioDemand row replaces the Demand rows (and so
        their unit_price: the row has none), else release_price."""
        return 0.0 if (scenario, mineral, period) in self.scenario_demand else self.release_price(mineral, period)

    def sale_cap(self, mineral: str, period: int) -> float:
        """The most of ``mineral`` the sales may take in ``period``: the sum of their max_per_period."""
        return sum(sale.max_per_period for sale in self.sales if sale.mineral == mineral and period in sale.periods)

    def most_revenue_before(self, source: str, period: int) -> float:
        """The most revenue ``source`` can have received before ``period``: every sale into it at
        max_per_period in each of its periods before ``period``."""
        return sum(sale.unit_price * sale.max_per_period * sum(1 for t in sale.periods if t < period)
                   for sale in self.sales if sale.source == source)

    def eligible_sources(self, supplier: str, mineral: str, period: int) -> list[str]:
        """Funding sources allowed to pay an order of ``mineral`` from ``supplier`` placed in ``period``."""
        country = self.country(supplier)
        return [f.name for f in self.funding.values() if f.can_pay(country, mineral, period)]
