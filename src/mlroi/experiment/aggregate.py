"""One backend query per readout: per (variant, segment...) group, the sufficient statistics.

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
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mlroi.errors import BackendError, DataError, first_line
from mlroi.stats.aggregates import Aggregates, merge, pair

_NUMERIC = ("int", "uint", "float", "decimal", "boolean")

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

    def arm(self, arm: str, segment: int | None = None, value: str | None = None) -> Aggregates:
        """One arm's aggregates, overall or within ``value`` of segment column ``segment``."""
        return merge(
            g
            for k, g in self.groups.items()
            if k[0] == arm and (segment is None or k[1 + segment] == value)
        )


@dataclass(frozen=True)
class TableFacts:
    """What is known before the query: the table whose unit column the uniqueness check
    counts, and what Parquet footers state about value ranges.

    Attributes:
        table: the table the uniqueness check counts (the assignments of an event log).
        bounds: the unit column's range (inclusive, from file statistics). It lets DuckDB
            count distinct integer units in a bitmap instead of a hash table; it is only a
            hint: a value outside it makes the backend fail, and the count is then redone with
            ``COUNT(DISTINCT ...)``.
        column_bounds: min and max of the readout table's own numeric columns, from the same
            footers (exact, as written; empty for an event log or a non-Parquet source). A
            check these already pass (0/1 values, non-negative denominators) is not asked of
            the backend.
    """

    table: Any
    bounds: tuple[int, int] | None = None
    column_bounds: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)


def check_schema(
    table: Any, unit: str, variant: str, segments: Sequence[str], columns: Sequence[str]
) -> None:
    """Fail with one line when a configured column is missing or not numeric."""
    schema = table.schema()
    names = list(schema.names)
    for role, col in [("unit", unit), ("variant", variant)] + [("segment", s) for s in segments]:
        if col not in names:
            raise DataError(missing_column(f"{role} column", col, names))
    for col in columns:
        if col not in names:
            raise DataError(missing_column("metric column", col, names))
        dtype = str(schema[col]).lower().lstrip("!")
        if not dtype.startswith(_NUMERIC):
            raise DataError(
                f"metric column {col!r} has type {dtype}, expected a number:"
                " cast it to a numeric type in the source"
            )


def missing_column(role: str, column: str, names: Sequence[str]) -> str:
    """One line: which column is missing, the closest existing name, and the names there are."""
    close = difflib.get_close_matches(column, list(names), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"{role} {column!r} not found{hint}; the table has {_list(names)}:"
        " fix the name in the configuration or in the source"
    )


def _list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:12])
    return f"[{shown}{', ...' if len(names) > 12 else ''}]"


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
            f"__c{index[c]}": derived[c] if c in derived else _as_float(base[c])
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
    if not spec.check_unique:
        return query
    counted = table if unit_table is None else unit_table
    return query.mutate(__units=_distinct(counted[spec.unit], unit_bounds), __rows=counted.count())


def collect(table: Any, spec: Aggregation, keys: TableFacts) -> GroupStats:
    """Build and run the aggregation of ``table``, with the query's two fallbacks.

    Sums of squares that would cancel (:class:`IllConditioned`) are asked for again as one-pass
    moments; a unit outside the range the file statistics gave makes the bitmap count fail,
    and the distinct units are then counted with ``COUNT(DISTINCT ...)``.
    """
    try:
        return run_query(build_query(table, spec, keys.table, keys.bounds), spec)
    except IllConditioned:
        return collect(table, dataclasses.replace(spec, one_pass=True), keys)
    except BackendError as exc:
        if keys.bounds is None or "min and max range" not in str(exc):
            raise
        return collect(table, spec, TableFacts(keys.table))


def run_query(query: Any, spec: Aggregation) -> GroupStats:
    """Execute the aggregation once and turn its rows into :class:`Aggregates` per group."""
    try:
        rows = _execute(query)
    except Exception as exc:
        raise BackendError(
            f"the backend could not run the readout query: {first_line(exc)}"
        ) from exc
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
            # one NaN or infinity makes the sum (or mean) non-finite, so it alone detects them
            if _bad(row[f"__m{i}"]):
                raise DataError(
                    f"column {c!r} has NaN or infinite values in arm {key[0]!r}:"
                    " clean them in the source"
                )
        agg = _group_aggregates(row, n, spec, index)
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
    )


