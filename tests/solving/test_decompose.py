"""The block start (optimizer/solving/decompose.py): one MIP per mineral, assembled into a plan of the whole model.

The start only changes how fast the optimum is found, never the optimum: the
tests compare against solves without it, check the assembled plan against every
row of the model and, through the pipeline, against the independent checker.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory

import optimizer.solving.highs as solve_module
from models import build_model
from models.blocks import mineral_of
from optimizer.solving import decompose
from optimizer.checker import check_result_workbook
from optimizer.intake.generate import Size, write_generated_workbook
from optimizer.pipeline import load, run
from optimizer.contract.results import FEASIBLE, OPTIMAL
from optimizer.solving.highs import solve_model
from modelcase import demand, sheets
from workbooks import write_workbook


@pytest.fixture
def every_model_is_large(monkeypatch):
    """The block start normally waits for 1,000 binaries; these small workbooks get it too."""
    monkeypatch.setattr(solve_module, "BLOCK_START_MIN_BINARIES", 0)


def generated(tmp_path, size=Size(4, 3, 6, 2), seed=0, **settings):
    data, _ = load(write_generated_workbook(tmp_path / f"generated_{seed}.xlsx", size, seed))
    return dataclasses.replace(data, settings=dataclasses.replace(data.settings, **settings))


@pytest.fixture(scope="module")
def exact_optimum(tmp_path_factory):
    """The optimum (gap 0, no block start) of ``generated``'s workbook at ``seed`` and ``size``, solved once for
    the module: several tests compare with the same one (seed 1 takes seconds). Only the objective is shared."""
    known: dict[tuple[Size, int], float] = {}

    def optimum(seed: int, size: Size = Size(4, 3, 6, 2)) -> float:
        if (size, seed) not in known:
            data = generated(tmp_path_factory.mktemp("exact"), size=size, seed=seed, mip_gap=0.0)
            result = solve_model(build_model(data), 0.0, 60.0)
            assert result.status == OPTIMAL, result.message
            known[size, seed] = result.objective
        return known[size, seed]

    return optimum


def handed_over(data):
    """The model in HiGHS, and each column's block (mineral) as an integer, -1 for linking columns."""
    model = build_model(data)
    solver = SolverFactory("highs")
    solver.set_instance(model)
    solver._solver_model.setOptionValue("output_flag", False)
    return model, solver._solver_model, mineral_blocks(solver, model)


def mineral_blocks(solver, model) -> np.ndarray:
    """Each column's block (its mineral as an integer), -1 for linking columns."""
    column_of = solver._pyomo_var_to_solver_var_map
    names: dict[str, int] = {}
    blocks = np.full(solver._solver_model.getNumCol(), -1)
    for var in model.component_data_objects(pyo.Var):
        if id(var) in column_of and mineral_of(var) is not None:
            blocks[column_of[id(var)]] = names.setdefault(mineral_of(var), len(names))
    return blocks


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_optimum_is_the_same_with_and_without_the_block_start(tmp_path, every_model_is_large, exact_optimum,
                                                                  seed):
    data = generated(tmp_path, seed=seed, mip_gap=0.0)
    blocked = solve_model(build_model(data), 0.0, 60.0, blocks=mineral_of)
    assert blocked.status == OPTIMAL
    assert blocked.objective == pytest.approx(exact_optimum(seed), rel=1e-6)
    assert "block plan" in blocked.start


def test_market_caps_stay_within_their_minerals_blocks(tmp_path, every_model_is_large, exact_optimum):
    """Every mineral of a generated workbook with a world_supply at 0.5 x its largest demand in a period
    (or twice its largest committed period, so the commitments fit), market share 0.5: each row holds one
    mineral's orders, and the block start reaches the optimum of the plain solve, dearer than without
    the caps (they bind: 957,721 against 697,613 for seed 0)."""
    data = generated(tmp_path, mip_gap=0.0)
    uncapped = exact_optimum(0)
    peak = {m: max((q for (mm, _), q in data.demand.items() if mm == m), default=1.0) for m in data.minerals}
    committed: dict[tuple[str, int], float] = {}
    for (_, m, t), q in data.commitments.items():
        committed[m, t] = committed.get((m, t), 0.0) + q
    for (m, _), q in committed.items():
        peak[m] = max(peak[m], 4 * q)
    minerals = {m: dataclasses.replace(record, world_supply=0.5 * peak[m], max_market_share=0.5)
                for m, record in data.minerals.items()}
    data = dataclasses.replace(data, minerals=minerals)
    model = build_model(data)
    assert len(model.con_market_share) > 0
    plain = solve_model(model, 0.0, 60.0)
    blocked = solve_model(build_model(data), 0.0, 60.0, blocks=mineral_of)
    assert plain.status == blocked.status == OPTIMAL
    assert blocked.objective == pytest.approx(plain.objective, rel=1e-6)
    assert plain.objective > uncapped + 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_sales_and_decay_keep_the_block_start_exact(tmp_path, every_model_is_large, seed):
    """A generated workbook with 4 Sales rows and 2 decaying minerals: sales link minerals only through the
    funds rows of the sources they pay, and the block start reaches the plain optimum."""
    data = generated(tmp_path, size=Size(4, 3, 6, 2, sales=4, decaying=2), seed=seed, mip_gap=0.0)
    assert data.sales and any(m.loss_rate > 0 for m in data.minerals.values())
    plain = solve_model(build_model(data), 0.0, 60.0)
    blocked = solve_model(build_model(data), 0.0, 60.0, blocks=mineral_of)
    assert plain.status == blocked.status == OPTIMAL
    assert blocked.objective == pytest.approx(plain.objective, rel=1e-6)


def test_the_assembled_plan_meets_every_row_and_stays_above_the_lp_bound(tmp_path, exact_optimum):
    data = generated(tmp_path, size=Size(5, 4, 8, 2), seed=4)
    _, highs, blocks = handed_over(data)
    start = decompose.block_start(highs, blocks, mip_gap=0.001, time_limit_s=60.0)
    assert start.columns is None and start.solved == start.blocks == 5  # complete: every mineral solved
    lp = highs.getLp()
    assert decompose.feasible(lp, start.values)
    integer = decompose.integer_columns(lp)
    assert np.allclose(start.values[integer], np.round(start.values[integer]))
    assert start.objective >= start.relaxed_objective - 1e-9
    optimum = exact_optimum(4, Size(5, 4, 8, 2))
    assert start.relaxed_objective <= optimum + 1e-6 <= start.objective + 2e-6


