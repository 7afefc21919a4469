"""Difference in differences on a panel, from a table to a frozen :class:`DidResult`.

1. The backend reduces the rows to unit x period cells (:mod:`mlroi.backend.causal_did`, one
   query); :mod:`mlroi.causal.did_panel` lays them out as matrices and finds each unit's
   adoption period.
2. The estimator: two-way fixed effects with unit-clustered errors when every treated unit
   adopts on one date (:mod:`mlroi.causal.did_twfe`); Callaway and Sant'Anna's group-time
   effects when adoption is staggered (:mod:`mlroi.causal.did_staggered`); synthetic
   difference in differences on request (:mod:`mlroi.causal.did_synthetic`), with placebo
   standard errors, for one date and few treated units.
3. The event study (effects by period relative to adoption) and the pre-trend test, a blocking
   check: a p-value below ``pre_trend_alpha`` withholds the headline, as SRM does a readout's.

:func:`analyse_panel` runs steps 2-3 on a :class:`~mlroi.causal.did_panel.Panel` built in code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlroi import formatting as fmt
from mlroi.causal.did_panel import NEVER, Panel, build_panel, describe_gaps
from mlroi.causal.did_result import (
    DidResult,
    EventPoint,
    GroupTimeEffect,
    PreTrend,
    TwoByTwoMeans,
)
from mlroi.causal.did_staggered import callaway_santanna
from mlroi.causal.did_synthetic import synthetic_did_of
from mlroi.causal.did_twfe import (
    WaldTest,
    event_study,
    event_study_balanced,
    fixed_effects,
    two_by_two,
    wald_zero,
)
from mlroi.causal.result import Check
from mlroi.errors import DataError, EstimationError
from mlroi.spec.causal_did import DidConfig
from mlroi.stats.interval import Interval

PARALLEL = (
    "parallel trends: without the treatment, the outcome of treated and comparison units would"
    " have changed alike"
)
WEIGHTED_PARALLEL = (
    "weighted parallel trends: without the treatment, the unit-weighted comparison units would"
    " have moved like the treated units, up to a constant, over the time-weighted periods"
)
NO_ANTICIPATION = "no anticipation: the outcome does not move before a unit adopts"
NO_INTERFERENCE = (
    "no interference: one unit's treatment does not change another's outcome (no spillover"
    " between markets or platforms)"
)
PERMANENT = "adoption is permanent: a unit once treated stays treated"
FEW_TREATED = 5
"""Fewer treated units than this: a warning that clustered standard errors are unreliable."""

HOMOGENEOUS = (
    "the effect is the same for every adoption date and period since adoption (otherwise two-way"
    " fixed effects under staggered adoption averages effects with weights that can be"
    " negative)"
)


def analyse_did(config: DidConfig, *, base: Path | None = None, table: Any = None) -> DidResult:
    """Difference in differences of the configured panel (see the module docstring).

    Args:
        config: the ``causal:`` section with ``design: did``.
        base: folder that relative paths in ``config`` are resolved against.
        table: a path, a pandas/pyarrow frame or an Ibis table that replaces
            ``config.source``.

    Raises:
        SpecError, DataError, BackendError, EstimationError: one line naming what to fix.
    """
    from mlroi.backend.causal_did import did_cells
    from mlroi.sources.open import open_table, source_name

    source = table if table is not None else config.source
    tbl = open_table(source, base=base)
    cells = did_cells(
        tbl,
        unit=config.unit,
        period=config.period,
        outcome=config.outcome,
        treated=config.treated,
        first_treated=config.first_treated,
        weights=config.weights,
    )
    if config.treated is not None:
        flags = {"flag_min": cells.low, "flag_max": cells.high}
    else:
        flags = {"first_min": cells.low, "first_max": cells.high}
    panel = build_panel(
        cells.unit,
        cells.period,
        cells.mean,
        cells.rows,
        outcome=config.outcome,
        treated_column=config.treated or "treated",
        first_column=config.first_treated or "first_treated",
        **flags,
    )
    notes = [
        "the backend reduced the rows to unit x period cells in one query; each cell's"
        + (" weighted" if config.weights else "")
        + " mean outcome counts once, whatever its rows",
        *cells.notes,
    ]
    return analyse_panel(
        panel,
        config,
        excluded=cells.excluded,
        notes=tuple(notes),
        sources=(f"panel: {source_name(source)}",),
    )


def choose_estimator(panel: Panel, config: DidConfig) -> tuple[str, str]:
    """The estimator to run and a note saying why."""
    if config.estimator != "auto":
        return config.estimator, f"estimator {config.estimator}, as configured"
    if panel.staggered:
        return "callaway_santanna", (
            f"units adopt on {len(panel.adoption_periods)} dates: Callaway and Sant'Anna's"
            " estimator (estimator: auto), since two-way fixed effects is biased under staggered"
            " adoption when effects differ between adoption dates or grow over time"
        )
    return "twfe", "every treated unit adopts on one date: two-way fixed effects (estimator: auto)"


@dataclass
class _Fit:
    """What one estimator found, before the shared checks and words."""

    used: Panel
    effect: Interval
    estimates: dict[str, Interval]
    events: tuple[EventPoint, ...]
    method: str
    pre_trend: WaldTest | None
    notes: list[str] = field(default_factory=list)
    group_time: tuple[GroupTimeEffect, ...] = ()
    two_by_two: TwoByTwoMeans | None = None
    control: str = "never treated"
    unit_weights: dict[str, float] = field(default_factory=dict)
    period_weights: dict[str, float] = field(default_factory=dict)


def _fit_twfe(panel: Panel, twfe: Interval, level: float, gap_note: str | None) -> _Fit:
    """Two-way fixed effects on every observed cell, and its event study."""
    y, unit, period = panel.long()
    notes = [] if gap_note is None else [gap_note + "; two-way fixed effects uses every cell"]
    if not panel.staggered and not panel.gaps:
        treated = panel.first != NEVER
        es = event_study_balanced(panel.y, treated, panel.adoption_periods[0], level=level)
    else:
        _check_size(len(y), len(panel.periods))
        es = event_study(y, unit, period, panel.first, level=level, never=NEVER)
    method = (
        "two-way fixed effects regression on relative-period dummies (reference period -1),"
        f" standard errors clustered by unit; {fmt.level(level)} t intervals on G - 1"
        " degrees of freedom"
    )
    if es.dropped:
        method += f"; relative period {es.dropped[0]} binned with the reference"
    two = None
    if not panel.staggered and not panel.gaps:
        t = two_by_two(y, panel.first[unit] != NEVER, period >= panel.adoption_periods[0])
        two = TwoByTwoMeans(
            t.treated_before, t.treated_after, t.control_before, t.control_after, t.effect
        )
    events = tuple(EventPoint(c.relative, c.effect, c.units) for c in es.coefficients)
    return _Fit(panel, twfe, {}, events, method, es.pre_trend, notes, two_by_two=two)


def _fit_synthetic(panel: Panel, level: float, seed: int, gap_note: str | None) -> _Fit:
    """Synthetic DiD on the balanced panel, its per-period gaps and their pre-trend test."""
    used = panel.balanced()
    notes = [] if gap_note is None else [gap_note + "; synthetic DiD dropped the units with a gap"]
    sd = synthetic_did_of(used, level=level, seed=seed)
    t0 = used.adoption_periods[0]
    n_treated = int((used.first < NEVER).sum())
    events = tuple(EventPoint(t - t0, iv, n_treated) for t, iv in enumerate(sd.periods))
    method = (
        "synthetic difference in differences per period: the treated units' mean less the"
        " unit-weighted comparison units, less that gap's time-weighted value before"
        f" adoption; pointwise {fmt.level(level)} normal intervals from the placebo"
        " assignments"
    )
    test = None
    if sd.pre_cov is not None and t0 >= 2:
        pre_gaps = np.array([iv.estimate for iv in sd.periods[:t0]])
        test = wald_zero(pre_gaps, sd.pre_cov, clusters=None)
    names = [u for u, f in zip(used.units, used.first.tolist(), strict=True) if f == NEVER]
    ranked = sorted(zip(names, sd.omega, strict=True), key=lambda x: -x[1])
    return _Fit(
        used,
        sd.effect,
        {"synthetic_did": sd.effect},
        events,
        method,
        test,
        [*notes, *sd.notes],
        unit_weights={u: w for u, w in ranked if w > 0},
        period_weights={p: w for p, w in zip(used.periods, sd.lambda_, strict=False) if w > 0},
    )


def _fit_callaway(panel: Panel, config: DidConfig, twfe: Interval, gap_note: str | None) -> _Fit:
    """Callaway and Sant'Anna on the balanced panel: group-time effects and their averages."""
    used = panel.balanced()
    notes = []
    if gap_note:
        dropped = used.excluded.get("units with a missing period (balanced panel needed)", 0)
        notes.append(
            gap_note + f"; Callaway and Sant'Anna needs a balanced panel, so {dropped:,} units"
            " with a gap were dropped"
        )
    _require_roles(used, config.control)
    cs = callaway_santanna(used.y, used.first, control=config.control, level=config.level)
    events = tuple(EventPoint(e.event_time, e.effect, e.groups) for e in cs.event)
    method = (
        "Callaway and Sant'Anna event-time averages of ATT(g, t) (base period g - 1 after"
        " adoption, t - 1 before it), weighted by group size; analytic influence-function"
        f" standard errors, pointwise {fmt.level(config.level)} normal intervals"
    )
    p = used.periods
    group_time = tuple(
        GroupTimeEffect(p[c.group], p[c.period], p[c.base], c.post, c.effect, c.treated, c.controls)
        for c in cs.group_time
    )
    if cs.skipped:
        notes.append(f"{cs.skipped} group-time cells had no comparison unit and were skipped")
    if panel.staggered:
        notes.append(
            "two-way fixed effects (in the estimates) is biased under staggered adoption when"
            " effects vary: it compares later adopters with units already treated"
            f" ({fmt.number(twfe.estimate)} against Callaway and Sant'Anna's"
            f" {fmt.number(cs.simple.estimate)})"
        )
    return _Fit(
        used,
        cs.simple,
        {"callaway_santanna": cs.simple, "callaway_santanna (group average)": cs.group},
        events,
        method,
        cs.pre_trend,
        notes,
        group_time=group_time,
        control="never treated" if config.control == "never" else "not yet treated",
    )


