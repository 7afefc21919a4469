"""The exact value of acting on a model's scores at every threshold, and the best threshold.

The decision rule is "act on every row whose score is at least ``t``". Rows with equal scores are
indistinguishable to the rule, so they form one group, and the only thresholds that lead to
different decisions are the distinct scores. With the groups sorted by score, highest first, the
point at group ``j`` acts on groups ``0..j`` and leaves the rest, so every count and value on the
curve is a cumulative sum read at the end of a tied group: one sort and a few ``cumsum`` calls,
``O(n log n)`` for ``n`` rows and exact (no interpolation, no sampling of thresholds).

For a point that acts on the top ``k`` rows (``k`` = targeted), with ``P`` positives among ``n``:

- ``tp`` = positives acted on, ``fp = k - tp``, ``fn = P - tp``, ``tn = n - P - fp``;
- ``precision = tp / k`` (NaN at ``k = 0``: acting on nobody has no precision),
  ``recall = tp / P``, ``fpr = fp / (n - P)``, ``f1 = 2 tp / (2 tp + fp + fn)``;
- ``value = sum(act over acted rows) + sum(leave over the other rows)``, and
  ``incremental_value = value - value(acting on nobody)``.

:func:`optimum` picks the feasible point with the highest objective under constraints written in
the expression language of :mod:`mlroi.decision.expr` over the curve's columns, and says which
constraint stops a more valuable threshold.

References:
    Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition Letters 27(8),
    861-874 (ROC points from one sorted pass; ties handled by group, AUC with ties counted half).
"""

from __future__ import annotations

import keyword
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from mlroi.expr import Compare, Expr, ExprError, Name, Num, bind, evaluate, parse

