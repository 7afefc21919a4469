"""The one way numbers are written for people: values, lifts, shares, p-values, thresholds, money.

Every figure a renderer shows, and every number written into a result's words (a guardrail's
reason, a binding constraint, a cost's description), goes through this module, so the same
threshold or probability reads the same on every line. It imports nothing from mlroi, so every
layer may use it.
"""

from __future__ import annotations

import math
from typing import Protocol

THRESHOLD_DIGITS = 4
"""Significant digits of a score threshold, wherever one is shown."""

HUGE = 1e15
"""Magnitude from which a figure is written in scientific notation (``1.23e+300``), not with
hundreds of digits; no honest business figure reaches it."""

P_FLOOR = 1e-4
"""The smallest p-value written as a number; below it, ``< 0.0001``."""

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


class _Bounds(Protocol):
    @property
    def estimate(self) -> float: ...

    @property
    def lower(self) -> float: ...

    @property
    def upper(self) -> float: ...


def _huge(x: float) -> str:
    """A figure of :data:`HUGE` magnitude or more: 3 significant digits, scientific notation."""
    return f"{x:.3g}"


def value(x: float | None) -> str:
    """A metric value with 4 significant digits and thousands separators."""
    if x is None or not math.isfinite(x):
        return "—"
    if abs(x) >= HUGE:
        return _huge(x)
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
    """A relative change as a signed percentage: ``+4.07%``."""
    if x is None or not math.isfinite(x):
        return "−∞" if x == -math.inf else "+∞" if x == math.inf else "—"
    if abs(x * 100) >= HUGE:
        return f"{x * 100:+.3g}%"
    return f"{x * 100:+.{digits}f}%"


def share(x: float | None, digits: int = 1) -> str:
    """A share or a level as an unsigned percentage: ``26.0%``, ``90%`` with ``digits=0``;
    a share too small to show at ``digits`` reads ``< 0.1%``, not ``0.0%``."""
    if x is None or not math.isfinite(x):
        return "—"
    smallest = 10.0**-digits / 100
    if 0 < abs(x) < smallest / 2:
        bound = f"{smallest:.{digits}%}"
        return f"< {bound}" if x > 0 else f"> -{bound}"
    return f"{x:.{digits}%}"


def count(x: float) -> str:
    """A count of rows, units or draws: ``15,266`` (``—`` when not finite)."""
    if not math.isfinite(x):
        return "—"
    return _huge(x) if abs(x) >= HUGE else f"{x:,.0f}"


def level(x: float) -> str:
    """An interval's level or an annual rate as a percentage without trailing zeros: ``90%``,
    ``97.5%``."""
    return f"{100 * x:g}%"


def budget(x: float) -> str:
    """A budget as a share of the rows: ``20%``, ``14.1%`` (whole percentages without a
    decimal)."""
    pct = 100.0 * x
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"


def delta(x: float) -> str:
    """A signed difference of scores in [0, 1] (AUC, recall): ``+0.021``."""
    return f"{x:+.3f}" if math.isfinite(x) else "—"


def score(x: float) -> str:
    """A score-like metric in [0, 1] (precision, recall, AUC): ``0.759``."""
    return f"{x:.3f}" if math.isfinite(x) else "—"


def p_value(p: float | None) -> str:
    """A p-value: 3 significant digits, or ``< 0.0001`` (never ``0`` nor ``3.95e-194``)."""
    if p is None or not math.isfinite(p):
        return "—"
    return f"< {P_FLOOR:.4f}" if p < P_FLOOR else f"{p:.3g}"


def p_equals(p: float | None, label: str = "p") -> str:
    """A p-value in a sentence: ``p = 0.0123``, or ``p < 0.0001``."""
    text = p_value(p)
    return f"{label} {text}" if text.startswith("<") else f"{label} = {text}"


def probability(p: float) -> str:
    """A simulated or resampled probability: ``95.8%``, or ``>99.9%`` / ``<0.1%`` at the ends."""
    if not math.isfinite(p):
        return "—"
    if p >= 0.999:
        return ">99.9%"
    if p <= 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def chance(label: str, p: float) -> str:
    """``P(x) = 95.8%``, or ``P(x) > 99.9%`` at the ends."""
    text = probability(p)
    return f"{label} {text[0]} {text[1:]}" if text[0] in "<>" else f"{label} = {text}"


def resampled_share(p: float, resamples: int) -> str:
    """A bootstrap probability, without claiming more than the resamples can say."""
    hits = round(p * resamples)
    if hits in (0, resamples):
        return f"{hits} of {resamples} resamples"
    return share(p)


