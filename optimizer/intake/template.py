"""``optimize template``: a planning workbook to fill in, with every sheet and column of the contract.

Built from ``optimizer/contract/schema.py``, so it cannot drift from what the reader and
validator expect: one sheet per ``Sheet`` record, its columns as headers, a
note on each header (meaning, unit, default, what a valid value is), data
validation (lists of minerals, suppliers, countries and funding sources taken
from their sheets, the choices of a choice column, numeric ranges), and a few
example rows of a small plan that validate cleanly.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from optimizer.contract import schema
from optimizer.files import write_atomically
from optimizer.contract.schema import Column, Sheet
from optimizer.reporting.about import about_spec
from optimizer.reporting.xlsx import Book, print_columns, write_table

ROWS = 1000  # rows below the header that carry the validation
DATE = "yyyy-mm-dd"
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
        {"supplier": "US Germanium Plant", "country": "United States", "risk_score": 0.05},
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
        # the output of the project below: orderable only once the plant is built
        {"supplier": "US Germanium Plant", "mineral": "germanium", "unit_price": 1_250_000, "max_per_period": 1},
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
    # build versus buy: fund a germanium plant (paid over 2 periods), then buy its output
    "Projects": [{"project": "US germanium plant", "supplier": "US Germanium Plant", "capex": 8_000_000,
                  "build_periods": 2, "first_period": 1, "last_period": 2, "life_periods": 20}],
    # an offtake the plan may sign: up to 0.5 t a period, 1 t over the horizon, 0.6 t paid whether taken or not
    "Contracts": [{"contract": "JP recycled gallium offtake", "supplier": "JP Gallium Recycler",
                   "mineral": "gallium", "first_period": 1, "last_period": 4, "unit_price": 500_000,
                   "lead_time": 1, "max_per_period": 0.5, "min_quantity": 0.6, "max_quantity": 1,
                   "signing_cost": 20_000}],
    # rotation: old germanium stock sold into a fund below the purchase price (the plan's cap 0.5 t a period)
    "Sales": [{"mineral": "germanium", "first_period": 3, "last_period": 4, "unit_price": 1_000_000,
               "max_per_period": 0.5, "source": "Private capital"}],
    "Scenarios": [{"scenario": "China ban", "probability": 0.2, "country": "China", "first_period": 2,
                   "last_period": 4, "supply_loss": 1}],
    # outside China, gallium rose more than 40% after China's 2023 licensing
    "ScenarioPrices": [{"scenario": "China ban", "mineral": "gallium", "country": "Japan", "first_period": 2,
                        "last_period": 4, "factor": 1.4}],
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
    write_atomically(Path(path), lambda temporary: template_workbook(temporary, examples))


def template_workbook(path: Path, examples: bool = True) -> None:
    """Write the input template to ``path``: every sheet and column with notes and checks; example rows if
    ``examples``; an About sheet (the reader ignores it) saying how to fill each sheet in."""
    book = Book(path)
    for sheet in schema.SHEETS:
        if sheet.key_value:
            _settings_sheet(book, sheet, examples)
        else:
            _table_sheet(book, sheet, EXAMPLES.get(sheet.name, []) if examples else [])
    write_table(book, about_spec(book, rows=[("how to use", "fill in the sheets (one row per record, the "
                                                           "headers as they are; each header's note says what "
                                                           "it means), then run: optimize validate FILE")]))
    book.close()


def note(column: Column) -> str:
    """The header note: meaning, unit, default, what a valid value is."""
    lines = [column.meaning[0].upper() + column.meaning[1:] + "."]
    if column.unit:
        lines.append(f"Unit: {column.unit}.")
    lines.append(f"Default: {column.describe_default()}.")
    lines.append(f"Valid: {column.expectation()}.")
    return "\n".join(lines)


def _comment(ws, row: int, column: int, text: str) -> None:
    ws.write_comment(row, column, text, {"author": AUTHOR, "width": 320, "height": 140})


def _width(column: Column) -> int:
    if column.name in ("unit", "currency", "period_unit"):
        return len(column.name) + 4
    wide = column.kind in (schema.TEXT, schema.LIST)
    return max(26 if wide else 10, len(column.name) + 3)


def _table_sheet(book: Book, sheet: Sheet, rows: list[dict]) -> None:
    ws = book.sheet(sheet.name, note=sheet.meaning)
    header = book.header()
    widths = [_width(column) for column in sheet.columns]
    for index, (column, width) in enumerate(zip(sheet.columns, widths)):
        ws.set_column(index, index, width)
        ws.write_string(0, index, column.name, header)
        _comment(ws, 0, index, note(column))
    ws.freeze_panes(1, 0)
    ws.repeat_rows(0)
    print_columns(ws, pd.DataFrame(columns=[c.name for c in sheet.columns]).astype(object), widths,
                  keys=_key_columns(sheet))
    for row_index, row in enumerate(rows, start=1):
        for index, column in enumerate(sheet.columns):
            _write_value(book, ws, row_index, index, row.get(column.name))
    for index, column in enumerate(sheet.columns):
        validation = _validation(sheet, column)
        if validation is not None:
            ws.data_validation(1, index, ROWS, index, validation)


def _key_columns(sheet: Sheet) -> int:
    """The identifying columns repeated on every printed page: the leading names (supplier, mineral ...)."""
    keys = 0
    for column in sheet.columns:
        if column.kind != schema.TEXT or keys == 2:
            break
        keys += 1
    return keys


def _write_value(book: Book, ws, row: int, column: int, value) -> None:
    if value is None:
        return
    if isinstance(value, (date, datetime)):
        ws.write_datetime(row, column, datetime(value.year, value.month, value.day), book.format(num_format=DATE))
    elif isinstance(value, str):
        ws.write_string(row, column, value, book.text())
    else:  # thousands separated (5,000,000), the value as typed
        ws.write_number(row, column, value, book.number("#,##0") if abs(value) >= 1000 and value == int(value)
                        else None)


def _settings_sheet(book: Book, sheet: Sheet, examples: bool) -> None:
    """Settings: one row per key, the key's note on its cell, the value typed by the key."""
    ws = book.sheet(sheet.name, note="one row per setting: its key and value; each key's note says what it means")
    header = book.header()
    for index, (name, text) in enumerate((("key", "Setting name (one row per setting)."),
                                          ("value", "Setting value; see the key's note."))):
        ws.write_string(0, index, name, header)
        _comment(ws, 0, index, text)
    ws.freeze_panes(1, 0)
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    values = EXAMPLES["Settings"] if examples else {}
    for row, column in enumerate(sheet.columns, start=1):
        ws.write_string(row, 0, column.name, book.text())
        _comment(ws, row, 0, note(column))
        _write_value(book, ws, row, 1, values.get(column.name))
        validation = _number_validation(column) or _choice_validation(column)
        if validation is not None:
            ws.data_validation(row, 1, row, 1, validation)
        if column.kind == schema.DATE and values.get(column.name) is None:
            ws.write_blank(row, 1, None, book.format(num_format=DATE))
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 16)
    ws.data_validation(1, 0, ROWS, 0, {"validate": "list", "source": [c.name for c in sheet.columns],
                                       "error_message": "expected a setting name"})


