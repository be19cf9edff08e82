"""Issue 14's points together: sales, decay and conversions in one stock balance,

    I[k,m,t] = kept[m] x (I[k,m,t-1] + arrivals - converted_out + converted_in - demand + unmet - sold),

conversions taking their input at the start of the period, then demand, then sales, then decay; and a
source that receives sale revenue pays for conversions out of the same funds as for orders; and
participants who pay (Demand.unit_price) pay nothing in a scenario whose ScenarioDemand row replaces
their Demand row.
"""

from __future__ import annotations

from modelcase import approx, order_map, sheets, solve, stock_of
from workbooks import upgrade_sheets


def test_a_conversion_paid_by_a_source_receiving_revenue_counts_against_its_funds(tmp_path):
    """The upgrade case (ore at 10, fecr at 25, smelt: yield 0.5, 2 per t of ore, lead_time 1; 5 t of fecr
    demanded in period 2, penalty 100) with F1's amount 100 and a sale of ore into F1 in period 2 (its
    revenue would arrive after the horizon, and ore bought at 10 sold at 1 never pays): F1 is a source
    receiving revenue, its money left is carried period to period (con_source_funds).

    A unit of fecr costs 2 x (10 + 2) = 24 by upgrading, 25 bought: 100 buys 100 / 24 = 4.1667 t by
    upgrading (8.333 t of ore, 83.33 + 16.67), the other 0.8333 t go unmet at 100: 100 + 83.33 = 183.33.
    Were the conversion's payment left out of F1's funds, 10 t of ore and their conversion (120) would
    serve all: 120 (and the checker would refuse the plan)."""
    book = upgrade_sheets(25)
    book["Funding"][0]["amount"] = 100
    book["Sales"] = [{"mineral": "ore", "first_period": 2, "last_period": 2, "unit_price": 1,
                      "max_per_period": 1, "source": "F1"}]
    plan = solve(tmp_path, book)
    assert plan.objective == approx(100 + 100 * (5 - 100 / 24))
    assert plan.costs["conversion_cost"] == approx(2 * 100 / 12)
    assert order_map(plan, mineral="ore") == {("S1", 1): approx(100 / 12)}
    assert stock_of(plan, 2, mineral="fecr", column="unmet_demand") == approx(5 - 100 / 24)


def test_conversion_input_then_sales_then_decay_in_one_period(tmp_path):
    """One period: 30 t of ore in stock, loss_rate 0.5; smelt with lead_time 0 turns ore into fecr
    (yield 0.5, 2 per t of ore); 5 t of fecr demanded (fecr bought costs 100, penalty 100); up to 10 t of
    ore may be sold at 15.

    10 t of ore converted (20) serve the 5 t of fecr; 10 t sold (revenue 150); the 10 t left decay to 5
    (5 lost): 20 - 150 = -130. The Stock row of ore: converted_out 10, sold 10, stock 5, lost 5."""
    book = upgrade_sheets(100, lead_time=0)
    book["Settings"]["num_periods"] = 1
    book["Minerals"][0].update(initial_stock=30, loss_rate=0.5)
    book["Demand"] = [{"mineral": "fecr", "period": 1, "quantity": 5}]
    book["Sales"] = [{"mineral": "ore", "first_period": 1, "last_period": 1, "unit_price": 15,
                      "max_per_period": 10, "source": "F1"}]
    plan = solve(tmp_path, book)
    assert plan.objective == approx(-130)
    assert order_map(plan) == {}
    assert stock_of(plan, 1, mineral="ore", column="converted_out") == approx(10)
    assert stock_of(plan, 1, mineral="ore", column="sold") == approx(10)
    assert stock_of(plan, 1, mineral="ore") == approx(5)
    assert stock_of(plan, 1, mineral="ore", column="lost") == approx(5)
    assert stock_of(plan, 1, mineral="fecr", column="converted_in") == approx(5)
    assert stock_of(plan, 1, mineral="fecr", column="unmet_demand") == approx(0)


def test_participants_pay_only_where_no_scenario_demand_replaces_their_demand(tmp_path):
    """Points 4 and 5 together: 10 t of ga demanded in period 1 at a unit_price of 5 (Demand), 30 t in
    stock; the scenario war (probability 0.5, no supply loss) replaces that row by 20 t (ScenarioDemand,
    which has no unit_price). Every demand is served from stock, nothing is bought.

    Payment only where the Demand row holds: base (0.5) x 5 x 10 = 25, release_revenue -25. The Demand
    row's payment counted in the war too would give -(25 + 0.5 x 5 x 10) = -50."""
    book = sheets(1, Demand=[{"mineral": "ga", "period": 1, "quantity": 10, "unit_price": 5}])
    book["Minerals"][0]["initial_stock"] = 30
    book["Scenarios"] = [{"scenario": "war", "probability": 0.5, "country": "Canada", "first_period": 1,
                          "last_period": 1, "supply_loss": 0}]
    book["ScenarioDemand"] = [{"scenario": "war", "mineral": "ga", "period": 1, "quantity": 20}]
    plan = solve(tmp_path, book)
    assert order_map(plan) == {}
    assert plan.costs["release_revenue"] == approx(-25)
    assert plan.objective == approx(-25)
