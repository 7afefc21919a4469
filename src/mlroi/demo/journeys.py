"""Touchpoint and order logs of the recommender scenario, for revenue attribution.

Users of the recommender arm over 28 days: sessions that start from search, email, an ad or
directly (a direct visit is not a logged touch), recommendation impressions and clicks, and
orders of one or more item lines; both logs carry the session id. A user's *intent* drives both
clicking a recommendation and ordering, and a click adds only a little to the chance of an order
(``CLICK_EFFECT``): so most revenue that follows a recommendation click would have happened
anyway, as published work finds, and influenced revenue far exceeds the incremental revenue.

The logs carry the irregular rows real logs have, in small shares: duplicate rows, partial
refunds (negative lines days later), refunds larger than the order, and recommendation clicks
logged after the order they led to (clock skew).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DAYS = 28
START = datetime(2026, 9, 1)
CHANNELS = ("search", "email", "ad", "direct")
ENTRY_SHARES = (0.30, 0.15, 0.15, 0.40)
IMPRESSION_RATE = 0.7
CLICK_EFFECT = 0.015
"""Absolute rise of a session's chance of an order caused by a recommendation click."""
ORDER_RATE = 0.5
"""A session's chance of an order per unit of its user's intent (before the click's effect)."""

ITEMS = 5_000
_MIN = 60_000_000  # microseconds in a minute


