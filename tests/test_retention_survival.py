"""Kaplan-Meier, Greenwood log-log intervals, log-rank and RMST against lifelines and scipy.

lifelines (dev-only) is the oracle on its shipped waltons data set and on generated data with
ties and heavy censoring. Tolerances: 1e-10 relative on curves, variances and statistics (the
same closed forms, summed in a different order); the RMST's sampling variance has no lifelines
counterpart and is checked against its closed form without censoring and by simulation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_waltons
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import restricted_mean_survival_time

from mlroi.retention.logrank import log_rank
from mlroi.retention.survival import (
    SurvivalCounts,
    kaplan_meier,
    restricted_mean,
    retention_difference,
)

REL = 1e-10

# lifelines calls pandas in ways pandas 4 deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0")


def _generated(seed: int, n: int, censor_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Whole-day churn times (many ties) with heavy random censoring."""
    rng = np.random.default_rng(seed)
    churn = np.floor(rng.exponential(40.0, n)) + 1
    censor = np.where(rng.random(n) < censor_share, np.floor(rng.uniform(1, 90, n)), 90.0)
    return np.minimum(churn, censor), churn <= censor


def _lifelines_km(t: np.ndarray, e: np.ndarray) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(t, e, alpha=0.05)


def _check_curve(t: np.ndarray, e: np.ndarray) -> None:
    km = kaplan_meier(SurvivalCounts.from_durations(t, e))
    ref = _lifelines_km(t, e)
    days = ref.survival_function_.index.to_numpy()[1:]  # lifelines adds day 0
    np.testing.assert_allclose(km.day, days)
    np.testing.assert_allclose(km.survival, ref.survival_function_.to_numpy()[1:, 0], rtol=REL)
    ci = ref.confidence_interval_survival_function_.to_numpy()[1:]
    np.testing.assert_allclose(km.lower, ci[:, 0], rtol=1e-9)
    np.testing.assert_allclose(km.upper, ci[:, 1], rtol=1e-9)
    np.testing.assert_allclose(km.at_risk, ref.event_table["at_risk"].to_numpy()[1:])


def test_kaplan_meier_matches_lifelines_on_waltons() -> None:
    df = load_waltons()
    for _, g in df.groupby("group"):
        _check_curve(g["T"].to_numpy(), g["E"].to_numpy().astype(bool))


@pytest.mark.parametrize(("seed", "censor_share"), [(1, 0.2), (2, 0.8), (3, 0.95)])
def test_kaplan_meier_matches_lifelines_with_ties_and_heavy_censoring(
    seed: int, censor_share: float
) -> None:
    _check_curve(*_generated(seed, 3000, censor_share))


def test_greenwood_variance_matches_lifelines() -> None:
    t, e = _generated(4, 2000, 0.6)
    km = kaplan_meier(SurvivalCounts.from_durations(t, e))
    ref = _lifelines_km(t, e)
    # lifelines keeps the Greenwood sum d / (Y (Y - d)) as `_cumulative_sq_`
    gw = ref._cumulative_sq_.to_numpy()[1:]
    np.testing.assert_allclose(km.greenwood, gw, rtol=REL)


def test_curve_matches_scipy_ecdf_survival() -> None:
    from scipy.stats import CensoredData, ecdf

    t, e = _generated(5, 1500, 0.5)
    km = kaplan_meier(SurvivalCounts.from_durations(t, e))
    res = ecdf(CensoredData(uncensored=t[e], right=t[~e]))
    np.testing.assert_allclose(km.survival[km.events > 0], res.sf.probabilities, rtol=REL)


def test_retention_at_a_day_between_count_days_is_the_last_step() -> None:
    km = kaplan_meier(SurvivalCounts.of([2, 5], [1, 1], [0, 2]))
    assert km.at(1.0).estimate == 1.0
    assert km.at(4.0).estimate == pytest.approx(0.75)
    assert km.at(100.0).estimate == pytest.approx(0.75 * 2 / 3)


def test_retention_difference_is_the_wald_interval_of_the_greenwood_variances() -> None:
    c = kaplan_meier(SurvivalCounts.from_durations(*_generated(6, 1000, 0.3)))
    t = kaplan_meier(SurvivalCounts.from_durations(*_generated(7, 1000, 0.3)))
    diff = retention_difference(c, t, 30)
    se = math.sqrt(c.at(30).std_error ** 2 + t.at(30).std_error ** 2)
    assert diff.estimate == pytest.approx(t.at(30).estimate - c.at(30).estimate)
    assert diff.upper - diff.estimate == pytest.approx(1.959963984540054 * se, rel=1e-12)


