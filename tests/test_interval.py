"""The one interval type: its quantile convention, its JSON names, its missing ends."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlroi.stats.interval import Interval


def test_an_interval_of_draws_takes_inverted_cdf_quantiles_without_interpolation() -> None:
    draws = np.arange(1.0, 101.0)  # 1, 2, ..., 100
    iv = Interval.of(draws, estimate=50.0, level=0.9)
    want = np.quantile(draws, [0.05, 0.95], method="inverted_cdf")
    assert (iv.lower, iv.upper) == (5.0, 95.0) == tuple(want)
    assert iv.std_error == pytest.approx(float(np.std(draws, ddof=1)), rel=1e-12)


def test_an_interval_end_may_be_an_infinite_draw() -> None:
    draws = np.array([1.0, 2.0, 3.0, math.inf, math.inf])
    iv = Interval.of(draws, estimate=2.0, level=0.5)
    assert iv.upper == math.inf
    assert math.isnan(iv.std_error)


def test_undefined_draws_are_dropped_and_no_draw_gives_no_interval() -> None:
    assert Interval.of(np.array([math.nan, 1.0, 1.0]), 1.0, 0.9).lower == 1.0
    empty = Interval.of(np.array([math.nan]), 1.0, 0.9)
    assert math.isnan(empty.lower) and math.isnan(empty.upper)


def test_an_interval_writes_itself_under_the_names_a_result_uses() -> None:
    iv = Interval(2.0, 1.0, 3.0, 0.5)
    assert iv.as_dict("point", "lower", "upper") == {"point": 2.0, "lower": 1.0, "upper": 3.0}
    assert iv.as_dict("estimate", "low", "high", "std_error") == {
        "estimate": 2.0,
        "low": 1.0,
        "high": 3.0,
        "std_error": 0.5,
    }


def test_contains_includes_the_ends() -> None:
    iv = Interval(2.0, 1.0, 3.0)
    assert iv.contains(1.0) and iv.contains(3.0) and not iv.contains(3.1)
