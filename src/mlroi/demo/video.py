"""A seeded synthetic video platform where exposure to recommendations was not randomized.

The scenario (the method's Google variant: recommendations raise watch time, and with it ad
impressions sold at an RPM): over one month (30 days), some users saw the "recommended for you"
shelf and some did not, and who saw it depended on intent. Heavy users open the app more often
and search more, so they scroll to the shelf more often, and they also watch more anyway: a
naive comparison of exposed and unexposed users credits the shelf with their intent.

Per user, the intent signals from the 30 days before the month are ``past_sessions``,
``past_searches``, ``past_watch_minutes`` and ``tenure_days`` (plus ``platform``). Exposure
(``saw_recs``) is drawn from a logistic model linear in those signals (and the platform): most
users have a chance between 15% and 95%, and under 1% of the exposed are heavy users with a
chance above 99% (which an analysis trims). The month's ``watch_minutes`` is the
user's own level (linear in the signals, with noise) plus the true effect of the shelf for an
exposed user, ``TRUE_MINUTES`` minutes; ``ad_impressions`` is Poisson with ``AD_LOAD``
impressions per minute watched, so the true effect on impressions is ``TRUE_IMPRESSIONS`` per
exposed user a month. An estimator that adjusts for the four signals recovers the truth; the
naive difference does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mlroi.demo.parquet import write_blocks
from mlroi.demo.recommender import BLOCK_SIZE

TRUE_MINUTES = 20.0
"""True effect of the shelf on an exposed user's watch time, minutes a month."""
AD_LOAD = 0.4
"""Ad impressions per minute watched (the same with and without the shelf)."""
TRUE_IMPRESSIONS = TRUE_MINUTES * AD_LOAD
"""True effect on an exposed user's ad impressions a month (8)."""
PLATFORMS: tuple[str, ...] = ("ios", "android", "web", "tv")

_FIRST_USER_ID = 5_000_001
_PLATFORM_SHARES = np.array([0.34, 0.40, 0.14, 0.12])
_PLATFORM_EXPOSURE = np.array([0.2, 0.1, -0.6, 0.3])  # the web page shows the shelf lower down

_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("platform", pa.string()),
        ("tenure_days", pa.int64()),
        ("past_sessions", pa.int64()),
        ("past_searches", pa.int64()),
        ("past_watch_minutes", pa.float64()),
        ("saw_recs", pa.int64()),
        ("watch_minutes", pa.float64()),
        ("ad_impressions", pa.int64()),
    ]
)


def generate_video(n: int = 200_000, *, seed: int = 7, effect: float = TRUE_MINUTES) -> Any:
    """One month of the video platform's users as an Arrow table (see the module docstring).

    Args:
        n: number of users.
        seed: seed of every random draw; the same arguments give identical tables.
        effect: true effect of the shelf on an exposed user's watch minutes (0: none).

    Returns:
        A ``pyarrow.Table`` with the columns of the module docstring.

    Example:
        >>> generate_video(1_000, seed=1).num_rows
        1000
    """
    return pa.concat_tables(list(_blocks(n, seed, effect)))


def write_video(out_dir: str | Path, n: int = 200_000, *, seed: int = 7) -> dict[str, Path]:
    """Write ``out_dir/video/users.parquet``, one block at a time.

    Returns:
        ``{"users": path written}``.
    """
    out = Path(out_dir) / "video"
    out.mkdir(parents=True, exist_ok=True)
    paths = {"users": out / "users.parquet"}
    blocks = ({"users": t} for t in _blocks(n, seed, TRUE_MINUTES))
    write_blocks(paths, {"users": _SCHEMA}, blocks)
    return paths


def _blocks(n: int, seed: int, effect: float) -> Iterator[Any]:
    """The users per block of ``BLOCK_SIZE``; block ``b`` draws from ``(seed, b)``."""
    for block, first in enumerate(range(0, n, BLOCK_SIZE)):
        size = min(BLOCK_SIZE, n - first)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
        yield _users(rng, size, _FIRST_USER_ID + first, effect)


def _users(rng: np.random.Generator, n: int, first_id: int, effect: float) -> Any:
    platform = rng.choice(len(PLATFORMS), size=n, p=_PLATFORM_SHARES)
    intent = rng.normal(0.0, 1.0, n)  # the user's taste for the app, seen only through signals
    tenure = np.minimum(np.exp(rng.normal(5.8, 1.0, n)), 4000).astype(np.int64) + 1
    sessions = 1 + rng.poisson(np.exp(2.3 + 0.6 * intent))
    searches = rng.poisson(0.25 * sessions * np.exp(0.4 * intent + rng.normal(0, 0.3, n)))
    per_session = rng.gamma(2.0, 6.0, n)
    past_minutes = sessions * per_session
    # each session is another chance to scroll to the shelf, and searchers scroll further
    logit = (
        -1.6 + 0.08 * sessions + 0.05 * searches + 0.0003 * tenure + _PLATFORM_EXPOSURE[platform]
    )
    saw = rng.random(n) < 1 / (1 + np.exp(-logit))
    level = 4.0 + 0.85 * past_minutes + 1.5 * searches + 0.002 * tenure
    minutes = np.maximum(level + rng.normal(0, 0.25, n) * level + effect * saw, 0.0)
    impressions = rng.poisson(AD_LOAD * minutes)
    return pa.table(
        {
            "user_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "platform": pa.array(np.asarray(PLATFORMS)[platform]),
            "tenure_days": tenure,
            "past_sessions": sessions.astype(np.int64),
            "past_searches": searches.astype(np.int64),
            "past_watch_minutes": np.round(past_minutes, 1),
            "saw_recs": saw.astype(np.int64),
            "watch_minutes": np.round(minutes, 1),
            "ad_impressions": impressions.astype(np.int64),
        },
        schema=_SCHEMA,
    )
