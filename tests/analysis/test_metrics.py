"""The worst scenario of a mineral is chosen in one place (metrics.worst_scenarios), never from a tie.

A hand-made plan over base and three disruptions A, B, C (probabilities 0.5, 0.2, 0.2, 0.1), one period:
    nb  282 t unmet in every scenario            -> "every scenario", no line beside base
    ga  never short                               -> no worst scenario at all
    sb  unmet 10 (base), 30 (A), 25 + 10 below target (B), 20 (C)
                                                  -> A and B tie at a penalty of 3,000 (shortfall_penalty
                                                     100 x 30 = 100 x 25 + target_penalty 50 x 10):
                                                     "A, B"; B has less stock, so drawn
    ge  short only in C                           -> "C"

Then what each funding source can pay at most (metrics.funding_use), against what it paid.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest
from workbooks import base_sheets, write_workbook

from optimizer.reporting import charts
from optimizer.reporting.xlsx import Book
from optimizer.analysis import explain, metrics
from optimizer.contract.data import FundingSource, Mineral, PlanningData, Scenario, Settings
from optimizer.pipeline import load
from optimizer.contract.results import FUNDING_COLUMNS, ORDER_COLUMNS, STOCK_COLUMNS, Plan, SolveResult

SCENARIOS = (Scenario("A", 0.2), Scenario("B", 0.2), Scenario("C", 0.1))
SHORT = {  # mineral -> scenario -> (unmet demand, below target, stock)
    "nb": {name: (282.0, 0.0, 0.0) for name in ("base", "A", "B", "C")},
    "ga": {name: (0.0, 0.0, 5.0) for name in ("base", "A", "B", "C")},
    "sb": {"base": (10.0, 0.0, 3.0), "A": (30.0, 0.0, 2.0), "B": (25.0, 10.0, 1.0), "C": (20.0, 0.0, 0.0)},
    "ge": {"base": (0.0, 0.0, 1.0), "A": (0.0, 0.0, 1.0), "B": (0.0, 0.0, 1.0), "C": (4.0, 0.0, 0.0)},
}


def make() -> tuple[Plan, PlanningData]:
    minerals = {m: Mineral(m, "t", 0.0, 0.0, 100.0, 100.0 / 2, None, 1.0, 1.0) for m in SHORT}
    data = PlanningData(Settings(num_periods=1), minerals, {}, {},
                        {"F": FundingSource("F", 1.0, 1, 1, 0.0, frozenset(), None)}, scenarios=SCENARIOS)
    stock = pd.DataFrame([{"scenario": k, "mineral": m, "period": 1, "arrivals": 0.0, "demand": 300.0,
                           "unmet_demand": u, "stock": s, "target": 0.0, "shortfall": b}
                          for m, by in SHORT.items() for k, (u, b, s) in by.items()], columns=STOCK_COLUMNS)
    plan = Plan("optimal", 0.0, {}, pd.DataFrame(columns=ORDER_COLUMNS), pd.DataFrame(columns=FUNDING_COLUMNS),
                stock, SolveResult("optimal", "optimal"))
    return plan, data


def test_ties_are_named_never_picked():
    plan, data = make()
    worst = metrics.worst_scenarios(plan, data)
    assert (worst["nb"].label, worst["nb"].shown) == ("every scenario", None)
    assert worst["nb"].probability == pytest.approx(1.0)
    assert worst["ga"] == metrics.WorstScenario()  # never short: no worst scenario
    assert (worst["sb"].scenarios, worst["sb"].label, worst["sb"].shown) == (("A", "B"), "A, B", "B")
    assert worst["sb"].probability == pytest.approx(0.4)
    assert (worst["ge"].label, worst["ge"].shown, worst["ge"].unmet_demand) == ("C", "C", 4.0)


def test_the_shortfall_table_and_the_largest_risks_say_every_scenario_or_each_tied_one():
    plan, data = make()
    table = metrics.shortfall_by_mineral(plan, data).set_index("mineral")
    assert table.loc["nb", "worst_scenario"] == "every scenario" and table.loc["ga", "worst_scenario"] == ""
    risks = explain.largest_risks(table.reset_index(), pd.DataFrame(columns=["mineral", "hhi_country_after"]),
                                  data, count=4)
    nb, sb, ge = (next(r for r in risks if r.startswith(f"{m}:")) for m in ("nb", "sb", "ge"))
    assert "; in every scenario 282 t of demand go unmet." in nb
    assert "; in each of 'A', 'B' (40% together) 30 t of demand go unmet." in sb
    assert "; in 'C' (10%) 4 t of demand go unmet." in ge


def test_expected_shortfall_weighs_each_scenario_by_its_probability():
    """pi[base] = 1 - 0.2 - 0.2 - 0.1 = 0.5. sb: unmet 0.5 x 10 + 0.2 x 30 + 0.2 x 25 + 0.1 x 20 = 18, below target
    0.2 x 10 = 2; nb: 282 in every scenario = 282; ge: 0.1 x 4 = 0.4; ga: 0. The minerals short are those
    beyond round-off, by name (ga is not)."""
    plan, data = make()
    expected = metrics.expected_shortfall(plan, data)
    assert expected["sb"] == pytest.approx((18.0, 2.0)) and expected["nb"] == pytest.approx((282.0, 0.0))
    assert expected["ge"] == pytest.approx((0.4, 0.0)) and expected["ga"] == (0.0, 0.0)
    short = metrics.minerals_short(plan, data)
    assert list(short) == ["ge", "nb", "sb"] and short["sb"] == pytest.approx(20.0)
    table = metrics.shortfall_by_mineral(plan, data).set_index("mineral")
    assert table.loc["sb", ["expected_unmet_demand", "expected_below_target"]].tolist() == pytest.approx([18.0, 2.0])


def test_charts_and_cover_draw_a_worst_scenario_only_where_one_is_worse_than_base(tmp_path):
    plan, data = make()
    headers = {}
    for mineral in SHORT:
        book = charts.ChartData(Book(tmp_path / f"{mineral}.xlsx"))
        charts.stock_chart(data, plan, mineral, book)
        headers[mineral] = book.lines[1]  # the block's caption, then its header
    assert headers == {"nb": ["period", "stock (base)", "target"], "ga": ["period", "stock (base)", "target"],
                       "sb": ["period", "stock (base)", "stock (B)", "target"],
                       "ge": ["period", "stock (base)", "stock (C)", "target"]}
    cover = metrics.cover_frame(plan, data)
    assert {m: sorted(set(cover[cover["mineral"] == m]["scenario"])) for m in SHORT} == {
        "nb": ["base"], "ga": ["base"], "sb": ["B", "base"], "ge": ["C", "base"]}


# ------------------------------------------------------------------ what each funding source can pay
def funding_case(tmp_path, frozen_periods: int = 0):
    """Three quarters, S1 (Canada) sells ga in every one. F1: 1,000, budgets 100 (Q1) and 50 (Q2), window Q1-Q2;
    F2: 80, no budget; F3: 500, excludes Canada. The plan paid F1 60 in Q1 and F2 20 in Q3."""
    book = base_sheets(3)
    book["Settings"]["start_date"] = date(2027, 1, 1)
    book["Funding"] = [{"source": "F1", "amount": 1000, "last_period": 2}, {"source": "F2", "amount": 80},
                       {"source": "F3", "amount": 500, "excluded_countries": "Canada"}]
    book["Budgets"] = [{"source": "F1", "period": 1, "amount": 100}, {"source": "F1", "period": 2, "amount": 50}]
    data, _ = load(write_workbook(tmp_path / "funding.xlsx", book))
    data = dataclasses.replace(data, frozen_periods=frozen_periods)
    funding = pd.DataFrame([("F1", "S1", "ga", 1, 60.0), ("F2", "S1", "ga", 3, 20.0)], columns=FUNDING_COLUMNS)
    plan = Plan("optimal", 0.0, {}, pd.DataFrame(columns=ORDER_COLUMNS), funding,
                pd.DataFrame(columns=STOCK_COLUMNS), SolveResult("optimal", "optimal"))
    return plan, data


def test_what_budgets_windows_and_rules_let_each_source_pay(tmp_path):
    """F1: budgets 100 + 50 in its window = 150 of its 1,000, 60 paid = 40%; F2: its amount 80 in all three
    quarters, 20 paid = 25%; F3 may pay no order (every supplier is in Canada): 0."""
    plan, data = funding_case(tmp_path)
    use = metrics.funding_use(plan, data).set_index("source")
    assert use.loc["F1", ["spent", "at_most", "limit"]].tolist() == [60.0, 150.0, "budgets"]
    assert use.loc["F1", "used_of_at_most"] == pytest.approx(0.4) and use.loc["F1", "periods"] == (1, 2)
    assert use.loc["F2", ["at_most", "limit", "periods"]].tolist() == [80.0, "amount", (1, 2, 3)]
    assert use.loc["F3", ["at_most", "periods"]].tolist() == [0.0, ()]
    assert explain.funding_limits(use.reset_index(), data) == [
        "F1: its per-period budgets in the 2 quarters it may pay in (Q1 2027 to Q2 2027) add up to $150 of "
        "its $1K; it paid 40% of that.",
        "F2: its amount $80 is its limit over the 3 quarters it may pay in (Q1 2027 to Q3 2027); it paid 25% "
        "of that.",
        "F3: no order it may pay can be placed in any period; not for suppliers in Canada.",
    ]


def test_frozen_periods_are_not_periods_a_source_can_pay_in(tmp_path):
    """--freeze 1 without commitments: no order in Q1, so F1 can pay only Q2's budget, 50."""
    plan, data = funding_case(tmp_path, frozen_periods=1)
    assert metrics.funding_use(plan, data).set_index("source").loc["F1", "at_most"] == 50.0
