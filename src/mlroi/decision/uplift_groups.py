"""Rows grouped by distinct score, and within a group by arm and label: the uplift cells.

Uplift needs a randomized treatment flag: within the top rows of any ranking, treated and control
rows are two random samples of the same customers. Rows with equal scores are indistinguishable
to a ranking, so they form one group; a backend returns the cells from one
``GROUP BY score, treated, label`` query, and :mod:`mlroi.decision.qini` reads every uplift
curve from them.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.decision.arrays import FloatArray, IntArray, frozen, group_scores, vector

__all__ = ["CONTROL", "TREATED", "UpliftGroups", "check_sum_name"]

CONTROL, TREATED = 0, 1
"""Index of each arm on the second axis of the cell arrays: ``[group, arm, label]``."""


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
        score = group_scores(self.score)
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
            check_sum_name(name)
            sums[name] = frozen(_cells_of_amounts(self.sums[name], name, size))
            squares[name] = frozen(_cells_of_amounts(self.squares[name], name, size))
        object.__setattr__(self, "score", frozen(score))
        object.__setattr__(self, "n", frozen(n))
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
        s = vector(score, "score")
        size = s.shape[0]
        if size == 0:
            raise ValueError("there are no rows to score")
        y = _binary(label, "label", size)
        t = _binary(treated, "treated", size)
        amounts = {name: vector(v, name, size) for name, v in (sums or {}).items()}
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
    values = vector(x, name, size)
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


def check_sum_name(name: str) -> None:
    """Raise unless ``name`` can name a sum: an identifier that is not a Python keyword."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f'sum "{name}" needs an identifier as its name, e.g. "offer_cost"')
