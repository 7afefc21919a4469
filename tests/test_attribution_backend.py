"""The backend reduces touchpoint and order logs to path counts; bad rows are handled, counted."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlroi.attribution.analysis import attribute, attribute_paths, table_of
from mlroi.attribution.config import AttributionConfig
from mlroi.attribution.heuristics import HEURISTICS, heuristic
from mlroi.attribution.paths import Journey, path_table
from mlroi.backend.attribution import LogColumns, influenced, journey_counts
from mlroi.errors import DataError

COLS = LogColumns(
    "user_id", "ts", "channel", "item_id", "user_id", "order_id", "ts", "revenue", "item_id"
)
T0 = datetime(2026, 1, 1)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def touches(*rows: tuple[str, float, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "ts": [at(r[1]) for r in rows],
            "channel": [r[2] for r in rows],
            "item_id": [r[3] for r in rows],
        }
    )


def orders(*rows: tuple[str, str, float, float, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "order_id": [r[1] for r in rows],
            "ts": [at(r[2]) for r in rows],
            "revenue": [r[3] for r in rows],
            "item_id": [r[4] for r in rows],
        }
    )


def counts(t: pd.DataFrame, o: pd.DataFrame, lookback_days: float = 30, max_touches: int = 50):  # type: ignore[no-untyped-def]
    return journey_counts(
        t, o, COLS, lookback_days=lookback_days, half_life_days=7, max_touches=max_touches
    )


def mem(df: pd.DataFrame):  # type: ignore[no-untyped-def]
    return ibis.memtable(df)


def run(t: pd.DataFrame, o: pd.DataFrame, **kw: float):  # type: ignore[no-untyped-def]
    return counts(mem(t), mem(o), **kw)  # type: ignore[arg-type]


def test_each_touch_joins_the_next_order_and_later_touches_do_not_convert() -> None:
    got = run(
        touches(("u1", 0, "email", None), ("u1", 5, "rec_click", "i1"), ("u1", 30, "search", None)),
        orders(("u1", "o1", 10, 50.0, "i1")),
    )
    rows = dict(zip(zip(got.path, got.converted, strict=True), got.value, strict=True))
    assert rows == {("email\x1frec_click", True): 50.0, ("search", False): 0.0}
    assert got.counts["touches_after_last_order"] == 1


def test_a_touch_at_the_order_time_belongs_to_that_order() -> None:
    got = run(touches(("u", 10, "ad", None)), orders(("u", "o", 10, 5.0, None)))
    assert got.converted.tolist() == [True]


def test_duplicate_rows_are_dropped_and_counted() -> None:
    got = run(
        touches(("u", 0, "ad", None), ("u", 0, "ad", None)),
        orders(("u", "o", 1, 5.0, "a"), ("u", "o", 1, 5.0, "a"), ("u", "o", 1, 2.0, "b")),
    )
    assert got.counts["duplicate_touches"] == 1
    assert got.counts["duplicate_order_lines"] == 1
    assert got.value.tolist() == [7.0]


def test_refunds_are_negative_lines_and_an_excess_is_valued_at_zero() -> None:
    got = run(
        touches(("u", 0, "ad", None), ("v", 0, "ad", None)),
        orders(
            ("u", "o1", 1, 20.0, "a"),
            ("u", "o1", 30, -5.0, "a"),
            ("v", "o2", 1, 10.0, "a"),
            ("v", "o2", 40, -14.0, "a"),
        ),
    )
    assert got.value.sum() == 15.0
    assert got.counts["refunds_exceeding_order"] == 1
    assert got.counts["refund_excess"] == 4.0


def test_orders_without_a_touch_in_the_lookback_are_not_attributed() -> None:
    got = run(
        touches(("u", 0, "ad", None)),
        orders(("u", "o1", 24 * 40, 20.0, None), ("w", "o2", 3, 7.0, None)),
        lookback_days=30,
    )
    assert got.counts["orders_without_touch"] == 2
    assert got.counts["revenue_without_touch"] == 27.0
    assert got.counts["touches_outside_lookback"] == 1
    assert got.converted.sum() == 0


def test_a_long_journey_keeps_its_last_touches() -> None:
    t = touches(*[("u", float(h), f"c{h}", None) for h in range(6)])
    got = run(t, orders(("u", "o", 10, 1.0, None)), max_touches=3)
    assert got.path == ["c3\x1fc4\x1fc5"]
    assert got.counts["truncated_journeys"] == 1


def test_time_decay_sums_match_the_half_life() -> None:
    got = run(
        touches(("u", 0, "a", None), ("u", 168, "b", None)),
        orders(("u", "o", 168, 30.0, None)),
    )
    np.testing.assert_allclose(got.decay_share, [1 / 3, 2 / 3])
    np.testing.assert_allclose(got.decay_value, [10.0, 20.0])


def test_mixed_time_zones_are_refused() -> None:
    t = touches(("u", 0, "a", None))
    t["ts"] = t["ts"].dt.tz_localize("UTC")
    with pytest.raises(DataError, match="mixed time zones"):
        run(t, orders(("u", "o", 1, 1.0, None)))


def test_a_time_column_of_text_is_refused_with_the_fix() -> None:
    t = touches(("u", 0, "a", None))
    t["ts"] = t["ts"].astype(str)
    with pytest.raises(DataError, match="not timestamps"):
        run(t, orders(("u", "o", 1, 1.0, None)))


def test_a_missing_column_is_named() -> None:
    with pytest.raises(DataError, match=r"attribution\.orders: revenue column 'revenue' not found"):
        run(touches(("u", 0, "a", None)), orders(("u", "o", 1, 1.0, None)).drop(columns="revenue"))


def test_a_window_of_zero_is_refused() -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        AttributionConfig.model_validate(
            {
                "touchpoints": {"path": "t.parquet"},
                "orders": {"path": "o.parquet"},
                "lookback_days": 0,
            }
        )
    with pytest.raises(ValidationError, match="greater than 0"):
        AttributionConfig.model_validate(
            {
                "touchpoints": {"path": "t.parquet"},
                "orders": {"path": "o.parquet"},
                "recommendation": {"item_window_days": 0},
            }
        )


def test_item_and_order_windows_after_a_recommendation_click() -> None:
    t = touches(("u", 0, "rec_click", "i1"), ("v", 0, "rec_click", "i2"), ("w", 0, "email", None))
    o = orders(
        ("u", "o1", 2, 10.0, "i1"),  # clicked item, within both windows
        ("u", "o1", 2, 5.0, "i9"),  # another item in the same order: order level only
        ("v", "o2", 24 * 3, 8.0, "i2"),  # clicked item after 3 days: item level only
        ("w", "o3", 1, 4.0, "i3"),  # no recommendation click
    )
    item, order = influenced(
        mem(t),
        mem(o),
        COLS,
        channels=["rec_click"],
        item_window_hours=24 * 7,
        order_window_hours=24,
    )
    assert item is not None
    assert (item.revenue, item.orders) == (18.0, 2)
    assert (order.revenue, order.orders) == (15.0, 1)
    assert order.users == 3
    assert order.sum_sq == 15.0**2


def generated_logs(seed: int, users: int = 300) -> tuple[pd.DataFrame, pd.DataFrame, list[Journey]]:
    """Random logs and the journeys they hold, built by hand (no SQL)."""
    rng = np.random.default_rng(seed)
    t_rows: list[tuple[str, float, str, str | None]] = []
    o_rows: list[tuple[str, str, float, float, str | None]] = []
    journeys: list[Journey] = []
    for u in range(users):
        clock = 0.0
        for j in range(int(rng.integers(1, 4))):
            chans, hours = [], []
            for _ in range(int(rng.integers(1, 5))):
                clock += float(rng.integers(1, 48))
                c = str(rng.choice(["email", "search", "rec_click", "ad"]))
                t_rows.append((f"u{u}", clock, c, None))
                chans.append(c)
                hours.append(clock)
            if rng.random() < 0.6:
                clock += float(rng.integers(1, 24))
                v = float(rng.integers(5, 100))
                o_rows.append((f"u{u}", f"u{u}-{j}", clock, v, None))
                journeys.append(Journey(chans, v, True, [clock - h for h in hours]))
            else:
                journeys.append(Journey(chans, 0.0, False))
                break  # touches after the last order end the user's log
    return touches(*t_rows), orders(*o_rows), journeys


def test_the_backend_path_table_gives_the_credits_of_journeys_built_by_hand() -> None:
    t, o, js = generated_logs(5)
    table = table_of(run(t, o, lookback_days=365), 7 * 24)
    want = path_table(js, half_life_hours=7 * 24)
    assert table.total_value == pytest.approx(want.total_value)
    assert table.journeys.sum() == len(js)
    for m in HEURISTICS:
        got, ref = heuristic(table, m), heuristic(want, m)
        assert dict(zip(got.channels, got.value, strict=True)) == pytest.approx(
            dict(zip(ref.channels, ref.value, strict=True))
        ), m


def attribution_config(touchpoints: object, orders: object) -> AttributionConfig:
    return AttributionConfig.model_validate(
        {
            "touchpoints": touchpoints,
            "orders": orders,
            "resamples": 30,
            "incremental": {"estimate": 500.0, "interval": [100.0, 900.0]},
        }
    )


def test_attribute_runs_a_case_section_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    t, o, _ = generated_logs(6, users=150)
    t.to_parquet(tmp_path / "t.parquet")
    o.to_parquet(tmp_path / "o.parquet")
    config = attribution_config({"path": "t.parquet"}, {"path": "o.parquet"})
    r = attribute(config, base=tmp_path, seed=1)
    for m in r.models:
        assert sum(c.value.estimate for c in m.channels) == pytest.approx(r.attributed_revenue)
        assert all(c.value.lower <= c.value.estimate <= c.value.upper for c in m.channels)
    assert r.reconciliation is not None
    assert r.reconciliation.factor.estimate == pytest.approx(
        500.0 / r.model("last_click").recommendation.estimate
    )
    assert "not incremental revenue" in r.to_dict()["not_incremental"]
    assert r.to_json() == attribute(config, base=tmp_path, seed=1).to_json()


def test_attribute_paths_example() -> None:
    t = path_table([Journey(["email", "rec_click"], 30.0), Journey(["rec_click"], 10.0)])
    r = attribute_paths(t, models=["last_click", "markov"], resamples=10)
    assert r.model("last_click").recommendation.estimate == 40.0


def test_users_missing_from_the_assignment_table_are_counted_with_their_revenue() -> None:
    from mlroi.backend.attribution import missing_from_assignments

    t = touches(("u", 0, "ad", None), ("v", 0, "ad", None), ("w", 0, "ad", None))
    o = orders(("u", "o1", 1, 10.0, None), ("v", "o2", 1, 4.0, None), ("x", "o3", 1, 6.0, None))
    assigned = mem(pd.DataFrame({"user_id": ["u", "w"], "variant": ["treatment", "control"]}))
    got = missing_from_assignments(mem(t), mem(o), COLS, assigned, "user_id")
    assert got == {
        "users_missing_from_assignments": 2.0,  # v and x
        "orders_of_users_missing_from_assignments": 2.0,
        "revenue_of_users_missing_from_assignments": 10.0,
    }


def test_the_session_rule_counts_orders_after_a_click_in_the_same_session() -> None:
    from mlroi.backend.attribution import session_influenced

    t = touches(("u", 0, "rec_click", "i1"), ("u", 50, "rec_click", "i2"), ("v", 0, "ad", None))
    t["session_id"] = [1, 2, 3]
    o = orders(
        ("u", "o1", 1, 10.0, "i9"),  # session 1, after its click: influenced
        ("u", "o2", 40, 7.0, "i9"),  # session 9, no click in it
        ("u", "o3", 49, 5.0, "i9"),  # session 2, but before the click
        ("v", "o4", 1, 3.0, "i9"),
    )
    o["session_id"] = [1, 9, 2, 3]
    got = session_influenced(
        mem(t),
        mem(o),
        COLS,
        channels=["rec_click"],
        touch_session="session_id",
        order_session="session_id",
    )
    assert (got.revenue, got.orders, got.users) == (10.0, 1, 2)


def test_engines_without_sorted_lists_get_the_same_path_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    from mlroi.backend import capabilities

    t, o, _ = generated_logs(9, users=80)
    fast = run(t, o)
    plain = dataclasses.replace(capabilities.ENGINES["duckdb"], sorted_lists=False)
    monkeypatch.setitem(capabilities.ENGINES, "duckdb", plain)
    slow = run(t, o)
    assert slow.path == fast.path and slow.counts == fast.counts
    assert slow.decay_path == fast.decay_path
    np.testing.assert_array_equal(slow.decay_position, fast.decay_position)
    np.testing.assert_array_equal(slow.decay_share, fast.decay_share)
    np.testing.assert_array_equal(slow.value, fast.value)


def test_a_long_path_keeps_its_order_past_ten_positions_and_digits_in_channel_names() -> None:
    names = ["7up", "12", "", "a1", "b", "007", "c", "d", "e", "f", "g", "h"]
    t = touches(*[("u", float(h), c, None) for h, c in enumerate(names)])
    got = run(t, orders(("u", "o1", 20, 5.0, None)), max_touches=11)
    assert got.path == ["\x1f".join(names[1:])]  # the last 11 touches, first touch first
    assert got.counts["truncated_journeys"] == 1


@pytest.mark.spark
def test_attribution_on_spark_gives_the_duckdb_result(spark_tables, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Path counts and every model's credits and intervals agree exactly; only the names of the
    sources differ."""
    t, o, _ = generated_logs(6, users=150)
    t.to_parquet(tmp_path / "t.parquet")
    o.to_parquet(tmp_path / "o.parquet")
    duck = attribute(
        attribution_config({"path": "t.parquet"}, {"path": "o.parquet"}), base=tmp_path, seed=1
    )
    on_spark = attribution_config(
        spark_tables.put("attr_touches", t).model_dump(exclude_none=True),
        spark_tables.put("attr_orders", o).model_dump(exclude_none=True),
    )
    got, want = attribute(on_spark, seed=1).to_dict(), duck.to_dict()
    assert got.pop("sources") == {
        "touchpoints": "table: attr_touches",
        "orders": "table: attr_orders",
    }
    want.pop("sources")
    assert got == want
