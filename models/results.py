"""Read a solved model back into plain tables, and name the limits an elastic model had to relax.

This is the only place outside the concern modules that knows the model's
component names; the application receives a ``Plan`` of DataFrames.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pandas as pd
import pyomo.core as pyo

from models.contracts import solved_deliveries
from models.conversions import converted_in_and_out, solved_conversions
from models.release import apply_serve_first, arrivals_after_losses
from models.sales import sales_made, solved_sales
from optimizer.contract.data import PlanningData
from optimizer.contract.scenario_costs import plan_tail_cost
from optimizer.contract.results import (
    CAPEX_COLUMNS, COST_TERMS, CONTRACT_COLUMNS, CONVERSION_COLUMNS, CONVERSION_FUNDING_COLUMNS,
    CONVERSION_STOCK_COLUMNS, DELIVERY_COLUMNS, FUNDING_COLUMNS, ORDER_COLUMNS, STOCK_COLUMNS, Plan, SolveResult,
)

_ZERO = 1e-9
MONEY_SLACKS = {"con_order_funded", "con_contract_funded", "con_source_amount", "con_period_budget",
                "con_capex_funded", "con_source_funds"}


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
    funding = _funding(model, data, orders)
    stock = _stock(model, data)
    sales = sales_made(model, data)
    costs = {name: _clean(pyo.value(model.Cost[name]) * model.facts.money_unit) for name in COST_TERMS}
    # A plan stopped by the time limit may mark a supplier used (z = 1) without an order;
    # z = 0 is then just as feasible, so onboarding is charged for suppliers ordered from only.
    costs["onboarding_cost"] = float(sum(data.suppliers[s].onboarding_cost for s in set(orders["supplier"])))
    solve = replace(solve, objective=_scaled(solve.objective, model), bound=_scaled(solve.bound, model))
    builds = {p: d for p, d in model.BUILD_SLOTS if pyo.value(model.Build[p, d]) > 0.5}
    deliveries, contracts = contract_tables(model, data)
    plan = Plan(solve.status, sum(costs.values()), costs, orders, funding, stock, solve, model_size(model),
                builds=builds, capex=_capex(model, data), deliveries=deliveries, contracts=contracts,
                sales=sales, conversions=conversion_frame(model, data),
                conversion_funding=conversion_funding_frame(model))
    if data.settings.cvar_weight <= 0:
        return plan
    # the plan's own CVaR, priced from its tables (the stock that follows from its orders)
    costs = {**costs, "cvar_cost": data.settings.cvar_weight * plan_tail_cost(plan, data)}
    return replace(plan, objective=sum(costs.values()), costs=costs)


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
            # the expected payment above the scenario prices that the offer's floor_price adds (within cost)
            "floor_cost": quantity * data.expected_floor_payment(slot) * (1.0 - discount),
        })
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def _chosen_discount(model, slot) -> float:
    """The discount of the price segment the solved model put the order in (the largest InTier)."""
    segments = model.facts.price_segments[slot]
    if len(segments) == 1:
        return 0.0
    chosen = max(range(len(segments)), key=lambda j: pyo.value(model.InTier[slot + (j,)]))
    return segments[chosen].discount


def _funding(model, data: PlanningData, orders: pd.DataFrame) -> pd.DataFrame:
    """Who pays each order of ``orders``; with contracts, also each contract's bills, naming the contract (column
    contract). Money on a slot with no order placed is the solver's round-off (a plan stopped at the gap once paid
    0.00015 USD for an order not placed, and the independent check refused the plan): it is not a payment."""
    placed = set(zip(orders["supplier"], orders["mineral"], orders["period"]))
    rows = [
        {"source": f, "supplier": s, "mineral": m, "period": t, "amount": amount}
        for (f, s, m, t) in model.FUNDING_SLOTS
        if (s, m, t) in placed
        and (amount := _clean(pyo.value(model.Spend[f, s, m, t]) * model.facts.money_unit)) > 1e-6
    ]
    if not data.contracts:
        return pd.DataFrame(rows, columns=FUNDING_COLUMNS)
    rows += [
        {"source": f, "supplier": data.contracts[c].supplier, "mineral": data.contracts[c].mineral, "period": t,
         "amount": amount, "contract": c}
        for (f, c, t) in model.CONTRACT_FUNDING_SLOTS
        if (amount := _clean(pyo.value(model.ContractSpend[f, c, t]) * model.facts.money_unit)) > 1e-6
    ]
    return pd.DataFrame(rows, columns=[*FUNDING_COLUMNS, "contract"])


def contract_tables(model, data: PlanningData) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The deliveries (one row per contract and period ordered) and one row per contract; None without contracts.
    Priced by ``data`` (with recourse: the workbook's, the expected price over the scenarios, read from one
    scenario's copy, models/recourse.py extract_recourse_plan)."""
    if not data.contracts:
        return None, None
    deliveries = {slot: q for slot, q in solved_deliveries(model).items() if _clean(q) > 0}
    rows = []
    for (name, period), quantity in deliveries.items():
        contract = data.contracts[name]
        price = data.expected_delivery_price(name, period)  # unit_price, or the expected price with a floor
        rows.append({"contract": name, "supplier": contract.supplier, "mineral": contract.mineral,
                     "country": data.country(contract.supplier), "period": period,
                     "arrival_period": period + contract.lead_time, "quantity": quantity,
                     "unit_price": price, "cost": quantity * price,
                     "floor_cost": quantity * data.expected_delivery_floor_payment(name, period)})
    contracts = [_contract_row(model, data, name, deliveries) for name in data.contracts]
    return pd.DataFrame(rows, columns=DELIVERY_COLUMNS), pd.DataFrame(contracts, columns=CONTRACT_COLUMNS)


