"""The case's ``causal:`` section: one observational design, named by ``design:``.

Each design keeps its own model next to its analysis; this module only joins them, so that a
case file names one and is validated against that one's fields.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mlroi.spec.causal_adjust import AdjustmentConfig
from mlroi.spec.causal_did import DidConfig
from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig

CausalConfig = Annotated[
    AdjustmentConfig | DidConfig | ItsConfig | SyntheticControlConfig,
    Field(discriminator="design"),
]
"""``design: adjustment | did | its | synthetic_control`` and that design's fields."""

__all__ = ["CausalConfig"]
