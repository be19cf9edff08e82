"""Numerics: badly scaled inputs are warned about by cell, and no plan is written unchecked.

The scaling warnings (``optimizer.intake.numerics``) name the file, sheet, Excel row,
column and value of the cell at fault and the cell it is compared with. The
check before publishing (``optimizer.checker`` through ``pipeline._verify``)
is tested by corrupting the plan the model hands back: it must never be written.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.solving import session
from optimizer.cli import main
from optimizer.intake.generate import SIZES, write_generated_workbook
from optimizer.solving.bounds import order_bound_warnings
from optimizer.pipeline import load, run
from optimizer.contract.problems import WARNING
from workbooks import base_sheets, write_workbook

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def scaling(problems) -> list:
    return [p for p in problems if p.severity == WARNING and ("span" in p.expected or "1e+13" in p.expected)]


def warnings_of(tmp_path: Path, sheets: dict) -> list:
    data, warnings = load(write_workbook(tmp_path / "plan.xlsx", sheets))
    assert data is not None
    return scaling(warnings)


# ------------------------------------------------------------ scaling
def test_prices_spanning_more_than_a_million_times_warn_at_the_cell(tmp_path):
    """0.001 per t beside 10,000 per t: 1e7 times apart (a price per kg among prices per t?)."""
    sheets = base_sheets()
    sheets["Minerals"].append({"mineral": "ge", "shortfall_penalty": 100})
    sheets["Offers"][0]["unit_price"] = 0.001
    sheets["Offers"].append({"supplier": "S1", "mineral": "ge", "unit_price": 10_000})
    (warning,) = warnings_of(tmp_path, sheets)
    assert (warning.sheet, warning.row, warning.column, warning.value) == ("Offers", 3, "unit_price", 10_000)
    assert str(warning).startswith("warning: plan.xlsx, sheet 'Offers', row 3, column 'unit_price': found 10000; "
                                   "prices span 1e+07 times, from 0.001 (sheet 'Offers', row 2, column "
                                   "'unit_price') to 10000 here; expected at most 1e+06 times")


def test_price_updates_count_among_the_prices(tmp_path):
    sheets = base_sheets()
    sheets["Prices"] = [{"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 20_000_000}]
    (warning,) = warnings_of(tmp_path, sheets)
    assert (warning.sheet, warning.row, warning.column) == ("Prices", 2, "unit_price")


def test_quantities_of_one_mineral_spanning_more_than_a_million_times_warn(tmp_path):
    """Demand of 0.0001 t in period 1 and 1,000 t in period 2 of the same mineral."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 0.0001},
                        {"mineral": "ga", "period": 2, "quantity": 1000}]
    (warning,) = warnings_of(tmp_path, sheets)
    assert (warning.sheet, warning.row, warning.column, warning.value) == ("Demand", 3, "quantity", 1000)
    assert "quantities of ga span 1e+07 times, from 0.0001 (sheet 'Demand', row 2, column 'quantity')" in str(warning)


def test_quantities_of_different_minerals_are_not_compared(tmp_path):
    """Kilograms of one mineral beside kilotonnes of another meet in no constraint: no warning."""
    sheets = base_sheets()
    sheets["Minerals"].append({"mineral": "graphite", "shortfall_penalty": 100})
    sheets["Offers"].append({"supplier": "S1", "mineral": "graphite", "unit_price": 10})
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 0.0001},
                        {"mineral": "graphite", "period": 1, "quantity": 1000}]
    assert warnings_of(tmp_path, sheets) == []


def test_money_above_1e13_warns(tmp_path):
    sheets = base_sheets()
    sheets["Funding"][0]["amount"] = 2e13
    (warning,) = warnings_of(tmp_path, sheets)
    assert (warning.sheet, warning.row, warning.column) == ("Funding", 2, "amount")
    assert "this amount is above 1e+13" in str(warning)


def test_price_times_quantity_above_1e13_warns_at_the_price(tmp_path):
    """1e9 per t times a capacity of 1e5 t: orders worth 1e14."""
    sheets = base_sheets()
    sheets["Offers"][0].update(unit_price=1e9, max_per_period=1e5)
    sheets["Minerals"][0]["shortfall_penalty"] = 1e7
    (warning,) = warnings_of(tmp_path, sheets)
    assert (warning.sheet, warning.row, warning.column) == ("Offers", 2, "unit_price")
    assert "times the largest quantity of ga (100000, sheet 'Offers', row 2, column 'max_per_period') is 1e+14" \
        in str(warning)


def test_scaling_warnings_reach_the_command_line_and_the_plan_is_still_made(tmp_path):
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 0.0001},
                        {"mineral": "ga", "period": 2, "quantity": 1000}]
    result = invoke("run", write_workbook(tmp_path / "plan.xlsx", sheets), "--output", tmp_path / "out.xlsx")
    assert result.exit_code == 0
    assert "warning: plan.xlsx, sheet 'Demand', row 3, column 'quantity': found 1000; quantities of ga span" \
        in result.stderr


def test_well_scaled_workbooks_do_not_warn(tmp_path):
    """The shipped example and a generated workbook: no false alarms."""
    for path in (ROOT / "inputs" / "example.xlsx", write_generated_workbook(tmp_path / "S.xlsx", SIZES["S"])):
        data, warnings = load(path)
        assert data is not None and scaling(warnings) == [], path
        assert order_bound_warnings(data) == [], path


