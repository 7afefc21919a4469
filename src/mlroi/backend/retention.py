"""The retention request: per-user logs reduced to per-arm, per-day churn and censoring counts.

Python never holds a row: the backend derives each user's follow-up time and churn day and
returns one row per (arm, follow-up, churn day) with a count (both days clipped, so few rows),
plus counts of the rows it had to leave out.

Time: every timestamp becomes epoch seconds in the backend, so a column with a time zone and one
without compare on one clock (a column without one is read as UTC; the result says so). Day ``k``
since exposure is ``floor((t - exposure) / 86400)``; day 0 is the exposure day.

Follow-up of a user exposed at ``x``: ``F = min(window, E - gap)`` days, with ``E`` the whole days
from ``x`` to the end of observation and ``gap`` the inactivity that defines churn (0 for
cancellations). Users with ``F < 0`` were exposed too recently to say anything and are counted,
not used.

* Activity log (non-contractual): the exposure day counts as active; a user churns on the first
  active day ``L <= F`` followed by more than ``gap`` days without activity (the next active day
  after ``L + gap``, or none by the end of observation). One window function (``lead``) over the
  active days of each user finds it.
* Cancellations (contractual): a user churns on the day of their first cancellation if it is at
  most ``F``; otherwise they are censored at ``F``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from mlroi.backend.checks import require_columns
from mlroi.backend.columns import distinct_count
from mlroi.backend.execute import fetch_one, fetch_rows
from mlroi.errors import DataError, MlroiError, first_line

DAY = 86400


@dataclass(frozen=True)
class RetentionCounts:
    """What the backend returns: per-arm, per-day counts and the rows left out.

    Attributes:
        rows: ``(arm, day, events, censored)``, one per arm and day with any.
        observation_end: the end of observation used (UTC).
        excluded: how many rows or users were left out, by reason.
        notes: how the inputs were read (time zones, defaults).
        cohort_rows: ``(arm, cohort, day, events, censored)`` when cohorts were asked for:
            ``cohort`` is the UTC date (epoch day) of the Monday of the week of first exposure.
    """

    rows: tuple[tuple[str, int, int, int], ...]
    observation_end: dt.datetime
    excluded: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    cohort_rows: tuple[tuple[str, int, int, int, int], ...] = ()


def _epoch(table: Any, column: str, role: str, notes: list[str]) -> Any:
    """``column`` as epoch seconds (float); dates become midnight UTC."""
    col = table[column]
    kind = col.type()
    if kind.is_date():
        col = col.cast("timestamp")
        notes.append(f"{role} {column!r} holds dates: read as midnight UTC")
    elif kind.is_timestamp():
        if kind.timezone is None:
            notes.append(f"{role} {column!r} has no time zone: read as UTC")
    else:
        raise DataError(
            f"{role} {column!r} holds {kind}, not timestamps: store it as a timestamp or a date"
            " (e.g. CAST it in a view, or write ISO 8601 times in the CSV)"
        )
    return col.epoch_seconds().cast("float64")


def retention_counts(
    assignments: Any,
    log: Any,
    *,
    mode: Literal["activity", "churn"],
    unit: str,
    variant: str,
    exposure: str,
    timestamp: str,
    gap_days: int,
    window_days: int,
    observation_end: dt.datetime | None,
    unit_bounds: tuple[int, int] | None = None,
    cohorts: bool = False,
) -> RetentionCounts:
    """Per-arm, per-day churn and censoring counts from the assignments and a log.

    Args:
        assignments: Ibis table, one row per user: unit, arm, first exposure time.
        log: Ibis table of activity (``mode="activity"``) or cancellations (``"churn"``); for
            cancellations it may be the assignments table itself.
        unit, variant, exposure, timestamp: column names.
        gap_days: days without activity that make a user churned (activity mode).
        window_days: follow each user at most this long.
        observation_end: end of observation; ``None`` for the latest time in the log.
        unit_bounds: the user column's range from file statistics, if known: users assigned
            twice are then counted in a bitmap instead of a hash table.
        cohorts: also count per cohort of the week of first exposure (Monday to Sunday, UTC),
            in the same query.

    Raises:
        DataError: a column is missing or is not a time; no user has any follow-up.
    """
    import ibis

    require_columns(assignments, [("assignments column", c) for c in (unit, variant, exposure)])
    require_columns(log, [(f"{mode} log column", c) for c in (unit, timestamp)])
    notes: list[str] = []
    # cancellations in a column of the assignments: read in the same pass, no join
    inline = mode == "churn" and log is assignments
    cols = {
        "__unit": assignments[unit],
        "__arm": assignments[variant].cast("string"),
        "__x": _epoch(assignments, exposure, "exposure column", notes),
    }
    if inline:
        cols["__c"] = _epoch(assignments, timestamp, "churn column", notes)
    asg = assignments.select(**cols)
    lg = log.select(__unit=log[unit], __t=_epoch(log, timestamp, f"{mode} log column", notes))
    if observation_end is None:
        end_value = fetch_one(
            lg.aggregate(end=lg["__t"].max()), "the query for the end of observation"
        ).get("end")
        if end_value is None:
            raise DataError(
                f"the {mode} log has no time in {timestamp!r} to end the observation at: give"
                " retention.observation_end"
            )
        end = float(end_value)
        notes.append(f"observation ends at the latest {mode} time, {_utc(end):%Y-%m-%d %H:%M} UTC")
    else:
        aware = observation_end.tzinfo is not None
        end = observation_end.timestamp() if aware else _naive_utc(observation_end)
    # the users to follow, in one projection of the source: NULL checks on the source's own
    # columns (pushed into the scan), follow-up days computed once per row
    src = assignments.filter(
        assignments[unit].notnull()
        & assignments[variant].notnull()
        & assignments[exposure].notnull()
    )
    x = _epoch(src, exposure, "exposure column", [])
    e = ((ibis.literal(end) - x) / DAY).floor().cast("int64")
    user_cols = {"__unit": src[unit], "__arm": src[variant].cast("string"), "__x": x, "__e": e}
    user_cols["__f"] = ibis.least(ibis.literal(window_days), e - gap_days)
    if inline:
        user_cols["__c"] = _epoch(src, timestamp, "churn column", [])
    keys: list[str] = []
    if cohorts:  # epoch day 0 is a Thursday: day + 3 mod 7 counts from Monday
        x_day = (x / DAY).floor().cast("int64")
        user_cols["__k"] = x_day - (x_day + 3) % 7
        keys = ["__k"]
    try:
        if mode == "activity":
            table, per_user = _activity(src.select(**user_cols), lg, gap_days, end, keys)
        elif inline:  # grouped straight from the source's columns: one scan, no join
            table, per_user = src, _cancellation_day(user_cols, end, window_days)
        else:
            table = src.select(**user_cols).left_join(_first_cancellation(lg, end), "__unit")
            columns = {k: table[k] for k in [*user_cols, "__c"]}
            per_user = _cancellation_day(columns, end, window_days)
        f = per_user["__f"]  # -1: exposed too recently to follow
        grouped = table.group_by(
            __arm=per_user["__arm"],
            **{k: per_user[k] for k in keys},
            f=ibis.ifelse(f < 0, -1, f),
            day=per_user["day"],
        ).aggregate(n=ibis._.count())
        checks = _checks(asg, None if inline else lg, end, unit_bounds)
        # the checks are one-row aggregates joined to every group: one query, one round trip
        rows = fetch_rows(
            functools.reduce(lambda a, b: a.cross_join(b), checks, grouped),
            "the retention counts query",
        )
        checked = rows[0] if rows else {}
        if not rows:  # no usable assignment row, so no group carries the checks: run them alone
            for check in checks:
                checked |= fetch_one(check, "the retention checks query")
        excluded = _excluded(checked, mode, inline)
    except MlroiError:
        raise
    except Exception as exc:  # Ibis type errors while building the expression
        a_type, l_type = assignments[unit].type(), log[unit].type()
        if not inline and a_type != l_type:
            raise DataError(
                f"user column {unit!r} is {a_type} in the assignments but {l_type} in the"
                f" {mode} log, so no user can be matched: store both as the same type"
            ) from exc
        raise DataError(
            f"cannot derive retention from the {mode} log: {first_line(exc)}; check that"
            f" {timestamp!r} and {exposure!r} are timestamps"
        ) from exc
    counts: dict[tuple[str, int], list[int]] = {}
    by_cohort: dict[tuple[str, int, int], list[int]] = {}
    too_recent, before = 0, 0
    for r in rows:  # (arm, [cohort,] follow-up F, churn day or NULL, users), both days clipped
        f, day, n = int(r["f"]), r["day"], int(r["n"])
        if day is not None and day < 0:
            before += n
            continue
        if f < 0:
            too_recent += n
            continue
        churned = day is not None and day <= f
        time, slot = (int(day), 0) if churned else (f, 1)
        counts.setdefault((str(r["__arm"]), time), [0, 0])[slot] += n
        if cohorts:
            key = (str(r["__arm"]), int(r["__k"]), time)
            by_cohort.setdefault(key, [0, 0])[slot] += n
    excluded["users exposed too recently to follow"] = too_recent
    if mode == "churn":
        excluded["users who cancelled before their exposure"] = before
    if not counts:
        raise DataError(
            f"no user has any follow-up: every exposure is within {gap_days} days of the end of"
            f" observation ({_utc(end):%Y-%m-%d}); give a later retention.observation_end or"
            " wait for more data"
        )
    out = tuple((a, d, v[0], v[1]) for (a, d), v in sorted(counts.items()))
    per_cohort = tuple((a, k, d, v[0], v[1]) for (a, k, d), v in sorted(by_cohort.items()))
    return RetentionCounts(out, _utc(end), excluded, tuple(dict.fromkeys(notes)), per_cohort)


def _activity(
    ok: Any, lg: Any, gap: int, end: float, keys: list[str]
) -> tuple[Any, dict[str, Any]]:
    """A table of one row per user and its arm, follow-up ``__f`` and churn ``day`` (NULL for
    none; within ``[0, f]``, so it needs no clipping)."""
    import ibis

    joined = lg.filter(lg["__t"].notnull() & (lg["__t"] <= end)).join(ok, "__unit")
    day = ((joined["__t"] - joined["__x"]) / DAY).floor().cast("int64")
    active = (
        joined.mutate(day=day)
        .filter((ibis._.day >= 0) & (ibis._.day <= ibis._["__f"] + gap))
        .select(__unit=ibis._["__unit"].cast(ok["__unit"].type()), day=ibis._.day)
    )
    # not made distinct (a hash aggregate as costly as the window): of the copies of a day, the
    # last in the window's order sees the next later day, the others see the same day (a gap
    # of 0, never churn), so the first churn day is the same
    days = active.union(ok.select("__unit", day=ibis.literal(0, "int64")))
    w = ibis.window(group_by="__unit", order_by="day")
    days = days.mutate(nxt=days["day"].lead().over(w))
    days = days.join(ok.select("__unit", "__arm", "__e", "__f", *keys), "__unit")
    gap_after = (days["nxt"].isnull() & (days["day"] + gap <= days["__e"])) | (
        days["nxt"] - days["day"] > gap
    )
    churn_day = ibis.ifelse(gap_after & (days["day"] <= days["__f"]), days["day"], None)
    per_user = days.group_by("__unit", "__arm", "__f", *keys).aggregate(churn=churn_day.min())
    columns = {"__arm": per_user["__arm"], "__f": per_user["__f"], "day": per_user["churn"]}
    return per_user, columns | {k: per_user[k] for k in keys}


def _first_cancellation(lg: Any, end: float) -> Any:
    """Each user's first cancellation (``__c``) by the end of observation, from a log table."""
    return (
        lg.filter(lg["__t"].notnull() & (lg["__t"] <= end))
        .group_by("__unit")
        .aggregate(__c=lambda t: t["__t"].min())
    )


