"""The model's size from the data (optimizer/solving/size.py): exact or above the built model, and a refusal
before building when it cannot fit in memory (issue 18, item 6)."""

from __future__ import annotations

import dataclasses

import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from models import build_model
from models.results import model_size
from optimizer.solving import session
from optimizer.solving import size
from optimizer.cli import main
from optimizer.intake.generate import SIZES, write_generated_workbook
from optimizer.pipeline import load
from optimizer.solving.size import BYTES_PER_COLUMN, estimate
from workbooks import base_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[2]
GB = 1e9


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def varied_sheets() -> dict:
    """Every part of the model that adds columns or rows: discounts, two sources (one with a window and
    budgets), scenarios (two with the same loss, one elsewhere), pipeline, targets, a change penalty, a
    market cap (ga)."""
    sheets = base_sheets(num_periods=6)
    sheets["Settings"]["change_penalty"] = 1
    sheets["Minerals"][0].update(world_supply=40, max_market_share=0.5)
    sheets["Minerals"].append({"mineral": "ge", "shortfall_penalty": 200, "max_supplier_share": 0.7})
    sheets["Suppliers"].append({"supplier": "S2", "country": "China"})
    sheets["Offers"] += [{"supplier": "S2", "mineral": "ga", "unit_price": 8, "lead_time": 1},
                         {"supplier": "S2", "mineral": "ge", "unit_price": 30, "first_period": 2, "last_period": 4}]
    sheets["Discounts"] = [{"supplier": "S2", "mineral": "ga", "min_quantity": 50, "discount": 0.1},
                           {"supplier": "S2", "mineral": "ga", "min_quantity": 100, "discount": 0.2}]
    sheets["Funding"].append({"source": "F2", "amount": 500, "first_period": 3, "excluded_countries": "China"})
    sheets["Budgets"] = [{"source": "F2", "period": 3, "amount": 100}]
    sheets["Demand"] = [{"mineral": m, "period": t, "quantity": 5} for m in ("ga", "ge") for t in (2, 4, 6)]
    sheets["Targets"] = [{"mineral": "ge", "period": 6, "min_stock": 3}]
    sheets["Pipeline"] = [{"supplier": "S1", "mineral": "ge", "period": 1, "quantity": 2}]
    sheets["Scenarios"] = [
        {"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 2, "last_period": 4},
        {"scenario": "ban again", "probability": 0.1, "country": "China", "first_period": 2, "last_period": 4},
        {"scenario": "elsewhere", "probability": 0.1, "country": "Chile", "first_period": 1, "last_period": 6}]
    return sheets


@pytest.mark.parametrize("case", ["example", "S", "varied", "flows"])
def test_the_estimate_is_at_least_the_built_model_and_exact_in_columns_where_nothing_merges(tmp_path, case):
    """The shipped example, a generated S workbook and a workbook using every part of the model: the
    estimated columns are never fewer than the built model's, and rows never fewer either. Where no two
    scenarios share their stock (not the varied case: 'ban' and 'ban again' lose the same, and base and
    'elsewhere' are one class for ge, delivered from Canada only), the columns are exact."""
    path = {"example": ROOT / "inputs" / "example.xlsx",
            "S": tmp_path / "S.xlsx", "varied": tmp_path / "varied.xlsx", "flows": tmp_path / "flows.xlsx"}[case]
    if case == "S":
        write_generated_workbook(path, SIZES["S"])
    elif case == "flows":  # Sales rows and decaying minerals (issue 14)
        write_generated_workbook(path, dataclasses.replace(SIZES["S"], sales=6, decaying=4))
    elif case == "varied":
        write_workbook(path, varied_sheets())
    data, _ = load(path)
    estimated, built = estimate(data), model_size(build_model(data, previous_orders={}))
    assert estimated.columns >= built["variables"] and estimated.rows >= built["constraints"]
    if case != "varied":
        assert estimated.columns == built["variables"]
    assert estimated.columns <= 1.5 * built["variables"]


def test_the_generated_xl_workbook_is_estimated_without_building_and_fits_far_below_24_gb(tmp_path, monkeypatch):
    """XL (60 minerals x 30 suppliers x 120 periods, 10 scenarios) built had 180,566 columns before the
    release rule (docs/performance.md); serve_first adds at most one yes/no per stock class and period with
    demand, 28,920 more: 209,486 x 8,500 bytes = 1.78 GB, refused on no machine with more than that
    available (24 GB here: a tenth of it would do)."""
    monkeypatch.setattr(session, "build_model", lambda *args, **kwargs: pytest.fail("the model was built"))
    data, _ = load(write_generated_workbook(tmp_path / "XL.xlsx", SIZES["XL"]))
    estimated = estimate(data)
    assert estimated.columns == 180_566 + 28_920
    assert estimated.memory_bytes == pytest.approx(209_486 * BYTES_PER_COLUMN) and estimated.memory_bytes < 4 * GB
    monkeypatch.setattr(size, "available_memory", lambda: 4 * GB)
    assert size.too_large(data, tmp_path / "XL.xlsx") is None


def ten_million_periods(tmp_path: Path) -> Path:
    """One offer orderable in each of 10,000,000 periods; a demand and a target in periods of cover."""
    sheets = base_sheets(num_periods=10_000_000)
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    sheets["Targets"] = [{"mineral": "ga", "period": 1, "cover_periods": 2}]
    return write_workbook(tmp_path / "long horizon.xlsx", sheets)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_ten_million_periods_are_refused_before_building_with_both_figures(tmp_path, monkeypatch, command):
    """Columns: per period an order, its yes/no and one source paying it (3 x 10^7), the stock
    (10^7), the one unmet demand, its release rule's yes/no (serve_first) and the supplier: 40,000,003.
    At 8,500 bytes each: 340 GB, against
    16 GB available (patched, so the test means the same on every machine). Exit 2 before any
    model is built, and reading, validating and estimating stay small: under 50 MB at their peak."""
    monkeypatch.setattr(size, "available_memory", lambda: 16 * GB)
    monkeypatch.setattr(session, "build_model", lambda *args, **kwargs: pytest.fail("the model was built"))
    path = ten_million_periods(tmp_path)
    tracemalloc.start()
    try:
        result = invoke(command, path, "--output", tmp_path / "plan.xlsx") if command == "run" \
            else invoke(command, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 2, result.output
    assert ("error: long horizon.xlsx: the model would have about 40,000,003 columns and 50,000,004 rows "
            in result.stderr), result.stderr
    assert "(10,000,000 order slots over 10,000,000 periods), needing about 340.0 GB of memory, and this machine " \
           "has 16.0 GB available; expected a model that fits: fewer periods (Settings num_periods)" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "plan.xlsx").exists()
    assert peak < 50_000_000


def test_available_memory_is_read_from_the_machine():
    available = size.available_memory()
    if not Path("/proc/meminfo").exists() and available is None:
        pytest.skip("no way to read the available memory here")
    assert available > 100e6
