"""Shifted-beta-geometric (sBG) retention for contractual churn, to project beyond the window.

Each user churns at the end of a period with a constant probability ``theta`` of their own, and
``theta`` varies across users as ``Beta(alpha, beta)``. Then (Fader and Hardie 2007, eqs. 5-7)

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t)     = B(alpha, beta + t) / B(alpha, beta)
    h(t)     = P(T = t) / S(t - 1) = alpha / (alpha + beta + t - 1)

so the churn rate falls over time as the users prone to churn leave (the "retention rate paradox"
of a cohort). The fit maximises the likelihood of per-period churn counts given the users at risk
at each period's start, ``sum d_t log h(t) + (Y_t - d_t) log(1 - h(t))``; for one cohort followed
to the end of the window it is Fader and Hardie's likelihood. Users censored within a period count
as half a user at risk in it (the actuarial life-table convention).

Reference:
    Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlroi.retention.survival import KaplanMeier


@dataclass(frozen=True)
class ShiftedBetaGeometric:
    """A fitted sBG model.

    Attributes:
        alpha, beta: the Beta mixing distribution of the per-period churn probability.
        covariance: covariance of ``(logit m, log k)`` from the observed information, with
            ``m = alpha / (alpha + beta)`` and ``k = alpha + beta`` (see :func:`fit`).
        log_likelihood: maximised log-likelihood.
        periods: how many periods the fit saw.
        period_days: days in one period (1 for counts already per period).
        status: ``"ok"``, or ``"cannot estimate"`` with ``reason``.
    """

    alpha: float
    beta: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    log_likelihood: float
    periods: int
    period_days: float = 1.0
    status: Literal["ok", "cannot estimate"] = "ok"
    reason: str | None = None

    @property
    def params(self) -> npt.NDArray[np.float64]:
        """``(logit m, log k)``, the coordinates of ``covariance``."""
        k = self.alpha + self.beta
        return np.array([math.log(self.alpha / self.beta), math.log(k)])

    def survival(self, periods: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``S(t)`` at whole periods ``t`` (``S(0) = 1``)."""
        return survival(self.alpha, self.beta, np.asarray(periods, dtype=float))

    def to_dict(self) -> dict[str, Any]:
        from mlroi.serialize import json_ready

        out: dict[str, Any] = json_ready(self)
        return out


def survival(alpha: float, beta: float, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``S(t) = B(alpha, beta + t) / B(alpha, beta)``."""
    from scipy.special import betaln

    out: npt.NDArray[np.float64] = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
    return out


MAX_CONCENTRATION = 1e6
"""Largest ``alpha + beta`` the fit allows: beyond it every user churns at the same rate (the
projection is geometric) and the likelihood is flat in the concentration."""


def _ab(p: npt.NDArray[np.float64]) -> tuple[float, float]:
    """``(alpha, beta)`` from ``(logit m, log k)``: mean churn ``m``, concentration ``k``."""
    m = 1.0 / (1.0 + math.exp(-p[0]))
    k = math.exp(p[1])
    return m * k, (1.0 - m) * k


def _log_likelihood(
    p: npt.NDArray[np.float64], t: npt.NDArray[np.float64], d: Any, y: Any
) -> float:
    a, b = _ab(p)
    h = a / (a + b + t - 1.0)
    return float(np.sum(d * np.log(h) + (y - d) * np.log1p(-h)))


def fit(
    churned: Sequence[float], at_risk: Sequence[float], period_days: float = 1.0
) -> ShiftedBetaGeometric:
    """Fit the sBG model to churns per period and users at risk at each period's start.

    The fit runs in ``(logit m, log k)`` with ``m = alpha / (alpha + beta)`` the first period's
    churn rate and ``k = alpha + beta`` the concentration, bounded by :data:`MAX_CONCENTRATION`:
    a cohort whose churn rate does not fall has no finite maximum in ``(alpha, beta)``, but its
    ``m`` is well determined and its projection stays finite.

    Args:
        churned: users who churned in periods 1, 2, ...
        at_risk: users at risk at the start of each of those periods.
        period_days: days in one period (kept with the fit, for projections in days).
    """
    from scipy.optimize import minimize

    d = np.asarray(churned, dtype=float)
    y = np.asarray(at_risk, dtype=float)
    t = np.arange(1, d.size + 1, dtype=float)
    nan2 = ((math.nan, math.nan), (math.nan, math.nan))
    if d.size < 2 or d.sum() <= 0 or (y - d).sum() <= 0:
        return ShiftedBetaGeometric(
            math.nan,
            math.nan,
            nan2,
            math.nan,
            int(d.size),
            period_days,
            "cannot estimate",
            "the sBG fit needs two or more periods with both churned and retained users",
        )

    def neg(p: npt.NDArray[np.float64]) -> float:
        return -_log_likelihood(p, t, d, y)

    rate = float(d.sum() / y.sum())
    start = np.array([math.log(rate / (1.0 - rate)), 0.0])
    bounds = [(-30.0, 30.0), (math.log(1e-4), math.log(MAX_CONCENTRATION))]
    res = minimize(
        neg,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
        bounds=bounds,
    )
    res = minimize(neg, res.x, method="L-BFGS-B", bounds=bounds, options={"gtol": 1e-10})
    cov = np.linalg.pinv(_hessian(neg, res.x))
    a, b = _ab(res.x)
    return ShiftedBetaGeometric(
        alpha=a,
        beta=b,
        covariance=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        log_likelihood=-float(res.fun),
        periods=int(d.size),
        period_days=period_days,
    )


def fit_survivors(survivors: Sequence[float]) -> ShiftedBetaGeometric:
    """Fit to a cohort's survivors at the start and the end of each period (F&H's data form)."""
    s = np.asarray(survivors, dtype=float)
    return fit(list(s[:-1] - s[1:]), list(s[:-1]))


def fit_curve(km: KaplanMeier, period_days: float, observed_days: float) -> ShiftedBetaGeometric:
    """Fit to a Kaplan-Meier arm's counts grouped into whole periods of ``period_days`` within
    ``observed_days`` (period 1 also holds day 0, the exposure day; censored users count half in
    the period they leave)."""
    periods = int(observed_days // period_days)
    churned, at_risk = [], []
    for k in range(periods):
        start, end = (k * period_days if k else -1.0), (k + 1) * period_days  # day 0 in period 1
        inside = (km.day > start) & (km.day <= end)
        first = int(np.searchsorted(km.day, start, side="right"))
        if first >= km.day.size:
            break
        churned.append(float(km.events[inside].sum()))
        at_risk.append(float(km.at_risk[first]) - 0.5 * float(km.censored[inside].sum()))
    return fit(churned, at_risk, period_days)


def _hessian(f: Any, x: npt.NDArray[np.float64], h: float = 1e-4) -> npt.NDArray[np.float64]:
    """Central-difference Hessian of ``f`` at ``x`` (two parameters)."""
    out = np.zeros((2, 2))
    e = np.eye(2) * h
    for i in range(2):
        for j in range(2):
            out[i, j] = (
                f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])
            ) / (4 * h * h)
    return out
