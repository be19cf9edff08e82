"""A serve_first block's plan by relaxing its release binaries w, then repairing them
(optimizer/solving/serve_first.py, decompose.py ``_relaxed_then_repaired``).

The workbook, by hand: one mineral, two periods, 10 t in stock, 10 t demanded in period 1, a target of
10 t in both periods; shortfall_penalty and target_penalty 100 a t, holding free (so w exists in period
1, the only period with demand); one offer at 10 a t with an order_cost of 50 (a yes/no order) and a
lead time of 1 (an order of period 1 arrives in period 2, after period 1's demand). Balance: I1 = u1
(10 in, 10 demanded, u1 unmet), I2 = I1 + x.

- serve_first (w1 binary, I1 <= 10 (1 - w1), u1 <= 10 w1): u1 > 0 needs I1 = 0 = u1, so the stock serves
  period 1 (10 t below target, 1,000) and an order of 10 t meets period 2's target (50 + 100): **1,150**
  (without the order: 1,000 + 1,000 = 2,000).
- w1 relaxed: u1 / 10 + I1 / 10 <= 1, so I1 = u1 <= 5; with the order, the cost is
  100 u1 + 100 (10 - I1) + 50 + 10 (10 - I1) = 1,150 - 10 I1: **1,100 at I1 = u1 = 5**, x = 5 (without the
  order 2,000 - 100 I1 = 1,500). That plan holds 5 t while 5 t of demand go unmet: it breaks the rule.
- The repair: the 5 t held would serve the 5 t unmet (u1 > I1 does not hold), so w1 = 0 (fixed): u1 = 0 and,
  by the balance, I1 = u1 = 0; the block's MIP again (the order's yes/no free) orders 10 t: 1,150, the
  serve_first optimum.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyomo.environ as pyo
import pytest
from modelcase import sheets
from pyomo.contrib.solver.common.factory import SolverFactory

from models import build_model
from optimizer.pipeline import load
from optimizer.solving import decompose, serve_first
from optimizer.solving.block_bound import in_own_thread
from workbooks import write_workbook


def one_block(tmp_path):
    """The workbook above as one block (every column of the mineral block 0, onboarding fixed at 1) with its
    release binaries marked, and each named variable's column."""
    book = sheets(2, Demand=[{"mineral": "ga", "period": 1, "quantity": 10}],
                  Targets=[{"mineral": "ga", "period": t, "min_stock": 10} for t in (1, 2)])
    book["Settings"]["release_rule"] = "serve_first"
    book["Minerals"][0].update(initial_stock=10, target_penalty=100)
    book["Offers"][0].update(lead_time=1, order_cost=50)
    data, _ = load(write_workbook(tmp_path / "book.xlsx", book))
    model = build_model(data)
    solver = SolverFactory("highs")
    solver.set_instance(model)
    lp = solver._solver_model.getLp()
    column_of = solver._pyomo_var_to_solver_var_map
    columns = {var.name: column_of[id(var)] for var in model.component_data_objects(pyo.Var) if id(var) in column_of}
    block_of = np.zeros(lp.num_col_, dtype=np.int64)
    split = decompose._Split.of(lp, block_of, np.zeros(lp.num_col_), decompose.integer_columns(lp))
    split.release = np.array([name.startswith("Release[") for name in sorted(columns, key=columns.get)])
    return split, columns


def relaxed_plan(block):
    """The block's MIP with w relaxed, solved to its optimum (in a thread of its own: single-thread HiGHS runs
    need a scheduler not yet started with more threads, block_bound.py ``in_own_thread``)."""
    return in_own_thread(lambda: decompose.solve_mip(serve_first.relaxed(block).highs_lp(), 0.0, 30.0))[0]


def three_plans(block, columns):
    """w1's column in the block, and three plans to read w1's pattern from: the relaxed plan (u1 = I1 = 5), that
    plan served (u1 = 0) and short (I1 = 0)."""
    relaxed = relaxed_plan(block)
    w, unmet, stock = (list(block.columns).index(columns[f"{name}[base,ga,1]"]) for name in ("Release", "Unmet", "Stock"))
    served, short = relaxed.copy(), relaxed.copy()
    served[unmet], short[stock] = 0.0, 0.0
    return w, relaxed, served, short


def value(block, values, columns, name):
    return values[list(block.columns).index(columns[name])]


