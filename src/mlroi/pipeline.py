"""Runs a case: the readout or decision analysis its drivers name, their lifts, then the ROI.

This is the one place where a case meets its data: it reads the experiment out (or analyses the
scored table) only when a value driver takes its lift from it, turns each driver's lift into a
:class:`~mlroi.roi.engine.ResolvedLift`, and hands them to the pure ROI engine
(:func:`mlroi.roi.engine.roi_from_lifts`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mlroi import formatting as fmt
from mlroi.case_result import CaseResult
from mlroi.checked import as_model
from mlroi.errors import EstimationError, SpecError
from mlroi.roi.engine import ResolvedLift, roi_from_lifts
from mlroi.roi.result import LiftInput, RoiResult
from mlroi.sources.open import close_default_connection
from mlroi.spec.case import Case
from mlroi.spec.quantity import Normal, Quantity, describe, point, sampling_distribution
from mlroi.stats.distributions import normal_ppf
from mlroi.value.model import (
    AttributionLift,
    CausalLift,
    DecisionLift,
    ExperimentLift,
    ManualLift,
    RetentionLift,
)

if TYPE_CHECKING:
    from mlroi.attribution.result import AttributionResult
    from mlroi.causal.result import CausalResult
    from mlroi.decision.result import DecisionResult
    from mlroi.experiment.result import Comparison, ExperimentResult
    from mlroi.retention.result import RetentionResult
    from mlroi.value.fitted import FittedShape


def evaluate(
    case: Case,
    *,
    readout: ExperimentResult | None = None,
    decision: DecisionResult | None = None,
    base: Path | None = None,
    accept_failed_checks: str | None = None,
    attribution: AttributionResult | None = None,
    retention: RetentionResult | None = None,
    causal: CausalResult | None = None,
    close_connection: bool = False,
) -> RoiResult:
    """The ROI of ``case``: headline figures, intervals, probabilities, sensitivity.

    The canonical way to run a case, exported as ``mlroi.evaluate``. It reads the case's sources
    only for what its drivers need; with ``readout`` and ``decision`` given, it reads nothing.

    Args:
        case: the validated case.
        readout: the experiment's result, when already computed; otherwise the case's
            ``experiment:`` section is read out here (only when a driver needs it).
        decision: the decision analysis' result, when already computed; otherwise the case's
            ``decision:`` section is analysed here (only when a driver needs it).
        base: folder that relative paths in the case are resolved against.
        accept_failed_checks: why to give the headline although the experiment fails a check
            (overrides the case's ``accept_failed_checks``); None withholds it.
        close_connection: close mlroi's shared DuckDB connection once the sources are read,
            before the simulation (:func:`~mlroi.sources.open.close_default_connection`): what
            the command line does, whose process reads nothing after.

    Returns:
        The ROI result.

    Raises:
        SpecError: a reference in the case does not resolve.
        EstimationError: a lift the case needs could not be estimated.
    """
    case = as_model(Case, case, "case")
    drivers = case.value.drivers
    if readout is None and any(isinstance(d.lift, ExperimentLift) for d in drivers):
        readout = _read_out(case, base)  # the case model checks the section is there
    if decision is None and any(isinstance(d.lift, DecisionLift) for d in drivers):
        decision = _decide(case, base)
    if attribution is None and any(isinstance(d.lift, AttributionLift) for d in drivers):
        attribution = _attribute(case, base, readout)
    if retention is None and (
        any(isinstance(d.lift, RetentionLift) for d in drivers)
        or case.value.fitted_decay is not None
    ):
        retention = _retain(case, base)
    if causal is None and any(isinstance(d.lift, CausalLift) for d in drivers):
        causal = _estimate(case, base)
    lifts = resolve_lifts(case, readout, decision, attribution, retention, causal)
    fitted = resolve_decay(case, retention)
    if close_connection:
        close_default_connection()
    return roi_from_lifts(
        case,
        lifts,
        experiment=readout,
        accept_failed_checks=accept_failed_checks,
        decision=decision,
        fitted=fitted,
        causal=causal,
    )


def run_case(
    case: Case,
    *,
    base: Path | None = None,
    progress: Callable[[str], None] | None = None,
    accept_failed_checks: str | None = None,
) -> CaseResult:
    """Every analysis ``case`` has, each run once: the readout of its experiment, the offline
    decision analysis of its scored table, and the ROI, which takes its lifts from them.

    What ``mlroi report`` shows. Unlike :func:`evaluate`, it runs the readout and the decision
    analysis whenever the case has them, not only when a driver needs them: the report shows
    them either way, and the ROI then uses the very results the report shows.

    Args:
        case: the validated case.
        base: folder that relative paths in the case are resolved against.
        progress: called with a short description before each step (the CLI's spinner).
        accept_failed_checks: as for :func:`evaluate`.

    Returns:
        The case and its results.
    """
    case = as_model(Case, case, "case")
    say = progress or (lambda _: None)
    readout = decision = None
    if case.experiment is not None:
        say("reading out the experiment")
        readout = _read_out(case, base)
    if case.decision is not None:
        decision = _decide(case, base, lambda step: say(f"decision analysis: {step}"))
    attribution = None
    if case.attribution is not None:
        attribution = _attribute(case, base, readout, lambda step: say(f"attribution: {step}"))
    retention = None
    if case.retention is not None:
        say("counting churn per arm and day")
        retention = _retain(case, base)
    causal = None
    if case.causal is not None:
        say("observational estimate")
        causal = _estimate(case, base)
    say("simulating value, costs and ROI")
    roi = roi_from_lifts(
        case,
        resolve_lifts(case, readout, decision, attribution, retention, causal),
        experiment=readout,
        accept_failed_checks=accept_failed_checks,
        decision=decision,
        fitted=resolve_decay(case, retention),
        causal=causal,
    )
    return CaseResult(
        name=case.name,
        goal=case.goal,
        intervention=case.intervention,
        population=case.population.description,
        primary_metric=case.primary_metric,
        roi=roi,
        experiment=readout,
        decision=decision,
        attribution=attribution,
        retention=retention,
        causal=causal,
        model_metrics=dict(case.model_metrics),
        constraints=tuple(c.description for c in case.constraints),
    )


def _read_out(case: Case, base: Path | None) -> ExperimentResult:
    """The readout of the case's ``experiment:`` section."""
    from mlroi.experiment.readout import readout

    assert case.experiment is not None
    return readout(config=case.experiment, base=base)


def _decide(
    case: Case, base: Path | None, progress: Callable[[str], None] | None = None
) -> DecisionResult:
    """The offline decision analysis of the case's ``decision:`` section, at the case's seed,
    level and currency."""
    from mlroi.decision.analysis import decide

    assert case.decision is not None
    return decide(
        case.decision,
        base=base,
        seed=case.simulation.seed,
        level=case.simulation.level,
        currency=case.finance.currency,
        progress=progress,
    )


def _attribute(
    case: Case,
    base: Path | None,
    readout: ExperimentResult | None,
    progress: Callable[[str], None] | None = None,
) -> AttributionResult:
    """The attribution analysis of the case's ``attribution:`` section (reading the experiment
    out first when its incremental revenue comes from there)."""
    from mlroi.attribution.analysis import attribute

    if case.attribution is None:
        raise SpecError(
            "value.drivers: a lift `{attribution: adjusted_last_click}` needs an "
            "`attribution:` section"
        )
    inc = case.attribution.incremental
    if readout is None and inc is not None and inc.metric is not None and case.experiment:
        readout = _read_out(case, base)
    return attribute(
        case.attribution,
        base=base,
        seed=case.simulation.seed,
        level=case.simulation.level,
        currency=case.finance.currency,
        readout=readout,
        progress=progress,
    )


def _estimate(case: Case, base: Path | None) -> CausalResult:
    """The observational estimate of the case's ``causal:`` section."""
    from mlroi.causal.analysis import analyse_causal

    assert case.causal is not None  # checked by the case model
    return analyse_causal(case.causal, base=base)


def _retain(case: Case, base: Path | None) -> RetentionResult:
    """The retention analysis of the case's ``retention:`` section, in the case's currency and
    at its discount rate."""
    from mlroi.retention.analysis import analyse_retention

    assert case.retention is not None  # checked by the case model
    return analyse_retention(
        case.retention,
        base=base,
        currency=case.finance.currency,
        annual_discount_rate=case.finance.discount_rate,
    )


def resolve_lifts(
    case: Case,
    readout: ExperimentResult | None,
    decision: DecisionResult | None = None,
    attribution: AttributionResult | None = None,
    retention: RetentionResult | None = None,
    causal: CausalResult | None = None,
) -> list[ResolvedLift]:
    """Every driver's lift, in driver order, from the readout, the decision or the case.

    Args:
        case: the validated case.
        readout: the experiment's result; needed when a driver names a readout metric.
        decision: the decision analysis' result; needed when a driver names a decision.
        attribution: the attribution's result; needed when a driver names it.
        retention: the retention analysis' result; needed when a driver names a retention
            figure.
        causal: the observational estimate; needed when a driver names it.

    Returns:
        One resolved lift per driver of ``case.value``.

    Raises:
        SpecError: a driver names a metric, arm or segment the readout does not have.
        EstimationError: the readout or the decision could not estimate a lift a driver needs.
    """
    lifts: list[ResolvedLift] = []
    for i, d in enumerate(case.value.drivers):
        if isinstance(d.lift, DecisionLift):
            assert decision is not None
            lifts.append(_lift_from_decision(case, i, d.lift, decision))
        elif isinstance(d.lift, AttributionLift):
            assert attribution is not None
            lifts.append(_lift_from_attribution(case, i, attribution))
        elif isinstance(d.lift, RetentionLift):
            assert retention is not None
            lifts.append(_lift_from_retention(case, i, d.lift, retention))
        elif isinstance(d.lift, CausalLift):
            assert causal is not None
            lifts.append(_lift_from_causal(case, i, causal))
        elif isinstance(d.lift, ExperimentLift):
            assert readout is not None
            lifts.append(_lift_from_readout(case, i, d.lift, readout))
        else:
            lifts.append(_manual_lift(case, i))
    return lifts


def _lift_from_causal(case: Case, i: int, result: CausalResult) -> ResolvedLift:
    """The design's headline effect per treated unit, with its standard error (a normal
    sampling distribution)."""
    iv = result.effect
    if not math.isfinite(iv.estimate):
        raise EstimationError(
            f"value.drivers[{i}].lift.causal: the {result.design} design could not estimate an "
            f"effect on {result.outcome}"
        )
    sd = iv.std_error
    q: Quantity = iv.estimate if not math.isfinite(sd) else Normal(normal=(iv.estimate, sd))
    return ResolvedLift(
        LiftInput(
            driver=case.value.drivers[i].name,
            metric=result.outcome,
            source=f"observational estimate ({result.design}, {result.estimator}), "
            f"{result.effect_unit}",
            estimate=iv.estimate,
            std_error=sd if math.isfinite(sd) else None,
            distribution=describe(q),
            control_value=result.counterfactual_mean
            if math.isfinite(result.counterfactual_mean)
            else None,
            interval=iv,
            relative=result.relative,
            level=result.level,
        ),
        q,
    )


def resolve_decay(case: Case, retention: RetentionResult | None) -> FittedShape | None:
    """The retention analysis's fitted decay when ``value.decay`` asks for it, else None.

    Raises:
        EstimationError: no decay could be fitted, or it is too uncertain to shape the effect.
    """
    spec = case.value.fitted_decay
    if spec is None:
        return None
    from mlroi.retention.lift import read_decay

    assert retention is not None  # the case model checks the section is there
    return read_decay(retention, spec, "value.decay")


def _lift_from_readout(
    case: Case, i: int, spec: ExperimentLift, result: ExperimentResult
) -> ResolvedLift:
    assert case.experiment is not None  # checked by the case model
    arm = spec.arm or case.experiment.treatments[0]
    pool: tuple[Comparison, ...] = result.comparisons
    if spec.segment is not None:
        column, _, level = spec.segment.partition("=")
        pool = tuple(c for c in result.segments if (c.segment, c.segment_value) == (column, level))
        if not pool:
            raise SpecError(
                f"value.drivers[{i}].lift.segment: no readout segment {spec.segment!r}; write "
                "`column=value` with a column listed under experiment.segments"
            )
    found = [c for c in pool if c.metric == spec.metric and c.arm == arm]
    if not found:
        raise SpecError(f"value.drivers[{i}].lift: the readout has no {spec.metric!r} for {arm!r}")
    c = found[0]
    if c.status != "ok" or c.absolute is None:
        raise EstimationError(
            f"value.drivers[{i}].lift: cannot value {spec.metric!r}: the readout could not "
            f"estimate it ({c.reason})"
        )
    driver = case.value.drivers[i]
    where = f"experiment readout, {arm} vs {c.control}" + (
        f", segment {spec.segment}" if spec.segment else ""
    )
    q = sampling_distribution(c.absolute.estimate, c.absolute.std_error, c.df)
    return ResolvedLift(
        LiftInput(
            driver=driver.name,
            metric=spec.metric,
            source=where,
            estimate=c.absolute.estimate,
            std_error=c.absolute.std_error,
            distribution=describe(q),
            control_value=c.control_value,
            interval=c.absolute,
            relative=c.relative,
            level=result.level,
            units=(c.n_control, c.n_treatment),
        ),
        q,
    )


def _lift_from_attribution(case: Case, i: int, result: AttributionResult) -> ResolvedLift:
    """Adjusted influenced revenue a month: last-click recommendation revenue x the
    incrementality factor over the attribution period, scaled to an average month."""
    from mlroi.attribution.analysis import months_in_period

    rec = result.reconciliation
    if rec is None:
        raise SpecError(
            f"value.drivers[{i}].lift.attribution: needs `attribution.incremental` (the causal "
            "lift that turns influenced revenue into incremental revenue)"
        )
    months = months_in_period(result)
    iv = rec.adjusted_last_click
    estimate, sd = iv.estimate / months, iv.std_error / months
    q: Quantity = estimate if not math.isfinite(sd) else Normal(normal=(estimate, sd))
    return ResolvedLift(
        LiftInput(
            driver=case.value.drivers[i].name,
            metric=None,
            source=f"attribution: last-click recommendation revenue x incrementality factor "
            f"{fmt.number(rec.factor.estimate, 3)}, per month of {fmt.number(months, 3)}",
            estimate=estimate,
            std_error=sd if math.isfinite(sd) else None,
            distribution=describe(q),
        ),
        q,
    )


def _manual_lift(case: Case, i: int) -> ResolvedLift:
    driver = case.value.drivers[i]
    spec = driver.lift
    assert isinstance(spec, ManualLift)
    q: Quantity = spec.estimate
    sd: float | None = None
    if spec.interval is not None:
        lo, hi = spec.interval
        sd = (hi - lo) / (2 * normal_ppf((1 + spec.level) / 2))
        q = Normal(normal=(point(spec.estimate), sd))
    return ResolvedLift(
        LiftInput(
            driver=driver.name,
            metric=None,
            source=spec.source or "entered by hand",
            estimate=point(q),
            std_error=sd,
            distribution=describe(q),
        ),
        q,
    )


def _lift_from_decision(
    case: Case, i: int, spec: DecisionLift, result: DecisionResult
) -> ResolvedLift:
    """Value per eligible row: the estimate, with the bootstrap's per-row spread (conditioned
    on the rows drawn) and the parameters' spread combined as independent normal errors."""
    driver = case.value.drivers[i]
    where = f"value.drivers[{i}].lift"
    rows = result.rows
    challenger = spec.decision == "challenger"
    models = [result.champion] + ([result.challenger] if challenger and result.challenger else [])
    for m in models:
        if m.point is None:
            raise EstimationError(
                f"{where}: the decision analysis found no feasible threshold for {m.column} "
                f"({m.decision.reason})"
            )
    errors: list[float | None] = []
    if challenger:
        c = result.comparison
        assert c is not None and result.challenger is not None  # checked by the case model
        total = c.value
        # the paired bootstrap's difference per row; the parameters move both models alike
        errors.append(c.std_error_per_row)
        source = "offline decision analysis, challenger minus champion at their optimal thresholds"
    else:
        m = result.champion
        total = m.incremental_value
        boot = m.bootstrap
        errors.append(None if boot is None else boot.incremental_value_per_row.interval.std_error)
        if m.parameters is not None:
            errors.append(m.parameters.incremental_value.std_error / rows)
        assert m.point is not None
        at = fmt.threshold(m.point["threshold"])
        source = f"offline decision analysis, acting on {m.column} >= {at}"
    known = [e for e in errors if e is not None and math.isfinite(e)]
    sd = math.sqrt(sum(e * e for e in known)) if known else None
    estimate = total / rows
    q: Quantity = estimate if sd is None else Normal(normal=(estimate, sd))
    return ResolvedLift(
        LiftInput(
            driver=driver.name,
            metric=None,
            source=source + " (value per eligible row)",
            estimate=estimate,
            std_error=sd,
            distribution=describe(q),
        ),
        q,
    )


def _lift_from_retention(
    case: Case, i: int, spec: RetentionLift, result: RetentionResult
) -> ResolvedLift:
    from mlroi.retention.lift import read_lift

    got = read_lift(result, spec, f"value.drivers[{i}].lift")
    q = Normal(normal=(got.estimate, got.std_error))
    return ResolvedLift(
        LiftInput(
            driver=case.value.drivers[i].name,
            metric=None,
            source=got.source,
            estimate=got.estimate,
            std_error=got.std_error,
            distribution=describe(q),
        ),
        q,
    )
