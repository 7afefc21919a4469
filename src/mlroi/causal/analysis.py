"""Runs the design a case's ``causal:`` section names (the one entry point the pipeline, the
CLI and the Python API share)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlroi.causal.result import CausalResult
from mlroi.spec.causal_adjust import AdjustmentConfig
from mlroi.spec.causal_did import DidConfig
from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig


def analyse_causal(
    config: AdjustmentConfig | DidConfig | ItsConfig | SyntheticControlConfig,
    *,
    base: Path | None = None,
    table: Any = None,
) -> CausalResult:
    """The observational estimate of ``config``'s design.

    Args:
        config: the ``causal:`` section (any design).
        base: folder that relative paths in ``config`` are resolved against.
        table: a path, a pandas/pyarrow frame or an Ibis table that replaces the source.

    Returns:
        The design's result: an :class:`~mlroi.causal.adjust_result.AdjustmentResult`, a
        :class:`~mlroi.causal.did_result.DidResult` or a
        :class:`~mlroi.causal.series_result.SeriesResult`.

    Raises:
        SpecError, DataError, BackendError, EstimationError: one line naming what to fix.
    """
    if isinstance(config, AdjustmentConfig):
        from mlroi.causal.adjust import analyse_adjustment

        return analyse_adjustment(config, base=base, table=table)
    if isinstance(config, DidConfig):
        from mlroi.causal.did import analyse_did

        return analyse_did(config, base=base, table=table)
    from mlroi.causal.synthetic import analyse_series

    return analyse_series(config, base=base, table=table)