def test_the_relaxed_plan_breaks_serve_first_and_the_repair_gives_the_optimum(tmp_path):
    """By hand (module docstring): w relaxed, the block's MIP holds I1 = 5 while u1 = 5 go unmet, at 1,100 (its
    bound); the repair fixes w1 = 0, serves period 1 from stock and orders 10: 1,150, the serve_first
    optimum, meeting every row of the block with w binary."""
    split, columns = one_block(tmp_path)
    block = split.block(0, repair=True)
    assert block.release is not None and block.release.sum() == 1  # w in period 1 only

    relaxed = relaxed_plan(block)
    stock, unmet = (value(block, relaxed, columns, f"{name}[base,ga,1]") for name in ("Stock", "Unmet"))
    assert stock == pytest.approx(5.0) and unmet == pytest.approx(5.0)  # stock held while demand goes unmet
    cost = lambda values: float(np.dot(block.cost, values))

    values, finished, bound = in_own_thread(lambda: decompose._relaxed_then_repaired(block, 0.0, 30.0))
    assert values is not None
    assert value(block, values, columns, "Release[base,ga,1]") == pytest.approx(0.0)
    assert value(block, values, columns, "Order[S1,ga,1]") == pytest.approx(10.0)
    assert value(block, values, columns, "Stock[base,ga,1]") == pytest.approx(0.0, abs=1e-6)
    assert value(block, values, columns, "Unmet[base,ga,1]") == pytest.approx(0.0, abs=1e-6)
    assert cost(values) / cost(relaxed) == pytest.approx(1150 / 1100)
    assert bound == pytest.approx(cost(relaxed))  # the relaxed MIP's bound: 1,100 in the model's units
    assert not finished  # 1,150 is 4.3% above that bound, beyond the gap 0

    assert split.holds(0, _whole(split, block, values))


def test_the_repairs_patterns_set_w_from_the_relaxed_plans_stock_and_unmet_demand(tmp_path):
    """w1's rows (u1 <= 10 w1, I1 <= 10 (1 - w1)) break by u1 at w1 = 0 and by I1 at w1 = 1. The relaxed plan
    (u1 = I1 = 5): serve_first's pattern 0 (the 5 t held would serve the 5 t unmet), "unmet" 1, "decided" leaves
    w1 free (both values break a row); served (u1 = 0, I1 = 5): 0, 0, 0; short (u1 = 5, I1 = 0): 1, 1, 1."""
    split, columns = one_block(tmp_path)
    block = split.block(0, repair=True)
    w, relaxed, served, short = three_plans(block, columns)
    at_zero, at_one = serve_first.release_breaches(block, relaxed)
    assert (at_zero[w], at_one[w]) == (pytest.approx(5.0), pytest.approx(5.0))
    expected = {"relaxed": ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0)), "served": ((0.0, 0.0),) * 3,
                "short": ((1.0, 1.0),) * 3}
    for name, plan in (("relaxed", relaxed), ("served", served), ("short", short)):
        for pattern, bounds in zip(serve_first.TRIES, expected[name]):
            repaired = serve_first.repaired(block, plan, pattern)
            assert (repaired.col_lower[w], repaired.col_upper[w]) == bounds, (name, pattern)
            assert repaired.release is None


def test_only_blocks_marked_for_repair_solve_with_w_relaxed(tmp_path, monkeypatch):
    """``solve_block`` of a block marked for repair solves its MIP with w continuous first; an unmarked block (or
    one of a model without w) solves its MIP as it is: w binary in the only MIP solved."""
    split, _ = one_block(tmp_path)
    kinds = []
    solve_mip = decompose.solve_mip
    monkeypatch.setattr(decompose, "solve_mip", lambda lp, *args, **kwargs: kinds.append(
        sum(kind == decompose.highspy.HighsVarType.kInteger for kind in lp.integrality_)) or solve_mip(lp, *args, **kwargs))
    limits = decompose.BlockLimits(0.0, decompose.time.time() + 30.0, 30.0)
    in_own_thread(lambda: decompose.solve_block(limits, split.block(0, repair=True)))
    assert kinds == [2, 3]  # relaxed (the order's and the supplier's yes/no), then the repair (w too, fixed at 0)
    kinds.clear()
    in_own_thread(lambda: decompose.solve_block(limits, split.block(0)))
    assert kinds == [3]  # the order's, the supplier's and w
    split.release = None
    assert split.block(0, repair=True).release is None


