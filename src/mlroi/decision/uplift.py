"""Uplift groups of a campaign table: the backend's cells (:mod:`mlroi.backend.uplift`) as groups.

The cells are :class:`~mlroi.decision.uplift_groups.UpliftGroups`; the curves and values read from
them are in :mod:`mlroi.decision.qini` and :mod:`mlroi.decision.targeting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.backend.uplift import uplift_cells
from mlroi.decision.arrays import FloatArray
from mlroi.decision.uplift_groups import UpliftGroups
from mlroi.decision.uplift_groups import check_sum_name as _check_sum_name
from mlroi.expr import Expr, bind, parse

__all__ = ["uplift_groups", "uplift_groups_many"]


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
        label: the binary outcome column (0/1, boolean or yes/no).
        treated: the randomized treatment flag (0/1, boolean or yes/no; 1 = treated).
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
    if not scores or len(set(scores)) != len(scores):
        raise ValueError(f"scores must name distinct ranking columns, got {list(scores)}")
    columns = list(table.columns)
    amounts: dict[str, Expr] = {}
    for name, given in (sums or {}).items():
        _check_sum_name(name)
        expr = (
            parse(given, field=f"sums.{name}", kind="number") if isinstance(given, str) else given
        )
        amounts[name] = bind(expr, columns, {}, field=f"sums.{name}")
    got = uplift_cells(table, scores, label, treated, amounts)
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
