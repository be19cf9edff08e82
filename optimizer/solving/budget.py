"""The solver seconds shared by everything solved after the plan (Settings ``analysis_time_s``).

``time_limit_s`` bounds the main solve (block start and search). One ``TimeBudget``
of ``analysis_time_s`` seconds (default time_limit_s / 4) is opened when the plan
is made (optimizer/solving/session.py); the stability pass, the marginals' LP, the
why-short re-solves and the change-penalty comparison draw from it in turn: each
asks how much is left and spends it by running. So a run's solver work stays
within 1.25 x time_limit_s by default. Wall-clock seconds, since the solver's limit
is wall-clock too; the clock is injected so tests can run it by hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class TimeBudget:
    """``seconds`` from the moment it is opened, on ``clock`` (time.perf_counter unless a test gives one)."""

    seconds: float
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False, compare=False)
    opened: float | None = None

    def __post_init__(self) -> None:
        if self.opened is None:
            self.opened = self.clock()

    def spent(self) -> float:
        """Seconds since the budget was opened."""
        return self.clock() - self.opened

    def remaining(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self.seconds - self.spent())

    def exhausted(self) -> bool:
        """Whether no second is left."""
        return self.remaining() <= 0

    def slice(self, most: float) -> float:
        """Seconds for one solve that may take at most ``most``: what is left, capped."""
        return min(most, self.remaining())
