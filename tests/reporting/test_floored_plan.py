"""How the plan of a floored contract reads (modelcase.floored_book, solved by hand in
tests/models/test_model_contract_floor.py): K1 delivers 6 t in periods 1 and 2 at a floor of 8 over a market
price of 5 (base, p 0.75) or 6 (spike, p 0.25); the offer S1 at 10 (spike 12) covers the other 8 t.
The floor pays 12 x 3 = 36 in base and 12 x 2 = 24 in spike: 0.75 x 36 + 0.25 x 24 = 33 expected."""

from __future__ import annotations

import openpyxl
import pytest
from modelcase import approx, floored_book, run_case


@pytest.fixture(scope="module")
def floored(tmp_path_factory):
    return run_case(tmp_path_factory.mktemp("floored"), floored_book())


def rows_of(path, sheet: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_scenario_costs_give_each_scenarios_floor_cost(floored):
    by_scenario = {row["scenario"]: row for row in rows_of(floored.output, "Scenario costs")}
    assert by_scenario["base"]["floor_cost"] == approx(36) and by_scenario["spike"]["floor_cost"] == approx(24)
    summary = {row["key"]: row["value"] for row in rows_of(floored.output, "Summary")}
    assert summary["floor_cost"] == approx(0.75 * 36 + 0.25 * 24)


def test_the_contracts_sheet_prints_on_two_pages_each_naming_the_contract(floored):
    """20 columns: at the smallest scale, 65%, a page holds about 154 characters. Repeating contract, supplier
    and mineral printed 4 pages here (5 on the example, whose taken_by_period is 52 wide); the contract alone
    repeated and taken_by_period wrapped: 2 here (3 on the example)."""
    sheet = openpyxl.load_workbook(floored.output)["Contracts"]
    assert sheet.print_title_cols == "$A:$A"
    assert sheet.page_setup.scale == 65
    assert len(sheet.col_breaks.brk) == 1  # two pages


def test_the_country_mix_chart_counts_the_contract_deliveries(floored):
    """ga: 8 t ordered from S1 and 12 t delivered under K1, all from Canada: the mix counts 20 t (8 before)."""
    rows = list(openpyxl.load_workbook(floored.output)["Chart data"].iter_rows(values_only=True))
    at = next(i for i, row in enumerate(rows) if str(row[0]).startswith("Ordered quantity by mineral and country"))
    assert rows[at][0].endswith("(contract deliveries included)")
    header, values = rows[at + 1], rows[at + 2]
    assert dict(zip(header, values))["Canada"] == approx(20)


def chart_axis_formats(path) -> dict[str, list[str]]:
    """Each chart's title -> the number formats of its axes, read from the workbook's chart XML."""
    import re
    import zipfile

    found = {}
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/charts/chart"):
                xml = book.read(name).decode()
                title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", xml.split("</c:title>")[0]))
                found[title] = re.findall(r'<c:numFmt formatCode="([^"]*)"', xml)
    return found


def test_money_axes_of_a_small_plan_show_whole_units_not_0m(floored):
    """The plan spends $185 over three periods: its axis ticks read 0M, 0M, 0M before; whole dollars now. A
    plan spending 40M a period keeps millions."""
    from optimizer.reporting.xlsx import MILLIONS, money_axis

    axes = chart_axis_formats(floored.output)["Spending per period by funding source"]
    assert "#,##0" in [f.replace("&quot;", '"') for f in axes] and not any("M" in f for f in axes)
    assert [money_axis(v) for v in (4e7, 2.5e6, 4e4, 95, 0)] == [
        MILLIONS, '#,##0.0,,"M"', '#,##0,"K"', "#,##0", "General"]


def test_supplier_risk_without_a_pipeline_says_none_aligned_with_the_numbers(floored):
    """No pipeline: the value-weighted risk before the plan is not 0 but nothing: "none" (a blank cell before),
    right-aligned under its header as the plan's 0.00 beside it. The Mix sheet's risk_score in 0.00."""
    book = openpyxl.load_workbook(floored.output)
    row = next(r for r in book["Dashboard"].iter_rows() if r[0].value == "value-weighted risk_score")
    assert row[1].value == "none" and row[1].alignment.horizontal == "right"
    assert row[2].value == approx(0) and row[2].number_format == "0.00"
    mix = book["Mix"]
    column = [c.value for c in mix[1]].index("risk_score") + 1
    assert mix.cell(row=2, column=column).number_format == "0.00"


def test_small_money_shows_its_cents_so_the_parts_add_up(floored):
    """K1's two deliveries of 6 t each pay 6 x 2.75 = 16.5 above the market in expectation: shown $17 and
    $17 beside a floor_cost of $33 before; $16.50 each now. Whole amounts (the contract's $33) stay whole."""
    from optimizer.reporting.xlsx import money_format

    orders = openpyxl.load_workbook(floored.output)["Orders"]
    header = [c.value for c in orders[1]]
    delivered = [row for row in orders.iter_rows(min_row=2) if row[header.index("contract")].value == "K1"]
    floors = [row[header.index("floor_cost")] for row in delivered]
    assert [c.value for c in floors] == [approx(16.5), approx(16.5)]
    assert {c.number_format for c in floors} == {money_format("USD", 2)}
    contracts = openpyxl.load_workbook(floored.output)["Contracts"]
    column = [c.value for c in contracts[1]].index("floor_cost") + 1
    assert contracts.cell(row=2, column=column).number_format == money_format("USD")


def test_the_share_axis_ends_at_100_percent(floored):
    """All supply from Canada (100%): the axis went on to 120%; it ends at 100% now."""
    import re
    import zipfile

    with zipfile.ZipFile(floored.output) as book:
        xml = next(book.read(n).decode() for n in book.namelist() if n.startswith("xl/charts/chart")
                   and "Share of supply value by country" in book.read(n).decode())
    assert re.search(r'<c:max val="1"/>', xml)
