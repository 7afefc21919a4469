"""The rows of the adjustment design as a reducer sees them, and the numpy reducer.

The row formulas of :mod:`mlroi.causal.adjust_fit` are written once against :class:`Rows`
(columns) and :class:`Ops` (``exp``, ``log``, an indicator, ``let``, the standardised design);
a :class:`Reducer` evaluates them on its data and returns their sums. Sums of products with the
design's columns are written as blocks (:class:`Cross`, :class:`Dot`), which a reducer may
compute as matrix products. :class:`ArrayReducer` does so on numpy arrays held in memory, a
chunk of rows at a time (BLAS); :class:`mlroi.backend.causal_adjust.TableReducer` writes every
block out term by term, as one aggregate query per call. Both evaluate the same formulas; their
sums differ only in the order they add rows in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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

    def clip(self, v: Any, low: float, high: float) -> Any:
        """``v`` limited to ``[low, high]`` row by row."""

    def design(
        self, one: Any, x: Sequence[Any], mean: Sequence[float], sd: Sequence[float]
    ) -> Sequence[Any]:
        """The columns ``[1, (x_j - mean_j) / sd_j ...]``, each computed once per row."""


@dataclass(frozen=True)
class Rows:
    """The columns of the analysed units: treatment ``t`` (0/1 as a float), outcome ``y``,
    covariates ``x`` (raw scale), a column of ones, and the ops to compute with."""

    t: Any
    y: Any
    x: tuple[Any, ...]
    one: Any
    ops: Ops


@dataclass(frozen=True)
class Cross:
    """A block of terms: the upper triangle of ``sum weight z z'``, named ``{key}{i}_{j}``
    (``i <= j``). ``z[0]`` may be the column of ones; ``weight`` should be a column of its own
    (a ``let``), so that no row computes it more than once."""

    weight: Any
    z: Sequence[Any]


@dataclass(frozen=True)
class Dot:
    """A block of terms: ``sum weight z_i`` (``sum weight z_i^2`` when ``squared``) for
    ``i >= first``, named ``{key}{i}``."""

    weight: Any
    z: Sequence[Any]
    first: int = 1
    squared: bool = False


@dataclass(frozen=True)
class Counts:
    """A block of terms: the number of rows whose ``value`` (a whole number), clipped to
    ``[0, size - 1]``, is ``b``, for each ``b < size``, named ``{key}{b}`` (a histogram)."""

    value: Any
    size: int


BLOCKS = (Cross, Dot, Counts)

Build = Callable[[Rows], Mapping[str, Any]]
"""Row formulas of the terms to sum (a term may be a :class:`Cross` or :class:`Dot` block)."""
GroupedBuild = Callable[[Rows], tuple[Mapping[str, Any], Mapping[str, Any]]]
"""Row formulas of group keys (whole numbers) and of the terms to sum within each group."""
Groups = list[tuple[dict[str, int], dict[str, float]]]
"""Each group's keys and its sums, in the order of the keys."""


class Reducer(Protocol):
    """Evaluates row formulas on its data and returns their sums (one pass over the rows)."""

    passes: int

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        """``{name: sum over rows of build(rows)[name]}``, blocks written out by name."""

    def group_sums(self, build: GroupedBuild, purpose: str) -> Groups:
        """The sums of ``build(rows)[1]`` within each group of equal keys ``build(rows)[0]``
        (a key may be a ``let`` of the sums' formulas): one pass, one row per group."""


def name(key: str, *index: int) -> str:
    """A block's term: ``key`` then its indices joined by ``_`` (``xx1_3``, ``bin7``)."""
    return key + "_".join(str(i) for i in index)


