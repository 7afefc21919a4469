"""One way to format numbers for people: values, lifts, p-values."""

from __future__ import annotations

import math

from mlroi.stats.lift import Interval


def value(x: float | None) -> str:
    """A metric value with 4 significant digits and thousands separators."""
    if x is None or not math.isfinite(x):
        return "—"
    if x != 0 and abs(x) < 0.001:
        return f"{x:.3g}"
    digits = max(0, 3 - math.floor(math.log10(abs(x)))) if x else 2
    return f"{x:,.{min(digits, 6)}f}"


def signed(x: float | None) -> str:
    """A value with an explicit sign."""
    if x is None or not math.isfinite(x):
        return "−∞" if x == -math.inf else "+∞" if x == math.inf else "—"
    text = value(x)
    return text if text.startswith("-") else f"+{text}"


def percent(x: float | None, digits: int = 2) -> str:
    """A relative change as a signed percentage."""
    if x is None or not math.isfinite(x):
        return "−∞" if x == -math.inf else "+∞" if x == math.inf else "—"
    return f"{x * 100:+.{digits}f}%"


def p_value(p: float | None) -> str:
    """A p-value: 3 significant digits, or ``<0.0001``."""
    if p is None:
        return "—"
    return "<0.0001" if p < 1e-4 else f"{p:.3g}"


def interval(iv: Interval, relative: bool = False) -> str:
    """``estimate [lower, upper]``, as signed percentages when ``relative``."""
    show = percent if relative else signed
    return f"{show(iv.estimate)} [{show(iv.lower)}, {show(iv.upper)}]"


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def money(x: float | None, currency: str = "USD", *, exact: bool = False) -> str:
    """An amount of money: ``$2.10M``, ``$150K``, ``$14.00``, ``-$3.2K``; ``exact`` gives
    ``$2,100,000``. Unknown currency codes are written before the number (``CHF 1.20M``)."""
    if x is None or not math.isfinite(x):
        return "—"
    symbol = _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if x < 0 else ""
    a = abs(x)
    if exact:
        body = f"{a:,.0f}" if a >= 100 else f"{a:,.2f}"
    elif a >= 1e9:
        body = f"{a / 1e9:.2f}B"
    elif a >= 1e6:
        body = f"{a / 1e6:.2f}M"
    elif a >= 1e4:
        body = f"{a / 1e3:.0f}K"
    elif a >= 1e3:
        body = f"{a / 1e3:.1f}K"
    else:
        body = f"{a:,.2f}"
    return f"{sign}{symbol}{body}"


def multiple(x: float | None) -> str:
    """A ratio such as a return multiple: ``14.0x``."""
    if x is None or not math.isfinite(x):
        return "∞" if x == math.inf else "—"
    return f"{x:.2f}x" if abs(x) < 10 else f"{x:.1f}x"


def months(x: float | None) -> str:
    """A duration in months: ``1.3 months``; ``never`` when not reached."""
    if x is None or math.isnan(x):
        return "—"
    if x == math.inf:
        return "not within the horizon"
    return f"{x:.1f} months"
