"""The view of any result: picks the builder for the result's kind.

Builders are found by the result's class name and imported on demand, so printing a readout
loads neither the decision analysis (numpy) nor the ROI engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from mlroi.report.view import View

_BUILDERS = {
    "mlroi.experiment.result.ExperimentResult": "mlroi.report.experiment",
    "mlroi.decision.result.DecisionResult": "mlroi.report.decision",
    "mlroi.roi.result.RoiResult": "mlroi.report.roi",
    "mlroi.case_result.CaseResult": "mlroi.report.case",
    "mlroi.comparison.Comparison": "mlroi.report.comparison",
    "mlroi.retention.result.RetentionResult": "mlroi.report.retention",
    "mlroi.attribution.result.AttributionResult": "mlroi.report.attribution",
    "mlroi.causal.adjust_result.AdjustmentResult": "mlroi.report.causal_adjust",
    "mlroi.causal.did_result.DidResult": "mlroi.report.causal_did",
    "mlroi.causal.series_result.SeriesResult": "mlroi.report.causal_synth",
}
"""Result class -> the report module with its ``view`` and ``describe`` functions."""


def _builder(result: Any) -> Any:
    for cls in type(result).__mro__:
        name = _BUILDERS.get(f"{cls.__module__}.{cls.__qualname__}")
        if name is not None:
            return import_module(name)
    raise TypeError(f"no report view for {type(result).__name__}")


def view_of(result: Any, *, segments: bool = True) -> View:
    """The :class:`~mlroi.report.view.View` of an experiment, decision or ROI result.

    Args:
        result: an :class:`~mlroi.experiment.result.ExperimentResult`,
            :class:`~mlroi.decision.result.DecisionResult` or :class:`~mlroi.roi.result.RoiResult`.
        segments: include an experiment's segment table (ignored for other results).

    Returns:
        The view, ready for any renderer.
    """
    view: View = _builder(result).view(result, segments=segments)
    return view


def describe(result: Any) -> str:
    """A short plain-text description of a result (its ``repr``).

    Args:
        result: any result :func:`view_of` accepts.

    Returns:
        For a readout, one line per comparison and guardrail; for a decision analysis, its
        sentences; for an ROI result, its headline.
    """
    text: str = _builder(result).describe(result)
    return text


def notebook_html(result: Any) -> str:
    """What a notebook shows for a result: its report section (for a whole case, every part of
    its report) with the same charts as the HTML report, failed checks first."""
    from mlroi.report.html import notebook

    builder = _builder(result)
    parts = getattr(builder, "parts", None)
    views: list[View] = parts(result) if parts is not None else [builder.view(result)]
    return notebook(views)
