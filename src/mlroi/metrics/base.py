"""What every metric type shares: the aggregates it asks the backend for, and its estimate.

A metric type is one class. It declares what the readout's one backend query must compute for it
(:meth:`~MetricBase.value_columns`, :meth:`~MetricBase.covariate_columns`,
:meth:`~MetricBase.pairs`, the columns whose range a data check reads, the 0/1 columns, the capped
column), checks what came back (:meth:`~MetricBase.check`), and turns one arm's
:class:`~mlroi.stats.aggregates.Aggregates` into that arm's estimate and its variance
(:meth:`~MetricBase.estimate`; CUPED-adjusted over both arms of a comparison in
:meth:`~MetricBase.estimates`). The readout only calls these methods, so a new metric type is a
new class and nothing else (:class:`ReadoutMetric` lists what the readout calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol, Self

from pydantic import ConfigDict, Field

from mlroi.checked import Checked
from mlroi.stats import cuped
from mlroi.stats.aggregates import Aggregates, pair
from mlroi.stats.cuped import Linearised
from mlroi.stats.delta import Gradient, mean_gradient
from mlroi.stats.fieller import RatioMoments
from mlroi.stats.lift import ArmEstimate
from mlroi.stats.power import Baseline

Range = tuple[float, float]
"""Inclusive ``(low, high)`` bounds a column's values must lie in; ``inf`` for an open end."""

Capped = dict[str, tuple[str, float]]
"""Capped column name -> (raw column, quantile it is winsorised at)."""


@dataclass(frozen=True)
class Estimates:
    """Both arms' estimates of one comparison, and what CUPED did to them.

    Attributes:
        control: the control arm's value and the variance of that value.
        treatment: the treatment arm's value and variance.
        theta: the CUPED coefficient; ``None`` without a covariate.
        variance_reduction: the share of the difference's variance CUPED removed; ``None``
            without a covariate.
        moments: the two values' joint moments for their ratio when the arms are not
            independent (CUPED's shared centring); ``None`` for independent arms.
    """

    control: ArmEstimate
    treatment: ArmEstimate
    theta: float | None = None
    variance_reduction: float | None = None
    moments: RatioMoments | None = None


class ReadoutMetric(Protocol):
    """What the readout, the experiment design and the event-log derivation ask of a metric.

    :class:`MetricBase` implements all of it but :attr:`type`, which each metric type declares
    as its pydantic discriminator (``type: Literal["mean"] = "mean"``).
    """

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    def value_columns(self) -> tuple[str, ...]: ...

    def covariate_columns(self) -> tuple[str, ...]: ...

    def pairs(self) -> set[tuple[str, str]]: ...

    def checked_ranges(self) -> dict[str, Range]: ...

    def zero_one_columns(self) -> tuple[str, ...]: ...

    def capped(self) -> tuple[Self, Capped]: ...

    def check(
        self, agg: Aggregates, minimum: Mapping[str, float], maximum: Mapping[str, float]
    ) -> None: ...

    def cannot_estimate(self, agg: Aggregates, arm: str) -> str | None: ...

    def estimates(self, control: Aggregates, treatment: Aggregates) -> Estimates: ...

    def baseline(self, agg: Aggregates) -> Baseline: ...


