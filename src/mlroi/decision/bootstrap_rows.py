"""The rows a bootstrap resamples: labels, values and each model's scores, checked once.

The caller fetches these per-row arrays from the backend; :func:`mlroi.decision.bootstrap.bootstrap`
resamples them (method and references in its module docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.decision.arrays import FloatArray
from mlroi.decision.score_groups import ScoreGroups

__all__ = ["BootstrapRows"]


@dataclass(frozen=True, eq=False)
class BootstrapRows:
    """Per-row arrays for the bootstrap, fetched from the backend by the caller.

    Arrays of one length, one entry a row. ``act``, ``leave``, the scores and the sums are stored
    as float64 (without a copy when they are float64 already), the labels as given. Validation
    raises ``ValueError`` naming the array.

    Attributes:
        label: 1 for a positive row, 0 otherwise (booleans or integers; kept as given).
        act: value of acting on each row.
        leave: value of leaving each row alone.
        scores: model name to its score per row (higher means act first); one model, or more
            compared on the same rows (the first is the default baseline).
        sums: further per-row amounts, summed over the rows acted on (as ``ScoreGroups.sums``)
            and usable in constraints, e.g. ``discounts_given``.

    Example:
        >>> scores = {"model": np.array([0.9, 0.2])}
        >>> rows = BootstrapRows(np.array([1, 0]), np.array([5.0, -1.0]), np.zeros(2), scores)
        >>> rows.n, list(rows.scores)
        (2, ['model'])
    """

    label: npt.NDArray[Any]
    act: npt.NDArray[Any]
    leave: npt.NDArray[Any]
    scores: Mapping[str, npt.NDArray[Any]]
    sums: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        label = np.asarray(self.label)
        if label.ndim != 1:
            raise ValueError(f"label must be one-dimensional, got shape {label.shape}")
        n = label.shape[0]
        if n == 0:
            raise ValueError("label: there are no rows to resample")
        if label.dtype.kind not in "biuf" or (
            label.dtype.kind != "b" and not bool(np.all((label == 0) | (label == 1)))
        ):
            raise ValueError("label must be 0 or 1 in every row")
        if not self.scores:
            raise ValueError("scores: give at least one model's scores, e.g. {'model': score}")
        scores = {}
        for name, values in self.scores.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"scores: model names must be non-empty strings, got {name!r}")
            scores[name] = _column(values, f"scores[{name!r}]", n)
        sums = {name: _column(values, f"sums[{name!r}]", n) for name, values in self.sums.items()}
        # ScoreGroups names the sum that is not an identifier or clashes with a curve column.
        ScoreGroups.from_rows([0.0], [0], [0.0], [0.0], {name: [0.0] for name in sums})
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "act", _column(self.act, "act", n))
        object.__setattr__(self, "leave", _column(self.leave, "leave", n))
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "sums", sums)

    @property
    def n(self) -> int:
        """Rows."""
        return int(self.label.shape[0])


def _column(values: npt.ArrayLike, name: str, size: int) -> FloatArray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers") from None
    if x.ndim != 1 or x.shape[0] != size:
        raise ValueError(f"{name} has shape {x.shape} where {size} values (one a row) are expected")
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        raise ValueError(f"{name} has {bad:,} NaN or infinite values; drop or fill those rows")
    return x
