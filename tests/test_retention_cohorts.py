"""Retention lift per cohort of the week of first exposure (``retention.cohort_day``).

Reference: a direct computation from the users' rows in pandas (cohort = the Monday of the
exposure week, UTC; follow-up and churn day by the rules of the README), lifelines'
Kaplan-Meier for retention at the day (1e-12 relative) and Greenwood's formula written out for
its standard error (1e-12 relative).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import ibis
import numpy as np
import pandas as pd
import pytest

from mlroi.backend.retention import retention_counts
from mlroi.retention.analysis import analyse_retention
from mlroi.spec.retention import RetentionConfig

pytestmark = pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0")

END = dt.datetime(2026, 6, 1)
START = pd.Timestamp("2026-01-01")
DAY = 30.0


def _users(n: int = 6000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = (START + pd.to_timedelta(rng.uniform(0, 70, n), unit="D")).floor("s")
    arm = rng.choice(["control", "treatment"], n)
    # the treatment's gain shrinks for later cohorts: mean lifetime 40 -> 60 days, then 40 -> 45
    early = (x - START).days < 35
    mean = np.where(arm == "control", 40.0, np.where(early, 60.0, 45.0))
    cancel = (x + pd.to_timedelta(rng.exponential(mean), unit="D")).floor("s")
    return pd.DataFrame(
        {"user_id": range(n), "variant": arm, "first_exposure": x, "churned_at": cancel}
    )


def _direct(users: pd.DataFrame, window: int) -> pd.DataFrame:
    """Each followed user's cohort, arm, time and event, row by row."""
    end = pd.Timestamp(END)
    rows = []
    for arm, x, c in zip(users.variant, users.first_exposure, users.churned_at, strict=True):
        f = min(window, int(np.floor((end - x).total_seconds() / 86400)))
        if f < 0:
            continue
        cd = None if c > end else int(np.floor((c - x).total_seconds() / 86400))
        if cd is not None and cd < 0:
            continue
        churned = cd is not None and cd <= f
        monday = (x.normalize() - pd.Timedelta(days=x.weekday())).date()
        rows.append((monday, arm, cd if churned else f, churned))
    return pd.DataFrame(rows, columns=["cohort", "arm", "time", "event"])


def _greenwood(time: np.ndarray, event: np.ndarray, day: float) -> tuple[float, float]:
    s, gw = 1.0, 0.0
    for t in np.unique(time[time <= day]):
        y = np.sum(time >= t)
        d = np.sum((time == t) & event)
        if d:
            s *= 1 - d / y
            gw += d / (y * (y - d))
    return s, s * np.sqrt(gw)


def test_cohort_counts_match_a_direct_computation() -> None:
    users = _users(800)
    got = retention_counts(
        ibis.memtable(users),
        ibis.memtable(users),
        mode="churn",
        unit="user_id",
        variant="variant",
        exposure="first_exposure",
        timestamp="churned_at",
        gap_days=0,
        window_days=60,
        observation_end=END,
        cohorts=True,
    )
    want: Counter[tuple[str, dt.date, int, bool]] = Counter()
    for r in _direct(users, 60).itertuples():
        want[(r.arm, r.cohort, r.time, r.event)] += 1
    have: Counter[tuple[str, dt.date, int, bool]] = Counter()
    for arm, k, day, events, censored in got.cohort_rows:
        cohort = dt.date(1970, 1, 1) + dt.timedelta(days=k)
        assert cohort.weekday() == 0  # a Monday
        if events:
            have[(arm, cohort, day, True)] += events
        if censored:
            have[(arm, cohort, day, False)] += censored
    assert have == want
    # the per-arm rows are the cohorts' sums
    totals: Counter[tuple[str, int]] = Counter()
    for arm, _, day, events, censored in got.cohort_rows:
        totals[(arm, day)] += events + censored
    assert totals == Counter({(a, d): e + c for a, d, e, c in got.rows})