class MetricBase(Checked):
    """The fields and behaviour every metric type shares; a type overrides what differs.

    A subclass sets :attr:`capped_field`, declares its columns (:meth:`value_columns`,
    :meth:`covariate_columns`) and its value as a function of column means (:meth:`point`);
    the delta method, CUPED and the backend's co-moments follow from those.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    capped_field: ClassVar[str]
    """The field naming the column that ``cap`` winsorises."""

    name: str = Field(description="Name shown in the readout, e.g. revenue_per_user.")
    cap: float | None = Field(
        None,
        gt=0.5,
        lt=1.0,
        description="Winsorise the value column (a ratio's numerator) at this quantile, e.g."
        " 0.999, computed in the backend over all arms.",
    )

    # what the backend computes

    def value_columns(self) -> tuple[str, ...]:
        """Per-unit columns that the metric's value reads (capped when ``cap`` is set)."""
        raise NotImplementedError

    def covariate_columns(self) -> tuple[str, ...]:
        """Pre-period columns used by CUPED (never capped), in the order of the value columns."""
        raise NotImplementedError

    @property
    def has_covariate(self) -> bool:
        """Whether CUPED applies."""
        return bool(self.covariate_columns())

    def pairs(self) -> set[tuple[str, str]]:
        """Column pairs whose covariance the estimate needs (all pairs of its columns)."""
        cols = self.value_columns() + self.covariate_columns()
        return {pair(a, b) for i, a in enumerate(cols) for b in cols[i:]}

    def checked_ranges(self) -> dict[str, Range]:
        """Columns whose values :meth:`check` bounds, with the range they must lie in.

        The backend returns their minimum (finite ``low``) and maximum (finite ``high``) per
        group, unless file statistics already place the column within the range.
        """
        return {}

    def zero_one_columns(self) -> tuple[str, ...]:
        """Columns that hold only 0 and 1 once :meth:`check` passed, when their type is an
        integer or a boolean: their variance follows from their mean, and the backend need not
        compute it."""
        return ()

    def capped(self) -> tuple[Self, Capped]:
        """The metric reading its capped column where ``cap`` is set, and that column.

        The capped column is named for the raw one and the quantile (``revenue__cap099``).
        """
        if self.cap is None:
            return self, {}
        tag = f"{self.cap:g}".replace(".", "")
        raw = getattr(self, self.capped_field)
        new = f"{raw}__cap{tag}"
        return self.model_copy(update={self.capped_field: new}), {new: (raw, self.cap)}

    # what the metric does with the aggregates

    def check(
        self, agg: Aggregates, minimum: Mapping[str, float], maximum: Mapping[str, float]
    ) -> None:
        """Raise a :class:`~mlroi.errors.DataError` when one group's data break the metric.

        Args:
            agg: the group's aggregates.
            minimum: the minimum of each column of :meth:`checked_ranges` with a finite low
                end, absent where file statistics already proved the range.
            maximum: the same for the maximum and a finite high end.
        """

    def cannot_estimate(self, agg: Aggregates, arm: str) -> str | None:
        """Why the metric has no estimate in arm ``arm`` (with at least 2 units), or ``None``."""
        return None

    def point(self, agg: Aggregates, columns: tuple[str, ...]) -> tuple[float, Gradient]:
        """The metric's value over ``columns`` (its value or its covariate columns) and the
        value's gradient with respect to those columns' means (for the delta method)."""
        raise NotImplementedError

    def linearise(self, agg: Aggregates) -> Linearised:
        """Value, covariate value and their delta-method gradients in one arm."""
        value, grad = self.point(agg, self.value_columns())
        cov_cols = self.covariate_columns()
        if cov_cols:
            cov_value, cov_grad = self.point(agg, cov_cols)
        else:
            cov_value, cov_grad = 0.0, {}
        return Linearised(agg, value, grad, cov_value, cov_grad)

    def estimate(self, agg: Aggregates) -> ArmEstimate:
        """One arm's value and its variance, without CUPED: the delta-method variance
        ``g' S g / n`` (the sample variance over ``n`` for a mean)."""
        return self.linearise(agg).plain()

    def estimates(self, control: Aggregates, treatment: Aggregates) -> Estimates:
        """Both arms' estimates of one comparison, CUPED-adjusted where there is a covariate."""
        if not self.has_covariate:
            return Estimates(self.estimate(control), self.estimate(treatment))
        pooled = self.linearise(control + treatment)
        adjusted = cuped.adjust(
            self.linearise(control),
            self.linearise(treatment),
            pooled.covariate_value,
            pooled.covariate_gradient,
        )
        return Estimates(
            adjusted.control,
            adjusted.treatment,
            adjusted.theta,
            adjusted.variance_reduction,
            adjusted.moments,
        )

    def baseline(self, agg: Aggregates) -> Baseline:
        """The metric's value and per-unit variance over one group, for a power calculation."""
        return Baseline.from_aggregates(self, agg)


class ColumnMetric(MetricBase):
    """A metric over one per-unit column, with an optional CUPED covariate."""

    capped_field: ClassVar[str] = "column"

    column: str = Field(description="Per-unit numeric column.")
    covariate: str | None = Field(None, description="Pre-period column for CUPED.")

    def value_columns(self) -> tuple[str, ...]:
        return (self.column,)

    def covariate_columns(self) -> tuple[str, ...]:
        return () if self.covariate is None else (self.covariate,)

    def point(self, agg: Aggregates, columns: tuple[str, ...]) -> tuple[float, Gradient]:
        """The mean of the one column, whose gradient is 1."""
        (column,) = columns
        return agg.mean[column], mean_gradient(column)
