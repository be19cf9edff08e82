"""Stress test: the closed-form stock simulation against hand-computed cases, the sampling, the workbook.

The hand case (``hand_case``): one mineral ga, initial stock 5 t, demand 4 t in
each of 3 periods, one supplier S1 in Canada, the plan's one order of 8 t
arriving in period 2. Canada's export ban hits period 2 with supply_loss L:

    L = 0    t1: 5 - 4 = 1   t2: 1 + 8 - 4 = 5      t3: 5 - 4 = 1      unmet 0
    L = 0.5  t1: 1           t2: 1 + 4 - 4 = 1      t3: 1 - 4 -> 0     unmet 3
    L = 1    t1: 1           t2: 1 + 0 - 4 -> 0 (3) t3: 0 - 4 -> 0 (4) unmet 7

With shortfall_penalty 100 a banned sample's penalty is 700 (L = 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from modelcase import china_contract_book, smelt_book
from workbooks import base_sheets, write_workbook

from optimizer.studies import stress
from optimizer.cli import main
from optimizer.execution import Workers
from optimizer.pipeline import load, run
from optimizer.studies.stress_report import summary_frame
from optimizer.studies.stress import (EXCLUSIVE, INDEPENDENT, exposure, mineral_statistics, prepare_stress,
                                      read_plan_orders, scenario_harm, simulate, stress_test, worst_samples)


def hand_input(tmp_path: Path, scenarios: list[dict], name: str = "hand.xlsx") -> Path:
    sheets = base_sheets()
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 100}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)]
    if scenarios:
        sheets["Scenarios"] = scenarios
    return write_workbook(tmp_path / name, sheets)


def ban(name: str, probability: float, loss: float = 1.0, country: str = "Canada") -> dict:
    return {"scenario": name, "probability": probability, "country": country, "first_period": 2, "last_period": 2,
            "supply_loss": loss}


def plan_workbook(tmp_path: Path, orders: list[dict], name: str = "plan.xlsx") -> Path:
    """A plan as an analyst may hand it over: just an Orders sheet."""
    return write_workbook(tmp_path / name, {"Orders": orders})


ONE_ORDER = [{"supplier": "S1", "mineral": "ga", "country": "Canada", "period": 2, "arrival_period": 2,
              "quantity": 8}]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


# --- the simulation, by hand -----------------------------------------------------------------------

def test_the_stock_trajectory_matches_the_hand_computed_case(tmp_path):
    source = hand_input(tmp_path, [ban("half", 0.2, loss=0.5), ban("full", 0.1, loss=1.0)])
    data, _ = load(source)
    fixed = exposure(data, read_plan_orders(plan_workbook(tmp_path, ONE_ORDER), data).orders)
    occurs = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=bool)  # none, half, full, both
    unmet, below = simulate(fixed, occurs)
    # both at once: the larger loss applies (1), not 1 - (1 - 0.5)(1 - 1) compounded differently
    assert unmet[:, 0].tolist() == pytest.approx([0.0, 3.0, 7.0, 7.0])
    assert below.sum() == 0.0  # no targets


def test_targets_count_the_stock_below_them_after_demand_is_served(tmp_path):
    """Target 2 t in every period: stock 1, 5, 1 (no ban) is 1 + 0 + 1 = 2 t-periods below it."""
    sheets = base_sheets()
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 100}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)]
    sheets["Targets"] = [{"mineral": "ga", "period": t, "min_stock": 2} for t in (1, 2, 3)]
    data, _ = load(write_workbook(tmp_path / "targets.xlsx", sheets))
    fixed = exposure(data, read_plan_orders(plan_workbook(tmp_path, ONE_ORDER), data).orders)
    unmet, below = simulate(fixed, np.zeros((1, 0), dtype=bool))
    assert unmet[0, 0] == 0.0 and below[0, 0] == pytest.approx(2.0)


def test_the_penalty_prices_unmet_demand_and_stock_below_target_apart(tmp_path):
    """Target 2 t every period, target_penalty by default 100 / (3 + 1) = 25. No ban: stock 1, 5, 1, 2 t-periods
    below target, penalty 2 x 25 = 50. Banned (p = 0.3): stock 1, 0, 0, unmet 3 + 4 = 7, below 1 + 2 + 2 = 5:
    7 x 100 + 5 x 25 = 825. Exclusive sampling estimates 0.7 x 50 + 0.3 x 825 = 282.5, the plan's
    penalty_cost stated in its Summary: the stress Summary puts the two side by side."""
    sheets = base_sheets()
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 100}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)]
    sheets["Targets"] = [{"mineral": "ga", "period": t, "min_stock": 2} for t in (1, 2, 3)]
    sheets["Scenarios"] = [ban("ban", 0.3)]
    source = write_workbook(tmp_path / "targets.xlsx", sheets)
    plan = write_workbook(tmp_path / "plan.xlsx", {"Orders": ONE_ORDER,
                                                   "Summary": [{"key": "penalty_cost", "value": 282.5}]})
    result = stress_test(prepare_stress(plan, source), 4000, 3, EXCLUSIVE, Workers(0))
    banned = result.occurs[:, 0]
    assert set(result.penalty[banned]) == {825.0} and set(result.penalty[~banned]) == {50.0}
    assert set(result.unmet_penalty[banned, 0]) == {700.0} and set(result.target_penalty[banned, 0]) == {125.0}
    summary = dict(summary_frame(result).itertuples(index=False))
    assert summary["plan penalty_cost"] == 282.5
    mean = 50 + 775 * banned.mean()
    assert summary["mean_penalty"] == pytest.approx(mean)
    assert summary["mean_penalty against plan penalty_cost"] == f"{(mean - 282.5) / 282.5:+.2%}"
    assert "estimates the plan's penalty_cost" in summary["against the plan"]


def test_statistics_of_a_supplier_banned_with_probability_p(tmp_path):
    """Each sample is banned with p = 0.3: unmet demand is 7 t or 0, so mean = 7 x (share banned)."""
    source = hand_input(tmp_path, [ban("ban", 0.3)])
    result = stress_test(prepare_stress(plan_workbook(tmp_path, ONE_ORDER), source), 2000, 7, INDEPENDENT, Workers(0))
    banned = result.occurs[:, 0].mean()
    assert banned == pytest.approx(0.3, abs=0.045)  # 4.4 standard deviations of 2000 draws
    [ga] = mineral_statistics(result)
    assert ga["mean_unmet_demand"] == pytest.approx(7 * banned)
    assert ga["p95_unmet_demand"] == 7.0 and ga["worst_unmet_demand"] == 7.0
    assert ga["probability_unmet_demand"] == pytest.approx(banned)
    assert ga["mean_penalty"] == pytest.approx(700 * banned)
    [harm] = scenario_harm(result)
    assert harm["occurred"] == pytest.approx(banned)
    assert harm["mean_penalty_when_it_occurs"] == 700.0 and harm["mean_penalty_otherwise"] == 0.0
    assert harm["added_penalty"] == 700.0 and harm["share_of_worst_5pct"] == 1.0
    worst = worst_samples(result, 5)
    assert [w["penalty"] for w in worst] == [700.0] * 5 and worst[0]["scenarios"] == "ban"


def test_a_rare_ban_leaves_the_95th_percentile_at_zero(tmp_path):
    """p = 0.03: fewer than 5% of samples are short, so the 95th percentile is 0 while the worst is 7."""
    source = hand_input(tmp_path, [ban("ban", 0.03)])
    result = stress_test(prepare_stress(plan_workbook(tmp_path, ONE_ORDER), source), 2000, 7, INDEPENDENT, Workers(0))
    [ga] = mineral_statistics(result)
    assert ga["p95_unmet_demand"] == 0.0 and ga["worst_unmet_demand"] == 7.0


def test_exclusive_sampling_draws_one_scenario_per_sample(tmp_path):
    source = hand_input(tmp_path, [ban("half", 0.3, loss=0.5), ban("full", 0.2)])
    result = stress_test(prepare_stress(plan_workbook(tmp_path, ONE_ORDER), source), 2000, 3, EXCLUSIVE, Workers(0))
    assert result.occurs.sum(axis=1).max() == 1, "never two scenarios in one sample"
    half, full = result.occurs.mean(axis=0)
    assert half == pytest.approx(0.3, abs=0.045) and full == pytest.approx(0.2, abs=0.04)
    [ga] = mineral_statistics(result)
    assert ga["mean_unmet_demand"] == pytest.approx(3 * half + 7 * full)


def test_the_simulation_agrees_with_the_solved_plan_in_every_scenario(tmp_path):
    """Without targets, serving demand first is what the optimiser does: unmet demand matches its Stock sheet."""
    sheets = base_sheets(num_periods=4)
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 3, "shortfall_penalty": 50,
                           "holding_cost": 0.5}]
    sheets["Suppliers"] = [{"supplier": "S1", "country": "Canada"}, {"supplier": "S2", "country": "China"}]
    sheets["Offers"] = [{"supplier": "S1", "mineral": "ga", "unit_price": 12, "lead_time": 1, "max_per_period": 3},
                        {"supplier": "S2", "mineral": "ga", "unit_price": 10, "lead_time": 1}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": q} for t, q in ((1, 2), (2, 4), (3, 4), (4, 5))]
    sheets["Pipeline"] = [{"supplier": "S2", "mineral": "ga", "period": 2, "quantity": 2}]
    sheets["Scenarios"] = [ban("China ban", 0.3, country="China") | {"last_period": 3},
                           ban("China half", 0.2, loss=0.5, country="China") | {"first_period": 3,
                                                                                "last_period": 4}]
    source = write_workbook(tmp_path / "solved.xlsx", sheets)
    result = run(source, tmp_path / "solved_plan.xlsx", tmp_path)
    assert result.output is not None
    data = result.data
    fixed = exposure(data, read_plan_orders(result.output, data).orders)
    unmet, _ = simulate(fixed, np.vstack([np.zeros(2, dtype=bool), np.eye(2, dtype=bool)]))
    planned = result.plan.stock.groupby("scenario")["unmet_demand"].sum()
    assert unmet[:, 0] == pytest.approx([planned["base"], planned["China ban"], planned["China half"]], abs=1e-6)
    assert planned["China ban"] > 0, "the case exercises a shortfall"


def test_decay_is_simulated_after_demand_is_served(tmp_path):
    """The hand case with loss_rate 0.5 and no ban: t1 (5 - 4) x 0.5 = 0.5; t2 0.5 + 8 - 4 = 4.5 -> 2.25;
    t3 2.25 - 4: 1.75 unmet (none without decay)."""
    sheets = base_sheets()
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 100,
                           "loss_rate": 0.5}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)]
    data, _ = load(write_workbook(tmp_path / "decay.xlsx", sheets))
    fixed = exposure(data, read_plan_orders(plan_workbook(tmp_path, ONE_ORDER), data).orders)
    unmet, _ = simulate(fixed, np.zeros((1, 0), dtype=bool))
    assert unmet[:, 0].tolist() == pytest.approx([1.75])


def test_the_simulation_agrees_with_a_plan_that_sells_and_decays(tmp_path):
    """The plan's sales (read from its Sales sheet) leave the stock after demand, and decay takes 10% a
    period: the simulated unmet demand and stock below target match the solved plan in every scenario."""
    sheets = base_sheets(num_periods=4)
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 20, "shortfall_penalty": 50,
                           "holding_cost": 1, "loss_rate": 0.1}]
    sheets["Suppliers"] = [{"supplier": "S1", "country": "Canada"}, {"supplier": "S2", "country": "China"}]
    sheets["Offers"] = [{"supplier": "S1", "mineral": "ga", "unit_price": 12, "lead_time": 1, "max_per_period": 3},
                        {"supplier": "S2", "mineral": "ga", "unit_price": 10, "lead_time": 1}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": q} for t, q in ((1, 2), (2, 4), (3, 4), (4, 5))]
    sheets["Sales"] = [{"mineral": "ga", "first_period": 1, "last_period": 2, "unit_price": 9, "max_per_period": 6,
                        "source": "F1"}]
    sheets["Scenarios"] = [ban("China ban", 0.3, country="China") | {"last_period": 3}]
    result = run(write_workbook(tmp_path / "sold.xlsx", sheets), tmp_path / "sold_plan.xlsx", tmp_path)
    assert result.output is not None and not result.plan.sales.empty, "the case exercises a sale"
    data = result.data
    plan = read_plan_orders(result.output, data)
    fixed = exposure(data, plan.orders, plan.sold)
    unmet, below = simulate(fixed, np.array([[False], [True]]))
    planned = result.plan.stock.groupby("scenario")[["unmet_demand", "shortfall"]].sum()
    assert unmet[:, 0] == pytest.approx([planned.loc["base", "unmet_demand"], planned.loc["China ban", "unmet_demand"]],
                                        abs=1e-6)
    assert below[:, 0] == pytest.approx([planned.loc["base", "shortfall"], planned.loc["China ban", "shortfall"]],
                                        abs=1e-6)


# --- seeds and chunks (the same samples on a Dask cluster: test_studies_on_dask.py) -------------------

def test_same_seed_same_samples_however_the_samples_are_chunked(tmp_path, monkeypatch):
    source = hand_input(tmp_path, [ban("half", 0.3, loss=0.5), ban("full", 0.2)])
    plan = plan_workbook(tmp_path, ONE_ORDER)
    whole = stress_test(prepare_stress(plan, source), 1000, 11, INDEPENDENT, Workers(0))
    again = stress_test(prepare_stress(plan, source), 1000, 11, INDEPENDENT, Workers(0))
    other = stress_test(prepare_stress(plan, source), 1000, 12, INDEPENDENT, Workers(0))
    monkeypatch.setattr(stress, "CHUNK_SAMPLES", 300)  # 1000 samples: 4 tasks, each from its own seed
    chunked = stress_test(prepare_stress(plan, source), 1000, 11, INDEPENDENT, Workers(0))
    assert whole.occurs.shape == chunked.occurs.shape == (1000, 2)
    assert np.array_equal(whole.occurs, again.occurs)
    assert not np.array_equal(whole.occurs, other.occurs)
    # another chunking draws other samples (chunk sizes are fixed, never set by the workers)
    assert chunked.occurs.mean(axis=0) == pytest.approx([0.3, 0.2], abs=0.06)


# --- the command and its workbook --------------------------------------------------------------

def test_stress_command_writes_the_tables_and_charts(tmp_path):
    source = hand_input(tmp_path, [ban("ban", 0.3)])
    output = tmp_path / "stress.xlsx"
    result = invoke("stress", plan_workbook(tmp_path, ONE_ORDER), "--input", source, "--samples", 500,
                    "--seed", 7, "--output", output)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Summary", "Shortfall", "Worst samples", "Scenarios", "Distribution", "Charts",
                               "Chart data", "About"]
    [ga] = sheet_rows(output, "Shortfall")
    assert ga["worst_unmet_demand"] == 7 and ga["p95_unmet_demand"] == 7
    summary = {r["key"]: r["value"] for r in sheet_rows(output, "Summary")}
    assert summary["samples"] == 500 and summary["seed"] == 7 and summary["sampling"] == INDEPENDENT
    assert summary["worst_penalty"] == 700
    assert sheet_rows(output, "Worst samples")[0]["ga unmet_demand"] == 7
    assert len(book["Charts"]._charts) == 2


def test_stress_reads_a_result_workbook_and_takes_arrival_from_period_and_lead_time(tmp_path):
    """An Orders sheet without arrival_period: arrival = period + the offer's lead_time (0 here)."""
    source = hand_input(tmp_path, [ban("ban", 0.5)])
    data, _ = load(source)
    orders = [{"supplier": "S1", "mineral": "ga", "period": 2, "quantity": 8}]
    [order] = read_plan_orders(plan_workbook(tmp_path, orders), data).orders
    assert (order.arrival_period, order.quantity) == (2, 8.0)


