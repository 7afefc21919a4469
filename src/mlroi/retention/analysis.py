"""The retention analysis of a case's ``retention:`` section, from logs to a frozen result.

1. The backend reduces the assignments and the activity (or cancellation) log to per-arm,
   per-day churn and censoring counts (:mod:`mlroi.backend.retention`; one query: the counts,
   with the checks of both tables joined to them as one-row aggregates). Python never holds a
   user's row.
2. Per arm, the Kaplan-Meier curve with Greenwood log-log intervals; retention at the configured
   days and each treatment's difference from control; RMST to a horizon; the log-rank test.
3. Optionally: the lift per week of exposure with its trend and decay, lifetime value through
   retention, and a holdout design sized from the control curve.

:func:`analyse_counts` runs steps 2-3 on counts given in code (the API for counts computed
elsewhere).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mlroi import formatting as fmt
from mlroi.errors import DataError, SpecError
from mlroi.retention.holdout import holdout_plan
from mlroi.retention.lifetime import lifetime_value
from mlroi.retention.logrank import log_rank
from mlroi.retention.overtime import WEEK, OverTime, cohort_lifts, over_time
from mlroi.retention.result import RestrictedMean, RetentionAt, RetentionResult
from mlroi.retention.sbg import fit_curve
from mlroi.retention.survival import (
    KaplanMeier,
    SurvivalCounts,
    difference,
    kaplan_meier,
    restricted_mean,
)
from mlroi.spec.retention import RetentionConfig


def analyse_retention(
    config: RetentionConfig,
    *,
    base: Path | None = None,
    assignments: Any = None,
    log: Any = None,
    currency: str = "USD",
    annual_discount_rate: float = 0.0,
) -> RetentionResult:
    """Retention per arm from the case's logs (see the module docstring).

    Args:
        config: the ``retention:`` section.
        base: folder that relative paths in ``config`` are resolved against.
        assignments, log: tables or frames that replace the configured sources.
        currency: of the lifetime value (the case's).
        annual_discount_rate: the case's discount rate, used when retention.value gives none.

    Raises:
        SpecError, DataError, BackendError: one line naming what to fix.
    """
    from mlroi.backend.retention import retention_counts
    from mlroi.sources.facts import table_facts
    from mlroi.sources.open import open_table, source_name

    asg_source = assignments if assignments is not None else config.assignments
    asg = open_table(asg_source, base=base)
    facts = table_facts(asg, asg_source, base=base, unit=config.unit)
    if config.activity is not None:
        mode, timestamp = "activity", config.activity.timestamp
        src = log if log is not None else config.activity.source
        log_table = open_table(src, base=base)
        where = source_name(src)
    else:
        assert config.churn is not None
        mode, timestamp = "churn", config.churn.timestamp
        src = log if log is not None else config.churn.source
        log_table = asg if src is None else open_table(src, base=base)
        where = "the assignments" if src is None else source_name(src)
    counts = retention_counts(
        asg,
        log_table,
        mode=mode,  # type: ignore[arg-type]
        unit=config.unit,
        variant=config.variant,
        exposure=config.exposure,
        timestamp=timestamp,
        gap_days=config.gap_days,
        window_days=config.window_days,
        observation_end=config.observation_end,
        unit_bounds=facts.bounds,
        cohorts=config.cohort_day is not None,
    )
    per_arm: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for arm, day, events, censored in counts.rows:
        d, e, c = per_arm.setdefault(arm, ([], [], []))
        d.append(day)
        e.append(events)
        c.append(censored)
    arms = {a: SurvivalCounts.of(*v) for a, v in per_arm.items()}
    per_cohort: dict[dt.date, dict[str, tuple[list[int], list[int], list[int]]]] = {}
    for arm, k, day, events, censored in counts.cohort_rows:
        cohort = dt.date(1970, 1, 1) + dt.timedelta(days=k)
        d, e, c = per_cohort.setdefault(cohort, {}).setdefault(arm, ([], [], []))
        d.append(day)
        e.append(events)
        c.append(censored)
    definition = (
        f"a user churns on the last active day before {config.gap_days} days without activity"
        " (the exposure day counts as active)"
        if mode == "activity"
        else "a user churns on the day of their first cancellation"
    )
    return analyse_counts(
        arms,
        config,
        definition=definition,
        observation_end=counts.observation_end,
        excluded=counts.excluded,
        notes=counts.notes,
        sources=(
            f"assignments: {source_name(config.assignments if assignments is None else asg)}",
            f"{mode} log: {where}",
        ),
        currency=currency,
        annual_discount_rate=annual_discount_rate,
        cohorts={
            k: {a: SurvivalCounts.of(*v) for a, v in arms_k.items()}
            for k, arms_k in per_cohort.items()
        }
        if config.cohort_day is not None
        else None,
    )


def analyse_counts(
    arms: Mapping[str, SurvivalCounts],
    config: RetentionConfig,
    *,
    definition: str = "as counted by the caller",
    observation_end: dt.datetime | None = None,
    excluded: Mapping[str, int] | None = None,
    notes: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
    currency: str = "USD",
    annual_discount_rate: float = 0.0,
    cohorts: Mapping[dt.date, Mapping[str, SurvivalCounts]] | None = None,
) -> RetentionResult:
    """The retention analysis of per-arm counts (steps 2-3 of the module docstring).

    Raises:
        DataError: the control arm is missing, or there is no treatment arm.
    """
    if config.control not in arms:
        raise DataError(
            f"retention.control: arm {config.control!r} has no users in the data (arms found:"
            f" {', '.join(sorted(arms)) or 'none'}); fix the name or the assignments"
        )
    treatments = tuple(a for a in sorted(arms) if a != config.control)
    if not treatments:
        raise DataError(
            f"retention: only the control arm {config.control!r} has users; a comparison needs"
            " a treatment arm in the assignments"
        )
    level = config.level
    curves = {a: kaplan_meier(arms[a], level) for a in (config.control, *treatments)}
    control = curves[config.control]
    at_days = tuple(
        RetentionAt(
            day,
            {a: km.at(day) for a, km in curves.items()},
            {t: difference(control.at(day), curves[t].at(day), level) for t in treatments},
        )
        for day in config.days
    )
    horizon = float(config.rmst_days or config.window_days)
    rm = {a: restricted_mean(km, horizon, level) for a, km in curves.items()}
    rmst = RestrictedMean(
        horizon, rm, {t: difference(rm[config.control], rm[t], level) for t in treatments}
    )
    notes_out = list(notes)
    weekly: dict[str, OverTime] | None = None
    if config.weekly:
        weekly = {
            t: over_time(control, curves[t], config.window_days, level, config.min_at_risk)
            for t in treatments
        }
    by_cohort = None
    if cohorts is not None and config.cohort_day is not None:
        by_cohort = cohort_lifts(
            cohorts, config.control, treatments, config.cohort_day, level, config.min_at_risk
        )
    lifetime = None
    if config.value is not None:
        v = config.value
        rate = v.discount_rate
        if rate is None:
            rate = (1.0 + annual_discount_rate) ** (v.period_days / 365.25) - 1.0
            notes_out.append(
                f"lifetime value: discounted {fmt.level(annual_discount_rate)} a year, i.e."
                f" {fmt.number(100 * rate, 3)}% per period of {fmt.number(v.period_days)} days"
            )
        try:
            lifetime = {
                t: lifetime_value(
                    control,
                    curves[t],
                    observed_days=float(config.window_days),
                    revenue_per_period=v.revenue_per_period,
                    period_days=v.period_days,
                    periods=v.periods,
                    discount_rate=rate,
                    level=level,
                )
                for t in treatments
            }
        except ValueError as exc:
            raise SpecError(f"retention.value: {exc}; shorten period_days") from exc
    holdout = None
    if config.holdout is not None:
        h = config.holdout
        baseline, note = _holdout_baseline(control, config.window_days)
        holdout = holdout_plan(
            baseline,
            hazard_ratio=h.hazard_ratio,
            days=h.days,
            holdout_share=h.holdout_share,
            alpha=h.alpha,
            power=h.power,
        )
        if note is not None and any(d > config.window_days for d in h.days):
            notes_out.append(note)
    return RetentionResult(
        control=config.control,
        treatments=treatments,
        level=level,
        definition=definition,
        window_days=config.window_days,
        observation_end=observation_end,
        curves=curves,
        at_days=at_days,
        rmst=rmst,
        log_rank=log_rank({a: arms[a] for a in curves}),
        over_time=weekly,
        cohorts=by_cohort,
        lifetime=lifetime,
        holdout=holdout,
        excluded=dict(excluded or {}),
        notes=tuple(notes_out),
        sources=sources,
        currency=currency,
    )


def _holdout_baseline(
    control: KaplanMeier, window_days: int
) -> tuple[Callable[[float], float], str | None]:
    """Control retention at a day: the Kaplan-Meier curve within the window, beyond it a
    shifted-beta-geometric projection in weeks anchored at the last whole observed week (NaN,
    with the note saying so, when the fit fails)."""
    weeks = int(window_days // WEEK)
    fit = fit_curve(control, WEEK, weeks * WEEK) if weeks >= 2 else None
    anchor = control.at(weeks * WEEK).estimate

    def baseline(day: float) -> float:
        if day <= window_days:
            return control.at(day).estimate
        if fit is None or fit.status != "ok":
            return math.nan
        ratio = fit.survival([day / WEEK])[0] / fit.survival([float(weeks)])[0]
        return float(anchor * ratio)

    if fit is None or fit.status != "ok":
        return baseline, (
            f"holdout: durations beyond the {window_days}-day window are left blank (no"
            " projection of the control curve could be fitted)"
        )
    return baseline, (
        f"holdout: control retention beyond the {window_days}-day window is a"
        " shifted-beta-geometric projection of its weekly churn"
    )
