"""gbstats' published frequentist test vectors, reproduced by ``mlroi.stats.lift.compare``.

The vectors (``tests/data/gbstats_vectors.json``, conventions in ``tests/data/GBSTATS_NOTES.md``)
give each arm's sufficient statistics. An arm becomes an ``ArmEstimate`` the way gbstats reads it:
a sample mean with the ddof-1 variance over n, a proportion with the Bernoulli variance
``p (1 - p) / n``; ``compare`` then applies Welch's df, the t quantile and, for the relative
lift, the delta-method linear interval, all as gbstats does. Values are compared at the
vector's decimals, as gbstats' own test does (``np.round(actual, 5) == expected``).

Reproduced: every fixed-horizon, current vector whose convention we share:
``two_sided_ttest_relative``, ``two_sided_ttest_absolute``, ``two_sided_ttest_binom_relative``,
``one_sided_ttest_{greater,lesser}_{relative,absolute}`` (point, interval, standard error and
p-value); ``two_sided_ttest_missing_variance`` (gbstats refuses it with
``ZERO_NEGATIVE_VARIANCE``; ``compare_aggregates`` refuses it with status ``"cannot estimate"``).

One difference inside the reproduced vectors: for a *relative* vector gbstats' p-value is the
t-test of the relative lift (``rel / se_rel`` on Welch's df), while mlroi reports one p-value per
comparison, that of the absolute difference. We check that our relative standard error and df
give gbstats' relative p-value, and that ``Lift.p_value`` is the absolute one.

Not reproduced, because the conventions differ:

- ``two_sided_ttest_ratio_cuped_relative``: CUPED. gbstats' adjusted arm value is
  ``ybar - theta * xbar`` (not centred on the pooled covariate) and its relative lift divides the
  adjusted difference by the *unadjusted* control value, with a variance formula of its own;
  mlroi's relative lift is ``adjusted treatment / adjusted control - 1`` with values centred on
  the pooled covariate. (The absolute lift would agree; the vector asserts only the relative.)
- ``sequential_two_sided_relative_tuning1000``, ``sequential_two_sided_prop_relative``,
  ``sequential_two_sided_cuped_relative``, ``sequential_two_sided_ratio_cuped_relative``,
  ``sequential_one_sided_{greater,lesser}_{relative,absolute}``: always-valid sequential
  intervals (Waudby-Smith et al.); mlroi has fixed-horizon tests only.
- ``historical_sequential_two_sided_cuped_theta_0_5_relative``: a former gbstats formula, flagged
  ``historical`` (and sequential, and CUPED).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlroi.experiment.readout import compare_aggregates
from mlroi.metrics.definitions import Mean, Proportion
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.distributions import Alternative, p_value
from mlroi.stats.interval import Interval
from mlroi.stats.lift import ArmEstimate, Lift, compare

VECTORS: dict[str, dict[str, Any]] = {
    v["name"]: v
    for v in json.loads((Path(__file__).parent / "data" / "gbstats_vectors.json").read_text())
}
ALTERNATIVE: dict[str, Alternative] = {
    "two_sided_ttest": "two-sided",
    "one_sided_ttest_greater": "greater",
    "one_sided_ttest_lesser": "less",
}
REPRODUCED = [
    "two_sided_ttest_relative",
    "two_sided_ttest_absolute",
    "two_sided_ttest_binom_relative",
    "one_sided_ttest_greater_relative",
    "one_sided_ttest_greater_absolute",
    "one_sided_ttest_lesser_relative",
    "one_sided_ttest_lesser_absolute",
]
NOT_REPRODUCED = {
    "two_sided_ttest_ratio_cuped_relative": "CUPED: centring and relative denominator differ",
    "sequential_two_sided_relative_tuning1000": "sequential",
    "sequential_two_sided_prop_relative": "sequential",
    "sequential_two_sided_cuped_relative": "sequential, CUPED",
    "sequential_two_sided_ratio_cuped_relative": "sequential, CUPED",
    "sequential_one_sided_greater_relative": "sequential",
    "sequential_one_sided_greater_absolute": "sequential",
    "sequential_one_sided_lesser_relative": "sequential",
    "sequential_one_sided_lesser_absolute": "sequential",
    "historical_sequential_two_sided_cuped_theta_0_5_relative": "historical formula",
}
REFUSED = ["two_sided_ttest_missing_variance"]


def arm(stat: dict[str, Any]) -> ArmEstimate:
    """The estimate of one arm from gbstats' sufficient statistics."""
    n = stat["n"]
    mean = stat["sum"] / n
    if stat["type"] == "ProportionStatistic":
        var = mean * (1.0 - mean)  # Bernoulli, ddof 0
    elif stat["type"] == "SampleMeanStatistic":
        var = (stat["sum_squares"] - stat["sum"] ** 2 / n) / (n - 1)
    else:
        raise AssertionError(f"no ArmEstimate for {stat['type']}")
    return ArmEstimate(mean, var / n, n)


