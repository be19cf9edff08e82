"""Re-plan on a schedule, in the foreground: a cron expression or a fixed interval.

When the runs fall is APScheduler's business (its ``CronTrigger`` and
``IntervalTrigger``, so ``--cron`` reads exactly like a crontab line); the loop
here only waits for the next time, asks whether the input changed, and plans.
A run is skipped when the input's content hash equals that of the last plan of
the input (the run history's ``input_sha256``), unless forced. A run missed
while the previous one was still solving is made up once, straight away (as
APScheduler's coalescing does). The clock and the sleep are parameters, so a
test can drive a week of Mondays in no time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from optimizer.replan.records import content_hash

if TYPE_CHECKING:  # SQLAlchemy only where a history is opened (optimizer/replan/records.py)
    from optimizer.replan.history import History

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LONGEST_NAP = 60.0  # seconds: a long wait is slept in naps, so Ctrl-C and stop() are heard


def local_zone() -> tzinfo:
    """The machine's local time zone, in which cron times are read."""
    return datetime.now().astimezone().tzinfo


def parse_every(text: str) -> timedelta:
    """``30s``, ``15m``, ``6h``, ``1d``, ``2w`` (or combined: ``1d12h``) as a timedelta."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s+", "", text.strip().lower()):
        raise ValueError(f"'{text}' is not an interval; expected a number and a unit s, m, h, d or w, e.g. 1d or 6h")
    every = timedelta()
    for number, unit in parts:
        every += timedelta(**{UNITS[unit]: float(number)})
    if every.total_seconds() <= 0:
        raise ValueError(f"'{text}' is not a positive interval")
    return every


def make_trigger(cron: str | None = None, every: str | None = None, zone: tzinfo | None = None,
                 start: datetime | None = None):
    """The APScheduler trigger of ``--cron`` or ``--every`` (exactly one)."""
    if (cron is None) == (every is None):
        raise ValueError("expected exactly one of --cron and --every")
    zone = zone or local_zone()
    if cron is not None:
        fields = cron.split()
        if len(fields) != 5:
            raise ValueError(f"'{cron}' is not a cron expression; expected five fields: minute hour day month "
                             "day-of-week, e.g. \"0 6 * * 1\"")
        fields[4] = crontab_weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields), timezone=zone)
    return IntervalTrigger(seconds=parse_every(every).total_seconds(), start_date=start, timezone=zone)


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field_text: str) -> str:
    """A crontab day-of-week field (0 or 7 Sunday, 1 Monday...) in day names.

    APScheduler 3 numbers weekdays from Monday = 0, even in ``from_crontab``, so
    "1" would mean Tuesday; names mean the same to both.
    """
    if field_text in ("*", "?"):
        return "*"
    days: list[str] = []
    for item in field_text.lower().split(","):
        span, _, step = item.partition("/")
        if not step and re.fullmatch(r"[a-z]{3}(-[a-z]{3})?", span):
            days.append(span)  # names mean the same in both numberings
            continue
        if not re.fullmatch(r"\*|\d+(-\d+)?", span) or (step and not step.isdigit()):
            raise ValueError(f"'{field_text}' is not a day-of-week field; expected numbers 0-7 or names")
        first, _, last = span.partition("-")
        low, high = (0, 6) if span == "*" else (int(first), int(last or first))
        if not (0 <= low <= 7 and 0 <= high <= 7):
            raise ValueError(f"'{field_text}' is not a day-of-week field; expected days 0-7 (0 and 7: Sunday)")
        days += [WEEKDAYS[day % 7] for day in range(low, high + 1, int(step or 1))]
    return ",".join(dict.fromkeys(days))


@dataclass
class Schedule:
    """Plan ``input_path`` at each time of ``trigger``; ``fire`` is one scheduled run."""

    input_path: Path
    trigger: object  # an APScheduler trigger: get_next_fire_time(previous, now)
    plan: Callable[[Path], object]
    history: History | None = None
    force: bool = False
    now: Callable[[], datetime] = field(default_factory=lambda: (lambda: datetime.now(local_zone())))
    sleep: Callable[[float], None] = time.sleep
    last_hash: str | None = None  # of the last planned input, when there is no history (or it fails)
    warn: Callable[[str], None] = lambda message: None  # the history's warnings (it failing, it back)

    def next_time(self, previous: datetime | None) -> datetime | None:
        """The next run after ``previous``; a time missed while solving is made up now (coalesced)."""
        current = self.now()
        due = self.trigger.get_next_fire_time(previous, current)
        if due is not None and previous is not None and due < current:
            return current
        return due

    def run(self, stop: Callable[[], bool] = lambda: False, max_runs: int | None = None,
            report: Callable[[datetime, object | None, str], None] = lambda *a: None) -> int:
        """Wait for each scheduled time and fire; returns the number of times fired."""
        fired, previous = 0, None
        while not stop() and (max_runs is None or fired < max_runs):
            due = self.next_time(previous)
            if due is None:
                break
            if not self._wait_until(due, stop):
                break
            outcome, reason = self.fire()
            report(due, outcome, reason)
            fired, previous = fired + 1, due
        return fired

    def fire(self) -> tuple[object | None, str]:
        """Plan now unless the input is unchanged since its last plan; (outcome or None, why)."""
        digest = content_hash(self.input_path)
        last = self._last_planned_hash()
        if not self.force and last is not None and digest == last:
            return None, "skipped: the input has not changed since its last plan"
        outcome = self.plan(self.input_path)
        self.last_hash = digest
        return outcome, "planned"

    def _last_planned_hash(self) -> str | None:
        if self.history is not None:
            unavailable = object()
            record = self.history.safely(lambda: self.history.previous_plan(self.input_path), unavailable,
                                         self.warn)
            if record is not unavailable:
                return record.input_sha256 if record else None
        return self.last_hash

    def _wait_until(self, due: datetime, stop: Callable[[], bool]) -> bool:
        while (left := (due - self.now()).total_seconds()) > 0:
            if stop():
                return False
            self.sleep(min(left, LONGEST_NAP))
        return True
