"""Distribution functions used by the tests, in one place.

``scipy.special`` is imported lazily: it is the only part of SciPy the readout needs, and
``scipy.stats`` would add seconds to the start-up of the command line.
"""

from __future__ import annotations

import math
from typing import Any, Literal

Alternative = Literal["two-sided", "greater", "less"]


def _special() -> Any:
    import scipy.special

    return scipy.special


def t_cdf(x: float, df: float) -> float:
    """CDF of Student's t with ``df`` degrees of freedom (normal when df is infinite)."""
    if math.isinf(df):
        return normal_cdf(x)
    return float(_special().stdtr(df, x))


def t_ppf(q: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (normal when df is infinite)."""
    if math.isinf(df):
        return normal_ppf(q)
    return float(_special().stdtrit(df, q))


def normal_cdf(x: float) -> float:
    """Standard normal CDF, via ``erfc`` for accuracy in the tails."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_ppf(q: float) -> float:
    """Standard normal quantile."""
    return float(_special().ndtri(q))


def chi2_sf(x: float, df: float) -> float:
    """Survival function of the chi-square distribution."""
    return float(_special().chdtrc(df, x))


def p_value(statistic: float, df: float, alternative: Alternative) -> float:
    """P-value of a t (or z, when df is infinite) statistic for the given alternative."""
    if alternative == "two-sided":
        return min(1.0, 2.0 * t_cdf(-abs(statistic), df))
    if alternative == "greater":
        return t_cdf(-statistic, df)
    return t_cdf(statistic, df)


def critical_value(level: float, df: float, alternative: Alternative) -> float:
    """Multiplier of the standard error for a confidence interval at ``level``."""
    tail = (1.0 - level) / 2.0 if alternative == "two-sided" else 1.0 - level
    return t_ppf(1.0 - tail, df)
