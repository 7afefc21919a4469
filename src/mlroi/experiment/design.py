"""Experiment design from data: each metric's sample size for an MDE, and its MDE at a given n.

The baseline (value, per-unit variance, CUPED variance reduction) of each metric comes from the
control arm of the same one-query aggregation the readout uses, so a past experiment or a
pre-period table designs the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlroi.errors import DataError
from mlroi.experiment.config import ExperimentConfig
from mlroi.experiment.readout import aggregate, units_table
from mlroi.sources.open import release
from mlroi.stats.power import Baseline, Design, minimum_detectable_effect, sample_size


@dataclass(frozen=True)
class MetricDesign:
    """The design of one metric.

    Attributes:
        metric: the metric's name.
        baseline: its value and per-unit variance in the control arm (and CUPED reduction).
        required: the sample size that detects ``mde`` with the requested power.
        at_n: the MDE at ``n_total`` units.
        reason: why the metric cannot be sized (then ``required`` and ``at_n`` are ``None``,
            and ``baseline`` too when the control arm gives none); ``None`` when it is sized.
    """

    metric: str
    baseline: Baseline | None
    required: Design | None
    at_n: Design | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "metric": self.metric,
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "required": None if self.required is None else self.required.to_dict(),
            "at_n": None if self.at_n is None else self.at_n.to_dict(),
            "reason": self.reason,
        }


def design(
    config: ExperimentConfig,
    *,
    mde: float,
    relative: bool = True,
    power: float = 0.8,
    n_total: int | None = None,
    data: Any = None,
    base: Path | None = None,
) -> tuple[MetricDesign, ...]:
    """Sample size for ``mde`` and MDE at ``n_total`` for every metric of ``config``.

    Args:
        config: the experiment configuration; its control arm supplies the baselines, its
            ``level`` and ``alternative`` the test, its first treatment's share the split.
        mde: minimum detectable effect (relative, e.g. 0.02, unless ``relative=False``).
        relative: whether ``mde`` is relative to the baseline value.
        power: the wanted power.
        n_total: units over control and one treatment for the MDE; default: as in the data.
        data: per-unit data, overriding ``config.source``.
        base: folder that relative paths are resolved against.

    A metric that cannot be sized (no spread in the control arm, or a relative ``mde`` of a
    metric whose control mean is not positive) is returned with its ``reason``; the others are
    sized as usual.
    """
    table, keys = units_table(config, data, base=base)
    try:
        stats, metrics, _ = aggregate(table, config, keys)
    finally:
        release(table, keys.table)
    control = stats.arm(config.control)
    if control.n < 2:
        raise DataError(f"control arm {config.control!r} needs at least 2 units for a baseline")
    treatment = config.treatments[0]
    shares = (config.arms[config.control], config.arms[treatment])
    observed = control.n + stats.arm(treatment).n
    n = n_total if n_total is not None else observed
    alpha = 1.0 - config.level
    out = []
    for metric in metrics:
        try:
            baseline = metric.baseline(control)
        except DataError:
            reason = f"no spread in the control arm {config.control!r}: it cannot be sized"
            out.append(MetricDesign(metric.name, None, None, None, reason))
            continue
        if relative and not baseline.mean > 0.0:
            reason = (
                f"its control mean is {baseline.mean:g}: a relative MDE needs a positive one"
                " (pass --absolute with an MDE in its units)"
            )
            out.append(MetricDesign(metric.name, baseline, None, None, reason))
            continue
        common: dict[str, Any] = dict(
            alpha=alpha, power=power, alternative=config.alternative, shares=shares
        )
        out.append(
            MetricDesign(
                metric=metric.name,
                baseline=baseline,
                required=sample_size(baseline, mde=mde, relative=relative, **common),
                at_n=minimum_detectable_effect(baseline, n_total=n, **common),
            )
        )
    return tuple(out)
