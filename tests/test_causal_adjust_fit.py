"""The adjustment estimators on arrays: statsmodels for the models, a direct numpy
implementation of RA/IPW/AIPW and their influence functions on rows for every figure."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from causal_adjust_data import COVARIATES, users
from mlroi.causal.adjust_fit import ArrayReducer, fit_adjustment
from mlroi.errors import DataError


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return users(3000, 3.0, np.random.default_rng(7))


@pytest.fixture(scope="module")
def fit(data):
    x, t, y = data
    return fit_adjustment(ArrayReducer(x, t, y), COVARIATES, trim=(0.0, 1.0))


def test_propensity_coefficients_equal_statsmodels_logit(data, fit) -> None:
    x, t, _ = data
    ref = sm.Logit(t, sm.add_constant(x)).fit(disp=0, tol=1e-12, maxiter=100).params
    assert np.allclose(fit.propensity_coef, ref, rtol=1e-6, atol=1e-9)
    glm = sm.GLM(t, sm.add_constant(x), family=sm.families.Binomial()).fit(tol=1e-12).params
    assert np.allclose(fit.propensity_coef, glm, rtol=1e-6, atol=1e-9)


def _reference(x, t, y):
    """Textbook RA, IPW (Hajek) and AIPW with their influence functions, row by row."""
    X = sm.add_constant(x)
    n = len(t)
    logit = sm.Logit(t, X).fit(disp=0, tol=1e-12, maxiter=100)
    e = logit.predict(X)
    ols1 = sm.OLS(y[t == 1], X[t == 1]).fit()
    ols0 = sm.OLS(y[t == 0], X[t == 0]).fit()
    m1, m0 = X @ ols1.params, X @ ols0.params
    out = {}
    n1 = t.sum()
    # regression adjustment
    att = np.mean(y[t == 1] - m0[t == 1])
    M0 = X[t == 0].T @ X[t == 0] / n
    c0 = np.linalg.solve(M0, X[t == 1].sum(0) / n)
    psi = (t * (y - m0 - att) - (1 - t) * (y - m0) * (X @ c0)) / (n1 / n)
    out["att", "regression"] = (att, np.sqrt(np.sum(psi**2)) / n)
    ate = np.mean(m1 - m0)
    M1 = X[t == 1].T @ X[t == 1] / n
    xbar = X.mean(0)
    psi = (m1 - m0 - ate) + t * (y - m1) * (X @ np.linalg.solve(M1, xbar))
    psi -= (1 - t) * (y - m0) * (X @ np.linalg.solve(M0, xbar))
    out["ate", "regression"] = (ate, np.sqrt(np.sum(psi**2)) / n)
    # IPW with the propensity's estimation in the influence function (stacked equations)
    H = (X * (e * (1 - e))[:, None]).T @ X / n
    score = X * (t - e)[:, None]
    odds = e / (1 - e)
    for est, w1, w0, d1, d0 in (
        ("att", t, (1 - t) * odds, 0 * t, (1 - t) * odds),
        ("ate", t / e, (1 - t) / (1 - e), -t * (1 - e) / e, (1 - t) * odds),
    ):
        mu1, mu0 = np.sum(w1 * y) / np.sum(w1), np.sum(w0 * y) / np.sum(w0)
        W1, W0 = w1.mean(), w0.mean()
        G1 = (X * (d1 * (y - mu1))[:, None]).mean(0)
        G0 = (X * (d0 * (y - mu0))[:, None]).mean(0)
        psi = (w1 * (y - mu1) + score @ np.linalg.solve(H, G1)) / W1
        psi -= (w0 * (y - mu0) + score @ np.linalg.solve(H, G0)) / W0
        out[est, "ipw"] = (mu1 - mu0, np.sqrt(np.sum(psi**2)) / n)
    # AIPW
    phi = m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e)
    out["ate", "aipw"] = (phi.mean(), np.std(phi) / np.sqrt(n))
    phi = t * (y - m0) - (1 - t) * odds * (y - m0)
    tau = phi.sum() / n1
    psi = (phi - tau * t) / (n1 / n)
    out["att", "aipw"] = (tau, np.sqrt(np.sum(psi**2)) / n)
    return out


def test_every_estimate_and_standard_error_equals_a_direct_row_implementation(data, fit) -> None:
    ref = _reference(*data)
    for (est, name), (tau, se) in ref.items():
        got = fit.estimates[est][name]
        assert got.estimate == pytest.approx(tau, rel=1e-8, abs=1e-10), (est, name)
        assert got.std_error == pytest.approx(se, rel=1e-8), (est, name)


def test_regression_ate_with_fixed_covariates_is_the_hc0_se_of_the_interacted_regression(
    data, fit
) -> None:
    x, t, y = data
    xc = x - x.mean(0)
    design = np.column_stack([np.ones_like(t), t, xc, xc * t[:, None]])
    ols = sm.OLS(y, design).fit(cov_type="HC0")
    assert fit.estimates["ate"]["regression"].estimate == pytest.approx(ols.params[1], rel=1e-9)
    assert fit.ra_ate_fixed_x_se == pytest.approx(ols.bse[1], rel=1e-8)


def test_pooled_regression_t_statistic_equals_statsmodels_ols(data, fit) -> None:
    x, t, y = data
    ols = sm.OLS(y, np.column_stack([np.ones_like(t), x, t])).fit()
    assert fit.regression.coef == pytest.approx(ols.params[-1], rel=1e-9)
    assert fit.regression.std_error == pytest.approx(ols.bse[-1], rel=1e-8)
    assert fit.regression.df == int(ols.df_resid)


def test_naive_difference_is_biased_and_adjusted_estimates_recover_the_effect(fit) -> None:
    assert fit.naive.estimate > 3.0 + 5 * fit.naive.std_error
    for est in ("att", "ate"):
        for name in ("regression", "ipw", "aipw"):
            e = fit.estimates[est][name]
            assert abs(e.estimate - 3.0) < 3.5 * e.std_error, (est, name)


def test_trimming_drops_units_outside_the_bounds(data) -> None:
    x, t, y = data
    f = fit_adjustment(ArrayReducer(x, t, y), COVARIATES, trim=(0.1, 0.9))
    e = 1 / (1 + np.exp(-(sm.add_constant(x) @ np.array(f.propensity_coef))))
    kept = (e >= 0.1) & (e <= 0.9)
    assert f.kept == {1: int(np.sum(kept & (t == 1))), 0: int(np.sum(kept & (t == 0)))}
    assert sum(f.histogram[1]) == int(t.sum())
    # the propensity is fitted on every unit; the outcome model on the kept ones
    X, tk, yk, ek = sm.add_constant(x)[kept], t[kept], y[kept], e[kept]
    m0 = X @ sm.OLS(yk[tk == 0], X[tk == 0]).fit().params
    phi = tk * (yk - m0) - (1 - tk) * ek / (1 - ek) * (yk - m0)
    assert f.estimates["att"]["aipw"].estimate == pytest.approx(phi.sum() / tk.sum(), rel=1e-8)


def test_weighting_balances_the_covariates() -> None:
    x, t, y = users(30_000, 3.0, np.random.default_rng(7))
    fit = fit_adjustment(ArrayReducer(x, t, y), COVARIATES)
    assert max(abs(d) for d in fit.smd_before) > 0.3
    for est in ("att", "ate"):
        assert max(abs(d) for d in fit.smd_after[est]) < 0.05


def test_constant_treatment_is_refused() -> None:
    x, t, y = users(200, 1.0, np.random.default_rng(1))
    with pytest.raises(DataError, match=r"'exposed'.*both arms"):
        fit_adjustment(ArrayReducer(x, np.ones_like(t), y), COVARIATES, treatment="exposed")


def test_covariate_without_variance_is_named() -> None:
    x, t, y = users(200, 1.0, np.random.default_rng(1))
    x[:, 2] = 4.0
    with pytest.raises(DataError, match="'purchases' takes one value"):
        fit_adjustment(ArrayReducer(x, t, y), COVARIATES)


def test_perfect_separation_names_the_covariate() -> None:
    x, t, y = users(400, 1.0, np.random.default_rng(1))
    t = (x[:, 1] > 2).astype(float)
    with pytest.raises(DataError, match=r"'searches'.*separates"):
        fit_adjustment(ArrayReducer(x, t, y), COVARIATES)
