"""Kaplan-Meier survival from per-day counts: the curve, Greenwood variance, log-log intervals.

The input is what the backend returns per arm: for each day since exposure that has an event or
a censoring, the number of users who churned that day (``events``) and the number whose
observation ended that day without churning (``censored``). Users censored on day ``t`` are still
at risk on day ``t`` (the usual convention, and lifelines'), so

    at_risk(t) = n - (events + censored on days before t)
    S(t)       = prod over days u <= t of (1 - events(u) / at_risk(u))
    Var S(t)   = S(t)^2 * sum over u <= t of events(u) / (at_risk(u) * (at_risk(u) - events(u)))

(Greenwood 1926). The interval is the log-log ("exponential Greenwood") one, which stays inside
[0, 1]: with ``v = sum d / (Y (Y - d)) / log(S)^2``, the ends are ``S ** exp(+- z sqrt(v))``
(Kalbfleisch and Prentice 2002, section 1.4; lifelines' ``KaplanMeierFitter`` default).

Linear functionals of the curve (restricted mean survival time, discounted value of retained
users) share one variance (:func:`functional_variance`): for ``F = integral of w(u) S(u) du``,
``Var F = sum over event days t of A(t)^2 d / (Y (Y - d))`` with ``A(t)`` the integral of
``w(u) S(u)`` from ``t`` on (Klein and Moeschberger 2003, eq. 4.5.2, for ``w = 1``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi import defaults
from mlroi.stats.distributions import normal_ppf
from mlroi.stats.interval import Interval

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SurvivalCounts:
    """Per-day counts of one arm: days with an event or a censoring, in increasing order.

    Attributes:
        day: days since exposure (whole days from the backend; any increasing floats work).
        events: users who churned on that day.
        censored: users whose observation ended on that day without churning.
    """

    day: tuple[float, ...]
    events: tuple[int, ...]
    censored: tuple[int, ...]

    @classmethod
    def of(
        cls, day: Sequence[float], events: Sequence[int], censored: Sequence[int]
    ) -> SurvivalCounts:
        """Counts from three parallel sequences; days are sorted, repeated days merged and days
        without an event or a censoring dropped.

        Raises:
            ValueError: the sequences differ in length, or a count is negative.
        """
        if not len(day) == len(events) == len(censored):
            raise ValueError("day, events and censored must have the same length")
        merged: dict[float, list[int]] = {}
        for t, d, c in zip(day, events, censored, strict=True):
            if d < 0 or c < 0:
                raise ValueError(f"negative count on day {t}: events {d}, censored {c}")
            slot = merged.setdefault(float(t), [0, 0])
            slot[0] += int(d)
            slot[1] += int(c)
        days = sorted(t for t, (d, c) in merged.items() if d or c)  # empty days add nothing
        return cls(
            tuple(days), tuple(merged[t][0] for t in days), tuple(merged[t][1] for t in days)
        )

    @classmethod
    def from_durations(
        cls, durations: Sequence[float] | FloatArray, observed: Sequence[bool] | npt.NDArray[Any]
    ) -> SurvivalCounts:
        """Counts from per-user durations and event flags (tests and small in-memory data)."""
        t = np.asarray(durations, dtype=float)
        e = np.asarray(observed, dtype=bool)
        days, inverse = np.unique(t, return_inverse=True)
        events = np.bincount(inverse, weights=e, minlength=days.size).astype(int)
        total = np.bincount(inverse, minlength=days.size)
        return cls(tuple(days.tolist()), tuple(events.tolist()), tuple((total - events).tolist()))

    @property
    def n(self) -> int:
        """Users in the arm."""
        return sum(self.events) + sum(self.censored)

    def at_risk(self) -> npt.NDArray[np.int64]:
        """Users still observed and not churned at the start of each day."""
        leaving = np.asarray(self.events, dtype=np.int64) + np.asarray(self.censored, np.int64)
        return self.n - np.concatenate(([0], np.cumsum(leaving)[:-1])).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": list(self.day),
            "events": list(self.events),
            "censored": list(self.censored),
            "at_risk": self.at_risk().tolist(),
        }


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan-Meier curve of one arm at each day of its counts.

    Attributes:
        day, at_risk, events, censored: the counts behind the curve.
        survival: ``S(day)``, the share still retained at the end of that day.
        greenwood: cumulative ``sum d / (Y (Y - d))`` up to that day (``inf`` once every user
            at risk churned).
        lower, upper: log-log interval of ``S`` at ``level``.
        level: confidence level of the interval.
    """

    day: FloatArray
    at_risk: npt.NDArray[np.int64]
    events: npt.NDArray[np.int64]
    censored: npt.NDArray[np.int64]
    survival: FloatArray
    greenwood: FloatArray
    lower: FloatArray
    upper: FloatArray
    level: float

    @property
    def variance(self) -> FloatArray:
        """Greenwood variance of ``S`` at each day (0 where ``S`` is 0)."""
        with np.errstate(invalid="ignore"):
            v = self.survival**2 * self.greenwood
        return np.where(self.survival > 0, v, 0.0)

    def _index(self, day: float) -> int:
        """Index of the last count day ``<= day`` (-1 before the first)."""
        return int(np.searchsorted(self.day, day, side="right")) - 1

    def at(self, day: float) -> Interval:
        """Retention ``S(day)`` with its Greenwood standard error and log-log interval.

        ``S`` is a step function: at a day between count days it is the value at the last count
        day before it; before the first count day it is 1 with no uncertainty.
        """
        i = self._index(day)
        if i < 0:
            return Interval(1.0, 1.0, 1.0, 0.0)
        return Interval(
            float(self.survival[i]),
            float(self.lower[i]),
            float(self.upper[i]),
            float(math.sqrt(self.variance[i])),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "day": self.day.tolist(),
            "at_risk": self.at_risk.tolist(),
            "events": self.events.tolist(),
            "censored": self.censored.tolist(),
            "survival": self.survival.tolist(),
            "std_error": np.sqrt(self.variance).tolist(),
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
        }


