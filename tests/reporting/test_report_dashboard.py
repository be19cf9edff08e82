"""The result workbook as a decision document: Dashboard first, native charts, the analysis sheets.

One small plan with two minerals, two countries, a scenario and budgets is
run through the pipeline (and the independent checker) once per module.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import openpyxl
import pytest

from modelcase import demand, run_case, sheets

from optimizer import __version__
from optimizer.reporting.charts import period_label
from optimizer.analysis.metrics import concentration_frame, country_shares, hhi


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """ga: 6 t from S1 (Canada, capacity 6) and S2 (China); ge only from S2; China loses all in period 2."""
    book = sheets(2, Demand=demand(10, 10) + demand(2, 2, mineral="ge"),
                  Budgets=[{"source": "F1", "period": 1, "amount": 100}],
                  Scenarios=[{"scenario": "ban", "probability": 0.25, "country": "China", "first_period": 2,
                              "last_period": 2}],
                  Pipeline=[{"supplier": "S2", "mineral": "ga", "period": 1, "quantity": 3}],
                  Targets=[{"mineral": "ge", "period": 2, "min_stock": 1}])
    book["Settings"]["start_date"] = "2027-01-01"
    book["Minerals"].append({"mineral": "ge", "unit": "kg", "shortfall_penalty": 50})
    book["Suppliers"].append({"supplier": "S2", "country": "China", "risk_score": 0.8})
    book["Offers"][0]["max_per_period"] = 6
    book["Offers"] += [{"supplier": "S2", "mineral": "ga", "unit_price": 12},
                       {"supplier": "S2", "mineral": "ge", "unit_price": 20}]
    return run_case(tmp_path_factory.mktemp("dashboard"), book)


@pytest.fixture(scope="module")
def book(result):
    return openpyxl.load_workbook(result.output)


def test_dashboard_comes_first_and_the_contract_sheets_keep_their_columns(book):
    assert book.sheetnames[0] == "Dashboard"
    assert book.sheetnames[1:5] == ["Summary", "Orders", "Funding", "Stock"]
    for name in ("Mix", "Concentration", "Spending", "Shortfall", "Why short", "Sensitivities", "Cover",
                 "Charts", "Chart data", "Warnings"):
        assert name in book.sheetnames
    assert [c.value for c in book["Stock"][1]][:9] == ["scenario", "mineral", "period", "arrivals", "demand",
                                                      "unmet_demand", "stock", "target", "shortfall"]


def test_dashboard_shows_cost_funding_shortfall_countries_risk_and_the_largest_risks(book, result):
    text = [str(c.value) for row in book["Dashboard"].iter_rows() for c in row if c.value is not None]
    for heading in ("Expected cost", "Funding", "Expected shortfall", "Supply by country (share of value)",
                    "Value-weighted supplier risk (0 safest, 1 riskiest)", "Largest risks"):
        assert heading in text
    cells = {row[0].value: [c.value for c in row[1:]] for row in book["Dashboard"].iter_rows() if row[0].value}
    assert cells["Total expected cost (objective)"][0] == pytest.approx(result.plan.objective)
    costs = result.plan.costs
    cash = sum(costs[k] for k in ("purchase_cost", "order_cost", "onboarding_cost", "financing_cost", "holding_cost"))
    assert cells["Cash costs (paid or held)"][0] == pytest.approx(cash)
    assert cells["Notional (risk, shortfall)"][0] == pytest.approx(costs["risk_cost"]
                                                                                   + costs["penalty_cost"])
    assert cells["F1"][0] == pytest.approx(float(result.plan.funding["amount"].sum()))
    # ge (2.75 kg short at 50) costs more than ga (0.42 t short at 100): it comes first
    assert any(t.startswith("1. ge: the expected shortfall") for t in text)
    assert any(t.startswith("2. ga: the expected shortfall") for t in text)
    assert "China" in cells and "Canada" in cells


def test_charts_are_native_and_reference_the_chart_data(book, result):
    dashboard, charts = book["Dashboard"], book["Charts"]
    assert len(dashboard._charts) == 3  # spending by source, country shares, shortfall penalty
    # per mineral: stock against target and supply by supplier; per source: spending; country mix
    assert len(charts._charts) == 2 * 2 + 1 + 1
    data = [row for row in book["Chart data"].iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(data) if row[0] == "Stock of ga (t)")
    assert data[start + 1][:4] == ("period", "stock (base)", "stock (ban)", "target")
    assert data[start + 2][0] == "Q1 2027"
    stock = result.plan.stock
    base = stock[(stock["scenario"] == "base") & (stock["mineral"] == "ga")]["stock"].tolist()
    assert [row[1] for row in data[start + 2:start + 4]] == pytest.approx(base)


def test_concentration_by_country_and_supplier_for_pipeline_and_plan(book, result):
    frame = concentration_frame(result.plan, result.data).set_index("mineral")
    ordered = result.plan.orders.groupby(["mineral", "supplier"])["quantity"].sum()
    ga = [ordered.get(("ga", s), 0.0) for s in ("S1", "S2")]
    assert frame.loc["ga", "hhi_country_pipeline"] == pytest.approx(10_000)  # pipeline: China alone
    assert frame.loc["ga", "hhi_supplier_plan"] == pytest.approx(hhi(ga))
    after = [ga[0], ga[1] + 3]
    assert frame.loc["ga", "hhi_country_after"] == pytest.approx(hhi(after))
    assert frame.loc["ge", "hhi_country_plan"] == pytest.approx(10_000)
    header = [c.value for c in book["Concentration"][1]]
    assert {"hhi_country_pipeline", "hhi_country_plan", "hhi_supplier_pipeline", "hhi_supplier_plan"} <= set(header)


def test_hhi_and_country_shares_by_hand():
    assert hhi([3, 1]) == pytest.approx(75 ** 2 + 25 ** 2)
    assert hhi([1, 1, 1, 1]) == pytest.approx(2500)
    assert hhi([0, 0]) is None


def test_country_shares_weigh_minerals_by_their_offer_prices(result):
    """Pipeline: 3 t of ga from China only; after: ga valued at 11 (average of 10 and 12), ge at 20."""
    shares = country_shares(result.plan, result.data).set_index("country")
    assert shares.loc["China", "before"] == pytest.approx(1.0)
    supply = result.plan.orders.groupby(["mineral", "country"])["quantity"].sum()
    china = 11 * (3 + supply.get(("ga", "China"), 0.0)) + 20 * supply.get(("ge", "China"), 0.0)
    canada = 11 * supply.get(("ga", "Canada"), 0.0)
    assert shares.loc["China", "after"] == pytest.approx(china / (china + canada))


def test_sensitivities_sheet_words_every_source_and_each_binding_limit(book, result):
    rows = list(book["Sensitivities"].iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    assert header[:4] == ("limit", "item", "period", "finding")
    finding = header.index("finding")
    limits = [r[header.index("limit")] for r in rows]
    assert limits.count("funding amount") == 1
    assert "period budget" in limits  # period 1's 100 is spent in full
    budget = next(r for r in rows if r[header.index("limit")] == "period budget")
    assert budget[finding].startswith("Another ")
    assert "of F1's budget in period 1 would lower the expected cost" in budget[finding]
    assert "target" in limits


def test_cover_sheet_reports_stock_as_periods_of_demand(book):
    header = [c.value for c in book["Cover"][1]]
    assert header == ["scenario", "mineral", "period", "stock", "cover_periods", "target", "target_cover_periods"]


def test_period_labels(result):
    assert period_label(result.data, 1) == "Q1 2027" and period_label(result.data, 2) == "Q2 2027"


def test_about_says_where_the_workbook_came_from_and_how_to_read_each_sheet(book, result):
    """Last sheet: each input with its SHA-256, the settings, command, versions, time, a line per sheet."""
    assert book.sheetnames[-1] == "About"
    rows = dict(book["About"].iter_rows(min_row=2, values_only=True))
    [source] = result.data.input_files
    assert rows[f"input {Path(source.path).name}"].startswith(f"SHA-256 {source.sha256}")
    # the Summary's input_sha256 hashes every file's name and hash: not the file's SHA-256, and said so (the
    # two read as contradicting each other)
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert rows["input_sha256"].startswith(f"{summary['input_sha256']} (the Summary's and the history's")
    assert rows["setting currency"] == result.data.settings.currency
    assert rows["highs_version"] == metadata.version("highspy")
    assert rows["engine_version"] == __version__ and rows["command"] and rows["written_at"].endswith("UTC")
    for name in book.sheetnames:
        assert rows[f"sheet {name}"], f"no line on how to read {name}"
    assert rows["sheet Orders"].startswith("one row per order")


def test_dashboard_and_sales_sheet_show_what_is_sold_and_lost_to_decay(tmp_path):
    """ga: 50 t in stock, no demand, loss_rate 10%, a sale of up to 20 t in period 1 at 5 into F1 (holding 1).
    The plan sells 20 t (100); the 30 t left lose 3 t in period 1 and 2.7 t in period 2: 5.7 t lost
    (one scenario, probability 1). The Dashboard's row and the Sales sheet say so."""
    book = sheets(2, Sales=[{"mineral": "ga", "first_period": 1, "last_period": 1, "unit_price": 5,
                             "max_per_period": 20, "source": "F1"}])
    book["Minerals"][0].update(initial_stock=50, loss_rate=0.1, holding_cost=1)
    result = run_case(tmp_path, book)
    workbook = openpyxl.load_workbook(result.output)
    cells = {row[0].value: [c.value for c in row[1:]] for row in workbook["Dashboard"].iter_rows() if row[0].value}
    assert "Sold / lost to decay" in cells
    assert cells["ga"][:3] == [pytest.approx(20), pytest.approx(100), pytest.approx(5.7)]
    # the quantities in the mineral's unit ("#,##0.##" showed "20." in Excel, and no unit)
    rows = list(workbook["Dashboard"].iter_rows())
    at = next(i for i, r in enumerate(rows) if r[0].value == "Sold / lost to decay")
    row = next(r for r in rows[at:] if r[0].value == "ga")
    assert row[1].number_format.endswith('" t"') and row[3].number_format.endswith('" t"')
    assert_headers_fit(workbook["Dashboard"])
    rows = list(workbook["Sales"].iter_rows(values_only=True))
    assert rows[0] == ("sale", "mineral", "period", "quantity", "unit_price", "revenue", "source")
    assert rows[1] == (1, "ga", 1, pytest.approx(20), 5, pytest.approx(100), "F1")