def _checks(panel: Panel, fit: _Fit, estimator: str, pre: PreTrend) -> list[Check]:
    """The pre-trend check (blocking), then warnings: gaps, TWFE under staggered adoption,
    few treated units under clustered errors."""
    checks = [_pre_trend_check(pre)]
    if panel.gaps:
        checks.append(
            Check(
                "balanced panel",
                False,
                False,
                float(panel.gaps),
                0.0,
                f"{panel.gaps:,} unit x period cells missing",
            )
        )
    if estimator == "twfe" and panel.staggered:
        checks.append(
            Check(
                "staggered adoption",
                False,
                False,
                float(len(panel.adoption_periods)),
                1.0,
                f"units adopt on {len(panel.adoption_periods)} dates and the estimator is two-way"
                " fixed effects, which is biased when effects vary: use callaway_santanna",
            )
        )
    treated_units = int((fit.used.first < NEVER).sum())
    if treated_units < FEW_TREATED and estimator == "twfe":
        checks.append(
            Check(
                "treated units",
                False,
                False,
                float(treated_units),
                float(FEW_TREATED),
                f"{treated_units} treated unit{'s' if treated_units > 1 else ''}: standard errors"
                " clustered by unit rest on the treated units' own variation and understate the"
                " uncertainty with so few (Conley and Taber 2011; MacKinnon and Webb 2017)",
            )
        )
    return checks