def expand(terms: Mapping[str, Any], ops: Ops) -> dict[str, Any]:
    """Every block written out as one row formula per term (for a reducer that sums terms one
    by one); a block's weight is multiplied in once per term, not per product."""
    out: dict[str, Any] = {}
    for key, term in terms.items():
        if isinstance(term, Cross):
            z = term.z
            for i in range(len(z)):
                wi = term.weight if i == 0 else term.weight * z[i]
                for j in range(i, len(z)):
                    out[name(key, i, j)] = wi if j == 0 else wi * z[j]
        elif isinstance(term, Dot):
            for i in range(term.first, len(term.z)):
                wz = term.weight * term.z[i]
                out[name(key, i)] = wz * term.z[i] if term.squared else wz
        elif isinstance(term, Counts):
            v, last = term.value, term.size - 1
            for b in range(term.size):
                cond = v <= 0 if b == 0 else (v >= last if b == last else v == b)
                out[name(key, b)] = ops.indicator(cond)
        else:
            out[key] = term
    return out


class Design(Sequence[Any]):
    """The standardised design of a chunk of rows as one column-major matrix, read as a
    sequence of its columns (so that :func:`linear` and the blocks can use BLAS)."""

    def __init__(self, matrix: npt.NDArray[np.float64]) -> None:
        self.matrix = matrix

    def __len__(self) -> int:
        return int(self.matrix.shape[1])

    def __getitem__(self, i: Any) -> Any:
        return self.matrix[:, i]


def linear(z: Sequence[Any], coef: npt.NDArray[np.float64]) -> Any:
    """``z'coef`` row by row (``z[0]`` is the column of ones, so its term is the constant)."""
    if isinstance(z, Design):
        return z.matrix @ coef
    if len(z) == 1:
        return z[0] * float(coef[0])
    out = z[1] * float(coef[1]) + float(coef[0])
    for zj, c in zip(z[2:], coef[2:], strict=True):
        out = out + zj * float(c)
    return out


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

    def clip(self, v: Any, low: float, high: float) -> Any:
        return np.clip(v, low, high)

    def design(
        self, one: Any, x: Sequence[Any], mean: Sequence[float], sd: Sequence[float]
    ) -> Sequence[Any]:
        m = np.empty((len(one), len(x) + 1), order="F")
        m[:, 0] = 1.0
        for j, (xj, mj, sj) in enumerate(zip(x, mean, sd, strict=True)):
            np.subtract(xj, mj, out=m[:, j + 1])
            m[:, j + 1] /= sj
        return Design(m)


def _matrix(z: Sequence[Any], n: int) -> npt.NDArray[np.float64]:
    if isinstance(z, Design):
        return z.matrix
    return np.column_stack([np.broadcast_to(np.asarray(c, dtype=np.float64), n) for c in z])


class _Blocks:
    """A chunk's blocks as matrices, each array gathered once into the rows' group order, so
    that a group's sums are matrix products of contiguous slices."""

    def __init__(
        self, terms: Mapping[str, Any], n: int, order: npt.NDArray[np.intp] | None
    ) -> None:
        cache: dict[tuple[int, str], npt.NDArray[np.float64]] = {}

        def take(v: Any, *, design: bool = False) -> Any:
            key = (id(v), "design" if design else "column")
            if key not in cache:
                a = _matrix(v, n) if design else np.asarray(v, dtype=np.float64)
                a = np.broadcast_to(a, (n, *np.shape(a)[1:]))
                cache[key] = a if order is None else a[order]
            return cache[key]

        def squares(z: Any) -> Any:
            key = (id(z), "squares")
            if key not in cache:
                a = take(z, design=True)
                cache[key] = a * a
            return cache[key]

        self.cross = [
            (key, take(t.z, design=True), take(t.weight))
            for key, t in terms.items()
            if isinstance(t, Cross)
        ]
        # the dot blocks over the same columns as one matrix product
        dots: dict[tuple[int, bool], list[tuple[str, Dot]]] = {}
        for key, t in terms.items():
            if isinstance(t, Dot):
                dots.setdefault((id(t.z), t.squared), []).append((key, t))
        self.counts = [
            (key, np.clip(take(t.value), 0, t.size - 1).astype(np.intp), t.size)
            for key, t in terms.items()
            if isinstance(t, Counts)
        ]
        self.dots = [
            (
                [(key, t.first) for key, t in blocks],
                squares(blocks[0][1].z) if squared else take(blocks[0][1].z, design=True),
                np.column_stack([take(t.weight) for _, t in blocks]),
            )
            for (_, squared), blocks in dots.items()
        ]

    def add_to(self, sums: _Sums, lo: int, hi: int) -> None:
        """Add the sums over rows ``lo:hi`` (in group order) to ``sums``."""
        for key, z, w in self.cross:
            zs = z[lo:hi]
            sums.add_block(key, (zs * w[lo:hi, None]).T @ zs)
        for key, v, size in self.counts:
            sums.add_block(key, np.bincount(v[lo:hi], minlength=size).astype(np.float64))
        for names, z, w in self.dots:
            m = z[lo:hi].T @ w[lo:hi]
            for col, (key, first) in enumerate(names):
                sums.add_block(key, m[:, col], first)


