"""The ``causal:`` section for a launch to everyone on one date: interrupted time series
(``design: its``) and synthetic control (``design: synthetic_control``).

Both read one long table (unit, date, outcome; raw rows or daily aggregates, summed per unit
and period in the backend), name the treated unit and the launch date, and the comparison
series: controls (ITS regressors) or donors (synthetic control), by default every other unit.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.sources.open import Source


class _SeriesDesign(Checked):
    """What both designs on series read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source | None = Field(
        None,
        description="Long table: one row per unit and period (or raw rows, summed per unit and"
        " period); omit when a table is given in code.",
    )
    unit: str = Field("unit", description="Unit column (market, product, platform...).")
    date: str = Field(
        "date", description="Period column: dates, timestamps (by calendar date) or numbers."
    )
    outcome: str = Field("outcome", description="Outcome column, summed per unit and period.")
    treated: str = Field(description="The unit that got the launch (a value of `unit`).")
    launch: dt.date | int = Field(
        description="First period with the treatment: a date, or a period number (e.g. 1989)."
    )
    start: dt.date | int | None = Field(
        None, description="First period to analyse (default: the first in the data)."
    )
    end: dt.date | int | None = Field(
        None, description="Last period to analyse (default: the last in the data)."
    )
    controls: list[str] | Literal["all"] = Field(
        "all", description="Comparison units: a list, or `all` other units in the table."
    )
    placebo_time: bool = Field(
        True, description="Refit with a fake launch inside the pre-period (placebo in time)."
    )
    level: float = Field(defaults.LEVEL, gt=0, lt=1, description="Confidence level.")

    @model_validator(mode="after")
    def _consistent(self) -> _SeriesDesign:
        if isinstance(self.controls, list):
            if self.treated in self.controls:
                raise ValueError(
                    f"controls: the treated unit {self.treated!r} cannot be its own control;"
                    " remove it from the list"
                )
            if len(set(self.controls)) != len(self.controls):
                raise ValueError("controls: a unit is listed twice; list each once")
        for name in ("start", "end"):
            bound = getattr(self, name)
            if bound is not None and type(bound) is not type(self.launch):
                raise ValueError(
                    f"{name}: give a {'date' if isinstance(self.launch, dt.date) else 'number'}"
                    " like `launch`"
                )
        if self.start is not None and not self.start < self.launch:  # type: ignore[operator]
            raise ValueError("start: must come before the launch (the fit needs a pre-period)")
        if self.end is not None and not self.end >= self.launch:  # type: ignore[operator]
            raise ValueError("end: must be on or after the launch")
        return self


class ItsConfig(_SeriesDesign):
    """Interrupted time series: the treated series regressed on control series (and an
    optional trend and seasonality) before the launch; the prediction after it is the
    counterfactual."""

    design: Literal["its"] = "its"
    trend: bool = Field(True, description="A linear trend in the regression.")
    seasonality: Literal["none", "day_of_week", "month_of_year"] = Field(
        "none", description="Seasonal dummies: weekday (daily data) or calendar month."
    )
    autocorrelated: bool = Field(
        True,
        description="Allow AR(1) errors (lag-1 autocorrelation of the pre-period residuals) in"
        " the interval of the cumulative and average effect; false: independent errors.",
    )


class SyntheticControlConfig(_SeriesDesign):
    """Synthetic control (Abadie, Diamond and Hainmueller 2010): a convex combination of donor
    units fitted to the treated unit's pre-period; placebos give the inference."""

    design: Literal["synthetic_control"] = "synthetic_control"
    placebos: int = Field(
        100,
        ge=0,
        le=10_000,
        description="Donors refitted as if treated (placebo in space); a random sample of"
        " this many when the pool is larger (0: no placebo inference).",
    )
    seed: int = Field(defaults.SEED, ge=0, description="Seed of the placebo sample.")
