"""The backend's retention counts against a direct per-user computation in Python, and the bad
inputs it counts (NULLs, users missing from the assignments, mixed time zones, late exposures)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest

from mlroi.backend.retention import retention_counts
from mlroi.errors import DataError

START = pd.Timestamp("2026-01-01")
END = dt.datetime(2026, 5, 1)


def _logs(seed: int, users: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    exposure = (START + pd.to_timedelta(rng.uniform(0, 110, users), unit="D")).floor("s")
    asg = pd.DataFrame(
        {
            "user_id": np.arange(users),
            "variant": rng.choice(["control", "treatment"], users),
            "first_exposure": exposure,
        }
    )
    rows = []
    for u, x in zip(asg.user_id, exposure, strict=True):
        t = x
        while True:
            t = t + pd.Timedelta(days=float(rng.exponential(6.0)))
            if t > pd.Timestamp(END) + pd.Timedelta(days=5) or rng.random() < 0.06:
                break
            rows.append((u, t.floor("s")))
    act = pd.DataFrame(rows, columns=["user_id", "ts"])
    return asg, act


def _direct(asg: pd.DataFrame, act: pd.DataFrame, gap: int, window: int) -> Counter[tuple]:
    """Per-user follow-up and churn by the rule in the module docstring, row by row."""
    end = pd.Timestamp(END)
    out: Counter[tuple] = Counter()
    by_user = {u: g.ts for u, g in act.groupby("user_id")}
    for u, arm, x in zip(asg.user_id, asg.variant, asg.first_exposure, strict=True):
        e = int(np.floor((end - x).total_seconds() / 86400))
        f = min(window, e - gap)
        if f < 0:
            continue
        ts = by_user.get(u, pd.Series([], dtype="datetime64[ns]"))
        ts = ts[(ts <= end) & (ts >= x)]
        days = sorted({0, *(int(np.floor((t - x).total_seconds() / 86400)) for t in ts)})
        days = [d for d in days if d <= f + gap]
        churn = None
        for i, d in enumerate(days):
            nxt = days[i + 1] if i + 1 < len(days) else None
            if d <= f and ((nxt is None and d + gap <= e) or (nxt is not None and nxt - d > gap)):
                churn = d
                break
        out[(arm, churn if churn is not None else f, churn is not None)] += 1
    return out


def _activity(asg: pd.DataFrame, act: pd.DataFrame, gap: int, window: int) -> Any:
    """The backend's counts of an activity log with this file's column names."""
    return retention_counts(
        ibis.memtable(asg),
        ibis.memtable(act),
        mode="activity",
        unit="user_id",
        variant="variant",
        exposure="first_exposure",
        timestamp="ts",
        gap_days=gap,
        window_days=window,
        observation_end=END,
    )


def _churn(
    asg: Any, cancels: Any, window: int, end: dt.datetime = END, timestamp: str = "churned_at"
) -> Any:
    """The backend's counts of a table of cancellations (``timestamp``) with this file's
    column names."""
    return retention_counts(
        asg,
        cancels,
        mode="churn",
        unit="user_id",
        variant="variant",
        exposure="first_exposure",
        timestamp=timestamp,
        gap_days=0,
        window_days=window,
        observation_end=end,
    )


def _as_counter(rows: tuple[tuple[str, int, int, int], ...]) -> Counter[tuple]:
    out: Counter[tuple] = Counter()
    for arm, day, events, censored in rows:
        if events:
            out[(arm, day, True)] += events
        if censored:
            out[(arm, day, False)] += censored
    return out


@pytest.mark.parametrize(("gap", "window"), [(14, 60), (7, 30), (3, 200)])
def test_activity_counts_match_a_direct_per_user_computation(gap: int, window: int) -> None:
    asg, act = _logs(1)
    got = _activity(asg, act, gap, window)
    assert _as_counter(got.rows) == _direct(asg, act, gap, window)


def test_cancellation_counts_match_a_direct_computation() -> None:
    rng = np.random.default_rng(2)
    n = 500
    x = (START + pd.to_timedelta(rng.uniform(0, 100, n), unit="D")).floor("s")
    cancel = (x + pd.to_timedelta(rng.exponential(40, n), unit="D")).floor("s")
    cancel = cancel.where(rng.random(n) < 0.7)  # 30% never cancel (NULL)
    asg = pd.DataFrame(
        {"user_id": range(n), "variant": rng.choice(["a", "b"], n), "first_exposure": x}
    )
    asg["churned_at"] = cancel
    got = _churn(ibis.memtable(asg), ibis.memtable(asg), 45)
    want: Counter[tuple] = Counter()
    end = pd.Timestamp(END)
    for arm, xi, ci in zip(asg.variant, x, cancel, strict=True):
        f = min(45, int(np.floor((end - xi).total_seconds() / 86400)))
        c = None if pd.isna(ci) or ci > end else int(np.floor((ci - xi).total_seconds() / 86400))
        churned = c is not None and c <= f
        want[(arm, c if churned else f, churned)] += 1
    assert _as_counter(got.rows) == want


def test_bad_rows_are_counted_not_used() -> None:
    asg = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 4],
            "variant": ["c", "t", None, "t", "t"],
            "first_exposure": pd.to_datetime(
                ["2026-01-01", "2026-01-01", "2026-01-01", "2026-04-28", "2026-04-28"]
            ),
        }
    )
    act = pd.DataFrame(
        {
            "user_id": [1.0, 1.0, 9.0, None, 2.0],
            "ts": pd.to_datetime(
                ["2026-01-03", "2025-12-01", "2026-01-05", "2026-01-05", "2026-06-01"]
            ),
        }
    )
    got = _activity(asg, act, 14, 60)
    ex = got.excluded
    assert ex["assignment rows with no user, arm or exposure time"] == 1
    assert ex["users assigned more than once"] == 1
    assert ex["activity rows with no user or time"] == 1
    assert ex["activity rows of users missing from the assignments"] == 1
    assert ex["activity rows before the user's exposure"] == 1
    assert ex["activity rows after the end of observation"] == 1
    assert ex["users exposed too recently to follow"] == 1  # user 4, once
    assert _as_counter(got.rows) == Counter({("c", 2, True): 1, ("t", 0, True): 1})


def test_mixed_time_zones_compare_on_one_clock() -> None:
    asg = pd.DataFrame(
        {
            "user_id": [1],
            "variant": ["c"],
            "first_exposure": pd.to_datetime(["2026-01-01 23:00"]),  # naive: read as UTC
        }
    )
    # 2026-01-02 00:30 in Berlin is 2026-01-01 23:30 UTC: the same day as the exposure
    act = pd.DataFrame(
        {"user_id": [1], "ts": pd.to_datetime(["2026-01-02 00:30"]).tz_localize("Europe/Berlin")}
    )
    got = _activity(asg, act, 14, 60)
    assert got.rows == (("c", 0, 1, 0),)
    assert any("no time zone: read as UTC" in n for n in got.notes)


def test_a_timestamp_column_of_strings_is_a_located_error() -> None:
    asg = pd.DataFrame({"user_id": [1], "variant": ["c"], "first_exposure": ["yesterday"]})
    with pytest.raises(DataError, match="'first_exposure' holds string"):
        _churn(ibis.memtable(asg), ibis.memtable(asg), 10, timestamp="first_exposure")


def test_no_follow_up_at_all_says_how_to_fix() -> None:
    asg = pd.DataFrame(
        {"user_id": [1], "variant": ["c"], "first_exposure": pd.to_datetime(["2026-04-30"])}
    )
    act = pd.DataFrame({"user_id": [1], "ts": pd.to_datetime(["2026-04-30"])})
    with pytest.raises(DataError, match="no user has any follow-up"):
        _activity(asg, act, 14, 60)


def test_a_table_of_cancellations_counts_each_users_first_one() -> None:
    asg = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "variant": ["c", "c", "t", "t"],
            "first_exposure": pd.to_datetime(["2026-01-01"] * 4),
        }
    )
    cancels = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3, 9],
            "churned_at": pd.to_datetime(
                ["2026-01-21", "2026-01-11", "2025-12-25", "2026-03-15", "2026-01-05"]
            ),
        }
    )
    got = _churn(
        ibis.memtable(asg), ibis.memtable(cancels), 60, dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    )
    # user 1 churns on day 10 (the earlier cancellation), 2 cancelled before exposure,
    # 3 cancels on day 73 > window: censored at 60, like 4 who never cancels
    assert got.rows == (("c", 10, 1, 0), ("t", 60, 0, 2))
    assert got.excluded["users who cancelled before their exposure"] == 1
    assert got.excluded["churn rows of users missing from the assignments"] == 1
    assert got.excluded["churn rows before the user's exposure"] == 1


def test_a_cancellation_after_the_end_of_observation_is_censored_on_the_last_day_too() -> None:
    # exposed 120 days before the end: a cancellation at the end counts, one 12 hours later
    # (still day 120 since exposure) does not
    asg = pd.DataFrame(
        {
            "user_id": [1, 2],
            "variant": ["c", "c"],
            "first_exposure": pd.to_datetime(["2026-01-01"] * 2),
            "churned_at": pd.to_datetime(["2026-05-01 00:00", "2026-05-01 12:00"]),
        }
    )
    table = ibis.memtable(asg)
    got = _churn(table, table, 200)
    assert got.rows == (("c", 120, 1, 1),)


def test_with_no_usable_assignment_the_log_check_still_names_the_mismatch() -> None:
    # no group of counts comes back to carry the checks, so they run on their own
    asg = pd.DataFrame(
        {"user_id": [1, 2], "variant": [None, None], "first_exposure": pd.to_datetime([START] * 2)}
    )
    act = pd.DataFrame({"user_id": [7, 8], "ts": pd.to_datetime([START] * 2)})
    with pytest.raises(DataError, match="none of the activity log's 2 rows belongs"):
        _activity(asg, act, 14, 60)


def test_several_activities_on_one_day_count_as_that_day_once() -> None:
    # the window reads every copy of a day: only the last copy sees the next later day
    x = pd.Timestamp("2026-01-01")
    asg = pd.DataFrame({"user_id": [1], "variant": ["c"], "first_exposure": [x]})
    hours = [1, 2, 5 * 24, 5 * 24 + 3, 5 * 24 + 9, 30 * 24, 30 * 24 + 1]
    act = pd.DataFrame({"user_id": [1] * 7, "ts": [x + pd.Timedelta(hours=h) for h in hours]})
    got = _activity(asg, act, 14, 60)
    assert got.rows == (("c", 5, 1, 0),)  # active on days 0, 5 and 30: churned on day 5
