"""The solver seconds shared by everything solved after the plan (Settings ``analysis_time_s``).

One ``TimeBudget`` is opened when the plan is made; the stability pass
(optimizer/solving/stability.py), and whatever else solves after the plan, draw from it
in turn: each asks how much is left and spends it by running. Wall-clock
seconds, since the solver's limit is wall-clock too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class TimeBudget:
    """``seconds`` from the moment it is opened."""

    seconds: float
    opened: float = field(default_factory=time.perf_counter)

    def spent(self) -> float:
        """Seconds since the budget opened."""
        return time.perf_counter() - self.opened

    def remaining(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self.seconds - self.spent())

    @property
    def deadline(self) -> float:
        """The time.perf_counter() value at which the budget runs out."""
        return self.opened + self.seconds
