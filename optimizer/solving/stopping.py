"""When HiGHS must stop: the time limit has passed, or Ctrl-C was pressed.

HiGHS counts its ``time_limit`` from the start of each run, and the solve stage runs
many: the LP relaxation and one MIP per block (the block start), then the search. Each
got what was left when it began, and blocks reached late still got their first plan
(2 s each), so under load the whole overran the limit (by about 8 s at L). A ``Stop``
holds one deadline for them all, and every run asks it through highspy's interrupt
callbacks (``watch``): a MIP at each of the checks where HiGHS looks at its own clock
(nodes, between cut rounds and heuristics; an LP inside a cut round does not call back),
an LP at each simplex iteration. Only the first plan of a block reached after the time is up
(about 0.05 s at L) runs past the deadline: a complete plan, however rough, keeps a plan in hand.
It stops at the late deadline (``late_deadline``), ``LATE_SHARE`` of the limit after the deadline: at XL under
load, 2 s for each of a dozen late blocks came to 7 s past a 120 s limit.

A Ctrl-C is noted on the ``Stop`` (``interrupt``) instead of being raised
wherever Python happens to be: raised inside Pyomo's set-up of the solver it
once escaped as a traceback. The solving code raises it at its own safe points
(``check``), and HiGHS, interrupted, returns at its next check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import highspy

# The first plans of blocks reached after the deadline may run this share of the time limit past it
# (issue 17: the solver spends at most the limit + 5%; the rest is Pyomo's own work around the search).
LATE_SHARE = 0.02


@dataclass
class Stop:
    """Stop at ``deadline`` (on ``clock``; None: no deadline) or once ``interrupt`` was called; a late
    first plan (``watch(late=True)``) at ``late_deadline``, ``grace`` seconds after the deadline. ``seconds``: the
    limit the deadline was set from (a search's child is killed a share of it past the deadline: highs.py)."""

    deadline: float | None = None
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)
    interrupted: bool = False
    grace: float = 0.0
    seconds: float = 0.0

    def limit(self, seconds: float) -> None:
        """Set the deadline ``seconds`` (the limit, kept) from now, and the late one ``LATE_SHARE`` of them after it."""
        self.deadline = self.clock() + seconds
        self.seconds = seconds
        self.grace = LATE_SHARE * seconds

    @property
    def late_deadline(self) -> float | None:
        """The deadline of a late block's first plan (None: no deadline)."""
        return None if self.deadline is None else self.deadline + self.grace

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.perf_counter) -> "Stop":
        """A stop ``seconds`` from now (``limit``)."""
        stop = cls(clock=clock)
        stop.limit(seconds)
        return stop

    def interrupt(self) -> None:
        """Ctrl-C: every watched HiGHS stops at its next check."""
        self.interrupted = True

    def due(self) -> bool:
        """Whether HiGHS should stop now."""
        return self.interrupted or (self.deadline is not None and self.clock() >= self.deadline)

    def late_due(self) -> bool:
        """Whether a late block's first plan should stop now."""
        return self.interrupted or (self.deadline is not None and self.clock() >= self.late_deadline)

    def remaining(self) -> float:
        """Seconds to the deadline (never below 0; infinite without one)."""
        return float("inf") if self.deadline is None else max(0.0, self.deadline - self.clock())

    def check(self) -> None:
        """Raise the noted Ctrl-C (KeyboardInterrupt) here, at a point where it is safe to."""
        if self.interrupted:
            raise KeyboardInterrupt

    def watch(self, highs: highspy.Highs, simplex: bool = True, late: bool = False) -> None:
        """Make ``highs`` ask this stop at each of its interrupt checks: the MIP's, and the simplex's when
        ``simplex`` (an LP; off for the many small block MIPs). With ``late`` it stops at the late deadline
        (a block's first plan, which keeps a plan in hand)."""
        def ask(event) -> None:
            if self.interrupted or (self.late_due() if late else self.due()):
                event.interrupt()
        highs.cbMipInterrupt += ask
        if simplex:
            highs.cbSimplexInterrupt += ask
            highs.cbIpmInterrupt += ask
