"""Numbers in words, as every sentence of the project says them.

Money: 3 significant digits with K/M/B, the currency's symbol before ($1.23M) or its code after (450K CHF);
a unit price in full ($102.00, $26,875), so that a move of a fraction of a percent still shows. The
cells of a sheet show money in full; a sentence rounds, so that a reader compares figures at a glance.
Quantities: whole units from 100 up (1,638 t), else 3 significant digits (12.3 t, 0.27 t), with the
mineral's unit. Counts: 1 order, 2 orders."""

from __future__ import annotations

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
CENTS_BELOW = 1e4  # a price shows its cents below this (optimizer/reporting/xlsx.py _has_cents alike)
ROUND_OFF = 1e-4  # money below this (a solver's 1e-8) is said as 0: no sentence shows "$1.6e-08"


def money(amount: float, currency: str) -> str:
    """3 significant digits with K/M/B: $1.23M, 450K CHF; never in scientific notation."""
    text = _short(abs(amount))
    sign = "-" if amount < 0 and text != "0" else ""
    return _with_currency(sign, text, currency)


def signed_money(amount: float, currency: str) -> str:
    """A change of money: +$7.83M, -$59.8K, $0."""
    text = money(amount, currency)
    return text if text.startswith("-") or _short(abs(amount)) == "0" else "+" + text


def price(amount: float, currency: str) -> str:
    """A unit price in full, with cents below 10,000 as a sheet's column of prices shows it: $102.00, 102.00 CHF,
    $26,875 (a move of 0.1% still shows, and the sentence and its cell say the same figure)."""
    sign = "-" if amount < 0 else ""
    return _with_currency(sign, f"{abs(amount):,.2f}" if abs(amount) < CENTS_BELOW else f"{abs(amount):,.0f}",
                          currency)


def number(value: float) -> str:
    """A quantity for a sentence: 1,638 / 12.3 / 0.27."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) < 1e-9:
        return "0"
    return f"{value:.3g}"


def quantity(value: float, unit: str = "") -> str:
    """A quantity with its unit for a sentence: 1,638 t, 12.3 t WO3 (no unit known: the number alone)."""
    return f"{number(value)} {unit}".rstrip()


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """1 order, 2 orders, 0 orders (``nouns`` where the plural is not noun + s: 1 was, 2 were)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def _with_currency(sign: str, text: str, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}".rstrip()


def _short(value: float) -> str:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= threshold * 0.9995:
            return f"{value / threshold:.3g}{suffix}"
    if value < ROUND_OFF:
        return "0"
    return f"{value:.3g}" if value >= 0.01 else f"{value:.2g}"
