"""Sweeps and stress tests on a Dask LocalCluster that this module starts: the --scheduler path, for real.

The module's LocalCluster: one worker process with one thread (light on a shared machine, and a process
of its own as on a real cluster: Pyomo redirects a process's standard output
during a solve, which would tangle with this process's). The cluster is
started once for the module. The tests that kill a worker or the scheduler
run `dask scheduler` and `dask worker` as subprocesses of their own.

The sweep (``budget``): demand 5 t of ga in each of 3 periods at 10 per t,
shortfall_penalty 100, F1's amount A varied: objective = 1500 - 9 A for A in 0..150.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from cluster import local_cluster
from workbooks import base_sheets, write_workbook

from optimizer import execution
from optimizer.studies import stress
from optimizer.cli import main
from optimizer.execution import Workers, run_tasks
from optimizer.studies.stress import INDEPENDENT, prepare_stress, stress_test
from optimizer.studies.sweep import prepare_sweep, sweep, variations_from_options
from optimizer.studies.sweep_report import write_sweep_workbook

ROOT = Path(__file__).resolve().parents[2]

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    with local_cluster(1) as address:
        yield address


@pytest.fixture
def budget(tmp_path: Path) -> Path:
    sheets = base_sheets()
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 5} for t in (1, 2, 3)]
    return write_workbook(tmp_path / "budget.xlsx", sheets)


def test_the_budget_frontier_comes_back_from_the_cluster(budget, tmp_path, scheduler):
    output = tmp_path / "frontier.xlsx"
    result = CliRunner().invoke(main, ["sweep", str(budget), "--funding", "F1=0:150:4", "--scheduler", scheduler,
                                       "--output", str(output)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Dask cluster at {scheduler}" in result.stderr and "[4/4]" in result.stderr
    rows = list(openpyxl.load_workbook(output, read_only=True)["Sweep"].iter_rows(values_only=True))
    table = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert {r["F1 amount"]: r["objective"] for r in table} == pytest.approx(
        {0: 1500.0, 50: 1050.0, 100: 600.0, 150: 150.0})
    assert {r["status"] for r in table} == {"optimal"}


def test_stress_samples_on_the_cluster_are_the_samples_drawn_here(tmp_path, scheduler, monkeypatch):
    """One mineral, 8 t arriving in period 2 from Canada, banned there with p = 0.3: 7 t short when banned."""
    monkeypatch.setattr(stress, "CHUNK_SAMPLES", 300)  # 1000 samples: 4 tasks on the cluster
    sheets = base_sheets()
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 100}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)]
    sheets["Scenarios"] = [{"scenario": "ban", "probability": 0.3, "country": "Canada", "first_period": 2,
                            "last_period": 2}]
    source = write_workbook(tmp_path / "ban.xlsx", sheets)
    plan = write_workbook(tmp_path / "plan.xlsx", {"Orders": [
        {"supplier": "S1", "mineral": "ga", "arrival_period": 2, "quantity": 8}]})
    here = stress_test(prepare_stress(plan, source), 1000, 5, INDEPENDENT, Workers(0))
    there = stress_test(prepare_stress(plan, source), 1000, 5, INDEPENDENT, Workers(scheduler=scheduler))
    assert np.array_equal(here.occurs, there.occurs) and np.array_equal(here.unmet, there.unmet)
    assert set(np.unique(there.unmet)) == {0.0, 7.0}


def flaky(folder: str, item: str) -> str:
    """A task that fails on its first attempt at ``again``, always at ``never``; runs on the cluster's worker."""
    marker = Path(folder) / item
    if item == "never" or (item == "again" and not marker.exists()):
        marker.write_text("tried")
        raise RuntimeError(f"{item} failed")
    return item.upper()


def test_a_failed_task_is_retried_once_on_the_cluster_then_reported(tmp_path, scheduler):
    outcomes = {o.index: o for o in run_tasks(flaky, str(tmp_path), ["fine", "again", "never"],
                                               Workers(scheduler=scheduler))}
    assert (outcomes[0].value, outcomes[0].attempts) == ("FINE", 1)
    assert (outcomes[1].value, outcomes[1].attempts) == ("AGAIN", 2)
    assert outcomes[2].failed and outcomes[2].attempts == 2
    assert outcomes[2].error == "RuntimeError: never failed"


# --- a worker or the scheduler killed mid-sweep --------------------------------------------------------------

WAIT_S = 300  # generous bounds on waits for a loaded machine; no assertion depends on how long anything takes


