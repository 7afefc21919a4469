"""Experiment design: sample size and MDE against statsmodels, closed forms and simulation."""

from __future__ import annotations

import doctest
import json
import math
from collections.abc import Mapping

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower

from mlroi.errors import DataError, SpecError
from mlroi.metrics import Mean, Proportion, Ratio
from mlroi.stats import power as power_module
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.power import Baseline, minimum_detectable_effect, sample_size

SM_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


def _aggregates(columns: Mapping[str, np.ndarray]) -> Aggregates:
    """Aggregates of every column pair, built from raw sums as a backend would."""
    names = sorted(columns)
    return Aggregates.from_sums(
        n=len(next(iter(columns.values()))),
        sums={k: float(np.sum(columns[k])) for k in names},
        cross_sums={
            (a, b): float(np.sum(columns[a] * columns[b]))
            for i, a in enumerate(names)
            for b in names[i:]
        },
    )


def _statsmodels_n_total(
    d: float, alpha: float, power: float, alternative: str, shares: tuple[float, float]
) -> float:
    ratio = shares[1] / shares[0]
    effect = -d if alternative == "less" else d
    nobs1 = NormalIndPower().solve_power(
        effect_size=effect,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative=SM_ALTERNATIVE[alternative],
    )
    return float(nobs1) * (1.0 + ratio)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("shares", [(0.5, 0.5), (0.3, 0.7), (0.8, 0.2)])
@pytest.mark.parametrize(("alpha", "target"), [(0.05, 0.8), (0.01, 0.9)])
def test_mean_sample_size_matches_statsmodels(
    alternative: str, shares: tuple[float, float], alpha: float, target: float
) -> None:
    baseline = Baseline(mean=25.0, variance=12.0**2)
    design = sample_size(
        baseline,
        mde=0.04,
        alpha=alpha,
        power=target,
        alternative=alternative,  # type: ignore[arg-type]
        shares=shares,
    )
    reference = _statsmodels_n_total(1.0 / 12.0, alpha, target, alternative, shares)
    # statsmodels counts the (below 1e-5) chance of rejecting in the wrong tail; we do not.
    assert design.n_exact == pytest.approx(reference, rel=1e-4)
    assert design.n_control == pytest.approx(reference * shares[0], abs=1.0)
    assert design.n_treatment == pytest.approx(reference * shares[1], abs=1.0)
    assert design.n_total == design.n_control + design.n_treatment
    assert design.mde_absolute == pytest.approx(1.0)


def test_arms_are_rounded_up_to_reach_the_target_power() -> None:
    design = sample_size(Baseline(mean=10.0, variance=9.0), mde=0.05, shares=(0.3, 0.7))
    assert design.n_control == math.ceil(design.n_exact * 0.3)
    assert design.n_treatment == math.ceil(design.n_exact * 0.7)
    z = norm.ppf(0.975) + norm.ppf(0.8)
    assert design.std_error <= design.mde_absolute / z


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
@pytest.mark.parametrize("shares", [(0.5, 0.5), (0.25, 0.75)])
def test_mde_inverts_sample_size(alternative: str, shares: tuple[float, float]) -> None:
    baseline = Baseline(mean=3.2, variance=7.5, variance_reduction=0.3)
    kwargs = {"alpha": 0.05, "power": 0.8, "alternative": alternative, "shares": shares}
    sized = sample_size(baseline, mde=0.02, **kwargs)  # type: ignore[arg-type]
    back = minimum_detectable_effect(baseline, n_total=sized.n_total, **kwargs)  # type: ignore[arg-type]
    # Rounding up to whole units can only shrink the detectable effect, and by under 0.1% here.
    assert back.mde_relative is not None
    assert 0.02 * (1 - 1e-3) <= back.mde_relative <= 0.02
    assert back.n_control == sized.n_control
    assert back.n_treatment == sized.n_treatment


def test_sample_size_inverts_mde() -> None:
    baseline = Baseline(mean=0.0, variance=2.0)
    mde = minimum_detectable_effect(baseline, n_total=10_000, alternative="less")
    sized = sample_size(baseline, mde=mde.mde_absolute, relative=False, alternative="less")
    assert sized.n_exact == pytest.approx(10_000, rel=1e-12)
    assert sized.n_total == 10_000