def _cancellation_day(user: dict[str, Any], end: float, window: int) -> dict[str, Any]:
    """``user``'s columns with the ``day`` of the cancellation ``__c`` since exposure ``__x``,
    clipped to ``[-1, window + 1]`` so that few groups remain: ``-1`` a cancellation before
    exposure, ``window + 1`` none within any follow-up, NULL none by the end of observation.
    With ``f = -1`` for a user exposed too recently, Python reads each group's case; the engine
    does only arithmetic per row."""
    import ibis

    c, x = user["__c"], user["__x"]
    # one CASE, the day computed once: c < x is exactly a negative day, and LEAST sees no NULL
    day = ibis.cases(
        (c.isnull() | (c > end), ibis.null("int64")),
        (c < x, -1),
        else_=ibis.least(window + 1, ((c - x) / DAY).floor().cast("int64")),
    )
    return user | {"day": day}


def _checks(asg: Any, lg: Any | None, end: float, bounds: tuple[int, int] | None) -> list[Any]:
    """One-row aggregations of the assignment rows and log rows to leave out, by reason (none
    over the log when the cancellations are a column of the assignments); their columns are
    named ``__a_*`` and ``__l_*`` so that they join to the counts without a clash."""
    import ibis

    checks = [
        asg.aggregate(
            __a_rows=asg["__unit"].count(),
            __a_units=distinct_count(asg["__unit"], bounds),
            __a_missing=(
                asg["__unit"].isnull() | asg["__arm"].isnull() | asg["__x"].isnull()
            ).sum(),
        )
    ]
    if lg is None:
        return checks
    # a hash aggregate, not DISTINCT ON: the earliest exposure of each assigned user
    known = (
        asg.filter(asg["__unit"].notnull())
        .group_by("__unit")
        .aggregate(__x=lambda t: t["__x"].min(), __in=ibis.literal(1))
    )
    joined = lg.left_join(known, "__unit")
    checks.append(
        joined.aggregate(
            __l_null=(joined["__unit"].isnull() | joined["__t"].isnull()).sum(),
            __l_unassigned=(joined["__unit"].notnull() & joined["__in"].isnull()).sum(),
            __l_before=(joined["__t"] < joined["__x"]).fill_null(False).sum(),
            __l_after=(joined["__t"] > end).fill_null(False).sum(),
            __l_total=joined["__in"].isnull().count(),
        )
    )
    return checks