def _contract_row(model, data: PlanningData, name: str, deliveries: dict[tuple[str, int], float]) -> dict:
    """Signed or not, taken, take-or-pay (max(0, min_quantity x signed - taken)), signing, unused room."""
    contract = data.contracts[name]
    signed = pyo.value(model.Signed[name]) > 0.5
    taken = sum(q for (c, _), q in deliveries.items() if c == name)
    short = max(0.0, contract.min_quantity - taken) if signed else 0.0
    room = sum(model.facts.delivery_upper.get((name, t), 0.0)
               for t in contract.delivery_periods(data.settings.num_periods))
    if contract.max_quantity is not None:
        room = min(room, contract.max_quantity)
    return {"contract": name, "supplier": contract.supplier, "mineral": contract.mineral,
            "country": data.country(contract.supplier), "signed": "yes" if signed else "no",
            "signed_in_input": "yes" if contract.signed else "no (the plan decides)",
            "first_period": contract.first_period, "last_period": contract.last_period,
            "unit_price": contract.unit_price, "min_quantity": contract.min_quantity,
            "max_quantity": contract.max_quantity, "taken": taken, "take_or_pay_quantity": short,
            "take_or_pay_paid": short * contract.unit_price,
            "signing_cost_paid": contract.signing_cost if signed else 0.0,
            "delivery_cost": sum(q * data.expected_delivery_price(c, t) for (c, t), q in deliveries.items() if c == name),
            "unused_room": max(0.0, room - taken) if signed else None, "floor_price": contract.floor_price,
            "floor_cost": sum(q * data.expected_delivery_floor_payment(c, t) for (c, t), q in deliveries.items()
                              if c == name)}


def _capex(model, data: PlanningData) -> pd.DataFrame:
    """Who pays each project's capex in which period (CapexSpend), in currency."""
    rows = [
        {"project": p, "supplier": data.projects[p].supplier, "source": f, "period": t, "amount": amount}
        for (f, p, t) in model.CAPEX_SLOTS
        if (amount := _clean(pyo.value(model.CapexSpend[f, p, t]) * model.facts.money_unit)) > 1e-6
    ]
    return pd.DataFrame(rows, columns=CAPEX_COLUMNS)


def _stock(model, data: PlanningData) -> pd.DataFrame:
    """One row per scenario, mineral and period, with the arrivals that survive the scenario's losses and
    the stock lost to decay (what the period would otherwise end with, less the stock)."""
    orders = {slot: max(0.0, _clean(pyo.value(model.Order[slot]))) for slot in model.ORDER_SLOTS}
    arrived = arrivals_after_losses(data, orders, solved_deliveries(model))
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
                          + _committed_behind(name, index, data) + _contracts_behind(name, index, data)))
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


def _contracts_behind(name: str, index, data: PlanningData) -> str:
    """The signed contracts (signed: yes) whose minimum a relaxed limit must carry, or ""."""
    def pays(source, contract) -> bool:
        return any(source.can_pay(data.country(contract.supplier), contract.mineral, t)
                   for t in (contract.first_period, contract.last_period))

    carried = {
        "con_contract_funded": lambda c: c.name == index[0],
        "con_source_amount": lambda c: pays(data.funding[index], c),
        "con_period_budget": lambda c: index[1] in (c.first_period, c.last_period) and pays(data.funding[index[0]], c),
        "con_country_share": lambda c: c.mineral == index[0] and index[1] in data.origin_shares(c.supplier, c.mineral),
        "con_supplier_share": lambda c: (c.supplier, c.mineral) == index,
        "con_average_risk": lambda c: c.mineral == index,
        "con_market_share": lambda c: c.mineral == index[0] and c.first_period <= index[1] <= c.last_period,
    }.get(name)
    signed = [c for c in data.contracts.values()
              if c.signed and (c.min_quantity > 0 or c.signing_cost > 0) and carried is not None and carried(c)]
    if not signed:
        return ""
    currency = data.settings.currency
    return "; signed contracts it must carry: " + ", ".join(
        f"{c.name} (take-or-pay minimum {c.min_quantity:g} {data.minerals[c.mineral].unit} of {c.mineral} from "
        f"{c.supplier} at {c.unit_price:,.6g} {currency}, signing {c.signing_cost:,.2f} {currency})" for c in signed)


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
    if name == "con_contract_funded":
        contract, period = index
        return (f"funding: {amount:,.2f} {currency} of contract {contract}'s bill in period {period} cannot be paid "
                "by any eligible source (windows, excluded countries, minerals, amounts)")
    if name == "con_order_funded":
        supplier, mineral, period = index
        return (f"funding: {amount:,.2f} {currency} of the committed order of {mineral} from {supplier} in period "
                f"{period} cannot be paid by any eligible source (windows, excluded countries, minerals, amounts)")
    if name == "con_capex_funded":
        project, period = index
        spec = data.projects[project]
        return (f"funding: {amount:,.2f} {currency} of the capex of "
                f"{'decided ' if spec.decided else ''}project '{project}' ({spec.supplier}, "
                f"{', '.join(data.project_minerals(spec))}) due in period {period} cannot be paid by any eligible "
                "source (windows, excluded countries, minerals: a source with a minerals list must list every "
                "mineral of the project's offers, amounts)")
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
