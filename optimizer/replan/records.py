"""The run history's records and names without its database: what a run needs when it records nothing.

``optimizer/replan/history.py`` keeps the database (SQLAlchemy); a run with ``--no-history`` (and every module
that only names a record, hashes an input or says where the history lives) imports this one alone, so
SQLAlchemy is not imported at all (docs/performance.md, example-fast3: 0.3 s of CPU at start, load 7).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_NAME = "history.sqlite"
ENVIRONMENT_VARIABLE = "OPTIMIZE_HISTORY_DB"  # a URL or a path; overrides the default location
PLAN_STATUSES = ("optimal", "feasible")


class HistoryUnavailable(Exception):
    """The run history cannot be read or written; the message names the database and what to do."""


@dataclass
class RunRecord:
    """One run as recorded; ``id`` is set by the database."""

    started_at: str
    input_path: str
    input_name: str
    status: str
    exit_code: int
    command: str = "run"
    finished_at: str | None = None
    input_sha256: str = ""
    input_files: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    objective: float | None = None
    costs: dict = field(default_factory=dict)
    output_path: str | None = None
    timings: dict = field(default_factory=dict)
    message: str = ""
    previous_run_id: int | None = None
    frozen_orders: int = 0
    orders: list[dict] = field(default_factory=list)
    prices: list[dict] = field(default_factory=list)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    id: int | None = None

    @property
    def has_plan(self) -> bool:
        """Whether the run wrote a plan that a later run can compare with."""
        return self.status in PLAN_STATUSES and self.output_path is not None

    def brief(self) -> dict:
        """The columns ``optimize history`` shows."""
        return {"id": self.id, "started_at": self.started_at, "command": self.command, "input": self.input_name,
                "status": self.status, "exit_code": self.exit_code, "objective": self.objective,
                "seconds": round(sum(self.timings.values()), 2) if self.timings else None,
                "input_sha256": self.input_sha256[:12], "output": self.output_path}


def now_utc() -> str:
    """The current time in UTC, ISO 8601 to the millisecond, as the history stores it."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def input_key(input_path: Path) -> tuple[str, str]:
    """(resolved path, name) by which runs of the same input are found."""
    resolved = Path(input_path).resolve()
    return str(resolved), resolved.name


def content_hash(input_path: Path) -> str:
    """The input's sha256 as the reader computes it (``input_sha256``), without reading the sheets."""
    from optimizer.intake.reader import input_sha256

    return input_sha256(Path(input_path))


def default_url(outputs_dir: Path = Path("outputs")) -> str:
    """``$OPTIMIZE_HISTORY_DB`` when set, else ``<outputs_dir>/history.sqlite``."""
    return database_url(os.environ.get(ENVIRONMENT_VARIABLE) or str(Path(outputs_dir) / DEFAULT_NAME))


def database_url(text: str) -> str:
    """A SQLAlchemy URL as given, or a file path turned into a SQLite URL."""
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def as_json(records: list[RunRecord], full: bool = False) -> str:
    """The runs as a JSON list: brief fields, or every field with ``full``."""
    return json.dumps([asdict(r) if full else r.brief() for r in records], default=str)


def as_table(records: list[RunRecord]) -> str:
    """The runs as a plain-text table, latest first (``optimize history``)."""
    import pandas as pd

    rows = []
    for r in records:
        row = r.brief()
        row["objective"] = "" if r.objective is None else f"{r.objective:,.2f}"
        row["seconds"] = "" if row["seconds"] is None else f"{row['seconds']:.1f}"
        row["output"] = Path(r.output_path).name if r.output_path else ""
        rows.append({k: ("" if v is None else v) for k, v in row.items()})
    return pd.DataFrame(rows).astype(str).to_string(index=False)

