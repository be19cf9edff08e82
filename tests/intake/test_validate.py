"""The validate stage: every rule of the workbook contract, one test per class of error.

Each test builds the smallest valid plan (``base_sheets()``), breaks one thing
and checks the problem found: its fields (file, sheet, Excel row, column, value)
and its message, which must name all of them and say what was expected.
``write_workbook`` puts the header in row 1, so the first data row is row 2.
Nothing here solves a model; the last tests drive the CLI on refused inputs.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.contract.problems import ERROR, WARNING, Problem, show_value
from optimizer.intake.reader import read_input
from optimizer.intake.validate import validate
from inputcheck import errors, only, read_and_validate
from workbooks import base_sheets, write_workbook

OFFER = {"supplier": "S1", "mineral": "ga", "unit_price": 10}


# ------------------------------------------------------------------ helpers
def check(tmp_path: Path, sheets: dict, name: str = "plan.xlsx"):
    """Write ``sheets``, read and validate them: (data or None, every problem)."""
    return read_and_validate(write_workbook(tmp_path / name, sheets))


def assert_names(problem: Problem, sheet: str, row: int, column: str, value: object, expected: str,
                 file: str = "plan.xlsx") -> None:
    """The problem points at the cell and its message says where, what was found and what was expected."""
    assert (Path(problem.file).name, problem.sheet, problem.row, problem.column) == (file, sheet, row, column)
    assert problem.value == value and problem.has_value
    message = str(problem)
    assert f"{file}, sheet '{sheet}', row {row}, column '{column}': found {show_value(value)}; " in message
    assert expected in message


def valid(tmp_path: Path, sheets: dict):
    data, problems = check(tmp_path, sheets)
    assert errors(problems) == [], "\n".join(map(str, problems))
    return data


# -------------------------------------------------------------------- cells
def test_text_where_a_number_belongs(tmp_path):
    sheets = base_sheets()
    sheets["Offers"][0]["unit_price"] = "ten"
    data, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'ten'"), "Offers", 2, "unit_price", "ten", "expected a number > 0")
    assert data is None


def test_date_where_a_number_belongs(tmp_path):
    sheets = base_sheets()
    sheets["Minerals"][0]["initial_stock"] = datetime(2025, 3, 1)  # Excel turned "3/1" into a date
    _, problems = check(tmp_path, sheets)
    problem = only(problems, "the date 2025-03-01")
    assert_names(problem, "Minerals", 2, "initial_stock", datetime(2025, 3, 1), "expected a number >= 0")
    assert "not a date" in str(problem)


def test_logical_value_where_a_number_belongs(tmp_path):
    sheets = base_sheets()
    sheets["Suppliers"][0]["risk_score"] = True
    _, problems = check(tmp_path, sheets)
    problem = only(problems, "TRUE")
    assert_names(problem, "Suppliers", 2, "risk_score", True, "expected a number >= 0 and <= 1")
    assert "not a logical value" in str(problem)


def test_non_whole_number_in_a_whole_number_column(tmp_path):
    sheets = base_sheets()
    sheets["Offers"][0]["lead_time"] = 1.5
    sheets["Demand"] = [{"mineral": "ga", "period": 2.5, "quantity": 4}]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "1.5"), "Offers", 2, "lead_time", 1.5, "expected a whole number >= 0")
    assert_names(only(problems, "2.5"), "Demand", 2, "period", 2.5, "expected a whole number >= 1")
    assert len(errors(problems)) == 2


@pytest.mark.parametrize("sheet, column, value, expected", [
    ("Minerals", "initial_stock", -1, "expected a number >= 0"),
    ("Minerals", "max_supplier_share", 1.5, "expected a number >= 0 and <= 1"),
    ("Minerals", "world_supply", -5, "expected a number >= 0"),
    ("Minerals", "max_market_share", 1.2, "expected a number >= 0 and <= 1"),
    ("Offers", "unit_price", 0, "expected a number > 0"),
    ("Offers", "lead_time", -1, "expected a whole number >= 0"),
    ("Discounts", "discount", 1, "expected a number >= 0 and < 1"),
    ("Discounts", "min_quantity", 0, "expected a number > 0"),
    ("Scenarios", "probability", 1.2, "expected a number >= 0 and <= 1"),
    ("Commitments", "quantity", 0, "expected a number > 0"),
])
def test_value_out_of_range(tmp_path, sheet, column, value, expected):
    sheets = base_sheets()
    sheets["Discounts"] = [{"supplier": "S1", "mineral": "ga", "min_quantity": 100, "discount": 0.05}]
    sheets["Scenarios"] = [{"scenario": "cut", "probability": 0.1, "country": "Canada", "first_period": 1,
                            "last_period": 2}]
    sheets["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 5}]
    sheets[sheet][0][column] = value
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, expected), sheet, 2, column, value, expected)
    assert len(errors(problems)) == 1


def test_setting_out_of_range_names_the_key(tmp_path):
    sheets = base_sheets()
    sheets["Settings"]["time_limit_s"] = 0  # row 4: num_periods, mip_gap, time_limit_s
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "time_limit_s"), "Settings", 4, "value", 0, "expected time_limit_s to be a number > 0")


def test_max_market_share_setting_out_of_range_names_the_key(tmp_path):
    sheets = base_sheets()
    sheets["Settings"]["max_market_share"] = -0.1  # row 5: num_periods, mip_gap, time_limit_s, max_market_share
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "max_market_share"), "Settings", 5, "value", -0.1,
                 "expected max_market_share to be a number >= 0 and <= 1")


def test_max_market_share_without_world_supply_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Minerals"][0]["max_market_share"] = 0.3
    data, problems = check(tmp_path, sheets)
    assert_names(only(problems, "no effect without world_supply", WARNING), "Minerals", 2, "max_market_share", 0.3,
                 "expected a world_supply beside it")
    assert data is not None and data.market_cap("ga") is None


def test_required_cell_left_blank(tmp_path):
    sheets = base_sheets()
    sheets["Suppliers"].append({"supplier": "S2", "country": None, "risk_score": 0.5})
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "required"), "Suppliers", 3, "country", None, "expected a text (required)")
    assert "found a blank cell" in str(only(problems, "required"))


@pytest.mark.parametrize("key, value, choices", [("period_unit", "week", "month, quarter, year"),
                                                  ("release_rule", "hold", "serve_first, optimal")])
def test_value_not_among_the_choices(tmp_path, key, value, choices):
    sheets = base_sheets()
    sheets["Settings"][key] = value  # row 5
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, f"'{value}'"), "Settings", 5, "value", value,
                 f"expected {key} to be one of {choices}")


def test_release_rule_is_read_in_any_case(tmp_path):
    sheets = base_sheets()
    sheets["Settings"]["release_rule"] = " Optimal "
    assert valid(tmp_path, sheets).settings.release_rule == "optimal"


@pytest.mark.parametrize("value, expected", [(-1, "expected a number >= 0"), ("high", "expected a number >= 0")])
def test_target_penalty_must_be_a_number_at_least_zero(tmp_path, value, expected):
    sheets = base_sheets()
    sheets["Minerals"][0]["target_penalty"] = value  # row 2
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "target_penalty"), "Minerals", 2, "target_penalty", value, expected)
    assert len(errors(problems)) == 1


def test_target_penalty_given_and_its_default(tmp_path):
    """base_sheets: 3 periods, shortfall_penalty 100: the default target_penalty is 100 / (3 + 1) = 25."""
    sheets = base_sheets()
    assert valid(tmp_path, sheets).minerals["ga"].target_penalty == 25.0
    sheets["Minerals"][0]["target_penalty"] = 7
    assert valid(tmp_path, sheets).minerals["ga"].target_penalty == 7.0


def test_numbers_stored_as_text_are_accepted(tmp_path):
    sheets = base_sheets()
    sheets["Settings"]["num_periods"] = "3"
    sheets["Offers"][0].update(unit_price="12.5", lead_time=" 1 ", max_per_period="1e3")
    data = valid(tmp_path, sheets)
    offer = data.offers[("S1", "ga")]
    assert (data.settings.num_periods, offer.unit_price, offer.lead_time, offer.max_per_period) == (3, 12.5, 1, 1000)


def test_number_text_with_separators_is_refused(tmp_path):
    """'1,000' or '1_000' are not numbers to the engine (1,000 could be 1.000 in another locale)."""
    sheets = base_sheets()
    sheets["Funding"][0]["amount"] = "1,000"
    sheets["Offers"][0]["unit_price"] = "1_000"
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'1,000'"), "Funding", 2, "amount", "1,000", "expected a number >= 0")
    assert_names(only(problems, "'1_000'"), "Offers", 2, "unit_price", "1_000", "expected a number > 0")


def test_defaults_are_applied_to_blank_and_absent_cells(tmp_path):
    sheets = {
        "Settings": {"num_periods": 4},
        "Minerals": [{"mineral": "ga"}, {"mineral": "ge", "unit": "kg", "shortfall_penalty": None}],
        "Suppliers": [{"supplier": "S1", "country": "Canada"}, {"supplier": "S2", "country": "Chile"}],
        "Offers": [{"supplier": "S1", "mineral": "ga", "unit_price": 10},
                   {"supplier": "S2", "mineral": "ga", "unit_price": 12.5},
                   {"supplier": "S2", "mineral": "ge", "unit_price": 3}],
        "Funding": [{"source": "F1", "amount": 100}],
        "Countries": [{"country": "Chile"}],
        "Scenarios": [{"scenario": "cut", "probability": 0.2, "country": "Chile", "first_period": 2,
                       "last_period": 3}],
    }
    data = valid(tmp_path, sheets)
    settings = data.settings
    assert (settings.period_unit, settings.start_date, settings.currency, settings.risk_weight,
            settings.mip_gap, settings.time_limit_s, settings.release_rule) == \
        ("quarter", None, "USD", 0.0, 1e-4, 600.0, "serve_first")
    ga, ge = data.minerals["ga"], data.minerals["ge"]
    assert (ga.unit, ga.initial_stock, ga.holding_cost, ga.max_stock, ga.max_supplier_share, ga.max_avg_risk) == \
        ("t", 0.0, 0.0, None, 1.0, 1.0)
    assert ga.shortfall_penalty == 125.0  # 10 x the highest unit_price of ga (12.5)
    assert (ge.unit, ge.shortfall_penalty) == ("kg", 30.0)
    assert ga.target_penalty == 25.0 and ge.target_penalty == 6.0  # shortfall_penalty / (4 periods + 1)
    s1 = data.suppliers["S1"]
    assert (s1.risk_score, s1.onboarding_cost) == (0.0, 0.0)
    offer = data.offers[("S1", "ga")]
    assert (offer.lead_time, offer.min_order, offer.max_per_period, offer.order_cost, offer.first_period,
            offer.last_period, offer.prices, offer.discounts) == (0, 0.0, None, 0.0, 1, 4, {}, ())
    fund = data.funding["F1"]
    assert (fund.first_period, fund.last_period, fund.cost_rate, fund.excluded_countries, fund.minerals,
            fund.budgets) == (1, 4, 0.0, frozenset(), None, {})
    assert data.country_max_share == {"Chile": 1.0}
    assert data.scenarios[0].disruptions[0].supply_loss == 1.0
    assert [(s.name, s.probability) for s in data.all_scenarios] == [("base", 0.8), ("cut", 0.2)]


def test_dates_are_read_from_date_cells_and_iso_text(tmp_path):
    sheets = base_sheets()
    sheets["Settings"]["start_date"] = datetime(2026, 1, 1)
    assert valid(tmp_path, sheets).settings.start_date == date(2026, 1, 1)
    sheets["Settings"]["start_date"] = "2026-04-01"
    assert valid(tmp_path, sheets).settings.start_date == date(2026, 4, 1)
    sheets["Settings"]["start_date"] = "next spring"  # row 5
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "next spring"), "Settings", 5, "value", "next spring",
                 "expected start_date to be a date (YYYY-MM-DD)")


def test_list_cells_are_split_on_commas(tmp_path):
    sheets = base_sheets()
    sheets["Minerals"].append({"mineral": "ge", "shortfall_penalty": 50})
    sheets["Funding"][0].update(excluded_countries="China, Russia", minerals=" ga,ge ,")
    fund = valid(tmp_path, sheets).funding["F1"]
    assert fund.excluded_countries == frozenset({"China", "Russia"})
    assert fund.minerals == frozenset({"ga", "ge"})


# ------------------------------------------------------------------- sheets
def test_required_sheet_missing(tmp_path):
    sheets = base_sheets()
    del sheets["Funding"]
    data, problems = check(tmp_path, sheets)
    problem = only(problems, "'Funding' is missing")
    assert Path(problem.file).name == "plan.xlsx"
    assert str(problem).startswith("error: plan.xlsx: the required sheet 'Funding' is missing; expected a sheet "
                                   "with columns source, amount")
    assert data is None


def test_required_column_missing(tmp_path):
    sheets = base_sheets()
    del sheets["Offers"][0]["unit_price"]
    _, problems = check(tmp_path, sheets)
    problem = only(problems, "required column")
    assert (Path(problem.file).name, problem.sheet, problem.row, problem.column) == \
        ("plan.xlsx", "Offers", 1, "unit_price")
    assert "plan.xlsx, sheet 'Offers', row 1, column 'unit_price': the required column 'unit_price' is missing; " \
           "expected a header row with supplier, mineral, unit_price" in str(problem)


def test_required_sheet_without_rows(tmp_path):
    path = write_workbook(tmp_path / "plan.xlsx", {k: v for k, v in base_sheets().items() if k != "Funding"})
    book = openpyxl.load_workbook(path)
    book.create_sheet("Funding").append(["source", "amount"])  # header only
    book.save(path)
    raw, _ = read_input(path)
    _, problems = validate(raw)
    problem = only(problems.items, "no rows")
    assert (Path(problem.file).name, problem.sheet) == ("plan.xlsx", "Funding")
    assert "plan.xlsx, sheet 'Funding': the sheet 'Funding' has no rows; expected at least one" in str(problem)


@pytest.mark.parametrize("sheet, row, column, value, key", [
    ("Minerals", {"mineral": "ga", "shortfall_penalty": 5}, "mineral", "ga", "(ga)"),
    ("Suppliers", {"supplier": "S1", "country": "Chile"}, "supplier", "S1", "(S1)"),
    ("Offers", {"supplier": "S1", "mineral": "ga", "unit_price": 11}, "mineral", "ga", "(S1, ga)"),
    ("Funding", {"source": "F1", "amount": 5}, "source", "F1", "(F1)"),
    ("Prices", {"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 12}, "period", 2, "(S1, ga, 2)"),
    ("Targets", {"mineral": "ga", "period": 2, "min_stock": 9}, "period", 2, "(ga, 2)"),
    ("Discounts", {"supplier": "S1", "mineral": "ga", "min_quantity": 50, "discount": 0.2}, "min_quantity", 50,
     "(S1, ga, 50)"),
    ("Budgets", {"source": "F1", "period": 1, "amount": 9}, "period", 1, "(F1, 1)"),
    ("Countries", {"country": "Canada", "max_share": 0.4}, "country", "Canada", "(Canada)"),
])
def test_key_given_twice(tmp_path, sheet, row, column, value, key):
    sheets = base_sheets()
    # base_sheets() already has the key in row 2 of Minerals, Suppliers, Offers and Funding.
    sheets[sheet] = sheets[sheet] + [row] if sheet in sheets else [row, dict(row)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "given twice"), sheet, 3, column, value,
                 f"{key} is given twice, in rows 2 and 3; expected each")
    assert len(errors(problems)) == 1


def test_setting_given_twice(tmp_path):
    path = write_workbook(tmp_path / "plan.xlsx", base_sheets())
    book = openpyxl.load_workbook(path)
    book["Settings"].append(["MIP_GAP", 0.01])  # row 5, same key as row 3 once case is ignored
    book.save(path)
    raw, _ = read_input(path)
    _, problems = validate(raw)
    assert_names(only(problems.items, "twice"), "Settings", 5, "key", "MIP_GAP",
                 "setting 'mip_gap' is given twice (rows 3 and 5); expected each setting once")


def test_num_periods_missing(tmp_path):
    sheets = base_sheets()
    del sheets["Settings"]["num_periods"]
    data, problems = check(tmp_path, sheets)
    problem = only(problems, "num_periods")
    assert (Path(problem.file).name, problem.sheet) == ("plan.xlsx", "Settings")
    assert "plan.xlsx, sheet 'Settings': the setting 'num_periods' is missing; expected a row with key " \
           "'num_periods' and a whole number >= 1" in str(problem)
    assert len(errors(problems)) == 1 and data is None


def test_unknown_setting_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Settings"]["solver"] = "cbc"  # row 5
    data, problems = check(tmp_path, sheets)
    problem = only(problems, "unknown setting", WARNING)
    assert_names(problem, "Settings", 5, "key", "solver", "expected one of num_periods, period_unit")
    assert data is not None


# --------------------------------------------------------------- references
def test_offer_of_unknown_supplier_or_mineral_hints_at_case(tmp_path):
    sheets = base_sheets()
    sheets["Suppliers"].append({"supplier": "S2", "country": "Chile"})
    sheets["Offers"] += [{"supplier": "s1", "mineral": "ge", "unit_price": 5},  # row 3
                         {"supplier": "S2", "mineral": "GA", "unit_price": 5}]  # row 4
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'s1'"), "Offers", 3, "supplier", "s1",
                 "expected a supplier listed in the sheet 'Suppliers' (did you mean 'S1'?)")
    unknown = only(problems, "'ge'")
    assert_names(unknown, "Offers", 3, "mineral", "ge", "expected a mineral listed in the sheet 'Minerals'")
    assert "did you mean" not in str(unknown)
    assert_names(only(problems, "'GA'"), "Offers", 4, "mineral", "GA", "(did you mean 'ga'?)")
    assert len(errors(problems)) == 3


@pytest.mark.parametrize("sheet, row", [
    ("Prices", {"supplier": "S1", "mineral": "ge", "period": 1, "unit_price": 4}),
    ("Discounts", {"supplier": "S1", "mineral": "ge", "min_quantity": 10, "discount": 0.1}),
    ("Commitments", {"supplier": "S1", "mineral": "ge", "period": 1, "quantity": 4}),
])
def test_row_for_an_offer_that_does_not_exist(tmp_path, sheet, row):
    sheets = base_sheets()
    sheets["Minerals"].append({"mineral": "ge", "shortfall_penalty": 40})  # known, but S1 does not offer it
    sheets[sheet] = [row]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "no offer"), sheet, 2, "supplier", "S1",
                 "there is no offer of ge from S1; expected a supplier and mineral pair listed in the sheet 'Offers'")
    assert len(errors(problems)) == 1


@pytest.mark.parametrize("sheet, row", [
    ("Demand", {"mineral": "cu", "period": 1, "quantity": 4}),
    ("Targets", {"mineral": "cu", "period": 1, "min_stock": 4}),
])
def test_quantity_for_an_unknown_mineral(tmp_path, sheet, row):
    sheets = base_sheets()
    sheets[sheet] = [row]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'cu'"), sheet, 2, "mineral", "cu",
                 "expected a mineral listed in the sheet 'Minerals'")


def test_pipeline_of_an_unknown_supplier(tmp_path):
    sheets = base_sheets()
    sheets["Pipeline"] = [{"supplier": "S9", "mineral": "ga", "period": 2, "quantity": 4}]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'S9'"), "Pipeline", 2, "supplier", "S9",
                 "expected a supplier listed in the sheet 'Suppliers'")


def test_pipeline_of_a_supplier_without_offer_is_accepted(tmp_path):
    sheets = base_sheets()
    sheets["Suppliers"].append({"supplier": "Old", "country": "Peru"})
    sheets["Pipeline"] = [{"supplier": "Old", "mineral": "ga", "period": 2, "quantity": 4}]
    assert valid(tmp_path, sheets).pipeline == {("Old", "ga", 2): 4.0}


def test_budget_of_an_unknown_source(tmp_path):
    sheets = base_sheets()
    sheets["Budgets"] = [{"source": "F2", "period": 1, "amount": 100}]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'F2'"), "Budgets", 2, "source", "F2",
                 "expected a source listed in the sheet 'Funding'")


def test_funding_minerals_naming_an_unknown_mineral(tmp_path):
    sheets = base_sheets()
    sheets["Funding"][0]["minerals"] = "ga, Germanium"
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "Germanium"), "Funding", 2, "minerals", "ga, Germanium",
                 "'Germanium' is not in the sheet 'Minerals'; expected a list of minerals listed there")


def test_excluded_country_without_supplier_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Funding"][0]["excluded_countries"] = "canada"
    data, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'canada'", WARNING), "Funding", 2, "excluded_countries", "canada",
                 "no supplier is in the country 'canada' (did you mean 'Canada'?)")
    assert data is not None


def test_period_beyond_the_horizon(tmp_path):
    sheets = base_sheets(num_periods=3)
    sheets["Demand"] = [{"mineral": "ga", "period": 4, "quantity": 1}]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "horizon"), "Demand", 2, "period", 4,
                 "expected a whole number >= 1 (the horizon has 3 periods)")


@pytest.mark.parametrize("sheet, row", [
    ("Offers", {**OFFER, "first_period": 3, "last_period": 2}),
    ("Funding", {"source": "F1", "amount": 100, "first_period": 3, "last_period": 2}),
    ("Scenarios", {"scenario": "cut", "probability": 0.1, "country": "Canada", "first_period": 3,
                   "last_period": 2}),
])
def test_last_period_before_first_period(tmp_path, sheet, row):
    sheets = base_sheets()
    sheets[sheet] = [row]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "before first_period"), sheet, 2, "last_period", 2,
                 "last_period 2 is before first_period 3; expected first_period <= last_period")
    assert len(errors(problems)) == 1


def test_min_order_above_max_per_period(tmp_path):
    sheets = base_sheets()
    sheets["Offers"][0].update(min_order=50, max_per_period=20)
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "min_order"), "Offers", 2, "min_order", 50,
                 "min_order 50 is above max_per_period 20; expected min_order <= max_per_period")


def test_shortfall_penalty_blank_for_a_mineral_without_offer(tmp_path):
    sheets = base_sheets()
    sheets["Minerals"].append({"mineral": "ge", "shortfall_penalty": None})
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "no offer"), "Minerals", 3, "shortfall_penalty", None,
                 "the mineral has no offer, so shortfall_penalty has no default; expected a number >= 0")
    assert len(errors(problems)) == 1


def test_broken_offer_does_not_also_blame_the_minerals_penalty(tmp_path):
    """The mineral's only offer is wrong: one error (the offer), not a second about the missing default."""
    sheets = base_sheets()
    sheets["Minerals"][0]["shortfall_penalty"] = None
    sheets["Offers"][0]["unit_price"] = "n/a"
    _, problems = check(tmp_path, sheets)
    assert [p.column for p in errors(problems)] == ["unit_price"]


