"""A case as one vectorised function of its numeric inputs: arrays of inputs → cash flows.

Every numeric input of a case has a path (``value.drivers[0].margin``, ``costs[2].hours``,
``value.drivers[0].lift``) and a :mod:`quantity <mlroi.spec.quantity>`. :class:`CaseModel`
turns arrays of those inputs, one entry per draw, into monthly value and cost schedules; the
engine calls it at the point inputs, with Monte Carlo draws, and with one input at a time at the
ends of its range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mlroi import formatting as fmt
from mlroi.costs.ratecard import RateCard
from mlroi.costs.schedule import cost_schedule
from mlroi.errors import SpecError
from mlroi.roi import finance
from mlroi.spec.case import Case
from mlroi.spec.quantity import Quantity, point

FloatArray = npt.NDArray[np.float64]

FLOW_LIMIT = 1e100
"""Largest monthly value or cost the ROI arithmetic takes: its figures add flows over months
and draws, square them for spreads and divide them; 1e100 leaves float64 room for all of it,
and no business case comes near it (a larger one is a typo or a unit mistake)."""


@dataclass(frozen=True)
class CaseModel:
    """A case, its rate card, and the quantity of every numeric input, by path.

    Attributes:
        case: the validated case.
        rate_card: the prices its cost items refer to.
        quantities: every numeric input by path, the lifts included.
    """

    case: Case
    rate_card: RateCard
    quantities: Mapping[str, Quantity]

    @property
    def horizon(self) -> int:
        """The last month of the schedules."""
        return self.case.finance.horizon_months

    def flows(self, params: Mapping[str, FloatArray], n: int) -> finance.CashFlows:
        """Value and cost schedules, shape (n, horizon + 1), for arrays of inputs.

        Args:
            params: every input by path, each of length 1 or ``n``.
            n: the number of draws.

        Returns:
            The value and cost schedules, one row per draw.
        """
        value_model = self.case.value
        lifts = {i: params[f"value.drivers[{i}].lift"] for i in range(len(value_model.drivers))}
        # an overflow is found below and named by its input, not left to a numpy warning
        with np.errstate(over="ignore", invalid="ignore"):
            value = value_model.schedule(self.horizon, lifts, params)
            measured_cost = value_model.schedule(self.horizon, lifts, params, "cost")
            shape = (n, self.horizon + 1)
            per_draw = {k: np.broadcast_to(v, (n,)) for k, v in params.items()}
            costs = cost_schedule(
                self.case.costs,
                self.horizon,
                self.rate_card,
                params=per_draw,
                n=n,
                currency=self.case.finance.currency,
            )
            cost = costs.total  # this call's own array: the measured costs are added in place
            if np.broadcast_shapes(cost.shape, measured_cost.shape) == cost.shape:
                cost += measured_cost
            else:
                cost = cost + measured_cost
            flows = finance.CashFlows(
                value=np.broadcast_to(value, shape),
                cost=np.broadcast_to(cost, shape),
            )
        for kind, amounts in (("value", flows.value), ("cost", flows.cost)):
            _refuse_overflow(kind, amounts, params, self.case.finance.currency)
        return flows

    def at_points(self, **override: FloatArray) -> dict[str, FloatArray]:
        """Every input at its point (an array of length 1), except those given by path."""
        out = {k: np.array([point(q)]) for k, q in self.quantities.items()}
        out.update(override)
        return out


def figure(flows: finance.CashFlows, name: str, rate: float) -> FloatArray:
    """One headline figure per draw; every figure is defined once, on :class:`CashFlows`.

    Args:
        flows: the schedules, one row per draw.
        name: ``total_value``, ``total_cost``, ``net_value``, ``return_multiple``, ``net_roi``,
            ``npv``, ``irr`` or ``payback``.
        rate: the annual discount rate, for the NPV.

    Returns:
        The figure per draw.
    """
    figures: dict[str, Callable[[], FloatArray]] = {
        "total_value": lambda: flows.total_value,
        "total_cost": lambda: flows.total_cost,
        "net_value": lambda: flows.total_value - flows.total_cost,
        "return_multiple": lambda: flows.return_multiple,
        "net_roi": lambda: flows.net_roi,
        "npv": lambda: flows.npv(rate),
        "irr": flows.irr,
        "payback": flows.payback_months,
    }
    return np.asarray(figures[name](), dtype=np.float64)


def _refuse_overflow(
    kind: str, amounts: FloatArray, params: Mapping[str, FloatArray], currency: str
) -> None:
    """Raise, naming the largest input, when a monthly amount is not finite or passes
    :data:`FLOW_LIMIT`.

    Raises:
        SpecError: starts with the input's path (``value.drivers[0].units_per_month: ...``), so
            the command line puts the case file's line in front.
    """
    # the largest |amount| from the largest and the smallest: no (n, H + 1) copy of abs values
    with np.errstate(invalid="ignore"):
        high = float(np.max(amounts, initial=0.0))
        low = float(np.min(amounts, initial=0.0))
    top = math.nan if math.isnan(high) or math.isnan(low) else max(high, -low)
    if top <= FLOW_LIMIT:  # False for NaN too
        return
    # a draw that is NaN (an input so wide its draws overflowed) is the largest, not ignored:
    # NaN compares false, so max() would otherwise blame whichever input came first
    sizes = {
        k: float(np.max(np.where(np.isnan(v), np.inf, np.abs(v)), initial=0.0))
        for k, v in params.items()
    }
    field = max(sizes, key=lambda k: sizes[k])
    reach = fmt.money(top, currency) if math.isfinite(top) else "beyond float64's range"
    size = fmt.number(sizes[field]) if math.isfinite(sizes[field]) else "a range this wide"
    raise SpecError(
        f"{field}: {size} makes the monthly {kind} reach {reach}, more"
        f" than the ROI arithmetic holds ({fmt.number(FLOW_LIMIT)}): check the figure, or"
        " state the case in larger units (e.g. thousands)"
    )
