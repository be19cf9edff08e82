"""Why short names a project not yet built as a limit (optimizer/analysis/relax.py PROJECTS).

modelcase.build_or_buy at capex 3,000 with 10 t demanded in period 2 too and S1 selling at most 5 t a
period, from period 2 on: the plant is funded in period 1 and built by period 3, so in period 2 only S1's 5 t arrive and
5 t are short. Lifted (the plant there from period 1, without capex), the plant serves period 2 and
nothing is short: the limit removes all 5 t. S1's capacity, lifted, removes them too.
"""

from __future__ import annotations

from modelcase import approx, build_or_buy, demand, solve

from optimizer.analysis.relax import PROJECTS


def test_a_plant_not_yet_built_is_measured_as_a_limit(tmp_path):
    book = build_or_buy(3_000)
    book["Demand"] = demand(0, 10, 10, 10)
    book["Offers"][0].update(max_per_period=5, first_period=2)
    plan = solve(tmp_path, book)
    causes = {cause.limit: cause for cause in plan.analysis.causes}
    assert causes[PROJECTS].what == "the plants of 'P' (output only once funded and built)"
    assert causes[PROJECTS].shortfall == approx(5)
    assert causes[PROJECTS].removed == approx(5)
