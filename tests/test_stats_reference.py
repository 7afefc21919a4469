"""mlroi's comparisons against established implementations (scipy, statsmodels) and closed forms.

Each arm's rows are generated with a numpy seed, reduced to ``Aggregates`` exactly as the backend
would return them (count, means, sample covariances), and compared with ``compare_aggregates``;
the references see the rows themselves.
"""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pytest
import scipy.stats
from hypothesis import example, given, settings
from hypothesis import strategies as st
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.multitest import multipletests

from mlroi.experiment.readout import compare_aggregates
from mlroi.metrics.definitions import Mean, Proportion, Ratio
from mlroi.stats.aggregates import Aggregates, pair
from mlroi.stats.distributions import Alternative
from mlroi.stats.lift import ArmEstimate, compare
from mlroi.stats.multiplicity import benjamini_hochberg, holm
from mlroi.stats.srm import srm_test

ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "greater", "less")
LEVELS = (0.9, 0.95, 0.99)


def aggregates(**cols: np.ndarray) -> Aggregates:
    """What the backend returns for these rows: n, means and all pairwise sample covariances."""
    names = sorted(cols)
    n = len(cols[names[0]])
    mean = {k: float(np.mean(v)) for k, v in cols.items()}
    cov = {
        pair(a, b): float(np.cov(cols[a], cols[b], ddof=1)[0, 1])
        for i, a in enumerate(names)
        for b in names[i:]
    }
    return Aggregates.from_moments(n, mean, cov)


def welch_df(var_c: float, n_c: int, var_t: float, n_t: int) -> float:
    """Welch-Satterthwaite df from per-unit variances."""
    a, b = var_c / n_c, var_t / n_t
    return (a + b) ** 2 / (a**2 / (n_c - 1) + b**2 / (n_t - 1))


def t_interval(
    estimate: float, se: float, df: float, level: float, alternative: Alternative
) -> tuple[float, float]:
    if alternative == "two-sided":
        q = scipy.stats.t.ppf(1 - (1 - level) / 2, df)
        return estimate - q * se, estimate + q * se
    q = scipy.stats.t.ppf(level, df)
    if alternative == "greater":
        return estimate - q * se, math.inf
    return -math.inf, estimate + q * se


def t_p_value(statistic: float, df: float, alternative: Alternative) -> float:
    if alternative == "two-sided":
        return float(2 * scipy.stats.t.sf(abs(statistic), df))
    if alternative == "greater":
        return float(scipy.stats.t.sf(statistic, df))
    return float(scipy.stats.t.cdf(statistic, df))


def assert_bounds(actual: tuple[float, float], expected: tuple[float, float], rtol: float) -> None:
    for a, e in zip(actual, expected, strict=True):
        if math.isinf(e):
            assert a == e
        else:
            np.testing.assert_allclose(a, e, rtol=rtol)


@pytest.fixture(scope="module")
def revenue() -> tuple[np.ndarray, np.ndarray]:
    """Skewed per-user revenue, different sizes and spreads per arm (control, treatment)."""
    rng = np.random.default_rng(11)
    c = rng.lognormal(mean=1.0, sigma=1.0, size=1_500)
    t = rng.lognormal(mean=1.08, sigma=1.2, size=1_800)
    return c, t


