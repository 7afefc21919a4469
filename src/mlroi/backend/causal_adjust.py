"""The adjustment design's queries: input checks, then the rows' sums, pass by pass.

The fit needs several passes over the units (moments, each Newton step of the propensity model,
the weighted sums, the influence-function sums). Where the engine runs in this process and the
complete rows fit in :data:`ROWS_IN_MEMORY`, they are read into memory once, column by column,
and every pass is numpy and BLAS on them (:class:`~mlroi.causal.adjust_rows.ArrayReducer`): an
aggregate query of a hundred sums per pass costs about as much as reading the rows once.
Elsewhere (a server, a cluster, or more rows) :class:`TableReducer` evaluates the same row
formulas as one aggregate query per pass, and Python never holds a unit's row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlroi.backend import spill
from mlroi.backend.capabilities import capabilities
from mlroi.backend.checks import (
    binary,
    count,
    missing_column,
    nonfinite,
    require_columns,
    require_numeric,
    require_type,
)
from mlroi.backend.columns import as_float, distinct_count
from mlroi.backend.execute import fetch_one, fetch_rows, stream_columns
from mlroi.causal.adjust_rows import (
    ArrayReducer,
    Build,
    GroupedBuild,
    Groups,
    Reducer,
    Rows,
    expand,
)
from mlroi.errors import BackendError, DataError

ROWS_IN_MEMORY = 1 << 30
"""Most bytes of rows (8 per value: treatment, outcome and each covariate) the adjustment reads
into memory; half the memory limit instead when one is set (``--memory-limit``): about 11M users
with 10 covariates. Measured on a 2-core machine with 10 covariates
(``benchmarks/causal_adjust_bench.py``): at 10M users (915 MiB of rows, 1.5 GiB peak) the passes
in memory took 10.3 CPU s where the aggregate queries took 22.6, and 8.8 s of wall time on a quiet
machine where the queries took 13.7."""

_LET = re.compile(r"_\['__v(\d+)'\]")


def _double(x: float) -> Any:
    """A float literal typed as a double on every engine: a cast from text (PostgreSQL reads a
    bare ``1.0`` as NUMERIC, and Ibis drops a float-to-float cast)."""
    import ibis

    return ibis.literal(repr(float(x))).cast("float64")


class _IbisOps:
    """Row formulas as deferred Ibis expressions; each :meth:`let` becomes a column of its own
    projection, so the aggregation reads it rather than repeating its formula."""

    def __init__(self) -> None:
        self.lets: list[tuple[str, Any]] = []
        self.levels: list[int] = []

    def exp(self, v: Any) -> Any:
        return v.exp()

    def indicator(self, cond: Any) -> Any:
        import ibis

        return ibis.ifelse(cond, _double(1.0), _double(0.0))

    def log(self, v: Any) -> Any:
        return v.ln()

    def floor(self, v: Any) -> Any:
        return v.floor().cast("float64")

    def clip(self, v: Any, low: float, high: float) -> Any:
        return v.clip(lower=_double(low), upper=_double(high))

    def design(
        self, one: Any, x: Sequence[Any], mean: Sequence[float], sd: Sequence[float]
    ) -> list[Any]:
        return [one] + [self.let((xj - m) / s) for xj, m, s in zip(x, mean, sd, strict=True)]

    def let(self, v: Any) -> Any:
        from ibis import _

        name = f"__v{len(self.levels)}"
        # the projection it can go in: one after the latest of the columns it reads
        reads = [self.levels[int(i)] for i in _LET.findall(repr(v))]
        self.levels.append(1 + max(reads, default=0))
        self.lets.append((name, v))
        return _[name]

    def projections(self) -> list[dict[str, Any]]:
        """The lets grouped into as few successive projections as their dependencies allow."""
        out: list[dict[str, Any]] = [{} for _ in range(max(self.levels, default=0))]
        for (name, value), level in zip(self.lets, self.levels, strict=True):
            out[level - 1][name] = value
        return out


class TableReducer:
    """Evaluates row formulas on an Ibis table: one aggregate query per call of :meth:`sums`.

    Attributes:
        passes: the aggregate queries run so far.
    """

    def __init__(self, table: Any, treatment: Any, outcome: str, covariates: Sequence[str]):
        self._table = table
        self._t = treatment
        self._y = outcome
        self._x = tuple(covariates)
        self.passes = 0

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        derived, exprs = self._derive(lambda rows: ({}, build(rows)))
        query = derived.aggregate(**{k: v.sum() for k, v in exprs.items()})
        self.passes += 1
        row = fetch_one(query, purpose)
        return {k: _number(row[k]) for k in exprs}

    def group_sums(self, build: GroupedBuild, purpose: str) -> Groups:
        derived, exprs = self._derive(build)
        keys = [k for k in derived.columns if k.startswith("__key_")]
        query = derived.group_by(keys).aggregate(**{k: v.sum() for k, v in exprs.items()})
        self.passes += 1
        groups = [
            (
                {k.removeprefix("__key_"): round(float(row[k])) for k in keys},
                {k: _number(row[k]) for k in exprs},
            )
            for row in fetch_rows(query, purpose)
        ]
        # in the order of their keys: the engine returns groups in any order, and the sums
        # over groups must add up the same way every time (byte-identical results)
        return sorted(groups, key=lambda g: tuple(g[0].values()))

    def _derive(self, build: GroupedBuild) -> tuple[Any, dict[str, Any]]:
        """The table with every ``let`` (and group key) as a column, and the terms to sum."""
        from ibis import _

        tab = self._table
        columns = {
            "__t": self._t(tab),
            "__y": tab[self._y].cast("float64"),
            "__one": _double(1.0),
        }
        columns.update({f"__x{j}": as_float(tab[c]) for j, c in enumerate(self._x)})
        ops = _IbisOps()
        rows = Rows(
            t=_["__t"],
            y=_["__y"],
            x=tuple(_[f"__x{j}"] for j in range(len(self._x))),
            one=_["__one"],
            ops=ops,
        )
        keys, terms = build(rows)
        exprs = expand(terms, ops)
        derived = tab.select(**columns)
        for columns_at_level in ops.projections():
            derived = derived.mutate(**columns_at_level)
        if keys:
            derived = derived.mutate(**{f"__key_{k}": v for k, v in keys.items()})
        return derived, exprs


def _number(v: Any) -> float:
    return float(v) if v is not None else 0.0


@dataclass(frozen=True)
class Prepared:
    """The analysed units and what was left out.

    Attributes:
        reducer: evaluates row formulas on the complete rows.
        rows: rows in the table.
        excluded: rows left out, by reason (a row with several missing values is counted once,
            under its first such column).
        bytes_read: the bytes of the complete rows read into memory (module docstring); 0 when
            every pass is an aggregate query.
    """

    reducer: Reducer
    rows: int
    excluded: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0


def prepare(
    table: Any,
    *,
    unit: str | None,
    treatment: str | None,
    treated_when: Any,
    outcome: str,
    covariates: Sequence[str],
    unit_bounds: tuple[int, int] | None = None,
) -> Prepared:
    """Check the columns and count the incomplete rows (one query), and the reducer on the rest.

    Args:
        table: an Ibis table, one row per unit.
        unit: the unit column (checked for duplicates), or ``None``.
        treatment: the 0/1 (boolean, yes/no) treatment column, when ``treated_when`` is None.
        treated_when: a parsed condition expression that marks the treated units, or None.
        outcome: the outcome column.
        covariates: the covariate columns.
        unit_bounds: the unit column's range from file statistics, if known: repeated units
            are then counted in a bitmap instead of a hash table.

    Raises:
        DataError: a column is missing or has the wrong type; the treatment holds a value other
            than 0/1; a unit has several rows; no row is complete.
    """
    import ibis

    from mlroi.backend.compile import to_ibis

    if unit is not None:
        require_columns(table, [("unit column", unit)])
    require_numeric(table, [outcome], "outcome column")
    require_numeric(table, covariates, "covariate column")
    if treated_when is None:
        assert treatment is not None
        require_type(table, treatment, "treatment", binary=True)

        def treat(t: Any) -> Any:
            return binary(t[treatment]).cast("float64")

    else:
        names = list(table.schema().names)
        for name in sorted(treated_when.names()):
            if name not in names:
                raise DataError("causal.treated_when: " + missing_column("column", name, names))

        def treat(t: Any) -> Any:
            return ibis.ifelse(to_ibis(treated_when, t), _double(1.0), _double(0.0))

    tv = treat(table)
    cols = [(c, as_float(table[c])) for c in (outcome, *covariates)]
    # each row's first missing value: 0 the treatment, i + 1 the i-th column, -1 none (one
    # CASE per row, which stops at the first gap)
    first = ibis.cases(
        (tv.isnull(), 0),
        *((col.isnull() | nonfinite(col), i + 1) for i, (_, col) in enumerate(cols)),
        else_=-1,
    )
    checked = table.mutate(__first=first)
    aggs: dict[str, Any] = {"__rows": checked.count()}
    if treated_when is None:
        aggs["__bad_t"] = count(treat(checked).notnull() & ~treat(checked).isin([0.0, 1.0]))
    aggs["__miss_t"] = count(checked["__first"] == 0)
    for i in range(len(cols)):
        aggs[f"__miss{i}"] = count(checked["__first"] == i + 1)
    if unit is not None:
        aggs["__units"] = distinct_count(checked[unit], unit_bounds)
        aggs["__unit_rows"] = checked[unit].count()
    row = fetch_one(checked.aggregate(**aggs), "the check of the adjustment's columns")
    rows = int(row["__rows"] or 0)
    bad = int(row.get("__bad_t") or 0)
    if bad:
        raise DataError(
            f"treatment column {treatment!r}: {bad:,} of {rows:,} values are not 0 or 1; use"
            " 0/1, booleans or yes/no (1 = exposed), or give treated_when: a condition"
        )
    repeats = 0 if unit is None else int(row["__unit_rows"] or 0) - int(row["__units"] or 0)
    if repeats:
        raise DataError(
            f"unit column {unit!r}: {repeats:,} rows repeat a unit; the"
            " adjustment needs one row per unit (aggregate the outcome and covariates per unit)"
        )
    excluded: dict[str, int] = {}
    what = "treated_when" if treated_when is not None else treatment
    n_t = int(row["__miss_t"] or 0)
    if n_t:
        excluded[f"NULL in {what}"] = n_t
    for i, (name, _) in enumerate(cols):
        k = int(row[f"__miss{i}"] or 0)
        if k:
            excluded[f"NULL or non-finite {name}"] = k
    if rows - sum(excluded.values()) <= 0:
        raise DataError(
            f"no complete row: every row lacks the treatment, the outcome or a covariate"
            f" ({', '.join(f'{k}: {v:,}' for k, v in excluded.items()) or 'empty table'})"
        )
    keep = tv.notnull()
    for _, col in cols:
        keep = keep & col.notnull() & ~nonfinite(col)
    complete = table.filter(keep) if excluded else table
    n = rows - sum(excluded.values())
    size = n * (len(cols) + 1) * 8  # the treatment, the outcome and the covariates
    if capabilities(table).rows_in_process and size <= _memory_budget():
        reducer = _read_rows(complete, treat, outcome, covariates, n)
        return Prepared(reducer, rows, excluded, bytes_read=size)
    return Prepared(TableReducer(complete, treat, outcome, covariates), rows, excluded)


def _memory_budget() -> int:
    limit = spill.settings().memory_limit
    return (
        ROWS_IN_MEMORY if limit is None else int(min(ROWS_IN_MEMORY, spill.size_bytes(limit) / 2))
    )


def _read_rows(
    table: Any, treat: Any, outcome: str, covariates: Sequence[str], n: int
) -> ArrayReducer:
    """The complete rows as numpy columns (one covariate per row of ``x``), read in batches;
    the treated units first, the others after them, so that a chunk of rows is nearly always
    one arm and the passes grouped by arm need not reorder it."""
    k = len(covariates)
    query = table.select(
        __t=treat(table),
        __y=table[outcome].cast("float64"),
        **{f"__x{j}": as_float(table[c]) for j, c in enumerate(covariates)},
    )
    x, y = np.empty((k, n)), np.empty(n)
    front, back, seen = 0, n, 0  # treated rows fill [0, front), the others [back, n)

    def take(columns: dict[str, Any]) -> None:
        nonlocal front, back, seen
        treated = columns["__t"] == 1.0
        m = len(treated)
        seen += m
        if seen > n:
            return
        ones, zeros = np.flatnonzero(treated), np.flatnonzero(~treated)
        back -= len(zeros)
        for dst, col in (
            (y, columns["__y"]),
            *((x[j], columns[f"__x{j}"]) for j in range(k)),
        ):
            np.take(col, ones, out=dst[front : front + len(ones)])
            np.take(col, zeros, out=dst[back : back + len(zeros)])
        front += len(ones)

    stream_columns(query, "the read of the adjustment's rows", take)
    if seen != n:
        raise BackendError(
            f"the table changed while it was read: {seen:,} complete rows, {n:,} a moment"
            " before; run the analysis again on data that is not being written to"
        )
    t = np.zeros(n)
    t[:front] = 1.0
    return ArrayReducer.of_columns(x, t, y)
