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

# The ROI layer is imported on first use, so that a readout does not pay for it.
_LAZY = {
    "Case": "mlroi.spec.case",
    "Finance": "mlroi.spec.case",
    "Population": "mlroi.spec.case",
    "Simulation": "mlroi.spec.case",
    "load_case": "mlroi.spec.case",
    "Driver": "mlroi.value.model",
    "ValueModel": "mlroi.value.model",
    "ManualLift": "mlroi.value.model",
    "ExperimentLift": "mlroi.value.model",
    "Range": "mlroi.spec.quantity",
    "evaluate": "mlroi.pipeline",
    "RoiResult": "mlroi.roi.result",
    "decide": "mlroi.decision.analysis",
    "DecisionConfig": "mlroi.decision.config",
    "DecisionResult": "mlroi.decision.result",
    "analyse_retention": "mlroi.retention.analysis",
    "RetentionConfig": "mlroi.spec.retention",
    "RetentionResult": "mlroi.retention.result",
    "attribute": "mlroi.attribution.analysis",
    "attribute_paths": "mlroi.attribution.analysis",
    "AttributionConfig": "mlroi.attribution.config",
    "AttributionResult": "mlroi.attribution.result",
    "analyse_causal": "mlroi.causal.analysis",
    "analyse_adjustment": "mlroi.causal.adjust",
    "analyse_did": "mlroi.causal.did",
    "analyse_its": "mlroi.causal.synthetic",
    "analyse_synthetic_control": "mlroi.causal.synthetic",
    "AdjustmentConfig": "mlroi.spec.causal_adjust",
    "DidConfig": "mlroi.spec.causal_did",
    "ItsConfig": "mlroi.spec.causal_synth",
    "SyntheticControlConfig": "mlroi.spec.causal_synth",
    "CausalResult": "mlroi.causal.result",
    "AdjustmentResult": "mlroi.causal.adjust_result",
    "DidResult": "mlroi.causal.did_result",
    "SeriesResult": "mlroi.causal.series_result",
}
__all__ += list(_LAZY)


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlroi' has no attribute {name!r}")
