"""Requests on a scored table: check it, sum it per score or per score bin, fetch its rows.

The exact value curve needs, for every distinct score, the number of rows, of positives, and the
sums of the value of acting and of leaving alone (plus any other per-row amounts a constraint or
a business metric reads). One ``GROUP BY score`` query returns them; Python never sees a row. A
first, small query checks the inputs: scores finite and (for probabilities) within [0, 1], labels
binary (0/1, booleans or yes/no strings), no NULLs, no division by zero in the value
expressions. Only the bootstrap reads rows (:func:`scored_rows`), and it says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlroi import formatting as fmt
from mlroi.backend.capabilities import capabilities, engine
from mlroi.backend.checks import (
    binary,
    binary_counts,
    count,
    nonfinite,
    refuse_bad_scores,
    refuse_binary_problems,
    require_readable,
    require_type,
)
from mlroi.backend.columns import exact_sum, sum_limit
from mlroi.backend.compile import to_ibis
from mlroi.backend.execute import fetch_columns, fetch_one
from mlroi.backend.overflow import overflow_error
from mlroi.errors import DataError
from mlroi.expr import Expr, zero_divisors

if TYPE_CHECKING:
    import numpy as np

Columns = dict[str, "np.ndarray[Any, Any]"]


@dataclass(frozen=True)
class ScoredStats:
    """What the check query learns about the scored rows.

    Attributes:
        rows: eligible rows.
        distinct: approximate number of distinct values of each score column (HyperLogLog).
        low, high: smallest and largest value of each score column.
        top: largest ``|value|`` of a row of each expression checked (or a bound on it, see
            ``complete``), which lets :func:`~mlroi.backend.columns.exact_sum` add it in a
            narrower exact type.
        complete: whether the query checked the label and every expression row by row. When
            False, the columns' ranges in the Parquet footers proved the label binary with both
            outcomes, no NULLs and bounded values, and ``top`` is a bound from those ranges;
            only a NaN is left, which makes the exact sums of every curve query fail (run the
            complete check then, to say which expression reads it).
    """

    rows: int
    distinct: Mapping[str, int]
    low: Mapping[str, float]
    high: Mapping[str, float]
    top: Mapping[str, float] = field(default_factory=dict)
    complete: bool = True


def where(table: Any, condition: Expr) -> Any:
    """The rows of ``table`` where a bound condition holds (the eligible population)."""
    return table.filter(to_ibis(condition, table))


def untreated(table: Any, treated: str) -> Any:
    """The rows of a past campaign that were not treated (flag 0, false or "no").

    Raises:
        DataError: the flag holds neither numbers, booleans nor strings.
    """
    require_type(table, treated, "the treatment flag", binary=True)
    return table.filter(binary(table[treated]) == 0)


def check_flag(table: Any, treated: str) -> None:
    """One query: a past campaign's treatment flag is binary and both arms have rows.

    Run before the untreated rows are selected, so a bad flag stops the analysis at once.
    """
    require_type(table, treated, "the treatment flag", binary=True)
    flag = binary(table[treated])
    nulls, bad = binary_counts(table[treated])
    got = fetch_one(
        table.aggregate(
            rows=table.count(),
            nulls=nulls,
            bad=bad,
            n_treated=count(flag == 1),
            n_control=count(flag == 0),
        ),
        "the check of the treatment flag",
    )
    rows = int(got["rows"])
    refuse_binary_problems(
        treated,
        "treatment flags",
        "treated",
        nulls=int(got["nulls"] or 0),
        bad=int(got["bad"] or 0),
        rows=rows,
    )
    refuse_one_arm(treated, int(got["n_treated"] or 0), int(got["n_control"] or 0), rows)


def refuse_one_arm(treated: str, n_treated: int, n_control: int, rows: int) -> None:
    """Raise when a campaign table lacks its treated or its control rows."""
    for arm, n, value in (("treated", n_treated, 1), ("control", n_control, 0)):
        if n == 0:
            raise DataError(
                f"column {treated!r}: no {arm} rows ({value}) among {rows:,}; uplift needs a "
                "randomized treated group and a control group in the same table"
            )


def refuse_one_outcome(label: str, positives: int, rows: int) -> None:
    """Raise when every label is 0 (or every label is 1): a ranking of scores then separates
    nothing, and the value curve's "best" threshold (act on no one, or on everyone) says nothing
    about the model."""
    if positives == 0:
        raise DataError(
            f"no positive labels in column {label!r}: all {rows:,} rows are 0; the decision"
            " needs rows of both outcomes: check `label` (1 = positive) and `eligible`"
        )
    if positives == rows:
        raise DataError(
            f"no negative labels in column {label!r}: all {rows:,} rows are 1; the decision"
            " needs rows of both outcomes: check `label` (1 = positive) and `eligible`"
        )


def check_scored(
    table: Any,
    *,
    scores: Sequence[str],
    label: str,
    exprs: Mapping[str, Expr],
    probabilities: bool = True,
    field: str = "value",
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> ScoredStats:
    """One aggregation query that checks the scored rows and sizes them.

    ``ranges`` holds the exact min and max of columns of ``table`` that have no NULL (from
    Parquet footers). When they prove the label binary with both outcomes and bound every
    expression (:func:`mlroi.expr.bounds.value_range`), on an engine whose exact sums fail on a
    NaN, the query checks the scores only (about a third of the complete check's time) and the
    result is not ``complete``.

    Raises:
        DataError: no rows; NULL or NaN scores; scores outside [0, 1] when they are
            probabilities; labels other than 0/1, or all of one value; an expression of
            ``exprs`` that divides by zero or reads a NULL in some row (named
            ``{field}.{name}``); a score, the label or a column an expression reads of a type
            that is not read as a number (a date).
    """
    import ibis

    for column in scores:
        require_type(table, column, "a score", binary=False)
    require_type(table, label, "the label", binary=True)
    for name, e in exprs.items():
        require_readable(table, sorted(e.names()), f"{field}.{name}")
    limit = sum_limit(table[label])
    tops = _proven_tops(table, label, exprs, ranges) if ranges else None
    if tops is not None:
        got = fetch_one(
            table.aggregate(rows=table.count(), **_score_checks(table, scores)),
            "the check of the scored table",
        )
        rows = _refuse_bad_scores(got, scores, probabilities, limit)
        if all(top * rows <= limit for top in tops.values()):
            return _scored_stats(got, scores, rows, tops, complete=False)
    # each expression's value once per row, then read by the three checks on it
    values = {
        f"__value_{j}": to_ibis(e, table).cast("float64")
        for j, e in enumerate(exprs.values())
        if e.names()  # a constant cannot be NULL
    }
    table = table.mutate(**values) if values else table
    null_label, bad_label = binary_counts(table[label])
    checks: dict[str, Any] = {
        "rows": table.count(),
        "null_label": null_label,
        "bad_label": bad_label,
        "positives": count(binary(table[label]) == 1),
    }
    checks.update(_score_checks(table, scores))
    divisors = {name: zero_divisors(e) for name, e in exprs.items()}
    for j, found in enumerate(divisors.values()):
        for i, z in enumerate(found):
            checks[f"zero_{j}_{i}"] = count(to_ibis(z.condition, table))
        if f"__value_{j}" in values:
            value = table[f"__value_{j}"]
            checks[f"null_{j}"] = value.isnull().sum()
            checks[f"nonfinite_{j}"] = count(nonfinite(value))
            checks[f"top_{j}"] = ibis.ifelse(nonfinite(value), ibis.null(), value.abs()).max()
    got = fetch_one(table.aggregate(**checks), "the check of the scored table")
    rows = _refuse_bad_scores(got, scores, probabilities, limit)
    refuse_binary_problems(
        label,
        "labels",
        "positive",
        nulls=int(got["null_label"] or 0),
        bad=int(got["bad_label"] or 0),
        rows=rows,
    )
    refuse_one_outcome(label, int(got["positives"] or 0), rows)
    for j, (name, found) in enumerate(divisors.items()):
        for i, z in enumerate(found):
            zeros = int(got[f"zero_{j}_{i}"])
            if zeros:
                raise z.error(zeros, rows, field=f"{field}.{name}")
        if got.get(f"nonfinite_{j}"):
            raise DataError(
                f"{field}.{name}: {int(got[f'nonfinite_{j}']):,} of {rows:,} rows give NaN or an "
                "infinite value (a NaN or infinite value in a column it reads); fix or filter them"
            )
        if got.get(f"null_{j}"):
            raise DataError(
                f"{field}.{name}: {int(got[f'null_{j}']):,} of {rows:,} rows give NULL (a NULL, "
                "or a string other than yes/no, in a column it reads); fill or filter them"
            )
        top = float(got.get(f"top_{j}") or 0.0)
        if top * rows > limit:
            columns = ", ".join(repr(c) for c in sorted(exprs[name].names()))
            raise DataError(
                f"{field}.{name} (reading {columns}): values up to {fmt.number(top)} over"
                f" {rows:,} rows overflow the sums (at most {fmt.number(limit)});"
                " rescale (e.g. thousands)"
            )
    largest = {
        name: float(got.get(f"top_{j}") or 0.0) if e.names() else _constant_top(e)
        for j, (name, e) in enumerate(exprs.items())
    }
    return _scored_stats(got, scores, rows, largest, complete=True)


def _score_checks(table: Any, scores: Sequence[str]) -> dict[str, Any]:
    """The check query's aggregates of each score column."""
    checks: dict[str, Any] = {}
    for i, column in enumerate(scores):
        score = table[column]
        checks[f"null_score_{i}"] = score.isnull().sum()
        checks[f"nan_score_{i}"] = count(nonfinite(score))
        checks[f"min_score_{i}"] = score.min()
        checks[f"max_score_{i}"] = score.max()
        checks[f"distinct_{i}"] = score.approx_nunique()
    return checks


def _refuse_bad_scores(
    got: Mapping[str, Any], scores: Sequence[str], probabilities: bool, limit: float
) -> int:
    """The rows counted, after raising for no rows and for each score column's problems."""
    rows = int(got["rows"])
    if rows == 0:
        raise DataError("the scored table has no eligible rows: check the source and `eligible`")
    for i, column in enumerate(scores):
        bad = int(got[f"null_score_{i}"] or 0) + int(got[f"nan_score_{i}"] or 0)
        refuse_bad_scores(column, bad, rows)
        low, high = float(got[f"min_score_{i}"]), float(got[f"max_score_{i}"])
        top = max(abs(low), abs(high))
        if top * rows > limit:
            raise overflow_error(column, top, "score column")
        if probabilities and not (low >= 0 and high <= 1):
            raise DataError(
                f"column {column!r}: scores must be probabilities in [0, 1], found "
                f"{low:g} to {high:g}; set `probabilities: false` for unbounded scores"
            )
    return rows


def _scored_stats(
    got: Mapping[str, Any],
    scores: Sequence[str],
    rows: int,
    top: Mapping[str, float],
    complete: bool,
) -> ScoredStats:
    return ScoredStats(
        rows=rows,
        distinct={c: int(got[f"distinct_{i}"]) for i, c in enumerate(scores)},
        low={c: float(got[f"min_score_{i}"]) for i, c in enumerate(scores)},
        high={c: float(got[f"max_score_{i}"]) for i, c in enumerate(scores)},
        top=top,
        complete=complete,
    )


ROUNDING = 1e-9
"""Relative margin on a bound from the footers' ranges: the engine rounds each row's value."""


def _proven_tops(
    table: Any,
    label: str,
    exprs: Mapping[str, Expr],
    ranges: Mapping[str, tuple[float, float]],
) -> dict[str, float] | None:
    """A bound on ``|value|`` of each expression from the columns' ranges, when the ranges prove
    every check the complete query makes but the NaN one: whole-number labels from 0 to 1 (so
    both outcomes), no NULLs, no division by a column; and NaN fails the engine's exact sums.
    None otherwise."""
    from mlroi.expr.bounds import value_range

    if not capabilities(table).exact_decimal_sum:  # a NaN would be added, not refused
        return None
    if not table[label].type().is_integer() or ranges.get(label) != (0.0, 1.0):
        return None
    tops: dict[str, float] = {}
    for name, e in exprs.items():
        if not e.names():
            tops[name] = _constant_top(e)
            continue
        got = value_range(e, ranges) if not zero_divisors(e) else None
        if got is None:
            return None
        tops[name] = max(abs(got[0]), abs(got[1])) * (1 + ROUNDING)
    return tops


def grouped_sums(
    table: Any,
    key: Any,
    label: str,
    sums: Mapping[str, Expr],
    extra: Mapping[str, Callable[[Any], Any]] | None = None,
    tops: Mapping[str, float] | None = None,
) -> Columns:
    """Rows, positives and the sum of each expression per value of ``key``, highest key first.

    Returns numpy arrays ``__key``, ``n``, ``positives``, one per name of ``sums``, and one
    per name of ``extra`` (further aggregates over the table's columns, e.g. a bin's min score).
    ``tops`` holds the largest ``|value|`` of a row of some of ``sums`` (from
    :func:`check_scored`), for which :func:`~mlroi.backend.columns.exact_sum` may use a narrower
    exact type.
    """
    import ibis
    import numpy as np

    table = table.mutate(__key=key)
    aggs: dict[str, Any] = {
        "n": table.count(),
        "positives": binary(table[label]).cast("int64").sum(),
    }
    for i, (name, e) in enumerate(sums.items()):
        aggs[f"sum_{i}"] = _sum(e, table, (tops or {}).get(name))
    for name, agg in (extra or {}).items():
        aggs[name] = agg(table)
    got = fetch_columns(
        table.group_by("__key").aggregate(**aggs).order_by(ibis.desc("__key")),
        "the per-score sums of the scored table",
    )
    out = {"__key": got["__key"], "n": got["n"], "positives": got["positives"]}
    for i, name in enumerate(sums):
        out[name] = np.asarray(got[f"sum_{i}"], dtype=np.float64)
    for name in extra or {}:
        out[name] = got[name]
    return out


def score_sums(
    table: Any,
    column: str,
    label: str,
    sums: Mapping[str, Expr],
    tops: Mapping[str, float] | None = None,
) -> Columns:
    """:func:`grouped_sums` per distinct value of score ``column``: the exact curve's input."""
    return grouped_sums(table, table[column].cast("float64"), label, sums, tops=tops)


@dataclass(frozen=True)
class ScoreBins:
    """Equal-width bins of a score column, from ``low``; bin ``bins - 1`` also holds the top."""

    column: str
    low: float
    high: float
    bins: int

    def key(self, table: Any) -> Any:
        """Each row's bin number, clipped to ``[0, bins - 1]``."""
        import ibis

        score = table[self.column].cast("float64")
        width = (self.high - self.low) / self.bins if self.high > self.low else 1.0
        raw = ((score - self.low) / width).floor().cast("int64")
        return ibis.greatest(ibis.least(raw, self.bins - 1), 0)


def bin_sums(
    table: Any,
    bins: ScoreBins,
    label: str,
    sums: Mapping[str, Expr],
    gain: Expr,
    tops: Mapping[str, float] | None = None,
    gain_top: float | None = None,
) -> Columns:
    """:func:`grouped_sums` per score bin, with each bin's lowest and mean score (``__min``,
    ``__mean``) and the sum of its rows' positive gains (``__gain``), which bounds what acting
    on part of the bin can add. ``gain_top`` bounds ``|gain|`` in every row (as ``tops``)."""
    import ibis

    column = bins.column
    score_top = max(abs(bins.low), abs(bins.high))  # the check found every score in between
    extra = {
        "__min": lambda t: t[column].cast("float64").min(),
        "__mean": lambda t: exact_sum(t[column].cast("float64"), score_top) / t.count(),
        "__gain": lambda t: exact_sum(
            ibis.greatest(to_ibis(gain, t).cast("float64"), 0.0), gain_top
        ),
    }
    with _dense_groups(table, bins.bins):
        return grouped_sums(table, bins.key(table), label, sums, extra, tops)


DENSE_GROUPS = 1 << 17
"""Most bins aggregated into an array: DuckDB allocates every bin's state per thread, so more
bins (the configuration allows 10M) keep the hash table; measured at 100,000 bins."""


@contextlib.contextmanager
def _dense_groups(table: Any, groups: int) -> Iterator[None]:
    """Let DuckDB aggregate bin numbers ``0 .. groups - 1`` into an array (its perfect hash
    aggregate) for one query, then restore the connection's setting. With 100,000 bins this
    takes about a third less CPU than a hash table (measured in benchmarks/README.md)."""
    if not capabilities(table).dense_groups or groups > DENSE_GROUPS:
        yield
        return
    bits = max(1, (groups - 1).bit_length())
    con = engine(table).con
    ((old,),) = con.execute("SELECT current_setting('perfect_ht_threshold')").fetchall()
    if int(old) >= bits:
        yield
        return
    con.execute(f"SET perfect_ht_threshold = {bits}").fetchall()
    try:
        yield
    finally:
        con.execute(f"SET perfect_ht_threshold = {int(old)}").fetchall()


def in_score_ranges(table: Any, column: str, ranges: Sequence[tuple[float, float | None]]) -> Any:
    """The rows whose score lies in one of the ranges ``[low, high)`` (no upper end when
    ``high`` is None): the rows of some score bins, read again at every distinct score.

    A range on the score column itself, rather than the bin number computed again for every
    row, lets the engine filter while it reads the score and fetch the other columns only for
    the rows kept: first the one range around them all, then each.
    """
    import functools

    score = table[column].cast("float64")
    conditions = [
        score >= low if high is None else (score >= low) & (score < high) for low, high in ranges
    ]
    # the range around them all first: a plain comparison the engine applies as it reads
    lowest = min(low for low, _ in ranges)
    highs = [high for _, high in ranges]
    around = score >= lowest
    if None not in highs:
        around &= score < max(h for h in highs if h is not None)
    return table.filter(around, functools.reduce(lambda a, b: a | b, conditions))


def scored_rows(
    table: Any, label: str, scores: Sequence[str], values: Mapping[str, Expr]
) -> Columns:
    """Every row's label (``__label``, int8), scores (``__s0``, ...) and values (``__v_NAME``).

    The one request that reads rows into memory: the Poisson bootstrap needs them.
    """
    selected = {f"__s{i}": table[c].cast("float64") for i, c in enumerate(scores)}
    return fetch_columns(
        table.select(
            __label=binary(table[label]).cast("int8"),
            **selected,
            **{f"__v_{t}": to_ibis(e, table).cast("float64") for t, e in values.items()},
        ),
        "the read of the scored rows for the bootstrap",
    )


def _constant_top(expr: Expr) -> float:
    """``|value|`` of an expression that reads no column."""
    from mlroi.expr import evaluate

    return abs(float(evaluate(expr, {})))


def _sum(expr: Expr, table: Any, top: float | None = None) -> Any:
    """Sum of ``expr`` over the rows; a constant is its value times the count."""
    value = to_ibis(expr, table)
    return exact_sum(value, top) if expr.names() else (value * table.count()).cast("float64")
