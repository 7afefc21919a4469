"""A seeded, realistic synthetic A/B test of a feed ranking model, valued by engagement and ads.

The scenario: users of a content app are randomized 50/50 to the current feed ('control') or a new
ranking model ('ranker') and observed for 14 days. Engagement is heavy-tailed: most users are light
(a median of ~30 minutes in 14 days, a mean of ~60), the top 1% spend over 6 hours. Ads are shown
in proportion to time spent (fewer on the web, where ad blockers run), and clicked at a per-user
rate around 1.2%. ``pre_minutes`` is the same user's time spent in the 14 days before the test (0
for the ~10% of new users; correlation ~0.8 with ``minutes``), for CUPED.

Treatment effects are relative lifts, each applied to exactly one user-level mean so that a
readout can recover it (up to sampling noise):

- ``sessions``: sessions per user (+1%),
- ``minutes``: minutes per user (+3%; the ranker makes sessions longer as well as more frequent),
- ``ad_impressions``: ad impressions per user (+3%: the ad load per minute is unchanged),
- ``ad_clicks``: ad clicks per user (+2%: the extra impressions are clicked a little less).

Each is exact in expectation for lifts >= 0 (a negative ``sessions`` lift is approximate, since
every user has at least one session). Users are simulated in blocks of ``BLOCK_SIZE`` with one
random stream per block, so memory stays bounded for any ``n`` and the written file can be
streamed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa

from mlroi.demo.parquet import write_blocks
from mlroi.demo.recommender import BLOCK_SIZE, _arrow, _labels
from mlroi.errors import SpecError

__all__ = [
    "DEFAULT_EFFECTS",
    "EFFECT_NAMES",
    "FEED_ARMS",
    "PLATFORMS",
    "FeedData",
    "generate_feed",
    "write_feed",
]

EFFECT_NAMES: tuple[str, ...] = ("sessions", "minutes", "ad_impressions", "ad_clicks")
DEFAULT_EFFECTS: Mapping[str, float] = MappingProxyType(
    {"sessions": 0.01, "minutes": 0.03, "ad_impressions": 0.03, "ad_clicks": 0.02}
)
FEED_ARMS: tuple[str, ...] = ("control", "ranker")
PLATFORMS: tuple[str, ...] = ("ios", "android", "web")

_FIRST_USER_ID = 1_000_001
_PLATFORM_SHARES = np.array([0.38, 0.45, 0.17])
_PLATFORM_ENGAGEMENT = np.array([1.1, 1.0, 0.7])
_PLATFORM_AD_LOAD = np.array([0.9, 1.0, 0.6])  # ad impressions per minute
_ENGAGEMENT_SIGMA = 1.1  # lognormal: many light users, a heavy tail
_EXTRA_SESSIONS = 8.0  # sessions in 14 days are 1 + Poisson(8 * engagement)
_SESSION_SHAPE = 1.3  # session minutes ~ Gamma(1.3, scale): k sessions add up to Gamma(1.3 k)
_SESSION_SCALE = 5.0
_SESSION_SCALE_SIGMA = 0.3
_DRIFT_SIGMA = 0.35  # engagement change between the pre-period and the test
_NEW_SHARE = 0.10
_CTR = 0.012
_CTR_SIGMA = 0.5
_MAX_CTR = 0.2

_USERS_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("variant", pa.string()),
        ("sessions", pa.int64()),
        ("minutes", pa.float64()),
        ("ad_impressions", pa.int64()),
        ("ad_clicks", pa.int64()),
        ("pre_minutes", pa.float64()),
        ("platform", pa.string()),
    ]
)


@dataclass(frozen=True)
class FeedData:
    """The per-user table of a synthetic feed-ranking A/B test, plus the truth it was drawn from.

    Attributes:
        users: One row per user: ``user_id``, ``variant`` (``'control'`` or ``'ranker'``),
            ``sessions``, ``minutes``, ``ad_impressions``, ``ad_clicks`` over the 14-day test,
            ``pre_minutes`` over the 14 days before, ``platform`` (``'ios'``, ``'android'``,
            ``'web'``).
        effects: The true relative lift of the ranker, by effect name (0.03 is +3%).
    """

    users: Any
    effects: Mapping[str, float] = field(default_factory=lambda: DEFAULT_EFFECTS)

    def to_dict(self) -> dict[str, Any]:
        """Row count and the truth, for logs and reports (the table stays Arrow)."""
        return {"users_rows": self.users.num_rows, "effects": dict(self.effects)}


def generate_feed(
    n: int = 200_000,
    *,
    seed: int = 7,
    effects: dict[str, float] | None = None,
) -> FeedData:
    """Simulate a feed-ranking A/B test: one row per user.

    Args:
        n: Number of users assigned to the test.
        seed: Seed of every random draw; the same arguments give identical tables.
        effects: Effect name -> true relative lift of the ranker (0.03 is +3%), names from
            ``EFFECT_NAMES``; a missing name means no effect, so ``{}`` gives an A/A test.
            Default: ``DEFAULT_EFFECTS``.

    Returns:
        The per-user table and the true lifts.

    Raises:
        SpecError: An argument is out of range; the message names it and the allowed values.

    Example:
        >>> data = generate_feed(1_000, seed=1)
        >>> data.users.num_rows
        1000
        >>> dict(data.effects)["minutes"]
        0.03
    """
    lifts = _lifts(n, effects)
    users = pa.concat_tables(list(_blocks(n, seed, lifts)))
    return FeedData(users=users, effects=MappingProxyType(lifts))


def write_feed(out_dir: str | Path, n: int = 200_000, *, seed: int = 7) -> dict[str, Path]:
    """Simulate the default feed test and write it as Parquet, one block at a time.

    Writes ``out_dir/feed/users.parquet``, the table of ``generate_feed(n, seed=seed)``; memory
    stays bounded by the block size.

    Args:
        out_dir: Output directory (``feed/`` is created in it); an existing file is overwritten.
        n: Number of users assigned to the test.
        seed: Seed of every random draw.

    Returns:
        ``{"users": path written}``.

    Raises:
        SpecError: ``n`` is out of range.
    """
    lifts = _lifts(n, None)
    out = Path(out_dir) / "feed"
    out.mkdir(parents=True, exist_ok=True)
    paths = {"users": out / "users.parquet"}
    write_blocks(paths, {"users": _USERS_SCHEMA}, ({"users": t} for t in _blocks(n, seed, lifts)))
    return paths


def _lifts(n: int, effects: dict[str, float] | None) -> dict[str, float]:
    """Validate the public arguments once; return every effect's lift (0 when not given)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise SpecError(f"n must be a positive integer, got {n!r}")
    effects = dict(DEFAULT_EFFECTS) if effects is None else effects
    unknown = sorted(set(effects) - set(EFFECT_NAMES))
    if unknown:
        raise SpecError(f"effects: unknown name(s) {unknown}; allowed: {', '.join(EFFECT_NAMES)}")
    lifts = {name: 0.0 for name in EFFECT_NAMES}
    for name, lift in effects.items():
        if not (
            isinstance(lift, numbers.Real)
            and not isinstance(lift, bool)
            and math.isfinite(lift)
            and lift > -1
        ):
            raise SpecError(f"effects[{name!r}] must be a relative lift > -1, got {lift!r}")
        lifts[name] = float(lift)
    return lifts


