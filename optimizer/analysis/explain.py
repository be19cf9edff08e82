"""Plain words for the analysis: sensitivities, why a shortfall remains, the largest risks.

The numbers come from ``optimizer.analysis.analyse`` (duals of the plan's LP, measured
re-solves) and ``optimizer.analysis.metrics``; this module only words them. Money reads
like "$100M" (USD) or "100M EUR"; quantities carry the mineral's unit.
"""

from __future__ import annotations

import math

import pandas as pd

from optimizer.analysis.analyse import ALL_LIMITS, NO_OFFER, Cause
from optimizer.contract.data import PlanningData
from optimizer.contract.results import Plan
from optimizer.contract.words import money, number  # noqa: F401 (explain.money, explain.number: in words)
from optimizer.reporting.charts import period_label
from optimizer.analysis.metrics import EVERY_SCENARIO
from optimizer.analysis.relax import PENALTY, TARGETS

BINDING = 1e-6  # relative slack below which a limit counts as reached
MATTERS = 0.005  # a cause that removes less than this share of the shortfall "does not bind"

# Short keys first, then the sentence, then the numbers behind it.
SENSITIVITY_COLUMNS = ["limit", "item", "period", "finding", "cost_change_per_unit", "per", "status", "change",
                       "effect", "holds_for_up_to"]
MONEY_SHARE = 0.01  # the step a money limit is priced at: a round 1% ($100M of a $10B loan)
QUANTITY_SHARE = 0.1  # and a quantity limit: a round 10% of a capacity or market cap
CAUSE_COLUMNS = ["mineral", "limit", "finding", "removed", "removed_share", "expected_shortfall",
                 "shortfall_if_lifted", "shortfall_in_plan", "unit"]
# The plan (solved to mip_gap) and the tight re-solve as given may settle on different shortfalls;
# past this relative difference the sentence names both.
RESOLVE_DIFFERS = 0.01


# --- numbers as words --------------------------------------------------------------------------

def percent(share: float) -> str:
    """``share`` as a percentage for a sentence: whole percents, one significant figure below 1%."""
    return f"{100 * share:.0f}%" if share >= 0.01 or share == 0 else f"{100 * share:.1g}%"


