"""Run history: records, queries, SQLite's WAL under concurrent writers, the CLI, and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.replan.history import History, RunRecord, content_hash, database_url, default_url, now_utc
from optimizer.pipeline import load
from optimizer.replan.replan import Options, plan_input
from pgserver import PostgresServer
from workbooks import base_sheets, write_workbook


def record(input_path: str = "/data/prices.xlsx", status: str = "optimal", **values) -> RunRecord:
    defaults = dict(started_at=now_utc(), input_path=input_path, input_name=Path(input_path).name, status=status,
                    exit_code=0 if status in ("optimal", "feasible") else 3, output_path="/out/plan.xlsx",
                    objective=150.0, costs={"purchase_cost": 150.0}, timings={"solve": 0.5},
                    orders=[{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 5.0}])
    defaults.update(values)
    return RunRecord(**defaults)


def exercise(history: History) -> None:
    """What every backend must do: record, read back, list latest first, find the previous plan."""
    first = history.record(record(input_sha256="a" * 64))
    history.record(record(status="infeasible", output_path=None, objective=None))
    other = history.record(record("/elsewhere/other.xlsx"))
    third = history.record(record(input_sha256="b" * 64, objective=float("nan")))  # NaN is stored as NULL
    back = history.get(first)
    assert back.input_sha256 == "a" * 64 and back.orders[0]["quantity"] == 5.0 and back.costs["purchase_cost"] == 150
    assert history.get(third).objective is None
    assert [r.id for r in history.runs()] == [third, other, third - 2, first]
    assert [r.id for r in history.runs(limit=2)] == [third, other]
    assert [r.id for r in history.runs(input_path=Path("/data/prices.xlsx"))] == [third, third - 2, first]
    assert history.previous_plan(Path("/data/prices.xlsx")).id == third  # the infeasible run has no plan
    # Same name in another folder (a teammate's copy): found by name when the path has no plan.
    assert history.previous_plan(Path("/mnt/share/other.xlsx")).id == other
    assert history.previous_plan(Path("/data/unknown.xlsx")) is None


def test_sqlite_history_records_and_finds_runs(tmp_path):
    history = History(str(tmp_path / "runs" / "history.sqlite"))
    exercise(history)
    with history.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_concurrent_writers_never_lose_or_corrupt_a_run(tmp_path):
    """Eight threads, each with its own engine (as separate processes would), write 25 runs each at once."""
    path = tmp_path / "history.sqlite"
    History(str(path))
    errors: list[Exception] = []

    def writer(n: int) -> None:
        history = History(str(path))
        try:
            for i in range(25):
                history.record(record(f"/data/input{n}.xlsx", objective=float(i)))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            history.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    runs = History(str(path)).runs()
    assert len(runs) == 200 and len({r.id for r in runs}) == 200
    with sa.create_engine(database_url(str(path))).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_default_location_and_urls(tmp_path, monkeypatch):
    monkeypatch.delenv("OPTIMIZE_HISTORY_DB")
    assert default_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'history.sqlite'}"
    monkeypatch.setenv("OPTIMIZE_HISTORY_DB", "postgresql+psycopg://planner@db.example/runs")
    assert default_url(tmp_path) == "postgresql+psycopg://planner@db.example/runs"


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return write_workbook(tmp_path / "in" / "small.xlsx", sheets)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_optimize_run_records_its_runs_and_history_lists_them(small_input, tmp_path):
    db = tmp_path / "team.sqlite"
    assert invoke("run", small_input, "--outputs-dir", tmp_path / "out", "--db", db).exit_code == 0
    broken = write_workbook(tmp_path / "in" / "broken.xlsx", {"Settings": {"num_periods": 0}})
    # A refused `optimize run` changes no file (the contract), the history included ...
    assert invoke("run", broken, "--outputs-dir", tmp_path / "out", "--db", db).exit_code == 2
    assert len(History(str(db)).runs()) == 1
    # ... while a watch records the refusal, so an unchanged refused input is not read again.
    refused = plan_input(broken, Options(tmp_path / "out", command="watch"), History(str(db)))
    assert refused.exit_code == 2 and refused.run_id is not None
    listed = invoke("history", "--db", db, "--json")
    runs = json.loads(listed.stdout)
    assert [(r["status"], r["command"]) for r in runs] == [("refused", "watch"), ("optimal", "run")]
    assert runs[0]["input_sha256"] == content_hash(broken)[:12]
    full = History(str(db)).get(runs[1]["id"])
    data, _ = load(small_input)
    assert full.input_sha256 == data.input_sha256 == content_hash(small_input)
    assert full.input_files == [{"path": str(small_input), "sha256": data.input_files[0].sha256}]
    assert full.objective == pytest.approx(150.0) and full.costs["purchase_cost"] == pytest.approx(150.0)
    assert full.settings["num_periods"] == 3 and full.settings["change_penalty"] == 0.0
    assert Path(full.output_path).exists() and {"read", "solve", "write"} <= set(full.timings)
    assert History(str(db)).get(runs[0]["id"]).message.startswith("input refused: ")
    assert "small.xlsx" in invoke("history", "--db", db).stdout


def test_no_history_records_nothing(small_input, tmp_path):
    db = tmp_path / "history.sqlite"
    assert invoke("run", small_input, "--outputs-dir", tmp_path / "out", "--db", db, "--no-history").exit_code == 0
    assert not db.exists()


# --- PostgreSQL: a throwaway cluster on loopback --------------------------------------------------


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL cluster in a temporary folder (tests/pgserver.py)."""
    server = PostgresServer()
    yield server.url
    server.remove()


def test_postgresql_history_records_and_finds_runs(postgres_url):
    history = History(postgres_url)
    exercise(history)
    assert History(postgres_url).runs(limit=1)[0].id == history.runs(limit=1)[0].id  # tables created once
    with history.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE optimize_runs"))
    history.dispose()


def test_optimize_run_records_into_postgresql(postgres_url, small_input, tmp_path):
    assert invoke("run", small_input, "--outputs-dir", tmp_path / "out", "--db", postgres_url).exit_code == 0
    runs = json.loads(invoke("history", "--db", postgres_url, "--json").stdout)
    assert runs[0]["status"] == "optimal" and runs[0]["input"] == "small.xlsx"
    history = History(postgres_url)
    with history.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE optimize_runs"))
    history.dispose()