# -------------------------------------------------------------- commitments
def commitment(period: int, quantity: float) -> dict:
    return {"supplier": "S1", "mineral": "ga", "period": period, "quantity": quantity}


def test_agreed_prices_of_one_commitment_add_up_as_money(tmp_path):
    """(S1, ga, 1): 3 t at 10 and 1 t at 14 are 4 t costing 44, an agreed 11 a t; period 2 has no agreed price."""
    sheets = base_sheets()
    sheets["Commitments"] = [dict(commitment(1, 3), unit_price=10), commitment(2, 6),
                             dict(commitment(1, 1), unit_price=14)]
    data = valid(tmp_path, sheets)
    assert data.commitments == {("S1", "ga", 1): 4.0, ("S1", "ga", 2): 6.0}
    assert data.commitment_prices == pytest.approx({("S1", "ga", 1): 11.0})


def test_a_commitment_with_and_without_agreed_price_is_an_error(tmp_path):
    sheets = base_sheets()
    sheets["Commitments"] = [commitment(1, 3), dict(commitment(1, 2), unit_price=12)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "unit_price"), "Commitments", 3, "unit_price", 12,
                 "row 3 of the same commitment (S1, ga, period 1) gives a unit_price and row 2 does not; "
                 "expected a unit_price on every row of a commitment or on none")