def test_linking_rows_are_shared_so_the_shares_add_up_to_the_row_bound():
    """Two blocks (columns 0 and 1) share a budget row x0 + x1 <= 10; the relaxation used 2 and 6.
    Each block gets its use plus the slack of 2 in proportion to it: 2.5 and 7.5."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 1
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array([1.0, 1.0]), np.zeros(2), np.full(2, 10.0)
    lp.row_lower_, lp.row_upper_ = np.array([-np.inf]), np.array([10.0])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = [0, 1, 2], [0, 0], [1.0, 1.0]
    split = decompose._Split.of(lp, np.array([0, 1]), np.array([2.0, 6.0]), np.zeros(2, dtype=bool))
    assert split.shares[0, 0] == pytest.approx((-np.inf, 2.5))
    assert split.shares[0, 1] == pytest.approx((-np.inf, 7.5))


def test_without_the_whole_relaxation_each_block_relaxes_alone_and_shares_its_demand():
    """Two blocks (columns 0 and 1, each in [0, 8], cost -1: each wants all it can get) share x0 + x1 <= 10.
    Alone, each block's relaxation (the row open to it up to 10) uses 8: L(0) = -16. The master (block_bound.py
    ``master_search``) then pays its penalty for the 6 overdrawn, prices the row at it (the minima: 0 and 0),
    and combines the minima within the row at least cost: x0 + x1 = 10, each in [0, 8] (any such split: both
    cost -1); the row's price -1 gives L(-1) = -10 + 0 + 0 = -10, the optimum, where it stops. The shares are
    the blocks' uses, adding up to 10."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 1
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array([-1.0, -1.0]), np.zeros(2), np.full(2, 8.0)
    lp.row_lower_, lp.row_upper_ = np.array([-np.inf]), np.array([10.0])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = [0, 1, 2], [0, 0], [1.0, 1.0]
    blocks = np.array([0, 1])
    relaxed, bound = decompose._blockwise_relaxation(decompose.BlockRelaxations(lp, blocks),
                                                     decompose.time.perf_counter() + 60.0, 1, None)
    assert relaxed[0] + relaxed[1] == pytest.approx(10.0) and max(relaxed) <= 8.0 + 1e-9
    assert bound == pytest.approx(-10.0)
    split = decompose._Split.of(lp, blocks, relaxed, np.zeros(2, dtype=bool))
    assert split.shares[0, 0] == pytest.approx((-np.inf, relaxed[0]))
    assert split.shares[0, 1] == pytest.approx((-np.inf, relaxed[1]))


def test_a_whole_relaxation_out_of_time_still_gives_a_complete_plan_and_the_same_optimum(tmp_path, monkeypatch,
                                                                                           exact_optimum):
    """XXL's whole relaxation does not end in the block start's share: the blocks' own relaxations split the
    funding rows and bound the model (block_bound.py: at most the optimum), the assembled plan meets every row,
    and the optimum found from it is the one without it."""
    data = generated(tmp_path, size=Size(5, 4, 8, 2), seed=4, mip_gap=0.0)
    _, highs, blocks = handed_over(data)
    monkeypatch.setattr(decompose, "_relaxation", lambda *args: (None, None))
    start = decompose.block_start(highs, blocks, mip_gap=0.001, time_limit_s=60.0)
    assert start.columns is None and start.solved == start.blocks == 5
    assert decompose.feasible(highs.getLp(), start.values)
    exact = exact_optimum(4, Size(5, 4, 8, 2))
    assert start.relaxed_objective <= exact + 1e-6 and "each block's own LP relaxation" in start.describe()
    monkeypatch.setattr(solve_module, "BLOCK_START_MIN_BINARIES", 0)
    blocked = solve_model(build_model(data), 0.0, 60.0, blocks=mineral_of)
    assert blocked.status == OPTIMAL and "each block's own LP relaxation" in blocked.start
    assert blocked.objective == pytest.approx(exact, rel=1e-6)


def test_a_row_wise_matrix_is_read_column_by_column():
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 3, 2
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise  # [[1, 0, 2], [0, 3, 4]]
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = [0, 2, 4], [0, 2, 1, 2], [1.0, 2.0, 3.0, 4.0]
    start, rows, values = decompose._by_column(lp)
    assert start.tolist() == [0, 1, 2, 4]
    assert rows.tolist() == [0, 1, 0, 1]
    assert values.tolist() == [1.0, 3.0, 2.0, 4.0]


def test_blocks_out_of_time_still_give_a_plan_and_failed_blocks_leave_the_optimum_to_the_search(tmp_path,
                                                                                                monkeypatch,
                                                                                                exact_optimum):
    data = generated(tmp_path, seed=1, mip_gap=0.0)
    _, highs, blocks = handed_over(data)
    lp = highs.getLp()
    integer = decompose.integer_columns(lp)
    relaxed, _ = decompose._relaxation(highs, integer, 60.0)
    split = decompose._Split.of(lp, blocks, relaxed, integer)
    late = split.solve_blocks(decompose.BlockPass.each_mip(split.every_block), 0.01, deadline=0.0,
                              workers=1)  # a deadline already passed: first plans only
    assert all(solution is not None for solution in late)
    values, given = split.assemble(late)
    assert given.all() and decompose.feasible(lp, values)
    monkeypatch.setattr(solve_module, "BLOCK_START_MIN_BINARIES", 0)
    monkeypatch.setattr(decompose, "solve_mip", lambda *args, **kwargs: (None, False, -np.inf))  # every block fails
    failed = solve_model(build_model(data), 0.0, 60.0, blocks=mineral_of)
    assert failed.status == OPTIMAL and "no block plan (0 of 4" in failed.start
    assert failed.objective == pytest.approx(exact_optimum(1), rel=1e-6)


def test_a_plan_within_the_gap_of_the_lp_bound_is_the_answer_and_passes_the_checker(tmp_path,
                                                                                    every_model_is_large,
                                                                                    exact_optimum):
    """With a 5% gap the block plan is accepted without a full search: the model's variables hold it, the
    bound is the LP relaxation's, and the written plan passes the independent checker."""
    source = write_generated_workbook(tmp_path / "in.xlsx", Size(4, 3, 6, 2), seed=2)
    data, _ = load(source)
    exact = exact_optimum(2)
    model = build_model(data)
    result = solve_model(model, 0.05, 60.0, blocks=mineral_of)
    assert result.status == OPTIMAL and "LP relaxation" in result.message
    assert result.objective == pytest.approx(pyo.value(model.objective), rel=1e-9)
    assert result.bound <= exact + 1e-6 <= result.objective + 2e-6
    assert result.gap <= 0.05

    output = tmp_path / "plan.xlsx"
    written = run(source, output, explain=False)
    assert written.exit_code == 0
    assert check_result_workbook(output, written.data) == []


def test_each_variable_names_its_mineral_and_onboarding_links_minerals(tmp_path):
    model = build_model(generated(tmp_path))
    assert mineral_of(model.UsesSupplier[next(iter(model.SUPPLIERS_USED))]) is None
    for component in (model.Order, model.IsOrdered, model.Spend, model.Stock, model.Release, model.OfferTotal,
                      model.MineralTotal):
        assert len(component) > 0
        for index, var in component.items():
            parts = index if isinstance(index, tuple) else (index,)
            assert [mineral_of(var)] == [part for part in parts if str(part).startswith("mineral_")]


