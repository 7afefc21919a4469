"""Bootstrap intervals of every model's credits: resample journeys, refit every model.

Journeys are resampled with Poisson(1) weights (Chamandy et al. 2012): a row of ``n`` identical
channel sequences gets ``k ~ Poisson(n)`` journeys. Their revenue is drawn as ``k`` times the
row's mean revenue plus a normal term with the row's within-row variance (``k`` times it), floored
at 0: exact for the counts and conversions, a normal approximation for the revenue of ``k``
journeys drawn from a row (the backend keeps each row's sum and sum of squares, not every
journey's revenue). Each resample refits every model (the Markov chain's structure is reused),
so intervals hold for the nonlinear models too.

Journeys, not users, are the resampled unit: a user with several orders has several journeys,
which the bootstrap treats as independent (the report says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlroi.attribution.config import MarkovSettings, ModelName
from mlroi.attribution.markov import chain
from mlroi.attribution.models import fit_models
from mlroi.attribution.paths import FloatArray, PathTable


@dataclass(frozen=True)
class Draws:
    """Each model's credited revenue and conversions per resample (resample × channel)."""

    value: dict[str, FloatArray]
    conversions: dict[str, FloatArray]
    resamples: int


def resample(table: PathTable, rng: np.random.Generator) -> PathTable:
    """One Poisson-bootstrap resample of ``table``'s journeys (module docstring)."""
    counts = rng.poisson(table.journeys).astype(np.float64)
    n = np.maximum(table.journeys, 1.0)
    mean = table.value / n
    var = np.maximum(table.value_sq / n - mean * mean, 0.0)
    noise = np.sqrt(counts * var) * rng.standard_normal(table.rows)
    value = np.maximum(counts * mean + noise, 0.0)
    return table.reweighted(counts, np.where(table.conversions > 0, value, 0.0))


def bootstrap(
    table: PathTable,
    models: Sequence[ModelName],
    settings: MarkovSettings,
    resamples: int,
    seed: int,
) -> Draws:
    """Credits of every model in each of ``resamples`` resamples, seeded."""
    rng = np.random.default_rng(seed)
    structure = chain(table, settings.order) if "markov" in models else None
    k = len(table.channels)
    value: dict[str, list[FloatArray]] = {}
    conv: dict[str, list[FloatArray]] = {}
    for _ in range(resamples):
        fit = fit_models(resample(table, rng), models, settings, structure)
        for name, c in fit.credits.items():
            value.setdefault(name, []).append(c.value)
            conv.setdefault(name, []).append(c.conversions)
    empty = np.zeros((0, k))
    return Draws(
        {m: np.array(v) if v else empty for m, v in value.items()},
        {m: np.array(v) if v else empty for m, v in conv.items()},
        resamples,
    )
