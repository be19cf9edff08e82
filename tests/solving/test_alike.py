"""A scenario alone started from an alike one solved before it (optimizer/solving/alike.py).

The hand workbook (``two_disruptions``): one period, shortfall_penalty 30 t^-1 for both minerals, 10 t of each
needed. ga: C (China) at 8, K (Canada) at 12; co: D (DRC) at 5, L (Canada) at 12. 'ban' (probability 0.1) loses
half of China's arrivals, 'drc' (0.2) half of DRC's; base 0.7. Per tonne that arrives: C 16 in ban, D 10 in drc.

The plan (one order for all): ga from C, 10 t (80 + 0.1 x 5 t short x 30 = 95 < K's 120; more from C adds 8 - 0.1
x 15 > 0 per t); co from D, 10 t (50 + 0.2 x 150 = 80 < 120; more adds 5 - 0.2 x 15 > 0). RP = 95 + 80 = 175.
Alone: base C and D, 80 + 50 = 130; ban K for ga (12 per t arriving < C's 16 < 30), 120 + 50 = 170; drc D for
co, 20 t to receive 10 (10 per t arriving < 12), 80 + 100 = 180. WS = 0.7 x 130 + 0.1 x 170 + 0.2 x 180 = 144,
EVPI = 175 - 144 = 31.

'ban' differs from base on ga alone (China sells no co), 'drc' on co alone: each is solved after base, from its
plan, re-solving one mineral's block. With a third mineral, in, bought in Canada (no scenario touches it), every
scenario shares in's stock class: the plan holds in as each scenario alone does, and no pass re-solves its block.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from inputcheck import read_and_validate
from modelcase import approx, sheets
from workbooks import write_workbook

import optimizer.solving.highs as highs
from optimizer.analysis.uncertainty import scenario_values
import optimizer.solving.session as session
from optimizer.contract.results import OPTIMAL
from optimizer.solving.alike import (
    Alike, SolvedModel, alike_sources, alike_start, differing_blocks, held_plan, settled_minerals,
)
from optimizer.solving.block_bound import in_own_thread
from optimizer.solving.budget import TimeBudget
from optimizer.solving.session import costs_alone, plan_from_data
from optimizer.solving.workers import in_workers_after
from optimizer.stages import Stages
from pyomo.common.collections import ComponentMap
from test_fix_and_optimise import COST, holding, mineral, two_minerals, two_minerals_lp

BLOCKS = np.array([0, 0, 1, 1])  # ga a, ga b | co a, co b (tests/solving/test_fix_and_optimise.py)


def two_disruptions(tmp_path, untouched: bool = False):
    """The hand workbook; ``untouched``: with in too (10 t needed, from L at 1 per t: 10 in every scenario)."""
    minerals = ("ga", "co", "in") if untouched else ("ga", "co")
    book = sheets(1, Demand=[{"mineral": m, "period": 1, "quantity": 10} for m in minerals])
    book["Minerals"] = [{"mineral": m, "unit": "t", "shortfall_penalty": 30} for m in minerals]
    book["Suppliers"] = [{"supplier": "C", "country": "China"}, {"supplier": "K", "country": "Canada"},
                         {"supplier": "D", "country": "DRC"}, {"supplier": "L", "country": "Canada"}]
    book["Offers"] = [{"supplier": "C", "mineral": "ga", "unit_price": 8},
                      {"supplier": "K", "mineral": "ga", "unit_price": 12},
                      {"supplier": "D", "mineral": "co", "unit_price": 5},
                      {"supplier": "L", "mineral": "co", "unit_price": 12}]
    if untouched:
        book["Offers"].append({"supplier": "L", "mineral": "in", "unit_price": 1})
    book["Scenarios"] = [{"scenario": "ban", "probability": 0.1, "country": "China", "first_period": 1,
                          "last_period": 1, "supply_loss": 0.5},
                         {"scenario": "drc", "probability": 0.2, "country": "DRC", "first_period": 1,
                          "last_period": 1, "supply_loss": 0.5}]
    data, _ = read_and_validate(write_workbook(tmp_path / "two.xlsx", book))
    return data


def test_each_scenario_alone_after_base_costs_what_it_costs_by_hand_and_ws_and_evpi_follow(tmp_path, monkeypatch):
    data = two_disruptions(tmp_path)
    plan = plan_from_data(data, Stages())
    assert plan.objective == approx(175)
    starts = []

    def noting(target, block_of_column, given, source, stop=None):
        begun, only = alike_start(target, block_of_column, given, source, stop)
        starts.append(None if only is None else len(only))
        return begun, only

    monkeypatch.setattr(highs, "alike_start", noting)
    solved = costs_alone(data, ["base", "ban", "drc"], TimeBudget(60.0), plan)
    assert [cost for cost, _ in solved] == [approx(130), approx(170), approx(180)]
    assert sorted(starts, key=str) == [1, 1, None]  # ban and drc from base's plan, one block each
    values = scenario_values(data, plan)
    assert values.expected_cost == approx(175)
    assert values.wait_and_see == approx(144)
    assert values.evpi == approx(31)


def test_no_pass_re_solves_a_mineral_every_scenario_shares(tmp_path, monkeypatch):
    """in: no scenario touches it, so each scenario alone is passed the settled minerals {in}; the costs are the
    hand ones plus in's 10 (base 140, ban 180, drc 190)."""
    data = two_disruptions(tmp_path, untouched=True)
    plan = plan_from_data(data, Stages())
    assert plan.objective == approx(185)
    settled, cost_alone = [], session.cost_alone

    def noting(*args, alike=None, **kwargs):
        settled.append(alike.settled)
        return cost_alone(*args, alike=alike, **kwargs)

    monkeypatch.setattr(session, "cost_alone", noting)
    solved = costs_alone(data, ["base", "ban", "drc"], TimeBudget(60.0), plan)
    assert [cost for cost, _ in solved] == [approx(140), approx(180), approx(190)]
    assert settled == [frozenset({"in"})] * 3


