"""The worst scenario of a mineral is chosen in one place (metrics.worst_scenarios), never from a tie.

A hand-made plan over base and three disruptions A, B, C (probabilities 0.5, 0.2, 0.2, 0.1), one period:
    nb  282 t unmet in every scenario            -> "every scenario", no line beside base
    ga  never short                               -> no worst scenario at all
    sb  unmet 10 (base), 30 (A), 25 + 5 below target (B), 20 (C)
                                                  -> A and B tie at 30: "A, B"; B has less stock, so drawn
    ge  short only in C                           -> "C"
"""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer import charts, explain, metrics
from optimizer.data import FundingSource, Mineral, PlanningData, Scenario, Settings
from optimizer.plan import ORDER_COLUMNS, FUNDING_COLUMNS, STOCK_COLUMNS, Plan, SolveResult

SCENARIOS = (Scenario("A", 0.2), Scenario("B", 0.2), Scenario("C", 0.1))
SHORT = {  # mineral -> scenario -> (unmet demand, below target, stock)
    "nb": {name: (282.0, 0.0, 0.0) for name in ("base", "A", "B", "C")},
    "ga": {name: (0.0, 0.0, 5.0) for name in ("base", "A", "B", "C")},
    "sb": {"base": (10.0, 0.0, 3.0), "A": (30.0, 0.0, 2.0), "B": (25.0, 5.0, 1.0), "C": (20.0, 0.0, 0.0)},
    "ge": {"base": (0.0, 0.0, 1.0), "A": (0.0, 0.0, 1.0), "B": (0.0, 0.0, 1.0), "C": (4.0, 0.0, 0.0)},
}


def make() -> tuple[Plan, PlanningData]:
    minerals = {m: Mineral(m, "t", 0.0, 0.0, 100.0, None, 1.0, 1.0) for m in SHORT}
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


def test_charts_and_cover_draw_a_worst_scenario_only_where_one_is_worse_than_base():
    plan, data = make()
    headers = {}
    for mineral in SHORT:
        book = charts.ChartData()
        charts.stock_chart(data, plan, mineral, book)
        headers[mineral] = book.lines[1]  # the block's caption, then its header
    assert headers == {"nb": ["period", "stock (base)", "target"], "ga": ["period", "stock (base)", "target"],
                       "sb": ["period", "stock (base)", "stock (B)", "target"],
                       "ge": ["period", "stock (base)", "stock (C)", "target"]}
    cover = metrics.cover_frame(plan, data)
    assert {m: sorted(set(cover[cover["mineral"] == m]["scenario"])) for m in SHORT} == {
        "nb": ["base"], "ga": ["base"], "sb": ["B", "base"], "ge": ["C", "base"]}
