"""Scored rows → per-score groups, aggregated in the backend.

The exact value curve needs, for every distinct score, the number of rows, of positives, and the
sums of the value of acting and of leaving alone (plus any other per-row amounts a constraint or
a business metric reads). One ``GROUP BY score`` query returns them; Python never sees a row. A
first, small query checks the inputs: scores finite and (for probabilities) within [0, 1], labels
binary, no NULLs, no division by zero in the value expressions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlroi.decision.expr import Expr, to_ibis, zero_divisors
from mlroi.decision.score_groups import ScoreGroups
from mlroi.errors import DataError


@dataclass(frozen=True)
class ScoredInput:
    """What a decision analysis reads from a scored table.

    Attributes:
        score: the score column; higher means act first.
        label: the binary outcome column (1 = positive: a churner, a fraud).
        act: per-row value of acting on the row (bound expression over columns).
        leave: per-row value of leaving the row alone.
        sums: other per-row amounts summed over acted rows (e.g. discounts given).
        eligible: a condition selecting the eligible population, or ``None`` for all rows.
        probabilities: whether scores must lie in [0, 1].
    """

    score: str
    label: str
    act: Expr
    leave: Expr
    sums: Mapping[str, Expr]
    eligible: Expr | None = None
    probabilities: bool = True


def _fetch(table: Any) -> dict[str, np.ndarray[Any, Any]]:
    """Columns of a small result as numpy arrays (DuckDB directly; other backends via Arrow)."""
    backend = table._find_backend(use_default=True)
    if getattr(backend, "name", "") == "duckdb":
        return dict(backend._to_duckdb_relation(table).fetchnumpy())
    arrow = table.to_pyarrow()
    return {name: arrow[name].to_numpy(zero_copy_only=False) for name in arrow.column_names}


@dataclass(frozen=True)
class ScoredStats:
    """What the check query learns about the scored rows.

    Attributes:
        rows: eligible rows.
        distinct: approximate number of distinct values of each score column (HyperLogLog).
        low, high: smallest and largest value of each score column.
    """

    rows: int
    distinct: Mapping[str, int]
    low: Mapping[str, float]
    high: Mapping[str, float]


def check_scored(
    table: Any,
    *,
    scores: Sequence[str],
    label: str,
    exprs: Mapping[str, Expr],
    probabilities: bool = True,
    field: str = "value",
) -> ScoredStats:
    """One aggregation query that checks the scored rows and sizes them.

    Raises:
        DataError: no rows; NULL or NaN scores; scores outside [0, 1] when they are
            probabilities; labels other than 0/1; an expression of ``exprs`` that divides by
            zero or reads a NULL in some row (named ``{field}.{name}``).
    """
    import ibis

    checks: dict[str, Any] = {
        "rows": table.count(),
        "bad_label": ibis.ifelse(table[label].isin([0, 1]), 0, 1).sum(),
    }
    for i, column in enumerate(scores):
        score = table[column]
        checks[f"null_score_{i}"] = score.isnull().sum()
        as_float = score.cast("float64")
        checks[f"nan_score_{i}"] = ibis.ifelse(as_float.isnan() | as_float.isinf(), 1, 0).sum()
        checks[f"min_score_{i}"] = score.min()
        checks[f"max_score_{i}"] = score.max()
        checks[f"distinct_{i}"] = score.approx_nunique()
    divisors = {name: zero_divisors(e) for name, e in exprs.items()}
    for j, (name, found) in enumerate(divisors.items()):
        for i, z in enumerate(found):
            checks[f"zero_{j}_{i}"] = ibis.ifelse(to_ibis(z.condition, table), 1, 0).sum()
        if exprs[name].names():  # a constant cannot be NULL
            value = to_ibis(exprs[name], table).cast("float64")
            checks[f"null_{j}"] = value.isnull().sum()
            checks[f"nonfinite_{j}"] = ibis.ifelse(value.isnan() | value.isinf(), 1, 0).sum()
    got = {k: v[0] for k, v in _fetch(table.aggregate(**checks)).items()}
    rows = int(got["rows"])
    if rows == 0:
        raise DataError("the scored table has no eligible rows: check the source and `eligible`")
    for i, column in enumerate(scores):
        bad = int(got[f"null_score_{i}"] or 0) + int(got[f"nan_score_{i}"] or 0)
        if bad:
            raise DataError(
                f"column {column!r}: {bad:,} of {rows:,} scores are NULL, NaN or infinite; "
                "drop or impute them before the analysis"
            )
        low, high = float(got[f"min_score_{i}"]), float(got[f"max_score_{i}"])
        if probabilities and not (low >= 0 and high <= 1):
            raise DataError(
                f"column {column!r}: scores must be probabilities in [0, 1], found "
                f"{low:g} to {high:g}; set `probabilities: false` for unbounded scores"
            )
    if got["bad_label"]:
        raise DataError(
            f"column {label!r}: {int(got['bad_label']):,} of {rows:,} labels are not 0 or 1;"
            " the outcome must be binary (1 = positive)"
        )
    for j, (name, found) in enumerate(divisors.items()):
        for i, z in enumerate(found):
            count = int(got[f"zero_{j}_{i}"])
            if count:
                raise z.error(count, rows, field=f"{field}.{name}")
        if got.get(f"nonfinite_{j}"):
            raise DataError(
                f"{field}.{name}: {int(got[f'nonfinite_{j}']):,} of {rows:,} rows give NaN or an "
                "infinite value (a NaN or infinite value in a column it reads); fix or filter them"
            )
        if got.get(f"null_{j}"):
            raise DataError(
                f"{field}.{name}: {int(got[f'null_{j}']):,} of {rows:,} rows give NULL (a NULL "
                "in a column it reads); fill or filter them"
            )
    return ScoredStats(
        rows=rows,
        distinct={c: int(got[f"distinct_{i}"]) for i, c in enumerate(scores)},
        low={c: float(got[f"min_score_{i}"]) for i, c in enumerate(scores)},
        high={c: float(got[f"max_score_{i}"]) for i, c in enumerate(scores)},
    )


def _check(table: Any, spec: ScoredInput) -> int:
    exprs = {"act": spec.act, "leave": spec.leave, **spec.sums}
    stats = check_scored(
        table,
        scores=[spec.score],
        label=spec.label,
        exprs=exprs,
        probabilities=spec.probabilities,
    )
    return stats.rows


def grouped_sums(
    table: Any,
    key: Any,
    label: str,
    sums: Mapping[str, Expr],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray[Any, Any]]:
    """Rows, positives and the sum of each expression per value of ``key``, highest key first.

    Returns numpy arrays ``__key``, ``n``, ``positives``, one per name of ``sums``, and one
    per name of ``extra`` (further aggregates over the table's columns, e.g. a bin's min score).
    """
    import ibis

    table = table.mutate(__key=key)
    aggs: dict[str, Any] = {
        "n": table.count(),
        "positives": table[label].cast("int64").sum(),
    }
    for i, e in enumerate(sums.values()):
        aggs[f"sum_{i}"] = _sum(e, table)
    for name, agg in (extra or {}).items():
        aggs[name] = agg(table)
    got = _fetch(table.group_by("__key").aggregate(**aggs).order_by(ibis.desc("__key")))
    out = {"__key": got["__key"], "n": got["n"], "positives": got["positives"]}
    for i, name in enumerate(sums):
        out[name] = np.asarray(got[f"sum_{i}"], dtype=np.float64)
    for name in extra or {}:
        out[name] = got[name]
    return out


def _sum(expr: Expr, table: Any) -> Any:
    """Sum of ``expr`` over the rows; a constant is its value times the count."""
    value = to_ibis(expr, table)
    return exact_sum(value) if expr.names() else (value * table.count()).cast("float64")


def exact_sum(value: Any) -> Any:
    """The sum of a float column, added in fixed point (10 decimals, 38 digits): exact and the
    same whatever order a parallel engine adds the rows in, so the same data and seed give the
    same result to the last bit (a double sum varies with the threads' order)."""
    return value.cast("decimal(38, 10)").sum().cast("float64")


def score_groups(table: Any, spec: ScoredInput) -> ScoreGroups:
    """One group per distinct score, sorted by score descending, aggregated in the backend.

    Args:
        table: an Ibis table of scored rows.
        spec: columns and value expressions (bound to the table's columns).

    Raises:
        DataError: NULL/NaN scores, scores outside [0, 1] for probabilities, non-binary labels,
            a value expression that divides by zero or reads a NULL, no eligible rows.
    """
    if spec.eligible is not None:
        table = table.filter(to_ibis(spec.eligible, table))
    _check(table, spec)
    sums = {"act": spec.act, "leave": spec.leave, **spec.sums}
    got = grouped_sums(table, table[spec.score].cast("float64"), spec.label, sums)
    return ScoreGroups(
        score=np.asarray(got["__key"], dtype=np.float64),
        n=np.asarray(got["n"], dtype=np.int64),
        positives=np.asarray(got["positives"], dtype=np.int64),
        act=got["act"],
        leave=got["leave"],
        sums={name: got[name] for name in spec.sums},
    )
