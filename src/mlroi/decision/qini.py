"""Uplift (Qini) curves from a randomized treatment flag: what treating the top of a ranking gains.

A churn model ranks customers by risk; a retention offer is worth sending to the customers whose
behaviour it changes, not to the riskiest. With a randomized treatment flag (some customers were
offered the discount at random, the others were not), the effect of treating the top ``k`` rows
of any ranking can be estimated: within the top ``k``, treated and control rows are two random
samples of the same customers, so the difference of their favourable-outcome rates estimates what
the treatment does to those customers.

Rows with equal scores are indistinguishable to a ranking, so they form one group and the cut
points are the distinct scores, highest first (as in :mod:`mlroi.decision.value_curve`). For the top
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

Money: :mod:`mlroi.decision.targeting` values the top rows of a ranking.

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

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlroi.decision.arrays import FloatArray, frozen
from mlroi.decision.uplift_cells import Cells, count_columns, locate, rows_of_budget
from mlroi.decision.uplift_groups import CONTROL, TREATED, UpliftGroups

__all__ = ["QINI_COLUMNS", "QiniCurve", "qini_curve"]

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


def _area_over_random(x: FloatArray, y: FloatArray) -> float:
    """Trapezoid area between the defined points of ``(x, y)`` and the straight line from the
    origin to the last point (random targeting). The first point is the origin; undefined
    points (NaN, only at the start) are drawn straight through."""
    keep = ~np.isnan(y)
    xs, ys = x[keep], y[keep]
    area = float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1])) / 2.0)
    return area - float(x[-1] * y[-1]) / 2.0


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
    cells: Cells = field(repr=False)

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
        j, frac = locate(self.targeted, rows_of_budget(self.n, k, share))
        point = count_columns(self.cells.between(j, frac), self.favourable, self.n)
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
    cells = Cells.accumulate(groups)
    n = int(cells.n[-1].sum())
    columns = count_columns(cells, favourable, n)
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
        threshold=frozen(np.r_[np.inf, groups.score]),
        **{name: frozen(values) for name, values in columns.items()},
        n=n,
        total_treated=int(totals[TREATED]),
        total_control=int(totals[CONTROL]),
        auuc=auuc,
        qini_coefficient=gain / perfect if perfect > 0 else math.nan,
        cells=cells,
    )