def _excluded(g: dict[str, Any], mode: str, inline: bool) -> dict[str, int]:
    """The counts of rows left out, by reason, from the columns of :func:`_checks`.

    Raises:
        DataError: no row of the log belongs to an assigned user.
    """

    def n(name: str) -> int:
        return int(g.get(name) or 0)

    out = {
        "assignment rows with no user, arm or exposure time": n("__a_missing"),
        "users assigned more than once": n("__a_rows") - n("__a_units"),
    }
    if inline:
        return out
    total, null, unassigned = n("__l_total"), n("__l_null"), n("__l_unassigned")
    if total and null + unassigned == total:
        # every user would read as churned (or retained) on day 0: a wrong figure, not a finding
        raise DataError(
            f"none of the {mode} log's {total:,} rows belongs to an assigned user ({null:,} have"
            f" no user or time, {unassigned:,} a user missing from the assignments): check"
            " that both tables use the same user ids"
        )
    return out | {
        f"{mode} rows with no user or time": null,
        f"{mode} rows of users missing from the assignments": unassigned,
        f"{mode} rows before the user's exposure": n("__l_before"),
        f"{mode} rows after the end of observation": n("__l_after"),
    }


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _naive_utc(t: dt.datetime) -> float:
    return t.replace(tzinfo=dt.UTC).timestamp()
