"""Requests on touchpoint and order logs: journeys reduced to path counts, windows after a click.

The backend does all the row work; Python receives one row per distinct (channel sequence,
outcome) pair, per-position time-decay sums, and counts of every irregular row.

How the logs become journeys (the documented handling of bad input):

- Exact duplicate rows (same user, time, channel and item; same order line) are dropped and
  counted. An order is its order id: its lines are summed (refunds are negative lines), its time
  is its first line's, its user the smallest user id of its lines (order ids with lines of
  several users are counted).
- An order whose refunds exceed its sales has negative net revenue: it is counted and valued
  at 0 (never as negative credit).
- Each touch belongs to the user's next order at or after it (ties go to the order); touches
  more than ``lookback`` before that order are dropped and counted. Touches after a user's last
  order form a non-converting journey (counted: the Markov chain's nulls).
- A journey longer than ``max_touches`` keeps its last touches (counted).
- Orders without a touch in the lookback window are not attributed (counted, with their revenue).
- Timestamps of the two logs must agree on time zone (both naive or both zone-aware), else a
  :class:`~mlroi.errors.DataError`.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np

from mlroi.backend import spill
from mlroi.backend.capabilities import capabilities, engine
from mlroi.backend.checks import require_columns
from mlroi.backend.columns import distinct_count, exact_sum
from mlroi.backend.execute import drop, fetch_columns, fetch_one, materialize
from mlroi.errors import BackendError, DataError

SEPARATOR = "\x1f"
"""Joins channel names in a path (the ASCII unit separator: no channel name holds it)."""

CHANNEL_BITS = 10
CHANNEL_CODES = 2**CHANNEL_BITS
"""Codes of channels in each touch's key in DuckDB's list query (``microseconds * 1024 +
code``; code 0 is a missing name): logs with 1,024 or more channel names are read by the window
query. A ``BIGINT`` key holds the times of the years 1685 to 2255; a time outside them makes
the query fail (an overflow, never a wrong count), and the window query reads the logs."""


@dataclass(frozen=True)
class LogColumns:
    """Column names of the two logs (``item`` columns may be ``None``)."""

    touch_user: str
    touch_time: str
    channel: str
    touch_item: str | None
    order_user: str
    order_id: str
    order_time: str
    revenue: str
    order_item: str | None


@dataclass(frozen=True)
class JourneyCounts:
    """The path table in columns, and the counts of irregular rows.

    Attributes:
        path: channel names joined by :data:`SEPARATOR`, first touch first, one per row.
        converted: whether the row's journeys end in an order.
        journeys, value, value_sq: journeys per row, their revenue and sum of squared revenue.
        decay_path, decay_position, decay_share, decay_value: per converting row and position,
            the sum of normalised time-decay weights (and times revenue).
        counts: irregular rows by kind (see the module docstring), and the logs' sizes.
        first_time, last_time: the period the logs cover (ISO text).
        time_zone: the logs' time zone (``None`` for naive timestamps).
        memory_limit: the memory limit mlroi gave DuckDB for these queries (DuckDB's text,
            ``"610.3 MiB"``; :func:`mlroi.backend.spill.bounded`) when the run spilled under
            it, else ``None``.
    """

    path: list[str]
    converted: np.ndarray[Any, Any]
    journeys: np.ndarray[Any, Any]
    value: np.ndarray[Any, Any]
    value_sq: np.ndarray[Any, Any]
    decay_path: list[str]
    decay_position: np.ndarray[Any, Any]
    decay_share: np.ndarray[Any, Any]
    decay_value: np.ndarray[Any, Any]
    counts: dict[str, float]
    first_time: str
    last_time: str
    time_zone: str | None
    memory_limit: str | None = None


def _check(touches: Any, orders: Any, cols: LogColumns) -> str | None:
    """Columns exist, times are timestamps of one time zone; returns that zone."""
    require_columns(
        touches,
        [
            ("touchpoint user column", cols.touch_user),
            ("touchpoint time column", cols.touch_time),
            ("channel column", cols.channel),
            *([("touchpoint item column", cols.touch_item)] if cols.touch_item else []),
        ],
        prefix="attribution.touchpoints: ",
    )
    require_columns(
        orders,
        [
            ("order user column", cols.order_user),
            ("order id column", cols.order_id),
            ("order time column", cols.order_time),
            ("revenue column", cols.revenue),
            *([("order item column", cols.order_item)] if cols.order_item else []),
        ],
        prefix="attribution.orders: ",
    )
    zones = []
    for log, table, col in (
        ("touchpoints", touches, cols.touch_time),
        ("orders", orders, cols.order_time),
    ):
        dtype = table.schema()[col]
        if not dtype.is_timestamp():
            raise DataError(
                f"attribution.{log}: time column {col!r} holds {dtype}, not timestamps; "
                "cast it to a timestamp in the source (e.g. a Parquet TIMESTAMP column)"
            )
        zones.append(dtype.timezone)
    if (zones[0] is None) != (zones[1] is None):
        raise DataError(
            f"attribution: mixed time zones: touchpoint times are {_zone(zones[0])} and order "
            f"times {_zone(zones[1])}; store both in UTC (or both without a zone)"
        )
    if not revenue_is_numeric(orders, cols.revenue):
        raise DataError(
            f"attribution.orders: revenue column {cols.revenue!r} holds "
            f"{orders.schema()[cols.revenue]}, not numbers"
        )
    return str(zones[0]) if zones[0] is not None else None


def revenue_is_numeric(orders: Any, column: str) -> bool:
    return bool(orders.schema()[column].is_numeric())


def _zone(z: str | None) -> str:
    return "without a time zone" if z is None else f"in time zone {z}"


def _seconds(t: Any) -> Any:
    return t.epoch_seconds().cast("float64")


def _kept(t: Any, exclude: Sequence[str]) -> Any:
    """The touches the journeys hold: those of channels not in ``exclude``."""
    return t.filter(~t.channel.isin(list(exclude))) if exclude else t


def _integer_users(touches: Any, orders: Any, cols: LogColumns) -> bool:
    """Both logs hold user ids as integers (compared as ``BIGINT``: cheaper than text)."""
    return bool(
        touches.schema()[cols.touch_user].is_integer()
        and orders.schema()[cols.order_user].is_integer()
    )


def _prepared(
    touches: Any,
    orders: Any,
    cols: LogColumns,
    *,
    integer_users: bool = False,
    line_counts: bool = False,
) -> tuple[Any, Any, Any]:
    """Distinct touches, distinct order lines, and orders (one row per order id).

    User ids are compared as text, or as ``BIGINT`` with ``integer_users`` (both logs' ids are
    integers; see :func:`_integer_users`): the same users either way, and an order with lines
    of several users still goes to the user whose id is the smallest as text. Rows without a
    user id belong to no journey and are left out (:func:`_irregular` counts them).
    """
    import ibis

    user_type = "int64" if integer_users else "string"
    touches = touches.filter(touches[cols.touch_user].notnull())
    orders = orders.filter(orders[cols.order_user].notnull())
    t = touches.select(
        user=touches[cols.touch_user].cast(user_type),
        time=touches[cols.touch_time],
        channel=touches[cols.channel].cast("string"),
        item=touches[cols.touch_item].cast("string") if cols.touch_item else ibis.null("string"),
    ).distinct()
    lines = orders.select(
        user=orders[cols.order_user].cast(user_type),
        order_id=orders[cols.order_id].cast("string"),
        time=orders[cols.order_time],
        revenue=orders[cols.revenue].cast("float64"),
        item=orders[cols.order_item].cast("string") if cols.order_item else ibis.null("string"),
    ).distinct()
    o = lines.group_by("order_id").aggregate(
        user=lines.user.argmin(lines.user.cast("string")) if integer_users else lines.user.min(),
        # two users at most matter: min != max is exact on every engine, where ClickHouse's
        # COUNT(DISTINCT) is an estimate
        several_users=lines.user.min() != lines.user.max(),
        time=lines.time.min(),
        net=exact_sum(lines.revenue),
        # with line_counts, the count query reads the order lines' counts from the orders
        **({"lines": lines.count(), "last_line": lines.time.max()} if line_counts else {}),
    )
    o = o.mutate(value=ibis.greatest(o.net, 0.0))
    return t, lines, o


def journey_counts(
    touches: Any,
    orders: Any,
    cols: LogColumns,
    *,
    lookback_days: float,
    half_life_days: float,
    max_touches: int,
    exclude: Sequence[str] = (),
    decay: bool = True,
) -> JourneyCounts:
    """Reduce the logs to the path table (module docstring for every rule); touches of the
    ``exclude`` channels are left out of the journeys (counted); ``decay`` asks for the
    time-decay sums. Where the engine sorts and transforms lists (DuckDB), each journey's
    touches become one sorted list (:func:`_rows_by_lists`); elsewhere window functions number
    them (:func:`_rows_by_windows`). Both give the same rows. On mlroi's own DuckDB connection,
    with no memory limit set by the user, the queries run under
    :data:`mlroi.backend.spill.BOUNDED_MEMORY` (they hold every touch at once; if one runs out
    of memory there, they run again under DuckDB's own limit), and a log of more than
    :data:`PART_ROWS` touch rows is reduced in parts of its users (:func:`_rows_in_parts`).

    Raises:
        DataError: a column is missing, a time column is not a timestamp, the zones differ,
            or a channel name holds the path separator.
    """
    zone = _check(touches, orders, cols)
    before = spill.report()
    made: list[Any] = []  # temporary tables of a query in parts, dropped at the end

    def reduce() -> dict[str, Any]:
        return _journey_counts(
            touches,
            orders,
            cols,
            lookback_days=lookback_days,
            half_life_days=half_life_days,
            max_touches=max_touches,
            exclude=exclude,
            decay=decay,
            made=made,
        )

    limit = None
    try:
        try:
            with spill.bounded(getattr(engine(touches), "con", None)) as limit:
                got = reduce()
        except BackendError as exc:
            if limit is None or not spill.out_of_memory(exc):
                raise
            # an operator DuckDB cannot spill outgrew mlroi's limit: again with DuckDB's own
            for table in made:
                drop(table)
            made.clear()
            limit = None
            got = reduce()
    finally:
        for table in made:
            drop(table)
    spilled = limit if limit is not None and spill.spilled_since(before) else None
    return JourneyCounts(**{**got, "time_zone": zone, "memory_limit": spilled})


def _journey_counts(
    touches: Any,
    orders: Any,
    cols: LogColumns,
    *,
    lookback_days: float,
    half_life_days: float,
    max_touches: int,
    exclude: Sequence[str],
    decay: bool,
    made: list[Any],
) -> dict[str, Any]:
    """The fields of :func:`journey_counts`' result but its time zone and memory limit."""
    t_all, lines, o = _prepared(touches, orders, cols)
    shape: dict[str, Any] = {
        "lookback_days": lookback_days,
        "half_life_days": half_life_days,
        "max_touches": max_touches,
        "decay": decay,
    }
    got = counted = None
    if _by_lists(touches):  # integer user ids are compared as BIGINT there
        integer_users = _integer_users(touches, orders, cols)
        size = fetch_one(touches.aggregate(n=touches.count()), "the size of the touchpoint log")
        parts = max(1, math.ceil(int(size.get("n") or 0) / PART_ROWS))
        t, _, o_rows = _prepared(
            touches, orders, cols, integer_users=integer_users, line_counts=parts > 1
        )
        # the channel names from their own scan: reading them from the touches' DISTINCT would
        # make DuckDB keep that whole intermediate for two readers
        names = touches.select(channel=touches[cols.channel].cast("string")).distinct()
        t, names = _kept(t, exclude), _kept(names, exclude)
        try:
            if parts == 1:
                by_lists = _rows_by_lists(t, o_rows, names, **shape)
                _allow_lambdas(by_lists)
                got = fetch_columns(by_lists, "the path-count query")
            else:

                def count(orders_made: Any) -> dict[str, Any]:
                    return _irregular(
                        lines, orders_made, touches, orders, cols, exclude, 0, left_out=0
                    )

                users = touches.select(user=touches[cols.touch_user])
                split = _user_ranges(users, parts) if integer_users else _user_hashes(parts)
                left = _left_out(touches, cols, exclude) if exclude else None
                got, counted = _rows_in_parts(t, o_rows, names, split, made, shape, count, left)
        except BackendError as exc:  # a time the keys cannot hold: the window query reads any
            if spill.out_of_memory(exc):
                raise  # the caller runs it again under DuckDB's own limit
            for table in made:
                drop(table)
            made.clear()
            got = None
        if got is not None and np.max(got["channels"], initial=0) >= CHANNEL_CODES:
            got = None  # more channel names than the keys hold
    if got is None:
        by_windows = _rows_by_windows(_kept(t_all, exclude), o, **shape)
        got = fetch_columns(by_windows, "the path-count query")
    kept_touches = float(np.sum(np.ma.getdata(got["touches"])))
    if counted is None:
        counts = _irregular(lines, o, touches, orders, cols, exclude, kept_touches)
    else:  # counted before the journeys, with no kept touches
        counts = counted
        counts["distinct_touches"] += kept_touches
        counts["duplicate_touches"] -= kept_touches
    path_col = got["path"]
    named = ~np.ma.getmaskarray(path_col) & np.array(
        [p is not None and p != "" for p in np.ma.getdata(path_col)], dtype=bool
    )
    got = {k: np.ma.getdata(v) for k, v in got.items()}
    pos = np.asarray(got["position"], dtype=np.int64)
    conv = np.asarray(got["converted"], dtype=bool)
    head = named & (pos == 0)
    counts["touches_after_last_order"] = float(np.sum(got["after"]))
    counts["touches_outside_lookback"] = float(np.sum(got["outside"]))
    counts["truncated_journeys"] = float(np.sum(got["truncated"]))
    counts["journeys"] = float(np.sum(got["journeys"][head]))
    counts["converting_journeys"] = float(np.sum(got["journeys"][head & conv]))
    counts["attributed_revenue"] = float(np.sum(got["value"][head & conv]))
    counts["orders_without_touch"] = counts["orders"] - counts["converting_journeys"]
    counts["revenue_without_touch"] = counts["order_revenue"] - counts["attributed_revenue"]
    timed = named & conv & (pos >= 0)
    rows = {k: v[head] for k, v in got.items()}
    names = [str(p) for p in rows["path"]]
    return dict(
        path=names,
        converted=np.asarray(rows["converted"], dtype=bool),
        journeys=np.asarray(rows["journeys"], dtype=np.float64),
        value=np.asarray(rows["value"], dtype=np.float64),
        value_sq=np.asarray(rows["value_sq"], dtype=np.float64),
        decay_path=[str(p) for p in got["path"][timed]] if decay else [],
        decay_position=pos[timed] if decay else np.zeros(0, dtype=np.int64),
        decay_share=np.asarray(got["share"][timed] if decay else [], dtype=np.float64),
        decay_value=np.asarray(got["worth"][timed] if decay else [], dtype=np.float64),
        counts=counts,
        first_time=str(counts.pop("_first")),
        last_time=str(counts.pop("_last")),
    )


def _rows_by_windows(
    t: Any, o: Any, *, lookback_days: float, half_life_days: float, max_touches: int, decay: bool
) -> Any:
    """The path-count query in plain SQL: each touch numbered by the orders before it (a window
    over the user's touches and orders), joined to its order, then numbered within its journey
    (a second window); each journey's path is aggregated and joined back to its touches.

    One row per (path, converted, position): ``position`` is a kept touch's place in its
    journey (0 = first), -1 for the touches left out; ``journeys``, ``value``, ``value_sq`` and
    ``truncated`` count at position 0, ``outside`` and ``after`` count touches, ``share`` and
    ``worth`` sum the time-decay shares.
    """
    import ibis

    ranked = o.mutate(k=ibis.row_number().over(group_by=o.user, order_by=[o.time, o.order_id]))
    events = t.select("user", "time", "channel", kind=ibis.literal(0)).union(
        ranked.select("user", "time", channel=ibis.null("string"), kind=ibis.literal(1)),
        distinct=False,
    )
    before = events.kind.sum().over(
        ibis.window(
            group_by=events.user, order_by=[events.time, events.kind], preceding=None, following=0
        )
    )
    touch = events.mutate(k=before.cast("int64")).filter(events.kind == 0).drop("kind")
    right = ranked.select(
        user_o="user", k_o="k", order_time="time", order_id="order_id", value="value"
    )
    tk = touch.left_join(right, [touch.user == right.user_o, touch.k == right.k_o])
    lag_h = (_seconds(tk.order_time) - _seconds(tk.time)) / 3600.0
    tk = tk.mutate(lag_h=lag_h, converted=tk.order_id.notnull())
    tk = tk.mutate(inside=~tk.converted | (tk.lag_h <= lookback_days * 24.0))
    part = [tk.user, tk.k, tk.inside]
    rn = ibis.row_number().over(group_by=part, order_by=[ibis.desc(tk.time), ibis.desc(tk.channel)])
    kept = tk.mutate(rn=rn, size=tk.count().over(group_by=part))
    kept = kept.mutate(keep=kept.inside & (kept.rn < max_touches))
    kept = kept.mutate(
        position=ibis.ifelse(kept.keep, ibis.least(kept.size, max_touches) - 1 - kept.rn, -1)
    )
    # each journey's path (and latest kept touch) in one hash aggregation, joined back to its
    # touches: cheaper than window functions over (user, k), which sort every partition
    per_journey: dict[str, Any] = {"path": _path(kept, max_touches)}
    if decay:
        per_journey["latest"] = ibis.ifelse(kept.keep, kept.lag_h, ibis.null("float64")).min()
    journeys = kept.group_by(["user", "k"]).aggregate(**per_journey)
    journeys = journeys.rename(user_j="user", k_j="k")
    kept = kept.join(journeys, [kept.user == journeys.user_j, kept.k == journeys.k_j])
    share = worth = ibis.literal(0.0)
    if decay:
        w = 2.0 ** (-(kept.lag_h - kept.latest) / (half_life_days * 24.0))
        kept = kept.mutate(w=ibis.ifelse(kept.keep & kept.converted, w, 0.0))
        sums = kept.group_by(["user", "k"]).aggregate(wsum=exact_sum(kept.w))
        sums = sums.rename(user_s="user", k_s="k")
        kept = kept.join(sums, [kept.user == sums.user_s, kept.k == sums.k_s])
        share = ibis.ifelse(kept.w > 0, kept.w / kept.wsum, 0.0)
        worth = share * kept.value
    first = (kept.position == 0).cast("int64")
    return (
        kept.group_by(["path", "converted", "position"])
        .aggregate(
            touches=kept.count(),
            journeys=first.sum(),
            value=exact_sum(ibis.ifelse(kept.position == 0, ibis.coalesce(kept.value, 0.0), 0.0)),
            value_sq=exact_sum(
                ibis.ifelse(kept.position == 0, ibis.coalesce(kept.value * kept.value, 0.0), 0.0)
            ),
            truncated=(first * (kept.size > max_touches).cast("int64")).sum(),
            outside=(~kept.inside).cast("int64").sum(),
            after=(~kept.converted).cast("int64").sum(),
            share=exact_sum(share),
            worth=exact_sum(worth),
        )
        .order_by(["path", "converted", "position"])
    )


PART_ROWS = 10_000_000
"""Touch rows per part of the path-count query on DuckDB (:func:`_rows_in_parts`): a larger
log is reduced to journeys in parts of its users, so that the memory each part holds stays
under :data:`mlroi.backend.spill.BOUNDED_MEMORY` without spilling (which costs more than the
parts' extra scans; at 50.9M rows, 11 parts by id range cost what 6 do)."""


def _rows_in_parts(
    t: Any,
    o: Any,
    channels: Any,
    split: Sequence[Callable[[Any], Any]],
    made: list[Any],
    shape: dict[str, Any],
    count: Callable[[Any], dict[str, Any]],
    left_out: Any,
) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, Any]]:
    """The rows of :func:`_rows_by_lists` from one query per part of the users (``split``:
    each part's filter on a table's ``user`` column, :func:`_user_ranges` or
    :func:`_user_hashes`), merged by a last query: the same numbers, as the parts' sums are
    exact.

    The orders (one row per order id, with their lines' counts) are made once as a temporary
    table, counted (``count`` of that table: the count query, with no touches kept or left out)
    and reduced to the users' order times (:func:`_slots`, another) before the parts run; the
    channel names are made once too. The touches left out (``left_out``, :func:`_left_out`, or
    ``None``) are counted part by part too: a part's ``DISTINCT`` stays in memory, where one
    over the whole log spills. Every table made is appended to ``made``. Returns the rows and
    the counts (the left-out touches in them).
    """
    orders = materialize(o, "the orders of the logs")
    made.append(orders)
    counted = count(orders)
    # the types of the query's columns (a stored timestamp gains a precision Ibis compares)
    typed = orders.select(**{c: orders[c].cast(o.schema()[c]) for c in o.columns})
    slots = materialize(_slots(typed), "the order times of the users")
    made.append(slots)
    drop(orders)  # its memory is the parts'
    slots = slots.select(**{c: slots[c].cast(_slots(o).schema()[c]) for c in slots.columns})
    lookup = materialize(_lookup(channels), "the channel names")
    made.append(lookup)
    pieces = []
    left = 0
    for part, mine in enumerate(split):
        of = f"part {part + 1} of {len(split)}"
        codes = _codes_by_lists(t.filter(mine(t)), slots.filter(mine(slots)), lookup, **shape)
        _allow_lambdas(codes)
        pieces.append(materialize(codes, f"the path-count query ({of})"))
        made.append(pieces[-1])
        if left_out is not None:
            mine_out = left_out.filter(mine(left_out))
            n = fetch_one(mine_out.aggregate(n=mine_out.count()), f"the left-out touches ({of})")
            left += int(n.get("n") or 0)
    union = functools.reduce(lambda a, b: a.union(b, distinct=False), pieces)
    merged = union.group_by(["codes", "converted", "position"]).aggregate(
        **{c: union[c].sum() for c in (*COUNTS, *SUMS)}
    )
    rows = _named(merged, lookup)
    _allow_lambdas(rows)
    if left_out is not None:
        counted["distinct_touches"] += left
        counted["duplicate_touches"] -= left
        counted["excluded_touches"] = float(left)
    return fetch_columns(rows, "the path-count query"), counted


