"""The main search in a child process that the solve kills at its deadline.

Inside a HiGHS 1.16 MIP three steps look at no clock: the feasibility jump (an effort limit), the root's analytic
centre (an interior-point solve on HiGHS's second thread that the root node waits for once its LP stops at the time
limit) and the interior-point re-solve of a cut round's LP that hit its iteration limit. No option bounds them and
``cancelSolve`` does not reach them: at XL under load a search begun with time left still ran 5.4-5.7 s past the
deadline, once 38 s (docs/performance.md, issue 17, target 4, killable-search). The only bound is to run the search
where it can be killed: a forked child, which reports each improving plan into shared memory (``PlanBuffer``) and its
outcome through a pipe. The parent waits until the outcome, a Ctrl-C, or the kill deadline; killed, the child leaves
the last whole plan it reported.

The child is a copy-on-write fork of the solve, so the search finds the model, its start and its options as the
parent left them. HiGHS's global task scheduler is reset in it first: its worker threads do not exist in a forked
child, and a run there would wait for them forever. Only the main thread forks (``can_fork``): forking beside other
threads that hold locks is not safe, and the solves of worker threads are small.
"""

from __future__ import annotations

import math
import mmap
import os
import pickle
import select
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

import highspy
import numpy as np

Outcome = TypeVar("Outcome")

# How often the waiting parent looks at a noted Ctrl-C (a signal handler that only notes it does not end ``select``).
_LOOK_S = 0.05
# The buffer's header, float64 each: the slot holding the last whole plan (-1: none yet), each slot's objective and
# dual bound, the last dual bound HiGHS reported.
_SLOT, _OBJECTIVES, _BOUNDS, _LAST_BOUND, _HEADER = 0, 1, 3, 5, 6


@dataclass(frozen=True)
class Reported:
    """A plan the search reported before it was killed: every column's value, its objective, the dual bound then."""

    values: np.ndarray
    objective: float
    bound: float | None


class PlanBuffer:
    """Shared memory (an anonymous ``MAP_SHARED`` map, made before the fork) holding the search's best plan.

    Two slots of every column's value: a plan is written into the slot not in use, then the header names it, so a
    child killed while writing leaves the last whole plan. Only a cheaper plan is taken (the model minimises); the
    child's HiGHS callbacks and the pass beside the search may offer at once, hence the lock."""

    def __init__(self, columns: int):
        self.columns = columns
        self._memory = mmap.mmap(-1, 8 * (_HEADER + 2 * columns))
        self._header = np.frombuffer(self._memory, dtype=np.float64, count=_HEADER)
        self._slots = np.frombuffer(self._memory, dtype=np.float64, offset=8 * _HEADER).reshape(2, columns)
        self._header[:] = np.nan
        self._header[_SLOT] = -1
        self._lock = threading.Lock()

    def offer(self, values, objective: float, bound: float | None = None) -> None:
        """Keep ``values`` (every column's) when cheaper than the plan held; ``bound``: the dual bound then."""
        with self._lock:
            held = int(self._header[_SLOT])
            if held >= 0 and not objective < self._header[_OBJECTIVES + held]:
                return
            slot = 1 - held if held >= 0 else 0
            self._slots[slot] = values
            self._header[_OBJECTIVES + slot] = objective
            self._header[_BOUNDS + slot] = np.nan if bound is None else bound
            self._header[_SLOT] = slot  # last: until here the other slot is the plan

    def note_bound(self, bound: float) -> None:
        """The dual bound HiGHS reports at a look at its limits (an aligned 8-byte store: whole or not at all)."""
        self._header[_LAST_BOUND] = bound

    def reported(self) -> Reported | None:
        """The last whole plan (a copy), with the last dual bound reported, or None."""
        held = int(self._header[_SLOT])
        if held < 0:
            return None
        bounds = [self._header[_LAST_BOUND], self._header[_BOUNDS + held]]
        bound = next((b for b in bounds if math.isfinite(b)), None)
        return Reported(self._slots[held].copy(), float(self._header[_OBJECTIVES + held]), bound)

    def watch(self, highs: highspy.Highs) -> None:
        """Make ``highs`` (the child's search) report each improving plan and its dual bound here."""
        def improving(event) -> None:
            out = event.data_out
            self.offer(out.mip_solution, out.objective_function_value, out.mip_dual_bound)

        def looking(event) -> None:
            self.note_bound(event.data_out.mip_dual_bound)
        highs.cbMipImprovingSolution += improving
        highs.cbMipInterrupt += looking