def test_stress_refuses_orders_the_input_does_not_know(tmp_path):
    source = hand_input(tmp_path, [ban("ban", 0.3)])
    orders = [ONE_ORDER[0] | {"supplier": "S9"}, ONE_ORDER[0] | {"quantity": "lots"}]
    result = invoke("stress", plan_workbook(tmp_path, orders), "--input", source, "--outputs-dir", tmp_path / "o")
    assert result.exit_code == 2
    assert "sheet 'Orders', row 2, column 'supplier': found 'S9'" in result.stderr
    assert "sheet 'Orders', row 3, column 'quantity': found 'lots'; expected a number" in result.stderr
    assert not (tmp_path / "o").exists(), "nothing is written, not even the folder"


def test_stress_names_the_columns_an_orders_sheet_lacks(tmp_path):
    """An Orders sheet without quantity (and without period or arrival_period) is refused naming both, exit 2."""
    source = hand_input(tmp_path, [ban("ban", 0.3)])
    orders = [{"supplier": "S1", "mineral": "ga", "amount": 8}]
    result = invoke("stress", plan_workbook(tmp_path, orders), "--input", source, "--outputs-dir", tmp_path / "o")
    assert result.exit_code == 2
    assert "expected the column(s) quantity, arrival_period (or period)" in result.stderr
    assert not (tmp_path / "o").exists()


