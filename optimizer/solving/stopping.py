"""When HiGHS must stop: the time limit has passed, or Ctrl-C was pressed.

HiGHS checks its own ``time_limit`` only between steps (a root cut round of the
generated L workbook took about 15 s under load, so a 60 s limit once ended 8 s
late). A ``Stop`` is asked from inside HiGHS, through highspy's interrupt
callbacks (``watch``): in the simplex iterations of an LP and between the
nodes and cut rounds of a MIP. So a solve ends at its deadline within one
simplex iteration or one node, wherever it is.

A Ctrl-C is noted on the ``Stop`` (``interrupt``) instead of being raised
wherever Python happens to be: raised inside Pyomo's set-up of the solver it
once escaped as a traceback. The solving code raises it at its own safe points
(``check``), and HiGHS, interrupted, returns at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import highspy


@dataclass
class Stop:
    """Stop at ``deadline`` (on ``clock``; None: no deadline) or once ``interrupt`` was called."""

    deadline: float | None = None
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)
    interrupted: bool = False

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.perf_counter) -> "Stop":
        """A stop ``seconds`` from now."""
        return cls(clock() + seconds, clock)

    def interrupt(self) -> None:
        """Ctrl-C: every watched HiGHS stops at its next check."""
        self.interrupted = True

    def due(self) -> bool:
        """Whether HiGHS should stop now."""
        return self.interrupted or (self.deadline is not None and self.clock() >= self.deadline)

    def remaining(self) -> float:
        """Seconds to the deadline (never below 0; infinite without one)."""
        return float("inf") if self.deadline is None else max(0.0, self.deadline - self.clock())

    def check(self) -> None:
        """Raise the noted Ctrl-C (KeyboardInterrupt) here, at a point where it is safe to."""
        if self.interrupted:
            raise KeyboardInterrupt

    def watch(self, highs: highspy.Highs, simplex: bool = True) -> None:
        """Make ``highs`` ask this stop at each of its interrupt checks: the MIP's, and the simplex's when
        ``simplex`` (an LP, or a MIP's LPs; off for the many small block MIPs, whose checks cost more
        than their short runs can overrun)."""
        def ask(event) -> None:
            if self.due():
                event.interrupt()
        highs.cbMipInterrupt += ask
        if simplex:
            highs.cbSimplexInterrupt += ask
            highs.cbIpmInterrupt += ask
