"""A retention figure as an ROI driver's lift: treatment minus control with its standard error."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlroi import formatting as fmt
from mlroi.errors import EstimationError, SpecError
from mlroi.retention.result import RetentionResult
from mlroi.value.fitted import MIN_Z, FittedShape
from mlroi.value.model import RetentionDecay, RetentionLift


@dataclass(frozen=True)
class RetentionDriverLift:
    """What a driver reads from the retention analysis.

    Attributes:
        estimate: treatment minus control, in the figure's unit.
        std_error: its standard error (a normal sampling distribution).
        source: where it comes from, in words (arm, figure, period, unit).
    """

    estimate: float
    std_error: float
    source: str


def read_lift(result: RetentionResult, spec: RetentionLift, where: str) -> RetentionDriverLift:
    """The figure ``spec`` names, for the arm it names (the first treatment by default).

    Raises:
        SpecError: the arm is not a treatment of the analysis.
        EstimationError: the figure could not be estimated (no decay fit, no value).
    """
    arm = spec.arm or result.treatments[0]
    if arm not in result.treatments:
        raise SpecError(
            f"{where}.arm: {arm!r} is not a treatment arm of the retention analysis"
            f" (treatments: {', '.join(result.treatments)})"
        )
    vs = f"{arm} vs {result.control}"
    if spec.retention == "lifetime_value":
        if result.lifetime is None:
            raise SpecError(f"{where}: `lifetime_value` needs retention.value")
        v = result.lifetime[arm]
        iv = v.lift
        source = (
            f"retention analysis, {vs}: value per exposed user over {v.periods} periods of"
            f" {fmt.number(v.period_days)} days ({result.currency})"
        )
    elif spec.retention == "retention":
        assert spec.day is not None
        found = [a for a in result.at_days if a.day == spec.day]
        if not found:
            raise SpecError(f"{where}.day: {spec.day:g} is not among retention.days")
        iv = found[0].differences[arm]
        source = f"retention analysis, {vs}: share of users retained at day {fmt.number(spec.day)}"
    elif spec.retention == "rmst":
        iv = result.rmst.differences[arm]
        source = (
            f"retention analysis, {vs}: mean days retained out of the first"
            f" {fmt.number(result.rmst.horizon)} (RMST)"
        )
    else:
        if result.over_time is None:
            raise SpecError(f"{where}: `plateau` needs retention.weekly: true")
        decay = result.over_time[arm].decay
        if decay.plateau is None:
            raise EstimationError(f"{where}: no decay could be fitted ({decay.reason})")
        iv = decay.plateau
        source = f"retention analysis, {vs}: long-run lift in weekly retention (fitted plateau)"
    if not (math.isfinite(iv.estimate) and math.isfinite(iv.std_error)):
        raise EstimationError(f"{where}: the retention analysis could not estimate this lift")
    return RetentionDriverLift(iv.estimate, iv.std_error, source)


def read_decay(result: RetentionResult, spec: RetentionDecay, where: str) -> FittedShape:
    """The decay fitted to the weekly lift of the arm ``spec`` names (the first treatment by
    default), as the shape of the effect over an ROI's horizon.

    Raises:
        SpecError: the arm is not a treatment, or the analysis has no weekly lifts.
        EstimationError: no decay could be fitted, or its mean lift over the lifts' weeks is
            not clearly positive (the shape is relative to it).
    """
    arm = spec.arm or result.treatments[0]
    if arm not in result.treatments:
        raise SpecError(
            f"{where}.arm: {arm!r} is not a treatment arm of the retention analysis"
            f" (treatments: {', '.join(result.treatments)})"
        )
    if result.over_time is None:
        raise SpecError(f"{where}: a fitted decay needs retention.weekly: true")
    d = result.over_time[arm].decay
    if d.status != "ok" or d.initial is None or d.plateau is None or d.covariance is None:
        raise EstimationError(
            f"{where}: no decay could be fitted to {arm}'s weekly lift ({d.reason}); give"
            " value.decay as a share a year instead"
        )
    assert d.scale is not None
    shape = FittedShape(
        arm=arm,
        control=result.control,
        initial=d.initial.estimate,
        plateau=d.plateau.estimate,
        log_scale=math.log(d.scale),
        covariance=d.covariance,
        weeks=d.weeks,
        reference_weeks=spec.weeks,
        source=f"retention analysis, {arm} vs {result.control}: decay fitted to the lift in"
        f" weekly retention over {d.weeks} weeks of exposure",
    )
    ref, se = shape.reference()
    if not ref > MIN_Z * se:
        raise EstimationError(
            f"{where}: {arm}'s fitted lift averages {fmt.points(ref)} over weeks 1-"
            f"{shape.lift_weeks}, within {MIN_Z:g} standard errors of zero, too uncertain to"
            " shape the effect by; give value.decay as a share a year instead"
        )
    return shape
