"""Problems found in an input: each names file, sheet, Excel row, column, value and expectation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    severity: str
    expected: str  # what was expected, or what is wrong, in words
    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # as Excel numbers it
    column: str | None = None
    value: object = None
    has_value: bool = False  # distinguishes "found blank" from "no value to show"

    def where(self) -> str:
        """Where the problem is, as a message starts: "file, sheet 'S', row 7, column 'c'"."""
        parts = []
        if self.file:
            parts.append(Path(self.file).name)
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        found = f"found {show_value(self.value)}; " if self.has_value else ""
        where = self.where()
        return f"{self.severity}: {where + ': ' if where else ''}{found}{self.expected}"


def show_value(value: object) -> str:
    """A cell value as a message names it: "a blank cell", "the date 2027-01-01", a quoted text cut at 60 characters."""
    if value is None or value == "":
        return "a blank cell"
    if isinstance(value, datetime):
        return f"the date {value:%Y-%m-%d}"
    if isinstance(value, bool):
        return f"the logical value {str(value).upper()}"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return repr(value)


class Problems:
    """Collects every problem of an input so all are reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, expected: str, **where: object) -> None:
        """Record an error: ``expected`` says what was expected, ``where`` names file, sheet, row, column and value."""
        self._add(ERROR, expected, where)

    def warning(self, expected: str, **where: object) -> None:
        """Record a warning: ``expected`` says what was expected, ``where`` names file, sheet, row, column and value."""
        self._add(WARNING, expected, where)

    def _add(self, severity: str, expected: str, where: dict) -> None:
        has_value = "value" in where
        self.items.append(Problem(severity, expected, has_value=has_value, **where))

    def extend(self, other: "Problems") -> None:
        """Add the problems of ``other``."""
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Problem]:
        """The problems that refuse the input."""
        return [p for p in self.items if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that are only warnings."""
        return [p for p in self.items if p.severity == WARNING]


class InputRefused(Exception):
    """The input breaks the contract: nothing is solved or written (exit 2)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len([p for p in problems if p.severity == ERROR])} problem(s) in the input")
