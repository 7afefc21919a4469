"""A seeded, realistic synthetic A/B test of a product recommender.

The scenario: users are exposed to recommendations over the first 7 days of a test; each user's
behaviour is observed for 14 days from their first exposure. Returning users also have 28 days of
pre-period activity (for CUPED); new users have none. The generator returns three tables:

- ``users``: one row per user, metrics over the post-exposure window (the per-unit table),
- ``assignments``: who saw which variant, when, and on which platform,
- ``events``: the raw event log the per-user table is derived from, including pre-period activity
  and some noise after the 14-day window.

The per-user table equals what a warehouse query derives from ``events`` and ``assignments``: counts
and sums of events with ``first_exposure <= ts < first_exposure + 14 days`` (``pre_*`` columns: the
28 days before ``first_exposure``). So a readout over either representation gives the same numbers.

Treatment effects are relative lifts, each applied to exactly one user-level mean so that a readout
can recover it (up to sampling noise):

- ``ctr``: click probability per impression (impressions are unaffected),
- ``add_to_cart``: expected add-to-carts per user,
- ``conversion``: probability that a user orders at least once,
- ``revenue_per_converter``: order values (orders per converter are unaffected),
- ``session_minutes``: minutes per session (sessions are unaffected).

Users are simulated in blocks of ``BLOCK_SIZE`` with one random stream per block, so memory stays
bounded for any ``n_users`` and the written files can be streamed; the per-user table does not
depend on whether events are generated.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlroi.demo.parquet import write_blocks
from mlroi.errors import SpecError

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_ARMS",
    "DEFAULT_EFFECTS",
    "DEFAULT_START",
    "EFFECT_NAMES",
    "EVENT_TYPES",
    "POST_DAYS",
    "PRE_DAYS",
    "RecommenderData",
    "generate_recommender_test",
    "write_recommender_test",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EFFECT_NAMES: tuple[str, ...] = (
    "ctr",
    "add_to_cart",
    "conversion",
    "revenue_per_converter",
    "session_minutes",
)
DEFAULT_EFFECTS: Mapping[str, float] = MappingProxyType(
    {
        "ctr": 0.04,
        "add_to_cart": 0.03,
        "conversion": 0.025,
        "revenue_per_converter": 0.01,
        "session_minutes": 0.02,
    }
)
DEFAULT_ARMS: Mapping[str, float] = MappingProxyType({"control": 0.5, "treatment": 0.5})
DEFAULT_START = datetime(2026, 9, 1)
EVENT_TYPES: tuple[str, ...] = ("session_start", "impression", "click", "add_to_cart", "purchase")
PLATFORMS: tuple[str, ...] = ("ios", "android", "web")
USER_TYPES: tuple[str, ...] = ("new", "returning")

POST_DAYS = 14
PRE_DAYS = 28
EXPOSURE_DAYS = 7
NOISE_DAYS = 7
BLOCK_SIZE = 500_000

_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000
_FIRST_USER_ID = 1_000_001
_SESSION, _IMPRESSION, _CLICK, _CART, _PURCHASE = range(len(EVENT_TYPES))

# Behavioural parameters, chosen so the headline numbers look like a mid-size e-commerce site:
# ~3 sessions and ~10 recommendation impressions per user in 14 days, CTR ~5%, ~11% of users buy,
# orders ~$47 (lognormal), ~17 events per user in the log.
_PLATFORM_SHARES = np.array([0.38, 0.42, 0.20])
_PLATFORM_ENGAGEMENT = np.array([1.10, 1.00, 0.80])
_PLATFORM_CONVERSION = np.array([1.10, 0.90, 1.05])
_PLATFORM_ORDER_VALUE = np.array([1.15, 0.90, 1.05])
_NEW_SHARE = 0.30
_NEW_ENGAGEMENT = 0.70
_NEW_PURCHASE_RATE = 0.80
_SESSIONS_EXTRA_MEAN = 2.0  # post-window sessions are 1 + Poisson(2.0 * engagement)
_PRE_SESSIONS_MEAN = 4.0  # returning users' 28-day sessions: Poisson(4.0 * engagement)
_SESSION_SHAPE = 1.5  # session minutes ~ Gamma(1.5, scale); mean ~6 minutes
_SESSION_SCALE = 4.0
_IMPRESSIONS_PER_SESSION = 3.0
_BASE_CTR = 0.05
_MAX_PROBABILITY = 0.95
_BASE_CARTS = 0.20
_PURCHASE_RATE_PER_DAY = 0.012
_PURCHASE_SIGMA = 1.6  # a few frequent buyers: what makes pre_revenue predictive
_ORDER_VALUE = 45.0
_USER_VALUE_SIGMA = 0.7
_ORDER_VALUE_SIGMA = 0.5
_NOISE_EVENTS_MEAN = 1.0
_NOISE_TYPE_SHARES = np.array([0.25, 0.55, 0.12, 0.05, 0.03])

_USERS_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("variant", pa.string()),
        ("platform", pa.string()),
        ("user_type", pa.string()),
        ("pre_revenue", pa.float64()),
        ("pre_sessions", pa.int64()),
        ("impressions", pa.int64()),
        ("clicks", pa.int64()),
        ("add_to_carts", pa.int64()),
        ("orders", pa.int64()),
        ("revenue", pa.float64()),
        ("converted", pa.int64()),
        ("sessions", pa.int64()),
        ("session_minutes", pa.float64()),
        ("first_exposure", pa.timestamp("us")),
    ]
)
_ASSIGNMENT_COLUMNS = ("user_id", "variant", "first_exposure", "platform", "user_type")
_EVENTS_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("ts", pa.timestamp("us")),
        ("event_type", pa.string()),
        ("amount", pa.float64()),
    ]
)


@dataclass(frozen=True)
class RecommenderData:
    """The three tables of a synthetic recommender A/B test, plus the truth they were drawn from.

    Attributes:
        users: One row per user: variant, segments, pre-period and 14-day post-exposure metrics.
        events: The event log (``user_id``, ``ts``, ``event_type``, ``amount``), in time order
            within each block of ``BLOCK_SIZE`` users.
        assignments: ``user_id``, ``variant``, ``first_exposure``, ``platform``, ``user_type``.
        arms: The planned share of each arm (sums to 1); the first arm is the control.
        effects: The true relative lift of every non-control arm, by effect name.
    """

    users: Any
    events: Any
    assignments: Any
    arms: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ARMS)
    effects: Mapping[str, float] = field(default_factory=lambda: DEFAULT_EFFECTS)


@dataclass(frozen=True)
class _Scenario:
    """Validated inputs shared by every block."""

    arm_names: tuple[str, ...]
    arm_shares: FloatArray
    lifts: dict[str, float]
    start_us: int


@dataclass(frozen=True)
class _UserBlock:
    """Per-user arrays of one block, plus the per-order amounts the events need."""

    user_id: IntArray
    arm: IntArray
    platform: IntArray
    is_new: BoolArray
    first_exposure: IntArray
    engagement: FloatArray
    session_scale: FloatArray
    order_value: FloatArray
    pre_sessions: IntArray
    pre_orders: IntArray
    pre_order_amounts: FloatArray
    pre_revenue: FloatArray
    sessions: IntArray
    session_minutes: FloatArray
    impressions: IntArray
    clicks: IntArray
    add_to_carts: IntArray
    orders: IntArray
    order_amounts: FloatArray
    revenue: FloatArray


def generate_recommender_test(
    n_users: int = 200_000,
    *,
    seed: int = 7,
    arms: dict[str, float] | None = None,
    effects: dict[str, float] | None = None,
    start: datetime | None = None,
) -> RecommenderData:
    """Simulate a recommender A/B test: per-user table, assignments and the event log.

    Args:
        n_users: Number of users assigned to the test.
        seed: Seed of every random draw; the same arguments give identical tables.
        arms: Arm name -> planned share (positive; normalised to sum to 1). The first arm is the
            control; the effects apply to every other arm. Default: 50/50 control/treatment.
        effects: Effect name -> true relative lift of the non-control arms (0.04 is +4%), names
            from ``EFFECT_NAMES``; a missing name means no effect, so ``{}`` gives an A/A test.
            Default: ``DEFAULT_EFFECTS``.
        start: First day of exposures (naive, or converted to naive UTC). Default 2026-09-01.

    Returns:
        The three tables and the truth they were drawn from.

    Raises:
        SpecError: An argument is out of range; the message names it and the allowed values.

    Example:
        >>> data = generate_recommender_test(1_000, seed=1)
        >>> data.users.num_rows, data.assignments.num_rows
        (1000, 1000)
        >>> sorted(set(data.users.column("variant").to_pylist()))
        ['control', 'treatment']
    """
    scenario = _scenario(n_users, arms, effects, start)
    users: list[Any] = []
    events: list[Any] = []
    for users_table, events_table in _blocks(n_users, seed, scenario, with_events=True):
        users.append(users_table)
        events.append(events_table)
    users_table = pa.concat_tables(users)
    return RecommenderData(
        users=users_table,
        events=pa.concat_tables(events),
        assignments=users_table.select(list(_ASSIGNMENT_COLUMNS)),
        arms=MappingProxyType(
            dict(zip(scenario.arm_names, scenario.arm_shares.tolist(), strict=True))
        ),
        effects=MappingProxyType(dict(scenario.lifts)),
    )


def write_recommender_test(
    directory: str | Path,
    n_users: int = 200_000,
    *,
    seed: int = 7,
    events: bool = True,
) -> dict[str, Path]:
    """Simulate the default recommender test and write it as Parquet, one block at a time.

    Writes ``users.parquet`` and, when ``events`` is true, ``events.parquet`` and
    ``assignments.parquet``. The tables are those of ``generate_recommender_test(n_users,
    seed=seed)``; memory stays bounded by the block size, so millions of users fit.

    Args:
        directory: Output directory (created if missing); existing files are overwritten.
        n_users: Number of users assigned to the test.
        seed: Seed of every random draw.
        events: Whether to simulate and write the event log and the assignments.

    Returns:
        File stem (``"users"``, ``"events"``, ``"assignments"``) -> path written.

    Raises:
        SpecError: ``n_users`` is out of range.
    """
    scenario = _scenario(n_users, None, None, None)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"users": out / "users.parquet"}
    if events:
        paths["events"] = out / "events.parquet"
        paths["assignments"] = out / "assignments.parquet"
    assignments_schema = pa.schema([_USERS_SCHEMA.field(name) for name in _ASSIGNMENT_COLUMNS])
    schemas = {"users": _USERS_SCHEMA, "events": _EVENTS_SCHEMA, "assignments": assignments_schema}

    def tables() -> Iterator[dict[str, Any]]:
        for users_table, events_table in _blocks(n_users, seed, scenario, with_events=events):
            block = {"users": users_table}
            if events_table is not None:
                block["events"] = events_table
                block["assignments"] = users_table.select(list(_ASSIGNMENT_COLUMNS))
            yield block

    write_blocks(paths, schemas, tables())
    return paths


def _scenario(
    n_users: int,
    arms: dict[str, float] | None,
    effects: dict[str, float] | None,
    start: datetime | None,
) -> _Scenario:
    """Validate the public arguments once and turn them into the inputs of every block."""
    if isinstance(n_users, bool) or not isinstance(n_users, numbers.Integral) or n_users < 1:
        raise SpecError(f"n_users must be a positive integer, got {n_users!r}")
    arms = dict(DEFAULT_ARMS) if arms is None else arms
    if len(arms) < 2:
        raise SpecError(f"arms needs at least two entries (control first), got {list(arms)}")
    for name, share in arms.items():
        if not isinstance(name, str) or not name:
            raise SpecError(f"arms: every arm name must be a non-empty string, got {name!r}")
        if not (isinstance(share, numbers.Real) and math.isfinite(share) and share > 0):
            raise SpecError(f"arms[{name!r}] must be a positive share, got {share!r}")
    shares = np.array(list(arms.values()), dtype=np.float64)
    effects = dict(DEFAULT_EFFECTS) if effects is None else effects
    unknown = sorted(set(effects) - set(EFFECT_NAMES))
    if unknown:
        raise SpecError(f"effects: unknown name(s) {unknown}; allowed: {', '.join(EFFECT_NAMES)}")
    lifts = {name: 0.0 for name in EFFECT_NAMES}
    for name, lift in effects.items():
        if not (isinstance(lift, numbers.Real) and math.isfinite(lift) and lift > -1):
            raise SpecError(f"effects[{name!r}] must be a relative lift > -1, got {lift!r}")
        lifts[name] = float(lift)
    start = DEFAULT_START if start is None else start
    if start.tzinfo is not None:
        start = start.astimezone(UTC).replace(tzinfo=None)
    start_us = (start - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return _Scenario(tuple(arms), shares / shares.sum(), lifts, int(start_us))


def _blocks(
    n_users: int, seed: int, scenario: _Scenario, *, with_events: bool
) -> Iterator[tuple[Any, Any]]:
    """Yield (users table, events table or None) per block of ``BLOCK_SIZE`` users.

    Block ``b`` draws users from the stream ``(seed, b, 0)`` and events from ``(seed, b, 1)``, so
    the users do not depend on whether events are drawn.
    """
    n_users = int(n_users)
    for block, first in enumerate(range(0, n_users, BLOCK_SIZE)):
        size = min(BLOCK_SIZE, n_users - first)
        users_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 0)))
        users = _simulate_users(users_rng, size, _FIRST_USER_ID + first, scenario)
        events = None
        if with_events:
            events_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 1)))
            events = _simulate_events(events_rng, users)
        yield _users_table(users, scenario), events


def _simulate_users(
    rng: np.random.Generator, n: int, first_id: int, scenario: _Scenario
) -> _UserBlock:
    """Draw the per-user outcomes of one block.

    Three correlated latent traits drive everything: engagement (sessions, impressions, session
    length), purchase propensity (correlated 0.6 with engagement) and order value. The pre-period
    draws the same traits, which is what makes pre_revenue predictive of revenue.
    """
    arm = rng.choice(len(scenario.arm_shares), size=n, p=scenario.arm_shares)
    treated = arm != 0
    lift = {name: np.where(treated, 1.0 + value, 1.0) for name, value in scenario.lifts.items()}
    platform = rng.choice(len(PLATFORMS), size=n, p=_PLATFORM_SHARES)
    is_new = rng.random(n) < _NEW_SHARE
    first_exposure = scenario.start_us + rng.integers(0, EXPOSURE_DAYS * _DAY_US, size=n)
    latent = rng.standard_normal((4, n))
    engagement_z = latent[0]
    purchase_z = 0.6 * engagement_z + 0.8 * latent[1]
    value_z = latent[2]
    click_z = latent[3]

    engagement = (
        np.exp(0.6 * engagement_z - 0.18)
        * _PLATFORM_ENGAGEMENT[platform]
        * np.where(is_new, _NEW_ENGAGEMENT, 1.0)
    )
    sessions = 1 + rng.poisson(_SESSIONS_EXTRA_MEAN * engagement)
    session_scale = _SESSION_SCALE * np.exp(0.25 * engagement_z - 0.03125)
    # k Gamma(shape, scale) session lengths add up to Gamma(k * shape, scale): no per-session draws.
    session_minutes = rng.gamma(_SESSION_SHAPE * sessions, session_scale * lift["session_minutes"])
    impressions = 1 + rng.poisson(_IMPRESSIONS_PER_SESSION * sessions)
    click_propensity = np.exp(0.5 * click_z - 0.125)
    ctr = np.minimum(_BASE_CTR * click_propensity * lift["ctr"], _MAX_PROBABILITY)
    clicks = rng.binomial(impressions, ctr)

    purchase_rate = (
        _PURCHASE_RATE_PER_DAY
        * np.exp(_PURCHASE_SIGMA * purchase_z - _PURCHASE_SIGMA**2 / 2)
        * _PLATFORM_CONVERSION[platform]
        * np.where(is_new, _NEW_PURCHASE_RATE, 1.0)
    )
    extra_orders = 0.5 * POST_DAYS * purchase_rate
    control_conversion = np.minimum(-np.expm1(-POST_DAYS * purchase_rate), _MAX_PROBABILITY)
    conversion = np.minimum(control_conversion * lift["conversion"], _MAX_PROBABILITY)
    orders = np.where(rng.random(n) < conversion, 1 + rng.poisson(extra_orders), 0)
    # Carts include every ordered basket, plus abandoned ones; the abandoned rate is set so that
    # expected carts per user move by exactly the add_to_cart lift, whatever conversion does.
    control_orders = control_conversion * (1 + extra_orders)
    abandoned = _BASE_CARTS * engagement * click_propensity
    abandoned = np.maximum(
        lift["add_to_cart"] * (control_orders + abandoned) - conversion * (1 + extra_orders), 0.0
    )
    add_to_carts = orders + rng.poisson(abandoned)

    order_value = (
        _ORDER_VALUE
        * np.exp(_USER_VALUE_SIGMA * value_z - _USER_VALUE_SIGMA**2 / 2)
        * _PLATFORM_ORDER_VALUE[platform]
    )
    order_amounts = _order_amounts(rng, orders, order_value * lift["revenue_per_converter"])
    revenue = _sum_by_user(orders, order_amounts)

    pre_orders = np.where(is_new, 0, rng.poisson(PRE_DAYS * purchase_rate))
    # Somebody who bought in the pre-period had at least one session then.
    pre_sessions = np.where(
        is_new, 0, np.maximum(rng.poisson(_PRE_SESSIONS_MEAN * engagement), pre_orders > 0)
    )
    pre_order_amounts = _order_amounts(rng, pre_orders, order_value)
    pre_revenue = _sum_by_user(pre_orders, pre_order_amounts)

    return _UserBlock(
        user_id=first_id + np.arange(n, dtype=np.int64),
        arm=arm,
        platform=platform,
        is_new=is_new,
        first_exposure=first_exposure,
        engagement=engagement,
        session_scale=session_scale,
        order_value=order_value,
        pre_sessions=pre_sessions,
        pre_orders=pre_orders,
        pre_order_amounts=pre_order_amounts,
        pre_revenue=pre_revenue,
        sessions=sessions,
        session_minutes=session_minutes,
        impressions=impressions,
        clicks=clicks,
        add_to_carts=add_to_carts,
        orders=orders,
        order_amounts=order_amounts,
        revenue=revenue,
    )


def _order_amounts(
    rng: np.random.Generator, orders: IntArray, user_value: FloatArray
) -> FloatArray:
    """Lognormal order values around each user's typical value, in cents, users in row order."""
    mean_value = np.repeat(user_value, orders)
    sigma = _ORDER_VALUE_SIGMA
    noise = rng.lognormal(-(sigma**2) / 2, sigma, size=mean_value.size)
    return np.maximum(np.round(mean_value * noise, 2), 0.01)


