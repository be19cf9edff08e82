"""Read stage: one workbook or a folder of them into raw sheets, no interpretation.

Sheets and headers are matched case-insensitively after trimming spaces; the
first non-empty row of a sheet is its header; empty rows are dropped. Every
cell keeps its Excel row number so later messages can point at it. Nothing
here imports Pyomo or knows what a column means beyond its name.

Text is read as Excel shows it: Excel writes characters XML cannot hold as
``_xHHHH_`` (``_x0001_``), which openpyxl leaves as written, so they are decoded
here (validation then refuses the control characters they stand for, by cell).
Hidden files of a folder (a leading dot: macOS's ``._name.xlsx``, temporary
files) are skipped like Excel's ``~$`` lock files; hidden sheets are read, with
a warning, since no one sees them in Excel.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from optimizer.intake import archive
from optimizer.contract.data import InputFile
from optimizer.contract.problems import Problems
from optimizer.contract.schema import SHEETS_BY_KEY, normalise_name

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
SKIPPED_PREFIXES = ("~$", ".")  # Excel's lock files; hidden files (macOS ._ files, temporary copies)
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # a compound file: an encrypted workbook, or a .xls
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


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
    path: str = ""  # the INPUT as given: a workbook or a folder (for problems about no one sheet)


class FormulaWithoutValue:
    """A formula cell that Excel never calculated: its value is unknown."""

    def __init__(self, formula: object):
        text = str(getattr(formula, "text", formula))  # array formulas are objects holding the text
        self.formula = text if text.startswith("=") else "=" + text


def workbook_paths(path: Path) -> list[Path]:
    """The workbooks an INPUT names: the file itself, or every workbook in the folder but lock and hidden files."""
    if path.is_dir():
        return sorted(
            p for p in path.iterdir()
            if p.suffix.lower() in WORKBOOK_SUFFIXES and not p.name.startswith(SKIPPED_PREFIXES) and p.is_file()
        )
    return [path]


def decode_excel_escapes(text: str) -> str:
    """Text as Excel shows it: ``_xHHHH_`` is the character U+HHHH (``_x005F_`` an underscore, so escapes nest)."""
    if "_x" not in text:
        return text
    return _EXCEL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def read_input(path: Path) -> tuple[RawInput, Problems]:
    """Read INPUT (a workbook or a folder of workbooks); problems are collected, never raised."""
    problems = Problems()
    sheets: dict[str, RawSheet] = {}
    files: list[InputFile] = []
    if not path.exists():
        problems.error("the input does not exist; expected a .xlsx workbook or a folder of them", file=str(path))
        return RawInput({}, (), "", str(path)), problems
    paths = workbook_paths(path)
    if not paths:
        hidden = sorted(p.name for p in path.iterdir() if p.name.startswith(".")) if path.is_dir() else []
        skipped = f" (hidden files are skipped: {', '.join(hidden[:3])}{', ...' if len(hidden) > 3 else ''})" \
            if hidden else ""
        problems.error(f"the folder holds no .xlsx workbook{skipped}", file=str(path))
    budget = archive.Budget()  # the size limits hold for all files of a folder together
    for workbook in paths:
        for sheet in _read_workbook(workbook, problems, budget):
            key = normalise_name(sheet.title)
            if key in sheets:
                _report_second_copy(sheets[key], sheet, problems)
                continue
            sheets[key] = sheet
        files.append(InputFile(str(workbook), _sha256(workbook)))
    combined = _combined_sha256((Path(f.path), f.sha256) for f in files)
    return RawInput(sheets, tuple(files), combined, str(path)), problems


def input_sha256(path: Path) -> str:
    """The sha256 ``read_input`` gives INPUT (``PlanningData.input_sha256``), without reading the sheets."""
    files = workbook_paths(Path(path)) if Path(path).exists() else []
    return _combined_sha256((file, _sha256(file)) for file in files)


def _combined_sha256(files) -> str:
    """One hash of every (path, file hash): the names count, so renaming a file of a folder changes it."""
    return hashlib.sha256("".join(f"{path.name}:{sha256};" for path, sha256 in files).encode()).hexdigest()


def _report_second_copy(first: RawSheet, second: RawSheet, problems: Problems) -> None:
    """A sheet read twice (two files of a folder, or two names differing only in case or spaces)."""
    if first.file == second.file:
        problems.error(f"the sheets '{first.title}' and '{second.title}' are the same sheet twice in the "
                       "workbook (names match ignoring case and spaces); expected each sheet once",
                       file=second.file, sheet=second.title)
        return
    problems.error(f"sheet '{second.title}' is found in two files: {Path(first.file).name} and "
                   f"{Path(second.file).name}; expected each sheet in one file only",
                   file=second.file, sheet=second.title)


def _sha256(path: Path) -> str:
    """The file's hash, read a chunk at a time; "" for a file refused as too large (never read whole)."""
    try:
        if not path.is_file() or path.stat().st_size > archive.MAX_FILE_BYTES:
            return ""
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return ""  # reported by _read_workbook


def _read_workbook(path: Path, problems: Problems, budget: archive.Budget | None = None) -> list[RawSheet]:
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        problems.error("not an Excel workbook; expected a .xlsx file", file=str(path))
        return []
    if not path.is_file():  # a device, a pipe or a folder named .xlsx: reading it could never end
        problems.error("not a regular file; expected a .xlsx workbook", file=str(path))
        return []
    try:
        if not zipfile.is_zipfile(path):
            problems.error(_not_a_zip(path), file=str(path))
            return []
        archive.check_workbook(path, budget)  # limits and hostile XML, before openpyxl opens the file
    except archive.Refused as refusal:
        problems.error(str(refusal), file=str(path), sheet=refusal.sheet)
        return []
    except OSError as exc:
        problems.error(f"the file cannot be read ({exc.strerror or exc}); expected a readable .xlsx workbook",
                       file=str(path))
        return []
    if path.suffix.lower() == ".xlsm":
        problems.warning("the workbook has macros; they are never run, only cell values are read", file=str(path))
    try:
        return _read_sheets(path, problems)
    except Exception as exc:  # openpyxl raises many types on damaged files
        problems.error(_unreadable(exc), file=str(path))
        return []


