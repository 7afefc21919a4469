"""A ratio of sums, e.g. CTR = clicks / impressions: the delta-method variance.

The unit of randomisation (the user) differs from the unit of analysis (the impression or the
order), so the variance of ``mean(numerator) / mean(denominator)`` comes from the delta method
with the numerator-denominator covariance; CUPED adjusts it with the same ratio over the
pre-period columns.

References:
    Deng, Knoblich, Lu (2018). Applying the Delta Method in Metric Analytics. KDD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from mlroi.errors import DataError
from mlroi.metrics.base import MetricBase, Range
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.delta import Gradient, ratio_gradient


class Ratio(MetricBase):
    """A ratio of sums, e.g. CTR = clicks / impressions or AOV = revenue / orders.

    The unit of randomisation (the user) differs from the unit of analysis (the impression or the
    order), so the variance comes from the delta method with the numerator-denominator covariance.
    """

    capped_field: ClassVar[str] = "numerator"  # the denominator stays a count

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

    def checked_ranges(self) -> dict[str, Range]:
        """The denominator counts something: it must not be negative."""
        return {self.denominator: (0.0, math.inf)}

    def check(
        self, agg: Aggregates, minimum: Mapping[str, float], maximum: Mapping[str, float]
    ) -> None:
        """A denominator without negative values."""
        if minimum.get(self.denominator, 0.0) < 0:
            raise DataError(
                f"ratio metric {self.name!r}: denominator column {self.denominator!r} has negative"
                f" values (min {minimum[self.denominator]:g}); counts must be >= 0"
            )

    def cannot_estimate(self, agg: Aggregates, arm: str) -> str | None:
        """A denominator (or covariate denominator) that sums to 0 has no ratio."""
        if agg.mean[self.denominator] == 0:
            return f"denominator {self.denominator!r} sums to 0 in arm {arm!r}"
        if self.covariate_denominator is not None and agg.mean[self.covariate_denominator] == 0:
            return f"covariate denominator {self.covariate_denominator!r} sums to 0 in arm {arm!r}"
        return None

    def point(self, agg: Aggregates, columns: tuple[str, ...]) -> tuple[float, Gradient]:
        """``mean(numerator) / mean(denominator)`` and its gradient."""
        numerator, denominator = columns
        return agg.mean[numerator] / agg.mean[denominator], ratio_gradient(
            agg, numerator, denominator
        )
