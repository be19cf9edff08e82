"""A small re-planning case: one mineral, two suppliers, 5 t of demand in each of three quarters.

S1 (Canada) and S2 (Australia) both sell ga with no lead time; holding costs 1
per t and quarter, so the optimum buys each quarter's 5 t in that quarter from
the cheaper supplier. Tests move the prices and re-plan with
``optimizer.replan.replan.plan_input``, the function behind ``optimize run``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from workbooks import base_sheets, write_workbook

from optimizer.replan.history import History
from optimizer.replan.replan import Options, Outcome, plan_input


def sheets(s1_price: float = 10.0, s2_price: float = 12.0, **settings) -> dict:
    book = base_sheets(3)
    book["Settings"].update({"start_date": date(2027, 1, 1), "period_unit": "quarter", **settings})
    book["Minerals"][0]["holding_cost"] = 1
    book["Suppliers"].append({"supplier": "S2", "country": "Australia"})
    book["Offers"] = [{"supplier": "S1", "mineral": "ga", "unit_price": s1_price},
                      {"supplier": "S2", "mineral": "ga", "unit_price": s2_price}]
    book["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return book


def write(path: Path, **kw) -> Path:
    return write_workbook(path, sheets(**kw))


def replan(input_path: Path, tmp_path: Path, history: History | None = None, **options) -> Outcome:
    """Plan ``input_path`` into tmp_path/outputs, recording in ``history``; asserts a plan was written."""
    outcome = plan_input(input_path, Options(tmp_path / "outputs", **options), history)
    assert outcome.refusal is None and outcome.error is None, (outcome.refusal, outcome.error)
    assert outcome.exit_code == 0 and outcome.output is not None, outcome.result.plan.solve.message
    return outcome


def orders(outcome: Outcome) -> dict[tuple[str, int], float]:
    """{(supplier, period): quantity} of the plan."""
    return {(r.supplier, int(r.period)): round(float(r.quantity), 6)
            for r in outcome.result.plan.orders.itertuples() if r.quantity > 1e-7}
