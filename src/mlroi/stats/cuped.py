"""CUPED: variance reduction with a pre-period covariate, for means and ratios.

For one comparison, each arm's estimate ``Y_k`` (a mean or a ratio of means) is adjusted by the
same arm's covariate estimate ``X_k``: ``Y_k - theta * (X_k - X_pool)``. ``theta`` minimises the
variance of the adjusted difference,
``theta = (Cov_c(Y, X)/n_c + Cov_t(Y, X)/n_t) / (Var_c(X)/n_c + Var_t(X)/n_t)``,
with per-unit (co)variances of the delta-method linearisations. ``X_pool`` (the covariate's value
over both arms together) only recentres the arm values; it cancels in the difference.

References:
    Deng, Xu, Kohavi, Walker (2013). Improving the Sensitivity of Online Controlled Experiments
    by Utilizing Pre-Experiment Data. WSDM.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlroi.stats.aggregates import Aggregates
from mlroi.stats.delta import Gradient, linear_cov
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
    """

    control: ArmEstimate
    treatment: ArmEstimate
    theta: float
    variance_reduction: float


def adjust(control: Linearised, treatment: Linearised, pooled_covariate: float) -> CupedPair:
    """Adjust both arms with the variance-minimising ``theta`` for their difference."""
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
    return CupedPair(adjusted[0], adjusted[1], theta, reduction)