def test_an_agreed_price_must_be_positive(tmp_path):
    sheets = base_sheets()
    sheets["Commitments"] = [dict(commitment(1, 3), unit_price=0)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "unit_price"), "Commitments", 2, "unit_price", 0, "expected a number > 0")


def test_commitment_outside_the_offer_window(tmp_path):
    sheets = base_sheets(num_periods=4)
    sheets["Offers"][0].update(first_period=2, last_period=3)
    sheets["Commitments"] = [commitment(2, 5), commitment(4, 5)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "ordered only"), "Commitments", 3, "period", 4,
                 "the offer can be ordered only in periods 2..3 (first_period 2, last_period 3, lead_time 0, "
                 "4 periods); expected a period in that range")


def test_commitment_arriving_after_the_horizon(tmp_path):
    sheets = base_sheets(num_periods=3)
    sheets["Offers"][0]["lead_time"] = 1
    sheets["Commitments"] = [commitment(3, 5)]  # would arrive in period 4
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "ordered only"), "Commitments", 2, "period", 3,
                 "only in periods 1..2 (first_period 1, last_period 3, lead_time 1, 3 periods)")


def test_commitment_below_min_order(tmp_path):
    sheets = base_sheets()
    sheets["Offers"][0]["min_order"] = 10
    sheets["Commitments"] = [commitment(1, 4)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "below"), "Commitments", 2, "quantity", 4,
                 "the committed quantity 4 is below the offer's min_order 10; expected at least 10")


