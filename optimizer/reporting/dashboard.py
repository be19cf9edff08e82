"""The Dashboard sheet: the first page of a result workbook, for a reader with two minutes.

Left, top to bottom: the expected cost and its terms, what each funding source
pays, the expected shortfall per mineral, the share of supply value from each
country before (pipeline) and after the plan, the average supplier risk, the
three largest risks in words, what more money or capacity would buy, and why
shortfalls remain. Right: three charts (spending per period by source,
country shares, shortfall penalty by mineral), their numbers in ``Chart data``.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd

from optimizer.reporting import charts as chart_module
from optimizer.analysis import explain, metrics
from optimizer.reporting.charts import ChartData
from optimizer.reporting.xlsx import Book, quantity_format, size_decimals
from optimizer.contract.data import BASE, PlanningData
from optimizer.contract.results import Plan
from optimizer.reporting.projects import project_sentences
from optimizer.replan.changes import counts_text, deal_sentences

SHARE = "0.0%"
RISK = "0.00"
NO_SUPPLY = "none"  # the value-weighted risk of a view with no supply in it
COVER = "0.0"
WIDTHS = (34, 18, 18, 18, 18, 26)  # columns A to F
TEXT_WIDTH = 110  # characters of a sentence per row, across columns A to E
CHART_COLUMN = 6  # G
COUNTRIES_SHOWN = 8  # the rest summed in one row
CHART_HEIGHT_CM = 6.8  # three charts beside the first page of tables
# money paid, held or received (the revenues are negative)
CASH_TERMS = ("purchase_cost", "order_cost", "onboarding_cost", "financing_cost", "holding_cost", "capex_cost",
              "take_or_pay_cost", "signing_cost", "conversion_cost", "sales_revenue", "release_revenue")
# weights on risk, shortfall and the tail: nobody is paid them
NOTIONAL_TERMS = ("risk_cost", "penalty_cost", "cvar_cost")
COST_LABELS = {
    "purchase_cost": "Purchases", "order_cost": "Order costs", "onboarding_cost": "Supplier onboarding",
    "financing_cost": "Financing", "risk_cost": "Supplier risk charge", "holding_cost": "Holding (expected)",
    "penalty_cost": "Shortfall penalty (expected)", "capex_cost": "Projects' capex (horizon's share)",
    "take_or_pay_cost": "Contracts: take-or-pay", "signing_cost": "Contracts: signing",
    "cvar_cost": "Tail risk (cvar_weight x CVaR)", "conversion_cost": "Upgrading (conversions)",
    "sales_revenue": "Sales revenue (negative)", "release_revenue": "Participants' payments (expected, negative)",
}
CHANGES_SHOWN = 6


class _Page:
    """Writes styled rows down the Dashboard and counts them."""

    def __init__(self, book: Book, sheet):
        self.book, self.sheet = book, sheet
        self.row = 0
        self.styles = {
            "title": book.format(bold=True, font_size=16, font_color="#1F3864"),
            "section": book.format(bold=True, font_size=12, font_color="#1F3864"),
            "note": book.format(italic=True, font_color="#595959"),
            "bold": book.format(bold=True),
            "header": book.format(bold=True, font_color="white", bg_color="#1F3864", align="right", indent=1),
            "header text": book.format(bold=True, font_color="white", bg_color="#1F3864", indent=1),
        }

    def add(self, *values, style: str | None = None, formats=(), header: bool = False, text_columns=(),
            right=()) -> None:
        """One row: text indented (never touching a number before it), numbers in ``formats``; a header row
        right-aligns its titles over numbers, not over the ``text_columns``; text in a column of ``right``
        (a word standing for a number, "none") aligns right as the numbers above and below it do."""
        bold = style == "bold"
        for column, value in enumerate(values):
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                continue  # NaN: nothing to show
            if isinstance(value, str):
                if header:
                    chosen = self.styles["header text" if column == 0 or column in text_columns else "header"]
                elif style is not None:
                    chosen = self.styles[style]
                elif column in right:
                    chosen = self.book.format(align="right", valign="top")
                else:
                    chosen = self.book.text() if column > 0 else None
                self.sheet.write_string(self.row, column, value, chosen)
            else:
                number_format = formats[column] if column < len(formats) else None
                self.sheet.write_number(self.row, column, value,
                                        self.book.number(number_format, **({"bold": True} if bold else {})))
        self.row += 1

    def blank(self) -> None:
        self.row += 1

    def section(self, title: str, *headers: str, text_columns=()) -> None:
        self.blank()
        self.add(title, style="section")
        if headers:
            self.add(*headers, header=True, text_columns=text_columns)

    def sentences(self, texts: list[str], numbered: bool = True) -> None:
        for number, text in enumerate(texts, 1):
            lead = f"{number}. " if numbered else "- "
            lines = textwrap.wrap(text, TEXT_WIDTH - len(lead))
            for index, line in enumerate(lines):
                self.add((lead if index == 0 else " " * len(lead)) + line)


def write_dashboard(book: Book, plan: Plan, data: PlanningData, charts: ChartData,
                    concentration: pd.DataFrame | None = None, cover: pd.DataFrame | None = None) -> None:
    """Add the Dashboard: cost, funding, shortfall, stock, country mix, risk, what more buys, why short,
    and what changed since the previous plan (``concentration``: metrics.concentration_frame, ``cover``:
    metrics.cover_frame, if known)."""
    sheet = book.sheet("Dashboard", note="the plan on one page: cost (cash and notional), funding, shortfall, "
                                         "stock against target, countries, risk, what more buys, why short")
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width)
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(2)
    sheet.activate()
    page = _Page(book, sheet)
    currency = data.settings.currency
    shortfall = metrics.shortfall_by_mineral(plan, data)
    if concentration is None:
        concentration = metrics.concentration_frame(plan, data)
    shares = metrics.top_countries(metrics.country_shares(plan, data), COUNTRIES_SHOWN)
    _title(page, plan, data)
    _changes(page, plan, currency)
    _costs(page, plan, currency)
    _funding(page, plan, data)
    if data.projects:
        page.section("Projects (build versus buy)")
        page.sentences(project_sentences(plan, data), numbered=False)
    _contracts_and_market(page, plan, data)
    _repayment(page, plan, data)
    _upgraded(page, plan, data)
    _shortfall(page, shortfall)
    _stock_lines(page, plan, data, charts)
    _sold_and_lost(page, plan, data)
    _cover(page, plan, data, cover)
    _countries(page, shares)
    _risk(page, plan, data)
    _uncertainty(page, plan, data)
    page.section("Largest risks")
    page.sentences(explain.largest_risks(shortfall, concentration, data) or ["No shortfall and no concentrated supply."])
    _what_helps(page, plan, data)
    _why_short(page, plan, data)
    _add_charts(sheet, plan, data, shortfall, shares, charts)


def gap_text(gap: float | None) -> str:
    """The solver's gap as a reader wants it: "0%" below 0.001%, else two significant figures."""
    if gap is None:
        return ""
    if abs(gap) < 1e-5:
        return "0%"
    return f"{100 * gap:.2g}%"


