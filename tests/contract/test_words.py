"""Numbers in words (optimizer/contract/words.py): money, unit prices, quantities and counts in sentences."""

from __future__ import annotations

import pytest

from optimizer.contract.words import money, number, plural, price, quantity, signed_money


@pytest.mark.parametrize("amount, text", [(1.6e-8, "$0"), (-9.4e-9, "$0"), (0.0042, "$0.0042"), (3.24, "$3.24"),
                                          (162_000, "$162K"), (7_832_303.95, "$7.83M"), (-59_775.8, "-$59.8K")])
def test_money_rounds_to_three_figures_and_never_in_scientific_notation(amount, text):
    """A contract's take-or-pay of 1.6e-08 (the solver's round-off) read "pays $1.6e-08 take-or-pay"."""
    assert money(amount, "USD") == text


def test_a_change_of_money_carries_its_sign_and_a_unit_price_its_cents():
    assert signed_money(7_832_303.95, "USD") == "+$7.83M" and signed_money(-59_775.8, "USD") == "-$59.8K"
    assert signed_money(0.0, "USD") == "$0"
    # a price moved 0.1% still shows: $26.9K to $26.9K would not
    assert price(26_875, "USD") == "$26,875" and price(102.5, "USD") == "$102.50" and price(102, "CHF") == "102.00 CHF"


def test_quantities_and_counts():
    assert quantity(2751.71, "t") == "2,752 t" and quantity(55.0827, "t WO3") == "55.1 t WO3"
    assert quantity(0.697, "") == "0.697" and number(1e-12) == "0"
    assert plural(1, "order") == "1 order" and plural(2, "order") == "2 orders" and plural(0, "error") == "0 errors"
    assert plural(1_000, "sample") == "1,000 samples"