def analyse_panel(
    panel: Panel,
    config: DidConfig,
    *,
    excluded: Mapping[str, int] | None = None,
    notes: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
) -> DidResult:
    """The estimates, event study, checks and words of a panel (steps 2-3)."""
    estimator, why = choose_estimator(panel, config)
    level = config.level
    gap_note = describe_gaps(panel)
    y, unit, period = panel.long()
    d = panel.treated[unit, period].astype(np.float64)[:, None]
    twfe = fixed_effects(y, d, unit, period).interval(0, level)
    naive = fixed_effects(y, d, unit, period, unit_effects=False).interval(0, level)
    if estimator == "twfe":
        fit = _fit_twfe(panel, twfe, level, gap_note)
    elif estimator == "synthetic_did":
        fit = _fit_synthetic(panel, level, config.seed, gap_note)
    else:
        fit = _fit_callaway(panel, config, twfe, gap_note)
    assumptions = [
        WEIGHTED_PARALLEL if estimator == "synthetic_did" else PARALLEL,
        NO_ANTICIPATION,
        NO_INTERFERENCE,
    ]
    if panel.staggered:
        assumptions.append(PERMANENT)
        if estimator == "twfe":
            assumptions.append(HOMOGENEOUS)
    pre = _pre_trend(fit.pre_trend, config.pre_trend_alpha)
    used = fit.used
    all_notes = [*notes, *panel.notes, why, *fit.notes]
    cf, rel = _counterfactual(used, fit.effect)
    if rel is not None:
        all_notes.append(
            "relative effect: the effect over the treated units' counterfactual mean (observed"
            " mean after adoption less the effect), that mean taken as known"
        )
    return DidResult(
        design="did",
        estimator=estimator,
        outcome=config.outcome,
        effect=fit.effect,
        effect_unit=f"{config.outcome} per treated unit and period after adoption",
        relative=rel,
        counterfactual_mean=cf,
        naive=naive,
        estimates={"twfe": twfe, **fit.estimates},
        checks=tuple(_checks(panel, fit, estimator, pre)),
        assumptions=tuple(assumptions),
        units={
            "treated": int((used.first < NEVER).sum()),
            "never treated": int((used.first == NEVER).sum()),
        },
        period=_period_words(used),
        level=level,
        excluded=dict(excluded or {}) | dict(used.excluded),
        notes=tuple(dict.fromkeys(all_notes)),
        sources=sources,
        adoption="staggered" if panel.staggered else "single date",
        control=fit.control,
        periods=used.periods,
        cohorts=used.cohort_sizes(),
        event_study=fit.events,
        event_study_method=fit.method,
        pre_trend=pre,
        group_time=fit.group_time,
        two_by_two=fit.two_by_two,
        gaps=panel.gaps,
        treated_cells=int((used.treated & used.observed).sum()),
        unit_weights=fit.unit_weights,
        period_weights=fit.period_weights,
    )


