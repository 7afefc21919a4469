"""Score bins of about equal rows, and each bin's weighted sums in every bootstrap resample.

Per model, the rows are put in at most ``bins`` score bins (every distinct score is a bin when
there are at most ``bins`` of them: the exact curve). A bin is a range of scores, so tied scores
stay together, and the chosen threshold is a bin edge. For every block of rows, each bin's
weighted sums in all resamples at once are one matrix product ``W_bin' X_bin``
(see :mod:`mlroi.decision.bootstrap`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from mlroi.decision.arrays import FloatArray
from mlroi.decision.bootstrap_rows import BootstrapRows
from mlroi.decision.poisson_weights import weight_blocks

__all__ = ["at_or_below", "bin_ids", "bin_lows", "bin_sums", "order_statistics"]


def bin_lows(
    score: FloatArray, bins: int, chosen: float, also: Sequence[float] = ()
) -> tuple[FloatArray, bool]:
    """The lowest score of each bin, highest bin first, and whether every distinct score is one.

    A bin holds the rows with a score from its lowest score up to the next bin's. With more
    distinct scores than ``bins``, the lowest scores are quantiles of the rows, so bins hold about
    ``n / bins`` rows each (a tie larger than that makes fewer, larger bins), plus the lowest
    score at or above ``chosen`` and at or above each threshold of ``also``, which makes
    ``score >= t`` a union of bins for each of them.
    """
    n = score.size
    if np.unique(score[: 8 * bins]).size <= bins:  # maybe few distinct scores: count them all
        ordered = np.sort(score)
        new = np.r_[True, ordered[1:] != ordered[:-1]]
        if int(np.count_nonzero(new)) <= bins:
            return ordered[new][::-1].copy(), True
    edges = []
    for t in (chosen, *also):
        above = score[score >= t]
        if 0 < above.size < n:  # none at +inf or below every row
            edges.append(above.min())
    edge = np.unique(np.asarray(edges, dtype=np.float64))
    quantiles = max(1, bins - edge.size)
    ranked = order_statistics(score, np.arange(quantiles) * n // quantiles)
    lows = np.unique(np.r_[ranked, edge])
    return lows[::-1].copy(), False


def order_statistics(x: FloatArray, ranks: npt.NDArray[np.intp]) -> FloatArray:
    """``np.sort(x)[ranks]`` for finite ``x``, without sorting every row.

    Each row falls in one of :data:`CELLS` equal-width cells of the range of ``x`` (the cell's
    number never decreases as ``x`` grows, however it rounds); the rows' counts per cell say
    which cell holds each rank, and only the rows of those cells are sorted. A quarter of the
    time of a sort at 10M rows.
    """
    lo, hi = float(x.min()), float(x.max())
    width = (hi - lo) / CELLS
    if x.size < 4 * CELLS or not width > 1e-9 * max(abs(lo), abs(hi)):
        ordered: FloatArray = np.sort(x)
        return ordered[ranks]
    cell = np.empty(x.shape, dtype=np.int32)
    for start in range(0, x.size, _ID_ROWS):  # parts: the float temporaries stay small
        part = np.subtract(x[start : start + _ID_ROWS], lo)
        part /= width
        np.minimum(part, CELLS - 1, out=part)
        cell[start : start + _ID_ROWS] = part
    ends = np.cumsum(np.bincount(cell, minlength=CELLS))
    holds = np.searchsorted(ends, ranks, side="right")  # the cell of each rank
    wanted = np.zeros(CELLS, dtype=bool)
    wanted[holds] = True
    rows = wanted[cell]
    picked = np.sort(x[rows])  # the wanted cells' rows, cell after cell
    before = np.r_[0, ends][holds]  # rows in the cells below each rank's cell
    inside = np.r_[0, np.cumsum(np.bincount(cell[rows], minlength=CELLS))][holds]
    out: FloatArray = picked[inside + ranks - before]
    return out


def bin_ids(score: FloatArray, lows: FloatArray) -> npt.NDArray[np.integer[Any]]:
    """Each row's bin (0 = highest scores); 16-bit when it fits, which NumPy sorts by radix."""
    ascending = lows[::-1].copy()
    ids = np.empty(score.shape, np.int16 if lows.size <= np.iinfo(np.int16).max else np.int32)
    for start in range(0, score.size, _ID_ROWS):  # parts: the counts' temporaries stay small
        part = slice(start, start + _ID_ROWS)
        ids[part] = lows.size - at_or_below(ascending, score[part])
    return ids


_ID_ROWS = 1 << 21
"""Rows given their bins at once."""


CELLS = 1 << 16
"""Equal-width cells of the score range in :func:`at_or_below`'s table."""


