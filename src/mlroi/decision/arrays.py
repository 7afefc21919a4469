"""Checked, read-only numpy arrays: the input checks every grouping of the decision layer shares.

:class:`~mlroi.decision.score_groups.ScoreGroups` and
:class:`~mlroi.decision.uplift_groups.UpliftGroups` take arrays from a backend or from rows in
memory; both check them here, with errors that name the array, and store them read-only.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "IntArray", "check_shape", "frozen", "group_scores", "vector"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]


def group_scores(x: npt.ArrayLike) -> FloatArray:
    """Scores of groups: finite, at least one, strictly decreasing (one group per score)."""
    score = vector(x, "score")
    if score.shape[0] == 0:
        raise ValueError("there are no rows to score")
    if score.shape[0] > 1 and not bool(np.all(score[1:] < score[:-1])):
        raise ValueError(
            "score must be strictly decreasing: one group per distinct score, highest first"
        )
    return score


def vector(x: npt.ArrayLike, name: str, size: int | None = None) -> FloatArray:
    """``x`` as one-dimensional finite float64 numbers (of ``size`` values, when given)."""
    try:
        values = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers") from None
    check_shape(values, name, size)
    if not bool(np.isfinite(values).all()):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise ValueError(f"{name} has {bad} NaN or infinite values")
    return values


def check_shape(values: npt.NDArray[Any], name: str, size: int | None) -> None:
    """Raise unless ``values`` is one-dimensional (with ``size`` values, when given)."""
    if values.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {values.shape}")
    if size is not None and values.shape[0] != size:
        raise ValueError(f"{name} has {values.shape[0]} values where {size} are expected")


def frozen(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``x`` made read-only, in place."""
    x.setflags(write=False)
    return x
