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
| order big-M | ``MAX_BIG_M_SPAN`` = 1e6 | an offer's largest order bound (models/ordering.py ``order_upper_bounds``) / the smallest positive demand, target, min_order, discount threshold or commitment of its mineral |

The last is a property of the model, not of one cell: ``order_bound_warnings``
runs on the validated data. An order bound M links an order x to its yes/no
variable y by x <= M y; HiGHS accepts y within about 1e-9..1e-6 of 0, so a large
M lets a small order through unpaid. The solve repairs such orders
(models/repair.py), but the warning says which offer invites them.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.ordering import order_upper_bounds
from optimizer.contract.data import PlanningData
from optimizer.contract.problems import Problem, Problems
from optimizer.intake.reader import RawInput, RawSheet
from optimizer.contract.schema import SHEETS

MAX_PRICE_SPAN = 1e6
MAX_QUANTITY_SPAN = 1e6
MAX_MONEY = 1e13
MAX_BIG_M_SPAN = 1e6

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


def order_bound_warnings(data: PlanningData) -> list[Problem]:
    """A warning for each offer whose order bound exceeds MAX_BIG_M_SPAN times its mineral's smallest quantity."""
    largest: dict[tuple[str, str], float] = {}
    for slot, bound in order_upper_bounds(data).items():
        if slot not in data.commitments:
            largest[slot[:2]] = max(largest.get(slot[:2], 0.0), bound)
    smallest = smallest_quantities(data)
    problems = Problems()
    for (supplier, mineral), bound in sorted(largest.items()):
        if mineral not in smallest:
            continue
        quantity, what = smallest[mineral]
        if bound > MAX_BIG_M_SPAN * quantity:
            unit = data.minerals[mineral].unit
            problems.warning(
                f"an order of {mineral} from {supplier} can reach {bound:.3g} {unit} (its bound: what an optimal "
                f"plan could use, within capacity, money and storage), {bound / quantity:.3g} times the smallest "
                f"quantity of {mineral} ({quantity:g} {unit}, {what}); expected at most {MAX_BIG_M_SPAN:.0e} times, "
                "or the solver's integrality tolerance can let an order skip its order_cost (such orders are "
                "repaired after the solve): set this offer's max_per_period, or check the units",
                sheet="Offers", column="max_per_period", value=data.offers[supplier, mineral].max_per_period)
    return problems.items


def smallest_quantities(data: PlanningData) -> dict[str, tuple[float, str]]:
    """Per mineral, its smallest positive demand, target, min_order, discount threshold or commitment, and where."""
    found: dict[str, tuple[float, str]] = {}

    def consider(mineral: str, quantity: float, what: str) -> None:
        if quantity > 0 and (mineral not in found or quantity < found[mineral][0]):
            found[mineral] = (quantity, what)

    for (mineral, period), quantity in data.demand.items():
        consider(mineral, quantity, f"demand in period {period}")
    for (mineral, period), quantity in data.targets.items():
        consider(mineral, quantity, f"target in period {period}")
    for (supplier, mineral), offer in data.offers.items():
        consider(mineral, offer.min_order, f"min_order of {supplier}")
        for threshold, _ in offer.discounts:
            consider(mineral, threshold, f"discount threshold of {supplier}")
    for (supplier, mineral, period), quantity in data.commitments.items():
        consider(mineral, quantity, f"commitment of {supplier} in period {period}")
    return found


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