class _Sums:
    """Running sums of one group's terms over chunks of rows."""

    def __init__(self) -> None:
        self.plain: dict[str, float] = {}
        self.blocks: dict[str, tuple[npt.NDArray[np.float64], int]] = {}

    def add(self, name: str, v: float) -> None:
        self.plain[name] = self.plain.get(name, 0.0) + v

    def merge(self, other: _Sums) -> None:
        for name, v in other.plain.items():
            self.add(name, v)
        for key, (m, first) in other.blocks.items():
            self.add_block(key, m, first)

    def add_block(self, key: str, m: npt.NDArray[np.float64], first: int = 0) -> None:
        if key in self.blocks:
            self.blocks[key][0][...] += m
        else:
            self.blocks[key] = (m.copy(), first)

    def values(self) -> dict[str, float]:
        """Every sum by name, blocks written out (:func:`expand`'s names)."""
        out = dict(self.plain)
        for key, (m, first) in self.blocks.items():
            if m.ndim == 2:
                for i in range(m.shape[0]):
                    for j in range(i, m.shape[0]):
                        out[name(key, i, j)] = float(m[i, j])
            else:
                for i in range(first, len(m)):
                    out[name(key, i)] = float(m[i])
        return out


class ArrayReducer:
    """The reducer of rows held in memory as numpy arrays (tests, simulations, and the rows a
    backend streams into memory), a chunk of :attr:`chunk` rows at a time.

    Attributes:
        passes: the passes over the rows so far.
    """

    chunk = 1 << 14

    def __init__(
        self,
        x: npt.ArrayLike,
        t: npt.ArrayLike,
        y: npt.ArrayLike,
    ) -> None:
        xa = np.asarray(x, dtype=np.float64)
        self._t = np.asarray(t, dtype=np.float64)
        # one contiguous row per covariate, so that a chunk's columns are contiguous
        self._x = np.ascontiguousarray(xa.reshape(len(xa), -1).T)
        self._y = np.asarray(y, dtype=np.float64)
        self.passes = 0

    @classmethod
    def of_columns(
        cls, x: npt.NDArray[np.float64], t: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> ArrayReducer:
        """The reducer of covariates already laid out one row per covariate (``k x n``), as a
        backend fills them: no copy."""
        out = cls.__new__(cls)
        out._x, out._t, out._y, out.passes = x, t, y, 0
        return out

    def _chunks(self) -> Iterator[Rows]:
        n = len(self._t)
        ops = _NumpyOps()
        one = np.ones(min(self.chunk, n))
        for lo in range(0, max(n, 1), self.chunk):
            hi = min(n, lo + self.chunk)
            yield Rows(
                self._t[lo:hi],
                self._y[lo:hi],
                tuple(self._x[j, lo:hi] for j in range(self._x.shape[0])),
                one[: hi - lo],
                ops,
            )

    def sums(self, build: Build, purpose: str) -> dict[str, float]:
        groups = self.group_sums(lambda rows: ({}, build(rows)), purpose)
        return groups[0][1] if groups else {}

    def group_sums(self, build: GroupedBuild, purpose: str) -> Groups:
        """One pass: the chunks' sums, added up in the chunks' order, on one thread. (Two
        threads cost 2.5 to 3.6 times the CPU time on a 2-core machine, for no shorter wall
        time: every chunk is many small numpy calls, each taking the interpreter's lock and
        fresh temporaries.)"""
        self.passes += 1
        found: dict[tuple[int, ...], _Sums] = {}
        names: list[str] = []
        for rows in self._chunks():
            keys, part = _chunk_sums(build, rows)
            names = keys or names
            for key, sums in part.items():
                found.setdefault(key, _Sums()).merge(sums)
        return [(dict(zip(names, key, strict=True)), found[key].values()) for key in sorted(found)]


# the formulas divide by the propensity, which is 0 or 1 to double precision for units the
# trimming then leaves out; a backend's sums read the same values without a warning
@np.errstate(all="ignore")
def _chunk_sums(build: GroupedBuild, rows: Rows) -> tuple[list[str], dict[tuple[int, ...], _Sums]]:
    """The sums of one chunk of rows per group: its keys' names and each group's sums."""
    n = len(rows.t)
    keys, terms = build(rows)
    names = list(keys)
    plain = {k: v for k, v in terms.items() if not isinstance(v, BLOCKS)}
    if not names:
        return names, {(): _whole(terms, plain, n)}
    found: dict[tuple[int, ...], _Sums] = {}
    if n == 0:
        return names, found
    table = np.column_stack([np.broadcast_to(keys[k], n) for k in names])
    table = np.rint(table).astype(np.int64)
    if np.all(table == table[0]):
        # one group (the rows are held sorted by arm): no reordering
        return names, {tuple(int(v) for v in table[0]): _whole(terms, plain, n)}
    # one whole number per row's keys: a mixed-radix code within this chunk's ranges, or the
    # rank of the row's keys among the chunk's distinct keys when the ranges are wide
    low = table.min(axis=0)
    span = table.max(axis=0) - low + 1
    if float(np.prod(span.astype(np.float64))) <= 4 * n:
        code = np.zeros(n, dtype=np.int64)
        for i in range(len(names)):
            code = code * span[i] + (table[:, i] - low[i])
    else:
        code = np.unique(table, axis=0, return_inverse=True)[1].reshape(-1)
    counts = np.bincount(code)
    order = np.argsort(code, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)))
    plain_sums = {
        k: np.bincount(code, weights=np.broadcast_to(v, n), minlength=len(counts))
        for k, v in plain.items()
    }
    blocks = _Blocks(terms, n, order)
    for g in np.flatnonzero(counts):
        first = order[starts[g]]
        sums = found.setdefault(tuple(int(table[first, i]) for i in range(len(names))), _Sums())
        for k in plain:
            sums.add(k, float(plain_sums[k][g]))
        blocks.add_to(sums, int(starts[g]), int(starts[g + 1]))
    return names, found


