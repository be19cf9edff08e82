"""Read a solved model back into plain tables, and name the limits an elastic model had to relax.

This is the only place outside the concern modules that knows the model's
component names; the application receives a ``Plan`` of DataFrames.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pandas as pd
import pyomo.environ as pyo

from models.conversions import converted_in_and_out, solved_conversions
from models.release import apply_serve_first, arrivals_after_losses
from models.sales import sales_made, solved_sales
from optimizer.contract.data import PlanningData
from optimizer.contract.results import (
    CONVERSION_COLUMNS, CONVERSION_FUNDING_COLUMNS, CONVERSION_STOCK_COLUMNS, COST_TERMS, FUNDING_COLUMNS,
    ORDER_COLUMNS, STOCK_COLUMNS, Plan, SolveResult,
)

_ZERO = 1e-9
MONEY_SLACKS = {"con_order_funded", "con_source_amount", "con_period_budget", "con_source_funds"}


def model_size(model: pyo.ConcreteModel) -> dict[str, int]:
    """The model's active variables, binaries and constraints, as counted for the Summary."""
    variables = list(model.component_data_objects(pyo.Var, active=True))
    return {
        "variables": len(variables),
        "binaries": sum(1 for v in variables if v.is_binary()),
        "constraints": sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True)),
    }


def extract_plan(model: pyo.ConcreteModel, data: PlanningData, solve: SolveResult) -> Plan:
    """Read the solved model back as a Plan: orders, funding, stock (serve-first applied), cost terms in currency."""
    apply_serve_first(model, data)  # stock follows from the orders exactly (models/release.py)
    orders = _orders(model, data)
    funding = _funding(model)
    stock = _stock(model, data)
    sales = sales_made(model, data)
    costs = {name: _clean(pyo.value(model.Cost[name]) * model.facts.money_unit) for name in COST_TERMS}
    # A plan stopped by the time limit may mark a supplier used (z = 1) without an order;
    # z = 0 is then just as feasible, so onboarding is charged for suppliers ordered from only.
    costs["onboarding_cost"] = float(sum(data.suppliers[s].onboarding_cost for s in set(orders["supplier"])))
    solve = replace(solve, objective=_scaled(solve.objective, model), bound=_scaled(solve.bound, model))
    return Plan(solve.status, sum(costs.values()), costs, orders, funding, stock, solve, model_size(model),
                sales=sales, conversions=conversion_frame(model, data),
                conversion_funding=conversion_funding_frame(model))


def _scaled(value: float | None, model) -> float | None:
    return None if value is None else value * model.facts.money_unit


def _clean(value: float | None) -> float:
    """Solver round-off: tiny magnitudes become exactly 0."""
    value = float(value or 0.0)
    return 0.0 if abs(value) < _ZERO else value


def _orders(model, data: PlanningData) -> pd.DataFrame:
    rows = []
    for slot in model.ORDER_SLOTS:
        supplier, mineral, period = slot
        offer = data.offers[supplier, mineral]
        quantity = max(0.0, _clean(pyo.value(model.Order[slot])))
        placed = pyo.value(model.IsOrdered[slot]) > 0.5
        # An order "placed" for nothing at no cost is no order; one that costs is shown.
        if not placed or (quantity <= 0 and offer.order_cost == 0 and slot not in data.commitments):
            continue
        discount = _chosen_discount(model, slot)
        unit_price = data.unit_price(slot, discount)
        rows.append({
            "supplier": supplier, "mineral": mineral, "country": data.country(supplier), "period": period,
            "arrival_period": period + offer.lead_time, "quantity": quantity, "unit_price": unit_price,
            "cost": quantity * unit_price + offer.order_cost, "list_price": offer.price(period),
            # an agreed price takes no discount: the cell is left blank beside the period's list price
            "discount": None if slot in data.commitment_prices else discount,
            "order_cost": offer.order_cost, "committed": slot in data.commitments,
        })
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def _chosen_discount(model, slot) -> float:
    """The discount of the price segment the solved model put the order in (the largest InTier)."""
    segments = model.facts.price_segments[slot]
    if len(segments) == 1:
        return 0.0
    chosen = max(range(len(segments)), key=lambda j: pyo.value(model.InTier[slot + (j,)]))
    return segments[chosen].discount


def _funding(model) -> pd.DataFrame:
    rows = [
        {"source": f, "supplier": s, "mineral": m, "period": t, "amount": amount}
        for (f, s, m, t) in model.FUNDING_SLOTS
        if (amount := _clean(pyo.value(model.Spend[f, s, m, t]) * model.facts.money_unit)) > 1e-6
    ]
    return pd.DataFrame(rows, columns=FUNDING_COLUMNS)


