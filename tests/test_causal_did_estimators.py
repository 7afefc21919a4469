"""Difference-in-differences estimators against statsmodels and closed forms.

Tolerances: 1e-8 relative on coefficients and clustered standard errors against statsmodels'
dummy regression (the same least squares solved another way); 1e-10 on the 2x2 closed form and on
Callaway and Sant'Anna's group-time effects against the difference of mean changes; the
influence-function standard error of the aggregated effect within 10% of a 2,000-resample unit
bootstrap (Monte Carlo error of a bootstrap standard error with 2,000 resamples is about 1.6%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from mlroi.causal.did_panel import NEVER
from mlroi.causal.did_staggered import callaway_santanna
from mlroi.causal.did_twfe import event_study, fixed_effects, two_by_two

REL = 1e-8


def _panel(seed: int, units: int = 30, periods: int = 8, gaps: float = 0.0) -> pd.DataFrame:
    """Staggered adoption (some never treated), unit effects, a trend, AR(1)-ish noise."""
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(units), periods)
    t = np.tile(np.arange(periods), units)
    first = rng.choice([3, 5, NEVER], units)
    d = (t >= first[u]).astype(float)
    noise = rng.normal(size=units)[u] * 0.5 + rng.normal(size=units * periods)
    y = rng.normal(size=units)[u] + 0.3 * t + 1.5 * d + noise
    keep = rng.random(units * periods) >= gaps
    return pd.DataFrame({"y": y, "u": u, "t": t, "d": d, "first": first[u]})[keep]


def _codes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.unique(df.u, return_inverse=True)[1].astype(np.int64),
        np.unique(df.t, return_inverse=True)[1].astype(np.int64),
    )


@pytest.mark.parametrize("gaps", [0.0, 0.15])
def test_twfe_matches_statsmodels_dummy_regression_clustered(gaps: float) -> None:
    df = _panel(1, gaps=gaps)
    ref = smf.ols("y ~ d + C(u) + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": df.u})
    u, t = _codes(df)
    reg = fixed_effects(df.y.to_numpy(), df[["d"]].to_numpy(), u, t, count_nested=True)
    assert reg.coef[0] == pytest.approx(ref.params["d"], rel=REL)
    assert np.sqrt(reg.cov[0, 0]) == pytest.approx(ref.bse["d"], rel=REL)


def test_twfe_weighted_matches_statsmodels_wls() -> None:
    df = _panel(2, gaps=0.1)
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(df))
    ref = smf.wls("y ~ d + C(u) + C(t)", df, weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": df.u}
    )
    u, t = _codes(df)
    reg = fixed_effects(df.y.to_numpy(), df[["d"]].to_numpy(), u, t, weights=w, count_nested=True)
    assert reg.coef[0] == pytest.approx(ref.params["d"], rel=REL)
    assert np.sqrt(reg.cov[0, 0]) == pytest.approx(ref.bse["d"], rel=REL)


def test_default_small_sample_factor_leaves_out_the_nested_unit_effects() -> None:
    """CR1 with K = regressors + period effects (Stata's xtreg/reghdfe): statsmodels'
    uncorrected cluster covariance times G/(G-1) (n-1)/(n-K)."""
    df = _panel(4)
    raw = smf.ols("y ~ d + C(u) + C(t)", df).fit(
        cov_type="cluster", cov_kwds={"groups": df.u, "use_correction": False}
    )
    u, t = _codes(df)
    reg = fixed_effects(df.y.to_numpy(), df[["d"]].to_numpy(), u, t)
    g, n, k = 30, len(df), 1 + 8
    factor = g / (g - 1) * (n - 1) / (n - k)
    assert reg.k == k
    assert reg.cov[0, 0] == pytest.approx(raw.cov_params().loc["d", "d"] * factor, rel=REL)


def test_naive_period_effects_only_matches_statsmodels() -> None:
    df = _panel(5)
    ref = smf.ols("y ~ d + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": df.u})
    u, t = _codes(df)
    reg = fixed_effects(df.y.to_numpy(), df[["d"]].to_numpy(), u, t, unit_effects=False)
    assert reg.coef[0] == pytest.approx(ref.params["d"], rel=REL)
    assert np.sqrt(reg.cov[0, 0]) == pytest.approx(ref.bse["d"], rel=REL)


def test_two_by_two_equals_twfe_on_a_balanced_single_date_panel() -> None:
    df = _panel(6)
    df = df[df["first"] != 5]  # one adoption date (period 3)
    treated = (df["first"] != NEVER).to_numpy()
    after = (df.t >= 3).to_numpy()
    simple = two_by_two(df.y.to_numpy(), treated, after)
    u, t = _codes(df)
    reg = fixed_effects(df.y.to_numpy(), df[["d"]].to_numpy(), u, t)
    by_hand = (
        df.y[treated & after].mean()
        - df.y[treated & ~after].mean()
        - (df.y[~treated & after].mean() - df.y[~treated & ~after].mean())
    )
    assert simple.effect == pytest.approx(by_hand, rel=1e-10)
    assert reg.coef[0] == pytest.approx(by_hand, rel=1e-10)


def test_event_study_matches_statsmodels_relative_period_dummies() -> None:
    df = _panel(7)
    df = df.assign(rel=np.where(df["first"] == NEVER, 99, df.t - df["first"]))
    keep = sorted(k for k in df.rel.unique() if k not in (-1, 99))
    for k in keep:
        df[f"r{k + 10}"] = (df.rel == k).astype(float)
    names = [f"r{k + 10}" for k in keep]
    ref = smf.ols("y ~ " + " + ".join(names) + " + C(u) + C(t)", df).fit(
        cov_type="cluster", cov_kwds={"groups": df.u, "use_correction": False}
    )
    u, t = _codes(df)
    first = df.groupby("u")["first"].first().to_numpy()
    es = event_study(df.y.to_numpy(), u, t, first, never=NEVER)
    assert [c.relative for c in es.coefficients] == keep
    g, n, k_params = 30, len(df), len(keep) + 8
    factor = g / (g - 1) * (n - 1) / (n - k_params)
    for c, name in zip(es.coefficients, names, strict=True):
        assert c.effect.estimate == pytest.approx(ref.params[name], rel=REL)
        se = np.sqrt(ref.cov_params().loc[name, name] * factor)
        assert c.effect.std_error == pytest.approx(se, rel=REL)
    pre = [name for c, name in zip(es.coefficients, names, strict=True) if c.relative < -1]
    b = ref.params[pre].to_numpy()
    v = ref.cov_params().loc[pre, pre].to_numpy() * factor
    assert es.pre_trend is not None
    assert es.pre_trend.test == "F"
    assert es.pre_trend.df == len(pre)
    assert es.pre_trend.df_denominator == g - 1
    assert es.pre_trend.statistic == pytest.approx(b @ np.linalg.solve(v, b) / len(pre), rel=1e-7)


def _staggered(seed: int, units: int = 300, periods: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    first = rng.choice([2, 3, 4, NEVER], units)
    t = np.arange(periods)
    since = t[None, :] - first[:, None]
    effect = np.where(since >= 0, 1.0 + 0.5 * since, 0.0)
    y = rng.normal(size=(units, 1)) + 0.2 * t[None, :] + effect + rng.normal(size=(units, periods))
    return y, first


@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_group_time_effects_are_differences_of_mean_changes_with_hc0_errors(control: str) -> None:
    """Each ATT(g, t) is the 2x2 of mean changes; its influence-function standard error is the
    HC0 standard error of the regression of the change on the group indicator."""
    y, first = _staggered(8)
    cs = callaway_santanna(y, first, control=control)  # type: ignore[arg-type]
    assert len(cs.group_time) == 3 * 5
    for c in cs.group_time:
        in_g = first == c.group
        ctrl = first == NEVER if control == "never" else (first > c.period) & ~in_g
        dy = y[:, c.period] - y[:, c.base]
        ref = sm.OLS(dy[in_g | ctrl], sm.add_constant(in_g[in_g | ctrl].astype(float))).fit(
            cov_type="HC0"
        )
        assert c.effect.estimate == pytest.approx(ref.params[1], rel=1e-10, abs=1e-12)
        assert c.effect.std_error == pytest.approx(ref.bse[1], rel=1e-10)
        assert c.base == (c.group - 1 if c.period >= c.group else c.period - 1)


def test_aggregates_are_group_size_weighted_averages() -> None:
    y, first = _staggered(9)
    cs = callaway_santanna(y, first)
    post = [c for c in cs.group_time if c.post]
    sizes = np.array([(first == c.group).sum() for c in post], dtype=float)
    effects = np.array([c.effect.estimate for c in post])
    assert cs.simple.estimate == pytest.approx(sizes @ effects / sizes.sum(), rel=1e-12)
    e0 = [c for c in cs.group_time if c.event_time == 0]
    s0 = np.array([(first == c.group).sum() for c in e0], dtype=float)
    ev0 = next(e for e in cs.event if e.event_time == 0)
    assert ev0.effect.estimate == pytest.approx(
        s0 @ np.array([c.effect.estimate for c in e0]) / s0.sum(), rel=1e-12
    )


def test_aggregate_standard_error_agrees_with_a_unit_bootstrap() -> None:
    y, first = _staggered(10)
    cs = callaway_santanna(y, first)
    rng = np.random.default_rng(11)
    draws = []
    for _ in range(2000):
        pick = rng.integers(0, len(first), len(first))
        draws.append(callaway_santanna(y[pick], first[pick]).simple.estimate)
    assert cs.simple.std_error == pytest.approx(np.std(draws, ddof=1), rel=0.10)


def test_pre_trend_test_is_the_chi_square_of_pre_adoption_effects() -> None:
    y, first = _staggered(12)
    cs = callaway_santanna(y, first)
    assert cs.pre_trend is not None
    assert cs.pre_trend.test == "chi-square"
    assert cs.pre_trend.df == sum(not c.post for c in cs.group_time)


def test_synthetic_did_removes_the_bias_of_a_treated_unit_on_a_steeper_trend() -> None:
    """Comparison units load on a common trend with slopes from 0.5 to 1.5; the treated unit's
    slope is 1.3, so plain DiD (slope 1 on average) is biased; the unit weights favour the
    steeper units and the estimate is within 0.2 of the true 4 (the ridge penalty keeps the
    weights from matching exactly)."""
    from mlroi.causal.did_synthetic import synthetic_did

    rng = np.random.default_rng(21)
    t = np.arange(12.0)
    slope = np.linspace(0.5, 1.5, 40)
    controls = rng.normal(size=(40, 1)) + slope[:, None] * t + 0.1 * rng.normal(size=(40, 12))
    treated = 5.0 + 1.3 * t + 0.1 * rng.normal(size=12)
    treated[8:] += 4.0
    y = np.vstack([controls, treated])
    tau, weights = synthetic_did(y, 40, 8)
    plain = two_by_two(y.ravel(), np.repeat(np.arange(41) == 40, 12), np.tile(t >= 8, 41)).effect
    assert abs(plain - 4.0) > 1.0
    assert abs(tau - 4.0) < 0.2 < abs(plain - 4.0) / 5
    assert weights.omega.sum() == pytest.approx(1.0) and (weights.omega >= 0).all()
    assert weights.lambda_.sum() == pytest.approx(1.0) and (weights.lambda_ >= 0).all()


def test_closed_form_event_study_equals_the_regression_on_a_balanced_single_date_panel() -> None:
    from mlroi.causal.did_twfe import event_study_balanced

    rng = np.random.default_rng(23)
    units, periods, adoption = 25, 9, 5
    treated = np.arange(units) < 10
    y = (
        rng.normal(size=(units, 1))
        + rng.normal(size=(1, periods))
        + rng.normal(size=(units, periods))
    )
    y[treated, adoption:] += 1.0
    u = np.repeat(np.arange(units), periods)
    t = np.tile(np.arange(periods), units)
    first = np.where(treated, adoption, NEVER)
    general = event_study(y.ravel(), u, t, first, never=NEVER)
    fast = event_study_balanced(y, treated, adoption)
    assert [c.relative for c in fast.coefficients] == [c.relative for c in general.coefficients]
    for a, b in zip(fast.coefficients, general.coefficients, strict=True):
        assert a.effect.estimate == pytest.approx(b.effect.estimate, rel=1e-9, abs=1e-12)
        assert a.effect.std_error == pytest.approx(b.effect.std_error, rel=1e-9)
    assert fast.pre_trend is not None and general.pre_trend is not None
    assert fast.pre_trend.statistic == pytest.approx(general.pre_trend.statistic, rel=1e-9)


def test_pre_trend_from_scores_equals_the_wald_statistic_with_the_explicit_covariance() -> None:
    from mlroi.causal.did_twfe import wald_zero

    y, first = _staggered(14, units=60)
    cs = callaway_santanna(y, first)
    pre = [c for c in cs.group_time if not c.post]
    # recompute the influence functions of the pre-adoption cells by hand
    n = len(first)
    psi = []
    for c in pre:
        in_g, ctrl = first == c.group, first == NEVER
        dy = y[:, c.period] - y[:, c.base]
        p = np.zeros(n)
        p[in_g] = n / in_g.sum() * (dy[in_g] - dy[in_g].mean())
        p[ctrl] -= n / ctrl.sum() * (dy[ctrl] - dy[ctrl].mean())
        psi.append(p)
    psi_m = np.column_stack(psi)
    ref = wald_zero(
        np.array([c.effect.estimate for c in pre]), psi_m.T @ psi_m / n**2, df_denominator=None
    )
    assert cs.pre_trend is not None
    assert cs.pre_trend.statistic == pytest.approx(ref.statistic, rel=1e-8)
    assert cs.pre_trend.df == ref.df


def test_pre_trend_with_more_pre_periods_than_units_uses_the_pseudo_inverse() -> None:
    from mlroi.causal.did_staggered import wald_from_scores
    from mlroi.causal.did_twfe import wald_zero

    rng = np.random.default_rng(15)
    psi = rng.normal(size=(6, 11))
    coef = rng.normal(size=11)
    ours = wald_from_scores(coef, psi, 6)
    ref = wald_zero(coef, psi.T @ psi / 36, df_denominator=None)
    assert ours is not None
    assert ours.df == ref.df == 6
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-8)
