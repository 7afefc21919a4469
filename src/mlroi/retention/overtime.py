"""The effect over time: retention lift per week of exposure, a test for a trend, a fitted decay.

Week ``w`` of exposure covers days ``(7 (w - 1), 7 w]``, and week 1 also the exposure day itself
(day 0: users who never come back churn there). Within it, each arm's weekly retention is the
Kaplan-Meier conditional survival ``S(7 w) / S(7 (w - 1))`` of the users still retained at its
start (``S(7)`` for week 1), with Greenwood variance ``S_w^2 * sum d / (Y (Y - d))`` over the
week's event days.
Kaplan-Meier factors over disjoint intervals are asymptotically independent, so the weekly lifts
(treatment minus control, percentage points of weekly retention) are independent estimates with
known variances; a novelty effect shows as lifts that shrink with ``w``.

Trend: weighted least squares of the weekly lift on the week with weights ``1 / Var``; with known
variances the slope's standard error is ``1 / sqrt(sum w_i (x_i - x_w)^2)`` and the test is a
z-test (statsmodels' ``WLS(...).fit(cov_type="fixed scale")``).

Decay: ``lift(w) = plateau + (initial - plateau) * exp(-(w - 1) / scale)``, fitted by weighted
nonlinear least squares with the same known variances (``scipy.optimize.curve_fit`` with
``absolute_sigma=True``); the ROI value model reads ``lift_at`` over its horizon instead of a
guessed decay, and the plateau is the long-run lift.

Cohorts: the users first exposed in the same week (Monday to Sunday, UTC) form a cohort; each
cohort's Kaplan-Meier retention at one day per arm, and their difference (Wald, Greenwood
variances), shows whether later cohorts gain less (or more) than the first ones.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mlroi import defaults
from mlroi.retention.survival import KaplanMeier, SurvivalCounts, difference, kaplan_meier
from mlroi.stats.distributions import normal_cdf, normal_ppf
from mlroi.stats.interval import Interval

WEEK = 7.0
"""Days in a week of exposure."""


@dataclass(frozen=True)
class WeeklyLift:
    """Weekly retention of both arms in one week of exposure, and its difference.

    Attributes:
        week: 1 for days 1-7 since exposure, 2 for days 8-14, ...
        control, treatment: the share of users retained at the week's start who are still
            retained at its end, with standard error and log-free Wald interval.
        lift: ``treatment - control`` of weekly retention.
        at_risk_control, at_risk_treatment: users retained and observed at the week's start.
    """

    week: int
    control: Interval
    treatment: Interval
    lift: Interval
    at_risk_control: int
    at_risk_treatment: int


@dataclass(frozen=True)
class Trend:
    """Weighted least-squares line through the weekly lifts.

    Attributes:
        slope: change of the weekly lift per week, with its interval.
        intercept: the line's lift at week 0.
        p_value: two-sided p-value of ``slope = 0`` (z-test, known variances).
        weeks: how many weekly lifts the line uses.
        status: ``"ok"``, or ``"cannot estimate"`` with ``reason``.
    """

    slope: Interval | None
    intercept: float | None
    p_value: float | None
    weeks: int
    status: Literal["ok", "cannot estimate"] = "ok"
    reason: str | None = None


@dataclass(frozen=True)
class Decay:
    """``lift(w) = plateau + (initial - plateau) * exp(-(w - 1) / scale)`` fitted to weekly lifts.

    Attributes:
        initial: the lift in week 1, with its interval.
        plateau: the long-run lift, with its interval.
        scale: weeks for the excess over the plateau to shrink by a factor e.
        half_life: ``scale * ln 2``, in weeks.
        covariance: of (initial, plateau, log scale), row by row, from the fit (the ROI's
            Monte Carlo draws the shape jointly from it).
        weeks: how many weekly lifts the fit used.
        status: ``"ok"``, or ``"cannot estimate"`` with ``reason``.
    """

    initial: Interval | None
    plateau: Interval | None
    scale: float | None
    half_life: float | None
    status: Literal["ok", "cannot estimate"] = "ok"
    reason: str | None = None
    covariance: tuple[tuple[float, float, float], ...] | None = None
    weeks: int = 0

    def lift_at(self, week: float) -> float:
        """The fitted lift in week ``week`` (NaN when the fit failed)."""
        if self.initial is None or self.plateau is None or self.scale is None:
            return math.nan
        p, a = self.plateau.estimate, self.initial.estimate
        return p + (a - p) * math.exp(-(week - 1.0) / self.scale)

    def to_dict(self) -> dict[str, Any]:
        from mlroi.serialize import json_ready

        out: dict[str, Any] = json_ready(self)
        return out


def weekly_lifts(
    control: KaplanMeier,
    treatment: KaplanMeier,
    observed_days: float,
    level: float = defaults.LEVEL,
    min_at_risk: int = 30,
) -> list[WeeklyLift]:
    """The lift in weekly retention for every whole week within ``observed_days`` in which both
    arms still have at least ``min_at_risk`` users at risk."""
    z = normal_ppf((1 + level) / 2)
    out: list[WeeklyLift] = []
    for w in range(1, int(observed_days // WEEK) + 1):
        start, end = ((w - 1) * WEEK if w > 1 else -1.0), w * WEEK  # week 1 holds day 0
        arms = [_week(km, start, end, z) for km in (control, treatment)]
        if any(y < min_at_risk for _, y in arms):
            break
        (c, yc), (t, yt) = arms
        se = math.hypot(c.std_error, t.std_error)
        diff = t.estimate - c.estimate
        out.append(WeeklyLift(w, c, t, Interval(diff, diff - z * se, diff + z * se, se), yc, yt))
    return out


def _week(km: KaplanMeier, start: float, end: float, z: float) -> tuple[Interval, int]:
    inside = (km.day > start) & (km.day <= end)
    first = int(np.searchsorted(km.day, start, side="right"))
    at_risk = int(km.at_risk[first]) if first < km.day.size else 0
    y = km.at_risk[inside].astype(float)
    d = km.events[inside].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = float(np.prod(1.0 - d / y)) if y.size else 1.0
        gw = float(np.sum(np.where(d > 0, d / (y * (y - d)), 0.0)))
    se = s * math.sqrt(gw) if s > 0 else 0.0
    return Interval(s, s - z * se, s + z * se, se), at_risk


def trend(lifts: list[WeeklyLift], level: float = defaults.LEVEL) -> Trend:
    """Weighted least-squares slope of the weekly lift on the week, with a z-test."""
    x = np.array([w.week for w in lifts], dtype=float)
    y = np.array([w.lift.estimate for w in lifts])
    se = np.array([w.lift.std_error for w in lifts])
    if x.size < 3 or not np.all(se > 0):
        return Trend(None, None, None, int(x.size), "cannot estimate", _few(x.size, 3))
    wt = 1.0 / se**2
    xm = float(np.sum(wt * x) / np.sum(wt))
    ym = float(np.sum(wt * y) / np.sum(wt))
    sxx = float(np.sum(wt * (x - xm) ** 2))
    slope = float(np.sum(wt * (x - xm) * (y - ym)) / sxx)
    s_se = 1.0 / math.sqrt(sxx)
    z = normal_ppf((1 + level) / 2)
    p = 2.0 * normal_cdf(-abs(slope) / s_se)
    return Trend(
        Interval(slope, slope - z * s_se, slope + z * s_se, s_se),
        ym - slope * xm,
        p,
        int(x.size),
    )


def _few(n: int, need: int) -> str:
    if n >= need:
        return (
            "no user churned in some week of an arm, so its lift has no variance to weigh it"
            " by: observe more users"
        )
    return (
        f"{n} week(s) with enough users at risk in both arms; the fit needs {need}:"
        " observe the arms for longer"
    )


def fit_decay(lifts: list[WeeklyLift], level: float = defaults.LEVEL) -> Decay:
    """Fit ``plateau + (initial - plateau) * exp(-(w - 1) / scale)`` to the weekly lifts."""
    from scipy.optimize import curve_fit

    x = np.array([w.week for w in lifts], dtype=float)
    y = np.array([w.lift.estimate for w in lifts])
    se = np.array([w.lift.std_error for w in lifts])
    if x.size < 4 or not np.all(se > 0):
        return Decay(None, None, None, None, "cannot estimate", _few(x.size, 4))

    def model(w: Any, initial: float, plateau: float, log_scale: float) -> Any:
        return plateau + (initial - plateau) * np.exp(-(w - 1.0) / np.exp(log_scale))

    start = (float(y[0]), float(np.mean(y[-max(2, x.size // 3) :])), math.log(2.0))
    try:
        params, cov = curve_fit(model, x, y, p0=start, sigma=se, absolute_sigma=True, maxfev=5000)
    except (RuntimeError, ValueError) as exc:
        return Decay(None, None, None, None, "cannot estimate", f"the decay fit failed: {exc}")
    if not np.all(np.isfinite(cov)):
        return Decay(
            None,
            None,
            None,
            None,
            "cannot estimate",
            "the weekly lifts do not pin down a decay (no change over the weeks to fit a scale"
            " to): use the trend or the overall lift",
        )
    z = normal_ppf((1 + level) / 2)
    a, p, log_scale = (float(v) for v in params)
    sa, sp = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    scale = math.exp(log_scale)
    return Decay(
        Interval(a, a - z * sa, a + z * sa, sa),
        Interval(p, p - z * sp, p + z * sp, sp),
        scale,
        scale * math.log(2.0),
        covariance=tuple((float(r[0]), float(r[1]), float(r[2])) for r in cov),
        weeks=int(x.size),
    )


@dataclass(frozen=True)
class OverTime:
    """One treatment's lift in weekly retention per week of exposure, its trend and decay."""

    weeks: tuple[WeeklyLift, ...]
    trend: Trend
    decay: Decay


