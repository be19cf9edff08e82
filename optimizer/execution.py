"""Where tasks run: here, local processes, or Dask. The tasks of a study (sweep points, stress-test
chunks, optimizer/studies/) and the block start's per-mineral MIPs of a run on a cluster
(optimizer/solving/decompose.py, ``optimize run --scheduler``): one runner, shared by both wings.

One runner, three places, the same task function:

    workers = 0          in this process, one task after the other (debugging)
    workers = N          N local worker processes (concurrent.futures.ProcessPoolExecutor)
    scheduler = ADDRESS  the workers of a Dask distributed cluster (``pip install -e ".[dask]"``)

A task is ``task(shared, item)``: ``shared`` is the one large input every task
reads (a study's ``PlanningData``, the block start's limits; sent once per worker
to a Dask cluster, with each task locally), ``item`` what makes the task
different (a sweep point, one mineral's block). Both are
plain picklable data: each task rebuilds its model on the worker, never
receives a Pyomo model. Outcomes stream back as tasks complete. A task that
raises is submitted once more; a second failure becomes an ``Outcome`` with
the error's message, never an exception that stops the study.

Local worker processes are started with ``forkserver`` where the platform has
it (the heavy imports happen once in the server), ``spawn`` elsewhere: never a
plain ``fork`` of a process that may hold threads.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_local
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from optimizer.stages import Progress

ATTEMPTS = 2  # a failed task is tried once more, then reported
PRELOAD = ["optimizer.studies.sweep", "optimizer.studies.stress"]  # imported once by the forkserver
CONNECT_TIMEOUT_S = 20  # to reach a Dask scheduler (and to reach it again after losing it)
CLIENT_LOG = logging.getLogger("distributed.client")
NO_WORKER_S = 600  # a cluster without any worker to hold the shared input this long is gone

Task = Callable[[Any, Any], Any]


def default_workers() -> int:
    """min(2, cores): a laptop stays usable while a sweep runs."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Workers:
    """Where to run: ``count`` local processes (0: this process), or the Dask cluster at ``scheduler``."""

    count: int = 1
    scheduler: str | None = None

    def describe(self) -> str:
        """Where the tasks run, in words: a Dask cluster, local worker processes or this process."""
        if self.scheduler:
            return f"Dask cluster at {self.scheduler}"
        if self.count == 0:
            return "this process"
        return f"{self.count} local worker process{'es' if self.count > 1 else ''}"


@dataclass
class Outcome:
    """What became of one task: its value, or the error of its last attempt."""

    index: int
    value: Any = None
    error: str | None = None
    attempts: int = 1

    @property
    def failed(self) -> bool:
        """Whether the task failed (its error is then set)."""
        return self.error is not None


class CannotConnect(Exception):
    """The Dask scheduler cannot be reached (or Dask is not installed)."""


def cluster_threads(scheduler: str) -> int:
    """The worker threads of the Dask cluster at ``scheduler`` now (0: no worker yet); ``CannotConnect``
    when it cannot be reached (checked before a run that needs it does any work)."""
    with _DaskCluster(scheduler) as cluster:
        return sum(cluster.client.nthreads().values())


class ClusterGone(Exception):
    """The Dask scheduler went away during the study: the tasks not finished cannot be run."""


def run_tasks(task: Task, shared: Any, items: Sequence[Any], workers: Workers,
              progress: Progress | None = None, label: Callable[[int], str] | None = None) -> Iterator[Outcome]:
    """Run ``task(shared, item)`` for every item where ``workers`` says; yield outcomes as they complete.

    A single task without a scheduler runs in this process: starting a pool for it costs more than it saves.
    """
    progress = progress or (lambda message: None)
    label = label or (lambda index: f"task {index + 1}")
    if not items:
        return
    if workers.scheduler is None and (workers.count == 0 or len(items) == 1):
        place = _Inline()
    elif workers.scheduler is None:
        place = _LocalProcesses(min(workers.count, len(items)))
    else:
        place = _DaskCluster(workers.scheduler)
    with place:
        yield from _stream(place, task, shared, items, progress, label)


def _stream(place, task: Task, shared: Any, items: Sequence[Any], progress: Progress,
            label: Callable[[int], str]) -> Iterator[Outcome]:
    """Submit every item, then hand back each outcome as it completes, resubmitting a first failure.

    When the place is gone altogether (``ClusterGone``), every task not finished is a failure saying so:
    the outcomes already handed back are never lost.
    """
    shared = place.share(shared)
    attempts = [0] * len(items)  # per item: how often submitted
    finished: set[int] = set()
    pending: dict = {}

    def submit(index: int) -> None:
        attempts[index] += 1
        pending[place.submit(task, shared, items[index])] = index

    try:
        for index in range(len(items)):
            submit(index)
        while pending:
            for future in place.first_completed(list(pending)):
                index = pending.pop(future)
                error = _error_of(future)
                if error is not None and attempts[index] < ATTEMPTS:
                    progress(f"{label(index)} failed ({error}); trying once more")
                    submit(index)
                    continue
                finished.add(index)
                if error is None:
                    yield Outcome(index, future.result(), attempts=attempts[index])
                else:
                    yield Outcome(index, error=error, attempts=attempts[index])
    except ClusterGone as gone:
        left = [index for index in range(len(items)) if index not in finished]
        progress(f"{gone}: the {len(left)} task(s) not finished are reported as failed")
        for index in left:
            yield Outcome(index, error=str(gone), attempts=max(1, attempts[index]))


