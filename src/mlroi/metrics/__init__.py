"""Metric types (mean, proportion, ratio), what they need from the backend, and their estimates;
the events-to-units derivation."""

from mlroi.metrics.base import Estimates, MetricBase, ReadoutMetric
from mlroi.metrics.definitions import Mean, Metric, Proportion, Ratio

__all__ = ["Estimates", "Mean", "Metric", "MetricBase", "Proportion", "Ratio", "ReadoutMetric"]