@pytest.mark.parametrize(("p", "relative_mde"), [(0.1, 0.1), (0.03, 0.05), (0.5, 0.02)])
def test_proportion_sample_size_matches_the_closed_form(p: float, relative_mde: float) -> None:
    delta = p * relative_mde
    z = norm.ppf(1 - 0.05 / 2) + norm.ppf(0.8)
    per_arm = z**2 * 2 * p * (1 - p) / delta**2  # same variance p(1-p) in both arms
    design = sample_size(Baseline.proportion(p), mde=relative_mde)
    assert design.n_exact == pytest.approx(2 * per_arm, rel=1e-12)
    assert design.n_control == design.n_treatment == math.ceil(per_arm)


def test_proportion_sample_size_matches_statsmodels_with_the_same_variance() -> None:
    p, delta = 0.12, 0.006
    design = sample_size(Baseline.proportion(p), mde=delta, relative=False)
    reference = _statsmodels_n_total(
        delta / math.sqrt(p * (1 - p)), 0.05, 0.8, "two-sided", (0.5, 0.5)
    )
    assert design.n_exact == pytest.approx(reference, rel=1e-4)


def test_textbook_example_ten_percent_conversion() -> None:
    # p = 10%, +10% relative: 14,128 per arm (7.849 * 2 * 0.09 / 0.01^2 = 14,128.0).
    design = sample_size(Baseline.proportion(0.1), mde=0.1)
    assert (design.n_control, design.n_treatment, design.n_total) == (14_128, 14_128, 28_256)


@pytest.mark.parametrize("reduction", [0.1, 0.36, 0.75])
def test_cuped_multiplies_sample_size_by_one_minus_the_reduction(reduction: float) -> None:
    plain = sample_size(Baseline(mean=50.0, variance=400.0), mde=0.03)
    cuped = sample_size(Baseline(mean=50.0, variance=400.0, variance_reduction=reduction), mde=0.03)
    assert cuped.n_exact == pytest.approx(plain.n_exact * (1 - reduction), rel=1e-12)
    assert cuped.n_total == pytest.approx(plain.n_total * (1 - reduction), abs=2)


def test_cuped_shrinks_mde_by_the_square_root_of_one_minus_the_reduction() -> None:
    plain = minimum_detectable_effect(Baseline(mean=1.0, variance=1.0), n_total=5_000)
    cuped = minimum_detectable_effect(
        Baseline(mean=1.0, variance=1.0, variance_reduction=0.19), n_total=5_000
    )
    assert cuped.mde_absolute == pytest.approx(plain.mde_absolute * 0.9, rel=1e-12)


def test_one_sided_test_uses_z_one_minus_alpha() -> None:
    baseline = Baseline(mean=5.0, variance=4.0)
    delta = 0.25
    for alternative in ("greater", "less"):
        design = sample_size(
            baseline, mde=delta, relative=False, alpha=0.05, alternative=alternative
        )
        expected = (norm.ppf(0.95) + norm.ppf(0.8)) ** 2 * 4.0 * 4 / delta**2
        assert design.n_exact == pytest.approx(expected, rel=1e-12)
    two_sided = sample_size(baseline, mde=delta, relative=False, alpha=0.10)
    assert two_sided.n_exact == pytest.approx(expected, rel=1e-12)


def test_ratio_baseline_equals_the_numpy_linearised_variance() -> None:
    rng = np.random.default_rng(7)
    impressions = rng.poisson(12.0, 4_000) + 1.0
    clicks = rng.binomial(impressions.astype(int), rng.beta(2, 30, 4_000)).astype(float)
    metric = Ratio(name="ctr", numerator="clicks", denominator="impressions")
    baseline = Baseline.from_aggregates(
        metric, _aggregates({"clicks": clicks, "impressions": impressions})
    )
    ctr = clicks.sum() / impressions.sum()
    linearised = (clicks - ctr * impressions) / impressions.mean()
    assert baseline.mean == pytest.approx(ctr, rel=1e-12)
    assert baseline.variance == pytest.approx(np.var(linearised, ddof=1), rel=1e-9)
    assert baseline.variance_reduction == 0.0


