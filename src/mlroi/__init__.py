"""mlroi: measure what a machine-learning system is worth to the business."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlroi.errors import BackendError, DataError, EstimationError, MlroiError, SpecError

if TYPE_CHECKING:
    from mlroi.attribution.analysis import attribute, attribute_paths
    from mlroi.attribution.config import AttributionConfig
    from mlroi.attribution.result import AttributionResult
    from mlroi.causal.adjust import analyse_adjustment
    from mlroi.causal.adjust_result import AdjustmentResult
    from mlroi.causal.analysis import analyse_causal
    from mlroi.causal.did import analyse_did
    from mlroi.causal.did_result import DidResult
    from mlroi.causal.result import CausalResult
    from mlroi.causal.series_result import SeriesResult
    from mlroi.causal.synthetic import analyse_its, analyse_synthetic_control
    from mlroi.decision.analysis import decide
    from mlroi.decision.config import DecisionConfig
    from mlroi.decision.result import DecisionResult
    from mlroi.experiment.config import ExperimentConfig, Guardrail
    from mlroi.experiment.readout import readout
    from mlroi.experiment.result import ExperimentResult
    from mlroi.metrics import Mean, Proportion, Ratio
    from mlroi.metrics.events import EventColumn, EventLog
    from mlroi.pipeline import evaluate
    from mlroi.retention.analysis import analyse_retention
    from mlroi.retention.result import RetentionResult
    from mlroi.roi.result import RoiResult
    from mlroi.sources import Source
    from mlroi.spec.case import Case, Finance, Population, Simulation, load_case
    from mlroi.spec.causal_adjust import AdjustmentConfig
    from mlroi.spec.causal_did import DidConfig
    from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig
    from mlroi.spec.quantity import Range
    from mlroi.spec.retention import RetentionConfig
    from mlroi.value.model import Driver, ExperimentLift, ManualLift, ValueModel

__all__ = [
    "AdjustmentConfig",
    "AdjustmentResult",
    "AttributionConfig",
    "AttributionResult",
    "BackendError",
    "Case",
    "CausalResult",
    "DataError",
    "DecisionConfig",
    "DecisionResult",
    "DidConfig",
    "DidResult",
    "Driver",
    "EstimationError",
    "EventColumn",
    "EventLog",
    "ExperimentConfig",
    "ExperimentLift",
    "ExperimentResult",
    "Finance",
    "Guardrail",
    "ItsConfig",
    "ManualLift",
    "Mean",
    "MlroiError",
    "Population",
    "Proportion",
    "Range",
    "Ratio",
    "RetentionConfig",
    "RetentionResult",
    "RoiResult",
    "SeriesResult",
    "Simulation",
    "Source",
    "SpecError",
    "SyntheticControlConfig",
    "ValueModel",
    "analyse_adjustment",
    "analyse_causal",
    "analyse_did",
    "analyse_its",
    "analyse_retention",
    "analyse_synthetic_control",
    "attribute",
    "attribute_paths",
    "decide",
    "evaluate",
    "load_case",
    "readout",
]
__version__ = "0.1.0"

# Everything but the errors is imported on first use (PEP 562): `mlroi --help` and a readout
# load only what they use, and `import mlroi` stays cheap.
_LAZY = {
    "ExperimentConfig": "mlroi.experiment.config",
    "ExperimentResult": "mlroi.experiment.result",
    "Guardrail": "mlroi.experiment.config",
    "readout": "mlroi.experiment.readout",
    "Mean": "mlroi.metrics",
    "Proportion": "mlroi.metrics",
    "Ratio": "mlroi.metrics",
    "EventColumn": "mlroi.metrics.events",
    "EventLog": "mlroi.metrics.events",
    "Source": "mlroi.sources",
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


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlroi' has no attribute {name!r}")