def lift(vector: dict[str, Any]) -> Lift:
    return compare(
        arm(vector["control"]),
        arm(vector["treatment"]),
        level=vector["confidence"],
        alternative=ALTERNATIVE[vector["test"]],
    )


def chosen(vector: dict[str, Any], result: Lift) -> Interval:
    interval = result.relative if vector["relative"] else result.absolute
    assert interval is not None
    return interval


def rounded(x: float | str, decimals: int) -> float:
    value = float(x)  # "inf" / "-inf" are written as strings
    return value if math.isinf(value) else round(value, decimals)


def test_every_vector_is_either_reproduced_or_listed_with_a_reason() -> None:
    assert set(VECTORS) == set(REPRODUCED) | set(NOT_REPRODUCED) | set(REFUSED)


@pytest.mark.parametrize("name", REPRODUCED)
def test_point_estimate(name: str) -> None:
    v = VECTORS[name]
    d = v["decimals"]
    assert rounded(chosen(v, lift(v)).estimate, d) == rounded(v["expected"]["expected"], d)


@pytest.mark.parametrize("name", REPRODUCED)
def test_confidence_interval(name: str) -> None:
    v = VECTORS[name]
    d = v["decimals"]
    interval = chosen(v, lift(v))
    lower, upper = (rounded(x, d) for x in v["expected"]["ci"])
    assert (rounded(interval.lower, d), rounded(interval.upper, d)) == (lower, upper)


@pytest.mark.parametrize("name", REPRODUCED)
def test_standard_error(name: str) -> None:
    v = VECTORS[name]
    d = v["decimals"]
    se = chosen(v, lift(v)).std_error
    assert rounded(se, d) == rounded(v["expected"]["uplift_stddev"], d)


@pytest.mark.parametrize("name", [n for n in REPRODUCED if not VECTORS[n]["relative"]])
def test_p_value_of_the_absolute_difference(name: str) -> None:
    v = VECTORS[name]
    d = v["decimals"]
    assert rounded(lift(v).p_value, d) == rounded(v["expected"]["p_value"], d)


@pytest.mark.parametrize("name", [n for n in REPRODUCED if VECTORS[n]["relative"]])
def test_relative_p_value_is_the_t_test_of_our_relative_interval(name: str) -> None:
    v = VECTORS[name]
    d = v["decimals"]
    result = lift(v)
    rel = chosen(v, result)
    gbstats_style = p_value(rel.estimate / rel.std_error, result.df, ALTERNATIVE[v["test"]])
    assert rounded(gbstats_style, d) == rounded(v["expected"]["p_value"], d)
    # what mlroi reports is the p-value of the absolute difference
    assert result.p_value == p_value(result.statistic, result.df, ALTERNATIVE[v["test"]])


def _aggregates(stat: dict[str, Any]) -> Aggregates:
    """gbstats' raw sums as the readout's aggregates (a proportion's sum of squares is its sum)."""
    squares = stat.get("sum_squares", stat["sum"])
    return Aggregates.from_sums(stat["n"], {"y": stat["sum"]}, {("y", "y"): squares})


@pytest.mark.parametrize("name", REPRODUCED)
def test_the_readout_path_gives_the_same_interval(name: str) -> None:
    v = VECTORS[name]
    d = v["decimals"]
    proportion = v["control"]["type"] == "ProportionStatistic"
    metric = Proportion(name="m", column="y") if proportion else Mean(name="m", column="y")
    comp = compare_aggregates(
        metric,
        _aggregates(v["control"]),
        _aggregates(v["treatment"]),
        level=v["confidence"],
        alternative=ALTERNATIVE[v["test"]],
        # gbstats' relative interval is the delta method's; the readout's default (auto) would
        # take Fieller's for these small samples, whose control has a large relative SE
        relative_interval="delta",
    )
    interval = comp.relative if v["relative"] else comp.absolute
    assert interval is not None
    lower, upper = (rounded(x, d) for x in v["expected"]["ci"])
    assert rounded(interval.estimate, d) == rounded(v["expected"]["expected"], d)
    assert (rounded(interval.lower, d), rounded(interval.upper, d)) == (lower, upper)
    assert rounded(interval.std_error, d) == rounded(v["expected"]["uplift_stddev"], d)


@pytest.mark.parametrize("name", REFUSED)
def test_impossible_sums_are_refused(name: str) -> None:
    # n = 2 with sum_squares < sum^2 / n: a negative "variance", gbstats' ZERO_NEGATIVE_VARIANCE
    v = VECTORS[name]
    assert v["expected"]["error_message"] == "ZERO_NEGATIVE_VARIANCE"
    comp = compare_aggregates(
        Mean(name="m", column="y"), _aggregates(v["control"]), _aggregates(v["treatment"])
    )
    assert comp.status == "cannot estimate"
    assert comp.absolute is None and comp.relative is None and comp.p_value is None
