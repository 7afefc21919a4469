"""Diagnostics of the designs on series: the pre-period fit of a synthetic control and the
placebo in time (a fake launch inside the pre-period) of both designs.

Rules (each a :class:`~mlroi.causal.result.Check`):

- synthetic control, pre-period fit (blocking): RMSPE at most the larger of
  :data:`PRE_FIT_SD` x the treated series' pre-period standard deviation and
  :data:`PRE_FIT_LEVEL` x its mean level;
- ITS, placebo in time (blocking): the fake launch's average effect has a p-value of at least
  :data:`PLACEBO_TIME_LIMIT`;
- synthetic control, placebo in time (a warning): the fake launch's mean gap within the
  ``level`` quantile of the placebos' absolute mean gaps in space (or :data:`PLACEBO_TIME_GAP`
  x the refit's pre-period RMSPE without placebos).

The fake launch leaves the last ``min(post periods, pre periods // 4)`` pre periods as a fake
post-period, when what stays before it still meets the design's minimum.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlroi import formatting as fmt
from mlroi.causal.its import MIN_RESIDUAL_DF, fit_its, t_p_value
from mlroi.causal.panel import Panel
from mlroi.causal.result import Check
from mlroi.causal.series_result import PlaceboInTime
from mlroi.causal.synthetic_control import PLACEBO_FIT_LIMIT, fit_synthetic
from mlroi.errors import EstimationError
from mlroi.spec.causal_synth import ItsConfig
from mlroi.stats.interval import Interval

MIN_PRE_SYNTHETIC = 10
"""Fewest pre-period values a synthetic control is fitted on (Abadie et al. 2010 use 19
years): with fewer, a good pre-period fit says little about the counterfactual."""

PRE_FIT_SD = 0.5
"""Pre-period fit check: the RMSPE must not exceed this share of the treated series' own
pre-period standard deviation (the synthetic unit explains at least 75% of its variation) ..."""

PRE_FIT_LEVEL = 0.05
"""... or this share of its pre-period mean level (a tight fit of a series that barely moves)."""

PLACEBO_TIME_LIMIT = 0.01
"""ITS placebo in time: a fake launch whose effect has a p-value below this withholds the
headline (the model finds an effect where there was none)."""

PLACEBO_TIME_GAP = 2.0
"""Synthetic control placebo in time without placebos in space: the fake launch's mean gap must
stay within this multiple of the refit's pre-period RMSPE (a warning otherwise)."""


def fake_split(n_pre: int, post: int, minimum: int) -> int | None:
    """The fake launch row: the last ``min(post, n_pre // 4)`` pre periods become a fake
    post-period, when what stays before it still meets ``minimum``."""
    h = min(post, n_pre // 4)
    fake = n_pre - h
    return fake if h >= 1 and fake >= minimum else None


def its_placebo(
    panel: Panel,
    y: np.ndarray[Any, Any],
    X: np.ndarray[Any, Any],
    n_pre: int,
    names: tuple[str, ...],
    config: ItsConfig,
) -> PlaceboInTime | None:

    fake = fake_split(n_pre, panel.keys.size - n_pre, X.shape[1] + MIN_RESIDUAL_DF)
    if fake is None:
        return None
    try:
        fit = fit_its(
            y[:n_pre],
            X[:n_pre],
            fake,
            level=config.level,
            names=names,
            autocorrelated=config.autocorrelated,
        )
    except EstimationError:
        return None
    p = t_p_value(fit.average.estimate, fit.average.std_error, fit.df_resid)
    return PlaceboInTime(panel.label(int(panel.keys[fake])), n_pre - fake, fit.average, p)


def its_placebo_check(placebo: PlaceboInTime) -> Check:
    """ITS placebo in time: blocking when the fake launch's effect has a p-value below
    :data:`PLACEBO_TIME_LIMIT`."""
    return Check(
        "placebo in time",
        passed=placebo.statistic >= PLACEBO_TIME_LIMIT,
        blocking=True,
        value=placebo.statistic,
        limit=PLACEBO_TIME_LIMIT,
        detail=f"fake launch {placebo.launch}: average effect"
        f" {fmt.interval(placebo.effect)} over {placebo.periods} periods,"
        f" {fmt.p_equals(placebo.statistic)} (limit {fmt.number(PLACEBO_TIME_LIMIT)})",
    )


def pre_fit_check(pre: np.ndarray[Any, Any], rmspe: float) -> Check:
    sd = float(pre.std(ddof=1))
    level = float(abs(pre.mean()))
    limit = max(PRE_FIT_SD * sd, PRE_FIT_LEVEL * level)
    return Check(
        "pre-period fit",
        passed=rmspe <= limit,
        blocking=True,
        value=rmspe,
        limit=limit,
        detail=f"pre-period RMSPE {fmt.value(rmspe)} (limit {fmt.value(limit)}: the larger of"
        f" {fmt.number(PRE_FIT_SD)} x the treated series' standard deviation"
        f" {fmt.value(sd)} and {fmt.level(PRE_FIT_LEVEL)} of its mean {fmt.value(level)})",
    )


def synthetic_placebo_time(
    panel: Panel, y: np.ndarray[Any, Any], donors: np.ndarray[Any, Any], n_pre: int
) -> PlaceboInTime | None:
    fake = fake_split(n_pre, panel.keys.size - n_pre, MIN_PRE_SYNTHETIC)
    if fake is None:
        return None
    fit = fit_synthetic(y[:n_pre], panel.values[:n_pre, donors], fake)
    return PlaceboInTime(
        panel.label(int(panel.keys[fake])),
        n_pre - fake,
        Interval(fit.average, math.nan, math.nan, fit.pre_rmspe),
        abs(fit.average),
    )


def placebo_time_check(
    placebo: PlaceboInTime, placebos: tuple[Any, ...], pre_rmspe: float, level: float
) -> Check:
    """The fake launch's mean gap against the gaps placebos in space show with no effect (the
    ``level`` quantile of their absolute mean gaps, among those that fit within
    :data:`PLACEBO_FIT_LIMIT` x the treated unit's RMSPE); without enough placebos, against
    :data:`PLACEBO_TIME_GAP` x the refit's pre-period RMSPE."""
    spread = np.array(
        [
            abs(p.average)
            for p in placebos
            if math.isfinite(p.average) and p.pre_rmspe <= PLACEBO_FIT_LIMIT * pre_rmspe
        ]
    )
    gap = placebo.statistic
    if spread.size >= 2:
        limit = float(np.quantile(spread, level, method="inverted_cdf"))
        rule = f"the {fmt.level(level)} quantile of the placebos' |mean gap| in space"
    else:
        limit = PLACEBO_TIME_GAP * placebo.effect.std_error
        rule = f"{fmt.number(PLACEBO_TIME_GAP)} x the refit's pre-period RMSPE"
    return Check(
        "placebo in time",
        passed=gap <= limit,
        blocking=False,
        value=gap,
        limit=limit,
        detail=f"fake launch {placebo.launch}: mean gap {fmt.signed(placebo.effect.estimate)}"
        f" over {placebo.periods} periods (limit ±{fmt.value(limit)}: {rule})",
    )