def two_minerals_sharing_a_budget() -> highspy.Highs:
    """Columns x0 y0 s0a s0b | x1 y1 s1; mineral 0 (block 0): buy x0 <= 20 y0 (order cost 1), short of
    20 units: the first 10 (s0a) at 3 a unit, the next 10 (s0b) at 0.5; mineral 1 (block 1): x1 <= 10 y1
    (order cost 6.5), short s1 of 10 at 1.5; one budget for both: x0 + x1 <= 14.

    LP relaxation (y = x / its big-M, so a unit costs 1/20 or 6.5/10 of order cost): mineral 0's first
    10 units save 3 - 0.05, mineral 1's units 1.5 - 0.65 = 0.85, mineral 0's next ones 0.5 - 0.05: x0 = 10,
    x1 = 4 (y0 = 0.5, y1 = 0.4), objective 0.5 + 10 x 0.5 + 2.6 + 6 x 1.5 = 17.1.
    The block start gives each mineral the budget it used: 10 and 4. Mineral 0: y0 = 1, x0 = 10, cost
    1 + 5 = 6; mineral 1 with 4: ordering costs 6.5 + 6 x 1.5 = 15.5 > 15 not ordering, so y1 = 0.
    Assembled plan: 6 + 15 = 21, its 4 of budget unused.
    Polished (y0 = 1, y1 = 0 held, the LP re-solved): x0 = 14, s0b = 6: 1 + 3 + 15 = 19, the optimum
    (y1 = 1 as well: 1 + 6.5 + 5 + 9 = 21.5; mineral 1 alone: 6.5 + 30 + 5 = 41.5; no order: 50)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 7, 5
    lp.col_cost_ = np.array([0.0, 1.0, 3.0, 0.5, 0.0, 6.5, 1.5])
    lp.col_lower_ = np.zeros(7)
    lp.col_upper_ = np.array([np.inf, 1.0, 10.0, 10.0, np.inf, 1.0, np.inf])
    lp.row_lower_ = np.array([-np.inf, 20.0, -np.inf, 10.0, -np.inf])
    lp.row_upper_ = np.array([0.0, np.inf, 0.0, np.inf, 14.0])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = [0, 2, 5, 7, 9, 11]
    lp.a_matrix_.index_ = [0, 1, 0, 2, 3, 4, 5, 4, 6, 0, 4]
    lp.a_matrix_.value_ = [1.0, -20.0, 1.0, 1.0, 1.0, 1.0, -10.0, 1.0, 1.0, 1.0, 1.0]
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [continuous, integer, continuous, continuous, continuous, integer, continuous]
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    return highs


def test_polishing_moves_the_budget_a_block_left_unused_to_the_other_mineral():
    highs = two_minerals_sharing_a_budget()
    before = highs.getLp()
    start = decompose.block_start(highs, np.array([0, 0, 0, 0, 1, 1, 1]), mip_gap=1e-4, time_limit_s=60.0,
                                  workers=1)
    assert start.relaxed_objective == pytest.approx(17.1)
    assert start.objective == pytest.approx(21.0)
    polished = decompose.polish(highs, start)
    assert polished.objective == pytest.approx(19.0) and polished.assembled == pytest.approx(21.0)
    assert polished.values[[0, 1, 3, 5]] == pytest.approx([14.0, 1.0, 6.0, 0.0])
    assert decompose.feasible(highs.getLp(), polished.values)
    assert "polished 9.52% lower" in polished.describe()
    after = highs.getLp()  # the model is left as it was: the search that follows keeps every choice free
    assert list(after.integrality_) == list(before.integrality_)
    assert np.array_equal(after.col_lower_, before.col_lower_) and np.array_equal(after.col_upper_, before.col_upper_)
    highs.run()
    assert highs.getInfo().objective_function_value == pytest.approx(19.0)  # the MIP's optimum: the polished plan


def test_a_plan_polishing_cannot_lower_or_a_partial_one_is_left_as_it_is():
    highs = two_minerals_sharing_a_budget()
    blocks = np.array([0, 0, 0, 0, 1, 1, 1])
    start = decompose.polish(highs, decompose.block_start(highs, blocks, mip_gap=1e-4, time_limit_s=60.0, workers=1))
    again = decompose.polish(highs, start)
    assert again.objective == start.objective and again.assembled == start.assembled
    assert np.array_equal(again.values, start.values)
    partial = decompose.BlockStart(start.values[:4], np.arange(4), start.relaxed_objective, 2, 1, 1.0)
    assert decompose.polish(highs, partial) is partial


def passed(now: float, limit_s: float = 100.0) -> decompose.Stop:
    """A stop of ``limit_s`` set at 0 on a fake clock that now reads ``now`` (its late deadline 2% after it)."""
    stop = decompose.Stop.after(limit_s, clock=lambda: 0.0)
    stop.clock = lambda: now
    return stop


def test_polishing_is_not_begun_after_the_deadline():
    """The shared-budget pair's plan (21), which polishing lowers to 19 (above): with the deadline passed it is
    left as it is, not copied and re-solved (at XL under load that LP's set-up alone runs on past the limit)."""
    highs = two_minerals_sharing_a_budget()
    start = decompose.block_start(highs, np.array([0, 0, 0, 0, 1, 1, 1]), mip_gap=1e-4, time_limit_s=60.0, workers=1)
    assert decompose.polish(highs, start, passed(100.5)) is start
    assert decompose.polish(highs, start, passed(99.5)).objective == pytest.approx(19.0)


@pytest.mark.parametrize("now, until_deadline, begun", [(99.0, True, True), (101.0, True, False),
                                                        (101.0, False, True), (102.5, False, False)])
def test_a_block_mip_past_its_deadline_is_not_begun(monkeypatch, now, until_deadline, begun):
    """The shared-budget pair's MIP against a 100 s stop: a step to the deadline is not begun at 101 s (no HiGHS
    is made, no plan), a late first plan (``until_deadline`` False) only past its late deadline (102 s). Begun,
    HiGHS stopped at its first check, but after its set-up and presolve: at L under load 10-15 that ran each
    block 0.5 s and more past the deadline."""
    lp = two_minerals_sharing_a_budget().getLp()
    made = []
    highs = decompose.highspy.Highs
    monkeypatch.setattr(decompose.highspy, "Highs", lambda: made.append(1) or highs())
    values, _, bound = decompose.solve_mip(lp, 1e-4, 60.0, stop=passed(now), until_deadline=until_deadline)
    assert (len(made) == 1) is begun
    if not begun:
        assert values is None and bound == -np.inf


def test_past_the_late_deadline_no_block_is_begun(monkeypatch):
    """The shared-budget pair's two blocks against a 100 s stop, at 102.5 s: no block's task is begun (not even
    its block made), where at 101 s both still are (a late first plan runs to 102 s). At XL under load a late
    pass's blocks, each begun to be stopped at once, took the solve seconds past its limit."""
    _, split = shared_budget_split()
    begun = []
    monkeypatch.setattr(decompose, "solve_block", lambda limits, block, stop=None: begun.append(int(block.columns[0])))
    each_mip = decompose.BlockPass.each_mip(split.every_block)
    deadline = decompose.time.perf_counter() + 60.0
    assert split.solve_blocks(each_mip, 1e-4, deadline, 1, stop=passed(102.5)) == [None, None] and begun == []
    split.solve_blocks(each_mip, 1e-4, deadline, 1, stop=passed(101.0))
    assert begun == [0, 4]


def test_past_the_deadline_a_block_with_a_plan_in_hand_is_not_begun(monkeypatch):
    """The shared-budget pair's blocks, their deadline passed: from a plan (the refinement's) neither block is
    begun, nor made (at XL under load 12-15 making each of the 60 blocks the refinement reached after its
    deadline took 0.1 s: the refinement ended 9 s after it, past the whole solve's limit); without one (a first
    pass) each is, for its late first plan."""
    _, split = shared_budget_split()
    begun = []
    monkeypatch.setattr(decompose, "solve_block", lambda limits, block, stop=None: begun.append(int(block.columns[0])))
    each_mip = decompose.BlockPass.each_mip(split.every_block)
    past = decompose.time.perf_counter() - 1.0
    assert split.solve_blocks(each_mip, 1e-4, past, 1, start=np.zeros(7)) == [None, None] and begun == []
    split.solve_blocks(each_mip, 1e-4, past, 1)
    assert begun == [0, 4]


@pytest.mark.parametrize("ahead, now", [(-1.0, 0.0), (60.0, 100.5)])
def test_the_bound_at_the_shares_prices_is_not_begun_after_the_deadline(ahead, now):
    """Past its own deadline (1 s ago), or the whole solve's (``stop``, a 100 s limit at 100.5 s), the bound at
    the shares' prices keeps the bound it has (7) and solves no block LP: at L under load 15 those LPs, begun
    after the deadline, took the solve 2.8 s past its limit."""
    _, split = shared_budget_split()

    class Unsolved:
        def bound(self, *args, **kwargs):
            pytest.fail("a block LP solved after the deadline")

    split.share_duals = Unsolved().bound
    deadline = decompose.time.perf_counter() + ahead
    assert decompose._share_priced_bound(Unsolved(), split, 7.0, deadline, 1, passed(now)) == 7.0


@pytest.mark.parametrize("plan, seconds, until_deadline", [(None, decompose.REPAIR_SECONDS, False),
                                                          (np.zeros(3), 0.25, True)])
def test_a_repair_with_a_plan_in_hand_ends_in_its_time_and_at_the_deadline(monkeypatch, plan, seconds,
                                                                           until_deadline):
    """A serve_first block's repair from its kept relaxed plan, in 0.25 s: without a plan in hand (a first pass) it
    still gets ``REPAIR_SECONDS`` to the late deadline, to keep a plan; at its fallback plan (the refinement) it has
    one, and ends in its 0.25 s and at the deadline (at XL under load 12-15 the refinement's repairs ran 2 s past
    the whole solve's deadline). The repair itself is the test's: it returns a plan of cost 0 at once."""
    block = SimpleNamespace(relaxed=(np.zeros(3), 0.0), plan=plan, cost=np.ones(3))
    monkeypatch.setattr(decompose.serve_first, "repaired", lambda *args: SimpleNamespace(highs_lp=lambda: None))
    asked = []
    monkeypatch.setattr(decompose, "solve_mip", lambda lp, gap, limit, **kwargs: asked.append(
        (limit, kwargs["until_deadline"])) or (np.zeros(3), True, 0.0))
    values, finished, bound = decompose._relaxed_then_repaired(block, 1e-4, 0.25, passed(0.0))
    assert finished and bound == 0.0 and len(asked) == 1
    assert (asked[0][0] == seconds if plan is None else 0.0 < asked[0][0] <= seconds) and asked[0][1] is until_deadline


class _Clock:
    """A clock the test moves: ``now`` seconds."""

    def __init__(self):
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    time = perf_counter  # the blocks' wall-clock deadline (BlockLimits) reads the same clock


def test_each_kind_of_pass_gives_its_blocks_their_time(monkeypatch):
    """How long each of 4 blocks may take with 60 s left on 2 workers (a clock that stands still; the even share
    2 x 60 / 4 = 30 s): up to ``BLOCK_TIME_SHARE`` (4) times it, 120 s, in the first pass, the relaxed steps and the
    refinement (the time of blocks that end early goes to the slow ones); its even share, 30 s, in the blockwise
    first pass and the repairs (every block a plan before any takes another's time); ``MISSING_PLAN_SECONDS``
    (10 s) for a first plan, however long the time left. Every block to the same deadline on the wall clock (60 s
    on); the first plans alone are first plans only, the repairs and the refinement's alone stop at their first
    plan."""
    clock = _Clock()
    monkeypatch.setattr(decompose, "time", clock)
    Pass, four = decompose.BlockPass, range(4)
    longest = {Pass.each_mip(four): 120.0, Pass.relaxed_steps(four): 120.0, Pass.refinement(four, [3], [1]): 120.0,
               Pass.even_shares(four): 30.0, Pass.first_repairs(four): 30.0, Pass.first_plans(four): 10.0}
    for kind, seconds in longest.items():
        limits = kind.limits(1e-3, clock.now + 60.0, workers=2)
        assert (limits.mip_gap, limits.deadline, limits.longest) == (1e-3, clock.now + 60.0, pytest.approx(seconds))
        assert limits.first_plans is (kind == Pass.first_plans(four))
        assert limits.first_repairs is (kind in (Pass.first_repairs(four), Pass.refinement(four, [3], [1])))


def after_a_40_s_relaxation(tmp_path, monkeypatch, **limits):
    """The block start of a 5-mineral workbook whose relaxation takes 40 s on a fake clock (starting at
    1000 s), and the deadline each call of ``solve_blocks`` was given."""
    data = generated(tmp_path, size=Size(5, 4, 8, 2), seed=4)
    _, highs, blocks = handed_over(data)
    clock = _Clock()
    monkeypatch.setattr(decompose, "time", clock)
    relaxation, solve_blocks = decompose._relaxation, decompose._Split.solve_blocks
    deadlines = []

    def slow_relaxation(*args):
        clock.now += 40.0
        return relaxation(*args)

    def recording(split, kind, mip_gap, deadline, *args, **kwargs):
        deadlines.append(deadline)
        return solve_blocks(split, kind, mip_gap, deadline, *args, **kwargs)

    monkeypatch.setattr(decompose, "_relaxation", slow_relaxation)
    monkeypatch.setattr(decompose._Split, "solve_blocks", recording)
    return decompose.block_start(highs, blocks, mip_gap=0.001, **limits), deadlines


def test_the_blocks_share_what_the_relaxation_left_of_the_limit(tmp_path, monkeypatch):
    """A relaxation that takes 40 of the 60 s leaves the blocks until 60 s after the start (the relaxation's
    time taken off once), not until 20 s after it (taken off twice: L with recourse once lost its blocks so)."""
    start, deadlines = after_a_40_s_relaxation(tmp_path, monkeypatch, time_limit_s=60.0)
    assert deadlines == [1060.0]
    assert start.solved == start.blocks == 5


def test_the_block_start_plans_per_mineral_with_recourse(tmp_path, every_model_is_large):
    """With recourse (models/recourse.py: each mineral's block holds its orders of every scenario-tree node,
    each scenario's funding rows link the minerals), the block start assembles a plan, and the optimum is
    the one found without it."""
    from models.recourse import build_recourse_model

    data = generated(tmp_path, size=Size(4, 3, 6, 2), seed=1, mip_gap=0.0, recourse="yes")
    plain = solve_model(build_recourse_model(data), 0.0, 60.0)
    blocked = solve_model(build_recourse_model(data), 0.0, 60.0, blocks=mineral_of)
    assert plain.status == blocked.status == OPTIMAL
    assert blocked.objective == pytest.approx(plain.objective, rel=1e-6)
    assert "complete block plan" in blocked.start


def test_twins_take_one_column_in_their_block():
    """min x0 + x1 + 2 x2 (integers) with x0 >= 3, x1 >= 3 (block 0), x2 >= 1 (block 1) and x0 + x1 + x2 <= 10
    (linking); x1 the twin of x0 (twin_of_column[1] = 0). Block 0 holds x0 alone at cost 1 + 1 = 2, its rows
    x0 >= 3 once (x1 >= 3 became the same row) and its share of the linking row, 2 x0 <= 6 + 3 x 6/7 (the
    relaxation uses 6 of 10 there, block 1 uses 1: the slack 3 shared 6:1). Its plan x0 = 3 gives x1 = 3: the
    plan (3, 3, 1) at 3 + 3 + 2 = 8, the optimum."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    highs.addVars(3, np.zeros(3), np.full(3, 20.0))
    highs.changeColsCost(3, np.arange(3, dtype=np.int32), np.array([1.0, 1.0, 2.0]))
    highs.changeColsIntegrality(3, np.arange(3, dtype=np.int32), [highspy.HighsVarType.kInteger] * 3)
    for lower, upper, columns in [(3, inf, [0]), (3, inf, [1]), (1, inf, [2]), (-inf, 10, [0, 1, 2])]:
        highs.addRow(lower, upper, len(columns), np.array(columns, dtype=np.int32), np.ones(len(columns)))
    blocks, twins = np.array([0, 0, 1]), np.array([-1, 0, -1])
    split = decompose._Split.of(highs.getLp(), blocks, np.array([3.0, 3.0, 1.0]), np.ones(3, dtype=bool))
    split.share_twins(twins)
    block = split.block(0)
    assert list(block.columns) == [0] and list(block.cost) == [2.0]
    assert sorted(zip(block.row_lower, block.row_upper)) == [(-inf, pytest.approx(6 + 18 / 7)), (3.0, inf)]
    assert list(block.value) == [1.0, 2.0] or list(block.value) == [2.0, 1.0]
    assert list(split.block(0, start=np.array([4.0, 4.0, 1.0])).plan) == [4.0]  # refine starts from the plan
    assert split.block_cost((np.array([0]), np.array([3.0]))) == 6.0  # x0 = 3 stands for x1 = 3 too: 3 + 3
    start = decompose.block_start(highs, blocks, mip_gap=0.0, time_limit_s=60.0, twin_of_column=twins)
    assert start.solved == start.blocks == 2 and start.columns is None
    assert list(start.values) == [3.0, 3.0, 1.0] and start.objective == pytest.approx(8.0)


def recourse_tree(tmp_path, seed: int):
    """A generated workbook (4 minerals, 3 suppliers, 6 periods, 3 scenarios each known from period 4) with
    recourse, at gap 0."""
    from optimizer.intake.generate import generate_sheets, write_sheets

    sheets = generate_sheets(Size(4, 3, 6, 3), seed=seed)
    header, *rows = sheets["Scenarios"]
    sheets["Scenarios"] = [[*header, "known_from"]] + [[*row, 4] for row in rows]
    data, _ = load(write_sheets(tmp_path / f"tree_{seed}.xlsx", sheets))
    return dataclasses.replace(data, settings=dataclasses.replace(data.settings, recourse="yes", mip_gap=0.0))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sharing_copies_in_the_block_start_keeps_the_optimum_on_random_trees(tmp_path, every_model_is_large,
                                                                             monkeypatch, seed):
    """Generated workbooks (4 minerals, 3 suppliers, 6 periods, 3 scenarios each known from period 4) with
    recourse: the block start lets scenarios alike on a mineral share its copy (models/recourse.py block_twins)
    and still assembles a complete plan, and the optimum (gap 0) is the one found without any block start."""
    from models.recourse import build_recourse_model

    data = recourse_tree(tmp_path, seed)
    shared = []
    share_twins = decompose._Split.share_twins
    monkeypatch.setattr(decompose._Split, "share_twins",
                        lambda split, twin: shared.append(int(np.sum(twin >= 0))) or share_twins(split, twin))
    plain = solve_model(build_recourse_model(data), 0.0, 60.0)
    blocked = solve_model(build_recourse_model(data), 0.0, 60.0, blocks=mineral_of)
    assert shared and shared[0] > 0
    assert plain.status == blocked.status == OPTIMAL
    assert blocked.objective == pytest.approx(plain.objective, rel=1e-6)
    assert "complete block plan" in blocked.start


def tied_relaxation(lp, twin):
    """The reference: ``lp`` relaxed with the rows x_j - x_twin = 0 added (the tied relaxation before
    ``twin_reduced_lp``), its objective and column values."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    followers = np.flatnonzero(twin >= 0)
    for j in followers:
        highs.addRow(0.0, 0.0, 2, np.array([j, twin[j]], dtype=np.int32), np.array([1.0, -1.0]))
    integer = np.flatnonzero(decompose.integer_columns(lp))
    highs.changeColsIntegrality(len(integer), integer, [highspy.HighsVarType.kContinuous] * len(integer))
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value, np.asarray(highs.getSolution().col_value)


def test_the_reduced_lp_gives_twins_one_column_and_keeps_alike_rows_once():
    """min x0 + 3 x1 with x0 + x1 >= 4, x0 >= 1, x1 >= 1.5, x0 <= 3, x1 <= 10; x1 the twin of x0. Apart: x0 = 3,
    x1 = 1.5, 7.5. Tied (x1 = x0 substituted): one column x at cost 1 + 3 = 4 within [0, 3] (the bounds'
    intersection), rows 2 x >= 4 and x >= 1.5 (x0 >= 1 and x1 >= 1.5 both became x >= ...: kept once, with the
    tighter bound): x = 2, objective 8, as the whole LP with the row x1 - x0 = 0 added."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 3
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array([1.0, 3.0]), np.zeros(2), np.array([3.0, 10.0])
    lp.row_lower_, lp.row_upper_ = np.array([4.0, 1.0, 1.5]), np.full(3, np.inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = [0, 2, 4], [0, 1, 0, 2]
    lp.a_matrix_.value_ = [1.0, 1.0, 1.0, 1.0]
    twin = np.array([-1, 0])
    reduced, reduced_of, _ = decompose.twin_reduced_lp(lp, twin)
    assert reduced.num_col_ == 1 and list(reduced_of) == [0, 0]
    assert list(reduced.col_cost_) == [4.0] and (reduced.col_lower_[0], reduced.col_upper_[0]) == (0.0, 3.0)
    assert sorted(zip(reduced.row_lower_, reduced.a_matrix_.value_)) == [(1.5, 1.0), (4.0, 2.0)]
    relaxed, _ = decompose._twin_reduced_relaxation(lp, twin, 60.0)
    assert list(relaxed) == [2.0, 2.0]
    assert tied_relaxation(lp, twin)[0] == pytest.approx(8.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_reduced_lp_has_the_tied_relaxations_optimum_on_random_trees(tmp_path, seed):
    """Generated workbooks with recourse (4 minerals, 3 suppliers, 6 periods, 3 scenarios each known from period 4),
    their twins as the block start takes them (``_Split.share_twins``): the relaxation on the reduced LP has the
    optimum of the whole relaxation with x_j = x_twin added, on fewer columns, and its values mapped back meet
    every row of the whole model with each follower at its twin's value."""
    from models.recourse import build_recourse_model

    model = build_recourse_model(recourse_tree(tmp_path, seed))
    solver = solve_module.persistent_highs()
    solver.set_instance(model)
    highs = solve_module.highs_of(solver)
    highs.setOptionValue("output_flag", False)
    lp, integer = highs.getLp(), decompose.integer_columns(highs.getLp())
    relaxed, _ = decompose._relaxation(highs, integer, 60.0)
    split = decompose._Split.of(lp, mineral_blocks(solver, model), relaxed, integer)
    columns = solve_module._columns(solver, model)
    split.share_twins(solve_module._twin_of_column(solver, columns))
    followers = np.flatnonzero(split.twin >= 0)
    assert len(followers) > 0
    reduced, _, _ = decompose.twin_reduced_lp(lp, split.twin)
    assert reduced.num_col_ == lp.num_col_ - len(followers) and reduced.num_row_ < lp.num_row_
    relaxed, _ = decompose._twin_reduced_relaxation(lp, split.twin, 60.0)
    tied, _ = tied_relaxation(lp, split.twin)
    assert float(np.dot(lp.col_cost_, relaxed) + lp.offset_) == pytest.approx(tied, rel=1e-7)
    assert decompose.feasible(lp, relaxed) and np.array_equal(relaxed[followers], relaxed[split.twin[followers]])


def shared_budget_split():
    """The shared-budget pair's model and its split at the LP relaxation (block 0's budget 10, block 1's 4)."""
    highs = two_minerals_sharing_a_budget()
    lp = highs.getLp()
    integer = decompose.integer_columns(lp)
    relaxed, _ = decompose._relaxation(highs, integer, 60.0)
    return lp, decompose._Split.of(lp, np.array([0, 0, 0, 0, 1, 1, 1]), relaxed, integer)


def test_the_refinement_solves_the_block_furthest_from_its_bound_again_and_keeps_what_got_cheaper():
    """The shared-budget pair above (block 0: x0 y0 s0a s0b, its share of the budget 10; block 1: x1 y1 s1).
    The first pass is made to stop block 0 early at y0 = 1, x0 = 10, s0a = 10: 1 + 30 = 31, its own bound 6
    (distance 25); block 1 at its optimum for its share 4, no order, s1 = 10: 15, bound 14 (distance 1).
    The refinement solves block 0 first (the furthest), from its plan, to its optimum: x0 = 10, s0b = 10,
    1 + 5 = 6; block 1 has no cheaper plan than 15, so its plan is kept as it was."""
    lp, split = shared_budget_split()
    stopped_early = [(np.arange(4), np.array([10.0, 1.0, 10.0, 0.0]), False, 6.0),
                     (np.arange(4, 7), np.array([0.0, 0.0, 10.0]), False, 14.0)]
    assert [split.block_cost(solution) for solution in stopped_early] == [31.0, 15.0]
    order = []
    solve_blocks = split.solve_blocks

    def recording(kind, *args, **kwargs):
        order.append(list(kind.blocks))
        return solve_blocks(kind, *args, **kwargs)

    split.solve_blocks = recording
    refined = split.refine(stopped_early, 1e-4, deadline=decompose.time.perf_counter() + 60.0, workers=1)
    assert order == [[0, 1]]
    assert split.block_cost(refined[0]) == pytest.approx(6.0) and refined[0][2]
    assert refined[1] is stopped_early[1]
    values, given = split.assemble(refined)
    assert given.all() and decompose.feasible(lp, values)


def test_finished_blocks_or_an_incomplete_set_are_not_refined():
    lp, split = shared_budget_split()
    finished = [(np.arange(4), np.array([10.0, 1.0, 0.0, 10.0]), True, 6.0),
                (np.arange(4, 7), np.array([0.0, 0.0, 10.0]), True, 15.0)]
    later = decompose.time.perf_counter() + 60.0
    assert split.refine(finished, 1e-4, later, workers=1) is finished
    incomplete = [finished[0], None]
    assert split.refine(incomplete, 1e-4, later, workers=1) is incomplete
    assert split.refine(finished, 1e-4, deadline=0.0, workers=1) is finished  # out of time


@pytest.mark.parametrize("run_gap, begun", [(0.7, 0), (0.2, 1), (0.1, 2)])
def test_the_refinement_stops_once_the_assembled_plan_is_within_the_runs_gap(monkeypatch, run_gap, begun):
    """The shared-budget pair stopped early as above: block 0 at 31, block 1 at 15, the plan 46 against the LP
    bound 17.1 (62.8% above it). Refining block 0 (the furthest) brings the plan to 6 + 15 = 21 (18.6%). With a
    run gap of 70% the plan is already within it: no block is solved again; with 20% the pass ends after block
    0 (block 1 is not begun); with 10% both are solved. Counted by the block solves begun (no timing)."""
    lp, split = shared_budget_split()
    stopped_early = [(np.arange(4), np.array([10.0, 1.0, 10.0, 0.0]), False, 6.0),
                     (np.arange(4, 7), np.array([0.0, 0.0, 10.0]), False, 14.0)]
    assert split.objective(stopped_early) == pytest.approx(46.0)
    solved = []
    solve_block = decompose.solve_block
    monkeypatch.setattr(decompose, "solve_block", lambda limits, block, stop=None: solved.append(block.columns[0])
                        or solve_block(limits, block, stop))
    refined = split.refine(stopped_early, 1e-4, deadline=decompose.time.perf_counter() + 60.0, workers=1,
                           enough=decompose._within_gap(run_gap, 17.1))
    assert len(solved) == begun
    assert split.objective(refined) == pytest.approx(46.0 if begun == 0 else 21.0)


def test_the_refinements_stop_ends_the_pass_only():
    """The stop the refinement interrupts when the plan is within the gap does not reach the whole solve's (a
    Ctrl-C would be raised there); the whole solve's deadline or Ctrl-C does stop the refinement. A fake clock."""
    now = [0.0]
    outer = decompose.Stop.after(10.0, clock=lambda: now[0])
    until = decompose._Enough(outer=outer)
    until.interrupt()
    assert until.due() and not outer.due() and not outer.interrupted
    until = decompose._Enough(outer=outer)
    assert not until.due()
    now[0] = 10.0
    assert until.due() and until.late_due() is False
    outer.interrupt()
    assert until.due() and until.late_due()


def test_a_gap_is_measured_against_the_whole_relaxations_bound_only():
    """Within 1% of a bound of 99: 100 is (1.0%), 100.1 is not; without a bound (shares from each block's own
    relaxation), nothing is within any gap."""
    within = decompose._within_gap(0.01, 99.0)
    assert within(100.0) and not within(100.1)
    assert decompose._within_gap(0.01, None) is None


def test_a_block_left_without_a_plan_gets_its_first_plan(monkeypatch):
    """The shared-budget pair: block 1 finds no plan in the first pass (made so). Without a first plan the block
    plan would be partial (1 of 2 blocks); with one (presolve off, first plan only), it is complete: block 1's
    first plan is any plan of its MIP (x1 <= 10 y1, s1 >= 10 - x1, x1 within its budget share 4), and the whole
    plan meets every row. The first plan may take ``MISSING_PLAN_SECONDS`` (10 s, not the 2 s of a late block's)."""
    highs = two_minerals_sharing_a_budget()
    solve_block = decompose.solve_block
    monkeypatch.setattr(decompose, "solve_block", lambda limits, block, stop=None: None
                        if block.columns[0] == 4 and not limits.first_plans else solve_block(limits, block, stop))
    options, seconds = [], []
    first_plan = decompose.solve_mip
    monkeypatch.setattr(decompose, "solve_mip", lambda *args, **kwargs: options.append(kwargs.get("options"))
                        or seconds.append(args[2]) or first_plan(*args, **kwargs))
    start = decompose.block_start(highs, np.array([0, 0, 0, 0, 1, 1, 1]), mip_gap=1e-4, time_limit_s=60.0, workers=1)
    assert start.solved == start.blocks == 2 and start.columns is None
    assert options == [None, decompose.FIRST_PLAN_OPTIONS]  # block 0 as usual, then block 1's first plan
    assert seconds[1] == decompose.MISSING_PLAN_SECONDS == 10.0  # not a late block's 2 s (FIRST_PLAN_SECONDS)
    assert decompose.feasible(highs.getLp(), start.values)
    assert start.objective >= 21.0 - 1e-5  # no cheaper than the block plan solved to its optimum


def test_a_first_plan_has_until_the_late_deadline_also_where_no_stop_watches_it(monkeypatch):
    """A block's first plan after the first pass (``_first_plans``) ends at the stop's late deadline. On a cluster's
    worker no stop watches it, so its time limit says so: what is left to the late deadline (3 s + 2% here), not
    ``MISSING_PLAN_SECONDS`` (10 s), which would let a cluster's first plans run past the whole solve's limit."""
    _, split = shared_budget_split()
    seconds = []
    first_plan = decompose.solve_mip
    monkeypatch.setattr(decompose, "solve_mip", lambda *args, **kwargs: seconds.append(args[2])
                        or first_plan(*args, **kwargs))
    solutions = decompose._first_plans(split, [None, None], 1e-4, 1, decompose.Stop.after(3.0))
    assert all(solution is not None for solution in solutions)
    assert len(seconds) == 2 and all(1.0 < limit <= 3.06 for limit in seconds)


@pytest.mark.parametrize("whole, search, deadline", [(200.0, True, 1070.0), (100.0, False, 1095.0)])
def test_the_blocks_take_the_searchs_time_when_it_could_not_end_its_root_lp(tmp_path, monkeypatch, whole, search,
                                                                            deadline):
    """The relaxation takes 40 s of a 70 s share. Of a 200 s solve the search would get 130 s, more than the
    relaxation took: the blocks keep their share (until 70 s after the start). Of a 100 s solve it would get
    30 s, less than its root LP alone (about the relaxation's 40 s): the blocks get the whole 100 s less the
    polish's 5% (until 95 s after the start), and the block start says the search is not worth starting. Either way
    it gives the search's root LP's time as the relaxation's 40 s (``root_seconds``): a search begun with less left
    stops before its root."""
    start, deadlines = after_a_40_s_relaxation(tmp_path, monkeypatch, time_limit_s=70.0, whole_s=whole)
    assert deadlines[0] == pytest.approx(deadline)
    assert start.search is search and start.solved == start.blocks == 5
    assert start.root_seconds == pytest.approx(40.0)


def test_without_a_search_worth_starting_the_block_plan_is_the_answer(tmp_path, every_model_is_large, monkeypatch,
                                                                     exact_optimum):
    """A block start that says the search is not worth starting: its plan (polished) is the answer, held by
    the model's variables, FEASIBLE at its distance from the LP bound, never below the optimum."""
    data = generated(tmp_path, seed=2, mip_gap=0.0)
    exact = exact_optimum(2)
    block_start = solve_module.block_start
    monkeypatch.setattr(solve_module, "block_start",
                        lambda *args, **kwargs: dataclasses.replace(block_start(*args, **kwargs), search=False))
    model = build_model(data)
    result = solve_model(model, 0.0, 60.0, blocks=mineral_of)
    assert result.status == FEASIBLE and "could not end its root LP" in result.message
    assert result.objective == pytest.approx(pyo.value(model.objective), rel=1e-9)
    assert result.bound <= exact + 1e-6 <= result.objective + 2e-6
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)
    assert result.gap > 0  # this block plan (seed 2) is not the optimum: the search, skipped, would have improved it


