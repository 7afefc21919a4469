"""CUPED: variance reduction with a pre-period covariate, for means and ratios.

For one comparison, each arm's estimate ``Y_k`` (a mean or a ratio of means) is adjusted by the
same arm's covariate estimate ``X_k``: ``Y_k - theta * (X_k - X_pool)``. ``theta`` minimises the
variance of the adjusted difference,
``theta = (Cov_c(Y, X)/n_c + Cov_t(Y, X)/n_t) / (Var_c(X)/n_c + Var_t(X)/n_t)``,
with per-unit (co)variances of the delta-method linearisations. ``X_pool`` (the covariate's value
over both arms together) only recentres the arm values; it cancels in the difference.

It does not cancel in a ratio of the adjusted values (a relative lift): both arms share
``theta X_pool``, so their covariance is not zero. With ``a_k = Y_k - theta X_k`` and ``X_pool``
linearised over the pooled column means (arm ``k`` weighing ``w_k = n_k / n``),
``Var(adj_k) = Var(a_k) + 2 theta Cov(a_k, X_pool) + theta^2 Var(X_pool)`` and
``Cov(adj_c, adj_t) = theta (Cov(a_c, X_pool) + Cov(a_t, X_pool)) + theta^2 Var(X_pool)``, where
``Cov(a_k, X_pool) = w_k g_a' S_k g_pool / n_k``. These are what Fieller's interval of the relative
lift uses (:class:`~mlroi.stats.fieller.RatioMoments`); the difference's variance is unchanged.

References:
    Deng, Xu, Kohavi, Walker (2013). Improving the Sensitivity of Online Controlled Experiments
    by Utilizing Pre-Experiment Data. WSDM.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlroi.stats.aggregates import Aggregates
from mlroi.stats.delta import Gradient, linear_cov
from mlroi.stats.fieller import RatioMoments
from mlroi.stats.lift import ArmEstimate


@dataclass(frozen=True)
class Linearised:
    """One arm's metric and covariate as values plus delta-method gradients."""

    agg: Aggregates
    value: float
    gradient: Gradient
    covariate_value: float
    covariate_gradient: Gradient

    def plain(self) -> ArmEstimate:
        """The unadjusted estimate."""
        var = linear_cov(self.agg, self.gradient, self.gradient)
        return ArmEstimate(self.value, var / self.agg.n, self.agg.n)


@dataclass(frozen=True)
class CupedPair:
    """Adjusted estimates of both arms of one comparison and what CUPED achieved.

    Attributes:
        control: adjusted control estimate.
        treatment: adjusted treatment estimate.
        theta: the adjustment coefficient.
        variance_reduction: ``1 - Var(adjusted diff) / Var(plain diff)``.
        moments: the adjusted values' variances and covariance with the pooled centring
            (module docstring), for the ratio of the two; ``None`` without the pooled gradient.
    """

    control: ArmEstimate
    treatment: ArmEstimate
    theta: float
    variance_reduction: float
    moments: RatioMoments | None = None


def adjust(
    control: Linearised,
    treatment: Linearised,
    pooled_covariate: float,
    pooled_gradient: Gradient | None = None,
) -> CupedPair:
    """Adjust both arms with the variance-minimising ``theta`` for their difference.

    With ``pooled_gradient`` (the covariate's gradient at the pooled column means), also the
    adjusted values' joint moments for their ratio (module docstring)."""
    parts = []
    for arm in (control, treatment):
        n = arm.agg.n
        var_y = linear_cov(arm.agg, arm.gradient, arm.gradient)
        var_x = linear_cov(arm.agg, arm.covariate_gradient, arm.covariate_gradient)
        cov_xy = linear_cov(arm.agg, arm.gradient, arm.covariate_gradient)
        parts.append((n, var_y, var_x, cov_xy))
    num = sum(cov / n for n, _, _, cov in parts)
    den = sum(var_x / n for n, _, var_x, _ in parts)
    theta = num / den if den > 0 else 0.0

    adjusted = []
    for arm, (n, var_y, var_x, cov_xy) in zip((control, treatment), parts, strict=True):
        value = arm.value - theta * (arm.covariate_value - pooled_covariate)
        var = max(var_y - 2.0 * theta * cov_xy + theta**2 * var_x, 0.0)
        adjusted.append(ArmEstimate(value, var / n, n))
    plain = sum(var_y / n for n, var_y, _, _ in parts)
    after = adjusted[0].variance + adjusted[1].variance
    reduction = 1.0 - after / plain if plain > 0 else 0.0
    moments = None
    if pooled_gradient is not None:
        moments = _ratio_moments(control, treatment, theta, pooled_gradient, adjusted)
    return CupedPair(adjusted[0], adjusted[1], theta, reduction, moments)


def _ratio_moments(
    control: Linearised,
    treatment: Linearised,
    theta: float,
    pooled: Gradient,
    adjusted: list[ArmEstimate],
) -> RatioMoments:
    """Variances and covariance of the two adjusted values, the pooled centring included."""
    total = control.agg.n + treatment.agg.n
    var_pool = 0.0
    with_pool = []
    for arm in (control, treatment):
        n = arm.agg.n
        w = n / total
        a = dict(arm.gradient)
        for column, g in arm.covariate_gradient.items():
            a[column] = a.get(column, 0.0) - theta * g
        with_pool.append(w * linear_cov(arm.agg, a, pooled) / n)
        var_pool += w * w * linear_cov(arm.agg, pooled, pooled) / n
    shared = theta * theta * var_pool
    var_c = adjusted[0].variance + 2.0 * theta * with_pool[0] + shared
    var_t = adjusted[1].variance + 2.0 * theta * with_pool[1] + shared
    cov = theta * (with_pool[0] + with_pool[1]) + shared
    return RatioMoments(numerator=var_t, denominator=var_c, covariance=cov)