def test_the_change_penalty_reads_as_notional_money(tmp_path):
    """replancase: 5 t of ga a quarter from S1 at 10; then S1 costs 13 and S2 12, change_penalty 0.1 a unit of
    change. Moving the 15 t saves 15 and its change costs 0.1 x (15 removed + 15 added) = 3: the plan moves,
    change_cost 3. The Dashboard said "added 3 to what was optimised", a bare figure read as anything; now
    money in words, notional as the risk and shortfall terms are."""
    from replancase import replan, write

    from optimizer.replan.history import History

    history = History(str(tmp_path / "history.sqlite"))
    source = write(tmp_path / "in" / "prices.xlsx", change_penalty=0.1)
    replan(source, tmp_path, history)
    write(source, s1_price=13.0, change_penalty=0.1)
    second = replan(source, tmp_path, history)
    texts = [cell for row in openpyxl.load_workbook(second.output, read_only=True)["Dashboard"].values
             for cell in row if isinstance(cell, str)]
    assert any("the change penalty (notional: nobody pays it) added $3 to what was optimised" in t for t in texts)


def test_sparkline_data_in_each_minerals_unit_and_round_off_is_zero(book):
    """The sparklines' Chart data showed General numbers (135.999999999999, -9.094947018E-13: a red point
    below target that is none). Each row now in its mineral's unit, decimals by its size; round-off is 0."""
    from optimizer.reporting.dashboard import _snapped
    from optimizer.reporting.xlsx import quantity_format

    sheet = book["Chart data"]
    rows = list(sheet.iter_rows())
    for caption in ("Stock per mineral", "Stock less target per mineral"):
        at = next(i for i, row in enumerate(rows) if str(row[0].value).startswith(caption))
        cells = {row[0].value: [c for c in row[1:] if c.value is not None] for row in rows[at + 2:at + 4]}
        assert cells["ga"] and cells["ge"]
        assert {c.number_format for c in cells["ge"]} <= {quantity_format("kg", d) for d in (0, 1, 2)}
        assert {c.number_format for c in cells["ga"]} <= {quantity_format("t", d) for d in (0, 1, 2)}
    assert _snapped(-9.094947018e-13, 4274) == 0 and _snapped(135.999999999999) == 136
    assert _snapped(-0.1523529411765, 7.4) == -0.15235  # a real shortfall below target stays


def assert_headers_fit(sheet) -> None:
    """Every header of the Dashboard's tables fits its column: "decayed (expected)", bold and indented in a
    column 18 wide, lost its first letter when rendered."""
    from optimizer.reporting.dashboard import WIDTHS

    for row in sheet.iter_rows():
        for cell in row:
            if cell.fill.fgColor.rgb == "FF1F3864" and isinstance(cell.value, str) and cell.column <= len(WIDTHS):
                assert len(cell.value) <= WIDTHS[cell.column - 1] - 1, cell.value