def test_the_minerals_every_scenario_shares_are_settled():
    classes = {("base", "ga"): "base", ("base", "co"): "base", ("base", "in"): "base", ("ban", "ga"): "ban",
               ("ban", "co"): "base", ("ban", "in"): "base", ("drc", "ga"): "base", ("drc", "co"): "drc",
               ("drc", "in"): "base"}
    assert settled_minerals(classes) == {"in"}


def test_a_scenario_alone_leaves_the_settled_blocks_as_its_start_holds_them(monkeypatch):
    """The hand instance (tests/solving/test_fix_and_optimise.py) from (a, a), ga settled: the pass re-solves co
    alone, ga's a held (spends 1 of 3), and co takes b (spends 2): 5 + 2 = 7, the optimum at once;
    without ga settled, ga goes first and takes b (7.5), and co's b no longer fits. With co settled where it is not
    (its a is dearer than the optimum's b), the pass stops at 7.5 and the search, every binary free, still ends at 7."""
    found = []

    def noting(*args, **kwargs):
        found.append(highs_fix_and_optimise(*args, **kwargs))
        return found[-1]

    highs_fix_and_optimise = highs.fix_and_optimise
    monkeypatch.setattr(highs, "fix_and_optimise", noting)
    for settled in (frozenset({"ga"}), frozenset(), frozenset({"co"})):
        model = two_minerals()
        start = ComponentMap((model.Take[key], 1.0 if key[1] == "a" else 0.0) for key in COST)
        result = in_own_thread(lambda: highs.solve_in_worker(model, 0.0, 30.0, start=start, blocks=mineral,
                                                             alike=Alike(settled=settled)))
        assert result.status == OPTIMAL and result.objective == approx(7.0)
    assert [plan.objective for plan in found] == [approx(7.0), approx(7.5), approx(7.5)]


def test_the_scenarios_that_follow_are_those_close_in_stock_classes():
    classes = {("base", "ga"): "base", ("base", "co"): "base", ("ban", "ga"): "ban", ("ban", "co"): "base",
               ("drc", "ga"): "base", ("drc", "co"): "drc", ("both", "ga"): "ban", ("both", "co"): "drc"}
    sources = alike_sources(["base", "ban", "drc", "both"], classes)
    assert sources == {"base": None, "ban": "base", "drc": "base", "both": "ban"}  # both: ban's ga, 1 of 2 apart
    assert alike_sources(["base", "both"], classes) == {"base": None, "both": None}  # 2 of 2 apart