def _title(page: _Page, plan: Plan, data: PlanningData) -> None:
    files = ", ".join(Path(f.path).name for f in data.input_files) or "planning workbook"
    page.add(f"Procurement plan: {files}", style="title")
    settings = data.settings
    horizon = f"{settings.num_periods} {settings.period_unit}s"
    if settings.start_date:
        horizon += f" from {chart_module.period_label(data, 1)}"
    gap = "" if plan.solve.gap is None else f" (gap {gap_text(plan.solve.gap)})"
    page.add(f"Status {plan.status}{gap}; {horizon}; money in {settings.currency}.", style="note")
    page.add("Quantities in each mineral's unit; expected values weigh every scenario by its probability.",
             style="note")


def _snapped(value: float, scale: float | None = None) -> float:
    """The solver's round-off (stock 135.999999999999, stock less target -9.1e-13) as the number it stands for,
    to 6 significant figures of ``scale`` (the value's own size): a sparkline's point below 0 is red."""
    size = abs(value) if scale is None else scale
    if size == 0 or abs(value) <= 1e-9 * max(1.0, size):
        return 0.0
    return round(value, max(0, 5 - math.floor(math.log10(size))))


def _row_formats(data: PlanningData, rows: list[tuple], at: int) -> list[tuple]:
    """Each sparkline row's numbers in its mineral's unit, decimals by the row's largest size (sign kept)."""
    formats = []
    for row in rows:
        largest = max((abs(v) for v in row[at]), default=0.0)
        formats.append((None, *[quantity_format(data.minerals[row[0]].unit, size_decimals(largest))] * len(row[at])))
    return formats