def test_the_shares_leave_room_for_each_blocks_fallback_plan():
    """The shared-budget pair's shares are 10 and 4 (what the relaxation used). A fallback plan ordering nothing
    of mineral 0 (x0 = 0, 20 short) and 8 of mineral 1 (x1 = 8, y1 = 1, 2 short) uses 0 and 8 of the 14:
    block 1's share of 4 cannot hold it. Each block gets its fallback's use plus the rest of the budget
    (14 - 8 = 6) in proportion to what its share held beyond that use (block 0: 10 - 0, block 1: none):
    6 and 8, still adding up to 14."""
    _, split = shared_budget_split()
    assert split.shares[4, 0] == pytest.approx((-np.inf, 10.0)) and split.shares[4, 1] == pytest.approx((-np.inf, 4.0))
    split.leave_room_for(np.array([0.0, 0.0, 10.0, 10.0, 8.0, 1.0, 2.0]))
    assert split.shares[4, 0] == pytest.approx((-np.inf, 6.0)) and split.shares[4, 1] == pytest.approx((-np.inf, 8.0))


def test_a_block_without_a_first_plan_takes_its_part_of_the_fallback_plan():
    """Block 0 finds no plan in its first pass: it takes its columns' values of the fallback (no order, 20
    short: 3 x 10 + 0.5 x 10 = 35) with no bound of its own; block 1 keeps its plan. Without a value for
    each of its columns it gets its first plan with presolve off, within its share of the budget (10): an
    order (y0 = 1, x0 = 10, 6 short: 1 + 5 = 6) or none (35)."""
    _, split = shared_budget_split()
    found = (np.arange(4, 7), np.array([0.0, 0.0, 10.0]), True, 15.0)
    solve_blocks = split.solve_blocks  # the first pass made so; the first plans (``_first_plans``) solved
    split.solve_blocks = lambda kind, *args, **kwargs: (solve_blocks(kind, *args, **kwargs) if kind.first_plan_only
                                                        else [None, found])
    fallback = np.array([0.0, 0.0, 10.0, 10.0, 0.0, 0.0, 10.0])
    solutions, fallbacks = decompose._blockwise_first_plans(split, fallback, 1e-4, decompose.time.perf_counter() + 60.0, 1,
                                                  None, None)
    assert fallbacks == 1 and solutions[1] is found
    assert solutions[0][1].tolist() == [0.0, 0.0, 10.0, 10.0] and solutions[0][3] == -np.inf
    assert split.block_cost(solutions[0]) == pytest.approx(35.0)
    fallback[1] = np.nan
    solutions, fallbacks = decompose._blockwise_first_plans(split, fallback, 1e-4, decompose.time.perf_counter() + 60.0, 1,
                                                  None, None)
    assert fallbacks == 0 and solutions[0] is not None  # its first plan with presolve off instead
    assert split.holds(0, np.concatenate([solutions[0][1], np.zeros(3)]))
    assert split.block_cost(solutions[0]) in (pytest.approx(6.0), pytest.approx(35.0))  # y0 = 1, x0 = 10; or none


