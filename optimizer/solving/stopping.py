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

    def watch(self, highs: highspy.Highs, simplex: bool = True, deadline: bool = True) -> None:
        """Make ``highs`` ask this stop at each of its interrupt checks: the MIP's, and the simplex's when
        ``simplex`` (an LP; off for the many small block MIPs). Without ``deadline`` it stops on Ctrl-C only
        (a block's first plan, which keeps a plan in hand)."""
        def ask(event) -> None:
            if self.interrupted or (deadline and self.due()):
                event.interrupt()
        highs.cbMipInterrupt += ask
        if simplex:
            highs.cbSimplexInterrupt += ask
            highs.cbIpmInterrupt += ask
