"""One interval type for every figure with uncertainty: a lift's CI, a Monte Carlo or a bootstrap
interval of an ROI figure or a decision's value.

An :class:`Interval` is a point estimate with the two ends of an interval around it (and the
standard error behind it, where there is one). It does not carry its level: a result states its
level once (``ExperimentResult.level``, ``RoiResult.level``, ``DecisionResult.level``), and every
interval in it is at that level.

Quantile convention of intervals read off draws (:meth:`Interval.of`): the central ``level``
interval is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the defined (non-NaN)
draws by the inverted empirical CDF (``numpy.quantile(..., method="inverted_cdf")``, Hyndman and
Fan's definition 1): no interpolation, so each end is one of the draws and may be infinite (a
payback that never comes, a threshold that acts on nobody).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class Interval:
    """A point estimate with the ends of its interval and, where known, its standard error.

    Attributes:
        estimate: the point estimate (the figure at the point inputs, or the measured lift).
        lower: lower end (``-inf`` for a one-sided interval open below; NaN when undefined).
        upper: upper end (``+inf`` for a one-sided interval open above; NaN when undefined).
        std_error: standard error of ``estimate`` (NaN when none is defined).
    """

    estimate: float
    lower: float
    upper: float
    std_error: float = math.nan

    @classmethod
    def of(cls, draws: npt.NDArray[np.float64], estimate: float, level: float) -> Interval:
        """The central ``level`` interval of ``draws`` around ``estimate`` (module docstring's
        quantile convention); NaN draws are dropped, and the standard error is the draws'
        standard deviation (``ddof = 1``) when every defined draw is finite.

        Args:
            draws: Monte Carlo draws or bootstrap resamples of the figure.
            estimate: the figure at the point inputs.
            level: share of the draws the interval covers, e.g. 0.9.

        Returns:
            The interval; its ends are NaN when no draw is defined.
        """
        import numpy as np  # here, not at the top: a lift's interval must not load numpy

        ok = draws[~np.isnan(draws)]
        if ok.size == 0:
            return cls(estimate, math.nan, math.nan, math.nan)
        lo, hi = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
        finite = bool(np.isfinite(ok).all())
        sd = float(np.std(ok, ddof=1)) if ok.size > 1 and finite else math.nan
        return cls(estimate, float(lo), float(hi), sd)

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies within the interval (ends included)."""
        return self.lower <= x <= self.upper

    def as_dict(self, *names: str) -> dict[str, Any]:
        """The interval under the given field names, for results whose JSON predates this type:
        ``as_dict("point", "lower", "upper")`` writes ``{"point": estimate, "lower": ...,
        "upper": ...}``; the names map in order to estimate, lower, upper, std_error."""
        values = (self.estimate, self.lower, self.upper, self.std_error)
        return dict(zip(names, values, strict=False))
