"""The plan: what the solved model says, as plain tables (no Pyomo), for reports and checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"

# The objective's terms (model.md, Objective), in the order the Summary sheet lists them.
COST_TERMS = (
    "purchase_cost", "order_cost", "onboarding_cost", "financing_cost",
    "risk_cost", "holding_cost", "penalty_cost",
)
# Optional terms outside the contract, minimised too when a concern registered them:
# change_cost (models/stability.py). The optimised total is then objective + these.
EXTRA_TERMS = ("change_cost",)

# The result workbook's contract (workbook.md, Output): these sheets with at least these columns.
SUMMARY_KEYS = ("status", "objective", *COST_TERMS, "mip_gap", "solve_seconds", "input_sha256")
CONTRACT_ORDER_COLUMNS = ("supplier", "mineral", "country", "period", "arrival_period", "quantity",
                          "unit_price", "cost")
ORDER_COLUMNS = [*CONTRACT_ORDER_COLUMNS, "list_price", "discount", "order_cost", "committed"]
FUNDING_COLUMNS = ["source", "supplier", "mineral", "period", "amount"]
STOCK_COLUMNS = ["scenario", "mineral", "period", "arrivals", "demand", "unmet_demand",
                 "stock", "target", "shortfall"]
RESULT_SHEETS = {  # sheet title -> the columns the contract requires of it
    "Summary": ("key", "value"),
    "Orders": CONTRACT_ORDER_COLUMNS,
    "Funding": tuple(FUNDING_COLUMNS),
    "Stock": tuple(STOCK_COLUMNS),
}


@dataclass(frozen=True)
class Marginal:
    """d expected cost / d limit: negative when raising the limit saves money.

    kind: ``amount`` (key (source,)), ``budget`` (source, period), ``capacity``
    (supplier, mineral, period) or ``target`` (mineral, period). ``value`` is in
    currency per currency unit (amount, budget) or per unit of the mineral.
    ``slack`` is how far the plan is from the limit (0: the limit is reached).
    Read from the plan's LP by ``models/sensitivity.py``.
    """

    kind: str
    key: tuple
    value: float
    slack: float


@dataclass
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


@dataclass
class Plan:
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
    # Marginal values and shortfall causes (optimizer/analysis/analyse.py), filled by the analysis stage.
    analysis: object | None = None
    # Against the previous plan of the same input (optimizer/replan/changes.py PlanChanges), filled by a re-plan.
    changes: object | None = None
    # The stability pass against the previous plan (optimizer/solving/stability.py StabilityPass), filled after the solve.
    stability: object | None = None
    # The solver seconds of Settings analysis_time_s (optimizer/solving/budget.py TimeBudget), opened after the solve:
    # the stability pass, then the change comparisons, draw on it.
    analysis_budget: object | None = None

    def order_quantities(self) -> dict[tuple[str, str, int], float]:
        """(supplier, mineral, period) -> quantity of every order."""
        return {(r.supplier, r.mineral, int(r.period)): float(r.quantity) for r in self.orders.itertuples()}

    @staticmethod
    def empty(status: str, solve: SolveResult, conflicts: list[str] | None = None) -> "Plan":
        """A plan without orders, for a run that has none (``status`` infeasible or error), with the conflicts found."""
        return Plan(status, None, {}, pd.DataFrame(columns=ORDER_COLUMNS), pd.DataFrame(columns=FUNDING_COLUMNS),
                    pd.DataFrame(columns=STOCK_COLUMNS), solve, conflicts=conflicts or [])
