"""The worker pool of the solving wing: small solves run side by side in threads.

HiGHS releases Python's lock while it solves, so two threads keep two cores busy (``beside``: the main
search's root beside the fix-and-optimise pass of a small MIP, optimizer/solving/highs.py). Each
worker thread gets its own HiGHS scheduler, which must be started with ``threads=1``
(HiGHS PR #818): the calling thread's scheduler, already started with more threads,
would refuse it. Used by the block start (optimizer/solving/decompose.py), the
why-short re-solves and each scenario solved alone (optimizer/solving/session.py: ``in_workers_after``, a scenario
alone after the one it starts from, optimizer/solving/alike.py).

Past one machine, the block start's MIPs go to a Dask cluster instead
(``optimize run --scheduler``): ``blocks_on_cluster`` names it for every solve
of a run, ``block_cluster`` tells the block start where to send them. Where
the blocks run is a fact of the machine a run is on, not of its plan: it is set
once around the run rather than passed down through every solve.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_CLUSTER: ContextVar[str | None] = ContextVar("block_cluster", default=None)


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


def beside(work: Callable[[], Result]) -> Future:
    """``work()`` begun now in a thread of its own (whose HiGHS scheduler is its own), while the caller goes on:
    the fix-and-optimise pass beside the main search (optimizer/solving/fix_and_optimise.py ``PassBesideSearch``).
    Its result (or error) is the future's."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(work)
    finally:
        pool.shutdown(wait=False)  # the thread ends with ``work``


def in_workers_after(work: Callable[[Item, Result | None], Result], items: list[Item], after: dict[Item, Item | None],
                     workers: int) -> list[Result]:
    """``work(item, earlier)`` of each item, in the items' order, on ``workers`` threads, where ``earlier`` is the
    result of the item ``after[item]`` (an earlier item of ``items``, finished first) or None.

    The items are handed to the pool in order of how many they wait behind (those that wait for none first, in
    their order), and the pool starts them in that order, so an item waits only for one already started: no
    worker waits for an item that no worker holds. An item whose awaited one failed fails with its error."""
    done: dict[Item, Future] = {item: Future() for item in items}

    def run(item: Item) -> Result:
        earlier = None if after.get(item) is None else done[after[item]].result()
        try:
            result = work(item, earlier)
        except BaseException as exc:
            done[item].set_exception(exc)
            raise
        done[item].set_result(result)
        return result

    def depth(item: Item) -> int:
        return 0 if after.get(item) is None else 1 + depth(after[item])

    ordered = sorted(items, key=depth)  # stable: each depth in the items' order
    results = dict(zip(ordered, in_workers(run, ordered, workers)))
    return [results[item] for item in items]


@contextmanager
def blocks_on_cluster(scheduler: str | None) -> Iterator[None]:
    """Within it, the block start of every solve sends its MIPs to the Dask cluster whose scheduler is at
    ``scheduler`` (None: worker threads here)."""
    token = _CLUSTER.set(scheduler)
    try:
        yield
    finally:
        _CLUSTER.reset(token)


def block_cluster() -> str | None:
    """The Dask scheduler the block MIPs go to (``blocks_on_cluster``), or None: worker threads here."""
    return _CLUSTER.get()
