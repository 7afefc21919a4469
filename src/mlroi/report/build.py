"""The view of any result: picks the builder for the result's kind."""

from __future__ import annotations

from typing import Any

from mlroi.report.view import View


def view_of(result: Any, *, segments: bool = True) -> View:
    """The :class:`~mlroi.report.view.View` of an experiment, decision or ROI result.

    Args:
        result: an :class:`~mlroi.experiment.result.ExperimentResult`,
            :class:`~mlroi.decision.result.DecisionResult` or :class:`~mlroi.roi.result.RoiResult`.
        segments: include an experiment's segment table.

    Returns:
        The view, ready for any renderer.
    """
    from mlroi.decision.result import DecisionResult
    from mlroi.experiment.result import ExperimentResult
    from mlroi.roi.result import RoiResult

    if isinstance(result, ExperimentResult):
        from mlroi.report.experiment import experiment_view

        return experiment_view(result, segments=segments)
    if isinstance(result, DecisionResult):
        from mlroi.report.decision import decision_view

        return decision_view(result)
    if isinstance(result, RoiResult):
        from mlroi.report.roi import roi_view

        return roi_view(result)
    raise TypeError(f"no report view for {type(result).__name__}")


def describe(result: Any) -> str:
    """A short plain-text description of a result (its ``repr``).

    Args:
        result: any result :func:`view_of` accepts.

    Returns:
        For a readout, one line per comparison and guardrail; for a decision analysis, its
        sentences; for an ROI result, its headline.
    """
    from mlroi.decision.result import DecisionResult
    from mlroi.experiment.result import ExperimentResult
    from mlroi.roi.result import RoiResult

    if isinstance(result, ExperimentResult):
        from mlroi.report.experiment import describe as describe_readout

        return describe_readout(result)
    if isinstance(result, RoiResult):
        return f"RoiResult({result.case!r}): {result.headline()}"
    if isinstance(result, DecisionResult):
        return "\n".join(result.summary())
    raise TypeError(f"no description for {type(result).__name__}")
