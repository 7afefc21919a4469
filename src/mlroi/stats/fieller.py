"""Fieller's confidence set for a ratio of two (approximately normal) estimates.

For estimates ``T`` and ``C`` of ``tau`` and ``gamma`` with variances ``v_T``, ``v_C`` and
covariance ``c_TC``, the ratio ``rho = tau / gamma`` is in the set when the linear combination
``T - rho C``, whose mean is 0 at the true ``rho``, is within ``q`` standard errors of 0::

    (T - rho C)^2 <= q^2 (v_T - 2 rho c_TC + rho^2 v_C)

a quadratic inequality ``a rho^2 - 2 b rho + c <= 0`` with ``a = C^2 - q^2 v_C``,
``b = T C - q^2 c_TC`` and ``c = T^2 - q^2 v_T``. When ``a > 0`` (``C`` is more than ``q``
standard errors from 0) the set is the interval between the roots ``(b -+ sqrt(b^2 - a c)) / a``.
Otherwise it is unbounded: the whole line, or the line without an interval. No finite interval
then has the stated coverage, so none is given.

The delta method's interval ``T/C +- q se`` is its first-order approximation: both agree when
the denominator's relative standard error ``sqrt(v_C) / C`` is small; as it grows, the delta
interval stays symmetric and too short on the far side, and under-covers. Fieller's set has the
stated coverage whenever ``T`` and ``C`` are jointly normal.

References:
    Fieller, E. C. (1954). Some problems in interval estimation. Journal of the Royal
    Statistical Society B 16(2), 175-185.
    Franz, V. H. (2007). Ratios: A short guide to confidence limits and proper use.
    arXiv:0710.2024 (the quadratic and its three cases).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from mlroi.stats.distributions import Alternative

RelativeInterval = Literal["auto", "delta", "fieller"]
"""How the interval of a relative lift is computed: ``delta``, ``fieller``, or ``auto``."""

AUTO_LIMIT = 0.02
"""``auto`` uses Fieller's interval when the control estimate's relative standard error
``sqrt(v_C) / C`` exceeds this, else the delta method's.

Why so low: the switch itself costs coverage. The delta interval over-covers when the control
estimate falls below its mean and under-covers when it falls above; a rule that picks delta for
the samples whose control estimate came out high keeps only the under-covering half. At a true
relative standard error equal to the limit, a two-sided 95% ``auto`` interval covers 93.6% with a
limit of 0.1, 94.3% with 0.05 and 94.8% with 0.02 (normal arms, 400,000 simulations). Below 0.02
the two intervals differ by about 1% of their width, and delta reproduces the published vectors of
other tools (GrowthBook's gbstats)."""


@dataclass(frozen=True)
class RatioMoments:
    """Variances and covariance of the numerator and denominator estimates of a ratio.

    Attributes:
        numerator: variance of the numerator estimate (the treatment arm's value).
        denominator: variance of the denominator estimate (the control arm's value).
        covariance: their covariance (0 for independent arms; CUPED's shared centring makes it
            positive).
    """

    numerator: float
    denominator: float
    covariance: float = 0.0


@dataclass(frozen=True)
class RatioSet:
    """Fieller's confidence set of a ratio.

    Attributes:
        bounded: whether the set is a finite interval (one-sided: a half-line).
        lower: its lower end (``-inf`` for an interval open below); NaN when unbounded.
        upper: its upper end (``+inf`` for an interval open above); NaN when unbounded.
    """

    bounded: bool
    lower: float
    upper: float


def fieller(
    numerator: float,
    denominator: float,
    moments: RatioMoments,
    crit: float,
    alternative: Alternative = "two-sided",
) -> RatioSet:
    """Fieller's set for ``numerator / denominator`` (module docstring for the quadratic).

    Computed in units of the denominator (every term divided by ``denominator^2``), so that it
    stays finite at any scale. A one-sided set (``greater``: ``[lower, inf)``; ``less``:
    ``(-inf, upper]``) takes the matching root at the one-sided critical value ``crit``.

    Args:
        numerator: the numerator's estimate ``T``.
        denominator: the denominator's estimate ``C`` (not 0).
        moments: variances and covariance of ``T`` and ``C``.
        crit: critical value ``q`` (e.g. 1.96 for a two-sided 95% set on a normal).
        alternative: ``"two-sided"``, ``"greater"`` or ``"less"``.

    Returns:
        The set; ``bounded`` is false when ``C`` is within ``q`` standard errors of 0.

    Example:
        >>> s = fieller(2.0, 1.0, RatioMoments(0.01, 0.01), 1.96)
        >>> round(s.lower, 4), round(s.upper, 4)
        (1.6259, 2.5339)
    """
    c = denominator
    ratio = numerator / c
    q2 = crit * crit
    # each term over c^2 as (sqrt(v) / c)^2 or (cov / c) / c: no overflow or underflow of c^2
    a = 1.0 - q2 * (math.sqrt(moments.denominator) / c) ** 2
    if not a > 0.0:
        return RatioSet(False, math.nan, math.nan)
    b = ratio - q2 * ((moments.covariance / c) / c)
    cc = ratio * ratio - q2 * (math.sqrt(moments.numerator) / c) ** 2
    half = math.sqrt(max(b * b - a * cc, 0.0))
    lower, upper = (b - half) / a, (b + half) / a
    if alternative == "greater":
        upper = math.inf
    elif alternative == "less":
        lower = -math.inf
    return RatioSet(True, lower, upper)


def relative_se(value: float, variance: float) -> float:
    """Relative standard error ``sqrt(variance) / |value|`` (``inf`` at a zero value)."""
    return math.sqrt(variance) / abs(value) if value != 0.0 else math.inf


def use_fieller(method: RelativeInterval, control: float, variance: float) -> bool:
    """Whether ``method`` means Fieller for a control estimate with this value and variance."""
    if method == "auto":
        return relative_se(control, variance) > AUTO_LIMIT
    return method == "fieller"
