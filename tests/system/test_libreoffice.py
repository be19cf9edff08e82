"""A real spreadsheet client opens every kind of workbook the project writes: LibreOffice Calc, headless.

A plan, a sweep, a stress test and the template (small ones, built from the
template's example rows) are converted to PDF and, one CSV file per sheet, to
CSV with the cells' values (not as shown); every CSV cell equals what openpyxl
reads from the written workbook. Skipped, saying so, where LibreOffice is not
installed (``.ci/run`` installs ``libreoffice-calc-nogui``). Each conversion
starts LibreOffice once for all four workbooks.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from clirun import invoke

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs "
                                                        "libreoffice-calc-nogui from the system's packages")
# Comma-separated, quoted text, UTF-8, US number style, values not as shown, every sheet to its own file.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1"
KINDS = ("plan", "sweep", "stress", "template")


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    """The four kinds, small: the template, its plan, a two-point sweep and a 200-sample stress test of it."""
    folder = tmp_path_factory.mktemp("libreoffice")
    paths = {kind: folder / f"{kind}.xlsx" for kind in KINDS}
    steps = [["template", paths["template"]],
             ["run", paths["template"], "--output", paths["plan"], "--no-history", "--no-explain"],
             ["sweep", paths["template"], "--funding", "Ex-Im loan=0,20e6", "--workers", "0", "--output",
              paths["sweep"]],
             ["stress", paths["plan"], "--input", paths["template"], "--samples", "200", "--workers", "0",
              "--output", paths["stress"]]]
    for step in steps:
        result = invoke(*step)
        assert result.exit_code == 0, result.output
    return paths


def convert(paths: list[Path], target: str, outdir: Path, profile: Path) -> None:
    outdir.mkdir(exist_ok=True)
    done = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
                           "--outdir", str(outdir), *map(str, paths)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def converted(workbooks, tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("converted")
    profile = tmp_path_factory.mktemp("profile")
    convert(list(workbooks.values()), "pdf", outdir, profile)
    convert(list(workbooks.values()), CSV_FILTER, outdir, profile)
    return outdir


@pytest.mark.parametrize("kind", KINDS)
def test_each_workbook_prints_to_pdf(workbooks, converted, kind):
    pdf = converted / f"{kind}.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


@pytest.mark.parametrize("kind", KINDS)
def test_every_sheets_csv_values_equal_what_was_written(workbooks, converted, kind):
    book = openpyxl.load_workbook(workbooks[kind])
    assert "About" in book.sheetnames
    for sheet in book.worksheets:
        exported = converted / f"{kind}-{sheet.title}.csv"
        assert exported.exists(), f"{exported.name} was not written"
        with exported.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        written = [[cell.value for cell in row] for row in sheet.iter_rows()]
        for row_number, row in enumerate(written):
            for column_number, value in enumerate(row):
                text = rows[row_number][column_number] if row_number < len(rows) and column_number < len(
                    rows[row_number]) else ""
                assert same(value, text), (f"{kind} '{sheet.title}' row {row_number + 1} column "
                                           f"{column_number + 1}: wrote {value!r}, LibreOffice read {text!r}")


def same(value, text: str) -> bool:
    """Whether LibreOffice's CSV text is the written value: text as it is, numbers to 15 digits, shares with
    their % sign (LibreOffice keeps it even for values), dates in either order."""
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text.upper() == str(value).upper()
    if isinstance(value, (int, float)):
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        return abs(number - value) <= 1e-12 * max(1.0, abs(value))
    if isinstance(value, (date, datetime)):
        day = value.date() if isinstance(value, datetime) else value
        return text in (day.isoformat(), f"{day.month:02}/{day.day:02}/{day.year}", f"{day.month}/{day.day}/{day.year}")
    return text == str(value)