def threshold(x: float) -> str:
    """A score threshold with :data:`THRESHOLD_DIGITS` significant digits; the threshold past
    every score (``+inf``) acts on nobody, and says so in words rather than as a number."""
    if math.isinf(x) or math.isnan(x):
        return "none (act on nobody)"
    return f"{x:.{THRESHOLD_DIGITS}g}"


def interval(iv: _Bounds, relative: bool = False) -> str:
    """``estimate [lower, upper]``, as signed percentages when ``relative``."""
    show = percent if relative else signed
    return f"{show(iv.estimate)} [{show(iv.lower)}, {show(iv.upper)}]"


def money_range(low: float, high: float, currency: str, sep: str = " to ") -> str:
    """Two amounts of money: ``$236K to $262K``."""
    return f"{money(low, currency)}{sep}{money(high, currency)}"


def multiple(x: float | None) -> str:
    """A ratio such as a return multiple: ``14.0x``."""
    if x is None or not math.isfinite(x):
        return "∞" if x == math.inf else "—"
    if abs(x) >= HUGE:
        return f"{_huge(x)}x"
    return f"{x:.2f}x" if abs(x) < 10 else f"{x:.1f}x"


def rate(x: float) -> str:
    """An annual rate such as an IRR: ``35%``, ``>1000%`` beyond 10."""
    if math.isnan(x) or x == -math.inf:
        return "—"
    return ">1000%" if x > 10 else f"{x:.0%}"


def months(x: float | None) -> str:
    """A duration in months: ``1.3 months``; ``not within the horizon`` when not reached."""
    if x is None or math.isnan(x):
        return "—"
    if x == math.inf:
        return "not within the horizon"
    return f"{x:.1f} months"


def _scaled(a: float) -> str:
    """``a >= 1000`` in thousands, millions or billions, the unit chosen after rounding, so
    that 99,960 reads ``100K`` and 999,600 ``1.00M`` (never ``100.0K`` nor ``1000K``)."""
    for scale, suffix, decimals, below in (
        (1e3, "K", 1, 100.0),
        (1e3, "K", 0, 1000.0),
        (1e6, "M", 2, 1000.0),
    ):
        if abs(round(a / scale, decimals)) < below:
            return f"{a / scale:.{decimals}f}{suffix}"
    return f"{a / 1e9:.2f}B"


def money(x: float | None, currency: str = "USD", *, exact: bool = False) -> str:
    """An amount of money: ``$2.10M``, ``$150K``, ``$14.00``, ``-$3.2K``; ``exact`` gives
    ``$2,100,000``. Unknown currency codes are written before the number (``CHF 1.20M``)."""
    if x is None or not math.isfinite(x):
        return "—"
    symbol = _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= HUGE:
        body = _huge(a)
    elif exact and a >= 1:
        body = f"{a:,.0f}" if a >= 100 else f"{a:,.2f}"
    elif a >= 1e3:
        body = _scaled(a)
    elif 0 < a < 1:
        body = f"{a:.3g}" if a < 0.01 else f"{a:.3f}".rstrip("0").ljust(4, "0")
    else:
        body = f"{a:,.2f}"
    return f"{sign}{symbol}{body}"


def number(x: float, digits: int = 4) -> str:
    """A number in a sentence: ``digits`` significant digits, thousands separated, trailing
    zeros dropped (``1,234``, ``0.0125``); whole numbers in full."""
    if not math.isfinite(x):
        return "—" if math.isnan(x) else ("∞" if x > 0 else "−∞")
    if abs(x) >= HUGE:
        return _huge(x)
    if x == math.floor(x):
        return f"{int(x):,}"
    if abs(x) < 1e-3:
        return f"{x:.{digits}g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:,.0f}"


def distinct(x: float, limit: float) -> str:
    """``x`` as :func:`number`, with enough digits not to read like ``limit`` (0.0050004 is not
    "0.005")."""
    for digits in range(4, 18):
        text = number(x, digits)
        if x == limit or text != number(limit, digits):
            return text
    return repr(x)


def points(x: float | None, digits: int = 1) -> str:
    """A difference of two shares in percentage points: ``+3.8 pp``."""
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x * 100:+.{digits}f} pp"


def points_interval(iv: _Bounds, digits: int = 1) -> str:
    """``+3.8 pp [+2.1, +5.5]``: a difference of shares with its interval."""
    lo, hi = (f"{v * 100:+.{digits}f}" if math.isfinite(v) else "—" for v in (iv.lower, iv.upper))
    return f"{points(iv.estimate, digits)} [{lo}, {hi}]"


def data_size(n: float) -> str:
    """Bytes in binary units, one decimal: ``1.2 GiB``, ``512.0 KiB``, ``80 B``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            break
        size /= 1024
    if unit == "B":
        return f"{int(size)} B"
    return f"{size:,.1f} {unit}"
