"""Watching a folder: debounce, lock files, half-written files, failures, and a real re-plan."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from click.testing import CliRunner
from pgserver import PostgresServer
from replancase import sheets
from workbooks import write_workbook

from optimizer.cli import main
from optimizer.replan.history import History
from optimizer.replan.replan import Options, plan_input
from optimizer.replan.watch import Watch, opens_as_zip, workbooks


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def recorder(result="ok"):
    planned: list[Path] = []

    def plan(target: Path):
        planned.append(target)
        return result

    return planned, plan


def test_a_new_workbook_is_planned_once_after_the_debounce_interval(tmp_path):
    clock, (planned, plan) = Clock(), recorder()
    watch = Watch(tmp_path, plan, debounce=2.0, clock=clock)
    write_workbook(tmp_path / "plan.xlsx", sheets())
    assert watch.poll() == [] and planned == []  # just seen: it may still be written
    clock.now = 1.0
    assert watch.poll() == []
    clock.now = 2.5
    assert watch.poll() == [(tmp_path, "ok")] and planned == [tmp_path]  # the folder is the input
    clock.now = 10.0
    assert watch.poll() == []  # nothing changed


def test_a_change_restarts_the_debounce_and_an_unchanged_touch_plans_nothing(tmp_path):
    clock, (planned, plan) = Clock(), recorder()
    source = write_workbook(tmp_path / "plan.xlsx", sheets())
    watch = Watch(tmp_path, plan, debounce=2.0, clock=clock)
    watch.poll()
    clock.now = 3.0
    watch.poll()
    assert len(planned) == 1
    write_workbook(source, sheets(s1_price=11.0))
    clock.now = 4.0
    assert watch.poll() == []  # changed just now
    clock.now = 6.5
    assert len(watch.poll()) == 1 and len(planned) == 2
    content = source.read_bytes()
    source.write_bytes(content)  # same bytes, new modification time
    clock.now = 20.0
    watch.poll()
    clock.now = 30.0
    assert watch.poll() == [] and len(planned) == 2


def test_lock_files_and_half_written_workbooks_are_not_read(tmp_path):
    clock, (_, plan) = Clock(), recorder()
    watch = Watch(tmp_path, plan, debounce=1.0, clock=clock, each=True)
    (tmp_path / "~$plan.xlsx").write_bytes(b"Excel's lock file")
    whole = write_workbook(tmp_path / "plan.xlsx", sheets())
    half = tmp_path / "copying.xlsx"
    half.write_bytes(whole.read_bytes()[:2000])  # a copy still under way: no central directory yet
    assert [p.name for p in workbooks(tmp_path)] == ["copying.xlsx", "plan.xlsx"]
    assert not opens_as_zip(half) and opens_as_zip(whole)
    watch.poll()
    clock.now = 5.0
    assert [target for target, _ in watch.poll()] == [whole]
    half.write_bytes(whole.read_bytes())  # the copy completes
    clock.now = 6.0
    watch.poll()
    clock.now = 8.0
    assert [target for target, _ in watch.poll()] == [half]


def test_a_folder_input_waits_for_every_workbook_of_the_folder(tmp_path):
    clock, (_, plan) = Clock(), recorder()
    watch = Watch(tmp_path, plan, debounce=1.0, clock=clock)
    write_workbook(tmp_path / "base.xlsx", sheets())
    (tmp_path / "prices.xlsx").write_bytes(b"PK\x03\x04 half")
    watch.poll()
    clock.now = 5.0
    assert watch.poll() == []  # prices.xlsx is not whole: the folder is not planned half-read


def test_a_failed_run_is_reported_and_the_watch_goes_on(tmp_path):
    """A refused input (exit 2) is planned once, reported, and the loop keeps polling."""
    clock = Clock()
    outcomes, reported = iter([("refused", 2), ("optimal", 0)]), []
    watch = Watch(tmp_path, lambda target: next(outcomes), debounce=0.0, clock=clock)
    source = write_workbook(tmp_path / "plan.xlsx", {"Settings": {"num_periods": 0}})

    def tick(seconds: float) -> None:
        clock.now += 1.0
        if clock.now == 3.0:
            write_workbook(source, sheets())

    watch.run(interval=1.0, stop=lambda: clock.now >= 6.0, sleep=tick,
              report=lambda target, outcome: reported.append(outcome))
    assert reported == [("refused", 2), ("optimal", 0)]


def test_watching_a_folder_a_price_workbook_dropped_in_yields_a_new_plan_and_a_history_row(tmp_path):
    """A real watch loop in a thread: the base workbook is planned; a Prices workbook dropped in next to it
    raises S1 above S2, and within a bounded wait a second plan appears with its Changes and history row."""
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    write_workbook(inputs / "base.xlsx", sheets())
    history = History(str(tmp_path / "history.sqlite"))
    options = Options(outputs, command="watch")
    watch = Watch(inputs, lambda target: plan_input(target, options, history), debounce=0.2, history=history)
    stop = threading.Event()
    thread = threading.Thread(target=watch.run, kwargs={"interval": 0.05, "stop": stop.is_set}, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: len(history.runs()) == 1, 120), "the first plan did not appear"
        prices = [{"supplier": "S1", "mineral": "ga", "period": t, "unit_price": 13} for t in (1, 2, 3)]
        write_workbook(tmp_path / "prices.tmp", {"Prices": prices}).rename(inputs / "prices.xlsx")
        assert wait_for(lambda: len(history.runs()) == 2, 120), "the price workbook was not planned"
    finally:
        stop.set()
        thread.join(timeout=60)
    latest, first = history.runs()
    assert (latest.status, latest.command, latest.previous_run_id) == ("optimal", "watch", first.id)
    assert {Path(f["path"]).name for f in latest.input_files} == {"base.xlsx", "prices.xlsx"}
    assert latest.objective == 180.0 and Path(latest.output_path).exists()
    assert len(list(outputs.glob("*.xlsx"))) == 2


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_watch_once_plans_what_changed_and_is_quiet_on_the_next_pass(tmp_path):
    folder = tmp_path / "inputs"
    write_workbook(folder / "plan.xlsx", sheets())
    args = ["watch", str(folder), "--once", "--debounce", "0", "--each", "--outputs-dir", str(tmp_path / "out"),
            "--db", str(tmp_path / "history.sqlite")]
    first = CliRunner().invoke(main, args, catch_exceptions=False)
    assert first.exit_code == 0 and "plan.xlsx: optimal" in first.stderr
    second = CliRunner().invoke(main, args, catch_exceptions=False)
    assert second.exit_code == 0 and "optimal" not in second.stderr  # unchanged since its run in the history
    assert len(History(str(tmp_path / "history.sqlite")).runs()) == 1


def test_a_watch_goes_on_while_the_history_server_is_down_and_records_again_when_it_is_back(tmp_path):
    """A real PostgreSQL server, stopped and started again between polls: every change is planned; one
    warning while the server is down, a note when it answers, and the runs after that are recorded."""
    server = PostgresServer()
    try:
        inputs, outputs, said = tmp_path / "inputs", tmp_path / "outputs", []
        history = History(server.url)
        options = Options(outputs, command="watch")
        watch = Watch(inputs, lambda target: plan_input(target, options, history, progress=said.append),
                      debounce=0.0, history=history, warn=said.append)

        def change_and_poll(demand: float):
            base = sheets()
            base["Demand"] = [{"mineral": "ga", "period": t, "quantity": demand} for t in (1, 2, 3)]
            write_workbook(inputs / "base.xlsx", base)
            ((_, outcome),) = watch.poll()
            assert outcome.exit_code == 0 and outcome.output.exists(), outcome.error
            return outcome

        assert change_and_poll(5).run_id is not None
        server.stop()
        assert [change_and_poll(demand).run_id for demand in (6, 7)] == [None, None]  # planned, not recorded
        (warning,) = [line for line in said if line.startswith("warning")]  # once, however many runs
        assert warning.startswith(f"warning: the run history {history.where} cannot be ")
        assert "check that the database server is running and reachable" in warning and "password" not in warning
        server.start()
        assert change_and_poll(8).run_id is not None  # (an immediate stop may skip ids: no number asserted)
        assert [line for line in said if line.startswith("note")] == [
            f"note: the run history {history.where} answers again; runs are recorded again"]
        assert [run.objective for run in history.runs()] == [240.0, 150.0]
        assert len(list(outputs.glob("*.xlsx"))) == 4
        history.dispose()
    finally:
        server.remove()
