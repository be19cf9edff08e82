"""The Lagrangian bound of the block start (optimizer/solving/block_bound.py): never above the optimum, worked
out by hand on models small enough to solve in the head."""

from __future__ import annotations

import threading
import time

import highspy
import numpy as np
import pytest

from optimizer.solving.block_bound import BlockRelaxations, master_search, solve_lp
from tests.solving.test_decompose import two_minerals_sharing_a_budget

LATER = 60.0


def bound_of(lp, blocks, prices=None):
    return BlockRelaxations(lp, np.array(blocks)).bound(prices, time.perf_counter() + LATER, 1)


def test_at_zero_prices_the_bound_is_the_blocks_own_lp_minima_within_their_implied_rows():
    """The shared-budget pair (tests/solving/test_decompose.py: optimum 19, whole LP relaxation 17.1). Block 0
    alone, its part of the budget x0 <= 14 - 0 (x1 can be 0): x0 = 14 at y0 = 0.7 (0.7), the other 6 short
    at 0.5 (3): 3.7. Block 1 alone, x1 <= 14: x1 = 10 at y1 = 1 (6.5, cheaper than 15 short): 6.5.
    L(0) = 3.7 + 6.5 = 10.2 <= 19."""
    priced = bound_of(two_minerals_sharing_a_budget().getLp(), [0, 0, 0, 0, 1, 1, 1])
    assert priced.bound == pytest.approx(10.2)
    assert priced.activity[4] == pytest.approx(24.0)  # 14 + 10: the budget of 14 overdrawn by the blocks apart


def test_the_budgets_price_gives_the_whole_relaxations_bound():
    """At y = -0.85 on the budget (its marginal value in the whole LP): -0.85 x 14 = -11.9; block 0 pays
    0.85 + 0.05 a unit bought against 3 and 0.5 short, so buys 10 (9) and leaves 10 short (5): 14; block 1
    pays 0.85 + 0.65 = 1.5 a unit bought, the same as short: 15. L = -11.9 + 14 + 15 = 17.1, the whole LP's
    bound, still <= 19. A positive price on a budget (a ceiling) is no valid price: taken as zero."""
    lp = two_minerals_sharing_a_budget().getLp()
    prices = np.zeros(5)
    prices[4] = -0.85
    assert bound_of(lp, [0, 0, 0, 0, 1, 1, 1], prices).bound == pytest.approx(17.1)
    prices[4] = 1.0
    assert bound_of(lp, [0, 0, 0, 0, 1, 1, 1], prices).bound == pytest.approx(10.2)


def joint_floor():
    """x0 in [0, 10] at 1, x1 in [0, 10] at 2, together at least 10 (x0 + x1 >= 10): optimum x0 = 10, 10.
    Apart, each block's part of the floor is 10 - 10 = 0 (the other can meet it), so L(0) = 0. With a price y
    on the floor: L(y) = 10 y + min (1 - y) x0 + min (2 - y) x1 = 10 y for y in [0, 1]: L(1) = 10."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 1
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array([1.0, 2.0]), np.zeros(2), np.full(2, 10.0)
    lp.row_lower_, lp.row_upper_ = np.array([10.0]), np.array([np.inf])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = [0, 1, 2], [0, 0], [1.0, 1.0]
    return lp


def test_the_masters_prices_raise_the_bound_to_the_optimum_and_its_values_meet_the_floor():
    """From L(0) = 0 the blocks' minima (0, 0) miss the floor by 10: the master pays its penalty (1e3 x 2 a unit),
    whose price gives the minima (10, 10). The master then takes x0 = 10 of block 0's (cost 10) and nothing of
    block 1's; one unit more of the floor would need x1 at 2: y = 2, L(2) = 20 - 10 + 0 = 10, the optimum, and
    the master's cost 10 meets it: converged, with the values (10, 0)."""
    relaxations = BlockRelaxations(joint_floor(), np.array([0, 1]))
    first = relaxations.bound(None, time.perf_counter() + LATER, 1)
    assert first.bound == pytest.approx(0.0)
    best, values = master_search(relaxations, first, deadline=time.perf_counter() + LATER, workers=1)
    assert best.bound == pytest.approx(10.0) and values == pytest.approx([10.0, 0.0])