def test_origin_shares_split_arrivals_by_country(tmp_path):
    """S1 (Canada) is fed 70% from China (Origins): an order of 10 t arriving in period 2 and 4 t of
    pipeline in period 1 count 7 t and 2.8 t from China, 3 t and 1.2 t from Canada; a full China ban
    in period 2 keeps 3 of the 10 t."""
    sheets = base_sheets()
    sheets["Origins"] = [{"supplier": "S1", "country": "China", "share": 0.7}]
    sheets["Pipeline"] = [{"supplier": "S1", "mineral": "ga", "period": 1, "quantity": 4}]
    sheets["Scenarios"] = [{"scenario": "ban", "probability": 0.5, "country": "China", "first_period": 2,
                            "last_period": 2, "supply_loss": 1}]
    data, _ = load(write_workbook(tmp_path / "origins.xlsx", sheets))
    found = exposure(data, [stress.FixedOrder("S1", "ga", 2, 10)])
    assert found.countries == ("Canada", "China")
    assert found.arrivals[0, :, :2].tolist() == [[pytest.approx(1.2), pytest.approx(3)],
                                                 [pytest.approx(2.8), pytest.approx(7)]]
    kept = ((1 - found.loss[0]) * found.arrivals[0]).sum(axis=0)
    assert kept[1] == pytest.approx(3)


