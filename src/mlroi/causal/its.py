"""Interrupted time series: the treated series' counterfactual from a regression fitted before
the launch, and the effect after it with honest intervals.

The counterfactual of period ``t`` after the launch is ``x_t' b``, with ``b`` the OLS fit of the
treated series on its design (intercept, control series, optional trend and seasonal dummies)
over the pre-period. Its prediction interval holds the parameter and the residual uncertainty,
``se_t^2 = x_t' V x_t + s^2`` with ``V = s^2 (X'X)^-1``, and uses Student's t with ``n - k``
degrees of freedom: the interval statsmodels' ``get_prediction(...).summary_frame(obs=True)``
gives (``obs_ci_lower``, ``obs_ci_upper``).

The cumulative effect over the first ``m`` post periods, ``C_m = sum (y_t - x_t' b)``, adds
errors that may be autocorrelated, so its variance is computed under AR(1) errors with the
residuals' lag-1 autocorrelation ``r``, corrected for its small-sample bias
(:func:`ar1_bias_corrected`) (a parametric autocorrelation-consistent variance, chosen
over Newey-West's kernel, which measured 92-94% coverage at a nominal 95% with 300
pre-periods): ``a_m' V_r a_m + s^2 f_m(r)`` with ``a_m`` the sum of the first ``m`` post-period
design rows, ``V_r = (X'X)^-1 X' Omega X (X'X)^-1`` and ``Omega_ij = s^2 r^|i-j|`` (the
sandwich covariance of ``b`` under those errors), and ``f_m(r) = m + 2 sum_{h<m} (m - h) r^h``
the variance of a sum of ``m`` future errors over ``s^2``. With ``r = 0`` (independent errors,
``autocorrelated=False``) it is the classical ``a_m' V a_m + m s^2``. The average effect is
``C_m / m`` over the whole post period, with Student's t on ``n - k`` degrees of freedom.

References:
    Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (2008). Time Series Analysis, 4th ed.,
    section 3.2 (the autocovariances of an AR(1) process).
    Bernal, J. L., Cummins, S. and Gasparrini, A. (2017). Interrupted time series regression
    for the evaluation of public health interventions. Int. J. Epidemiol. 46(1), 348-355.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from mlroi.errors import EstimationError
from mlroi.stats.interval import Interval

Array = npt.NDArray[np.float64]

MIN_RESIDUAL_DF = 10
"""Fewest pre-period degrees of freedom (periods minus parameters) an ITS fit accepts: fewer
gives a residual variance, and so every interval, too uncertain to read."""


@dataclass(frozen=True)
class ItsFit:
    """The pre-period regression and the counterfactual it gives after the launch.

    Attributes:
        names: one per design column.
        coefficients: OLS coefficients, as ``names``.
        std_errors: their classical standard errors.
        residual_sd: ``s``, the residual standard deviation (``n - k`` degrees of freedom).
        df_resid: ``n - k``.
        r_squared: share of the pre-period variance the fit explains (centred).
        lag1_autocorrelation: of the pre-period residuals.
        error_autocorrelation: the AR(1) coefficient the cumulative variance uses (0 with
            independent errors).
        fitted: the fit over the pre-period.
        counterfactual: per post period, the prediction with its prediction interval.
        effect: per post period, actual minus counterfactual with the interval.
        cumulative: per post period, the effect summed up to it, with its interval (AR(1) errors).
        average: the mean effect per post period over the whole post period.
    """

    names: tuple[str, ...]
    coefficients: Array
    std_errors: Array
    residual_sd: float
    df_resid: int
    r_squared: float
    lag1_autocorrelation: float
    error_autocorrelation: float
    fitted: Array
    counterfactual: tuple[Interval, ...]
    effect: tuple[Interval, ...]
    cumulative: tuple[Interval, ...]
    average: Interval


def fit_its(
    y: Array,
    X: Array,
    n_pre: int,
    *,
    level: float,
    names: Sequence[str] | None = None,
    autocorrelated: bool = True,
) -> ItsFit:
    """Fit the pre-period and read the effect after it (see the module docstring).

    Args:
        y: the treated series, pre-period first (``T`` values).
        X: its design, ``T`` rows (an intercept column included by the caller).
        n_pre: the pre-period's length: rows ``0 .. n_pre - 1``.
        level: of every interval.
        names: of the design columns.
        autocorrelated: allow AR(1) errors in the cumulative effect's variance.

    Raises:
        EstimationError: too few pre periods for the design, or collinear design columns.
    """
    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    k = X.shape[1]
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(k))
    df = n_pre - k
    if df < MIN_RESIDUAL_DF:
        raise EstimationError(
            f"{n_pre} pre-period values for {k} parameters: an interrupted time series needs"
            f" at least {k + MIN_RESIDUAL_DF}; give more history or fewer controls"
        )
    Xp, yp = X[:n_pre], y[:n_pre]
    q, r = np.linalg.qr(Xp)
    diag = np.abs(np.diag(r))
    if diag.min() <= 1e-10 * max(diag.max(), 1.0):
        bad = names[int(np.argmin(diag))]
        raise EstimationError(
            f"the design column {bad!r} is constant or a combination of others over the"
            " pre-period: drop it (a control series that never varies, a duplicate control)"
        )
    beta = np.linalg.solve(r, q.T @ yp)
    resid = yp - Xp @ beta
    s2 = float(resid @ resid) / df
    r_inv = np.linalg.inv(r)
    xtx_inv = r_inv @ r_inv.T
    cov = s2 * xtx_inv
    gamma = _autocovariances(resid, 1)
    lag1 = float(gamma[1] / gamma[0]) if gamma[0] > 0 else 0.0
    rho = float(np.clip(ar1_bias_corrected(lag1, n_pre, k), -0.95, 0.95)) if autocorrelated else 0.0

    t = float(stats.t.ppf((1 + level) / 2, df))
    Xq = X[n_pre:]
    pred = Xq @ beta
    var_pred = np.einsum("ij,jk,ik->i", Xq, cov, Xq) + s2
    se_pred = np.sqrt(var_pred)
    actual = y[n_pre:]
    effect = actual - pred
    a = np.cumsum(Xq, axis=0)
    lag = np.abs(np.arange(n_pre)[:, None] - np.arange(n_pre)[None, :])
    omega = s2 * rho**lag
    cov_ar = xtx_inv @ (Xp.T @ omega @ Xp) @ xtx_inv
    var_param = np.einsum("ij,jk,ik->i", a, cov_ar, a)
    var_future = s2 * _ar1_sum_factor(rho, len(pred))
    var_cum = np.maximum(var_param + var_future, 0.0)
    se_cum = np.sqrt(var_cum)
    cum = np.cumsum(effect)
    centred = yp - yp.mean()
    tss = float(centred @ centred)
    counterfactual = tuple(
        Interval(float(p), float(p - t * s), float(p + t * s), float(s))
        for p, s in zip(pred, se_pred, strict=True)
    )
    effects = tuple(
        Interval(float(e), float(e - t * s), float(e + t * s), float(s))
        for e, s in zip(effect, se_pred, strict=True)
    )
    cumulative = tuple(
        Interval(float(c), float(c - t * s), float(c + t * s), float(s))
        for c, s in zip(cum, se_cum, strict=True)
    )
    if len(pred):
        mm = len(pred)
        average = Interval(
            float(cum[-1] / mm),
            float((cum[-1] - t * se_cum[-1]) / mm),
            float((cum[-1] + t * se_cum[-1]) / mm),
            float(se_cum[-1] / mm),
        )
    else:
        average = Interval(math.nan, math.nan, math.nan)
    return ItsFit(
        names=names,
        coefficients=beta,
        std_errors=np.sqrt(np.diag(cov)),
        residual_sd=math.sqrt(s2),
        df_resid=df,
        r_squared=1.0 - float(resid @ resid) / tss if tss > 0 else math.nan,
        lag1_autocorrelation=lag1,
        error_autocorrelation=rho,
        fitted=Xp @ beta,
        counterfactual=counterfactual,
        effect=effects,
        cumulative=cumulative,
        average=average,
    )


def ar1_bias_corrected(r: float, n: int, k: int) -> float:
    """The residuals' lag-1 autocorrelation ``r`` corrected for its downward bias: Kendall's
    ``(1 + 3 r) / n`` for a series around its mean, plus ``(k - 1) / n`` for the other
    regression terms the residuals are taken around (an approximation; with it, the average
    effect's 95% interval measured 93-95% coverage at 100 pre-periods and 94-95% at 300, AR(1)
    errors with coefficients 0 to 0.6)."""
    return r + (1.0 + 3.0 * r + (k - 1)) / n


def _ar1_sum_factor(rho: float, m: int) -> Array:
    """``Var(e_1 + ... + e_j) / Var(e_t)`` for ``j = 1 .. m`` under AR(1) errors with
    autocorrelation ``rho``: ``j + 2 sum_{h=1}^{j-1} (j - h) rho^h``."""
    j = np.arange(1, m + 1, dtype=np.float64)
    if rho == 0.0:
        return j
    h = np.arange(1, m, dtype=np.float64)
    powers = rho**h
    # sum_{h<j} (j - h) rho^h = j S_{j-1} - T_{j-1}, with S and T running sums.
    S = np.concatenate([[0.0], np.cumsum(powers)])
    T_ = np.concatenate([[0.0], np.cumsum(h * powers)])
    out: Array = j + 2.0 * (j * S - T_)
    return out


def _autocovariances(e: Array, lags: int) -> Array:
    """``g_h = (1/n) sum_t e_t e_{t-h}`` for ``h = 0 .. max(lags, 1)``."""
    n = len(e)
    top = max(lags, 1)
    return np.array([float(e[h:] @ e[: n - h]) / n if h < n else 0.0 for h in range(top + 1)])


def its_design(
    n_periods: int,
    *,
    controls: Array | None = None,
    control_names: Sequence[str] = (),
    trend: bool = True,
    seasons: npt.NDArray[np.int64] | None = None,
    season_names: Sequence[str] = (),
) -> tuple[Array, tuple[str, ...]]:
    """The ITS design matrix: intercept, control series, trend, seasonal dummies.

    Args:
        n_periods: rows.
        controls: ``(n_periods, J)`` control series.
        control_names: their names.
        trend: add ``0, 1, 2, ...`` (periods since the first).
        seasons: each period's season index (``0 .. S-1``, e.g. the weekday); the dummies of
            seasons ``1 .. S-1`` are added (season 0 is the baseline).
        season_names: names of the ``S`` seasons.

    Returns:
        The matrix and the names of its columns.
    """
    cols: list[Array] = [np.ones(n_periods)]
    names: list[str] = ["intercept"]
    if controls is not None and controls.shape[1]:
        cols.extend(controls.T)
        names.extend(control_names)
    if trend:
        cols.append(np.arange(n_periods, dtype=np.float64))
        names.append("trend")
    if seasons is not None:
        present = sorted(set(int(s) for s in seasons))
        for s in present[1:]:
            cols.append((seasons == s).astype(np.float64))
            names.append(season_names[s] if s < len(season_names) else f"season {s}")
    return np.column_stack(cols), tuple(names)


def t_p_value(estimate: float, std_error: float, df: int) -> float:
    """Two-sided p-value of ``estimate / std_error`` against Student's t with ``df``."""
    if not std_error > 0:
        return math.nan
    return float(2.0 * stats.t.sf(abs(estimate) / std_error, df))