def _stock(model, data: PlanningData) -> pd.DataFrame:
    """One row per scenario, mineral and period, with the arrivals that survive the scenario's losses and
    the stock lost to decay (what the period would otherwise end with, less the stock)."""
    orders = {slot: max(0.0, _clean(pyo.value(model.Order[slot]))) for slot in model.ORDER_SLOTS}
    arrived = arrivals_after_losses(data, orders)
    converted = solved_conversions(model)
    scenarios = {k.name: k for k in data.all_scenarios}
    sold = solved_sales(model)
    rows = []
    previous = {}  # (scenario, mineral) -> stock at the end of the period before
    for scenario, mineral, period in _every_stock_row(model, data):
        index = (model.facts.stock_scenario[scenario, mineral], mineral, period)  # its class's variables
        arrivals = arrived(scenarios[scenario], mineral, period)
        stock = max(0.0, _clean(pyo.value(model.Stock[index])))
        unmet = _clean(pyo.value(model.Unmet[index])) if index in model.Unmet else 0.0
        demand = data.demand_of(scenario, mineral, period)
        sold_now = _clean(sold.get((mineral, period), 0.0))
        flows = converted_in_and_out(data, scenarios[scenario], mineral, period, converted)  # {} without conversions
        held = (previous.get((scenario, mineral), data.minerals[mineral].initial_stock) + arrivals
                + flows.get("converted_in", 0.0) - flows.get("converted_out", 0.0) - demand + unmet - sold_now)
        previous[scenario, mineral] = stock
        target = data.targets.get((mineral, period), 0.0)
        shortfall = max(0.0, target - stock)
        if index in model.Shortfall and model.facts.probability[index[:2]] > 0:
            shortfall = _clean(pyo.value(model.Shortfall[index]))  # what the objective priced
        rows.append({
            "scenario": scenario, "mineral": mineral, "period": period, "arrivals": arrivals,
            "demand": demand, "unmet_demand": unmet, "stock": stock, "target": target, "shortfall": shortfall,
            "sold": sold_now,
            "lost": max(0.0, _clean(held - stock)) if data.minerals[mineral].loss_rate > 0 else 0.0,
            **flows,
        })
    return pd.DataFrame(rows, columns=STOCK_COLUMNS + (CONVERSION_STOCK_COLUMNS if data.conversions else []))


def conversion_frame(model, data: PlanningData) -> pd.DataFrame:
    """One row per conversion started: input, output (yield x input, before any loss), cost."""
    rows = []
    for (name, period), quantity in solved_conversions(model).items():
        quantity = _clean(quantity)
        if quantity <= 1e-9:
            continue
        c = data.conversions[name]
        rows.append({"conversion": name, "from_mineral": c.from_mineral, "to_mineral": c.to_mineral,
                     "supplier": c.supplier or "", "period": period, "arrival_period": period + c.lead_time,
                     "input": quantity, "yield": c.yield_, "output": c.yield_ * quantity,
                     "unit_cost": c.unit_cost, "cost": c.unit_cost * quantity})
    return pd.DataFrame(rows, columns=CONVERSION_COLUMNS)


def conversion_funding_frame(model) -> pd.DataFrame:
    """Who pays each conversion: one row per source and conversion started."""
    if model.component("ConversionSpend") is None:
        return pd.DataFrame(columns=CONVERSION_FUNDING_COLUMNS)
    rows = [{"source": f, "conversion": c, "period": t, "amount": amount}
            for f, c, t in model.CONVERSION_FUNDING
            if (amount := _clean(pyo.value(model.ConversionSpend[f, c, t]) * model.facts.money_unit)) > 1e-6]
    return pd.DataFrame(rows, columns=CONVERSION_FUNDING_COLUMNS)


def _every_stock_row(model, data: PlanningData):
    """(scenario, mineral, period) for every scenario, base first, as the contract's Stock sheet lists them."""
    return ((k.name, m, t) for k in data.all_scenarios for m in data.minerals for t in data.periods)


def describe_conflicts(model: pyo.ConcreteModel, data: PlanningData) -> list[str]:
    """Sentences naming every hard limit the elastic model had to relax, largest first."""
    currency = data.settings.currency
    found: list[tuple[float, str]] = []
    storage: dict[tuple[str, int], float] = defaultdict(float)
    for name, slack in model.facts.slack_terms.items():
        for index, var in slack.items():
            amount = _clean(pyo.value(var))
            if amount <= 1e-6:
                continue
            if name == "con_max_stock":
                scenario, mineral, period = index
                storage[mineral, period] = max(storage[mineral, period], amount)
                continue
            if name in MONEY_SLACKS:
                amount *= model.facts.money_unit
            found.append((amount, _conflict_sentence(name, index, amount, data, currency)
                          + _committed_behind(name, index, data)))
    for (mineral, period), amount in storage.items():
        found.append((amount, f"storage: the stock of {mineral} in period {period} would exceed max_stock "
                              f"{data.minerals[mineral].max_stock:g} by {amount:,.6g} {data.minerals[mineral].unit}"
                      + _committed_behind("con_max_stock", (mineral, period), data)))
    commitments = ", ".join(f"{q:g} {data.minerals[m].unit} of {m} from {s} in period {t}"
                            + (" (frozen)" if (s, m, t) in data.frozen_orders else "")
                            for (s, m, t), q in data.commitments.items())
    sentences = [text for _, text in sorted(found, key=lambda item: -item[0])]
    if commitments and sentences:
        sentences.append(f"the commitments that force these orders: {commitments}")
    return sentences


