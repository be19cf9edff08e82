"""No plan exists (model.md: only commitments can make a workbook infeasible):
status infeasible, exit code 3, no result workbook, and conflicts naming the limit.
"""

from __future__ import annotations

from modelcase import approx, demand, run_case, sheets, solve

from optimizer.contract.results import INFEASIBLE


def commit(supplier="S1", period=1, quantity=10):
    return {"supplier": supplier, "mineral": "ga", "period": period, "quantity": quantity}


def no_plan(tmp_path, book):
    result = run_case(tmp_path, book)  # asserts no result workbook was written
    assert result.plan.status == INFEASIBLE
    assert result.exit_code == 3
    assert result.output is None
    assert result.plan.conflicts
    return result.plan.conflicts


def test_commitments_beyond_all_funding_name_the_source(tmp_path):
    book = sheets(2, Commitments=[commit(period=1, quantity=10), commit(period=2, quantity=10)])
    book["Funding"][0]["amount"] = 150
    conflicts = no_plan(tmp_path, book)
    # The commitments cost 2 x 10 x 10 = 200 > F1's 150: F1 is 50 short.
    assert any("'F1'" in c and "50.00" in c for c in conflicts), conflicts
    assert not any("cannot be paid by any eligible source" in c for c in conflicts), conflicts


def test_commitment_beyond_two_sources_names_a_source_not_the_order(tmp_path):
    book = sheets(1, Commitments=[commit(quantity=10)])
    book["Funding"] = [{"source": "F1", "amount": 50}, {"source": "F2", "amount": 20}]
    conflicts = no_plan(tmp_path, book)
    # The order costs 100; F1 and F2 could pay 70 of it: one of them is 30 short. The order
    # itself has eligible sources, so it must not be reported as unpayable.
    assert any(("'F1'" in c or "'F2'" in c) and "30.00" in c for c in conflicts), conflicts
    assert not any("cannot be paid by any eligible source" in c for c in conflicts), conflicts


def test_commitment_beyond_a_period_budget_names_a_source_limit(tmp_path):
    book = sheets(2, Commitments=[commit(period=1, quantity=10)],
                  Budgets=[{"source": "F1", "period": 1, "amount": 30}])
    book["Funding"].append({"source": "F2", "amount": 20})
    conflicts = no_plan(tmp_path, book)
    # 100 due in period 1: F1's budget there is 30, F2 has 20 in all, so 50 is missing. Raising
    # either F1's period-1 budget or F2's amount by 50 would do: either is a correct diagnosis.
    assert any(("budget" in c and "'F1'" in c and "period 1" in c or "'F2'" in c and "amount" in c)
               and "50.00" in c for c in conflicts), conflicts
    assert not any("cannot be paid by any eligible source" in c for c in conflicts), conflicts


def test_commitment_beyond_its_only_source_budget_names_the_budget(tmp_path):
    book = sheets(2, Commitments=[commit(period=1, quantity=10)],
                  Budgets=[{"source": "F1", "period": 1, "amount": 30}])
    conflicts = no_plan(tmp_path, book)
    # F1 alone: 100 due in period 1 against a budget of 30 (its amount, 1,000,000, is ample).
    assert any("budget" in c and "'F1'" in c and "period 1" in c and "70.00" in c for c in conflicts), conflicts
    assert not any("cannot be paid by any eligible source" in c for c in conflicts), conflicts


def test_commitment_from_an_excluded_country_without_another_source_names_the_order(tmp_path):
    book = sheets(1, Commitments=[commit(supplier="S2", quantity=5)])
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 8})
    book["Funding"][0]["excluded_countries"] = "China"
    conflicts = no_plan(tmp_path, book)
    # No source may pay S2 (China): the whole order, 5 x 8 = 40, is unpaid.
    assert any("committed order of ga from S2 in period 1" in c and "40.00" in c for c in conflicts), conflicts


def test_commitment_breaking_a_country_cap(tmp_path):
    book = sheets(2, Commitments=[commit(supplier="S2", quantity=10)],
                  Countries=[{"country": "China", "max_share": 0.5}])
    book["Suppliers"].append({"supplier": "S2", "country": "China"})
    book["Offers"].append({"supplier": "S2", "mineral": "ga", "unit_price": 8})
    book["Offers"][0]["max_per_period"] = 2
    conflicts = no_plan(tmp_path, book)
    # China's 10 t need 10 t from elsewhere to be half; S1 sells at most 2 t a period, 4 in all:
    # 10 <= 0.5 x (10 + 4) + slack -> the cap is broken by 3 t at least.
    assert any("country cap" in c and "China" in c and "by 3 t" in c for c in conflicts), conflicts
    assert any("10 t of ga from S2 in period 1" in c for c in conflicts), conflicts


def test_without_commitments_a_plan_always_exists(tmp_path):
    book = sheets(2, Demand=demand(10, 10), Countries=[{"country": "Canada", "max_share": 0.1}])
    book["Funding"][0]["amount"] = 0
    plan = solve(tmp_path, book)
    # No money and a country cap no plan with orders from S1 can meet: ordering nothing is
    # still a plan, at 20 t x 100 = 2000 of penalty.
    assert plan.objective == approx(2000)
    assert plan.orders.empty
