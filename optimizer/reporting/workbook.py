"""Report stage: the result workbook of the contract, formatted for people.

Sheets: Summary, Orders, Funding, Stock (the contract's, with its columns
first), then Mix (supplier and country shares per mineral, pipeline and plan),
Spending (each funding source per period against its limits), Shortfall (per
mineral and scenario) and Warnings. Every sheet is an Excel table with a
frozen header, number formats and widths. Text from the inputs is always
written as text, never as a formula.
"""

from __future__ import annotations

from collections import defaultdict

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from optimizer import __version__
from optimizer.analysis import explain, metrics
from optimizer.reporting.about import about_spec
from optimizer.reporting.charts import ChartData, period_label, write_charts_sheet
from optimizer.reporting.dashboard import write_dashboard
from optimizer.reporting.projects import capex_frame, projects_frame
from optimizer.reporting.xlsx import (COUNT, GAP, MONEY, QUANTITY, SECONDS, SHARE, SIZED, WHOLE, Book, TableSpec,
                                      write_table)
from optimizer.contract.data import PlanningData
from optimizer.files import write_atomically
from optimizer.contract.results import Plan, summary_terms
from optimizer.contract.scenario_costs import expected_view, plan_tail_cost, scenario_floor_costs
from optimizer.contract.problems import Problem

__all__ = ["COUNT", "GAP", "MONEY", "QUANTITY", "SECONDS", "SHARE", "WHOLE", "TableSpec", "write_table",
           "write_result_workbook", "result_tables", "summary_format", "plan_book"]


RISK_SCORE = "0.00"  # a supplier's risk_score, 0 to 1
# Summary solver_start when no plan was handed to HiGHS (a model below the block start's size, no start given).
NO_START = "none: HiGHS searched from its own first plan"


def summary_format(key: str) -> str | None:
    """The number format of a Summary value by its key: money, gaps, shares, seconds and counts.

    Only the display changes: the cell keeps every digit (the checker reads the values).
    """
    if key.startswith("mip_gap"):
        return GAP
    if "seconds" in key or key.endswith("_time_s"):
        return SECONDS
    if key.startswith("probability") or key == "cvar_level":
        return SHARE
    if (key.startswith(("objective", "change_value", "best_bound")) or key.endswith("_cost")
            or key.endswith("_revenue") or "penalty" in key
            or key in ("cvar", "evpi", "evpi_gap", "vss", "vss_gap", "wait_and_see")):
        return MONEY
    if key.startswith(("model_", "orders_", "samples", "scenarios")):
        return COUNT
    return None


def write_result_workbook(path: Path, plan: Plan, data: PlanningData, warnings: list[Problem],
                          timings: dict[str, float], verify: Callable[[Path], None] | None = None) -> None:
    """Write the result workbook to ``path`` atomically (``verify`` may veto the written file)."""
    tables = result_tables(plan, data, warnings, timings)
    write_atomically(path, lambda temporary: _write_tables(temporary, tables, plan, data), verify)


