"""The uplift request: a past campaign's rows counted and summed per (score, arm, label) cell.

One query checks the campaign table (flags and labels binary, both arms present, no NULLs, no
division by zero), one ``UNION ALL`` of the rankings grouped by ``(ranking, score, arm, label)``
fetches every cell. The curves are computed from those cells in :mod:`mlroi.decision.qini`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlroi import formatting as fmt
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
from mlroi.backend.scored import refuse_one_arm
from mlroi.errors import DataError
from mlroi.expr import Expr, zero_divisors

if TYPE_CHECKING:
    import numpy as np


def uplift_cells(
    table: Any,
    scores: Sequence[str],
    label: str,
    treated: str,
    amounts: Mapping[str, Expr],
) -> dict[str, np.ndarray[Any, Any]]:
    """Every ranking's cells, after one check query.

    Args:
        table: an Ibis table with a randomized treatment flag.
        scores: the ranking columns (distinct).
        label: the binary outcome column (0/1, boolean or yes/no).
        treated: the randomized treatment flag (0/1, boolean or yes/no; 1 = treated).
        amounts: per-row amounts to sum per cell, bound to the table's columns.

    Returns:
        Columns ``__ranking`` (index into ``scores``), ``__score``, ``__arm``, ``__label``,
        ``n``, and per amount ``s{j}`` (sum) and ``q{j}`` (sum of squares), sorted by ranking,
        score descending, arm and label.

    Raises:
        DataError: a missing or non-numeric column, NULLs, non-finite scores, a label or flag
            other than 0/1, no treated or no control rows, an amount that reads a NULL or
            divides by zero.
    """
    import ibis

    for name in scores:
        require_type(table, name, "the ranking score", binary=False)
    require_type(table, label, "the outcome label", binary=True)
    require_type(table, treated, "the treatment flag", binary=True)
    for name, e in amounts.items():
        require_readable(table, sorted(e.names()), f"the uplift amount {name!r}")
    check_uplift(table, scores, label, treated, amounts)
    parts = [
        table.select(
            __ranking=ibis.literal(i, type="int64"),
            __score=table[name].cast("float64"),
            __arm=binary(table[treated]).cast("int64"),
            __label=binary(table[label]).cast("int64"),
            **{
                f"__v{j}": to_ibis(e, table).cast("float64") for j, e in enumerate(amounts.values())
            },
        )
        for i, name in enumerate(scores)
    ]
    rows = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    aggs: dict[str, Any] = {"n": rows.count()}
    for j in range(len(amounts)):
        v = rows[f"__v{j}"]
        aggs[f"s{j}"] = exact_sum(v)
        aggs[f"q{j}"] = exact_sum(v * v)
    keys = ["__ranking", "__score", "__arm", "__label"]
    query = (
        rows.group_by(keys)
        .aggregate(**aggs)
        .order_by(["__ranking", ibis.desc("__score"), "__arm", "__label"])
    )
    return fetch_columns(query, "the uplift cells of the campaign table")


def check_uplift(
    table: Any, scores: Sequence[str], label: str, treated: str, amounts: Mapping[str, Expr]
) -> None:
    """One aggregation query over the table; the first problem found raises."""
    import ibis

    flag = binary(table[treated])
    checks: dict[str, Any] = {"rows": table.count()}
    checks["null_treated"], checks["bad_treated"] = binary_counts(table[treated])
    checks["n_treated"], checks["n_control"] = count(flag == 1), count(flag == 0)
    checks["null_label"], checks["bad_label"] = binary_counts(table[label])
    for i, name in enumerate(scores):
        value = table[name].cast("float64")
        checks[f"bad_score_{i}"] = count(value.isnull() | nonfinite(value))
    for i, e in enumerate(amounts.values()):
        for j, z in enumerate(zero_divisors(e)):
            checks[f"zero_{i}_{j}"] = count(to_ibis(z.condition, table))
        if e.names():
            value = to_ibis(e, table).cast("float64")
            checks[f"null_{i}"] = value.isnull().sum()
            checks[f"top_{i}"] = ibis.ifelse(nonfinite(value), ibis.null(), value.abs()).max()
    row = fetch_one(table.aggregate(**checks), "the check of the campaign table")
    tops = {k: float(row.pop(k) or 0.0) for k in list(row) if k.startswith("top_")}
    got = {k: int(v or 0) for k, v in row.items()}
    rows = got["rows"]
    if rows == 0:
        raise DataError("the table has no rows: check the source and any filter applied")
    refuse_binary_problems(
        treated,
        "treatment flags",
        "treated",
        nulls=got["null_treated"],
        bad=got["bad_treated"],
        rows=rows,
    )
    refuse_one_arm(treated, got["n_treated"], got["n_control"], rows)
    refuse_binary_problems(
        label, "labels", "positive", nulls=got["null_label"], bad=got["bad_label"], rows=rows
    )
    for i, name in enumerate(scores):
        refuse_bad_scores(name, got[f"bad_score_{i}"], rows)
    for i, (name, e) in enumerate(amounts.items()):
        for j, z in enumerate(zero_divisors(e)):
            if got[f"zero_{i}_{j}"]:
                raise z.error(got[f"zero_{i}_{j}"], rows, field=f"sums.{name}")
        top = tops.get(f"top_{i}", 0.0)
        if top * top * rows > sum_limit(table[label]):
            raise DataError(
                f"sums.{name}: values up to {fmt.number(top)} over {rows:,} rows overflow the"
                " sums of squares; rescale (e.g. thousands)"
            )
        if got.get(f"null_{i}"):
            raise DataError(
                f"sums.{name}: {got[f'null_{i}']:,} of {rows:,} rows give NULL (a NULL in a"
                " column it reads); fill or filter them"
            )