class Cluster:
    """`dask scheduler` and one `dask worker` (one thread, with its nanny) as subprocesses the test may kill."""

    def __init__(self, folder: Path):
        self.folder, self.held = folder, folder / "held"
        self.held.write_text("the points after the first wait while this file exists")
        environment = {**os.environ, "HELD_POINTS": str(self.held)}
        command = [sys.executable, "-m"]
        self.scheduler = subprocess.Popen(command + ["distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                                     "--port", "0", "--dashboard-address", ":0"],
                                          stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.address = self._scheduler_address()
        self.worker = subprocess.Popen(command + ["distributed.cli.dask_worker", self.address, "--nthreads", "1",
                                                  "--preload", str(Path(__file__).with_name("dask_held_points.py")),
                                                  "--no-dashboard"],
                                       env=environment, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
        with distributed.Client(self.address, timeout=WAIT_S) as client:
            client.wait_for_workers(1, timeout=WAIT_S)

    def _scheduler_address(self) -> str:
        for line in self.scheduler.stderr:
            found = re.search(r"Scheduler at:\s+(tcp://\S+)", line)
            if found:
                threading.Thread(target=self.scheduler.stderr.read, daemon=True).start()  # keep the pipe drained
                return found.group(1)
        pytest.fail("the Dask scheduler did not start")

    def kill_worker(self) -> None:
        """SIGKILL the worker process (its nanny then starts a new one) and let the held points run."""
        running = self.folder / "held-point-running.pid"
        for _ in range(WAIT_S * 20):  # the next point is held once the first is back: wait until it runs
            if running.exists() and running.read_text():
                break
            time.sleep(0.05)
        os.kill(int(running.read_text()), signal.SIGKILL)
        self.held.unlink()

    def kill_all_workers(self) -> None:
        """The worker and its nanny: no worker is left to finish the sweep."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(WAIT_S)

    def kill_scheduler(self) -> None:
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait(WAIT_S)

    def stop(self) -> None:
        for process in (self.worker, self.scheduler):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(WAIT_S)


@pytest.fixture
def cluster(tmp_path: Path):
    started = Cluster(tmp_path)
    yield started
    started.stop()


def sweep_and(kill, budget: Path, address: str, output: Path) -> list[dict]:
    """Sweep F1 over 0, 50, 100, 150 on the cluster; ``kill()`` once the first point is back; the written rows."""
    said: queue.Queue[str] = queue.Queue()
    prepared = prepare_sweep(budget, variations_from_options(("F1=0:150:4",)))
    results: list = []
    sweeping = threading.Thread(target=lambda: results.append(sweep(prepared, Workers(scheduler=address),
                                                                    said.put)), daemon=True)
    sweeping.start()
    while not (line := said.get(timeout=WAIT_S)).startswith("[1/4]"):
        pass
    assert "F1 amount=0: optimal" in line
    kill()
    sweeping.join(WAIT_S)
    assert not sweeping.is_alive(), "the sweep never ended"
    write_sweep_workbook(output, results[0])
    rows = list(openpyxl.load_workbook(output, read_only=True)["Sweep"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_a_worker_killed_mid_sweep_loses_no_point(cluster, budget, tmp_path):
    """The shared data lived on the killed worker: it is sent again to the worker its nanny starts."""
    rows = sweep_and(cluster.kill_worker, budget, cluster.address, tmp_path / "frontier.xlsx")
    assert {r["F1 amount"]: r["objective"] for r in rows} == pytest.approx(
        {0: 1500.0, 50: 1050.0, 100: 600.0, 150: 150.0})
    assert {r["status"] for r in rows} == {"optimal"}


def test_a_scheduler_killed_mid_sweep_keeps_the_finished_point_and_reports_the_rest(cluster, budget, tmp_path,
                                                                                    monkeypatch):
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 5)  # how long the client tries to reach it again
    rows = sweep_and(cluster.kill_scheduler, budget, cluster.address, tmp_path / "frontier.xlsx")
    assert [(r["F1 amount"], r["status"]) for r in rows] == [(0, "optimal"), (50, "error"), (100, "error"),
                                                             (150, "error")]
    assert rows[0]["objective"] == pytest.approx(1500.0)
    assert all(f"the Dask cluster at {cluster.address} is gone" in r["message"] for r in rows[1:])


def test_a_cluster_left_without_workers_keeps_the_finished_point_and_reports_the_rest(cluster, budget, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setattr(execution, "NO_WORKER_S", 3)  # how long the shared input waits for a worker to hold it
    rows = sweep_and(cluster.kill_all_workers, budget, cluster.address, tmp_path / "frontier.xlsx")
    assert [(r["F1 amount"], r["status"]) for r in rows] == [(0, "optimal"), (50, "error"), (100, "error"),
                                                             (150, "error")]
    assert rows[0]["objective"] == pytest.approx(1500.0)
    assert all(f"the Dask cluster at {cluster.address} is gone (no worker for 3 s)" in r["message"]
               for r in rows[1:])
