"""Run a small workbook through the whole pipeline and check its plan independently.

``solve(tmp_path, sheets)`` writes ``sheets`` (see ``workbooks.write_workbook``)
to a workbook in ``tmp_path``, runs ``optimizer.pipeline.run`` with the result
workbook in ``tmp_path`` too, and - whenever a plan was written - asserts that
the independent checker (``optimizer.checker``, no Pyomo) finds nothing wrong
with it before handing back the ``RunResult``. Every plan the model tests see
has been through that check.

Helpers for the sheets themselves (``demand``, ``offer``...) keep the tests short.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

# tests/models has no __init__.py: when the project root is not on
# sys.path (plain ``pytest`` rather than ``python -m pytest``), ``import models``
# would find tests/models as a namespace package. Any entry holding the real
# package wins over a namespace portion, so appending the root is enough.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

import pytest  # noqa: E402
from workbooks import base_sheets, write_workbook  # noqa: E402

from optimizer.checker import check_result_workbook  # noqa: E402
from optimizer.pipeline import RunResult, run  # noqa: E402
from optimizer.contract.results import OPTIMAL  # noqa: E402

REL = 1e-6
_counter = itertools.count()


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL, abs=1e-6)


def run_case(tmp_path: Path, sheets: dict) -> RunResult:
    """Write, run and (when a plan was written) independently check one workbook."""
    n = next(_counter)
    source = write_workbook(Path(tmp_path) / f"case{n}.xlsx", sheets)
    output = Path(tmp_path) / f"case{n}_plan.xlsx"
    result = run(source, output_path=output, outputs_dir=Path(tmp_path))
    if result.output is not None:
        assert result.output == output and output.exists()
        assert check_result_workbook(output, result.data) == []
    else:
        assert not output.exists(), "no plan, yet a result workbook was written"
    return result


def solve(tmp_path: Path, sheets: dict):
    """The optimal, independently checked plan of ``sheets``."""
    result = run_case(tmp_path, sheets)
    plan = result.plan
    assert plan.status == OPTIMAL, (plan.status, plan.solve.message, plan.conflicts)
    assert result.exit_code == 0
    assert result.output is not None
    return plan


def sheets(num_periods: int = 3, **changes) -> dict:
    """``base_sheets(num_periods)`` with whole sheets replaced or added (``Demand=[...]``)."""
    book = base_sheets(num_periods)
    for name, rows in changes.items():
        book[name] = rows
    return book


def ban_book(china_price: float = 8) -> dict:
    """One period, 10 t of ga, C (China) at ``china_price``, K (Canada) at 12, shortfall_penalty 30; 'ban'
    (probability 0.1) loses China's arrivals (tests/analysis/test_uncertainty.py works it out by hand)."""
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": 10}])
    book["Minerals"][0]["shortfall_penalty"] = 30
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": china_price},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 1,
                          "last_period": 1}]
    return book


def demand(*quantities: float, mineral: str = "ga") -> list[dict]:
    """Demand rows: quantity q in period t for ``demand(q1, q2, ...)``; zeros are left out."""
    return [{"mineral": mineral, "period": t, "quantity": q} for t, q in enumerate(quantities, 1) if q]


def ordered(plan, supplier: str | None = None, period: int | None = None, mineral: str = "ga") -> float:
    """Total quantity of the plan's orders matching supplier/period (None: any)."""
    orders = plan.orders
    mask = orders["mineral"] == mineral
    if supplier is not None:
        mask &= orders["supplier"] == supplier
    if period is not None:
        mask &= orders["period"] == period
    return float(orders.loc[mask, "quantity"].sum())


def order_map(plan, mineral: str = "ga") -> dict[tuple[str, int], float]:
    """{(supplier, period): quantity} of the plan's orders with a positive quantity."""
    rows = plan.orders[plan.orders["mineral"] == mineral]
    return {(r.supplier, int(r.period)): float(r.quantity) for r in rows.itertuples() if r.quantity > 1e-7}


def stock_of(plan, period: int, scenario: str = "base", mineral: str = "ga", column: str = "stock") -> float:
    s = plan.stock
    row = s[(s["scenario"] == scenario) & (s["mineral"] == mineral) & (s["period"] == period)]
    assert len(row) == 1
    return float(row[column].iloc[0])


def funded(plan, source: str) -> float:
    f = plan.funding
    return float(f.loc[f["source"] == source, "amount"].sum())


def optimum(data) -> float:
    """The optimal objective of ``data`` solved in memory (no workbook: nothing to check), in currency.

    For property tests that compare many variants of one checked instance: building a
    ``PlanningData`` variant with ``dataclasses.replace`` skips writing and reading workbooks.
    """
    from models import build_model
    from optimizer.solving.highs import solve_model

    model = build_model(data)
    result = solve_model(model, 0.0, 60.0)
    assert result.status == OPTIMAL, (result.status, result.message)
    return result.objective * model.facts.money_unit


