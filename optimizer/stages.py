"""The stage timer of a run: each stage timed, its seconds reported to a progress callback.

Used by the pipeline (optimizer/pipeline.py), the re-plan (optimizer/replan/replan.py),
sweeps and stress tests (optimizer/studies/), and the solving session
(optimizer/solving/session.py), whose stages (build, solve, diagnose, stability) it times.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    """The progress callback that says nothing."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped the run; ``stage`` is the stage it stopped."""

    def __init__(self, stage: str):
        super().__init__(stage)
        self.stage = stage


class Stages:
    """Times each stage of a run (``timings``: stage -> seconds) and reports it to ``progress``."""

    def __init__(self, progress: Progress = quiet):
        self.progress = progress
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name``; a Ctrl-C inside it becomes ``Interrupted(name)``."""
        started = time.perf_counter()
        try:
            yield
        except KeyboardInterrupt as interrupt:
            raise interrupt if isinstance(interrupt, Interrupted) else Interrupted(name) from None
        self.timings[name] = time.perf_counter() - started
        self.progress(f"{name:<9} {self.timings[name]:8.2f} s")
