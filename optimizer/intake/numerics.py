"""Warnings for inputs scaled so badly that the solver's tolerances, not the data, decide the plan.

HiGHS works to tolerances of about 1e-7 to 1e-6 relative. A funding row that
adds prices of 0.001 and 10,000, or a stock balance that adds 0.0001 t and
1,000,000 t, asks it to see differences below its tolerances; money beyond 1e13
leaves too few digits of a double for cents. Such inputs are still solved (and
every plan is still checked before it is written), but validation warns, naming
the cells, so an analyst can look for a wrong unit ($/kg against $/t) or a typo.
Past the hard limits of ``optimizer.contract.schema`` (money above ``MONEY_LIMIT`` = 1e15,
quantities above ``QUANTITY_LIMIT`` = 1e12) a cell is an error, not a warning.

| check | threshold | columns (by their schema unit) |
| --- | --- | --- |
| price span | ``MAX_PRICE_SPAN`` = 1e6 | largest / smallest nonzero price, all minerals (``currency/unit``) |
| quantity span | ``MAX_QUANTITY_SPAN`` = 1e6 | largest / smallest nonzero quantity of one mineral (``unit``) |
| money size | ``MAX_MONEY`` = 1e13 | every money cell (``currency``); every per-unit cost times the largest quantity of its mineral |

One more check is a property of the model, not of one cell, so it lives with the
solving wing: ``optimizer/solving/bounds.py`` warns when an offer's order bound
(big-M) dwarfs its mineral's smallest quantity. Intake never imports the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.contract.problems import Problems
from optimizer.intake.reader import RawInput, RawSheet
from optimizer.contract.schema import SHEETS

MAX_PRICE_SPAN = 1e6
MAX_QUANTITY_SPAN = 1e6
MAX_MONEY = 1e13

PRICE, QUANTITY, MONEY = "currency/unit", "unit", "currency"
PER_UNIT = ("currency/unit", "currency/unit/period")


@dataclass(frozen=True)
class _Cell:
    value: float
    sheet: RawSheet
    row: int
    column: str
    mineral: str | None
    shown: object  # the cell as read

    def at(self) -> dict:
        return {"file": self.sheet.file, "sheet": self.sheet.title, "row": self.row,
                "column": self.sheet.headers.get(self.column, self.column), "value": self.shown}

    def where(self) -> str:
        column = self.sheet.headers.get(self.column, self.column)
        return f"sheet '{self.sheet.title}', row {self.row}, column '{column}'"


def scaling_warnings(raw: RawInput, problems: Problems) -> None:
    """Add a warning for every scaling problem of a valid input (see the module's table)."""
    cells = _numeric_cells(raw)
    _span(problems, [c for c in cells[PRICE] if c.value > 0], MAX_PRICE_SPAN, "prices",
          "check the units (a price per kg beside prices per t?)")
    by_mineral: dict[str, list[_Cell]] = {}
    for cell in cells[QUANTITY]:
        if cell.value > 0 and cell.mineral is not None:
            by_mineral.setdefault(cell.mineral, []).append(cell)
    for mineral, quantities in sorted(by_mineral.items()):
        _span(problems, quantities, MAX_QUANTITY_SPAN, f"quantities of {mineral}",
              "check the units (kg beside t?) and the decimal point")
    for cell in cells[MONEY]:
        if cell.value > MAX_MONEY:
            problems.warning(f"this amount is above {MAX_MONEY:.0e}; expected money figures below {MAX_MONEY:.0e} "
                             "(beyond it a double keeps too few digits for the solver's tolerances)", **cell.at())
    largest = {mineral: max(q, key=lambda c: c.value) for mineral, q in by_mineral.items()}
    for cell in cells[PER_UNIT[0]] + cells[PER_UNIT[1]]:
        quantity = largest.get(cell.mineral)
        if quantity is not None and cell.value * quantity.value > MAX_MONEY:
            problems.warning(f"this cost per unit times the largest quantity of {cell.mineral} ({quantity.value:g}, "
                             f"{quantity.where()}) is {cell.value * quantity.value:.3g}; expected money figures below "
                             f"{MAX_MONEY:.0e} (check the units and the decimal point)", **cell.at())


def _span(problems: Problems, cells: list[_Cell], limit: float, what: str, hint: str) -> None:
    if len(cells) < 2:
        return
    smallest = min(cells, key=lambda c: c.value)
    largest = max(cells, key=lambda c: c.value)
    if largest.value > limit * smallest.value:
        problems.warning(f"{what} span {largest.value / smallest.value:.3g} times, from {smallest.value:g} "
                         f"({smallest.where()}) to {largest.value:g} here; expected at most {limit:.0e} times "
                         f"between the largest and the smallest, or the solver's tolerances decide the plan: {hint}",
                         **largest.at())


def _numeric_cells(raw: RawInput) -> dict[str, list[_Cell]]:
    """Every numeric cell of a column with a price, quantity or money unit, grouped by that unit."""
    cells: dict[str, list[_Cell]] = {unit: [] for unit in (PRICE, QUANTITY, MONEY, *PER_UNIT)}
    for spec in SHEETS:
        sheet = raw.sheets.get(spec.name.lower())
        if sheet is None or spec.key_value:
            continue
        columns = [c for c in spec.columns if c.unit in cells]
        for row in sheet.rows:
            mineral = row.values.get("mineral")
            mineral = str(mineral).strip() if mineral is not None else None
            for column in columns:
                value = _number(row.values.get(column.name))
                if value is not None:
                    cells[column.unit].append(_Cell(value, sheet, row.row, column.name, mineral,
                                                    row.values.get(column.name)))
    return cells


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
