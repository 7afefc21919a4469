"""DuckDB's list query gives the path table of the window query, edge cases included.

The backend builds the path table from one sorted list per journey where the engine has list
functions (:func:`mlroi.backend.attribution._rows_by_lists`) and from window functions elsewhere
(``_rows_by_windows``); the two must agree to the last bit, however the logs tie or misbehave.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest

from mlroi.backend import capabilities
from mlroi.backend.attribution import JourneyCounts, LogColumns, journey_counts

COLS = LogColumns(
    "user_id", "ts", "channel", "item_id", "user_id", "order_id", "ts", "revenue", "item_id"
)
T0 = datetime(2026, 3, 1)


def logs(
    touch_rows: list[tuple[Any, float, str | None, str | None]],
    order_rows: list[tuple[Any, str, float, float, str | None]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = pd.DataFrame(touch_rows, columns=["user_id", "hours", "channel", "item_id"])
    t["ts"] = [T0 + timedelta(hours=h) for h in t.pop("hours")]
    o = pd.DataFrame(order_rows, columns=["user_id", "order_id", "hours", "revenue", "item_id"])
    o["ts"] = [T0 + timedelta(hours=h) for h in o.pop("hours")]
    return t, o


def both(
    monkeypatch: pytest.MonkeyPatch, t: pd.DataFrame, o: pd.DataFrame, **kw: Any
) -> tuple[JourneyCounts, JourneyCounts]:
    """The path table by lists (DuckDB's default) and by windows (the plain-SQL query)."""
    settings: dict[str, Any] = {"lookback_days": 30, "half_life_days": 7, "max_touches": 50}
    settings.update(kw)
    by_lists = journey_counts(ibis.memtable(t), ibis.memtable(o), COLS, **settings)
    plain = dataclasses.replace(capabilities.ENGINES["duckdb"], list_lambdas=False)
    monkeypatch.setitem(capabilities.ENGINES, "duckdb", plain)
    by_windows = journey_counts(ibis.memtable(t), ibis.memtable(o), COLS, **settings)
    return by_lists, by_windows


def assert_same(a: JourneyCounts, b: JourneyCounts) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def test_touches_at_one_time_keep_the_channel_order_of_the_window_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t, o = logs(
        [("u", 1, "search", None), ("u", 1, "ad", None), ("u", 1, "email", None)],
        [("u", "o1", 2, 30.0, None)],
    )
    lists, windows = both(monkeypatch, t, o)
    assert lists.path == ["ad\x1femail\x1fsearch"]
    assert_same(lists, windows)


def test_orders_at_one_time_give_the_touches_to_the_first_order_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t, o = logs(
        [("u", 0, "ad", None), ("u", 5, "email", None)],
        [("u", "o2", 5, 8.0, None), ("u", "o1", 5, 3.0, None), ("u", "o3", 9, 4.0, None)],
    )
    lists, windows = both(monkeypatch, t, o)
    assert lists.value.tolist() == [3.0]
    assert lists.counts["orders_without_touch"] == 2
    assert_same(lists, windows)


def test_integer_user_ids_give_an_order_of_two_users_to_the_smaller_id_as_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 10 < 9 as text: the order is user 10's, as when the ids are compared as text
    t, o = logs(
        [(9, 0, "ad", None), (10, 0, "email", None)],
        [(9, "o1", 1, 5.0, "a"), (10, "o1", 1, 2.0, "b")],
    )
    lists, windows = both(monkeypatch, t, o)
    assert dict(zip(lists.path, lists.converted.tolist(), strict=True)) == {
        "ad": False,
        "email": True,
    }
    assert lists.counts["orders_with_several_users"] == 1
    assert_same(lists, windows)


def test_truncation_lookback_and_missing_channels_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[tuple[Any, float, str | None, str | None]] = [
        ("u", float(h), c, None) for h, c in enumerate(["a", None, "b", "c", "b", "a", "c"])
    ]
    rows += [("u", -24.0 * 40, "old", None), ("v", 3.0, None, None), ("v", 4.0, "a", None)]
    rows += [("w", 1.0, "a", "i"), ("w", 1.0, "a", "i"), ("w", 30.0, "b", None)]
    t, o = logs(rows, [("u", "o1", 10, 9.0, None), ("v", "o2", 5, 6.0, None)])
    lists, windows = both(monkeypatch, t, o, max_touches=4)
    assert lists.counts["truncated_journeys"] == 1
    assert lists.counts["touches_outside_lookback"] == 1
    assert lists.counts["duplicate_touches"] == 1
    assert_same(lists, windows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_logs_with_ties_give_the_same_table(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    t, o = logs(
        [
            (
                int(rng.integers(0, 40)),
                float(rng.integers(0, 60 * 24)),  # whole hours over 60 days: ties
                str(rng.choice(["ad", "email", "search", "rec_click"])),
                None,
            )
            for _ in range(n)
        ],
        [
            (
                int(rng.integers(0, 40)),
                f"o{i}",
                float(rng.integers(0, 60 * 24)),
                float(rng.integers(-5, 50)),
                None,
            )
            for i in range(n // 4)
        ],
    )
    lists, windows = both(monkeypatch, t, o, max_touches=3, lookback_days=10)
    assert lists.counts["converting_journeys"] > 0
    assert_same(lists, windows)


def test_more_channel_names_than_the_keys_hold_fall_back_to_the_window_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlroi.backend import attribution
    from mlroi.backend.execute import watching

    t, o = logs(
        [("u", 0, "ad", None), ("u", 1, "email", None), ("u", 2, "search", None)],
        [("u", "o1", 3, 5.0, None)],
    )
    monkeypatch.setattr(attribution, "CHANNEL_BITS", 1)  # keys for one name (code 1) only
    monkeypatch.setattr(attribution, "CHANNEL_CODES", 2)
    purposes: list[str] = []
    with watching(lambda _, purpose: purposes.append(purpose)):
        lists, windows = both(monkeypatch, t, o)
    assert purposes.count("the path-count query") == 3  # lists, then windows; then windows
    assert lists.path == ["ad\x1femail\x1fsearch"]
    assert_same(lists, windows)


def test_times_beyond_the_keys_fall_back_to_the_window_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t, o = logs([("u", 0, "ad", None)], [("u", "o1", 1, 5.0, None)])
    t["ts"] = [datetime(2300, 1, 1)]  # microseconds x 1024 overflow a BIGINT
    o["ts"] = [datetime(2300, 1, 1, 1)]
    lists, windows = both(monkeypatch, t, o)
    assert lists.path == ["ad"] and lists.converted.tolist() == [True]
    assert_same(lists, windows)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_log_reduced_in_parts_of_its_users_gives_the_same_table(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    from mlroi.backend import attribution
    from mlroi.backend.execute import watching

    rng = np.random.default_rng(seed)
    n = 400
    users = [f"u{i}" for i in range(40)]
    t, o = logs(
        [
            (
                str(rng.choice(users)),
                float(rng.integers(0, 60 * 24)),
                str(rng.choice(["ad", "email", "search", "rec_click"])),
                str(rng.choice(["i1", "i2"])),
            )
            for _ in range(n)
        ]
        + [("u1", 7.0, None, None)],
        [
            (
                str(rng.choice(users)),
                f"o{i}",
                float(rng.integers(0, 60 * 24)),
                float(rng.integers(-5, 50)),
                None,
            )
            for i in range(n // 4)
        ]
        # an order with lines of two users: it goes to the smaller id
        + [("u7", "o1", 100.0, 12.5, None), ("u3", "o1", 101.0, 1.0, None)],
    )
    settings: dict[str, Any] = {
        "lookback_days": 10,
        "half_life_days": 2,
        "max_touches": 3,
        "exclude": ["email"],
    }
    whole = journey_counts(ibis.memtable(t), ibis.memtable(o), COLS, **settings)
    monkeypatch.setattr(attribution, "PART_ROWS", 60)  # 401 rows: 7 parts
    purposes: list[str] = []
    with watching(lambda _, purpose: purposes.append(purpose)):
        lists, windows = both(monkeypatch, t, o, **settings)
    assert "the path-count query (part 7 of 7)" in purposes
    assert "the left-out touches (part 7 of 7)" in purposes
    assert lists.counts["converting_journeys"] > 0
    assert_same(lists, whole)
    assert_same(lists, windows)


def test_a_log_of_integer_users_reduced_in_ranges_of_their_ids_gives_the_same_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlroi.backend import attribution
    from mlroi.backend.execute import watching

    rng = np.random.default_rng(3)
    n = 400
    rows: list[tuple[Any, float, str | None, str | None]] = [
        (
            int(rng.integers(1, 41)),
            float(rng.integers(0, 60 * 24)),
            str(rng.choice(["ad", "email", "search", "rec_click", "rec_view"])),
            str(rng.choice(["i1", "i2"])),
        )
        for _ in range(n)
    ]
    # duplicates of kept and left-out touches, touches with no channel, with no user
    rows += [rows[0], rows[1], rows[2], (5, 7.0, None, None), (5, 7.0, None, None)]
    rows += [(None, 3.0, "ad", None), (None, 3.0, "rec_view", "i1"), (None, 3.0, "rec_view", "i1")]
    t, o = logs(
        rows,
        [
            (int(rng.integers(1, 41)), f"o{i}", float(rng.integers(0, 60 * 24)), 5.0, None)
            for i in range(n // 4)
        ],
    )
    t["user_id"] = t["user_id"].astype("Int64")
    settings: dict[str, Any] = {
        "lookback_days": 10,
        "half_life_days": 2,
        "max_touches": 3,
        "exclude": ["rec_view", "rec_click"],
    }
    whole = journey_counts(ibis.memtable(t), ibis.memtable(o), COLS, **settings)
    monkeypatch.setattr(attribution, "PART_ROWS", 150)  # 410 rows: 3 parts
    queries: dict[str, str] = {}
    with watching(lambda query, purpose: queries.update({purpose: ibis.to_sql(query)})):
        parts = journey_counts(ibis.memtable(t), ibis.memtable(o), COLS, **settings)
    assert "the left-out touches (part 3 of 3)" in queries
    assert "hash" not in queries["the path-count query (part 3 of 3)"].lower()
    assert whole.counts["excluded_touches"] > 0
    assert_same(parts, whole)


@pytest.mark.parametrize(
    "ids",
    [
        # ids 1..4000, the later ones with more rows: cut by ranges
        [i for i in range(1, 4001) for _ in range(1 + i // 1000)],
        # 1000 ids with a row each, and 1000 ids near 10^15 with three rows each: by hash
        [*range(1, 1001), *[10**15 + i for i in range(1000) for _ in range(3)]],
    ],
)
def test_parts_of_integer_user_ids_hold_about_as_many_rows_each(ids: list[int]) -> None:
    from mlroi.backend.attribution import _user_ranges

    users = ibis.memtable(pd.DataFrame({"user": pd.array([*ids, None], dtype="Int64")}))
    parts = _user_ranges(users, 4)
    sizes = [int(users.filter(mine(users)).count().execute()) for mine in parts]
    assert len(parts) == 4
    assert sum(sizes) == len(ids) + 1  # every row in exactly one part, the missing id too
    assert max(sizes) < 1.25 * (len(ids) + 1) / 4


def test_rows_without_a_user_are_left_out_and_counted_alike_by_lists_and_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t, o = logs(
        [("u", 1, "ad", None), (None, 2, "email", None), (None, 2.5, "ad", None)],
        [("u", "o1", 5, 10.0, None), (None, "o2", 5, 7.0, None)],
    )
    by_lists, by_windows = both(monkeypatch, t, o)
    assert_same(by_lists, by_windows)
    counts = by_lists.counts
    assert counts["touches_without_user"] == 2 and counts["order_lines_without_user"] == 1
    assert counts["duplicate_touches"] == 0 and counts["duplicate_order_lines"] == 0
    assert counts["journeys"] == 1 and counts["order_revenue"] == 10.0
