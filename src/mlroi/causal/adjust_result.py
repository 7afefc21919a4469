"""The result of the adjustment design: the shared causal fields plus its diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlroi.causal.result import CausalResult
from mlroi.causal.sensitivity import Sensitivity
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class Balance:
    """One covariate's balance: means per arm and standardized mean differences (treated minus
    comparison, over the pooled SD of the arms before weighting) before and after weighting."""

    covariate: str
    mean_treated: float
    mean_comparison: float
    smd_before: float
    smd_after: float


@dataclass(frozen=True, repr=False, kw_only=True)
class AdjustmentResult(CausalResult):
    """User-level adjustment for confounding (regression, IPW, AIPW).

    Attributes:
        estimand: "att" (effect on the exposed) or "ate" (on every user).
        covariates: the covariates adjusted for.
        other_estimand: the estimates of the other estimand, by estimator.
        trim: the propensity bounds outside which units were left out.
        trimmed: units trimmed, by arm ("treated", "comparison").
        bin_edges: edges of the propensity histogram (21 edges on [0, 1]).
        propensity_histogram: units per propensity bin, by arm (before trimming).
        balance: per covariate, before and after weighting for ``estimand``.
        propensity_coef: the logistic propensity model's coefficients ("intercept" first).
        iterations: passes of the propensity fit (Newton steps and step halvings).
        passes: passes over the rows the estimate took: the check query, then aggregate queries
            or passes over the rows in memory (the notes say which).
        sensitivity: E-values and robustness values (``None`` when the estimate is withheld).
    """

    estimand: str
    covariates: tuple[str, ...]
    other_estimand: dict[str, Interval] = field(default_factory=dict)
    trim: tuple[float, float]
    trimmed: dict[str, int] = field(default_factory=dict)
    bin_edges: tuple[float, ...] = ()
    propensity_histogram: dict[str, tuple[int, ...]] = field(default_factory=dict)
    balance: tuple[Balance, ...] = ()
    propensity_coef: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    passes: int = 0
    sensitivity: Sensitivity | None = None
