"""The small table every attribution model reads: distinct journeys with their counts and value.

A *journey* is a user's touchpoints, in time order, up to the order they end in (a converting
journey) or up to the end of the log (a non-converting one). The backend reduces the touchpoint
and order logs to one row per distinct (channel sequence, converted) pair: the number of
journeys, their conversions and revenue (and its sum of squares, for the bootstrap), and for
time decay the per-position sum of each journey's normalised decay weights. Every model here runs
on this table; none sees a touchpoint row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PathTable:
    """Distinct journeys with their counts, conversions and value.

    Attributes:
        channels: channel names; a path holds indices into this tuple.
        paths: each row's channel sequence, first touch first.
        journeys: journeys with this sequence and outcome.
        conversions: converting journeys of the row (``journeys`` or 0).
        value: the row's revenue (sum over its journeys).
        value_sq: sum over its journeys of the squared revenue of each.
        decay_share: per touch of every row (flat, in :meth:`flat` order): the sum over the
            row's journeys of the time-decay weight of that touch, normalised within each
            journey (each journey's weights sum to 1). ``None`` when no touch times are known
            (no time-decay model then).
        decay_value: as ``decay_share``, each journey's weights times its revenue.
        half_life_hours: the half-life the decay weights were computed with.
    """

    channels: tuple[str, ...]
    paths: tuple[tuple[int, ...], ...]
    journeys: FloatArray
    conversions: FloatArray
    value: FloatArray
    value_sq: FloatArray
    decay_share: FloatArray | None = None
    decay_value: FloatArray | None = None
    half_life_hours: float = math.nan
    _flat: tuple[IntArray, IntArray, IntArray, IntArray] | None = field(
        default=None, repr=False, compare=False
    )
    _masks: IntArray | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return len(self.paths)

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    def flat(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """Every touch of every row: (row, channel, position, path length), as flat arrays."""
        if self._flat is None:
            lengths = np.array([len(p) for p in self.paths], dtype=np.int64)
            row = np.repeat(np.arange(self.rows, dtype=np.int64), lengths)
            channel = np.fromiter(
                (c for p in self.paths for c in p), dtype=np.int64, count=int(lengths.sum())
            )
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
            position = np.arange(channel.size, dtype=np.int64) - np.repeat(starts, lengths)
            object.__setattr__(self, "_flat", (row, channel, position, lengths[row]))
        assert self._flat is not None
        return self._flat

    def masks(self) -> IntArray:
        """Each row's set of channels as a bitmask (bit ``c`` = channel ``c``; at most 62
        channels, as Shapley enumeration needs)."""
        if self._masks is None:
            row, channel, _, _ = self.flat()
            bits = np.zeros(self.rows, dtype=np.int64)
            np.bitwise_or.at(bits, row, np.left_shift(1, channel))
            object.__setattr__(self, "_masks", bits)
        assert self._masks is not None
        return self._masks

    def reweighted(self, counts: FloatArray, value: FloatArray) -> PathTable:
        """The same rows with other journey counts and revenue (a bootstrap resample): the
        conversions follow the counts, the decay sums are scaled per row."""
        scale = np.divide(counts, self.journeys, out=np.zeros_like(counts), where=self.journeys > 0)
        vscale = np.divide(value, self.value, out=scale.copy(), where=self.value != 0)
        share = value_ = None
        if self.decay_share is not None and self.decay_value is not None:
            row = self.flat()[0]
            share = self.decay_share * scale[row]
            value_ = self.decay_value * vscale[row]
        conv = np.where(self.conversions > 0, counts, 0.0)
        return PathTable(
            self.channels,
            self.paths,
            counts,
            conv,
            value,
            self.value_sq * scale,
            share,
            value_,
            self.half_life_hours,
            self._flat,
            self._masks,
        )


@dataclass(frozen=True)
class Journey:
    """One journey, for building a :class:`PathTable` in Python (tests, notebooks).

    Attributes:
        channels: the channels touched, first touch first.
        value: revenue of the order it ends in (0 for a journey without one).
        converted: whether it ends in an order.
        hours_before: hours from each touch to the order (for time decay), or ``None`` (a
            non-converting journey needs none).
    """

    channels: Sequence[str]
    value: float = 1.0
    converted: bool = True
    hours_before: Sequence[float] | None = None


def decay_weights(hours_before: Sequence[float] | FloatArray, half_life_hours: float) -> FloatArray:
    """Time-decay weights of a journey's touches, normalised to sum to 1.

    A touch ``h`` hours before the order weighs ``2 ** (-h / half_life)``: a touch one half-life
    earlier counts half as much (the time-decay model of Google Analytics, 7-day default).
    """
    h = np.asarray(hours_before, dtype=np.float64)
    w = np.exp2(-(h - h.min()) / half_life_hours)
    return np.asarray(w / w.sum(), dtype=np.float64)


def path_table(journeys: Iterable[Journey], half_life_hours: float = 168.0) -> PathTable:
    """A :class:`PathTable` from journeys listed one by one (what the backend does in SQL).

    Example:
        >>> t = path_table([Journey(["A", "B"], 3.0), Journey(["B"], 3.0)])
        >>> t.channels, t.total_value
        (('A', 'B'), 6.0)
    """
    items = [j for j in journeys if j.channels]
    channels = tuple(sorted({c for j in items for c in j.channels}))
    index = {c: i for i, c in enumerate(channels)}
    timed = all(j.hours_before is not None for j in items if j.converted)
    rows: dict[tuple[tuple[int, ...], bool], _Row] = {}
    for j in items:
        key = (tuple(index[c] for c in j.channels), bool(j.converted))
        value = float(j.value) if j.converted else 0.0
        w = np.zeros(len(j.channels))
        if timed and j.converted and j.hours_before is not None:
            w = decay_weights(j.hours_before, half_life_hours)
        acc = rows.setdefault(key, _Row(len(j.channels)))
        acc.add(value, w)
    keys = list(rows)
    acc_ = [rows[k] for k in keys]
    count = np.array([a.journeys for a in acc_])
    return PathTable(
        channels=channels,
        paths=tuple(k[0] for k in keys),
        journeys=count,
        conversions=np.array(
            [a.journeys if k[1] else 0.0 for a, k in zip(acc_, keys, strict=True)]
        ),
        value=np.array([a.value for a in acc_]),
        value_sq=np.array([a.value_sq for a in acc_]),
        decay_share=np.concatenate([a.share for a in acc_]) if timed and acc_ else None,
        decay_value=np.concatenate([a.share_value for a in acc_]) if timed and acc_ else None,
        half_life_hours=half_life_hours if timed else math.nan,
    )


class _Row:
    """Running sums of one distinct journey (for :func:`path_table`)."""

    def __init__(self, length: int) -> None:
        self.journeys = 0.0
        self.value = 0.0
        self.value_sq = 0.0
        self.share = np.zeros(length)
        self.share_value = np.zeros(length)

    def add(self, value: float, w: FloatArray) -> None:
        self.journeys += 1.0
        self.value += value
        self.value_sq += value * value
        self.share = self.share + w
        self.share_value = self.share_value + w * value