def blockwise_first_pass(split, kind) -> bool:
    """Whether ``kind`` is the pass whose plans the blockwise first pass keeps, before the fallbacks: every block in
    its even share or, under serve_first, every block's repair from its relaxed plan."""
    return kind in (decompose.BlockPass.even_shares(split.every_block),
                    decompose.BlockPass.first_repairs(split.every_block))


def test_past_blockwise_columns_a_block_without_a_plan_falls_back_and_the_bound_stays_below_the_optimum(
        tmp_path, every_model_is_large, monkeypatch, exact_optimum):
    """The blockwise route of XL and XXL on a small workbook (``BLOCKWISE_COLUMNS`` 0): no whole relaxation,
    the blocks' Lagrangian bound, every block's first pass made to find nothing. Every block takes its part of
    the commitments-only plan (seed 1: one mineral's commitments break its supplier share, and the fallback
    dilutes them with orders from its other offers, models/dilution.py, so that block holds its part too); the
    refinement starts from them, the plan meets every row and is the answer (no search), and its bound is no
    higher than the optimum."""
    data = generated(tmp_path, seed=1, mip_gap=0.0)
    exact = exact_optimum(1)
    monkeypatch.setattr(decompose, "BLOCKWISE_COLUMNS", 0)
    monkeypatch.setattr(solve_module, "BLOCKWISE_COLUMNS", 0)
    solve_blocks = decompose._Split.solve_blocks

    def no_first_plans(self, kind, *args, **kwargs):
        solutions = solve_blocks(self, kind, *args, **kwargs)
        return [None] * len(solutions) if blockwise_first_pass(self, kind) else solutions

    monkeypatch.setattr(decompose._Split, "solve_blocks", no_first_plans)
    model = build_model(data)
    result = solve_model(model, 0.0, 60.0, blocks=mineral_of)
    fallbacks = int(result.start.split(" at their fallback plan")[0].rsplit(", ", 1)[1])
    assert result.status == FEASIBLE and "complete block plan" in result.start and fallbacks == 4
    assert "priced blocks" in result.start
    assert result.bound <= exact + 1e-6 <= result.objective + 2e-6
    assert result.objective == pytest.approx(pyo.value(model.objective), rel=1e-9)