def test_the_blocks_two_models_differ_in():
    lp, other = two_minerals_lp(), two_minerals_lp()
    assert differing_blocks(lp, other, BLOCKS) == set()
    other.col_cost_ = np.array([5.0, 3.0, 4.5, 2.5])  # co's b dearer
    assert differing_blocks(lp, other, BLOCKS) == {1}
    other.row_upper_ = np.array([np.inf, np.inf, 4.0])  # the budget: a row of both blocks
    assert differing_blocks(lp, other, BLOCKS) == {0, 1}
    assert differing_blocks(lp, other, np.array([0, 0, -1, -1])) is None  # a linking column differs
    fewer = two_minerals_lp()
    fewer.num_row_, fewer.row_lower_, fewer.row_upper_ = 2, np.ones(2), np.full(2, np.inf)
    fewer.a_matrix_.index_, fewer.a_matrix_.value_ = [0, 0, 1, 1], [1.0] * 4
    fewer.a_matrix_.start_ = [0, 1, 2, 3, 4]
    assert differing_blocks(lp, fewer, BLOCKS) is None  # no budget: not alike


def test_the_same_model_held_row_by_row_is_alike():
    solved = holding(two_minerals_lp())
    in_own_thread(solved.run)
    rowwise = highspy.Highs()
    rowwise.setOptionValue("output_flag", False)
    rowwise.addVars(4, np.zeros(4), np.ones(4))
    for row, (lower, upper) in enumerate([(1.0, np.inf), (1.0, np.inf), (-np.inf, 3.0)]):
        columns = [[0, 1], [2, 3], [0, 1, 2, 3]][row]
        values = [[1.0, 1.0], [1.0, 1.0], [1.0, 2.0, 1.0, 2.0]][row]
        rowwise.addRow(lower, upper, len(columns), np.array(columns, dtype=np.int32), np.array(values))
    rowwise.changeColsCost(4, np.arange(4, dtype=np.int32), np.array([5.0, 3.0, 4.5, 2.0]))
    rowwise.changeColsIntegrality(4, np.arange(4, dtype=np.int32), [highspy.HighsVarType.kInteger] * 4)
    assert rowwise.getLp().a_matrix_.format_ == highspy.MatrixFormat.kRowwise
    assert differing_blocks(rowwise.getLp(), solved.getLp(), BLOCKS) == set()


def test_a_scenario_starts_from_the_alike_plan_when_it_costs_less_and_re_solves_the_blocks_that_differ():
    """The source's optimum (a, b) at 7 (ga a 5 + co b 2; both b's overdraw the budget); the target's co b costs
    2.5: held there, 7.5, below the given start (a, a) at 9.5, so it starts there and re-solves co's block only."""
    source_lp = two_minerals_lp()
    source = SolvedModel(source_lp, np.array([1.0, 0.0, 0.0, 1.0]))
    target = two_minerals_lp()
    target.col_cost_ = np.array([5.0, 3.0, 4.5, 2.5])
    begun, only = alike_start(holding(target), BLOCKS, np.array([1.0, 0.0, 1.0, 0.0]), source)
    assert begun == pytest.approx([1.0, 0.0, 0.0, 1.0]) and only == {1}
    dearer = np.array([1.0, 0.0, 1.0, 0.0])  # a given start cheaper than the held plan: kept, every block
    target.col_cost_ = np.array([5.0, 3.0, 4.5, 20.0])
    begun, only = alike_start(holding(target), BLOCKS, dearer, source)
    assert begun == pytest.approx(dearer) and only is None
    assert alike_start(holding(target), BLOCKS, dearer, None) == (pytest.approx(dearer), None)


def test_a_held_plan_that_breaks_a_row_is_none():
    """(b, b) spends 4 > the budget of 3: no plan holds both b's."""
    assert held_plan(two_minerals_lp(), np.array([0.0, 1.0, 0.0, 1.0])) is None
    values = held_plan(two_minerals_lp(), np.array([1.0, 0.0, 0.0, 1.0]))
    assert values == pytest.approx([1.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("workers", [1, 2])
def test_each_item_runs_after_the_one_it_follows_and_sees_its_result(workers):
    after = {"base": None, "ban": "base", "drc": "base", "both": "ban", "alone": None}
    seen = in_workers_after(lambda item, earlier: (earlier or ()) + (item,), list(after), after, workers)
    assert seen == [("base",), ("base", "ban"), ("base", "drc"), ("base", "ban", "both"), ("alone",)]


def test_an_item_after_one_that_failed_fails_too():
    def work(item, earlier):
        if item == "base":
            raise ValueError("base failed")
        return item

    with pytest.raises(ValueError, match="base failed"):
        in_workers_after(work, ["base", "ban"], {"base": None, "ban": "base"}, 2)