# --- means: Welch's t-test --------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_mean_interval_and_p_value_equal_scipy_welch(
    revenue: tuple[np.ndarray, np.ndarray], alternative: Alternative, level: float
) -> None:
    c, t = revenue
    comp = compare_aggregates(
        Mean(name="revenue", column="y"),
        aggregates(y=c),
        aggregates(y=t),
        level=level,
        alternative=alternative,
    )
    ref = scipy.stats.ttest_ind(t, c, equal_var=False, alternative=alternative)
    ci = ref.confidence_interval(confidence_level=level)

    assert comp.absolute is not None and comp.p_value is not None
    np.testing.assert_allclose(comp.absolute.estimate, t.mean() - c.mean(), rtol=1e-12)
    assert_bounds((comp.absolute.lower, comp.absolute.upper), (ci.low, ci.high), rtol=1e-9)
    np.testing.assert_allclose(comp.p_value, ref.pvalue, rtol=1e-9)
    se = math.sqrt(c.var(ddof=1) / len(c) + t.var(ddof=1) / len(t))
    np.testing.assert_allclose(comp.absolute.std_error, se, rtol=1e-12)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_relative_lift_is_the_delta_method_closed_form(
    revenue: tuple[np.ndarray, np.ndarray], alternative: Alternative, level: float
) -> None:
    c, t = revenue
    comp = compare_aggregates(
        Mean(name="revenue", column="y"),
        aggregates(y=c),
        aggregates(y=t),
        level=level,
        alternative=alternative,
        relative_interval="delta",  # auto takes Fieller's: the control's relative SE is about 3%
    )
    mc, mt = c.mean(), t.mean()
    vc, vt = c.var(ddof=1) / len(c), t.var(ddof=1) / len(t)
    # Var(t/c) ~= Var(t)/c^2 + t^2 Var(c)/c^4 (independent arms), linear interval, Welch df
    rel = mt / mc - 1
    se = math.sqrt(vt / mc**2 + mt**2 * vc / mc**4)
    df = welch_df(c.var(ddof=1), len(c), t.var(ddof=1), len(t))

    assert comp.relative is not None and comp.relative_note is None
    np.testing.assert_allclose(comp.relative.estimate, rel, rtol=1e-12)
    np.testing.assert_allclose(comp.relative.std_error, se, rtol=1e-12)
    assert_bounds(
        (comp.relative.lower, comp.relative.upper),
        t_interval(rel, se, df, level, alternative),
        rtol=1e-9,
    )


# --- proportions: Wald variance with Welch df --------------------------------------------------


@pytest.fixture(scope="module")
def conversions() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(12)
    c = (rng.random(200_000) < 0.100).astype(float)
    t = (rng.random(220_000) < 0.103).astype(float)
    return c, t


def test_proportion_std_error_equals_statsmodels_wald(
    conversions: tuple[np.ndarray, np.ndarray],
) -> None:
    c, t = conversions
    comp = compare_aggregates(Proportion(name="cr", column="y"), aggregates(y=c), aggregates(y=t))
    ref = sm_proportion.test_proportions_2indep(
        t.sum(), len(t), c.sum(), len(c), method="wald", compare="diff", correction=False
    )

    assert comp.absolute is not None
    np.testing.assert_allclose(comp.absolute.estimate, ref.diff, rtol=1e-12)
    np.testing.assert_allclose(comp.absolute.std_error, math.sqrt(ref.variance), rtol=1e-12)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_proportion_interval_and_p_value_are_wald_variance_with_welch_t(
    conversions: tuple[np.ndarray, np.ndarray], alternative: Alternative
) -> None:
    c, t = conversions
    comp = compare_aggregates(
        Proportion(name="cr", column="y"),
        aggregates(y=c),
        aggregates(y=t),
        alternative=alternative,
    )
    pc, pt = c.mean(), t.mean()
    var_c, var_t = pc * (1 - pc), pt * (1 - pt)  # per-unit Bernoulli variance, ddof 0
    se = math.sqrt(var_c / len(c) + var_t / len(t))
    df = welch_df(var_c, len(c), var_t, len(t))

    assert comp.absolute is not None and comp.p_value is not None
    np.testing.assert_allclose(comp.absolute.std_error, se, rtol=1e-12)
    assert_bounds(
        (comp.absolute.lower, comp.absolute.upper),
        t_interval(pt - pc, se, df, 0.95, alternative),
        rtol=1e-9,
    )
    np.testing.assert_allclose(comp.p_value, t_p_value((pt - pc) / se, df, alternative), rtol=1e-9)


def test_proportion_interval_approaches_statsmodels_wald_z_interval_at_large_n(
    conversions: tuple[np.ndarray, np.ndarray],
) -> None:
    c, t = conversions
    comp = compare_aggregates(Proportion(name="cr", column="y"), aggregates(y=c), aggregates(y=t))
    low, upp = sm_proportion.confint_proportions_2indep(
        t.sum(), len(t), c.sum(), len(c), method="wald", compare="diff", correction=False
    )
    assert comp.absolute is not None
    se = comp.absolute.std_error
    pc, pt = c.mean(), t.mean()
    df = welch_df(pc * (1 - pc), len(c), pt * (1 - pt), len(t))
    # statsmodels uses z, we use t with Welch df (~4e5 here). The t quantile exceeds z by
    # (z^3 + z) / (4 df) + O(df^-2) (Cornish-Fisher), so the ends differ by about that times se;
    # twice that bound is the tolerance (about 1e-7 absolute on a 0.0017-wide half-interval).
    z = scipy.stats.norm.ppf(0.975)
    atol = 2 * (z**3 + z) / (4 * df) * se
    assert comp.absolute.lower < low and comp.absolute.upper > upp  # t is the wider
    np.testing.assert_allclose(comp.absolute.lower, low, rtol=0, atol=atol)
    np.testing.assert_allclose(comp.absolute.upper, upp, rtol=0, atol=atol)


