"""The A/B readout: sources + metric definitions -> one backend query -> ExperimentResult."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from mlroi import defaults
from mlroi import formatting as fmt
from mlroi.backend.checks import check_binary_words, require_columns, require_numeric
from mlroi.backend.events import EVENT_COUNTS, derive_units, event_counts
from mlroi.backend.moments import Aggregation, GroupStats, collect
from mlroi.checked import as_model
from mlroi.errors import DataError, SpecError, first_line
from mlroi.experiment.config import ExperimentConfig, Guardrail
from mlroi.experiment.result import Comparison, ExperimentResult, GuardrailCheck
from mlroi.metrics.base import ReadoutMetric
from mlroi.metrics.events import EventLog
from mlroi.quality import Excluded, Exclusions
from mlroi.sources.facts import TableFacts, table_facts
from mlroi.sources.open import open_table, release
from mlroi.spec.loader import validation_error_line
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.distributions import Alternative
from mlroi.stats.fieller import RelativeInterval
from mlroi.stats.lift import compare
from mlroi.stats.multiplicity import adjust
from mlroi.stats.srm import srm_test


def readout(
    data: Any = None,
    config: ExperimentConfig | None = None,
    *,
    events: Any = None,
    assignments: Any = None,
    base: Path | None = None,
    **settings: Any,
) -> ExperimentResult:
    """Read out an A/B test.

    Args:
        data: the per-unit table (path, frame, Ibis table); overrides ``config.source``.
        config: the experiment configuration; or pass its fields as keyword ``settings``.
        events: event log (overrides ``config.events.source``); needs ``assignments`` too.
        assignments: assignment table (unit, variant, first exposure, segments).
        base: directory that relative paths in the configuration are resolved against.
        **settings: fields of :class:`ExperimentConfig` when ``config`` is not given.

    Returns:
        The frozen :class:`ExperimentResult`.

    Example:
        >>> from mlroi import Mean, Proportion, Ratio, readout
        >>> from mlroi.demo import generate_recommender_test
        >>> users = generate_recommender_test(20_000, seed=1).users
        >>> result = readout(users, control="control", arms={"control": 1, "treatment": 1},
        ...                  metrics=[Mean(name="revenue", column="revenue",
        ...                                covariate="pre_revenue")])
        >>> result.srm.mismatch
        False
    """
    if config is None:
        try:
            config = ExperimentConfig.model_validate(settings)
        except ValidationError as exc:
            line = validation_error_line(exc, settings, model=ExperimentConfig)
            raise SpecError(line) from exc
    elif settings:
        raise SpecError("pass either config= or keyword settings, not both")
    config = as_model(ExperimentConfig, config, "config")
    table, keys = units_table(config, data, events, assignments, base)
    try:
        return _read_out_table(table, config, keys)
    finally:
        release(table, keys.table)


def units_table(
    config: ExperimentConfig,
    data: Any = None,
    events: Any = None,
    assignments: Any = None,
    base: Path | None = None,
) -> tuple[Any, TableFacts]:
    """The per-unit Ibis table of a readout (given data, a derived event log, or the source).

    Returns:
        The table, and the table whose unit column the uniqueness check counts: the assignments
        for an event log (one row per unit there means one row per unit after the derivation,
        and counting them is far cheaper than counting the derived table), else the table;
        with what Parquet statistics give: the unit column's value range, and the ranges of
        the table's checked columns (:class:`TableFacts`).
    """
    if data is not None:
        table = open_table(data, base=base)
        return table, _table_facts(table, data, config, base)
    if events is not None or assignments is not None or config.events is not None:
        log = config.events if config.events is not None else EventLog()
        ev = events if events is not None else log.source
        asg = assignments if assignments is not None else log.assignments
        if ev is None or asg is None:
            raise SpecError(
                "an event log readout needs both `events.source` and `events.assignments`"
            )
        ev_table, asg_table = open_table(ev, base=base), open_table(asg, base=base)
        roles = [config.unit, log.timestamp, log.event_type, log.value]
        require_columns(ev_table, [("events column", c) for c in roles])
        roles = [config.unit, config.variant, log.exposure, *config.segments]
        require_columns(asg_table, [("assignments column", c) for c in roles])
        keep = list(dict.fromkeys([config.unit, config.variant, log.exposure, *config.segments]))
        # derive only the columns some metric reads: each is one more conditional sum per event
        needed = {c for m in config.metrics for c in m.value_columns() + m.covariate_columns()}
        unknown = sorted(needed - set(log.columns))
        if unknown:
            raise SpecError(
                f"metric column {unknown[0]!r} is not derived from the event log: add it under"
                f" `events.columns` (derived: {sorted(log.columns)})"
            )
        log = log.model_copy(update={"columns": {k: log.columns[k] for k in sorted(needed)}})
        _require_same_time_zone(ev_table, log.timestamp, asg_table, log.exposure)
        try:
            units = derive_units(ev_table, asg_table.select(*keep), log, config.unit)
        except Exception as exc:  # Ibis type errors when building the expression
            raise DataError(
                f"cannot derive per-unit metrics from the event log: {first_line(exc)};"
                f" check that {log.timestamp!r} and {log.exposure!r} are timestamps and"
                f" {log.value!r} is numeric"
            ) from exc
        facts = _table_facts(asg_table, asg, config, base, own_columns=False)
        summed = {name: (ev_table, log.value) for name, c in log.columns.items() if c.agg == "sum"}
        counts = event_counts(ev_table, asg_table, log, config.unit)
        return units, dataclasses.replace(facts, derived_from=summed, counts=counts)
    if config.source is None:
        raise SpecError("no data: give `source` or `events` in the configuration, or pass data")
    table = open_table(config.source, base=base)
    return table, _table_facts(table, config.source, config, base)


def _require_same_time_zone(events: Any, timestamp: str, assignments: Any, exposure: str) -> None:
    """Fail when one of the two time columns has a time zone and the other has none: the engine
    would compare them through its session's time zone, shifting every window by hours."""
    kinds = []
    for role, table, column in (
        ("events", events, timestamp),
        ("assignments", assignments, exposure),
    ):
        dtype = table[column].type()
        zone = getattr(dtype, "timezone", None) if dtype.is_timestamp() else None
        kinds.append((role, column, dtype.is_timestamp(), zone))
    (r1, c1, t1, z1), (r2, c2, t2, z2) = kinds
    if t1 and t2 and (z1 is None) != (z2 is None):

        def say(role: str, column: str, zone: str | None) -> str:
            kind = "without a time zone" if zone is None else f"with time zone {zone}"
            return f"{role} column {column!r} is a timestamp {kind}"

        raise DataError(
            f"{say(r1, c1, z1)} and {say(r2, c2, z2)}: the event windows would shift by the"
            " session's time zone; store both in UTC with a time zone, or both without one"
        )


