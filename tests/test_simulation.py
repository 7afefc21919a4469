"""Simulations: do the readout's p-values and intervals mean what they say?

For each kind of metric (a heavy-tailed mean, a rare proportion, a clustered ratio, and CUPED on a
mean and on a ratio) we simulate thousands of experiments in numpy, turn each arm into the
:class:`~mlroi.stats.aggregates.Aggregates` that the backend would return, and read each one out
with :func:`~mlroi.experiment.readout.compare_aggregates` and the real metric definitions.

- A/A tests: a two-sided test at alpha 0.05 must flag about 5% of them.
- A/B tests with a known 5% lift: the 95% intervals must cover the true absolute lift, and the
  relative intervals the true relative lift, in about 95% of them.

With 2,000 runs the standard error of a rate near 5% (or 95%) is 0.49 points, so the accepted bands
(3.5%-6.5%, 93.5%-96.5%) are about three standard errors wide on each side.

One more test runs a single real readout over 400 A/A experiments stacked in one table, one per
value of a ``sim`` segment column, which exercises the one-query segment path of the backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mlroi import readout
from mlroi.experiment.readout import compare_aggregates
from mlroi.experiment.result import Comparison, ExperimentResult
from mlroi.metrics import Mean, Proportion, Ratio
from mlroi.stats.aggregates import Aggregates, pair

pytestmark = pytest.mark.slow

ALPHA = 0.05
LEVEL = 0.95
N_SIMS = 2_000
N_PER_ARM = 4_000
RATIO_PER_ARM = 2_000  # ~40,000 impressions per arm; halves the costliest draws (Gamma, Poisson)
CHUNK = 250  # simulations generated at once: keeps each column array at 8 MB
LIFT = 0.05  # the treatment multiplies the outcome by 1 + LIFT
RATE_BAND = (0.035, 0.065)
COVERAGE_BAND = (0.935, 0.965)

Array = np.ndarray[Any, Any]
Columns = dict[str, Array]
Draw = Callable[[np.random.Generator, int, int, float], Columns]

# Revenue: 10% of users buy, and a buyer spends lognormal(3, 1).
BUY_RATE, LOG_MU, LOG_SIGMA = 0.1, 3.0, 1.0
# Conversion.
CONVERSION = 0.05
# Clicks / impressions: per-user Poisson impressions with a Gamma activity rate (mean 20) and a
# per-user Beta CTR (mean 0.05, sd 0.048), independent of each other, so the true CTR is E[ctr].
# Activity and CTR persist across periods: the pre-period ratio's linearisation correlates about
# 0.6 with the post-period one.
ACTIVITY_SHAPE, ACTIVITY_SCALE = 2.0, 10.0
CTR_A, CTR_B = 1.0, 19.0
# CUPED mean: pre- and post-period spend are lognormal with log-variance S2 and log-covariance C,
# so corr = (e^C - 1) / (e^S2 - 1) = 0.6 exactly.
CUPED_MU, CUPED_S2, CUPED_RHO = 2.0, 0.5, 0.6
CUPED_C = math.log(1.0 + CUPED_RHO * math.expm1(CUPED_S2))


def _revenue(rng: np.random.Generator, sims: int, n: int, multiplier: float) -> Columns:
    buys = rng.random((sims, n)) < BUY_RATE
    spend = rng.lognormal(LOG_MU, LOG_SIGMA, (sims, n))
    return {"revenue": np.where(buys, spend, 0.0) * multiplier}


def _conversion(rng: np.random.Generator, sims: int, n: int, multiplier: float) -> Columns:
    return {"converted": (rng.random((sims, n)) < CONVERSION * multiplier).astype(np.float64)}


def _users(rng: np.random.Generator, sims: int, n: int) -> tuple[Array, Array]:
    """Per-user activity rate and CTR: the heterogeneity that makes users clusters."""
    activity = rng.gamma(ACTIVITY_SHAPE, ACTIVITY_SCALE, (sims, n))
    ctr = rng.beta(CTR_A, CTR_B, (sims, n))
    return activity, ctr


def _impressions_and_clicks(
    rng: np.random.Generator, activity: Array, ctr: Array
) -> tuple[Array, Array]:
    """Poisson(activity) impressions, each clicked with probability ``ctr``.

    Drawn by Poisson thinning: clicks and non-clicks are independent Poissons, which is exactly
    the Poisson-impressions, Binomial-clicks model and about twice as fast as ``binomial``.
    """
    clicks = rng.poisson(activity * ctr)
    impressions = clicks + rng.poisson(activity * (1.0 - ctr))
    return impressions.astype(np.float64), clicks.astype(np.float64)


def _clicks(rng: np.random.Generator, sims: int, n: int, multiplier: float) -> Columns:
    activity, ctr = _users(rng, sims, n)
    impressions, clicks = _impressions_and_clicks(rng, activity, ctr * multiplier)
    return {"clicks": clicks, "impressions": impressions}


def _spend_with_history(rng: np.random.Generator, sims: int, n: int, multiplier: float) -> Columns:
    shared = rng.standard_normal((sims, n)) * math.sqrt(CUPED_C)
    own = math.sqrt(CUPED_S2 - CUPED_C)
    pre = np.exp(CUPED_MU + shared + own * rng.standard_normal((sims, n)))
    post = np.exp(CUPED_MU + shared + own * rng.standard_normal((sims, n)))
    return {"spend": post * multiplier, "pre_spend": pre}


def _clicks_with_history(rng: np.random.Generator, sims: int, n: int, multiplier: float) -> Columns:
    activity, ctr = _users(rng, sims, n)
    pre_impressions, pre_clicks = _impressions_and_clicks(rng, activity, ctr)
    impressions, clicks = _impressions_and_clicks(rng, activity, ctr * multiplier)
    return {
        "clicks": clicks,
        "impressions": impressions,
        "pre_clicks": pre_clicks,
        "pre_impressions": pre_impressions,
    }


@dataclass(frozen=True)
class Scenario:
    """A metric, how to draw its per-unit columns, and its true value in the control arm."""

    metric: Mean | Proportion | Ratio
    draw: Draw
    true_control: float
    seed: int
    n_per_arm: int = N_PER_ARM


CTR_MEAN = CTR_A / (CTR_A + CTR_B)
SCENARIOS = {
    "mean": Scenario(
        Mean(name="revenue", column="revenue"),
        _revenue,
        BUY_RATE * math.exp(LOG_MU + LOG_SIGMA**2 / 2),
        seed=101,
    ),
    "proportion": Scenario(
        Proportion(name="conversion", column="converted"), _conversion, CONVERSION, seed=202
    ),
    "ratio": Scenario(
        Ratio(name="ctr", numerator="clicks", denominator="impressions"),
        _clicks,
        CTR_MEAN,
        seed=303,
        n_per_arm=RATIO_PER_ARM,
    ),
    "cuped_mean": Scenario(
        Mean(name="spend", column="spend", covariate="pre_spend"),
        _spend_with_history,
        math.exp(CUPED_MU + CUPED_S2 / 2),
        seed=404,
    ),
    "cuped_ratio": Scenario(
        Ratio(
            name="ctr",
            numerator="clicks",
            denominator="impressions",
            covariate_numerator="pre_clicks",
            covariate_denominator="pre_impressions",
        ),
        _clicks_with_history,
        CTR_MEAN,
        seed=505,
        n_per_arm=RATIO_PER_ARM,
    ),
}


def _aggregates(columns: Columns, pairs: set[tuple[str, str]]) -> list[Aggregates]:
    """Per-simulation aggregates (rows of the arrays), as the backend's var_samp/covar_samp."""
    first = next(iter(columns.values()))
    sims, n = first.shape
    means = {c: v.mean(axis=1) for c, v in columns.items()}
    centred = {c: v - means[c][:, None] for c, v in columns.items()}
    covs = {(a, b): np.einsum("ij,ij->i", centred[a], centred[b]) / (n - 1) for a, b in pairs}
    return [
        Aggregates.from_moments(
            n,
            {c: float(m[i]) for c, m in means.items()},
            {pair(a, b): float(v[i]) for (a, b), v in covs.items()},
        )
        for i in range(sims)
    ]