def _whole(split, block, values):
    whole = np.zeros(split.lp.num_col_)
    whole[block.columns] = values
    return whole


def test_a_block_with_its_relaxed_plan_is_repaired_from_it_without_solving_it_relaxed_again(tmp_path, monkeypatch):
    """The relaxed step in a pass of its own (``relax_block``: w relaxed, 1,100, its first plan) and the repair in
    another: given that plan (``Block.relaxed``), ``_relaxed_then_repaired`` solves only the repair (w fixed at 0,
    the order's and the supplier's yes/no free: 3 integer columns), to the serve_first optimum 1,150."""
    split, columns = one_block(tmp_path)
    block = split.block(0, repair=True)
    limits = decompose.BlockLimits(0.0, decompose.time.time() + 30.0, 30.0)
    relaxed, bound = in_own_thread(lambda: decompose.relax_block(limits, block))
    cost = lambda values: float(np.dot(block.cost, values))
    assert all(value(block, relaxed, columns, f"{name}[base,ga,1]") > 0 for name in ("Stock", "Unmet"))
    assert bound <= cost(relaxed)
    kinds = []
    solve_mip = decompose.solve_mip
    monkeypatch.setattr(decompose, "solve_mip", lambda lp, *args, **kwargs: kinds.append(
        sum(kind == decompose.highspy.HighsVarType.kInteger for kind in lp.integrality_)) or solve_mip(lp, *args, **kwargs))
    with_plan = dataclasses.replace(block, relaxed=(relaxed, bound))
    values, _, repaired_bound = in_own_thread(lambda: decompose._relaxed_then_repaired(with_plan, 0.0, 30.0))
    assert kinds == [3]  # the repair alone
    assert repaired_bound == bound
    assert cost(values) / cost(relaxed) == pytest.approx(1150 / 1100, rel=1e-6)


def test_the_first_pass_relaxes_every_block_then_repairs_each_to_its_first_plan(tmp_path, monkeypatch):
    """Under serve_first the blockwise first pass is two passes: the relaxed steps (kept in ``relaxed_plans`` for
    the refinement), then the repairs from them, each stopping at its first plan (the refinement improves it):
    both solves first plans only, the relaxed one (2 integer columns) before the repair (3)."""
    split, _ = one_block(tmp_path)
    solves = []
    solve_mip = decompose.solve_mip
    monkeypatch.setattr(decompose, "solve_mip", lambda lp, *args, **kwargs: solves.append(
        (sum(kind == decompose.highspy.HighsVarType.kInteger for kind in lp.integrality_),
         kwargs.get("first_only", False))) or solve_mip(lp, *args, **kwargs))
    solutions, fallbacks = decompose._blockwise_first_plans(split, None, 0.0, decompose.time.perf_counter() + 60.0,
                                                            workers=1, stop=None, cluster=None)
    assert solves == [(2, True), (3, True)]
    assert list(split.relaxed_plans) == [0] and solutions[0] is not None and fallbacks == 0


def test_a_block_ending_early_hands_its_time_on_to_the_blocks_not_yet_begun(monkeypatch):
    """The repairs' pass (``BlockPass.first_repairs``: ``hand_on``), one worker, 60 s to the deadline on a clock that
    stands still, two blocks that end at once: the first gets its even share (30 s), the second what is then left for
    it alone (60 s); in the blockwise first pass without serve_first (``BlockPass.even_shares``, which does not hand
    its time on) each gets the even share it was given at the start."""
    from test_decompose import shared_budget_split

    _, split = shared_budget_split()
    monkeypatch.setattr(decompose, "time", type("Clock", (), {"perf_counter": staticmethod(lambda: 0.0),
                                                              "time": staticmethod(lambda: 0.0)}))
    given = []
    monkeypatch.setattr(decompose, "solve_block", lambda limits, block, stop=None: given.append(limits.longest))
    for kind, expected in ((decompose.BlockPass.first_repairs, [30.0, 60.0]),
                           (decompose.BlockPass.even_shares, [30.0, 30.0])):
        given.clear()
        split.solve_blocks(kind(split.every_block), 0.0, 60.0, workers=1)
        assert given == pytest.approx(expected)


