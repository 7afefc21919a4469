"""The readout's request: per (variant, segment...) group, the sufficient statistics, in one query.

The query returns, per group, the unit count, each column's sum and non-null count, the minimum
or maximum of the columns a check needs, and the sum of products of each needed pair. Python only
ever sees that small table.

Sums of squares are the fastest statistics a backend computes (one multiply-add per row, where a
one-pass variance divides per row), but ``sum x^2 - (sum x)^2 / n`` cancels when a column's mean
is large beside its spread. So each group's cancellation is measured: when a column's sum of
squares exceeds its sum of squared deviations more than :data:`MAX_CANCELLATION` times (more than
3 of the 16 significant digits lost), the query is run again with the backend's one-pass,
numerically stable ``var_samp`` / ``covar_samp``. Revenue-like data (coefficient of variation
near or above 1) never needs the second query.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlroi.backend.capabilities import capabilities, engine_name
from mlroi.backend.columns import as_float, distinct_count, distinct_method
from mlroi.backend.execute import fetch_rows
from mlroi.backend.overflow import (
    LIMIT,
    NonFinite,
    diagnose,
    is_out_of_range,
    largest,
    overflow_error,
)
from mlroi.errors import BackendError, DataError
from mlroi.sources.facts import TableFacts
from mlroi.stats.aggregates import Aggregates, merge
from mlroi.stats.proportion import bernoulli_comoment

MAX_CANCELLATION = 1e3
"""Largest ratio of a sum of squares to the sum of squared deviations taken from it."""


class IllConditioned(Exception):
    """Sums of squares would lose too many digits for this data: use the one-pass moments."""


@dataclass(frozen=True)
class GroupStats:
    """What the backend returned, keyed by ``(variant, *segment values)``.

    ``minimum`` and ``maximum`` hold only the columns whose bounds were asked for; ``one_pass``
    says the co-moments came from the backend's one-pass (co)variances rather than from sums.
    """

    groups: Mapping[tuple[str, ...], Aggregates]
    minimum: Mapping[tuple[str, ...], Mapping[str, float]]
    maximum: Mapping[tuple[str, ...], Mapping[str, float]]
    distinct_units: int | None
    rows: int
    cap_values: Mapping[str, float]
    one_pass: bool = False
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    distinct_method: str = ""

    def arm(self, arm: str, segment: int | None = None, value: str | None = None) -> Aggregates:
        """One arm's aggregates, overall or within ``value`` of segment column ``segment``."""
        return merge(
            g
            for k, g in self.groups.items()
            if k[0] == arm and (segment is None or k[1 + segment] == value)
        )


@dataclass(frozen=True)
class Aggregation:
    """What the readout's one query computes.

    Attributes:
        unit: unit column (for the uniqueness check).
        variant: variant column.
        segments: segment columns to group by as well.
        columns: value columns (raw names, or names of capped columns in ``capped``).
        pairs: column pairs for the covariances (``(a, a)`` is a variance).
        capped: derived column name -> (raw column, quantile): winsorised at the quantile over
            the whole table, computed in the backend.
        check_unique: add the number of distinct units and of rows, to detect duplicates.
        lower: columns whose minimum a check needs (a proportion's, a ratio denominator's).
        upper: columns whose maximum a check needs.
        binary: columns that hold only 0 and 1 once their bounds are checked (integer or
            boolean columns of a proportion): their variance follows from the mean,
            ``sum (x - p)^2 = n p (1 - p)``, so ``pairs`` leaves them out.
        one_pass: ask for the backend's one-pass means and (co)variances instead of sums and
            sums of products (the fallback for ill-conditioned data).
        counts: a one-row table of counts (rows read and left out) to join to the result, so
            they come back with the query's one execution.
    """

    unit: str
    variant: str
    segments: tuple[str, ...]
    columns: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    capped: Mapping[str, tuple[str, float]]
    check_unique: bool
    lower: tuple[str, ...] = ()
    upper: tuple[str, ...] = ()
    binary: tuple[str, ...] = ()
    one_pass: bool = False
    counts: Any = None


