"""What-if sweeps: the same workbook solved over a grid of varied inputs, one plan per point.

Five inputs can vary (each a command-line option taking ``FROM:TO:N``, N evenly
spaced values from FROM to TO, or a list ``a,b,c``):

    funding        a source's amount                 --funding "Ex-Im loan=5e9:15e9:5"
    risk_weight    Settings.risk_weight              --risk-weight 0:0.5:6
    country_share  a country's Countries.max_share   --country-share "China=0:0.65:5"
    price_shock    a factor on every price of a mineral (Offers.unit_price and Prices)
                                                     --price-shock "gallium=1.0:2.0:5"
    capex          a project's capex (Projects)      --capex "Tennessee smelter=2e8:1.4e9:7"
    cvar_weight    Settings.cvar_weight              --cvar-weight 0:2:5
    sale_price     the unit_price of every Sales row of a mineral
                                                     --sale-price "germanium=1e6:2e6:5"
    conversion_capacity  a conversion's max_per_period  --conversion-capacity "smelt=0:100:5"

Several variations combine as a grid: every combination of their values is a
point (2 variations of 5 values: 25 solves), so each frontier can be read at
every level of the others. A price shock leaves ``shortfall_penalty`` as the
workbook gives it (or as its default was set from the unshocked prices).

Each point is one task (``optimizer.execution``): ``solve_point`` receives the
validated ``PlanningData`` and the point, applies the point with
``dataclasses.replace``, builds, solves and measures the plan on the worker,
and returns plain numbers. Measures per point: status, objective and its seven
cost terms, ``cost_excluding_risk`` (objective - risk_cost: what the plan
costs in money), ``expected_cost`` (objective - cvar_cost) and ``cvar`` (the CVaR of the
plan's scenario costs at cvar_level: its tail risk), expected unmet demand and expected shortfall (unmet demand +
stock below target, probability-weighted over the scenarios, summed over
periods and minerals in their own units), ``value_weighted_risk`` (value-weighted
supplier risk_score of the plan's orders, as on the Concentration sheet),
each watched country's share of the plan's ordered value, the money drawn (orders and
capex), and per project whether the plan funds it (``<project> built``: 1 or 0).
"""

from __future__ import annotations

import difflib
import itertools
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from optimizer.analysis import metrics
from optimizer.contract.data import PlanningData
from optimizer.execution import Outcome, Progress, Workers, run_tasks
from optimizer.pipeline import load
from optimizer.contract.results import ERROR, Plan, summary_terms
from optimizer.contract.scenario_costs import plan_tail_cost
from optimizer.contract.problems import InputRefused, Problem
from optimizer.solving.session import plan_from_data
from optimizer.stages import Stages, quiet

FUNDING, RISK_WEIGHT, COUNTRY_SHARE, PRICE_SHOCK = "funding", "risk_weight", "country_share", "price_shock"
CAPEX = "capex"
CVAR_WEIGHT = "cvar_weight"
SALE_PRICE = "sale_price"
CONVERSION_CAPACITY = "conversion_capacity"
OPTION = {FUNDING: "--funding", RISK_WEIGHT: "--risk-weight", COUNTRY_SHARE: "--country-share",
          PRICE_SHOCK: "--price-shock", CAPEX: "--capex", CVAR_WEIGHT: "--cvar-weight", SALE_PRICE: "--sale-price",
          CONVERSION_CAPACITY: "--conversion-capacity"}
SETTING_KINDS = (RISK_WEIGHT, CVAR_WEIGHT)  # variations of one Settings value: no NAME=
MAX_POINTS = 10_000  # a typo in N should not queue a week of solves
# Pyomo's HiGHS interface redirects the process's standard output and error (file descriptors
# included) while it hands over and solves a model, so two solves in threads of one process would
# tangle their output: a worker process runs one solve at a time (give Dask workers one thread).
_ONE_SOLVE_AT_A_TIME = threading.Lock()


# --- the varied inputs -------------------------------------------------------------------------