def test_commitment_above_max_per_period(tmp_path):
    sheets = base_sheets()
    sheets["Offers"][0]["max_per_period"] = 20
    sheets["Commitments"] = [commitment(1, 25)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "above"), "Commitments", 2, "quantity", 25,
                 "the committed quantity 25 is above the offer's max_per_period 20; expected at most 20")


def test_commitments_of_one_offer_and_period_add_up(tmp_path):
    """Two rows for (S1, ga, 1) are one order of their sum: its size is checked, on the first row's cell."""
    sheets = base_sheets()
    sheets["Offers"][0].update(min_order=5, max_per_period=10)
    sheets["Commitments"] = [commitment(1, 3), commitment(2, 6), commitment(1, 3)]  # 3 + 3 = 6 >= min_order
    assert valid(tmp_path, sheets).commitments == {("S1", "ga", 1): 6.0, ("S1", "ga", 2): 6.0}
    sheets["Commitments"].append(commitment(1, 5))  # 11 > max_per_period, though every row is <= 10
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "above"), "Commitments", 2, "quantity", 3,
                 "the committed quantity 11 is above the offer's max_per_period 10")


# ---------------------------------------------------------------- scenarios
def scenario(name: str, probability: float, country: str = "Canada", first: int = 1, last: int = 2) -> dict:
    return {"scenario": name, "probability": probability, "country": country, "first_period": first,
            "last_period": last}


