"""Two-way fixed effects on unit x period cells, with standard errors clustered by unit.

Pure numerics on a small panel (one row per unit and period): the regression of the outcome on
a few regressors (the treatment flag, or relative-period dummies for an event study) with unit
and period fixed effects, by the Frisch-Waugh-Lovell theorem: outcome and regressors are swept
of both effects (alternating projections; exact in one sweep on a balanced, unweighted panel),
then regressed on each other. The sandwich of the swept regression equals the regressors' block
of the full dummy regression's sandwich, so the clustered covariance is that of the dummy
regression.

Clustered covariance (CR1, Cameron and Miller 2015, eq. 11): ``c (X'X)^-1 (sum_g X_g'e_g e_g'X_g)
(X'X)^-1`` with ``c = G/(G-1) (n-1)/(n-K)``. ``K`` counts every parameter of the dummy
regression (``count_nested=True``, as statsmodels' ``OLS(...).fit(cov_type="cluster")`` with
dummies does), or leaves out the unit effects, which are nested in the unit clusters
(``count_nested=False``, the default: Stata's ``xtreg, fe vce(cluster)`` and ``reghdfe``
convention; counting them inflates the variance by about ``T/(T-1)``, a factor 2 on two periods).
Intervals and tests use Student's t with ``G - 1`` degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from mlroi.errors import EstimationError
from mlroi.stats.interval import Interval

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Regression:
    """A fixed-effects regression's coefficients and their clustered covariance.

    Attributes:
        coef: one coefficient per regressor, in order.
        cov: their clustered (CR1) covariance.
        clusters: number of clusters G (units); ``df = G - 1``.
        nobs: cells used.
        k: parameters counted in the small-sample factor.
        residual_ss: residual sum of squares (weighted).
    """

    coef: Array
    cov: Array
    clusters: int
    nobs: int
    k: int
    residual_ss: float

    @property
    def df(self) -> int:
        """Degrees of freedom of t and F statistics: clusters - 1."""
        return self.clusters - 1

    def interval(self, j: int, level: float) -> Interval:
        """Coefficient ``j`` with its t interval on ``G - 1`` degrees of freedom."""
        se = math.sqrt(max(float(self.cov[j, j]), 0.0))
        q = float(stats.t.ppf((1 + level) / 2, self.df))
        b = float(self.coef[j])
        return Interval(b, b - q * se, b + q * se, se)


def _group_mean(x: Array, idx: Index, w: Array, size: int) -> Array:
    """Weighted mean of each column of ``x`` within the groups ``idx`` (0..size-1)."""
    total = np.bincount(idx, weights=w, minlength=size)
    total = np.where(total > 0, total, 1.0)
    out = np.empty((size, x.shape[1]))
    for j in range(x.shape[1]):
        out[:, j] = np.bincount(idx, weights=w * x[:, j], minlength=size) / total
    return out


def sweep(
    x: Array,
    unit: Index,
    period: Index,
    w: Array,
    *,
    unit_effects: bool = True,
    tol: float = 1e-13,
    max_sweeps: int = 10_000,
) -> Array:
    """The columns of ``x`` less their unit and period effects (weighted least squares).

    Alternating projections (von Neumann; Guimaraes and Portugal 2010): subtract the unit means,
    then the period means, until nothing changes. One sweep is exact on a balanced panel with
    equal weights; a panel with gaps takes more.

    Raises:
        EstimationError: the projections did not converge (a panel that falls apart into
            pieces sharing no period converges slowly; the message says so).
    """
    n_units = int(unit.max()) + 1
    n_periods = int(period.max()) + 1
    out = x.astype(np.float64, copy=True)
    scale = max(float(np.abs(out).max()), 1.0)
    for _ in range(max_sweeps):
        before = out.copy()
        if unit_effects:
            out -= _group_mean(out, unit, w, n_units)[unit]
        out -= _group_mean(out, period, w, n_periods)[period]
        if not unit_effects or float(np.abs(out - before).max()) <= tol * scale:
            return out
    raise EstimationError(
        "the two-way fixed effects did not converge: the panel has too many gaps (units and"
        " periods that share no cell); drop units observed in few periods"
    )


def fixed_effects(
    y: Array,
    x: Array,
    unit: Index,
    period: Index,
    *,
    weights: Array | None = None,
    unit_effects: bool = True,
    count_nested: bool = False,
) -> Regression:
    """Regression of ``y`` on ``x`` with unit and period fixed effects, clustered by unit.

    Args:
        y: outcome per cell.
        x: regressors per cell, shape (cells, p).
        unit: unit index per cell (0..G-1, every index present).
        period: period index per cell (0..T-1, every index present).
        weights: cell weights (weighted least squares), default equal.
        unit_effects: include unit effects (False: period effects only, the naive
            within-period comparison).
        count_nested: count the unit effects in the small-sample factor's ``K`` (see the
            module docstring).

    Raises:
        EstimationError: a regressor is collinear with the fixed effects (e.g. no variation
            left once unit and period means are removed), or fewer than two clusters.
    """
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    both = sweep(np.column_stack([y, x]), unit, period, w, unit_effects=unit_effects)
    yt, xt = both[:, 0], both[:, 1:]
    sw = np.sqrt(w)
    xw, yw = xt * sw[:, None], yt * sw
    xtx = xw.T @ xw
    scale = np.abs(np.diag(xtx)).max() if xtx.size else 0.0
    if xtx.size == 0 or np.linalg.matrix_rank(xtx, tol=1e-10 * max(scale, 1e-300)) < xtx.shape[0]:
        raise EstimationError(
            "the treatment does not vary once unit and period effects are removed: every unit"
            " is treated in the same periods, or none is"
        )
    bread = np.linalg.inv(xtx)
    coef = bread @ (xw.T @ yw)
    resid = yt - xt @ coef
    n_units = int(unit.max()) + 1
    n_periods = int(period.max()) + 1
    if n_units < 2:
        raise EstimationError("clustered standard errors need at least two units")
    scores = np.zeros((n_units, xt.shape[1]))
    for j in range(xt.shape[1]):
        scores[:, j] = np.bincount(unit, weights=w * xt[:, j] * resid, minlength=n_units)
    meat = scores.T @ scores
    n = len(y)
    p = xt.shape[1]
    k = p + n_periods + (n_units - 1 if unit_effects and count_nested else 0)
    if n <= k:
        raise EstimationError(f"{n} cells leave no residual degrees of freedom for {k} parameters")
    factor = n_units / (n_units - 1) * (n - 1) / (n - k)
    cov = factor * bread @ meat @ bread
    return Regression(coef, cov, n_units, n, k, float(np.sum(w * resid**2)))


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are zero.

    Attributes:
        statistic: the F statistic (Wald / q) or the chi-square statistic.
        df: numerator degrees of freedom q (the rank of the covariance tested).
        df_denominator: the F test's denominator degrees of freedom (clusters - 1); ``None``
            for a chi-square test.
        p_value: of the statistic.
        test: "F" or "chi-square".
    """

    statistic: float
    df: int
    df_denominator: int | None
    p_value: float
    test: str


