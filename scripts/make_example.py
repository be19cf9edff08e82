"""Write the example planning workbook (``inputs/example.xlsx``).

The workbook follows the input contract in ``workbook.md`` exactly: one sheet per
contract sheet, lower-case headers in row 1, plain values (no formulas) from row
2. Prices are the approximate 2024 figures of the USGS Mineral Commodity
Summaries 2025; programme amounts are the public Project Vault and National
Defense Stockpile figures. Everything else (suppliers, capacities, lead times,
consumption, targets, risk scores, scenarios) is illustrative. Every figure is
explained in ``docs/example.md``.

Run ``python scripts/make_example.py`` to regenerate the workbook.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import zipfile
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

NUM_PERIODS = 12
CHINA = "China"

# Sheet name -> column headers, in the order of workbook.md.
HEADERS = {
    "Settings": ["key", "value"],
    "Minerals": ["mineral", "unit", "initial_stock", "holding_cost", "shortfall_penalty",
                 "max_stock", "max_supplier_share", "max_avg_risk", "world_supply"],
    "Suppliers": ["supplier", "country", "risk_score", "onboarding_cost"],
    "Offers": ["supplier", "mineral", "unit_price", "lead_time", "min_order",
               "max_per_period", "order_cost", "first_period", "last_period"],
    "Prices": ["supplier", "mineral", "period", "unit_price"],
    "Discounts": ["supplier", "mineral", "min_quantity", "discount"],
    "Demand": ["mineral", "period", "quantity"],
    "Targets": ["mineral", "period", "min_stock"],
    "Pipeline": ["supplier", "mineral", "period", "quantity"],
    "Commitments": ["supplier", "mineral", "period", "quantity"],
    "Funding": ["source", "amount", "first_period", "last_period", "cost_rate",
                "excluded_countries", "minerals"],
    "Budgets": ["source", "period", "amount"],
    "Countries": ["country", "max_share"],
    "Origins": ["supplier", "mineral", "country", "share"],
    "Projects": ["project", "supplier", "capex", "build_periods", "first_period", "last_period", "decided",
                 "life_periods"],
    "Contracts": ["contract", "supplier", "mineral", "first_period", "last_period", "unit_price", "lead_time",
                  "max_per_period", "min_quantity", "max_quantity", "signing_cost", "signed"],
    "Scenarios": ["scenario", "probability", "country", "first_period", "last_period",
                  "supply_loss"],
    "Sales": ["mineral", "first_period", "last_period", "unit_price", "max_per_period", "source"],
    "ScenarioDemand": ["scenario", "mineral", "period", "quantity", "shortfall_penalty"],
    "Conversions": ["conversion", "from_mineral", "to_mineral", "yield", "unit_cost", "lead_time",
                    "max_per_period", "supplier"],
}

SETTINGS = [
    ("num_periods", NUM_PERIODS),
    ("period_unit", "quarter"),
    ("start_date", dt.date(2027, 1, 1)),
    ("currency", "USD"),
    ("risk_weight", 0.05),
    ("mip_gap", 0.001),
    ("time_limit_s", 120),
]

# mineral -> unit, reference price per unit (USGS MCS 2025, 2024 approx.),
# US consumption per year in units (illustrative), stockpile target in days of
# consumption (illustrative), initial stock (illustrative), shortfall penalty
# per unit (None: the contract default, 10 x the highest offer price),
# max_supplier_share, max_avg_risk.
MINERALS = {
    #                     unit     ref price  use/yr  days  init  penalty     share  risk
    "gallium":           ("t",       500_000,     20,   90,  0.5, 10_000_000, 0.6, 0.45),
    "germanium":         ("t",     2_100_000,     30,   90,    3, None,       0.6, 0.45),
    "antimony":          ("t",        21_000, 24_000,   60,  500, None,       0.6, 0.50),
    "NdPr oxide":        ("t",        60_000,  2_000,   60,    0, None,       0.6, 0.50),
    "natural graphite":  ("t",         1_070, 75_000,   60,    0, 5_000,      0.6, 0.50),
    "cobalt":            ("t",        37_500,  8_000,   60,  150, None,       0.6, 0.55),
    "lithium carbonate": ("t",        14_000, 16_000,   60,    0, None,       0.6, 0.50),
    "tungsten APT":      ("t WO3",    25_000, 12_000,   60,  300, None,       0.6, 0.50),
    "ferroniobium":      ("t",        26_000, 12_000,   60,    0, None,       0.8, 0.50),
    "indium":            ("t",       340_000,    150,   60,    0, None,       0.6, 0.50),
}
# mineral -> what the world market sells in one period (Minerals.world_supply): primary gallium about
# 760 t a year [context: market size], a quarter of it per period. Other minerals have no market cap.
WORLD_SUPPLY = {"gallium": 760 / 4}
# Forms bought only to be upgraded (no demand, no target): unit, reference price, initial stock,
# max_supplier_share, max_avg_risk. Tungsten concentrate priced at about 70% of APT per t WO3 (illustrative).
FORMS = {
    "tungsten concentrate": ("t WO3", 17_000, 0, 1.0, 0.5),
}
HOLDING_RATE = 0.025  # share of the reference price per quarter (illustrative)
STORAGE_FACTOR = 2.0  # max_stock = this x the final target (illustrative)
TARGET_FROM = 2  # first period with a target (nothing can arrive in time before)
TARGET_FULL = 8  # targets rise linearly to their full days by this period
RELEASE_DAYS = 5  # releases per quarter, in days of consumption (illustrative)
RELEASE_FROM = 3  # first period with releases

# supplier -> country, risk_score, onboarding_cost (all illustrative). Only new
# suppliers, with no contract yet, carry an onboarding cost.
SUPPLIERS = {
    "CN Minor Metals Refiner":     (CHINA,         0.85,         0),
    "CN Antimony Smelter":         (CHINA,         0.85,         0),
    "CN Rare Earths Separator":    (CHINA,         0.90,         0),
    "CN Battery Materials Group":  (CHINA,         0.80,         0),
    "CN Tungsten Producer":        (CHINA,         0.85,         0),
    "JP Gallium Recycler":         ("Japan",       0.10,         0),
    "DE Gallium Refiner":          ("Germany",     0.15, 2_000_000),
    "BE Specialty Metals Refiner": ("Belgium",     0.15,         0),
    "CA Metals Refiner":           ("Canada",      0.10,         0),
    "TJ Antimony Producer":        ("Tajikistan",  0.60,         0),
    "US Antimony Project":         ("USA",         0.05, 3_000_000),
    "MY Rare Earths Separator":    ("Malaysia",    0.25,         0),
    "EE Rare Earths Separator":    ("Estonia",     0.20, 1_500_000),
    "US Rare Earths Separator":    ("USA",         0.05, 5_000_000),
    "MZ Graphite Miner":           ("Mozambique",  0.45,         0),
    "CA Graphite Producer":        ("Canada",      0.10, 2_000_000),
    "CD Cobalt Producer":          ("DRC",         0.65,         0),
    "ID Nickel-Cobalt Producer":   ("Indonesia",   0.50,   750_000),
    "CL Lithium Producer":         ("Chile",       0.20,         0),
    "AU Lithium Refiner":          ("Australia",   0.10, 2_500_000),
    "VN Tungsten Producer":        ("Vietnam",     0.40,         0),
    "KR Tungsten Producer":        ("South Korea", 0.15, 2_000_000),
    "KR Zinc Smelter":             ("South Korea", 0.15,         0),
    "US Zinc Smelter Tennessee":   ("USA",         0.05,         0),
    "BR Niobium Producer":         ("Brazil",      0.25,         0),
    "CA Niobium Producer":         ("Canada",      0.10, 1_000_000),
    "US MP Materials":             ("USA",         0.05,         0),
    "PT Tungsten Miner":           ("Portugal",    0.10,         0),
}

# (supplier, mineral, unit_price, lead_time, min_order, max_per_period,
#  order_cost, first_period, last_period); None leaves the cell blank (default).
# Established suppliers sell spot lots through traders (no minimum, no order
# cost); most new plants and the DRC bulk shipments take a minimum lot and a
# fixed cost per order. Keeping those few keeps the model quick to solve.
OFFERS = [
    ("CN Minor Metals Refiner", "gallium", 380_000, 1, None, 3, None, None, None),
    ("JP Gallium Recycler", "gallium", 560_000, 0, None, 1.5, None, None, None),
    ("DE Gallium Refiner", "gallium", 600_000, 2, 0.5, 2, 50_000, 5, None),
    ("CN Minor Metals Refiner", "germanium", 1_900_000, 1, None, 3, None, None, None),
    ("BE Specialty Metals Refiner", "germanium", 2_300_000, 1, None, 2, None, None, None),
    ("CA Metals Refiner", "germanium", 2_250_000, 2, None, 1.5, None, None, None),
    ("CN Antimony Smelter", "antimony", 21_000, 1, None, 800, None, None, None),
    ("TJ Antimony Producer", "antimony", 22_500, 2, None, 500, None, None, None),
    ("US Antimony Project", "antimony", 26_000, 1, 100, 400, 100_000, 6, None),
    ("CN Rare Earths Separator", "NdPr oxide", 55_000, 1, None, 150, None, None, None),
    ("MY Rare Earths Separator", "NdPr oxide", 62_000, 1, None, 80, None, None, None),
    ("EE Rare Earths Separator", "NdPr oxide", 65_000, 2, None, 40, None, None, None),
    ("US Rare Earths Separator", "NdPr oxide", 70_000, 2, 20, 60, 100_000, 5, None),
    ("CN Battery Materials Group", "natural graphite", 950, 1, None, 5_000, None, None, None),
    ("MZ Graphite Miner", "natural graphite", 1_070, 3, None, 3_000, None, None, None),
    ("CA Graphite Producer", "natural graphite", 1_250, 1, 500, 2_000, 75_000, 5, None),
    ("CN Battery Materials Group", "cobalt", 35_500, 1, None, 500, None, None, None),
    ("CD Cobalt Producer", "cobalt", 36_500, 2, 50, 400, 250_000, None, None),
    ("ID Nickel-Cobalt Producer", "cobalt", 37_000, 2, None, 300, None, None, None),
    ("BE Specialty Metals Refiner", "cobalt", 39_500, 1, None, 250, None, None, None),
    ("CN Battery Materials Group", "lithium carbonate", 13_000, 1, None, 1_500, None, None, None),
    ("CL Lithium Producer", "lithium carbonate", 14_000, 2, None, 1_200, None, None, None),
    ("AU Lithium Refiner", "lithium carbonate", 15_000, 1, 200, 800, 100_000, 3, None),
    ("CN Tungsten Producer", "tungsten APT", 23_500, 1, None, 600, None, None, None),
    ("VN Tungsten Producer", "tungsten APT", 25_500, 1, None, 250, None, None, None),
    ("KR Tungsten Producer", "tungsten APT", 27_000, 1, None, 300, None, 4, None),
    ("PT Tungsten Miner", "tungsten concentrate", 17_000, 1, None, 250, None, None, None),
    ("BR Niobium Producer", "ferroniobium", 26_000, 2, None, 800, None, None, None),
    ("CA Niobium Producer", "ferroniobium", 27_500, 2, 100, 400, 100_000, None, None),
    ("CN Minor Metals Refiner", "indium", 320_000, 1, None, 12, None, None, None),
    ("KR Zinc Smelter", "indium", 345_000, 0, None, 8, None, None, None),
    ("CA Metals Refiner", "indium", 355_000, 2, None, 6, None, None, 10),
    # the Tennessee smelter's output (project below): the programme's 40% share, volumes and prices illustrative
    ("US Zinc Smelter Tennessee", "antimony", 24_000, 1, None, 250, None, None, None),
    ("US Zinc Smelter Tennessee", "germanium", 2_200_000, 1, None, 1.5, None, None, None),
    ("US Zinc Smelter Tennessee", "indium", 340_000, 1, None, 8, None, None, None),
]

# Price updates: (supplier, mineral, periods, unit_price).
PRICE_UPDATES = [
    # antimony spike, at the November 2024 price of $17.50/lb (USGS MCS 2025)
    ("CN Antimony Smelter", "antimony", range(3, 7), 38_600),
    ("TJ Antimony Producer", "antimony", range(4, 6), 40_000),
    # tighter Chinese gallium controls raise the ex-China price (illustrative)
    ("CN Minor Metals Refiner", "gallium", range(5, 13), 650_000),
]

# All-units volume discounts: (supplier, mineral, min_quantity, discount).
DISCOUNTS = [
    ("CN Battery Materials Group", "natural graphite", 4_000, 0.05),
    ("CL Lithium Producer", "lithium carbonate", 1_000, 0.04),
    ("BR Niobium Producer", "ferroniobium", 500, 0.03),
    ("BR Niobium Producer", "ferroniobium", 700, 0.06),
]

# Arrivals already paid for: (supplier, mineral, period, quantity).
PIPELINE = [
    ("BE Specialty Metals Refiner", "germanium", 1, 1.0),
    ("VN Tungsten Producer", "tungsten APT", 1, 150),
    ("CN Antimony Smelter", "antimony", 2, 300),
    ("MY Rare Earths Separator", "NdPr oxide", 2, 40),
    ("CD Cobalt Producer", "cobalt", 2, 100),
]

# Orders already decided: (supplier, mineral, period, quantity).
COMMITMENTS = [
    ("AU Lithium Refiner", "lithium carbonate", 3, 500),
    ("US Rare Earths Separator", "NdPr oxide", 5, 40),
]

# (source, amount, first_period, last_period, cost_rate, excluded_countries, minerals)
FUNDING = [
    ("Ex-Im loan", 10_000_000_000, None, None, 0.04, CHINA, None),
    ("Private capital", 1_670_000_000, None, None, 0.08, None, None),
    ("NDS fund", 2_000_000_000, None, None, 0.0, CHINA,
     "gallium, germanium, antimony, tungsten APT, NdPr oxide"),
    # DoD's $760M for 40% of Korea Zinc's Tennessee smelter (Dec 2025), paid over its build periods: money for
    # the US plant, so it excludes every other country selling the smelter's three metals
    ("DoD smelter equity", 760_000_000, 1, 8, 0.0, "China, Tajikistan, Belgium, Canada, South Korea",
     "antimony, germanium, indium"),
]

# Per-period caps on what this ten-mineral portfolio may draw from each source,
# in millions of USD for periods 1..12 (illustrative disbursement schedule).
BUDGET_CAPS_MUSD = {
    "Ex-Im loan":      [40, 60, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80],
    "Private capital": [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8],
    "NDS fund":        [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8],
}

COUNTRIES = [
    (CHINA, 0.65),  # EU Critical Raw Materials Act: at most 65% from one third country
]

# (supplier, mineral, country, share): upstream origin, all illustrative. The Belgian refiner's
# germanium is partly refined from Chinese concentrate and zinc-smelter residues; the Japanese
# recycler's gallium scrap is partly imported from Chinese wafer and LED plants.
ORIGINS = [
    ("BE Specialty Metals Refiner", "germanium", CHINA, 0.3),
    ("JP Gallium Recycler", "gallium", CHINA, 0.2),
]

# (project, supplier, capex, build_periods, first_period, last_period, decided, life_periods): Korea Zinc's
# Tennessee smelter, decided in December 2025 (DoD pays about $760M for 40% of its ~$6.6B capex), phased
# operation from 2029: built over the 8 quarters of 2027-2028, output from Q1 2029 (period 9). Its output
# life of 20 years (80 quarters) is illustrative.
PROJECTS = [
    ("Tennessee smelter", "US Zinc Smelter Tennessee", 760_000_000, 8, 1, 1, "yes", 80),
]

# (contract, supplier, mineral, first_period, last_period, unit_price, lead_time, max_per_period,
#  min_quantity, max_quantity, signing_cost, signed). DoD's offtake of MP Materials' magnet plant (July 2025,
# public): 100% of a 10,000 t/yr plant commissioning 2028 (period 5), a $110/kg NdPr price floor, signed.
# The example buys NdPr oxide, not magnets: the stockpile's part of the plant's NdPr content is
# illustrative (at most 60 t a quarter, 400 t in all, 240 t take-or-pay), as is the one-quarter lead time.
CONTRACTS = [
    ("DoD-MP Materials NdPr offtake", "US MP Materials", "NdPr oxide", 5, 12, 110_000, 1, 60, 240, 400, 0, "yes"),
]

# (scenario, probability, country, first_period, last_period, supply_loss)
SCENARIOS = [
    ("China ban 2028", 0.2, CHINA, 5, 12, 1.0),
    ("China partial restriction", 0.3, CHINA, 3, 8, 0.5),
    ("DRC cobalt disruption", 0.1, "DRC", 6, 9, 0.7),
    ("Pacific conflict", 0.05, CHINA, 5, 12, 1.0),  # the ban, and a conflict on top (illustrative)
]
# The conflict's emergency demand (illustrative): defence electronics draw three times the usual releases of
# gallium and germanium in periods 8-10, essential demand priced at twice the mineral's shortfall_penalty.
SURGE = {"gallium": 20_000_000, "germanium": 42_000_000}  # mineral -> shortfall_penalty of the surge
SURGE_PERIODS = (8, 9, 10)
SURGE_FACTOR = 3

# (conversion, from_mineral, to_mineral, yield, unit_cost, lead_time, max_per_period, supplier):
# tungsten concentrate roasted into APT by the Vietnamese producer as a toll processor, 90% of the
# WO3 recovered, USD 3,000 a t WO3 (illustrative), up to 200 t WO3 a quarter.
CONVERSIONS = [
    ("APT from concentrate", "tungsten concentrate", "tungsten APT", 0.9, 3_000, 1, 200, "VN Tungsten Producer"),
]


# (mineral, first_period, last_period, unit_price, max_per_period, source): disposals under the Annual
# Materials Plan, receipts to the NDS Transaction Fund (50 U.S.C. 98h). The cobalt held before the targets
# start (period 2) sold in period 1 at about $21/lb, the alloy-grade price after the DRC export ban
# (Oct 2025); the cap of 150 t (the initial stock) is illustrative.
SALES = [
    ("cobalt", 1, 1, 46_000, 150, "NDS fund"),
]


def _round(value: float) -> float | int:
    """Round a quantity: whole units from 100 up, two decimals below."""
    if value >= 100:
        return int(round(value))
    return round(value, 2)


def _daily_use(mineral: str) -> float:
    return MINERALS[mineral][2] / 365.0


def minerals_rows() -> list[tuple]:
    """The Minerals sheet: unit, initial stock, holding cost, penalty, storage, share and risk caps per mineral."""
    rows = []
    for mineral, (unit, price, _use, days, init, penalty, share, risk) in MINERALS.items():
        final_target = days * _daily_use(mineral)
        rows.append((
            mineral,
            unit,
            init,
            _round(HOLDING_RATE * price),
            penalty,
            _round(STORAGE_FACTOR * final_target),
            share,
            risk,
            WORLD_SUPPLY.get(mineral),
        ))
    return rows


def forms_rows() -> list[tuple]:
    """The Minerals rows of the forms bought only to be upgraded (FORMS): no penalty, storage or target."""
    return [(mineral, unit, init, _round(HOLDING_RATE * price), None, None, share, risk, None)
            for mineral, (unit, price, init, share, risk) in FORMS.items()]


def surge_rows() -> list[tuple]:
    """The ScenarioDemand sheet: the Pacific conflict's demand, SURGE_FACTOR x the releases, in SURGE_PERIODS."""
    return [("Pacific conflict", mineral, t, _round(SURGE_FACTOR * RELEASE_DAYS * _daily_use(mineral)), penalty)
            for mineral, penalty in SURGE.items() for t in SURGE_PERIODS]


