"""Run history: every run recorded in a database, so re-plans know the previous plan of an input.

By default an embedded SQLite file, ``outputs/history.sqlite`` (in WAL mode with a
busy timeout, so a watch and a manual run can write at once); ``--db URL`` takes
any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db`` for a history a
team shares. One row per run in the table ``optimize_runs`` (a name of its own, so
that a database holding another program's ``runs`` table is never written into; a
history written by an earlier version, whose table ``runs`` has exactly these
columns, is read and written where it is):

    id, started_at, finished_at (UTC, ISO 8601), command (run, watch, schedule),
    input_path (resolved), input_name, input_sha256, input_files [{path, sha256}],
    settings {key: value}, status (optimal, feasible, infeasible, error, refused),
    exit_code, objective, costs {term: value} (the seven and change_cost),
    output_path, timings {stage: seconds}, message, previous_run_id, frozen_orders,
    orders [{supplier, mineral, period, quantity, unit_price, list_price}],
    prices [{supplier, mineral, unit_price, prices {period: price}}], host, pid.

The history is a convenience, never a reason to lose a plan: every failure of
the database (a damaged SQLite file, a server that is down, a table of another
program under our name) is raised as ``HistoryUnavailable``, whose message names
the database and what to do, and ``History.safely`` turns it into one warning
while it lasts (and a note when the database answers again). The database is
reached on first use, not when a ``History`` is made, so a watch started while
the server is down picks the history up once it is back. A damaged file is left
as it is.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from optimizer.replan.records import (  # noqa: F401 (the records, without SQLAlchemy, as before)
    DEFAULT_NAME, ENVIRONMENT_VARIABLE, PLAN_STATUSES, HistoryUnavailable, RunRecord, as_json, as_table,
    content_hash, database_url, default_url, input_key, now_utc)

BUSY_TIMEOUT_MS = 30_000

TABLE = "optimize_runs"
EARLIER_TABLE = "runs"  # the table of histories written before the table had a name of its own
REPLACED_NOTE = "[plan file replaced by run"  # said in the message of a run whose plan file was written over
DAMAGED = ("malformed", "not a database", "file is encrypted", "disk image")  # SQLite's words for a damaged file
T = TypeVar("T")


def runs_table(name: str = TABLE) -> sa.Table:
    """The table of runs under ``name``, in a metadata of its own."""
    return sa.Table(
        name, sa.MetaData(),
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


COLUMNS = frozenset(runs_table().columns.keys())


class History:
    """The run history behind one database URL (reached on first use)."""

    def __init__(self, url: str):
        self.url = database_url(url)
        self.engine = _engine(self.url)
        self._table: sa.Table | None = None
        self.trouble: str | None = None  # the failure warned about, until the database answers again

    @property
    def where(self) -> str:
        """The database as a person names it: the SQLite file, else the URL without its password."""
        url = sa.engine.make_url(self.url)
        if url.get_backend_name() == "sqlite" and url.database:
            return url.database
        return url.render_as_string(hide_password=True)

    def record(self, record: RunRecord) -> int:
        """Insert ``record``; returns (and sets) its id."""
        values = {f.name: _clean(getattr(record, f.name)) for f in fields(record) if f.name != "id"}
        with self._using("written") as table, self.engine.begin() as connection:
            result = connection.execute(table.insert().values(**values))
            record.id = int(result.inserted_primary_key[0])
        return record.id

    def get(self, run_id: int) -> RunRecord | None:
        """The run with id ``run_id``, or None when the history has no such run."""
        with self._using("read") as table, self.engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.id == run_id)).mappings().first()
            return _record(row) if row else None

    def runs(self, limit: int | None = None, input_path: Path | None = None) -> list[RunRecord]:
        """The latest runs first (of one input when given)."""
        with self._using("read") as table, self.engine.connect() as connection:
            query = sa.select(table).order_by(table.c.id.desc())
            if input_path is not None:
                query = query.where(table.c.input_path == input_key(input_path)[0])
            if limit:
                query = query.limit(limit)
            return [_record(row) for row in connection.execute(query).mappings()]

    def previous_plan(self, input_path: Path) -> RunRecord | None:
        """The latest run of the same input (same path, else same name) that wrote a plan."""
        path, name = input_key(input_path)
        with self._using("read") as table, self.engine.connect() as connection:
            for column, value in ((table.c.input_path, path), (table.c.input_name, name)):
                query = (sa.select(table).where(column == value, table.c.status.in_(PLAN_STATUSES),
                                                table.c.output_path.is_not(None))
                         .order_by(table.c.id.desc()).limit(1))
                row = connection.execute(query).mappings().first()
                if row:
                    return _record(row)
        return None

    def plan_at(self, output_path: Path) -> RunRecord | None:
        """The run that wrote the plan now at ``output_path`` (the latest that wrote a plan there), or None."""
        with self._using("read") as table, self.engine.connect() as connection:
            query = (sa.select(table).where(table.c.output_path == str(Path(output_path).resolve()),
                                            table.c.status.in_(PLAN_STATUSES))
                     .order_by(table.c.id.desc()).limit(1))
            row = connection.execute(query).mappings().first()
            return _record(row) if row else None

    def note_replaced(self, output_path: Path, by_run_id: int) -> int:
        """Say in the rows of earlier plans at ``output_path`` that run ``by_run_id`` wrote over the file."""
        note = f" {REPLACED_NOTE} {by_run_id} (--overwrite)]"
        with self._using("written") as table, self.engine.begin() as connection:
            message = sa.func.coalesce(table.c.message, "")
            result = connection.execute(
                table.update().where(table.c.output_path == str(Path(output_path).resolve()),
                                     table.c.id != by_run_id, sa.not_(message.contains(REPLACED_NOTE)))
                .values(message=message + note))
            return result.rowcount

    def safely(self, call: Callable[[], T], fallback: T, warn: Callable[[str], None]) -> T:
        """``call()``, or ``fallback`` when the history fails: one warning while it fails, a note when it is back."""
        try:
            value = call()
        except HistoryUnavailable as failure:
            if self.trouble is None:
                warn(f"warning: {failure}; until then, plans are made without the history and runs are "
                     "not recorded")
            self.trouble = str(failure)
            return fallback
        if self.trouble is not None:
            warn(f"note: the run history {self.where} answers again; runs are recorded again")
            self.trouble = None
        return value

    def dispose(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    @contextmanager
    def _using(self, action: str) -> Iterator[sa.Table]:
        """The runs table (found or created on first use); any failure of the database as HistoryUnavailable."""
        try:
            if self._table is None:
                self._table = _find_or_create_table(self.engine, self.where)
            yield self._table
        except HistoryUnavailable:
            raise
        except (SQLAlchemyError, OSError, ValueError, TypeError, KeyError) as failure:
            raise HistoryUnavailable(self._explain(action, failure)) from failure

    def _explain(self, action: str, failure: Exception) -> str:
        """What failed, where, and what to do about it."""
        reason = str(getattr(failure, "orig", None) or failure).strip().splitlines()[0]
        said = f"the run history {self.where} cannot be {action} ({reason})"
        if self.url.startswith("sqlite") and any(word in reason.lower() for word in DAMAGED):
            return (f"{said}: the file is damaged and is left as it is; to start a new history, move it aside: "
                    f"mv '{self.where}' '{self.where}.damaged'")
        if self.url.startswith("sqlite"):
            return f"{said}: check that the file and its folder can be written"
        if isinstance(failure, OperationalError):
            return f"{said}: check that the database server is running and reachable"
        return said


def _find_or_create_table(engine: sa.Engine, where: str) -> sa.Table:
    """Our table: ``optimize_runs`` when it exists (and is ours), else an earlier version's ``runs``, else new."""
    tables = set(sa.inspect(engine).get_table_names())
    if TABLE in tables:
        return _ours(engine, TABLE, where)
    if EARLIER_TABLE in tables and _columns(engine, EARLIER_TABLE) == COLUMNS:
        return runs_table(EARLIER_TABLE)  # a history written by an earlier version: used where it is
    table = runs_table(TABLE)
    try:
        table.metadata.create_all(engine)
    except (OperationalError, ProgrammingError, IntegrityError):
        if not sa.inspect(engine).has_table(TABLE):  # not the other process's table: a real failure
            raise
        return _ours(engine, TABLE, where)
    return table


def _ours(engine: sa.Engine, name: str, where: str) -> sa.Table:
    """The existing table ``name`` when it has our columns; a table of another program is never written into."""
    found = _columns(engine, name)
    if not COLUMNS <= found:
        raise HistoryUnavailable(
            f"the run history {where} holds a table '{name}' that is not a run history of this program "
            f"(it lacks {', '.join(sorted(COLUMNS - found)[:4])}...); it is left alone: give another --db")
    return runs_table(name)


def _columns(engine: sa.Engine, name: str) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns(name)}


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
        # WAL stays set in the file: switching needs an exclusive lock that the busy timeout does not
        # wait for, so a writer that asked again while others wrote could fail "database is locked"
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return engine


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