def over_time(
    control: KaplanMeier,
    treatment: KaplanMeier,
    observed_days: float,
    level: float = defaults.LEVEL,
    min_at_risk: int = 30,
) -> OverTime:
    """The weekly lifts of ``treatment`` over ``control``, their trend and fitted decay."""
    lifts = weekly_lifts(control, treatment, observed_days, level, min_at_risk)
    return OverTime(tuple(lifts), trend(lifts, level), fit_decay(lifts, level))


@dataclass(frozen=True)
class CohortLift:
    """Retention at one day of the users first exposed in one week, per arm, and the lift.

    Attributes:
        cohort: the Monday of the week of first exposure (UTC).
        arm: the treatment arm compared with the control.
        day: days since exposure the retention is read at.
        control, treatment: Kaplan-Meier retention at ``day`` with Greenwood standard error.
        lift: ``treatment - control`` with a Wald interval.
        followed_control, followed_treatment: users followed to ``day`` (churned on it or
            later, or still observed).
    """

    cohort: dt.date
    arm: str
    day: float
    control: Interval
    treatment: Interval
    lift: Interval
    followed_control: int
    followed_treatment: int


def _followed(counts: SurvivalCounts, day: float) -> int:
    """Users whose time (churn or end of observation) is at ``day`` or later."""
    return sum(
        e + c
        for t, e, c in zip(counts.day, counts.events, counts.censored, strict=True)
        if t >= day
    )


def cohort_lifts(
    cohorts: Mapping[dt.date, Mapping[str, SurvivalCounts]],
    control: str,
    treatments: tuple[str, ...],
    day: float,
    level: float = defaults.LEVEL,
    min_at_risk: int = 30,
) -> tuple[CohortLift, ...]:
    """The lift in retention at ``day`` per cohort of first exposure and treatment, for the
    cohorts with at least ``min_at_risk`` users followed to ``day`` in both arms (cohorts
    exposed too recently to reach it are left out)."""
    out: list[CohortLift] = []
    for cohort in sorted(cohorts):
        arms = cohorts[cohort]
        if control not in arms:
            continue
        nc = _followed(arms[control], day)
        for t in treatments:
            if t not in arms:
                continue
            nt = _followed(arms[t], day)
            if min(nc, nt) < min_at_risk:
                continue
            c = kaplan_meier(arms[control], level).at(day)
            tr = kaplan_meier(arms[t], level).at(day)
            out.append(CohortLift(cohort, t, day, c, tr, difference(c, tr, level), nc, nt))
    return tuple(out)
