"""A run history that cannot be read or written never costs a plan; bad plans given as arguments are input errors.

The history is a convenience: a damaged SQLite file, a database holding another
program's tables, or a table of ours written by an earlier version must leave
`optimize run` writing its plan (with one warning naming the database and what
to do), and must themselves be left as they are.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from clirun import invoke
from workbooks import small_plan_input

from optimizer.replan.history import EARLIER_TABLE, TABLE, History, RunRecord, now_utc, runs_table

PAGE = 4096  # SQLite's default page size


@pytest.fixture
def small_input(tmp_path: Path) -> Path:
    return small_plan_input(tmp_path / "in" / "small.xlsx")


def record(input_path: Path, **values) -> RunRecord:
    defaults = dict(started_at=now_utc(), input_path=str(input_path.resolve()), input_name=input_path.name,
                    status="optimal", exit_code=0, output_path="/out/plan.xlsx", objective=150.0,
                    orders=[{"supplier": "S1", "mineral": "ga", "period": t, "quantity": 5.0} for t in (1, 2, 3)])
    defaults.update(values)
    return RunRecord(**defaults)


def plans(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.xlsx")) if folder.exists() else []


@pytest.fixture
def damaged_history(tmp_path: Path, small_input: Path) -> Path:
    """A history whose first page (the schema) is intact and whose later pages are noise."""
    path = tmp_path / "history.sqlite"
    history = History(str(path))
    for _ in range(40):  # long notes so that the table spans many pages
        history.record(record(small_input, message="x" * 1000))
    history.dispose()  # checkpoints the WAL into the file
    size = path.stat().st_size
    assert size > 4 * PAGE
    with open(path, "r+b") as database:
        database.seek(2 * PAGE)
        database.write(bytes((7 * i) % 251 for i in range(size - 2 * PAGE)))
    return path


def test_a_damaged_history_still_gives_the_plan_and_is_left_as_it_is(small_input, damaged_history, tmp_path):
    before = damaged_history.read_bytes()
    result = invoke("run", small_input, "--db", damaged_history, "--outputs-dir", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    (plan,) = plans(tmp_path / "out")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: the run history")]
    assert len(warnings) == 1  # read and write both fail: one warning
    assert f"the run history {damaged_history} cannot be read (database disk image is malformed)" in warnings[0]
    assert f"mv '{damaged_history}' '{damaged_history}.damaged'" in warnings[0]
    assert "runs are not recorded" in warnings[0]
    assert damaged_history.read_bytes() == before
    # `optimize history` and `optimize diff` with run ids say the same, exit 1, no traceback
    for command in (["history"], ["diff", "1", "2"]):
        listed = invoke(*command, "--db", damaged_history)
        assert listed.exit_code == 1 and "Traceback" not in listed.output
        assert listed.stderr.startswith(f"error: the run history {damaged_history} cannot be read"), listed.stderr


def test_another_programs_runs_table_is_never_written_into(small_input, tmp_path):
    path = tmp_path / "shared.sqlite"
    with sqlite3.connect(path) as theirs:
        theirs.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)")
        theirs.execute("INSERT INTO runs VALUES (1, 'their run')")
    result = invoke("run", small_input, "--db", path, "--outputs-dir", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr  # no collision: our table has a name of its own
    with sqlite3.connect(path) as database:
        assert database.execute("SELECT * FROM runs").fetchall() == [(1, "their run")]
        assert database.execute(f"SELECT status, objective FROM {TABLE}").fetchall() == [("optimal", 150.0)]


def test_a_table_of_another_program_under_our_name_is_a_warning_and_left_alone(small_input, tmp_path):
    path = tmp_path / "shared.sqlite"
    with sqlite3.connect(path) as theirs:
        theirs.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, name TEXT)")
        theirs.execute(f"INSERT INTO {TABLE} VALUES (1, 'their row')")
    result = invoke("run", small_input, "--db", path, "--outputs-dir", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert len(plans(tmp_path / "out")) == 1
    assert f"warning: the run history {path} holds a table '{TABLE}' that is not a run history of this program" \
        in result.stderr and "give another --db" in result.stderr
    with sqlite3.connect(path) as database:
        assert database.execute(f"SELECT * FROM {TABLE}").fetchall() == [(1, "their row")]


def test_a_history_written_by_the_earlier_version_is_read_and_written_where_it_is(small_input, tmp_path):
    """The earlier version's table `runs` (exactly our columns) holds a plan ordering 5 t per period."""
    path = tmp_path / "history.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    earlier = runs_table(EARLIER_TABLE)
    earlier.metadata.create_all(engine)
    values = {k: v for k, v in record(small_input).__dict__.items() if k != "id"}
    with engine.begin() as connection:
        connection.execute(earlier.insert().values(**values))
    engine.dispose()
    result = invoke("run", small_input, "--db", path, "--outputs-dir", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["previous_plan"] == "run 1"  # found in the earlier table
    with sqlite3.connect(path) as database:
        assert database.execute(f"SELECT id, previous_run_id FROM {EARLIER_TABLE}").fetchall() == [(1, None), (2, 1)]
        assert not database.execute("SELECT name FROM sqlite_master WHERE name = ?", (TABLE,)).fetchall()


def test_history_answers_again_after_a_failure_with_one_note(tmp_path, small_input):
    """safely(): one warning while the database fails, whatever the number of calls; a note when it is back."""
    history = History(str(tmp_path / "history.sqlite"))
    said: list[str] = []
    real = history.engine
    history.engine = sa.create_engine(f"sqlite:///{tmp_path / 'no such folder' / 'history.sqlite'}")
    for _ in range(3):
        assert history.safely(lambda: history.runs(), None, said.append) is None
    history.engine = real
    assert history.safely(lambda: history.record(record(small_input)), None, said.append) == 1
    assert len(said) == 2 and said[0].startswith("warning: the run history") and said[1].startswith("note: ")


# --- --output over an existing plan -------------------------------------------------------------


def test_output_over_an_existing_plan_is_refused_unless_overwrite(small_input, tmp_path):
    db, output = tmp_path / "history.sqlite", tmp_path / "plan.xlsx"
    assert invoke("run", small_input, "--output", output, "--db", db).exit_code == 0
    before = output.read_bytes()
    refused = invoke("run", small_input, "--output", output, "--db", db)
    assert refused.exit_code == 2
    assert f"error: {output.name}: the file exists and a run never writes over another file" in refused.stderr
    assert "--overwrite" in refused.stderr and "solve " not in refused.stderr
    assert output.read_bytes() == before
    assert len(History(str(db)).runs()) == 1  # a refused run is not recorded
    replaced = invoke("run", small_input, "--output", output, "--db", db, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert output.read_bytes() != before
    newer, older = History(str(db)).runs()
    assert older.message.endswith(f"[plan file replaced by run {newer.id} (--overwrite)]")
    assert "replaced" not in newer.message
    assert newer.output_path == older.output_path == str(output.resolve())
    assert invoke("run", small_input, "--output", output, "--db", db, "--overwrite").exit_code == 0
    third, second, first = History(str(db)).runs()
    assert first.message == older.message  # said once, by the run that replaced its file
    assert second.message.endswith(f"[plan file replaced by run {third.id} (--overwrite)]")


# --- plans given as arguments that are not plans ----------------------------------------------------


@pytest.fixture
def not_plans(tmp_path: Path, small_input: Path) -> dict[str, Path]:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip at all")
    return {"an input workbook": small_input, "not a workbook": junk}


def test_previous_that_is_not_a_plan_is_an_input_error(small_input, not_plans, tmp_path):
    for what, path in not_plans.items():
        result = invoke("run", small_input, "--previous", path, "--outputs-dir", tmp_path / "out", "--no-history")
        assert result.exit_code == 2, (what, result.output)
        assert result.stderr.startswith(f"error: {path.name}: ") and "expected a plan written by optimize run" \
            in result.stderr, what
        assert "Traceback" not in result.output and not plans(tmp_path / "out")


def test_diff_of_a_file_that_is_not_a_plan_is_an_input_error(small_input, not_plans, tmp_path):
    plan = tmp_path / "plan.xlsx"
    assert invoke("run", small_input, "--output", plan, "--no-history").exit_code == 0
    for what, path in not_plans.items():
        result = invoke("diff", path, plan)
        assert result.exit_code == 2, (what, result.output)
        assert result.stderr.startswith(f"error: {path}: "), what
        assert "Traceback" not in result.output
    missing = invoke("diff", "7", plan, "--db", tmp_path / "history.sqlite")
    assert missing.exit_code == 2 and "no run 7 in the history" in missing.stderr
    assert os.path.exists(plan)