def _changes(page: _Page, plan: Plan, currency: str) -> None:
    """A re-plan: what moved since the previous plan (the deals changed and why first: the most money; costs,
    counts, why), from the Changes sheet."""
    changes = plan.changes
    if changes is None or changes.previous_label is None:  # a first plan: nothing to compare
        return
    page.section(f"Since the previous plan ({changes.previous_label or 'none found'})")
    frame = changes.frame
    counts = counts_text(changes.counts, separator="; ")
    texts = deal_sentences(frame)[:CHANGES_SHOWN]
    texts += cost_sentences(frame)
    texts += list(frame.loc[frame["change"].isin(("reasons", "none")), "finding"])
    if counts:
        texts.append(counts + " (see Changes)")
    if changes.change_cost:  # notional as risk and shortfall are: a weight on change, in money's words
        texts.append(f"the change penalty (notional: nobody pays it) added {explain.money(changes.change_cost, currency)}"
                     " to what was optimised, beside the objective")
    page.sentences(texts or ["nothing changed"], numbered=False)


def cost_sentences(frame, shown: int = CHANGES_SHOWN) -> list[str]:
    """The Changes sheet's cost rows for the Dashboard: the objective's, then the cost terms that moved most
    (by how much money), ``shown`` in all: the sheet lists the terms in the Summary's order, where a small
    move can come before the one that matters."""
    costs = frame[frame["change"] == "cost"]
    if costs.empty:
        return []
    terms = costs.iloc[1:].assign(size=costs["cost_change"].iloc[1:].abs()).sort_values("size", ascending=False,
                                                                                         kind="stable")
    return [costs["finding"].iloc[0], *terms["finding"].head(shown - 1)]


def _costs(page: _Page, plan: Plan, currency: str) -> None:
    """Cash (paid out) and notional (weights on risk and shortfall) as two totals, then their sum."""
    total = plan.objective or 0.0
    money = page.book.money()
    formats = (None, money, SHARE)
    page.section("Expected cost", "", currency, "share")
    for title, terms in (("Cash costs (paid or held)", CASH_TERMS),
                         ("Notional (risk, shortfall)", NOTIONAL_TERMS)):
        subtotal = sum(plan.costs.get(name, 0.0) for name in terms)
        page.add(title, subtotal, subtotal / total if total else None, style="bold", formats=formats)
        for name in terms:
            value = plan.costs.get(name, 0.0)
            if name not in plan.shown_terms():
                continue  # a later term (capex, contracts, cvar) the plan has no value for
            page.add("   " + COST_LABELS[name], value, value / total if total else None, formats=formats)
            floors = plan.floor_cost()
            if name == "purchase_cost" and floors:
                page.add("     of which price floors (expected)", floors, floors / total if total else None,
                         formats=formats)
    page.add("Total expected cost (objective)", total, 1.0 if total else None, style="bold", formats=formats)
    page.add("Notional terms weigh supplier risk and shortfall: nobody is paid them.", style="note")


