"""The input contract in one place: one record per sheet and per column.

The reader, the validator, the template workbook and docs/workbook.md's column
tables all come from these records (``../shared/spec/workbook.md``), so they
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Column kinds understood by the validator.
TEXT, FLOAT, INT, LIST, DATE, CHOICE = "text", "float", "int", "list", "date", "choice"
RAW = "raw"  # kept as read (the value column of Settings, typed by its key)

# Input limits, beyond which a value cannot be a plan's figure but a typo or a wrong unit. Money
# enters the model divided by a power of ten (models/scaling.py) and HiGHS takes 1e20 for infinite:
# a funding amount of 1e20 becomes "no limit", one of 1e308 overflows, and the plan then fails its
# independent check. Every money column (unit currency, currency/unit, currency/unit/period) and
# every quantity column (unit) gets its limit as its maximum; optimizer/intake/numerics.py warns from 1e13.
MONEY_LIMIT = 1e15
QUANTITY_LIMIT = 1e12
UNIT_LIMITS = {"currency": MONEY_LIMIT, "currency/unit": MONEY_LIMIT, "currency/unit/period": MONEY_LIMIT,
               "unit": QUANTITY_LIMIT}
# Names (of minerals, suppliers, countries, sources, scenarios; every text cell) longer than this are
# refused: no real name is, and result cells that quote a name must stay within Excel's 32,767 characters.
NAME_LENGTH_LIMIT = 200


@dataclass(frozen=True)
class Column:
    """One column of a sheet (or one key of the key/value ``Settings`` sheet)."""

    name: str
    kind: str
    meaning: str
    required: bool = False
    default: Any = None
    default_text: str = ""  # how the default reads to a person, when it is not a constant
    minimum: float | None = None
    maximum: float | None = None
    minimum_open: bool = False  # True: value must be > minimum, not >=
    maximum_open: bool = False  # True: value must be < maximum, not <=
    choices: tuple[str, ...] = ()
    unit: str = ""

    def __post_init__(self) -> None:
        if self.maximum is None and self.unit in UNIT_LIMITS:  # money and quantities: see UNIT_LIMITS
            object.__setattr__(self, "maximum", UNIT_LIMITS[self.unit])

    def expectation(self) -> str:
        """What a valid value looks like, in words, for error messages."""
        if self.kind == CHOICE:
            return "one of " + ", ".join(self.choices)
        noun = {
            RAW: "a value",
            TEXT: "a text",
            FLOAT: "a number",
            INT: "a whole number",
            LIST: "a comma-separated list",
            DATE: "a date",
        }[self.kind]
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.minimum_open else '>='} {_num(self.minimum)}")
        if self.maximum is not None:
            bounds.append(f"{'<' if self.maximum_open else '<='} {_num(self.maximum)}")
        return noun + (" " + " and ".join(bounds) if bounds else "")

    def describe_default(self) -> str:
        """The default as docs/workbook.md and the template's notes state it: "required", "blank" or the value."""
        if self.required:
            return "required"
        if self.default_text:
            return self.default_text
        return "blank" if self.default is None else str(self.default)


