"""Helpers for tests of reading and validation: read and validate a path, pick out problems."""

from __future__ import annotations

from pathlib import Path

from optimizer.contract.problems import ERROR, Problem
from optimizer.intake.reader import read_input
from optimizer.intake.validate import validate


def read_and_validate(path: Path):
    """Read then validate, as ``optimize validate`` does: (data or None, every problem)."""
    raw, read_problems = read_input(path)
    data, problems = validate(raw)
    return data, read_problems.items + problems.items


def only(problems: list[Problem], text: str, severity: str = ERROR) -> Problem:
    """The single problem of ``severity`` whose message contains ``text``."""
    found = [p for p in problems if p.severity == severity and text in str(p)]
    assert len(found) == 1, f"expected one {severity} with {text!r}, got:\n" + "\n".join(map(str, problems))
    return found[0]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]
