"""Contracts: offtake contracts with a take-or-pay minimum (Contracts sheet).

Symbols
    CONTRACTS              c: every row of the Contracts sheet
    DELIVERY_SLOTS         (c, t): first_period <= t <= last_period, t + lead_time <= T, and some funding
                           could pay a delivery (``delivery_upper_bounds``)
    Signed[c]              s: 1 when the contract is signed (fixed 1 for signed: yes)        binary
    Delivery[c,t]          d: quantity ordered under c in period t, arriving lead_time later  unit >= 0
    Untaken[c]             g: what the plan pays for below min_quantity (take-or-pay)        unit >= 0
    UnderMinimum[c]        b: 1 when the contract takes less than its minimum (g may be > 0)  binary
    unit_price, lead_time, max_per_period, min_quantity, max_quantity, signing_cost: from Contracts
    taken[c]               sum over t of d[c,t] (what is ordered: a scenario's loss does not lower it)
    bought[c]              taken[c] + g[c]: what the plan buys under c, taken or not

Costs (money enters divided by money_unit, models/scaling.py):
    price[c,t]             unit_price[c]; with a floor_price, the expected sum over k of pi[k] x
                           max(floor_price[c], f[k,c,t] x unit_price[c]), f the ScenarioPrices factor of c's
                           mineral, supplier's country and t (PlanningData.expected_delivery_price)
    purchase_cost     += sum over c,t of price[c,t] * d[c,t]                (deliveries are purchases)
    take_or_pay_cost   = sum over c of unit_price[c] * g[c] = unit_price x max(0, min_quantity x s - taken)
    signing_cost       = sum over c of signing_cost[c] * s[c]
    risk_cost         += risk_weight * risk_score[s(c)] * (sum over t of price[c,t] * d[c,t] + unit_price[c] * g[c])

Who pays: each contract's bill in period t (deliveries ordered in t, signing in first_period,
take-or-pay in last_period) is paid by the funding sources under the same rules as orders
(``ContractSpend``, models/funding.py adds it to the amounts and budgets).

Where deliveries count (hooks in the shared modules): arrivals and scenario losses
(models/inventory.py, by the supplier's origins), the country, supplier and risk caps
(models/mix_and_risk.py: bought[c] counts with the supplier's offer of the mineral, so a cap cannot
be met by paying for material left with the supplier), the market cap (models/market.py: deliveries
ordered in the period; what is not taken is never sold on the market) and the order bounds
(models/ordering.py: a contract's bought quantity is forced or useful like a commitment).
"""

from __future__ import annotations

import math
from collections import defaultdict

import pyomo.core as pyo

from models.elastic import add_slack, slack_of
from optimizer.contract.data import Contract, PlanningData

DeliverySlot = tuple[str, int]  # (contract, period)


def delivery_upper_bounds(data: PlanningData) -> dict[DeliverySlot, float]:
    """The most a delivery slot can hold, a limit every plan respects: the smallest of max_per_period,
    max_quantity, what the eligible funding can pay in the period (sum over f of min(amount, Budgets[f,t])
    / price[c,t], the expected delivery price), the market cap and storage in the base scenario (max_stock + demand at arrival).
    In a frozen period (--freeze) the previous plan's delivery, if any: it is fixed there.
    Slots that can hold nothing are left out."""
    bounds: dict[DeliverySlot, float] = {}
    T = data.settings.num_periods
    for name, contract in data.contracts.items():
        mineral = data.minerals[contract.mineral]
        for period in contract.delivery_periods(T):
            funds = sum(min(source.amount, source.budgets.get(period, math.inf)) for source in data.funding.values()
                        if source.can_pay(data.country(contract.supplier), contract.mineral, period))
            if period <= data.frozen_periods:  # --freeze: the previous plan's delivery, fixed (add_contracts)
                bound = data.frozen_deliveries.get((name, period), 0.0)
                if bound > 0:
                    bounds[name, period] = bound
                continue
            limits = [funds / data.expected_delivery_price(name, period), contract.max_per_period, contract.max_quantity,
                      data.market_cap(contract.mineral)]
            if mineral.max_stock is not None:
                limits.append(mineral.max_stock + data.demand.get((contract.mineral, period + contract.lead_time), 0.0))
            bound = min(limit for limit in limits if limit is not None)
            if bound > 0:
                bounds[name, period] = bound
    return bounds


