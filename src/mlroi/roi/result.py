"""The ROI result: plain, frozen, typed numbers that serialise to JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mlroi.assumption import Assumption
from mlroi.result import Result
from mlroi.serialize import json_ready
from mlroi.stats.interval import Interval
from mlroi.value.fitted import FittedShape


@dataclass(frozen=True)
class LiftInput:
    """Where one driver's lift comes from and its sampling distribution."""

    driver: str
    metric: str | None
    source: str
    estimate: float
    std_error: float | None
    distribution: str
    control_value: float | None = None
    interval: Interval | None = None
    """The readout's interval of the absolute lift, at ``level`` (readout lifts only)."""
    relative: Interval | None = None
    """The readout's relative lift and its interval (``None`` when undefined)."""
    level: float | None = None
    """The readout's confidence level."""
    units: tuple[int, int] | None = None
    """Units in control and in the treatment arm."""


@dataclass(frozen=True)
class Swing:
    """One-at-a-time sensitivity of NPV and net ROI to one uncertain input."""

    parameter: str
    label: str
    low: float
    high: float
    npv_low: float
    npv_high: float
    net_roi_low: float
    net_roi_high: float

    @property
    def width(self) -> float:
        """How far NPV moves across the input's range."""
        return abs(self.npv_high - self.npv_low)


@dataclass(frozen=True)
class BreakEven:
    """The smallest lift at which NPV >= 0, and the largest cost.

    ``lift`` is in the primary driver's metric units per unit (others held at their point
    values); NPV >= 0 needs a lift ``direction`` ("at least" / "at most") that value;
    ``lift_relative`` divides it by the control value when the experiment gave one.
    ``cost_total`` is the total cost over the horizon at which NPV = 0 (all cost lines scaled).
    ``value_share`` is the share of the estimated value (all drivers scaled alike) at which
    NPV = 0: value can fall to that share of the estimate before the system loses money.
    """

    driver: str
    metric: str | None
    measured_lift: float
    lift: float | None
    lift_relative: float | None
    direction: str
    cost_total: float | None
    cost_multiple: float | None
    value_share: float | None = None


@dataclass(frozen=True)
class DriverValue:
    """One driver's share of the value over the horizon, and the lift at which NPV is zero.

    Attributes:
        driver: the driver's name.
        counts_as: ``value`` or ``cost`` (a measured cost, such as discounts given).
        total: its value (or measured cost) over the horizon, undiscounted, with the Monte Carlo
            interval at the result's level.
        share: its point value over the point value of all drivers that count as value (None
            for a measured cost).
        measured_lift: the lift the case used, per unit.
        break_even_lift: the lift of this driver alone at which NPV = 0, the others at their
            points; None when the NPV does not move with it.
        direction: whether NPV >= 0 needs the lift ``at least`` or ``at most`` that value.
        basis: what its value is (incremental revenue, gross profit, cost saved, losses
            avoided, engagement value, count; ``cost`` for a measured cost).
        unit: ``currency``, or ``count`` for a count driver: its total is a count, not part of
            the money, with no share and no break-even lift.
    """

    driver: str
    counts_as: str
    total: Interval
    share: float | None
    measured_lift: float
    break_even_lift: float | None
    direction: str
    basis: str = "incremental revenue"
    unit: str = "currency"


@dataclass(frozen=True)
class PeriodConversion:
    """One driver's value over the period its lift is stated in, and over a month.

    Attributes:
        driver: the driver's name.
        per: ``month``, ``year`` or ``window``, as the case states it, or ``month`` when the
            case states none (``stated`` False).
        stated: whether the case gave ``per``.
        window_days: the experiment's window, for ``window``.
        months_per: how many periods make a month (1, 1/12, 30.4375 / window_days).
        per_period: lift x value per unit x margin x units per month, at the point inputs,
            before growth, ramp and decay: the driver's value over one period.
        per_month: ``per_period * months_per``: what the schedule counts a month.
    """

    driver: str
    per: str
    stated: bool
    window_days: float | None
    months_per: float
    per_period: float
    per_month: float