@dataclass(frozen=True)
class Finished(Generic[Outcome]):
    """The child ended its search and sent back what the search returned."""

    outcome: Outcome


@dataclass(frozen=True)
class Failed:
    """The search raised in the child (as it would have in the solve): the exception's type and text; ``interrupt``:
    a KeyboardInterrupt (a Ctrl-C the child noted), to be raised in the parent as there."""

    kind: str
    text: str
    interrupt: bool = False


@dataclass(frozen=True)
class Killed:
    """The child was killed at the kill deadline (``interrupted``: on a noted Ctrl-C instead); ``plan``: the last
    whole plan it reported, or None."""

    plan: Reported | None
    interrupted: bool = False


@dataclass(frozen=True)
class Died:
    """The child ended without an outcome (a crash, the system's out-of-memory killer): how it ended."""

    how: str


def can_fork() -> bool:
    """Whether a search can run in a child here: a platform with ``os.fork``, from the main thread."""
    return hasattr(os, "fork") and threading.current_thread() is threading.main_thread()


def in_child(search: Callable[[PlanBuffer], Outcome], buffer: PlanBuffer, kill_after: float,
             interrupted: Callable[[], bool]) -> Finished[Outcome] | Failed | Killed | Died:
    """``search(buffer)`` in a forked child; what came of it. The child is killed ``kill_after`` seconds from now
    (real time: a solve's clock may be a test's) or once ``interrupted()``, and always reaped."""
    reading, writing = os.pipe()
    kill_at = time.monotonic() + kill_after
    pid = os.fork()
    if pid == 0:
        _child(search, buffer, reading, writing)
    os.close(writing)
    received, ended = [], False
    try:
        while not ended and not interrupted():
            left = kill_at - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([reading], [], [], min(left, _LOOK_S))
            if ready:
                chunk = os.read(reading, 1 << 20)
                ended = not chunk
                received.append(chunk)
    finally:
        os.close(reading)
        if not ended:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if not ended:
        return Killed(buffer.reported(), interrupted())
    try:
        sent = pickle.loads(b"".join(received))
    except Exception:
        return Died(_how_it_ended(status))
    return sent


def _child(search: Callable[[PlanBuffer], Outcome], buffer: PlanBuffer, reading: int, writing: int) -> None:
    """The child's whole life: reset HiGHS's scheduler, search, send what came of it, and leave at once
    (``os._exit``: no atexit handler, no test runner's or parent's buffers flushed a second time)."""
    code = 0
    try:
        os.close(reading)
        highspy.Highs.resetGlobalScheduler(False)
        try:
            sent = Finished(search(buffer))
        except BaseException as exc:  # the solve's own route: reported, never raised
            sent = Failed(type(exc).__name__, str(exc), isinstance(exc, KeyboardInterrupt))
        data = memoryview(pickle.dumps(sent))
        while data:
            data = data[os.write(writing, data):]
    except BaseException:
        code = 70  # EX_SOFTWARE: nothing (whole) was sent
    finally:
        os._exit(code)


def _how_it_ended(status: int) -> str:
    """A child's end as ``waitpid`` gives it, in words."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.valid_signals() else "unknown"
        return f"the search's process was ended by signal {number} ({name})"
    return f"the search's process exited with code {os.waitstatus_to_exitcode(status)} without an outcome"