def payment_periods(contract: Contract, delivery_periods) -> list[int]:
    """The periods a contract may bill: its delivery periods, first_period (signing) and last_period
    (take-or-pay)."""
    return sorted({*delivery_periods, contract.first_period, contract.last_period})


def add_contracts(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Signed, deliveries, take-or-pay and their costs; the contracts' bills for models/funding.py."""
    upper = model.facts.delivery_upper
    model.CONTRACTS = pyo.Set(initialize=list(data.contracts), ordered=True)
    model.DELIVERY_SLOTS = pyo.Set(dimen=2, initialize=sorted(upper), ordered=True)
    model.TAKE_OR_PAY = pyo.Set(ordered=True, initialize=[c for c, k in data.contracts.items() if k.min_quantity > 0])
    model.Signed = pyo.Var(model.CONTRACTS, within=pyo.Binary)
    model.Delivery = pyo.Var(model.DELIVERY_SLOTS, within=pyo.NonNegativeReals,
                             bounds=lambda m, c, t: (0, upper[c, t]))
    model.Untaken = pyo.Var(model.TAKE_OR_PAY, within=pyo.NonNegativeReals,
                            bounds=lambda m, c: (0, data.contracts[c].min_quantity))
    model.UnderMinimum = pyo.Var(model.TAKE_OR_PAY, within=pyo.Binary)
    for name, contract in data.contracts.items():
        if contract.signed:
            model.Signed[name].fix(1)
        elif name in data.unsigned_contracts:
            model.Signed[name].fix(0)
    for slot in model.DELIVERY_SLOTS:
        if slot in data.frozen_deliveries:
            model.Delivery[slot].fix(data.frozen_deliveries[slot])
    _add_delivery_limits(model, data)
    _add_take_or_pay(model, data)
    _add_contract_costs(model, data)


def deliveries_of(model: pyo.ConcreteModel) -> dict[str, list[DeliverySlot]]:
    """contract -> its delivery slots."""
    slots: dict[str, list[DeliverySlot]] = defaultdict(list)
    for slot in model.DELIVERY_SLOTS:
        slots[slot[0]].append(slot)
    return slots


def taken(model: pyo.ConcreteModel, contract: str, slots: dict[str, list[DeliverySlot]]):
    """taken[c] = sum over t of d[c,t]."""
    return sum(model.Delivery[slot] for slot in slots.get(contract, ()))


def _add_delivery_limits(model, data: PlanningData) -> None:
    slots = deliveries_of(model)

    def con_contract_delivery(m, contract, period):
        """Deliveries only under a signed contract, at most max_per_period (or the slot's bound):
        d[c,t] <= max_per_period[c] * s[c]."""
        return m.Delivery[contract, period] <= m.facts.delivery_upper[contract, period] * m.Signed[contract]

    def con_contract_total(m, contract):
        """At most max_quantity over the contract: sum over t of d[c,t] <= max_quantity[c] * s[c]."""
        limit = data.contracts[contract].max_quantity
        if limit is None or not slots.get(contract):
            return pyo.Constraint.Skip
        return taken(m, contract, slots) <= limit * m.Signed[contract]

    model.con_contract_delivery = pyo.Constraint(model.DELIVERY_SLOTS, rule=con_contract_delivery)
    model.con_contract_total = pyo.Constraint(model.CONTRACTS, rule=con_contract_total)


def _add_take_or_pay(model, data: PlanningData) -> None:
    slots = deliveries_of(model)

    def room(contract: str) -> float:
        """The most a contract can take: the sum of its slots' bounds."""
        return sum(model.facts.delivery_upper[slot] for slot in slots.get(contract, ()))

    def con_take_or_pay(m, contract):
        """What a signed contract takes below its minimum is paid: g[c] >= min_quantity[c] * s[c] - taken[c]."""
        return m.Untaken[contract] >= data.contracts[contract].min_quantity * m.Signed[contract] - taken(m, contract, slots)

    def con_take_or_pay_below(m, contract):
        """Take-or-pay only when the contract takes less than its minimum: g[c] <= min_quantity[c] * b[c]."""
        return m.Untaken[contract] <= data.contracts[contract].min_quantity * m.UnderMinimum[contract]

    def con_take_or_pay_exact(m, contract):
        """Below the minimum, g is exactly what is missing (so g cannot buy room in a cap):
        g[c] + taken[c] <= min_quantity[c] * s[c] + room[c] * (1 - b[c]), room = the slots' bounds summed."""
        minimum = data.contracts[contract].min_quantity
        return (m.Untaken[contract] + taken(m, contract, slots)
                <= minimum * m.Signed[contract] + room(contract) * (1 - m.UnderMinimum[contract]))

    model.con_take_or_pay = pyo.Constraint(model.TAKE_OR_PAY, rule=con_take_or_pay)
    model.con_take_or_pay_below = pyo.Constraint(model.TAKE_OR_PAY, rule=con_take_or_pay_below)
    model.con_take_or_pay_exact = pyo.Constraint(model.TAKE_OR_PAY, rule=con_take_or_pay_exact)


def _add_contract_costs(model, data: PlanningData) -> None:
    """Deliveries into purchase_cost; take_or_pay_cost and signing_cost as their own terms."""
    unit = model.facts.money_unit

    def delivery_cost(m, contract, period):
        """price[c,t] * d[c,t]: unit_price, or with a floor_price its expected price over the scenarios."""
        return data.expected_delivery_price(contract, period) / unit * m.Delivery[contract, period]

    def take_or_pay_cost(m, contract):
        """unit_price[c] * g[c]."""
        if contract not in m.TAKE_OR_PAY:
            return 0.0
        return data.contracts[contract].unit_price / unit * m.Untaken[contract]

    model.DeliveryCost = pyo.Expression(model.DELIVERY_SLOTS, rule=delivery_cost)
    model.TakeOrPayCost = pyo.Expression(model.CONTRACTS, rule=take_or_pay_cost)
    if not data.contracts:
        return  # no cost term: a workbook without contracts builds the model it always did
    terms = model.facts.cost_terms
    terms["purchase_cost"] = terms["purchase_cost"] + sum(model.DeliveryCost[slot] for slot in model.DELIVERY_SLOTS)
    terms["take_or_pay_cost"] = sum(model.TakeOrPayCost[c] for c in model.TAKE_OR_PAY)
    terms["signing_cost"] = sum(data.contracts[c].signing_cost / unit * model.Signed[c]
                                for c in model.CONTRACTS if data.contracts[c].signing_cost > 0)


def contract_bills(model: pyo.ConcreteModel, data: PlanningData) -> dict[DeliverySlot, object]:
    """(contract, period) -> what the contract bills in that period, in money units: deliveries ordered in t,
    signing_cost * s in first_period, unit_price * g in last_period."""
    unit = model.facts.money_unit
    slots = deliveries_of(model)
    bills: dict[DeliverySlot, object] = {}
    for name, contract in data.contracts.items():
        periods = [t for _, t in slots.get(name, ())]
        for period in payment_periods(contract, periods):
            bill = model.DeliveryCost[name, period] if (name, period) in model.DELIVERY_SLOTS else 0.0
            if period == contract.first_period and contract.signing_cost > 0:
                bill = bill + contract.signing_cost / unit * model.Signed[name]
            if period == contract.last_period and name in model.TAKE_OR_PAY:
                bill = bill + model.TakeOrPayCost[name]
            if not isinstance(bill, float):
                bills[name, period] = bill
    return bills


def add_contract_funding(model: pyo.ConcreteModel, data: PlanningData) -> list:
    """ContractSpend[f,c,t] (money source f pays for contract c's bill in t, where f may pay the supplier's
    country, the mineral and the period) and con_contract_funded; returns the (source, period, spend) terms
    for the amounts and budgets of models/funding.py."""
    bills = contract_bills(model, data)
    index = [(f, name, period) for name, period in bills
             for f in data.eligible_sources(data.contracts[name].supplier, data.contracts[name].mineral, period)]
    model.CONTRACT_FUNDING_SLOTS = pyo.Set(dimen=3, initialize=index, ordered=True)
    model.CONTRACT_BILLS = pyo.Set(dimen=2, initialize=list(bills), ordered=True)
    model.ContractSpend = pyo.Var(model.CONTRACT_FUNDING_SLOTS, within=pyo.NonNegativeReals)
    unfunded = add_slack(model, "con_contract_funded", model.CONTRACT_BILLS)
    by_bill: dict[DeliverySlot, list] = defaultdict(list)
    for f, name, period in index:
        by_bill[name, period].append(model.ContractSpend[f, name, period])

    def con_contract_funded(m, contract, period):
        """Every contract bill is paid in full: sum over f of ContractSpend[f,c,t] = bill[c,t]."""
        return sum(by_bill.get((contract, period), ())) + slack_of(unfunded, (contract, period)) == bills[contract, period]

    model.con_contract_funded = pyo.Constraint(model.CONTRACT_BILLS, rule=con_contract_funded)
    return [(f, period, model.ContractSpend[f, name, period]) for f, name, period in index]


def bought_by_offer(model: pyo.ConcreteModel, data: PlanningData) -> dict[tuple[str, str], list]:
    """(supplier, mineral) -> the terms of bought[c] of its contracts: deliveries and take-or-pay quantity."""
    terms: dict[tuple[str, str], list] = defaultdict(list)
    for name, period in model.DELIVERY_SLOTS:
        contract = data.contracts[name]
        terms[contract.supplier, contract.mineral].append(model.Delivery[name, period])
    for name in model.TAKE_OR_PAY:
        contract = data.contracts[name]
        terms[contract.supplier, contract.mineral].append(model.Untaken[name])
    return terms


def contract_risk_cost(model: pyo.ConcreteModel, data: PlanningData):
    """sum over c of risk_score[s(c)] * (sum over t of price[c,t] * d[c,t] + unit_price[c] * g[c]): the spend
    under c, deliveries at their (expected) price, in money units (without risk_weight)."""
    return (sum(data.risk_score(data.contracts[c].supplier) * model.DeliveryCost[c, t] for c, t in model.DELIVERY_SLOTS)
            + sum(data.risk_score(data.contracts[c].supplier) * model.TakeOrPayCost[c] for c in model.TAKE_OR_PAY))


def delivery_arrivals(model: pyo.ConcreteModel, data: PlanningData) -> list[tuple[str, str, int, object]]:
    """(supplier, mineral, arrival period, d[c,t]) of every delivery slot: it arrives lead_time after t."""
    return [(data.contracts[c].supplier, data.contracts[c].mineral, t + data.contracts[c].lead_time,
             model.Delivery[c, t]) for c, t in model.DELIVERY_SLOTS]


def solved_deliveries(model: pyo.ConcreteModel) -> dict[DeliverySlot, float]:
    """d[c,t] of a solved model, round-off below zero removed (none in a model without contracts)."""
    if model.component("Delivery") is None:
        return {}
    return {slot: max(0.0, pyo.value(model.Delivery[slot], exception=False) or 0.0) for slot in model.DELIVERY_SLOTS}
