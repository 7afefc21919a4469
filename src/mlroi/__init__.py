"""mlroi: measure what a machine-learning system is worth to the business."""

from mlroi.errors import BackendError, DataError, EstimationError, MlroiError, SpecError
from mlroi.experiment import ExperimentConfig, ExperimentResult, Guardrail, readout
from mlroi.metrics import Mean, Proportion, Ratio
from mlroi.metrics.events import EventColumn, EventLog
from mlroi.sources import Source

__all__ = [
    "BackendError",
    "DataError",
    "EstimationError",
    "EventColumn",
    "EventLog",
    "ExperimentConfig",
    "ExperimentResult",
    "Guardrail",
    "Mean",
    "MlroiError",
    "Proportion",
    "Ratio",
    "Source",
    "SpecError",
    "readout",
]
__version__ = "0.1.0"
