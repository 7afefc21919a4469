"""The ``causal:`` section of the adjustment design: who was exposed was not random, so compare
exposed and unexposed users after adjusting for the intent signals that drive both."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.sources.open import Source


class AdjustmentConfig(Checked):
    """User-level adjustment for confounding: regression, IPW and AIPW on one row per user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    design: Literal["adjustment"] = Field(
        "adjustment", description="Adjust exposed vs unexposed users for their covariates."
    )
    source: Source = Field(description="One row per user: treatment, outcome, covariates.")
    unit: str | None = Field(
        "user_id", description="User column (checked for repeats); null when there is none."
    )
    treatment: str = Field(
        "exposed", description="Exposure column: 0/1, booleans or yes/no (1 = exposed)."
    )
    treated_when: str | None = Field(
        None,
        description="A condition that marks the exposed users instead of a column, e.g."
        " `recs_seen > 0`.",
    )
    outcome: str = Field(description="Outcome column, e.g. watch minutes or ad revenue per user.")
    outcome_unit: str | None = Field(
        None, description="What one unit of the outcome is, e.g. 'ad revenue in USD'."
    )
    period: str = Field("", description="The period the outcome covers, in words.")
    covariates: list[str] = Field(
        min_length=1,
        description="Pre-exposure signals of intent (past sessions, searches, purchases, tenure).",
    )
    estimand: Literal["att", "ate"] = Field(
        "att",
        description="att: the effect on the exposed users (the default); ate: on every user.",
    )
    estimator: Literal["aipw", "ipw", "regression"] = Field(
        "aipw", description="The headline estimator; all three are reported."
    )
    trim: tuple[float, float] = Field(
        (0.01, 0.99),
        description="Units whose propensity falls outside [low, high] are left out.",
    )
    level: float = Field(defaults.LEVEL, gt=0, lt=1, description="Confidence level.")

    @field_validator("covariates")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for c in v:
            if c in seen:
                raise ValueError(f"covariate {c!r} is listed twice: list it once")
            seen.add(c)
        return v

    @field_validator("trim")
    @classmethod
    def _bounds(cls, v: tuple[float, float]) -> tuple[float, float]:
        lo, hi = v
        if not 0.0 <= lo < 0.5 < hi <= 1.0:
            raise ValueError(
                f"trim: expected [low, high] with 0 <= low < 0.5 < high <= 1, got [{lo}, {hi}]"
            )
        return v

    @field_validator("treated_when")
    @classmethod
    def _condition(cls, v: str | None) -> str | None:
        if v is not None:
            from mlroi.errors import SpecError
            from mlroi.expr.parse import parse

            try:
                parse(v, field="treated_when", kind="condition")
            except SpecError as exc:
                raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _roles(self) -> AdjustmentConfig:
        roles = {"outcome": self.outcome}
        if self.treated_when is None:
            roles["treatment"] = self.treatment
        for role, column in roles.items():
            if column in self.covariates:
                raise ValueError(
                    f"covariates: {column!r} is the {role}; a covariate must be measured before"
                    " exposure and be neither the treatment nor the outcome"
                )
        if self.treated_when is None and self.treatment == self.outcome:
            raise ValueError(f"outcome: {self.outcome!r} is also the treatment column")
        return self
