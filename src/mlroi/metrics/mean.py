"""The mean of a per-unit column, e.g. revenue per user."""

from __future__ import annotations

from typing import Literal

from mlroi.metrics.base import ColumnMetric


class Mean(ColumnMetric):
    """The mean of a per-unit column, e.g. revenue per user; Welch's t-test."""

    type: Literal["mean"] = "mean"
