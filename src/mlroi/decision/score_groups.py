"""Rows grouped by distinct score: the sums a value curve is computed from.

The decision rule is "act on every row whose score is at least ``t``". Rows with equal scores are
indistinguishable to the rule, so they form one group, and the only thresholds that lead to
different decisions are the distinct scores. A backend returns these groups from one
``GROUP BY score`` query; :meth:`ScoreGroups.from_rows` builds them from rows in memory with one
sort. :mod:`mlroi.decision.value_curve` reads every count and value of the curve from them.

References:
    Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition Letters 27(8),
    861-874 (ROC points from one sorted pass; ties handled by group).
"""

from __future__ import annotations

import keyword
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.decision.arrays import (
    FloatArray,
    IntArray,
    check_shape,
    frozen,
    group_scores,
    vector,
)

__all__ = ["CURVE_COLUMNS", "ScoreGroups"]

CURVE_COLUMNS = (
    "threshold",
    "targeted",
    "share_targeted",
    "tp",
    "fp",
    "fn",
    "tn",
    "precision",
    "recall",
    "fpr",
    "f1",
    "value",
    "incremental_value",
)
"""The columns every :class:`~mlroi.decision.value_curve.ValueCurve` has, in order; the caller's
``sums`` follow them."""

_PARALLEL_ROWS = 1 << 20
"""From this many rows on, :meth:`ScoreGroups.from_rows` reorders its columns in threads."""


@dataclass(frozen=True, eq=False)
class ScoreGroups:
    """Rows grouped by distinct score (or by score bin), highest score first.

    What a backend returns from one ``GROUP BY score`` query; everything on the value curve is
    computed from these sums. Validation raises ``ValueError``, which the caller turns into a
    ``DataError`` naming its source. Arrays are stored read-only.

    Attributes:
        score: the group's score, strictly decreasing, finite.
        n: rows in the group (at least 1).
        positives: rows with label 1 (``0 <= positives <= n``).
        act: sum over the group's rows of the value of acting on the row.
        leave: sum over the group's rows of the value of leaving the row alone.
        sums: further per-group sums named by the caller (e.g. ``discounts_given``), reported
            on the curve as cumulative sums over the rows acted on. Names are identifiers and
            differ from :data:`CURVE_COLUMNS`.

    Example:
        >>> g = ScoreGroups.from_rows([0.9, 0.2, 0.9], [1, 0, 0], [5.0, -1.0, -1.0], [0.0] * 3)
        >>> g.score.tolist(), g.n.tolist(), g.positives.tolist(), g.act.tolist()
        ([0.9, 0.2], [2, 1], [1, 0], [4.0, -1.0])
    """

    score: FloatArray
    n: IntArray
    positives: IntArray
    act: FloatArray
    leave: FloatArray
    sums: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        score = group_scores(self.score)
        size = score.shape[0]
        n = _counts(self.n, "n", size)
        positives = _counts(self.positives, "positives", size)
        if not bool(np.all(n >= 1)):
            raise ValueError("n: every group needs at least one row")
        if not bool(np.all(positives <= n)):
            raise ValueError("positives: a group has more positives than rows")
        sums: dict[str, FloatArray] = {}
        for name, values in self.sums.items():
            _check_sum_name(name)
            sums[name] = frozen(vector(values, name, size))
        object.__setattr__(self, "score", frozen(score))
        object.__setattr__(self, "n", frozen(n))
        object.__setattr__(self, "positives", frozen(positives))
        object.__setattr__(self, "act", frozen(vector(self.act, "act", size)))
        object.__setattr__(self, "leave", frozen(vector(self.leave, "leave", size)))
        object.__setattr__(self, "sums", sums)

    @classmethod
    def from_rows(
        cls,
        score: npt.ArrayLike,
        label: npt.ArrayLike,
        act: npt.ArrayLike,
        leave: npt.ArrayLike,
        sums: Mapping[str, npt.ArrayLike] | None = None,
    ) -> ScoreGroups:
        """Group rows exactly by distinct score: one sort, then sums over runs of equal scores.

        When every score is distinct, ``n`` is a read-only view of a single 1, and when every
        ``leave`` is 0, so is ``leave`` of a single 0: the same values without the memory.

        Args:
            score: one score per row (finite; higher means act first).
            label: 1 for a positive row, 0 otherwise (booleans allowed).
            act: value of acting on each row.
            leave: value of leaving each row alone.
            sums: further per-row values to sum by group, by name.

        Raises:
            ValueError: arrays of different lengths, no rows, a NaN or infinite value, or a
                label other than 0/1.
        """
        s = vector(score, "score")
        size = s.shape[0]
        if size == 0:
            raise ValueError("there are no rows to score")
        y = _labels(label, size)
        columns = {"act": vector(act, "act", size), "leave": vector(leave, "leave", size)}
        for name, values in (sums or {}).items():
            _check_sum_name(name)
            columns[name] = vector(values, name, size)
        order = np.argsort(s)[::-1]  # the one sort; a tie's inner order does not matter
        s = s[order]
        new_score = s[1:] != s[:-1]
        if np.count_nonzero(new_score) == size - 1:
            # every score distinct: each row is its own group, and a group's sums are its row
            # (what reduceat would return, without a pass over ten million one-row groups)
            starts = None
            score, n = s, np.broadcast_to(np.int64(1), (size,))  # a read-only view of one 1
        else:
            starts = np.flatnonzero(np.r_[True, new_score])
            score, n = s[starts], np.diff(np.r_[starts, size])
        leave_values = columns.pop("leave")
        if leave_values.any() or np.signbit(leave_values).any():  # -0.0 sums to -0.0
            columns["leave"] = leave_values
        totals = _group_sums({"positives": y, **columns}, order, starts)
        positives, act_sums = totals.pop("positives"), totals.pop("act")
        # leaving a row alone is often worth nothing: then so is every group's sum, a read-only
        # view of one 0 rather than a sorted copy of the zeros
        leave_sums = totals.pop("leave", np.broadcast_to(np.float64(0.0), score.shape))
        return cls._unchecked(
            score=score,
            n=n,
            positives=positives,
            act=act_sums,
            leave=leave_sums,
            sums=totals,
        )

    @classmethod
    def _unchecked(
        cls,
        *,
        score: FloatArray,
        n: IntArray,
        positives: IntArray,
        act: FloatArray,
        leave: FloatArray,
        sums: dict[str, FloatArray],
    ) -> ScoreGroups:
        """Groups built from rows :meth:`from_rows` has validated: the checks of
        ``__post_init__`` would only pass over every group again."""
        groups = object.__new__(cls)
        for name, values in (
            ("score", score),
            ("n", n.astype(np.int64, copy=False)),
            ("positives", positives.astype(np.int64, copy=False)),
            ("act", act),
            ("leave", leave),
        ):
            object.__setattr__(groups, name, frozen(values))
        object.__setattr__(groups, "sums", {k: frozen(v) for k, v in sums.items()})
        return groups


