"""Uplift (Qini) curves from a randomized treatment flag, and the value of targeting by a ranking.

A churn model ranks customers by risk; a retention offer is worth sending to the customers whose
behaviour it changes, not to the riskiest. With a randomized treatment flag (some customers were
offered the discount at random, the others were not), the effect of treating the top ``k`` rows
of any ranking can be estimated: within the top ``k``, treated and control rows are two random
samples of the same customers, so the difference of their favourable-outcome rates estimates what
the treatment does to those customers.

Rows with equal scores are indistinguishable to a ranking, so they form one group and the cut
points are the distinct scores, highest first (as in :mod:`mlroi.decision.curve`). For the top
``k`` rows at a cut, with ``N_T, N_C`` treated and control rows and ``Y_T, Y_C`` favourable
outcomes among them (``favourable`` is the label value the treatment aims for: 0 = stayed, for
churn), ``p_T = Y_T / N_T`` and ``p_C = Y_C / N_C``:

- **incremental** (primary; the *uplift curve* of Gutierrez & Gérardy 2017 and scikit-uplift's
  ``uplift_curve``): ``(p_T - p_C) * (N_T + N_C)``, the estimated favourable outcomes gained if
  all ``k`` rows were treated rather than none. This is the number a targeting decision needs.
- **qini** (Radcliffe 2007, in the per-cut form of Gutierrez & Gérardy 2017 and scikit-uplift's
  ``qini_curve``): ``Y_T - Y_C * N_T / N_C = (p_T - p_C) * N_T``, the same rate difference
  counted in treated rows only. Some write-ups scale the control by the *overall*
  ``N_T / N_C`` instead of the ratio at the cut; the two differ when the treated share varies
  along the ranking. causalml's ``get_qini`` and ``get_cumgain`` use the ratio at the cut too,
  but one point per row rather than per distinct score.
- **favourable_anyway**: ``p_C * (N_T + N_C)``, how many of the ``k`` would have had the
  favourable outcome without treatment (for churn: would have stayed anyway), so that a
  discount sent to them buys nothing.

Undefined points are NaN, not zero: ``p_T`` or ``p_C`` (and so ``incremental``) at a cut whose
prefix has no treated or no control rows, ``qini`` where it has treated but no control rows.
Both arms' counts only grow along the ranking, so such points only occur at the start of a
curve. scikit-uplift counts an empty arm's rate as 0 instead, which biases those points.

Standard errors are those of a difference of two independent proportions (Wald, the binomial
variance ``p (1 - p) / N`` per arm), scaled by the rows the estimate is counted in:
``se(incremental) = (N_T + N_C) sqrt(p_T (1 - p_T) / N_T + p_C (1 - p_C) / N_C)``; the cut
(which rows are in the top ``k``) is taken as fixed. Per-row amounts (a customer's lifetime value
as the value of keeping them) use the same formula with each arm's mean and variance of
``amount * [favourable]`` from per-arm sums and sums of squares, so a column of ones reproduces
the counts exactly.

A budget that ends inside a tied group takes a random part of it; the counts at such a budget
are interpolated linearly between the two cut points (their expectation under a random
tie-break), and the areas below use the same straight lines (trapezoids).

Money (:func:`targeting_curve`): ``incremental_value`` is ``incremental`` times a value per
outcome, or for a per-row amount such as lifetime value ``(N_T + N_C)`` times the difference of
the arms' means of ``amount * [favourable]``; ``cost`` is a cost per row times the rows
targeted, or a per-row amount summed over them (known, not estimated); ``anyway_cost`` is the
part of it spent on the ``favourable_anyway`` rows; ``net_value = incremental_value - cost``.
:func:`compare_targeting` values several rankings of the same rows (risk, predicted uplift) at
matched budgets and finds the best budget of each.

Summaries of a whole curve, both 0 for random targeting and positive when the ranking is better:

- ``auuc``: the area between the uplift curve and the random-targeting line (the straight line
  to the last point), with the share targeted on the x axis and incremental outcomes per row on
  the y axis: the extra incremental rate over random targeting, averaged over budgets.
- ``qini_coefficient``: Radcliffe's Q, the area between the Qini curve and the random line
  divided by the same area for the perfect ranking (treated favourable rows first, control
  favourable rows last); it equals scikit-uplift's ``qini_auc_score(negative_effect=True)``
  (checked against its 0.5.1 output) except where scikit-uplift zeroes an undefined start.
  causalml's ``qini_score`` instead divides the curve by its last value, and so is undefined
  when the overall effect is zero.

References:
    Radcliffe, N. J. (2007). Using control groups to target on predicted lift: building and
    assessing uplift models. Direct Marketing Analytics Journal 1, 14-21.
    Gutierrez, P. and Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a review of
    the literature. Proceedings of Machine Learning Research 67, 1-13.
    scikit-uplift, ``sklift.metrics``: ``uplift_curve``, ``qini_curve``, ``perfect_qini_curve``
    and ``qini_auc_score``.
"""

from __future__ import annotations

