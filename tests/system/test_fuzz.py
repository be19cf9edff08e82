"""Fuzzing with hypothesis: random valid workbooks are planned correctly, random broken ones refused.

Valid workbooks (a few minerals, suppliers and periods; random prices, caps,
discount tiers, scenarios, funding rules, budgets and commitments) go through the
whole pipeline: every plan must pass the independent checker, and its objective
can never be below the bound of the LP relaxation of the same model.

Broken workbooks are valid ones with one corruption (a wrong type, a blank
required cell, a number out of range, an unknown name, a sheet or column deleted,
a key row duplicated, garbage bytes, a truncated or damaged file): the command
line must refuse each with exit 2 and a message, never a traceback, never a plan.

Example counts are modest so the file runs in well under a minute on two cores; CI
runs them derandomized (the same examples every run), developers' runs explore.
"""

from __future__ import annotations

import datetime
import functools
import io
import os
import tempfile
import zipfile
from pathlib import Path

import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import build_model
from optimizer.contract import schema
from optimizer.checker import check_result_workbook
from optimizer.cli import main
from optimizer.files import TEMPORARY_SUFFIX
from optimizer.intake.generate import Size, generate_sheets, write_sheets
from optimizer.pipeline import run
from optimizer.contract.results import INFEASIBLE, OPTIMAL
from optimizer.solving.highs import solve_model
from workbooks import write_workbook

FUZZ = dict(deadline=None, derandomize=bool(os.environ.get("CI")), database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COUNTRIES = ("China", "Canada", "Chile")


# ------------------------------------------------------ valid workbooks
@st.composite
def planning_workbooks(draw) -> dict:
    """A random valid workbook in ``write_workbook`` form; small numbers keep the solves quick."""
    T = draw(st.integers(1, 4))
    periods = st.integers(1, T)
    minerals = [f"m{i}" for i in range(draw(st.integers(1, 3)))]
    suppliers = [f"s{j}" for j in range(draw(st.integers(1, 3)))]
    country = {s: draw(st.sampled_from(COUNTRIES)) for s in suppliers}
    pairs = [(s, m) for s in suppliers for m in minerals]
    offered = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=1, max_size=len(pairs)))  # Offers: required

    offers = []
    for s, m in offered:
        min_order = draw(st.sampled_from([0, 0, 2, 5]))
        first = draw(periods)
        offers.append({
            "supplier": s, "mineral": m, "unit_price": draw(st.integers(1, 100)),
            "lead_time": draw(st.integers(0, 2)), "min_order": min_order,
            "max_per_period": draw(st.one_of(st.none(), st.integers(max(min_order, 1), 60))),
            "order_cost": draw(st.sampled_from([0, 5, 50])), "first_period": first,
            "last_period": draw(st.one_of(st.none(), st.integers(first, T))),
        })
    pipeline = [{"supplier": draw(st.sampled_from(suppliers)), "mineral": m, "period": draw(periods),
                 "quantity": draw(st.integers(1, 20))}
                for m in minerals if draw(st.booleans())]
    mineral_rows = []
    for m in minerals:
        initial = draw(st.integers(0, 20))
        arriving = initial + sum(p["quantity"] for p in pipeline if p["mineral"] == m)
        has_offer = any(o["mineral"] == m for o in offers)
        mineral_rows.append({
            "mineral": m, "initial_stock": initial, "holding_cost": draw(st.sampled_from([0, 0.5, 2])),
            "shortfall_penalty": draw(st.integers(50, 500)) if not has_offer or draw(st.booleans()) else None,
            # Storage below what is already in hand or arriving would make a workbook infeasible by itself.
            "max_stock": draw(st.one_of(st.none(), st.integers(arriving, arriving + 100))),
            "max_supplier_share": draw(st.sampled_from([1, 1, 0.5, 0.8])),
            "max_avg_risk": draw(st.sampled_from([1, 1, 0.3, 0.6])),
        })
    sheets = {
        "Settings": {"num_periods": T, "mip_gap": 0, "time_limit_s": 60,
                     "risk_weight": draw(st.sampled_from([0, 0, 0.1]))},
        "Minerals": mineral_rows,
        "Suppliers": [{"supplier": s, "country": country[s], "risk_score": draw(st.sampled_from([0, 0.2, 0.5, 0.9])),
                       "onboarding_cost": draw(st.sampled_from([0, 0, 100]))} for s in suppliers],
        "Offers": offers,
        "Funding": _funding(draw, T, minerals),
        "Pipeline": pipeline,
        "Demand": [{"mineral": m, "period": t, "quantity": draw(st.integers(1, 30))}
                   for m in minerals for t in range(1, T + 1) if draw(st.booleans())],
        "Targets": [{"mineral": m, "period": t, "min_stock": draw(st.integers(1, 40))}
                    for m in minerals for t in range(1, T + 1) if draw(st.integers(0, 3)) == 0],
        "Prices": [{"supplier": o["supplier"], "mineral": o["mineral"], "period": t,
                    "unit_price": draw(st.integers(1, 100))}
                   for o in offers for t in range(1, T + 1) if draw(st.integers(0, 3)) == 0],
        "Discounts": [{"supplier": o["supplier"], "mineral": o["mineral"], "min_quantity": q,
                       "discount": draw(st.sampled_from([0.05, 0.1, 0.3]))}
                      for o in offers for q in draw(st.lists(st.sampled_from([5, 10, 25]), unique=True, max_size=2))],
        "Countries": [{"country": c, "max_share": draw(st.sampled_from([0.4, 0.7, 1]))}
                      for c in COUNTRIES if draw(st.integers(0, 2)) == 0],
        "Commitments": _commitments(draw, offers, T),
    }
    sheets["Budgets"] = [{"source": f["source"], "period": t, "amount": draw(st.integers(0, 2000))}
                         for f in sheets["Funding"] for t in range(1, T + 1) if draw(st.integers(0, 3)) == 0]
    sheets["Scenarios"] = _scenarios(draw, T)
    return {name: rows for name, rows in sheets.items() if rows}