@cache
def _run(name: str, multiplier: float) -> tuple[Comparison, ...]:
    """Read out ``N_SIMS`` simulated experiments whose treatment scales the outcome's mean.

    The multiplier applies to revenue and spend, to the conversion probability and to each user's
    CTR, so the true relative lift is ``multiplier - 1`` for every metric.
    """
    scenario = SCENARIOS[name]
    rng = np.random.default_rng([scenario.seed, round(multiplier * 1000)])
    pairs = scenario.metric.pairs()
    out: list[Comparison] = []
    for start in range(0, N_SIMS, CHUNK):
        sims = min(CHUNK, N_SIMS - start)
        control = _aggregates(scenario.draw(rng, sims, scenario.n_per_arm, 1.0), pairs)
        treatment = _aggregates(scenario.draw(rng, sims, scenario.n_per_arm, multiplier), pairs)
        out += [
            compare_aggregates(scenario.metric, c, t, level=LEVEL)
            for c, t in zip(control, treatment, strict=True)
        ]
    bad = [c.reason for c in out if c.status != "ok"]
    assert not bad, f"{len(bad)} simulated readouts could not be estimated, e.g. {bad[0]}"
    return tuple(out)


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_aa_false_positive_rate_is_alpha(name: str) -> None:
    runs = _run(name, 1.0)
    rate = _rate([c.p_value is not None and c.p_value < ALPHA for c in runs])
    lo, hi = RATE_BAND
    assert lo <= rate <= hi, (
        f"{name}: {rate:.2%} of {len(runs)} A/A tests significant at alpha {ALPHA};"
        f" expected {lo:.1%}-{hi:.1%}"
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_interval_covers_true_absolute_lift(name: str) -> None:
    scenario = SCENARIOS[name]
    truth = scenario.true_control * LIFT
    runs = _run(name, 1.0 + LIFT)
    coverage = _rate([c.absolute is not None and c.absolute.contains(truth) for c in runs])
    lo, hi = COVERAGE_BAND
    assert lo <= coverage <= hi, (
        f"{name}: the {LEVEL:.0%} interval covered the true absolute lift {truth:.6g} in"
        f" {coverage:.2%} of {len(runs)} A/B tests; expected {lo:.1%}-{hi:.1%}"
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_relative_interval_covers_true_relative_lift(name: str) -> None:
    runs = _run(name, 1.0 + LIFT)
    coverage = _rate([c.relative is not None and c.relative.contains(LIFT) for c in runs])
    lo, hi = COVERAGE_BAND
    assert lo <= coverage <= hi, (
        f"{name}: the {LEVEL:.0%} relative interval covered the true relative lift {LIFT:.0%}"
        f" in {coverage:.2%} of {len(runs)} A/B tests; expected {lo:.1%}-{hi:.1%}"
    )


def _population_cuped_reduction(name: str) -> float:
    """``corr^2`` of the metric's and the covariate's delta-method linearisations, on 2M units."""
    if name == "cuped_mean":
        return CUPED_RHO**2  # exact by construction of the lognormal pair
    cols = {
        k: v[0]
        for k, v in _clicks_with_history(np.random.default_rng(7), 1, 2_000_000, 1.0).items()
    }

    def linear(num: Array, den: Array) -> Array:
        return (num - num.mean() / den.mean() * den) / den.mean()

    y = linear(cols["clicks"], cols["impressions"])
    x = linear(cols["pre_clicks"], cols["pre_impressions"])
    return float(np.corrcoef(y, x)[0, 1] ** 2)


@pytest.mark.parametrize("name", ["cuped_mean", "cuped_ratio"])
def test_cuped_reduces_variance_by_squared_correlation(name: str) -> None:
    runs = _run(name, 1.0)
    observed = float(np.mean([c.variance_reduction for c in runs]))
    expected = _population_cuped_reduction(name)
    assert observed == pytest.approx(expected, abs=0.03), (
        f"{name}: mean variance reduction {observed:.3f} over {len(runs)} A/A tests;"
        f" the population value is {expected:.3f}"
    )


E2E_SIMS = 400
E2E_PER_ARM = 500


@pytest.fixture(scope="module")
def stacked_aa() -> tuple[pa.Table, ExperimentResult]:
    """400 A/A experiments in one table (``sim`` = 0..399) and their one-query readout."""
    rng = np.random.default_rng(2024)
    control = _revenue(rng, E2E_SIMS, E2E_PER_ARM, 1.0)["revenue"]
    treatment = _revenue(rng, E2E_SIMS, E2E_PER_ARM, 1.0)["revenue"]
    revenue = np.concatenate([control, treatment], axis=1)  # (sims, 2 * per arm)
    variant = np.repeat(np.array(["control", "treatment"]), E2E_PER_ARM)
    table = pa.table(
        {
            "user_id": np.arange(revenue.size, dtype=np.int64),
            "sim": np.repeat(np.arange(E2E_SIMS, dtype=np.int64), 2 * E2E_PER_ARM),
            "variant": np.tile(variant, E2E_SIMS),
            "revenue": revenue.ravel(),
        }
    )
    result = readout(
        table,
        control="control",
        arms={"control": 1, "treatment": 1},
        metrics=[Mean(name="revenue", column="revenue")],
        segments=["sim"],
    )
    return table, result


def test_one_query_segment_readout_has_nominal_false_positive_rate(
    stacked_aa: tuple[pa.Table, ExperimentResult],
) -> None:
    _, result = stacked_aa
    by_sim = {c.segment_value: c for c in result.segments if c.segment == "sim"}
    assert sorted(by_sim) == sorted(str(s) for s in range(E2E_SIMS))
    rate = _rate([c.p_value is not None and c.p_value < ALPHA for c in by_sim.values()])
    # Binomial(400, 0.05): mean 20, sd 4.4; 1%-11% is 4-44 rejections.
    assert 0.01 <= rate <= 0.11, (
        f"{rate:.2%} of {E2E_SIMS} A/A segments significant at alpha {ALPHA}; expected 1%-11%"
    )


def test_one_query_segment_matches_direct_computation(
    stacked_aa: tuple[pa.Table, ExperimentResult],
) -> None:
    """A segment of the backend readout equals the numpy path used by the simulations above."""
    table, result = stacked_aa
    sim = 17
    rows = table.filter(pc.equal(table["sim"], sim))
    revenue = rows["revenue"].to_numpy()
    is_control = rows["variant"].to_numpy(zero_copy_only=False) == "control"
    metric = Mean(name="revenue", column="revenue")
    control, treatment = (
        _aggregates({"revenue": revenue[mask][None, :]}, metric.pairs())[0]
        for mask in (is_control, ~is_control)
    )
    direct = compare_aggregates(metric, control, treatment)
    segment = next(c for c in result.segments if c.segment_value == str(sim))
    assert segment.p_value == pytest.approx(direct.p_value, rel=1e-9)
    assert segment.absolute is not None and direct.absolute is not None
    assert segment.absolute.lower == pytest.approx(direct.absolute.lower, rel=1e-9, abs=1e-12)
    assert segment.absolute.upper == pytest.approx(direct.absolute.upper, rel=1e-9, abs=1e-12)
