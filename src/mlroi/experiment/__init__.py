"""A/B readout: configuration, one-query aggregation, comparisons, guardrails, segments."""

from mlroi.experiment.config import ExperimentConfig, Guardrail
from mlroi.experiment.readout import readout
from mlroi.experiment.result import Comparison, ExperimentResult, GuardrailCheck

__all__ = [
    "Comparison",
    "ExperimentConfig",
    "ExperimentResult",
    "Guardrail",
    "GuardrailCheck",
    "readout",
]