def generate_journey_logs(
    n_users: int = 50_000, *, seed: int = 7, order_rate: float = ORDER_RATE
) -> dict[str, pa.Table]:
    """The ``touchpoints`` and ``orders`` logs of ``n_users`` users (module docstring).

    ``order_rate`` scales a session's chance of an order (its intent times ``order_rate``, plus
    the click's effect): the default gives about 0.26 orders per user, 1.0 about twice that
    (the touches, and every draw, stay the same).

    Example:
        >>> logs = generate_journey_logs(1_000, seed=1)
        >>> sorted(logs), logs["orders"].column_names[:5]
        (['orders', 'touchpoints'], ['user_id', 'order_id', 'ts', 'item_id', 'revenue'])
    """
    rng = np.random.default_rng(seed)
    intent = rng.beta(1.0, 6.0, n_users)
    sessions = 1 + rng.poisson(2.5, n_users)
    user = np.repeat(np.arange(1, n_users + 1, dtype=np.int64), sessions)
    s_intent = np.repeat(intent, sessions)
    n = user.size
    start_us = int(START.timestamp() * 1e6) if START.tzinfo else _naive_us(START)
    t0 = start_us + (rng.random(n) * DAYS * 24 * 60).astype(np.int64) * _MIN
    entry = rng.choice(len(CHANNELS), n, p=ENTRY_SHARES)
    shown = rng.random(n) < IMPRESSION_RATE
    item = _items(rng, n)
    clicked = shown & (rng.random(n) < 0.08 + 0.9 * s_intent)
    ordered = rng.random(n) < np.clip(order_rate * s_intent, 0, 1) + CLICK_EFFECT * clicked
    skew = clicked & ordered & (rng.random(n) < 0.005)

    logged = entry != CHANNELS.index("direct")
    t_user = np.concatenate([user[logged], user[shown], user[clicked]])
    t_ts = np.concatenate(
        [t0[logged], t0[shown] + _MIN, t0[clicked] + 2 * _MIN + skew[clicked] * 70 * _MIN]
    )
    t_channel = np.concatenate(
        [
            np.array(CHANNELS, dtype=object)[entry[logged]],
            np.full(int(shown.sum()), "rec_impression", dtype=object),
            np.full(int(clicked.sum()), "rec_click", dtype=object),
        ]
    )
    t_item = np.concatenate(
        [np.full(int(logged.sum()), None, dtype=object), item[shown], item[clicked]]
    )
    sid = np.arange(1, n + 1, dtype=np.int64)
    t_session = np.concatenate([sid[logged], sid[shown], sid[clicked]])
    dup = rng.random(t_user.size) < 0.005
    touch = _table(
        user_id=np.concatenate([t_user, t_user[dup]]),
        ts=np.concatenate([t_ts, t_ts[dup]]),
        channel=np.concatenate([t_channel, t_channel[dup]]),
        item_id=np.concatenate([t_item, t_item[dup]]),
        session_id=np.concatenate([t_session, t_session[dup]]),
    )

    o_idx = np.flatnonzero(ordered)
    o_ts = t0[o_idx] + rng.integers(5, 60, o_idx.size) * _MIN
    lines = 1 + rng.poisson(0.6, o_idx.size)
    l_order = np.repeat(np.arange(o_idx.size), lines)
    first = np.concatenate(([0], np.cumsum(lines)[:-1]))
    l_item = _items(rng, l_order.size)
    same = clicked[o_idx] & (rng.random(o_idx.size) < 0.6)
    l_item[first[same]] = item[o_idx[same]]
    price = np.round(np.exp(rng.normal(3.2, 0.7, l_order.size)), 2)
    l_user = user[o_idx][l_order]
    l_ts = o_ts[l_order]
    order_total = np.bincount(l_order, weights=price, minlength=o_idx.size)
    partial = rng.random(o_idx.size) < 0.03
    excess = ~partial & (rng.random(o_idx.size) < 0.002)
    r_order = np.concatenate([np.flatnonzero(partial), np.flatnonzero(excess)])
    r_amount = np.concatenate(
        [-np.round(0.5 * price[first[partial]], 2), -np.round(order_total[excess] + 5.0, 2)]
    )
    ids = np.array([f"o{i:07d}" for i in range(o_idx.size)], dtype=object)
    o_user = np.concatenate([l_user, user[o_idx][r_order]])
    o_id = np.concatenate([ids[l_order], ids[r_order]])
    o_time = np.concatenate([l_ts, o_ts[r_order] + 3 * 24 * 60 * _MIN])
    o_item = np.concatenate([l_item, item[o_idx][r_order] if r_order.size else l_item[:0]])
    o_item[l_order.size :] = l_item[first[r_order]]
    o_rev = np.concatenate([price, r_amount])
    o_session = np.concatenate([sid[o_idx][l_order], sid[o_idx][r_order]])
    dup = rng.random(o_user.size) < 0.002
    orders = _table(
        user_id=np.concatenate([o_user, o_user[dup]]),
        order_id=np.concatenate([o_id, o_id[dup]]),
        ts=np.concatenate([o_time, o_time[dup]]),
        item_id=np.concatenate([o_item, o_item[dup]]),
        revenue=np.concatenate([o_rev, o_rev[dup]]),
        session_id=np.concatenate([o_session, o_session[dup]]),
    )
    return {"touchpoints": touch, "orders": orders}


def _naive_us(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds() * 1e6)


def _items(rng: np.random.Generator, n: int) -> np.ndarray:
    """Item ids drawn with popularity falling as a power law (a few items sell most)."""
    return _ITEM_NAMES[np.minimum(rng.zipf(1.3, n), ITEMS)]


_ITEM_NAMES = np.array([f"i{x:04d}" for x in range(ITEMS + 1)], dtype=object)


def _table(**cols: np.ndarray) -> pa.Table:
    arrays = {}
    for name, values in cols.items():
        if name == "ts":
            arrays[name] = pa.array(values.astype("datetime64[us]"), pa.timestamp("us"))
        elif name in {"user_id", "session_id"}:
            arrays[name] = pa.array(values, pa.int64())
        elif name == "revenue":
            arrays[name] = pa.array(values, pa.float64())
        else:
            arrays[name] = pa.array(values.tolist(), pa.string())
    order = np.lexsort((cols["ts"], cols["user_id"]))
    return pa.table(arrays).take(pa.array(order))


def write_journey_logs(out: Path, n_users: int = 50_000, *, seed: int = 7) -> dict[str, Path]:
    """Write ``touchpoints.parquet`` and ``orders.parquet`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, table in generate_journey_logs(n_users, seed=seed).items():
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths
