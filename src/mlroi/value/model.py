"""The value model: a metric lift per unit → money per month over the horizon.

Each *driver* turns one lift into money::

    value(t) = lift × value_per_unit × margin × units_per_month × growth(t) × ramp(t) × decay(t)

- ``lift`` is the change of a metric per unit (treatment − control), from the case's experiment
  readout, or entered by hand with an interval;
- ``value_per_unit`` converts one metric unit to money: 1 for a revenue metric, the value of a
  minute of time spent, an RPM / 1,000 for an ad impression, the value of a click;
- ``margin`` turns revenue into gross profit (1 = count revenue);
- ``units_per_month`` is how many units receive the intervention per month (e.g. users reached);
- ``growth(t) = (1 + g)^((t − 1) / 12)`` grows the population by ``g`` a year,
- ``ramp(t) = min(1, (t − start + 1) / ramp_months)`` phases the effect in after launch,
- ``decay(t) = (1 − d)^((t − start) / 12)`` lets the effect fade by ``d`` a year.

Months before ``start_month`` carry no value (e.g. while the system is being built).

Each driver states the period its lift is over (``per``): ``month`` (the lift x units is a
month's value), ``year`` (divided by 12) or ``window`` (the experiment's window of
``experiment.window_days`` days: multiplied by 30.4375 / days, the days of an average month).
A lift entered by hand must state it; a lift from the experiment or the decision analysis
without one is read per month, and the result lists that assumption.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    FiniteFloat,
    Tag,
    field_validator,
    model_validator,
)

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.spec.quantity import Quantity, check_within, point

FloatArray = npt.NDArray[np.float64]

Per = Literal["month", "year", "window"]
"""The period a driver's lift is over."""

Basis = Literal[
    "incremental revenue",
    "gross profit",
    "cost saved",
    "losses avoided",
    "engagement value",
    "count",
]
"""What a driver's value is: money of one kind, or a ``count`` (customers retained, sessions),
which is reported in its own unit and never added to the money."""

DAYS_PER_MONTH = 365.25 / 12
"""Days of an average month: a lift over a window of d days is DAYS_PER_MONTH / d a month."""

_ONE = np.ones(1)


def months_per(per: Per | None, window_days: float | None = None) -> float:
    """How many of ``per`` make a month: 1 for a month, 1/12 for a year,
    ``DAYS_PER_MONTH / window_days`` for the experiment's window."""
    if per == "year":
        return 1 / 12
    if per == "window":
        assert window_days is not None  # checked by the case model
        return DAYS_PER_MONTH / window_days
    return 1.0


class ExperimentLift(Checked):
    """The lift measured by the case's experiment readout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(description="Name of a metric in the `experiment:` section.")
    arm: str | None = Field(
        None, description="Treatment arm to value; defaults to the only (or first) treatment."
    )
    segment: str | None = Field(
        None,
        description="Value the lift of one segment (`column=value`, e.g. `platform=ios`) "
        "instead of the whole population.",
    )


class ManualLift(Checked):
    """A lift entered by hand: an estimate and an interval, or any uncertain quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    estimate: Quantity = Field(
        description="Lift per unit in metric units: a number, or a range / distribution."
    )
    interval: tuple[FiniteFloat, FiniteFloat] | None = Field(
        None,
        description="Interval of a numeric estimate; read as a normal sampling distribution.",
    )
    level: float = Field(defaults.LEVEL, gt=0, lt=1, description="Confidence level of `interval`.")
    source: str | None = Field(
        None, description="Where the number comes from (a past test, a backtest, a guess)."
    )

    @model_validator(mode="after")
    def _interval_matches(self) -> ManualLift:
        if self.interval is None:
            return self
        if not isinstance(self.estimate, int | float):
            raise ValueError("give `interval` only with a plain number as `estimate`")
        lo, hi = self.interval
        if not lo <= self.estimate <= hi:
            raise ValueError(
                f"estimate {self.estimate:g} lies outside its interval [{lo:g}, {hi:g}]"
            )
        return self


class DecisionLift(Checked):
    """The value per eligible row found by the case's offline decision analysis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Literal["value", "challenger"] = Field(
        description="`value`: incremental value per eligible row of acting at the chosen "
        "threshold; `challenger`: what the challenger adds per row over the champion."
    )


class RetentionLift(Checked):
    """A lift measured by the case's retention analysis (``retention:``), treatment minus
    control, with its interval.

    ``lifetime_value``: discounted value per exposed user (money; ``value_per_unit`` 1);
    ``retention``: retention at ``day``, a share of users (``value_per_unit`` is the value of
    a retained user); ``rmst``: mean days retained out of the RMST horizon (the value of a
    retained day); ``plateau``: the fitted long-run lift in weekly retention.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention: Literal["lifetime_value", "retention", "rmst", "plateau"] = Field(
        description="Which retention figure to value: `lifetime_value`, `retention` (at "
        "`day`), `rmst` or `plateau`."
    )
    day: float | None = Field(
        None, gt=0, description="For `retention`: a day listed under retention.days."
    )
    arm: str | None = Field(None, description="Treatment arm; defaults to the first.")

    @model_validator(mode="after")
    def _day_for_retention(self) -> RetentionLift:
        if (self.retention == "retention") != (self.day is not None):
            raise ValueError("give `day` with `retention: retention`, and only with it")
        return self


