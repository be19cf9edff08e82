"""The ``About`` sheet of every workbook: where it came from and how to read each sheet.

Key/value rows: each input file with its SHA-256, the settings, the command
line, the package, Python and HiGHS versions, the time it was written, then
one line per sheet of the workbook (the ``note`` of its TableSpec, or what a
writer told ``Book.about``). The HiGHS version is read from the installed
package's metadata: no solver is loaded to write a workbook.
"""

from __future__ import annotations

import dataclasses
import platform
import shlex
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from optimizer import __version__
from optimizer.contract.data import PlanningData
from optimizer.reporting.xlsx import Book, TableSpec

ABOUT = "About"
ABOUT_NOTE = "where this workbook came from (inputs and their SHA-256, settings, command, versions) and each sheet"


def package_version(name: str) -> str:
    """The installed version of ``name``, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def command_line() -> str:
    """The command that wrote the workbook, as typed (the program's name without its folder)."""
    arguments = list(sys.argv)
    if arguments:
        arguments[0] = Path(arguments[0]).name
    return shlex.join(arguments)


def provenance(data: PlanningData | None = None) -> list[tuple[str, object]]:
    """Input files and their SHA-256, settings, command line, versions and the time."""
    rows: list[tuple[str, object]] = []
    if data is not None:
        for file in data.input_files:
            rows.append((f"input {Path(file.path).name}", f"SHA-256 {file.sha256} ({file.path})"))
        if data.input_sha256:  # not any one file's SHA-256: said, so the two never read as contradicting
            rows.append(("input_sha256", f"{data.input_sha256} (the Summary's and the history's: the SHA-256 of "
                                         "every input file's name and SHA-256 together)"))
        for field in dataclasses.fields(data.settings):
            value = getattr(data.settings, field.name)
            shown = "not set" if value is None else value if isinstance(value, (int, float, str)) else str(value)
            rows.append((f"setting {field.name}", shown))
    rows += [
        ("command", command_line()),
        ("engine_version", __version__),
        ("highs_version", package_version("highspy")),
        ("python_version", platform.python_version()),
        ("xlsxwriter_version", package_version("xlsxwriter")),
        ("written_at", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    return rows


def about_spec(book: Book, data: PlanningData | None = None, rows: list[tuple[str, object]] = ()) -> TableSpec:
    """The About sheet: ``rows`` (what the workbook's writer adds), provenance, then one line per sheet
    written so far (the About sheet is written last)."""
    sheets = [(f"sheet {title}", note) for title, note in book.about]
    sheets.append((f"sheet {ABOUT}", ABOUT_NOTE))
    frame = pd.DataFrame([*rows, *provenance(data), *sheets], columns=["key", "value"])
    return TableSpec(ABOUT, frame, {}, wide=("value",), key_formats=lambda key: None)
