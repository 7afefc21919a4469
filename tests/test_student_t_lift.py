"""A readout's lift is drawn for the ROI from the t its interval was read with.

The readout reads a lift's interval off Student's t on Welch's degrees of freedom; the ROI's Monte
Carlo draws it from ``estimate + standard error x T`` on the same df, so that the ROI's intervals
carry the readout's heavy tails when df is small. Checked against ``scipy.stats.t``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from mlroi.decision.polynomial import moment
from mlroi.spec.quantity import (
    NORMAL_FROM_DF,
    Normal,
    StudentT,
    bounds,
    describe,
    draw,
    point,
    quantile,
    sampling_distribution,
    support,
)
from mlroi.stats.lift import ArmEstimate, compare


def test_draws_quantiles_match_scipy_t() -> None:
    # 400,000 draws: the Monte Carlo standard error of a quantile q is
    # sqrt(q (1 - q) / N) / density(x_q), under 0.012 scale units at the 1% and 99% quantiles of
    # a t on 4 df; 0.04 units is more than three of those.
    q = StudentT(student_t=(0.02, 0.005, 4.0))
    draws = draw(q, np.random.default_rng(3), 400_000)
    probs = np.array([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
    want = scipy.stats.t.ppf(probs, 4.0, loc=0.02, scale=0.005)
    got = np.quantile(draws, probs)
    np.testing.assert_allclose(got, want, atol=0.04 * 0.005)


def test_quantile_and_bounds_are_scipy_t_quantiles() -> None:
    q = StudentT(student_t=(1.5, 0.3, 7.5))
    probs = np.array([0.001, 0.05, 0.5, 0.95, 0.999])
    np.testing.assert_allclose(
        quantile(q, probs), scipy.stats.t.ppf(probs, 7.5, loc=1.5, scale=0.3), rtol=1e-12
    )
    lo, hi = bounds(q, 0.9)
    assert (lo, hi) == pytest.approx(scipy.stats.t.interval(0.9, 7.5, loc=1.5, scale=0.3))
    assert point(q) == 1.5 and support(q) == (-np.inf, np.inf)
    assert "Student's t(7.5 df)" in describe(q)


def test_readout_with_few_df_is_drawn_from_its_t() -> None:
    # 6 units per arm: Welch's df is about 10, and the readout's interval is the t's
    c, t = ArmEstimate(10.0, 0.5, 6), ArmEstimate(11.0, 0.7, 6)
    lift = compare(c, t)
    q = sampling_distribution(lift.absolute.estimate, lift.absolute.std_error, lift.df)
    assert isinstance(q, StudentT)
    lo, hi = bounds(q, 0.95)
    assert lo == pytest.approx(lift.absolute.lower, rel=1e-9)
    assert hi == pytest.approx(lift.absolute.upper, rel=1e-9)


def test_many_df_or_a_z_test_is_drawn_from_the_normal() -> None:
    assert isinstance(sampling_distribution(1.0, 0.1, NORMAL_FROM_DF), Normal)
    assert isinstance(sampling_distribution(1.0, 0.1, float("inf")), Normal)
    assert isinstance(sampling_distribution(1.0, 0.1, None), Normal)
    assert isinstance(sampling_distribution(1.0, 0.1, 999.0), StudentT)


def test_moments_of_a_t_quantity_are_scipy_moments() -> None:
    q = StudentT(student_t=(2.0, 0.5, 9.0))
    for k in (1, 2, 3, 4):
        want = scipy.stats.t.expect(lambda x, k=k: x**k, args=(9.0,), loc=2.0, scale=0.5)
        assert moment(q, k) == pytest.approx(want, rel=1e-8)
    with pytest.raises(ValueError, match="no finite moment of order 10"):
        moment(q, 10)


def test_a_case_file_can_write_a_t_lift() -> None:
    from pydantic import TypeAdapter

    from mlroi.spec.quantity import Quantity

    q = TypeAdapter(Quantity).validate_python({"student_t": [0.02, 0.005, 12]})
    assert isinstance(q, StudentT)
    with pytest.raises(ValueError, match="df > 1"):
        TypeAdapter(Quantity).validate_python({"student_t": [0.02, 0.005, 0.5]})


def test_a_small_readout_lift_enters_the_roi_as_its_t(tmp_path: Path) -> None:
    # 8 users per arm: Welch's df is about 14; the ROI draws the lift from that t, says so in
    # its methods, and its sensitivity range of the lift is the t's central interval.
    from mlroi.pipeline import evaluate
    from mlroi.report.methods import roi as roi_methods
    from mlroi.spec.case import load_case

    rng = np.random.default_rng(5)
    lines = ["user_id,variant,revenue"]
    for i in range(16):
        arm = "control" if i < 8 else "treatment"
        lines.append(f"{i},{arm},{rng.gamma(4.0, 5.0) + (3.0 if arm == 'treatment' else 0.0):.4f}")
    (tmp_path / "users.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "case.yaml").write_text(
        """\
name: small test
goal: more revenue
intervention: show recommendations
population: {description: everyone}
primary_metric: revenue
experiment:
  source: {path: users.csv}
  control: control
  arms: {control: 0.5, treatment: 0.5}
  metrics:
    - {name: revenue, type: mean, column: revenue}
value:
  drivers:
    - {name: revenue, lift: {metric: revenue}, units_per_month: 10000}
costs:
  - {kind: fixed, name: run, category: maintenance, amount: 1000, every: month}
finance: {currency: USD, horizon_months: 12}
simulation: {draws: 20000}
"""
    )
    case = load_case(tmp_path / "case.yaml")
    result = evaluate(case, base=tmp_path)
    assert result.experiment is not None
    comparison = result.experiment.comparison("revenue")
    assert comparison.df is not None and comparison.df < 30
    assert comparison.absolute is not None
    lift = result.lifts[0]
    assert "Student's t" in lift.distribution
    assert any("Student's t" in s for s in roi_methods(result))
    low, high = scipy.stats.t.interval(
        case.simulation.level,
        comparison.df,
        comparison.absolute.estimate,
        comparison.absolute.std_error,
    )
    swing = next(s for s in result.sensitivity if "lift" in s.parameter)
    assert (swing.low, swing.high) == pytest.approx((low, high), rel=1e-9)