@dataclass(frozen=True)
class Sheet:
    """One sheet of the contract."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    key_value: bool = False  # Settings: rows of (key, value) rather than a table
    meaning: str = ""

    def column(self, name: str) -> Column:
        """The column named ``name``."""
        return next(c for c in self.columns if c.name == name)


def _num(value: float) -> str:
    return f"{value:g}"


def _period(name: str, meaning: str, **kw: Any) -> Column:
    return Column(name, INT, meaning, minimum=1, **kw)


def _share(name: str, meaning: str, default: float | None = 1.0, **kw: Any) -> Column:
    return Column(name, FLOAT, meaning, default=default, minimum=0.0, maximum=1.0, **kw)


def _amount(name: str, meaning: str, **kw: Any) -> Column:
    return Column(name, FLOAT, meaning, minimum=0.0, **kw)


SUPPLIER = Column("supplier", TEXT, "supplier, as named in Suppliers", required=True)
MINERAL = Column("mineral", TEXT, "mineral, as named in Minerals", required=True)
PERIOD = _period("period", "period 1..num_periods", required=True)

SETTINGS = Sheet(
    "Settings",
    required=True,
    key_value=True,
    meaning="The horizon and solver settings.",
    columns=(
        _period("num_periods", "length of the planning horizon T", required=True),
        Column("period_unit", CHOICE, "length of one period (labels, reports)",
               default="quarter", choices=("month", "quarter", "year")),
        Column("start_date", DATE, "first day of period 1 (labels, reports)"),
        Column("currency", TEXT, "money unit of every price and amount", default="USD"),
        Column("risk_weight", FLOAT, "cost added per currency unit spent, per unit of supplier risk score",
               default=0.0, minimum=0.0),
        Column("mip_gap", FLOAT, "relative optimality gap at which the solver may stop",
               default=0.0001, minimum=0.0),
        Column("time_limit_s", FLOAT, "solver time limit in seconds", default=600.0,
               minimum=0.0, minimum_open=True, unit="s"),
        Column("analysis_time_s", FLOAT, "solver seconds shared by everything solved after the plan: why-short "
               "re-solves, marginals, change comparisons, the stability pass", default_text="time_limit_s / 4",
               minimum=0.0, unit="s"),
        Column("change_penalty", FLOAT, "cost per unit of an order changed against the previous plan of the "
               "same input, so small price moves do not reshuffle every order (0: no such cost; not part of "
               "objective, reported as change_cost)", default=0.0, minimum=0.0,
               unit="currency/unit"),
        Column("release_rule", CHOICE, "how stock meets demand in every scenario: serve_first draws stock before "
               "any demand goes unmet (what a stockpile does, and what the stress test simulates); optimal lets "
               "the plan, seeing the whole scenario, hold stock while demand goes unmet",
               default="serve_first", choices=("serve_first", "optimal")),
        _share("max_market_share", "default for Minerals.max_market_share: the largest share of a mineral's "
               "world_supply the plan may order in one period (1: orders up to the whole market)"),
        Column("stability", CHOICE, "when a previous plan exists, among plans within mip_gap of the proven bound "
               "choose the one closest to it", default="yes", choices=("yes", "no")),
        Column("cvar_weight", FLOAT, "risk aversion lambda: the plan minimises expected cost + cvar_weight x the "
               "CVaR of the scenario cost (0: expected cost only; reported as cvar_cost)", default=0.0,
               minimum=0.0),
        Column("cvar_level", FLOAT, "alpha of the CVaR: the expected cost of the worst 1 - alpha of probability",
               default=0.95, minimum=0.0, maximum=1.0, maximum_open=True),
        Column("recourse", CHOICE, "yes: orders may differ by scenario from the period the scenario becomes known "
               "(its data differ from the others', or Scenarios.known_from); earlier orders are shared",
               default="no", choices=("yes", "no")),
    ),
)

MINERALS = Sheet(
    "Minerals",
    required=True,
    meaning="One row per mineral.",
    columns=(
        Column("mineral", TEXT, "identifier", required=True),
        Column("unit", TEXT, "physical unit of every quantity of this mineral", default="t"),
        _amount("initial_stock", "stock at the start of period 1", default=0.0, unit="unit"),
        _amount("holding_cost", "cost per unit of stock held at the end of a period", default=0.0,
                unit="currency/unit/period"),
        _amount("shortfall_penalty", "cost per unit of demand not served",
                default_text="10 x the highest unit_price in Offers for this mineral (required when it has no offer)",
                unit="currency/unit"),
        _amount("target_penalty", "cost per unit of stock below target, per period: a unit below target for the "
                "whole horizon costs less than a unit of demand not served",
                default_text="shortfall_penalty / (num_periods + 1)", unit="currency/unit/period"),
        _amount("max_stock", "storage capacity: stock at the end of any period",
                default_text="unlimited", unit="unit"),
        _share("max_supplier_share", "no supplier may provide more than this share of the mineral's total ordered quantity"),
        _share("max_avg_risk", "quantity-weighted average risk_score of all orders of the mineral may not exceed this"),
        _amount("world_supply", "what the world market can sell of the mineral in one period (blank: no market "
                "cap)", unit="unit"),
        _share("max_market_share", "orders of the mineral placed in a period (commitments included) may not exceed "
               "this share of world_supply", default=None, default_text="Settings.max_market_share"),
        _share("loss_rate", "share of the stock lost each period (decay, e.g. tin pest): stock at the end of a period "
               "is (1 - loss_rate) x what it would otherwise be, in every scenario", default=0.0),
    ),
)

SUPPLIERS = Sheet(
    "Suppliers",
    required=True,
    meaning="One row per supplier.",
    columns=(
        Column("supplier", TEXT, "identifier", required=True),
        Column("country", TEXT, "country of origin of the supplier's material", required=True),
        _share("risk_score", "analyst's risk rating (0 safest)", default=0.0),
        _amount("onboarding_cost", "one-off cost incurred if any order is placed with this supplier",
                default=0.0, unit="currency"),
    ),
)

OFFERS = Sheet(
    "Offers",
    required=True,
    meaning="One row per supplier and mineral it can sell.",
    columns=(
        SUPPLIER,
        MINERAL,
        Column("unit_price", FLOAT, "price per unit, every period, unless Prices overrides it",
               required=True, minimum=0.0, minimum_open=True, unit="currency/unit"),
        Column("lead_time", INT, "periods between ordering and arrival", default=0, minimum=0, unit="periods"),
        _amount("min_order", "smallest quantity of an order that is placed (per period)", default=0.0, unit="unit"),
        _amount("max_per_period", "largest quantity that can be ordered in one period",
                default_text="unlimited", unit="unit"),
        _amount("order_cost", "fixed cost of placing an order in a period", default=0.0, unit="currency"),
        _period("first_period", "first period an order can be placed", default=1),
        _period("last_period", "last period an order can be placed", default_text="num_periods"),
        _amount("floor_price", "guaranteed price: in every scenario a delivery costs at least this per unit "
                "(before discount); the expected payment above the scenario price is reported as floor_cost",
                default_text="none", unit="currency/unit"),
    ),
)

PRICES = Sheet(
    "Prices",
    meaning="Price updates: overrides the offer's unit_price in that period.",
    columns=(
        SUPPLIER, MINERAL, PERIOD,
        Column("unit_price", FLOAT, "price per unit in that period", required=True,
               minimum=0.0, minimum_open=True, unit="currency/unit"),
    ),
)

DISCOUNTS = Sheet(
    "Discounts",
    meaning="All-units volume discounts: an order of at least min_quantity pays price x (1 - discount) on every unit.",
    columns=(
        SUPPLIER, MINERAL,
        Column("min_quantity", FLOAT, "smallest order that earns the discount", required=True,
               minimum=0.0, minimum_open=True, unit="unit"),
        Column("discount", FLOAT, "fraction off the period's price", required=True,
               minimum=0.0, maximum=1.0, maximum_open=True),
    ),
)

DEMAND = Sheet(
    "Demand",
    meaning="Consumption drawn from the stock in that period.",
    columns=(
        MINERAL, PERIOD, _amount("quantity", "quantity drawn from stock", required=True, unit="unit"),
        _amount("unit_price", "what the participant pays per unit released (Project Vault's manufacturers): "
                "expected revenue from the demand served, release_revenue, lowers the objective",
                default_text="none (no revenue)", unit="currency/unit"),
        Column("source", TEXT, "funding source, as named in Funding, repaid from that revenue (shown on the "
               "Dashboard; not re-spent in the plan)", default_text="none"),
    ),
)

TARGETS = Sheet(
    "Targets",
    meaning="The stock wanted at the end of a period; stock below it costs target_penalty per unit and period. "
            "Under release_rule serve_first, demand is served from stock before any is held for a target.",
    columns=(
        MINERAL, PERIOD,
        _amount("min_stock", "stock wanted at the end of the period (this, cover_periods, or both: the larger)",
                default_text="none", unit="unit"),
        _amount("cover_periods", "stock wanted as periods of the mineral's demand ahead: the demand of the next "
                "cover_periods periods (beyond the horizon: its average demand per period)",
                default_text="none", unit="periods"),
    ),
)

PIPELINE = Sheet(
    "Pipeline",
    meaning="Arrivals already ordered and paid before the horizon: no cost.",
    columns=(SUPPLIER, MINERAL, PERIOD, _amount("quantity", "quantity arriving", required=True, unit="unit")),
)

COMMITMENTS = Sheet(
    "Commitments",
    meaning="Orders already decided: placed in that period whatever else the plan does.",
    columns=(
        SUPPLIER, MINERAL, PERIOD,
        Column("quantity", FLOAT, "quantity ordered", required=True, minimum=0.0, minimum_open=True, unit="unit"),
        Column("unit_price", FLOAT, "agreed price of the committed order: it costs quantity x unit_price plus the "
               "offer's order_cost, Prices and Discounts do not apply (rows of the same order all give it or none)",
               default_text="priced like any other order", minimum=0.0, minimum_open=True, unit="currency/unit"),
    ),
)

FUNDING = Sheet(
    "Funding",
    required=True,
    meaning="Where the money comes from.",
    columns=(
        Column("source", TEXT, "identifier, e.g. Ex-Im loan", required=True),
        _amount("amount", "total that can be spent over the horizon", required=True, unit="currency"),
        _period("first_period", "first period the source can pay", default=1),
        _period("last_period", "last period the source can pay", default_text="num_periods"),
        _amount("cost_rate", "financing cost per currency unit drawn", default=0.0),
        Column("excluded_countries", LIST, "the source may not pay suppliers of these countries", default_text="none"),
        Column("minerals", LIST, "the source may pay only for these minerals", default_text="all"),
    ),
)

BUDGETS = Sheet(
    "Budgets",
    meaning="Per-period spending caps of a funding source.",
    columns=(
        Column("source", TEXT, "funding source, as named in Funding", required=True),
        PERIOD,
        _amount("amount", "the most the source may pay in that period", required=True, unit="currency"),
    ),
)

COUNTRIES = Sheet(
    "Countries",
    meaning="Country concentration caps, for every mineral over the horizon.",
    columns=(
        Column("country", TEXT, "country", required=True),
        _share("max_share", "largest share of a mineral's total ordered quantity from this country"),
    ),
)

ORIGINS = Sheet(
    "Origins",
    meaning="Upstream origin: the share of a supplier's material that comes from another country (a refiner "
            "fed from mined material abroad); the rest comes from the supplier's own country. Country caps, "
            "scenario losses and the Concentration sheet count the material by these origins.",
    columns=(
        SUPPLIER,
        Column("mineral", TEXT, "mineral, as named in Minerals; rows with a mineral replace the supplier's "
               "rows without one for that mineral", default_text="every mineral of the supplier"),
        Column("country", TEXT, "country the material comes from", required=True),
        _share("share", "share of the supplier's material (of that mineral) from this country; the shares of "
               "one supplier (and mineral) add up to at most 1", default=None, required=True),
    ),
)

PROJECTS = Sheet(
    "Projects",
    meaning="Capacity projects (build versus buy): funding a plant whose output is its supplier's offers. At "
            "most one decision per project; the offers can be ordered only from the decision period + "
            "build_periods on; the capex is paid in equal parts over the build periods by funding sources "
            "under the rules of orders, and the objective charges the horizon's share of it (capex_cost).",
    columns=(
        Column("project", TEXT, "identifier, e.g. Tennessee smelter", required=True),
        Column("supplier", TEXT, "supplier, as named in Suppliers, whose offers in Offers are the plant's output "
               "(each with a max_per_period); one project per supplier", required=True),
        Column("capex", FLOAT, "what the programme pays for the project, in equal parts over build_periods",
               required=True, minimum=0.0, minimum_open=True, unit="currency"),
        _period("build_periods", "periods from the decision until the plant's offers can be ordered; the capex "
                "is paid over these periods", default=1),
        _period("first_period", "first period the decision may be taken", default=1),
        _period("last_period", "last period the decision may be taken", default_text="num_periods"),
        Column("decided", CHOICE, "yes: already funded, decided in first_period (blank: the plan may fund it)",
               choices=("yes", "no"), default="no", default_text="no"),
        _period("life_periods", "the plant's output life: capex_cost charges capex x min(1, output periods "
                "within the horizon / life_periods)", default_text="the whole capex is charged"),
    ),
)

CONTRACTS = Sheet(
    "Contracts",
    meaning="Offtake contracts with a supplier: deliveries at an agreed unit_price (no Prices, Discounts or "
            "order_cost; no offer needed), within a per-period and a total ceiling; what is taken below "
            "min_quantity is paid anyway (take-or-pay). Deliveries count like orders in every cap and scenario.",
    columns=(
        Column("contract", TEXT, "identifier", required=True),
        SUPPLIER,
        MINERAL,
        _period("first_period", "first period a delivery can be ordered under the contract", default=1),
        _period("last_period", "last period a delivery can be ordered under the contract",
                default_text="num_periods"),
        Column("unit_price", FLOAT, "price per unit delivered, every period", required=True, minimum=0.0,
               minimum_open=True, unit="currency/unit"),
        Column("lead_time", INT, "periods between ordering a delivery and its arrival", default=0, minimum=0,
               unit="periods"),
        _amount("max_per_period", "largest quantity that can be ordered under the contract in one period",
                default_text="unlimited", unit="unit"),
        _amount("min_quantity", "take-or-pay minimum over the contract: what a signed contract takes below it "
                "is paid anyway at unit_price", default=0.0, unit="unit"),
        _amount("max_quantity", "largest quantity over the contract", default_text="unlimited", unit="unit"),
        _amount("signing_cost", "one-off cost of signing, paid in first_period", default=0.0, unit="currency"),
        Column("signed", CHOICE, "yes: signed, must be honoured; blank: the plan may sign it or not",
               default_text="blank (the plan decides)", choices=("yes",)),
        _amount("floor_price", "guaranteed price: with it the contract is market-indexed, a delivery costing "
                "max(floor_price, unit_price x the ScenarioPrices factor of its mineral, country and period) in "
                "each scenario; the expected payment above that price is reported as floor_cost",
                default_text="none (unit_price in every scenario)", unit="currency/unit"),
    ),
)

SCENARIOS = Sheet(
    "Scenarios",
    meaning="Supply disruptions: a share of arrivals from a country is lost in a window of periods.",
    columns=(
        Column("scenario", TEXT, "scenario name (several rows may share it)", required=True),
        _share("probability", "probability of the scenario (same on all its rows)", default=None, required=True),
        Column("country", TEXT, "country whose arrivals are disrupted", required=True),
        _period("first_period", "first period of the disruption", required=True),
        _period("last_period", "last period of the disruption", required=True),
        _share("supply_loss", "fraction of arrivals that never arrives"),
        _period("known_from", "with Settings.recourse yes: the first period whose orders may react to the scenario "
                "(same on all its rows; it may delay the branching its data give, never advance it)",
                default_text="its first period whose data differ"),
    ),
)

SCENARIO_PRICES = Sheet(
    "ScenarioPrices",
    meaning="Price moves in a scenario: orders placed in those periods cost factor x their price (Prices and "
            "discounts as usual; agreed commitment prices do not move). Rows that price the same order multiply.",
    columns=(
        Column("scenario", TEXT, "scenario, as named in Scenarios", required=True),
        Column("mineral", TEXT, "mineral, as named in Minerals", default_text="every mineral"),
        Column("country", TEXT, "the supplier's country", default_text="every country"),
        _period("first_period", "first period of orders priced so", required=True),
        _period("last_period", "last period of orders priced so", required=True),
        Column("factor", FLOAT, "price multiplier (1.4: 40% dearer)", required=True, minimum=0.0,
               minimum_open=True, maximum=1000.0),
    ),
)

SALES = Sheet(
    "Sales",
    meaning="Sales of stock (disposals; rotation is a sale plus a purchase): decided before the scenario is known, "
            "they leave the stock of every scenario after its demand is served; the revenue lowers the objective "
            "(sales_revenue) and adds to the source's amount from the next period on.",
    columns=(
        MINERAL,
        _period("first_period", "first period a sale can be made", default=1),
        _period("last_period", "last period a sale can be made", default_text="num_periods"),
        Column("unit_price", FLOAT, "revenue per unit sold", required=True, minimum=0.0, minimum_open=True,
               unit="currency/unit"),
        _amount("max_per_period", "the plan's cap on the sale in one period (Annual Materials Plan)", required=True,
                unit="unit"),
        Column("source", TEXT, "funding source, as named in Funding, that receives the revenue", required=True),
    ),
)

SCENARIO_DEMAND = Sheet(
    "ScenarioDemand",
    meaning="Emergency demand: in that scenario, the demand of a mineral in a period is this quantity instead of "
            "the Demand row (a wartime surge), priced at its own shortfall_penalty when given. The stress test, "
            "drawing two such scenarios at once, takes the larger demand.",
    columns=(
        Column("scenario", TEXT, "scenario, as named in Scenarios", required=True),
        MINERAL, PERIOD,
        _amount("quantity", "quantity drawn from stock in that scenario (0: no demand there)", required=True,
                unit="unit"),
        _amount("shortfall_penalty", "cost per unit of this demand not served (essential demand priced above the "
                "rest)", default_text="the mineral's shortfall_penalty", unit="currency/unit"),
    ),
)

CONVERSIONS = Sheet(
    "Conversions",
    meaning="Upgrading between forms (chromite ore to ferrochromium): a conversion started in a period takes its "
            "input from the from_mineral's stock then, in every scenario, and delivers yield x input of the "
            "to_mineral lead_time later; its cost is paid by the funding sources like an order.",
    columns=(
        Column("conversion", TEXT, "identifier", required=True),
        Column("from_mineral", TEXT, "the form converted, as named in Minerals", required=True),
        Column("to_mineral", TEXT, "the form delivered, as named in Minerals", required=True),
        Column("yield", FLOAT, "units of to_mineral delivered per unit of from_mineral converted", required=True,
               minimum=0.0, minimum_open=True),
        _amount("unit_cost", "cost per unit of input converted", default=0.0, unit="currency/unit"),
        Column("lead_time", INT, "periods between the start of a conversion and its delivery", default=0, minimum=0,
               unit="periods"),
        _amount("max_per_period", "largest input that can be converted in one period (the plan's cap on the action)",
                default_text="unlimited", unit="unit"),
        Column("supplier", TEXT, "toll processor, as named in Suppliers: scenarios hit its deliveries like any "
               "supplier's (by its country, or its Origins rows for the to_mineral), and funding rules apply by "
               "its country", default_text="none: converted at home, never disrupted"),
    ),
)

SHEETS: tuple[Sheet, ...] = (
    SETTINGS, MINERALS, SUPPLIERS, OFFERS, PRICES, DISCOUNTS, DEMAND, TARGETS,
    PIPELINE, COMMITMENTS, FUNDING, BUDGETS, COUNTRIES, ORIGINS, PROJECTS, CONTRACTS, SCENARIOS, SCENARIO_PRICES,
    SCENARIO_DEMAND, CONVERSIONS, SALES,
)
SHEETS_BY_KEY: dict[str, Sheet] = {sheet.name.lower(): sheet for sheet in SHEETS}


def normalise_name(name: object) -> str:
    """Sheet names and headers match case-insensitively after trimming spaces."""
    return str(name).strip().lower()