@dataclass(frozen=True)
class WhatIf:
    """Monthly flows at the point inputs, for recomputing the figures with other inputs.

    Value is linear in each driver's lift, margin and units, and cost in each cost line, so the
    report's what-if panel recomputes value, cost, net ROI, NPV and payback from these flows by
    scaling, discounting and summing only (:func:`mlroi.roi.whatif.figures` does the same in
    Python). Each flow has ``months + 1`` entries, month 0 first; the case's horizon is the
    first ``horizon_months + 1``.

    Attributes:
        months: the longest horizon the flows cover.
        driver_flows: per driver, its value (or measured cost) per unit of lift at a margin of
            1 and the case's population: ``lift * margin * population * flow``.
        driver_margins: each driver's margin at its point (1 for a driver booked as a cost).
        cost_flows: per cost line (as in ``RoiResult.costs``, measured costs excluded), its cost.
    """

    months: int
    driver_flows: tuple[tuple[float, ...], ...]
    driver_margins: tuple[float, ...]
    cost_flows: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Bins:
    """A histogram of draws: ``counts[i]`` draws in ``[edges[i], edges[i + 1])``; draws outside
    the edges (the outer 0.5% each side) are counted in ``below`` and ``above``."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    below: int
    above: int


@dataclass(frozen=True)
class Period:
    """One month of the point schedule (month 0 holds one-time costs paid at the start)."""

    month: int
    value: float
    cost: float
    cumulative_net: float


@dataclass(frozen=True)
class CostLine:
    """One cost item over the horizon, at its point inputs."""

    name: str
    category: str
    total: float
    description: str


FIGURES = (
    "total_value",
    "total_cost",
    "net_value",
    "return_multiple",
    "net_roi",
    "npv",
    "irr",
    "payback_months",
)
"""The headline figures of :class:`RoiResult`, each an :class:`~mlroi.stats.interval.Interval`
at the result's Monte Carlo ``level``."""


@dataclass(frozen=True, repr=False)
class RoiResult(Result):
    """Everything the ROI engine found for one case.

    The return multiple is value / cost; net ROI is (value - cost) / cost. Both are over the
    horizon, undiscounted; NPV discounts monthly flows at the case's rate (``timing``). Its
    JSON carries the headline sentence (:func:`mlroi.report.roi.headline`). ``assumptions``
    lists every input with its unit and source (data, case, mlroi default, rate card);
    ``periods`` each driver's value over its stated period and a month; ``warnings`` inputs
    that imply an implausible value (over 100x the population's spend); ``effect_shape`` the
    retention analysis's fitted decay the effect follows over the horizon, if any.
    """

    headline_in_json: ClassVar[bool] = True

    case: str
    currency: str
    value_label: str
    horizon_months: int
    discount_rate: float
    timing: str
    level: float
    draws: int
    seed: int
    total_value: Interval
    total_cost: Interval
    net_value: Interval
    return_multiple: Interval
    net_roi: Interval
    npv: Interval
    irr: Interval
    irr_draws: int
    payback_months: Interval
    p_net_roi_positive: float
    p_npv_positive: float
    p_payback_within_horizon: float
    break_even: BreakEven
    sensitivity: tuple[Swing, ...]
    lifts: tuple[LiftInput, ...]
    costs: tuple[CostLine, ...]
    schedule: tuple[Period, ...]
    rate_card_date: str | None = None
    model_metrics: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()
    experiment: Any = None
    drivers: tuple[DriverValue, ...] = ()
    what_if: WhatIf | None = None
    failed_checks: tuple[str, ...] = ()
    checks_accepted: str | None = None
    uncertain: bool = True
    net_roi_bins: Bins | None = None
    assumptions: tuple[Assumption, ...] = ()
    periods: tuple[PeriodConversion, ...] = ()
    warnings: tuple[str, ...] = ()
    effect_shape: FittedShape | None = None

    @property
    def withheld(self) -> bool:
        """Whether the headline is withheld: a check the lift rests on failed (SRM, a
        guardrail) and neither the case nor the command line accepted it."""
        return bool(self.failed_checks) and self.checks_accepted is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; each headline figure as ``{point, lower, upper}``, non-finite
        numbers as ``None``, and the headline sentence."""
        out = super().to_dict()
        for name in FIGURES:
            out[name] = json_ready(getattr(self, name).as_dict("point", "lower", "upper"))
        return out

    @property
    def most_sensitive(self) -> Swing | None:
        """The input whose range moves NPV the most."""
        return self.sensitivity[0] if self.sensitivity else None
