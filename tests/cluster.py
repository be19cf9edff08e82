"""A Dask LocalCluster for the tests that send work to a cluster (sweeps, stress tests, the block start)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """``workers`` worker processes of one thread each (a process of its own per worker, as on a real
    cluster); yields the scheduler's address."""
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address