def test_a_plan_with_recourse_is_simulated_scenario_by_scenario_under_exclusive_sampling(tmp_path):
    """Recourse, 3 periods, demand 4, 4, 4 from stock 5; S1 (Canada) and S2 (China), lead time 1, shortfall_penalty
    50; 'China ban' (0.3) loses China's arrivals in periods 2-3, known from period 2. The plan's orders differ
    by scenario from period 2; each scenario's simulated unmet demand is its Stock sheet's, and the independent
    sampling, which may mix scenarios, is refused."""
    sheets = base_sheets(num_periods=3)
    sheets["Settings"]["recourse"] = "yes"
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 50,
                           "holding_cost": 0.5}]
    sheets["Suppliers"] = [{"supplier": "S1", "country": "Canada"}, {"supplier": "S2", "country": "China"}]
    sheets["Offers"] = [{"supplier": "S1", "mineral": "ga", "unit_price": 12, "lead_time": 1, "max_per_period": 3},
                        {"supplier": "S2", "mineral": "ga", "unit_price": 10, "lead_time": 1}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4} for t in (1, 2, 3)]
    sheets["Scenarios"] = [ban("China ban", 0.3, country="China") | {"last_period": 3}]
    source = write_workbook(tmp_path / "recourse.xlsx", sheets)
    result = run(source, tmp_path / "recourse_plan.xlsx", tmp_path)
    assert set(result.plan.orders["scenario"]) > {""}, "the case has orders of one scenario"
    data = result.data
    fixed = exposure(data, read_plan_orders(result.output, data).orders)
    unmet, _ = simulate(fixed, np.array([[False], [True]]))
    planned = result.plan.stock.groupby("scenario")["unmet_demand"].sum()
    assert unmet[:, 0] == pytest.approx([planned["base"], planned["China ban"]], abs=1e-6)
    prepared = prepare_stress(result.output, source)
    with pytest.raises(stress.InputRefused) as refused:
        stress_test(prepared, 10, 0, INDEPENDENT, Workers(0))
    assert "expected --sampling exclusive" in str(refused.value.problems[0])
    exclusive = stress_test(prepared, 2000, 0, EXCLUSIVE, Workers(0))
    assert exclusive.penalty.mean() == pytest.approx(result.plan.costs["penalty_cost"], rel=0.2, abs=1.0)