def demand_rows() -> list[tuple]:
    """The Demand sheet: each mineral's releases from RELEASE_FROM on, RELEASE_DAYS of use a period."""
    return [
        (mineral, t, _round(RELEASE_DAYS * _daily_use(mineral)))
        for mineral in MINERALS
        for t in range(RELEASE_FROM, NUM_PERIODS + 1)
    ]


def targets_rows() -> list[tuple]:
    """The Targets sheet: each mineral's target, rising evenly from TARGET_FROM to its full days at TARGET_FULL."""
    rows = []
    for mineral, spec in MINERALS.items():
        days = spec[3]
        for t in range(TARGET_FROM, NUM_PERIODS + 1):
            share = min(t - TARGET_FROM + 1, TARGET_FULL - TARGET_FROM + 1) / (
                TARGET_FULL - TARGET_FROM + 1)
            rows.append((mineral, t, _round(share * days * _daily_use(mineral))))
    return rows


def prices_rows() -> list[tuple]:
    """The Prices sheet: the price updates of PRICE_UPDATES, one row per period."""
    return [
        (supplier, mineral, t, price)
        for supplier, mineral, periods, price in PRICE_UPDATES
        for t in periods
    ]


def budgets_rows() -> list[tuple]:
    """The Budgets sheet: each source's per-period caps of BUDGET_CAPS_MUSD, in dollars."""
    return [
        (source, t, amount * 1_000_000)
        for source, caps in BUDGET_CAPS_MUSD.items()
        for t, amount in enumerate(caps, start=1)
    ]


