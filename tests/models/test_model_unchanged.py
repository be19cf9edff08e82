"""A workbook without the sheets of issue 14 (ScenarioDemand, Conversions) builds the model it built before
them: the same rows, columns and coefficients, written as an LP file.

``golden/no_new_sheets.lp`` is the LP file of ``fixture_book`` as the engine wrote it before issue 14
(commit a17c7b5): two minerals, two suppliers, a lead time, an order cost, a min_order, storage, a
target and a China ban. Regenerate it only for a change that is meant to alter every model.
"""

from __future__ import annotations

from pathlib import Path

from workbooks import base_sheets, write_workbook

from models import build_model
from optimizer.pipeline import load
from optimizer.solving.highs import write_lp

GOLDEN = Path(__file__).parent / "golden" / "no_new_sheets.lp"


def fixture_book() -> dict:
    book = base_sheets(3)
    book["Minerals"] = [
        {"mineral": "ga", "unit": "t", "shortfall_penalty": 100, "holding_cost": 1, "initial_stock": 2},
        {"mineral": "ge", "unit": "kg", "shortfall_penalty": 50, "holding_cost": 0.5, "max_stock": 40}]
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"] += [{"supplier": "S2", "mineral": "ga", "unit_price": 8, "lead_time": 1, "order_cost": 5},
                       {"supplier": "S2", "mineral": "ge", "unit_price": 3, "min_order": 2}]
    book["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)] + [
        {"mineral": "ge", "period": 3, "quantity": 7}]
    book["Targets"] = [{"mineral": "ga", "period": 3, "min_stock": 3}]
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.2, "country": "China", "first_period": 2,
                          "last_period": 3, "supply_loss": 1}]
    return book


def test_a_workbook_without_the_new_sheets_builds_the_model_it_built_before(tmp_path):
    data, _ = load(write_workbook(tmp_path / "fixture.xlsx", fixture_book()))
    write_lp(build_model(data), tmp_path / "now.lp")
    assert (tmp_path / "now.lp").read_text() == GOLDEN.read_text()
