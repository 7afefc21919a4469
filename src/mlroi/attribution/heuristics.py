"""Rule-based models: each converting journey's credit split among its touches by position.

Every model gives each touch of a converting journey a weight, the weights of a journey sum to 1,
and a channel's credit is the sum of its touches' weights times the journey's conversions (or
revenue). So credit is conserved by construction.

- last click: the last touch weighs 1; first touch: the first touch weighs 1.
- linear: each of ``m`` touches weighs ``1 / m``.
- position based (U-shaped, 40/20/40): first and last touches 0.4 each and the middle touches
  share 0.2 equally; a two-touch journey splits 0.5/0.5, a one-touch journey gives 1.
- time decay: a touch ``h`` hours before the order weighs ``2 ** (-h / half_life)``, normalised
  within the journey; the backend sums these weights per position (see
  :class:`~mlroi.attribution.paths.PathTable`).

A channel touched twice in a journey is credited for each touch.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mlroi.attribution.credits import Credits
from mlroi.attribution.paths import FloatArray, IntArray, PathTable

HeuristicName = Literal["last_click", "first_touch", "linear", "position_based", "time_decay"]
HEURISTICS: tuple[HeuristicName, ...] = (
    "last_click",
    "first_touch",
    "linear",
    "position_based",
    "time_decay",
)

ENDS = 0.4
"""Weight of each end of a journey of three or more touches in the position-based model."""


def touch_weights(table: PathTable, model: HeuristicName) -> FloatArray:
    """Each touch's weight (flat, in :meth:`PathTable.flat` order); weights of a path sum to 1."""
    _, _, pos, length = table.flat()
    m = length.astype(np.float64)
    if model == "last_click":
        return np.asarray(pos == length - 1, dtype=np.float64)
    if model == "first_touch":
        return np.asarray(pos == 0, dtype=np.float64)
    if model == "linear":
        return np.asarray(1.0 / m, dtype=np.float64)
    if model == "position_based":
        end = (pos == 0) | (pos == length - 1)
        middle = np.divide(1.0 - 2 * ENDS, m - 2, out=np.zeros_like(m), where=m > 2)
        w = np.where(end, ENDS, middle)
        w = np.where(length == 2, 0.5, w)
        return np.asarray(np.where(length == 1, 1.0, w), dtype=np.float64)
    raise ValueError(f"unknown rule-based model {model!r}")


def heuristic(table: PathTable, model: HeuristicName) -> Credits:
    """The credits of one rule-based model.

    Raises:
        ValueError: ``time_decay`` on a table without touch times.

    Example:
        >>> from mlroi.attribution.paths import Journey, path_table
        >>> t = path_table([Journey(["A", "B"], 3.0), Journey(["B"], 3.0)])
        >>> heuristic(t, "last_click").value.tolist()
        [0.0, 6.0]
    """
    row, channel, _, _ = table.flat()
    k = len(table.channels)
    if model == "time_decay":
        if table.decay_share is None or table.decay_value is None:
            raise ValueError("time decay needs the touches' times (no decay weights given)")
        share, worth = table.decay_share, table.decay_value
        converting = (table.conversions > 0)[row]
        conv = _sum_by(channel, np.where(converting, share, 0.0), k)
        value = _sum_by(channel, np.where(converting, worth, 0.0), k)
        return Credits(model, table.channels, conv, value)
    w = touch_weights(table, model)
    conv = _sum_by(channel, w * table.conversions[row], k)
    value = _sum_by(channel, w * table.value[row], k)
    return Credits(model, table.channels, conv, value)


def _sum_by(channel: IntArray, weights: FloatArray, k: int) -> FloatArray:
    return np.asarray(np.bincount(channel, weights=weights, minlength=k), dtype=np.float64)