def round_down(value: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``value`` (> 0): 16.7M -> 10M, 340 -> 200, 0.07 -> 0.05."""
    power = 10.0 ** math.floor(math.log10(value))
    return max(p * power for p in (1, 2, 5) if p * power <= value * (1 + 1e-12))


def analyst_step(limit: float, share: float, room: float | None) -> float:
    """The change an analyst would price a limit at: a round ``share`` of it ($100M of a $10B loan), no more
    than the ``room`` the marginal value holds for (when that room is known and not 0)."""
    step = round_down(share * limit) if limit > 0 else 1.0
    if room is not None and room == room and 0 < room < step:
        step = round_down(room)
    return step


def holds(room: float | None, limit_text) -> str:
    """The range a marginal value holds over, in words (``limit_text`` writes an amount of the limit)."""
    if room is None or room != room:
        return ""
    if room == math.inf or room > 1e15:
        return " This holds however much more is added."
    if room <= 1e-9:
        return " This holds only at the margin: any more changes which limits bind, so the value per unit falls."
    return f" This holds for up to {limit_text(room)} more; beyond that another limit binds."


# --- sensitivities -----------------------------------------------------------------------------

def sensitivity_frame(marginals: list[Marginal], data: PlanningData) -> pd.DataFrame:
    """One row per funding source, per budget and capacity that binds, and per mineral's target."""
    rows = []
    for marginal in marginals:
        if marginal.kind == "amount":
            rows.append(_amount_row(marginal, data))
        elif marginal.kind == "budget" and _binds(marginal, data.funding[marginal.key[0]].budgets[marginal.key[1]]):
            rows.append(_budget_row(marginal, data))
        elif marginal.kind == "capacity" and _binds(marginal, data.offers[marginal.key[:2]].max_per_period):
            rows.append(_capacity_row(marginal, data))
        elif marginal.kind == "market" and _binds(marginal, data.market_cap(marginal.key[0])):
            rows.append(_market_row(marginal, data))
        elif (marginal.kind == "conversion"
              and _binds(marginal, data.conversions[marginal.key[0]].max_per_period)):
            rows.append(_conversion_row(marginal, data))
    rows += _target_rows([m for m in marginals if m.kind == "target"], data)
    frame = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    order = {"funding amount": 0, "period budget": 1, "capacity": 2, "conversion capacity": 2, "market cap": 3,
             "target": 4}
    frame["_group"] = frame["limit"].map(order)
    frame["_size"] = -frame["cost_change_per_unit"].abs()
    return frame.sort_values(["_group", "_size"], kind="stable").drop(columns=["_group", "_size"]).reset_index(
        drop=True)


def _binds(marginal: Marginal, limit: float) -> bool:
    return marginal.slack <= BINDING * max(1.0, abs(limit)) or abs(marginal.value) > 1e-9


def _amount_row(marginal: Marginal, data: PlanningData) -> dict:
    source = marginal.key[0]
    amount = data.funding[source].amount
    currency = data.settings.currency
    step = analyst_step(amount, MONEY_SHARE, marginal.room)
    saving = -marginal.value * step
    if marginal.slack > BINDING * max(1.0, amount):
        status = f"{money(marginal.slack, currency)} unused"
        finding = (f"{source} has {money(marginal.slack, currency)} of its {money(amount, currency)} unused: "
                   "more of it is worth nothing at the margin.")
    elif saving > 1e-9:
        status = "fully used"
        finding = (f"Another {money(step, currency)} of {source} would lower the expected cost by about "
                   f"{money(saving, currency)} (each extra {money(1, currency)} saves "
                   f"{money(-marginal.value, currency)})." + holds(marginal.room, lambda v: money(v, currency)))
    else:
        status = "fully used"
        finding = f"{source} is fully used, but more of it would not lower the expected cost: another limit binds first."
    return _row("funding amount", source, None, status, marginal.value, f"per {currency}",
                f"+{money(step, currency)}", -saving, finding, marginal.room)


def _budget_row(marginal: Marginal, data: PlanningData) -> dict:
    source, period = marginal.key
    budget = data.funding[source].budgets[period]
    currency = data.settings.currency
    step = analyst_step(budget, MONEY_SHARE, marginal.room)
    saving = -marginal.value * step
    if saving > 1e-9:
        finding = (f"Another {money(step, currency)} of {source}'s budget in period {period} would lower the "
                   f"expected cost by about {money(saving, currency)} (each extra {money(1, currency)} saves "
                   f"{money(-marginal.value, currency)})." + holds(marginal.room, lambda v: money(v, currency)))
    else:
        finding = (f"{source}'s budget in period {period} ({money(budget, currency)}) is fully used, but more "
                   "would not lower the expected cost.")
    return _row("period budget", source, period, "fully used", marginal.value, f"per {currency}",
                f"+{money(step, currency)}", -saving, finding, marginal.room)


def _capacity_row(marginal: Marginal, data: PlanningData) -> dict:
    supplier, mineral, period = marginal.key
    unit = data.minerals[mineral].unit
    capacity = number(data.offers[supplier, mineral].max_per_period)
    return _per_unit_row("capacity", f"{supplier}: {mineral}", marginal, data, mineral,
                         data.offers[supplier, mineral].max_per_period,
                         f"of {mineral} capacity at {supplier} in period {period} (now {capacity} {unit})",
                         f"{supplier}'s {mineral} capacity in period {period} ({capacity} {unit})")


def _conversion_row(marginal: Marginal, data: PlanningData) -> dict:
    name, period = marginal.key
    conversion = data.conversions[name]
    source = conversion.from_mineral
    unit = data.minerals[source].unit
    capacity = number(conversion.max_per_period)
    return _per_unit_row("conversion capacity", name, marginal, data, source, conversion.max_per_period,
                         f"of {source} that {name} can convert in period {period} (now {capacity} {unit})",
                         f"{name}'s capacity in period {period} ({capacity} {unit} of {source})")


def _market_row(marginal: Marginal, data: PlanningData) -> dict:
    mineral, period = marginal.key
    unit = data.minerals[mineral].unit
    cap = number(data.market_cap(mineral))
    return _per_unit_row("market cap", mineral, marginal, data, mineral, data.market_cap(mineral),
                         f"of {mineral} that the market lets the plan buy in period {period} (now "
                         f"{cap} {unit}: max_market_share x world_supply)",
                         f"The market cap of {mineral} in period {period} ({cap} {unit})")


def _per_unit_row(limit: str, name: str, marginal: Marginal, data: PlanningData, mineral: str, size: float,
                  more_of: str, used: str) -> dict:
    """A limit of ``size`` units of ``mineral`` that binds in the period ending ``marginal.key``: what a round
    10% more of it saves, and for how much more that holds."""
    unit = data.minerals[mineral].unit
    currency = data.settings.currency
    step = analyst_step(size, QUANTITY_SHARE, marginal.room)
    saving = -marginal.value * step
    if saving > 1e-9:
        finding = (f"Another {number(step)} {unit} {more_of} would lower the expected cost by about "
                   f"{money(saving, currency)} ({money(-marginal.value, currency)} per {unit})."
                   + holds(marginal.room, lambda v: f"{number(v)} {unit}"))
    else:
        finding = f"{used} is used in full, but more would not lower the expected cost."
    return _row(limit, name, marginal.key[-1], "fully used", marginal.value, f"per {unit}",
                f"+{number(step)} {unit}", -saving, finding, marginal.room)


def _target_rows(marginals: list[Marginal], data: PlanningData) -> list[dict]:
    """Per mineral: raising its target by one unit in every period that has one."""
    currency = data.settings.currency
    by_mineral: dict[str, list[Marginal]] = {}
    for marginal in marginals:
        by_mineral.setdefault(marginal.key[0], []).append(marginal)
    rows = []
    for mineral, items in by_mineral.items():
        unit = data.minerals[mineral].unit
        total = sum(m.value for m in items)
        dearest = max(items, key=lambda m: m.value)
        if total > 1e-9:
            finding = (f"Raising the {mineral} target by 1 {unit} in each of its {len(items)} target periods would "
                       f"raise the expected cost by about {money(total, currency)}; the dearest is period "
                       f"{dearest.key[1]} ({money(dearest.value, currency)} per {unit}).")
        else:
            finding = f"The {mineral} target costs nothing more at the margin: the plan keeps stock above it."
        rows.append(_row("target", mineral, None, f"{len(items)} periods", total, f"per {unit} in every period",
                         f"+1 {unit}", total, finding))
    return rows


def _row(limit, item, period, status, value, per, change, effect, finding, room=None) -> dict:
    """``room``: how much more of the limit the value per unit holds for (blank: not measured or unlimited)."""
    shown_room = room if room is not None and room == room and room < 1e15 else None
    return {"limit": limit, "item": item, "period": period, "status": status, "cost_change_per_unit": value,
            "per": per, "change": change, "effect": effect, "finding": finding, "holds_for_up_to": shown_room}


# --- why a shortfall remains ----------------------------------------------------------------------

def causes_frame(causes: list[Cause], data: PlanningData) -> pd.DataFrame:
    """One row per measured limit per mineral, the limits that remove most first, all limits last."""
    rows = []
    for cause in causes:
        unit = data.minerals[cause.mineral].unit
        share = cause.removed / cause.shortfall if cause.shortfall > 0 else 0.0
        rows.append({
            "mineral": cause.mineral, "unit": unit, "expected_shortfall": cause.shortfall, "limit": cause.limit,
            "shortfall_if_lifted": cause.relaxed, "shortfall_in_plan": cause.in_plan, "removed": cause.removed,
            "removed_share": share, "finding": _cause_finding(cause, unit, share, data),
        })
    frame = pd.DataFrame(rows, columns=CAUSE_COLUMNS)
    if frame.empty:
        return frame
    frame["_last"] = frame["limit"].isin([ALL_LIMITS, NO_OFFER])
    frame["_first"] = frame.groupby("mineral", sort=False).ngroup()
    frame = frame.sort_values(["_first", "_last", "removed"], ascending=[True, True, False], kind="stable")
    return frame.drop(columns=["_last", "_first"]).reset_index(drop=True)


def _cause_finding(cause: Cause, unit: str, share: float, data: PlanningData) -> str:
    short = f"{number(cause.shortfall)} {unit}"
    if cause.limit == NO_OFFER:
        return f"No supplier offers {cause.mineral}: only its stock and pipeline can serve it."
    if cause.relaxed is None:
        return f"Not measured: the re-solve with {cause.what} lifted found no plan in time."
    if cause.limit == ALL_LIMITS:
        if cause.relaxed <= MATTERS * cause.shortfall:
            return f"With every limit lifted at once, the {short} short would all be bought."
        return (f"With every limit lifted at once, {number(cause.relaxed)} {unit} of the {short} remain short: "
                "buying that much costs more than the shortfall penalty.")
    if cause.limit == PENALTY:
        if share < MATTERS:
            return f"A tenfold penalty would not change the plan for {cause.mineral}: the limits, not prices, keep it short."
        spec, currency = data.minerals[cause.mineral], data.settings.currency
        return (f"With tenfold penalties {number(cause.removed)} {unit} more would be bought: at today's penalties "
                f"({money(spec.shortfall_penalty, currency)} per {unit} of demand not served, "
                f"{money(spec.target_penalty, currency)} per {unit} and period below target) "
                "falling short of that is cheaper than buying it.")
    if share < MATTERS:
        return f"Lifting {cause.what} removes nothing: it does not bind."
    return f"Lifting {cause.what} removes {number(cause.removed)} of the {short} short ({percent(share)})."


def verdicts(causes: list[Cause], data: PlanningData) -> dict[str, str]:
    """Per mineral, one sentence: which limits remove most of its shortfall.

    The targets themselves are left out of the sentence: lifting them removes the stock below target by
    definition, which the shortfall table already shows; the Why short sheet keeps their row."""
    by_mineral: dict[str, list[Cause]] = {}
    for cause in causes:
        by_mineral.setdefault(cause.mineral, []).append(cause)
    sentences = {}
    for mineral, items in by_mineral.items():
        unit = data.minerals[mineral].unit
        shortfall = items[0].shortfall
        named = sorted((c for c in items if c.limit not in (ALL_LIMITS, NO_OFFER, TARGETS) and shortfall > 0
                        and c.removed / shortfall >= MATTERS), key=lambda c: -c.removed)
        parts = [f"{c.limit} {percent(c.removed / shortfall)}" for c in named[:3]]
        in_plan = items[0].in_plan
        if in_plan is None or abs(in_plan - shortfall) <= RESOLVE_DIFFERS * max(in_plan, shortfall):
            text = f"{mineral} ({number(shortfall)} {unit} short): "
        else:  # say which figure the shares are of, beside the plan's own
            text = (f"{mineral} ({number(in_plan)} {unit} short in the plan; {number(shortfall)} {unit} in a "
                    "re-solve of it alone, within the plan's gap): ")
        text += ("lifting one limit alone removes, of it: " + ", ".join(parts)) if parts else \
            "no single limit removes it"
        together = next((c for c in items if c.limit == ALL_LIMITS and c.relaxed is not None), None)
        if together is not None and together.relaxed > MATTERS * shortfall:
            text += f"; {number(together.relaxed)} {unit} remain with every limit lifted"
        sentences[mineral] = text + "."
    return sentences


# --- what each funding source can pay ----------------------------------------------------------------

def funding_limits(use: pd.DataFrame, data: PlanningData) -> list[str]:
    """Why each source paid what it paid: what its budgets, window and rules let it pay at most.

    ``use`` is ``metrics.funding_use``: "Ex-Im loan: its per-period budgets in the 12 quarters it may
    pay in (Q1 2027 to Q4 2029) add up to $900M of its $10B; it paid 51% of that; not for suppliers in China."
    """
    currency, unit = data.settings.currency, data.settings.period_unit
    sentences = []
    for row in use.itertuples():
        source = data.funding[row.source]
        rules = ("; only for " + ", ".join(sorted(source.minerals)) if source.minerals is not None else "") + \
            ("; not for suppliers in " + ", ".join(sorted(source.excluded_countries))
             if source.excluded_countries else "")
        if not row.periods:
            sentences.append(f"{row.source}: no order it may pay can be placed in any period{rules}.")
            continue
        first, last = (period_label(data, t) for t in (row.periods[0], row.periods[-1]))
        span = f"{len(row.periods)} {unit}{'s' if len(row.periods) > 1 else ''} it may pay in ({first}" + \
            (f" to {last})" if len(row.periods) > 1 else ")")
        if row.limit == "budgets":
            text = (f"{row.source}: its per-period budgets in the {span} add up to {money(row.at_most, currency)} "
                    f"of its {money(row.amount, currency)}")
        else:
            text = f"{row.source}: its amount {money(row.amount, currency)} is its limit over the {span}"
        text += f"; it paid {percent(row.used_of_at_most)} of that" if row.at_most else ""
        sentences.append(text + rules + ".")
    return sentences


# --- the largest risks ----------------------------------------------------------------------------

def largest_risks(shortfall: pd.DataFrame, concentration: pd.DataFrame, data: PlanningData,
                  count: int = 3) -> list[str]:
    """The minerals with the largest expected penalty, in words; then concentration if fewer are short."""
    currency = data.settings.currency
    risks = []
    short = shortfall[shortfall["expected_penalty"] > 0].sort_values("expected_penalty", ascending=False)
    for row in short.head(count).itertuples():
        where = _largest_country(concentration, row.mineral)
        parts = [f"{number(q)} {row.unit} {what}" for q, what in (
            (row.expected_unmet_demand, "of demand unmet"), (row.expected_below_target, "below target")) if q > 0]
        text = (f"{row.mineral}: the expected shortfall ({' and '.join(parts)}, summed over periods) costs "
                f"{money(row.expected_penalty, currency)}")
        worst = [f"{number(q)} {row.unit} {what}" for q, what in (
            (row.worst_unmet_demand, "of demand go unmet"), (row.worst_below_target, "are missing from target"))
            if q > 0]
        if row.worst_scenario not in ("", "base") and worst:
            text += f"; {_where_worst(row)} {' and '.join(worst)}"
        risks.append(text + (f"; {where}." if where else "."))
    concentrated = concentration.dropna(subset=["hhi_country_after"]).sort_values("hhi_country_after",
                                                                                   ascending=False)
    for row in concentrated.itertuples():
        if len(risks) >= count or row.hhi_country_after <= 1000:
            break
        if any(r.startswith(f"{row.mineral}:") for r in risks):
            continue
        risks.append(f"{row.mineral}: {_largest_country(concentration, row.mineral)} "
                     f"(HHI {row.hhi_country_after:,.0f}).")
    return risks


def _where_worst(row) -> str:
    """``in every scenario``, ``in 'China ban' (25%)`` or ``in each of 'A', 'B' (40% together)``."""
    if row.worst_scenario == EVERY_SCENARIO:
        return "in every scenario"
    names = ", ".join(f"'{name}'" for name in row.worst_scenarios)
    if len(row.worst_scenarios) == 1:
        return f"in {names} ({percent(row.worst_probability)})"
    return f"in each of {names} ({percent(row.worst_probability)} together)"


def _largest_country(concentration: pd.DataFrame, mineral: str) -> str:
    row = concentration[concentration["mineral"] == mineral]
    if row.empty or pd.isna(row["largest_country_after"].iloc[0]):
        return ""
    return (f"{percent(float(row['largest_country_share_after'].iloc[0]))} of its supply comes from "
            f"{row['largest_country_after'].iloc[0]}")


def contract_sentences(plan: Plan, data: PlanningData) -> list[str]:
    """One sentence per contract (Contracts sheet): signed or not, what it took, take-or-pay, what its price
    floor pays above the market and room left."""
    if plan.contracts is None:
        return []
    currency = data.settings.currency
    sentences = []
    for row in plan.contracts.itertuples():
        unit = data.minerals[row.mineral].unit
        who = f"{row.contract} ({row.mineral} from {row.supplier})"
        if row.signed != "yes":
            sentences.append(f"{who}: not signed; the plan buys cheaper or needs none of it.")
            continue
        how = "signed in the input" if row.signed_in_input == "yes" else "signed by the plan"
        text = (f"{who}: {how}; takes {number(row.taken)} {unit} for {money(row.delivery_cost, currency)}"
                f" (minimum {number(row.min_quantity)} {unit}")
        text += ")" if row.max_quantity is None or pd.isna(row.max_quantity) else \
            f", maximum {number(row.max_quantity)} {unit})"
        # the solver's round-off (1e-12 t short of the minimum) is no take-or-pay
        if row.take_or_pay_paid > 0 and row.take_or_pay_quantity > BINDING * max(1.0, row.min_quantity):
            text += (f"; pays {money(row.take_or_pay_paid, currency)} take-or-pay for "
                     f"{number(row.take_or_pay_quantity)} {unit} not taken")
        if row.signing_cost_paid > 0:
            text += f"; signing {money(row.signing_cost_paid, currency)}"
        if getattr(row, "floor_cost", 0) and row.floor_cost > 1e-9:  # a plan read back may lack the column
            text += (f"; its price floor of {money(row.floor_price, currency)} pays "
                     f"{money(row.floor_cost, currency)} above the market in expectation")
        if row.unused_room is not None and not pd.isna(row.unused_room) and row.unused_room > 1e-9:
            text += f"; {number(row.unused_room)} {unit} of room unused"
        sentences.append(text + ".")
    return sentences


def market_sentences(market: pd.DataFrame, data: PlanningData) -> list[str]:
    """Where a market-share cap binds (the Market sheet's cap_used at 100%): one sentence per mineral."""
    if market.empty:
        return []
    binding = market[market["cap_used"] >= 1 - 1e-6]
    sentences = []
    for mineral, rows in binding.groupby("mineral", sort=False):
        unit = data.minerals[mineral].unit
        first = rows.iloc[0]
        periods = ", ".join(str(int(t)) for t in rows["period"])
        sentences.append(f"The market cap of {mineral} binds in period{'s' if len(rows) > 1 else ''} {periods}: "
                         f"orders and contract deliveries reach {number(first.market_cap)} {unit} a period, "
                         f"{percent(first.max_market_share)} of world supply {number(first.world_supply)} {unit}.")
    return sentences