def result_tables(plan: Plan, data: PlanningData, warnings: list[Problem],
                  timings: dict[str, float]) -> list[TableSpec]:
    """The result workbook's sheets as tables, with their number formats, in workbook order."""
    money = data.settings.currency
    view = expected_view(plan, data)  # with recourse: expected orders and funding for the sheets that sum them
    return [
        TableSpec("Summary", summary_frame(plan, data, timings), {"value": "General"},
                  f"the contract's keys: status, objective and the cost terms that add up to it (money in {money}), "
                  "then the solve, the inputs and the time of each stage", key_formats=summary_format),
        TableSpec("Orders", orders_frame(plan),
                  {"period": WHOLE, "arrival_period": WHOLE, "quantity": QUANTITY, "unit_price": MONEY,
                   "cost": MONEY, "list_price": MONEY, "discount": SHARE, "order_cost": MONEY, "floor_cost": MONEY},
                  "one row per order: supplier, mineral, the period it is placed and arrives, quantity and price"
                  + ("" if plan.deliveries is None else "; contract deliveries follow the orders, naming their contract")),
        *contracts_tables(plan, data),
        TableSpec("Funding", plan.funding, {"period": WHOLE, "amount": MONEY},
                  "who pays each order: one row per order and funding source, with the amount paid"),
        TableSpec("Stock", plan.stock, {"period": WHOLE, **{c: QUANTITY for c in (
            "arrivals", "demand", "unmet_demand", "stock", "target", "shortfall", "sold", "lost", "converted_in",
            "converted_out")}},
                  "stock per scenario, mineral and period: arrivals, demand, unmet demand, stock and its target"
                  "; sold, lost to decay and converted in or out where the input has such flows"),
        *sales_tables(plan, data),
        *conversion_tables(plan, data),
        TableSpec("Mix", mix_frame(view, data), {"pipeline_quantity": QUANTITY, "ordered_quantity": QUANTITY,
                                                 "share_of_orders": SHARE, "country_share_of_orders": SHARE,
                                                 "max_supplier_share": SHARE, "country_max_share": SHARE,
                                                 "risk_score": RISK_SCORE},  # 0.85 over 0.6, decimals aligned
                  "per mineral and supplier: pipeline and ordered quantity, shares of the orders beside their caps"),
        *market_tables(view, data),
        *project_tables(plan, data),
        TableSpec("Spending", spending_frame(view, data), {"period": WHOLE, **{c: MONEY for c in (
            "spent", "budget", "cumulative_spent", "amount", "remaining")}, "budget_used": SHARE},
                  "each funding source per period: spent against its budget and what remains of its amount"),
        TableSpec("Shortfall", shortfall_frame(plan, data), {
            "probability": SHARE, "unmet_demand": QUANTITY, "unmet_penalty": MONEY, "target_shortfall": QUANTITY,
            "target_penalty": MONEY, "penalty_cost": MONEY},
                  "per mineral and scenario: demand not served and stock below target over the horizon, with "
                  "their (notional) penalties"),
        *analysis_tables(view, data),
        *scenario_cost_tables(plan, data),
        *changes_tables(plan),
        TableSpec("Warnings", pd.DataFrame({"warning": [str(w) for w in warnings]}), {},
                  "what validation warned of in the input (the plan was made regardless)", wide=("warning",)),
    ]


def scenario_cost_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """Scenario costs: each scenario's cost in the plan and solved alone, then RP, WS and EVPI with their gaps."""
    values = plan.scenario_values
    if values is None:
        return []
    currency = data.settings.currency
    figures = pd.DataFrame([
        {"scenario": "RP: the plan", "cost": values.expected_cost, "solver_gap": values.plan_gap,
         "finding": "the plan's expected cost (objective - cvar_cost); gap: its objective - proven bound"},
        {"scenario": "WS: each scenario alone", "cost": values.wait_and_see, "solver_gap": values.wait_and_see_gap,
         "finding": "each scenario solved as if known before any order, weighted by probability"
                    + (f"; {values.note}" if values.note else "")},
        {"scenario": "EVPI = RP - WS", "cost": values.evpi, "solver_gap": values.evpi_gap,
         "finding": "what knowing the scenario before ordering would save: " + values.evpi_text(currency)},
    ] + ([] if data.settings.recourse != "yes" else [
        {"scenario": "EEV: the average's plan", "cost": values.expected_value_cost,
         "solver_gap": values.expected_value_gap,
         "finding": "the plan made for the average (mean losses and prices), its shared orders"
                    + (" and its deals (projects, contract signings and deliveries)" if data.projects or data.contracts
                       else "") + " kept, the rest re-planned in every scenario"
                    + (f"; {values.vss_note}" if values.vss_note else "")},
        {"scenario": "VSS = EEV - RP", "cost": values.vss, "solver_gap": values.vss_gap,
         "finding": "what planning for the scenarios saves against planning for their average: "
                    + values.vss_text(currency)}]))
    frame = values.frame.copy()  # columns are added below
    if "scenario" in plan.orders:  # recourse: the orders each scenario places once it is told apart
        own = plan.orders[plan.orders["scenario"] != ""].groupby("scenario")["cost"]
        frame = frame.assign(own_orders=frame["scenario"].map(own.count()).fillna(0).astype(int),
                             own_orders_cost=frame["scenario"].map(own.sum()).fillna(0.0))
    if data.has_floors:  # within purchase_cost: not a term of its own, so after cost
        frame.insert(frame.columns.get_loc("cost") + 1, "floor_cost",
                     frame["scenario"].map(scenario_floor_costs(plan, data)))
    frame = pd.concat([frame.assign(finding=""), figures], ignore_index=True)
    # every other column is money: the cost terms priced per scenario, cost, cost_alone, solver_gap, own_orders_cost
    formats = {"probability": SHARE, "own_orders": WHOLE,
               **{c: MONEY for c in frame.columns if c not in ("scenario", "probability", "own_orders", "finding")}}
    return [TableSpec("Scenario costs", frame, formats, f"money in {currency}", wide=("finding",))]


