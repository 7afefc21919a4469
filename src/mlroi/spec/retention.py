"""The case's ``retention:`` section: where the per-user logs are, how churn is defined, what to
estimate (retention at given days, RMST, weekly lift, lifetime value, a holdout design)."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.sources.open import Source


class ChurnLog(Checked):
    """Contractual churn: the time each user cancelled (NULL or absent: still a customer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source | None = Field(
        None, description="Table of cancellations; omit when the column is in the assignments."
    )
    timestamp: str = Field("churned_at", description="Cancellation time column.")


class ActivityLog(Checked):
    """Non-contractual churn: a user churns on the last active day before a gap of
    ``inactivity_days`` without activity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source = Field(description="Activity log: one row per user and activity (any type).")
    timestamp: str = Field("ts", description="Activity time column.")
    inactivity_days: int = Field(
        14, ge=1, le=365, description="Days without activity that make a user churned."
    )


class LifetimeValueSpec(Checked):
    """Carry retention to value: revenue per retained user per period, discounted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revenue_per_period: float = Field(gt=0, description="Revenue per retained user per period.")
    period_days: float = Field(30.0, gt=0, le=366, description="Days in one period.")
    periods: int = Field(
        12, ge=1, le=120, description="Periods to value (beyond the window: sBG projection)."
    )
    discount_rate: float | None = Field(
        None,
        ge=0,
        lt=1,
        description="Discount rate per period; default: the case's finance.discount_rate (a"
        " year) converted to the period, (1 + annual)^(period_days / 365.25) - 1.",
    )


class HoldoutSpec(Checked):
    """Size a long-running holdout to see a retention difference."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hazard_ratio: float = Field(gt=0, description="Treatment churn hazard / holdout's, e.g. 0.9.")
    holdout_share: float = Field(0.1, gt=0, lt=1, description="Share of users held out.")
    days: list[float] = Field(
        default_factory=lambda: [30.0, 60.0, 90.0, 180.0, 365.0],
        min_length=1,
        description="Candidate durations in days.",
    )
    alpha: float = Field(0.05, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1)

    @model_validator(mode="after")
    def _not_one(self) -> HoldoutSpec:
        if self.hazard_ratio == 1.0:
            raise ValueError("hazard_ratio 1 means no difference to detect: give e.g. 0.9")
        return self


class RetentionConfig(Checked):
    """Retention per arm from per-user logs, reduced in the backend to per-day counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    assignments: Source = Field(description="One row per user: user, arm, first exposure time.")
    activity: ActivityLog | None = Field(None, description="Activity log (non-contractual).")
    churn: ChurnLog | None = Field(None, description="Cancellations (contractual churn).")
    unit: str = Field("user_id", description="User column, in every table.")
    variant: str = Field("variant", description="Arm column in the assignments.")
    exposure: str = Field("first_exposure", description="First exposure time column.")
    control: str = Field(description="Name of the control (holdout) arm.")
    observation_end: dt.datetime | None = Field(
        None,
        description="End of observation (UTC); default: the latest activity or cancellation.",
    )
    window_days: int = Field(
        90, ge=1, le=3650, description="Follow each user this many days after exposure at most."
    )
    days: list[float] = Field(
        default_factory=lambda: [7.0, 30.0],
        min_length=1,
        description="Days at which to report retention per arm and its difference.",
    )
    rmst_days: float | None = Field(
        None, gt=0, description="Horizon of the restricted mean survival time (default: window)."
    )
    weekly: bool = Field(True, description="Lift per week of exposure, its trend and decay.")
    cohort_day: float | None = Field(
        None,
        gt=0,
        description="Retention at this day and its lift per cohort of the week of first "
        "exposure (Monday to Sunday, UTC); none by default.",
    )
    min_at_risk: int = Field(
        30, ge=1, description="Weeks with fewer users at risk in an arm are left out."
    )
    value: LifetimeValueSpec | None = Field(None, description="Lifetime value through retention.")
    holdout: HoldoutSpec | None = Field(None, description="Holdout design helper.")
    level: float = Field(defaults.LEVEL, gt=0, lt=1, description="Confidence level.")

    @model_validator(mode="after")
    def _one_log(self) -> RetentionConfig:
        if (self.activity is None) == (self.churn is None):
            raise ValueError(
                "give one of `activity` (an activity log: churn after a gap of inactivity) or"
                " `churn` (cancellation times)"
            )
        late = [d for d in self.days if not 0 < d <= self.window_days]
        if late:
            raise ValueError(
                f"days: {late[0]:g} is outside the window of {self.window_days} days:"
                " lengthen window_days or drop it"
            )
        if self.rmst_days is not None and self.rmst_days > self.window_days:
            raise ValueError(
                f"rmst_days: {self.rmst_days:g} is beyond the window of {self.window_days} days"
            )
        return self

    @property
    def gap_days(self) -> int:
        """Days of inactivity that define churn (0 for cancellations)."""
        return self.activity.inactivity_days if self.activity is not None else 0