def _funding(draw, T: int, minerals: list[str]) -> list[dict]:
    sources = []
    for k in range(draw(st.integers(1, 2))):
        first = draw(st.integers(1, T))
        excluded = draw(st.lists(st.sampled_from(COUNTRIES), unique=True, max_size=2))
        listed = draw(st.one_of(st.none(), st.lists(st.sampled_from(minerals), unique=True, min_size=1)))
        sources.append({
            "source": f"F{k}", "amount": draw(st.sampled_from([0, 300, 3000, 100_000])),
            "first_period": first, "last_period": draw(st.integers(first, T)),
            "cost_rate": draw(st.sampled_from([0, 0.05])),
            "excluded_countries": ", ".join(excluded) or None, "minerals": ", ".join(listed) if listed else None,
        })
    return sources


def _commitments(draw, offers: list[dict], T: int) -> list[dict]:
    """Orders that fit their offer's window, lead time, minimum and capacity (they may break funding)."""
    rows = []
    for offer in offers:
        last = min(offer["last_period"] or T, T - offer["lead_time"])
        if last < offer["first_period"] or draw(st.integers(0, 4)) > 0:
            continue
        high = offer["max_per_period"] or 30
        rows.append({"supplier": offer["supplier"], "mineral": offer["mineral"],
                     "period": draw(st.integers(offer["first_period"], last)),
                     "quantity": draw(st.integers(max(1, offer["min_order"]), max(1, offer["min_order"], high)))})
    return rows


def _scenarios(draw, T: int) -> list[dict]:
    rows = []
    for k in range(draw(st.integers(0, 2))):
        probability = draw(st.sampled_from([0, 0.1, 0.3, 0.45]))
        for _ in range(draw(st.integers(1, 2))):
            first = draw(st.integers(1, T))
            rows.append({"scenario": f"k{k}", "probability": probability, "country": draw(st.sampled_from(COUNTRIES)),
                         "first_period": first, "last_period": draw(st.integers(first, T)),
                         "supply_loss": draw(st.sampled_from([0.5, 1]))})
    return rows


def lp_relaxation_bound(data) -> float:
    """The optimum of the same model with every integer variable relaxed to its interval, in currency."""
    model = build_model(data)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    result = solve_model(model, 0.0, 60.0)
    assert result.status == OPTIMAL, result.message
    return result.objective * model.facts.money_unit


