"""Lifetime value through retention: per-arm retention x revenue per retained user, discounted.

With ``S(t)`` an arm's retention, ``m`` the revenue per retained user per period of ``P`` days and
``r`` the discount rate per period, the value per exposed user over ``K`` periods is

    V = m * sum_{k=1..K} S(k P) / (1 + r)^k

(the cash flow of period ``k`` discounted by ``(1 + r)^k``, first period ``k = 1``: DESIGN's
convention). Within the observed window ``S`` is the Kaplan-Meier curve; beyond it, the curve
goes on as a shifted-beta-geometric projection anchored at the last observed period,
``S(k P) = S_KM(K_o P) * S_sBG(k) / S_sBG(K_o)``.

Variance: ``V`` is a linear functional of the Kaplan-Meier curve at the period ends (the anchor
carries the projected periods' weight), so its sampling variance is
``sum over event days t of A(t)^2 d / (Y (Y - d))`` with ``A(t)`` the weighted sum of the terms at
period ends at or after ``t`` (the covariance of the Kaplan-Meier curve at two days is
``S(s) S(t) * Greenwood(min(s, t))``). The projection's shape adds a delta-method term from the
sBG fit's covariance; the two are added as if independent (they come from the same users, so this
slightly misstates the total; the note in the result says so). The lift in lifetime value is the
treatment's ``V`` minus control's, the arms independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlroi import defaults
from mlroi.retention.sbg import ShiftedBetaGeometric, fit_curve
from mlroi.retention.survival import KaplanMeier
from mlroi.stats.distributions import normal_ppf
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class ArmValue:
    """One arm's discounted value per exposed user.

    Attributes:
        value: value per user with its interval.
        observed: the part from periods inside the observed window.
        projected: the part from periods beyond it (0 when the horizon is inside the window).
        periods_observed: whole periods inside the window.
        projection: the sBG fit used beyond the window, or ``None``.
    """

    value: Interval
    observed: float
    projected: float
    periods_observed: int
    projection: ShiftedBetaGeometric | None


@dataclass(frozen=True)
class LifetimeValue:
    """Lifetime value per exposed user in each arm and the lift between them.

    Attributes:
        control, treatment: each arm's value.
        lift: ``treatment - control`` per exposed user, with its interval.
        revenue_per_period: revenue per retained user per period.
        period_days: days in a period; periods: periods in the horizon.
        discount_rate: per period.
        notes: caveats (projection beyond the window, how its uncertainty was added).
    """

    control: ArmValue
    treatment: ArmValue
    lift: Interval
    revenue_per_period: float
    period_days: float
    periods: int
    discount_rate: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        from mlroi.serialize import json_ready

        out: dict[str, Any] = json_ready(self)
        return out


def _weights_at_days(km: KaplanMeier, days: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``A(t)`` at each count day: the sum of ``c_k S(day_k)`` over period ends ``day_k >= t``."""
    i = np.searchsorted(km.day, days, side="right") - 1
    s_at = np.where(i >= 0, km.survival[np.maximum(i, 0)], 1.0)
    terms = c * s_at
    # suffix sums over period ends, read at the first period end >= each count day
    suffix = np.concatenate((np.cumsum(terms[::-1])[::-1], [0.0]))
    j = np.searchsorted(days, km.day, side="left")
    return suffix[j]


