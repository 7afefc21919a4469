"""The variance of a 0/1 value: ``p (1 - p)`` for a proportion ``p``, computed in one place.

A column of zeros and ones is determined by its mean, so its spread follows from it: the readout's
Wald variance, the power calculation's baseline variance and the aggregation of a 0/1 column (which
asks the backend for no sum of squares) all take it from here. The two functions fix the order of
the floating-point operations, so every caller gets the same bits.

References:
    Agresti (2013). Categorical Data Analysis, 3rd ed., section 1.3 (the binomial variance).
"""

from __future__ import annotations


def bernoulli_variance(p: float) -> float:
    """Per-unit variance ``p (1 - p)`` of a 0/1 value whose mean is ``p`` (denominator ``n``).

    Example:
        >>> bernoulli_variance(0.1)
        0.09000000000000001
    """
    return p * (1.0 - p)


def bernoulli_comoment(n: int, p: float) -> float:
    """Sum of squared deviations ``n p (1 - p)`` of ``n`` 0/1 values whose mean is ``p``.

    Computed as ``(n * p) * (1 - p)`` (``n * p`` is the column's sum), the co-moment
    :class:`~mlroi.stats.aggregates.Aggregates` holds for the pair ``(c, c)``.

    Example:
        >>> bernoulli_comoment(4, 0.25)
        0.75
    """
    return n * p * (1.0 - p)