MAX_DESIGN_CELLS = 50_000_000
"""Largest cells x relative periods of the general event-study regression (400 MB a copy)."""


def _check_size(cells: int, periods: int) -> None:
    """Refuse an event-study regression too large to hold (a panel with gaps or staggered
    adoption under two-way fixed effects; the balanced one-date case needs no design)."""
    size = cells * 2 * periods
    if size > MAX_DESIGN_CELLS:
        raise EstimationError(
            f"the two-way fixed effects event study of {cells:,} cells over {periods:,} periods"
            " needs a design too large to hold: use estimator callaway_santanna, or coarser"
            " periods (weeks rather than days)"
        )


def _require_roles(panel: Panel, control: str) -> None:
    if not (panel.first < NEVER).any():
        raise DataError("no treated unit is observed in every period: the balanced panel is empty")
    if control == "never" and not (panel.first == NEVER).any():
        raise DataError(
            "no unit is never treated: give control: not_yet to compare with units treated later"
        )


def _pre_trend(test: WaldTest | None, alpha: float) -> PreTrend:
    if test is None:
        return PreTrend(
            "none",
            math.nan,
            0,
            None,
            math.nan,
            alpha,
            "fewer than two periods before adoption, or too few units for the periods before it",
        )
    return PreTrend(test.test, test.statistic, test.df, test.df_denominator, test.p_value, alpha)


def _pre_trend_check(pre: PreTrend) -> Check:
    if not pre.ran:
        return Check(
            "pre-trend",
            False,
            False,
            math.nan,
            pre.alpha,
            f"cannot test: {pre.reason}; parallel trends rests on the assumption alone",
        )
    df = f"{pre.df}" if pre.df_denominator is None else f"{pre.df}, {pre.df_denominator}"
    passed = pre.p_value >= pre.alpha
    verdict = "no sign of diverging trends" if passed else "trends diverge before adoption"
    return Check(
        "pre-trend",
        passed,
        True,
        pre.p_value,
        pre.alpha,
        f"{pre.test}({df}) = {fmt.number(pre.statistic)}, {fmt.p_equals(pre.p_value)}"
        f" (limit {fmt.number(pre.alpha)}): {verdict}",
    )


def _counterfactual(panel: Panel, effect: Interval) -> tuple[float, Interval | None]:
    treated = panel.treated & panel.observed
    if not treated.any():
        return math.nan, None
    cf = float(np.mean(panel.y[treated])) - effect.estimate
    if not cf > 0:
        return cf, None
    return cf, Interval(
        effect.estimate / cf, effect.lower / cf, effect.upper / cf, effect.std_error / cf
    )


def _period_words(panel: Panel) -> str:
    p = panel.periods
    dates = [p[g] for g in panel.adoption_periods]
    adoption = dates[0] if len(dates) == 1 else f"{len(dates)} dates, {dates[0]} to {dates[-1]}"
    return f"{p[0]} to {p[-1]}, {len(p)} periods; adoption {adoption}"
