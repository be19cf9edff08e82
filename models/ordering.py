"""Ordering: what is bought, from whom, when, and at which price (model.md constraints 1-4).

Symbols
    ORDER_SLOTS        (supplier, mineral, period) where an order can be placed and paid
    TIER_SLOTS         (supplier, mineral, period, tier) price segments of offers with discounts
    (money enters divided by money_unit, see models/scaling.py)
    Order[o,t]         x: quantity ordered                                  unit        >= 0
    IsOrdered[o,t]     y: 1 when an order is placed                          binary
    UsesSupplier[s]    z: 1 when any order is placed with supplier s        binary
    TierQuantity[o,t,j] part of x bought in discount segment j               unit        >= 0
    InTier[o,t,j]      1 when the order falls in segment j                   binary
    price[o,t]         p: Prices override or Offers.unit_price               currency/unit
    min_order, max_per_period, order_cost, lead_time: from Offers; onboarding_cost from Suppliers

An order slot exists only where an order is allowed (first_period <= t <=
last_period, t + lead_time <= T, and with ``--freeze N`` after period N) and
some funding source could pay it, so no variable is created that must be
zero. Commitments always get their slot.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pyomo.core as pyo

from models.decay import needed_ahead
from models.conversions import conversion_use, most_converted_out
from optimizer.contract.data import Contract, Offer, PlanningData, Slot


TIER_GAP = 1e-5


@dataclass(frozen=True)
class Segment:
    """A stretch of order quantity with one effective discount (all-units tiers)."""

    lower: float
    upper: float
    discount: float


def add_ordering(model: pyo.ConcreteModel, data: PlanningData) -> None:
    """Orders on the slots of ``model.facts.order_upper`` (order_upper_bounds), each bounded by its value."""
    upper = model.facts.order_upper
    segments = model.facts.price_segments
    tiered = {slot: segs for slot, segs in segments.items() if len(segs) > 1}

    model.ORDER_SLOTS = pyo.Set(dimen=3, initialize=sorted(upper), ordered=True)
    model.TIER_SLOTS = pyo.Set(dimen=4, ordered=True, initialize=[
        slot + (j,) for slot, segs in tiered.items() for j in range(len(segs))])
    model.SUPPLIERS_USED = pyo.Set(initialize=sorted({s for s, _, _ in upper}))

    nodes = model.facts.node_orders
    if nodes is None:
        model.Order = pyo.Var(model.ORDER_SLOTS, within=pyo.NonNegativeReals, bounds=lambda m, *slot: (0, upper[slot]))
        model.IsOrdered = pyo.Var(model.ORDER_SLOTS, within=pyo.Binary)
    else:  # the scenario's orders are its scenario-tree nodes' (models/recourse.py), shared with other scenarios
        model.Order = pyo.Reference({slot: nodes[slot][0] for slot in model.ORDER_SLOTS})
        model.IsOrdered = pyo.Reference({slot: nodes[slot][1] for slot in model.ORDER_SLOTS})
    model.UsesSupplier = pyo.Var(model.SUPPLIERS_USED, within=pyo.Binary)
    model.TierQuantity = pyo.Var(model.TIER_SLOTS, within=pyo.NonNegativeReals,
                                 bounds=lambda m, s, mi, t, j: (0, segments[s, mi, t][j].upper))
    model.InTier = pyo.Var(model.TIER_SLOTS, within=pyo.Binary)

    if nodes is None:  # else each node's size rows are written once, beside its variables (models/recourse.py)
        _add_order_size(model, data, tiered)
    _add_discount_tiers(model, tiered)
    _add_supplier_use(model)
    _fix_commitments(model, data)
    _add_order_costs(model, data, tiered)


def order_upper_bounds(data: PlanningData, previous_orders: dict[Slot, float] | None = None,
                       hard: dict[Slot, float] | None = None) -> dict[Slot, float]:
    """The largest quantity each order slot needs: the big-M of con_max_order; slots that can hold nothing are left out.

    The bound of slot (o,t) is min(hard limit, use) where
      hard limit = the smallest of three limits EVERY plan respects:
        - max_per_period (the offer's capacity);
        - what the eligible funding can pay in that period:
          (sum over eligible f of min(amount + the most revenue of its sales before t, Budgets[f,t])
          - order_cost) / (price x (1 - largest discount));
        - storage in the base scenario, where nothing is lost:
          max_stock / kept + demand and sale caps in the arrival period (stock after arrival and decay,
          kept x (stock before - demand - sold), is at most max_stock; kept = 1 - loss_rate, no limit when 0)
          + the most conversions can take of the mineral then (none when one of them is unlimited);
        - the market cap, max_market_share x world_supply, where the mineral gives a world_supply
          (models/market.py: all orders of the mineral in a period stay within it, so each one does);
      use = what SOME optimal plan orders at most (model.md, last property; order_need and
        dilution_factor), raised to the previous plan's order (change_penalty) and to a commitment.
    Contracts (models/contracts.py) add to U what some optimal plan buys under them at most,
    OrderNeeds.of_contract: max(min_quantity, sum over its periods of the deliveries' needs), within
    max_quantity. Their minimum is bought whether taken or not (it can be forced, like a commitment),
    and a delivery above its need is lowered like an order (cost and caps' totals only fall while the
    contract stays at or above its minimum, and below it the take-or-pay quantity keeps bought[c]).
    Their suppliers' countries and risks enter dilution_factor like the offers'.
    An optimal plan that respects ``use`` respects the hard limits too, so the minimum of
    both cuts off no optimal plan; "what the money could buy" alone would, as a big-M of
    1e11, let HiGHS place an order with y ~ 1e-9 and skip its order_cost.

    Why ``use`` is valid. Take an optimal plan P and call an uncommitted order's need
    b[o,t] (order_need): at least min_order and the largest discount threshold, and enough
    that (1 - loss) x b covers all demand from its arrival a on plus the largest target
    from a on, in every scenario whose loss at a is below 1. Lowering an order x > b to
    any x' in [b, x] (and its funding v in proportion) keeps P feasible and no dearer:
      - y, the discount tier and min_order are unchanged (x' >= b >= min_order, thresholds);
      - in a scenario that loses all of the order at a, nothing changes; in any other,
        stock at t >= a stays >= (1 - loss) x b - demand(a..t) >= target(t) >= 0 (given
        stock >= 0 before a, by induction over the lowered orders), with the same unmet
        demand, so shortfall stays 0 there and storage and serve-first hold (stock only falls);
      - purchase, risk, financing and holding costs only fall; funding only loosens; the
        change cost falls while x' stays >= the previous plan's order (hence the raise).
    So without mix caps some optimal plan has every uncommitted order <= b. With mix caps,
    lowering orders can break a cap; split each order of P into useful part min(x, b) and
    excess, U = sum of useful parts and commitments of the mineral (<= ``useful`` below)
    and X_P = P's total. Country and supplier shares together: some choice of excess
    D <= P's excess with total X* - U, X* = max(U, U_c / max_share_c, U_o / max_supplier_share)
    <= U / min(max_share, max_supplier_share), meets every share cap. Proof: a flow from the
    offers' excess (capacity min(E_o, share x X* - U_o)) through their countries (capacity
    max_share_c x X* - U_c) reaches X* - U when X* < X_P, since a cut minus (X* - U) is
    the sum of U_o + E_o = X_P[o] over the offers it cuts at their excess plus
    (sum of a_G - 1) x X* over the groups G (countries, offers) it cuts at their share a_G,
    and P's caps X_P[G] <= a_G x X_P make that >= (X_P - X*) (1 - sum of a_G) >= 0
    (or >= 0 at once when sum of a_G >= 1).
    Risk cap alone: dropping the excess of offers with risk >= max_avg_risk and taking
    a share of the rest meets the cap with a total <= U (1 + (r_max - max_avg_risk) /
    (max_avg_risk - r_low)), r_low the largest risk below max_avg_risk (only excess P
    holds can dilute, and the weakest diluter P may hold is r_low, not r_min: the
    contract's (r_max - r_min) / (max_avg_risk - r_min) would cut off a plan that
    dilutes with the r_low offer when the r_min one is dear). With share and risk caps
    together the factors are multiplied, as the contract does; that product is not
    proven here but checked by tests/models/test_model_order_bounds.py's property test.
    Every order of such a plan is at most its offer's total <= X* <= dilution x U.
    """
    previous_orders = previous_orders or {}
    # ``hard``: another scenario's limits (models/recourse.py: each scenario's prices, every scenario's needs)
    hard = {slot: bound for slot, bound in (hard or hard_order_limits(data)).items()
            if slot in data.commitments or (bound > 0 and bound >= data.offers[slot[:2]].min_order)}
    needs = OrderNeeds(data)
    need = {slot: needs.of(slot) for slot in hard}
    useful: dict[str, float] = {}
    for slot in hard:
        useful[slot[1]] = useful.get(slot[1], 0.0) + data.commitments.get(slot, need[slot])
    for contract in data.contracts.values():  # a contract's bought quantity counts like a commitment
        useful[contract.mineral] = useful.get(contract.mineral, 0.0) + needs.of_contract(contract)
    dilution = {mineral: dilution_factor(data, mineral) for mineral in useful}
    upper: dict[Slot, float] = {}
    for slot, limit in hard.items():
        committed = data.commitments.get(slot)
        if committed is not None:
            upper[slot] = max(limit, committed)
            continue
        factor = dilution[slot[1]]
        use = need[slot] if factor == 1.0 else max(need[slot], factor * useful[slot[1]])
        upper[slot] = min(limit, max(use, previous_orders.get(slot, 0.0)))
    return upper


def hard_order_limits(data: PlanningData) -> dict[Slot, float]:
    """Capacity, money and storage limits of every orderable slot (order_upper_bounds); commitments included."""
    limits: dict[Slot, float] = {}
    for (supplier, mineral), offer in data.offers.items():
        max_stock = data.minerals[mineral].max_stock
        market_cap = data.market_cap(mineral)
        best_discount = max((d for _, d in offer.discounts), default=0.0)
        for period in data.order_periods(offer):  # none in frozen periods but the commitments
            funds = sum(
                min(source.amount + data.most_revenue_before(source.name, period), source.budgets.get(period, math.inf))
                for source in data.funding.values()
                if source.can_pay(data.country(supplier), mineral, period)
            )
            price = data.expected_list_price((supplier, mineral, period))  # what funding pays (scenario prices, floor)
            bound = (funds - offer.order_cost) / (price * (1.0 - best_discount))
            if offer.max_per_period is not None:
                bound = min(bound, offer.max_per_period)
            kept = data.minerals[mineral].kept
            converted_out = most_converted_out(data, mineral)  # taken at the arrival, before it is held
            if max_stock is not None and kept > 0 and converted_out is not None:
                arrival = period + offer.lead_time
                bound = min(bound, max_stock / kept + data.demand.get((mineral, arrival), 0.0)
                            + data.sale_cap(mineral, arrival) + converted_out)
            if market_cap is not None:
                bound = min(bound, market_cap)
            limits[supplier, mineral, period] = bound
    return limits


def order_need(data: PlanningData, slot: Slot) -> float:
    """b[o,t] of one slot (OrderNeeds)."""
    return OrderNeeds(data).of(slot)


class OrderNeeds:
    """b[o,t]: what an order can serve without mix caps (order_upper_bounds says why it is enough).

    (demand and sale caps from the arrival a on + the largest target from a on) / (1 - loss), demand in
    each period the largest of any scenario (ScenarioDemand, else Demand) plus what conversions out of the
    mineral can use from a on (models/conversions.py conversion_use), each grossed up for decay
    (models/decay.py needed_ahead: a unit held from a to t keeps kept^(t - a + 1) of itself), with the
    largest loss below 1 that any scenario inflicts on the supplier's origins at a (a
    loss of 1 delivers nothing, so lowering the order changes nothing there); then at
    least min_order and the largest discount threshold. Sums from each period on are
    computed once per mineral.
    """

    def __init__(self, data: PlanningData):
        self.data = data
        self.demand_from: dict[tuple[str, int], float] = {}
        self.target_from: dict[tuple[str, int], float] = {}
        uses: dict[str, dict[int, float]] = defaultdict(dict)
        targets: dict[str, dict[int, float]] = defaultdict(dict)
        for (mineral, t), quantity in data.peak_demand.items():  # the most any scenario draws
            uses[mineral][t] = quantity
        for sale in data.sales:  # a sale uses stock like demand, up to its max_per_period
            for t in sale.periods:
                uses[sale.mineral][t] = uses[sale.mineral].get(t, 0.0) + sale.max_per_period
        for (mineral, t), quantity in data.targets.items():
            targets[mineral][t] = quantity
        for mineral in data.minerals:  # grossed up for decay (models/decay.py)
            use_from, target_from = needed_ahead(data, mineral, uses[mineral], targets[mineral])
            for t in data.periods:
                self.demand_from[mineral, t] = use_from[t]
                self.target_from[mineral, t] = target_from[t]
        if data.conversions:  # what conversions out of a mineral can use counts as its demand
            need = {key: self.demand_from[key] + self.target_from[key] for key in self.demand_from}
            for (mineral, t), used in conversion_use(data, need).items():
                kept = data.minerals[mineral].kept  # input held from t to T decays: a valid (loose) gross-up
                self.demand_from[mineral, t] += used / kept ** (data.settings.num_periods - t) if 0 < kept < 1 else used
        self.kept: dict[tuple[str, str, int], float] = {}

    def of(self, slot: Slot) -> float:
        """What an optimal plan can use of the order in ``slot`` (see ``order_upper_bounds``)."""
        supplier, mineral, period = slot
        offer = self.data.offers[supplier, mineral]
        arrival = period + offer.lead_time
        served = self.demand_from.get((mineral, arrival), 0.0) + self.target_from.get((mineral, arrival), 0.0)
        thresholds = max((q for q, _ in offer.discounts), default=0.0)
        return max(served / self._kept(supplier, mineral, arrival), offer.min_order, thresholds)

    def of_contract(self, contract: Contract) -> float:
        """What some optimal plan buys under ``contract`` at most: max(min_quantity, the needs of its
        deliveries summed), within max_quantity when that is above min_quantity."""
        total = 0.0
        for period in contract.delivery_periods(self.data.settings.num_periods):
            arrival = period + contract.lead_time
            served = self.demand_from.get((contract.mineral, arrival), 0.0) + self.target_from.get(
                (contract.mineral, arrival), 0.0)
            total += served / self._kept(contract.supplier, contract.mineral, arrival)
        if contract.max_quantity is not None:
            total = min(total, contract.max_quantity)
        return max(contract.min_quantity, total)

    def _kept(self, supplier: str, mineral: str, arrival: int) -> float:
        """The smallest share above 0 of an arrival any scenario delivers (1 - the largest loss below 1),
        the loss counted over the supplier's origin countries (PlanningData.arrival_loss)."""
        key = (supplier, mineral, arrival)
        if key not in self.kept:
            self.kept[key] = min((1.0 - loss for k in self.data.all_scenarios
                                  if (loss := self.data.arrival_loss(k, supplier, mineral, arrival)) < 1.0),
                                 default=1.0)
        return self.kept[key]


def dilution_factor(data: PlanningData, mineral: str) -> float:
    """How many times the useful quantity of ``mineral`` its share and risk caps can make an optimal plan buy.

    1 / min(max_share, max_supplier_share) over the countries delivering the mineral
    with a share cap in (0, 1), times 1 + (r_max - max_avg_risk) / (max_avg_risk - r_low)
    when some supplier's risk is above max_avg_risk (r_low: the largest risk below it;
    none: nothing can dilute, so 1). See order_upper_bounds for why.
    """
    spec = data.minerals[mineral]
    suppliers = [s for s, m in data.offers if m == mineral] + [
        c.supplier for c in data.contracts.values() if c.mineral == mineral]
    shares = [data.country_max_share.get(country, 1.0)
              for s in suppliers for country in data.origin_shares(s, mineral)] + [spec.max_supplier_share]
    smallest = min((share for share in shares if share > 0.0), default=1.0)
    risks = [data.risk_score(s) for s in suppliers]
    below = [r for r in risks if r < spec.max_avg_risk]
    risk = 1.0
    if risks and max(risks) > spec.max_avg_risk and below:
        risk = 1.0 + (max(risks) - spec.max_avg_risk) / (spec.max_avg_risk - max(below))
    return risk / smallest


def slot_segments(data: PlanningData, slot: Slot, upper: float) -> list[Segment]:
    """The price segments of an order slot: one, without discount, for a commitment at an agreed price."""
    if slot in data.commitment_prices:
        return [Segment(0.0, upper, 0.0)]
    return price_segments(data.offers[slot[:2]], upper)


def price_segments(offer: Offer, upper: float) -> list[Segment]:
    """All-units tiers as segments of order quantity with the discount that applies in each.

    The discount of an order of x is the largest d_j with q_j <= x, a step
    function of x that only rises; each rise starts a new segment. Segments that
    start above the slot's upper bound are unreachable and left out.
    """
    starts = [(0.0, 0.0)]
    for min_quantity, discount in offer.discounts:  # sorted by min_quantity
        if discount > starts[-1][1] and min_quantity <= upper:
            starts.append((min_quantity, discount))
    # A segment stops just short of the next tier: an order exactly at a threshold is then
    # always priced at the higher discount, as the contract says, even in a plan the solver
    # did not prove optimal. Orders within TIER_GAP (relative) below a threshold are excluded.
    ends = [start * (1.0 - TIER_GAP) for start, _ in starts[1:]] + [upper]
    return [Segment(lower, end, discount) for (lower, discount), end in zip(starts, ends)]


def _add_order_size(model, data: PlanningData, tiered) -> None:
    def con_min_order(m, supplier, mineral, period):
        """An order that is placed is at least min_order: x[o,t] >= min_order * y[o,t]."""
        min_order = data.offers[supplier, mineral].min_order
        if min_order <= 0:
            return pyo.Constraint.Skip
        return m.Order[supplier, mineral, period] >= min_order * m.IsOrdered[supplier, mineral, period]

    def con_max_order(m, supplier, mineral, period):
        """Nothing is ordered unless an order is placed: x[o,t] <= max_per_period * y[o,t].

        Without a max_per_period the big-M is the slot's upper bound (order_upper_bounds).
        Discounted offers get this from their segments instead (con_tier_upper).
        """
        slot = (supplier, mineral, period)
        if slot in tiered:
            return pyo.Constraint.Skip
        return m.Order[slot] <= m.facts.order_upper[slot] * m.IsOrdered[slot]

    model.con_min_order = pyo.Constraint(model.ORDER_SLOTS, rule=con_min_order)
    model.con_max_order = pyo.Constraint(model.ORDER_SLOTS, rule=con_max_order)


def _add_discount_tiers(model, tiered) -> None:
    tiered_slots = sorted(tiered)

    def con_tier_choice(m, supplier, mineral, period):
        """A placed order falls in exactly one price segment: sum over j of InTier[o,t,j] = y[o,t]."""
        slot = (supplier, mineral, period)
        return sum(m.InTier[slot + (j,)] for j in range(len(tiered[slot]))) == m.IsOrdered[slot]

    def con_tier_split(m, supplier, mineral, period):
        """The order quantity is the quantity of its segment: x[o,t] = sum over j of TierQuantity[o,t,j]."""
        slot = (supplier, mineral, period)
        return m.Order[slot] == sum(m.TierQuantity[slot + (j,)] for j in range(len(tiered[slot])))

    def con_tier_lower(m, supplier, mineral, period, j):
        """An order in segment j reaches its tier: TierQuantity[o,t,j] >= min_quantity_j * InTier[o,t,j]."""
        lower = tiered[supplier, mineral, period][j].lower
        if lower <= 0:
            return pyo.Constraint.Skip
        return m.TierQuantity[supplier, mineral, period, j] >= lower * m.InTier[supplier, mineral, period, j]

    def con_tier_upper(m, supplier, mineral, period, j):
        """An order in segment j stays below the next tier: TierQuantity[o,t,j] <= upper_j * InTier[o,t,j]."""
        upper = tiered[supplier, mineral, period][j].upper
        return m.TierQuantity[supplier, mineral, period, j] <= upper * m.InTier[supplier, mineral, period, j]

    model.TIERED_SLOTS = pyo.Set(dimen=3, initialize=tiered_slots, ordered=True)
    model.con_tier_choice = pyo.Constraint(model.TIERED_SLOTS, rule=con_tier_choice)
    model.con_tier_split = pyo.Constraint(model.TIERED_SLOTS, rule=con_tier_split)
    model.con_tier_lower = pyo.Constraint(model.TIER_SLOTS, rule=con_tier_lower)
    model.con_tier_upper = pyo.Constraint(model.TIER_SLOTS, rule=con_tier_upper)


def _add_supplier_use(model) -> None:
    def con_supplier_use(m, supplier, mineral, period):
        """A supplier is onboarded when any order is placed with it: z[s] >= y[o,t]."""
        return m.UsesSupplier[supplier] >= m.IsOrdered[supplier, mineral, period]

    model.con_supplier_use = pyo.Constraint(model.ORDER_SLOTS, rule=con_supplier_use)


def _fix_commitments(model, data: PlanningData) -> None:
    """Commitments: x[o,t] = quantity and y[o,t] = 1 (model.md constraint 2)."""
    for slot, quantity in data.commitments.items():
        model.Order[slot].fix(quantity)
        model.IsOrdered[slot].fix(1)


def purchase_at(model: pyo.ConcreteModel, slot: Slot, list_price: float):
    """What the order in ``slot`` pays at ``list_price`` before discount, in model money:
    list_price * (1 - d) * x[o,t], d the discount of the order's segment."""
    price = list_price / model.facts.money_unit
    segments = model.facts.price_segments[slot]
    if len(segments) == 1:
        return price * model.Order[slot]
    return sum(price * (1.0 - segment.discount) * model.TierQuantity[slot + (j,)]
               for j, segment in enumerate(segments))


def _add_order_costs(model, data: PlanningData, tiered) -> None:
    def purchase_cost(m, supplier, mineral, period):
        """price[o,t] * (1 - d) * x[o,t], with d the discount of the order's segment.

        price[o,t] is the expected price over the scenarios, sum over k of pi[k] * max(floor_price,
        f[k,o,t] * p[o,t]) (ScenarioPrices factors f, Offers.floor_price; PlanningData.expected_list_price):
        p[o,t] itself when neither is given.

        A commitment at an agreed price costs quantity x unit_price, a constant (model.md constraint 2).
        """
        slot = (supplier, mineral, period)
        if slot in data.commitment_prices:
            return data.commitment_prices[slot] * data.commitments[slot] / m.facts.money_unit
        return purchase_at(m, slot, data.expected_list_price(slot))

    def order_total(m, supplier, mineral, period):
        """The order's cost: purchase cost + order_cost * y[o,t]; what funding must pay."""
        slot = (supplier, mineral, period)
        order_cost = data.offers[supplier, mineral].order_cost / m.facts.money_unit
        return m.PurchaseCost[slot] + order_cost * m.IsOrdered[slot]

    model.PurchaseCost = pyo.Expression(model.ORDER_SLOTS, rule=purchase_cost)
    model.OrderTotal = pyo.Expression(model.ORDER_SLOTS, rule=order_total)
    slots = list(model.ORDER_SLOTS)
    unit = model.facts.money_unit
    model.facts.cost_terms["purchase_cost"] = sum(model.PurchaseCost[slot] for slot in slots)
    model.facts.cost_terms["order_cost"] = sum(
        data.offers[s, m].order_cost / unit * model.IsOrdered[s, m, t] for s, m, t in slots)
    model.facts.cost_terms["onboarding_cost"] = sum(
        data.suppliers[s].onboarding_cost / unit * model.UsesSupplier[s] for s in model.SUPPLIERS_USED)
