"""Metric definitions (mean, proportion, ratio) and the events-to-units derivation."""

from mlroi.metrics.definitions import Mean, Metric, Proportion, Ratio

__all__ = ["Mean", "Metric", "Proportion", "Ratio"]
