"""One way to write an amount of money (used by every layer that shows one)."""

from __future__ import annotations

import math

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def money(x: float | None, currency: str = "USD", *, exact: bool = False) -> str:
    """An amount of money: ``$2.10M``, ``$150K``, ``$14.00``, ``-$3.2K``; ``exact`` gives
    ``$2,100,000``. Unknown currency codes are written before the number (``CHF 1.20M``)."""
    if x is None or not math.isfinite(x):
        return "—"
    symbol = _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if x < 0 else ""
    a = abs(x)
    if exact and a >= 1:
        body = f"{a:,.0f}" if a >= 100 else f"{a:,.2f}"
    elif a >= 1e9:
        body = f"{a / 1e9:.2f}B"
    elif a >= 1e6:
        body = f"{a / 1e6:.2f}M"
    elif a >= 1e5:
        body = f"{a / 1e3:.0f}K"
    elif a >= 1e3:
        body = f"{a / 1e3:.1f}K"
    elif 0 < a < 1:
        body = f"{a:.3g}" if a < 0.01 else f"{a:.3f}".rstrip("0").ljust(4, "0")
    else:
        body = f"{a:,.2f}"
    return f"{sign}{symbol}{body}"