def _group_sums(
    columns: Mapping[str, npt.NDArray[Any]], order: IntArray, starts: IntArray | None
) -> dict[str, npt.NDArray[Any]]:
    """Each column put in score order and summed over the rows of each group (whole numbers as
    int64), or only put in order when every group is one row (``starts`` is None).

    numpy releases the GIL while it gathers, and a gather is bound by memory latency, so with
    many rows the columns are gathered on every core at once.
    """

    def by_group(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        in_order = values[order]
        if starts is None:
            return in_order
        whole = values.dtype.kind in "biu"
        return np.add.reduceat(in_order, starts, dtype=np.int64 if whole else None)

    workers = min(len(columns), os.cpu_count() or 1)
    if order.shape[0] < _PARALLEL_ROWS or workers < 2:
        return {name: by_group(values) for name, values in columns.items()}
    with ThreadPoolExecutor(workers) as pool:
        return dict(zip(columns, pool.map(by_group, columns.values()), strict=True))


def _labels(x: npt.ArrayLike, size: int) -> npt.NDArray[Any]:
    """The labels as given (no float copy of a large integer or boolean column)."""
    y = np.asarray(x)
    if y.dtype.kind not in "biuf":
        raise ValueError("label must be 0 or 1 in every row")
    check_shape(y, "label", size)
    if y.dtype.kind in "iu":  # whole numbers are 0 or 1 exactly when they lie in [0, 1]
        binary = bool(y.min() >= 0) and bool(y.max() <= 1)
    else:
        binary = y.dtype.kind == "b" or bool(np.all((y == 0) | (y == 1)))
    if not binary:
        raise ValueError("label must be 0 or 1 in every row")
    return y


def _counts(x: npt.ArrayLike, name: str, size: int) -> IntArray:
    given = np.asarray(x)
    if given.dtype.kind in "iu":
        check_shape(given, name, size)
        if not bool(np.all(given >= 0)):
            raise ValueError(f"{name} must be whole numbers >= 0")
        return given.astype(np.int64, copy=False)
    values = vector(given, name, size)
    if not bool(np.all((values >= 0) & (values == np.floor(values)))):
        raise ValueError(f"{name} must be whole numbers >= 0")
    return values.astype(np.int64)


def _check_sum_name(name: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f'sum "{name}" needs a name usable in an expression, e.g. "discounts"')
    if name in CURVE_COLUMNS or name in ("act", "leave"):
        raise ValueError(f'sum "{name}" clashes with a built-in column; rename it')