@dataclass(frozen=True)
class Variation:
    """One varied input: its kind, what it names (a source, country, mineral; None for risk_weight), its values."""

    kind: str
    name: str | None
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        """The column of the sweep table holding this variation's value."""
        if self.kind in SETTING_KINDS:
            return self.kind
        return {FUNDING: f"{self.name} amount", COUNTRY_SHARE: f"{self.name} max_share",
                PRICE_SHOCK: f"{self.name} price factor", CAPEX: f"{self.name} capex",
                SALE_PRICE: f"{self.name} sale price", CONVERSION_CAPACITY: f"{self.name} max_per_period"}[self.kind]

    def apply(self, data: PlanningData, value: float) -> PlanningData:
        """``data`` with this input set to ``value``."""
        if self.kind == FUNDING:
            source = replace(data.funding[self.name], amount=value)
            return replace(data, funding={**data.funding, self.name: source})
        if self.kind in SETTING_KINDS:
            return replace(data, settings=replace(data.settings, **{self.kind: value}))
        if self.kind == COUNTRY_SHARE:
            return replace(data, country_max_share={**data.country_max_share, self.name: value})
        if self.kind == CAPEX:
            project = replace(data.projects[self.name], capex=value)
            return replace(data, projects={**data.projects, self.name: project})
        if self.kind == SALE_PRICE:
            return replace(data, sales=tuple(replace(sale, unit_price=value) if sale.mineral == self.name else sale
                                             for sale in data.sales))
        if self.kind == CONVERSION_CAPACITY:
            conversion = replace(data.conversions[self.name], max_per_period=value)
            return replace(data, conversions={**data.conversions, self.name: conversion})
        return replace(data, offers={key: _shocked(offer, value) if offer.mineral == self.name else offer
                                     for key, offer in data.offers.items()})


def _shocked(offer, factor: float):
    """The offer with its unit_price and every Prices override multiplied by ``factor``."""
    return replace(offer, unit_price=offer.unit_price * factor,
                   prices={t: price * factor for t, price in offer.prices.items()})


def parse_values(text: str) -> tuple[float, ...]:
    """``FROM:TO:N`` (N evenly spaced values, both ends included), ``a,b,c``, or one number."""
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"{text!r}: expected FROM:TO:N")
        start, stop, count = _number(parts[0]), _number(parts[1]), _number(parts[2])
        if count < 1 or not float(count).is_integer():
            raise ValueError(f"{text!r}: N must be a whole number >= 1")
        return tuple(float(v) for v in np.linspace(start, stop, int(count)))
    return tuple(_number(part) for part in text.split(","))


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return value


def parse_variation(kind: str, text: str) -> Variation:
    """``NAME=VALUES`` for funding, country_share, price_shock, capex, sale_price and conversion_capacity;
    ``VALUES`` for risk_weight and cvar_weight."""
    if kind in SETTING_KINDS:
        return Variation(kind, None, parse_values(text))
    name, equals, values = text.partition("=")
    if not equals or not name.strip():
        raise ValueError(f"{text!r}: expected NAME=FROM:TO:N")
    return Variation(kind, name.strip(), parse_values(values))


def check_variations(variations: list[Variation], data: PlanningData) -> list[str]:
    """Every reason the variations cannot apply to ``data``: unknown names, values out of range, repeats."""
    problems = []
    known = {FUNDING: list(data.funding), PRICE_SHOCK: list(data.minerals), CAPEX: list(data.projects),
             CONVERSION_CAPACITY: list(data.conversions),
             SALE_PRICE: list(dict.fromkeys(sale.mineral for sale in data.sales)),
             COUNTRY_SHARE: sorted({s.country for s in data.suppliers.values()} | set(data.country_max_share))}
    lowest = {FUNDING: (0.0, "an amount >= 0"), RISK_WEIGHT: (0.0, "a risk_weight >= 0"),
              CVAR_WEIGHT: (0.0, "a cvar_weight >= 0"),
              COUNTRY_SHARE: (0.0, "a share in [0, 1]"), PRICE_SHOCK: (1e-12, "a factor > 0"),
              CAPEX: (1e-12, "a capex > 0"), SALE_PRICE: (1e-12, "a price > 0"),
              CONVERSION_CAPACITY: (0.0, "a max_per_period >= 0")}
    for variation in variations:
        option = OPTION[variation.kind]
        if variation.kind in known and variation.name not in known[variation.kind]:
            problems.append(f"{option} {variation.name!r}: no such {_noun(variation.kind)}"
                            f"{_closest_name(variation.name, known[variation.kind])}")
        low, expected = lowest[variation.kind]
        high = 1.0 if variation.kind == COUNTRY_SHARE else float("inf")
        wrong = [v for v in variation.values if not low <= v <= high]
        if wrong:
            problems.append(f"{option} {variation.column}: found {wrong[0]:g}; expected {expected}")
    columns = [v.column for v in variations]
    problems += [f"{column} is varied twice; expected one option per input"
                 for column in sorted({c for c in columns if columns.count(c) > 1})]
    if variations and grid_size(variations) > MAX_POINTS:
        problems.append(f"the grid has {grid_size(variations):,} points; expected at most {MAX_POINTS:,}")
    return problems


def _noun(kind: str) -> str:
    return {FUNDING: "funding source", COUNTRY_SHARE: "country", PRICE_SHOCK: "mineral", CAPEX: "project",
            SALE_PRICE: "mineral with a Sales row", CONVERSION_CAPACITY: "conversion"}[kind]