class AttributionLift(Checked):
    """Adjusted influenced revenue per month from the case's attribution analysis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attribution: Literal["adjusted_last_click"] = Field(
        description="`adjusted_last_click`: last-click recommendation revenue x the "
        "incrementality factor, per month of the attribution period (use units_per_month: 1)."
    )


class CausalLift(Checked):
    """The effect estimated by the case's observational analysis (``causal:``), with its
    interval: the outcome's change per treated unit over the period the driver's ``per``
    names (required: an observational table has no experiment window to read it from)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    causal: Literal["effect"] = Field(
        description="`effect`: the design's headline effect per treated unit (ATT for the "
        "adjustment designs, the average post-period effect for DiD, ITS and synthetic "
        "control)."
    )


class RetentionDecay(Checked):
    """The effect's shape read from the retention analysis: the decay fitted to the lift per
    week of exposure (:mod:`mlroi.value.fitted`), instead of a guessed share a year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention: Literal["fitted"] = Field(
        description="`fitted`: follow the decay fitted to the weekly retention lift."
    )
    arm: str | None = Field(None, description="Treatment arm whose decay; defaults to the first.")
    weeks: int | None = Field(
        None,
        ge=1,
        description="Weeks of exposure the drivers' lifts were measured over (2 for a 14-day "
        "test): each lift is read as the curve's mean over weeks 1..weeks; default: the weeks "
        "the decay was fitted to.",
    )


def _decay_kind(v: Any) -> str:
    """``{retention: fitted}`` reads the fitted decay; anything else is a quantity."""
    if isinstance(v, RetentionDecay) or (isinstance(v, dict) and "retention" in v):
        return "fitted"
    return "quantity"


def _within(low: float, high: float, name: str) -> Any:
    """A field validator that keeps a quantity's whole range within [low, high]."""

    def check(cls: Any, v: Quantity) -> Quantity:
        check_within(v, low, high, name)
        return v

    return classmethod(check)


def _lift_kind(v: Any) -> str:
    """A lift naming a `metric` comes from the experiment, one naming `decision` from the
    decision analysis; anything else is entered by hand."""
    if isinstance(v, dict):
        if "causal" in v:
            return "causal"
        if "attribution" in v:
            return "attribution"
        if "retention" in v:
            return "retention"
        return "experiment" if "metric" in v else "decision" if "decision" in v else "manual"
    if isinstance(v, DecisionLift):
        return "decision"
    if isinstance(v, AttributionLift):
        return "attribution"
    if isinstance(v, CausalLift):
        return "causal"
    if isinstance(v, RetentionLift):
        return "retention"
    return "experiment" if isinstance(v, ExperimentLift) else "manual"


