"""The adjustment design, from a table of users to a frozen result.

1. The backend checks the columns and counts the incomplete rows (one query); then every pass of
   :func:`mlroi.causal.adjust_fit.fit_adjustment` is either numpy on the complete rows read
   into memory once (an engine in this process, rows within a memory budget) or one aggregate
   query (:mod:`mlroi.backend.causal_adjust`); the result's notes say which.
2. :func:`adjustment_result` turns the fit into an :class:`AdjustmentResult`: the headline
   estimator's interval, the others, the overlap and balance checks, the sensitivity to an
   unmeasured confounder, the assumptions in words.

Checks (a failed blocking one withholds the headline):

- overlap (blocking): the share of the units the estimand is about (the treated for the ATT,
  every unit for the ATE) whose propensity falls outside the trimming bounds is at most 10%;
- balance after weighting: the largest |SMD| after weighting is at most 0.10 (Austin 2009's
  threshold); above 0.10 a warning, above 0.25 (Stuart 2010's rule for regression adjustment to
  be trusted) blocking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlroi import formatting as fmt
from mlroi.causal.adjust_fit import BINS, AdjustFit, Estimate, fit_adjustment
from mlroi.causal.adjust_result import AdjustmentResult, Balance
from mlroi.causal.result import Check
from mlroi.causal.sensitivity import sensitivity
from mlroi.spec.causal_adjust import AdjustmentConfig
from mlroi.stats.interval import Interval

OVERLAP_LIMIT = 0.10
"""Largest share of the estimand's units trimmed before the headline is withheld."""

BALANCE_WARN = 0.10
"""Largest |SMD| after weighting that passes."""

BALANCE_BLOCK = 0.25
"""Largest |SMD| after weighting beyond which the headline is withheld."""

ESTIMATOR_NAMES = {
    "aipw": "AIPW (doubly robust)",
    "ipw": "IPW (Hajek)",
    "regression": "regression adjustment",
}


def analyse_adjustment(
    config: AdjustmentConfig, *, base: Path | None = None, table: Any = None
) -> AdjustmentResult:
    """Adjust exposed vs unexposed users for their covariates (module docstring).

    Args:
        config: the ``causal:`` section (design ``adjustment``).
        base: folder that relative paths in ``config`` are resolved against.
        table: a path, a pandas/pyarrow frame or an Ibis table that replaces the source.

    Raises:
        SpecError, DataError, BackendError: one line naming what to fix.

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> intent = rng.gamma(2.0, 0.5, 2000)
        >>> exposed = rng.random(2000) < 1 / (1 + np.exp(1.5 - intent))
        >>> frame = pd.DataFrame({"user_id": range(2000), "intent": intent,
        ...     "exposed": exposed, "minutes": 10 + 5 * intent + 2 * exposed})
        >>> cfg = AdjustmentConfig(source={"path": "unused.parquet"}, outcome="minutes",
        ...     covariates=["intent"])
        >>> round(analyse_adjustment(cfg, table=frame).effect.estimate, 6)
        2.0
    """
    from mlroi.backend.causal_adjust import prepare
    from mlroi.expr.parse import parse
    from mlroi.sources.facts import table_facts
    from mlroi.sources.open import open_table, source_name

    source = table if table is not None else config.source
    tab = open_table(source, base=base)
    facts = table_facts(tab, source, base=base, unit=config.unit)
    cond = None
    if config.treated_when is not None:
        cond = parse(config.treated_when, field="causal.treated_when", kind="condition")
    prepared = prepare(
        tab,
        unit=config.unit,
        treatment=config.treatment,
        treated_when=cond,
        outcome=config.outcome,
        covariates=config.covariates,
        unit_bounds=facts.bounds,
    )
    fit = fit_adjustment(
        prepared.reducer,
        config.covariates,
        treatment=config.treatment if cond is None else "treated_when",
        trim=config.trim,
    )
    passes = prepared.reducer.passes + 1
    steps = (
        "the moments per arm, which also give the propensity model's first Newton step,"
        f" {fit.iterations} of its further steps, the propensity-weighted sums, the"
        " influence-function sums"
    )
    if prepared.bytes_read:
        units = sum(fit.before[a].n for a in (1, 0))
        mib = prepared.bytes_read / 2**20
        size = f"{fmt.count(mib)} MiB" if mib >= 1 else "under 1 MiB"
        notes: tuple[str, ...] = (
            f"rows read into memory: the {fmt.count(units)} complete rows' treatment, outcome"
            f" and {len(config.covariates)} covariates ({size}) were read"
            " once after one check query, because the propensity model's fit takes several"
            f" passes over them; {passes - 1} passes in memory ({steps})",
        )
    else:
        notes = (
            f"rows never left the backend: {passes} aggregate queries (one check of the"
            f" columns, then one per pass: {steps})",
        )
    where = source_name(config.source if table is None else table)
    return adjustment_result(
        fit,
        config,
        excluded=prepared.excluded,
        notes=notes,
        sources=(f"users: {where}",),
        passes=passes,
    )


