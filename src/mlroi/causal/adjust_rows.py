"""The rows of the adjustment design as a reducer sees them, and the numpy reducer.

The row formulas of :mod:`mlroi.causal.adjust_fit` are written once against :class:`Rows`
(columns) and :class:`Ops` (``exp``, ``log``, an indicator, ``let``); a :class:`Reducer`
evaluates them on its data and returns their sums. :class:`ArrayReducer` does so on numpy
arrays (tests, simulations); :class:`mlroi.backend.causal_adjust.TableReducer` as one aggregate
query per call, so the two paths compute the same numbers by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


class Ops(Protocol):
    """What row formulas need beyond arithmetic, for numpy arrays or backend columns."""

    def exp(self, v: Any) -> Any:
        """``e^v`` row by row."""

    def indicator(self, cond: Any) -> Any:
        """1.0 where ``cond`` holds, else 0.0."""

    def log(self, v: Any) -> Any:
        """The natural logarithm row by row (``-inf`` at 0)."""

    def let(self, v: Any) -> Any:
        """``v`` computed once per row and reused wherever the result is (a backend adds it
        as a column before the aggregation, so the query does not repeat it)."""

    def floor(self, v: Any) -> Any:
        """The largest integer not above ``v``, as a float, row by row."""


@dataclass(frozen=True)
class Rows:
    """The columns of the analysed units: treatment ``t`` (0/1 as a float), outcome ``y``,
    covariates ``x`` (raw scale), a column of ones, and the ops to compute with."""

    t: Any
    y: Any
    x: tuple[Any, ...]
    one: Any
    ops: Ops


Build = Callable[[Rows], Mapping[str, Any]]
GroupedBuild = Callable[[Rows], tuple[Mapping[str, Any], Mapping[str, Any]]]
"""Row formulas of group keys (whole numbers) and of the terms to sum within each group."""
Groups = list[tuple[dict[str, int], dict[str, float]]]
"""Each group's keys and its sums."""


class Reducer(Protocol):
    """Evaluates row formulas on its data and returns their sums (one pass over the rows)."""

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        """``{name: sum over rows of build(rows)[name]}``."""

    def group_sums(self, build: GroupedBuild, purpose: str) -> Groups:
        """The sums of ``build(rows)[1]`` within each group of equal keys ``build(rows)[0]``
        (a key may be a ``let`` of the sums' formulas): one pass, one row per group."""


class _NumpyOps:
    def exp(self, v: Any) -> Any:
        with np.errstate(over="ignore"):
            return np.exp(v)

    def indicator(self, cond: Any) -> Any:
        return np.asarray(cond, dtype=np.float64)

    def log(self, v: Any) -> Any:
        with np.errstate(divide="ignore"):
            return np.log(v)

    def let(self, v: Any) -> Any:
        return v

    def floor(self, v: Any) -> Any:
        return np.floor(v)


class ArrayReducer:
    """The reducer of rows held as numpy arrays (tests, simulations)."""

    def __init__(
        self,
        x: npt.ArrayLike,
        t: npt.ArrayLike,
        y: npt.ArrayLike,
    ) -> None:
        xa = np.asarray(x, dtype=np.float64)
        self._x = xa.reshape(len(xa), -1)
        self._t = np.asarray(t, dtype=np.float64)
        self._y = np.asarray(y, dtype=np.float64)
        self.passes = 0

    def _rows(self) -> Rows:
        self.passes += 1
        return Rows(
            self._t,
            self._y,
            tuple(self._x[:, j] for j in range(self._x.shape[1])),
            np.ones_like(self._t),
            _NumpyOps(),
        )

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        return {k: float(np.sum(v)) for k, v in build(self._rows()).items()}

    def group_sums(self, build: GroupedBuild, purpose: str) -> Groups:
        n = len(self._t)
        keys, terms = build(self._rows())
        names = list(keys)
        table = np.column_stack([np.broadcast_to(keys[k], n) for k in names])
        found, index = np.unique(table, axis=0, return_inverse=True)
        index = index.reshape(-1)
        sums = {
            k: np.bincount(index, weights=np.broadcast_to(v, n), minlength=len(found))
            for k, v in terms.items()
        }
        return [
            (
                {k: int(found[g, i]) for i, k in enumerate(names)},
                {k: float(v[g]) for k, v in sums.items()},
            )
            for g in range(len(found))
        ]


@dataclass(frozen=True)
class Scale:
    """Mean and standard deviation of each covariate: the design is ``[1, (x - mean) / sd]``."""

    mean: tuple[float, ...]
    sd: tuple[float, ...]

    def design(self, rows: Rows) -> list[Any]:
        return [rows.one] + [
            rows.ops.let((x - m) / s) for x, m, s in zip(rows.x, self.mean, self.sd, strict=True)
        ]


def linear(z: Sequence[Any], coef: npt.NDArray[np.float64]) -> Any:
    """``z'coef`` row by row (``z[0]`` is the column of ones, so its term is the constant)."""
    if len(z) == 1:
        return z[0] * float(coef[0])
    out = z[1] * float(coef[1]) + float(coef[0])
    for zj, c in zip(z[2:], coef[2:], strict=True):
        out = out + zj * float(c)
    return out


def symmetric(prefix: str, s: Mapping[str, float], p: int) -> npt.NDArray[np.float64]:
    """The ``p x p`` matrix whose upper triangle is ``s[f"{prefix}{i}_{j}"]``."""
    m = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            m[i, j] = m[j, i] = s[f"{prefix}{i}_{j}"]
    return m


def vector(prefix: str, s: Mapping[str, float], p: int) -> npt.NDArray[np.float64]:
    """The vector ``s[f"{prefix}{i}"]``, ``i < p``."""
    return np.array([s[f"{prefix}{i}"] for i in range(p)])


def cross_products(out: dict[str, Any], prefix: str, weight: Any, z: Sequence[Any]) -> None:
    """Add the row terms of the upper triangle of ``sum weight z z'`` to ``out``.

    ``z[0]`` is the column of ones (its products are not multiplied out), and ``weight``
    should be a column of its own (a ``let``), so that no row computes it more than once.
    """
    for i in range(len(z)):
        wi = weight if i == 0 else weight * z[i]
        for j in range(i, len(z)):
            out[f"{prefix}{i}_{j}"] = wi if j == 0 else wi * z[j]
