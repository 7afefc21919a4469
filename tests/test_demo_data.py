"""The synthetic recommender A/B test: reproducible, realistic, consistent with its event log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlroi.demo import (
    RecommenderData,
    generate_recommender_test,
    recommender,
    write_recommender_test,
)
from mlroi.errors import SpecError

COUNT_COLUMNS = ("impressions", "clicks", "add_to_carts", "orders", "converted", "sessions")
SUM_COLUMNS = ("revenue", "session_minutes", "pre_revenue")

DERIVE_FROM_EVENTS = """
WITH flagged AS (
    SELECT a.user_id, e.event_type, e.amount,
           e.ts >= a.first_exposure AND e.ts < a.first_exposure + INTERVAL 14 DAY AS post,
           e.ts >= a.first_exposure - INTERVAL 28 DAY AND e.ts < a.first_exposure AS pre
    FROM assignments AS a LEFT JOIN events AS e USING (user_id)
)
SELECT user_id,
       count(*) FILTER (WHERE post AND event_type = 'impression') AS impressions,
       count(*) FILTER (WHERE post AND event_type = 'click') AS clicks,
       count(*) FILTER (WHERE post AND event_type = 'add_to_cart') AS add_to_carts,
       count(*) FILTER (WHERE post AND event_type = 'purchase') AS orders,
       CAST(count(*) FILTER (WHERE post AND event_type = 'purchase') > 0 AS BIGINT) AS converted,
       count(*) FILTER (WHERE post AND event_type = 'session_start') AS sessions,
       coalesce(sum(amount) FILTER (WHERE post AND event_type = 'purchase'), 0) AS revenue,
       coalesce(sum(amount) FILTER (WHERE post AND event_type = 'session_start'), 0)
           AS session_minutes,
       coalesce(sum(amount) FILTER (WHERE pre AND event_type = 'purchase'), 0) AS pre_revenue,
       count(*) FILTER (WHERE pre AND event_type = 'session_start') AS pre_sessions
