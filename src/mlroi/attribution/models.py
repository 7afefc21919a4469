"""Run the chosen attribution models on one path table (the point fit and every resample)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlroi.attribution.config import MarkovSettings, ModelName
from mlroi.attribution.credits import Credits
from mlroi.attribution.heuristics import heuristic
from mlroi.attribution.markov import Chain, MarkovFit, chain, markov
from mlroi.attribution.paths import PathTable
from mlroi.attribution.shapley import shapley

CONVENTIONS: dict[str, str] = {
    "last_click": "all credit to the last touch before the order",
    "first_touch": "all credit to the first touch of the journey",
    "linear": "credit split equally among the journey's touches",
    "time_decay": "a touch h hours before the order weighs 2^(-h / half-life), normalised",
    "position_based": "40% to the first touch, 40% to the last, 20% shared by the middle "
    "(50/50 for two touches)",
    "markov": "removal effects of the absorbing Markov chain, solved exactly (fundamental matrix)",
    "shapley": "exact Shapley values; a coalition is worth the revenue of the journeys whose "
    "channels it holds",
}
"""How each model splits credit, in one line (the report states it beside the numbers)."""


@dataclass(frozen=True)
class Fit:
    """Every model's credits on one table, and the Markov fit behind the Markov credits."""

    credits: dict[str, Credits]
    markov: MarkovFit | None
    shapley_method: str | None


def fit_models(
    table: PathTable,
    models: Sequence[ModelName],
    settings: MarkovSettings,
    structure: Chain | None = None,
) -> Fit:
    """The credits of ``models`` on ``table`` (time decay is skipped without touch times)."""
    out: dict[str, Credits] = {}
    fit: MarkovFit | None = None
    method: str | None = None
    for m in models:
        if m == "markov":
            ch = structure if structure is not None else chain(table, settings.order)
            fit = markov(table, settings.order, settings.allocation, structure=ch)
            out[m] = fit.credits
        elif m == "shapley":
            credits, method = shapley(table)
            out[m] = credits
        elif m == "time_decay" and table.decay_share is None:
            continue
        else:
            out[m] = heuristic(table, m)
    return Fit(out, fit, method)
