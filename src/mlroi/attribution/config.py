"""The ``attribution:`` section of a case: touchpoint and order logs, windows, models, uncertainty.

Written in YAML or built in code::

    attribution:
      touchpoints: {demo: recommender/touchpoints}
      orders: {demo: recommender/orders}
      lookback_days: 30                 # touches up to 30 days before an order count
      half_life_days: 7                 # time decay
      recommendation:
        clicks: [rec_click]             # channels that are clicks on a recommendation
        views: [rec_impression]         # impressions, for view-through (off by default)
        item_window_days: 7
        order_window_hours: 24
      incremental: {metric: revenue_per_user, units: 600000}   # or {estimate:, interval:}

Defaults are stated on each field; every one of them is reported with the result.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import ConfigDict, Field, FiniteFloat, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.sources.open import Source

ModelName = Literal[
    "last_click",
    "first_touch",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
]
MODELS: tuple[ModelName, ...] = get_args(ModelName)


class TouchpointColumns(Checked):
    """Column names of the touchpoint log (one row per touch)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field("user_id", description="Who was touched.")
    time: str = Field("ts", description="When (a timestamp).")
    channel: str = Field(
        "channel", description="Channel or surface: `rec_click`, `search`, `email`, ..."
    )
    item: str | None = Field(
        "item_id", description="Item shown or clicked, where known (item-level attribution)."
    )
    session: str | None = Field(
        None, description="Session id, for the session-level rule (with the orders' session)."
    )


class OrderColumns(Checked):
    """Column names of the order log (one row per order line; refunds as negative lines)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field("user_id", description="Who ordered.")
    order_id: str = Field("order_id", description="Order id: lines of one order share it.")
    time: str = Field("ts", description="When (a timestamp); an order's time is its first line's.")
    revenue: str = Field("revenue", description="Revenue of the line; a refund is negative.")
    item: str | None = Field("item_id", description="Item of the line, for item-level attribution.")
    session: str | None = Field(
        None, description="Session the order was placed in, for the session-level rule."
    )


class Recommendation(Checked):
    """Recommender attribution as practised: windows after a click on a recommendation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clicks: list[str] = Field(
        default_factory=lambda: ["rec_click"],
        min_length=1,
        description="Channel values that are clicks on a recommendation.",
    )
    views: list[str] = Field(
        default_factory=list,
        description="Channel values that are recommendation impressions (view-through).",
    )
    view_through: bool = Field(
        False, description="Count orders after a recommendation was only seen, not clicked."
    )
    item_window_days: float = Field(
        7.0,
        gt=0,
        le=90,
        description="Item level: a purchase of the clicked item within this many days of the "
        "click is influenced.",
    )
    same_session: bool = Field(
        True,
        description="Session level: any order placed after a click in the same session (needs "
        "the `session` columns of both logs; skipped without them).",
    )
    order_window_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 90,
        description="Order level: any order within this many hours of a click is influenced.",
    )

    @model_validator(mode="after")
    def _views_for_view_through(self) -> Recommendation:
        if self.view_through and not self.views:
            raise ValueError("view_through: needs `views`, the impression channel values")
        return self


class Incremental(Checked):
    """The causal revenue lift to reconcile influenced revenue with, over the same period.

    Either from the case's experiment (``metric``: a per-user revenue lift, times ``units``, the
    users of the attribution period who got the recommender), or by hand (``estimate``, with an
    ``interval`` at ``level``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str | None = Field(None, description="A revenue-per-user metric of the experiment.")
    units: float | None = Field(
        None, gt=0, description="Users the per-user lift applies to over the attribution period."
    )
    estimate: FiniteFloat | None = Field(None, description="Incremental revenue, by hand.")
    interval: tuple[FiniteFloat, FiniteFloat] | None = Field(
        None, description="Its interval (a normal sampling distribution is assumed)."
    )
    level: float = Field(defaults.LEVEL, gt=0, lt=1, description="Level of `interval`.")
    source: str | None = Field(None, description="Where a by-hand number comes from.")

    @model_validator(mode="after")
    def _one_way(self) -> Incremental:
        if (self.metric is None) == (self.estimate is None):
            raise ValueError(
                "give either `metric` and `units` (the experiment's per-user lift) or "
                "`estimate` with `interval` (incremental revenue by hand)"
            )
        if self.metric is not None and self.units is None:
            raise ValueError("`metric` needs `units`: users the per-user lift applies to")
        if self.estimate is not None:
            if self.interval is None:
                raise ValueError("`estimate` needs `interval`, its uncertainty")
            lo, hi = self.interval
            if not lo <= self.estimate <= hi:
                raise ValueError(f"estimate {self.estimate:g} lies outside [{lo:g}, {hi:g}]")
        return self


class MarkovSettings(Checked):
    """The Markov-chain model's order and allocation convention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: int = Field(1, ge=1, le=4, description="Order of the chain (1 = first order).")
    allocation: Literal["global", "per_path"] = Field(
        "global",
        description="`global`: split all credit in proportion to removal effects; `per_path`: "
        "split each journey's credit among its channels in proportion to theirs.",
    )


class AttributionConfig(Checked):
    """What an attribution analysis reads and how it splits the credit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    touchpoints: Source = Field(description="Touchpoint log: one row per touch.")
    orders: Source = Field(description="Order log: one row per order line.")
    assignments: Source | None = Field(
        None,
        description="The experiment's assignment table, to count the log users it lacks (their "
        "revenue is attributed but lies outside the test the reconciliation uses).",
    )
    assignment_user: str = Field("user_id", description="User column of `assignments`.")
    touchpoint_columns: TouchpointColumns = Field(default_factory=TouchpointColumns)
    order_columns: OrderColumns = Field(default_factory=OrderColumns)
    lookback_days: float = Field(
        30.0, gt=0, le=365, description="Touches up to this many days before an order count."
    )
    half_life_days: float = Field(7.0, gt=0, description="Half-life of the time-decay model.")
    max_touches: int = Field(
        50,
        ge=1,
        le=1000,
        description="Longest journey kept: a longer one keeps its last touches (counted).",
    )
    models: list[ModelName] = Field(
        default_factory=lambda: list(MODELS), min_length=1, description="Models to run."
    )
    markov: MarkovSettings = Field(default_factory=MarkovSettings)
    recommendation: Recommendation = Field(default_factory=Recommendation)
    incremental: Incremental | None = Field(
        None, description="The causal lift to reconcile influenced revenue with."
    )
    resamples: int = Field(
        defaults.RESAMPLES,
        ge=0,
        le=defaults.MAX_RESAMPLES,
        description="Bootstrap resamples of the journeys (0 = no intervals).",
    )
    period: str | None = Field(
        None, description="The period the logs cover, in words (read off the logs otherwise)."
    )
