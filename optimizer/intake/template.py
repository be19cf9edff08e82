"""``optimize template``: a planning workbook to fill in, with every sheet and column of the contract.

Built from ``optimizer/contract/schema.py``, so it cannot drift from what the reader and
validator expect: one sheet per ``Sheet`` record, its columns as headers, a
note on each header (meaning, unit, default, what a valid value is), data
validation (lists of minerals, suppliers, countries and funding sources taken
from their sheets, the choices of a choice column, numeric ranges), and a few
example rows of a small plan that validate cleanly.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from optimizer.contract import schema
from optimizer.files import write_atomically
from optimizer.contract.schema import Column, Sheet

ROWS = 1000  # rows below the header that carry the validation
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
AUTHOR = "optimize template"

# Columns whose values must name a row of another sheet: (sheet, column letter there).
REFERENCES = {
    "supplier": ("Suppliers", "A"),
    "mineral": ("Minerals", "A"),
    "country": ("Suppliers", "B"),
    "source": ("Funding", "A"),
    "scenario": ("Scenarios", "A"),
}
# The sheet that defines each name (its own column is free text).
DEFINES = {"Minerals": "mineral", "Suppliers": "supplier", "Funding": "source", "Scenarios": "scenario"}

EXAMPLES: dict[str, list[dict] | dict] = {
    "Settings": {"num_periods": 4, "period_unit": "quarter", "start_date": date(2027, 1, 1), "currency": "USD",
                 "risk_weight": 0.1, "mip_gap": 0.0001, "time_limit_s": 60, "release_rule": "serve_first",
                 "max_market_share": 1},
    "Minerals": [
        {"mineral": "gallium", "unit": "t", "initial_stock": 0.5, "holding_cost": 12500,
         "shortfall_penalty": 5_000_000, "target_penalty": 1_000_000, "max_stock": 10, "max_supplier_share": 0.8,
         "max_avg_risk": 0.6, "world_supply": 190, "max_market_share": 0.05},  # about 760 t a year of primary gallium
        {"mineral": "germanium", "unit": "t", "initial_stock": 1, "holding_cost": 50000, "max_stock": 15},
        {"mineral": "germanium dioxide", "unit": "t", "initial_stock": 2, "holding_cost": 20000,
         "shortfall_penalty": 2_000_000},
    ],
    "Suppliers": [
        {"supplier": "JP Gallium Recycler", "country": "Japan", "risk_score": 0.1, "onboarding_cost": 100_000},
        {"supplier": "CN Minor Metals Refiner", "country": "China", "risk_score": 0.85, "onboarding_cost": 0},
        {"supplier": "BE Specialty Metals Refiner", "country": "Belgium", "risk_score": 0.2,
         "onboarding_cost": 50_000},
    ],
    "Offers": [
        {"supplier": "JP Gallium Recycler", "mineral": "gallium", "unit_price": 560_000, "lead_time": 1,
         "min_order": 0.2, "max_per_period": 1.5, "order_cost": 50_000},
        {"supplier": "CN Minor Metals Refiner", "mineral": "gallium", "unit_price": 380_000, "lead_time": 1,
         "min_order": 0.5, "max_per_period": 3, "order_cost": 75_000},
        {"supplier": "CN Minor Metals Refiner", "mineral": "germanium", "unit_price": 1_100_000, "lead_time": 1,
         "min_order": 0.5, "max_per_period": 3},
        {"supplier": "BE Specialty Metals Refiner", "mineral": "germanium", "unit_price": 1_400_000,
         "lead_time": 2, "min_order": 0.5, "max_per_period": 2, "order_cost": 40_000, "first_period": 1,
         "last_period": 2},
    ],
    "Prices": [{"supplier": "CN Minor Metals Refiner", "mineral": "gallium", "period": 3, "unit_price": 420_000}],
    "Discounts": [{"supplier": "CN Minor Metals Refiner", "mineral": "gallium", "min_quantity": 2,
                   "discount": 0.05}],
    "Demand": [{"mineral": "gallium", "period": t, "quantity": 0.3} for t in (2, 3, 4)]
    + [{"mineral": "germanium", "period": t, "quantity": 0.5} for t in (3, 4)],
    "Targets": [{"mineral": "gallium", "period": 4, "min_stock": 2},
                {"mineral": "germanium", "period": 4, "cover_periods": 2}],
    "Pipeline": [{"supplier": "BE Specialty Metals Refiner", "mineral": "germanium", "period": 1, "quantity": 1}],
    "Commitments": [{"supplier": "JP Gallium Recycler", "mineral": "gallium", "period": 1, "quantity": 0.5,
                     "unit_price": 520_000},  # a contract at an agreed price
                    {"supplier": "JP Gallium Recycler", "mineral": "gallium", "period": 2, "quantity": 0.3}],
    "Funding": [
        {"source": "Ex-Im loan", "amount": 50_000_000, "cost_rate": 0.04, "excluded_countries": "China"},
        {"source": "Private capital", "amount": 10_000_000, "cost_rate": 0.08},
    ],
    "Budgets": [{"source": "Ex-Im loan", "period": 1, "amount": 5_000_000}],
    "Countries": [{"country": "China", "max_share": 0.65}],
    # a Belgian refiner fed partly with Chinese germanium: that part counts as Chinese in caps and bans
    "Origins": [{"supplier": "BE Specialty Metals Refiner", "mineral": "germanium", "country": "China",
                 "share": 0.4}],
    # rotation: old germanium stock sold into a fund below the purchase price (the plan's cap 0.5 t a period)
    "Sales": [{"mineral": "germanium", "first_period": 3, "last_period": 4, "unit_price": 1_000_000,
               "max_per_period": 0.5, "source": "Private capital"}],
    "Scenarios": [{"scenario": "China ban", "probability": 0.2, "country": "China", "first_period": 2,
                   "last_period": 4, "supply_loss": 1}],
    # the ban comes with a wartime surge of gallium demand, essential and so priced higher
    "ScenarioDemand": [{"scenario": "China ban", "mineral": "gallium", "period": 3, "quantity": 0.6,
                        "shortfall_penalty": 8_000_000}],
    # germanium dioxide refined into germanium metal by the Belgian refiner as a toll processor
    "Conversions": [{"conversion": "GeO2 to Ge metal", "from_mineral": "germanium dioxide",
                     "to_mineral": "germanium", "yield": 0.69, "unit_cost": 150_000, "lead_time": 1,
                     "max_per_period": 2, "supplier": "BE Specialty Metals Refiner"}],
}


def write_template(path: Path, examples: bool = True) -> None:
    """Write the template workbook to ``path`` (atomically)."""
    write_atomically(Path(path), lambda temporary: template_workbook(examples).save(temporary))


def template_workbook(examples: bool = True) -> openpyxl.Workbook:
    """The input template: every sheet and column with notes and checks; example rows if ``examples``."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in schema.SHEETS:
        if sheet.key_value:
            _settings_sheet(book, sheet, examples)
        else:
            _table_sheet(book, sheet, EXAMPLES.get(sheet.name, []) if examples else [])
    return book