def build_or_buy(capex: float, **project) -> dict:
    """Build versus buy (tests/models/test_model_projects.py says why): ga over 4 periods, 10 t demanded in
    each of periods 3 and 4 (shortfall_penalty 1,000); S1 (Canada) at 100 per t; the plant (Plant, United
    States) at 20 per t, at most 10 t a period, once project P is built: capex ``capex``, build_periods 2,
    decided in period 1 (first_period = last_period = 1), life_periods 4. Keys of ``project`` change P's row."""
    book = sheets(4, Demand=demand(0, 0, 10, 10))
    book["Minerals"][0]["shortfall_penalty"] = 1_000
    book["Offers"][0]["unit_price"] = 100
    book["Suppliers"].append({"supplier": "Plant", "country": "United States"})
    book["Offers"].append({"supplier": "Plant", "mineral": "ga", "unit_price": 20, "max_per_period": 10})
    book["Projects"] = [{"project": "P", "supplier": "Plant", "capex": capex, "build_periods": 2,
                         "first_period": 1, "last_period": 1, "life_periods": 4, **project}]
    return book


def floored_book(floor_price: float | None = 8) -> dict:
    """Demand 10 t in periods 2 and 3. K1: ga from S1 at 5, lead time 1, at most 6 t a period (ordered in 1
    and 2: 12 t at most), no minimum, signing 5, ``floor_price``. 'spike' (p = 0.25) raises Canada's prices
    x1.2 in every period: the offer's expected price 0.75 x 10 + 0.25 x 12 = 10.5."""
    contract = {"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 5, "lead_time": 1,
                "max_per_period": 6, "max_quantity": 20, "signing_cost": 5}
    if floor_price is not None:
        contract["floor_price"] = floor_price
    return canada_priced(sheets(3, Demand=demand(0, 10, 10), Contracts=[contract]), "spike", 0.25, 1.2)


def canada_priced(book: dict, scenario: str, probability: float, factor: float) -> dict:
    """``book`` with a price-only scenario (no loss) moving Canada's prices by ``factor`` in every period."""
    book["Scenarios"] = [{"scenario": scenario, "probability": probability, "country": "Canada", "first_period": 1,
                          "last_period": 1, "supply_loss": 0}]
    book["ScenarioPrices"] = [{"scenario": scenario, "country": "Canada", "first_period": 1,
                               "last_period": book["Settings"]["num_periods"], "factor": factor}]
    return book


def china_contract_book() -> dict:
    """ga over 3 periods, 10 t demanded in period 3 (shortfall_penalty 100, holding 0); the offer K (Canada)
    at 10; contract C1 with C (China) at 4 a t, delivered only in period 2 (lead time 1: arriving in 3), at most
    6 t; 'ban' (0.5) loses China's arrivals in period 3, known then."""
    book = sheets(3, Demand=demand(0, 0, 10))
    book["Settings"]["recourse"] = "yes"
    book["Suppliers"] = [{"supplier": "K", "country": "Canada"}, {"supplier": "C", "country": "China"}]
    book["Offers"] = [{"supplier": "K", "mineral": "ga", "unit_price": 10}]
    book["Contracts"] = [{"contract": "C1", "supplier": "C", "mineral": "ga", "unit_price": 4, "lead_time": 1,
                          "max_per_period": 6, "first_period": 2, "last_period": 2}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.5, "country": "China", "first_period": 3,
                          "last_period": 3, "supply_loss": 1}]
    return book


def smelt_book(probability: float, lead_time: int) -> dict:
    """Conversions with recourse (tests/models/test_model_recourse_conversions.py): three periods, 5 t of fecr
    demanded in period 3, 10 t of ore in stock (held at no cost); C (China) sells fecr at 20, K (Canada) at 40;
    ``smelt`` turns ore into fecr (yield 0.5, unit_cost 12, ``lead_time``); 'ban' (``probability``) loses
    China's arrivals in period 3, told apart then; fecr held at 5."""
    book = sheets(3, Demand=[{"mineral": "fecr", "period": 3, "quantity": 5}])
    book["Settings"]["recourse"] = "yes"
    book["Minerals"] = [{"mineral": "ore", "unit": "t", "shortfall_penalty": 100, "initial_stock": 10},
                        {"mineral": "fecr", "unit": "t", "shortfall_penalty": 100, "holding_cost": 5}]
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "fecr", "unit_price": 20},
                      {"supplier": "K", "mineral": "fecr", "unit_price": 40}]
    book["Conversions"] = [{"conversion": "smelt", "from_mineral": "ore", "to_mineral": "fecr", "yield": 0.5,
                            "unit_cost": 12, "lead_time": lead_time}]
    book["Scenarios"] = [{"scenario": "ban", "probability": probability, "country": "China", "first_period": 3,
                          "last_period": 3, "supply_loss": 1}]
    return book
