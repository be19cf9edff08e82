"""The plan: what the solved model says, as plain tables (no Pyomo), for reports and checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import pandas as pd

if TYPE_CHECKING:  # scenario_costs prices the plan's cost terms, so it imports this module
    from optimizer.contract.scenario_costs import ScenarioValues

OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# The objective's terms (model.md, Objective), in the order the Summary sheet lists them.
# The contract's seven (CORE_COST_TERMS), then conversion_cost (models/conversions.py), the revenues
# (OPTIONAL_COST_TERMS, negative: models/sales.py, models/participants.py; stated only where not 0),
# capex_cost (models/projects.py), the terms of Contracts (models/contracts.py), each in the Summary only
# when the input has that sheet (summary_terms), and cvar_cost: cvar_weight x CVaR of the scenario cost
# (models/risk_aversion.py), 0 unless Settings.cvar_weight > 0. They add up to objective.
CORE_COST_TERMS = (
    "purchase_cost", "order_cost", "onboarding_cost", "financing_cost",
    "risk_cost", "holding_cost", "penalty_cost",
)
CONVERSION_TERMS = ("conversion_cost",)
# Terms a plan states only when its workbook has such flows; a reader takes 0 where one is missing.
OPTIONAL_COST_TERMS = (
    "sales_revenue",  # minus the revenue of the Sales sheet (models/sales.py): <= 0
    "release_revenue",  # minus the expected revenue of priced demand served (models/participants.py): <= 0
)
CONTRACT_COST_TERMS = ("take_or_pay_cost", "signing_cost")
# Terms of an input with Projects only (models/projects.py): a Summary without them counts them as 0, so
# plans of inputs without projects read as before.
PROJECT_TERMS = ("capex_cost",)
COST_TERMS = (*CORE_COST_TERMS, *CONVERSION_TERMS, *OPTIONAL_COST_TERMS, *PROJECT_TERMS, *CONTRACT_COST_TERMS,
              "cvar_cost")
# Terms a plan written before them may lack: read as 0.
LATER_TERMS = (*CONVERSION_TERMS, *OPTIONAL_COST_TERMS, *PROJECT_TERMS, *CONTRACT_COST_TERMS, "cvar_cost")
# Terms of a feature an input may not use: a plan of an input without Conversions, Sales or priced
# demand may leave them out (the revenues are stated only where not 0, OPTIONAL_COST_TERMS).
OPTIONAL_TERMS = (*CONVERSION_TERMS, *OPTIONAL_COST_TERMS)


def summary_terms(with_projects: bool = False, with_contracts: bool = False,
                  costs: dict[str, float] | None = None) -> tuple[str, ...]:
    """The cost terms a Summary lists: the contract's seven, conversion_cost, each revenue where ``costs``
    has it not 0 (every revenue without ``costs``: a sweep's columns), capex_cost only for an input with
    Projects, the contract terms only for an input with Contracts, and cvar_cost."""
    left_out = (() if with_projects else PROJECT_TERMS) + (() if with_contracts else CONTRACT_COST_TERMS)
    if costs is not None:
        left_out += tuple(t for t in OPTIONAL_COST_TERMS if not costs.get(t))
    return tuple(t for t in COST_TERMS if t not in left_out)


# Optional terms outside the contract, minimised too when a concern registered them:
# change_cost (models/stability.py). The optimised total is then objective + these.
EXTRA_TERMS = ("change_cost",)

# The result workbook's contract (workbook.md, Output): these sheets with at least these columns.
SUMMARY_KEYS = ("status", "objective", *CORE_COST_TERMS, "mip_gap", "solve_seconds", "input_sha256")
CONTRACT_ORDER_COLUMNS = ("supplier", "mineral", "country", "period", "arrival_period", "quantity",
                          "unit_price", "cost")
ORDER_COLUMNS = [*CONTRACT_ORDER_COLUMNS, "list_price", "discount", "order_cost", "committed", "floor_cost"]
# Contract deliveries (models/contracts.py): the Orders sheet lists them after the orders, naming the contract.
# unit_price is the contract's, or with a floor_price the expected price over the scenarios; floor_cost the
# expected payment the floor adds above the scenario prices (0 without a floor_price).
DELIVERY_COLUMNS = ["contract", *CONTRACT_ORDER_COLUMNS, "floor_cost"]
# Per contract: signed or not, what it took and paid (the Contracts result sheet).
CONTRACT_COLUMNS = ["contract", "supplier", "mineral", "country", "signed", "signed_in_input", "first_period",
                    "last_period", "unit_price", "min_quantity", "max_quantity", "taken", "take_or_pay_quantity",
                    "take_or_pay_paid", "signing_cost_paid", "delivery_cost", "unused_room", "floor_price",
                    "floor_cost"]
FUNDING_COLUMNS = ["source", "supplier", "mineral", "period", "amount"]
CAPEX_COLUMNS = ["project", "supplier", "source", "period", "amount"]  # who pays each project's capex, when
STOCK_COLUMNS = ["scenario", "mineral", "period", "arrivals", "demand", "unmet_demand",
                 "stock", "target", "shortfall", "sold", "lost"]
# Written when the input has Projects (the checker then requires them): each project's decision, and who
# pays its capex when.
PROJECT_SHEETS = {"Projects": ("project", "decision_period"), "Capex": tuple(CAPEX_COLUMNS)}
# sold: by the Sales sheet's sales (models/sales.py); lost: to decay at the period's end (Minerals.loss_rate)
SALES_COLUMNS = ["sale", "mineral", "period", "quantity", "unit_price", "revenue", "source"]
# Columns a result sheet shows when a plan has such flows; a reader takes 0 where one is missing or blank.
OPTIONAL_RESULT_COLUMNS = {"Stock": ("sold", "lost")}
# Sheets a plan has only when its workbook has such flows; a reader takes none where one is missing.
OPTIONAL_RESULT_SHEETS = {"Sales": tuple(SALES_COLUMNS)}
# With a Conversions input sheet: the Stock sheet's two more columns, and two more sheets (issue 14, point 2).
CONVERSION_STOCK_COLUMNS = ["converted_in", "converted_out"]
CONVERSION_COLUMNS = ["conversion", "from_mineral", "to_mineral", "supplier", "period", "arrival_period",
                      "input", "yield", "output", "unit_cost", "cost"]
CONVERSION_FUNDING_COLUMNS = ["source", "conversion", "period", "amount"]
RESULT_SHEETS = {  # sheet title -> the columns the contract requires of it
    "Summary": ("key", "value"),
    "Orders": CONTRACT_ORDER_COLUMNS,
    "Funding": tuple(FUNDING_COLUMNS),
    "Stock": tuple(c for c in STOCK_COLUMNS if c not in OPTIONAL_RESULT_COLUMNS["Stock"]),
}


@dataclass(frozen=True)
class Marginal:
    """d expected cost / d limit: negative when raising the limit saves money.

    kind: ``amount`` (key (source,)), ``budget`` (source, period), ``capacity``
    (supplier, mineral, period), ``conversion`` (conversion, period: its max_per_period of input),
    ``market`` (mineral, period: the market-share cap)
    or ``target`` (mineral, period). ``value`` is in
    currency per currency unit (amount, budget) or per unit of the mineral.
    ``slack`` is how far the plan is from the limit (0: the limit is reached).
    ``room`` is how much more of the limit (in its units) ``value`` holds for: the LP's ranging of the
    row's bound (inf: without end; NaN: not measured).
    Read from the plan's LP by ``models/sensitivity.py``.
    """

    kind: str
    key: tuple
    value: float
    slack: float
    room: float | None = None


@dataclass(frozen=True)
class ProjectValue:
    """The plan re-solved with one project the other way (optimizer/solving/session.py project_value):
    forbidden when the plan funds it, forced (in the period the re-solve finds best) when it does not."""

    project: str
    built: bool  # whether the plan funds it
    objective: float | None  # the re-solve's objective; None when not measured
    decision_period: int | None = None  # the forced re-solve's decision period
    note: str = ""  # why not measured, or how the re-solve stopped
    minerals: tuple[str, ...] = ()  # the block re-solved; every other mineral held as planned


@dataclass(frozen=True)
class SolveResult:
    """What the solver said: status in the contract's words, bound, gap and time."""

    status: str
    termination: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0  # HiGHS's own work
    message: str = ""
    handover_seconds: float = 0.0  # passing the Pyomo model to HiGHS
    start: str = ""  # how the search was started (optimizer/solving/highs.py)


@dataclass(frozen=True)
class Cause:
    """One measurement: the mineral's expected shortfall with ``limit`` lifted, against the re-solve as given.

    Both come from re-solves of the mineral alone to a tight gap; the plan itself, solved to the
    workbook's ``mip_gap``, may differ from the re-solve as given (``in_plan`` is its own figure).
    """

    mineral: str
    limit: str
    what: str
    shortfall: float  # expected units short in the re-solve as given (unmet demand + stock below target)
    relaxed: float | None  # the same with the limit lifted; None when the re-solve found no plan
    in_plan: float | None = None  # the plan's own expected shortfall of the mineral

    @property
    def removed(self) -> float:
        """How much of the mineral's shortfall lifting this limit removes (0 when not measured)."""
        return 0.0 if self.relaxed is None else max(0.0, self.shortfall - self.relaxed)


@dataclass(frozen=True)
class Analysis:
    """What the analysis stage (optimizer/analysis/analyse.py) measured: the LP's marginals and, when
    explained, the shortfall causes."""

    marginals: list[Marginal]
    causes: list[Cause] | None  # None: not measured (--no-explain, or too many re-solves for the default)
    note: str = ""  # why some causes were not measured (the Why short sheet)
    marginals_note: str = ""  # why the marginals were not measured (the Sensitivities sheet)
    projects: list[ProjectValue] = field(default_factory=list)  # each project re-solved the other way


class SolverSeconds(Protocol):
    """What a plan knows of its budget of solver seconds (optimizer/solving/budget.py ``TimeBudget`` is one)."""

    seconds: float

    def remaining(self) -> float:
        """Seconds left, never below 0."""

    def exhausted(self) -> bool:
        """Whether no second is left."""


@dataclass(frozen=True)
class PlanChanges:
    """Against the previous plan (optimizer/replan/changes.py): the Changes sheet and the Summary's figures."""

    frame: pd.DataFrame
    previous_label: str | None
    change_cost: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


# What the stability pass did, in the Summary's key stability_pass.
RAN, CUT_SHORT, NOT_RUN = "ran", "cut short", "not run"


@dataclass(frozen=True)
class StabilityPass:
    """What the stability pass (optimizer/solving/stability.py) did, for the Summary: the first solve's
    figures beside the final ones."""

    outcome: str  # RAN, CUT_SHORT or NOT_RUN
    note: str
    seconds: float = 0.0
    first_objective: float | None = None  # objective + change_cost of the plan found first
    first_gap: float | None = None
    allowance: float | None = None  # the most objective + change_cost the pass may reach
    change_before: float | None = None  # sum |x - x_prev| x list price of the plan found first
    change_after: float | None = None  # ... of the plan written

    def summary(self) -> list[tuple[str, object]]:
        """The pass's Summary rows: what it did; if it ran, seconds, objective, gap and change before and after."""
        rows: list[tuple[str, object]] = [("stability_pass", f"{self.outcome}: {self.note}")]
        if self.outcome != NOT_RUN:
            rows += [("stability_seconds", round(self.seconds, 3)),
                     ("objective_before_stability", self.first_objective),
                     ("mip_gap_before_stability", self.first_gap),
                     ("objective_allowed", self.allowance),
                     ("change_value_before_stability", self.change_before),
                     ("change_value", self.change_after)]
        return rows


@dataclass(frozen=True)
class Plan:
    """A plan as read back from the solved model, with what later stages measured on it.

    Immutable: a stage that adds to it returns ``dataclasses.replace(plan, ...)``.
    """

    status: str
    objective: float | None
    costs: dict[str, float]
    orders: pd.DataFrame
    funding: pd.DataFrame
    stock: pd.DataFrame
    solve: SolveResult
    model_size: dict[str, int] = field(default_factory=dict)
    # Why no plan exists (infeasible): one sentence per limit that cannot be met.
    conflicts: list[str] = field(default_factory=list)
    # Marginal values and shortfall causes, added by the analysis stage.
    analysis: Analysis | None = None
    # Against the previous plan of the same input, added by a re-plan.
    changes: PlanChanges | None = None
    # The stability pass against the previous plan, added after the solve.
    stability: StabilityPass | None = None
    # Contract deliveries (DELIVERY_COLUMNS) and one row per contract (CONTRACT_COLUMNS); None without contracts.
    deliveries: pd.DataFrame | None = None
    contracts: pd.DataFrame | None = None
    # The Sales sheet's sales made (SALES_COLUMNS); empty without sales.
    sales: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SALES_COLUMNS))
    # The solver seconds of Settings analysis_time_s (optimizer/solving/budget.py TimeBudget), opened after the solve:
    # the stability pass, the marginals, the why-short re-solves and the change comparison draw on it.
    analysis_budget: SolverSeconds | None = None
    # The solved model's values (models/start.py SolvedValues), the start of each scenario solved alone
    # (optimizer/solving/session.py costs_alone); None: a larger model, a plan with recourse or made elsewhere
    solved: object | None = None
    # Capacity projects (models/projects.py): project -> its decision period, for those the plan funds
    builds: dict[str, int] = field(default_factory=dict)
    # Their capex payments (CAPEX_COLUMNS); None: the plan has none
    capex: pd.DataFrame | None = None

    def payments(self) -> pd.DataFrame:
        """Every payment of a funding source (source, period, amount): for orders (Funding) and for capex; with
        recourse also the scenario paying it (blank: every scenario)."""
        columns = ["source", "period", "amount", *(["scenario"] if "scenario" in self.funding else [])]
        if self.capex is None or self.capex.empty:
            return self.funding[columns]
        capex = self.capex if "scenario" in self.capex or "scenario" not in columns else self.capex.assign(scenario="")
        return pd.concat([self.funding[columns], capex[columns]], ignore_index=True)

    def signed_contracts(self) -> set[str]:
        """The contracts the plan signs (none without contracts)."""
        if self.contracts is None:
            return set()
        return set(self.contracts.loc[self.contracts["signed"] == "yes", "contract"])

    def placed(self) -> pd.DataFrame:
        """Orders and contract deliveries (supplier, mineral, period, quantity): what the market cap counts."""
        columns = ["supplier", "mineral", "period", "quantity"]
        if self.deliveries is None or self.deliveries.empty:
            return self.orders[columns]
        return pd.concat([self.orders[columns], self.deliveries[columns]], ignore_index=True)

    def bought(self) -> pd.DataFrame:
        """``placed`` plus each signed contract's take-or-pay quantity in its last_period: what the country,
        supplier and risk caps count (models/contracts.py, bought[c])."""
        if self.contracts is None:
            return self.placed()
        paid = self.contracts[self.contracts["take_or_pay_quantity"] > 0]
        unpaid = pd.DataFrame({"supplier": paid["supplier"], "mineral": paid["mineral"],
                               "period": paid["last_period"], "quantity": paid["take_or_pay_quantity"]})
        return pd.concat([self.placed(), unpaid], ignore_index=True) if not unpaid.empty else self.placed()
    # Each scenario's cost, WS and EVPI (optimizer/analysis/uncertainty.py); None without Scenarios.
    scenario_values: ScenarioValues | None = None

    def shown_terms(self) -> list[str]:
        """The cost terms a reader is shown: the contract's seven, conversion_cost, and each later term
        (revenues, capex, contracts, cvar) the plan has a value for."""
        return [name for name in COST_TERMS
                if name in CORE_COST_TERMS or name in CONVERSION_TERMS or self.costs.get(name)]

    def floor_cost(self) -> float:
        """The expected payment above the scenario prices that price floors add, within purchase_cost
        (the Orders' floor_cost summed: the offers' and the contract deliveries')."""
        ordered = float(self.orders["floor_cost"].sum()) if "floor_cost" in self.orders else 0.0
        if self.deliveries is None or "floor_cost" not in self.deliveries:
            return ordered
        return ordered + float(self.deliveries["floor_cost"].sum())
    # With conversions: one row per conversion started (Conversions sheet) and per source paying one.
    conversions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONVERSION_COLUMNS))
    conversion_funding: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=CONVERSION_FUNDING_COLUMNS))

    def order_quantities(self) -> dict[tuple[str, str, int], float]:
        """(supplier, mineral, period) -> quantity of every order."""
        return {(r.supplier, r.mineral, int(r.period)): float(r.quantity) for r in self.orders.itertuples()}

    @staticmethod
    def empty(status: str, solve: SolveResult, conflicts: list[str] | None = None) -> "Plan":
        """A plan without orders, for a run that has none (``status`` infeasible or error), with the conflicts found."""
        return Plan(status, None, {}, pd.DataFrame(columns=ORDER_COLUMNS), pd.DataFrame(columns=FUNDING_COLUMNS),
                    pd.DataFrame(columns=STOCK_COLUMNS), solve, conflicts=conflicts or [])
