"""The plan: what the solved model says, as plain tables (no Pyomo), for reports and checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# The objective's terms (model.md, Objective), in the order the Summary sheet lists them.
COST_TERMS = (
    "purchase_cost", "order_cost", "onboarding_cost", "financing_cost",
    "risk_cost", "holding_cost", "penalty_cost", "conversion_cost",
    "sales_revenue",  # minus the revenue of the Sales sheet (models/sales.py): <= 0
    "release_revenue",  # minus the expected revenue of priced demand served (models/participants.py): <= 0
)
# Terms a plan states only when its workbook has such flows; a reader takes 0 where one is missing.
OPTIONAL_COST_TERMS = ("sales_revenue", "release_revenue")
# Optional terms outside the contract, minimised too when a concern registered them:
# change_cost (models/stability.py). The optimised total is then objective + these.
EXTRA_TERMS = ("change_cost",)

# The result workbook's contract (workbook.md, Output): these sheets with at least these columns.
# Terms of a feature an input may not use: a plan of an input without Conversions, Sales or priced
# demand may leave them out (the revenues are stated only where not 0, OPTIONAL_COST_TERMS).
OPTIONAL_TERMS = ("conversion_cost", *OPTIONAL_COST_TERMS)
SUMMARY_KEYS = ("status", "objective", *(t for t in COST_TERMS if t not in OPTIONAL_TERMS), "mip_gap",
                "solve_seconds", "input_sha256")
CONTRACT_ORDER_COLUMNS = ("supplier", "mineral", "country", "period", "arrival_period", "quantity",
                          "unit_price", "cost")
ORDER_COLUMNS = [*CONTRACT_ORDER_COLUMNS, "list_price", "discount", "order_cost", "committed"]
FUNDING_COLUMNS = ["source", "supplier", "mineral", "period", "amount"]
STOCK_COLUMNS = ["scenario", "mineral", "period", "arrivals", "demand", "unmet_demand",
                 "stock", "target", "shortfall", "sold", "lost"]
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
    Read from the plan's LP by ``models/sensitivity.py``.
    """

    kind: str
    key: tuple
    value: float
    slack: float


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
    # The Sales sheet's sales made (SALES_COLUMNS); empty without sales.
    sales: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SALES_COLUMNS))
    # The solver seconds of Settings analysis_time_s (optimizer/solving/budget.py TimeBudget), opened after the solve:
    # the stability pass, the marginals, the why-short re-solves and the change comparison draw on it.
    analysis_budget: SolverSeconds | None = None
    # With conversions: one row per conversion started (Conversions sheet) and per source paying one.
    conversions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONVERSION_COLUMNS))
    conversion_funding: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=CONVERSION_FUNDING_COLUMNS))

    def stated_cost_terms(self) -> list[str]:
        """The cost terms a report states: every one of COST_TERMS, the optional ones only where not 0."""
        return [name for name in COST_TERMS if name not in OPTIONAL_COST_TERMS or self.costs.get(name)]

    def order_quantities(self) -> dict[tuple[str, str, int], float]:
        """(supplier, mineral, period) -> quantity of every order."""
        return {(r.supplier, r.mineral, int(r.period)): float(r.quantity) for r in self.orders.itertuples()}

    @staticmethod
    def empty(status: str, solve: SolveResult, conflicts: list[str] | None = None) -> "Plan":
        """A plan without orders, for a run that has none (``status`` infeasible or error), with the conflicts found."""
        return Plan(status, None, {}, pd.DataFrame(columns=ORDER_COLUMNS), pd.DataFrame(columns=FUNDING_COLUMNS),
                    pd.DataFrame(columns=STOCK_COLUMNS), solve, conflicts=conflicts or [])
