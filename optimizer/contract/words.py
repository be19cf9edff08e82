"""Money in words, as every sentence of the project says it: 3 significant digits with K/M/B, the
currency's symbol before ($1.23M) or its code after (450K CHF). The cells of a sheet show money in full;
a sentence rounds, so that a reader compares figures at a glance."""

from __future__ import annotations

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(amount: float, currency: str) -> str:
    """3 significant digits with K/M/B: $1.23M, 450K EUR."""
    text = _short(abs(amount))
    sign = "-" if amount < 0 and text != "0" else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def _short(value: float) -> str:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= threshold * 0.9995:
            return f"{value / threshold:.3g}{suffix}"
    if value == 0:
        return "0"
    return f"{value:.3g}" if value >= 0.01 else f"{value:.2g}"