def test_the_masters_search_reaches_the_whole_relaxations_bound_of_the_shared_budget():
    """The shared-budget pair from L(0) = 10.2: the master's search ends at the whole LP relaxation's 17.1 (the
    budget's price -0.85, as worked out above), below the optimum 19, and its values keep within the budget
    (x0 + x1 <= 14) with the relaxation's x0 = 10, x1 = 4."""
    relaxations = BlockRelaxations(two_minerals_sharing_a_budget().getLp(), np.array([0, 0, 0, 0, 1, 1, 1]))
    first = relaxations.bound(None, time.perf_counter() + LATER, 1)
    best, values = master_search(relaxations, first, deadline=time.perf_counter() + LATER, workers=1)
    assert best.bound == pytest.approx(17.1)
    assert values[0] == pytest.approx(10.0) and values[4] == pytest.approx(4.0)


def test_a_linking_column_is_each_blocks_free_copy_and_its_least_cost_is_counted_once():
    """Onboarding z (cost 5, in [0, 1]) links block 0 (order o0 <= z, o0 >= 1: a commitment) and block 1
    (o1 <= z, cost 1). Block 0: o0 = 1 at 2 with its own copy of z free: 2; block 1: o1 = 0: 0; z alone
    (no row of linking columns alone) at its least cost, 0: L(0) = 2. The optimum: z = 1, o0 = 1: 7 >= 2.
    With the commitment stated on z itself (z >= 1, a row of z alone), z's least cost is 5: L(0) = 7."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 3, 3  # z, o0, o1
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array([5.0, 2.0, 1.0]), np.zeros(3), np.ones(3)
    lp.row_lower_, lp.row_upper_ = np.array([-np.inf, -np.inf, 1.0]), np.array([0.0, 0.0, np.inf])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise  # rows: o0 - z <= 0, o1 - z <= 0, o0 >= 1
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = [0, 2, 4, 5], [0, 1, 0, 2, 1], \
        [-1.0, -1.0, 1.0, 1.0, 1.0]
    assert bound_of(lp, [-1, 0, 1]).bound == pytest.approx(2.0)
    lp.num_row_ = 4
    lp.row_lower_, lp.row_upper_ = np.array([-np.inf, -np.inf, 1.0, 1.0]), np.array([0.0, 0.0, np.inf, np.inf])
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = [0, 3, 5, 6], [0, 1, 3, 0, 2, 1], \
        [-1.0, -1.0, 1.0, 1.0, 1.0, 1.0]
    assert bound_of(lp, [-1, 0, 1]).bound == pytest.approx(7.0)


def test_an_lp_is_solved_in_a_thread_whose_highs_scheduler_has_more_threads():
    """The joint floor's relaxation (x0 + x1 >= 10, x0 at 1 the cheaper): x0 = 10, 10. Solved in a thread that
    first ran HiGHS with two threads (as the main thread has, once the whole solve has run), where a solve
    with ``threads=1`` in that thread itself is refused."""
    answer = {}

    def after_a_two_thread_solve():
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 2)
        highs.passModel(joint_floor())
        highs.run()
        answer["lp"] = solve_lp(joint_floor(), LATER)

    thread = threading.Thread(target=after_a_two_thread_solve)
    thread.start()
    thread.join()
    values, objective = answer["lp"]
    assert objective == pytest.approx(10.0) and values == pytest.approx([10.0, 0.0])


def test_an_lp_solved_with_its_row_duals_prices_each_row():
    """The joint floor's relaxation: x0 = 10 at cost 1 meets the floor, so a unit more of floor costs 1 (its dual
    value, HiGHS's sign: a floor's at least 0), the price the tied relaxation hands the blocks' bound
    (optimizer/solving/decompose.py ``_twin_reduced_relaxation``). Out of time: no values, no duals."""
    values, objective, duals = solve_lp(joint_floor(), LATER, row_duals=True)
    assert objective == pytest.approx(10.0) and values == pytest.approx([10.0, 0.0])
    assert duals == pytest.approx([1.0])
    assert solve_lp(joint_floor(), 0.0, row_duals=True) == (None, None, None)


def test_the_blocks_lps_kept_between_prices_give_the_bound_a_fresh_solve_gives():
    """The shared-budget pair priced at y = -0.85 after y = 0 (each block's HiGHS kept, its costs changed): 17.1,
    as on relaxations built anew; back at y = 0: 10.2 again (the linking columns' copies stay free)."""
    lp = two_minerals_sharing_a_budget().getLp()
    relaxations = BlockRelaxations(lp, np.array([0, 0, 0, 0, 1, 1, 1]))
    prices = np.zeros(5)
    prices[4] = -0.85
    at_zero = relaxations.bound(None, time.perf_counter() + LATER, 1).bound
    priced = relaxations.bound(prices, time.perf_counter() + LATER, 1).bound
    again = relaxations.bound(None, time.perf_counter() + LATER, 1).bound
    assert (at_zero, priced, again) == pytest.approx((10.2, 17.1, 10.2))
    assert relaxations.solvers  # kept