def _closest_name(name: str, known: list[str]) -> str:
    """A hint naming the closest known name (difflib), else the known names when they are few."""
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    if close:
        return f"; did you mean {lowered[close[0]]!r}?"
    return f"; expected one of {', '.join(known)}" if 0 < len(known) <= 12 else ""


def grid_size(variations: list[Variation]) -> int:
    """The number of points of the grid: the product of the numbers of values of each variation."""
    return int(np.prod([len(v.values) for v in variations]))


# --- one point: the task ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    """One combination of values, and the countries whose shares to measure."""

    values: tuple[tuple[Variation, float], ...]
    countries: tuple[str, ...] = ()

    def label(self) -> str:
        """The point's varied values in words (column=value, ...), or "as given"."""
        return ", ".join(f"{v.column}={readable(value)}" for v, value in self.values) or "as given"


def readable(value: float) -> str:
    """A varied value as a reader writes it: 333.3M, 2.5B, 1,500, 0.65."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:,.4g}B"
    if size >= 1e6:
        return f"{value / 1e6:,.4g}M"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def grid(variations: list[Variation], countries: tuple[str, ...] = ()) -> list[Point]:
    """Every combination of the variations' values, the last variation changing fastest."""
    combinations = itertools.product(*[v.values for v in variations])
    return [Point(tuple(zip(variations, values)), countries) for values in combinations]


def solve_point(data: PlanningData, point: Point) -> dict:
    """The task a worker runs: apply the point, build, solve and measure the plan (plain numbers back)."""
    varied = data
    for variation, value in point.values:
        varied = variation.apply(varied, value)
    started, cpu_started = time.perf_counter(), time.process_time()
    with _ONE_SOLVE_AT_A_TIME:
        plan = plan_from_data(varied, Stages())
    return measure(plan, varied, point.countries) | {"seconds": time.perf_counter() - started,
                                                     "cpu_seconds": time.process_time() - cpu_started}


def measure(plan: Plan, data: PlanningData, countries: tuple[str, ...] = ()) -> dict:
    """The figures of one plan that a sweep table shows (see the module docstring); status only without a plan."""
    row: dict[str, object] = {"status": plan.status, "objective": plan.objective, "shortfall_by_mineral": {}}
    if plan.objective is not None:
        row.update(_plan_figures(plan, data, countries))
    row.update({"mip_gap": plan.solve.gap, "solve_seconds": plan.solve.seconds,
                "message": "; ".join(plan.conflicts) or plan.solve.message})
    return row


def _plan_figures(plan: Plan, data: PlanningData, countries: tuple[str, ...]) -> dict:
    """Cost terms, expected shortfall, value-weighted risk, country shares and money drawn of a plan."""
    terms = summary_terms(bool(data.projects), bool(data.contracts))  # every revenue: the same columns in every row
    row: dict[str, object] = {name: plan.costs.get(name, 0.0) for name in terms}
    row["cost_excluding_risk"] = plan.objective - plan.costs.get("risk_cost", 0.0)
    row["expected_cost"] = plan.objective - plan.costs.get("cvar_cost", 0.0)
    row["cvar"] = plan_tail_cost(plan, data)
    by_mineral = metrics.expected_shortfall(plan, data)
    row["expected_unmet_demand"] = sum(u for u, _ in by_mineral.values())
    row["expected_shortfall"] = sum(u + e for u, e in by_mineral.values())
    row["value_weighted_risk"] = metrics.value_weighted_risk(plan, data, "plan")
    shares = _country_shares(plan, data)
    row.update({f"{country} share": shares.get(country, 0.0) for country in countries})
    spent = plan.payments().groupby("source")["amount"].sum()
    row["spent"] = float(spent.sum())
    row.update({f"{source} spent": float(spent.get(source, 0.0)) for source in data.funding})
    row.update({f"{project} built": 1.0 if project in plan.builds else 0.0 for project in data.projects})
    row["shortfall_by_mineral"] = {m: u + e for m, (u, e) in by_mineral.items()}
    return row


def _country_shares(plan: Plan, data: PlanningData) -> dict[str, float]:
    """Each country's share of the plan's ordered value (quantities at each mineral's reference price)."""
    table = metrics.supply(plan, data)
    value = table["plan"] * table["mineral"].map(metrics.reference_price(data)).fillna(0.0)
    total = float(value.sum())
    if total <= 0:
        return {}
    return {country: float(v) / total for country, v in value.groupby(table["country"]).sum().items()}


# --- the sweep -------------------------------------------------------------------------------------

@dataclass
class SweepResult:
    """The sweep's table (one row per point, in grid order), its inputs and how long it took."""

    input_path: Path
    data: PlanningData
    variations: list[Variation]
    rows: list[dict]
    workers: Workers
    seconds: float
    warnings: list[Problem] = field(default_factory=list)

    @property
    def solves_per_minute(self) -> float:
        """Points solved per minute of the sweep's wall time."""
        return 60.0 * len(self.rows) / self.seconds if self.seconds > 0 else 0.0

    @property
    def failed(self) -> int:
        """The number of points whose status is error."""
        return sum(1 for row in self.rows if row["status"] == ERROR)


