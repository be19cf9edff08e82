"""Conversions (upgrading between forms): input leaves the from_mineral's stock when the conversion starts,
yield x input of the to_mineral arrives lead_time later, unit_cost per unit of input is paid like an order.

The hand case (``upgrade_book``): two periods, chromite ore ``ore`` and ferrochromium ``fecr`` (two
rows of Minerals), demand of 5 t of fecr in period 2, nothing in stock. S1 (Canada) sells ore at 10
and fecr at ``fecr_price``, lead time 0. The conversion ``smelt`` turns ore into fecr with yield 0.5,
unit_cost 2 per t of ore, lead_time 1. Covering the demand:

    by upgrading: 10 t of ore in period 1 (100), converted then (10 x 2 = 20), 5 t of fecr in period 2: 120
    by buying fecr: 5 x fecr_price

The upgrade is chosen exactly when output value x yield exceeds input value + cost:
0.5 x fecr_price > 10 + 2, fecr_price > 24. At 25 the plan upgrades (120 < 125), at 23 it buys (115 < 120).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from modelcase import approx, order_map, run_case, solve, stock_of
from workbooks import upgrade_sheets, write_workbook

from inputcheck import errors, only, read_and_validate
from optimizer.checker import check_result_workbook
from optimizer.pipeline import run


def upgrade_book(fecr_price: float = 25, **conversion) -> dict:
    """The hand case of the module docstring (tests/workbooks.py upgrade_sheets); ``conversion`` changes
    the smelt row."""
    return upgrade_sheets(fecr_price, **conversion)


def toll_book(fecr_price: float, ban: float | None = None) -> dict:
    """The hand case smelted by the toll processor CN (China); ``ban``: the probability of a ban of
    China in period 2, when the output arrives."""
    book = upgrade_book(fecr_price, supplier="CN")
    book["Suppliers"].append({"supplier": "CN", "country": "China"})
    if ban is not None:
        book["Scenarios"] = [{"scenario": "ban", "probability": ban, "country": "China", "first_period": 2,
                              "last_period": 2, "supply_loss": 1}]
    return book


def conversions_of(plan) -> dict[tuple[str, int], float]:
    return {(r.conversion, int(r.period)): float(r.input) for r in plan.conversions.itertuples()}


def test_an_upgrade_is_chosen_when_output_value_times_yield_exceeds_input_value_plus_cost(tmp_path):
    """fecr at 25 > 24: 10 t of ore bought and converted in period 1, 5 t of fecr arrive in period 2: 120."""
    plan = solve(tmp_path, upgrade_book(25))
    assert plan.objective == approx(120)
    assert plan.costs["conversion_cost"] == approx(20)
    assert order_map(plan, mineral="ore") == {("S1", 1): approx(10)}
    assert order_map(plan, mineral="fecr") == {}
    assert conversions_of(plan) == {("smelt", 1): approx(10)}
    assert stock_of(plan, 1, mineral="ore", column="converted_out") == approx(10)
    assert stock_of(plan, 2, mineral="fecr", column="converted_in") == approx(5)
    assert stock_of(plan, 2, mineral="fecr", column="unmet_demand") == approx(0)


def test_below_the_threshold_the_upgraded_form_is_bought(tmp_path):
    """fecr at 23 < 24: 5 t of fecr bought, 115, nothing converted."""
    plan = solve(tmp_path, upgrade_book(23))
    assert plan.objective == approx(115)
    assert conversions_of(plan) == {}
    assert order_map(plan, mineral="fecr") == {("S1", 2): approx(5)}


def test_capacity_caps_the_conversion_and_the_rest_is_bought(tmp_path):
    """max_per_period 6 t of ore: 6 t converted (60 + 12) give 3 t of fecr, 2 t bought at 25: 122."""
    plan = solve(tmp_path, upgrade_book(25, max_per_period=6))
    assert plan.objective == approx(122)
    assert conversions_of(plan) == {("smelt", 1): approx(6)}
    assert order_map(plan, mineral="fecr") == {("S1", 2): approx(2)}


def test_a_toll_processors_output_is_lost_in_a_ban_of_its_country(tmp_path):
    """The smelter is the toll processor CN (China); a ban of China in period 2 (probability 0.2) loses
    its output. Upgrading now costs 120 + 0.2 x 100 x 5 = 220 (the ban's 5 t unmet) against buying 5 t of
    fecr at 25 from Canada, 125: the plan buys. Toll processing at home (no supplier): 120."""
    book = toll_book(25, ban=0.2)
    plan = solve(tmp_path, book)
    assert plan.objective == approx(125)
    assert conversions_of(plan) == {}


def test_the_lost_output_shows_in_the_scenarios_stock(tmp_path):
    """fecr at 60, the Chinese toll processor, a ban of China in period 2 with probability 0.1 (penalty
    100): upgrading costs 120 + 0.1 x 100 x 5 = 170 < buying 5 t of fecr, 300 (and hedging the ban with
    fecr at 60 a t saves only 0.1 x 100 = 10 a t): the plan upgrades, and in the ban the 5 t never
    arrive (converted_in 0, 5 t unmet) while base receives them."""
    book = toll_book(60, ban=0.1)
    plan = solve(tmp_path, book)
    assert plan.objective == approx(170)
    assert conversions_of(plan) == {("smelt", 1): approx(10)}
    assert stock_of(plan, 2, scenario="ban", mineral="fecr", column="converted_in") == approx(0)
    assert stock_of(plan, 2, scenario="ban", mineral="fecr", column="unmet_demand") == approx(5)
    assert stock_of(plan, 2, scenario="base", mineral="fecr", column="converted_in") == approx(5)


def test_funding_rules_apply_by_the_toll_processors_country(tmp_path):
    """The only source excludes China: the Chinese toll processor's conversion cannot be paid, so fecr is
    bought at 25: 125 (at home the upgrade would cost 120)."""
    book = toll_book(25)
    book["Funding"][0]["excluded_countries"] = "China"
    plan = solve(tmp_path, book)
    assert plan.objective == approx(125)
    assert conversions_of(plan) == {}


def test_conversions_count_against_a_sources_amount(tmp_path):
    """Amount 110: upgrading needs 100 + 20 = 120, beyond it; buying 5 t of fecr at 25 needs 125, beyond
    it too. The best within 110: convert q t of ore (12q, bought and converted) and buy f t of fecr:
    12q + 25f <= 110 with 0.5q + f = 5 - u minimising 12q + 25f + 100u: upgrading gives a t of fecr for
    24, buying for 25, so q = 110/12 = 9.1667 t (4.5833 t of fecr), u = 0.41667 t unmet: 110 + 41.667."""
    book = upgrade_book(25)
    book["Funding"][0]["amount"] = 110
    plan = solve(tmp_path, book)
    assert plan.objective == approx(110 + 100 * (5 - 110 / 24))
    assert conversions_of(plan) == {("smelt", 1): approx(110 / 12)}
    assert float(plan.conversion_funding["amount"].sum()) == approx(2 * 110 / 12)


@pytest.mark.parametrize("conversion_yield", [0.25, 0.5, 0.8, 1.0, 1.7])
def test_conversions_conserve_material_through_yield(tmp_path, conversion_yield):
    """Whatever the yield: in base every unit of ore converted arrives as yield units of fecr, and each
    mineral's stock closes (stock = previous + arrivals + converted_in - converted_out - demand + unmet),
    which the checker run by ``solve`` recomputes from the written sheets."""
    plan = solve(tmp_path, upgrade_book(200, **{"yield": conversion_yield}))
    taken = float(plan.conversions["input"].sum())
    base = plan.stock[plan.stock["scenario"] == "base"]
    arrived = float(base.loc[base["mineral"] == "fecr", "converted_in"].sum())
    assert taken > 0 and arrived == approx(conversion_yield * taken)
    assert float(base.loc[base["mineral"] == "ore", "converted_out"].sum()) == approx(taken)
    assert float(plan.conversions["output"].sum()) == approx(conversion_yield * taken)


def test_the_checker_recomputes_the_conversions(tmp_path):
    """The plan of the hand case passes; against an input whose yield is 0.4 its output (5 t) breaks
    output = yield x input, the Stock's converted_in and the balance; against unit_cost 3 the cost and
    its funding."""
    source = write_workbook(tmp_path / "upgrade.xlsx", upgrade_book(25))
    result = run(source, output_path=tmp_path / "plan.xlsx", outputs_dir=tmp_path)
    assert check_result_workbook(tmp_path / "plan.xlsx", result.data) == []
    smelt = result.data.conversions["smelt"]
    lower = replace(result.data, conversions={"smelt": replace(smelt, yield_=0.4)})
    found = check_result_workbook(tmp_path / "plan.xlsx", lower)
    assert any("material is not conserved" in p for p in found)
    assert any("converted_in 5 != recomputed 4" in p for p in found)
    dearer = replace(result.data, conversions={"smelt": replace(smelt, unit_cost=3)})
    found = check_result_workbook(tmp_path / "plan.xlsx", dearer)
    assert any("cost 20 != unit_cost x input 30" in p for p in found)
    assert any("funding adds up to 20, its cost is 30" in p for p in found)
    assert any("conversion_cost 20 != recomputed 30" in p for p in found)


def test_validation_names_unknown_forms_processors_and_cycles(tmp_path):
    book = upgrade_book(25)
    book["Conversions"] += [
        {"conversion": "melt", "from_mineral": "gold", "to_mineral": "fecr", "yield": 1},
        {"conversion": "same", "from_mineral": "ore", "to_mineral": "ore", "yield": 1},
        {"conversion": "toll", "from_mineral": "ore", "to_mineral": "fecr", "yield": 1, "supplier": "Nobody"},
        {"conversion": "back", "from_mineral": "fecr", "to_mineral": "ore", "yield": 1},
        {"conversion": "smelt", "from_mineral": "ore", "to_mineral": "fecr", "yield": 0.6},
        {"conversion": "bad", "from_mineral": "ore", "to_mineral": "fecr", "yield": 0},
    ]
    data, problems = read_and_validate(write_workbook(tmp_path / "bad.xlsx", book))
    assert data is None
    assert only(problems, "expected a from_mineral listed in the sheet 'Minerals'").row == 3
    assert only(problems, "from_mineral and to_mineral are the same").row == 4
    assert only(problems, "expected a supplier listed in the sheet 'Suppliers'").row == 5
    cycle = [p.row for p in errors(problems) if "leading back to its own from_mineral" in str(p)]
    assert cycle == [2, 6]
    assert only(problems, "given twice, in rows 2 and 7").column == "conversion"
    assert only(problems, "expected a number > 0").row == 8
    assert len(errors(problems)) == 7


def test_without_the_sheet_nothing_changes(tmp_path):
    """The hand case without Conversions: fecr bought at 25, 125; the plan has no Conversions sheet and
    the Stock sheet no conversion columns."""
    book = upgrade_book(25)
    book.pop("Conversions")
    result = run_case(tmp_path, book)
    assert result.plan.objective == approx(125)
    assert "converted_in" not in result.plan.stock.columns
    assert result.plan.conversions.empty


def test_the_stress_test_simulates_the_plans_conversions(tmp_path):
    """The plan of the toll-processor case (10 t of ore bought and converted in period 1 by CN) under
    the ban alone: the output is lost, 5 t unmet (penalty 500); without the ban nothing is short. Under
    ``ore cut`` (Canada, period 1, half the ore lost) the plan's 10 t of ore are 5 t: half the input is
    there, so half is converted, 2.5 t of fecr arrive and 2.5 t are unmet; with the ban too, all 5 t."""
    import numpy as np

    from optimizer.studies.stress import FixedOrder, exposure, read_plan_orders, simulate_costs
    book = toll_book(60, ban=0.1)
    book["Scenarios"] += [{"scenario": "ore cut", "probability": 0.0, "country": "Canada", "first_period": 1,
                          "last_period": 1, "supply_loss": 0.5}]
    source = write_workbook(tmp_path / "toll.xlsx", book)
    result = run(source, output_path=tmp_path / "plan.xlsx", outputs_dir=tmp_path)
    plan = read_plan_orders(tmp_path / "plan.xlsx", result.data)
    assert plan.conversions == {("smelt", 1): approx(10)}
    fixed = exposure(result.data, [FixedOrder("S1", "ore", 1, 10.0)], converted=plan.conversions)
    occurs = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=bool)
    unmet, _, penalty, _ = simulate_costs(fixed, occurs)
    fecr = list(fixed.minerals).index("fecr")
    assert unmet[:, fecr].tolist() == pytest.approx([0, 5, 2.5, 5])
    assert penalty[:, fecr].tolist() == pytest.approx([0, 500, 250, 500])


def test_sensitivities_value_one_more_unit_of_conversion_capacity(tmp_path):
    """Capacity 6 t of ore (the capacity case, 122): one more t converted costs 10 + 2 = 12 and saves
    0.5 t of fecr at 25 = 12.5, so each unit of capacity is worth 0.5; the Sensitivities row says so."""
    from optimizer.analysis.explain import sensitivity_frame
    plan = solve(tmp_path, upgrade_book(25, max_per_period=6))
    (marginal,) = [m for m in plan.analysis.marginals if m.kind == "conversion"]
    assert marginal.key == ("smelt", 1) and marginal.value == approx(-0.5)
    rows = sensitivity_frame(plan.analysis.marginals, plan_data(tmp_path))
    row = rows[rows["limit"] == "conversion capacity"].iloc[0]
    assert row["item"] == "smelt" and "t of ore that smelt can convert in period 1" in row["finding"]


def plan_data(tmp_path):
    from optimizer.pipeline import load
    data, _ = load(write_workbook(tmp_path / "data.xlsx", upgrade_book(25, max_per_period=6)))
    return data


def test_why_short_names_the_conversion_capacity(tmp_path):
    """No one sells fecr: only smelting delivers it, 6 t of ore a period (3 t of fecr) against 5 t of
    demand: 2 t unmet. Why short re-solves fecr with its form ore and the conversion: lifting the
    conversion's capacity removes the 2 t."""
    book = upgrade_book(25, max_per_period=6)
    book["Offers"].pop()  # no fecr offer
    plan = solve(tmp_path, book)
    assert stock_of(plan, 2, mineral="fecr", column="unmet_demand") == approx(2)
    causes = {cause.limit: cause for cause in plan.analysis.causes if cause.mineral == "fecr"}
    assert causes["conversion capacity"].shortfall == approx(2)
    assert causes["conversion capacity"].removed == approx(2)
    assert "smelt" in causes["conversion capacity"].what
