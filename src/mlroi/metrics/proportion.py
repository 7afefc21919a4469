"""The share of units with a 0/1 column set, e.g. conversion: the Wald variance ``p (1 - p) / n``.

Its values must be 0 or 1, which the readout checks on each group's minimum, maximum and spread;
an integer or boolean column within [0, 1] then needs no sum of squares from the backend.
Without a covariate the variance is Wald's, with Welch's degrees of freedom as for a mean (as
GrowthBook's gbstats does); with one, CUPED uses the column's sample variance like a mean's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import model_validator

from mlroi.errors import DataError
from mlroi.metrics.base import ColumnMetric, Range
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.lift import ArmEstimate
from mlroi.stats.power import Baseline
from mlroi.stats.proportion import bernoulli_comoment, bernoulli_variance

_SPREAD_RTOL = 1e-6
"""Relative gap between a column's sum of squared deviations and ``n p (1 - p)`` that shows
values other than 0 and 1 (far above the rounding of the sums, far below any real such value)."""


class Proportion(ColumnMetric):
    """The share of units with a 0/1 (or boolean) column set, e.g. conversion; Wald variance."""

    type: Literal["proportion"] = "proportion"

    @model_validator(mode="after")
    def _no_cap(self) -> Proportion:
        if self.cap is not None:
            raise ValueError("`cap` does not apply to a proportion (0/1 values): remove it")
        return self

    def checked_ranges(self) -> dict[str, Range]:
        """The column's values must lie in [0, 1]."""
        return {self.column: (0.0, 1.0)}

    def zero_one_columns(self) -> tuple[str, ...]:
        """The column, once its range is checked."""
        return (self.column,)

    def check(
        self, agg: Aggregates, minimum: Mapping[str, float], maximum: Mapping[str, float]
    ) -> None:
        """Values within [0, 1], and a spread ``n p (1 - p)`` (only 0s and 1s have it)."""
        c = self.column
        # a column absent from the bounds passed its check on the file statistics
        if c in maximum and (minimum[c] < 0 or maximum[c] > 1):
            raise DataError(
                f"proportion metric {self.name!r}: column {c!r} must be 0/1, found values"
                f" in [{minimum[c]:g}, {maximum[c]:g}]; use a mean or a 0/1 flag"
            )
        if agg.n > 1:
            spread = agg.comoment[(c, c)]
            expected = bernoulli_comoment(agg.n, agg.mean[c])
            if abs(spread - expected) > _SPREAD_RTOL * max(expected, 1.0):
                raise DataError(
                    f"proportion metric {self.name!r}: column {c!r} has values other than"
                    " 0 and 1; use a mean, or a 0/1 flag"
                )

    def estimate(self, agg: Aggregates) -> ArmEstimate:
        """The share ``p`` and its Wald variance ``p (1 - p) / n``."""
        p = agg.mean[self.column]
        return ArmEstimate(p, bernoulli_variance(p) / agg.n, agg.n)

    def baseline(self, agg: Aggregates) -> Baseline:
        """The Bernoulli baseline ``p (1 - p)`` without a covariate, as :meth:`estimate` has it."""
        if self.has_covariate:
            return super().baseline(agg)
        return Baseline.proportion(agg.mean[self.column])