__all__ = [
    "CURVE_COLUMNS",
    "Constraint",
    "Decision",
    "ScoreGroups",
    "ValueCurve",
    "cumulative_value",
    "optimum",
    "value_curve",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

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
"""The columns every :class:`ValueCurve` has, in order; the caller's ``sums`` follow them."""

_PARALLEL_ROWS = 1 << 20
"""From this many rows on, :meth:`ScoreGroups.from_rows` reorders its columns in threads."""


# -------------------------------------------------------------------------------- score groups


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
        score = _group_scores(self.score)
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
            sums[name] = _frozen(_vector(values, name, size))
        object.__setattr__(self, "score", _frozen(score))
        object.__setattr__(self, "n", _frozen(n))
        object.__setattr__(self, "positives", _frozen(positives))
        object.__setattr__(self, "act", _frozen(_vector(self.act, "act", size)))
        object.__setattr__(self, "leave", _frozen(_vector(self.leave, "leave", size)))
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
        s = _vector(score, "score")
        size = s.shape[0]
        if size == 0:
            raise ValueError("there are no rows to score")
        y = _labels(label, size)
        columns = {"act": _vector(act, "act", size), "leave": _vector(leave, "leave", size)}
        for name, values in (sums or {}).items():
            _check_sum_name(name)
            columns[name] = _vector(values, name, size)
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
            object.__setattr__(groups, name, _frozen(values))
        object.__setattr__(groups, "sums", {k: _frozen(v) for k, v in sums.items()})
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


def _group_scores(x: npt.ArrayLike) -> FloatArray:
    """Scores of groups: finite, at least one, strictly decreasing (one group per score)."""
    score = _vector(x, "score")
    if score.shape[0] == 0:
        raise ValueError("there are no rows to score")
    if score.shape[0] > 1 and not bool(np.all(score[1:] < score[:-1])):
        raise ValueError(
            "score must be strictly decreasing: one group per distinct score, highest first"
        )
    return score


def _vector(x: npt.ArrayLike, name: str, size: int | None = None) -> FloatArray:
    try:
        values = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers") from None
    _check_shape(values, name, size)
    if not bool(np.isfinite(values).all()):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise ValueError(f"{name} has {bad} NaN or infinite values")
    return values


def _check_shape(values: npt.NDArray[Any], name: str, size: int | None) -> None:
    if values.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {values.shape}")
    if size is not None and values.shape[0] != size:
        raise ValueError(f"{name} has {values.shape[0]} values where {size} are expected")


def _labels(x: npt.ArrayLike, size: int) -> npt.NDArray[Any]:
    """The labels as given (no float copy of a large integer or boolean column)."""
    y = np.asarray(x)
    if y.dtype.kind not in "biuf":
        raise ValueError("label must be 0 or 1 in every row")
    _check_shape(y, "label", size)
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
        _check_shape(given, name, size)
        if not bool(np.all(given >= 0)):
            raise ValueError(f"{name} must be whole numbers >= 0")
        return given.astype(np.int64, copy=False)
    values = _vector(given, name, size)
    if not bool(np.all((values >= 0) & (values == np.floor(values)))):
        raise ValueError(f"{name} must be whole numbers >= 0")
    return values.astype(np.int64)


def _check_sum_name(name: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f'sum "{name}" needs a name usable in an expression, e.g. "discounts"')
    if name in CURVE_COLUMNS or name in ("act", "leave"):
        raise ValueError(f'sum "{name}" clashes with a built-in column; rename it')


def _frozen(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    x.setflags(write=False)
    return x


# --------------------------------------------------------------------------------- value curve


@dataclass(frozen=True, eq=False)
class ValueCurve:
    """Metrics and value at every distinct threshold, one array entry per point.

    Point 0 acts on nobody (``threshold = +inf``); point ``j >= 1`` acts on every row with
    ``score >= threshold[j]``, the ``j``-th highest distinct score. ``targeted`` is strictly
    increasing. Undefined ratios are NaN: ``precision`` at 0 targeted, ``recall`` (and ``f1``
    at 0 targeted) without positives, ``fpr`` without negatives. A comparison with NaN is false,
    so such a point does not satisfy a constraint on that column.

    A column is computed from the groups when it is first read, then kept (read-only): the
    optimum of a curve over ten million groups builds the columns its objective and constraints
    read, not all of them, and :meth:`row` computes one point from the running totals alone.

    Attributes:
        groups: the score groups the curve is computed from.
        threshold: act on rows with ``score >= threshold``.
        targeted: rows acted on; ``share_targeted`` is ``targeted / n``.
        tp, fp, fn, tn: the confusion matrix of "act" against the label.
        precision, recall, fpr, f1: the model metrics (formulas in the module docstring).
        value: value of acting on the targeted rows and leaving the others alone.
        incremental_value: ``value`` minus the value of acting on nobody.
        sums: each of the groups' ``sums``, accumulated over the rows acted on.
        n: rows; positives: rows with label 1.
        auc: ROC AUC, ties counted half; ``None`` without positives or without negatives.
        pr_auc: average precision ``sum_k (R_k - R_{k-1}) P_k`` over the thresholds, as
            scikit-learn's ``average_precision_score`` (a step sum, not a trapezoid);
            ``None`` without positives.
    """

    groups: ScoreGroups
    n: int = field(init=False)
    positives: int = field(init=False)
    _sums: dict[str, FloatArray] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", int(self.groups.n.sum()))
        object.__setattr__(self, "positives", int(self.groups.positives.sum()))

    # the running totals over the groups acted on -----------------------------------------

    @cached_property
    def threshold(self) -> FloatArray:
        """Act on rows with ``score >= threshold``; ``+inf`` acts on nobody."""
        return _frozen(np.r_[np.inf, self.groups.score])

    @cached_property
    def targeted(self) -> FloatArray:
        """Rows acted on."""
        return _frozen(_cumulative(self.groups.n))

    @cached_property
    def tp(self) -> FloatArray:
        """Positive rows acted on."""
        return _frozen(_cumulative(self.groups.positives))

    @cached_property
    def value(self) -> FloatArray:
        """Value of acting on the targeted rows and leaving the others alone."""
        return _frozen(cumulative_value(self.groups.act, self.groups.leave))

    # columns derived from them -----------------------------------------------------------

    @cached_property
    def share_targeted(self) -> FloatArray:
        """``targeted / n``."""
        return self._derived("share_targeted")

    @cached_property
    def fp(self) -> FloatArray:
        """Negative rows acted on."""
        return self._derived("fp")

    @cached_property
    def fn(self) -> FloatArray:
        """Positive rows left alone."""
        return self._derived("fn")

    @cached_property
    def tn(self) -> FloatArray:
        """Negative rows left alone."""
        return self._derived("tn")

    @cached_property
    def precision(self) -> FloatArray:
        """``tp / targeted``; NaN when acting on nobody."""
        return self._derived("precision")

    @cached_property
    def recall(self) -> FloatArray:
        """``tp / positives``; NaN without positives."""
        return self._derived("recall")

    @cached_property
    def fpr(self) -> FloatArray:
        """``fp / negatives``; NaN without negatives."""
        return self._derived("fpr")

    @cached_property
    def f1(self) -> FloatArray:
        """``2 tp / (2 tp + fp + fn)``."""
        return self._derived("f1")

    @cached_property
    def incremental_value(self) -> FloatArray:
        """``value`` minus the value of acting on nobody."""
        return _frozen(self.value - self.value[0])

    def _derived(self, name: str) -> FloatArray:
        return _frozen(np.asarray(_derive(name, self._column, self.n, self.positives)))

    # summaries ---------------------------------------------------------------------------

    @cached_property
    def auc(self) -> float | None:
        """ROC AUC, ties counted half; ``None`` without positives or without negatives."""
        return _auc(self.tp, self.fp, self.positives, self.negatives)

    @cached_property
    def pr_auc(self) -> float | None:
        """Average precision (a step sum, as scikit-learn's); ``None`` without positives."""
        return _average_precision(self.tp, self.targeted, self.positives)

    @property
    def negatives(self) -> int:
        """Rows with label 0."""
        return self.n - self.positives

    @property
    def base_rate(self) -> float:
        """Share of positive rows."""
        return self.positives / self.n

    @property
    def sums(self) -> dict[str, FloatArray]:
        """Each of the groups' ``sums``, accumulated over the rows acted on."""
        return {name: self._column(name) for name in self.groups.sums}

    @property
    def columns(self) -> dict[str, FloatArray]:
        """Every column by name: :data:`CURVE_COLUMNS`, then the sums."""
        return {name: self._column(name) for name in self._names()}

    def _names(self) -> list[str]:
        return [*CURVE_COLUMNS, *self.groups.sums]

    def _column(self, name: str) -> FloatArray:
        """The whole column ``name`` (built-in or a sum), computed the first time it is read."""
        if name in CURVE_COLUMNS:
            column: FloatArray = getattr(self, name)
            return column
        if name not in self._sums:
            self._sums[name] = _frozen(_cumulative(self.groups.sums[name]))
        return self._sums[name]

    def _part(self, start: int, stop: int) -> _Points:
        """The columns over the points ``start:stop`` (see :class:`_Points`)."""
        return _Points(self, start, stop)

    def _at(self, name: str, index: int) -> float:
        """One column's value at one point (see :meth:`_part`)."""
        return float(self._part(index, index + 1)(name)[0])

    def __len__(self) -> int:
        return int(self.groups.score.shape[0]) + 1

    def row(self, index: int) -> dict[str, float]:
        """The point at ``index`` as ``{column: value}`` (builds no count or metric column)."""
        i = range(len(self))[index]
        get = self._part(i, i + 1)
        return {name: float(get(name)[0]) for name in self._names()}

    def at_budget(self, k: float | None = None, *, share: float | None = None) -> dict[str, float]:
        """The point that targets the top ``k`` rows (or ``share`` of the rows), at most.

        A threshold either takes a tied group whole or leaves it, so this is the last point with
        ``targeted <= k``: the closest a threshold comes to spending the whole budget (a higher
        threshold may be worth more; see the curve for the best within it). Exactly ``k`` rows
        would need part of a tied group, picked by row order or at random: the model cannot tell
        those rows apart, no threshold reproduces the choice, and in SQL the row order is not
        even deterministic. (Taking a random fraction of the group is worth the straight line
        between this point and the next, in expectation.)

        Args:
            k: at most this many rows (``>= 0``).
            share: at most this share of the rows, in ``[0, 1]``.

        Raises:
            ValueError: neither or both of ``k`` and ``share``, or a value out of range.

        Example:
            >>> g = ScoreGroups.from_rows([0.9, 0.5, 0.5], [1, 0, 1], [1.0, 1.0, 1.0], [0.0] * 3)
            >>> value_curve(g).at_budget(2)["targeted"]
            1.0
        """
        if (k is None) == (share is None):
            raise ValueError("give exactly one of k (rows) and share (of the rows)")
        if share is not None:
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"share must be between 0 and 1, got {share}")
            # share_targeted = targeted / n is correctly rounded, so 29 of 100 rows meets 0.29
            index = int(np.searchsorted(self.share_targeted, share, side="right")) - 1
        else:
            assert k is not None
            if not k >= 0:
                raise ValueError(f"k must be a number of rows >= 0, got {k}")
            index = int(np.searchsorted(self.targeted, k, side="right")) - 1
        return self.row(index)

    def to_dict(self) -> dict[str, Any]:
        """The scalars and every column as lists (NaN and inf kept as floats)."""
        return {
            "n": self.n,
            "positives": self.positives,
            "base_rate": self.base_rate,
            "auc": self.auc,
            "pr_auc": self.pr_auc,
            "columns": {name: values.tolist() for name, values in self.columns.items()},
        }


class _Points:
    """A curve's columns over the points ``start:stop``, by name, without building whole columns.

    A column the curve has built already is sliced. ``value`` and the sums are running totals of
    fractional amounts, whose rounding depends on every earlier addition, so the curve builds
    them whole. The counts are whole numbers, exact in any order of addition: ``targeted`` and
    ``tp`` start from the total before ``start``, and the metrics follow from them by the
    columns' own formulas, so every value equals the whole column's at that point.
    """

    def __init__(self, curve: ValueCurve, start: int, stop: int) -> None:
        self.curve = curve
        self.start = start
        self.stop = stop
        self.cache: dict[str, FloatArray] = {}

    def __call__(self, name: str) -> FloatArray:
        if name not in self.cache:
            self.cache[name] = self._compute(name)
        return self.cache[name]

    def _compute(self, name: str) -> FloatArray:
        curve, start, stop = self.curve, self.start, self.stop
        built = name in curve.__dict__  # where cached_property keeps a column once read
        if built or name == "value" or name in curve.groups.sums:
            return curve._column(name)[start:stop]
        match name:
            case "threshold":
                score = curve.groups.score
                if start:
                    return score[start - 1 : stop - 1]
                return np.concatenate(([np.inf], score[: stop - 1]))
            case "targeted":
                return _running_count(curve.groups.n, start, stop)
            case "tp":
                return _running_count(curve.groups.positives, start, stop)
            case "incremental_value":
                gain: FloatArray = curve.value[start:stop] - curve.value[0]
                return gain
        derived: FloatArray = np.asarray(_derive(name, self, curve.n, curve.positives))
        return derived


def value_curve(groups: ScoreGroups) -> ValueCurve:
    """Every count, metric and value at every distinct threshold, exactly, in ``O(groups)``.

    Each column is a running total over the groups or a formula of the running totals, computed
    when first read (see :class:`ValueCurve`).

    Args:
        groups: rows grouped by score, highest first.

    Returns:
        The curve with ``len(groups.score) + 1`` points, the first acting on nobody.

    Example:
        >>> g = ScoreGroups.from_rows([0.9, 0.8, 0.3], [1, 0, 1], [10.0, -2.0, 10.0], [0.0] * 3)
        >>> c = value_curve(g)
        >>> c.value.tolist(), c.recall.tolist()
        ([0.0, 10.0, 8.0, 18.0], [0.0, 0.5, 0.5, 1.0])
    """
    return ValueCurve(groups)


def _derive(name: str, get: Callable[[str], Any], n: int, positives: int) -> Any:
    """The column ``name`` from ``targeted`` and ``tp``, read with ``get`` as whole columns or
    as the same slice of each. One set of formulas, so a slice equals the whole column's values
    bit for bit."""
    negatives = n - positives
    with np.errstate(divide="ignore", invalid="ignore"):
        match name:
            case "share_targeted":
                return get("targeted") / n
            case "fp":
                return get("targeted") - get("tp")
            case "fn":
                return positives - get("tp")
            case "tn":
                return negatives - get("fp")
            case "precision":
                return get("tp") / get("targeted")
            case "recall":
                return get("tp") / positives if positives else np.full_like(get("tp"), np.nan)
            case "fpr":
                return get("fp") / negatives if negatives else np.full_like(get("fp"), np.nan)
            case "f1":
                tp = get("tp")
                return 2.0 * tp / (2.0 * tp + get("fp") + get("fn"))
    raise KeyError(name)


def cumulative_value(act: FloatArray, leave: FloatArray) -> FloatArray:
    """Value at each point: ``act`` summed over the groups acted on, ``leave`` over the rest.

    ``leave`` is summed from the end, so the last point leaves exactly nothing (no cancellation
    of a total minus a prefix).
    """
    value = np.zeros(act.shape[0] + 1)
    np.cumsum(leave[::-1], out=value[-2::-1])
    _add_cumulative(value, act)
    return value


def _cumulative(x: npt.NDArray[Any]) -> FloatArray:
    """``[0, x0, x0 + x1, ...]``: the total over the groups acted on, point by point."""
    out = np.empty(x.shape[0] + 1, dtype=np.float64)
    out[0] = 0.0
    np.cumsum(x, out=out[1:])
    return out


def _add_cumulative(out: FloatArray, x: FloatArray, chunk: int = 1 << 20) -> None:
    """``out += _cumulative(x)`` a chunk at a time: the same additions in the same order (a
    running sum is sequential), without a second full-length array."""
    carry = 0.0
    for start in range(0, x.shape[0], chunk):
        part = np.array(x[start : start + chunk], dtype=np.float64)
        if start:
            part[0] += carry
        np.cumsum(part, out=part)
        out[start + 1 : start + 1 + part.shape[0]] += part
        carry = float(part[-1])


def _running_count(counts: IntArray, start: int, stop: int) -> FloatArray:
    """``_cumulative(counts)[start:stop]`` from the total before ``start``: whole numbers add up
    exactly in any order (below 2**53)."""
    out = np.empty(stop - start, dtype=np.float64)
    out[0] = counts[:start].sum()
    np.cumsum(counts[start : stop - 1], out=out[1:])
    out[1:] += out[0]
    return out


def _auc(tp: FloatArray, fp: FloatArray, positives: int, negatives: int) -> float | None:
    """P(score of a positive > score of a negative) + P(equal) / 2, the Mann-Whitney U / (P N).

    Each positive in group ``j`` outranks the negatives of the later groups and ties the
    negatives of its own: ``U = sum_j pos_j (N - fp_j) + pos_j neg_j / 2``, with ``fp_j`` the
    negatives in groups ``0..j``. Dot products, so no array of products is allocated.
    """
    if positives == 0 or negatives == 0:
        return None
    pos = np.diff(tp)
    neg = np.diff(fp)
    u = float(np.dot(pos, negatives - fp[1:]) + 0.5 * np.dot(pos, neg))
    return u / (positives * negatives)


def _average_precision(tp: FloatArray, targeted: FloatArray, positives: int) -> float | None:
    """``sum_j (pos_j / P) * precision_j``: the recall step at group ``j`` times its precision."""
    if positives == 0:
        return None
    return float(np.dot(np.diff(tp), tp[1:] / targeted[1:]) / positives)


# ------------------------------------------------------------------------------------ optimum


@dataclass(frozen=True)
class Constraint:
    """A condition on the curve's columns that the chosen point must meet.

    Attributes:
        expr: a condition of :mod:`mlroi.decision.expr`, e.g. ``fpr <= 0.005``.
        field: where it comes from (e.g. ``"decision.constraints[1]"``); starts every error.
    """

    expr: Expr
    field: str = ""

    @classmethod
    def parse(cls, text: str, field: str = "") -> Constraint:
        """Parse ``text`` as a condition; raises :class:`ExprError` located at ``field``."""
        return cls(parse(text, field=field, kind="condition"), field)


@dataclass(frozen=True)
class Decision:
    """The best feasible threshold, or why there is none.

    Attributes:
        status: ``"optimal"``, or ``"infeasible"`` when no point meets every constraint (or the
            objective is undefined at all that do).
        objective: the objective maximised, e.g. ``"value"``.
        constraints: the constraints, as parsed and printed.
        index: the chosen point's index on the curve; ``None`` when infeasible.
        point: the chosen point's row (see :meth:`ValueCurve.row`); ``None`` when infeasible.
        unconstrained: the row of the best point without constraints.
        given_up: objective of ``unconstrained`` minus that of ``point`` (``>= 0``).
        binding: one sentence per constraint that stops the nearest more valuable point on
            either side, e.g. "a lower threshold (0.183) would raise fpr to 0.0071, over the
            limit fpr <= 0.005". Empty when the chosen point is the unconstrained optimum.
        reason: why the decision is infeasible; ``None`` when optimal.
    """

    status: Literal["optimal", "infeasible"]
    objective: str
    constraints: tuple[str, ...]
    index: int | None
    point: dict[str, float] | None
    unconstrained: dict[str, float] | None
    given_up: float | None
    binding: tuple[str, ...]
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (thresholds may be ``inf``: serialise with
        :func:`mlroi.serialize.dumps`)."""
        return {
            "status": self.status,
            "objective": self.objective,
            "constraints": list(self.constraints),
            "index": self.index,
            "point": self.point,
            "unconstrained": self.unconstrained,
            "given_up": self.given_up,
            "binding": list(self.binding),
            "reason": self.reason,
        }


def optimum(
    curve: ValueCurve,
    constraints: Sequence[str | Constraint] = (),
    objective: str = "value",
) -> Decision:
    """The point with the highest objective among those meeting every constraint.

    Each constraint is evaluated at every point at once. Among the feasible points with a
    defined (non-NaN) objective, the highest objective wins; a tie goes to the point that
    targets fewer rows. No feasible point gives ``status="infeasible"`` with a reason; this
    function never raises for infeasibility.

    Args:
        curve: the value curve.
        constraints: conditions over the curve's columns, e.g. ``"recall >= 0.6"``,
            ``"targeted <= 10000"``, ``"discounts_given <= value_retained"``; a string is
            parsed with the field ``constraints[i]``.
        objective: a number expression over the columns to maximise, e.g. ``"value"`` or
            ``"value - 0.5 * targeted"``.

    Raises:
        ExprError: a constraint or the objective does not parse, is the wrong kind, names an
            unknown column (with a did-you-mean), or divides by zero at some point.

    Example:
        >>> g = ScoreGroups.from_rows([0.9, 0.8, 0.3], [1, 0, 1], [10.0, -2.0, 10.0], [0.0] * 3)
        >>> d = optimum(value_curve(g), ["targeted <= 2"])
        >>> d.status, d.point["threshold"], d.given_up
        ('optimal', 0.9, 8.0)
    """
    names = curve._names()
    goal_expr = bind(
        parse(objective, field="objective", kind="number"), names, {}, field="objective"
    )
    goal = np.asarray(_evaluate(goal_expr, curve, "objective"), dtype=np.float64)
    checks = [_bound(c, i, names) for i, c in enumerate(constraints)]
    holds = [np.asarray(_evaluate(c.expr, curve, c.field), dtype=bool) for c in checks]
    feasible = np.logical_and.reduce(holds) if holds else np.ones(len(curve), dtype=bool)
    defined = ~np.isnan(goal)
    texts = tuple(str(c.expr) for c in checks)

    unconstrained = _best(goal, defined)
    chosen = _best(goal, feasible & defined) if holds else unconstrained
    best_row = None if unconstrained is None else curve.row(unconstrained)
    if chosen is None:
        return Decision(
            status="infeasible",
            objective=objective,
            constraints=texts,
            index=None,
            point=None,
            unconstrained=best_row,
            given_up=None,
            binding=(),
            reason=_infeasible_reason(curve, checks, holds, objective, feasible),
        )
    assert unconstrained is not None
    return Decision(
        status="optimal",
        objective=objective,
        constraints=texts,
        index=chosen,
        point=curve.row(chosen),
        unconstrained=best_row,
        given_up=float(goal[unconstrained] - goal[chosen]),
        binding=tuple(_binding(curve, checks, holds, goal, defined, chosen, unconstrained)),
        reason=None,
    )


def _bound(constraint: str | Constraint, i: int, names: list[str]) -> Constraint:
    if isinstance(constraint, str):
        constraint = Constraint.parse(constraint, field=f"constraints[{i}]")
    if not constraint.expr.is_condition:
        raise ExprError(
            "a constraint must be a condition, e.g. recall >= 0.6", field=constraint.field
        )
    return Constraint(bind(constraint.expr, names, {}, field=constraint.field), constraint.field)


def _evaluate(expr: Expr, curve: ValueCurve, field: str) -> npt.NDArray[Any]:
    """``expr`` at every point of the curve, building only the columns it reads."""
    if isinstance(expr, Name):
        return curve._column(expr.id)  # what evaluate returns, without copying the column
    data = {name: curve._column(name) for name in expr.names()}
    return np.broadcast_to(evaluate(expr, data, field=field), (len(curve),))


def _best(goal: FloatArray, allowed: npt.NDArray[np.bool_]) -> int | None:
    """Index of the highest ``goal`` among ``allowed`` points; the first (fewest targeted) on a
    tie. ``allowed`` points have a defined (non-NaN) goal."""
    if allowed.all():
        return int(np.argmax(goal))
    best = int(np.argmax(np.where(allowed, goal, -np.inf)))
    if allowed[best]:
        return best
    # no allowed point, or every allowed goal is -inf: the first allowed point, if any
    first = int(np.argmax(allowed))
    return first if allowed[first] else None


def _binding(
    curve: ValueCurve,
    checks: Sequence[Constraint],
    holds: Sequence[npt.NDArray[np.bool_]],
    goal: FloatArray,
    defined: npt.NDArray[np.bool_],
    chosen: int,
    unconstrained: int,
) -> list[str]:
    """What stops the nearest point with a higher objective on each side of the chosen one.

    Every such point is infeasible (the chosen point is the best feasible one), so at least one
    constraint fails there; each failing constraint gets a sentence.
    """
    if not goal[unconstrained] > goal[chosen]:
        return []  # no point is better: nothing binds
    better = defined & (goal > goal[chosen])
    neighbours: list[int] = []
    lower = better[chosen + 1 :]
    if lower.any():
        neighbours.append(chosen + 1 + int(np.argmax(lower)))
    higher = better[:chosen]
    if higher.any():
        neighbours.append(chosen - 1 - int(np.argmax(higher[::-1])))
    sentences: list[str] = []
    for other in neighbours:
        if other == 0:
            where = "acting on nobody"
        else:
            direction = "lower" if other > chosen else "higher"
            where = f"a {direction} threshold ({_threshold(curve._at('threshold', other))})"
        for check, ok in zip(checks, holds, strict=True):
            if not ok[other]:
                sentences.append(_breach(check.expr, curve, other, chosen, where))
    return sentences


_FLIPPED: dict[str, str] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _simple(expr: Expr) -> tuple[str, str, float] | None:
    """``(column, op, limit)`` for ``column op number`` or ``number op column``, else None."""
    match expr:
        case Compare(op, Name(column), Num(limit)):
            return column, op, limit
        case Compare(op, Num(limit), Name(column)):
            return column, _FLIPPED[op], limit
    return None


def _breach(expr: Expr, curve: ValueCurve, other: int, chosen: int, where: str) -> str:
    simple = _simple(expr)
    if simple is not None and simple[1] in ("<", "<=", ">", ">="):
        column, op, limit = simple
        now, there = curve._at(column, chosen), curve._at(column, other)
        if math.isnan(there):
            return f"{where} would leave {column} undefined, failing {expr}"
        verb = "raise" if there > now else "lower" if there < now else "keep"
        side = "over" if op in ("<", "<=") else "under"
        shown = _distinct(there, limit)
        return f"{where} would {verb} {column} to {shown}, {side} the limit {expr}"
    values = ", ".join(f"{name} = {_number(curve._at(name, other))}" for name in _names(expr))
    return f"{where} would break {expr} ({values})"


def _infeasible_reason(
    curve: ValueCurve,
    checks: Sequence[Constraint],
    holds: Sequence[npt.NDArray[np.bool_]],
    objective: str,
    feasible: npt.NDArray[np.bool_],
) -> str:
    never = [(c, ok) for c, ok in zip(checks, holds, strict=True) if not ok.any()]
    if never:
        parts = [_closest(c.expr, curve) for c, _ in never]
        return "no threshold meets " + "; ".join(parts)
    if feasible.any():
        return f"the objective {objective} is undefined at every threshold meeting the constraints"
    parts = [
        f"{c.expr} holds {_where(ok, curve)}"
        for c, ok in zip(checks, holds, strict=True)
        if not ok.all()
    ]
    return "each constraint holds at some threshold but no threshold meets all: " + "; ".join(parts)


def _closest(expr: Expr, curve: ValueCurve) -> str:
    """A constraint that holds nowhere, and the closest any threshold gets to it."""
    simple = _simple(expr)
    if simple is None or simple[1] in ("==", "!="):
        return f"{expr}"
    column, op, limit = simple
    values = curve._column(column)
    if bool(np.all(np.isnan(values))):
        return f"{expr}: {column} is undefined at every threshold"
    if op in (">", ">="):
        best = float(np.nanmax(values))
        return f"{expr}: the highest {column} at any threshold is {_distinct(best, limit)}"
    best = float(np.nanmin(values))
    return f"{expr}: the lowest {column} at any threshold is {_distinct(best, limit)}"


def _where(ok: npt.NDArray[np.bool_], curve: ValueCurve) -> str:
    """The thresholds at which a constraint holds, in words (point 0 is acting on nobody)."""
    first, last = int(np.argmax(ok)), ok.size - 1 - int(np.argmax(ok[::-1]))
    count = int(np.count_nonzero(ok))
    lowest = _threshold(curve._at("threshold", last))
    highest = _threshold(curve._at("threshold", first))
    if last == 0:
        return "only when acting on nobody"
    if count != last - first + 1:
        return f"at {count} of {ok.size} thresholds, the lowest {lowest}"
    if first == 0:
        return f"only at thresholds >= {lowest}"
    if last == ok.size - 1:
        return f"only at thresholds <= {highest}"
    return f"only at thresholds from {lowest} to {highest}"


def _names(expr: Expr) -> list[str]:
    found: list[str] = []
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name) and node.id not in found:
            found.append(node.id)
        stack.extend(reversed(node.children()))
    return found


def _threshold(x: float) -> str:
    return "+inf" if math.isinf(x) else f"{x:.6g}"


def _number(x: float, digits: int = 4) -> str:
    """A number for a sentence: ``digits`` significant digits, thousands separated."""
    if not math.isfinite(x):
        return str(x)
    if x == math.floor(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) < 1e-3:
        return f"{x:.{digits}g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:,.0f}"


def _distinct(x: float, limit: float) -> str:
    """``x`` with enough digits not to print like ``limit`` (0.0050004 is not "0.005")."""
    for digits in range(4, 18):
        text = _number(x, digits)
        if x == limit or text != _number(limit, digits):
            return text
    return repr(x)
