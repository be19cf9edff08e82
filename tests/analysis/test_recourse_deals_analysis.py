"""The analysis of a plan with recourse and deals (models/recourse_deals.py): VSS's expected-value plan keeps its
deals in every scenario, the project values re-solve with recourse, and the marginals come from the plan's LP
with the deals' yes/no decisions fixed. The books are tests/models/test_model_recourse_deals.py's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from modelcase import approx, build_or_buy, solve


def _deal_books():
    """tests/models/test_model_recourse_deals.py, loaded by path (its folder is not a package)."""
    path = Path(__file__).parents[1] / "models" / "test_model_recourse_deals.py"
    spec = importlib.util.spec_from_file_location("recourse_deal_books", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


books = _deal_books()


def test_the_expected_value_plan_keeps_its_deliveries_in_every_scenario(tmp_path):
    """The expected-value problem loses half of China's period-3 arrivals: a delivery at 4 brings 0.5 t, 8 a t
    against K's 10, so it takes 6 t (its most). Its deliveries held in both scenarios with recourse cost 94,
    the plan's own: EEV 94, VSS 0 (with its deliveries dropped, EEV would be 100)."""
    values = solve(tmp_path, books.china_contract_book()).scenario_values
    assert (values.expected_cost, values.expected_value_cost) == (approx(94), approx(94))
    assert values.vss == approx(0)


def test_a_floored_contract_is_priced_at_its_expected_price_in_the_expected_value_problem(tmp_path):
    """The floored book (a delivery costs 4 in base, 8 in ban: 6 expected): in the expected-value problem a
    delivery costs 6 for 0.5 t that arrive, 12 a t against K's 10: nothing delivered, and K's 10 t cost 100 in
    both scenarios: EEV 100 = RP. At the floor (4) instead, the expected-value plan would take 6 t and EEV be
    6 x 6 + 0.5 x 40 + 0.5 x 100 = 106."""
    book = books.china_contract_book()
    book["Contracts"][0]["floor_price"] = 4
    book["ScenarioPrices"] = [{"scenario": "ban", "country": "China", "first_period": 2, "last_period": 2,
                               "factor": 2}]
    book["Scenarios"][0]["known_from"] = 3
    values = solve(tmp_path, book).scenario_values
    assert values.expected_value_cost == approx(100)


@pytest.mark.parametrize(("capex", "probability", "other_way"), [(2_000, 0.1, 2_000.0), (3_000, 0.5, 2_700.0)])
def test_a_projects_value_is_re_solved_with_recourse(tmp_path, capex, probability, other_way):
    """Built at C = 2,000, p = 0.1 (1,560): forbidden, both scenarios buy from S1: 2,000. Left at C = 3,000,
    p = 0.5 (2,000): forced in every scenario, 0.5 x 1,900 + 0.5 x 3,500 = 2,700 (each scenario deciding
    alone would give base 1,900 and ban 2,000 unforced: 1,950)."""
    plan = solve(tmp_path, books.us_ban(build_or_buy(capex), probability))
    [value] = plan.analysis.projects
    assert value.objective == approx(other_way)


def test_the_marginals_of_a_plan_with_deals_are_measured(tmp_path):
    """The built plan's LP (its build, orders and placings fixed) is solved: the plant's capacity in periods 3
    and 4 is worth 0.9 x (1,000 - 20) = 882 a t in base (S1 not placed there, one more t of the plant
    replaces a t short); its output is lost in 'ban', where capacity is worth nothing."""
    plan = solve(tmp_path, books.us_ban(build_or_buy(2_000), 0.1))
    capacity = {m.key: m.value for m in plan.analysis.marginals if m.kind == "capacity"}
    assert capacity == {("Plant", "ga", 3): approx(-882), ("Plant", "ga", 4): approx(-882)}
