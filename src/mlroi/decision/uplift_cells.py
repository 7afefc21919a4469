"""Uplift cells accumulated along a ranking, and the counts and standard errors read from them.

Every estimate of :mod:`mlroi.decision.qini` and :mod:`mlroi.decision.targeting` is computed here,
at every cut point or at one budget. Standard errors are those of a difference of two independent
proportions (Wald, the binomial variance ``p (1 - p) / N`` per arm), scaled by the rows the
estimate is counted in; a per-row amount uses each arm's mean and variance of
``amount * [favourable]`` from per-arm sums and sums of squares, so a column of ones reproduces
the counts exactly.

A budget that ends inside a tied group takes a random part of it; the counts at such a budget
are interpolated linearly between the two cut points (their expectation under a random
tie-break).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.decision.arrays import FloatArray, frozen
from mlroi.decision.uplift_groups import CONTROL, TREATED, UpliftGroups

__all__ = ["Cells", "count_columns", "difference", "locate", "rows_of_budget"]


@dataclass(frozen=True, eq=False)
class Cells:
    """Cells accumulated over the rows targeted, one entry per point: shape ``(points, 2, 2)``.

    Float arrays, so that a budget inside a tied group can interpolate them.
    """

    n: FloatArray
    sums: Mapping[str, FloatArray]
    squares: Mapping[str, FloatArray]

    @classmethod
    def accumulate(cls, groups: UpliftGroups) -> Cells:
        """The groups' cells summed from the top of the ranking, with a first point of zeros."""
        return cls(
            n=_cumulative(groups.n),
            sums={k: _cumulative(v) for k, v in groups.sums.items()},
            squares={k: _cumulative(v) for k, v in groups.squares.items()},
        )

    def between(self, j: int, frac: float) -> Cells:
        """The single point ``frac`` of the way from point ``j`` to point ``j + 1``."""

        def at(x: FloatArray) -> FloatArray:
            if frac == 0.0:
                return x[j : j + 1]
            return x[j : j + 1] + frac * (x[j + 1 : j + 2] - x[j : j + 1])

        return Cells(
            n=at(self.n),
            sums={k: at(v) for k, v in self.sums.items()},
            squares={k: at(v) for k, v in self.squares.items()},
        )


def _cumulative(x: npt.NDArray[Any]) -> FloatArray:
    """``[0, x0, x0 + x1, ...]`` along the first axis."""
    out = np.zeros((x.shape[0] + 1, *x.shape[1:]), dtype=np.float64)
    np.cumsum(x, axis=0, out=out[1:])
    return frozen(out)


def difference(
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


def count_columns(cells: Cells, favourable: int, total: int) -> dict[str, FloatArray]:
    """Every column of :data:`~mlroi.decision.qini.QINI_COLUMNS` but the threshold, at every
    point of ``cells`` (``total`` rows overall): the one place these numbers are computed."""
    n = cells.n
    n_t, n_c = n[:, TREATED].sum(axis=1), n[:, CONTROL].sum(axis=1)
    y_t, y_c = n[:, TREATED, favourable], n[:, CONTROL, favourable]
    targeted = n_t + n_c
    # a 0/1 indicator is its own square
    incremental, se, rate_t, rate_c = difference((y_t, y_t, n_t), (y_c, y_c, n_c), targeted)
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


def locate(targeted: FloatArray, k: float) -> tuple[int, float]:
    """The point ``j`` at or before ``k`` rows, and how far ``k`` lies towards point ``j + 1``."""
    j = int(np.searchsorted(targeted, k, side="right")) - 1
    if j >= targeted.shape[0] - 1:
        return targeted.shape[0] - 1, 0.0
    return j, float((k - targeted[j]) / (targeted[j + 1] - targeted[j]))


def rows_of_budget(n: int, k: float | None, share: float | None) -> float:
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
