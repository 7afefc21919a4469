"""Shapley-value attribution: each channel's average marginal contribution over coalitions.

The value of a coalition ``S`` of channels is the revenue (or conversions) of the converting
journeys whose channels all lie in ``S``: ``v(S) = sum over T subset of S of f(T)``, where
``f(T)`` is the revenue of the journeys whose set of channels is exactly ``T`` (Zhao et al.
2018; the coalition value of marketing-attribution-models). The Shapley value is

    phi_i = sum over S not holding i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)).

Up to :data:`MAX_EXACT` channels it is computed by this definition over all ``2^n``
coalitions (``v`` by a subset-sum transform in ``O(n 2^n)``). Above, enumeration is out of reach
(2^16 coalitions per channel per resample), and mlroi uses the identity that a game ``v = sum
f(T) u_T`` of unanimity games has ``phi_i = sum over T holding i of f(T) / |T|`` (Harsanyi
dividends, Shapley 1953): for this coalition value the Shapley value is *exactly* each journey's
revenue shared equally among its distinct channels, for any number of channels. The two agree
to rounding where both run (a test checks it); no sampling, so no sampling error.

Shapley credits are conserved (efficiency: they sum to ``v(all channels)``) and non-negative
(``f >= 0``).

References:
    Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory of Games II.
    Zhao, K., Mahboobi, S. H. & Bagheri, S. R. (2018). Shapley value methods for attribution
    modeling in online advertising. arXiv:1804.05327.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from mlroi.attribution.credits import Credits
from mlroi.attribution.paths import FloatArray, PathTable

MAX_EXACT = 15
"""Most channels whose Shapley values are computed by enumerating every coalition."""

Method = Literal["enumeration", "dividends"]


def coalition_values(table: PathTable, amounts: FloatArray) -> FloatArray:
    """``v(S)`` for every coalition bitmask ``S`` (bit ``i`` = channel ``i``)."""
    n = len(table.channels)
    v = np.bincount(table.masks(), weights=amounts, minlength=1 << n).astype(np.float64)
    for i in range(n):  # subset-sum (zeta) transform, one channel at a time
        bit = 1 << i
        idx = np.arange(1 << n)
        has = (idx & bit) != 0
        v[has] += v[idx[has] ^ bit]
    return v


def enumerate_shapley(table: PathTable, amounts: FloatArray) -> FloatArray:
    """Shapley values by the definition, over every coalition."""
    n = len(table.channels)
    v = coalition_values(table, amounts)
    idx = np.arange(1 << n)
    size = np.array([bin(s).count("1") for s in range(1 << n)])
    weight = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    phi = np.zeros(n)
    for i in range(n):
        bit = 1 << i
        without = idx[(idx & bit) == 0]
        phi[i] = float(np.sum(weight[size[without]] * (v[without | bit] - v[without])))
    return phi


def dividend_shapley(table: PathTable, amounts: FloatArray) -> FloatArray:
    """Shapley values by the dividend identity: each journey's amount shared equally among
    its distinct channels."""
    n = len(table.channels)
    row, channel, _, _ = table.flat()
    pairs = np.unique(row * n + channel)  # each channel once per row
    r, c = pairs // n, pairs % n
    size = np.bincount(r, minlength=table.rows)
    share = np.divide(amounts, size, out=np.zeros(table.rows), where=size > 0)
    return np.asarray(np.bincount(c, weights=share[r], minlength=n), dtype=np.float64)


def shapley(table: PathTable, method: Method | None = None) -> tuple[Credits, Method]:
    """Shapley credits of conversions and revenue, and the method that computed them.

    Args:
        method: ``enumeration`` or ``dividends``; by default enumeration up to
            :data:`MAX_EXACT` channels and dividends above (both exact).

    Raises:
        ValueError: ``enumeration`` asked for more than :data:`MAX_EXACT` channels.
    """
    n = len(table.channels)
    chosen: Method = method or ("enumeration" if n <= MAX_EXACT else "dividends")
    if chosen == "enumeration" and n > MAX_EXACT:
        raise ValueError(
            f"Shapley by enumeration takes at most {MAX_EXACT} channels, got {n}: use "
            "method='dividends' (exact for this coalition value) or group channels"
        )
    conv = np.where(table.conversions > 0, table.conversions, 0.0)
    value = np.where(table.conversions > 0, table.value, 0.0)
    fn = enumerate_shapley if chosen == "enumeration" else dividend_shapley
    return Credits("shapley", table.channels, fn(table, conv), fn(table, value)), chosen
