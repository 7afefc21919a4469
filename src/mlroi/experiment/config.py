"""The experiment's configuration: one typed model, written in YAML or built in code.

The case file of an ROI analysis embeds it as its ``experiment:`` section.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.metrics.definitions import Metric
from mlroi.metrics.events import EventLog
from mlroi.sources.open import Source
from mlroi.stats.distributions import Alternative
from mlroi.stats.fieller import RelativeInterval
from mlroi.stats.multiplicity import Correction

FailOn = Literal["srm", "guardrail"]


class Guardrail(Checked):
    """A metric that must not get worse by more than a tolerated margin (non-inferiority).

    With ``direction: increase`` (higher is better) and a relative ``margin`` of 0.01, the guardrail
    passes when the whole interval of the relative lift lies above -1%, fails when the whole
    interval lies below -1%, and is inconclusive otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(description="Name of a metric defined under `metrics`.")
    direction: Literal["increase", "decrease"] = Field(
        description="Which way is good: `increase` (e.g. retention) or `decrease` (e.g. latency)."
    )
    margin: float = Field(0.0, ge=0.0, description="Tolerated change in the bad direction.")
    relative: bool = Field(
        True, description="Whether `margin` is relative (0.01 = 1%) or in the metric's units."
    )


class ExperimentConfig(Checked):
    """Everything a readout needs: where the data is, the arms, the metrics and the rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source | None = Field(None, description="Per-unit table: one row per unit.")
    events: EventLog | None = Field(
        None,
        description="Event log plus assignment table, from which per-unit metrics are derived.",
    )
    unit: str = Field("user_id", description="Column identifying the unit of randomisation.")
    variant: str = Field("variant", description="Column holding the arm of each unit.")
    control: str = Field(description="Name of the control arm.")
    arms: dict[str, float] = Field(
        description="Every arm (control included) with its planned share of traffic."
    )
    metrics: list[Metric] = Field(min_length=1, description="Metrics to read out.")
    guardrails: list[Guardrail] = Field(default_factory=list)
    segments: list[str] = Field(
        default_factory=list, description="Columns to break the readout down by."
    )
    level: float = Field(
        defaults.LEVEL, gt=0.0, lt=1.0, description="Confidence level of intervals."
    )
    alternative: Alternative = "two-sided"
    relative_interval: RelativeInterval = Field(
        "auto",
        description="Interval of the relative lift: `delta` (the delta method), `fieller`"
        " (Fieller's interval for a ratio), or `auto` (Fieller when the control value's relative"
        " standard error exceeds 0.02).",
    )
    correction: Correction = Field(
        "holm", description="Multiple-testing correction over arms x metrics (not guardrails)."
    )
    srm_threshold: float = Field(
        0.001, gt=0.0, lt=1.0, description="SRM p-values below this are a mismatch."
    )
    fail_on: list[FailOn] = Field(
        default_factory=lambda: list[FailOn](["srm", "guardrail"]),
        description="What makes the CLI exit non-zero.",
    )
    window_days: float | None = Field(
        None,
        gt=0,
        description="Days each unit's metrics cover (e.g. 14 for a two-week test): lets a value "
        "driver state its lift `per: window`; an event log's `window_days` by default.",
    )
    check_unique_units: bool = Field(
        True,
        description="Check that no unit appears twice (a bitmap count for integer ids in "
        "Parquet, else COUNT DISTINCT).",
    )

    @property
    def window(self) -> float | None:
        """Days each unit's metrics cover: ``window_days``, or the event log's window."""
        if self.window_days is not None:
            return self.window_days
        return None if self.events is None else self.events.window_days

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentConfig:
        if self.source is not None and self.events is not None:
            raise ValueError("give either `source` (a per-unit table) or `events`, not both")
        if self.control not in self.arms:
            raise ValueError(
                f"control {self.control!r} is not among arms {sorted(self.arms)}: add it to `arms`"
            )
        if len(self.arms) < 2:
            raise ValueError("`arms` needs the control and at least one treatment")
        bad = [a for a, w in self.arms.items() if not w > 0]
        if bad:
            raise ValueError(f"planned share of arm {bad[0]!r} must be positive")
        names = [m.name for m in self.metrics]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(
                f"metric name {sorted(dupes)[0]!r} is used twice: names must be unique"
            )
        for g in self.guardrails:
            if g.metric not in names:
                raise ValueError(
                    f"guardrail metric {g.metric!r} is not defined under `metrics` ({names})"
                )
        return self

    @property
    def treatments(self) -> list[str]:
        """The non-control arms, in the order given."""
        return [a for a in self.arms if a != self.control]
