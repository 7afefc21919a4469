"""Lift per week of exposure, its trend and a fitted decay.

References: the weekly retention is the ratio of lifelines' Kaplan-Meier curve at the week's ends
(1e-12 relative); the trend is statsmodels' WLS with known variances (1e-10); the decay fit
recovers the parameters that generated noise-free lifts (1e-6).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlroi.retention.overtime import Decay, WeeklyLift, fit_decay, trend, weekly_lifts
from mlroi.retention.survival import SurvivalCounts, kaplan_meier
from mlroi.stats.interval import Interval

pytestmark = pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0")


def _arm(seed: int, n: int, mean_days: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    churn = np.floor(rng.exponential(mean_days, n)) + 1
    end = np.floor(rng.uniform(30, 70, n))
    return np.minimum(churn, end), churn <= end


def test_weekly_retention_is_the_ratio_of_the_curve_at_the_weeks_ends() -> None:
    from lifelines import KaplanMeierFitter

    (tc, ec), (tt, et) = _arm(1, 4000, 30.0), _arm(2, 4000, 36.0)
    lifts = weekly_lifts(
        kaplan_meier(SurvivalCounts.from_durations(tc, ec)),
        kaplan_meier(SurvivalCounts.from_durations(tt, et)),
        observed_days=70,
    )
    ref = KaplanMeierFitter().fit(tc, ec)
    for w in lifts:
        s0, s1 = ref.predict((w.week - 1) * 7.0), ref.predict(w.week * 7.0)
        assert w.control.estimate == pytest.approx(s1 / s0, rel=1e-12)
    assert [w.week for w in lifts] == list(range(1, 11))


def test_weeks_without_enough_users_at_risk_are_left_out() -> None:
    (tc, ec), (tt, et) = _arm(3, 200, 10.0), _arm(4, 200, 10.0)
    lifts = weekly_lifts(
        kaplan_meier(SurvivalCounts.from_durations(tc, ec)),
        kaplan_meier(SurvivalCounts.from_durations(tt, et)),
        observed_days=70,
        min_at_risk=30,
    )
    assert lifts and all(min(w.at_risk_control, w.at_risk_treatment) >= 30 for w in lifts)
    assert len(lifts) < 10


def _lifts(values: list[float], ses: list[float]) -> list[WeeklyLift]:
    dummy = Interval(0.9, 0.9, 0.9, 0.0)
    return [
        WeeklyLift(i + 1, dummy, dummy, Interval(v, v, v, s), 1000, 1000)
        for i, (v, s) in enumerate(zip(values, ses, strict=True))
    ]


def test_trend_matches_statsmodels_wls_with_known_variances() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    se = rng.uniform(0.002, 0.01, 9)
    y = 0.03 - 0.002 * np.arange(1, 10) + rng.normal(0, se)
    ours = trend(_lifts(list(y), list(se)))
    x = sm.add_constant(np.arange(1, 10, dtype=float))
    ref = sm.WLS(y, x, weights=1 / se**2).fit(cov_type="fixed scale")
    assert ours.slope is not None
    assert ours.slope.estimate == pytest.approx(ref.params[1], rel=1e-10)
    assert ours.slope.std_error == pytest.approx(ref.bse[1], rel=1e-10)
    assert ours.p_value == pytest.approx(ref.pvalues[1], rel=1e-8)
    assert ours.intercept == pytest.approx(ref.params[0], rel=1e-10)


def test_trend_needs_three_weeks() -> None:
    out = trend(_lifts([0.01, 0.02], [0.01, 0.01]))
    assert out.status == "cannot estimate" and "needs 3" in (out.reason or "")


def test_decay_fit_recovers_the_generating_curve() -> None:
    weeks = np.arange(1, 13, dtype=float)
    initial, plateau, scale = 0.05, 0.01, 2.5
    y = plateau + (initial - plateau) * np.exp(-(weeks - 1) / scale)
    fit = fit_decay(_lifts(list(y), [0.004] * 12))
    assert fit.status == "ok"
    assert fit.initial is not None and fit.plateau is not None
    assert fit.initial.estimate == pytest.approx(initial, rel=1e-6)
    assert fit.plateau.estimate == pytest.approx(plateau, rel=1e-6)
    assert fit.scale == pytest.approx(scale, rel=1e-6)
    assert fit.half_life == pytest.approx(scale * math.log(2), rel=1e-6)
    assert fit.lift_at(30) == pytest.approx(plateau, abs=1e-5)
    assert fit.plateau.lower < plateau < fit.plateau.upper


def test_decay_fit_without_enough_weeks_says_why() -> None:
    fit = fit_decay(_lifts([0.02, 0.01, 0.01], [0.01] * 3))
    assert fit.status == "cannot estimate" and "needs 4" in (fit.reason or "")
    assert math.isnan(Decay(None, None, None, None).lift_at(3))


def test_week_one_holds_the_users_who_churn_on_the_exposure_day() -> None:
    control = kaplan_meier(SurvivalCounts.of([0, 3, 10], [100, 50, 50], [0, 0, 800]))
    treated = kaplan_meier(SurvivalCounts.of([0, 3, 10], [50, 50, 50], [0, 0, 850]))
    week1 = weekly_lifts(control, treated, observed_days=14)[0]
    assert week1.control.estimate == pytest.approx(control.at(7).estimate)
    assert week1.at_risk_control == 1000
    assert week1.lift.estimate == pytest.approx(treated.at(7).estimate - control.at(7).estimate)


def test_weeks_without_churn_say_the_lift_has_no_variance() -> None:
    out = trend(_lifts([0.0, 0.0, 0.0, 0.0], [0.0, 0.01, 0.01, 0.01]))
    assert out.status == "cannot estimate" and "no variance" in (out.reason or "")
