"""One way to format numbers for people: values, lifts, p-values, money (:mod:`mlroi.money`)."""

from __future__ import annotations

import math

from mlroi.money import money as money
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
