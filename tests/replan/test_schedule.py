"""Scheduled re-plans: cron and interval triggering on a controllable clock, skipping unchanged inputs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from replancase import sheets
from workbooks import write_workbook

from optimizer.cli import main
from optimizer.replan.history import History
from optimizer.replan.replan import Options, plan_input
from optimizer.replan.schedule import Schedule, crontab_weekdays, make_trigger, parse_every

UTC = timezone.utc


class Clock:
    """A clock whose sleep moves time on instead of waiting."""

    def __init__(self, start: datetime):
        self.current, self.slept = start, []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)


def schedule(tmp_path, trigger, clock, force=False, history=None):
    source = write_workbook(tmp_path / "prices.xlsx", sheets())
    fired = []

    def plan(target):
        fired.append(clock.now())
        return "planned"

    return Schedule(source, trigger, plan, history, force, now=clock.now, sleep=clock.sleep), fired, source


def test_cron_fires_on_mondays_at_six(tmp_path):
    clock = Clock(datetime(2027, 3, 6, 12, 0, tzinfo=UTC))  # a Saturday
    trigger = make_trigger(cron="0 6 * * 1", zone=UTC)
    runs, fired, _ = schedule(tmp_path, trigger, clock, force=True)
    assert runs.run(max_runs=3) == 3
    assert fired == [datetime(2027, 3, d, 6, 0, tzinfo=UTC) for d in (8, 15, 22)]
    assert max(clock.slept) <= 60.0  # long waits are slept in naps, so Ctrl-C is heard


def test_every_day_fires_at_a_fixed_interval(tmp_path):
    start = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    clock = Clock(start)
    runs, fired, _ = schedule(tmp_path, make_trigger(every="1d", zone=UTC, start=start), clock, force=True)
    runs.run(max_runs=3)
    assert fired == [start, start + timedelta(days=1), start + timedelta(days=2)]


def test_an_unchanged_input_is_skipped_unless_forced(tmp_path):
    start = datetime(2027, 3, 1, tzinfo=UTC)
    clock = Clock(start)
    runs, fired, source = schedule(tmp_path, make_trigger(every="6h", zone=UTC, start=start), clock)
    reasons = []
    runs.run(max_runs=2, report=lambda due, outcome, reason: reasons.append(reason))
    assert reasons == ["planned", "skipped: the input has not changed since its last plan"]
    write_workbook(source, sheets(s1_price=11.0))
    runs.run(max_runs=1, report=lambda due, outcome, reason: reasons.append(reason))
    assert reasons[-1] == "planned" and len(fired) == 2
    runs.force = True
    runs.run(max_runs=1)
    assert len(fired) == 3


def test_a_run_missed_while_solving_is_made_up_once(tmp_path):
    start = datetime(2027, 3, 1, tzinfo=UTC)
    clock = Clock(start)
    trigger = make_trigger(every="1h", zone=UTC, start=start)
    source = write_workbook(tmp_path / "prices.xlsx", sheets())
    fired = []

    def slow_plan(target):  # a solve of 2.5 hours: two scheduled times pass meanwhile
        fired.append(clock.now())
        clock.current += timedelta(hours=2.5)

    Schedule(source, trigger, slow_plan, force=True, now=clock.now, sleep=clock.sleep).run(max_runs=3)
    assert fired == [start, start + timedelta(hours=2.5), start + timedelta(hours=5)]


def test_the_schedule_skips_against_the_history_of_real_plans(tmp_path):
    start = datetime(2027, 3, 1, tzinfo=UTC)
    clock = Clock(start)
    history = History(str(tmp_path / "history.sqlite"))
    source = write_workbook(tmp_path / "in" / "prices.xlsx", sheets())
    options = Options(tmp_path / "outputs", command="schedule")
    runs = Schedule(source, make_trigger(every="1w", zone=UTC, start=start),
                    lambda target: plan_input(target, options, history), history, now=clock.now, sleep=clock.sleep)
    assert runs.run(max_runs=2) == 2
    assert [(r.command, r.status) for r in history.runs()] == [("schedule", "optimal")]


@pytest.mark.parametrize("text, expected", [("1d", timedelta(days=1)), ("6h", timedelta(hours=6)),
                                            ("30m", timedelta(minutes=30)), ("1d12h", timedelta(hours=36)),
                                            ("2w", timedelta(weeks=2)), ("45s", timedelta(seconds=45))])
def test_intervals(text, expected):
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["", "1", "d", "1x", "0s", "1d junk"])
def test_bad_intervals_are_refused(text):
    with pytest.raises(ValueError):
        parse_every(text)


def test_the_command_refuses_a_bad_schedule(tmp_path):
    source = write_workbook(tmp_path / "prices.xlsx", sheets())
    for args in (["--cron", "61 * * * *"], ["--every", "soon"], [], ["--cron", "0 6 * * 1", "--every", "1d"]):
        result = CliRunner().invoke(main, ["schedule", str(source), *args])
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ")


@pytest.mark.parametrize("field, days", [("1", "mon"), ("0", "sun"), ("7", "sun"), ("1-5", "mon,tue,wed,thu,fri"),
                                         ("*/3", "sun,wed,sat"), ("mon,3", "mon,wed"), ("*", "*")])
def test_crontab_weekdays_count_from_sunday(field, days):
    """APScheduler 3 counts weekdays from Monday = 0; crontab's 1 is Monday, so numbers become names."""
    assert crontab_weekdays(field) == days
