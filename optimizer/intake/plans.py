"""The one reader of result workbooks: a plan written by ``optimize run``, read back as its rows.

Re-plans (``--previous``, ``optimize diff``, ``optimizer/replan/changes.py``) and
stress tests (``optimizer/studies/stress.py``) read plans here, each then taking
what it needs from the rows. A plan file is held to the same size limits as any
input (``optimizer/intake/archive.py``) before openpyxl opens it.

The independent checker (``optimizer/checker.py``) reads result workbooks with
its own code on purpose, so a fault here cannot hide itself from the judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openpyxl

from optimizer.intake import archive

Row = tuple[int, dict[str, object]]  # (Excel row number, lower-case header -> value)


class NotAPlan(ValueError):
    """A file given as a plan (``--previous``, ``optimize diff``, ``optimize stress``) is not a readable workbook."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{reason}; expected a plan written by optimize run")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class PlanWorkbook:
    """The Summary, Orders, Sales, Conversions, Projects, Contracts and Stock sheets of a plan workbook, as read;
    any may be missing (None)."""

    path: Path
    sheet_names: tuple[str, ...]
    summary: dict[str, object] | None  # Summary key (lower case) -> value
    orders_header: tuple[str, ...]  # lower case, "" for a blank header cell
    orders: list[Row] | None  # the non-blank rows below the header
    sales: list[Row] | None = None  # the Sales sheet's rows, when the plan has one
    conversions: list[Row] | None = None  # the Conversions sheet's rows (issue 14), when the plan has one
    projects: list[Row] | None = None  # the Projects sheet's rows (issue 13), when the plan has one
    contracts: list[Row] | None = None  # the Contracts sheet's rows (issue 13), when the plan has one
    # the Stock sheet's rows (demand and stock per scenario), when the plan has one: every scenario's in a plan
    # with recourse (they name its scenarios), else the first scenario's (the Changes sheet's demand)
    stock: list[Row] | None = None
    # a plan with recourse (orders or conversions by scenario): every scenario, from its Stock sheet
    scenarios: tuple[str, ...] = ()


def has_recourse_orders(header: tuple[str, ...], orders: list[Row] | None) -> bool:
    """Whether a plan's Orders carry a scenario (a plan with recourse)."""
    return "scenario" in header and any(row.get("scenario") not in (None, "") for _, row in orders or [])


def read_plan_workbook(path: Path) -> PlanWorkbook:
    """The plan at ``path``, as rows; ``NotAPlan`` says why a file cannot be read (too large, damaged, no workbook)."""
    try:
        archive.check_workbook(Path(path))  # the same limits as any input, before openpyxl opens it
        return _read(Path(path))
    except archive.Refused as refusal:
        raise NotAPlan(path, str(refusal)) from None
    except OSError as failure:
        raise NotAPlan(path, f"the file cannot be read ({failure.strerror or failure})") from None
    except Exception as failure:  # openpyxl and the cells of a damaged or hand-made workbook raise many types
        raise NotAPlan(path, f"the file cannot be read as a plan ({type(failure).__name__}: {failure})") from None


def _read(path: Path) -> PlanWorkbook:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {name.strip().lower(): book[name] for name in book.sheetnames}
        summary = None
        if "summary" in sheets:
            _, rows = _rows(sheets["summary"])
            summary = {str(row["key"]).strip().lower(): row.get("value") for _, row in rows
                       if row.get("key") is not None}
        header, orders = _rows(sheets["orders"]) if "orders" in sheets else ((), None)
        optional = {name: _rows(sheets[name])[1] if name in sheets else None
                    for name in ("sales", "conversions", "projects", "contracts")}
        scenarios = ()
        by_scenario = has_recourse_orders(header, orders) or has_recourse_orders(("scenario",), optional["conversions"])
        # the first scenario's rows come first: a plan without recourse needs no more
        stock = _rows(sheets["stock"], None if by_scenario else "scenario")[1] if "stock" in sheets else None
        if by_scenario and stock is not None:  # the Stock sheet names every scenario
            names = (row.get("scenario") for _, row in stock)
            scenarios = tuple(dict.fromkeys(str(name) for name in names if name not in (None, "")))
        return PlanWorkbook(path, tuple(book.sheetnames), summary, header, orders, scenarios=scenarios,
                            stock=stock, **optional)
    finally:
        book.close()


def _rows(sheet, first_block: str | None = None) -> tuple[tuple[str, ...], list[Row]]:
    """A sheet's header (lower case) and its non-blank rows below it as dicts by that header; with
    ``first_block`` (a column), only the rows up to the first whose value there differs from the first row's."""
    sheet.reset_dimensions()  # a workbook written in write-only mode may not record its size
    rows = sheet.iter_rows(values_only=True)
    header = tuple(str(h).strip().lower() if h is not None else "" for h in next(rows, ()))
    found: list[Row] = []
    for number, values in enumerate(rows, start=2):
        if any(v is not None for v in values):
            row = dict(zip(header, values))
            if first_block is not None and found and row.get(first_block) != found[0][1].get(first_block):
                break
            found.append((number, row))
    return header, found