def test_curve_that_reaches_zero_has_a_closed_interval() -> None:
    km = kaplan_meier(SurvivalCounts.of([1, 2], [1, 1], [0, 0]))
    assert km.survival[-1] == 0.0
    assert km.lower[-1] == km.upper[-1] == 0.0
    assert km.at(3).std_error == 0.0


def test_log_rank_matches_lifelines_on_waltons() -> None:
    df = load_waltons()
    arms = {
        name: SurvivalCounts.from_durations(g["T"].to_numpy(), g["E"].to_numpy().astype(bool))
        for name, g in df.groupby("group")
    }
    ours = log_rank(arms)
    a, b = (df[df.group == g] for g in arms)
    ref = logrank_test(a["T"], b["T"], a["E"], b["E"])
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=REL)
    assert ours.p_value == pytest.approx(ref.p_value, rel=1e-9)


def test_log_rank_matches_lifelines_and_scipy_on_generated_arms() -> None:
    from scipy.stats import CensoredData, logrank

    (t0, e0), (t1, e1) = _generated(8, 2500, 0.7), _generated(9, 2500, 0.7)
    t1 = np.maximum(1.0, t1 - 2)  # a small real difference
    ours = log_rank(
        {
            "control": SurvivalCounts.from_durations(t0, e0),
            "treatment": (SurvivalCounts.from_durations(t1, e1)),
        }
    )
    ref = logrank_test(t0, t1, e0, e1)
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=REL)
    sp = logrank(
        CensoredData(uncensored=t0[e0], right=t0[~e0]),
        CensoredData(uncensored=t1[e1], right=t1[~e1]),
    )
    assert ours.statistic == pytest.approx(sp.statistic**2, rel=REL)
    assert ours.p_value == pytest.approx(sp.pvalue, rel=1e-8)


def test_log_rank_with_three_arms_matches_lifelines_multivariate() -> None:
    parts = [_generated(s, 800, 0.5) for s in (10, 11, 12)]
    parts[2] = (np.maximum(1.0, parts[2][0] - 3), parts[2][1])
    ours = log_rank({str(i): SurvivalCounts.from_durations(t, e) for i, (t, e) in enumerate(parts)})
    t = np.concatenate([p[0] for p in parts])
    e = np.concatenate([p[1] for p in parts])
    g = np.repeat([0, 1, 2], 800)
    ref = multivariate_logrank_test(t, g, e)
    assert ours.df == 2
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(ref.p_value, rel=1e-8)


@pytest.mark.parametrize("horizon", [10.0, 33.5, 60.0, 200.0])
def test_restricted_mean_matches_lifelines_area(horizon: float) -> None:
    t, e = _generated(13, 2000, 0.6)
    km = kaplan_meier(SurvivalCounts.from_durations(t, e))
    ref = restricted_mean_survival_time(_lifelines_km(t, e), t=horizon)
    assert restricted_mean(km, horizon).estimate == pytest.approx(ref, rel=REL)


def test_restricted_mean_on_waltons_matches_lifelines() -> None:
    df = load_waltons()
    g = df[df.group == "control"]
    km = kaplan_meier(SurvivalCounts.from_durations(g["T"], g["E"].astype(bool)))
    ref = restricted_mean_survival_time(_lifelines_km(g["T"], g["E"]), t=50.0)
    assert restricted_mean(km, 50.0).estimate == pytest.approx(ref, rel=REL)


def test_restricted_mean_variance_without_censoring_is_the_plug_in_variance_over_n() -> None:
    rng = np.random.default_rng(14)
    t = np.floor(rng.exponential(20.0, 500)) + 1
    horizon = 25.0
    km = kaplan_meier(SurvivalCounts.from_durations(t, np.ones_like(t, dtype=bool)))
    capped = np.minimum(t, horizon)
    rm = restricted_mean(km, horizon)
    assert rm.estimate == pytest.approx(capped.mean(), rel=REL)
    assert rm.std_error**2 == pytest.approx(capped.var(ddof=0) / t.size, rel=1e-9)


