"""Run an attribution analysis: logs → path table (backend) → models, bootstrap, reconciliation.

:func:`attribute` reads a case's ``attribution:`` section; :func:`attribute_paths` runs the same
analysis on a path table built in Python (notebooks, tests).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlroi import defaults
from mlroi import formatting as fmt
from mlroi.attribution.bootstrap import Draws, bootstrap
from mlroi.attribution.config import (
    MODELS,
    AttributionConfig,
    Incremental,
    MarkovSettings,
    ModelName,
)
from mlroi.attribution.models import CONVENTIONS, fit_models
from mlroi.attribution.paths import FloatArray, PathTable
from mlroi.attribution.result import (
    AttributionResult,
    ChannelCredit,
    InfluencedRevenue,
    MarkovDetail,
    ModelCredits,
    Reconciliation,
)
from mlroi.errors import DataError, EstimationError, SpecError
from mlroi.stats.distributions import normal_ppf
from mlroi.stats.interval import Interval

if TYPE_CHECKING:
    from mlroi.backend.attribution import Influenced, JourneyCounts
    from mlroi.experiment.result import ExperimentResult

RECONCILE_DRAWS = 100_000
"""Monte Carlo draws of the incrementality factor."""


def attribute(
    config: AttributionConfig,
    *,
    base: Path | None = None,
    seed: int = defaults.SEED,
    level: float = defaults.MONTE_CARLO_LEVEL,
    currency: str = "USD",
    readout: ExperimentResult | None = None,
    progress: Callable[[str], None] | None = None,
) -> AttributionResult:
    """Attribute the revenue of an order log to the channels of a touchpoint log.

    Args:
        config: the ``attribution:`` section.
        base: folder relative source paths are read from (the case file's).
        seed: seed of the bootstrap and of the reconciliation's draws.
        level: level of every interval.
        currency: currency of the revenue column.
        readout: the experiment's result, when ``incremental`` names one of its metrics.
        progress: called with each step's name.

    Raises:
        DataError: the logs do not fit the configuration (the message names the column).
        SpecError: ``incremental.metric`` needs a readout that was not given.
    """
    from mlroi.backend.attribution import (
        LogColumns,
        influenced,
        journey_counts,
        missing_from_assignments,
        session_influenced,
    )
    from mlroi.sources.open import open_table

    step = progress or (lambda _: None)
    tc, oc = config.touchpoint_columns, config.order_columns
    cols = LogColumns(
        tc.user, tc.time, tc.channel, tc.item, oc.user, oc.order_id, oc.time, oc.revenue, oc.item
    )
    touches = open_table(config.touchpoints, base=base)
    orders = open_table(config.orders, base=base)
    rec = config.recommendation
    step("reducing the logs to journeys")
    counts = journey_counts(
        touches,
        orders,
        cols,
        lookback_days=config.lookback_days,
        half_life_days=config.half_life_days,
        max_touches=config.max_touches,
        exclude=() if rec.view_through else rec.views,
        decay="time_decay" in config.models,
    )
    if config.assignments is not None:
        step("checking users against the assignment table")
        assigned = open_table(config.assignments, base=base)
        counts.counts.update(
            missing_from_assignments(touches, orders, cols, assigned, config.assignment_user)
        )
    channels = [*rec.clicks, *(rec.views if rec.view_through else [])]
    step("windows after recommendation clicks")
    item, order = influenced(
        touches,
        orders,
        cols,
        channels=channels,
        item_window_hours=rec.item_window_days * 24,
        order_window_hours=rec.order_window_hours,
    )
    windows = (
        f"{fmt.number(rec.item_window_days)} days after a click on the item",
        f"{fmt.number(rec.order_window_hours)} hours after a click",
    )
    infl = _influenced(item, order, windows, level)
    if rec.same_session and tc.session is not None and oc.session is not None:
        session = session_influenced(
            touches,
            orders,
            cols,
            channels=channels,
            touch_session=tc.session,
            order_session=oc.session,
            users=order.users,
        )
        infl += _influenced(
            None, session, ("", "later in the session of a click"), level, "session"
        )
    table = table_of(counts, config.half_life_days * 24, "time_decay" in config.models)
    if table.total_conversions == 0:
        raise DataError(
            "attribution: no order has a touch within the lookback window "
            f"({fmt.number(config.lookback_days)} days): check that the logs share user ids "
            "and cover the same period, or lengthen attribution.lookback_days"
        )
    incremental = None
    if config.incremental is not None:
        incremental = incremental_revenue(config.incremental, readout, level)
    step("fitting the models")
    result = attribute_paths(
        table,
        models=config.models,
        markov=config.markov,
        recommendation_channels=channels,
        resamples=config.resamples,
        seed=seed,
        level=level,
        currency=currency,
        incremental=incremental,
        influenced=infl,
        period=(config.period, "") if config.period else (counts.first_time, counts.last_time),
        time_zone=counts.time_zone,
        settings=(config.lookback_days, config.half_life_days, config.max_touches),
        data=counts.counts,
        sources={"touchpoints": _describe(config.touchpoints), "orders": _describe(config.orders)},
    )
    if counts.memory_limit is None:
        return result
    note = (
        "The logs did not fit in the DuckDB memory limit mlroi sets for reducing them to"
        f" journeys ({counts.memory_limit}, when none is given), so DuckDB spilled to disk; a"
        " larger limit (mlroi --memory-limit, or MLROI_MEMORY_LIMIT) keeps them in memory."
    )
    return dataclasses.replace(result, notes=(*result.notes, note))


def _describe(source: object) -> str:
    for name in ("path", "demo", "table"):
        v = getattr(source, name, None)
        if v is not None:
            return f"{name}: {v}"
    return str(source)


def table_of(counts: JourneyCounts, half_life_hours: float, timed: bool = True) -> PathTable:
    """The backend's path counts as a :class:`PathTable` (channels sorted by name); ``timed``
    when the backend computed the time-decay sums."""
    from mlroi.backend.attribution import SEPARATOR

    split = [p.split(SEPARATOR) for p in counts.path]
    channels = tuple(sorted({c for p in split for c in p}))
    index = {c: i for i, c in enumerate(channels)}
    paths = tuple(tuple(index[c] for c in p) for p in split)
    lengths = np.array([len(p) for p in paths], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    row_of = {
        (p, True): r
        for r, (p, c) in enumerate(zip(counts.path, counts.converted, strict=True))
        if c
    }
    share = np.zeros(int(lengths.sum()))
    worth = np.zeros(int(lengths.sum()))
    if len(counts.decay_path):
        rows = np.array([row_of[(p, True)] for p in counts.decay_path], dtype=np.int64)
        at = starts[rows] + counts.decay_position
        share[at] = counts.decay_share
        worth[at] = counts.decay_value
    conv = counts.converted
    return PathTable(
        channels=channels,
        paths=paths,
        journeys=counts.journeys,
        conversions=np.where(conv, counts.journeys, 0.0),
        value=np.where(conv, counts.value, 0.0),
        value_sq=np.where(conv, counts.value_sq, 0.0),
        decay_share=share if timed else None,
        decay_value=worth if timed else None,
        half_life_hours=half_life_hours if timed else math.nan,
    )


def _influenced(
    item: Influenced | None,
    order: Influenced,
    windows: tuple[str, str],
    level: float,
    rule_of_order: str = "order",
) -> tuple[InfluencedRevenue, ...]:
    out = []
    for rule, got, window in (("item", item, windows[0]), (rule_of_order, order, windows[1])):
        if got is None:
            continue
        # the bootstrap of a sum over n users has variance n * (population variance)
        mean = got.revenue / got.users if got.users else 0.0
        var = max(got.sum_sq / got.users - mean * mean, 0.0) if got.users else 0.0
        se = math.sqrt(got.users * var)
        z = normal_ppf((1 + level) / 2)
        iv = Interval(got.revenue, got.revenue - z * se, got.revenue + z * se, se)
        out.append(InfluencedRevenue(rule, window, iv, got.orders, got.users))
    return tuple(out)


def incremental_revenue(
    spec: Incremental, readout: ExperimentResult | None, level: float = defaults.MONTE_CARLO_LEVEL
) -> tuple[Interval, str]:
    """The incremental revenue to reconcile with, and where it comes from; its interval is the
    normal interval at ``level`` (the result's level), whatever level it was given at.

    Raises:
        SpecError: the metric needs a readout, or the readout lacks it.
        EstimationError: the readout could not estimate the metric.
    """
    z = normal_ppf((1 + level) / 2)
    if spec.estimate is not None and spec.interval is not None:
        lo, hi = spec.interval
        se = (hi - lo) / (2 * normal_ppf((1 + spec.level) / 2))
        iv = Interval(spec.estimate, spec.estimate - z * se, spec.estimate + z * se, se)
        return iv, spec.source or "given by hand"
    assert spec.metric is not None and spec.units is not None
    if readout is None:
        raise SpecError(
            f"attribution.incremental.metric: {spec.metric!r} needs the case's experiment "
            "readout (an `experiment:` section), or give `estimate` and `interval` by hand"
        )
    try:
        c = readout.comparison(spec.metric)
    except KeyError:
        raise SpecError(
            f"attribution.incremental.metric: the experiment has no metric {spec.metric!r}"
        ) from None
    if c.absolute is None:
        raise EstimationError(
            f"attribution.incremental: the readout could not estimate {spec.metric!r} ({c.reason})"
        )
    a, u = c.absolute, spec.units
    if readout.window_days is None:
        where = (
            f"experiment readout: {spec.metric} lift per user ({c.arm} vs {c.control}) "
            f"x {fmt.count(u)} users"
        )
    else:
        # The lift is per user per test window: the units are users x windows in the period.
        where = (
            f"experiment readout: {spec.metric} lift per user per"
            f" {fmt.number(readout.window_days)}-day window ({c.arm} vs {c.control})"
            f" x {fmt.count(u)} user-windows"
        )
    est, se = a.estimate * u, a.std_error * u
    return Interval(est, est - z * se, est + z * se, se), where


def attribute_paths(
    table: PathTable,
    *,
    models: Sequence[ModelName] = MODELS,
    markov: MarkovSettings | None = None,
    recommendation_channels: Sequence[str] = ("rec_click",),
    resamples: int = defaults.RESAMPLES,
    seed: int = defaults.SEED,
    level: float = defaults.MONTE_CARLO_LEVEL,
    currency: str = "USD",
    incremental: tuple[Interval, str] | None = None,
    influenced: tuple[InfluencedRevenue, ...] = (),
    period: tuple[str, str] = ("", ""),
    time_zone: str | None = None,
    settings: tuple[float, float, int] = (30.0, 7.0, 50),
    data: dict[str, float] | None = None,
    sources: dict[str, str] | None = None,
) -> AttributionResult:
    """Every model's credits on ``table`` with bootstrap intervals, and the reconciliation.

    Example:
        >>> from mlroi.attribution.paths import Journey, path_table
        >>> t = path_table([Journey(["email", "rec_click"], 30.0), Journey(["rec_click"], 10.0)])
        >>> r = attribute_paths(t, models=["last_click"], resamples=0)
        >>> r.model("last_click").recommendation.estimate
        40.0
    """
    settings_ = markov or MarkovSettings()
    point = fit_models(table, models, settings_)
    draws = bootstrap(table, models, settings_, resamples, seed) if resamples else None
    rec_mask = np.array([c in set(recommendation_channels) for c in table.channels])
    credits = tuple(
        _model_credits(name, c.value, c.conversions, table.channels, rec_mask, draws, level)
        for name, c in point.credits.items()
    )
    detail = None
    if point.markov is not None:
        detail = MarkovDetail(
            point.markov.order,
            point.markov.allocation,
            point.markov.conversion_probability,
            {
                c: float(e)
                for c, e in zip(table.channels, point.markov.removal_effects, strict=True)
            },
        )
    reconciliation = None
    if incremental is not None:
        last = next((m for m in credits if m.model == "last_click"), None)
        if last is None:
            raise SpecError(
                "attribution.models: the reconciliation needs `last_click` among the models"
            )
        reconciliation = reconcile(last.recommendation, *incremental, seed=seed, level=level)
    notes = [
        "Journeys are resampled, not users: a user's several orders count as independent journeys.",
    ]
    if data and data.get("users_missing_from_assignments"):
        notes.append(
            f"{fmt.count(data['users_missing_from_assignments'])} users of the logs are not in "
            "the assignment table: their orders "
            f"({fmt.count(data['orders_of_users_missing_from_assignments'])}) are attributed but "
            "lie outside the test the reconciliation uses."
        )
    if "time_decay" in models and table.decay_share is None:
        notes.append("Time decay skipped: the touches' times are not known.")
    lookback, half_life, max_touches = settings
    return AttributionResult(
        currency=currency,
        level=level,
        resamples=resamples,
        seed=seed,
        period_start=period[0],
        period_end=period[1],
        time_zone=time_zone,
        sources=sources or {},
        lookback_days=lookback,
        half_life_days=half_life,
        max_touches=max_touches,
        recommendation_channels=tuple(recommendation_channels),
        channels=table.channels,
        journeys=float(table.journeys.sum()),
        converting_journeys=table.total_conversions,
        attributed_revenue=table.total_value,
        attributed_conversions=table.total_conversions,
        models=credits,
        markov=detail,
        shapley_method=point.shapley_method,
        influenced=influenced,
        reconciliation=reconciliation,
        data=dict(data or {}),
        notes=tuple(notes),
    )


def _model_credits(
    name: str,
    value: FloatArray,
    conversions: FloatArray,
    channels: tuple[str, ...],
    rec: np.ndarray[tuple[int], np.dtype[np.bool_]],
    draws: Draws | None,
    level: float,
) -> ModelCredits:
    total = value.sum()
    dv = draws.value.get(name) if draws else None
    dc = draws.conversions.get(name) if draws else None

    def iv(est: float, d: FloatArray | None) -> Interval:
        if d is None or d.size == 0:
            return Interval(est, math.nan, math.nan)
        return Interval.of(d, est, level)

    rows = tuple(
        ChannelCredit(
            ch,
            iv(float(value[i]), None if dv is None else dv[:, i]),
            iv(float(conversions[i]), None if dc is None else dc[:, i]),
            float(value[i] / total) if total else 0.0,
        )
        for i, ch in enumerate(channels)
    )
    rec_draws = None if dv is None else dv[:, rec].sum(axis=1)
    return ModelCredits(name, CONVENTIONS[name], rows, iv(float(value[rec].sum()), rec_draws))


def reconcile(
    influenced: Interval,
    incremental: Interval,
    source: str,
    *,
    seed: int,
    level: float,
    draws: int = RECONCILE_DRAWS,
) -> Reconciliation:
    """The incrementality factor (incremental / influenced) and the adjusted last-click estimate.

    The two figures come from independent estimates; the factor's interval is read off
    ``draws`` joint normal draws of both (each with its standard error; an influenced figure
    without one is taken as exact).

    Raises:
        EstimationError: no revenue was influenced (the factor is undefined).
    """
    if influenced.estimate <= 0:
        raise EstimationError(
            "attribution: no revenue is last-click attributed to the recommendation channels, "
            "so the incrementality factor is undefined; check attribution.recommendation.clicks"
        )
    rng = np.random.default_rng(seed)
    se_i = influenced.std_error if math.isfinite(influenced.std_error) else 0.0
    se_x = incremental.std_error if math.isfinite(incremental.std_error) else 0.0
    infl = influenced.estimate + se_i * rng.standard_normal(draws)
    incr = incremental.estimate + se_x * rng.standard_normal(draws)
    ratio = np.where(infl > 0, incr / np.where(infl > 0, infl, 1.0), np.nan)
    factor = Interval.of(ratio, incremental.estimate / influenced.estimate, level)
    adjusted = Interval.of(infl * ratio, influenced.estimate * factor.estimate, level)
    return Reconciliation(influenced, incremental, factor, adjusted, source, draws)


DAYS_PER_MONTH = 365.25 / 12


def months_in_period(result: AttributionResult) -> float:
    """Months the attribution period spans (first to last touch), at least one day's worth.

    Raises:
        SpecError: the period is given in words (``attribution.period``) and cannot be read.
    """
    from datetime import datetime

    try:
        start = datetime.fromisoformat(result.period_start)
        end = datetime.fromisoformat(result.period_end)
    except ValueError:
        raise SpecError(
            "attribution.period: a value driver needs the period's length; remove "
            "`attribution.period` so that it is read off the logs"
        ) from None
    days = max((end - start).total_seconds() / 86400.0, 1.0)
    return days / DAYS_PER_MONTH
