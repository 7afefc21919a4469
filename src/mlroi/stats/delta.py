"""Delta-method variances of smooth functions of column means.

A metric estimate that is a smooth function ``f`` of the column means of one arm (a mean, a ratio of
sums) is linearised around the arm's means: its variance is ``g' S g / n`` with ``g`` the gradient
of ``f`` and ``S`` the sample covariance matrix of the columns.

References:
    Deng, Knoblich, Lu (2018). Applying the Delta Method in Metric Analytics. KDD.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlroi.stats.aggregates import Aggregates

Gradient = Mapping[str, float]


def linear_cov(agg: Aggregates, g: Gradient, h: Gradient) -> float:
    """Per-unit covariance ``g' S h`` of two linearised estimates over the same units."""
    return sum(ga * hb * agg.cov(a, b) for a, ga in g.items() for b, hb in h.items())


def mean_gradient(column: str) -> Gradient:
    """Gradient of the mean of ``column`` with respect to the column means."""
    return {column: 1.0}


def ratio_gradient(agg: Aggregates, numerator: str, denominator: str) -> Gradient:
    """Gradient of ``mean(numerator) / mean(denominator)`` at the arm's means."""
    d = agg.mean[denominator]
    r = agg.mean[numerator] / d
    return {numerator: 1.0 / d, denominator: -r / d}
