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


def upgrade_sheets(fecr_price: float = 25, **conversion) -> dict:
    """Issue 14's upgrade case (tests/models/test_model_conversions.py): two periods, ore at 10 and fecr at
    ``fecr_price`` from S1, 5 t of fecr demanded in period 2, and the conversion ``smelt`` of ore into fecr
    (yield 0.5, unit_cost 2, lead_time 1; ``conversion`` changes the row)."""
    book = base_sheets(2)
    book["Minerals"] = [{"mineral": "ore", "unit": "t", "shortfall_penalty": 100},
                        {"mineral": "fecr", "unit": "t", "shortfall_penalty": 100}]
    book["Offers"] = [{"supplier": "S1", "mineral": "ore", "unit_price": 10},
                      {"supplier": "S1", "mineral": "fecr", "unit_price": fecr_price}]
    book["Demand"] = [{"mineral": "fecr", "period": 2, "quantity": 5}]
    book["Conversions"] = [{"conversion": "smelt", "from_mineral": "ore", "to_mineral": "fecr", "yield": 0.5,
                            "unit_cost": 2, "lead_time": 1, **conversion}]
    return book


BIG_LOAN_DEMAND = (50, 60, 0, 80, 20, 70, 40, 90, 30, 60)


def big_loan_sheets(unit_price: float = 10, amount: float = 1e12, order_cost: float = 900,
                    holding_cost: float = 1) -> dict:
    """Issue 11's workbook: one mineral, one supplier with an order_cost and no max_per_period,
    holding costs, demand over 10 periods (BIG_LOAN_DEMAND) and one loan of ``amount``, no budgets.

    The shortfall penalty (100 x the price + 10,000) makes serving every demand worth it.
    """
    book = base_sheets(len(BIG_LOAN_DEMAND))
    book["Offers"][0].update(unit_price=unit_price, order_cost=order_cost)
    book["Minerals"][0].update(holding_cost=holding_cost, shortfall_penalty=100 * unit_price + 10_000)
    book["Funding"][0]["amount"] = amount
    book["Demand"] = [{"mineral": "ga", "period": t, "quantity": q} for t, q in enumerate(BIG_LOAN_DEMAND, 1) if q]
    return book


def small_plan_input(path: Path) -> Path:
    """The base workbook with 5 t of ga demanded in each of its 3 periods at 10 per t: objective 150."""
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return write_workbook(path, sheets)