@dataclass(frozen=True)
class SweepInput:
    """A validated input and the variations checked against it: ready to sweep."""

    input_path: Path
    data: PlanningData
    variations: list[Variation]
    warnings: list[Problem]


def prepare_sweep(input_path: Path, variations: list[Variation], time_limit_s: float | None = None,
            progress: Progress = quiet) -> SweepInput:
    """Load and validate INPUT and check the variations against it (InputRefused when either fails)."""
    data, warnings = load(input_path, progress)
    problems = check_variations(variations, data)
    if problems:
        raise InputRefused([Problem("error", message) for message in problems])
    if time_limit_s is not None:
        data = replace(data, settings=replace(data.settings, time_limit_s=time_limit_s))
    return SweepInput(input_path, data, variations, warnings)


def watched_countries(variations: list[Variation], data: PlanningData) -> tuple[str, ...]:
    """The countries whose share a sweep reports: the varied ones, else those the Countries sheet caps."""
    varied = tuple(v.name for v in variations if v.kind == COUNTRY_SHARE)
    return varied or tuple(data.country_max_share)


def run_sweep(input_path: Path, variations: list[Variation], workers: Workers, progress: Progress = quiet,
              time_limit_s: float | None = None) -> SweepResult:
    """Validate INPUT and solve it at every point of the variations' grid where ``workers`` says."""
    return sweep(prepare_sweep(input_path, variations, time_limit_s, progress), workers, progress)


def sweep(prepared: SweepInput, workers: Workers, progress: Progress = quiet) -> SweepResult:
    """Solve every point of the grid where ``workers`` says; a point that fails becomes a row saying why."""
    data, variations = prepared.data, prepared.variations
    points = grid(variations, watched_countries(variations, data))
    progress(f"sweep   {len(points)} point(s) on {workers.describe()}")
    rows: list[dict | None] = [None] * len(points)
    started = time.perf_counter()
    outcomes = run_tasks(solve_point, data, points, workers, progress, lambda i: f"point {points[i].label()}")
    for done, outcome in enumerate(outcomes, start=1):
        rows[outcome.index] = _row(points[outcome.index], outcome)
        progress(f"[{done}/{len(points)}] {points[outcome.index].label()}: {_said(rows[outcome.index], data)}")
    seconds = time.perf_counter() - started
    return SweepResult(prepared.input_path, data, variations, rows, workers, seconds, prepared.warnings)


def _row(point: Point, outcome: Outcome) -> dict:
    """The table row of a point: its number, varied values, then the measures (or the error after the retry)."""
    row: dict[str, object] = {"point": outcome.index + 1}
    row.update({variation.column: value for variation, value in point.values})
    if outcome.failed:
        row.update({"status": ERROR, "message": f"failed {outcome.attempts} times: {outcome.error}",
                    "shortfall_by_mineral": {}})
    else:
        row.update(outcome.value)
    row["attempts"] = outcome.attempts
    return row


def _said(row: dict, data: PlanningData) -> str:
    if row.get("objective") is None:
        return f"{row['status']} ({row.get('message', '')})"
    return (f"{row['status']}, objective {row['objective']:,.0f} {data.settings.currency} "
            f"({row.get('seconds', 0.0):.1f} s)")


def variations_from_options(funding: tuple[str, ...] = (), risk_weight: str | None = None,
                            country_share: tuple[str, ...] = (), price_shock: tuple[str, ...] = (),
                            capex: tuple[str, ...] = (), cvar_weight: str | None = None,
                            sale_price: tuple[str, ...] = (),
                            conversion_capacity: tuple[str, ...] = ()) -> list[Variation]:
    """The variations the command-line options ask for, in the options' order; ValueError names a bad one."""
    asked = [(FUNDING, text) for text in funding] + ([(RISK_WEIGHT, risk_weight)] if risk_weight else [])
    asked += [(COUNTRY_SHARE, text) for text in country_share] + [(PRICE_SHOCK, text) for text in price_shock]
    asked += [(CAPEX, text) for text in capex]
    asked += [(CVAR_WEIGHT, cvar_weight)] if cvar_weight else []
    asked += [(SALE_PRICE, text) for text in sale_price]
    asked += [(CONVERSION_CAPACITY, text) for text in conversion_capacity]
    variations = []
    for kind, text in asked:
        try:
            variations.append(parse_variation(kind, text))
        except ValueError as problem:
            raise ValueError(f"{OPTION[kind]} {problem}") from None
    return variations