def uncertainty_summary(plan: Plan) -> list[tuple[str, object]]:
    """expected_cost (RP), wait_and_see (WS), evpi and evpi_gap, when measured (the Scenario costs sheet)."""
    values = plan.scenario_values
    if values is None:
        return []
    rows = [("expected_cost", values.expected_cost), ("wait_and_see", values.wait_and_see),
            ("evpi", values.evpi), ("evpi_gap", values.evpi_gap)]
    if values.expected_value_cost is not None:
        rows += [("expected_value_plan_cost", values.expected_value_cost), ("vss", values.vss),
                 ("vss_gap", values.vss_gap)]
    return rows


def analysis_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """Concentration, Why short, Sensitivities and Cover (optimizer/analysis/metrics.py, optimizer/analysis/explain.py)."""
    concentration = metrics.concentration_frame(plan, data)
    hhi = {c: WHOLE for c in concentration.columns if c.startswith("hhi_")}
    risk = {c: "0.00" for c in concentration.columns if "risk" in c}
    analysis = plan.analysis
    sensitivities = explain.sensitivity_frame(analysis.marginals if analysis else [], data)
    if analysis is not None and analysis.marginals_note:  # skipped for lack of time (optimizer/solving/session.py)
        not_measured = pd.DataFrame({"finding": [f"Not measured: {analysis.marginals_note}."]})
        sensitivities = pd.concat([sensitivities, not_measured], ignore_index=True)
    if analysis is not None and analysis.causes is not None:
        causes = explain.causes_frame(analysis.causes, data)
        if analysis.note:  # some minerals short were not measured
            causes = pd.concat([causes, pd.DataFrame({"finding": [f"Not measured: {analysis.note}."]})],
                               ignore_index=True)
    else:
        note = analysis.note if analysis is not None else "no analysis was run"
        causes = pd.DataFrame({"finding": [f"Not measured: {note}."]})
    return [
        TableSpec("Concentration", concentration, {**hhi, **risk, "largest_country_share_after": SHARE,
                                                   **{c: QUANTITY for c in concentration.columns
                                                      if c.endswith("_quantity")}},
                  "per mineral: how concentrated supply is by country and supplier (HHI, 10,000 = one source), "
                  "before and after the plan"),
        TableSpec("Why short", causes, {"expected_shortfall": QUANTITY, "shortfall_in_plan": QUANTITY,
                                                        "shortfall_if_lifted": QUANTITY, "removed": QUANTITY,
                                                        "removed_share": SHARE},
                  "why shortfalls remain: each limit lifted alone, and how much shortfall that removes",
                  wide=("finding",)),
        TableSpec("Sensitivities", sensitivities, {"period": WHOLE, "cost_change_per_unit": SIZED,
                                                                   "effect": MONEY, "holds_for_up_to": SIZED},
                  "what one more unit of each binding limit (money, capacity, a target) is worth, in words",
                  wide=("finding",)),
        TableSpec("Cover", metrics.cover_frame(plan, data), {"period": WHOLE, "stock": QUANTITY, "target": QUANTITY,
                                                             "cover_periods": "0.00",
                                                             "target_cover_periods": "0.00"},
                  "stock as periods of demand ahead it would serve, per scenario, mineral and period"),
    ]


def changes_tables(plan: Plan) -> list[TableSpec]:
    """The Changes sheet of a re-plan (optimizer/replan/changes.py): against the previous plan of the same input."""
    if plan.changes is None:
        return []
    money = {c: MONEY for c in ("previous_unit_price", "unit_price", "previous_cost", "cost", "cost_change")}
    quantities = {c: QUANTITY for c in ("previous_quantity", "quantity", "quantity_change", "without_change_penalty")}
    return [TableSpec("Changes", _finding_first(plan.changes.frame),
                      {"period": WHOLE, "previous_period": WHOLE, "price_change": SHARE, **money, **quantities},
                      "against the previous plan of the same input: costs; deals (projects funded or dropped, "
                      "contracts signed or dropped, stock sold), orders and conversions added, removed and changed; "
                      "orders moved between periods; prices moved; each row's reason",
                      wide=("finding",))]