def _blocks(n: int, seed: int, lifts: dict[str, float]) -> Iterator[Any]:
    """Yield the users table per block of ``BLOCK_SIZE`` users; block ``b`` uses ``(seed, b)``."""
    n = int(n)
    for block, first in enumerate(range(0, n, BLOCK_SIZE)):
        size = min(BLOCK_SIZE, n - first)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
        yield _users(rng, size, _FIRST_USER_ID + first, lifts)


def _users(rng: np.random.Generator, n: int, first_id: int, lifts: dict[str, float]) -> Any:
    """Draw one block of users.

    Each lift multiplies one user-level mean and the next metric down the chain is divided by
    it, so every metric moves by exactly its own lift: sessions are ``1 + Poisson(lambda')`` with
    ``1 + lambda' = (1 + l_s)(1 + lambda)``, minutes per session scale by ``(1 + l_m) / (1 + l_s)``,
    ad load by ``(1 + l_i) / (1 + l_m)`` and click rate by ``(1 + l_c) / (1 + l_i)``.
    """
    ranker = rng.random(n) < 0.5
    platform = rng.choice(len(PLATFORMS), size=n, p=_PLATFORM_SHARES)
    is_new = rng.random(n) < _NEW_SHARE
    latent = rng.standard_normal((4, n))
    sigma = _ENGAGEMENT_SIGMA
    engagement = np.exp(sigma * latent[0] - sigma**2 / 2) * _PLATFORM_ENGAGEMENT[platform]
    session_scale = _SESSION_SCALE * np.exp(
        _SESSION_SCALE_SIGMA * latent[1] - _SESSION_SCALE_SIGMA**2 / 2
    )

    def lift(name: str) -> Any:
        return np.where(ranker, 1.0 + lifts[name], 1.0)

    extra_sessions = _EXTRA_SESSIONS * engagement
    extra_sessions = np.maximum(lift("sessions") * (1.0 + extra_sessions) - 1.0, 0.0)
    sessions = 1 + rng.poisson(extra_sessions)
    minutes = rng.gamma(
        _SESSION_SHAPE * sessions, session_scale * lift("minutes") / lift("sessions")
    )
    ad_rate = _PLATFORM_AD_LOAD[platform] * lift("ad_impressions") / lift("minutes")
    ad_impressions = rng.poisson(ad_rate * minutes)
    ctr = np.minimum(_CTR * np.exp(_CTR_SIGMA * latent[2] - _CTR_SIGMA**2 / 2), _MAX_CTR)
    ad_clicks = rng.binomial(
        ad_impressions, np.minimum(ctr * lift("ad_clicks") / lift("ad_impressions"), 1.0)
    )

    drift = np.exp(_DRIFT_SIGMA * latent[3] - _DRIFT_SIGMA**2 / 2)
    pre_sessions = np.where(is_new, 0, rng.poisson(1.0 + _EXTRA_SESSIONS * engagement * drift))
    # Gamma with shape 0 is 0: users without pre-period sessions have no pre-period minutes.
    pre_minutes = rng.gamma(_SESSION_SHAPE * pre_sessions, session_scale)
    columns = [
        _arrow(first_id + np.arange(n, dtype=np.int64)),
        _labels(FEED_ARMS, ranker.astype(np.int64)),
        _arrow(sessions),
        _arrow(np.round(minutes, 2)),
        _arrow(ad_impressions),
        _arrow(ad_clicks),
        _arrow(np.round(pre_minutes, 2)),
        _labels(PLATFORMS, platform),
    ]
    return pa.Table.from_arrays(columns, schema=_USERS_SCHEMA)