def _sum_by_user(counts: IntArray, amounts: FloatArray) -> FloatArray:
    """Per-user sum of ``amounts``, which hold ``counts[i]`` consecutive items of user ``i``."""
    owner = np.repeat(np.arange(counts.size), counts)
    return np.bincount(owner, amounts, minlength=counts.size).astype(np.float64, copy=False)


def _users_table(users: _UserBlock, scenario: _Scenario) -> Any:
    """Arrow table of one block of users, in the ``users`` schema."""
    columns = [
        _arrow(users.user_id),
        _labels(scenario.arm_names, users.arm),
        _labels(PLATFORMS, users.platform),
        _labels(USER_TYPES, (~users.is_new).astype(np.int64)),
        _arrow(users.pre_revenue),
        _arrow(users.pre_sessions),
        _arrow(users.impressions),
        _arrow(users.clicks),
        _arrow(users.add_to_carts),
        _arrow(users.orders),
        _arrow(users.revenue),
        _arrow((users.orders > 0).astype(np.int64)),
        _arrow(users.sessions),
        _arrow(users.session_minutes),
        _arrow(users.first_exposure.view("datetime64[us]")),
    ]
    return pa.Table.from_arrays(columns, schema=_USERS_SCHEMA)


def _labels(names: tuple[str, ...], codes: npt.NDArray[np.integer[Any]]) -> Any:
    """Arrow string array with ``names[code]`` per row."""
    encoded = [name.encode() for name in names]
    offsets = np.zeros(len(names) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(name) for name in encoded])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pc.take(pa.Array.from_buffers(pa.string(), len(names), buffers), _arrow(codes))