def _committed_behind(name: str, index, data: PlanningData) -> str:
    """The committed orders (frozen ones named so) that a relaxed limit must carry, with their cost, or ""."""
    def pays(source, slot) -> bool:
        return source.can_pay(data.country(slot[0]), slot[1], slot[2])

    carried = {
        "con_order_funded": lambda slot: slot == index,
        "con_source_amount": lambda slot: pays(data.funding[index], slot),
        "con_source_funds": lambda slot: slot[2] <= index[1] and pays(data.funding[index[0]], slot),
        "con_period_budget": lambda slot: slot[2] == index[1] and pays(data.funding[index[0]], slot),
        "con_country_share": lambda slot: slot[1] == index[0] and index[1] in data.origin_shares(*slot[:2]),
        "con_supplier_share": lambda slot: slot[:2] == index,
        "con_average_risk": lambda slot: slot[1] == index,
        "con_market_share": lambda slot: slot[1:] == index,
        "con_max_stock": lambda slot: slot[1] == index[0]
        and slot[2] + data.offers[slot[:2]].lead_time <= index[1],
    }.get(name)
    slots = [slot for slot in sorted(data.commitments) if carried is not None and carried(slot)]
    if not slots:
        return ""
    return "; committed orders it must carry: " + ", ".join(_committed_order_text(data, slot) for slot in slots)


def _committed_order_text(data: PlanningData, slot) -> str:
    """``frozen order of 5 t of ga from S1 in period 1 (5 x 10 agreed + order cost 0 = 50.00 USD)``."""
    supplier, mineral, period = slot
    quantity, unit = data.commitments[slot], data.minerals[mineral].unit
    price, order_cost = data.unit_price(slot), data.offers[slot[:2]].order_cost
    kind = "frozen order" if slot in data.frozen_orders else "commitment"
    basis = "agreed" if slot in data.commitment_prices else "list price"
    return (f"{kind} of {quantity:g} {unit} of {mineral} from {supplier} in period {period} ({quantity:g} x "
            f"{price:,.6g} {basis} + order cost {order_cost:,.6g} = {quantity * price + order_cost:,.2f} "
            f"{data.settings.currency})")


def _conflict_sentence(name: str, index, amount: float, data: PlanningData, currency: str) -> str:
    if name == "con_order_funded":
        supplier, mineral, period = index
        return (f"funding: {amount:,.2f} {currency} of the committed order of {mineral} from {supplier} in period "
                f"{period} cannot be paid by any eligible source (windows, excluded countries, minerals, amounts)")
    if name == "con_source_amount":
        return f"funding: source '{index}' would need {amount:,.2f} {currency} more than its amount"
    if name == "con_source_funds":
        source, period = index
        return (f"funding: source '{source}' would need {amount:,.2f} {currency} more in period {period} than "
                "its amount and the sale revenue it received before, less what it paid earlier")
    if name == "con_period_budget":
        source, period = index
        return f"budget: source '{source}' would need {amount:,.2f} {currency} more than its budget in period {period}"
    if name == "con_country_share":
        mineral, country = index
        return (f"country cap: orders of {mineral} from {country} would exceed max_share "
                f"{data.country_max_share[country]:g} by {amount:,.6g} {data.minerals[mineral].unit}")
    if name == "con_supplier_share":
        supplier, mineral = index
        return (f"supplier cap: orders of {mineral} from {supplier} would exceed max_supplier_share "
                f"{data.minerals[mineral].max_supplier_share:g} by {amount:,.6g} {data.minerals[mineral].unit}")
    if name == "con_average_risk":
        return (f"risk cap: the average risk of {index}'s orders would exceed max_avg_risk "
                f"{data.minerals[index].max_avg_risk:g}")
    if name == "con_market_share":
        mineral, period = index
        record = data.minerals[mineral]
        return (f"market cap: orders of {mineral} placed in period {period} would exceed "
                f"{data.market_cap(mineral):,.6g} {record.unit} (max_market_share x world_supply "
                f"{record.world_supply:,.6g}) by {amount:,.6g} {record.unit}")
    return f"{name}[{index}] relaxed by {amount:g}"
