"""The ``causal:`` section for difference in differences: a panel of units over periods (a rollout
to some markets or platforms first)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.sources.open import Source


class DidConfig(Checked):
    """Difference in differences on a panel, reduced in the backend to unit x period cells.

    Give either ``treated`` (a 0/1 flag per row: the unit is treated in that period) or
    ``first_treated`` (per row, the unit's first treated period; empty for never treated).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    design: Literal["did"] = Field(description="Difference in differences.")
    source: Source = Field(description="Rows of units over periods (any grain finer is averaged).")
    unit: str = Field("unit", description="Unit column (market, platform, store...).")
    period: str = Field("period", description="Period column: whole numbers, dates or times.")
    outcome: str = Field(description="Outcome column; each cell's mean is analysed.")
    treated: str | None = Field(None, description="0/1 column: treated in that period.")
    first_treated: str | None = Field(
        None,
        description="Column of the unit's first treated period (a period value; empty, or 0"
        " when 0 is not a period, for never treated).",
    )
    weights: str | None = Field(
        None, description="Row weight column for the cell means (default: rows count equally)."
    )
    estimator: Literal["auto", "twfe", "callaway_santanna", "synthetic_did"] = Field(
        "auto",
        description="auto: callaway_santanna when units adopt on several dates, twfe when on"
        " one; synthetic_did (Arkhangelsky et al. 2021) needs one adoption date and more"
        " comparison than treated units.",
    )
    control: Literal["never", "not_yet"] = Field(
        "never",
        description="Comparison units of callaway_santanna: the never treated, or also those"
        " not yet treated.",
    )
    pre_trend_alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="A pre-trend test with a p-value below this withholds the headline.",
    )
    level: float = Field(defaults.LEVEL, gt=0, lt=1, description="Confidence level.")
    seed: int = Field(
        defaults.SEED, ge=0, le=defaults.MAX_SEED, description="Seed of the placebo draws."
    )

    @model_validator(mode="after")
    def _one_treatment(self) -> DidConfig:
        if (self.treated is None) == (self.first_treated is None):
            raise ValueError(
                "give one of `treated` (a 0/1 column per row) or `first_treated` (the unit's"
                " first treated period)"
            )
        names = [self.unit, self.period, self.outcome]
        if len(set(names)) < 3:
            raise ValueError("unit, period and outcome must be three different columns")
        return self