def build_query(
    table: Any,
    spec: Aggregation,
    unit_table: Any = None,
    unit_bounds: tuple[int, int] | None = None,
) -> Any:
    """The aggregation as one Ibis expression (not executed).

    Args:
        table: the per-unit Ibis table.
        spec: what to compute.
        unit_table: the table whose unit column the uniqueness check counts (default ``table``).
        unit_bounds: that column's value range, when known: on DuckDB the distinct units are
            then counted in a bitmap (``bitstring_agg``), exactly and without a hash table.
    """
    index = {c: i for i, c in enumerate(spec.columns)}
    capped = spec.capped
    base = table
    can = capabilities(table)
    if capped and not can.quantiles:
        raise DataError(
            f"this engine ({engine_name(table)}) computes no exact quantiles, which `cap` needs:"
            " remove `cap` from the metric, or cap the column in the source"
        )
    if spec.one_pass and not can.one_pass_moments:
        raise DataError(
            f"a column's sum of squares loses more than 3 of 16 digits (its mean is large beside"
            f" its spread), and this engine ({engine_name(table)}) has no one-pass variance:"
            " subtract a typical value from the column in the source"
        )
    if capped:
        # the quantiles as a one-row table joined to every row: PostgreSQL has no
        # percentile_cont(...) OVER (), and Ibis mis-compiles a reused scalar subquery
        quantiles = table.aggregate(
            **{
                f"__q{index[name]}": table[raw].cast("float64").quantile(q)
                for name, (raw, q) in capped.items()
            }
        )
        base = table.cross_join(quantiles)
    derived = {
        name: base[raw].cast("float64").clip(upper=base[f"__q{index[name]}"])
        for name, (raw, _) in capped.items()
    }
    # only the columns the aggregates read: a smaller expression compiles faster
    t = base.select(
        __variant=base[spec.variant].cast("string"),
        **{f"__s{j}": base[s].cast("string") for j, s in enumerate(spec.segments)},
        **{
            f"__c{index[c]}": derived[c] if c in derived else as_float(base[c])
            for c in spec.columns
        },
        **{f"__q{index[name]}": base[f"__q{index[name]}"] for name in capped},
    )
    keys = ["__variant"] + [f"__s{j}" for j in range(len(spec.segments))]
    aggs: dict[str, Any] = {"__n": t.count()}
    for _c, i in index.items():
        col = t[f"__c{i}"]
        aggs[f"__m{i}"] = col.mean() if spec.one_pass else col.sum()
        aggs[f"__k{i}"] = col.count()
    for c in spec.lower:
        aggs[f"__lo{index[c]}"] = t[f"__c{index[c]}"].min()
    for c in spec.upper:
        aggs[f"__hi{index[c]}"] = t[f"__c{index[c]}"].max()
    for a, b in spec.pairs:
        i, j = index[a], index[b]
        x, y = t[f"__c{i}"], t[f"__c{j}"]
        if not spec.one_pass:
            aggs[f"__v{i}_{j}"] = (x * y).sum()
        else:
            aggs[f"__v{i}_{j}"] = x.var(how="sample") if i == j else x.cov(y, how="sample")
    for name in capped:
        aggs[f"__cap{index[name]}"] = t[f"__q{index[name]}"].max()  # the same in every row
    query = t.group_by(keys).aggregate(**aggs)
    if spec.check_unique:
        counted = table if unit_table is None else unit_table
        units = distinct_count(counted[spec.unit], unit_bounds)
        if capabilities(counted).exact_count_distinct:
            # one scan of the unit column, joined as a one-row table: a scalar subquery per
            # count scans it twice, and leaves the bitmap to be carried as a value and counted
            # outside (on DuckDB, about three more bitmaps of memory: 20 MiB at 40M ids)
            query = query.cross_join(counted.aggregate(__units=units, __rows=counted.count()))
        else:  # the count is a scalar subquery of its own (see distinct_count)
            query = query.mutate(__units=units, __rows=counted.count())
    return query if spec.counts is None else query.cross_join(spec.counts)


def collect(table: Any, spec: Aggregation, keys: TableFacts) -> GroupStats:
    """Build and run the aggregation of ``table``, with the query's two fallbacks.

    Sums of squares that would cancel (:class:`IllConditioned`) are asked for again as one-pass
    moments; a unit outside the range the file statistics gave makes the bitmap count fail,
    and the distinct units are then counted with ``COUNT(DISTINCT ...)``.
    """
    try:
        stats = run_query(build_query(table, spec, keys.table, keys.bounds), spec)
    except IllConditioned:
        return collect(table, dataclasses.replace(spec, one_pass=True), keys)
    except NonFinite as exc:
        raw = _raw_column(spec, exc.column)
        raise diagnose(table, raw, arm=exc.arm, derived_from=keys.derived_from.get(raw)) from None
    except BackendError as exc:
        if is_out_of_range(exc):
            raws = {_raw_column(spec, c) for c in spec.columns}
            found = largest({c: keys.derived_from.get(c, (table, c)) for c in sorted(raws)})
            if found is not None:
                raise overflow_error(*found) from exc
        if keys.bounds is None or "min and max range" not in str(exc):
            raise
        return collect(table, spec, dataclasses.replace(keys, bounds=None, column_bounds={}))
    if not spec.check_unique:
        return stats
    counted = keys.table if keys.table is not None else table
    method = distinct_method(counted[spec.unit], keys.bounds)
    return dataclasses.replace(stats, distinct_method=method)


def _raw_column(spec: Aggregation, column: str) -> str:
    """The table's column behind a column of the aggregation (a capped one reads its raw)."""
    return spec.capped[column][0] if column in spec.capped else column