def arm_value(
    km: KaplanMeier,
    *,
    observed_days: float,
    revenue_per_period: float,
    period_days: float,
    periods: int,
    discount_rate: float,
    level: float = defaults.LEVEL,
) -> ArmValue:
    """One arm's discounted value per exposed user over ``periods`` periods."""
    k_obs = min(int(observed_days // period_days), periods)
    k = np.arange(1, periods + 1, dtype=float)
    disc = (1.0 + discount_rate) ** -k
    ends = k[:k_obs] * period_days
    i = np.searchsorted(km.day, ends, side="right") - 1
    s_obs = np.where(i >= 0, km.survival[np.maximum(i, 0)], 1.0)
    c = revenue_per_period * disc[:k_obs].copy()
    observed = float(np.sum(c * s_obs))
    projected, proj_var, fit = 0.0, 0.0, None
    if periods > k_obs:
        if k_obs < 2:
            raise ValueError(
                f"projecting beyond the window needs two whole periods of {period_days:g} days"
                f" in it, got {k_obs}"
            )
        fit = fit_curve(km, period_days, k_obs * period_days)
        anchor = float(s_obs[-1])
        beyond = k[k_obs:]
        if fit.status == "ok":
            ratio = fit.survival(beyond) / fit.survival([k_obs])[0]
            grad = _ratio_gradient(fit, beyond, k_obs)
            weight = revenue_per_period * disc[k_obs:]
            g = grad.T @ weight  # d(sum w ratio) / d(logit m, log k)
            cov = np.asarray(fit.covariance)
            proj_var = float(anchor**2 * (g @ cov @ g))
        else:
            ratio = np.ones_like(beyond)  # no fit: the curve stays flat (stated in the notes)
        g_weight = float(np.sum(revenue_per_period * disc[k_obs:] * ratio))
        c[-1] += g_weight
        projected = anchor * g_weight
    a = _weights_at_days(km, ends, c)
    y = km.at_risk.astype(float)
    d = km.events.astype(float)
    use = (d > 0) & (km.day <= ends[-1]) & (a != 0)
    var = float(np.sum(a[use] ** 2 * d[use] / (y[use] * (y[use] - d[use])))) + proj_var
    value = observed + projected
    se = math.sqrt(var)
    z = normal_ppf((1 + level) / 2)
    return ArmValue(
        Interval(value, value - z * se, value + z * se, se), observed, projected, k_obs, fit
    )


def _ratio_gradient(fit: ShiftedBetaGeometric, beyond: np.ndarray, k_obs: int) -> np.ndarray:
    """Gradient of ``S(k) / S(k_obs)`` in the fit's coordinates ``(logit m, log k)``, by
    central differences."""
    from mlroi.retention.sbg import survival

    def ratio(p: np.ndarray) -> np.ndarray:
        m = 1.0 / (1.0 + math.exp(-p[0]))
        k = math.exp(p[1])
        a, b = m * k, (1.0 - m) * k
        out: np.ndarray = survival(a, b, beyond) / survival(a, b, np.array([float(k_obs)]))[0]
        return out

    p, h = fit.params, 1e-5
    e0, e1 = np.array([h, 0.0]), np.array([0.0, h])
    d0 = (ratio(p + e0) - ratio(p - e0)) / (2 * h)
    d1 = (ratio(p + e1) - ratio(p - e1)) / (2 * h)
    return np.column_stack((d0, d1))


def lifetime_value(
    control: KaplanMeier,
    treatment: KaplanMeier,
    *,
    observed_days: float,
    revenue_per_period: float,
    period_days: float = 30.0,
    periods: int = 12,
    discount_rate: float = 0.0,
    level: float = defaults.LEVEL,
) -> LifetimeValue:
    """Value per exposed user in each arm over ``periods`` periods and the lift between arms."""
    kw: dict[str, Any] = {
        "observed_days": observed_days,
        "revenue_per_period": revenue_per_period,
        "period_days": period_days,
        "periods": periods,
        "discount_rate": discount_rate,
        "level": level,
    }
    c, t = arm_value(control, **kw), arm_value(treatment, **kw)
    se = math.hypot(c.value.std_error, t.value.std_error)
    z = normal_ppf((1 + level) / 2)
    diff = t.value.estimate - c.value.estimate
    notes: list[str] = []
    if c.projected or t.projected:
        notes.append(
            f"periods {c.periods_observed + 1}-{periods} lie beyond the observed"
            f" {observed_days:g} days: retention there is a shifted-beta-geometric projection"
            " anchored at the last observed period; its fit's uncertainty is added to the"
            " curve's as if independent"
        )
    for name, arm in (("control", c), ("treatment", t)):
        if arm.projection is not None and arm.projection.status != "ok":
            notes.append(f"{name}: {arm.projection.reason}; retention held flat beyond the window")
    return LifetimeValue(
        c,
        t,
        Interval(diff, diff - z * se, diff + z * se, se),
        revenue_per_period,
        period_days,
        periods,
        discount_rate,
        tuple(notes),
    )
