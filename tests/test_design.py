"""Design from data: the baselines come from the control arm, the formulas from stats.power."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from mlroi import ExperimentConfig, Mean, Proportion, Ratio
from mlroi.experiment.design import design
from mlroi.stats.distributions import normal_ppf


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(11)
    n = 40_000
    pre = rng.gamma(2.0, 5.0, n)
    y = 0.8 * pre + rng.normal(0, 6.0, n)
    views = rng.poisson(20, n) + 1
    clicks = rng.binomial(views, 0.05)
    return pa.table(
        {
            "user_id": np.arange(n),
            "variant": np.where(np.arange(n) % 2 == 0, "control", "treatment"),
            "y": y,
            "pre": pre,
            "converted": (rng.random(n) < 0.1).astype(np.int64),
            "clicks": clicks,
            "views": views,
        }
    )


def _config(**metric_kwargs: object) -> ExperimentConfig:
    return ExperimentConfig(
        control="control",
        arms={"control": 0.5, "treatment": 0.5},
        metrics=[
            Mean(name="y", column="y"),
            Mean(name="y_cuped", column="y", covariate="pre"),
            Proportion(name="conv", column="converted"),
            Ratio(name="ctr", numerator="clicks", denominator="views"),
        ],
    )


def test_mean_sample_size_matches_closed_form_on_control_arm(table: pa.Table) -> None:
    [plain, *_] = design(_config(), mde=0.05, data=table)
    control = table.filter(pa.compute.equal(table["variant"], "control"))
    y = control["y"].to_numpy()
    delta = 0.05 * y.mean()
    z = normal_ppf(0.975) + normal_ppf(0.8)
    n_per_arm = z**2 * 2 * y.var(ddof=1) / delta**2
    assert plain.required.n_exact == pytest.approx(2 * n_per_arm, rel=1e-9)
    assert plain.required.n_control == math.ceil(n_per_arm - 1e-9)


def test_cuped_baseline_cuts_variance_by_squared_correlation(table: pa.Table) -> None:
    designs = {d.metric: d for d in design(_config(), mde=0.05, data=table)}
    control = table.filter(pa.compute.equal(table["variant"], "control"))
    rho = np.corrcoef(control["y"].to_numpy(), control["pre"].to_numpy())[0, 1]
    assert designs["y_cuped"].baseline.variance_reduction == pytest.approx(rho**2, rel=1e-9)
    ratio = designs["y_cuped"].required.n_exact / designs["y"].required.n_exact
    assert ratio == pytest.approx(1 - rho**2, rel=1e-9)


def test_proportion_baseline_uses_bernoulli_variance(table: pa.Table) -> None:
    designs = {d.metric: d for d in design(_config(), mde=0.1, data=table)}
    p = designs["conv"].baseline.mean
    assert designs["conv"].baseline.variance == pytest.approx(p * (1 - p), rel=1e-12)


def test_mde_at_observed_n_uses_both_arms(table: pa.Table) -> None:
    designs = {d.metric: d for d in design(_config(), mde=0.1, data=table)}
    at_n = designs["ctr"].at_n
    assert at_n.n_total == table.num_rows
    se = math.sqrt(designs["ctr"].baseline.variance * (1 / at_n.n_control + 1 / at_n.n_treatment))
    z = normal_ppf(0.975) + normal_ppf(0.8)
    assert at_n.mde_absolute == pytest.approx(z * se, rel=1e-9)