def _not_a_zip(path: Path) -> str:
    """Why a .xlsx is no zip: password-protected (Excel encrypts into a compound file), a .xls, or damaged."""
    with open(path, "rb") as handle:
        if handle.read(len(OLE_MAGIC)) == OLE_MAGIC:
            if _holds_stream(handle, "EncryptionInfo"):
                return ("the workbook is password-protected (encrypted); expected a workbook saved without a "
                        "password (in Excel: File > Info > Protect Workbook > Encrypt with Password, clear it)")
            return ("the file is an Excel 97-2003 workbook (.xls) or another compound file renamed .xlsx; "
                    "expected a .xlsx workbook (in Excel: Save As > Excel Workbook)")
    return "the file is damaged or is not a workbook (another format renamed .xlsx?); expected a valid .xlsx workbook"


def _holds_stream(handle, name: str) -> bool:
    """Whether a compound file's directory names the stream (names are UTF-16; read a chunk at a time)."""
    wanted = name.encode("utf-16-le")
    handle.seek(0)
    tail = b""
    for _ in range(archive.MAX_FILE_BYTES // (1 << 20)):  # bounded: a file is refused above that size
        chunk = handle.read(1 << 20)
        if not chunk:
            return False
        if wanted in tail + chunk:
            return True
        tail = chunk[-len(wanted):]
    return False


def _unreadable(exc: Exception) -> str:
    """What openpyxl's failure means; defusedxml's refusals (wrapped by openpyxl) are named as such."""
    cause: BaseException | None = exc
    for _ in range(20):  # the chain of causes, bounded in case it loops
        if cause is None:
            break
        if type(cause).__module__.startswith("defusedxml"):
            return (f"the workbook's XML declares entities or a document type ({type(cause).__name__}), which no "
                    "workbook needs and an entity-expansion bomb uses; expected plain workbook XML")
        cause = cause.__cause__ or cause.__context__
    return f"the workbook cannot be read ({type(exc).__name__}: {exc}); expected a valid .xlsx workbook"


ABOUT_SHEET = "About"  # optimize template's sheet of notes; ignored without a warning


def _read_sheets(path: Path, problems: Problems) -> list[RawSheet]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        raw_sheets = []
        formula_cells: dict[str, list[tuple[int, int]]] = {}
        for worksheet in book.worksheets:
            if normalise_name(worksheet.title) not in SHEETS_BY_KEY:
                if worksheet.title == ABOUT_SHEET:  # the template's own notes: read by people, not planned
                    continue
                problems.warning("this sheet is not part of the contract and is ignored",
                                 file=str(path), sheet=worksheet.title)
                continue
            if getattr(worksheet, "sheet_state", "visible") != "visible":
                state = "very hidden (visible only in the VBA editor)" if worksheet.sheet_state == "veryHidden" \
                    else "hidden"
                problems.warning(f"the sheet is {state} in Excel; its rows are read and planned all the same "
                                 "(unhide it to see what is planned, or delete it)", file=str(path),
                                 sheet=worksheet.title)
            worksheet.reset_dimensions()  # the saved dimension may be wrong and would hide cells
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
                value = decode_excel_escapes(value).strip() or None
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
            worksheet = book[title]
            worksheet.reset_dimensions()
            for row_number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
                for column_index, value in enumerate(cells):
                    if (row_number, column_index) in wanted:
                        formula = grid[row_number][column_index]
                        if isinstance(value, str):
                            value = decode_excel_escapes(value).strip() or None
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
        if isinstance(header, FormulaWithoutValue):
            _report_formula(problems, path, title, header_row, get_column_letter(index + 1), header)
            continue
        if header is None:
            continue
        key = normalise_name(header)
        if key in headers:
            problems.error(f"column '{header}' appears twice; expected each column once",
                           file=str(path), sheet=title, row=header_row, column=get_column_letter(index + 1),
                           value=header)
            continue
        headers[key] = str(header).strip()
        positions[index] = key
    rows = []
    for row_number in sorted(grid)[1:]:
        values = {}
        for index, value in enumerate(grid[row_number]):
            if index not in positions:
                continue
            if isinstance(value, FormulaWithoutValue) and positions[index] in _contract_columns(title):
                _report_formula(problems, path, title, row_number, headers[positions[index]], value)
            values[positions[index]] = value
        if any(v is not None for v in values.values()):
            rows.append(RawRow(row_number, values))
    return RawSheet(str(path), title, header_row, headers, rows)


def _contract_columns(title: str) -> set[str]:
    """The columns of a sheet whose values are read (a formula elsewhere is ignored with its column)."""
    sheet = SHEETS_BY_KEY[normalise_name(title)]
    return {"key", "value"} if sheet.key_value else {c.name for c in sheet.columns}


def _report_formula(problems: Problems, path: Path, title: str, row: int, column: str,
                    cell: FormulaWithoutValue) -> None:
    problems.error("the formula has no saved value; expected a value "
                   "(open and save the workbook in Excel so formulas are calculated)",
                   file=str(path), sheet=title, row=row, column=column, value=cell.formula)