@settings(max_examples=30, **FUZZ)
@given(sheets=planning_workbooks())
def test_every_plan_of_a_random_valid_workbook_passes_the_checker_and_the_lp_bound(sheets):
    with tempfile.TemporaryDirectory() as folder:
        source = write_workbook(Path(folder) / "random.xlsx", sheets)
        output = Path(folder) / "plan.xlsx"
        result = run(source, output, explain=False)
        plan = result.plan
        if plan.status == INFEASIBLE:  # only commitments can make a workbook infeasible (model.md)
            assert "Commitments" in sheets, plan.conflicts
            assert plan.conflicts and result.exit_code == 3 and not output.exists()
            return
        assert plan.status == OPTIMAL, plan.solve.message
        assert result.exit_code == 0 and result.output == output
        assert check_result_workbook(output, result.data) == []
        bound = lp_relaxation_bound(result.data)
        assert plan.objective >= bound - 1e-6 * max(1.0, abs(bound)), (plan.objective, bound)


# ---------------------------------------------------- broken workbooks
BASE = generate_sheets(Size(2, 3, 3, 1), seed=3)  # every sheet of the contract, {name: [header, rows...]}
UNIQUE_KEYS = ("Settings", "Minerals", "Suppliers", "Offers", "Funding", "Countries", "Prices", "Targets",
               "Budgets", "Discounts")
REFERENCES = {"Offers": ("supplier", "mineral"), "Prices": ("supplier", "mineral"),
              "Discounts": ("supplier", "mineral"), "Demand": ("mineral",), "Targets": ("mineral",),
              "Pipeline": ("supplier", "mineral"), "Commitments": ("supplier", "mineral"), "Budgets": ("source",)}
SPECS = {sheet.name: sheet for sheet in schema.SHEETS}
TYPED_SETTINGS = ("num_periods", "risk_weight", "mip_gap", "time_limit_s")


def _numeric(sheet: str) -> list[schema.Column]:
    return [c for c in SPECS[sheet].columns if c.kind in (schema.FLOAT, schema.INT) and c.name in BASE[sheet][0]]


KINDS = ("wrong type", "blank required", "out of range", "unknown name", "no sheet", "no column", "duplicate row",
         "garbage", "truncated", "damaged part")


@st.composite
def corrupted_workbooks(draw, kind: str) -> tuple[str, dict | bytes]:
    """(what was done, the broken sheets or the broken file's bytes) for one kind of corruption."""
    if kind in ("garbage", "truncated", "damaged part"):
        return kind, _broken_file(draw, kind)
    sheets = {name: [list(row) for row in rows] for name, rows in BASE.items()}
    tables = [name for name, rows in sheets.items() if len(rows) > 1 and name != "Settings"]
    if kind == "no sheet":
        name = draw(st.sampled_from([s.name for s in schema.SHEETS if s.required]))
        del sheets[name]
        return f"{kind}: {name}", sheets
    if kind == "duplicate row":
        name = draw(st.sampled_from([n for n in UNIQUE_KEYS if len(sheets[n]) > 1]))
        sheets[name].append(list(draw(st.sampled_from(sheets[name][1:]))))
        return f"{kind}: {name}", sheets
    if kind == "no column":
        name = draw(st.sampled_from(tables))
        required = [c.name for c in SPECS[name].columns if c.required and c.name in sheets[name][0]]
        if not required:
            name, required = "Settings", ["key"]
        index = sheets[name][0].index(draw(st.sampled_from(required)))
        sheets[name] = [row[:index] + row[index + 1:] for row in sheets[name]]
        return f"{kind}: {name}", sheets
    if kind == "unknown name":
        name = draw(st.sampled_from([n for n in REFERENCES if len(sheets[n]) > 1]))
        column = draw(st.sampled_from(REFERENCES[name]))
        row = draw(st.integers(1, len(sheets[name]) - 1))
        sheets[name][row][sheets[name][0].index(column)] = draw(st.sampled_from(["nowhere", "Mineral_01", "Loans"]))
        return f"{kind}: {name}.{column}", sheets
    if draw(st.booleans()):  # a Settings value
        key = "num_periods" if kind == "blank required" else draw(st.sampled_from(TYPED_SETTINGS))
        value = {"blank required": None, "out of range": {"num_periods": 0, "time_limit_s": 0}.get(key, -1),
                 "wrong type": draw(st.sampled_from(["abc", "1,5", datetime.date(2025, 1, 1), True]))}[kind]
        next(r for r in sheets["Settings"] if r[0] == key)[1] = value
        return f"{kind}: Settings.{key} = {value!r}", sheets
    if kind == "blank required":
        name = draw(st.sampled_from(tables))
        required = [c.name for c in SPECS[name].columns if c.required and c.name in sheets[name][0]]
        column = draw(st.sampled_from(required))
    else:
        name = draw(st.sampled_from([n for n in tables if any(
            kind == "wrong type" or c.minimum is not None or c.maximum is not None for c in _numeric(n))]))
        candidates = [c for c in _numeric(name)
                      if kind == "wrong type" or c.minimum is not None or c.maximum is not None]
        column = draw(st.sampled_from([c.name for c in candidates]))
    spec = next(c for c in SPECS[name].columns if c.name == column)
    row = draw(st.integers(1, len(sheets[name]) - 1))
    index = sheets[name][0].index(column)
    if kind == "blank required":
        value = None
    elif kind == "wrong type":
        value = draw(st.sampled_from(["abc", "12,5", "1_000", datetime.date(2025, 1, 1), True, "nan", "inf"]
                                     + ([2.5] if spec.kind == schema.INT else [])))
    else:
        value = draw(st.sampled_from(_out_of_range(spec)))
    sheets[name][row][index] = value
    return f"{kind}: {name}.{column} = {value!r}", sheets