def note(column: Column) -> str:
    """The header note: meaning, unit, default, what a valid value is."""
    lines = [column.meaning[0].upper() + column.meaning[1:] + "."]
    if column.unit:
        lines.append(f"Unit: {column.unit}.")
    lines.append(f"Default: {column.describe_default()}.")
    lines.append(f"Valid: {column.expectation()}.")
    return "\n".join(lines)


def _header(sheet, names: list[str], notes: list[str]) -> None:
    sheet.append(names)
    for index, text in enumerate(notes, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.comment = Comment(text, AUTHOR, width=320, height=140)
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(names[index - 1]) + 4)
    sheet.freeze_panes = "A2"


def _table_sheet(book, sheet: Sheet, rows: list[dict]) -> None:
    ws = book.create_sheet(sheet.name)
    _header(ws, [c.name for c in sheet.columns], [note(c) for c in sheet.columns])
    for row in rows:
        ws.append([row.get(c.name) for c in sheet.columns])
    for index, column in enumerate(sheet.columns, start=1):
        validation = _validation(sheet, column)
        if validation is not None:
            letter = get_column_letter(index)
            validation.add(f"{letter}2:{letter}{ROWS + 1}")
            ws.add_data_validation(validation)
    for index, column in enumerate(sheet.columns, start=1):
        if column.kind == schema.TEXT or column.kind == schema.LIST:
            ws.column_dimensions[get_column_letter(index)].width = 28


def _settings_sheet(book, sheet: Sheet, examples: bool) -> None:
    """Settings: one row per key, the key's note on its cell, the value typed by the key."""
    ws = book.create_sheet(sheet.name)
    _header(ws, ["key", "value"], ["Setting name (one row per setting).", "Setting value; see the key's note."])
    values = EXAMPLES["Settings"] if examples else {}
    for row, column in enumerate(sheet.columns, start=2):
        ws.append([column.name, values.get(column.name)])
        ws.cell(row=row, column=1).comment = Comment(note(column), AUTHOR, width=320, height=140)
        validation = _number_validation(column) or _choice_validation(column)
        if validation is not None:
            validation.add(f"B{row}")
            ws.add_data_validation(validation)
        if column.kind == schema.DATE:
            ws.cell(row=row, column=2).number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 16
    keys = DataValidation(type="list", formula1='"' + ",".join(c.name for c in sheet.columns) + '"',
                          allow_blank=True, showErrorMessage=True, error="expected a setting name")
    keys.add(f"A2:A{ROWS + 1}")
    ws.add_data_validation(keys)


def _validation(sheet: Sheet, column: Column) -> DataValidation | None:
    if DEFINES.get(sheet.name) == column.name:
        return None  # the sheet that defines the names
    reference = REFERENCES.get(column.name)
    if reference is not None and column.kind == schema.TEXT:
        other, letter = reference
        if other == sheet.name:
            return None
        return DataValidation(type="list", formula1=f"{other}!${letter}$2:${letter}${ROWS + 1}", allow_blank=True,
                              showErrorMessage=True, errorStyle="warning",
                              error=f"expected a {column.name} listed in the sheet '{other}'")
    return _number_validation(column) or _choice_validation(column)


def _choice_validation(column: Column) -> DataValidation | None:
    if column.kind != schema.CHOICE:
        return None
    return DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True,
                          showErrorMessage=True, error=f"expected {column.expectation()}")


def _number_validation(column: Column) -> DataValidation | None:
    """Numeric ranges from the schema: whole numbers for INT, decimals for FLOAT."""
    if column.kind not in (schema.INT, schema.FLOAT):
        return None
    kind = "whole" if column.kind == schema.INT else "decimal"
    low, high = column.minimum, column.maximum
    if low is not None and high is not None and not column.minimum_open:  # Excel's between includes its ends
        operator, first, second = "between", low, high
    elif low is not None:
        operator, first, second = ("greaterThan" if column.minimum_open else "greaterThanOrEqual"), low, None
    elif high is not None:
        operator, first, second = ("lessThan" if column.maximum_open else "lessThanOrEqual"), high, None
    else:
        return None
    validation = DataValidation(type=kind, operator=operator, formula1=_number(first),
                                formula2=None if second is None else _number(second), allow_blank=True,
                                showErrorMessage=True, error=f"expected {column.expectation()}",
                                errorTitle=column.name)
    return validation


def _number(value: float) -> str:
    return f"{value:g}"
