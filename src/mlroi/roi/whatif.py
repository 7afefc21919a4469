"""What-if: the headline figures again with other inputs, from monthly flows by scaling only.

Value is linear in each driver's lift, margin and reach, and cost is a sum over cost lines,
so the figures at other inputs need no model: the flows at the point inputs
(:class:`~mlroi.roi.result.WhatIf`) are scaled, cut at the horizon, discounted and summed.
The report's what-if panel does this in the browser; :func:`figures` does the same in Python,
with the one set of finance formulas (:mod:`mlroi.roi.finance`), so a test can hold the page
to Python's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mlroi.roi import finance
from mlroi.roi.model import CaseModel, FloatArray
from mlroi.roi.result import WhatIf

MONTHS = 120
"""The longest horizon a case may have, so the panel can lengthen the horizon up to it."""


def flows(model: CaseModel) -> WhatIf:
    """The case's monthly flows at its point inputs, per driver and per cost line.

    Args:
        model: the case as a function of its inputs.

    Returns:
        Flows over :data:`MONTHS` months (or the case's horizon, if longer).
    """
    from mlroi.costs.schedule import cost_schedule

    case = model.case
    months = max(MONTHS, model.horizon)
    at = model.at_points()
    drivers = case.value.drivers
    unit_margin = {f"value.drivers[{i}].margin": np.ones(1) for i in range(len(drivers))}
    per_lift = [
        case.value.value_per_lift(i, months, {**at, **unit_margin})[0] for i in range(len(drivers))
    ]
    costs = cost_schedule(
        case.costs, months, model.rate_card, currency=case.finance.currency, params=at, n=1
    )
    assert costs.by_item is not None  # a one-draw schedule keeps its items
    return WhatIf(
        months=months,
        driver_flows=tuple(_floats(row) for row in per_lift),
        driver_margins=tuple(
            float(at[f"value.drivers[{i}].margin"][0]) for i in range(len(drivers))
        ),
        cost_flows=tuple(_floats(row) for row in costs.by_item),
    )


@dataclass(frozen=True)
class Inputs:
    """The inputs the what-if panel changes; None keeps the case's.

    Attributes:
        lifts: per driver, its lift per unit.
        margins: per driver, its margin.
        population: factor on the population reached (1 = the case's).
        cost_factors: per cost line, a factor on its cost (1 = the case's).
        horizon_months: months of value and cost to count.
        discount_rate: annual discount rate for NPV.
    """

    lifts: Sequence[float]
    margins: Sequence[float]
    population: float = 1.0
    cost_factors: Sequence[float] | None = None
    horizon_months: int | None = None
    discount_rate: float | None = None


def cash_flows(
    w: WhatIf, counts_as: Sequence[str], inputs: Inputs, horizon: int
) -> finance.CashFlows:
    """Value and cost schedules (one draw) at ``inputs``, cut at ``horizon`` months.

    Args:
        w: the flows at the point inputs.
        counts_as: per driver, ``value`` or ``cost``.
        inputs: the inputs to use.
        horizon: months to keep.

    Returns:
        The schedules, shape (1, horizon + 1).
    """
    value = np.zeros(horizon + 1)
    cost = np.zeros(horizon + 1)
    for flow, kind, lift, margin in zip(
        w.driver_flows, counts_as, inputs.lifts, inputs.margins, strict=True
    ):
        scaled = lift * margin * inputs.population * np.asarray(flow[: horizon + 1])
        if kind == "value":
            value += scaled
        else:
            cost += scaled
    factors = inputs.cost_factors or [1.0] * len(w.cost_flows)
    for flow, k in zip(w.cost_flows, factors, strict=True):
        cost += k * np.asarray(flow[: horizon + 1])
    return finance.CashFlows(value=value[None, :], cost=cost[None, :])


def figures(
    w: WhatIf, counts_as: Sequence[str], inputs: Inputs, horizon: int, rate: float
) -> Mapping[str, float]:
    """Value, cost, net value, return multiple, net ROI, NPV and payback at ``inputs``.

    Args:
        w: the flows at the point inputs.
        counts_as: per driver, ``value`` or ``cost``.
        inputs: the inputs to use; its horizon and rate, when set, replace ``horizon``, ``rate``.
        horizon: the case's horizon in months.
        rate: the case's annual discount rate.

    Returns:
        Each figure by the name the page uses.
    """
    h = inputs.horizon_months or horizon
    r = rate if inputs.discount_rate is None else inputs.discount_rate
    f = cash_flows(w, counts_as, inputs, h)
    return {
        "total_value": float(f.total_value[0]),
        "total_cost": float(f.total_cost[0]),
        "net_value": float(f.total_value[0] - f.total_cost[0]),
        "return_multiple": float(f.return_multiple[0]),
        "net_roi": float(f.net_roi[0]),
        "npv": float(f.npv(r)[0]),
        "payback_months": float(f.payback_months()[0]),
    }


def _floats(row: FloatArray) -> tuple[float, ...]:
    return tuple(float(x) for x in row)
