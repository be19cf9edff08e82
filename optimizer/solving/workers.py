"""The worker pool of the solving wing: small solves run side by side in threads.

HiGHS releases Python's lock while it solves, so two threads keep two cores busy. Each
worker thread gets its own HiGHS scheduler, which must be started with ``threads=1``
(HiGHS PR #818): the calling thread's scheduler, already started with more threads,
would refuse it. Used by the block start (optimizer/solving/decompose.py), the
why-short re-solves and each scenario solved alone (optimizer/solving/session.py).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def cores() -> int:
    """The cores this process may use (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def in_workers(work: Callable[[Item], Result], items: Iterable[Item], workers: int) -> list[Result]:
    """``work`` of each item, in the items' order, on ``workers`` threads.

    A Ctrl-C (or any exception) while waiting cancels the items not yet started, so the run stops
    after the solves already running, not after every item."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        results = list(pool.map(work, items))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
