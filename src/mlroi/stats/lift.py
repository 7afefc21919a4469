"""Absolute and relative lift of a treatment estimate over a control estimate.

Absolute lift ``t - c`` with a Welch / z interval. Relative lift ``t / c - 1`` with, by choice:

- ``delta``: the delta-method interval ``t/c - 1 +- q se``,
  ``se^2 = Var(t)/c^2 + (t/c)^2 Var(c)/c^2`` for independent arms (the same first-order expansion
  as GrowthBook's gbstats, so its published vectors are reproduced), less ``2 (t/c) Cov(t, c)/c^2``
  when the two values covary (CUPED's shared centring, :class:`~mlroi.stats.fieller.RatioMoments`);
- ``fieller``: Fieller's interval (:mod:`mlroi.stats.fieller`) at the same critical value ``q``,
  which keeps its coverage when the control's relative standard error is large; when the control
  value is within ``q`` standard errors of 0 the set is unbounded and no interval is given;
- ``auto``: Fieller when the control's relative standard error exceeds
  :data:`~mlroi.stats.fieller.AUTO_LIMIT`, else delta.

The relative lift's ``std_error`` is the delta method's in every case (a scale, not the interval's
half-width when the interval is Fieller's).

Relative lift is only defined against a positive control value. With a zero control value the ratio
does not exist; with a negative one its sign would flip the meaning of "up". In both cases the
relative lift is absent and ``relative_note`` says why. No sign is ever flipped silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlroi import defaults
from mlroi.stats.distributions import Alternative, critical_value, p_value
from mlroi.stats.fieller import RatioMoments, RelativeInterval, fieller, use_fieller
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class ArmEstimate:
    """The estimate of a metric in one arm and the variance of that estimate.

    Attributes:
        value: point estimate (a mean, a proportion, a ratio; CUPED-adjusted where asked).
        variance: variance of the estimate (per-unit variance / n).
        n: number of units behind it (for the Welch degrees of freedom).
    """

    value: float
    variance: float
    n: int


@dataclass(frozen=True)
class Lift:
    """Treatment versus control for one metric.

    Attributes:
        absolute: ``treatment - control`` with its interval.
        relative: ``treatment / control - 1`` with its interval, or ``None``.
        relative_note: why ``relative`` is absent, else ``None``.
        relative_method: ``"delta"`` or ``"fieller"``: how the relative interval was computed
            (also when Fieller's set was unbounded and no interval is given); ``None`` when the
            relative lift is undefined.
        statistic: the test statistic of the absolute difference.
        df: degrees of freedom (``inf`` for a z-test).
        p_value: p-value of the absolute difference under the chosen alternative.
    """

    absolute: Interval
    relative: Interval | None
    relative_note: str | None
    statistic: float
    df: float
    p_value: float
    relative_method: str | None = None


def welch_df(control: ArmEstimate, treatment: ArmEstimate) -> float:
    """Welch-Satterthwaite degrees of freedom from the variances of two estimates.

    The variances are scaled by their total first, so the result does not depend on the unit of
    measurement (no overflow for huge values, no underflow for tiny ones).
    """
    total = control.variance + treatment.variance
    if not total > 0:
        return math.inf
    denominator = 0.0
    for arm in (control, treatment):
        if arm.n > 1:
            denominator += (arm.variance / total) ** 2 / (arm.n - 1)
    if denominator == 0.0:
        return math.inf
    return 1.0 / denominator


def _interval(estimate: float, std_error: float, crit: float, alternative: Alternative) -> Interval:
    lower = estimate - crit * std_error if alternative != "less" else -math.inf
    upper = estimate + crit * std_error if alternative != "greater" else math.inf
    return Interval(estimate=estimate, lower=lower, upper=upper, std_error=std_error)


def compare(
    control: ArmEstimate,
    treatment: ArmEstimate,
    *,
    level: float = defaults.LEVEL,
    alternative: Alternative = "two-sided",
    df: float | None = None,
    relative_interval: RelativeInterval = "delta",
    moments: RatioMoments | None = None,
) -> Lift:
    """Absolute and relative lift with intervals and a p-value.

    Args:
        control: the control arm's estimate.
        treatment: the treatment arm's estimate.
        level: confidence level of the intervals.
        alternative: ``"two-sided"``, ``"greater"`` (treatment above control) or ``"less"``.
        df: degrees of freedom; ``None`` for Welch-Satterthwaite, ``math.inf`` for a z-test.
        relative_interval: ``"delta"``, ``"fieller"`` or ``"auto"`` (module docstring).
        moments: variances and covariance of the two arms' values for the relative lift (its
            standard error, Fieller's interval and ``auto``'s choice); by default the arms'
            variances and no covariance (independent arms).

    Returns:
        The lift. The caller guarantees a positive total variance.
    """
    dof = welch_df(control, treatment) if df is None else df
    crit = critical_value(level, dof, alternative)
    diff = treatment.value - control.value
    se = math.sqrt(control.variance + treatment.variance)
    statistic = diff / se
    absolute = _interval(diff, se, crit, alternative)

    relative: Interval | None = None
    note: str | None = None
    method: str | None = None
    c = control.value
    if c == 0.0:
        note = "control value is 0: relative lift is undefined"
    elif c < 0.0:
        note = "control value is negative: relative lift would flip sign, so it is not shown"
    else:
        ratio = treatment.value / c
        m = moments or RatioMoments(treatment.variance, control.variance)
        # sqrt(Var(t)/c^2 - 2 ratio Cov/c^2 + ratio^2 Var(c)/c^2), arranged to stay finite at
        # any scale (the covariance is 0 for independent arms)
        rel_se = math.hypot(math.sqrt(m.numerator) / c, abs(ratio) * (math.sqrt(m.denominator) / c))
        if m.covariance != 0.0:
            shared = 2.0 * ratio * (m.covariance / c) / c
            rel_se = math.sqrt(max(rel_se * rel_se - shared, 0.0))
        if not (math.isfinite(rel_se) and math.isfinite(ratio)):
            note = "control value is too close to 0 for a finite relative lift"
        elif use_fieller(relative_interval, c, m.denominator):
            method = "fieller"
            found = fieller(treatment.value, c, m, crit, alternative)
            if found.bounded:
                relative = Interval(ratio - 1.0, found.lower - 1.0, found.upper - 1.0, rel_se)
            else:
                note = (
                    "control value is not distinguishable from 0 at this level: Fieller's"
                    " interval of the relative lift is unbounded; read the absolute lift"
                )
        else:
            method = "delta"
            relative = _interval(ratio - 1.0, rel_se, crit, alternative)
    return Lift(
        absolute=absolute,
        relative=relative,
        relative_note=note,
        statistic=statistic,
        df=dof,
        p_value=p_value(statistic, dof, alternative),
        relative_method=method,
    )
