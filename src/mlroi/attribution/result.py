"""The result of an attribution analysis: frozen, JSON-ready, printable in a notebook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlroi.result import Result
from mlroi.serialize import json_ready
from mlroi.stats.interval import Interval

NOT_INCREMENTAL = (
    "Influenced revenue is not incremental revenue: it counts orders that followed a touch, "
    "most of which would have happened anyway; only a randomized test (or holdout) measures "
    "what the system adds."
)
"""The sentence every output of an attribution analysis carries."""


@dataclass(frozen=True)
class ChannelCredit:
    """One channel's credit under one model, with bootstrap intervals."""

    channel: str
    value: Interval
    conversions: Interval
    share: float


@dataclass(frozen=True)
class ModelCredits:
    """One model's credit per channel, and the part credited to recommendations.

    Attributes:
        model: the model's name.
        convention: how it splits credit, in one line.
        channels: credit per channel.
        recommendation: revenue credited to the recommendation channels (their sum).
    """

    model: str
    convention: str
    channels: tuple[ChannelCredit, ...]
    recommendation: Interval


@dataclass(frozen=True)
class MarkovDetail:
    """The Markov chain's conversion probability and each channel's removal effect."""

    order: int
    allocation: str
    conversion_probability: float
    removal_effects: dict[str, float]


@dataclass(frozen=True)
class InfluencedRevenue:
    """Revenue influenced by recommendations under a window rule (recommender practice).

    Attributes:
        rule: ``item`` (purchase of the clicked item within the window) or ``order`` (any order
            within the window of a click).
        window: the window in words (``7 days after a click``).
        revenue: the influenced revenue, its interval over users (bootstrap of a sum over
            users: its exact variance, normal interval).
        orders: orders (item rule: order lines) counted.
        users: users with an order.
    """

    rule: str
    window: str
    revenue: Interval
    orders: float
    users: float


@dataclass(frozen=True)
class Reconciliation:
    """Influenced revenue next to the incremental revenue a randomized test measured.

    Attributes:
        influenced: last-click revenue of the recommendation channels.
        incremental: incremental revenue over the same period (experiment or by hand).
        factor: incremental / influenced (the incrementality factor).
        adjusted_last_click: influenced x factor: for a period without a test, multiply its
            last-click influenced revenue by ``factor``.
        source: where the incremental revenue comes from.
        draws: Monte Carlo draws behind the factor's interval.
    """

    influenced: Interval
    incremental: Interval
    factor: Interval
    adjusted_last_click: Interval
    source: str
    draws: int


@dataclass(frozen=True, repr=False)
class AttributionResult(Result):
    """Revenue and conversions credited to each channel under several models, the revenue
    recommendations influenced, and its reconciliation with the causal lift.

    Every figure is revenue in ``currency`` over ``period_start`` to ``period_end``; intervals
    are at ``level`` (bootstrap over journeys, ``resamples`` resamples, ``seed``).
    """

    currency: str
    level: float
    resamples: int
    seed: int
    period_start: str
    period_end: str
    time_zone: str | None
    sources: dict[str, str]
    lookback_days: float
    half_life_days: float
    max_touches: int
    recommendation_channels: tuple[str, ...]
    channels: tuple[str, ...]
    journeys: float
    converting_journeys: float
    attributed_revenue: float
    attributed_conversions: float
    models: tuple[ModelCredits, ...]
    markov: MarkovDetail | None
    shapley_method: str | None
    influenced: tuple[InfluencedRevenue, ...]
    reconciliation: Reconciliation | None
    data: dict[str, float]
    notes: tuple[str, ...]
    not_incremental: str = NOT_INCREMENTAL

    def model(self, name: str) -> ModelCredits:
        """The credits of model ``name``."""
        for m in self.models:
            if m.model == name:
                return m
        raise KeyError(f"no model {name!r} (models: {', '.join(m.model for m in self.models)})")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = json_ready(self)
        out["kind"] = "attribution"
        return out