def _out_of_range(column: schema.Column) -> list:
    T = BASE["Settings"][1][1]
    values = []
    if column.minimum is not None:
        values.append(column.minimum if column.minimum_open else column.minimum - 1)
    if column.maximum is not None:
        # 0.5 above, or 0.1% above the money and quantity limits (1e15 + 0.5 is written as 1e15)
        values.append(column.maximum if column.maximum_open else column.maximum + max(0.5, column.maximum / 1000))
    if column.name in ("period", "first_period", "last_period"):
        values.append(T + 1)
    return values


@functools.lru_cache(maxsize=1)
def _good_bytes() -> bytes:
    """BASE as a file, made once: openpyxl stamps the time into it, and the strategy must be repeatable."""
    with tempfile.TemporaryDirectory() as folder:
        return write_sheets(Path(folder) / "good.xlsx", BASE).read_bytes()


def _broken_file(draw, kind: str) -> bytes:
    good = _good_bytes()
    if kind == "garbage":
        return draw(st.one_of(st.binary(max_size=3000), st.binary(max_size=3000).map(lambda b: b"PK\x03\x04" + b)))
    if kind == "truncated":
        return good[: draw(st.integers(0, len(good) - 1))]
    with zipfile.ZipFile(io.BytesIO(good)) as book:  # one part's stored bytes overwritten
        info = draw(st.sampled_from(book.infolist()))
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    return good[:start] + b"\xff" * info.compress_size + good[start + info.compress_size:]


def test_the_corruption_base_is_valid(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(write_sheets(tmp_path / "base.xlsx", BASE))])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=6, **FUZZ)
@given(data=st.data())
def test_every_corruption_is_refused_with_a_message_and_nothing_written(kind, data):
    what, content = data.draw(corrupted_workbooks(kind), label="corruption")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "broken.xlsx"
        if isinstance(content, bytes):
            source.write_bytes(content)
        else:
            write_sheets(source, content)
        output = Path(folder) / "out" / "plan.xlsx"
        result = CliRunner().invoke(main, ["run", str(source), "--output", str(output)])
        assert result.exception is None or isinstance(result.exception, SystemExit), (what, result.exception)
        assert result.exit_code == 2, (what, result.output)
        assert "error: broken.xlsx" in result.stderr, (what, result.stderr)
        assert "input refused" in result.stderr and "Traceback" not in result.output
        assert not output.exists() and not output.parent.exists(), what
        assert not list(Path(folder).glob(f"**/*{TEMPORARY_SUFFIX}"))