def test_scenario_probability_differs_across_its_rows(tmp_path):
    sheets = base_sheets()
    sheets["Scenarios"] = [scenario("cut", 0.1), scenario("cut", 0.2, first=3, last=3)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "different probabilities"), "Scenarios", 3, "probability", 0.2,
                 "scenario 'cut' has different probabilities on its rows (0.1, 0.2); expected the same")


def test_scenario_probabilities_add_up_to_more_than_one(tmp_path):
    sheets = base_sheets()
    sheets["Scenarios"] = [scenario("cut", 0.6), scenario("strike", 0.5), scenario("cut", 0.6, first=3, last=3)]
    _, problems = check(tmp_path, sheets)
    problem = only(problems, "add up")
    assert (Path(problem.file).name, problem.sheet, problem.column) == ("plan.xlsx", "Scenarios", "probability")
    assert "plan.xlsx, sheet 'Scenarios', column 'probability': the scenario probabilities add up to 1.1; " \
           "expected at most 1 (the rest is the base scenario)" in str(problem)


def test_scenario_named_base_is_refused(tmp_path):
    sheets = base_sheets()
    sheets["Scenarios"] = [scenario(" Base ", 0.1)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "undisrupted"), "Scenarios", 2, "scenario", "Base",
                 "'base' is the name of the undisrupted scenario; expected another name")