def _stock_lines(page: _Page, plan: Plan, data: PlanningData, charts: ChartData) -> None:
    """Per mineral, sparklines over the horizon (base scenario): stock, and stock less target (below 0 red)."""
    if plan.stock.empty:
        return
    base = metrics.by_mineral(plan.stock[plan.stock["scenario"] == BASE])
    rows = []
    for mineral in data.minerals:
        if mineral not in base:
            continue
        mine = base[mineral].sort_values("period")
        stock, target = mine["stock"].astype(float).tolist(), mine["target"].astype(float).tolist()
        if len(stock) == len(data.periods):
            rows.append((mineral, [_snapped(s) for s in stock],
                         [_snapped(s - t, max(abs(s), abs(t))) for s, t in zip(stock, target)],
                         stock[-1] if stock else 0.0))
    if not rows:
        return
    periods = [chart_module.period_label(data, t) for t in data.periods]
    stock_block = charts.block("Stock per mineral, base scenario (Dashboard sparklines)", ["mineral"] + periods,
                               [[m] + s for m, s, _, _ in rows], row_formats=_row_formats(data, rows, 1))
    above_block = charts.block("Stock less target per mineral, base scenario (Dashboard sparklines)",
                               ["mineral"] + periods, [[m] + a for m, _, a, _ in rows],
                               row_formats=_row_formats(data, rows, 2))
    page.section(f"Stock against target over {periods[0]} to {periods[-1]} (base scenario)", "mineral", "stock",
                 "vs target", "at the end")
    sheet = page.sheet
    for index, (mineral, _, above, last) in enumerate(rows):
        unit = data.minerals[mineral].unit
        page.add(mineral, None, None, last, formats=(None, None, None, quantity_format(unit)))
        row = page.row - 1
        for column, block, options in (
                (1, stock_block, {"type": "column", "series_color": "#1F3864"}),
                (2, above_block, {"type": "column", "negative_points": True, "series_color": "#7F7F7F",
                                  "negative_color": "#C00000"})):
            data_row = block.header_row + index  # 0-based row of this mineral's numbers
            last_column = chart_module.column_letter(block.columns - 1)
            sheet.add_sparkline(row, column, {
                "range": f"'{chart_module.DATA_SHEET}'!$B${data_row + 1}:${last_column}${data_row + 1}", **options})
    page.add("Stock per period; against target, grey above it and red below it.", style="note")


def _funding(page: _Page, plan: Plan, data: PlanningData) -> None:
    """What each source paid, beside its amount and what its budgets, window and rules let it pay at most."""
    page.section("Funding", "source", "spent", "amount", "can pay at most", "spent of that")
    use = metrics.funding_use(plan, data)
    for row in use.itertuples():
        money = page.book.money()
        page.add(row.source, row.spent, row.amount, row.at_most, row.used_of_at_most,
                 formats=(None, money, money, money, SHARE))
    page.sentences(explain.funding_limits(use, data), numbered=False)


def _contracts_and_market(page: _Page, plan: Plan, data: PlanningData) -> None:
    """A line per contract (Contracts sheet) and per mineral whose market-share cap binds (Market sheet)."""
    contracts = explain.contract_sentences(plan, data)
    if contracts:
        page.section("Contracts (see Contracts)")
        page.sentences(contracts, numbered=False)
    market = explain.market_sentences(metrics.market_frame(plan, data), data)
    if market:
        page.section("Market-share caps that bind (see Market)")
        page.sentences(market, numbered=False)