def test_restricted_mean_variance_matches_simulated_sampling_variance() -> None:
    """Within 10%: the spread of 400 simulated estimates has a relative SE of about 7%."""
    estimates, variances = [], []
    for seed in range(400):
        t, e = _generated(1000 + seed, 400, 0.6)
        rm = restricted_mean(kaplan_meier(SurvivalCounts.from_durations(t, e)), 60.0)
        estimates.append(rm.estimate)
        variances.append(rm.std_error**2)
    assert np.mean(variances) == pytest.approx(np.var(estimates, ddof=1), rel=0.15)


def test_counts_merge_repeated_days_and_reject_negative_counts() -> None:
    c = SurvivalCounts.of([3, 1, 3], [1, 2, 0], [0, 0, 4])
    assert c.day == (1.0, 3.0) and c.events == (2, 1) and c.censored == (0, 4)
    assert c.at_risk().tolist() == [7, 5]
    with pytest.raises(ValueError, match="negative"):
        SurvivalCounts.of([1], [-1], [0])


# --- invariants ---------------------------------------------------------------------------------

_counts = st.lists(
    st.tuples(st.integers(1, 60), st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=25
).filter(lambda rows: sum(d + c for _, d, c in rows) > 0)


def _of(rows: list[tuple[int, int, int]]) -> SurvivalCounts:
    return SurvivalCounts.of([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


@settings(max_examples=200, deadline=None)
@given(_counts)
def test_a_curve_falls_stays_in_the_unit_interval_and_inside_its_band(rows: list) -> None:
    km = kaplan_meier(_of(rows))
    assert np.all(np.diff(km.survival) <= 1e-15)
    assert np.all((km.survival >= 0) & (km.survival <= 1))
    assert np.all(km.lower <= km.survival + 1e-12) and np.all(km.survival <= km.upper + 1e-12)


@settings(max_examples=200, deadline=None)
@given(_counts, _counts)
def test_swapping_arms_flips_the_differences_and_keeps_the_log_rank(a: list, b: list) -> None:
    ca, cb = kaplan_meier(_of(a)), kaplan_meier(_of(b))
    for day in (1, 10, 30):
        ab, ba = retention_difference(ca, cb, day), retention_difference(cb, ca, day)
        assert ab.estimate == -ba.estimate and ab.std_error == ba.std_error
    one = log_rank({"a": _of(a), "b": _of(b)})
    two = log_rank({"b": _of(b), "a": _of(a)})
    assert one.statistic == pytest.approx(two.statistic, rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(_counts, _counts)
def test_merging_counts_equals_counting_merged_users(a: list, b: list) -> None:
    merged = _of(a + b)
    t = np.concatenate(
        [np.repeat(float(r[0]), r[1] + r[2]) for r in a + b if r[1] + r[2]] or [np.zeros(0)]
    )
    e = np.concatenate(
        [np.r_[np.ones(r[1], bool), np.zeros(r[2], bool)] for r in a + b if r[1] + r[2]]
        or [np.zeros(0, bool)]
    )
    direct = SurvivalCounts.from_durations(t, e)
    assert merged.day == direct.day and merged.events == direct.events
    assert merged.censored == direct.censored


@pytest.mark.slow
def test_intervals_cover_the_true_retention_at_their_level() -> None:
    """2,000 simulated arms of 300 users with 60% censoring: the 95% log-log interval of S(20)
    and the Wald interval of a null difference cover the truth 95% +- 1.5% of the time (the
    binomial spread of the count is 0.5%)."""
    truth = math.exp(-20 / 40)  # P(floor(X) + 1 > 20) for X ~ Exp(mean 40)
    hits, null_hits, n = 0, 0, 2000
    for seed in range(n):
        t, e = _generated(50_000 + seed, 300, 0.6)
        t2, e2 = _generated(90_000 + seed, 300, 0.6)
        a = kaplan_meier(SurvivalCounts.from_durations(t, e))
        b = kaplan_meier(SurvivalCounts.from_durations(t2, e2))
        hits += a.at(20).contains(truth)
        null_hits += retention_difference(a, b, 20).contains(0.0)
    assert hits / n == pytest.approx(0.95, abs=0.015)
    assert null_hits / n == pytest.approx(0.95, abs=0.015)
