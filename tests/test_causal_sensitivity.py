"""E-values and robustness values against their papers' published numbers."""

from __future__ import annotations

import math

import pytest

from mlroi.causal.sensitivity import (
    e_value,
    risk_ratio_of_difference,
    robustness_value,
    sensitivity,
)


def test_e_value_of_the_papers_example() -> None:
    # VanderWeele & Ding 2017: RR 3.9 (95% CI 1.8 to 8.7) has E-value 7.26, its lower limit 3.0
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value(1.8) == pytest.approx(3.0, abs=0.005)


def test_e_value_of_a_protective_ratio_uses_its_inverse() -> None:
    assert e_value(1 / 3.9) == pytest.approx(e_value(3.9), rel=1e-12)
    assert e_value(1.0) == 1.0
    assert math.isnan(e_value(0.0))


def test_standardized_difference_maps_to_exp_091_d() -> None:
    assert risk_ratio_of_difference(0.5, 1.0) == pytest.approx(math.exp(0.455), rel=1e-12)


def test_robustness_value_of_the_darfur_example() -> None:
    # Cinelli & Hazlett 2020 (sensemakr's Darfur example): t = 4.18445, df = 783 give
    # RV = 13.88% and, at alpha 0.05, RV = 7.63% (published to 2 decimals of a percent)
    assert robustness_value(4.18445, 783) == pytest.approx(0.1388, abs=5e-5)
    assert robustness_value(4.18445, 783, alpha=0.05) == pytest.approx(0.0763, abs=5e-5)


def test_insignificant_estimate_has_robustness_value_zero_at_alpha() -> None:
    assert robustness_value(1.5, 500, alpha=0.05) == 0.0


def test_interval_that_contains_no_effect_has_bound_e_value_one() -> None:
    s = sensitivity(0.2, -0.1, 0.5, 1.0, t=1.3, df=100, level=0.95)
    assert s.e_value_bound == 1.0
    assert s.e_value == pytest.approx(e_value(math.exp(0.91 * 0.2)))
    s = sensitivity(-0.4, -0.7, -0.1, 2.0, t=-3.0, df=100, level=0.95)
    assert s.e_value_bound == pytest.approx(e_value(math.exp(0.91 * -0.1 / 2.0)))
