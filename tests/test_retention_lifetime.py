"""Lifetime value through retention, the shifted-beta-geometric projection, the holdout design.

References: Fader and Hardie (2007) publish the sBG fits to their "regular" and "high end" cohorts
(alpha 0.704, beta 1.182; alpha 0.668, beta 3.806; log-likelihoods -1680.3 and -1611.2, fitted to
years 1-7), checked to their printed rounding. Without censoring the Kaplan-Meier curve is the
empirical survival function, so the value per user and its variance equal the plug-in mean and
variance over n of each user's discounted revenue (1e-10). Schoenfeld's event count is checked
against its closed form; the retention test against statsmodels' NormalIndPower.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlroi.retention.holdout import holdout_plan
from mlroi.retention.lifetime import arm_value, lifetime_value
from mlroi.retention.sbg import fit, fit_survivors
from mlroi.retention.survival import SurvivalCounts, kaplan_meier

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "ll"),
    [(REGULAR, 0.704, 1.182, -1680.3), (HIGH_END, 0.668, 3.806, -1611.2)],
)
def test_sbg_fit_reproduces_fader_hardie(
    survivors: list[int], alpha: float, beta: float, ll: float
) -> None:
    f = fit_survivors(survivors[:8])
    assert f.alpha == pytest.approx(alpha, abs=5e-4)
    assert f.beta == pytest.approx(beta, abs=5e-4)
    assert f.log_likelihood == pytest.approx(ll, abs=0.05)


def test_sbg_projection_tracks_the_later_years_of_fader_hardie() -> None:
    """The paper's point: a 7-year fit projects years 8-12 within a few percent."""
    for survivors in (REGULAR, HIGH_END):
        f = fit_survivors(survivors[:8])
        projected = f.survival(np.arange(8, 13)) * 1000
        np.testing.assert_allclose(projected, survivors[8:], rtol=0.05)


def test_sbg_fit_recovers_the_generating_parameters() -> None:
    rng = np.random.default_rng(1)
    theta = rng.beta(0.8, 2.5, 200_000)
    t = rng.geometric(theta)
    survivors = [int((t > k).sum()) for k in range(9)]
    f = fit_survivors(survivors)
    assert f.alpha == pytest.approx(0.8, rel=0.05)
    assert f.beta == pytest.approx(2.5, rel=0.05)


def test_sbg_fit_without_churn_says_why() -> None:
    f = fit([0, 0], [100, 100])
    assert f.status == "cannot estimate" and f.reason


def _durations(seed: int, n: int, mean_days: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.floor(rng.exponential(mean_days, n)) + 1
    return np.minimum(t, end), t <= end


def test_value_without_censoring_is_the_plug_in_mean_and_variance() -> None:
    t, e = _durations(2, 3000, 40.0, 1e9)
    km = kaplan_meier(SurvivalCounts.from_durations(t, e))
    rev, period, periods, rate = 12.0, 30.0, 4, 0.01
    v = arm_value(
        km,
        observed_days=1e9,
        revenue_per_period=rev,
        period_days=period,
        periods=periods,
        discount_rate=rate,
    )
    per_user = sum(rev * (t > k * period) / (1 + rate) ** k for k in range(1, periods + 1))
    assert v.value.estimate == pytest.approx(per_user.mean(), rel=1e-10)
    assert v.value.std_error**2 == pytest.approx(per_user.var(ddof=0) / t.size, rel=1e-9)
    assert v.projected == 0.0


def test_value_lift_is_treatment_minus_control_with_independent_arms() -> None:
    c = kaplan_meier(SurvivalCounts.from_durations(*_durations(3, 5000, 40.0, 120)))
    t = kaplan_meier(SurvivalCounts.from_durations(*_durations(4, 5000, 50.0, 120)))
    ltv = lifetime_value(c, t, observed_days=120, revenue_per_period=10.0, periods=4)
    assert ltv.lift.estimate == pytest.approx(
        ltv.treatment.value.estimate - ltv.control.value.estimate
    )
    assert ltv.lift.std_error == pytest.approx(
        math.hypot(ltv.control.value.std_error, ltv.treatment.value.std_error)
    )
    assert ltv.lift.lower > 0
    assert ltv.notes == ()


def test_value_beyond_the_window_uses_the_sbg_projection() -> None:
    rng = np.random.default_rng(5)
    n = 50_000
    months = rng.geometric(rng.beta(1.0, 3.0, n))  # churn at the end of month k
    true = [float((months > k).mean()) for k in range(13)]
    days = months * 30.0
    km = kaplan_meier(SurvivalCounts.from_durations(np.minimum(days, 180), days <= 180))
    v = arm_value(
        km,
        observed_days=180,
        revenue_per_period=1.0,
        period_days=30.0,
        periods=12,
        discount_rate=0.0,
    )
    assert v.periods_observed == 6
    assert v.projection is not None and v.projection.status == "ok"
    assert v.value.estimate == pytest.approx(sum(true[1:13]), rel=0.02)
    assert v.projected > 0


def test_holdout_log_rank_events_follow_schoenfeld() -> None:
    plan = holdout_plan(lambda d: math.exp(-d / 60), hazard_ratio=0.9, days=[30, 90, 180])
    z = 1.959963984540054 + 0.8416212335729143
    assert plan.rows[0].events_log_rank == math.ceil(z**2 / (0.1 * 0.9 * math.log(0.9) ** 2))
    # longer holdouts see more churn, so fewer users give the same events
    users = [r.users_log_rank for r in plan.rows]
    assert users[0] is not None and users[2] is not None and users[0] > users[2]
    assert plan.shortest(users[1] or 0) == plan.rows[1]


def test_holdout_retention_test_matches_statsmodels() -> None:
    from statsmodels.stats.power import NormalIndPower

    plan = holdout_plan(lambda d: 0.6, hazard_ratio=0.9, days=[30], holdout_share=0.5)
    row = plan.rows[0]
    effect = abs(row.difference) / math.sqrt(0.6 * 0.4)
    n_per_arm = NormalIndPower().solve_power(effect, alpha=0.05, power=0.8, ratio=1.0)
    assert row.users_retention_test == 2 * math.ceil(n_per_arm)


def test_holdout_rejects_a_hazard_ratio_of_one() -> None:
    with pytest.raises(ValueError, match="hazard_ratio"):
        holdout_plan(lambda d: 0.5, hazard_ratio=1.0, days=[30])
