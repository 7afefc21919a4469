"""Markov-chain attribution: removal effects solved exactly on the absorbing chain.

The journeys define a Markov chain: a *start* state, one transient state per channel (per tuple
of the last ``order`` channels for a higher-order chain) and two absorbing states, *conversion*
and *null* (a journey that ends without an order). Transition probabilities are the observed
transition counts of the journeys, normalised per state. The probability of conversion from the
start is the absorption probability ``B = N R`` with the fundamental matrix ``N = (I - Q)^-1``
(Kemeny & Snell 1960): one linear solve, not a simulation.

Removing a channel sends every transition into a state that contains it to *null*; its *removal
effect* is ``1 - P(conversion without it) / P(conversion)``, in [0, 1] (removing a state can only
lose conversions, so no credit is negative).

Allocation conventions:

- ``global`` (Anderl et al. 2016; the convention of ChannelAttribution and
  marketing-attribution-models): the attributed conversions and revenue are split among
  channels in proportion to their removal effects (of conversions: ChannelAttribution splits
  revenue by separate revenue-weighted effects).
- ``per_path``: each converting journey's conversion and revenue are split among the distinct
  channels it touched, in proportion to their removal effects (equally when all of them are 0).

Higher order: a state is the tuple of the last ``order`` channels (fewer at a journey's start);
removing a channel removes every state that contains it.

References:
    Anderl, E., Becker, I., von Wangenheim, F. & Schumann, J. H. (2016). Mapping the customer
    journey: lessons learned from graph-based online attribution modeling. International Journal
    of Research in Marketing 33(3), 457-474.
    Kemeny, J. G. & Snell, J. L. (1960). Finite Markov Chains. Van Nostrand, ch. 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mlroi.attribution.credits import Credits
from mlroi.attribution.paths import FloatArray, IntArray, PathTable

Allocation = Literal["global", "per_path"]

START, CONVERSION, NULL = 0, -1, -2
"""State codes: the start state is transient state 0; absorbing states are negative."""


@dataclass(frozen=True)
class Chain:
    """The transitions of a path table, as flat arrays reusable across resamples.

    Attributes:
        states: transient states (``()`` is the start), index = state number.
        source, target: each transition occurrence's states (target may be CONVERSION, NULL).
        row: the path-table row of each transition occurrence.
        contains: ``contains[c]`` is the boolean mask of states that hold channel ``c``.
    """

    states: tuple[tuple[int, ...], ...]
    source: IntArray
    target: IntArray
    row: IntArray
    contains: tuple[np.ndarray[tuple[int], np.dtype[np.bool_]], ...]


def chain(table: PathTable, order: int = 1) -> Chain:
    """The chain of ``table``'s journeys with states of the last ``order`` channels."""
    if order == 1:
        return _first_order(table)
    index: dict[tuple[int, ...], int] = {(): START}
    src: list[int] = []
    dst: list[int] = []
    rows: list[int] = []
    for r, path in enumerate(table.paths):
        prev = START
        for t in range(len(path)):
            state = path[max(0, t + 1 - order) : t + 1]
            cur = index.setdefault(state, len(index))
            src.append(prev)
            dst.append(cur)
            rows.append(r)
            prev = cur
        src.append(prev)
        dst.append(CONVERSION if table.conversions[r] > 0 else NULL)
        rows.append(r)
    states = tuple(index)
    k = len(table.channels)
    contains = tuple(np.array([c in s for s in states], dtype=bool) for c in range(k))
    return Chain(
        states,
        np.array(src, dtype=np.int64),
        np.array(dst, dtype=np.int64),
        np.array(rows, dtype=np.int64),
        contains,
    )


def _first_order(table: PathTable) -> Chain:
    """The first-order chain, from the flat touch arrays (state ``c + 1`` is channel ``c``)."""
    row, channel, pos, length = table.flat()
    k = len(table.channels)
    state = channel + 1
    source = np.where(pos == 0, START, np.concatenate(([START], state[:-1])))
    ends = np.flatnonzero(pos == length - 1)
    end_target = np.where(table.conversions[row[ends]] > 0, CONVERSION, NULL)
    states: tuple[tuple[int, ...], ...] = ((), *((c,) for c in range(k)))
    contains = tuple(np.arange(k + 1) == c + 1 for c in range(k))
    return Chain(
        states,
        np.concatenate([source, state[ends]]).astype(np.int64),
        np.concatenate([state, end_target]).astype(np.int64),
        np.concatenate([row, row[ends]]).astype(np.int64),
        contains,
    )