import difflib
import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from mlroi.backend.compile import to_ibis
from mlroi.decision.aggregate import _fetch, exact_sum
from mlroi.decision.curve import (
    _frozen,
    _group_scores,
    _vector,
)  # shared array checks of the decision layer
from mlroi.errors import DataError
from mlroi.expr import Expr, bind, parse, zero_divisors
from mlroi.money import money
from mlroi.stats.distributions import normal_ppf
from mlroi.stats.lift import Interval

__all__ = [
    "QINI_COLUMNS",
    "TARGETING_COLUMNS",
    "QiniCurve",
    "TargetingComparison",
    "TargetingCurve",
    "TargetingPoint",
    "UpliftGroups",
    "compare_targeting",
    "qini_curve",
    "targeting_curve",
    "uplift_groups",
    "uplift_groups_many",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

CONTROL, TREATED = 0, 1
"""Index of each arm on the second axis of the cell arrays: ``[group, arm, label]``."""

QINI_COLUMNS = (
    "threshold",
    "targeted",
    "share_targeted",
    "n_treated",
    "n_control",
    "favourable_treated",
    "favourable_control",
    "rate_treated",
    "rate_control",
    "uplift",
    "incremental",
    "se_incremental",
    "qini",
    "se_qini",
    "favourable_anyway",
)
"""The columns of a :class:`QiniCurve`, in order."""

TARGETING_COLUMNS = (
    "incremental_value",
    "se_incremental_value",
    "cost",
    "anyway_cost",
    "net_value",
)
"""The money columns a :class:`TargetingCurve` adds to its Qini curve's columns."""


# ------------------------------------------------------------------------------- uplift groups


@dataclass(frozen=True, eq=False)
class UpliftGroups:
    """Rows grouped by distinct score, highest first, and within a group by arm and label.

    What a backend returns from one ``GROUP BY score, treated, label`` query: every curve and
    value here is computed from these cells. Validation raises ``ValueError``; the backend
    function turns bad data into a ``DataError`` naming the column before it gets here. Arrays
    are stored read-only.

    Attributes:
        score: the group's score, strictly decreasing, finite.
        n: rows per cell, shape ``(groups, 2, 2)`` indexed ``[group, arm, label]`` with arm 0
            control and 1 treated; every group has a row, and both arms have rows overall.
        sums: per-row amounts summed per cell, by name (e.g. ``clv``, ``offer_cost``), each of
            shape ``(groups, 2, 2)``.
        squares: the sums of the squared amounts per cell, same names and shapes as ``sums``
            (for standard errors).

    Example:
        >>> g = UpliftGroups.from_rows([0.9, 0.9, 0.2], label=[0, 1, 0], treated=[1, 0, 0])
        >>> g.score.tolist(), g.n_treated.tolist(), g.n_control.tolist()
        ([0.9, 0.2], [1, 0], [1, 1])
    """

    score: FloatArray
    n: IntArray
    sums: Mapping[str, FloatArray] = field(default_factory=dict)
    squares: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        score = _group_scores(self.score)
        size = score.shape[0]
        n = _cells_of_counts(self.n, size)
        if not bool(np.all(n.sum(axis=(1, 2)) >= 1)):
            raise ValueError("n: every group needs at least one row")
        arms = n.sum(axis=(0, 2))
        for arm, word in ((TREATED, "treated"), (CONTROL, "control")):
            if arms[arm] == 0:
                raise ValueError(f"there are no {word} rows: uplift needs both arms")
        if set(self.sums) != set(self.squares):
            raise ValueError("sums and squares must name the same amounts")
        sums: dict[str, FloatArray] = {}
        squares: dict[str, FloatArray] = {}
        for name in self.sums:
            _check_sum_name(name)
            sums[name] = _frozen(_cells_of_amounts(self.sums[name], name, size))
            squares[name] = _frozen(_cells_of_amounts(self.squares[name], name, size))
        object.__setattr__(self, "score", _frozen(score))
        object.__setattr__(self, "n", _frozen(n))
        object.__setattr__(self, "sums", sums)
        object.__setattr__(self, "squares", squares)

    @property
    def n_treated(self) -> IntArray:
        """Treated rows per group."""
        rows: IntArray = self.n[:, TREATED].sum(axis=1)
        return rows

    @property
    def n_control(self) -> IntArray:
        """Control rows per group."""
        rows: IntArray = self.n[:, CONTROL].sum(axis=1)
        return rows

    @property
    def positives_treated(self) -> IntArray:
        """Treated rows with label 1 per group."""
        return self.n[:, TREATED, 1]

    @property
    def positives_control(self) -> IntArray:
        """Control rows with label 1 per group."""
        return self.n[:, CONTROL, 1]

    @classmethod
    def from_rows(
        cls,
        score: npt.ArrayLike,
        label: npt.ArrayLike,
        treated: npt.ArrayLike,
        sums: Mapping[str, npt.ArrayLike] | None = None,
    ) -> UpliftGroups:
        """Group rows in memory: one sort, then counts and sums per (score, arm, label) cell.

        Args:
            score: one score per row (finite; higher means treat first).
            label: 1 for a positive row, 0 otherwise (booleans allowed).
            treated: 1 for a treated row, 0 for a control row (booleans allowed).
            sums: per-row amounts to sum per cell, by name.

        Raises:
            ValueError: arrays of different lengths, no rows, a NaN or infinite value, a label
                or treatment flag other than 0/1, or no rows in one arm.
        """
        s = _vector(score, "score")
        size = s.shape[0]
        if size == 0:
            raise ValueError("there are no rows to score")
        y = _binary(label, "label", size)
        t = _binary(treated, "treated", size)
        amounts = {name: _vector(v, name, size) for name, v in (sums or {}).items()}
        order = np.argsort(s)[::-1]
        ordered = s[order]
        starts = np.r_[True, ordered[1:] != ordered[:-1]]
        groups = int(starts.sum())
        cell = (np.cumsum(starts) - 1) * 4 + t[order] * 2 + y[order]

        def per_cell(weights: FloatArray | None) -> npt.NDArray[Any]:
            counted = np.bincount(cell, weights=weights, minlength=groups * 4)
            return counted.reshape(groups, 2, 2)

        return cls(
            score=ordered[starts],
            n=per_cell(None).astype(np.int64),
            sums={name: per_cell(v[order]) for name, v in amounts.items()},
            squares={name: per_cell(v[order] ** 2) for name, v in amounts.items()},
        )


def _binary(x: npt.ArrayLike, name: str, size: int) -> IntArray:
    values = _vector(x, name, size)
    if not bool(np.all((values == 0) | (values == 1))):
        raise ValueError(f"{name} must be 0 or 1 in every row")
    return values.astype(np.int64)


def _cells_of_counts(x: npt.ArrayLike, groups: int) -> IntArray:
    given = np.asarray(x)
    if given.shape != (groups, 2, 2):
        raise ValueError(f"n must have shape ({groups}, 2, 2), got {given.shape}")
    values = given.astype(np.float64)
    if not bool(np.all(np.isfinite(values) & (values >= 0) & (values == np.floor(values)))):
        raise ValueError("n must be whole numbers >= 0")
    return values.astype(np.int64)


def _cells_of_amounts(x: npt.ArrayLike, name: str, groups: int) -> FloatArray:
    values = np.asarray(x, dtype=np.float64)
    if values.shape != (groups, 2, 2):
        raise ValueError(f"{name} must have shape ({groups}, 2, 2), got {values.shape}")
    if not bool(np.all(np.isfinite(values))):
        raise ValueError(f"{name} has NaN or infinite sums")
    return values


def _check_sum_name(name: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f'sum "{name}" needs an identifier as its name, e.g. "offer_cost"')


# ------------------------------------------------------------------------------ cumulative cells


@dataclass(frozen=True, eq=False)
class _Cells:
    """Cells accumulated over the rows targeted, one entry per point: shape ``(points, 2, 2)``.

    Float arrays, so that a budget inside a tied group can interpolate them.
    """

    n: FloatArray
    sums: Mapping[str, FloatArray]
    squares: Mapping[str, FloatArray]

    @classmethod
    def accumulate(cls, groups: UpliftGroups) -> _Cells:
        return cls(
            n=_cumulative(groups.n),
            sums={k: _cumulative(v) for k, v in groups.sums.items()},
            squares={k: _cumulative(v) for k, v in groups.squares.items()},
        )

    def between(self, j: int, frac: float) -> _Cells:
        """The single point ``frac`` of the way from point ``j`` to point ``j + 1``."""

        def at(x: FloatArray) -> FloatArray:
            if frac == 0.0:
                return x[j : j + 1]
            return x[j : j + 1] + frac * (x[j + 1 : j + 2] - x[j : j + 1])

        return _Cells(
            n=at(self.n),
            sums={k: at(v) for k, v in self.sums.items()},
            squares={k: at(v) for k, v in self.squares.items()},
        )


def _cumulative(x: npt.NDArray[Any]) -> FloatArray:
    """``[0, x0, x0 + x1, ...]`` along the first axis."""
    out = np.zeros((x.shape[0] + 1, *x.shape[1:]), dtype=np.float64)
    np.cumsum(x, axis=0, out=out[1:])
    return _frozen(out)


def _difference(
    treated: tuple[FloatArray, FloatArray, FloatArray],
    control: tuple[FloatArray, FloatArray, FloatArray],
    scale: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``scale * (mean_T - mean_C)`` and its standard error, from ``(sum, squares, rows)`` per
    arm; also each arm's mean. Zero where ``scale`` is zero (nobody targeted), NaN where an arm
    has no rows.

    Each arm's variance of the mean is ``(squares / rows - mean**2) / rows``: the binomial
    ``p (1 - p) / rows`` for a 0/1 amount, so counts and a column of ones agree exactly.
    """
    means: list[FloatArray] = []
    variances: list[FloatArray] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for total, squares, rows in (treated, control):
            mean = total / rows
            means.append(mean)
            # a one-pass variance can come out a rounding error below zero
            variances.append(np.maximum(squares / rows - mean**2, 0.0) / rows)
        estimate = np.where(scale > 0, scale * (means[0] - means[1]), 0.0)
        std_error = np.where(scale > 0, scale * np.sqrt(variances[0] + variances[1]), 0.0)
    return estimate, std_error, means[0], means[1]


def _count_columns(cells: _Cells, favourable: int, total: int) -> dict[str, FloatArray]:
    """Every column of :data:`QINI_COLUMNS` but the threshold, at every point of ``cells``
    (``total`` rows overall): the one place these numbers are computed."""
    n = cells.n
    n_t, n_c = n[:, TREATED].sum(axis=1), n[:, CONTROL].sum(axis=1)
    y_t, y_c = n[:, TREATED, favourable], n[:, CONTROL, favourable]
    targeted = n_t + n_c
    # a 0/1 indicator is its own square
    incremental, se, rate_t, rate_c = _difference((y_t, y_t, n_t), (y_c, y_c, n_c), targeted)
    with np.errstate(divide="ignore", invalid="ignore"):
        qini = np.where(n_c > 0, y_t - y_c * n_t / n_c, np.where(n_t > 0, np.nan, 0.0))
        se_qini = np.where(n_t > 0, se * n_t / targeted, 0.0)
        anyway = np.where(targeted > 0, rate_c * targeted, 0.0)
    return {
        "targeted": targeted,
        "share_targeted": targeted / total,
        "n_treated": n_t,
        "n_control": n_c,
        "favourable_treated": y_t,
        "favourable_control": y_c,
        "rate_treated": rate_t,
        "rate_control": rate_c,
        "uplift": rate_t - rate_c,
        "incremental": incremental,
        "se_incremental": se,
        "qini": qini,
        "se_qini": se_qini,
        "favourable_anyway": anyway,
    }


def _area_over_random(x: FloatArray, y: FloatArray) -> float:
    """Trapezoid area between the defined points of ``(x, y)`` and the straight line from the
    origin to the last point (random targeting). The first point is the origin; undefined
    points (NaN, only at the start) are drawn straight through."""
    keep = ~np.isnan(y)
    xs, ys = x[keep], y[keep]
    area = float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1])) / 2.0)
    return area - float(x[-1] * y[-1]) / 2.0


def _locate(targeted: FloatArray, k: float) -> tuple[int, float]:
    """The point ``j`` at or before ``k`` rows, and how far ``k`` lies towards point ``j + 1``."""
    j = int(np.searchsorted(targeted, k, side="right")) - 1
    if j >= targeted.shape[0] - 1:
        return targeted.shape[0] - 1, 0.0
    return j, float((k - targeted[j]) / (targeted[j + 1] - targeted[j]))


def _rows_of_budget(n: int, k: float | None, share: float | None) -> float:
    if (k is None) == (share is None):
        raise ValueError("give exactly one of k (rows) and share (of the rows)")
    if share is not None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be between 0 and 1, got {share}")
        return share * n
    assert k is not None
    if not 0 <= k <= n:
        raise ValueError(f"k must be a number of rows between 0 and {n:,}, got {k}")
    return float(k)


# ---------------------------------------------------------------------------------- Qini curve


@dataclass(frozen=True, eq=False)
class QiniCurve:
    """Uplift and Qini estimates at every distinct-score cut of a ranking, one entry per point.

    Point 0 treats nobody (``threshold = +inf``); point ``j >= 1`` treats every row with
    ``score >= threshold[j]``. Formulas, conventions and references are in the module
    docstring; undefined points are NaN.

    Attributes:
        favourable: the label value the treatment aims for (0 = stayed, for churn).
        threshold: treat rows with ``score >= threshold``.
        targeted: rows treated (``N_T + N_C``); ``share_targeted`` is ``targeted / n``.
        n_treated, n_control: treated and control rows among them.
        favourable_treated, favourable_control: their favourable outcomes (``Y_T``, ``Y_C``).
        rate_treated, rate_control: ``Y_T / N_T`` and ``Y_C / N_C``.
        uplift: ``rate_treated - rate_control``.
        incremental: ``uplift * targeted``, favourable outcomes gained by treating the
            targeted rows rather than none (the uplift curve); ``se_incremental`` its
            standard error.
        qini: ``Y_T - Y_C * N_T / N_C`` (the Qini curve); ``se_qini`` its standard error.
        favourable_anyway: ``rate_control * targeted``, targeted rows with the favourable
            outcome without treatment.
        n, total_treated, total_control: rows overall and in each arm.
        auuc: area between the uplift curve and random targeting, per row (module docstring).
        qini_coefficient: Radcliffe's Q; NaN when the perfect ranking does no better than
            random.
        cells: the cumulative cells behind every point (for :func:`targeting_curve`).

    Example:
        >>> g = UpliftGroups.from_rows(
        ...     [0.9] * 4 + [0.1] * 2, label=[0, 0, 0, 1, 1, 0], treated=[1, 1, 0, 0, 1, 0]
        ... )
        >>> c = qini_curve(g, favourable=0)
        >>> c.incremental.tolist(), c.qini.tolist(), c.favourable_anyway.tolist()
        ([0.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 2.0, 4.0])
    """

    favourable: int
    threshold: FloatArray
    targeted: FloatArray
    share_targeted: FloatArray
    n_treated: FloatArray
    n_control: FloatArray
    favourable_treated: FloatArray
    favourable_control: FloatArray
    rate_treated: FloatArray
    rate_control: FloatArray
    uplift: FloatArray
    incremental: FloatArray
    se_incremental: FloatArray
    qini: FloatArray
    se_qini: FloatArray
    favourable_anyway: FloatArray
    n: int
    total_treated: int
    total_control: int
    auuc: float
    qini_coefficient: float
    cells: _Cells = field(repr=False)

    @property
    def columns(self) -> dict[str, FloatArray]:
        """Every column of :data:`QINI_COLUMNS` by name."""
        return {name: getattr(self, name) for name in QINI_COLUMNS}

    def __len__(self) -> int:
        return int(self.threshold.shape[0])

    def row(self, index: int) -> dict[str, float]:
        """The point at ``index`` as ``{column: value}``."""
        return {name: float(values[index]) for name, values in self.columns.items()}

    def at_budget(self, k: float | None = None, *, share: float | None = None) -> dict[str, float]:
        """The estimates for treating exactly the top ``k`` rows (or ``share`` of the rows).

        A budget inside a tied group treats a random part of it: the counts are interpolated
        between the two cut points around ``k`` and every column is computed from them;
        ``threshold`` is the score of the group cut into.

        Raises:
            ValueError: neither or both of ``k`` and ``share``, or a value out of range.
        """
        j, frac = _locate(self.targeted, _rows_of_budget(self.n, k, share))
        point = _count_columns(self.cells.between(j, frac), self.favourable, self.n)
        threshold = self.threshold[j + 1] if frac > 0 else self.threshold[j]
        return {"threshold": float(threshold)} | {k: float(v[0]) for k, v in point.items()}

    def to_dict(self) -> dict[str, Any]:
        """The scalars and every column as lists (NaN and inf kept as floats)."""
        return {
            "favourable": self.favourable,
            "n": self.n,
            "total_treated": self.total_treated,
            "total_control": self.total_control,
            "auuc": self.auuc,
            "qini_coefficient": self.qini_coefficient,
            "columns": {name: values.tolist() for name, values in self.columns.items()},
        }


def qini_curve(groups: UpliftGroups, *, favourable: Literal[0, 1]) -> QiniCurve:
    """Uplift, Qini and the favourable-anyway count at every distinct-score cut, in
    ``O(groups)``.

    Args:
        groups: rows grouped by score, highest first, split by arm and label.
        favourable: the label value the treatment aims for: 0 when the label is a bad outcome
            the treatment prevents (churned), 1 when it is a good one it causes (converted).

    Returns:
        The curve with ``len(groups.score) + 1`` points, the first treating nobody.

    Raises:
        ValueError: ``favourable`` is not 0 or 1.

    Example:
        >>> g = UpliftGroups.from_rows([0.9, 0.9, 0.1, 0.1], [0, 1, 1, 1], [1, 0, 1, 0])
        >>> qini_curve(g, favourable=0).incremental.tolist()
        [0.0, 2.0, 2.0]
    """
    if favourable not in (0, 1) or isinstance(favourable, bool):
        raise ValueError(f"favourable must be 0 or 1 (the label value aimed for), got {favourable}")
    cells = _Cells.accumulate(groups)
    n = int(cells.n[-1].sum())
    columns = _count_columns(cells, favourable, n)
    totals = cells.n[-1].sum(axis=1)
    y_t, y_c = float(cells.n[-1, TREATED, favourable]), float(cells.n[-1, CONTROL, favourable])
    last = float(columns["qini"][-1])
    # the perfect ranking: treated favourable rows, then every unfavourable row, then control
    # favourable rows; its Qini curve has these corners (the first segment has no control
    # rows, but no control favourable rows either, so it is y_t exactly)
    perfect_x = np.array([0.0, y_t, n - y_c, n])
    perfect_y = np.array([0.0, y_t, y_t, last])
    perfect = _area_over_random(perfect_x, perfect_y)
    gain = _area_over_random(columns["targeted"], columns["qini"])
    auuc = _area_over_random(columns["share_targeted"], columns["incremental"] / n)
    return QiniCurve(
        favourable=int(favourable),
        threshold=_frozen(np.r_[np.inf, groups.score]),
        **{name: _frozen(values) for name, values in columns.items()},
        n=n,
        total_treated=int(totals[TREATED]),
        total_control=int(totals[CONTROL]),
        auuc=auuc,
        qini_coefficient=gain / perfect if perfect > 0 else math.nan,
        cells=cells,
    )


# ---------------------------------------------------------------------------- targeting value


@dataclass(frozen=True)
class TargetingPoint:
    """The estimated value of treating the top rows of a ranking at one budget.

    Attributes:
        targeted: rows treated; ``share`` of all rows.
        threshold: the lowest score treated (a budget inside a tied group treats part of it).
        incremental: favourable outcomes gained over treating nobody, with its interval.
        favourable_anyway: treated rows estimated to have the favourable outcome without
            treatment (for churn: would have stayed anyway).
        incremental_value: money gained from the incremental outcomes, with its interval.
        cost: money spent treating the targeted rows.
        anyway_cost: the part of ``cost`` spent on ``favourable_anyway`` rows.
        net_value: ``incremental_value - cost``, with its interval (the cost is known, so
            the interval is the value's, shifted).
    """

    targeted: float
    share: float
    threshold: float
    incremental: Interval
    favourable_anyway: float
    incremental_value: Interval
    cost: float
    anyway_cost: float
    net_value: Interval

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (NaN and inf kept as floats: serialise with
        :func:`mlroi.serialize.dumps`)."""
        return {
            "targeted": self.targeted,
            "share": self.share,
            "threshold": self.threshold,
            "incremental": _interval_dict(self.incremental),
            "favourable_anyway": self.favourable_anyway,
            "incremental_value": _interval_dict(self.incremental_value),
            "cost": self.cost,
            "anyway_cost": self.anyway_cost,
            "net_value": _interval_dict(self.net_value),
        }


def _interval_dict(x: Interval) -> dict[str, float]:
    return {"estimate": x.estimate, "lower": x.lower, "upper": x.upper, "std_error": x.std_error}


@dataclass(frozen=True, eq=False)
class TargetingCurve:
    """The money value of treating the top rows of a ranking, at every cut of its Qini curve.

    Attributes:
        curve: the Qini curve it values.
        value_per_outcome: money per incremental favourable outcome, or the name of a per-row
            amount of the groups (e.g. ``"clv"``): then the value of the top rows is
            ``targeted * (mean_T - mean_C)`` of ``amount * [favourable]``.
        cost_per_row: money per treated row, or the name of a per-row amount (e.g.
            ``"offer_cost"``), summed over the targeted rows of both arms.
        incremental_value: money gained from the incremental outcomes;
            ``se_incremental_value`` its standard error.
        cost: money spent treating the targeted rows.
        anyway_cost: the part of ``cost`` spent on rows with the favourable outcome anyway:
            ``cost_per_row * favourable_anyway``, or for an amount, ``targeted`` times the
            control mean of ``amount * [favourable]``.
        net_value: ``incremental_value - cost``.
        best: index of the point with the highest defined ``net_value`` (the fewest rows on a
            tie; 0, treating nobody, when no budget pays).
    """

    curve: QiniCurve
    value_per_outcome: float | str
    cost_per_row: float | str
    incremental_value: FloatArray
    se_incremental_value: FloatArray
    cost: FloatArray
    anyway_cost: FloatArray
    net_value: FloatArray
    best: int

    @property
    def columns(self) -> dict[str, FloatArray]:
        """The Qini curve's columns, then :data:`TARGETING_COLUMNS`."""
        return self.curve.columns | {name: getattr(self, name) for name in TARGETING_COLUMNS}

    def __len__(self) -> int:
        return len(self.curve)

    def at_budget(
        self, k: float | None = None, *, share: float | None = None, level: float = 0.95
    ) -> TargetingPoint:
        """The value of treating exactly the top ``k`` rows (or ``share`` of the rows), with
        two-sided intervals at ``level``; a budget inside a tied group is interpolated as in
        :meth:`QiniCurve.at_budget`.

        Raises:
            ValueError: neither or both of ``k`` and ``share``, a value out of range, or a
                ``level`` outside (0, 1).
        """
        j, frac = _locate(self.curve.targeted, _rows_of_budget(self.curve.n, k, share))
        threshold = self.curve.threshold[j + 1] if frac > 0 else self.curve.threshold[j]
        return self._point(self.curve.cells.between(j, frac), float(threshold), level)

    def best_point(self, level: float = 0.95) -> TargetingPoint:
        """The point of highest net value (see ``best``), with intervals at ``level``."""
        cells = self.curve.cells.between(self.best, 0.0)
        return self._point(cells, float(self.curve.threshold[self.best]), level)

    def _point(self, cells: _Cells, threshold: float, level: float) -> TargetingPoint:
        z = _critical(level)
        c = self.curve
        counts = _count_columns(cells, c.favourable, c.n)
        values = _value_columns(cells, c.favourable, c.n, self.value_per_outcome, self.cost_per_row)
        value = _interval(values["incremental_value"][0], values["se_incremental_value"][0], z)
        cost = float(values["cost"][0])
        return TargetingPoint(
            targeted=float(counts["targeted"][0]),
            share=float(counts["share_targeted"][0]),
            threshold=threshold,
            incremental=_interval(counts["incremental"][0], counts["se_incremental"][0], z),
            favourable_anyway=float(counts["favourable_anyway"][0]),
            incremental_value=value,
            cost=cost,
            anyway_cost=float(values["anyway_cost"][0]),
            # the cost is known, not estimated: the interval is the value's, shifted
            net_value=Interval(
                value.estimate - cost, value.lower - cost, value.upper - cost, value.std_error
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The valuation, the best point and every column as lists (NaN and inf kept)."""
        return {
            "value_per_outcome": self.value_per_outcome,
            "cost_per_row": self.cost_per_row,
            "best": self.best_point().to_dict(),
            "curve": self.curve.to_dict()
            | {"columns": {name: v.tolist() for name, v in self.columns.items()}},
        }


def _value_columns(
    cells: _Cells, favourable: int, total: int, value: float | str, cost: float | str
) -> dict[str, FloatArray]:
    """Every column of :data:`TARGETING_COLUMNS` at every point of ``cells``: the one place the
    money numbers are computed."""
    counts = _count_columns(cells, favourable, total)
    targeted, n_t, n_c = counts["targeted"], counts["n_treated"], counts["n_control"]
    if isinstance(value, str):
        s, q = cells.sums[value], cells.squares[value]
        gained, se, _, _ = _difference(
            (s[:, TREATED, favourable], q[:, TREATED, favourable], n_t),
            (s[:, CONTROL, favourable], q[:, CONTROL, favourable], n_c),
            targeted,
        )
    else:
        gained, se = value * counts["incremental"], abs(value) * counts["se_incremental"]
    if isinstance(cost, str):
        amounts = cells.sums[cost]
        spent = amounts.sum(axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            anyway = np.where(targeted > 0, targeted * amounts[:, CONTROL, favourable] / n_c, 0.0)
    else:
        spent, anyway = cost * targeted, cost * counts["favourable_anyway"]
    return {
        "incremental_value": gained,
        "se_incremental_value": se,
        "cost": spent,
        "anyway_cost": anyway,
        "net_value": gained - spent,
    }


def targeting_curve(
    curve: QiniCurve, *, value: float | str, cost: float | str = 0.0
) -> TargetingCurve:
    """The money value of treating the top rows at every cut: incremental value, cost, the cost
    spent on rows with the favourable outcome anyway, and the net value.

    Args:
        curve: the Qini curve of a ranking.
        value: money per incremental favourable outcome (e.g. the average lifetime value of a
            retained customer), or the name of a per-row amount summed by the groups (e.g.
            ``"clv"``: each retained customer is worth their own lifetime value).
        cost: money per treated row (e.g. ``discount * acceptance + contact`` on average), or
            the name of a per-row amount (e.g. ``"offer_cost"`` for the sum
            ``"0.6 * discount + 1"``).

    Raises:
        ValueError: a number that is not finite, or a name the groups did not sum.

    Example:
        >>> score, label, treated = [0.9] * 4 + [0.1] * 2, [0, 0, 0, 1, 1, 0], [1, 1, 0, 0, 1, 0]
        >>> g = UpliftGroups.from_rows(score, label, treated)
        >>> t = targeting_curve(qini_curve(g, favourable=0), value=100.0, cost=10.0)
        >>> t.net_value.tolist(), t.anyway_cost.tolist(), t.best
        ([0.0, 160.0, -60.0], [0.0, 20.0, 40.0], 1)
    """
    names = sorted(curve.cells.sums)
    for what, given in (("value", value), ("cost", cost)):
        if isinstance(given, str):
            if given not in curve.cells.sums:
                raise ValueError(
                    f'{what}: "{given}" is not a sum of the groups (sums: '
                    f"{', '.join(names) or 'none'}); add it to `sums` when grouping"
                )
        elif isinstance(given, bool) or not math.isfinite(given):
            raise ValueError(f"{what} must be a finite number or the name of a sum, got {given!r}")
    value = value if isinstance(value, str) else float(value)
    cost = cost if isinstance(cost, str) else float(cost)
    columns = _value_columns(curve.cells, curve.favourable, curve.n, value, cost)
    net = columns["net_value"]
    defined = np.flatnonzero(~np.isnan(net))
    best = int(defined[np.argmax(net[defined])])
    return TargetingCurve(
        curve=curve,
        value_per_outcome=value,
        cost_per_row=cost,
        **{name: _frozen(values) for name, values in columns.items()},
        best=best,
    )


def _critical(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    return normal_ppf(0.5 + level / 2.0)


def _interval(estimate: float, std_error: float, z: float) -> Interval:
    e, se = float(estimate), float(std_error)
    return Interval(estimate=e, lower=e - z * se, upper=e + z * se, std_error=se)


# ---------------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class TargetingComparison:
    """Several rankings of the same randomized rows, valued at the same budgets.

    Attributes:
        shares: the budgets, as shares of the rows.
        level: confidence level of the intervals.
        budgets: by ranking, one :class:`TargetingPoint` per share.
        best: by ranking, the point of highest net value over all its cuts.
        auuc: by ranking, the area between its uplift curve and random targeting, per row.
        qini_coefficient: by ranking, Radcliffe's Q.
        n: rows ranked.
    """

    shares: tuple[float, ...]
    level: float
    budgets: Mapping[str, tuple[TargetingPoint, ...]]
    best: Mapping[str, TargetingPoint]
    auuc: Mapping[str, float]
    qini_coefficient: Mapping[str, float]
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN kept as floats: serialise with :func:`mlroi.serialize.dumps`)."""
        return {
            "n": self.n,
            "shares": list(self.shares),
            "level": self.level,
            "rankings": {
                name: {
                    "budgets": [p.to_dict() for p in points],
                    "best": self.best[name].to_dict(),
                    "auuc": self.auuc[name],
                    "qini_coefficient": self.qini_coefficient[name],
                }
                for name, points in self.budgets.items()
            },
        }

    def sentences(
        self,
        share: float | None = None,
        *,
        who: str = "rows",
        outcome: str = "favourable outcomes",
        anyway: str = "would have had the favourable outcome anyway",
        currency: str = "USD",
    ) -> list[str]:
        """The comparison in plain English: one sentence per ranking at one budget, with two
        rankings one on their difference, and one on the best budgets (each the highest of many
        noisy estimates, so optimistic: read its interval).

        Args:
            share: the budget to describe, one of ``shares``; the middle one by default.
            who: what a row is, e.g. ``"customers"``.
            outcome: what is gained, e.g. ``"customers retained"``.
            anyway: what the favourable-anyway rows did, e.g. ``"would have stayed anyway"``.
            currency: currency code of the money amounts.

        Raises:
            ValueError: ``share`` is not one of the compared budgets.
        """
        if share is None:
            share = self.shares[len(self.shares) // 2]
        if share not in self.shares:
            raise ValueError(f"share {share} is not one of the compared budgets {self.shares}")
        at = self.shares.index(share)
        pct = f"{100 * self.level:g}%"
        out: list[str] = []
        for name, points in self.budgets.items():
            p = points[at]
            inc, net = p.incremental, p.net_value
            out.append(
                f"Treating the top {_percent(p.share)} by {name} ({_count(p.targeted)} {who})"
                f" gives an estimated {_count(inc.estimate)} more {outcome} than treating nobody"
                f" ({pct} CI {_count(inc.lower)} to {_count(inc.upper)}), a net value of"
                f" {money(net.estimate, currency)} ({pct} CI {money(net.lower, currency)} to"
                f" {money(net.upper, currency)}); {_count(p.favourable_anyway)} of the"
                f" {_count(p.targeted)} treated {anyway}"
                + (
                    f", and treating them cost {money(p.anyway_cost, currency)}."
                    if p.anyway_cost
                    else "."
                )
            )
        names = list(self.budgets)
        if len(names) == 2:
            a, b = (self.budgets[x][at].net_value.estimate for x in names)
            better, worse = (names[1], names[0]) if b >= a else (names[0], names[1])
            out.append(
                f"At that budget, ranking by {better} instead of {worse} adds an estimated"
                f" {money(abs(b - a), currency)} of net value (both estimated on the same"
                " randomized rows, so their intervals are not independent)."
            )
        bests = [
            f"treating nobody by {name} (no budget adds net value)"
            if p.targeted == 0
            else f"the top {_percent(p.share)} by {name} (net"
            f" {money(p.net_value.estimate, currency)}, {pct} CI"
            f" {money(p.net_value.lower, currency)} to {money(p.net_value.upper, currency)})"
            for name, p in self.best.items()
        ]
        out.append("The most valuable budget is " + _listed(bests) + ".")
        return out


def _percent(share: float) -> str:
    pct = 100.0 * share
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"


def _listed(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _count(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:,.0f}"


def compare_targeting(
    curves: Mapping[str, TargetingCurve],
    *,
    shares: Sequence[float] = (0.1, 0.2, 0.3),
    level: float = 0.95,
) -> TargetingComparison:
    """Value several rankings of the same randomized rows at matched budgets, and find the best
    budget of each (e.g. ranking by churn risk against ranking by predicted uplift).

    Args:
        curves: the targeting curves by a readable ranking name (e.g. ``"churn risk"``), all
            of the same rows (same arms, outcomes and valuation).
        shares: the budgets to compare, as shares of the rows.
        level: confidence level of the intervals.

    Raises:
        ValueError: no curves, curves of different rows or valuations, or a share or level out
            of range.

    Example:
        >>> score, label, treated = [0.9] * 4 + [0.1] * 2, [0, 0, 0, 1, 1, 0], [1, 1, 0, 0, 1, 0]
        >>> g = UpliftGroups.from_rows(score, label, treated)
        >>> t = targeting_curve(qini_curve(g, favourable=0), value=100.0, cost=10.0)
        >>> half = compare_targeting({"risk": t}, shares=(0.5,)).budgets["risk"][0]
        >>> half.targeted, half.incremental.estimate, half.net_value.estimate
        (3.0, 1.5, 120.0)
    """
    if not curves:
        raise ValueError("give at least one targeting curve to compare")
    if not shares or not all(0.0 <= s <= 1.0 for s in shares):
        raise ValueError(f"shares must be budgets between 0 and 1, got {list(shares)}")
    _critical(level)
    first = next(iter(curves.values()))
    for name, c in curves.items():
        if not _same_rows(c, first):
            raise ValueError(
                f'"{name}" is not a ranking of the same rows with the same valuation as the '
                "first curve; compare rankings of one randomized table, valued alike"
            )
    return TargetingComparison(
        shares=tuple(float(s) for s in shares),
        level=level,
        budgets={
            name: tuple(c.at_budget(share=s, level=level) for s in shares)
            for name, c in curves.items()
        },
        best={name: c.best_point(level) for name, c in curves.items()},
        auuc={name: c.curve.auuc for name, c in curves.items()},
        qini_coefficient={name: c.curve.qini_coefficient for name, c in curves.items()},
        n=first.curve.n,
    )


def _same_rows(a: TargetingCurve, b: TargetingCurve) -> bool:
    """Whether two curves rank the same rows valued alike: equal totals per cell (the sums up
    to rounding, as they are added in another order) and the same valuation."""
    x, y = a.curve.cells, b.curve.cells
    return (
        a.curve.favourable == b.curve.favourable
        and a.value_per_outcome == b.value_per_outcome
        and a.cost_per_row == b.cost_per_row
        and bool(np.array_equal(x.n[-1], y.n[-1]))
        and x.sums.keys() == y.sums.keys()
        and all(np.allclose(x.sums[k][-1], y.sums[k][-1], rtol=1e-9) for k in x.sums)
    )


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
