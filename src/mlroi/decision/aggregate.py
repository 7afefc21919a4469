"""Scored rows → per-score groups, aggregated in the backend.

The exact value curve needs, for every distinct score, the number of rows, of positives, and the
sums of the value of acting and of leaving alone (plus any other per-row amounts a constraint or
a business metric reads). One ``GROUP BY score`` query returns them; Python never sees a row. A
first, small query checks the inputs: scores finite and (for probabilities) within [0, 1], labels
binary, no NULLs, no division by zero in the value expressions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlroi.decision.curve import ScoreGroups
from mlroi.decision.expr import Expr, to_ibis, zero_divisors
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


def _check(table: Any, spec: ScoredInput) -> int:
    import ibis

    score, label = table[spec.score], table[spec.label]
    exprs = {"act": spec.act, "leave": spec.leave, **spec.sums}
    checks: dict[str, Any] = {
        "rows": table.count(),
        "null_score": score.isnull().sum(),
        "nan_score": ibis.ifelse(score.cast("float64").isnan(), 1, 0).sum(),
        "min_score": score.min(),
        "max_score": score.max(),
        "bad_label": ibis.ifelse(label.isin([0, 1]), 0, 1).sum(),
    }
    divisors = {name: zero_divisors(e) for name, e in exprs.items()}
    for name, found in divisors.items():
        for i, z in enumerate(found):
            checks[f"zero_{name}_{i}"] = ibis.ifelse(to_ibis(z.condition, table), 1, 0).sum()
        if exprs[name].names():  # a constant cannot be NULL
            checks[f"null_{name}"] = to_ibis(exprs[name], table).isnull().sum()
    got = {k: v[0] for k, v in _fetch(table.aggregate(**checks)).items()}
    rows = int(got["rows"])
    if rows == 0:
        raise DataError("the scored table has no eligible rows: check the source and `eligible`")
    if got["null_score"] or got["nan_score"]:
        bad = int(got["null_score"] or 0) + int(got["nan_score"] or 0)
        raise DataError(
            f"column {spec.score!r}: {bad:,} of {rows:,} scores are NULL or NaN; "
            "drop or impute them before the analysis"
        )
    if spec.probabilities and not (float(got["min_score"]) >= 0 and float(got["max_score"]) <= 1):
        raise DataError(
            f"column {spec.score!r}: scores must be probabilities in [0, 1], found "
            f"{float(got['min_score']):g} to {float(got['max_score']):g}; "
            "set `probabilities: false` for unbounded scores"
        )
    if got["bad_label"]:
        raise DataError(
            f"column {spec.label!r}: {int(got['bad_label']):,} of {rows:,} labels are not 0 or 1;"
            " the outcome must be binary (1 = positive)"
        )
    for name, found in divisors.items():
        for i, z in enumerate(found):
            count = int(got[f"zero_{name}_{i}"])
            if count:
                raise z.error(count, rows, field=f"value.{name}")
        if got.get(f"null_{name}"):
            raise DataError(
                f"value.{name}: {int(got[f'null_{name}']):,} of {rows:,} rows give NULL (a NULL "
                "in a column it reads); fill or filter them"
            )
    return rows


def _sum(expr: Expr, table: Any) -> Any:
    """Sum of ``expr`` over the rows; a constant is its value times the count."""
    value = to_ibis(expr, table)
    return value.sum() if expr.names() else (value * table.count()).cast("float64")


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
    import ibis

    table = table.mutate(__score=table[spec.score].cast("float64"))
    label = table[spec.label].cast("int64")
    aggs: dict[str, Any] = {
        "n": table.count(),
        "positives": label.sum(),
        "act": _sum(spec.act, table),
        "leave": _sum(spec.leave, table),
    }
    for i, e in enumerate(spec.sums.values()):
        aggs[f"sum_{i}"] = _sum(e, table)
    query = table.group_by("__score").aggregate(**aggs).order_by(ibis.desc("__score"))
    got = _fetch(query)
    return ScoreGroups(
        score=np.asarray(got["__score"], dtype=np.float64),
        n=np.asarray(got["n"], dtype=np.int64),
        positives=np.asarray(got["positives"], dtype=np.int64),
        act=np.asarray(got["act"], dtype=np.float64),
        leave=np.asarray(got["leave"], dtype=np.float64),
        sums={
            name: np.asarray(got[f"sum_{i}"], dtype=np.float64) for i, name in enumerate(spec.sums)
        },
    )
