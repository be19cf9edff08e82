"""Money scaling: the model counts money in units of 10^k currency units.

Funding amounts of 10^10 beside prices of 10^2 and quantities of 10^0 make the
matrix badly scaled for any solver (HiGHS warns above ~10^9). Every money
figure enters the model divided by ``money_unit``, a power of ten chosen so the
largest funding amount is at most about 10^5; quantities are unchanged.
``models.results`` multiplies back, so reports are in the workbook's currency.
"""

from __future__ import annotations

import math

from optimizer.data import PlanningData

LARGEST_SCALED_AMOUNT_DIGITS = 5


def money_unit(data: PlanningData) -> float:
    """A power of ten (>= 1) of currency units per model money unit."""
    largest = max((source.amount for source in data.funding.values()), default=0.0)
    if largest <= 0:
        return 1.0
    return 10.0 ** max(0, math.floor(math.log10(largest)) - LARGEST_SCALED_AMOUNT_DIGITS)