def test_the_refinement_improves_a_repaired_block_with_the_w_its_relaxed_plan_decides_held(tmp_path, monkeypatch):
    """A repaired block in the refinement (``Block.within_pattern``) is solved from its plan with only the w its
    relaxed plan leaves open free (``_within_pattern``). By hand: w1 is decided where the relaxed plan is short
    (u1 > 0 = I1: w1 = 1) or served (I1 > 0 = u1: w1 = 0); held there, the block's best is still 1,150 (u1 = I1 =
    0 meets both: the stock serves period 1, the order period 2's target). ``refine`` sends the repaired block
    there (and a block at its fallback to its repair)."""
    split, columns = one_block(tmp_path)
    block = split.block(0, repair=True)
    w, relaxed, served, short = three_plans(block, columns)
    cost = lambda values: float(np.dot(block.cost, values))
    optimum = in_own_thread(lambda: decompose._relaxed_then_repaired(block, 0.0, 30.0))[0]
    for pattern, held in ((short, 1.0), (served, 0.0)):
        improving = dataclasses.replace(block, relaxed=(pattern, cost(relaxed)), plan=optimum, within_pattern=True)
        fixed = []
        solve_mip = decompose.solve_mip
        monkeypatch.setattr(decompose, "solve_mip", lambda lp, *args, **kwargs: fixed.append(
            lp.col_lower_[w] == lp.col_upper_[w]) or solve_mip(lp, *args, **kwargs))
        limits = decompose.BlockLimits(0.0, decompose.time.time() + 30.0, 30.0)
        _, values, _, bound = in_own_thread(lambda: decompose.solve_block(limits, improving))
        monkeypatch.setattr(decompose, "solve_mip", solve_mip)
        assert fixed == [True] and value(block, values, columns, "Release[base,ga,1]") == pytest.approx(held)
        assert cost(values) == pytest.approx(cost(optimum)) and bound == cost(relaxed)

    split.relaxed_plans[0] = (short, cost(relaxed))
    marked = []
    solve_block = decompose.solve_block
    monkeypatch.setattr(decompose, "solve_block", lambda limits, block, stop=None: marked.append(
        block.within_pattern) or solve_block(limits, block, stop))
    whole = _whole(split, block, optimum)
    in_own_thread(lambda: split.refine([(block.columns, whole[block.columns], False, cost(relaxed))], 0.0,
                                       decompose.time.perf_counter() + 30.0, workers=1))
    assert marked == [True]


def test_the_refinement_repairs_a_block_at_its_fallback_to_its_first_plan(tmp_path, monkeypatch):
    """A block at its fallback plan (no bound of its own) in the refinement is repaired to its first plan: any plan
    of its own beats the fallback, and the time a repair would spend closing its gap goes to the next block at
    its fallback."""
    split, _ = one_block(tmp_path)
    block = split.block(0, repair=True)
    first_only = []
    repair = decompose._relaxed_then_repaired
    monkeypatch.setattr(decompose, "_relaxed_then_repaired", lambda *args, **kwargs: first_only.append(
        kwargs.get("first_only")) or repair(*args, **kwargs))
    fallback = np.zeros(len(block.columns))
    in_own_thread(lambda: split.refine([(block.columns, fallback, False, -np.inf)], 0.0,
                                       decompose.time.perf_counter() + 30.0, workers=1))
    assert first_only == [True]


def test_a_relaxed_step_reached_after_its_passs_deadline_is_not_begun(tmp_path, monkeypatch):
    """The relaxed pass gives a block reached after its deadline nothing (not a late first plan): the repair pass
    takes both steps for it, once, as a late first plan (``solve_block``), so a late block costs one late solve, not
    two. By hand: the block's relaxed MIP has a plan (1,100), yet none is sought."""
    split, _ = one_block(tmp_path)
    block = split.block(0, repair=True)
    solves = []
    solve_mip = decompose.solve_mip
    monkeypatch.setattr(decompose, "solve_mip",
                        lambda *args, **kwargs: solves.append(args[2]) or solve_mip(*args, **kwargs))
    late = decompose.BlockLimits(0.0, decompose.time.time() - 1.0, 30.0)
    assert in_own_thread(lambda: decompose.relax_block(late, block)) is None and solves == []
    assert in_own_thread(lambda: decompose.solve_block(late, block)) is not None  # the repair pass, late: both steps
    assert len(solves) == 2
