"""Run history: every run recorded in a database, so re-plans know the previous plan of an input.

By default an embedded SQLite file, ``outputs/history.sqlite`` (in WAL mode with a
busy timeout, so a watch and a manual run can write at once); ``--db URL`` takes
any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db`` for a history a
team shares. One row per run in the table ``runs``:

    id, started_at, finished_at (UTC, ISO 8601), command (run, watch, schedule),
    input_path (resolved), input_name, input_sha256, input_files [{path, sha256}],
    settings {key: value}, status (optimal, feasible, infeasible, error, refused),
    exit_code, objective, costs {term: value} (the seven and change_cost),
    output_path, timings {stage: seconds}, message, previous_run_id, frozen_orders,
    orders [{supplier, mineral, period, quantity, unit_price, list_price}],
    prices [{supplier, mineral, unit_price, prices {period: price}}], host, pid.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

DEFAULT_NAME = "history.sqlite"
ENVIRONMENT_VARIABLE = "OPTIMIZE_HISTORY_DB"  # a URL or a path; overrides the default location
BUSY_TIMEOUT_MS = 30_000
PLAN_STATUSES = ("optimal", "feasible")

metadata = sa.MetaData()
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.String(32), nullable=False),
    sa.Column("finished_at", sa.String(32)),
    sa.Column("command", sa.String(16)),
    sa.Column("input_path", sa.Text, index=True),
    sa.Column("input_name", sa.Text, index=True),
    sa.Column("input_sha256", sa.String(64)),
    sa.Column("input_files", sa.JSON),
    sa.Column("settings", sa.JSON),
    sa.Column("status", sa.String(16)),
    sa.Column("exit_code", sa.Integer),
    sa.Column("objective", sa.Float),
    sa.Column("costs", sa.JSON),
    sa.Column("output_path", sa.Text),
    sa.Column("timings", sa.JSON),
    sa.Column("message", sa.Text),
    sa.Column("previous_run_id", sa.Integer),
    sa.Column("frozen_orders", sa.Integer),
    sa.Column("orders", sa.JSON),
    sa.Column("prices", sa.JSON),
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),
)


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
        return self.status in PLAN_STATUSES and self.output_path is not None

    def brief(self) -> dict:
        """The columns ``optimize history`` shows."""
        return {"id": self.id, "started_at": self.started_at, "command": self.command, "input": self.input_name,
                "status": self.status, "exit_code": self.exit_code, "objective": self.objective,
                "seconds": round(sum(self.timings.values()), 2) if self.timings else None,
                "input_sha256": self.input_sha256[:12], "output": self.output_path}


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def input_key(input_path: Path) -> tuple[str, str]:
    """(resolved path, name) by which runs of the same input are found."""
    resolved = Path(input_path).resolve()
    return str(resolved), resolved.name


def content_hash(input_path: Path) -> str:
    """The input's sha256 as the reader computes it (``input_sha256``), without reading the sheets."""
    from optimizer.reader import _sha256, workbook_paths

    files = workbook_paths(Path(input_path)) if Path(input_path).exists() else []
    return hashlib.sha256("".join(f"{p.name}:{_sha256(p)};" for p in files).encode()).hexdigest()


def default_url(outputs_dir: Path = Path("outputs")) -> str:
    """``$OPTIMIZE_HISTORY_DB`` when set, else ``<outputs_dir>/history.sqlite``."""
    return database_url(os.environ.get(ENVIRONMENT_VARIABLE) or str(Path(outputs_dir) / DEFAULT_NAME))


def database_url(text: str) -> str:
    """A SQLAlchemy URL as given, or a file path turned into a SQLite URL."""
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


class History:
    """The run history behind one database URL."""

    def __init__(self, url: str):
        self.url = database_url(url)
        self.engine = _engine(self.url)
        _create_tables(self.engine)

    def record(self, record: RunRecord) -> int:
        """Insert ``record``; returns (and sets) its id."""
        values = {f.name: _clean(getattr(record, f.name)) for f in fields(record) if f.name != "id"}
        with self.engine.begin() as connection:
            result = connection.execute(runs.insert().values(**values))
            record.id = int(result.inserted_primary_key[0])
        return record.id

    def get(self, run_id: int) -> RunRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
        return _record(row) if row else None

    def runs(self, limit: int | None = None, input_path: Path | None = None) -> list[RunRecord]:
        """The latest runs first (of one input when given)."""
        query = sa.select(runs).order_by(runs.c.id.desc())
        if input_path is not None:
            query = query.where(runs.c.input_path == input_key(input_path)[0])
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def previous_plan(self, input_path: Path) -> RunRecord | None:
        """The latest run of the same input (same path, else same name) that wrote a plan."""
        path, name = input_key(input_path)
        for column, value in ((runs.c.input_path, path), (runs.c.input_name, name)):
            query = (sa.select(runs).where(column == value, runs.c.status.in_(PLAN_STATUSES),
                                           runs.c.output_path.is_not(None))
                     .order_by(runs.c.id.desc()).limit(1))
            with self.engine.connect() as connection:
                row = connection.execute(query).mappings().first()
            if row:
                return _record(row)
        return None

    def dispose(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection, _record) -> None:
        """WAL: readers never block the writer; busy_timeout: a second writer waits instead of failing."""
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return engine


def _create_tables(engine: sa.Engine) -> None:
    """Create the table once; two processes creating it at once is harmless."""
    try:
        metadata.create_all(engine)
    except (OperationalError, ProgrammingError, IntegrityError):
        if not sa.inspect(engine).has_table("runs"):  # not the other process's table: a real failure
            raise


def _clean(value: object) -> object:
    """JSON-safe values: NaN and infinities become None (PostgreSQL's JSON refuses them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def _record(row) -> RunRecord:
    values = dict(row)
    for name in ("input_files", "settings", "costs", "timings", "orders", "prices"):
        if isinstance(values.get(name), str):  # a driver that hands JSON back as text
            values[name] = json.loads(values[name])
        if values.get(name) is None:
            values[name] = [] if name in ("input_files", "orders", "prices") else {}
    return RunRecord(**values)


def as_json(records: list[RunRecord], full: bool = False) -> str:
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