def test_scenario_country_without_supplier_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Scenarios"] = [scenario("cut", 0.1, country="Atlantis")]
    data, problems = check(tmp_path, sheets)
    assert_names(only(problems, "Atlantis", WARNING), "Scenarios", 2, "country", "Atlantis",
                 "no supplier is in this country; the disruption has no effect")
    assert data is not None


def test_country_cap_without_supplier_is_a_warning(tmp_path):
    sheets = base_sheets()
    sheets["Countries"] = [{"country": "canada", "max_share": 0.5}]
    data, problems = check(tmp_path, sheets)
    assert_names(only(problems, "'canada'", WARNING), "Countries", 2, "country", "canada",
                 "no supplier is in this country (did you mean 'Canada'?); the cap has no effect")


# ------------------------------------------------------------ whole inputs
def test_every_problem_is_reported_at_once(tmp_path):
    sheets = base_sheets()
    sheets["Minerals"][0]["holding_cost"] = -2
    sheets["Suppliers"][0]["risk_score"] = 3
    sheets["Offers"].append({"supplier": "S7", "mineral": "ga", "unit_price": 9})
    sheets["Funding"][0]["amount"] = "lots"
    sheets["Demand"] = [{"mineral": "ga", "period": 9, "quantity": 1}]
    sheets["Scenarios"] = [scenario("base", 0.1)]
    data, problems = check(tmp_path, sheets)
    found = {(p.sheet, p.row, p.column) for p in errors(problems)}
    assert found == {("Minerals", 2, "holding_cost"), ("Suppliers", 2, "risk_score"), ("Offers", 3, "supplier"),
                     ("Funding", 2, "amount"), ("Demand", 2, "period"), ("Scenarios", 2, "scenario")}
    assert data is None


def test_demand_and_pipeline_rows_with_one_key_add_up(tmp_path):
    """Demand and Pipeline are additive: two rows for the same key are two draws / two deliveries."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": 2, "quantity": 4}, {"mineral": "ga", "period": 2, "quantity": 6},
                        {"mineral": "ga", "period": 3, "quantity": 1}]
    sheets["Pipeline"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 2.5},
                          {"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 0.5}]
    data = valid(tmp_path, sheets)
    assert data.demand == {("ga", 2): 10.0, ("ga", 3): 1.0}
    assert data.pipeline == {("S1", "ga", 1): 3.0}


def test_valid_workbook_has_no_problem_and_carries_its_hash(tmp_path):
    data, problems = check(tmp_path, base_sheets())
    assert problems == []
    assert len(data.input_sha256) == 64 and Path(data.input_files[0].path).name == "plan.xlsx"


# --------------------------------------------------------------------- CLI
def bad_workbook(tmp_path: Path) -> Path:
    sheets = base_sheets()
    sheets["Offers"][0]["unit_price"] = "ten"
    sheets["Demand"] = [{"mineral": "cu", "period": 1, "quantity": 3}]
    return write_workbook(tmp_path / "bad.xlsx", sheets)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def expected_messages(path: Path) -> list[str]:
    raw, _ = read_input(path)
    return [str(p) for p in validate(raw)[1].items]


def test_cli_validate_refuses_a_bad_workbook_and_writes_nothing(tmp_path, monkeypatch):
    path = bad_workbook(tmp_path)
    monkeypatch.chdir(tmp_path)  # a default outputs/ folder would appear here
    before = snapshot(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    messages = expected_messages(path)
    assert len(messages) == 2
    for message in messages:
        assert message in result.stderr
    assert "bad.xlsx, sheet 'Offers', row 2, column 'unit_price': found 'ten'" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert snapshot(tmp_path) == before
    assert os.listdir(tmp_path) == ["bad.xlsx"]


def test_cli_run_refuses_a_bad_workbook_and_writes_no_plan(tmp_path, monkeypatch):
    path = bad_workbook(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(main, ["run", str(path), "--outputs-dir", str(tmp_path / "out")])
    assert result.exit_code == 2
    for message in expected_messages(path):
        assert message in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------ origins
def origin(share: float, supplier: str = "S1", country: str = "China", mineral: str | None = None) -> dict:
    return {"supplier": supplier, "mineral": mineral, "country": country, "share": share}


def test_origin_shares_of_a_supplier_above_one_name_the_rows(tmp_path):
    """0.7 + 0.4 = 1.1 from abroad leaves no room for the supplier's own country."""
    sheets = base_sheets()
    sheets["Origins"] = [origin(0.7), origin(0.4, country="Russia")]
    data, problems = check(tmp_path, sheets)
    assert data is None
    assert_names(only(problems, "add up"), "Origins", 3, "share", 0.4,
                 "the shares of supplier 'S1' add up to 1.1 (rows 2, 3); expected at most 1 (the rest comes "
                 "from the supplier's own country)")


