"""Uplift groups of an Ibis table, computed in the backend: one query checks, one fetches.

The cells are :class:`~mlroi.decision.uplift_groups.UpliftGroups`; the curves and values read from
them are in :mod:`mlroi.decision.qini` and :mod:`mlroi.decision.targeting`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.decision.aggregate import _fetch, exact_sum
from mlroi.decision.arrays import FloatArray
from mlroi.decision.expr import Expr, bind, parse, to_ibis, zero_divisors
from mlroi.decision.uplift_groups import UpliftGroups
from mlroi.decision.uplift_groups import check_sum_name as _check_sum_name
from mlroi.errors import DataError

__all__ = ["uplift_groups", "uplift_groups_many"]


# ------------------------------------------------------------------------------------ backend


def uplift_groups(
    table: Any,
    score: str,
    label: str,
    treated: str,
    sums: Mapping[str, str | Expr] | None = None,
) -> UpliftGroups:
    """Rows of an Ibis table grouped by distinct score, arm and label, in the backend.

    Args:
        table: an Ibis table with a randomized treatment flag.
        score: the ranking column; higher means treat first (any real numbers).
        label: the binary outcome column (0/1 or boolean).
        treated: the randomized treatment flag (0/1 or boolean; 1 = treated).
        sums: per-row amounts to sum per cell, by name: an expression over the columns
            (``"clv"``, ``"0.6 * discount + 1"``) or a bound :class:`Expr`.

    Raises:
        DataError: a missing or non-numeric column, NULLs, non-finite scores, a label or flag
            other than 0/1, no treated or no control rows, an amount that reads a NULL or
            divides by zero.
        ExprError: an amount expression that does not parse or names an unknown column.

    Example:
        >>> import ibis
        >>> t = ibis.memtable({"s": [0.9, 0.9, 0.1], "y": [0, 1, 1], "w": [1, 0, 0]})
        >>> uplift_groups(t, "s", "y", "w").n.tolist()
        [[[0, 1], [1, 0]], [[0, 1], [0, 0]]]
    """
    return uplift_groups_many(table, [score], label, treated, sums)[score]


def uplift_groups_many(
    table: Any,
    scores: Sequence[str],
    label: str,
    treated: str,
    sums: Mapping[str, str | Expr] | None = None,
) -> dict[str, UpliftGroups]:
    """:func:`uplift_groups` for several ranking columns at once: one query checks the inputs,
    one ``UNION ALL`` of the rankings grouped by ``(ranking, score, arm, label)`` fetches every
    cell.

    Returns:
        The groups of each score column, by column name.
    """
    import ibis

    if not scores or len(set(scores)) != len(scores):
        raise ValueError(f"scores must name distinct ranking columns, got {list(scores)}")
    columns = list(table.columns)
    for name in scores:
        _require(table, name, "the ranking score", allow_boolean=False)
    _require(table, label, "the outcome label", allow_boolean=True)
    _require(table, treated, "the treatment flag", allow_boolean=True)
    amounts: dict[str, Expr] = {}
    for name, given in (sums or {}).items():
        _check_sum_name(name)
        expr = (
            parse(given, field=f"sums.{name}", kind="number") if isinstance(given, str) else given
        )
        amounts[name] = bind(expr, columns, {}, field=f"sums.{name}")
    _check(table, scores, label, treated, amounts)

    parts = [
        table.select(
            __ranking=ibis.literal(i, type="int64"),
            __score=table[name].cast("float64"),
            __arm=_as_number(table[treated]).cast("int64"),
            __label=_as_number(table[label]).cast("int64"),
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
    got = _fetch(query)
    ranking = np.asarray(got["__ranking"], dtype=np.int64)
    sums_of = {name: f"s{j}" for j, name in enumerate(amounts)}
    squares_of = {name: f"q{j}" for j, name in enumerate(amounts)}
    out: dict[str, UpliftGroups] = {}
    for i, name in enumerate(scores):
        mine = {k: np.asarray(v)[ranking == i] for k, v in got.items()}
        out[name] = _pivot(mine, sums_of, squares_of)
    return out


def _pivot(
    got: Mapping[str, npt.NDArray[Any]], sums_of: Mapping[str, str], squares_of: Mapping[str, str]
) -> UpliftGroups:
    """Rows of ``(score, arm, label)`` cells, sorted by score descending, as groups."""
    score = np.asarray(got["__score"], dtype=np.float64)
    starts = np.r_[True, score[1:] != score[:-1]]
    groups = int(starts.sum())
    arm = np.asarray(got["__arm"], dtype=np.int64)
    label = np.asarray(got["__label"], dtype=np.int64)
    cell = (np.cumsum(starts) - 1) * 4 + arm * 2 + label

    def per_cell(column: str) -> FloatArray:
        flat = np.zeros(groups * 4)
        flat[cell] = np.asarray(got[column], dtype=np.float64)
        return flat.reshape(groups, 2, 2)

    return UpliftGroups(
        score=score[starts],
        n=per_cell("n").astype(np.int64),
        sums={name: per_cell(column) for name, column in sums_of.items()},
        squares={name: per_cell(column) for name, column in squares_of.items()},
    )


def _as_number(column: Any) -> Any:
    """A 0/1 or boolean column as numbers; a boolean through ``CASE`` (PostgreSQL has no cast
    from boolean to bigint), NULL staying NULL."""
    import ibis

    if column.type().is_boolean():
        return ibis.cases((column, 1), (~column, 0), else_=ibis.null()).cast("int64")
    return column


def _require(table: Any, name: str, what: str, *, allow_boolean: bool) -> None:
    """A column exists and has a type the analysis can read."""
    if name not in table.columns:
        close = difflib.get_close_matches(name, list(table.columns), n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise DataError(f"no column {name!r} for {what} in the table{hint}")
    dtype = table[name].type()
    if dtype.is_boolean() and allow_boolean:
        return
    if not dtype.is_numeric() or dtype.is_boolean():
        allowed = "0/1 numbers or booleans" if allow_boolean else "numbers"
        raise DataError(f"column {name!r} ({what}) has type {dtype}; it must hold {allowed}")


def _check(
    table: Any, scores: Sequence[str], label: str, treated: str, amounts: Mapping[str, Expr]
) -> None:
    """One aggregation query over the table; the first problem found raises."""
    import ibis

    def count(condition: Any) -> Any:
        return ibis.ifelse(condition, 1, 0).sum()

    flag, outcome = _as_number(table[treated]), _as_number(table[label])
    checks: dict[str, Any] = {
        "rows": table.count(),
        "null_treated": table[treated].isnull().sum(),
        "bad_treated": count(flag.notnull() & ~flag.isin([0, 1])),
        "n_treated": count(flag == 1),
        "n_control": count(flag == 0),
        "null_label": table[label].isnull().sum(),
        "bad_label": count(outcome.notnull() & ~outcome.isin([0, 1])),
    }
    for i, name in enumerate(scores):
        value = table[name].cast("float64")
        checks[f"bad_score_{i}"] = count(value.isnull() | value.isnan() | value.isinf())
    for i, e in enumerate(amounts.values()):
        for j, z in enumerate(zero_divisors(e)):
            checks[f"zero_{i}_{j}"] = count(to_ibis(z.condition, table))
        if e.names():
            checks[f"null_{i}"] = to_ibis(e, table).isnull().sum()
    got = {k: int(v[0] or 0) for k, v in _fetch(table.aggregate(**checks)).items()}
    rows = got["rows"]
    if rows == 0:
        raise DataError("the table has no rows: check the source and any filter applied")
    if got["null_treated"]:
        raise DataError(
            f"column {treated!r}: {got['null_treated']:,} of {rows:,} treatment flags are NULL;"
            " fill them (1 = treated, 0 = control) or filter those rows out"
        )
    if got["bad_treated"]:
        raise DataError(
            f"column {treated!r}: {got['bad_treated']:,} of {rows:,} treatment flags are not 0"
            " or 1; the flag must be 0/1 or boolean (1 = treated)"
        )
    for arm in ("treated", "control"):
        if got[f"n_{arm}"] == 0:
            value = 1 if arm == "treated" else 0
            raise DataError(
                f"column {treated!r}: no {arm} rows ({value}) among {rows:,}; uplift needs a "
                "randomized treated group and a control group in the same table"
            )
    if got["null_label"]:
        raise DataError(
            f"column {label!r}: {got['null_label']:,} of {rows:,} labels are NULL; fill or"
            " filter them (the outcome must be known for every row)"
        )
    if got["bad_label"]:
        raise DataError(
            f"column {label!r}: {got['bad_label']:,} of {rows:,} labels are not 0 or 1;"
            " the outcome must be binary (1 = positive)"
        )
    for i, name in enumerate(scores):
        if got[f"bad_score_{i}"]:
            raise DataError(
                f"column {name!r}: {got[f'bad_score_{i}']:,} of {rows:,} scores are NULL, NaN"
                " or infinite; drop or impute them before the analysis"
            )
    for i, (name, e) in enumerate(amounts.items()):
        for j, z in enumerate(zero_divisors(e)):
            if got[f"zero_{i}_{j}"]:
                raise z.error(got[f"zero_{i}_{j}"], rows, field=f"sums.{name}")
        if got.get(f"null_{i}"):
            raise DataError(
                f"sums.{name}: {got[f'null_{i}']:,} of {rows:,} rows give NULL (a NULL in a"
                " column it reads); fill or filter them"
            )
