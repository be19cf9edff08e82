"""Sweeps and stress tests on a Dask LocalCluster that this module starts: the --scheduler path, for real.

One worker process with one thread (light on a shared machine, and a process
of its own as on a real cluster: Pyomo redirects a process's standard output
during a solve, which would tangle with this process's). The cluster is
started once for the module.

The sweep (``budget``): demand 5 t of ga in each of 3 periods at 10 per t,
shortfall_penalty 100, F1's amount A varied: objective = 1500 - 9 A for A in 0..150.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import base_sheets, write_workbook

from optimizer import stress
from optimizer.cli import main
from optimizer.execution import Workers, run_tasks
from optimizer.stress import INDEPENDENT, run_stress

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


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
    here = run_stress(plan, source, 1000, 5, INDEPENDENT, Workers(0))
    there = run_stress(plan, source, 1000, 5, INDEPENDENT, Workers(scheduler=scheduler))
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