def _group_aggregates(
    row: Mapping[str, Any], n: int, spec: Aggregation, index: Mapping[str, int]
) -> Aggregates:
    """One group's count, means and co-moments from its row of the query's result.

    Raises:
        IllConditioned: the query returned sums whose co-moments would cancel (see the module).
    """
    comoment: dict[tuple[str, str], float] = {}
    if spec.one_pass:
        mean = {c: float(row[f"__m{i}"]) for c, i in index.items()}
        scale = max(n - 1, 0)
        for a, b in spec.pairs:
            v = row[f"__v{index[a]}_{index[b]}"]
            comoment[pair(a, b)] = 0.0 if v is None else float(v) * scale  # None: one unit
    else:
        total = {c: float(row[f"__m{i}"]) for c, i in index.items()}
        mean = {c: v / n for c, v in total.items()}
        # a 0/1 column's variance comes from its mean, exactly; its sum (its own sum of squares)
        # only matters to the covariances it enters
        paired = {c for p in spec.pairs for c in p}
        squares = {c: total[c] for c in spec.binary if c in paired}
        for a, b in spec.pairs:
            product = float(row[f"__v{index[a]}_{index[b]}"])
            comoment[pair(a, b)] = product - total[a] * mean[b]
            if a == b:
                squares[a] = product
        for c, square in squares.items():
            spread = n * mean[c] * (1.0 - mean[c]) if c in spec.binary else comoment[(c, c)]
            # one unit, or a column of zeros, is exact; otherwise the sum of squares must be
            # finite (no overflow) and must not dwarf the spread taken from it
            exact = n == 1 or square == 0.0
            stable = math.isfinite(square) and 0.0 < square <= MAX_CANCELLATION * spread
            if not (exact or stable):
                raise IllConditioned(c)
    for c in spec.binary:
        comoment[(c, c)] = n * mean[c] * (1.0 - mean[c])
    return Aggregates(n=n, mean=mean, comoment=comoment)


def _as_float(column: Any) -> Any:
    """A numeric or boolean column as float64 (PostgreSQL cannot cast boolean to double)."""
    import ibis

    if column.type().is_boolean():
        return ibis.ifelse(column, 1.0, 0.0)
    return column.cast("float64")


def _distinct(column: Any, bounds: tuple[int, int] | None) -> Any:
    """The number of distinct non-NULL values of ``column``, exactly.

    With ``bounds`` on DuckDB: the popcount of a bitmap with one bit per value in the range
    (``bitstring_agg``), a fraction of the time and memory of the hash table behind
    ``COUNT(DISTINCT ...)``; DuckDB raises an error for a value outside the range, so a wrong
    range can fail the query but never miscount.
    """
    if bounds is None or column._find_backend(use_default=True).name != "duckdb":
        return column.nunique()
    bitstring_agg, bit_count = _bitmap_functions()
    lo, hi = bounds
    return bit_count(bitstring_agg(column.cast("int64"), lo, hi))


@lru_cache(maxsize=1)
def _bitmap_functions() -> tuple[Any, Any]:
    """DuckDB's ``bitstring_agg`` and ``bit_count`` as Ibis built-ins (defined on first use)."""
    import ibis

    def bitstring_agg(arg: int, lo: int, hi: int) -> str:
        """A bitmap of the values in ``[lo, hi]`` (DuckDB's BIT type)."""
        raise NotImplementedError  # runs in the backend, never in Python

    def bit_count(bits: str) -> int:
        """The number of set bits."""
        raise NotImplementedError

    return ibis.udf.agg.builtin(bitstring_agg), ibis.udf.scalar.builtin(bit_count)


def _execute(query: Any) -> list[dict[str, Any]]:
    """Run the aggregation; the result is small, so rows come back as plain dicts.

    On DuckDB the relation is fetched directly: Ibis' Arrow conversion imports pandas, which
    would add about a second to every command-line run for a table of a few rows.
    """
    backend = query._find_backend(use_default=True)
    to_relation = getattr(backend, "_to_duckdb_relation", None)
    if to_relation is None:
        return list(query.to_pyarrow().to_pylist())
    relation = to_relation(query)
    names = list(relation.columns)
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def _bad(x: object) -> bool:
    return isinstance(x, float) and not math.isfinite(x)
