"""Preloaded by the Dask worker of tests/studies/test_studies_on_dask.py (``dask worker --preload``).

Sweep points whose first varied value is not 0 wait while the file named by
$HELD_POINTS exists, so the test can kill the worker or the scheduler while
they run, after the first point has come back. A held point writes its
worker's pid beside that file (``held-point-running.pid``), so the test kills
the worker process itself (its nanny starts a new one, as on a real cluster).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from optimizer.studies import sweep

HELD = Path(os.environ["HELD_POINTS"])
RUNNING = HELD.with_name("held-point-running.pid")
solve_point = getattr(sweep.solve_point, "unheld", sweep.solve_point)  # the preload may run twice


def held_solve_point(data, point):
    if point.values[0][1] != 0 and HELD.exists():
        RUNNING.write_text(str(os.getpid()))  # the worker process, not its nanny (which preloads this too)
        while HELD.exists():
            time.sleep(0.05)
    return solve_point(data, point)


held_solve_point.unheld = solve_point
sweep.solve_point = held_solve_point  # tasks name optimizer.studies.sweep.solve_point: the worker finds this one