def _user_hashes(parts: int) -> list[Callable[[Any], Any]]:
    """Filters of ``parts`` parts of the users by their id's hash (any type of id)."""

    def mine(part: int) -> Callable[[Any], Any]:
        return lambda x: (x.user.hash() % parts + parts) % parts == part  # the hash is signed

    return [mine(part) for part in range(parts)]


RANGE_BUCKETS = 64
BALANCE = 1.25
"""Buckets of the user-id range per part, counted to cut it into parts of about equal size
(:func:`_user_ranges`), and the most rows a part may have, relative to an equal share: with
more (ids in a few clusters), the parts are cut by hash."""


def _user_ranges(users: Any, parts: int) -> list[Callable[[Any], Any]]:
    """Filters of up to ``parts`` parts of the users by ranges of their integer ids, each with
    about as many of the log's rows (``users``, one ``user`` per row): a range filter lets
    DuckDB skip a Parquet file's row groups of other users (files sorted or grouped by user),
    where each part by hash reads the whole log. The ranges are cut from a count of the rows in
    :data:`RANGE_BUCKETS` buckets per part of the id range (by hash, :func:`_user_hashes`, when
    they cannot be cut evenly); a missing id goes to the first part."""
    import ibis

    ends = fetch_one(users.aggregate(lo=users.user.min(), hi=users.user.max()), "the user ids")
    if ends.get("lo") is None:
        return _user_hashes(1)
    lo, hi = int(ends["lo"]), int(ends["hi"])
    buckets = RANGE_BUCKETS * parts
    # in doubles, so that no id range overflows; a bucket only steers the parts' sizes
    span = float(hi - lo + 1)
    bucket = ((users.user.cast("float64") - float(lo)) / span * buckets).floor().cast("int64")
    counted = users.filter(users.user.notnull()).select(b=bucket)
    rows = fetch_columns(
        counted.group_by("b").aggregate(n=counted.count()), "the sizes of the user-id ranges"
    )
    per = np.zeros(buckets + 1, dtype=np.int64)
    np.add.at(per, np.clip(np.asarray(rows["b"], dtype=np.int64), 0, buckets), rows["n"])
    share = np.cumsum(per) / max(int(per.sum()), 1)
    # a part ends after the first bucket that reaches its share of the rows; a bucket's ids
    # end at lo + (b + 1) * span / buckets (exact in integers)
    last = np.searchsorted(share, np.arange(1, parts) / parts)
    cuts = sorted({lo + (int(b) + 1) * (hi - lo + 1) // buckets for b in last if b < buckets - 1})
    sizes = np.diff(np.append(share[last], 1.0), prepend=0.0)  # each part's share of the rows
    if len(cuts) < parts - 1 or sizes.max() > BALANCE / parts:
        return _user_hashes(parts)  # ids in a few clusters: the hash balances the parts

    def part(low: int | None, high: int | None) -> Callable[[Any], Any]:
        def mine(x: Any) -> Any:
            if low is None:
                return (x.user < high) | x.user.isnull() if high is not None else ibis.literal(True)
            return (x.user >= low) & (x.user < high) if high is not None else x.user >= low

        return mine

    bounds: list[int | None] = [None, *cuts, None]
    return [part(a, b) for a, b in itertools.pairwise(bounds)]


def _left_out(touches: Any, cols: LogColumns, exclude: Sequence[str]) -> Any:
    """The distinct touches the journeys leave out: of the ``exclude`` channels, or with no
    channel (the journeys' filter drops a touch where its test is true or NULL). As the
    distinct touches of :func:`_prepared` (the same rows, so the same number), with the
    channel replaced by its place in ``exclude`` and an integer user id left as it is: cheaper
    for the ``DISTINCT`` to tell apart than names and text."""
    import ibis

    channel = touches[cols.channel].cast("string")
    kept = ~(~channel.isin(list(exclude))).fill_null(False) & touches[cols.touch_user].notnull()
    rows = touches.filter(kept)
    channel = rows[cols.channel].cast("string")
    user = rows[cols.touch_user]
    return rows.select(
        user=user if user.type().is_integer() else user.cast("string"),
        time=rows[cols.touch_time],
        channel=ibis.cases(*((channel == c, i) for i, c in enumerate(exclude))),
        item=rows[cols.touch_item].cast("string") if cols.touch_item else ibis.null("string"),
    ).distinct()


def _by_lists(touches: Any) -> bool:
    """Whether the engine builds the path table from per-journey lists (:func:`_rows_by_lists`)."""
    caps = capabilities(touches)
    return caps.sorted_lists and caps.list_lambdas


def _allow_lambdas(query: Any) -> None:
    """Let DuckDB read the lambdas Ibis 12 writes (``x -> ...``), which DuckDB 2 refuses
    unless this session setting allows them; it changes nothing else."""
    engine(query).raw_sql("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")


def _rows_by_lists(t: Any, o: Any, channels: Any, **shape: Any) -> Any:
    """The rows of :func:`_rows_by_windows` from one query (:func:`_codes_by_lists`, named by
    :func:`_named`); ``channels`` holds the distinct channel names of ``t``."""
    lookup = _lookup(channels)
    return _named(_codes_by_lists(t, o, lookup, **shape), lookup)


def _lookup(channels: Any) -> Any:
    """The channel names of ``channels`` sorted in one row (``names``), and their number
    (``channels``): a touch's channel code is 1 + its name's place there."""
    names = channels.filter(channels.channel.notnull())
    return names.aggregate(
        names=names.channel.collect(order_by=names.channel), channels=names.count()
    )


def _slots(o: Any) -> Any:
    """The orders (``o``) as each user's order times, latest first (``j`` = 1, 2...), with the
    value of the first order by id at each (the touches before that time go to it, as in
    :func:`_rows_by_windows`)."""
    import ibis

    slots = o.group_by(["user", "time"]).aggregate(value=o.value.argmin(o.order_id))
    return slots.mutate(
        j=ibis.row_number().over(
            group_by=slots.user, order_by=ibis.desc(slots.time, nulls_first=True)
        )
        + 1
    )


def _codes_by_lists(
    t: Any,
    o: Any,
    lookup: Any,
    *,
    lookback_days: float,
    half_life_days: float,
    max_touches: int,
    decay: bool,
) -> Any:
    """The rows of :func:`_rows_by_windows` (the same numbers, bit for bit) from one window
    pass and one aggregation per journey, where the engine sorts and transforms lists.

    One window over each user's touches and order times, latest first, numbers each touch's
    journey by the orders at or after it (``j``: 0 after the last order) and carries the time
    of its order. Each journey's touches inside the lookback become one list of integer keys,
    the touch's time in microseconds and its channel's rank by name (:data:`CHANNEL_CODES`
    of them), sorted once (the windows' order: time, then channel) and cut to its last
    ``max_touches``; the time decay's lags, weights and shares are list functions. Journeys are
    grouped by their channel codes (the sums exact, ``DECIMAL``: rows of several users'
    parts add up to the same numbers), the converting journeys' shares unnested by position;
    :func:`_named` turns the codes into names on the grouped rows.

    ``o`` holds the orders, or their :func:`_slots`. ``lookup`` is :func:`_lookup` of the
    channel names. The named rows carry ``channels``,
    the number of names: from :data:`CHANNEL_CODES` names on, the keys are wrong, and the
    caller must use :func:`_rows_by_windows`.
    """
    import ibis

    slots = o if "j" in o.columns else _slots(o)
    events = t.select("user", "time", "channel", kind=ibis.literal(0, "int64")).union(
        slots.select("user", "time", channel=ibis.null("string"), kind=ibis.literal(1, "int64")),
        distinct=False,
    )
    later = ibis.window(
        group_by=events.user,
        order_by=[ibis.desc(events.time, nulls_first=True), ibis.desc(events.kind)],
        preceding=None,
        following=0,
    )
    slot_time = ibis.ifelse(events.kind == 1, events.time, ibis.null(events.time.type()))
    events = events.mutate(
        j=events.kind.sum().over(later).cast("int64"), order_time=slot_time.min().over(later)
    )
    tw = events.filter(events.kind == 0)
    # channel codes from a one-row lookup (1 + place in the sorted names): a join could make
    # DuckDB hash the touches instead of the few names
    tw = tw.cross_join(lookup)
    lag_h = (_seconds(tw.order_time) - _seconds(tw.time)) / 3600.0
    converted = tw.j > 0
    inside = ~converted | (lag_h <= lookback_days * 24.0)
    # microseconds as the seconds _seconds() reads, so that the lags recomputed from the keys
    # are the same doubles; a missing time or channel sorts first, as in the windows' order
    micros = (_seconds(tw.time) * 1e6).round().cast("int64")
    code = (tw.names.index(tw.channel) + 1).fill_null(0).cast("int64")
    key = ibis.ifelse(tw.time.isnull(), -(2**62), micros * CHANNEL_CODES) + code
    journeys = tw.group_by(["user", "j"]).aggregate(
        order_time=tw.order_time.max(),
        size=inside.cast("int64").sum().fill_null(0),
        outside=(~inside).cast("int64").sum().fill_null(0),
        after=(~converted).cast("int64").sum().fill_null(0),
        touches=tw.count(),
        keys=key.collect(where=inside),
    )
    values = slots.select(user_s="user", j_s="j", value="value")
    journeys = journeys.left_join(
        values, [journeys.user == values.user_s, journeys.j == values.j_s]
    )
    journeys = journeys.select(
        "size",
        "touches",
        "outside",
        "after",
        "value",
        "order_time",
        converted=journeys.j > 0,
        kept=journeys["keys"].sort()[-max_touches:],
    )
    journeys = journeys.mutate(codes=journeys.kept.map(lambda k: k & (CHANNEL_CODES - 1)))
    named = journeys.size > 0
    zero = ibis.literal(0.0)
    heads = journeys.select(
        "codes",
        "converted",
        position=ibis.ifelse(named, 0, -1).cast("int64"),
        journeys=named.cast("int64"),
        value=ibis.ifelse(named, journeys.value.fill_null(0.0), 0.0),
        value_sq=ibis.ifelse(named, (journeys.value * journeys.value).fill_null(0.0), 0.0),
        truncated=(named & (journeys.size > max_touches)).cast("int64"),
        touches="touches",
        outside="outside",
        after="after",
        share=zero,
        worth=zero,
    )
    rows = heads
    if decay:
        timed = journeys.filter(journeys.converted & named)
        order_time = timed.order_time
        timed = timed.mutate(
            lags=timed.kept.map(
                lambda k: (
                    (_seconds(order_time) - (k >> CHANNEL_BITS).cast("float64") / 1e6) / 3600.0
                )
            )
        )
        timed = timed.mutate(latest=timed.lags.mins())
        latest = timed.latest
        hours = half_life_days * 24.0
        timed = timed.mutate(w=timed.lags.map(lambda x: 2.0 ** (-(x - latest) / hours)))
        timed = timed.mutate(
            wsum=timed.w.map(lambda x: x.cast("decimal(38, 10)")).sums().cast("float64")
        )
        wsum = timed.wsum
        timed = timed.mutate(share=timed.w.map(lambda x: ibis.ifelse(x > 0, x / wsum, 0.0)))
        shares = timed.select(
            "codes",
            "converted",
            "value",
            position=ibis.range(timed.share.length()).unnest().cast("int64"),
            share=timed.share.unnest(),
        )
        zero_i = ibis.literal(0, "int64")
        rows = heads.union(
            shares.select(
                "codes",
                "converted",
                "position",
                journeys=zero_i,
                value=zero,
                value_sq=zero,
                truncated=zero_i,
                touches=zero_i,
                outside=zero_i,
                after=zero_i,
                share="share",
                worth=shares.share * shares.value,
            ),
            distinct=False,
        )
    exact = "decimal(38, 10)"  # summed in two steps, so kept exact in between (exact_sum)
    return rows.group_by(["codes", "converted", "position"]).aggregate(
        **{c: rows[c].sum() for c in COUNTS}, **{c: rows[c].cast(exact).sum() for c in SUMS}
    )


COUNTS = ("journeys", "truncated", "touches", "outside", "after")
SUMS = ("value", "value_sq", "share", "worth")
"""The columns of the path-count rows: counts, and sums (exact until the last step)."""


def _named(by_codes: Any, lookup: Any) -> Any:
    """The rows of :func:`_codes_by_lists` with their codes turned into paths of names."""
    import ibis

    sums, counts = SUMS, COUNTS
    by_codes = by_codes.cross_join(lookup)
    table = by_codes.names
    path = by_codes.codes.map(
        lambda c: ibis.ifelse(c == 0, ibis.null("string"), table[(c - 1).cast("int64")])
    ).join(SEPARATOR)
    by_codes = by_codes.mutate(path=path)
    # journeys whose codes differ only by a channel that is missing share a path
    return (
        by_codes.group_by(["path", "converted", "position"])
        .aggregate(
            **{c: by_codes[c].sum() for c in counts},
            **{c: by_codes[c].sum().cast("float64") for c in sums},
            channels=by_codes.channels.max(),
        )
        .order_by(["path", "converted", "position"])
    )


def _path(kept: Any, max_touches: int) -> Any:
    """Each journey's channels (``keep`` touches) joined by :data:`SEPARATOR` in ``position``
    order. Where the engine sorts lists, each channel is prefixed by its position in a fixed
    number of digits (``1000 + position``, say), the list is sorted and joined, and the prefixes
    are cut off: the same text as an ordered ``string_agg``, without its per-group sort. The
    prefixes are cut without a group reference in the replacement, which engines spell
    differently (``\\1``; ``$1`` in Spark, where ``\\1`` is a literal ``1``)."""
    if not capabilities(kept).sorted_lists:
        return kept.channel.group_concat(SEPARATOR, where=kept.keep, order_by=kept.position)
    digits = len(str(max(max_touches - 1, 0))) + 1
    tagged = (kept.position + 10 ** (digits - 1)).cast("string") + kept.channel
    joined = tagged.collect(where=kept.keep).sort().join(SEPARATOR)
    tag = f"[0-9]{{{digits}}}"
    return joined.re_replace(f"^{tag}", "").re_replace(f"{SEPARATOR}{tag}", SEPARATOR)


def _irregular(
    lines: Any,
    o: Any,
    touches: Any,
    orders: Any,
    cols: LogColumns,
    exclude: Sequence[str],
    kept_touches: float,
    *,
    left_out: float | None = None,
) -> dict[str, Any]:
    """Counts of the logs' rows, duplicates, touches of ``exclude`` channels and irregular
    orders, in one query (one-row aggregates of each log, cross-joined).

    ``kept_touches`` is the number of distinct touches the journeys hold (the path-count
    query's): only the distinct touches of the ``exclude`` channels are counted here
    (:func:`_left_out`), and the raw rows, instead of a second ``DISTINCT`` over the whole
    touchpoint log; ``left_out`` gives their number instead, when it is counted elsewhere.
    """
    import ibis

    channel = touches[cols.channel].cast("string")
    parts = [
        touches.aggregate(
            touch_rows=touches.count(),
            touches_without_user=touches[cols.touch_user].isnull().cast("int64").sum(),
            # a distinct channel holds the separator if a row does; duplicates keep the ends
            channels_with_separator=channel.contains(SEPARATOR).sum(),
            _first=touches[cols.touch_time].min(),
            _last=touches[cols.touch_time].max(),
        ),
        orders.aggregate(
            order_lines=orders.count(),
            order_lines_without_user=orders[cols.order_user].isnull().cast("int64").sum(),
        ),
        # the distinct lines' count and times, from the orders when they carry them
        o.aggregate(
            distinct_lines=o["lines"].sum(),
            _first_order=o.time.min(),
            _last_order=o.last_line.max(),
        )
        if "lines" in o.columns
        else lines.aggregate(
            distinct_lines=lines.count(),
            _first_order=lines.time.min(),
            _last_order=lines.time.max(),
        ),
        o.aggregate(
            orders=o.count(),
            order_revenue=exact_sum(o.value),
            orders_with_several_users=o.several_users.cast("int64").sum(),
            refunds_exceeding_order=(o.net < 0).sum(),
            refund_excess=exact_sum(ibis.greatest(-o.net, 0.0)),
        ),
    ]
    if exclude and left_out is None:
        left = _left_out(touches, cols, exclude)
        parts.append(left.aggregate(_left_out=left.count()))
    got: dict[str, Any] = fetch_one(
        functools.reduce(lambda a, b: a.cross_join(b), parts), "the counts of the logs"
    )
    for end, pick in (("_first", min), ("_last", max)):
        known = [x for x in (got.get(end), got.pop(f"{end}_order", None)) if x is not None]
        got[end] = pick(known) if known else None
    if int(got.get("channels_with_separator") or 0):
        raise DataError(
            "attribution.touchpoints: a channel name holds the control character U+001F; "
            "remove it from the channel column"
        )
    out: dict[str, Any] = {k: (v if k.startswith("_") else float(v or 0)) for k, v in got.items()}
    left_out = float(out.pop("_left_out", None) or 0) if left_out is None else left_out
    out["distinct_touches"] = kept_touches + left_out
    out["duplicate_touches"] = (
        out["touch_rows"] - out["touches_without_user"] - out["distinct_touches"]
    )
    if exclude:
        out["excluded_touches"] = left_out
    out["duplicate_order_lines"] = (
        out["order_lines"] - out["order_lines_without_user"] - out["distinct_lines"]
    )
    first = ("touch_rows", "order_lines", "distinct_touches")  # the order the counts are listed in
    return {**{k: out[k] for k in first}, **{k: v for k, v in out.items() if k not in first}}


def missing_from_assignments(
    touches: Any, orders: Any, cols: LogColumns, assignments: Any, user: str
) -> dict[str, float]:
    """Users of the logs that the assignment table lacks, and the order revenue they bring.

    Raises:
        DataError: the assignment table has no column ``user``.
    """
    require_columns(
        assignments, [("assignment user column", user)], prefix="attribution.assignments: "
    )
    t, _, o = _prepared(touches, orders, cols)
    known = assignments.select(a_user=assignments[user].cast("string")).distinct()
    users = t.select("user").union(o.select("user"), distinct=True)
    lost = users.filter(~users.user.isin(known.a_user))
    lost_orders = o.filter(~o.user.isin(known.a_user))
    got = fetch_one(lost.aggregate(n=lost.count()), "the assignment check")
    rev = fetch_one(
        lost_orders.aggregate(n=lost_orders.count(), r=exact_sum(lost_orders.value)),
        "the assignment check",
    )
    return {
        "users_missing_from_assignments": float(got["n"] or 0),
        "orders_of_users_missing_from_assignments": float(rev["n"] or 0),
        "revenue_of_users_missing_from_assignments": float(rev["r"] or 0),
    }


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _bounded_by_touches(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """``fn`` (whose first argument is the touchpoint log) run under mlroi's memory limit on
    the log's connection, as :func:`journey_counts` is; again under DuckDB's own limit if it
    runs out of memory there."""

    @functools.wraps(fn)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        limit = None
        try:
            with spill.bounded(getattr(engine(args[0]), "con", None)) as limit:
                return fn(*args, **kwargs)
        except BackendError as exc:
            if limit is None or not spill.out_of_memory(exc):
                raise
            return fn(*args, **kwargs)

    return run


def _spread(per: Any, purpose: str, users: float) -> Influenced:
    """Influenced revenue of rows ``per`` (``user``, ``r``) and its spread over ``users``."""
    by_user = per.group_by("user").aggregate(r=exact_sum(per.r), n=per.count())
    got = fetch_one(
        by_user.aggregate(
            revenue=exact_sum(by_user.r),
            orders=by_user.n.sum(),
            sum_sq=exact_sum(by_user.r * by_user.r),
        ),
        purpose,
    )
    return Influenced(
        float(got["revenue"] or 0),
        float(got["orders"] or 0),
        float(users or 0),
        float(got["sum_sq"] or 0),
    )


@_bounded_by_touches
def session_influenced(
    touches: Any,
    orders: Any,
    cols: LogColumns,
    *,
    channels: Sequence[str],
    touch_session: str,
    order_session: str,
    users: float | None = None,
) -> Influenced:
    """Session-level influenced revenue: an order's net revenue (0 when refunds exceed it), when
    the user clicked a recommendation earlier in the session the order was placed in (an order's
    session is that of its first line).

    Args:
        users: the users with at least one order, when :func:`influenced` has counted them
            already (the same logs): spares a query.

    Raises:
        DataError: a session column is missing.
    """
    require_columns(
        touches, [("touchpoint session column", touch_session)], prefix="attribution.touchpoints: "
    )
    require_columns(
        orders, [("order session column", order_session)], prefix="attribution.orders: "
    )
    integer_users = _integer_users(touches, orders, cols)
    _, _, o = _prepared(touches, orders, cols, integer_users=integer_users)
    if users is None:
        users = fetch_one(o.aggregate(users=distinct_count(o.user, None)), "the ordering users")[
            "users"
        ]
    raw = touches.filter(touches[cols.channel].cast("string").isin(list(channels)))
    clicks = raw.select(
        cu=raw[cols.touch_user].cast("int64" if integer_users else "string"),
        ct=raw[cols.touch_time],
        cs=raw[touch_session].cast("string"),
    ).distinct()
    first = orders.select(
        oid=orders[cols.order_id].cast("string"),
        ots=orders[cols.order_time],
        os=orders[order_session].cast("string"),
    )
    session = first.group_by("oid").aggregate(os=first.os.min())
    placed = o.join(session, o.order_id == session.oid)
    j = placed.join(
        clicks, [placed.user == clicks.cu, placed.os == clicks.cs, clicks.ct <= placed.time]
    )
    return _spread(
        j.select("order_id", "user", r=j.value).distinct(), "the session-level query", users
    )


@dataclass(frozen=True)
class Influenced:
    """Revenue influenced by recommendations under a window rule, and its spread over users.

    Attributes:
        revenue: influenced revenue.
        orders: orders (item level: order lines) counted as influenced.
        users: users with at least one order (the bootstrap's population).
        sum_sq: sum over those users of their squared influenced revenue.
    """

    revenue: float
    orders: float
    users: float
    sum_sq: float


@_bounded_by_touches
def influenced(
    touches: Any,
    orders: Any,
    cols: LogColumns,
    *,
    channels: Sequence[str],
    item_window_hours: float,
    order_window_hours: float,
) -> tuple[Influenced | None, Influenced]:
    """Item-level (``None`` without item columns) and order-level influenced revenue.

    Item level: an order's net revenue of an item, when the user clicked that item in a
    recommendation within ``item_window_hours`` before the order. Order level: an order's net
    revenue (0 when refunds exceed it), when the user clicked any recommendation within
    ``order_window_hours`` before it.
    """
    import ibis

    integer_users = _integer_users(touches, orders, cols)
    t, lines, o = _prepared(touches, orders, cols, integer_users=integer_users)
    clicks = t.filter(t.channel.isin(list(channels)))
    users = fetch_one(o.aggregate(users=distinct_count(o.user, None)), "the ordering users")[
        "users"
    ]

    def spread(per: Any, purpose: str) -> Influenced:
        return _spread(per, purpose, users)

    c = clicks.select(cu="user", ct="time", ci="item")
    j = o.join(
        c,
        [
            o.user == c.cu,
            c.ct <= o.time,
            o.time <= c.ct + ibis.interval(seconds=round(order_window_hours * 3600)),
        ],
    )
    order_level = spread(
        j.select("order_id", "user", r=j.value).distinct(), "the order-level query"
    )
    if cols.touch_item is None or cols.order_item is None:
        return None, order_level
    oi = lines.group_by(["order_id", "item"]).aggregate(r=exact_sum(lines.revenue))
    ot = o.select(ou="user", ot="time", oid="order_id")
    oi = oi.join(ot, oi.order_id == ot.oid)
    ji = oi.join(
        c,
        [
            oi.ou == c.cu,
            oi.item == c.ci,
            c.ct <= oi.ot,
            oi.ot <= c.ct + ibis.interval(seconds=round(item_window_hours * 3600)),
        ],
    )
    item_level = spread(
        ji.select("order_id", "item", user="ou", r="r").distinct(), "the item-level query"
    )
    return item_level, order_level