def test_participants_revenue_per_sample_beside_the_plans(tmp_path):
    """The hand case with participants paying 10 a unit served (Demand.unit_price, repaying F1), and a 'surge'
    (0.2) whose ScenarioDemand row asks 5 t in period 1 instead (replacing the Demand row and its price).
    Exclusive sampling:
        base  12 t served x 10 = 120                       release_revenue -120
        ban   5 t served (7 unmet) x 10 = 50              release_revenue -50
        surge t1 5 - 5 = 0 (served, unpriced), t2 0 + 8 - 4 = 4, t3 4 - 4 = 0: 8 t served at the Demand
              rows' price = 80                             release_revenue -80
    The Summary's mean_release_revenue is their sample mean, beside the plan's release_revenue (-99)."""
    sheets = base_sheets()
    sheets["Minerals"] = [{"mineral": "ga", "unit": "t", "initial_stock": 5, "shortfall_penalty": 100}]
    sheets["Demand"] = [{"mineral": "ga", "period": t, "quantity": 4, "unit_price": 10, "source": "F1"}
                        for t in (1, 2, 3)]
    sheets["Scenarios"] = [ban("ban", 0.3), {"scenario": "surge", "probability": 0.2, "country": "Canada",
                                             "first_period": 1, "last_period": 1, "supply_loss": 0}]
    sheets["ScenarioDemand"] = [{"scenario": "surge", "mineral": "ga", "period": 1, "quantity": 5}]
    source = write_workbook(tmp_path / "paying.xlsx", sheets)
    plan = write_workbook(tmp_path / "plan.xlsx", {"Orders": ONE_ORDER,
                                                   "Summary": [{"key": "release_revenue", "value": -99}]})
    result = stress_test(prepare_stress(plan, source), 4000, 3, EXCLUSIVE, Workers(0))
    banned, surged = result.occurs[:, 0], result.occurs[:, 1]
    assert set(result.release_revenue[banned]) == {-50.0} and set(result.release_revenue[surged]) == {-80.0}
    assert set(result.release_revenue[~banned & ~surged]) == {-120.0}
    summary = dict(summary_frame(result).itertuples(index=False))
    mean = -(120 - 70 * banned.mean() - 40 * surged.mean())
    assert summary["mean_release_revenue"] == pytest.approx(mean)
    assert summary["plan release_revenue"] == -99
    assert summary["mean_release_revenue against plan release_revenue"] == f"{(mean + 99) / -99:+.2%}"