def wald_zero(coef: Array, cov: Array, *, df_denominator: int | None) -> WaldTest:
    """The Wald test that every entry of ``coef`` is zero, given its covariance.

    With ``df_denominator`` (clustered regression): ``F = W / q`` against ``F(q, G - 1)``;
    without: ``W`` against chi-square with ``q`` degrees of freedom. ``q`` is the rank of
    ``cov`` (a pseudo-inverse where it is singular).
    """
    coef = np.asarray(coef, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    scale = float(np.abs(np.diag(cov)).max()) if cov.size else 0.0
    q = int(np.linalg.matrix_rank(cov, tol=1e-10 * scale)) if scale > 0 else 0
    if q == 0:
        raise EstimationError("the coefficients tested have no sampling variance")
    w = float(coef @ np.linalg.pinv(cov, rcond=1e-10) @ coef)
    if df_denominator is None:
        return WaldTest(w, q, None, float(stats.chi2.sf(w, q)), "chi-square")
    f = w / q
    return WaldTest(f, q, df_denominator, float(stats.f.sf(f, q, df_denominator)), "F")


@dataclass(frozen=True)
class TwoByTwo:
    """The canonical difference in differences of four means."""

    effect: float
    treated_before: float
    treated_after: float
    control_before: float
    control_after: float


def two_by_two(y: Array, treated: npt.NDArray[np.bool_], after: npt.NDArray[np.bool_]) -> TwoByTwo:
    """``(treated after - treated before) - (control after - control before)`` of cell means.

    On a balanced panel with one adoption date this equals the two-way fixed effects
    coefficient on the treatment flag (the closed form the tests check it against).
    """

    def m(mask: npt.NDArray[np.bool_]) -> float:
        return float(np.mean(y[mask])) if mask.any() else math.nan

    tb, ta = m(treated & ~after), m(treated & after)
    cb, ca = m(~treated & ~after), m(~treated & after)
    return TwoByTwo((ta - tb) - (ca - cb), tb, ta, cb, ca)


def relative_dummies(rel: npt.NDArray[np.float64], keep: list[int]) -> npt.NDArray[np.float64]:
    """One 0/1 column per relative period in ``keep``: 1 where ``rel`` equals it (NaN rel,
    a never-treated unit, is 0 everywhere)."""
    out = np.zeros((len(rel), len(keep)))
    for j, k in enumerate(keep):
        out[:, j] = rel == k
    return out


def as_index(values: Any) -> tuple[Index, Any]:
    """Codes 0..m-1 of ``values`` in sorted order, and the sorted distinct values."""
    labels, codes = np.unique(np.asarray(values), return_inverse=True)
    return codes.astype(np.int64), labels


@dataclass(frozen=True)
class Lead:
    """One event-study coefficient: the effect ``relative`` periods from adoption against the
    reference period, with its interval, and the treated units observed then."""

    relative: int
    effect: Interval
    units: int


@dataclass(frozen=True)
class EventStudy:
    """The dynamic two-way fixed effects regression and its pre-trend test.

    Attributes:
        coefficients: one per relative period, in order (the reference period is 0 by
            construction and not listed).
        reference: the reference relative period (-1).
        dropped: relative periods binned with the reference for identification (the earliest,
            when no unit is never treated).
        pre_trend: F test that every coefficient before the reference is zero (``None`` when
            there is none: fewer than two periods before adoption).
    """

    coefficients: tuple[Lead, ...]
    reference: int
    dropped: tuple[int, ...]
    pre_trend: WaldTest | None


def event_study(
    y: Array,
    unit: Index,
    period: Index,
    first: npt.NDArray[np.int64],
    *,
    weights: Array | None = None,
    level: float = 0.95,
    never: int,
) -> EventStudy:
    """Coefficients of relative-period dummies (reference ``-1``) with unit and period effects.

    ``rel = t - g`` for a unit first treated in ``g``; never-treated units (``first ==
    never``) have no dummy. Without never-treated units the earliest relative period is also
    left out (the dummies would otherwise span the period effects). The pre-trend test is the
    clustered Wald F test that every coefficient with ``rel <= -2`` is zero, against
    ``F(q, G - 1)``.
    """
    g = first[unit]
    treated = g != never
    rel = np.where(treated, period - g, np.nan).astype(np.float64)
    present = sorted({int(r) for r in rel[treated]})
    dropped: list[int] = []
    if not (first == never).any() and present and present[0] < -1:
        dropped.append(present[0])
    keep = [k for k in present if k != -1 and k not in dropped]
    reg = fixed_effects(y, relative_dummies(rel, keep), unit, period, weights=weights)
    counts = {k: len(set(unit[rel == k].tolist())) for k in keep}
    coefs = tuple(Lead(k, reg.interval(j, level), counts[k]) for j, k in enumerate(keep))
    pre = [j for j, k in enumerate(keep) if k < -1]
    test = None
    if pre:
        test = wald_zero(reg.coef[pre], reg.cov[np.ix_(pre, pre)], df_denominator=reg.df)
    return EventStudy(coefs, -1, tuple(dropped), test)


def event_study_balanced(
    y: Array, treated: npt.NDArray[np.bool_], adoption: int, *, level: float = 0.95
) -> EventStudy:
    """The event study of a balanced panel with one adoption date, in closed form.

    With one adoption period and never-treated units, the relative-period dummies saturate
    treated x period, so (Frisch-Waugh-Lovell): each coefficient is the 2x2 difference of
    period ``g + k`` against ``g - 1``; the residuals are ``y_it - ybar_i - ybar_{G(i),t} +
    ybar_{G(i)}`` (``G``: treated or not); a unit's score for coefficient ``k`` is its residual
    in period ``g + k`` times ``1{treated} - n_T / N`` (the swept dummy there; elsewhere the
    swept dummy is constant over the unit's periods and its residuals sum to zero); and the
    swept cross-product is
    ``c (I - 11'/T)`` with ``c = n_T n_C / N``, whose inverse is ``(I + 11') / c``. Same
    numbers as :func:`event_study` (the tests check it) in memory linear in the panel, where
    the general regression holds one swept column per relative period.

    Args:
        y: outcome, units x periods, no missing cell.
        treated: which units adopt (in period ``adoption``); the others never do.
        adoption: the adoption period index (at least 1).
    """
    n_units, n_periods = y.shape
    n_t = int(treated.sum())
    n_c = n_units - n_t
    keep = [t for t in range(n_periods) if t != adoption - 1]
    mean_t = y[treated].mean(axis=0)
    mean_c = y[~treated].mean(axis=0)
    gap = mean_t - mean_c
    coef = gap[keep] - gap[adoption - 1]
    group_period = np.where(treated[:, None], mean_t[None, :], mean_c[None, :])
    group_mean = np.where(treated, mean_t.mean(), mean_c.mean())
    resid = y - y.mean(axis=1, keepdims=True) - group_period + group_mean[:, None]
    scores = (treated.astype(np.float64) - n_t / n_units)[:, None] * resid[:, keep]
    c = n_t * n_c / n_units
    k = len(keep)
    bread = (np.eye(k) + np.ones((k, k))) / c
    n = y.size
    params = k + n_periods
    factor = n_units / (n_units - 1) * (n - 1) / (n - params)
    cov = factor * bread @ (scores.T @ scores) @ bread
    reg = Regression(coef, cov, n_units, n, params, float((resid**2).sum()))
    coefs = tuple(Lead(t - adoption, reg.interval(j, level), n_t) for j, t in enumerate(keep))
    pre = [j for j, t in enumerate(keep) if t - adoption < -1]
    test = None
    if pre:
        test = wald_zero(reg.coef[pre], reg.cov[np.ix_(pre, pre)], df_denominator=reg.df)
    return EventStudy(coefs, -1, (), test)
