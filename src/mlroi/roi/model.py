"""A case as one vectorised function of its numeric inputs: arrays of inputs → cash flows.

Every numeric input of a case has a path (``value.drivers[0].margin``, ``costs[2].hours``,
``value.drivers[0].lift``) and a :mod:`quantity <mlroi.spec.quantity>`. :class:`CaseModel`
turns arrays of those inputs, one entry per draw, into monthly value and cost schedules; the
engine calls it at the point inputs, with Monte Carlo draws, and with one input at a time at the
ends of its range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mlroi.costs.ratecard import RateCard
from mlroi.costs.schedule import cost_schedule
from mlroi.roi import finance
from mlroi.spec.case import Case
from mlroi.spec.quantity import Quantity, point

FloatArray = npt.NDArray[np.float64]


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
        return finance.CashFlows(
            value=np.broadcast_to(value, shape),
            cost=np.broadcast_to(costs.total + measured_cost, shape),
        )

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