def test_the_shares_dual_values_price_the_blocks_bound():
    """The shared-budget pair at its shares 10 and 4: block 1's LP values a unit more of budget at 1.5 - 0.65
    = 0.85 (a unit bought instead of one short), the budget's price in the whole LP: L(-0.85) = 17.1
    (tests/solving/test_block_bound.py). Block 0's LP is degenerate there (x0 at its share, s0b at its
    bound), so its price may be 0.45 or up to 2.95: whatever the pick, the bound rises above L(0) = 10.2 and
    stays at most the whole LP's 17.1 (so below the optimum 19); a higher bound given stays as it is."""
    lp, split = shared_budget_split()
    relaxations = decompose.BlockRelaxations(lp, split.block_of)
    later = decompose.time.perf_counter() + 60.0
    assert 10.2 + 1e-6 < decompose._share_priced_bound(relaxations, split, 10.2, later, 1, None) <= 17.1 + 1e-6
    assert decompose._share_priced_bound(relaxations, split, 18.0, later, 1, None) == 18.0


def test_past_blockwise_columns_a_model_with_recourse_gets_its_block_plan(tmp_path, every_model_is_large,
                                                                          monkeypatch):
    """A model with recourse on the blockwise route (``BLOCKWISE_COLUMNS`` 0; L with recourse, 218,466 columns,
    is past it): the model has no ``facts`` of its own (its scenarios' copies have theirs), so there is no
    commitments-only fallback plan, and the block start still assembles a complete plan whose bound is no
    higher than the optimum (the solve once failed here: 'ConcreteModel' object has no attribute 'facts')."""
    from models.recourse import build_recourse_model

    data = recourse_tree(tmp_path, 0)
    exact = solve_model(build_recourse_model(data), 0.0, 60.0).objective
    monkeypatch.setattr(decompose, "BLOCKWISE_COLUMNS", 0)
    monkeypatch.setattr(solve_module, "BLOCKWISE_COLUMNS", 0)
    result = solve_model(build_recourse_model(data), 0.0, 60.0, blocks=mineral_of)
    assert result.status in (OPTIMAL, FEASIBLE) and "complete block plan" in result.start
    assert result.bound <= exact + 1e-6 <= result.objective + 2e-6