def test_ratio_baseline_with_covariates_reduces_by_the_squared_correlation() -> None:
    rng = np.random.default_rng(11)
    n = 5_000
    orders = rng.poisson(3.0, n) + 1.0
    revenue = orders * rng.gamma(4.0, 10.0, n)
    pre_orders = np.maximum(orders + rng.poisson(1.0, n) - 1.0, 1.0)
    pre_revenue = revenue * rng.lognormal(0.0, 0.4, n)
    metric = Ratio(
        name="aov",
        numerator="revenue",
        denominator="orders",
        covariate_numerator="pre_revenue",
        covariate_denominator="pre_orders",
    )
    columns = {
        "revenue": revenue,
        "orders": orders,
        "pre_revenue": pre_revenue,
        "pre_orders": pre_orders,
    }
    baseline = Baseline.from_aggregates(metric, _aggregates(columns))
    aov = revenue.sum() / orders.sum()
    pre_aov = pre_revenue.sum() / pre_orders.sum()
    y = (revenue - aov * orders) / orders.mean()
    x = (pre_revenue - pre_aov * pre_orders) / pre_orders.mean()
    rho = np.corrcoef(y, x)[0, 1]
    assert baseline.variance == pytest.approx(np.var(y, ddof=1), rel=1e-9)
    assert baseline.variance_reduction == pytest.approx(rho**2, rel=1e-9)
    assert 0.1 < baseline.variance_reduction < 0.99


def test_mean_baseline_with_covariate_reduces_by_the_squared_correlation() -> None:
    rng = np.random.default_rng(3)
    pre = rng.gamma(2.0, 20.0, 3_000)
    spend = 0.8 * pre + rng.normal(0.0, 25.0, 3_000)
    metric = Mean(name="spend", column="spend", covariate="pre")
    baseline = Baseline.from_aggregates(metric, _aggregates({"spend": spend, "pre": pre}))
    assert baseline.mean == pytest.approx(spend.mean(), rel=1e-12)
    assert baseline.variance == pytest.approx(np.var(spend, ddof=1), rel=1e-9)
    assert baseline.variance_reduction == pytest.approx(
        np.corrcoef(spend, pre)[0, 1] ** 2, rel=1e-9
    )


def test_proportion_baseline_from_aggregates_is_the_sample_bernoulli_variance() -> None:
    converted = np.array([1.0] * 30 + [0.0] * 270)
    metric = Proportion(name="conversion", column="converted")
    baseline = Baseline.from_aggregates(metric, _aggregates({"converted": converted}))
    assert baseline.mean == pytest.approx(0.1)
    assert baseline.variance == pytest.approx(0.1 * 0.9 * 300 / 299, rel=1e-12)


def test_baseline_from_too_few_units_is_a_data_error() -> None:
    metric = Mean(name="spend", column="spend")
    with pytest.raises(DataError, match="spend"):
        Baseline.from_aggregates(metric, _aggregates({"spend": np.array([4.0])}))
    with pytest.raises(DataError, match="no variance"):
        Baseline.from_aggregates(metric, _aggregates({"spend": np.array([4.0, 4.0, 4.0])}))


def test_relative_mde_is_absent_for_a_non_positive_baseline_mean() -> None:
    design = sample_size(Baseline(mean=-2.0, variance=1.0), mde=0.1, relative=False)
    assert design.mde_relative is None
    assert design.mde_absolute == pytest.approx(0.1)


