"""Per-unit metrics from an event log, counted from each unit's first exposure within a window.

This module holds what to derive (:class:`EventLog`, :class:`EventColumn`); the derivation is one
backend expression (:func:`mlroi.backend.events.derive_units`: join events to assignments, filter
to the window, aggregate per unit, left-join back so units without events count as zeros) that
runs as part of the readout's single query.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from mlroi.checked import Checked
from mlroi.sources.open import Source


class EventColumn(Checked):
    """One per-unit column derived from events.

    ``count`` counts matching events, ``sum`` adds up their value column, ``any`` is 1 when the
    unit has at least one (a conversion flag). ``period: pre`` looks at the pre-exposure window
    instead (a CUPED covariate).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str | list[str] = Field(description="Event type(s) that count.")
    agg: Literal["count", "sum", "any"] = "count"
    period: Literal["post", "pre"] = "post"

    @property
    def events(self) -> list[str]:
        """The event types as a list."""
        return [self.event] if isinstance(self.event, str) else list(self.event)


def _default_columns() -> dict[str, EventColumn]:
    return {
        "impressions": EventColumn(event="impression"),
        "clicks": EventColumn(event="click"),
        "add_to_carts": EventColumn(event="add_to_cart"),
        "orders": EventColumn(event="purchase"),
        "revenue": EventColumn(event="purchase", agg="sum"),
        "converted": EventColumn(event="purchase", agg="any"),
        "sessions": EventColumn(event="session_start"),
        "session_minutes": EventColumn(event="session_start", agg="sum"),
        "pre_revenue": EventColumn(event="purchase", agg="sum", period="pre"),
        "pre_sessions": EventColumn(event="session_start", period="pre"),
    }


class EventLog(Checked):
    """An event log plus an assignment table (unit, variant, first exposure time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source | None = Field(None, description="The event log: unit, time, type, value.")
    assignments: Source | None = Field(
        None, description="One row per unit: unit, variant, first exposure time, segment columns."
    )
    timestamp: str = Field("ts", description="Event time column.")
    event_type: str = Field("event_type", description="Event type column.")
    value: str = Field("amount", description="Event value column (order value, minutes).")
    exposure: str = Field("first_exposure", description="First exposure time in assignments.")
    window_days: float = Field(14.0, gt=0, description="Days after exposure that count.")
    pre_window_days: float = Field(28.0, gt=0, description="Days before exposure for covariates.")
    columns: dict[str, EventColumn] = Field(
        default_factory=_default_columns, description="Per-unit columns to derive."
    )
