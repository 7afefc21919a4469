"""Metric definitions: which aggregates each metric needs, and how it turns them into estimates.

A metric names the per-unit columns it reads and the column pairs whose covariance it needs; the
aggregation layer computes exactly those, in one backend query, and hands back
:class:`~mlroi.stats.aggregates.Aggregates`. The metric then builds one arm's estimate from them
(a linearised value for the delta method and CUPED).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlroi.stats.aggregates import Aggregates, pair
from mlroi.stats.cuped import Linearised
from mlroi.stats.delta import Gradient, mean_gradient, ratio_gradient


class _MetricBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Name shown in the readout, e.g. revenue_per_user.")
    cap: float | None = Field(
        None,
        gt=0.5,
        lt=1.0,
        description="Winsorise the value column (a ratio's numerator) at this quantile, e.g."
        " 0.999, computed in the backend over all arms.",
    )

    def value_columns(self) -> tuple[str, ...]:
        """Per-unit columns that the metric's value reads (capped when ``cap`` is set)."""
        raise NotImplementedError

    def covariate_columns(self) -> tuple[str, ...]:
        """Pre-period columns used by CUPED (never capped)."""
        raise NotImplementedError

    @property
    def has_covariate(self) -> bool:
        """Whether CUPED applies."""
        return bool(self.covariate_columns())

    def pairs(self) -> set[tuple[str, str]]:
        """Column pairs whose covariance the estimate needs (all pairs of its columns)."""
        cols = self.value_columns() + self.covariate_columns()
        return {pair(a, b) for i, a in enumerate(cols) for b in cols[i:]}

    def linearise(self, agg: Aggregates) -> Linearised:
        """Value, covariate value and their delta-method gradients in one arm."""
        value, grad = self._point(agg, self.value_columns())
        cov_cols = self.covariate_columns()
        if cov_cols:
            cov_value, cov_grad = self._point(agg, cov_cols)
        else:
            cov_value, cov_grad = 0.0, {}
        return Linearised(agg, value, grad, cov_value, cov_grad)

    def _point(self, agg: Aggregates, cols: tuple[str, ...]) -> tuple[float, Gradient]:
        if len(cols) == 1:
            return agg.mean[cols[0]], mean_gradient(cols[0])
        return agg.mean[cols[0]] / agg.mean[cols[1]], ratio_gradient(agg, cols[0], cols[1])


class _ColumnMetric(_MetricBase):
    """A metric over one per-unit column, with an optional CUPED covariate."""

    column: str = Field(description="Per-unit numeric column.")
    covariate: str | None = Field(None, description="Pre-period column for CUPED.")

    def value_columns(self) -> tuple[str, ...]:
        return (self.column,)

    def covariate_columns(self) -> tuple[str, ...]:
        return () if self.covariate is None else (self.covariate,)


class Mean(_ColumnMetric):
    """The mean of a per-unit column, e.g. revenue per user; Welch's t-test."""

    type: Literal["mean"] = "mean"


class Proportion(_ColumnMetric):
    """The share of units with a 0/1 (or boolean) column set, e.g. conversion; Wald variance."""

    type: Literal["proportion"] = "proportion"

    @model_validator(mode="after")
    def _no_cap(self) -> Proportion:
        if self.cap is not None:
            raise ValueError("`cap` does not apply to a proportion (0/1 values): remove it")
        return self


class Ratio(_MetricBase):
    """A ratio of sums, e.g. CTR = clicks / impressions or AOV = revenue / orders.

    The unit of randomisation (the user) differs from the unit of analysis (the impression or the
    order), so the variance comes from the delta method with the numerator-denominator covariance.
    """

    type: Literal["ratio"] = "ratio"
    numerator: str = Field(description="Per-unit column summed in the numerator.")
    denominator: str = Field(description="Per-unit column summed in the denominator.")
    covariate_numerator: str | None = Field(None, description="Pre-period numerator for CUPED.")
    covariate_denominator: str | None = Field(None, description="Pre-period denominator for CUPED.")

    @model_validator(mode="after")
    def _both_covariates(self) -> Ratio:
        if (self.covariate_numerator is None) != (self.covariate_denominator is None):
            raise ValueError(
                "CUPED for a ratio needs both covariate_numerator and covariate_denominator"
            )
        return self

    def value_columns(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)

    def covariate_columns(self) -> tuple[str, ...]:
        if self.covariate_numerator is None or self.covariate_denominator is None:
            return ()
        return (self.covariate_numerator, self.covariate_denominator)


Metric = Annotated[Mean | Proportion | Ratio, Field(discriminator="type")]
