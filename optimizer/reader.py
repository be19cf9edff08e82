"""Read stage: one workbook or a folder of them into raw sheets, no interpretation.

Sheets and headers are matched case-insensitively after trimming spaces; the
first non-empty row of a sheet is its header; empty rows are dropped. Every
cell keeps its Excel row number so later messages can point at it. Nothing
here imports Pyomo or knows what a column means beyond its name.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from optimizer.data import InputFile
from optimizer.problems import Problems
from optimizer.schema import SHEETS_BY_KEY, normalise_name

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class RawRow:
    row: int  # Excel row number
    values: dict[str, object]  # normalised header -> cell value (None when blank)


@dataclass(frozen=True)
class RawSheet:
    file: str
    title: str  # the sheet's name as written in the workbook
    header_row: int
    headers: dict[str, str]  # normalised header -> header as written
    rows: list[RawRow] = field(default_factory=list)


@dataclass(frozen=True)
class RawInput:
    sheets: dict[str, RawSheet]  # normalised sheet name -> sheet
    files: tuple[InputFile, ...]
    sha256: str  # of all input files together


class FormulaWithoutValue:
    """A formula cell that Excel never calculated: its value is unknown."""

    def __init__(self, formula: str):
        self.formula = formula


def workbook_paths(path: Path) -> list[Path]:
    """The workbooks an INPUT names: the file itself, or every workbook in the folder."""
    if path.is_dir():
        return sorted(
            p for p in path.iterdir()
            if p.suffix.lower() in WORKBOOK_SUFFIXES and not p.name.startswith("~$") and p.is_file()
        )
    return [path]


def read_input(path: Path) -> tuple[RawInput, Problems]:
    """Read INPUT (a workbook or a folder of workbooks); problems are collected, never raised."""
    problems = Problems()
    sheets: dict[str, RawSheet] = {}
    files: list[InputFile] = []
    if not path.exists():
        problems.error("the input does not exist; expected a .xlsx workbook or a folder of them", file=str(path))
        return RawInput({}, (), ""), problems
    paths = workbook_paths(path)
    if not paths:
        problems.error("the folder holds no .xlsx workbook", file=str(path))
    for workbook in paths:
        content = workbook.read_bytes()
        files.append(InputFile(str(workbook), hashlib.sha256(content).hexdigest()))
        for sheet in _read_workbook(workbook, problems):
            key = normalise_name(sheet.title)
            if key in sheets:
                problems.error(
                    f"sheet '{sheet.title}' is found in two files: {Path(sheets[key].file).name} and "
                    f"{workbook.name}; expected each sheet in one file only",
                    file=str(workbook), sheet=sheet.title,
                )
                continue
            sheets[key] = sheet
    combined = hashlib.sha256("".join(f"{Path(f.path).name}:{f.sha256};" for f in files).encode()).hexdigest()
    return RawInput(sheets, tuple(files), combined), problems


def _read_workbook(path: Path, problems: Problems) -> list[RawSheet]:
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        problems.error("not an Excel workbook; expected a .xlsx file", file=str(path))
        return []
    if not zipfile.is_zipfile(path):
        problems.error("the file is not a valid .xlsx workbook (damaged, or another format renamed)", file=str(path))
        return []
    if path.suffix.lower() == ".xlsm":
        problems.warning("the workbook has macros; they are never run, only cell values are read", file=str(path))
    try:
        return _read_sheets(path, problems)
    except Exception as exc:  # openpyxl raises many types on damaged files
        problems.error(f"the workbook cannot be read ({type(exc).__name__}: {exc}); "
                       "expected a valid .xlsx workbook", file=str(path))
        return []


def _read_sheets(path: Path, problems: Problems) -> list[RawSheet]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        raw_sheets = []
        formula_cells: dict[str, list[tuple[int, int]]] = {}
        for worksheet in book.worksheets:
            if normalise_name(worksheet.title) not in SHEETS_BY_KEY:
                problems.warning("this sheet is not part of the contract and is ignored",
                                 file=str(path), sheet=worksheet.title)
                continue
            grid = _read_grid(worksheet, formula_cells.setdefault(worksheet.title, []))
            raw_sheets.append((worksheet.title, grid))
    finally:
        book.close()
    if any(formula_cells.values()):
        _fill_formula_values(path, raw_sheets, formula_cells)
    return [_to_raw_sheet(path, title, grid, problems) for title, grid in raw_sheets]


def _read_grid(worksheet, formula_cells: list[tuple[int, int]]) -> dict[int, list[object]]:
    """Row number -> cell values, for non-empty rows; formulas are noted for a second look."""
    grid: dict[int, list[object]] = {}
    for row_number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = []
        for column_index, cell in enumerate(cells):
            value = cell.value
            if getattr(cell, "data_type", None) == "f":
                formula_cells.append((row_number, column_index))
            elif isinstance(value, str):
                value = value.strip() or None
            values.append(value)
        if any(v is not None for v in values):
            grid[row_number] = values
    return grid


def _fill_formula_values(path: Path, raw_sheets, formula_cells) -> None:
    """Replace formulas by the values Excel saved for them (or a marker when it saved none)."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for title, grid in raw_sheets:
            wanted = set(formula_cells.get(title, ()))
            if not wanted:
                continue
            for row_number, cells in enumerate(book[title].iter_rows(values_only=True), start=1):
                for column_index, value in enumerate(cells):
                    if (row_number, column_index) in wanted:
                        formula = grid[row_number][column_index]
                        if isinstance(value, str):
                            value = value.strip() or None
                        grid[row_number][column_index] = FormulaWithoutValue(formula) if value is None else value
    finally:
        book.close()


def _to_raw_sheet(path: Path, title: str, grid: dict[int, list[object]], problems: Problems) -> RawSheet:
    if not grid:
        return RawSheet(str(path), title, 0, {})
    header_row = min(grid)
    headers: dict[str, str] = {}
    positions: dict[int, str] = {}
    for index, header in enumerate(grid[header_row]):
        if header is None or isinstance(header, FormulaWithoutValue):
            continue
        key = normalise_name(header)
        if key in headers:
            problems.error(f"column '{header}' appears twice; expected each column once",
                           file=str(path), sheet=title, row=header_row, column=get_column_letter(index + 1))
            continue
        headers[key] = str(header).strip()
        positions[index] = key
    rows = []
    for row_number in sorted(grid)[1:]:
        values = {}
        for index, value in enumerate(grid[row_number]):
            if index not in positions:
                continue
            if isinstance(value, FormulaWithoutValue):
                problems.error(f"the formula {value.formula} has no saved value; expected a value "
                               "(open and save the workbook in Excel so formulas are calculated)",
                               file=str(path), sheet=title, row=row_number, column=headers[positions[index]])
            values[positions[index]] = value
        if any(v is not None for v in values.values()):
            rows.append(RawRow(row_number, values))
    return RawSheet(str(path), title, header_row, headers, rows)