# --- ratio metrics: delta method -----------------------------------------------------------------


def sessions(rng: np.random.Generator, n: int, ctr: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-user clicks and impressions; users differ in click propensity."""
    impressions = rng.poisson(6.0, n) + 1.0
    p = np.clip(rng.beta(2.0, 2.0 / ctr - 2.0, n), 0.0, 1.0)
    clicks = rng.binomial(impressions.astype(int), p).astype(float)
    return clicks, impressions


def linearised(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Per-unit delta-method linearisation of sum(num)/sum(den): (num - R den) / mean(den)."""
    r = num.sum() / den.sum()
    return (num - r * den) / den.mean()


@pytest.fixture(scope="module")
def ctr_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(13)
    return sessions(rng, 4_000, 0.10), sessions(rng, 4_500, 0.104)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ratio_variance_and_p_value_equal_welch_on_linearised_units(
    ctr_data: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    alternative: Alternative,
) -> None:
    (cn, cd), (tn, td) = ctr_data
    comp = compare_aggregates(
        Ratio(name="ctr", numerator="clicks", denominator="impressions"),
        aggregates(clicks=cn, impressions=cd),
        aggregates(clicks=tn, impressions=td),
        alternative=alternative,
    )
    rc, rt = cn.sum() / cd.sum(), tn.sum() / td.sum()
    var_c, var_t = linearised(cn, cd).var(ddof=1), linearised(tn, td).var(ddof=1)
    se = math.sqrt(var_c / len(cn) + var_t / len(tn))
    df = welch_df(var_c, len(cn), var_t, len(tn))

    assert comp.absolute is not None and comp.p_value is not None
    np.testing.assert_allclose(comp.control_value, rc, rtol=1e-12)
    np.testing.assert_allclose(comp.absolute.estimate, rt - rc, rtol=1e-9)
    np.testing.assert_allclose(comp.absolute.std_error, se, rtol=1e-9)
    np.testing.assert_allclose(comp.p_value, t_p_value((rt - rc) / se, df, alternative), rtol=1e-9)
    assert_bounds(
        (comp.absolute.lower, comp.absolute.upper),
        t_interval(rt - rc, se, df, 0.95, alternative),
        rtol=1e-9,
    )


@pytest.mark.slow
def test_ratio_delta_variance_matches_a_simulation() -> None:
    rng = np.random.default_rng(14)
    n, reps = 400, 4_000
    c, t = sessions(rng, n * reps, 0.10), sessions(rng, n * reps, 0.10)
    # Delta-method variance of the difference for arms of n units: aggregates over all rows give
    # the per-unit variances precisely, and se^2 * reps rescales them from n * reps units to n.
    comp = compare_aggregates(
        Ratio(name="ctr", numerator="clicks", denominator="impressions"),
        aggregates(clicks=c[0], impressions=c[1]),
        aggregates(clicks=t[0], impressions=t[1]),
    )
    assert comp.absolute is not None
    delta = comp.absolute.std_error**2 * reps
    # The spread of the estimated difference over `reps` experiments of n units per arm.
    ratio = [num.reshape(reps, n).sum(1) / den.reshape(reps, n).sum(1) for num, den in (c, t)]
    simulated = np.var(ratio[1] - ratio[0], ddof=1)
    # Approximate reference: the simulated variance has a Monte Carlo relative sd of
    # sqrt(2 / reps) ~ 2.2 % and the delta method an O(1/n) bias; 10 % is ~4 sd.
    np.testing.assert_allclose(delta, simulated, rtol=0.10)


# --- CUPED ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_pre_period() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(15)
    x_c = rng.gamma(2.0, 5.0, 3_000)
    x_t = rng.gamma(2.0, 5.0, 3_300)
    y_c = 3.0 + 0.8 * x_c + rng.normal(0.0, 4.0, len(x_c))
    y_t = 3.4 + 0.8 * x_t + rng.normal(0.0, 4.5, len(x_t))
    return {"x_c": x_c, "y_c": y_c, "x_t": x_t, "y_t": y_t}


def cuped_theta(y_c: np.ndarray, x_c: np.ndarray, y_t: np.ndarray, x_t: np.ndarray) -> float:
    """theta minimising Var of the adjusted difference: sums of per-arm moments over n."""
    num = np.cov(y_c, x_c)[0, 1] / len(y_c) + np.cov(y_t, x_t)[0, 1] / len(y_t)
    den = x_c.var(ddof=1) / len(x_c) + x_t.var(ddof=1) / len(x_t)
    return float(num / den)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_cuped_mean_equals_welch_on_adjusted_rows(
    with_pre_period: dict[str, np.ndarray], alternative: Alternative
) -> None:
    d = with_pre_period
    comp = compare_aggregates(
        Mean(name="revenue", column="y", covariate="x"),
        aggregates(y=d["y_c"], x=d["x_c"]),
        aggregates(y=d["y_t"], x=d["x_t"]),
        alternative=alternative,
    )
    theta = cuped_theta(d["y_c"], d["x_c"], d["y_t"], d["x_t"])
    adj_c, adj_t = d["y_c"] - theta * d["x_c"], d["y_t"] - theta * d["x_t"]
    ref = scipy.stats.ttest_ind(adj_t, adj_c, equal_var=False, alternative=alternative)
    ci = ref.confidence_interval(0.95)

    assert comp.absolute is not None and comp.p_value is not None
    np.testing.assert_allclose(comp.cuped_theta, theta, rtol=1e-9)
    np.testing.assert_allclose(comp.absolute.estimate, adj_t.mean() - adj_c.mean(), rtol=1e-9)
    assert_bounds((comp.absolute.lower, comp.absolute.upper), (ci.low, ci.high), rtol=1e-9)
    np.testing.assert_allclose(comp.p_value, ref.pvalue, rtol=1e-9)


def test_cuped_arm_values_are_centred_on_the_pooled_covariate_mean(
    with_pre_period: dict[str, np.ndarray],
) -> None:
    d = with_pre_period
    comp = compare_aggregates(
        Mean(name="revenue", column="y", covariate="x"),
        aggregates(y=d["y_c"], x=d["x_c"]),
        aggregates(y=d["y_t"], x=d["x_t"]),
    )
    theta = cuped_theta(d["y_c"], d["x_c"], d["y_t"], d["x_t"])
    x_pool = np.concatenate([d["x_c"], d["x_t"]]).mean()
    adj_c = d["y_c"].mean() - theta * (d["x_c"].mean() - x_pool)
    adj_t = d["y_t"].mean() - theta * (d["x_t"].mean() - x_pool)

    assert comp.relative is not None
    np.testing.assert_allclose(comp.control_value, adj_c, rtol=1e-9)
    np.testing.assert_allclose(comp.treatment_value, adj_t, rtol=1e-9)
    np.testing.assert_allclose(comp.relative.estimate, adj_t / adj_c - 1, rtol=1e-9)


def test_cuped_variance_reduction_is_one_minus_the_variance_ratio(
    with_pre_period: dict[str, np.ndarray],
) -> None:
    d = with_pre_period
    comp = compare_aggregates(
        Mean(name="revenue", column="y", covariate="x"),
        aggregates(y=d["y_c"], x=d["x_c"]),
        aggregates(y=d["y_t"], x=d["x_t"]),
    )
    theta = cuped_theta(d["y_c"], d["x_c"], d["y_t"], d["x_t"])

    def var_diff(c: np.ndarray, t: np.ndarray) -> float:
        return float(c.var(ddof=1) / len(c) + t.var(ddof=1) / len(t))

    adjusted = var_diff(d["y_c"] - theta * d["x_c"], d["y_t"] - theta * d["x_t"])
    plain = var_diff(d["y_c"], d["y_t"])
    np.testing.assert_allclose(comp.variance_reduction, 1 - adjusted / plain, rtol=1e-9)
    assert comp.variance_reduction is not None and comp.variance_reduction > 0.5


def test_cuped_with_an_independent_covariate_reduces_nothing() -> None:
    rng = np.random.default_rng(16)
    y_c, y_t = rng.normal(10.0, 3.0, 5_000), rng.normal(10.2, 3.0, 5_000)
    x_c, x_t = rng.normal(0.0, 1.0, 5_000), rng.normal(0.0, 1.0, 5_000)
    comp = compare_aggregates(
        Mean(name="m", column="y", covariate="x"),
        aggregates(y=y_c, x=x_c),
        aggregates(y=y_t, x=x_t),
    )
    # reduction = squared sample correlation of the difference, ~ chi2_1 / n ~ 1e-4 here
    assert comp.variance_reduction is not None
    assert 0.0 <= comp.variance_reduction < 2e-3


def test_cuped_ratio_equals_welch_on_adjusted_linearised_rows() -> None:
    rng = np.random.default_rng(17)

    def arm(n: int, lift: float) -> dict[str, np.ndarray]:
        pre_den = rng.poisson(5.0, n) + 1.0
        propensity = rng.gamma(4.0, 0.5, n)
        pre_num = rng.poisson(pre_den * propensity).astype(float)
        den = rng.poisson(pre_den * 1.1) + 1.0
        num = rng.poisson(den * propensity * lift).astype(float)
        return {"num": num, "den": den, "pre_num": pre_num, "pre_den": pre_den}

    c, t = arm(2_000, 1.0), arm(2_200, 1.03)
    comp = compare_aggregates(
        Ratio(
            name="ctr",
            numerator="num",
            denominator="den",
            covariate_numerator="pre_num",
            covariate_denominator="pre_den",
        ),
        aggregates(**c),
        aggregates(**t),
    )

    def rows(a: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        # per-unit values whose mean is the arm's ratio and whose variance is the delta one
        y = a["num"].sum() / a["den"].sum() + linearised(a["num"], a["den"])
        x = a["pre_num"].sum() / a["pre_den"].sum() + linearised(a["pre_num"], a["pre_den"])
        return y, x

    (y_c, x_c), (y_t, x_t) = rows(c), rows(t)
    theta = cuped_theta(y_c, x_c, y_t, x_t)
    ref = scipy.stats.ttest_ind(y_t - theta * x_t, y_c - theta * x_c, equal_var=False)
    ci = ref.confidence_interval(0.95)

    assert comp.absolute is not None and comp.p_value is not None
    np.testing.assert_allclose(comp.cuped_theta, theta, rtol=1e-9)
    diff = (y_t - theta * x_t).mean() - (y_c - theta * x_c).mean()
    np.testing.assert_allclose(comp.absolute.estimate, diff, rtol=1e-9)
    assert_bounds((comp.absolute.lower, comp.absolute.upper), (ci.low, ci.high), rtol=1e-9)
    np.testing.assert_allclose(comp.p_value, ref.pvalue, rtol=1e-9)


# --- sample-ratio mismatch ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "planned"),
    [
        ({"control": 50_412, "treatment": 49_588}, {"control": 1, "treatment": 1}),
        ({"a": 50_410, "b": 29_850, "c": 19_740}, {"a": 5, "b": 3, "c": 2}),
        ({"a": 5_210, "b": 2_900, "c": 1_890}, {"a": 0.5, "b": 0.3, "c": 0.2}),
    ],
)
def test_srm_equals_scipy_chisquare(observed: dict[str, int], planned: dict[str, float]) -> None:
    check = srm_test(observed, planned)
    counts = np.array([observed[a] for a in planned], dtype=float)
    shares = np.array([planned[a] for a in planned]) / sum(planned.values())
    ref = scipy.stats.chisquare(counts, f_exp=counts.sum() * shares)

    np.testing.assert_allclose(check.statistic, ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(check.p_value, ref.pvalue, rtol=1e-9)
    assert check.mismatch == (ref.pvalue < check.threshold)


# --- multiplicity ---------------------------------------------------------------------------------

p_value_lists = st.lists(
    st.floats(0.0, 1.0, allow_subnormal=False) | st.sampled_from([0.01, 0.05, 0.5]),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(p_value_lists)
def test_holm_equals_statsmodels(p: list[float]) -> None:
    # statsmodels runs gc.collect() after every Holm correction (~0.1 s in a full session);
    # skipping it changes no number and keeps 200 examples fast
    with mock.patch("gc.collect"):
        ref = multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm(p), ref, rtol=1e-12, atol=0)


@settings(max_examples=200, deadline=None)
@given(p_value_lists)
def test_benjamini_hochberg_equals_statsmodels(p: list[float]) -> None:
    ref = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(benjamini_hochberg(p), ref, rtol=1e-12, atol=0)


# --- relative lift against a zero or negative control; symmetry ---------------------------------


def test_relative_lift_is_absent_when_the_control_mean_is_zero() -> None:
    rng = np.random.default_rng(18)
    c = np.tile([-1.0, 1.0], 500)  # mean exactly 0
    t = rng.normal(0.1, 1.0, 1_000)
    comp = compare_aggregates(Mean(name="m", column="y"), aggregates(y=c), aggregates(y=t))
    assert comp.status == "ok" and comp.absolute is not None
    assert comp.relative is None
    assert comp.relative_note is not None and "0" in comp.relative_note


def test_relative_lift_is_absent_when_the_control_proportion_is_zero() -> None:
    c, t = np.zeros(1_000), (np.arange(1_000) < 7).astype(float)
    comp = compare_aggregates(Proportion(name="cr", column="y"), aggregates(y=c), aggregates(y=t))
    assert comp.status == "ok" and comp.absolute is not None
    np.testing.assert_allclose(comp.absolute.estimate, 0.007, rtol=1e-12)
    assert comp.relative is None
    assert comp.relative_note is not None and "0" in comp.relative_note


def test_relative_lift_is_absent_when_the_control_mean_is_negative() -> None:
    rng = np.random.default_rng(19)
    c, t = rng.normal(-2.0, 1.0, 1_000), rng.normal(-1.5, 1.0, 1_000)
    comp = compare_aggregates(Mean(name="m", column="y"), aggregates(y=c), aggregates(y=t))
    assert comp.absolute is not None and comp.absolute.estimate > 0
    assert comp.relative is None
    assert comp.relative_note is not None and "negative" in comp.relative_note


arm_estimates = st.builds(
    ArmEstimate,
    value=st.floats(-1e3, 1e3),
    variance=st.floats(1e-6, 1e3),
    n=st.integers(2, 10**6),
)


@settings(max_examples=200, deadline=None)
@given(c=arm_estimates, t=arm_estimates, level=st.sampled_from(LEVELS))
# found by hypothesis: a control value of 4e-106 underflows c**4 in the relative variance
@example(c=ArmEstimate(0.0, 1.0, 2), t=ArmEstimate(3.972769521136303e-106, 1.0, 2), level=0.9)
def test_swapping_arms_flips_the_sign_of_the_absolute_lift(
    c: ArmEstimate, t: ArmEstimate, level: float
) -> None:
    forward = compare(c, t, level=level)
    backward = compare(t, c, level=level)
    assert backward.absolute.estimate == -forward.absolute.estimate
    assert backward.absolute.std_error == forward.absolute.std_error
    np.testing.assert_allclose(backward.absolute.lower, -forward.absolute.upper, rtol=1e-12)
    np.testing.assert_allclose(backward.absolute.upper, -forward.absolute.lower, rtol=1e-12)
    assert backward.df == forward.df
    np.testing.assert_allclose(backward.p_value, forward.p_value, rtol=1e-12)
    # one-sided: "treatment greater" one way is "treatment less" the other way
    np.testing.assert_allclose(
        compare(t, c, level=level, alternative="less").p_value,
        compare(c, t, level=level, alternative="greater").p_value,
        rtol=1e-12,
    )


@pytest.mark.parametrize("scale", [1e-80, 1e-30, 1e30, 1e80])
def test_lift_does_not_depend_on_the_unit_of_measurement(scale: float) -> None:
    # Rescaling both arms by k (values x k, variances x k^2) leaves every unitless output alone.
    c, t = ArmEstimate(2.0, 0.01, 500), ArmEstimate(2.1, 0.012, 600)
    base = compare(c, t)
    scaled = compare(
        ArmEstimate(c.value * scale, c.variance * scale**2, c.n),
        ArmEstimate(t.value * scale, t.variance * scale**2, t.n),
    )
    assert base.relative is not None and scaled.relative is not None
    np.testing.assert_allclose(scaled.relative.estimate, base.relative.estimate, rtol=1e-12)
    np.testing.assert_allclose(scaled.relative.std_error, base.relative.std_error, rtol=1e-9)
    np.testing.assert_allclose(scaled.relative.lower, base.relative.lower, rtol=1e-9)
    np.testing.assert_allclose(scaled.df, base.df, rtol=1e-9)
    np.testing.assert_allclose(scaled.p_value, base.p_value, rtol=1e-9)
    np.testing.assert_allclose(scaled.absolute.lower, base.absolute.lower * scale, rtol=1e-9)