def tail_risk_summary(plan: Plan, data: PlanningData) -> list[tuple[str, object]]:
    """cvar (the CVaR of the plan's scenario costs at cvar_level, whatever its weight), cvar_level, cvar_weight:
    cvar_cost = cvar_weight x cvar is the objective's eighth term."""
    if plan.objective is None:
        return []
    settings = data.settings
    return [("cvar", plan_tail_cost(plan, data)), ("cvar_level", settings.cvar_level),
            ("cvar_weight", settings.cvar_weight)]


def changes_summary(plan: Plan) -> list[tuple[str, object]]:
    """change_cost (outside the seven: the optimised total is objective + change_cost) and the counts."""
    if plan.changes is None:
        return []
    rows: list[tuple[str, object]] = [("previous_plan", plan.changes.previous_label)]
    if plan.changes.change_cost is not None:
        rows.append(("change_cost", plan.changes.change_cost))
    rows += list(plan.changes.counts.items())
    return rows


def _finding_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The sentence first: it is what a reader reads; the numbers behind it follow."""
    return frame[["finding"] + [c for c in frame.columns if c != "finding"]]


def summary_frame(plan: Plan, data: PlanningData, timings: dict[str, float]) -> pd.DataFrame:
    """The contract's keys first (the seven costs add up to objective), then context."""
    solve = plan.solve
    rows: list[tuple[str, object]] = [("status", plan.status), ("objective", plan.objective)]
    rows += [(name, plan.costs.get(name, 0.0))
             for name in summary_terms(bool(data.projects), bool(data.contracts), plan.costs)]
    # within purchase_cost, not a term of its own; with recourse each scenario's own orders weigh its probability
    rows += [("floor_cost", expected_view(plan, data).floor_cost())]
    rows += tail_risk_summary(plan, data)
    rows += uncertainty_summary(plan)
    rows += [
        ("mip_gap", solve.gap), ("solve_seconds", round(solve.seconds, 3)),
        ("handover_seconds", round(solve.handover_seconds, 3)), ("input_sha256", data.input_sha256),
        ("message", solve.message), ("best_bound", solve.bound), ("solver_start", solve.start or NO_START),
        ("currency", data.settings.currency),
        ("num_periods", data.settings.num_periods), ("period_unit", data.settings.period_unit),
        ("start_date", data.settings.start_date.isoformat() if data.settings.start_date else None),
        ("input_files", ", ".join(Path(f.path).name for f in data.input_files)),
        ("written_at", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("engine_version", __version__),
    ]
    rows += changes_summary(plan)
    rows += plan.stability.summary() if plan.stability is not None else []  # optimizer/solving/stability.py
    budget = plan.analysis_budget  # the seconds after the main solve (optimizer/solving/budget.py)
    if budget is not None:
        rows += [("analysis_time_s", budget.seconds),
                 ("analysis_seconds_used", round(min(budget.spent(), budget.seconds), 3))]
    rows += [(f"model_{key}", value) for key, value in plan.model_size.items()]
    rows += [(f"seconds_{stage}", round(seconds, 3)) for stage, seconds in timings.items()]
    return pd.DataFrame(rows, columns=["key", "value"])


def orders_frame(plan: Plan) -> pd.DataFrame:
    """The Orders sheet: the orders, then (with contracts) each contract delivery as a row naming its contract
    (list_price its unit_price, no discount, no order_cost, not committed, the floor_cost of a floor_price)."""
    orders = plan.orders.assign(committed=plan.orders["committed"].map({True: "yes", False: "no"}))
    if plan.deliveries is None:
        return orders
    deliveries = plan.deliveries.assign(list_price=plan.deliveries["unit_price"], discount=None, order_cost=0.0,
                                        committed="no")
    return pd.concat([orders.assign(contract=None), deliveries[[*orders.columns, "contract"]]], ignore_index=True)


def contracts_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Contracts sheet, when the workbook has contracts: one row per contract, with what it took in each
    period it took something (column taken_by_period, "period: quantity" in words, so the sheet stays narrow;
    the Orders sheet has a row per delivery)."""
    if plan.contracts is None:
        return []
    frame = plan.contracts.copy()
    by_period = plan.deliveries.groupby(["contract", "period"])["quantity"].sum()
    frame.insert(frame.columns.get_loc("taken") + 1, "taken_by_period", [
        "; ".join(f"{int(t)}: {explain.number(float(q))}" for (c, t), q in by_period.items() if c == name)
        for name in frame["contract"]])
    quantities = ["min_quantity", "max_quantity", "taken", "take_or_pay_quantity", "unused_room"]
    return [TableSpec("Contracts", frame, {"first_period": WHOLE, "last_period": WHOLE, "unit_price": MONEY,
                                           **{c: QUANTITY for c in quantities},
                                           **{c: MONEY for c in ("take_or_pay_paid", "signing_cost_paid",
                                                                 "delivery_cost", "floor_price", "floor_cost")}},
                      "take-or-pay = unit_price x max(0, min_quantity - taken) of a signed contract, paid in its "
                      "last_period; unused_room = what it could still have taken; with a floor_price, deliveries "
                      "cost max(floor_price, the scenario's price) and floor_cost is the expected payment above it",
                      # printed in 3 pages, not 5: the contract's name alone repeated, taken_by_period wrapped
                      wide=("taken_by_period",), keys=1)]


def mix_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and supplier: pipeline and ordered quantities, shares and the caps that apply (the
    country share: of the mineral's orders, the quantity from the supplier's country counted by origin)."""
    bought = plan.bought()  # orders, contract deliveries and take-or-pay quantities, as the caps count
    ordered = bought.groupby(["mineral", "supplier"])["quantity"].sum()
    mineral_total = bought.groupby("mineral")["quantity"].sum()
    country_total: dict[tuple[str, str], float] = defaultdict(float)  # by origin (Origins), as the cap counts
    for (mineral, supplier), quantity in ordered.items():
        for country, share in data.origin_shares(supplier, mineral).items():
            country_total[mineral, country] += share * float(quantity)
    pipeline: dict[tuple[str, str], float] = {}
    for (supplier, mineral, _), quantity in data.pipeline.items():
        pipeline[mineral, supplier] = pipeline.get((mineral, supplier), 0.0) + quantity
    keys = sorted(set(ordered.index) | set(pipeline))
    rows = []
    for mineral, supplier in keys:
        country = data.country(supplier)
        total = float(mineral_total.get(mineral, 0.0))
        from_country = float(country_total.get((mineral, country), 0.0))
        rows.append({
            "mineral": mineral, "supplier": supplier, "country": country,
            "pipeline_quantity": pipeline.get((mineral, supplier), 0.0),
            "ordered_quantity": float(ordered.get((mineral, supplier), 0.0)),
            "share_of_orders": ordered.get((mineral, supplier), 0.0) / total if total > 0 else 0.0,
            "country_share_of_orders": from_country / total if total > 0 else 0.0,
            "max_supplier_share": data.minerals[mineral].max_supplier_share,
            "country_max_share": data.country_max_share.get(country, 1.0),
            "risk_score": data.risk_score(supplier),
        })
    return pd.DataFrame(rows, columns=["mineral", "supplier", "country", "pipeline_quantity", "ordered_quantity",
                                       "share_of_orders", "country_share_of_orders", "max_supplier_share",
                                       "country_max_share", "risk_score"])


def sales_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Sales sheet, when the workbook has a Sales sheet: every sale made, its revenue and the source paid."""
    if not data.sales:
        return []
    return [TableSpec("Sales", plan.sales, {"sale": WHOLE, "period": WHOLE, "quantity": QUANTITY,
                                            "unit_price": MONEY, "revenue": MONEY},
                      "stock sold (the same in every scenario); revenue adds to the source's amount from the next "
                      "period on; sale: the row of the input's Sales sheet")]


def conversion_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Conversions and Conversion funding sheets, when the input has a Conversions sheet: none otherwise."""
    if not data.conversions:
        return []
    return [TableSpec("Conversions", plan.conversions,
                      {"period": WHOLE, "arrival_period": WHOLE, "input": QUANTITY, "yield": "0.000",
                       "output": QUANTITY, "unit_cost": MONEY, "cost": MONEY},
                      "input in from_mineral's unit, taken when the conversion starts; output in to_mineral's, "
                      "arriving in arrival_period (before any scenario's loss at a toll processor)"),
            TableSpec("Conversion funding", plan.conversion_funding, {"period": WHOLE, "amount": MONEY},
                      "who pays each conversion, as orders are paid")]


def market_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Market sheet, when some mineral gives a world_supply: none otherwise."""
    frame = metrics.market_frame(plan, data)
    if frame.empty:
        return []
    return [TableSpec("Market", frame, {"period": WHOLE, "ordered_quantity": QUANTITY, "world_supply": QUANTITY,
                                        "max_market_share": SHARE, "market_cap": QUANTITY, "cap_used": SHARE},
                      "per mineral and period: orders placed (commitments included) against max_market_share x "
                      "world_supply")]


def project_tables(plan: Plan, data: PlanningData) -> list[TableSpec]:
    """The Projects and Capex sheets, when the input has Projects: none otherwise."""
    if not data.projects:
        return []
    money = {c: MONEY for c in ("capex", "capex_paid", "capex_cost", "output_cost", "objective",
                                "objective_other_way", "saving")}
    whole = {c: WHOLE for c in ("decision_period", "first_output_period", "life_periods")}
    return [TableSpec("Projects", projects_frame(plan, data), {**money, **whole},
                      "capex_paid: cash within the horizon; capex_cost: the horizon's share in objective; saving: the "
                      "project's minerals re-solved, the others held as planned",
                      wide=("finding",)),
            TableSpec("Capex", capex_frame(plan), {"period": WHOLE, "amount": MONEY})]


def spending_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Each funding source per period: spent (orders and capex), its budget, and what remains of its amount."""
    spent = plan.payments().groupby(["source", "period"])["amount"].sum()
    rows = []
    for name, source in data.funding.items():
        cumulative = 0.0
        for period in data.periods:
            paid = float(spent.get((name, period), 0.0))
            cumulative += paid
            budget = source.budgets.get(period)
            rows.append({
                "source": name, "period": period, "spent": paid, "budget": budget,
                "budget_used": paid / budget if budget else None, "cumulative_spent": cumulative,
                "amount": source.amount, "remaining": source.amount - cumulative,
                "can_pay": "yes" if source.first_period <= period <= source.last_period else "no",
            })
    return pd.DataFrame(rows, columns=["source", "period", "spent", "budget", "budget_used", "cumulative_spent",
                                       "amount", "remaining", "can_pay"])


def shortfall_frame(plan: Plan, data: PlanningData) -> pd.DataFrame:
    """Per mineral and scenario: demand not served and stock below target over the horizon, each with its
    penalty (shortfall_penalty x unmet demand, ScenarioDemand's own where it gives one; target_penalty x units
    below target, per period)."""
    probability = {k.name: k.probability for k in data.all_scenarios}
    penalties = metrics.unmet_penalties(plan.stock, data)
    if plan.stock.empty:
        totals = pd.DataFrame(columns=["scenario", "mineral", "unmet_demand", "shortfall"])
    else:
        totals = plan.stock.groupby(["scenario", "mineral"], sort=False)[["unmet_demand", "shortfall"]].sum()
        totals = totals.reset_index()
    rows = []
    for row in totals.itertuples():
        mineral = data.minerals[row.mineral]
        unmet_penalty = penalties.get((row.scenario, row.mineral), 0.0)
        target_penalty = mineral.target_penalty * row.shortfall
        rows.append({
            "mineral": row.mineral, "scenario": row.scenario, "probability": probability[row.scenario],
            "unmet_demand": row.unmet_demand, "unmet_penalty": unmet_penalty, "target_shortfall": row.shortfall,
            "target_penalty": target_penalty, "penalty_cost": unmet_penalty + target_penalty})
    return pd.DataFrame(rows, columns=["mineral", "scenario", "probability", "unmet_demand", "unmet_penalty",
                                       "target_shortfall", "target_penalty", "penalty_cost"])


def plan_book(path: Path, data: PlanningData) -> Book:
    """A workbook whose money is the plan's currency, quantities in each mineral's unit, periods labelled."""
    labels = (lambda period: period_label(data, period)) if data.settings.start_date else None
    return Book(path, data.settings.currency, {name: m.unit for name, m in data.minerals.items()}, labels)


def _write_tables(path: Path, tables: list[TableSpec], plan: Plan | None = None,
                  data: PlanningData | None = None) -> None:
    """The Dashboard first (with a plan), then the tables, then the Charts and their data, then About."""
    book = plan_book(path, data) if data is not None else Book(path)
    charts = ChartData(book)
    if plan is not None:
        frames = {spec.title: spec.frame for spec in tables}
        write_dashboard(book, expected_view(plan, data), data, charts, frames.get("Concentration"), frames.get("Cover"))
    for spec in tables:
        write_table(book, spec)
    if plan is not None:
        write_charts_sheet(book, plan, data, charts)
        charts.write()
    if data is not None:
        write_table(book, about_spec(book, data))
    book.close()