def _error_of(future) -> str | None:
    """The task's exception as ``Type: message``, or None when it returned."""
    try:
        exception = future.exception()
        if exception is None and future.cancelled():  # Dask: no exception, the task was dropped
            exception = CancelledError("the task was cancelled: its worker, or the input it needed, was lost")
    except BaseException as cancelled:  # a cancelled future (a lost worker) counts as a failure
        exception = cancelled
    if exception is None:
        return None
    return f"{type(exception).__name__}: {exception}"


class _Inline:
    """Run each task at submission, in this process: futures that are already done."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def share(self, shared: Any) -> Any:
        return shared

    def submit(self, task: Task, shared: Any, item: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(task(shared, item))
        except Exception as exception:  # noqa: BLE001 - reported through the future, like a worker's
            future.set_exception(exception)
        return future

    def first_completed(self, futures: list) -> set:
        return set(futures)


class _LocalProcesses:
    """A pool of local worker processes; a pool broken by a dying worker is replaced."""

    def __init__(self, count: int):
        self.count = count
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self):
        self.pool = self._new_pool()
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _new_pool(self) -> ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            context.set_forkserver_preload(PRELOAD)
        return ProcessPoolExecutor(max_workers=self.count, mp_context=context)

    def share(self, shared: Any) -> Any:
        return shared

    def submit(self, task: Task, shared: Any, item: Any) -> Future:
        try:
            return self.pool.submit(task, shared, item)
        except BrokenProcessPool:  # a worker died (killed, out of memory): carry on with a fresh pool
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            return self.pool.submit(task, shared, item)

    def first_completed(self, futures: list) -> set:
        done, _ = wait_local(futures, return_when=FIRST_COMPLETED)
        return done


class _DaskCluster:
    """The workers of a Dask distributed cluster, reached through its scheduler's address.

    The shared input lives on the workers: when the worker holding it is lost (a
    worker killed and restarted by its nanny), it is scattered again before the
    next task. When the scheduler itself is gone, or no worker has been left
    for ``NO_WORKER_S``, ``ClusterGone`` ends the stream, and the tasks not
    finished become failures saying so.
    """

    def __init__(self, address: str):
        self.address = address
        self.client = None
        self.shared: Any = None
        self.scattered = None

    def __enter__(self):
        try:
            from distributed import Client
        except ImportError as missing:
            raise CannotConnect("--scheduler needs Dask: pip install -e \".[dask]\"") from missing
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as failure:
            raise CannotConnect(f"cannot reach the Dask scheduler at {self.address}: {failure}") from failure
        # A lost scheduler is reported once, by ClusterGone, not by the client's tracebacks as it gives up.
        self.client_log_level = CLIENT_LOG.level
        CLIENT_LOG.setLevel(logging.CRITICAL)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # a scheduler already gone: nothing to close politely
                self.client.close(timeout=CONNECT_TIMEOUT_S)
            CLIENT_LOG.setLevel(self.client_log_level)

    def share(self, shared: Any) -> Any:
        """Keep the shared input; it is sent to every worker once, before the first task needs it."""
        self.shared = shared
        return shared

    def submit(self, task: Task, shared: Any, item: Any):
        # pure=False: a resubmitted task gets a new key instead of the failed task's result
        try:
            return self.client.submit(task, self._scattered(), item, pure=False)
        except Exception as failure:  # noqa: BLE001 - the client cannot reach the scheduler any more
            if isinstance(failure, (OSError, TimeoutError)) or self.client.status != "running":
                raise ClusterGone(self._gone(failure)) from failure
            raise

    def _scattered(self):
        """The shared input on the workers: scattered anew when the worker that held it was lost."""
        if self.scattered is None or self.scattered.status != "finished":
            try:
                self.scattered = self.client.scatter(self.shared, broadcast=True, hash=False, timeout=NO_WORKER_S)
            except TimeoutError as failure:
                if self.client.status != "running":
                    raise  # the scheduler is gone: said by submit
                raise ClusterGone(self._without_workers()) from failure  # no worker came (back) to hold it
        return self.scattered

    def first_completed(self, futures: list) -> set:
        from distributed import wait

        try:
            done, _ = wait(futures, return_when="FIRST_COMPLETED")
            return set(done)
        except CancelledError as cancelled:  # tasks whose input was lost with a worker: failures to retry
            if self.client.status not in ("running", "connecting"):
                raise ClusterGone(self._gone(cancelled)) from cancelled
            return {future for future in futures if future.done()}
        except Exception as failure:  # noqa: BLE001 - the connection to the scheduler is lost
            raise ClusterGone(self._gone(failure)) from failure

    def _without_workers(self) -> str:
        return f"the Dask cluster at {self.address} is gone (no worker for {NO_WORKER_S:g} s)"

    def _gone(self, failure: BaseException) -> str:
        reason = str(failure).strip().splitlines()[0] if str(failure).strip() else type(failure).__name__
        return f"the Dask cluster at {self.address} is gone ({reason})"