def _interval(e: Estimate, z: float) -> Interval:
    return Interval(
        e.estimate, e.estimate - z * e.std_error, e.estimate + z * e.std_error, e.std_error
    )


def adjustment_result(
    fit: AdjustFit,
    config: AdjustmentConfig,
    *,
    excluded: Mapping[str, int] | None = None,
    notes: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
    passes: int | None = None,
) -> AdjustmentResult:
    """The result of a fit (module docstring), e.g. of
    ``fit_adjustment(ArrayReducer(x, t, y), covariates)`` on arrays."""
    from scipy import stats

    z = float(stats.norm.ppf((1 + config.level) / 2))
    est = config.estimand
    other = "ate" if est == "att" else "att"
    estimates = {name: _interval(e, z) for name, e in fit.estimates[est].items()}
    head = fit.estimates[est][config.estimator]
    effect = estimates[config.estimator]
    naive = _interval(fit.naive, z)
    cf = head.counterfactual
    relative = _relative(effect, cf, fit.treated_mean if est == "att" else None)
    checks = _checks(fit, config)
    sens = sensitivity(
        effect.estimate,
        effect.lower,
        effect.upper,
        fit.outcome_sd,
        t=fit.regression.coef / fit.regression.std_error
        if fit.regression.std_error > 0
        else math.nan,
        df=fit.regression.df,
        level=config.level,
        baseline=cf if fit.binary else None,
    )
    balance = tuple(
        Balance(
            covariate=c,
            mean_treated=fit.before[1].mean[j],
            mean_comparison=fit.before[0].mean[j],
            smd_before=fit.smd_before[j],
            smd_after=fit.smd_after[est][j],
        )
        for j, c in enumerate(config.covariates)
    )
    who = "per exposed user" if est == "att" else "per user"
    what = config.outcome_unit or config.outcome
    unit = f"{what} {who}" + (f" over {config.period}" if config.period else "")
    lo, hi = config.trim
    assumptions = (
        f"no unmeasured confounding: given {', '.join(config.covariates)}, who was exposed is as"
        f" good as random (every common cause of exposure and {config.outcome} is among them)",
        "the covariates are measured before exposure and are not affected by it",
        f"overlap: each kind of user could have been exposed or not (propensities within"
        f" [{fmt.number(lo)}, {fmt.number(hi)}]; users outside are left out)",
        "no interference: one user's exposure does not change another user's outcome",
        _model_assumption(config.estimator),
    )
    model_notes = (
        "standard errors from influence functions: regression adjustment's accounts for the"
        " fitted outcome models, IPW's for the fitted propensity model (stacked estimating"
        " equations), AIPW's needs neither (it is orthogonal to both)",
        "E-value: on the risk ratio of the 0/1 outcome (with exposure over without)"
        if fit.binary
        else "E-value: for a continuous outcome the standardized effect d (effect / SD of the"
        " outcome among comparison users) is read as a risk ratio exp(0.91 d), VanderWeele &"
        " Ding's approximation",
        "relative effect: the interval divides the effect's interval by the counterfactual"
        " mean" + (" (the treated mean held fixed)" if est == "att" else " (held fixed)"),
    )
    return AdjustmentResult(
        design="adjustment",
        estimator=config.estimator,
        outcome=config.outcome,
        effect=effect,
        effect_unit=unit,
        relative=relative,
        counterfactual_mean=cf,
        naive=naive,
        estimates=estimates,
        checks=checks,
        assumptions=assumptions,
        units={
            "treated": fit.before[1].n,
            "comparison": fit.before[0].n,
            "treated kept": fit.kept[1],
            "comparison kept": fit.kept[0],
        },
        period=config.period,
        level=config.level,
        excluded=dict(excluded or {}),
        notes=(*notes, *model_notes),
        sources=sources,
        estimand=est,
        covariates=tuple(config.covariates),
        other_estimand={n: _interval(e, z) for n, e in fit.estimates[other].items()},
        trim=config.trim,
        trimmed={"treated": fit.trimmed[1], "comparison": fit.trimmed[0]},
        bin_edges=tuple(b / BINS for b in range(BINS + 1)),
        propensity_histogram={"treated": fit.histogram[1], "comparison": fit.histogram[0]},
        balance=balance,
        propensity_coef=dict(
            zip(("intercept", *config.covariates), fit.propensity_coef, strict=True)
        ),
        iterations=fit.iterations,
        passes=fit.passes if passes is None else passes,
        sensitivity=sens,
    )