def test_with_twins_the_bound_is_the_blocks_at_the_tied_relaxations_prices(monkeypatch):
    """min x0 + x1 + 2 x2 + 10 u2 (integers in [0, 20]) with x0 >= 3, x1 >= 3 (block 0; x1 the twin of x0),
    x2 + u2 >= 4 (block 1: u2 is need left unmet) and x0 + x1 + x2 <= 8 (linking). Optimum: x0 = x1 = 3,
    x2 = 2, u2 = 2 at 6 + 4 + 20 = 30. The tied relaxation (x1 = x0) has the same optimum and prices the
    linking row at -8 (a unit more of it moves a unit from u2 to x2). The blocks' LPs at that price (block 0:
    9 x0 + 9 x1, 54; block 1: 10 x2 + 10 u2, 40; less 8 x 8) bound the model at 30, the optimum, where at price 0
    they would give 6 + 8 = 14. The whole relaxation is not solved (the tied route)."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    highs.addVars(4, np.zeros(4), np.full(4, 20.0))
    highs.changeColsCost(4, np.arange(4, dtype=np.int32), np.array([1.0, 1.0, 2.0, 10.0]))
    highs.changeColsIntegrality(4, np.arange(4, dtype=np.int32), [highspy.HighsVarType.kInteger] * 4)
    for lower, upper, columns in [(3, inf, [0]), (3, inf, [1]), (4, inf, [2, 3]), (-inf, 8, [0, 1, 2])]:
        highs.addRow(lower, upper, len(columns), np.array(columns, dtype=np.int32), np.ones(len(columns)))
    blocks, twins = np.array([0, 0, 1, 1]), np.array([-1, 0, -1, -1])
    monkeypatch.setattr(decompose, "_relaxation", lambda *args: pytest.fail("the whole relaxation was solved"))
    start = decompose.block_start(highs, blocks, mip_gap=0.0, time_limit_s=60.0, twin_of_column=twins)
    assert start.relaxed_objective == pytest.approx(30.0) and start.blockwise_bound
    assert list(start.values) == [3.0, 3.0, 2.0, 2.0] and start.objective == pytest.approx(30.0)


def test_the_tied_prices_share_a_kept_rows_dual_value_among_its_alike_rows():
    """Rows 1 and 2 of the model were kept once as the reduced LP's row 1 (dual value 0.5), row 0 as its row 0
    (dual value 2): the prices are 2, 0.25 and 0.25."""
    prices = decompose._tied_prices(np.array([2.0, 0.5]), np.array([0, 1, 1]))
    assert prices.tolist() == [2.0, 0.25, 0.25]


def test_past_blockwise_columns_a_plan_is_complete_when_no_block_mip_finds_one_and_commitments_break_a_cap(
        tmp_path, every_model_is_large, monkeypatch):
    """serve_first XL's failure (docs/performance.md, serve-first-xl): blocks whose MIPs find no plan in their time,
    among them minerals whose commitments alone break their supplier share, so their part of the commitments-only
    plan meets no row set of theirs; the block plan was partial and the run ended without a plan. Here every
    block MIP finds nothing. ga: 20 t demanded (shortfall_penalty 100), max_supplier_share 0.6, S1 at 10 with 10 t
    committed, S2 at 12; ge: 5 t demanded, S1 at 10. The fallback dilutes S1's 10 t with 10 / 0.6 - 10 = 6.667 t
    from S2 (models/dilution.py): ga costs 100 + 80 + 3.333 x 100 short, ge 5 x 100 short, 1,013.33. The polish
    (the block plan's yes/no choices fixed) raises S2's order to 10 t, the whole demand (S1's share 0.5): ga 220,
    ge still 500 (no order placed), 720: the answer, with no search."""
    book = sheets(1, Demand=demand(20) + demand(5, mineral="ge"))
    book["Minerals"][0]["max_supplier_share"] = 0.6
    book["Minerals"].append({"mineral": "ge", "unit": "t", "shortfall_penalty": 100})
    book["Suppliers"].append({"supplier": "S2", "country": "Brazil"})
    book["Offers"] += [{"supplier": "S2", "mineral": "ga", "unit_price": 12},
                       {"supplier": "S1", "mineral": "ge", "unit_price": 10}]
    book["Commitments"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 10}]
    data, _ = load(write_workbook(tmp_path / "committed.xlsx", book))
    monkeypatch.setattr(decompose, "BLOCKWISE_COLUMNS", 0)
    monkeypatch.setattr(solve_module, "BLOCKWISE_COLUMNS", 0)
    monkeypatch.setattr(decompose, "solve_mip", lambda *args, **kwargs: (None, False, -np.inf))
    model = build_model(data)
    result = solve_model(model, 0.0, 60.0, blocks=mineral_of)
    assert result.status == FEASIBLE and "complete block plan" in result.start
    assert "0 of 2 blocks solved" in result.start and "2 at their fallback plan" in result.start
    assert result.objective * model.facts.money_unit == pytest.approx(720.0, rel=1e-6)
    assert pyo.value(model.Order["S2", "ga", 1]) == pytest.approx(10.0, rel=1e-6)