def test_origin_shares_add_up_per_mineral(tmp_path):
    """A ga row and a blank-mineral row are different keys: 0.7 and 0.6 do not add up."""
    sheets = base_sheets()
    sheets["Origins"] = [origin(0.7), origin(0.6, mineral="ga")]
    data = valid(tmp_path, sheets)
    assert data.origin_shares("S1", "ga") == {"China": 0.6, "Canada": pytest.approx(0.4)}
    assert data.origins["S1", None] == {"China": 0.7}


def test_origin_of_an_unknown_supplier_or_mineral(tmp_path):
    sheets = base_sheets()
    sheets["Origins"] = [origin(0.5, supplier="S9"), origin(0.5, mineral="cobalt")]
    assert_unknown_supplier_then_mineral(check(tmp_path, sheets)[1], "Origins")


def assert_unknown_supplier_then_mineral(problems, sheet: str) -> None:
    """Row 2 names supplier S9, row 3 mineral cobalt: each named at its cell."""
    assert_names(only(problems, "Suppliers"), sheet, 2, "supplier", "S9",
                 "expected a supplier listed in the sheet 'Suppliers'")
    assert_names(only(problems, "Minerals"), sheet, 3, "mineral", "cobalt",
                 "expected a mineral listed in the sheet 'Minerals'")


def test_origin_share_out_of_range_and_given_twice(tmp_path):
    sheets = base_sheets()
    sheets["Origins"] = [origin(1.5), origin(0.2, country="Russia"), origin(0.3, country="Russia")]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "<= 1"), "Origins", 2, "share", 1.5, "expected a number >= 0 and <= 1")
    assert_names(only(problems, "given twice"), "Origins", 4, "country", "Russia", "rows 3 and 4")


def test_origin_country_counts_as_delivering_for_caps_and_scenarios(tmp_path):
    """No supplier is in China, but S1's material comes from there: no 'no supplier' warning."""
    sheets = base_sheets()
    sheets["Origins"] = [origin(0.7)]
    sheets["Countries"] = [{"country": "China", "max_share": 0.5}]
    sheets["Scenarios"] = [scenario("ban", 0.1, country="China")]
    data, problems = check(tmp_path, sheets)
    assert data is not None and not [p for p in problems if "no supplier" in str(p)]
    assert data.origin_shares("S1", "ga") == {"China": 0.7, "Canada": pytest.approx(0.3)}


def test_without_origins_a_supplier_is_wholly_from_its_own_country(tmp_path):
    data = valid(tmp_path, base_sheets())
    assert data.origins == {} and data.origin_shares("S1", "ga") == {"Canada": 1.0}


def contract_row(**changes) -> dict:
    row = {"contract": "K1", "supplier": "S1", "mineral": "ga", "unit_price": 5, "min_quantity": 2,
           "max_quantity": 10}
    row.update(changes)
    return row


def test_a_contract_is_typed_with_its_defaults(tmp_path):
    """Blank first_period, last_period, lead_time, signing_cost and signed: 1, num_periods, 0, 0, the plan decides."""
    sheets = base_sheets()
    sheets["Contracts"] = [contract_row(), contract_row(contract="K2", signed="yes", max_per_period=3)]
    data = valid(tmp_path, sheets)
    k1, k2 = data.contracts["K1"], data.contracts["K2"]
    assert (k1.first_period, k1.last_period, k1.lead_time, k1.signing_cost, k1.signed) == (1, 3, 0, 0.0, False)
    assert k1.max_per_period is None and k2.signed and k2.max_per_period == 3


def test_contract_of_an_unknown_supplier_or_mineral(tmp_path):
    sheets = base_sheets()
    sheets["Contracts"] = [contract_row(supplier="S9"), contract_row(contract="K2", mineral="cobalt")]
    assert_unknown_supplier_then_mineral(check(tmp_path, sheets)[1], "Contracts")