def kaplan_meier(counts: SurvivalCounts, level: float = defaults.LEVEL) -> KaplanMeier:
    """The Kaplan-Meier estimate of one arm with Greenwood variance and log-log intervals.

    Args:
        counts: the arm's per-day events and censorings.
        level: confidence level of the pointwise interval.

    Example:
        >>> km = kaplan_meier(SurvivalCounts.of([1, 2, 3], [1, 1, 0], [0, 0, 2]))
        >>> [round(s, 4) for s in km.survival]
        [0.75, 0.5, 0.5]
    """
    y = counts.at_risk()
    d = np.asarray(counts.events, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.cumprod(1.0 - d / y).astype(np.float64)
        terms = np.where(d > 0, d / (y * (y - d).astype(float)), 0.0)
    gw = np.cumsum(terms)
    z = normal_ppf((1 + level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        spread = z * np.sqrt(gw) / np.abs(log_s)
        lower = s ** np.exp(spread)
        upper = s ** np.exp(-spread)
    # S = 1 (no churn yet): no spread; S = 0 (everyone churned): the interval is the point.
    lower = np.where(s >= 1.0, 1.0, np.where(s <= 0.0, 0.0, lower))
    upper = np.where(s >= 1.0, 1.0, np.where(s <= 0.0, 0.0, upper))
    return KaplanMeier(
        day=np.asarray(counts.day, dtype=float),
        at_risk=y,
        events=d,
        censored=np.asarray(counts.censored, dtype=np.int64),
        survival=s,
        greenwood=gw,
        lower=lower,
        upper=upper,
        level=level,
    )


def retention_difference(
    control: KaplanMeier, treatment: KaplanMeier, day: float, level: float = defaults.LEVEL
) -> Interval:
    """``S_treatment(day) - S_control(day)`` with a Wald interval from the Greenwood variances
    (independent arms)."""
    return difference(control.at(day), treatment.at(day), level)


def step_integral(km: KaplanMeier, weights: FloatArray, edges: FloatArray) -> FloatArray:
    """``integral of w(u) S(u) du`` from each count day to ``edges[-1]``, for a piecewise-constant
    weight ``weights[k]`` on ``[edges[k], edges[k+1])`` (``edges[0] = 0``).

    Returns an array aligned with ``km.day``: the tail integral ``A(t)`` of each count day.
    """
    # S is right-continuous and steps at count days; refine the grid with them
    horizon = float(edges[-1])
    inner = km.day[(km.day > 0) & (km.day < horizon)]
    grid = np.unique(np.concatenate((edges, inner)))
    left = grid[:-1]
    width = np.diff(grid)
    k = np.searchsorted(edges, left, side="right") - 1
    i = np.searchsorted(km.day, left, side="right") - 1
    s = np.where(i >= 0, km.survival[np.maximum(i, 0)], 1.0)
    piece = weights[k] * s * width
    tail = np.concatenate((np.cumsum(piece[::-1])[::-1], [0.0]))
    # A(t) for each count day t: the integral from t on (0 for days past the horizon)
    j = np.searchsorted(grid, km.day, side="left")
    return np.where(km.day < horizon, tail[np.minimum(j, grid.size - 1)], 0.0)


def functional_variance(km: KaplanMeier, tail: FloatArray, horizon: float) -> float:
    """Variance of a linear functional of ``S`` whose tail integrals at the count days are
    ``tail`` (module docstring); only event days before ``horizon`` contribute."""
    y = km.at_risk.astype(float)
    d = km.events.astype(float)
    use = (d > 0) & (km.day < horizon) & (tail != 0)
    return float(np.sum(tail[use] ** 2 * d[use] / (y[use] * (y[use] - d[use]))))


def restricted_mean(km: KaplanMeier, horizon: float, level: float = defaults.LEVEL) -> Interval:
    """Restricted mean survival time to ``horizon`` (the area under ``S`` from 0 to it), in days,
    with its sampling variance (Klein and Moeschberger 2003, eq. 4.5.2) and a Wald interval.

    This is the variance of the estimate, not of a user's restricted survival time (which is what
    lifelines' ``restricted_mean_survival_time(..., return_variance=True)`` returns).
    """
    edges = np.array([0.0, float(horizon)])
    tail = step_integral(km, np.array([1.0]), edges)
    area = _area(km, horizon)
    se = math.sqrt(functional_variance(km, tail, horizon))
    z = normal_ppf((1 + level) / 2)
    return Interval(area, area - z * se, area + z * se, se)


def _area(km: KaplanMeier, horizon: float) -> float:
    grid = np.unique(np.concatenate(([0.0], km.day[km.day < horizon], [horizon])))
    i = np.searchsorted(km.day, grid[:-1], side="right") - 1
    s = np.where(i >= 0, km.survival[np.maximum(i, 0)], 1.0)
    return float(np.sum(s * np.diff(grid)))


def difference(control: Interval, treatment: Interval, level: float = defaults.LEVEL) -> Interval:
    """``treatment - control`` of two independent estimates, with a Wald interval."""
    se = math.hypot(control.std_error, treatment.std_error)
    z = normal_ppf((1 + level) / 2)
    diff = treatment.estimate - control.estimate
    return Interval(diff, diff - z * se, diff + z * se, se)