def at_or_below(edges: FloatArray, x: FloatArray) -> npt.NDArray[np.intp]:
    """``np.searchsorted(edges, x, side="right")``: how many of the ascending ``edges`` are at
    most each ``x``, exactly, for many finite ``x`` and few edges.

    A binary search per row costs about 80 ns at 10M rows (a mispredicted branch per level);
    instead the row's cell among :data:`CELLS` equal-width cells of the edges' range looks up
    how many edges lie below the cell before it (a count that cannot exceed the answer, however
    the cell's number rounds), and comparisons with the next edges, one pass each, finish the
    count: about a quarter of the time. A range too narrow for its cells to be wider than the
    rounding of its numbers keeps the binary search.
    """
    lo, hi = float(edges[0]), float(edges[-1])
    width = (hi - lo) / CELLS
    if x.size < CELLS or not width > 1e-9 * max(abs(lo), abs(hi)):
        return np.searchsorted(edges, x, side="right")
    # cell k (-1 below the range) starts counting at the edges up to the lower end of cell k - 1
    starts = np.searchsorted(edges, lo + (np.arange(CELLS + 2) - 2.0) * width, side="right")
    starts[0] = 0
    cell = np.subtract(x, lo)
    cell /= width
    np.clip(cell, -1.0, CELLS, out=cell)
    count = starts[cell.astype(np.intp) + 1]
    after = np.r_[edges, np.inf]  # no row passes the last: every x is finite
    rows = np.flatnonzero(after[count] <= x)
    while rows.size:
        count[rows] += 1
        rows = rows[after[count[rows]] <= x[rows]]
    return count


def bin_sums(
    rows: BootstrapRows,
    ids: Sequence[npt.NDArray[np.integer[Any]]],
    bins: Sequence[int],
    resamples: int,
    seed: int,
) -> list[FloatArray]:
    """Per model, the weighted sums of every bin in every resample, ``(resamples, bins, k)``.

    The columns are rows, positives, act, leave, then the extra sums. Block by block of rows
    (65,536 rows up to 256 resamples), the weights are drawn once and, per model, the block's
    weights and columns are put in bin order (:func:`_in_bin_order`), on another core while the
    block before is summed (:func:`_drawn_ahead`); each bin's sums in all resamples are one
    product of its weights' transpose ``(resamples, rows)`` by its columns ``(rows, k)``.
    Weights are small whole numbers, so rows and positives are exact.
    """
    totals = [np.zeros((b, resamples, 4 + len(rows.sums))) for b in bins]
    product = np.empty((resamples, 4 + len(rows.sums)))
    blocks = _in_bin_order(rows, ids, bins, weight_blocks(rows.n, resamples, seed))
    for per_model in _drawn_ahead(blocks):
        for total, (w_sorted, x_sorted, counts) in zip(totals, per_model, strict=True):
            ends = np.cumsum(counts)
            for b in np.flatnonzero(counts).tolist():
                lo, hi = int(ends[b] - counts[b]), int(ends[b])
                np.matmul(w_sorted[lo:hi].astype(np.float64).T, x_sorted[lo:hi], out=product)
                total[b] += product
    return [np.ascontiguousarray(t.transpose(1, 0, 2)) for t in totals]


Sorted = tuple[npt.NDArray[np.uint8], FloatArray, npt.NDArray[np.intp]]


def _in_bin_order(
    rows: BootstrapRows,
    ids: Sequence[npt.NDArray[np.integer[Any]]],
    bins: Sequence[int],
    blocks: Iterator[tuple[int, npt.NDArray[np.uint8]]],
) -> Iterator[list[Sorted]]:
    """Per block of weights, per model: the block's weights and columns (1, label, act, leave,
    the extra sums) with its rows in bin order, and the rows in each bin."""
    for start, w in blocks:
        stop = start + w.shape[0]
        x = np.empty((stop - start, 4 + len(rows.sums)))
        x[:, 0] = 1.0
        x[:, 1] = rows.label[start:stop]
        x[:, 2] = rows.act[start:stop]
        x[:, 3] = rows.leave[start:stop]
        for j, values in enumerate(rows.sums.values()):
            x[:, 4 + j] = values[start:stop]
        per_model = []
        for bin_of, size in zip(ids, bins, strict=True):
            chunk_bins = bin_of[start:stop]
            order = np.argsort(chunk_bins, kind="stable")
            per_model.append(
                (
                    np.take(w, order, axis=0),  # twice as fast as w[order] for rows of bytes
                    np.take(x, order, axis=0),
                    np.bincount(chunk_bins, minlength=size),
                )
            )
        yield per_model


T = TypeVar("T")


def _drawn_ahead(blocks: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``blocks`` in order, each computed in a second thread while the caller works
    on the ones before (at most ``depth`` waiting).

    Drawing weights and putting them in bin order are a few large numpy operations that release
    the GIL; summing a block per bin is many small ones that hold it. So one thread drawing and
    one summing share the two cores without contending for the GIL, and the blocks are summed in
    the same order as on one core: the same sums to the last bit.
    """
    if (os.cpu_count() or 1) < 2:
        yield from blocks
        return
    done = object()
    with ThreadPoolExecutor(1) as pool:
        pending: deque[Future[Any]] = deque(pool.submit(next, blocks, done) for _ in range(depth))
        while True:
            item = pending.popleft().result()
            if item is done:
                return
            pending.append(pool.submit(next, blocks, done))
            yield item
