"""Per-unit metrics from an event log, counted from each unit's first exposure within a window.

The derivation is one Ibis expression (join events to assignments, filter to the window, aggregate
per unit, left-join back so units without events count as zeros); it runs in the backend as part
of the readout's single query.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlroi.sources.open import Source


class EventColumn(BaseModel):
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


class EventLog(BaseModel):
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


def derive_units(events: Any, assignments: Any, log: EventLog, unit: str) -> Any:
    """The per-unit table: every assigned unit with its derived metric columns.

    Args:
        events: Ibis table of events.
        assignments: Ibis table of assignments (one row per unit).
        log: what to derive.
        unit: the unit column, present in both tables.
    """
    import ibis

    exposure = assignments.select(unit, log.exposure).rename(__exposure=log.exposure)
    # only events of the types some column counts take part: the filter runs before the join
    types = sorted({t for col in log.columns.values() for t in col.events})
    joined = events.filter(events[log.event_type].isin(types)).join(exposure, unit)
    ts = joined[log.timestamp]
    start = joined["__exposure"]
    post = (ts >= start) & (ts < start + ibis.interval(seconds=round(log.window_days * 86400)))
    pre = (ts < start) & (ts >= start - ibis.interval(seconds=round(log.pre_window_days * 86400)))
    kind = joined[log.event_type]
    amount = joined[log.value].cast("float64")

    aggs = {}
    for name, col in log.columns.items():
        hit = kind.isin(col.events) & (post if col.period == "post" else pre)
        # ifelse, not a cast: PostgreSQL cannot cast a boolean to bigint
        flag = ibis.ifelse(hit, 1, 0).cast("int64")
        if col.agg == "count":
            aggs[name] = flag.sum()
        elif col.agg == "sum":
            aggs[name] = ibis.ifelse(hit, amount, 0.0).sum()
        else:
            aggs[name] = flag.max()
    per_unit = joined.filter(post | pre).group_by(unit).aggregate(**aggs)
    units = assignments.left_join(per_unit, unit).drop(f"{unit}_right")
    zero = {
        name: units[name].fill_null(0.0 if col.agg == "sum" else 0)
        for name, col in log.columns.items()
    }
    return units.mutate(**zero)