def _arrow(values: npt.NDArray[Any]) -> Any:
    """Zero-copy Arrow array over a numpy array.

    Hand-written because ``pa.array`` imports pandas (a second of start-up) to inspect its input.
    """
    values = np.ascontiguousarray(values)
    buffers = [None, pa.py_buffer(values)]
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), values.size, buffers)


def _simulate_events(rng: np.random.Generator, users: _UserBlock) -> Any:
    """Draw the event log of one block, consistent with the block's per-user counts and sums.

    Events happen inside sessions: each user's first session starts at first exposure (with the
    first impression), the others start uniformly in the window, and every other event falls at a
    uniform time within a uniformly chosen session of its user (clipped to the window).
    """
    n = users.user_id.size
    start = users.first_exposure
    end = start + POST_DAYS * _DAY_US
    parts: list[tuple[IntArray, IntArray, int, FloatArray | None]] = []

    # Post-window sessions; their lengths split each user's total minutes in Dirichlet proportions
    # (exactly the Gamma model given the total), so they add up to session_minutes.
    owner, first = _owners(users.sessions)
    session_ts = start[owner] + rng.integers(0, POST_DAYS * _DAY_US, size=owner.size)
    session_ts[first] = start
    weights = rng.gamma(_SESSION_SHAPE, 1.0, size=owner.size)
    totals = np.bincount(owner, weights, minlength=n)
    session_minutes = weights * (users.session_minutes / totals)[owner]
    parts.append((owner, session_ts, _SESSION, session_minutes))
    sessions = (first, users.sessions, session_ts, session_minutes)

    owner, first = _owners(users.impressions)
    ts = _in_sessions(rng, owner, sessions, end)
    ts[first] = start
    parts.append((owner, ts, _IMPRESSION, None))
    for counts, code in ((users.clicks, _CLICK), (users.add_to_carts, _CART)):
        owner, _ = _owners(counts)
        parts.append((owner, _in_sessions(rng, owner, sessions, end), code, None))
    owner, _ = _owners(users.orders)
    parts.append((owner, _in_sessions(rng, owner, sessions, end), _PURCHASE, users.order_amounts))

    # Pre-period: sessions (lengths drawn afresh) and purchases inside them.
    pre_start = start - PRE_DAYS * _DAY_US
    owner, first = _owners(users.pre_sessions)
    pre_ts = pre_start[owner] + rng.integers(0, PRE_DAYS * _DAY_US, size=owner.size)
    pre_minutes = rng.gamma(_SESSION_SHAPE, users.session_scale[owner])
    parts.append((owner, pre_ts, _SESSION, pre_minutes))
    pre_sessions = (first, users.pre_sessions, pre_ts, pre_minutes)
    owner, _ = _owners(users.pre_orders)
    pre_purchase_ts = _in_sessions(rng, owner, pre_sessions, start)
    parts.append((owner, pre_purchase_ts, _PURCHASE, users.pre_order_amounts))

    # Noise after the window: activity a readout must not count.
    owner, _ = _owners(rng.poisson(_NOISE_EVENTS_MEAN, size=n))
    codes = rng.choice(len(EVENT_TYPES), size=owner.size, p=_NOISE_TYPE_SHARES)
    noise_ts = end[owner] + rng.integers(0, NOISE_DAYS * _DAY_US, size=owner.size)
    noise_amount = np.zeros(owner.size)
    is_session = codes == _SESSION
    noise_amount[is_session] = rng.gamma(_SESSION_SHAPE, users.session_scale[owner[is_session]])
    is_purchase = codes == _PURCHASE
    purchase_owner = owner[is_purchase]
    noise_amount[is_purchase] = _order_amounts(
        rng, np.ones(purchase_owner.size, dtype=np.int64), users.order_value[purchase_owner]
    )

    owner = np.concatenate([part[0] for part in parts] + [owner])
    ts = np.concatenate([part[1] for part in parts] + [noise_ts])
    event_code = np.concatenate(
        [np.full(part[0].size, part[2], dtype=np.int8) for part in parts] + [codes.astype(np.int8)]
    )
    amount = np.concatenate(
        [part[3] if part[3] is not None else np.zeros(part[0].size) for part in parts]
        + [noise_amount]
    )
    order = np.argsort(ts, kind="stable")
    return pa.Table.from_arrays(
        [
            _arrow(users.user_id[owner[order]]),
            _arrow(ts[order].view("datetime64[us]")),
            _labels(EVENT_TYPES, event_code[order]),
            _arrow(amount[order]),
        ],
        schema=_EVENTS_SCHEMA,
    )


def _owners(counts: IntArray) -> tuple[IntArray, IntArray]:
    """Row index of the owner of each of ``counts.sum()`` items, and each user's first item.

    The first-item index is only meaningful for users with a positive count.
    """
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    return owner, first


def _in_sessions(
    rng: np.random.Generator,
    owner: IntArray,
    sessions: tuple[IntArray, IntArray, IntArray, FloatArray],
    end: IntArray,
) -> IntArray:
    """Timestamps of events at a uniform moment of a uniformly chosen session of their owner.

    Args:
        rng: Random stream.
        owner: Row of the owning user of each event; every owner has at least one session.
        sessions: Per user: index of the first session and number of sessions; per session:
            start (µs) and length (minutes).
        end: Per user, the exclusive end of the window the events must stay in.

    Returns:
        Event timestamps in µs, each before its owner's ``end``.
    """
    first, count, session_ts, minutes = sessions
    pick = first[owner] + (rng.random(owner.size) * count[owner]).astype(np.int64)
    offset = (rng.random(owner.size) * minutes[pick] * _MINUTE_US).astype(np.int64)
    ts: IntArray = np.minimum(session_ts[pick] + offset, end[owner] - 1)
    return ts
