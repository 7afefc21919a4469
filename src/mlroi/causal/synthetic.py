"""Interrupted time series and synthetic control, from a table to a frozen result.

1. The backend sums the outcome per unit and period in one query
   (:mod:`mlroi.backend.causal_synth`); Python receives units x periods numbers.
2. The panel of the treated unit and its comparison units is checked: evenly spaced periods,
   no gaps, enough periods before the launch, a treated series that varies.
3. :func:`its_from_panel` fits the pre-period regression (:mod:`mlroi.causal.its`);
   :func:`synthetic_control_from_panel` fits donor weights and placebos
   (:mod:`mlroi.causal.synthetic_control`). Both refit with a fake launch inside the
   pre-period (placebo in time); the diagnostics' rules are in :mod:`mlroi.causal.series_checks`.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any

import numpy as np

from mlroi import formatting as fmt
from mlroi.causal.its import fit_its, its_design
from mlroi.causal.panel import Panel, panel_from_sums
from mlroi.causal.result import Check
from mlroi.causal.series_checks import (
    MIN_PRE_SYNTHETIC,
    its_placebo,
    its_placebo_check,
    placebo_time_check,
    pre_fit_check,
    synthetic_placebo_time,
)
from mlroi.causal.series_result import (
    ItsResult,
    SeriesResult,
    SyntheticControlResult,
)
from mlroi.causal.synthetic_control import (
    PLACEBO_FIT_LIMIT,
    fit_synthetic,
    permutation_p_value,
    placebo_intervals,
    placebos_in_space,
)
from mlroi.errors import DataError, EstimationError, SpecError
from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig
from mlroi.stats.interval import Interval

ASSUMPTIONS_ITS = (
    "Without the launch, the treated series would have kept its pre-period relation to the"
    " controls (and its trend and seasonality).",
    "The control series were not affected by the launch (no spill-over).",
    "Nothing else that moves the treated series but not the controls happened at the launch.",
)

ASSUMPTIONS_SYNTHETIC = (
    "Without the launch, the treated unit would have followed the weighted average of donors"
    " that tracked it before the launch.",
    "The donors were not affected by the launch (no interference, no spill-over).",
    "No other shock hit the treated unit alone at the launch.",
)


def analyse_its(config: ItsConfig, *, base: Path | None = None, table: Any = None) -> ItsResult:
    """Interrupted time series of the configured source (see the module docstring).

    Args:
        config: the ``causal:`` section (``design: its``).
        base: folder that relative paths in ``config`` are resolved against.
        table: a path, frame or Ibis table that replaces ``config.source``.

    Raises:
        SpecError, DataError, BackendError, EstimationError: one line naming what to fix.
    """
    panel, excluded, notes, sources = _load(config, base, table)
    return its_from_panel(panel, config, excluded=excluded, notes=notes, sources=sources)


def analyse_synthetic_control(
    config: SyntheticControlConfig, *, base: Path | None = None, table: Any = None
) -> SyntheticControlResult:
    """Synthetic control of the configured source (see the module docstring)."""
    panel, excluded, notes, sources = _load(config, base, table)
    return synthetic_control_from_panel(
        panel, config, excluded=excluded, notes=notes, sources=sources
    )


def analyse_series(
    config: ItsConfig | SyntheticControlConfig, *, base: Path | None = None, table: Any = None
) -> SeriesResult:
    """The design ``config`` names, on its source."""
    if isinstance(config, ItsConfig):
        return analyse_its(config, base=base, table=table)
    return analyse_synthetic_control(config, base=base, table=table)


def _load(
    config: ItsConfig | SyntheticControlConfig, base: Path | None, table: Any
) -> tuple[Panel, dict[str, int], tuple[str, ...], tuple[str, ...]]:
    from mlroi.backend.causal_synth import series_sums
    from mlroi.sources.open import open_table, release, source_name

    source = table if table is not None else config.source
    if source is None:
        raise SpecError("causal.source: give the table of series (unit, date, outcome)")
    opened = open_table(source, base=base)
    try:
        rows = series_sums(
            opened, unit=config.unit, period=config.date, outcome=config.outcome, prefix="causal."
        )
    finally:
        release(opened)
    all_units = sorted(set(rows.units.tolist()))
    if config.treated not in all_units:
        lower = {u.lower(): u for u in all_units}
        close = difflib.get_close_matches(config.treated.lower(), list(lower), n=1, cutoff=0.6)
        hint = f"; did you mean {lower[close[0]]!r}?" if close else ""
        raise DataError(
            f"causal.treated: unit {config.treated!r} has no rows in column {config.unit!r}"
            f"{hint} (units: {', '.join(all_units[:8])}{', ...' if len(all_units) > 8 else ''})"
        )
    if config.controls == "all":
        controls = [u for u in all_units if u != config.treated]
    else:
        absent = [u for u in config.controls if u not in all_units]
        if absent:
            raise DataError(
                f"causal.controls: unit {absent[0]!r} has no rows in column {config.unit!r}:"
                " fix the name or remove it"
            )
        controls = list(config.controls)
    keys = rows.periods
    keep = np.ones(keys.size, dtype=bool)
    excluded = dict(rows.excluded)
    probe = Panel((), np.zeros(0, dtype=np.int64), rows.kind, 1, np.zeros((0, 0)))
    for name, bound, side in (("start", config.start, 1), ("end", config.end, -1)):
        if bound is not None:
            key = probe.key_of(bound, f"causal.{name}")
            out = (keys < key) if side == 1 else (keys > key)
            if out.any():
                excluded[f"unit-periods {'before start' if side == 1 else 'after end'}"] = int(
                    out.sum()
                )
            keep &= ~out
    panel = panel_from_sums(
        rows.units[keep],
        keys[keep],
        rows.totals[keep],
        kind=rows.kind,
        wanted=[config.treated, *controls],
        date_column=config.date,
    )
    where = source_name(source)
    read = (
        f"one backend query summed {rows.rows_read:,} rows per unit and {panel.frequency};"
        f" the fit used {len(panel.units)} units x {panel.keys.size} {panel.frequency}s"
    )
    return panel, excluded, (*rows.notes, read), (f"series: {where}",)


def _split(
    panel: Panel, config: ItsConfig | SyntheticControlConfig, minimum: int, fewer: str = ""
) -> int:
    """The number of pre-period rows; refuses a launch outside the data or too few pre periods."""
    key = panel.key_of(config.launch, "causal.launch")
    first, last = int(panel.keys[0]), int(panel.keys[-1])
    launch = panel.label(key)
    if not first < key <= last:
        raise DataError(
            f"causal.launch: {launch} is outside the data's periods after the first"
            f" ({panel.label(first)} to {panel.label(last)}): fix the launch or the source"
        )
    if (key - first) % panel.step:
        raise DataError(
            f"causal.launch: {launch} is not one of the data's periods (every"
            f" {panel.frequency} from {panel.label(first)})"
        )
    n_pre = (key - first) // panel.step
    if n_pre < minimum:
        raise DataError(
            f"causal.launch: {launch} leaves {n_pre} {panel.frequency}s before it; this design"
            f" needs at least {minimum}: give more history (an earlier start of the data){fewer}"
        )
    treated = panel.values[:n_pre, panel.column(config.treated)]
    if np.ptp(treated) == 0:
        raise DataError(
            f"causal.treated: {config.treated!r} has the same outcome ({fmt.value(treated[0])})"
            f" in every period before {launch}: a constant series has nothing to model"
        )
    return n_pre


def _shared(
    config: ItsConfig | SyntheticControlConfig,
    panel: Panel,
    y: np.ndarray[Any, Any],
    n_pre: int,
    design: str,
    average: Interval,
) -> dict[str, Any]:
    """The fields both series designs fill alike: the headline, the naive before-after
    difference, the period and the series."""
    rel, cf = _relative(average, float(y[n_pre:].mean()))
    return {
        "design": design,
        "estimator": design,
        "outcome": config.outcome,
        "effect": average,
        "effect_unit": f"{config.outcome} per {panel.frequency}, average over the post period",
        "relative": rel,
        "counterfactual_mean": cf,
        "naive": _naive(y, n_pre, config.level),
        "estimates": {design: average},
        "period": _period(panel, n_pre),
        "level": config.level,
        "treated": config.treated,
        "launch": panel.label(int(panel.keys[n_pre])),
        "frequency": panel.frequency,
        "periods": panel.labels,
        "pre_periods": n_pre,
        "post_periods": panel.keys.size - n_pre,
        "actual": tuple(float(v) for v in y),
    }


def _period(panel: Panel, n_pre: int) -> str:
    m = panel.keys.size - n_pre
    return (
        f"{panel.label(int(panel.keys[n_pre]))} to {panel.label(int(panel.keys[-1]))},"
        f" {m} {panel.frequency}{'s' if m != 1 else ''}"
    )


def _naive(y: np.ndarray[Any, Any], n_pre: int, level: float) -> Interval:
    """Before-after: the treated unit's post-period mean minus its pre-period mean (Welch's
    interval, as if periods were independent)."""
    from scipy import stats

    pre, post = y[:n_pre], y[n_pre:]
    d = float(post.mean() - pre.mean())
    va, vb = pre.var(ddof=1) / pre.size, post.var(ddof=1) / post.size if post.size > 1 else 0.0
    se = math.sqrt(va + vb)
    dfw = (va + vb) ** 2 / (va**2 / (pre.size - 1) + (vb**2 / (post.size - 1) if vb else 0.0))
    t = float(stats.t.ppf((1 + level) / 2, dfw)) if se > 0 else 0.0
    return Interval(d, d - t * se, d + t * se, se)


def _relative(effect: Interval, actual_mean: float) -> tuple[Interval | None, float]:
    """Effect over the counterfactual mean ``ybar - e``: increasing in ``e`` while the
    counterfactual stays positive, so the interval's ends map to the relative interval's."""
    cf = actual_mean - effect.estimate
    if not (cf > 0 and actual_mean - effect.upper > 0):
        return None, cf

    def rel(e: float) -> float:
        return e / (actual_mean - e) if math.isfinite(e) else math.nan

    return Interval(rel(effect.estimate), rel(effect.lower), rel(effect.upper)), cf


def _seasons(panel: Panel, kind: str) -> tuple[np.ndarray[Any, Any] | None, tuple[str, ...]]:
    import datetime as dt

    if kind == "none":
        return None, ()
    if panel.kind == "number":
        raise SpecError(f"causal.seasonality: {kind} needs dates in the date column, not numbers")
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    if panel.kind == "month":
        if kind == "day_of_week":
            raise SpecError("causal.seasonality: day_of_week needs daily periods, not months")
        return np.asarray(panel.keys % 12), names
    days = [dt.date(1970, 1, 1) + dt.timedelta(days=int(k)) for k in panel.keys]
    if kind == "day_of_week":
        if panel.step != 1:
            raise SpecError("causal.seasonality: day_of_week needs daily periods")
        weekdays = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return np.array([d.weekday() for d in days]), weekdays
    return np.array([d.month - 1 for d in days]), names


def its_from_panel(
    panel: Panel,
    config: ItsConfig,
    *,
    excluded: dict[str, int] | None = None,
    notes: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
) -> ItsResult:
    """The interrupted time series of ``panel`` (treated and control columns)."""
    controls = tuple(u for u in panel.units if u != config.treated)
    seasons, season_names = _seasons(panel, config.seasonality)
    ctrl = panel.values[:, [panel.column(u) for u in controls]] if controls else None
    X, names = its_design(
        panel.keys.size,
        controls=ctrl,
        control_names=controls,
        trend=config.trend,
        seasons=seasons,
        season_names=season_names,
    )
    from mlroi.causal.its import MIN_RESIDUAL_DF

    n_pre = _split(
        panel,
        config,
        X.shape[1] + MIN_RESIDUAL_DF,
        f" or fewer of its {X.shape[1]} regression terms ({len(controls)} control series)",
    )
    y = panel.values[:, panel.column(config.treated)]
    try:
        fit = fit_its(
            y, X, n_pre, level=config.level, names=names, autocorrelated=config.autocorrelated
        )
    except EstimationError as exc:
        raise DataError(f"causal: {exc}") from exc
    checks: list[Check] = []
    placebo = None
    notes_out = list(notes)
    if config.placebo_time:
        placebo = its_placebo(panel, y, X, n_pre, names, config)
        if placebo is None:
            notes_out.append(
                "placebo in time: skipped, the pre-period is too short to refit before a fake"
                " launch"
            )
        else:
            checks.append(its_placebo_check(placebo))
    rho = fit.lag1_autocorrelation
    checks.append(
        Check(
            "residual autocorrelation",
            passed=abs(rho) <= 0.5,
            blocking=False,
            value=rho,
            limit=0.5,
            detail=f"lag-1 autocorrelation of pre-period residuals {fmt.number(rho, 2)}"
            " (limit ±0.5: beyond, an AR(1) model of the errors may not be enough)",
        )
    )
    notes_out.append(
        f"pointwise intervals: OLS prediction intervals (parameter and residual uncertainty,"
        f" t with {fit.df_resid} df); cumulative and average effect: errors taken as AR(1)"
        f" with autocorrelation {fmt.number(fit.error_autocorrelation, 2)} (sandwich"
        " covariance of the coefficients and variance of the sum of future errors)"
    )
    return ItsResult(
        **_shared(config, panel, y, n_pre, "its", fit.average),
        assumptions=ASSUMPTIONS_ITS,
        units={"treated": 1, "controls": len(controls)},
        checks=tuple(checks),
        excluded=excluded or {},
        notes=tuple(notes_out),
        sources=sources,
        counterfactual=tuple(float(v) for v in fit.fitted)
        + tuple(c.estimate for c in fit.counterfactual),
        effects=fit.effect,
        cumulative_effects=fit.cumulative,
        cumulative=fit.cumulative[-1],
        placebo_time=placebo,
        coefficients=dict(zip(names, (float(b) for b in fit.coefficients), strict=True)),
        r_squared=fit.r_squared,
        residual_sd=fit.residual_sd,
        error_autocorrelation=fit.error_autocorrelation,
        lag1_autocorrelation=rho,
        controls=controls,
    )


def synthetic_control_from_panel(
    panel: Panel,
    config: SyntheticControlConfig,
    *,
    excluded: dict[str, int] | None = None,
    notes: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
) -> SyntheticControlResult:
    """The synthetic control of ``panel`` (treated and donor columns)."""
    donors_names = tuple(u for u in panel.units if u != config.treated)
    if len(donors_names) < 2:
        raise DataError(
            f"causal.controls: a synthetic control needs at least 2 donors, got"
            f" {len(donors_names)} (with one, the 'synthetic' unit is that donor): add donors,"
            " or use `design: its` with it as a control series"
        )
    n_pre = _split(panel, config, MIN_PRE_SYNTHETIC)
    ti = panel.column(config.treated)
    donors = np.array([panel.column(u) for u in donors_names], dtype=np.int64)
    y = panel.values[:, ti]
    fit = fit_synthetic(y, panel.values[:, donors], n_pre)
    notes_out = list(notes)
    placebo_units = donors
    if config.placebos < donors.size:
        rng = np.random.default_rng(config.seed)
        placebo_units = np.sort(rng.choice(donors, size=config.placebos, replace=False))
        if config.placebos:
            notes_out.append(
                f"placebo in space: {config.placebos} of {donors.size} donors refitted (a random"
                f" sample, seed {config.seed})"
            )
    placebos, gaps = placebos_in_space(
        panel.values, donors, panel.units, n_pre, chosen=placebo_units
    )
    intervals = placebo_intervals(fit, placebos, gaps, n_pre, config.level)
    p_value = permutation_p_value(fit.ratio, placebos) if placebos else None
    checks = [pre_fit_check(y[:n_pre], fit.pre_rmspe)]
    needed = math.ceil(2 / (1 - config.level)) - 1
    checks.append(
        Check(
            "placebo in space",
            passed=intervals.used >= needed,
            blocking=False,
            value=float(intervals.used),
            limit=float(needed),
            detail=f"{intervals.used} placebos fit within {fmt.number(PLACEBO_FIT_LIMIT)}x the"
            f" treated unit's pre-period RMSPE (at least {needed} give a"
            f" {fmt.level(config.level)} interval its level"
            + (
                f"; with {intervals.used} the interval is the range of their gaps, which covers"
                f" at most {fmt.share((intervals.used - 1) / (intervals.used + 1), 0)})"
                if 2 <= intervals.used < needed
                else ")"
            ),
        )
    )
    placebo = None
    if config.placebo_time:
        placebo = synthetic_placebo_time(panel, y, donors, n_pre)
        if placebo is None:
            notes_out.append(
                "placebo in time: skipped, the pre-period is too short to refit before a fake"
                " launch"
            )
        else:
            checks.append(placebo_time_check(placebo, placebos, fit.pre_rmspe, config.level))
    notes_out.append(
        "intervals: the treated unit's gap minus the central quantiles of the placebos' gaps"
        f" ({intervals.used} placebos with a pre-period RMSPE within"
        f" {fmt.number(PLACEBO_FIT_LIMIT)}x the treated unit's); weights match every"
        " pre-period outcome (no other predictors)"
    )
    weights = {
        donors_names[i]: float(w)
        for i, w in sorted(enumerate(fit.weights), key=lambda iw: -iw[1])
        if w > 1e-6
    }
    return SyntheticControlResult(
        **_shared(config, panel, y, n_pre, "synthetic_control", intervals.average),
        assumptions=ASSUMPTIONS_SYNTHETIC,
        units={"treated": 1, "donors": len(donors_names)},
        checks=tuple(checks),
        excluded=excluded or {},
        notes=tuple(notes_out),
        sources=sources,
        counterfactual=tuple(float(v) for v in fit.synthetic),
        effects=intervals.effects,
        cumulative_effects=intervals.cumulative,
        cumulative=intervals.cumulative[-1],
        placebo_time=placebo,
        weights=weights,
        donors=len(donors_names),
        pre_rmspe=fit.pre_rmspe,
        post_rmspe=fit.post_rmspe,
        rmspe_ratio=fit.ratio,
        p_value=p_value,
        placebos=placebos,
        placebos_used=intervals.used,
    )