def _whole(terms: Mapping[str, Any], plain: Mapping[str, Any], n: int) -> _Sums:
    """The sums of every term over all ``n`` rows of a chunk."""
    sums = _Sums()
    for k, v in plain.items():
        sums.add(k, float(np.sum(np.broadcast_to(v, n))))
    _Blocks(terms, n, None).add_to(sums, 0, n)
    return sums


@dataclass(frozen=True)
class Scale:
    """Mean and standard deviation of each covariate: the design is ``[1, (x - mean) / sd]``."""

    mean: tuple[float, ...]
    sd: tuple[float, ...]

    def design(self, rows: Rows) -> Sequence[Any]:
        return rows.ops.design(rows.one, rows.x, self.mean, self.sd)


def symmetric(prefix: str, s: Mapping[str, float], p: int) -> npt.NDArray[np.float64]:
    """The ``p x p`` matrix whose upper triangle is ``s[f"{prefix}{i}_{j}"]``."""
    m = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            m[i, j] = m[j, i] = s[name(prefix, i, j)]
    return m


def vector(prefix: str, s: Mapping[str, float], p: int) -> npt.NDArray[np.float64]:
    """The vector ``s[f"{prefix}{i}"]``, ``i < p``."""
    return np.array([s[name(prefix, i)] for i in range(p)])