def test_design_serialises_to_json() -> None:
    design = sample_size(Baseline(mean=1.0, variance=1.0, variance_reduction=0.2), mde=0.05)
    data = json.loads(json.dumps(design.to_dict()))
    assert data["n_total"] == design.n_total
    assert data["shares"] == [0.5, 0.5]
    assert data["baseline"] == {"mean": 1.0, "variance": 1.0, "variance_reduction": 0.2}


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda b: sample_size(b, mde=0.1, alpha=0.0), "alpha"),
        (lambda b: sample_size(b, mde=0.1, alpha=1.5), "alpha"),
        (lambda b: sample_size(b, mde=0.1, power=1.0), "power"),
        (lambda b: sample_size(b, mde=0.1, power=-0.2), "power"),
        (lambda b: sample_size(b, mde=0.1, power=0.01, alpha=0.05), "power"),
        (lambda b: sample_size(b, mde=0.0), "mde"),
        (lambda b: sample_size(b, mde=-0.1), "mde"),
        (lambda b: sample_size(b, mde=math.nan), "mde"),
        (lambda b: sample_size(Baseline(mean=0.0, variance=1.0), mde=0.1), "mde"),
        (lambda b: sample_size(b, mde=0.1, shares=(0.5, 0.0)), "shares"),
        (lambda b: sample_size(b, mde=0.1, shares=(0.5, -0.5)), "shares"),
        (lambda b: sample_size(b, mde=0.1, shares=(0.4, 0.3, 0.3)), "shares"),
        (lambda b: sample_size(b, mde=0.1, alternative="both"), "alternative"),  # type: ignore[arg-type]
        (lambda b: minimum_detectable_effect(b, n_total=3), "n_total"),
        (lambda b: minimum_detectable_effect(b, n_total=100, shares=(0.99, 0.01)), "n_total"),
        (lambda b: minimum_detectable_effect(b, n_total=1000.0), "n_total"),  # type: ignore[arg-type]
        (lambda b: Baseline(mean=1.0, variance=0.0), "variance"),
        (lambda b: Baseline(mean=1.0, variance=1.0, variance_reduction=1.0), "variance_reduction"),
        (lambda b: Baseline.proportion(1.0), "p"),
    ],
)
def test_bad_input_is_a_spec_error_naming_the_argument(call: object, name: str) -> None:
    baseline = Baseline(mean=10.0, variance=4.0)
    with pytest.raises(SpecError, match=rf"\b{name}\b") as info:
        call(baseline)  # type: ignore[operator]
    assert "\n" not in str(info.value)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(power_module).failed == 0


@pytest.mark.slow
def test_simulated_power_at_the_computed_sample_size() -> None:
    """2,000 experiments at the designed n: a z-test rejects in 80% +/- 3% of them."""
    rng = np.random.default_rng(20240601)
    design = sample_size(Baseline(mean=10.0, variance=9.0), mde=0.05)
    n, sims = design.n_control, 2_000
    control = rng.normal(10.0, 3.0, (sims, n))
    treatment = rng.normal(10.0 + design.mde_absolute, 3.0, (sims, n))
    se = np.sqrt(control.var(axis=1, ddof=1) / n + treatment.var(axis=1, ddof=1) / n)
    z = (treatment.mean(axis=1) - control.mean(axis=1)) / se
    empirical = np.mean(np.abs(z) > norm.ppf(0.975))
    assert empirical == pytest.approx(0.8, abs=0.03)


@pytest.mark.slow
def test_simulated_power_with_cuped_at_the_reduced_sample_size() -> None:
    """With corr(y, x) = 0.7 the designed n is 51% of the plain one, and the power holds."""
    rng = np.random.default_rng(99)
    rho = 0.7
    design = sample_size(Baseline(mean=10.0, variance=9.0, variance_reduction=rho**2), mde=0.05)
    n, sims = design.n_control, 2_000

    def arm(shift: float) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(0.0, 1.0, (sims, n))
        noise = rng.normal(0.0, 1.0, (sims, n))
        return 10.0 + shift + 3.0 * (rho * x + math.sqrt(1 - rho**2) * noise), x

    (yc, xc), (yt, xt) = arm(0.0), arm(design.mde_absolute)
    x_all, y_all = np.concatenate([xc, xt], axis=1), np.concatenate([yc, yt], axis=1)
    x_dev = x_all - x_all.mean(axis=1, keepdims=True)
    theta = (x_dev * y_all).sum(axis=1) / (x_dev**2).sum(axis=1)
    adj_c = yc - theta[:, None] * xc
    adj_t = yt - theta[:, None] * xt
    se = np.sqrt(adj_c.var(axis=1, ddof=1) / n + adj_t.var(axis=1, ddof=1) / n)
    z = (adj_t.mean(axis=1) - adj_c.mean(axis=1)) / se
    empirical = np.mean(np.abs(z) > norm.ppf(0.975))
    assert empirical == pytest.approx(0.8, abs=0.03)
