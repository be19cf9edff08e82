"""Synthetic planning workbooks of any size, using every sheet of the contract.

``optimize generate`` writes one, so anyone can reproduce a benchmark; the
fuzz and scale tests use it too. Values are random but plausible and always
valid: the same seed gives the same workbook.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl

COUNTRIES = ("China", "Australia", "Canada", "Japan", "Korea", "Germany", "Brazil", "Chile",
             "South Africa", "USA", "Indonesia", "DRC")


@dataclass(frozen=True)
class Size:
    minerals: int
    suppliers: int
    periods: int
    scenarios: int = 0
    projects: int = 0  # capacity projects, each a new plant (add_projects)
    sales: int = 0  # Sales rows (issue 14)
    decaying: int = 0  # minerals with a loss_rate (issue 14)
    conversions: int = 0  # Conversions rows, each from one mineral to the next (no chain returns)
    emergencies: int = 0  # emergency scenarios: ScenarioDemand surges of two minerals

    def describe(self) -> str:
        """The size in words: "30 minerals x 10 suppliers x 40 periods, 0 scenarios" (and ", 10 projects",
        ", 5 sales rows", ...)."""
        extra = "".join(f", {count} {what}" for count, what in (
            (self.projects, "projects"), (self.sales, "sales rows"), (self.decaying, "decaying minerals"),
            (self.conversions, "conversions"), (self.emergencies, "emergency scenarios")) if count)
        return f"{self.minerals} minerals x {self.suppliers} suppliers x {self.periods} periods, " \
               f"{self.scenarios} scenarios{extra}"


SIZES = {
    "S": Size(10, 5, 12),
    "M": Size(30, 10, 40),
    "L": Size(60, 20, 40, 5),
    "XL": Size(60, 30, 120, 10),
    "XXL": Size(60, 50, 120, 20),  # issue 17: past one machine (optimize run --scheduler)
}


def generate_sheets(size: Size, seed: int = 0, offers_per_mineral: int = 3, contracts: int = 0) -> dict[str, list]:
    """Sheets as {name: [header, row, row, ...]} (Settings as key/value rows); ``contracts`` > 0 adds a
    Contracts sheet with that many contracts (the other sheets stay as without it)."""
    rng = random.Random(seed)
    T = size.periods
    minerals = [f"mineral_{i:02d}" for i in range(1, size.minerals + 1)]
    suppliers = [f"supplier_{j:02d}" for j in range(1, size.suppliers + 1)]
    country = {s: COUNTRIES[j % len(COUNTRIES)] for j, s in enumerate(suppliers)}
    base_price = {m: round(rng.uniform(1_000, 50_000), 2) for m in minerals}
    demand = {m: round(rng.uniform(10, 200), 1) for m in minerals}

    offers = []
    for m in minerals:
        for s in rng.sample(suppliers, min(offers_per_mineral, len(suppliers))):
            cheap = 0.8 if country[s] == "China" else 1.0
            first = rng.choice([1, 1, 1, max(1, T // 4)])
            offers.append([s, m, round(base_price[m] * cheap * rng.uniform(0.9, 1.2), 2), rng.choice([0, 0, 1, 2]),
                           round(demand[m] * 0.2, 1), round(demand[m] * rng.uniform(1.0, 3.0), 1),
                           rng.choice([0, 10_000, 50_000]), first, T])
    total_value = sum(base_price[m] * demand[m] * T for m in minerals)
    sheets: dict[str, list] = {
        "Settings": [["key", "value"], ["num_periods", T], ["period_unit", "month"], ["currency", "USD"],
                     ["risk_weight", 0.05], ["mip_gap", 0.01], ["time_limit_s", 600]],
        "Minerals": [["mineral", "unit", "initial_stock", "holding_cost", "shortfall_penalty", "max_stock",
                      "max_supplier_share", "max_avg_risk"]] + [
            [m, "t", round(demand[m] * 2, 1), round(base_price[m] * 0.01, 2), round(base_price[m] * 3, 2),
             round(demand[m] * 12, 1), 0.7, 0.6] for m in minerals],
        "Suppliers": [["supplier", "country", "risk_score", "onboarding_cost"]] + [
            [s, country[s], 0.85 if country[s] == "China" else round(rng.uniform(0.05, 0.5), 2),
             rng.choice([0, 100_000, 500_000])] for s in suppliers],
        "Offers": [["supplier", "mineral", "unit_price", "lead_time", "min_order", "max_per_period", "order_cost",
                    "first_period", "last_period"]] + offers,
        "Prices": [["supplier", "mineral", "period", "unit_price"]] + [
            [o[0], o[1], t, round(o[2] * rng.uniform(0.95, 1.1), 2)]
            for o in offers for t in range(1, T + 1) if rng.random() < 0.25],
        "Discounts": [["supplier", "mineral", "min_quantity", "discount"]] + [
            [o[0], o[1], round(o[5] * 0.6, 1), 0.05] for o in offers if rng.random() < 0.3],
        "Demand": [["mineral", "period", "quantity"]] + [
            [m, t, round(demand[m] * rng.uniform(0.7, 1.3), 1)] for m in minerals for t in range(1, T + 1)],
        "Targets": [["mineral", "period", "min_stock"]] + [
            [m, t, round(demand[m] * 3 * t / T, 1)] for m in minerals for t in range(T // 2, T + 1)],
        "Pipeline": [["supplier", "mineral", "period", "quantity"]] + [
            [o[0], o[1], 1, round(demand[o[1]] * 0.5, 1)] for o in offers[::5]],
        "Commitments": [["supplier", "mineral", "period", "quantity"]] + [
            [o[0], o[1], o[7], max(o[4], round(o[5] * 0.5, 1))] for o in offers[:: max(1, len(offers) // 5)]
            if o[3] + o[7] <= T and country[o[0]] != "China"],
        "Funding": [["source", "amount", "first_period", "last_period", "cost_rate", "excluded_countries",
                     "minerals"],
                    ["Loan", round(total_value * 0.5, 0), 1, T, 0.04, "China", None],
                    ["Private", round(total_value * 0.2, 0), 1, T, 0.08, None, None],
                    ["Stockpile fund", round(total_value * 0.2, 0), 1, T, 0.0, None,
                     ", ".join(minerals[: max(1, len(minerals) // 3)])]],
        "Budgets": [["source", "period", "amount"]] + [
            ["Loan", t, round(total_value * 0.5 / T * 1.5, 0)] for t in range(1, T + 1)],
        "Countries": [["country", "max_share"], ["China", 0.65]],
        "Scenarios": [["scenario", "probability", "country", "first_period", "last_period", "supply_loss"]] + [
            [f"disruption_{k}", round(0.5 / max(1, size.scenarios), 4), rng.choice(COUNTRIES[:6]),
             (start := rng.randint(1, T)), min(T, start + rng.randint(0, T // 3)), rng.choice([0.5, 1.0])]
            for k in range(1, size.scenarios + 1)],
    }
    if size.projects:
        add_projects(sheets, size.projects, base_price, demand, seed)
    if contracts:
        sheets["Contracts"] = contract_rows(contracts, seed, T, minerals, suppliers, country, base_price, demand)
    add_stock_flows(sheets, size, seed, base_price, demand)
    if size.conversions or size.emergencies:  # their own random stream: the sheets above stay as they were
        add_issue_14_sheets(sheets, size, random.Random(seed + 14), minerals, suppliers, base_price, demand)
    return sheets


def add_projects(sheets: dict[str, list], count: int, base_price: dict[str, float], demand: dict[str, float],
                 seed: int) -> None:
    """``count`` capacity projects, each a new US plant selling one or two minerals at 75% of their base
    price, up to half their demand a period, once built (2-4 periods); capex near what its output saves
    over the horizon (0.5 to 1.5 times), so funding it is a real decision. Drawn from their own random
    numbers, so the rest of the workbook is the one without projects."""
    rng = random.Random(seed + 1)
    T = sheets["Settings"][1][1]
    minerals = list(base_price)
    sheets["Projects"] = [["project", "supplier", "capex", "build_periods", "first_period", "last_period",
                           "decided", "life_periods"]]
    for k in range(1, count + 1):
        plant = f"plant_{k:02d}"
        sheets["Suppliers"].append([plant, "USA", 0.05, 0])
        saving = 0.0
        for m in rng.sample(minerals, min(len(minerals), rng.choice([1, 1, 2]))):
            capacity = round(demand[m] * 0.5, 1)
            sheets["Offers"].append([plant, m, round(base_price[m] * 0.75, 2), 1, 0, capacity, 0, 1, T])
            saving += 0.25 * base_price[m] * capacity * T
        build = rng.choice([2, 3, 4])
        sheets["Projects"].append([f"project_{k:02d}", plant, round(saving * rng.uniform(0.5, 1.5), 0), build, 1,
                                   max(1, T // 2), None, T])



def contract_rows(count: int, seed: int, T: int, minerals: list[str], suppliers: list[str], country: dict,
                  base_price: dict, demand: dict) -> list:
    """``count`` offtake contracts with suppliers outside China (their own random stream, so the rest of the
    workbook does not change): near the mineral's price, a quarter to a half of its demand a period, half
    the horizon long, a take-or-pay minimum; one in four signed (with a smaller minimum)."""
    rng = random.Random(f"{seed}-contracts")
    outside = [s for s in suppliers if country[s] != "China"]
    rows = [["contract", "supplier", "mineral", "first_period", "last_period", "unit_price", "lead_time",
             "max_per_period", "min_quantity", "max_quantity", "signing_cost", "signed"]]
    for k in range(1, count + 1):
        mineral, supplier = rng.choice(minerals), rng.choice(outside)
        first = rng.randint(1, max(1, T // 2))
        last = min(T, first + T // 2)
        lead_time = rng.choice([0, 1, 2])
        per_period = round(demand[mineral] * rng.uniform(0.25, 0.5), 1)
        room = per_period * max(1, min(last, T - lead_time) - first + 1)
        signed = k % 4 == 1
        rows.append([f"contract_{k:02d}", supplier, mineral, first, last,
                     round(base_price[mineral] * rng.uniform(0.85, 1.1), 2), lead_time, per_period,
                     round(room * rng.uniform(0.1, 0.2) if signed else room * rng.uniform(0.2, 0.5), 1),
                     round(room * 0.8, 1), rng.choice([0, 20_000, 100_000]), "yes" if signed else None])
    return rows


def add_stock_flows(sheets: dict[str, list], size: Size, seed: int, base_price: dict[str, float],
                    demand: dict[str, float]) -> None:
    """Sales rows and decaying minerals (``size.sales``, ``size.decaying``), drawn from their own random
    stream so that the rest of the workbook is the same with or without them. Sales are priced at 0.6 x
    the mineral's base price (below every offer, so no buying to sell) and capped at half its demand."""
    if not (size.sales or size.decaying):
        return
    rng = random.Random(f"stock flows {seed}")
    minerals = [row[0] for row in sheets["Minerals"][1:]]
    if size.decaying:
        sheets["Minerals"][0].append("loss_rate")
        decaying = set(rng.sample(minerals, min(size.decaying, len(minerals))))
        for row in sheets["Minerals"][1:]:
            row.append(round(rng.uniform(0.005, 0.03), 4) if row[0] in decaying else None)
    T = size.periods
    sheets["Sales"] = [["mineral", "first_period", "last_period", "unit_price", "max_per_period", "source"]]
    for _ in range(size.sales):
        mineral = rng.choice(minerals)
        first = rng.randint(1, T)
        sheets["Sales"].append([mineral, first, min(T, first + rng.randint(0, T // 4)),
                                round(base_price[mineral] * 0.6, 2), round(demand[mineral] * 0.5, 1),
                                rng.choice(["Stockpile fund", "Private"])])


def add_issue_14_sheets(sheets: dict[str, list], size: Size, rng: random.Random, minerals: list[str],
                        suppliers: list[str], base_price: dict[str, float], demand: dict[str, float]) -> None:
    """Conversions (mineral i to mineral i + 1, at home or at a toll processor; minerals taken in pairs
    while they last, so no chain returns) and emergency scenarios (a supply_loss 0 row and a surge of
    twice the demand of two minerals over a few periods)."""
    T = size.periods
    sheets["Conversions"] = [["conversion", "from_mineral", "to_mineral", "yield", "unit_cost", "lead_time",
                              "max_per_period", "supplier"]]
    for n in range(size.conversions):
        source, target = minerals[(2 * n) % len(minerals)], minerals[(2 * n + 1) % len(minerals)]
        if source == target:
            break
        conversion_yield = round(rng.uniform(0.7, 0.95), 2)
        sheets["Conversions"].append([
            f"conversion_{n + 1:02d}", source, target, conversion_yield,
            round(max(1.0, base_price[target] * conversion_yield - base_price[source]) * rng.uniform(0.5, 1.2), 2),
            rng.choice([0, 1]), round(demand[target] * rng.uniform(0.5, 1.0), 1),
            rng.choice([None, *suppliers])])
    sheets["ScenarioDemand"] = [["scenario", "mineral", "period", "quantity", "shortfall_penalty"]]
    for k in range(1, size.emergencies + 1):
        name = f"emergency_{k}"
        start = rng.randint(1, max(1, T - 2))
        sheets["Scenarios"].append([name, 0.02, COUNTRIES[0], start, start, 0.0])  # demand only, no loss
        for mineral in rng.sample(minerals, min(2, len(minerals))):
            for t in range(start, min(T, start + 2) + 1):
                sheets["ScenarioDemand"].append([name, mineral, t, round(demand[mineral] * 2, 1),
                                                 round(base_price[mineral] * 5, 2)])


def write_generated_workbook(path: Path, size: Size, seed: int = 0, contracts: int = 0) -> Path:
    """Write a generated planning workbook of ``size`` (the same ``seed``, the same workbook) to ``path``,
    with ``contracts`` offtake contracts."""
    return write_sheets(path, generate_sheets(size, seed, contracts=contracts))


def write_sheets(path: Path, sheets: dict[str, list]) -> Path:
    """Sheets as {name: [header, row, row, ...]} (lists of cell values) to a workbook at ``path``."""
    book = openpyxl.Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