def test_contract_minimum_above_maximum_and_periods_reversed(tmp_path):
    sheets = base_sheets()
    sheets["Contracts"] = [contract_row(min_quantity=12),
                           contract_row(contract="K2", first_period=3, last_period=2)]
    data, problems = check(tmp_path, sheets)
    assert data is None
    assert_names(only(problems, "min_quantity 12"), "Contracts", 2, "min_quantity", 12,
                 "min_quantity 12 is above max_quantity 10; expected min_quantity <= max_quantity")
    assert_names(only(problems, "before first_period"), "Contracts", 3, "last_period", 2,
                 "last_period 2 is before first_period 3; expected first_period <= last_period")


def test_contract_values_outside_the_horizon_negative_or_not_a_choice(tmp_path):
    """All problems at once, each at its cell: a period beyond the 3 of the horizon, a negative minimum,
    a zero price, signed 'no' (only yes or blank), a contract named twice."""
    sheets = base_sheets()
    sheets["Contracts"] = [contract_row(last_period=5), contract_row(contract="K2", min_quantity=-1),
                           contract_row(contract="K3", unit_price=0), contract_row(contract="K4", signed="no"),
                           contract_row(contract="K4")]
    data, problems = check(tmp_path, sheets)
    assert data is None
    assert_names(only(problems, "horizon has 3"), "Contracts", 2, "last_period", 5, "expected a whole number >= 1")
    assert_names(only(problems, ">= 0"), "Contracts", 3, "min_quantity", -1, "expected a number >= 0")
    assert_names(only(problems, "> 0"), "Contracts", 4, "unit_price", 0, "expected a number > 0")
    assert_names(only(problems, "one of yes"), "Contracts", 5, "signed", "no", "expected one of yes")
    assert_names(only(problems, "given twice"), "Contracts", 6, "contract", "K4", "rows 5 and 6")


def test_a_contract_that_cannot_deliver_its_minimum_is_a_warning(tmp_path):
    """max_per_period 1 over periods 1..3 delivers at most 3 t: a minimum of 5 t is partly paid for nothing."""
    sheets = base_sheets()
    sheets["Contracts"] = [contract_row(min_quantity=5, max_per_period=1)]
    data, problems = check(tmp_path, sheets)
    assert data is not None
    assert_names(only(problems, "above what the contract can deliver", severity="warning"), "Contracts", 2,
                 "min_quantity", 5, "(3: max_per_period x 3 periods)")


# ------------------------------------------------------ sales and decay (issue 14)
SALE = {"mineral": "ga", "unit_price": 5, "max_per_period": 10, "source": "F1"}


def test_sales_are_numbered_in_sheet_order_and_their_source_may_pay_from_revenue(tmp_path):
    sheets = base_sheets()
    sheets["Funding"][0]["amount"] = 0
    sheets["Sales"] = [SALE, dict(SALE, first_period=2, unit_price=6)]
    data = valid(tmp_path, sheets)
    assert [(s.number, s.first_period, s.last_period, s.unit_price) for s in data.sales] == [(1, 1, 3, 5), (2, 2, 3, 6)]
    assert data.funding["F1"].receives_sales and data.funding["F1"].can_pay("Canada", "ga", 1)


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("source", "F9", "expected a source listed in the sheet 'Funding'"),
    ("mineral", "Ga", "expected a mineral listed in the sheet 'Minerals' (did you mean 'ga'?)"),
    ("max_per_period", None, "expected a number >= 0 and <= 1e+12 (required)"),
    ("unit_price", 0, "expected a number > 0"),
    ("last_period", 9, "(the horizon has 3 periods)"),
])
def test_a_bad_sale_cell_is_named(tmp_path, column, value, expected):
    sheets = base_sheets()
    sheets["Sales"] = [dict(SALE, **{column: value})]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, expected), "Sales", 2, column, value, expected)
    assert len(errors(problems)) == 1


def test_a_sale_window_backwards_is_an_error(tmp_path):
    sheets = base_sheets()
    sheets["Sales"] = [dict(SALE, first_period=3, last_period=2)]
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "last_period 2 is before first_period 3"), "Sales", 2, "last_period", 2,
                 "expected first_period <= last_period")


def test_a_sale_price_above_the_cheapest_purchase_or_the_penalty_is_a_warning(tmp_path):
    """ga is bought at 10 (a Prices override of 8 in period 2) and short at 100: a sale at 9 is above 8;
    one at 120 is above both."""
    sheets = base_sheets()
    sheets["Prices"] = [{"supplier": "S1", "mineral": "ga", "period": 2, "unit_price": 8}]
    sheets["Sales"] = [dict(SALE, unit_price=9), dict(SALE, unit_price=120)]
    data, problems = check(tmp_path, sheets)
    assert data is not None
    buying = [p for p in problems if "cheapest purchase price of ga (8)" in str(p)]
    assert [p.row for p in buying] == [2, 3] and all(p.severity == WARNING for p in buying)
    assert_names(only(problems, "above the shortfall_penalty of ga (100)", WARNING), "Sales", 3, "unit_price", 120,
                 "expected a price at most that")


def test_loss_rate_is_a_share(tmp_path):
    sheets = base_sheets()
    sheets["Minerals"][0]["loss_rate"] = 1.5
    _, problems = check(tmp_path, sheets)
    assert_names(only(problems, "expected a number >= 0 and <= 1"), "Minerals", 2, "loss_rate", 1.5,
                 "expected a number >= 0 and <= 1")