class Driver(Checked):
    """One lift turned into money."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="What this value is, e.g. `incremental gross profit`.")
    lift: Annotated[
        Annotated[ExperimentLift, Tag("experiment")]
        | Annotated[DecisionLift, Tag("decision")]
        | Annotated[AttributionLift, Tag("attribution")]
        | Annotated[RetentionLift, Tag("retention")]
        | Annotated[CausalLift, Tag("causal")]
        | Annotated[ManualLift, Tag("manual")],
        Discriminator(_lift_kind),
    ] = Field(
        description="`{metric: NAME}` for the experiment's lift, `{decision: value}` for the "
        "value per row of the decision analysis, `{attribution: adjusted_last_click}` for the "
        "attribution's adjusted influenced revenue a month, `{retention: lifetime_value}` for a "
        "figure of the retention analysis, `{causal: effect}` for the observational "
        "estimate, or `{estimate: ..., interval: [lo, hi]}` for a lift "
        "entered by hand."
    )
    value_per_unit: Quantity = Field(
        1.0,
        description="Money per unit of the metric: 1 for revenue, the value of a minute, "
        "RPM / 1000 for an ad impression.",
    )
    margin: Quantity = Field(
        1.0, description="Gross-margin factor in [0, 1]; 1 counts revenue, 0.3 gross profit."
    )
    units_per_month: Quantity = Field(
        description="Units (e.g. users) that receive the intervention per month."
    )
    per: Per | None = Field(
        None,
        description="The period the lift is over: `month`, `year`, or `window` (the "
        "experiment's window, `experiment.window_days`); mlroi converts it to a month. "
        "Required for a lift entered by hand or read from `causal:`; otherwise read as "
        "`month`.",
    )
    basis: Basis | None = Field(
        None,
        description="What the value is: `incremental revenue`, `gross profit`, `cost saved`, "
        "`losses avoided`, `engagement value`, or `count` (not money: reported beside the "
        "ROI, not in it). By default gross profit with a margin below 1, else incremental "
        "revenue (listed as an assumption).",
    )
    counts_as: Literal["value", "cost"] = Field(
        "value",
        description="`cost` books this driver as a cost measured by the experiment (e.g. "
        "discounts given per customer), not as value.",
    )

    @property
    def unit(self) -> Literal["currency", "count"]:
        """``count`` for a count driver, else ``currency``."""
        return "count" if self.basis == "count" else "currency"

    @property
    def value_basis(self) -> str:
        """The basis as given; otherwise gross profit with a margin below 1, else incremental
        revenue (a driver booked as a cost is a ``cost``)."""
        if self.counts_as == "cost":
            return "cost"
        if self.basis is not None:
            return self.basis
        return "gross profit" if point(self.margin) < 1 else "incremental revenue"

    @model_validator(mode="after")
    def _no_margin_on_costs(self) -> Driver:
        if self.basis == "count" and (self.counts_as == "cost" or self.margin != 1.0):
            raise ValueError(
                "basis: a count is not money: it takes no margin and cannot be booked as a cost"
            )
        if self.counts_as == "cost" and self.margin != 1.0:
            raise ValueError(
                "margin: a driver booked as a cost (counts_as: cost) takes no margin; "
                "remove it or put the factor in value_per_unit"
            )
        return self

    _margin_in_unit_interval = field_validator("margin")(_within(0.0, 1.0, "margin"))
    _units_non_negative = field_validator("units_per_month")(
        _within(0.0, math.inf, "units_per_month")
    )


class ValueModel(Checked):
    """Drivers plus the shape of the effect over time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drivers: list[Driver] = Field(min_length=1, description="Lifts turned into money.")
    basis: Literal["revenue", "gross profit", "engagement value", "savings"] | None = Field(
        None,
        description="What the value is, for labels; by default gross profit when a margin "
        "below 1 is set, else revenue.",
    )
    start_month: int = Field(1, ge=1, description="First month with value (launch).")
    ramp_months: int = Field(
        0, ge=0, description="Months for the effect to reach full size (linear); 0 = at once."
    )
    decay: Annotated[
        Annotated[Quantity, Tag("quantity")] | Annotated[RetentionDecay, Tag("fitted")],
        Discriminator(_decay_kind),
    ] = Field(
        0.0,
        description="Share of the effect lost per year (0.2 = it fades by 20% a year), or "
        "`{retention: fitted}` to follow the decay fitted by the retention analysis.",
    )
    growth: Quantity = Field(
        0.0, description="Growth of the population per year (0.1 = +10% a year)."
    )

    @model_validator(mode="after")
    def _some_value(self) -> ValueModel:
        if all(d.counts_as == "cost" or d.unit == "count" for d in self.drivers):
            raise ValueError("drivers: at least one driver must count as value, in money")
        return self

    @field_validator("decay")
    @classmethod
    def _decay_in_unit_interval(cls, v: Quantity | RetentionDecay) -> Quantity | RetentionDecay:
        if not isinstance(v, RetentionDecay):
            check_within(v, 0.0, 1.0, "decay")
        return v

    @property
    def fitted_decay(self) -> RetentionDecay | None:
        """The retention analysis's fitted decay, when the effect follows it."""
        return self.decay if isinstance(self.decay, RetentionDecay) else None

    _growth_above_minus_one = field_validator("growth")(_within(-0.99, math.inf, "growth"))

    @property
    def label(self) -> str:
        """The label of the total (see :meth:`label_of`)."""
        return self.label_of({})

    def bases(self, defaults: Mapping[int, str]) -> list[str]:
        """Each driver's basis: as given, else ``defaults`` by driver index (e.g. a fraud
        decision's losses avoided), else :attr:`Driver.value_basis`."""
        return [
            d.basis or ("cost" if d.counts_as == "cost" else defaults.get(i, d.value_basis))
            for i, d in enumerate(self.drivers)
        ]

    def label_of(self, defaults: Mapping[int, str]) -> str:
        """``incremental <basis>`` as the case gives it; otherwise the money drivers' bases
        (:meth:`bases`), joined with ``+`` when they differ: one gross-profit driver does not
        make revenue drivers gross profit."""
        if self.basis is not None:
            return f"incremental {self.basis}"
        bases = list(
            dict.fromkeys(
                b
                for b, d in zip(self.bases(defaults), self.drivers, strict=True)
                if d.counts_as == "value" and d.unit == "currency"
            )
        )
        if bases == ["gross profit"]:
            return "incremental gross profit"
        return " + ".join(bases)

    def parameters(self) -> dict[str, Quantity]:
        """Every numeric input by its path in the case (``value.drivers[0].margin``).

        The lift itself is not here: it is resolved by the caller (readout or manual).
        """
        out: dict[str, Quantity] = {"value.growth": self.growth}
        if not isinstance(self.decay, RetentionDecay):  # else the fitted shape's inputs
            out["value.decay"] = self.decay
        for i, d in enumerate(self.drivers):
            base = f"value.drivers[{i}]"
            out[f"{base}.value_per_unit"] = d.value_per_unit
            out[f"{base}.margin"] = d.margin
            out[f"{base}.units_per_month"] = d.units_per_month
        return out

    def shape(
        self,
        horizon_months: int,
        decay: FloatArray,
        growth: FloatArray,
        effect: bool = True,
        fitted: FloatArray | None = None,
    ) -> FloatArray:
        """growth × ramp × decay per draw and month: shape (n, horizon + 1), column 0 is zero.

        Without ``effect`` (drivers booked as costs, e.g. discounts given per customer reached)
        only growth applies: what is spent per unit does not ramp up or fade with the effect.
        ``fitted`` (per draw and month) replaces the yearly decay with the fitted shape.
        """
        t = np.arange(horizon_months + 1, dtype=np.float64)
        since = t - self.start_month
        active = since >= 0
        ramp = (
            np.ones_like(t)
            if self.ramp_months == 0 or not effect
            else np.minimum(1.0, (since + 1) / self.ramp_months)
        )
        years_since = np.maximum(since, 0) / 12
        grow = (1 + growth[:, None]) ** (np.maximum(t - 1, 0) / 12)[None, :]
        # ramp x fade x grow, multiplied in place where the array is this function's own (the
        # product is the same either way): one (n, H + 1) array at a time, not four
        if fitted is not None and effect:
            out = ramp * fitted
        else:
            out = (1 - (decay if effect else 0 * decay)[:, None]) ** years_since[None, :]
            out *= ramp
        if np.broadcast_shapes(out.shape, grow.shape) == out.shape:
            out *= grow
        else:
            out = out * grow
        out[..., ~active] = 0.0
        return np.asarray(out, dtype=np.float64)

    def schedule(
        self,
        horizon_months: int,
        lifts: Mapping[int, FloatArray],
        params: Mapping[str, FloatArray],
        counts_as: Literal["value", "cost"] = "value",
        unit: Literal["currency", "count"] = "currency",
    ) -> FloatArray:
        """Money per draw and month, shape (n, horizon + 1), of the drivers that count as
        ``counts_as``; ``lifts`` by driver index. With ``unit="count"``, the count drivers'
        counts instead (never part of the money).

        ``params`` holds an array of draws (or one value) for every path of :meth:`parameters`,
        and may hold ``value.drivers[i].per_month``: how many of the driver's lift periods make
        a month (:func:`months_per`; 1 when absent).
        """
        if not any(d.counts_as == counts_as and d.unit == unit for d in self.drivers):
            # nothing to add up (e.g. no driver booked as a cost): zero in every month
            return np.zeros((1, horizon_months + 1))
        fitted = None
        if isinstance(self.decay, RetentionDecay):
            from mlroi.value.fitted import fade

            fitted = fade(horizon_months, self.start_month, params)
        shape = self.shape(
            horizon_months,
            params.get("value.decay", np.zeros(1)),
            params["value.growth"],
            counts_as == "value",
            fitted,
        )
        per_month = sum(
            (
                lifts[i]
                * params[f"value.drivers[{i}].value_per_unit"]
                * params[f"value.drivers[{i}].margin"]
                * params[f"value.drivers[{i}].units_per_month"]
                * params.get(f"value.drivers[{i}].per_month", _ONE)
                for i, d in enumerate(self.drivers)
                if d.counts_as == counts_as and d.unit == unit
            ),
            start=np.zeros(1),
        )
        return np.asarray(per_month[:, None] * shape, dtype=np.float64)

    def value_per_lift(
        self, driver: int, horizon_months: int, params: Mapping[str, FloatArray]
    ) -> FloatArray:
        """Value schedule of one unit of ``driver``'s lift: value is linear in each lift (zero
        for a count driver: it is not money)."""
        ones = {i: np.ones(1) if i == driver else np.zeros(1) for i in range(len(self.drivers))}
        return self.schedule(horizon_months, ones, params, self.drivers[driver].counts_as)