def test_no_priced_demand_no_revenue_rows(tmp_path):
    """Without Demand.unit_price the stress Summary has no release_revenue rows."""
    source = hand_input(tmp_path, [ban("ban", 0.3)])
    result = stress_test(prepare_stress(plan_workbook(tmp_path, ONE_ORDER), source), 100, 1, EXCLUSIVE, Workers(0))
    assert not any("release_revenue" in key for key in summary_frame(result)["key"])


def test_the_stress_test_of_a_floored_plan_says_its_prices_are_not_simulated(tmp_path):
    """modelcase.floored_book: 'spike' moves prices only, so every sample has the plan's stock and a penalty of
    0, as the plan's penalty_cost; but its Dashboard says the plan costs $181 to $197 and the floor pays $33.
    The stress Summary said nothing of prices (an analyst read "no risk"); it now says they are not simulated,
    where they are priced, and names the floor."""
    from modelcase import floored_book

    source, plan, output = write_workbook(tmp_path / "floored.xlsx", floored_book()), tmp_path / "plan.xlsx", \
        tmp_path / "stress.xlsx"
    assert invoke("run", source, "--output", plan, "--no-explain").exit_code == 0
    result = invoke("stress", plan, "--input", source, "--samples", 50, "--workers", 0, "--output", output)
    assert result.exit_code == 0, result.output
    summary = {r["key"]: r["value"] for r in sheet_rows(output, "Summary")}
    assert summary["mean_penalty"] == 0 and summary["plan penalty_cost"] == 0
    assert summary["prices"].startswith("not simulated") and "Scenario costs" in summary["prices"]
    assert summary["price floors"] == "contract K1 (floor 8)"