FROM flagged
GROUP BY user_id
ORDER BY user_id
"""


@pytest.fixture(scope="module")
def small() -> RecommenderData:
    """Enough users for the event-log checks, few enough for DuckDB to be instant."""
    return generate_recommender_test(5_000, seed=11)


@pytest.fixture(scope="module")
def medium() -> RecommenderData:
    """Enough users for the distributional checks to be stable."""
    return generate_recommender_test(20_000, seed=3)


def _column(table: Any, name: str) -> np.ndarray[Any, Any]:
    # Through a list: pyarrow's to_numpy imports pandas, which costs a second per test run.
    return np.array(table.column(name).to_pylist())


def _read_parquet(path: Path) -> Any:
    # ParquetFile.read, unlike pq.read_table, does not import pandas (a second per test run).
    return pq.ParquetFile(path).read()


def _sorted_users(data: RecommenderData) -> Any:
    return data.users.sort_by("user_id")


def test_same_seed_gives_identical_tables() -> None:
    first = generate_recommender_test(2_000, seed=5)
    second = generate_recommender_test(2_000, seed=5)
    assert first.users.equals(second.users)
    assert first.events.equals(second.events)
    assert first.assignments.equals(second.assignments)


def test_different_seeds_give_different_tables() -> None:
    first = generate_recommender_test(2_000, seed=5)
    second = generate_recommender_test(2_000, seed=6)
    assert not first.users.equals(second.users)
    assert not first.events.equals(second.events)
    assert not np.array_equal(_column(first.users, "revenue"), _column(second.users, "revenue"))


def _assert_users_match_events(data: RecommenderData) -> None:
    con = duckdb.connect()
    con.register("events", data.events)
    con.register("assignments", data.assignments)
    derived = con.sql(DERIVE_FROM_EVENTS).to_arrow_table()
    users = _sorted_users(data)

    assert derived.num_rows == users.num_rows
    np.testing.assert_array_equal(_column(derived, "user_id"), _column(users, "user_id"))
    for name in (*COUNT_COLUMNS, "pre_sessions"):
        np.testing.assert_array_equal(_column(derived, name), _column(users, name), err_msg=name)
    for name in SUM_COLUMNS:
        np.testing.assert_allclose(
            _column(derived, name), _column(users, name), rtol=1e-9, atol=0, err_msg=name
        )


def test_users_table_equals_metrics_derived_from_events(small: RecommenderData) -> None:
    assert small.users.num_rows == 5_000
    _assert_users_match_events(small)


def test_blocks_of_users_are_stitched_into_one_consistent_test(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(recommender, "BLOCK_SIZE", 1_000)
    data = generate_recommender_test(2_500, seed=8)
    user_ids = _column(data.users, "user_id")
    assert len(np.unique(user_ids)) == 2_500
    assert np.array_equal(user_ids, np.arange(user_ids[0], user_ids[0] + 2_500))
    _assert_users_match_events(data)
    paths = write_recommender_test(tmp_path, 2_500, seed=8)
    assert _read_parquet(paths["events"]).equals(data.events)


def test_event_log_has_pre_period_and_after_window_events(small: RecommenderData) -> None:
    con = duckdb.connect()
    con.register("events", small.events)
    con.register("assignments", small.assignments)
    counts = dict(
        con.sql(
            """
            SELECT CASE WHEN e.ts < a.first_exposure - INTERVAL 28 DAY THEN 'before pre'
                        WHEN e.ts < a.first_exposure THEN 'pre ' || e.event_type
                        WHEN e.ts >= a.first_exposure + INTERVAL 14 DAY THEN 'after window'
                        ELSE 'window' END AS period,
                   count(*)
            FROM events AS e JOIN assignments AS a USING (user_id)
            GROUP BY period
            """
        ).fetchall()
    )
    users = small.users
    assert set(counts) == {"pre session_start", "pre purchase", "window", "after window"}
    assert counts["pre session_start"] == _column(users, "pre_sessions").sum()
    assert counts["pre purchase"] > 0.1 * users.num_rows
    assert counts["after window"] > 0.5 * users.num_rows


def test_events_per_user_stay_manageable(medium: RecommenderData) -> None:
    per_user = medium.events.num_rows / medium.users.num_rows
    assert 15 <= per_user <= 30


def test_share_of_users_without_revenue_is_realistic(medium: RecommenderData) -> None:
    zero_share = np.mean(_column(medium.users, "revenue") == 0)
    assert 0.85 <= zero_share <= 0.92


@pytest.mark.parametrize(
    "arms",
    [None, {"control": 0.5, "small": 0.2, "large": 0.3}],
    ids=["default 50/50", "three arms"],
)
def test_arm_split_matches_plan_within_4_standard_errors(arms: dict[str, float] | None) -> None:
    n = 20_000
    planned = arms or {"control": 0.5, "treatment": 0.5}
    variants = _column(generate_recommender_test(n, seed=9, arms=arms).users, "variant")
    assert set(variants) == set(planned)
    for name, share in planned.items():
        standard_error = np.sqrt(share * (1 - share) / n)
        assert abs(np.mean(variants == name) - share) < 4 * standard_error, name


def test_clicks_never_exceed_impressions(medium: RecommenderData) -> None:
    assert np.all(_column(medium.users, "clicks") <= _column(medium.users, "impressions"))


def test_converted_flags_exactly_the_users_with_orders(medium: RecommenderData) -> None:
    orders = _column(medium.users, "orders")
    np.testing.assert_array_equal(_column(medium.users, "converted"), (orders > 0).astype(int))


def test_every_user_has_a_session_and_is_exposed_in_the_first_week(
    medium: RecommenderData,
) -> None:
    assert _column(medium.users, "sessions").min() >= 1
    exposure = _column(medium.users, "first_exposure")
    assert exposure.min() >= datetime(2026, 9, 1)
    assert exposure.max() < datetime(2026, 9, 8)


def test_new_users_have_no_pre_period_activity(medium: RecommenderData) -> None:
    new = _column(medium.users, "user_type") == "new"
    assert 0.2 < new.mean() < 0.4
    assert np.all(_column(medium.users, "pre_revenue")[new] == 0)
    assert np.all(_column(medium.users, "pre_sessions")[new] == 0)


def test_pre_revenue_predicts_revenue_among_returning_users(medium: RecommenderData) -> None:
    returning = _column(medium.users, "user_type") == "returning"
    pre = _column(medium.users, "pre_revenue")[returning]
    post = _column(medium.users, "revenue")[returning]
    assert np.corrcoef(pre, post)[0, 1] > 0.3


def test_effects_move_the_metric_they_name() -> None:
    data = generate_recommender_test(20_000, seed=2, effects={"ctr": 0.5})
    treated = _column(data.users, "variant") == "treatment"
    clicks = _column(data.users, "clicks")
    impressions = _column(data.users, "impressions")
    ctr = [clicks[arm].sum() / impressions[arm].sum() for arm in (~treated, treated)]
    assert ctr[1] / ctr[0] - 1 == pytest.approx(0.5, abs=0.1)
    assert impressions[treated].mean() / impressions[~treated].mean() == pytest.approx(1, abs=0.03)
    assert data.effects["ctr"] == 0.5
    assert data.effects["conversion"] == 0.0


def test_write_without_events_writes_the_generated_users_table(tmp_path: Path) -> None:
    paths = write_recommender_test(tmp_path, 3_000, seed=4, events=False)
    assert paths == {"users": tmp_path / "users.parquet"}
    assert not (tmp_path / "events.parquet").exists()
    written = _read_parquet(paths["users"])
    assert written.equals(generate_recommender_test(3_000, seed=4).users)


def test_write_with_events_writes_all_three_tables(tmp_path: Path) -> None:
    paths = write_recommender_test(tmp_path / "out", 3_000, seed=4)
    expected = generate_recommender_test(3_000, seed=4)
    assert set(paths) == {"users", "events", "assignments"}
    for name, path in paths.items():
        table: pa.Table = _read_parquet(path)
        assert table.equals(getattr(expected, name)), name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_users": 0}, "n_users"),
        ({"arms": {"control": 1.0}}, "at least two"),
        ({"arms": {"control": 0.5, "treatment": -0.5}}, "arms['treatment']"),
        ({"effects": {"clickthrough": 0.1}}, "unknown name"),
        ({"effects": {"ctr": -1.5}}, "effects['ctr']"),
    ],
)
def test_invalid_arguments_raise_a_spec_error_naming_them(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match=message.replace("[", r"\[")):
        generate_recommender_test(**{"n_users": 10, **kwargs})