def _conversion_probabilities(
    ch: Chain, journeys: FloatArray, removed: list[np.ndarray[tuple[int], np.dtype[np.bool_]]]
) -> FloatArray:
    """P(conversion from start) of the full chain (first) and of the chain without each mask."""
    n = len(ch.states)
    w = journeys[ch.row]
    inner = ch.target >= 0
    q = np.zeros((n, n))
    np.add.at(q, (ch.source[inner], ch.target[inner]), w[inner])
    conv = np.bincount(ch.source[ch.target == CONVERSION], w[ch.target == CONVERSION], n)
    out = np.bincount(ch.source, w, n)
    live = out > 0
    q[live] /= out[live, None]
    conv = np.divide(conv, out, out=np.zeros(n), where=live)
    probs = []
    for mask in [np.zeros(n, dtype=bool), *removed]:
        keep = ~mask
        if not keep[START] or conv.sum() == 0:
            probs.append(0.0)
            continue
        a = np.eye(int(keep.sum())) - q[np.ix_(keep, keep)]
        x = np.linalg.solve(a, conv[keep])
        probs.append(float(x[int(keep[:START].sum())]))
    return np.array(probs)


@dataclass(frozen=True)
class MarkovFit:
    """Removal effects of a chain and the credits they give.

    Attributes:
        conversion_probability: P(conversion from start) of the full chain.
        removal_effects: ``1 - P(without channel) / P`` per channel.
        credits: the credits under the chosen allocation.
        order: the chain's order.
        allocation: ``global`` or ``per_path``.
    """

    conversion_probability: float
    removal_effects: FloatArray
    credits: Credits
    order: int
    allocation: Allocation


def markov(
    table: PathTable,
    order: int = 1,
    allocation: Allocation = "global",
    *,
    structure: Chain | None = None,
) -> MarkovFit:
    """Markov removal-effect attribution of ``table`` (module docstring for the conventions).

    Args:
        table: the path table (non-converting journeys included: they are the chain's nulls).
        order: order of the chain (1 = first order).
        allocation: ``global`` or ``per_path``.
        structure: ``chain(table, order)`` computed once (bootstrap resamples reuse it).
    """
    ch = structure if structure is not None else chain(table, order)
    k = len(table.channels)
    probs = _conversion_probabilities(ch, table.journeys, list(ch.contains))
    p = probs[0]
    effects = 1.0 - probs[1:] / p if p > 0 else np.zeros(k)
    effects = np.clip(effects, 0.0, 1.0)  # round-off only: a removal never adds conversions
    if allocation == "global":
        total = effects.sum()
        share = effects / total if total > 0 else np.zeros(k)
        credits = Credits(
            f"markov_{order}" if order > 1 else "markov",
            table.channels,
            share * table.total_conversions,
            share * table.total_value,
        )
    else:
        credits = _per_path(table, effects, order)
    return MarkovFit(p, effects, credits, order, allocation)


def _per_path(table: PathTable, effects: FloatArray, order: int) -> Credits:
    k = len(table.channels)
    row, channel, _, _ = table.flat()
    pairs = np.unique(row * k + channel)  # each channel once per row
    r, c = pairs // k, pairs % k
    e = effects[c]
    total = np.bincount(r, weights=e, minlength=table.rows)
    size = np.bincount(r, minlength=table.rows).astype(np.float64)
    # equal shares where none of a journey's channels has an effect
    share = np.where(total[r] > 0, e / np.where(total[r] > 0, total[r], 1.0), 1.0 / size[r])
    converting = table.conversions[r] > 0
    conv = np.bincount(c, np.where(converting, share * table.conversions[r], 0.0), k)
    value = np.bincount(c, np.where(converting, share * table.value[r], 0.0), k)
    name = f"markov_{order}_per_path" if order > 1 else "markov_per_path"
    return Credits(name, table.channels, conv.astype(np.float64), value.astype(np.float64))
