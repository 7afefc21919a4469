"""How strong an unmeasured confounder would have to be to erase an effect.

- The E-value (VanderWeele & Ding 2017, Annals of Internal Medicine 167:268): the minimum
  strength of association, on the risk-ratio scale, that an unmeasured confounder would need
  with both the exposure and the outcome to explain away an observed risk ratio ``RR``:
  ``RR + sqrt(RR (RR - 1))`` (for ``RR < 1``, of ``1 / RR``). For a continuous outcome, the
  standardized difference ``d = effect / SD(outcome)`` is mapped to ``RR ~ exp(0.91 d)``
  (VanderWeele & Ding 2017, section "Other effect measures"; an approximation).
- The robustness value (Cinelli & Hazlett 2020, JRSS-B 82:39): the share of the residual
  variance of both the treatment and the outcome that a confounder would have to explain to
  bring the regression estimate to zero, from its t statistic and residual degrees of freedom:
  ``RV = (sqrt(f^4 + 4 f^2) - f^2) / 2`` with ``f = |t| / sqrt(df)``; at level ``alpha``, to
  make it insignificant, with ``f - t*(alpha, df - 1) / sqrt(df - 1)`` in place of ``f``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def e_value(rr: float) -> float:
    """The E-value of a risk ratio (1 for a risk ratio of 1; NaN for a ratio that is not
    positive and finite)."""
    if not (math.isfinite(rr) and rr > 0):
        return math.nan
    if rr < 1:
        rr = 1.0 / rr
    return rr + math.sqrt(rr * (rr - 1.0))


def risk_ratio_of_difference(effect: float, sd: float) -> float:
    """``exp(0.91 d)`` with ``d = effect / sd``: the risk ratio a standardized difference
    approximates (VanderWeele & Ding 2017)."""
    if not (sd > 0 and math.isfinite(effect)):
        return math.nan
    return math.exp(0.91 * effect / sd)


def robustness_value(t: float, df: int, alpha: float | None = None) -> float:
    """Cinelli & Hazlett's robustness value (``q = 1``), optionally at level ``alpha``.

    Example:
        >>> round(robustness_value(4.18445, 783), 4)  # the Darfur example of the paper
        0.1388
    """
    from scipy import stats

    if df < 2 or not math.isfinite(t):
        return math.nan
    f = abs(t) / math.sqrt(df)
    if alpha is not None:
        f -= float(stats.t.ppf(1 - alpha / 2, df - 1)) / math.sqrt(df - 1)
        if f <= 0:
            return 0.0
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


@dataclass(frozen=True)
class Sensitivity:
    """The sensitivity of an adjusted estimate to an unmeasured confounder.

    Attributes:
        standardized_effect: ``effect / outcome_sd``.
        outcome_sd: the outcome's standard deviation among the comparison units.
        risk_ratio: ``exp(0.91 d)``, the risk ratio the standardized effect approximates.
        e_value: the E-value of the estimate.
        e_value_bound: the E-value of the interval's end nearest to no effect (1 when the
            interval contains no effect).
        robustness_value: Cinelli & Hazlett's RV of the pooled regression's coefficient.
        robustness_value_alpha: the RV that would make it insignificant at ``1 - level``.
        partial_r2: the share of the outcome's residual variance the treatment explains
            (``t^2 / (t^2 + df)``).
    """

    standardized_effect: float
    outcome_sd: float
    risk_ratio: float
    e_value: float
    e_value_bound: float
    robustness_value: float
    robustness_value_alpha: float
    partial_r2: float


def sensitivity(
    effect: float,
    lower: float,
    upper: float,
    outcome_sd: float,
    *,
    t: float,
    df: int,
    level: float,
) -> Sensitivity:
    """E-values of an effect and its interval, and the robustness values of a regression's
    t statistic (module docstring)."""
    rr = risk_ratio_of_difference(effect, outcome_sd)
    if lower <= 0 <= upper:
        bound = 1.0
    else:
        nearest = lower if effect > 0 else upper
        bound = e_value(risk_ratio_of_difference(nearest, outcome_sd))
    return Sensitivity(
        standardized_effect=effect / outcome_sd if outcome_sd > 0 else math.nan,
        outcome_sd=outcome_sd,
        risk_ratio=rr,
        e_value=e_value(rr),
        e_value_bound=bound,
        robustness_value=robustness_value(t, df),
        robustness_value_alpha=robustness_value(t, df, 1 - level),
        partial_r2=t * t / (t * t + df) if df > 0 and math.isfinite(t) else math.nan,
    )
