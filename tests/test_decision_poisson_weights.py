"""Poisson(1) bootstrap weights: the right probabilities, the right distribution, and the same
weights however many rows are drawn at once."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

import mlroi.decision.poisson_weights as poisson_weights
from mlroi.decision.poisson_weights import _EDGES, _TAIL_CDF, _TAIL_START, row_weights


def test_poisson_weights_have_poisson_probabilities_to_rounding() -> None:
    # The base-2^16 digits give k for floor(p_k 2^16) of the 65,536 values of u; the values left
    # over draw k from the remainders. Together they give p_k up to float64 rounding.
    p = np.array([math.exp(-1.0) / math.factorial(k) for k in range(len(_TAIL_CDF))])
    edges = np.r_[0.0, [float(e) for e in _EDGES], _TAIL_START]
    digits = np.zeros(len(p))
    digits[: len(edges) - 1] = np.diff(edges)
    tail = np.diff(np.r_[0.0, _TAIL_CDF]) * (65536 - _TAIL_START)
    np.testing.assert_allclose((digits + tail) / 65536.0, p, rtol=1e-12, atol=1e-18)


def test_poisson_weights_are_distributed_as_poisson_one() -> None:
    counts = np.bincount(row_weights(20_000, 100, seed=1).ravel(), minlength=7)
    expected = scipy.stats.poisson.pmf(np.arange(7), 1.0) * 2_000_000
    expected[-1] += 2_000_000 - expected.sum()  # 6 or more
    observed = np.r_[counts[:6], counts[6:].sum()]
    assert scipy.stats.chisquare(observed, expected).pvalue > 0.001


def test_weights_do_not_depend_on_how_many_rows_are_drawn_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = row_weights(70_000, 8, seed=8)  # two chunks of rows, each drawn at once
    monkeypatch.setattr(poisson_weights, "_GROUP_DRAWS", 1 << 10)
    monkeypatch.setattr(poisson_weights, "_BLOCK_WEIGHTS", 1 << 12)
    np.testing.assert_array_equal(row_weights(70_000, 8, seed=8), whole)
