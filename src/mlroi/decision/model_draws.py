"""One model's numbers in every bootstrap resample, from its resampled bin sums.

Each resample's curve is :func:`~mlroi.decision.value_curve.value_curve` of its bins (those with no
row drawn are dropped), evaluated at the bin edges only, and
:func:`~mlroi.decision.optimum.optimum` picks its best feasible threshold; the value at the chosen
threshold is exact (see :mod:`mlroi.decision.bootstrap`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlroi.decision.arrays import FloatArray
from mlroi.decision.optimum import Constraint, optimum
from mlroi.decision.score_groups import ScoreGroups
from mlroi.decision.value_curve import value_curve
from mlroi.expr import Expr, evaluate

__all__ = ["ModelDraws", "model_draws"]


@dataclass(frozen=True, eq=False)
class ModelDraws:
    """One model's numbers in every resample, one array entry per resample.

    Attributes:
        value_at_chosen: value at the chosen threshold (exact for the resample).
        incremental_value_at_chosen: the same minus the value of acting on nobody.
        optimal_threshold: the best feasible threshold; NaN when infeasible.
        optimal_objective: the objective at that threshold; NaN when infeasible.
        optimal_value: the value at that threshold; NaN when infeasible.
        auc: binned ROC AUC; NaN when the resample has no positive or no negative row.
        rows_drawn: rows drawn, ``sum_i w_i`` over every row (a whole number; the same for
            every model, whose weights are shared), the denominator of the per-row figures.
        lows: the lowest score of each bin, highest first: the thresholds at which the
            resampled curve is known exactly.
        incremental_at_edges: ``(resamples, bins)``: the value gained over acting on nobody
            when acting on ``score >= lows[j]``, per resample (what
            :meth:`mlroi.decision.result.DecisionResult.at` reads a stated threshold from).
    """

    value_at_chosen: FloatArray
    incremental_value_at_chosen: FloatArray
    optimal_threshold: FloatArray
    optimal_objective: FloatArray
    optimal_value: FloatArray
    auc: FloatArray
    rows_drawn: FloatArray
    lows: FloatArray | None = None
    incremental_at_edges: FloatArray | None = None

    def to_dict(self) -> dict[str, list[float]]:
        """Every per-resample array as a list (the per-edge values are left out)."""
        return {name: getattr(self, name).tolist() for name in _DRAW_FIELDS}


_DRAW_FIELDS = (
    "value_at_chosen",
    "incremental_value_at_chosen",
    "optimal_threshold",
    "optimal_objective",
    "optimal_value",
    "auc",
    "rows_drawn",
)


def model_draws(
    lows: FloatArray,
    sums: FloatArray,
    chosen: float,
    sum_names: list[str],
    checks: Sequence[Constraint],
    goal: Expr,
    objective: str,
) -> ModelDraws:
    """One model's numbers in every resample from its bin sums ``(resamples, bins, k)``."""
    acted = int(np.count_nonzero(lows >= chosen))  # bins 0 .. acted-1 are score >= chosen
    act, leave = sums[:, :, 2], sums[:, :, 3]
    value_at = act[:, :acted].sum(axis=1) + leave[:, acted:].sum(axis=1)
    incremental = (act[:, :acted] - leave[:, :acted]).sum(axis=1)
    rows_drawn = sums[:, :, 0].sum(axis=1)  # whole numbers, exact in float64
    resamples = sums.shape[0]
    threshold, best, best_value, auc = (np.full(resamples, np.nan) for _ in range(4))
    for r in range(resamples):
        keep = sums[r][:, 0] > 0
        drawn = sums[r][keep]
        if drawn.shape[0] == 0:  # no row drawn at all (chance e^-n): no curve
            continue
        groups = ScoreGroups(
            score=lows[keep],
            n=np.rint(drawn[:, 0]).astype(np.int64),
            positives=np.rint(drawn[:, 1]).astype(np.int64),
            act=drawn[:, 2],
            leave=drawn[:, 3],
            sums={name: drawn[:, 4 + j] for j, name in enumerate(sum_names)},
        )
        curve = value_curve(groups)
        auc[r] = np.nan if curve.auc is None else curve.auc
        decision = optimum(curve, checks, objective)
        if decision.point is not None:
            threshold[r] = decision.point["threshold"]
            best[r] = float(evaluate(goal, decision.point, field="objective"))
            best_value[r] = decision.point["value"]
    return ModelDraws(
        value_at_chosen=value_at,
        incremental_value_at_chosen=incremental,
        optimal_threshold=threshold,
        optimal_objective=best,
        optimal_value=best_value,
        auc=auc,
        rows_drawn=rows_drawn,
        lows=lows,
        incremental_at_edges=np.cumsum(act - leave, axis=1),
    )
