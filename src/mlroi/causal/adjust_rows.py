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


class Reducer(Protocol):
    """Evaluates row formulas on its data and returns their sums (one pass over the rows)."""

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        """``{name: sum over rows of build(rows)[name]}``."""


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

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        self.passes += 1
        rows = Rows(
            self._t,
            self._y,
            tuple(self._x[:, j] for j in range(self._x.shape[1])),
            np.ones_like(self._t),
            _NumpyOps(),
        )
        return {k: float(np.sum(v)) for k, v in build(rows).items()}


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
    """``z'coef`` row by row (``z[0]`` is the column of ones)."""
    out = z[0] * float(coef[0])
    for zj, c in zip(z[1:], coef[1:], strict=True):
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
    """Add the row terms of the upper triangle of ``sum weight z z'`` to ``out``."""
    for i in range(len(z)):
        wi = weight * z[i]
        for j in range(i, len(z)):
            out[f"{prefix}{i}_{j}"] = wi * z[j]
