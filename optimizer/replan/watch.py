"""Watch a folder of workbooks and re-plan whenever one is added or changed.

A polling loop (no file-system events: it works the same on network shares,
and a test can drive it with its own clock). Each poll looks at the size and
modification time of every workbook in the folder; a workbook is ready once
they have not moved for the debounce interval and it opens as a zip (Excel and
copies write in stages, so a half-written file is neither). A file that stands
still for ``BROKEN_AFTER_S`` and still is no zip is not being written: it is
handed to the run, which refuses it (damaged, password-protected, another
format), once. ``~$`` lock files and hidden files are ignored, as by ``run``.

The folder is one input (a folder of workbooks, the contract's reading: a
price workbook dropped in joins the others), or with ``each`` every workbook is
an input of its own. An input is planned when its content hash differs from
the one last planned (in this watch, or in the run history when the watch
starts), so touching a file without changing it plans nothing, and a watch
restarted over an unchanged folder does not plan it again. A failed run
(refused, infeasible, an error) is reported and the watch goes on; so does a
history that fails (a server that stops): the watch plans without it, warns
once, and records again when the database answers.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from optimizer.replan.records import content_hash
from optimizer.intake.reader import workbook_paths

if TYPE_CHECKING:  # SQLAlchemy only where a history is opened (optimizer/replan/records.py)
    from optimizer.replan.history import History

BROKEN_AFTER_S = 30.0  # a copy may stall for seconds; half a minute still and no zip: a broken file
Planner = Callable[[Path], object]  # plans one input, returns its outcome (optimizer/replan/replan.py Outcome)
Stamp = tuple[int, int]  # (size, mtime_ns)


@dataclass
class Watch:
    """One watched folder; ``poll`` plans whatever is ready and changed."""

    folder: Path
    plan: Planner
    debounce: float = 2.0
    each: bool = False
    history: History | None = None
    clock: Callable[[], float] = time.monotonic
    warn: Callable[[str], None] = lambda message: None  # the history's warnings (it failing, it back)
    seen: dict[Path, Stamp] = field(default_factory=dict)  # last size and mtime of each workbook
    since: dict[Path, float] = field(default_factory=dict)  # when that stamp was first seen
    planned: dict[Path, str] = field(default_factory=dict)  # input -> content hash last planned

    def poll(self) -> list[tuple[Path, object]]:
        """One pass: plan every input that is ready and changed; returns (input, outcome) per run."""
        files = self._observe()
        ready = {path for path in files if self._ready(path)}
        outcomes = []
        for target, members in self._inputs(files):
            if not members <= ready:
                continue  # some workbook is still being written: wait for it
            digest = content_hash(target)
            if digest == self._last_hash(target):
                continue
            self.planned[target] = digest
            outcomes.append((target, self.plan(target)))
        return outcomes

    def run(self, interval: float = 1.0, stop: Callable[[], bool] = lambda: False,
            sleep: Callable[[float], None] = time.sleep, report: Callable[[Path, object], None] = lambda *a: None,
            ) -> None:
        """Poll every ``interval`` seconds until ``stop()`` (or Ctrl-C)."""
        while not stop():
            for target, outcome in self.poll():
                report(target, outcome)
            if stop():
                return
            sleep(interval)

    def once(self, sleep: Callable[[float], None] = time.sleep,
             report: Callable[[Path, object], None] = lambda *a: None) -> list[tuple[Path, object]]:
        """A single pass for cron: look, wait the debounce interval, look again and plan what is ready."""
        self._observe()
        sleep(self.debounce)
        outcomes = self.poll()
        for target, outcome in outcomes:
            report(target, outcome)
        return outcomes

    # --- what is in the folder ----------------------------------------------------------------

    def _observe(self) -> list[Path]:
        """Stat every workbook; a changed stamp restarts its debounce interval."""
        now = self.clock()
        files = workbooks(self.folder)
        for path in files:
            try:
                stat = path.stat()
            except OSError:  # removed between listing and stat
                continue
            stamp = (stat.st_size, stat.st_mtime_ns)
            if self.seen.get(path) != stamp:
                self.seen[path], self.since[path] = stamp, now
        for gone in set(self.seen) - set(files):
            del self.seen[gone], self.since[gone]
        return [path for path in files if path in self.seen]

    def _ready(self, path: Path) -> bool:
        still = self.clock() - self.since[path]
        return still >= self.debounce and (opens_as_zip(path) or still >= max(BROKEN_AFTER_S, self.debounce))

    def _inputs(self, files: list[Path]) -> list[tuple[Path, set[Path]]]:
        if self.each:
            return [(path, {path}) for path in files]
        return [(self.folder, set(files))] if files else []

    def _last_hash(self, target: Path) -> str | None:
        if target not in self.planned and self.history is not None:
            last = self.history.safely(lambda: self.history.runs(limit=1, input_path=target), None, self.warn)
            if last is None:  # the history fails: plan, and it is asked again after a restart
                return None
            self.planned[target] = last[0].input_sha256 if last else None
        return self.planned.get(target)


def workbooks(folder: Path) -> list[Path]:
    """The workbooks of ``folder``, without Excel's ``~$`` lock files and hidden files (as ``run`` reads it)."""
    return workbook_paths(folder) if folder.is_dir() else []


def opens_as_zip(path: Path) -> bool:
    """Whether the file is a whole zip archive (its central directory is written last)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
