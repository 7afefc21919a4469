"""The metric types a configuration can name, told apart by their ``type`` field.

Each type lives in its own module (:mod:`~mlroi.metrics.mean`, :mod:`~mlroi.metrics.proportion`,
:mod:`~mlroi.metrics.ratio`) and declares what it needs from the backend and how it turns the
aggregates into its estimate (:mod:`~mlroi.metrics.base`). A new type is one new module, plus its
class in :data:`Metric` so that a case file can name it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mlroi.metrics.mean import Mean
from mlroi.metrics.proportion import Proportion
from mlroi.metrics.ratio import Ratio

Metric = Annotated[Mean | Proportion | Ratio, Field(discriminator="type")]

__all__ = ["Mean", "Metric", "Proportion", "Ratio"]
