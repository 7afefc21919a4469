"""Break-even: the lift of the primary driver, and the factor on every cost, at which NPV is 0.

The NPV is linear in each lift and in a common factor on every cost, so each break-even is one
division: ``lift* = lift - NPV / (dNPV / dlift)`` and ``k* = PV(value) / PV(cost)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlroi.roi import finance
from mlroi.roi.model import CaseModel
from mlroi.roi.result import BreakEven, LiftInput
from mlroi.spec.case import Case
from mlroi.value.model import ExperimentLift


def _primary_driver(case: Case) -> int:
    """The driver of the primary metric; else the first driver that counts as value."""
    for i, d in enumerate(case.value.drivers):
        metric = d.lift.metric if isinstance(d.lift, ExperimentLift) else None
        if case.primary_metric in (d.name, metric):
            return i
    return next(i for i, d in enumerate(case.value.drivers) if d.counts_as == "value")


def driver_break_even(
    model: CaseModel, at_point: finance.CashFlows, i: int, measured: float
) -> tuple[float | None, str]:
    """The lift of driver ``i`` alone at which NPV = 0, the other inputs at their points.

    Args:
        model: the case as a function of its inputs.
        at_point: its schedules at the point inputs (one draw).
        i: the driver's index.
        measured: the driver's lift at its point.

    Returns:
        The break-even lift (None when NPV does not move with this lift) and whether NPV >= 0
        needs the lift ``at least`` or ``at most`` that value.
    """
    case = model.case
    rate = case.finance.discount_rate
    driver = case.value.drivers[i]
    per_lift = float(
        finance.npv(case.value.value_per_lift(i, model.horizon, model.at_points()), rate)[0]
    )
    slope = per_lift if driver.counts_as == "value" else -per_lift  # NPV per unit of lift
    direction = "at least" if slope > 0 else "at most"
    if slope == 0:
        return None, direction
    return measured - float(at_point.npv(rate)[0]) / slope, direction


def break_even(
    model: CaseModel, at_point: finance.CashFlows, lifts: Sequence[LiftInput]
) -> BreakEven:
    """NPV is linear in each lift and in a common factor on every cost: solve each for NPV = 0.

    Args:
        model: the case as a function of its inputs.
        at_point: its schedules at the point inputs (one draw).
        lifts: the lift of every driver, in driver order.

    Returns:
        The break-even lift of the primary driver, the break-even cost multiple and the share
        of the estimated value at which NPV = 0.
    """
    case = model.case
    rate = case.finance.discount_rate
    i = _primary_driver(case)
    info = lifts[i]
    lift, direction = driver_break_even(model, at_point, i, info.estimate)
    relative: float | None = None
    if lift is not None and info.control_value is not None and info.control_value > 0:
        relative = lift / info.control_value
    pv_value = float(finance.npv(at_point.value, rate)[0])
    pv_cost = float(finance.npv(at_point.cost, rate)[0])
    share = float(finance.break_even_scale(pv_value, pv_cost))
    scale = 1 / share if pv_cost > 0 else None
    return BreakEven(
        driver=info.driver,
        metric=info.metric,
        measured_lift=info.estimate,
        lift=lift,
        lift_relative=relative,
        direction=direction,
        cost_total=scale * float(at_point.total_cost[0])
        if scale is not None and scale > 0
        else None,
        cost_multiple=scale,
        value_share=share if math.isfinite(share) else None,
    )