def run_query(query: Any, spec: Aggregation) -> GroupStats:
    """Execute the aggregation once and turn its rows into :class:`Aggregates` per group."""
    rows = fetch_rows(query, "the readout query")
    index = {c: i for i, c in enumerate(spec.columns)}
    groups: dict[tuple[str, ...], Aggregates] = {}
    lows: dict[tuple[str, ...], dict[str, float]] = {}
    highs: dict[tuple[str, ...], dict[str, float]] = {}

    def key_of(row: dict[str, Any]) -> tuple[str, ...]:
        values = [row["__variant"]] + [row[f"__s{j}"] for j in range(len(spec.segments))]
        return tuple("(null)" if v is None else str(v) for v in values)

    # the backend returns groups in any order; merging floats in a fixed order keeps the
    # result (and its JSON) byte-identical from run to run
    rows.sort(key=key_of)
    for row in rows:
        key = key_of(row)
        n = int(row["__n"])
        for c, i in index.items():
            missing = n - int(row[f"__k{i}"])
            if missing:
                raise DataError(
                    f"column {c!r} has {missing} null value(s) in arm {key[0]!r}: fill them"
                    " (e.g. 0 when no activity means zero) or filter those units out"
                )
            # one NaN or infinity makes the sum (or mean) non-finite, and so does an overflow:
            # collect() tells them apart
            if _bad(row[f"__m{i}"]):
                raise NonFinite(c, key[0])
        try:
            agg = _group_aggregates(row, n, spec, index)
            _check_magnitudes(agg)
        except NonFinite as exc:
            raise NonFinite(exc.column, key[0]) from None
        # a NULL and a literal "(null)" segment: merge
        groups[key] = groups[key] + agg if key in groups else agg
        low = {c: float(row[f"__lo{index[c]}"]) for c in spec.lower}
        high = {c: float(row[f"__hi{index[c]}"]) for c in spec.upper}
        lows[key] = {c: min(v, lows.get(key, low)[c]) for c, v in low.items()}
        highs[key] = {c: max(v, highs.get(key, high)[c]) for c, v in high.items()}
    first = rows[0] if rows else {}
    unique = spec.check_unique and bool(rows)
    return GroupStats(
        groups=groups,
        minimum=lows,
        maximum=highs,
        distinct_units=int(first["__units"]) if unique else None,
        rows=int(first["__rows"]) if unique else sum(g.n for g in groups.values()),
        cap_values={name: float(first[f"__cap{index[name]}"]) for name in spec.capped}
        if rows
        else {},
        one_pass=spec.one_pass,
        counts={c: int(first[c] or 0) for c in spec.counts.columns}
        if spec.counts is not None and rows
        else {},
    )


def _group_aggregates(
    row: Mapping[str, Any], n: int, spec: Aggregation, index: Mapping[str, int]
) -> Aggregates:
    """One group's count, means and co-moments from its row of the query's result.

    Raises:
        IllConditioned: the query returned sums whose co-moments would cancel (see the module).
    """
    if spec.one_pass:
        mean = {c: float(row[f"__m{i}"]) for c, i in index.items()}
        cov = {(a, b): _number(row[f"__v{index[a]}_{index[b]}"]) for a, b in spec.pairs}
        agg = Aggregates.from_moments(n, mean, cov)  # None: one unit
    else:
        total = {c: float(row[f"__m{c_i}"]) for c, c_i in index.items()}
        products = {(a, b): float(row[f"__v{index[a]}_{index[b]}"]) for a, b in spec.pairs}
        agg = Aggregates.from_sums(n, total, products)
        # a 0/1 column's variance comes from its mean, exactly; its sum (its own sum of squares)
        # only matters to the covariances it enters
        paired = {c for p in spec.pairs for c in p}
        squares = {c: total[c] for c in spec.binary if c in paired}
        squares.update({a: v for (a, b), v in products.items() if a == b})
        for c, square in squares.items():
            spread = (
                bernoulli_comoment(n, agg.mean[c]) if c in spec.binary else agg.comoment[(c, c)]
            )
            # one unit, or a column of zeros, is exact; otherwise the sum of squares must be
            # finite (no overflow) and must not dwarf the spread taken from it
            if not math.isfinite(square):
                raise NonFinite(c)
            exact = n == 1 or square == 0.0
            stable = 0.0 < square <= MAX_CANCELLATION * spread
            if not (exact or stable):
                raise IllConditioned(c)
    if not spec.binary:
        return agg
    comoment = dict(agg.comoment)
    for c in spec.binary:
        comoment[(c, c)] = bernoulli_comoment(n, agg.mean[c])
    return Aggregates(n=n, mean=agg.mean, comoment=comoment)


def _check_magnitudes(agg: Aggregates) -> None:
    """Each column's sum and sum of squared deviations is finite and within :data:`LIMIT`
    (a cross-product is bounded by the two columns' own, so these suffice)."""
    for c, mean in agg.mean.items():
        if not (math.isfinite(mean) and abs(mean) * agg.n <= LIMIT):
            raise NonFinite(c)
    for (a, b), v in agg.comoment.items():
        if a == b and not (math.isfinite(v) and abs(v) <= LIMIT):
            raise NonFinite(a)


def _number(x: Any) -> float | None:
    """A one-pass (co)variance; SQL gives NULL for a single unit."""
    return None if x is None else float(x)


def _bad(x: object) -> bool:
    return isinstance(x, float) and not math.isfinite(x)
