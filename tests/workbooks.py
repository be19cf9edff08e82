"""Small planning workbooks built in code, so each test shows what its input holds.

``write_workbook(path, sheets)`` writes ``{"Sheet": [row dict, ...]}`` with the
row dicts' keys as headers (``Settings`` may be a plain dict of key -> value).
``base_sheets()`` is the smallest valid plan: one mineral, one supplier, one
offer, one funding source; tests change what they study.
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import openpyxl


def write_workbook(path: Path, sheets: dict) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        if isinstance(rows, dict):  # key/value sheet (Settings)
            sheet.append(["key", "value"])
            for key, value in rows.items():
                sheet.append([key, value])
            continue
        headers = list(dict.fromkeys(h for row in rows for h in row))
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(h) for h in headers])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def base_sheets(num_periods: int = 3) -> dict:
    """One mineral (ga), one supplier (S1, Canada), one offer at 10 per t, ample funding."""
    return deepcopy({
        "Settings": {"num_periods": num_periods, "mip_gap": 0, "time_limit_s": 60},
        "Minerals": [{"mineral": "ga", "unit": "t", "shortfall_penalty": 100}],
        "Suppliers": [{"supplier": "S1", "country": "Canada"}],
        "Offers": [{"supplier": "S1", "mineral": "ga", "unit_price": 10}],
        "Funding": [{"source": "F1", "amount": 1_000_000}],
    })


def small_plan_input(path: Path) -> Path:
    """The base workbook with 5 t of ga demanded in each of its 3 periods at 10 per t: objective 150."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return write_workbook(path, sheets)