def _validation(sheet: Sheet, column: Column) -> dict | None:
    if DEFINES.get(sheet.name) == column.name:
        return None  # the sheet that defines the names
    reference = REFERENCES.get(column.name)
    if reference is not None and column.kind == schema.TEXT:
        other, letter = reference
        if other == sheet.name:
            return None
        return {"validate": "list", "source": f"={other}!${letter}$2:${letter}${ROWS + 1}", "error_type": "warning",
                "error_message": f"expected a {column.name} listed in the sheet '{other}'"}
    return _number_validation(column) or _choice_validation(column)


def _choice_validation(column: Column) -> dict | None:
    if column.kind != schema.CHOICE:
        return None
    return {"validate": "list", "source": list(column.choices), "error_message": f"expected {column.expectation()}"}


def _number_validation(column: Column) -> dict | None:
    """Numeric ranges from the schema: whole numbers for INT, decimals for FLOAT."""
    if column.kind not in (schema.INT, schema.FLOAT):
        return None
    kind = "integer" if column.kind == schema.INT else "decimal"
    low, high = column.minimum, column.maximum
    if low is not None and high is not None and not column.minimum_open:  # Excel's between includes its ends
        bounds = {"criteria": "between", "minimum": low, "maximum": high}
    elif low is not None:
        bounds = {"criteria": ">" if column.minimum_open else ">=", "value": low}
    elif high is not None:
        bounds = {"criteria": "<" if column.maximum_open else "<=", "value": high}
    else:
        return None
    return {"validate": kind, **bounds, "error_title": column.name[:32],
            "error_message": f"expected {column.expectation()}"[:255]}