def _upgraded(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Per conversion of the input: what the plan upgrades over the horizon (input, output before losses, cost)."""
    if not data.conversions:
        return
    page.section("Upgraded (conversions)", "conversion", "input", "output", "cost")
    totals = plan.conversions.groupby("conversion")[["input", "output", "cost"]].sum()
    for name, conversion in data.conversions.items():
        row = totals.loc[name] if name in totals.index else {"input": 0.0, "output": 0.0, "cost": 0.0}
        units = (data.minerals[conversion.from_mineral].unit, data.minerals[conversion.to_mineral].unit)
        page.add(name, float(row["input"]), float(row["output"]), float(row["cost"]),
                 formats=(None, *(quantity_format(unit) for unit in units), page.book.money()))
    for name, c in data.conversions.items():
        page.add(f"{name}: {c.from_mineral} ({data.minerals[c.from_mineral].unit}) in, {c.to_mineral} "
                 f"({data.minerals[c.to_mineral].unit}) out, over the horizon, before losses.", style="note")


def _shortfall(page: _Page, shortfall: pd.DataFrame) -> None:
    short = shortfall[shortfall["expected_penalty"] > 0].sort_values("expected_penalty", ascending=False)
    page.section("Expected shortfall", "mineral", "unmet demand", "its penalty", "below target",
                 "its penalty", "worst scenario", text_columns=(5,))
    if short.empty:
        page.add("No mineral is short of demand or target in any scenario.", style="note")
        return
    money = page.book.money()
    for row in short.itertuples():
        quantity = quantity_format(row.unit)
        page.add(row.mineral, row.expected_unmet_demand, row.unmet_penalty,
                 row.expected_below_target, row.target_penalty, row.worst_scenario,
                 formats=(None, quantity, money, quantity, money))
    page.add("Quantities are expected units short, summed over periods.", style="note")
    page.add("Demand not served costs shortfall_penalty a unit; stock below target, target_penalty a unit and "
             "period.", style="note")


def _table(page: _Page, title: str, headers: tuple[str, ...], rows: list[tuple], formats: tuple | list[tuple],
           note: str) -> None:
    """A section of one row per item, with a note below; nothing when there are no rows. ``formats``: the
    number formats of every row, or (a list) of each row."""
    if not rows:
        return
    page.section(title, *headers)
    for index, row in enumerate(rows):
        page.add(*row, formats=formats[index] if isinstance(formats, list) else formats)
    page.add(note, style="note")


def _repayment(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Per source repaid by participants (Demand.source) and period: money drawn and expected repayment."""
    rows = [(r.source, chart_module.period_label(data, r.period), r.drawn, r.expected_repayment)
            for r in metrics.drawn_and_repaid(plan, data).itertuples()]
    _table(page, "Money drawn and expected repayment by participants",
           ("source", "period", "drawn", "repaid (expected)"), rows, (None, None, page.book.money(), page.book.money()),
           "Repayment: what participants pay for the demand served (Demand.unit_price), weighed over the "
           "scenarios; it is not re-spent in the plan.")


def _sold_and_lost(page: _Page, plan: Plan, data: PlanningData) -> None:
    """Per mineral that is sold or decays: quantity sold, its revenue, and the expected stock lost to decay."""
    sold = list(metrics.sold_and_lost(plan, data).itertuples())
    rows = [(r.mineral, r.sold, r.revenue, r.expected_lost) for r in sold]
    money = page.book.money()
    formats = [(None, quantity_format(r.unit), money, quantity_format(r.unit)) for r in sold]
    _table(page, "Sold / lost to decay", ("mineral", "sold", "revenue", "lost (expected)"), rows, formats,
           "Sales are the same in every scenario; revenue funds the receiving source from the next period on.")


def _cover(page: _Page, plan: Plan, data: PlanningData, cover: pd.DataFrame | None) -> None:
    """Achieved cover per mineral with demand: periods of demand ahead its base-scenario stock would serve."""
    cover = metrics.cover_summary(plan, data, cover).dropna(subset=["least_cover_periods"])
    if cover.empty:
        return
    asked = cover["target_cover_periods"].notna().any()  # a column only when some target is in cover
    page.section(f"Stock cover ({data.settings.period_unit}s of demand ahead, base scenario)", "mineral",
                 "least", "at the end", *(["asked for"] if asked else []))
    for row in cover.itertuples():
        page.add(row.mineral, row.least_cover_periods, row.final_cover_periods,
                 *([row.target_cover_periods] if asked else []), formats=(None, COVER, COVER, COVER))


def _countries(page: _Page, shares: pd.DataFrame) -> None:
    page.section("Supply by country (share of value)", "country", "before (pipeline)", "after (with plan)")
    for row in shares.itertuples():
        page.add(row.country, row.before, row.after, formats=(None, SHARE, SHARE))
    page.add("Largest share after the plan first; each mineral's quantity valued at the average price of its "
             "offers.", style="note")


def _risk(page: _Page, plan: Plan, data: PlanningData) -> None:
    page.section("Value-weighted supplier risk (0 safest, 1 riskiest)", "", "before (pipeline)", "plan's orders",
                 "after (with plan)")
    values = [metrics.value_weighted_risk(plan, data, view) for view in ("pipeline", "plan", "after")]
    # no supply in a view (no pipeline, or no orders): "none", not a blank cell that reads as missing
    page.add("value-weighted risk_score", *[NO_SUPPLY if v is None else v for v in values],
             formats=(None, RISK, RISK, RISK), right=(1, 2, 3))


def _uncertainty(page: _Page, plan: Plan, data: PlanningData) -> None:
    """The scenarios' spread of cost and what perfect foresight would save (the Scenario costs sheet)."""
    values = plan.scenario_values
    if values is None:
        return
    page.section("What the uncertainty is worth")
    page.sentences(uncertainty_sentences(values, data.settings.currency, data.settings.recourse == "yes"),
                   numbered=False)


def uncertainty_sentences(values, currency: str, recourse: bool) -> list[str]:
    """The scenarios' cost range, EVPI and (with recourse) VSS in words (``values``: the plan's ScenarioValues);
    a figure not measured says so and why ("would save not measured: ..." read as nonsense)."""
    costs = values.frame[values.frame["probability"] > 0]
    cheapest, dearest = costs.loc[costs["cost"].idxmin()], costs.loc[costs["cost"].idxmax()]
    sentences = [f"The plan costs from {explain.money(cheapest['cost'], currency)} ({cheapest['scenario']}) to "
                 f"{explain.money(dearest['cost'], currency)} ({dearest['scenario']}), "
                 f"{explain.money(values.expected_cost, currency)} in expectation."]
    evpi = "what knowing which scenario happens before ordering would save"
    sentences.append(f"{evpi[0].upper()}{evpi[1:]} (EVPI) was not measured: {values.note}." if values.evpi is None
                     else f"Knowing which scenario happens before ordering would save {values.evpi_text(currency)} "
                          "in expectation (EVPI, the Scenario costs sheet).")
    if recourse:
        sentences.append(f"What planning for the bans instead of for the average saves (VSS) was not measured: "
                         f"{values.vss_reason}." if values.vss is None else
                         f"Planning for the bans instead of for the average saves {values.vss_text(currency)} in "
                         "expectation (VSS).")
    return sentences


def _what_helps(page: _Page, plan: Plan, data: PlanningData) -> None:
    analysis = plan.analysis
    if analysis is None or not analysis.marginals:
        return
    table = explain.sensitivity_frame(analysis.marginals, data)
    helps = table[(table["limit"] != "target") & (table["effect"] < 0)]
    helps = helps.sort_values("effect").drop_duplicates("item")  # the best period of each source or offer
    if helps.empty:
        return
    page.section("What more money or capacity would buy (see Sensitivities)")
    page.sentences(list(helps["finding"].head(3)))


def _why_short(page: _Page, plan: Plan, data: PlanningData) -> None:
    analysis = plan.analysis
    if analysis is None or analysis.causes is None:
        return
    sentences = list(explain.verdicts(analysis.causes, data).values())
    if sentences:
        page.section("Why shortfalls remain (measured by lifting one limit at a time; see Why short)")
        page.sentences(sentences, numbered=False)


def _add_charts(sheet, plan: Plan, data: PlanningData, shortfall: pd.DataFrame, shares: pd.DataFrame,
                charts: ChartData) -> None:
    figures = [chart_module.spending_by_source_chart(plan, data, charts, CHART_HEIGHT_CM),
               chart_module.country_share_chart(shares, charts, CHART_HEIGHT_CM),
               chart_module.penalty_chart(shortfall, data, charts, CHART_HEIGHT_CM)]
    row = 1
    for chart in figures:
        if chart is None:
            continue
        sheet.insert_chart(row, CHART_COLUMN, chart)
        row += chart_module.rows_of(CHART_HEIGHT_CM)