def test_cohort_lifts_match_kaplan_meier_per_cohort() -> None:
    from lifelines import KaplanMeierFitter

    users = _users()
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "unused.parquet"},
            "churn": {"timestamp": "churned_at"},
            "control": "control",
            "window_days": 60,
            "observation_end": END,
            "cohort_day": DAY,
            "weekly": False,
        }
    )
    result = analyse_retention(config, assignments=users)
    assert result.cohorts is not None and len(result.cohorts) >= 8
    rows = _direct(users, 60)
    for c in result.cohorts:
        arms = {}
        for arm in ("control", "treatment"):
            sub = rows[(rows.cohort == c.cohort) & (rows.arm == arm)]
            t, e = sub.time.to_numpy(), sub.event.to_numpy(dtype=bool)
            km = KaplanMeierFitter().fit(t, e)
            s, se = _greenwood(t, e, DAY)
            assert float(km.predict(DAY)) == pytest.approx(s, rel=1e-12)
            arms[arm] = (s, se, int(np.sum(t >= DAY)))
        (sc, sec, nc), (st, set_, nt) = arms["control"], arms["treatment"]
        assert c.control.estimate == pytest.approx(sc, rel=1e-12)
        assert c.treatment.std_error == pytest.approx(set_, rel=1e-12)
        assert c.lift.estimate == pytest.approx(st - sc, rel=1e-12, abs=1e-15)
        assert c.lift.std_error == pytest.approx(np.hypot(sec, set_), rel=1e-12)
        assert (c.followed_control, c.followed_treatment) == (nc, nt)
        assert min(nc, nt) >= config.min_at_risk
    # cohorts exposed within 30 days of the end cannot be followed to day 30: none listed
    assert all(c.cohort < (END - dt.timedelta(days=DAY)).date() for c in result.cohorts)
    # the generated gain shrinks for later cohorts
    first, last = result.cohorts[0], result.cohorts[-1]
    assert first.lift.estimate > last.lift.estimate
    assert result.to_dict()["cohorts"][0]["cohort"] == first.cohort.isoformat()
    assert '"cohort": "' in result.to_json()


def test_without_cohort_day_there_is_no_cohort_view() -> None:
    users = _users(600)
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "unused.parquet"},
            "churn": {"timestamp": "churned_at"},
            "control": "control",
            "window_days": 60,
            "observation_end": END,
        }
    )
    assert analyse_retention(config, assignments=users).cohorts is None


def test_the_report_shows_one_row_per_cohort() -> None:
    from mlroi.report.retention import cohort_table

    users = _users(3000)
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "unused.parquet"},
            "churn": {"timestamp": "churned_at"},
            "control": "control",
            "window_days": 60,
            "observation_end": END,
            "cohort_day": DAY,
            "weekly": False,
        }
    )
    result = analyse_retention(config, assignments=users)
    table = cohort_table(result, "treatment")
    assert table is not None and result.cohorts is not None
    assert "Retention at day 30 by week of first exposure" in table.title
    assert [row[0].text for row in table.rows] == [f"{c.cohort:%Y-%m-%d}" for c in result.cohorts]


def test_the_report_charts_each_cohorts_lift_with_its_interval() -> None:
    from mlroi.report.view import ForestChart

    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "unused.parquet"},
            "churn": {"timestamp": "churned_at"},
            "control": "control",
            "window_days": 60,
            "observation_end": END,
            "cohort_day": DAY,
            "weekly": False,
        }
    )
    result = analyse_retention(config, assignments=_users())
    assert result.cohorts is not None
    (chart,) = [c for c in result.view().charts if isinstance(c, ForestChart)]
    assert [r.label for r in chart.rows] == [f"{c.cohort:%Y-%m-%d}" for c in result.cohorts]
    assert [(r.estimate, r.lower, r.upper) for r in chart.rows] == [
        (c.lift.estimate, c.lift.lower, c.lift.upper) for c in result.cohorts
    ]
