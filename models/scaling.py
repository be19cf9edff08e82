"""Money scaling: the model counts money in units of 10^k currency units.

Funding amounts of 10^10 beside prices of 10^2 and quantities of 10^0 make the
matrix badly scaled for any solver (HiGHS warns above ~10^9). Every money
figure enters the model divided by ``money_unit``, a power of ten chosen so the
largest money a funding row can carry is at most about 10^5: the largest funding
amount, or, when less, what every order at its bound (models/ordering.py
``order_upper_bounds``) would cost. A $10^12 loan beside orders worth $10^4
then keeps prices of $0.01 well above the solver's tolerances. Quantities are
unchanged.
``models.results`` multiplies back, so reports are in the workbook's currency.

The unit is never so large that the cheapest price falls below 10^-3 money
units per unit: an amount of 10^15 beside a price of 10 would otherwise make a
5 t order worth 5e-9 units, below the solver's tolerances, and the plan would
fail its independent check (issue 18). The amount is then simply a large limit.
"""

from __future__ import annotations

import math

from optimizer.contract.data import PlanningData, Slot

LARGEST_SCALED_AMOUNT_DIGITS = 5
SMALLEST_SCALED_PRICE_DIGITS = -3


def money_unit(data: PlanningData, order_bounds: dict[Slot, float] | None = None) -> float:
    """A power of ten (>= 1) of currency units per model money unit."""
    largest = max((source.amount for source in data.funding.values()), default=0.0)
    if order_bounds is not None:
        spend = sum(bound * data.expected_list_price((s, m, t)) + data.offers[s, m].order_cost
                    for (s, m, t), bound in order_bounds.items())
        largest = min(largest, spend)
    if largest <= 0:
        return 1.0
    digits = math.floor(math.log10(largest)) - LARGEST_SCALED_AMOUNT_DIGITS
    prices = [price * (1.0 - max((d for _, d in offer.discounts), default=0.0))
              for offer in data.offers.values() for price in (offer.unit_price, *offer.prices.values())]
    cheapest = min((p for p in prices if p > 0), default=None)
    if cheapest is not None:
        digits = min(digits, math.floor(math.log10(cheapest)) - SMALLEST_SCALED_PRICE_DIGITS)
    return 10.0 ** max(0, digits)