def write_sheet(wb: Workbook, name: str, headers: Sequence[str],
                rows: Iterable[Sequence]) -> None:
    """Append a sheet: bold header row 1, data from row 2, blank for None."""
    ws = wb.create_sheet(name)
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"{name}: row {row!r} does not match {headers!r}")
        ws.append(list(row))
        for i, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.cell(ws.max_row, i + 1).number_format = "yyyy-mm-dd"
                text = value.isoformat()
            elif isinstance(value, (int, float)):
                text = f"{value:,}"
            else:
                text = "" if value is None else str(value)
            widths[i] = max(widths[i], len(text))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 60)
    ws.freeze_panes = "A2"


def sheet_rows() -> dict[str, list[Sequence]]:
    """The data rows of every sheet, keyed like ``HEADERS``."""
    return {
        "Settings": SETTINGS,
        "Minerals": minerals_rows() + forms_rows(),
        "Suppliers": [(name, *spec) for name, spec in SUPPLIERS.items()],
        "Offers": OFFERS,
        "Prices": prices_rows(),
        "Discounts": DISCOUNTS,
        "Demand": demand_rows(),
        "Targets": targets_rows(),
        "Pipeline": PIPELINE,
        "Commitments": COMMITMENTS,
        "Funding": FUNDING,
        "Budgets": budgets_rows(),
        "Countries": COUNTRIES,
        "Origins": ORIGINS,
        "Projects": PROJECTS,
        "Contracts": CONTRACTS,
        "Scenarios": SCENARIOS,
        "Sales": SALES,
        "ScenarioDemand": surge_rows(),
        "Conversions": CONVERSIONS,
    }


def write_example_workbook(path: pathlib.Path) -> None:
    """Write the example planning workbook to ``path`` (parents are created)."""
    path = pathlib.Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    rows = sheet_rows()
    for name, headers in HEADERS.items():
        write_sheet(wb, name, headers, rows[name])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")  # no half-written workbook
    wb.save(tmp)
    _make_reproducible(tmp)
    tmp.replace(path)


def _make_reproducible(path: pathlib.Path) -> None:
    """Pin the zip entry times and document dates openpyxl sets to "now", so
    that regenerating the workbook gives the same bytes (and input_sha256)."""
    stamp = "2026-01-01T00:00:00Z"
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                              rb"\g<1>" + stamp.encode(), data)
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"
    write_example_workbook(out)
    print(out)