def _model_assumption(estimator: str) -> str:
    propensity = "the propensity model (logistic in the covariates)"
    outcome = "the outcome model (linear in the covariates, one per arm)"
    if estimator == "aipw":
        return f"either {propensity} or {outcome} is right (AIPW needs one of the two)"
    return f"{propensity if estimator == 'ipw' else outcome} is right"


def _relative(effect: Interval, cf: float, treated_mean: float | None) -> Interval | None:
    if not cf > 0:
        return None
    if treated_mean is None:
        return Interval(effect.estimate / cf, effect.lower / cf, effect.upper / cf)

    # ATT: relative = tau / (ybar1 - tau), increasing in tau while ybar1 - tau > 0
    def rel(tau: float) -> float:
        base = treated_mean - tau
        return tau / base if base > 0 else math.inf

    return Interval(rel(effect.estimate), rel(effect.lower), rel(effect.upper))


def _checks(fit: AdjustFit, config: AdjustmentConfig) -> tuple[Check, ...]:
    lo, hi = config.trim
    if config.estimand == "att":
        share = fit.trimmed[1] / fit.before[1].n
        whom = "treated users"
    else:
        share = (fit.trimmed[1] + fit.trimmed[0]) / (fit.before[1].n + fit.before[0].n)
        whom = "users"
    overlap = Check(
        name="overlap",
        passed=share <= OVERLAP_LIMIT,
        blocking=True,
        value=share,
        limit=OVERLAP_LIMIT,
        detail=f"{fmt.share(share)} of {whom} have a propensity outside"
        f" [{fmt.number(lo)}, {fmt.number(hi)}] (limit {fmt.share(OVERLAP_LIMIT, 0)})",
    )
    smd = [abs(d) for d in fit.smd_after[config.estimand] if math.isfinite(d)]
    worst = max(smd, default=0.0)
    j = max(
        range(len(config.covariates)),
        key=lambda i: abs(fit.smd_after[config.estimand][i]),
    )
    blocking = worst > BALANCE_BLOCK
    limit = BALANCE_BLOCK if blocking else BALANCE_WARN
    balance = Check(
        name="balance after weighting",
        passed=worst <= BALANCE_WARN,
        blocking=blocking,
        value=worst,
        limit=limit,
        detail=f"largest |SMD| after weighting {fmt.score(worst)} ({config.covariates[j]};"
        f" limit {fmt.score(limit)})",
    )
    return (overlap, balance)
