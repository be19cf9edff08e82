"""The block start's per-mineral MIPs on a Dask cluster (``optimize run --scheduler``): the same plan as here.

The module's LocalCluster: two worker processes with one thread each (a process of
its own per worker, as on a real cluster: each block travels pickled, is built
into HiGHS on the worker and solved there). Single-threaded HiGHS is
deterministic, so a block solved there gives the very plan it gives in a worker
thread here; the LP relaxation and the assembly stay in this process either way.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from click.testing import CliRunner
from cluster import local_cluster
from test_decompose import blockwise_first_pass, every_model_is_large, generated, handed_over  # noqa: F401 - a fixture

from models import build_model
from models.blocks import mineral_of
from optimizer import execution
from optimizer.cli import main
from optimizer.contract.results import OPTIMAL
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.solving import decompose
from optimizer.solving.highs import solve_model
from optimizer.solving.workers import blocks_on_cluster, in_workers

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    with local_cluster(2) as address:
        yield address


def test_a_block_is_plain_data_that_solves_the_same_after_pickling(tmp_path):
    """The task a worker receives: a Block of numpy arrays, pickled and unpickled, gives the same plan."""
    _, highs, blocks = handed_over(generated(tmp_path, size=Size(5, 4, 8, 2), seed=4))
    lp = highs.getLp()
    integer = decompose.integer_columns(lp)
    relaxed, _ = decompose._relaxation(highs, integer, 60.0)
    split = decompose._Split.of(lp, blocks, relaxed, integer)
    block = split.block(1)
    limits = decompose.BlockLimits(1e-4, float("inf"), 60.0)
    # in a worker thread, as the block start solves it here (optimizer/solving/workers.py: HiGHS's scheduler)
    here, there = in_workers(lambda task: decompose.solve_block(limits, task),
                             [block, pickle.loads(pickle.dumps(block))], 1)
    assert np.array_equal(here[0], there[0]) and np.allclose(here[1], there[1])
    assert here[2] and there[2]  # solved within the gap


def test_the_block_start_on_the_cluster_is_the_block_start_here(tmp_path, scheduler):
    """5 minerals x 4 suppliers x 8 periods, 2 scenarios: every block solved on the cluster's two workers,
    the assembled plan column for column the one the worker threads here assemble."""
    data = generated(tmp_path, size=Size(5, 4, 8, 2), seed=4)
    _, highs_here, blocks = handed_over(data)
    _, highs_there, _ = handed_over(data)
    here = decompose.block_start(highs_here, blocks, mip_gap=0.001, time_limit_s=120.0)
    there = decompose.block_start(highs_there, blocks, mip_gap=0.001, time_limit_s=120.0, cluster=scheduler)
    assert here.solved == there.solved == there.blocks == 5
    assert there.columns is None and decompose.feasible(highs_there.getLp(), there.values)
    assert np.allclose(there.values, here.values)
    assert there.objective == pytest.approx(here.objective, rel=1e-9)
    assert f"on the Dask cluster at {scheduler}" in there.describe()


def test_a_block_the_first_pass_left_without_a_plan_gets_the_same_first_plan_on_the_cluster(tmp_path, scheduler,
                                                                                            monkeypatch):
    """The blockwise route of XL and XXL (``BLOCKWISE_COLUMNS`` 0) on 5 minerals, the first pass made to leave
    block 1 without a plan on both sides: its first plan (presolve off, ``_first_plans``) comes from the cluster's
    workers as from the threads here, so every block's plan after the first plans, and the assembled plan, are
    the same column for column. (The cluster used to skip that step and solve the block again, presolve on, in
    half the time then left: another plan, and less time for the refinement.)"""
    monkeypatch.setattr(decompose, "BLOCKWISE_COLUMNS", 0)
    solve_blocks, first_plans = decompose._Split.solve_blocks, decompose._blockwise_first_plans

    def block_1_without_a_plan(self, kind, *args, **kwargs):
        solutions = solve_blocks(self, kind, *args, **kwargs)
        first_pass = blockwise_first_pass(self, kind)
        return [None if first_pass and b == 1 else solution for b, solution in enumerate(solutions)]

    after_first_plans: list[list] = []

    def recorded(*args, **kwargs):
        solutions, fallbacks = first_plans(*args, **kwargs)
        after_first_plans.append(solutions)
        return solutions, fallbacks

    monkeypatch.setattr(decompose._Split, "solve_blocks", block_1_without_a_plan)
    monkeypatch.setattr(decompose, "_blockwise_first_plans", recorded)
    data = generated(tmp_path, size=Size(5, 4, 8, 2), seed=4, mip_gap=0.0)
    starts = [decompose.block_start(handed_over(data)[1], handed_over(data)[2], mip_gap=0.0, time_limit_s=120.0,
                                    cluster=cluster) for cluster in (None, scheduler)]
    here, there = after_first_plans
    assert all(solution is not None for solution in here + there)
    assert not here[1][2]  # a first plan only: not proven within the gap, so the refinement starts from it
    for mine, theirs in zip(here, there):
        assert np.array_equal(mine[0], theirs[0]) and np.allclose(mine[1], theirs[1]) and mine[2] == theirs[2]
    assert starts[0].solved == starts[1].solved == 5
    assert np.allclose(starts[1].values, starts[0].values)
    assert starts[1].objective == pytest.approx(starts[0].objective, rel=1e-9)


def test_optimize_run_with_a_scheduler_plans_as_without(tmp_path, scheduler, every_model_is_large):
    """The whole run: the same objective as in one process, and the Summary says where the blocks ran."""
    workbook = write_generated_workbook(tmp_path / "generated.xlsx", Size(4, 3, 6, 2), seed=1)

    def summary(*where: str) -> dict:
        result = CliRunner().invoke(main, ["run", str(workbook), "--json", "--no-history", "--no-explain",
                                           "--outputs-dir", str(tmp_path / "out"), *where], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.strip().splitlines()[-1])

    here, there = summary(), summary("--scheduler", scheduler)
    assert there["objective"] == pytest.approx(here["objective"], rel=1e-6)
    assert f"on the Dask cluster at {scheduler}" in there["solver_start"]
    assert "Dask" not in here["solver_start"]


def test_an_unreachable_scheduler_is_refused_before_any_work(tmp_path, monkeypatch):
    """Exit 2 with one line saying which address could not be reached; no plan, no history written."""
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 1)
    workbook = write_generated_workbook(tmp_path / "generated.xlsx", Size(2, 2, 3), seed=0)
    outputs = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(workbook), "--scheduler", "tcp://127.0.0.1:9",
                                       "--outputs-dir", str(outputs)])
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.output
    assert not outputs.exists()


def test_a_cluster_gone_before_the_blocks_leaves_the_search_here_to_find_the_plan(tmp_path, monkeypatch,
                                                                                  every_model_is_large):
    """The scheduler cannot be reached when the blocks are sent (it went away after the run began): no block
    plan, and the whole search in this process still reaches the optimum of a solve without the block start."""
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 1)
    data = generated(tmp_path, seed=3, mip_gap=0.0)
    _, highs, blocks = handed_over(data)
    start = decompose.block_start(highs, blocks, mip_gap=0.0, time_limit_s=60.0, cluster="tcp://127.0.0.1:9")
    assert start.values is None and start.solved == 0 and start.relaxed_objective is not None
    plain = solve_model(build_model(data), 0.0, 60.0)
    with blocks_on_cluster("tcp://127.0.0.1:9"):
        gone = solve_model(build_model(data), 0.0, 60.0, blocks=mineral_of)
    assert gone.status == plain.status == OPTIMAL
    assert gone.objective == pytest.approx(plain.objective, rel=1e-6)
    assert gone.start.startswith("no block plan (0 of 4 blocks")