def test_a_plan_with_recourse_and_a_contract_counts_its_deliveries_in_every_sample(tmp_path):
    """modelcase.china_contract_book: 6 t under C1 (China) ordered in period 2 arrive in period 3 for every
    scenario; base buys 4 t of K, ban 10 t. Exclusive sampling: base serves its 10 t with the delivery (without
    it 6 t would go unmet), ban loses the delivery and serves its 10 t with K's: no sample leaves demand unmet,
    as the plan's Stock sheet says, and the mean penalty is the plan's penalty_cost, 0."""
    source = write_workbook(tmp_path / "contract.xlsx", china_contract_book())
    result = run(source, tmp_path / "contract_plan.xlsx", tmp_path)
    assert set(result.plan.deliveries["scenario"]) == {""} and set(result.plan.orders["scenario"]) == {"base", "ban"}
    fixed = exposure(result.data, read_plan_orders(result.output, result.data).orders)
    unmet, _ = simulate(fixed, np.array([[False], [True]]))
    assert unmet[:, 0] == pytest.approx([0, 0], abs=1e-6)
    exclusive = stress_test(prepare_stress(result.output, source), 500, 0, EXCLUSIVE, Workers(0))
    assert exclusive.failed_chunks == [] and len(exclusive.penalty) == 500
    assert exclusive.penalty.mean() == pytest.approx(result.plan.costs["penalty_cost"], abs=1e-6)


def test_a_plan_with_recourse_converts_what_each_samples_scenario_converts(tmp_path):
    """modelcase.smelt_book (lead time 0, ban 0.1): base buys 5 t of fecr from C, ban smelts its 10 t of ore
    in period 3 instead (its own Conversions row). Exclusive sampling: base serves the 5 t from C, ban from its
    conversion (C's are lost there, and converted in nothing else): no demand unmet in either; without ban's
    own conversion ban would miss 5 t. Independent sampling is refused: the conversions differ by scenario."""
    source = write_workbook(tmp_path / "smelt.xlsx", smelt_book(0.1, lead_time=0))
    result = run(source, tmp_path / "smelt_plan.xlsx", tmp_path)
    assert list(result.plan.conversions["scenario"]) == ["ban"]
    read = read_plan_orders(result.output, result.data)
    assert read.conversions == {} and read.scenario_conversions == {"ban": {("smelt", 3): pytest.approx(10)}}
    fixed = exposure(result.data, read.orders, read.sold, read.conversions, read.scenario_conversions)
    unmet, _ = simulate(fixed, np.array([[False], [True]]))
    fecr = list(result.data.minerals).index("fecr")
    assert unmet[:, fecr] == pytest.approx([0, 0], abs=1e-6)
    prepared = prepare_stress(result.output, source)
    with pytest.raises(stress.InputRefused):
        stress_test(prepared, 10, 0, INDEPENDENT, Workers(0))
    assert stress_test(prepared, 200, 0, EXCLUSIVE, Workers(0)).penalty.max() == pytest.approx(0, abs=1e-6)
