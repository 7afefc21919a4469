"""The exact value of acting on a model's scores at every threshold.

With the score groups sorted by score, highest first, the point at group ``j`` acts on groups
``0..j`` and leaves the rest, so every count and value on the curve is a cumulative sum read at
the end of a tied group: one sort and a few ``cumsum`` calls, ``O(n log n)`` for ``n`` rows and
exact (no interpolation, no sampling of thresholds).

For a point that acts on the top ``k`` rows (``k`` = targeted), with ``P`` positives among ``n``:

- ``tp`` = positives acted on, ``fp = k - tp``, ``fn = P - tp``, ``tn = n - P - fp``;
- ``precision = tp / k`` (NaN at ``k = 0``: acting on nobody has no precision),
  ``recall = tp / P``, ``fpr = fp / (n - P)``, ``f1 = 2 tp / (2 tp + fp + fn)``;
- ``value = sum(act over acted rows) + sum(leave over the other rows)``, and
  ``incremental_value = value - value(acting on nobody)``.

:func:`mlroi.decision.optimum.optimum` picks the best point under constraints.

References:
    Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition Letters 27(8),
    861-874 (ROC points from one sorted pass; ties handled by group, AUC with ties counted half).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.decision.arrays import FloatArray, IntArray, frozen
from mlroi.decision.score_groups import CURVE_COLUMNS, ScoreGroups

__all__ = ["ValueCurve", "cumulative_value", "value_curve"]


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
        return frozen(np.r_[np.inf, self.groups.score])

    @cached_property
    def targeted(self) -> FloatArray:
        """Rows acted on."""
        return frozen(_cumulative(self.groups.n))

    @cached_property
    def tp(self) -> FloatArray:
        """Positive rows acted on."""
        return frozen(_cumulative(self.groups.positives))

    @cached_property
    def value(self) -> FloatArray:
        """Value of acting on the targeted rows and leaving the others alone."""
        return frozen(cumulative_value(self.groups.act, self.groups.leave))

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
        return frozen(self.value - self.value[0])

    def _derived(self, name: str) -> FloatArray:
        return frozen(np.asarray(_derive(name, self._column, self.n, self.positives)))

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
            self._sums[name] = frozen(_cumulative(self.groups.sums[name]))
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