# ------------------------------------------------ the check before writing
@pytest.fixture
def corrupted_plans(monkeypatch):
    """The model's plan with its first order 1 t larger: its stock balance and costs no longer add up."""
    real = session.extract_plan

    def extract_then_corrupt(model, data, solve):
        plan = real(model, data, solve)
        orders = plan.orders.copy()
        orders.loc[orders.index[0], "quantity"] += 1.0
        return dataclasses.replace(plan, orders=orders)
    monkeypatch.setattr(session, "extract_plan", extract_then_corrupt)


def test_a_plan_the_checker_rejects_is_never_written(tmp_path, corrupted_plans):
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    sheets["Minerals"][0]["holding_cost"] = 1  # one optimal plan: 5 t ordered in each period
    source = write_workbook(tmp_path / "plan input.xlsx", sheets)
    output = tmp_path / "out" / "plan.xlsx"
    output.parent.mkdir()
    output.write_bytes(b"the previous plan")
    result = invoke("run", source, "--output", output, "--overwrite")
    assert result.exit_code == 1
    assert "error: the plan failed the independent check, so it was not written: " in result.stderr
    # The violations, named: 6 t ordered in period 1 where the costs and the stock balance say 5.
    assert "Orders row 2 (S1, ga, period 1): cost 50 != quantity x unit_price + order_cost 60" in result.stderr
    assert "Stock row 2 (base, ga, period 1): arrivals 5 != recomputed 6" in result.stderr
    assert output.read_bytes() == b"the previous plan"
    assert sorted(p.name for p in output.parent.iterdir()) == ["plan.xlsx"]  # no temporary file left


def test_corruption_is_caught_within_the_checker_tolerance(tmp_path, monkeypatch):
    """A plan off by far less than a unit (1e-9 t) is solver noise and is written; one off by 1 t is not."""
    real = session.extract_plan
    noise = {"size": 1e-9}

    def extract_with_noise(model, data, solve):
        plan = real(model, data, solve)
        return dataclasses.replace(plan, orders=plan.orders.assign(quantity=plan.orders["quantity"] + noise["size"]))
    monkeypatch.setattr(session, "extract_plan", extract_with_noise)
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    # --no-history: against a previous plan the stability pass would read the plan from the model again.
    assert invoke("run", source, "--output", tmp_path / "noisy.xlsx", "--no-history").exit_code == 0
    noise["size"] = 1.0
    assert invoke("run", source, "--output", tmp_path / "wrong.xlsx", "--no-history").exit_code == 1
    assert not (tmp_path / "wrong.xlsx").exists()
    assert isinstance(pd.read_excel(tmp_path / "noisy.xlsx", sheet_name="Orders"), pd.DataFrame)


# ------------------------------------------------ order bounds (big-M)
def test_a_big_m_above_a_million_times_the_smallest_quantity_is_warned_and_reaches_the_workbook(tmp_path):
    """Demand of 0.001 t in period 1 and 2,000 t in period 2: an order in period 1 may need 2,000.001 t, over
    1e6 times the smallest quantity of ga (0.001 t). The warning names the offer and both figures, and the
    result workbook's Warnings sheet carries it. (The quantity span warning fires as well.)"""
    sheets = base_sheets(2)
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 0.001},
                        {"mineral": "ga", "period": 2, "quantity": 2_000}]
    source = write_workbook(tmp_path / "big m.xlsx", sheets)
    output = tmp_path / "plan.xlsx"
    result = run(source, output_path=output)
    big_m = [w for w in result.warnings if "can reach" in w.expected]
    assert len(big_m) == 1
    assert big_m[0].sheet == "Offers"
    assert "an order of ga from S1 can reach 2e+03 t" in big_m[0].expected
    assert "2e+06 times the smallest quantity of ga (0.001 t, demand in period 1)" in big_m[0].expected
    sheet = pd.read_excel(output, sheet_name="Warnings", engine="openpyxl")
    assert any("an order of ga from S1 can reach" in text for text in sheet["warning"])


def test_bounded_orders_do_not_warn(tmp_path):
    """The same workbook with demand 1 t in period 1: 2,001 t is 2,001 times the smallest quantity."""
    sheets = base_sheets(2)
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 1},
                        {"mineral": "ga", "period": 2, "quantity": 2_000}]
    data, _ = load(write_workbook(tmp_path / "fine.xlsx", sheets))
    assert order_bound_warnings(data) == []


def test_round_off_money_on_an_order_not_placed_is_no_payment(tmp_path, monkeypatch):
    """A plan stopped at the gap once paid 0.00015 USD towards an order it did not place (the solver's
    round-off on a payment variable, 1e-10 in the model's money unit) and the independent check refused the
    whole plan for it ("pays ... for no order"). Money is read back only for orders placed: the plan is written."""
    real = session.extract_plan
    touched = []

    def extract_with_round_off(model, data, solve):
        for source, supplier, mineral, period in model.FUNDING_SLOTS:
            if model.IsOrdered[supplier, mineral, period].value < 0.5:
                model.Spend[source, supplier, mineral, period].set_value(1.5e-4 / model.facts.money_unit)
                touched.append((supplier, mineral, period))
                break
        return real(model, data, solve)
    monkeypatch.setattr(session, "extract_plan", extract_with_round_off)
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 1, "quantity": 5}]
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    result = invoke("run", source, "--output", tmp_path / "plan.xlsx", "--no-history")
    assert touched and result.exit_code == 0, result.stderr
    funding = pd.read_excel(tmp_path / "plan.xlsx", sheet_name="Funding", engine="openpyxl")
    paid_for = set(zip(funding["supplier"], funding["mineral"], funding["period"]))
    assert touched[0] not in paid_for and len(paid_for) == 1  # the one order placed, and nothing else
