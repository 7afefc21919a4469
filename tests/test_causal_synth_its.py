"""Interrupted time series numerics: the pre-period regression against statsmodels, CausalPy's
shipped example with a known effect, and the coverage and false-positive rate of the average
effect's interval in simulations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import gamma

from mlroi.causal.its import fit_its, its_design
from mlroi.errors import EstimationError

DATA = Path(__file__).parent / "data" / "causal"


def _series(seed: int = 1, T: int = 120, phi: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    controls = rng.normal(size=(T, 2)).cumsum(0)
    X, _ = its_design(
        T, controls=controls, control_names=("a", "b"), trend=True, seasons=np.arange(T) % 7
    )
    e = rng.normal(size=T)
    for i in range(1, T):
        e[i] += phi * e[i - 1]
    return X @ rng.normal(size=X.shape[1]) + e, X


def test_coefficients_and_standard_errors_match_statsmodels_ols() -> None:
    y, X = _series()
    fit = fit_its(y, X, 90, level=0.95)
    ref = sm.OLS(y[:90], X[:90]).fit()
    np.testing.assert_allclose(fit.coefficients, ref.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.std_errors, ref.bse, rtol=0, atol=1e-8)
    assert fit.r_squared == pytest.approx(ref.rsquared, abs=1e-10)


def test_counterfactual_intervals_are_statsmodels_prediction_intervals() -> None:
    y, X = _series()
    fit = fit_its(y, X, 90, level=0.9)
    frame = sm.OLS(y[:90], X[:90]).fit().get_prediction(X[90:]).summary_frame(alpha=0.1)
    np.testing.assert_allclose([c.estimate for c in fit.counterfactual], frame["mean"], atol=1e-8)
    np.testing.assert_allclose([c.lower for c in fit.counterfactual], frame.obs_ci_lower, atol=1e-8)
    np.testing.assert_allclose([c.upper for c in fit.counterfactual], frame.obs_ci_upper, atol=1e-8)
    # The effect's interval is the prediction interval seen from the actual value.
    np.testing.assert_allclose(
        [e.upper for e in fit.effect], y[90:] - frame.obs_ci_lower.to_numpy(), atol=1e-8
    )


def test_cumulative_variance_with_independent_errors_is_the_classical_one() -> None:
    """With ``autocorrelated=False`` the sum of the first m effects has variance
    ``a' s^2 (X'X)^-1 a + m s^2`` (statsmodels' covariance of the coefficients)."""
    y, X = _series()
    fit = fit_its(y, X, 90, level=0.95, autocorrelated=False)
    ref = sm.OLS(y[:90], X[:90]).fit()
    for m in (1, 5, 30):
        a = X[90 : 90 + m].sum(axis=0)
        expected = float(a @ ref.cov_params() @ a) + m * ref.scale
        assert fit.cumulative[m - 1].std_error ** 2 == pytest.approx(expected, rel=1e-8)


def test_cumulative_variance_under_ar1_errors_matches_the_gls_sandwich() -> None:
    """Under AR(1) errors with the residuals' bias-corrected lag-1 autocorrelation r, the
    cumulative variance
    is ``a' (X'X)^-1 X' Omega X (X'X)^-1 a + 1' Omega_m 1`` with ``Omega_ij = s^2 r^|i-j|``
    (built here directly from statsmodels' residuals and scale, brute force)."""
    y, X = _series()
    fit = fit_its(y, X, 90, level=0.95)
    ref = sm.OLS(y[:90], X[:90]).fit()
    e = ref.resid
    raw = float(e[1:] @ e[:-1]) / float(e @ e)
    k = X.shape[1]
    r = raw + (1 + 3 * raw + k - 1) / 90  # Kendall's bias plus one 1/n per other term
    assert fit.lag1_autocorrelation == pytest.approx(raw, abs=1e-12)
    assert fit.error_autocorrelation == pytest.approx(r, abs=1e-12)
    idx = np.arange(90 + 30)
    omega = ref.scale * r ** np.abs(idx[:, None] - idx[None, :])
    xtx_inv = np.linalg.inv(X[:90].T @ X[:90])
    cov = xtx_inv @ X[:90].T @ omega[:90, :90] @ X[:90] @ xtx_inv
    for m in (1, 7, 30):
        a = X[90 : 90 + m].sum(axis=0)
        future = omega[90 : 90 + m, 90 : 90 + m].sum()
        assert fit.cumulative[m - 1].std_error ** 2 == pytest.approx(
            float(a @ cov @ a) + future, rel=1e-8
        )


def test_causalpy_its_example_recovers_the_known_effect() -> None:
    """CausalPy's ``its.csv``: y = 0.2 t + 2 month effect + 100 gamma(10).pdf(t - 84) + N(0, 2);
    the fit of trend and month dummies on 2010-2016 recovers the slope and noise, and the
    intervals hold the known effect (cumulative ~100 over 2017-2019)."""
    df = pd.read_csv(DATA / "causalpy_its.csv", parse_dates=["date"])
    t0 = int(np.argmax(df.date > pd.Timestamp("2017-01-01")))
    assert t0 == 84
    truth = 100 * gamma(10).pdf(np.arange(len(df)) - t0)[t0:]
    X, names = its_design(len(df), trend=True, seasons=df.month.to_numpy() - 1)
    fit = fit_its(df.y.to_numpy(), X, t0, level=0.95, names=names)
    assert fit.coefficients[names.index("trend")] == pytest.approx(0.2, abs=0.02)
    assert fit.residual_sd == pytest.approx(2.0, abs=0.3)
    covered = np.mean([e.contains(v) for e, v in zip(fit.effect, truth, strict=True)])
    assert covered >= 0.9  # pointwise 95% intervals: 33 of 36 months measured
    assert fit.cumulative[-1].contains(float(truth.sum()))
    assert fit.average.contains(float(truth.mean()))


def test_too_few_pre_periods_for_the_design_is_refused() -> None:
    y, X = _series(T=40)
    with pytest.raises(EstimationError, match="needs at least 20"):
        fit_its(y, X, 15, level=0.95)


def test_constant_control_is_named() -> None:
    y, X = _series()
    X = np.column_stack([X, np.ones(len(y))])
    with pytest.raises(EstimationError, match="'const'"):
        fit_its(y, X, 90, level=0.95, names=(*[f"c{i}" for i in range(X.shape[1] - 1)], "const"))


def _simulate(phi: float, effect: float, reps: int, seed: int, n: int = 300) -> tuple[float, float]:
    """Share of average-effect intervals covering ``effect``, and share excluding 0."""
    rng = np.random.default_rng(seed)
    m = 30
    T = n + m
    covered = rejected = 0
    for _ in range(reps):
        control = rng.normal(size=T).cumsum() * 0.3 + rng.normal(size=T)
        e = rng.normal(size=T)
        for i in range(1, T):
            e[i] += phi * e[i - 1]
        y = 2.0 + 1.5 * control + e
        y[n:] += effect
        X, _ = its_design(T, controls=control[:, None], control_names=("c",), trend=True)
        fit = fit_its(y, X, n, level=0.95)
        covered += fit.average.contains(effect)
        rejected += not fit.average.contains(0.0)
    return covered / reps, rejected / reps


@pytest.mark.parametrize(("n", "phi"), [(100, 0.0), (100, 0.3), (300, 0.3), (300, 0.6)])
def test_average_effect_interval_covers_95_percent(n: int, phi: float) -> None:
    """1,000 series (n pre-periods, 30 post, one control, trend; AR(1) errors) with an effect
    of 0.5 per period: coverage of the 95% interval within [93%, 97%]."""
    coverage, _ = _simulate(phi, 0.5, 1000, seed=13, n=n)
    assert 0.93 <= coverage <= 0.97


@pytest.mark.parametrize(("n", "phi"), [(100, 0.0), (300, 0.3)])
def test_false_positive_rate_without_effect_at_most_6_percent(n: int, phi: float) -> None:
    _, fpr = _simulate(phi, 0.0, 1000, seed=14, n=n)
    assert fpr <= 0.06
