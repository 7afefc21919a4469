"""One-at-a-time sensitivity (tornado): each uncertain input at the ends of its range.

Each uncertain input is set to the low and the high end of its central ``level`` range, the
others held at their points, and the NPV and net ROI are recomputed; the swings are sorted
widest first.
"""

from __future__ import annotations

import numpy as np

from mlroi.roi import finance
from mlroi.roi.model import CaseModel, figure
from mlroi.roi.result import Swing
from mlroi.spec.case import Case
from mlroi.spec.quantity import bounds, is_uncertain


def sensitivity(model: CaseModel) -> tuple[Swing, ...]:
    """The NPV and net ROI with each uncertain input at either end of its range.

    Args:
        model: the case as a function of its inputs.

    Returns:
        One swing per uncertain input, widest first (ties by path); a count driver's inputs
        are left out (a count is not money).
    """
    level = model.case.simulation.level
    rate = model.case.finance.discount_rate
    swings = []
    counts = tuple(
        f"value.drivers[{i}]." for i, d in enumerate(model.case.value.drivers) if d.unit == "count"
    )
    for path, q in model.quantities.items():
        if not is_uncertain(q) or path.startswith(counts):
            continue  # a count driver's inputs do not move the money
        lo, hi = bounds(q, level)
        flows = model.flows(model.at_points(**{path: np.array([lo, hi])}), 2)
        npv = finance.npv(flows.net, rate)
        roi = figure(flows, "net_roi", rate)
        swings.append(
            Swing(
                parameter=path,
                label=_label(model.case, path),
                low=lo,
                high=hi,
                npv_low=float(npv[0]),
                npv_high=float(npv[1]),
                net_roi_low=float(roi[0]),
                net_roi_high=float(roi[1]),
            )
        )
    return tuple(sorted(swings, key=lambda s: (-s.width, s.parameter)))


def _label(case: Case, path: str) -> str:
    """``value.drivers[0].margin`` → ``incremental revenue: margin``."""
    head, _, field = path.rpartition(".")
    for prefix, items in (("value.drivers", case.value.drivers), ("costs", case.costs)):
        for i, item in enumerate(items):
            if head == f"{prefix}[{i}]":
                return f"{item.name}: {field.replace('_', ' ')}"
    return path.removeprefix("value.").replace(".", ": ").replace("_", " ")