def _table_facts(
    table: Any,
    source: Any,
    config: ExperimentConfig,
    base: Path | None,
    *,
    own_columns: bool = True,
) -> TableFacts:
    """What the footers of ``source`` state: the unit range (when units are counted), and
    (``own_columns``: the metrics read this table's columns, not columns derived from it) the
    ranges of the columns a data check reads."""
    checked = [c for m in config.metrics for c in m.checked_ranges()] if own_columns else []
    unit = config.unit if config.check_unique_units else None
    return table_facts(table, source, base=base, unit=unit, columns=checked)


def plan_aggregation(
    table: Any,
    config: ExperimentConfig,
    column_bounds: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[Aggregation, list[ReadoutMetric]]:
    """What the readout's query computes for ``config`` (after checking ``table``'s columns).

    ``column_bounds`` (from file statistics, :class:`TableFacts`) spares the query the minimum
    and maximum of a column whose known range already passes its check.

    Returns:
        The aggregation, and the metrics as estimated (capped columns renamed).
    """
    metrics: list[ReadoutMetric] = []
    capped: dict[str, tuple[str, float]] = {}
    for m in config.metrics:
        eff, caps = m.capped()
        metrics.append(eff)
        capped.update(caps)
    raw_columns = sorted(
        {c for m in config.metrics for c in m.value_columns() + m.covariate_columns()}
    )
    keys = [("unit column", config.unit), ("variant column", config.variant)]
    require_columns(table, keys + [("segment column", s) for s in config.segments])
    # a 0/1 column may be text (yes/no, true/false): the backend reads it as 0/1
    schema = table.schema()
    words = sorted(
        {
            c
            for m in config.metrics
            for c in m.zero_one_columns()
            if c in schema and schema[c].is_string()
        }
    )
    require_numeric(table, [c for c in raw_columns if c not in words])
    check_binary_words(table, words)
    columns = sorted({c for m in metrics for c in m.value_columns() + m.covariate_columns()})
    # bounds only where a check reads them (a proportion's 0/1 values, a ratio's denominator),
    # and only those the file statistics do not already prove
    known = column_bounds or {}

    def within(column: str, low: float, high: float) -> bool:
        bounds = known.get(column)
        return bounds is not None and low <= bounds[0] and bounds[1] <= high

    ranges = {(c, lo, hi) for m in metrics for c, (lo, hi) in m.checked_ranges().items()}
    unchecked = [(c, lo, hi) for c, lo, hi in ranges if not within(c, lo, hi)]
    # an integer or boolean column within [0, 1] holds only 0 and 1: its variance follows
    # from its mean, so the backend need not compute it
    binary = sorted(
        {
            c
            for m in metrics
            for c in m.zero_one_columns()
            if schema[c].is_integer() or schema[c].is_boolean() or c in words
        }
    )
    pairs = sorted({p for m in metrics for p in m.pairs()} - {(c, c) for c in binary})
    spec = Aggregation(
        unit=config.unit,
        variant=config.variant,
        segments=tuple(config.segments),
        columns=tuple(columns),
        pairs=tuple(pairs),
        capped=capped,
        check_unique=config.check_unique_units,
        lower=tuple(sorted({c for c, lo, _ in unchecked if lo > -math.inf})),
        upper=tuple(sorted({c for c, _, hi in unchecked if hi < math.inf})),
        binary=tuple(binary),
    )
    return spec, metrics


def aggregate(
    table: Any, config: ExperimentConfig, keys: TableFacts | Any = None
) -> tuple[GroupStats, list[ReadoutMetric], dict[str, tuple[str, float]]]:
    """Run the readout's single backend query and validate what came back.

    Args:
        table: the per-unit table.
        config: the experiment configuration.
        keys: what the uniqueness check counts (:func:`units_table`), or a table, or None
            for ``table`` itself.

    Returns:
        The per-group statistics, the metrics as estimated (capped columns renamed), and the
        capped columns (derived name -> (raw column, quantile)).
    """
    if not isinstance(keys, TableFacts):
        keys = TableFacts(keys)
    spec, metrics = plan_aggregation(table, config, keys.column_bounds)
    if keys.counts is not None:
        spec = dataclasses.replace(spec, counts=keys.counts)
    stats = collect(table, spec, keys)
    _validate(stats, config, metrics)
    return stats, metrics, dict(spec.capped)


def _read_out_table(
    table: Any, config: ExperimentConfig, keys: TableFacts | Any = None
) -> ExperimentResult:
    stats, metrics, capped = aggregate(table, config, keys)

    by_arm = {arm: stats.arm(arm) for arm in config.arms}
    srm = srm_test({a: agg.n for a, agg in by_arm.items()}, config.arms, config.srm_threshold)

    overall = [
        _compare(m, config, by_arm[config.control], by_arm[arm], arm)
        for m in metrics
        for arm in config.treatments
    ]
    overall = _correct(overall, config)

    segments: list[Comparison] = []
    for j, seg in enumerate(config.segments):
        values = sorted({k[1 + j] for k in stats.groups})
        for value in values:
            cell = {arm: stats.arm(arm, j, value) for arm in config.arms}
            for m in metrics:
                for arm in config.treatments:
                    c = _compare(m, config, cell[config.control], cell[arm], arm)
                    segments.append(_with(c, segment=seg, segment_value=value))

    by_name = {m.name: m for m in metrics}
    guardrails = tuple(
        _guardrail(g, _two_sided(c, by_name[c.metric], config, by_arm))
        for g in config.guardrails
        for c in overall
        if c.metric == g.metric
    )
    notes = [
        f"{raw} capped at its {fmt.number(q)} quantile = {fmt.number(stats.cap_values[new])}"
        for new, (raw, q) in capped.items()
    ]
    if stats.distinct_method:
        notes.append(f"units checked for duplicates by {stats.distinct_method}")
    if config.correction != "none":
        family = sum(1 for c in overall if c.p_value is not None and not _is_guardrail(c, config))
        method = "Holm" if config.correction == "holm" else "Benjamini-Hochberg"
        notes.append(
            f"p-values adjusted by {method}"
            f" over {family} comparisons (arms x metrics, guardrails excluded);"
            " segment p-values are not adjusted"
        )
    return ExperimentResult(
        control=config.control,
        arms=dict(config.arms),
        level=config.level,
        alternative=config.alternative,
        correction=config.correction,
        srm=srm,
        comparisons=tuple(overall),
        segments=tuple(segments),
        guardrails=guardrails,
        notes=tuple(notes),
        relative_interval=config.relative_interval,
        exclusions=_exclusions(stats),
        window_days=config.window,
    )


def _exclusions(stats: GroupStats) -> Exclusions:
    """What the readout read and left out: the units of a per-unit table (a bad row is an
    error, never left out), or an event log's events and assignments with the rows it left
    out (:data:`~mlroi.backend.events.EVENT_COUNTS`)."""
    if not stats.counts:
        return Exclusions(read={"units": stats.rows})
    return Exclusions(
        read={
            table: stats.counts[c] for c, (table, reason) in EVENT_COUNTS.items() if reason is None
        },
        excluded=tuple(
            Excluded(table, stats.counts[c], reason)
            for c, (table, reason) in EVENT_COUNTS.items()
            if reason is not None
        ),
    )


def _validate(stats: GroupStats, config: ExperimentConfig, metrics: list[ReadoutMetric]) -> None:
    if not stats.groups:
        raise DataError(
            "the table is empty: no units to read out; check that the source (path, table or"
            " filter) points at the experiment's data"
        )
    seen = {k[0] for k in stats.groups}
    unknown = sorted(seen - set(config.arms))
    if None in seen or "(null)" in unknown:
        nulls = sum(g.n for k, g in stats.groups.items() if k[0] in (None, "(null)"))
        raise DataError(
            f"variant column {config.variant!r} has {nulls} NULL value(s):"
            " filter those units out or assign them an arm"
        )
    if unknown:
        raise DataError(
            f"variant column {config.variant!r} has value {unknown[0]!r} not listed in arms"
            f" {sorted(config.arms)}: add it to `arms` or filter those units out"
        )
    if stats.distinct_units is not None and stats.distinct_units < stats.rows:
        raise DataError(
            f"unit column {config.unit!r} has {stats.rows - stats.distinct_units} duplicate"
            " unit(s): each unit must appear once, in one variant; deduplicate the table"
        )
    for m in metrics:
        for key, agg in stats.groups.items():
            m.check(agg, stats.minimum[key], stats.maximum[key])


def _compare(
    metric: ReadoutMetric,
    config: ExperimentConfig,
    ctrl: Aggregates,
    treat: Aggregates,
    arm: str,
) -> Comparison:
    return compare_aggregates(
        metric,
        ctrl,
        treat,
        level=config.level,
        alternative=config.alternative,
        control_name=config.control,
        arm=arm,
        relative_interval=config.relative_interval,
    )


def _two_sided(
    c: Comparison,
    metric: ReadoutMetric,
    config: ExperimentConfig,
    by_arm: Mapping[str, Aggregates],
) -> Comparison:
    """``c`` with two-sided intervals at the readout's level (itself for a two-sided readout),
    which a guardrail judges whatever the readout's ``alternative``."""
    if config.alternative == "two-sided":
        return c
    two = config.model_copy(update={"alternative": "two-sided"})
    return _compare(metric, two, by_arm[config.control], by_arm[c.arm], c.arm)


def compare_aggregates(
    metric: ReadoutMetric,
    ctrl: Aggregates,
    treat: Aggregates,
    *,
    level: float = defaults.LEVEL,
    alternative: Alternative = "two-sided",
    control_name: str = "control",
    arm: str = "treatment",
    relative_interval: RelativeInterval = "auto",
) -> Comparison:
    """Compare one metric between two arms given their aggregates (no backend involved).

    The metric gives each arm's estimate and variance (:meth:`ReadoutMetric.estimates`): means
    the sample variance, proportions the Wald variance ``p(1 - p) / n``, ratios the delta method,
    and a covariate turns on CUPED; the test uses Welch's degrees of freedom. The p-value is
    unadjusted. The relative lift's interval is the delta method's or Fieller's as
    ``relative_interval`` says (:mod:`mlroi.stats.lift`).
    """
    base = Comparison(
        metric=metric.name,
        kind=metric.type,
        arm=arm,
        control=control_name,
        n_control=ctrl.n,
        n_treatment=treat.n,
    )
    for name, agg in ((control_name, ctrl), (arm, treat)):
        if agg.n == 0:
            return _with(base, status="cannot estimate", reason=f"arm {name!r} has no units")
        if agg.n < 2:
            return _with(
                base,
                status="cannot estimate",
                reason=f"arm {name!r} has 1 unit: a variance needs at least 2",
            )
        reason = metric.cannot_estimate(agg, name)
        if reason is not None:
            return _with(base, status="cannot estimate", reason=reason)

    estimates = metric.estimates(ctrl, treat)
    est_c, est_t = estimates.control, estimates.treatment
    if est_c.variance < 0 or est_t.variance < 0:
        return _with(
            base,
            status="cannot estimate",
            reason="negative variance: the sums and sums of squares are inconsistent",
        )
    if not est_c.variance + est_t.variance > 0:
        return _with(
            base,
            status="cannot estimate",
            reason="zero variance: every unit has the same value in both arms",
            control_value=est_c.value,
            treatment_value=est_t.value,
        )
    lift = compare(
        est_c,
        est_t,
        level=level,
        alternative=alternative,
        relative_interval=relative_interval,
        moments=estimates.moments,
    )
    return _with(
        base,
        control_value=est_c.value,
        treatment_value=est_t.value,
        absolute=lift.absolute,
        relative=lift.relative,
        relative_note=lift.relative_note,
        relative_method=lift.relative_method,
        p_value=lift.p_value,
        df=lift.df,
        p_value_adjusted=lift.p_value,
        significant=lift.p_value < 1 - level,
        cuped_theta=estimates.theta,
        variance_reduction=estimates.variance_reduction,
    )


def _is_guardrail(c: Comparison, config: ExperimentConfig) -> bool:
    return any(g.metric == c.metric for g in config.guardrails)


def _correct(comparisons: list[Comparison], config: ExperimentConfig) -> list[Comparison]:
    family = [
        i
        for i, c in enumerate(comparisons)
        if c.p_value is not None and not _is_guardrail(c, config)
    ]
    adjusted = adjust([comparisons[i].p_value or 0.0 for i in family], config.correction)
    out = list(comparisons)
    alpha = 1 - config.level
    for i, p in zip(family, adjusted, strict=True):
        out[i] = _with(out[i], p_value_adjusted=p, significant=p < alpha)
    return out


def _with(c: Comparison, **changes: Any) -> Comparison:
    return dataclasses.replace(c, **changes)


def _guardrail(g: Guardrail, c: Comparison) -> GuardrailCheck:
    """Non-inferiority verdict on the two-sided interval of ``c`` (:func:`_two_sided`)."""

    def verdict(status: Literal["pass", "fail", "inconclusive"], reason: str) -> GuardrailCheck:
        return GuardrailCheck(
            metric=g.metric,
            arm=c.arm,
            direction=g.direction,
            margin=g.margin,
            relative=g.relative,
            status=status,
            reason=reason,
        )

    interval = c.relative if g.relative else c.absolute
    if c.status != "ok" or interval is None or c.df is None:
        return verdict("inconclusive", f"cannot estimate: {c.reason or c.relative_note}")
    unit = "relative" if g.relative else "absolute"

    def show(x: float) -> str:
        return fmt.percent(x) if g.relative else fmt.signed(x)

    span = f"[{show(interval.lower)}, {show(interval.upper)}]"
    if g.direction == "increase":
        limit = -g.margin
        if interval.lower > limit:
            return verdict("pass", f"{unit} change {span} stays above {show(limit)}")
        if interval.upper < limit:
            return verdict("fail", f"{unit} change {span} is below {show(limit)}")
    else:
        limit = g.margin
        if interval.upper < limit:
            return verdict("pass", f"{unit} change {span} stays below {show(limit)}")
        if interval.lower > limit:
            return verdict("fail", f"{unit} change {span} is above {show(limit)}")
    return verdict("inconclusive", f"{unit} change {span} straddles the limit {show(limit)}")
