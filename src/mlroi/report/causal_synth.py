"""Interrupted time series and synthetic control as a view: failed checks first, the headline
effect next to the before-after comparison, the assumptions, the fit (coefficients or donor
weights), placebos; charts of actual vs counterfactual with its band and launch marker, and of
the pointwise and cumulative effect."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.causal.series_result import ItsResult, SeriesResult, SyntheticControlResult
from mlroi.report.diagnostics import checks_table
from mlroi.report.view import (
    Axis,
    Cell,
    Chart,
    Column,
    LineChart,
    Marker,
    Section,
    Sentence,
    Series,
    Table,
    View,
    interval_tone,
)
from mlroi.stats.interval import Interval

PLACEBO_ROWS = 20
"""Most units the placebo table lists (largest post/pre RMSPE ratios; the treated unit always)."""

_NAMES = {"its": "Interrupted time series", "synthetic_control": "Synthetic control"}


def _iv(iv: Interval) -> str:
    if math.isnan(iv.lower) or math.isnan(iv.upper):
        return f"{fmt.signed(iv.estimate)} (no interval)"
    return fmt.interval(iv)


def headline(r: SeriesResult) -> Sentence | None:
    """The average effect per period with its interval, or why none is given."""
    if r.withheld:
        failed = r.failed_checks[0]
        return Sentence(
            f"No estimate: the {failed.name} check failed ({failed.detail}); the counterfactual"
            " cannot be trusted.",
            "alarm",
        )
    rel = "" if r.relative is None else f" ({fmt.interval(r.relative, relative=True)})"
    return Sentence(
        f"{_NAMES[r.design]}: {r.treated}'s {r.outcome} changed by {_iv(r.effect)}{rel} per"
        f" {r.frequency} after the launch on {r.launch} ({fmt.level(r.level)} interval;"
        f" {r.period}); cumulative {_iv(r.cumulative)}.",
        "strong" if interval_tone(r.effect) == "plain" else interval_tone(r.effect),
    )


def context(r: SeriesResult) -> tuple[Sentence, ...]:
    """Design, units, period and sources."""
    comparison = (
        f"{r.units.get('controls', 0)} control series"
        if isinstance(r, ItsResult)
        else f"{r.units.get('donors', 0)} donor units"
    )
    lines = [
        Sentence(
            f"{_NAMES[r.design]} of {r.outcome} for {r.treated} against {comparison}:"
            f" {r.pre_periods} {r.frequency}s before the launch on {r.launch}, {r.post_periods}"
            " after.",
            "muted",
        )
    ]
    if r.sources:
        lines.append(Sentence("Inputs: " + "; ".join(r.sources) + ".", "muted"))
    return tuple(lines)


def estimates_table(r: SeriesResult) -> Table:
    """The adjusted effect next to the naive before-after difference."""
    unit = f"per {r.frequency}, {fmt.level(r.level)} interval"
    rows = [
        (Cell(_NAMES[r.design]), Cell(_iv(r.effect), interval_tone(r.effect)), Cell(unit)),
        (
            Cell("cumulative over the post period"),
            Cell(_iv(r.cumulative), interval_tone(r.cumulative)),
            Cell(f"sum over {r.post_periods} {r.frequency}s"),
        ),
    ]
    if r.relative is not None:
        rows.append(
            (
                Cell("relative to the counterfactual"),
                Cell(fmt.interval(r.relative, relative=True), interval_tone(r.relative)),
                Cell(f"counterfactual mean {fmt.value(r.counterfactual_mean)} per {r.frequency}"),
            )
        )
    if r.naive is not None:
        rows.append(
            (
                Cell("naive: after minus before"),
                Cell(_iv(r.naive), "muted"),
                Cell("treated unit's means, ignores trends and other units"),
            )
        )
    return Table(
        f"Effect on {r.outcome} ({r.period})",
        (Column("estimate"), Column("value", "right"), Column("unit")),
        tuple(rows),
    )


def fit_table(r: SeriesResult) -> Table | None:
    """Regression coefficients (ITS) or donor weights (synthetic control)."""
    if isinstance(r, ItsResult):
        rows = tuple((Cell(k), Cell(fmt.signed(v))) for k, v in r.coefficients.items())
        return Table(
            f"Pre-period regression (R² {fmt.number(r.r_squared, 3)}, residual sd"
            f" {fmt.value(r.residual_sd)})",
            (Column("term"), Column("coefficient", "right")),
            rows,
        )
    if isinstance(r, SyntheticControlResult):
        rows = tuple((Cell(k), Cell(fmt.share(v))) for k, v in r.weights.items())
        return Table(
            f"Donor weights ({len(r.weights)} of {r.donors} donors; pre-period RMSPE"
            f" {fmt.value(r.pre_rmspe)}, post/pre ratio {fmt.number(r.rmspe_ratio, 3)})",
            (Column("donor"), Column("weight", "right")),
            rows,
        )
    return None


def placebo_table(r: SeriesResult) -> Table | None:
    """Placebos in space, largest post/pre RMSPE ratio first, with the treated unit ranked."""
    if not isinstance(r, SyntheticControlResult) or not r.placebos:
        return None
    entries = [(r.treated, r.pre_rmspe, r.rmspe_ratio, r.effect.estimate, True)]
    entries += [(p.unit, p.pre_rmspe, p.ratio, p.average, False) for p in r.placebos]
    entries.sort(key=lambda e: -e[2])
    ranked = list(enumerate(entries))
    if len(ranked) > PLACEBO_ROWS:
        treated_row = next(x for x in ranked if x[1][4])
        ranked = ranked[:PLACEBO_ROWS]
        if treated_row not in ranked:
            ranked.append(treated_row)
    rows = tuple(
        (
            Cell(str(i + 1)),
            Cell(u + (" (treated)" if treated else ""), "strong" if treated else "plain"),
            Cell(fmt.value(pre)),
            Cell(fmt.number(ratio, 3)),
            Cell(fmt.signed(avg)),
        )
        for i, (u, pre, ratio, avg, treated) in ranked
    )
    shown = "" if len(ranked) == len(entries) else f"; the top {PLACEBO_ROWS} of {len(entries)}"
    return Table(
        f"Placebos in space: permutation p = {fmt.p_value(r.p_value)}{shown}",
        (
            Column("rank", "right"),
            Column("unit"),
            Column("pre RMSPE", "right"),
            Column("post/pre", "right"),
            Column("mean gap", "right"),
        ),
        rows,
    )


def _x(r: SeriesResult) -> tuple[float, ...]:
    return tuple(float(i - r.pre_periods) for i in range(len(r.periods)))


def counterfactual_chart(r: SeriesResult) -> LineChart:
    """Actual vs counterfactual, the band over the post period, a marker at the launch."""
    x = _x(r)
    post_x = x[r.pre_periods :]
    effects = r.effects
    band = (
        tuple(a - e.upper for a, e in zip(r.actual[r.pre_periods :], effects, strict=True)),
        tuple(a - e.lower for a, e in zip(r.actual[r.pre_periods :], effects, strict=True)),
    )
    has_band = all(math.isfinite(v) for v in band[0] + band[1])
    series = (
        Series(f"{r.treated} (actual)", x, r.actual),
        Series("counterfactual (fit)", x[: r.pre_periods], r.counterfactual[: r.pre_periods]),
        Series(
            "counterfactual",
            post_x,
            r.counterfactual[r.pre_periods :],
            band[0] if has_band else (),
            band[1] if has_band else (),
        ),
    )
    return LineChart(
        f"{r.outcome}: actual vs counterfactual",
        series,
        Axis(f"{r.frequency}s since the launch on {r.launch}"),
        Axis(f"{r.outcome} per {r.frequency} ({fmt.level(r.level)} band)"),
        markers=(Marker("launch", 0.0, r.actual[r.pre_periods]),),
    )


def effect_chart(r: SeriesResult, cumulative: bool) -> LineChart:
    """The pointwise or cumulative effect over the post period with its band."""
    ivs = r.cumulative_effects if cumulative else r.effects
    x = _x(r)[r.pre_periods :]
    lo = tuple(e.lower for e in ivs)
    hi = tuple(e.upper for e in ivs)
    finite = all(math.isfinite(v) for v in lo + hi)
    word = "Cumulative effect" if cumulative else "Effect per period"
    return LineChart(
        f"{word} on {r.outcome}",
        (Series(word.lower(), x, tuple(e.estimate for e in ivs), *((lo, hi) if finite else ())),),
        Axis(f"{r.frequency}s since the launch on {r.launch}"),
        Axis(f"{r.outcome}{' summed' if cumulative else ''} ({fmt.level(r.level)} band)"),
    )


def view(r: SeriesResult, *, segments: bool = True) -> View:
    """The view of an ITS or synthetic control result (``segments`` is ignored)."""
    del segments
    blocks: list[Table | Sentence] = []
    if r.failed_checks:
        blocks.append(checks_table(r))
    if not r.withheld:
        blocks.append(estimates_table(r))
    fit = fit_table(r)
    if fit is not None:
        blocks.append(fit)
    placebos = placebo_table(r)
    if placebos is not None:
        blocks.append(placebos)
    if not r.failed_checks:
        blocks.append(checks_table(r))
    blocks.append(Sentence("Assumptions:", "strong"))
    blocks.extend(Sentence(f"- {a}") for a in r.assumptions)
    excluded = tuple((Cell(k), Cell(fmt.count(v), "warn")) for k, v in r.excluded.items() if v)
    if excluded:
        blocks.append(Table("Left out", (Column("reason"), Column("count", "right")), excluded))
    blocks.extend(Sentence(n, "note") for n in r.notes)
    charts: list[Chart] = [counterfactual_chart(r)]
    if not r.withheld:
        charts += [effect_chart(r, cumulative=False), effect_chart(r, cumulative=True)]
    return View(
        label=_NAMES[r.design],
        sections=(Section(tuple(blocks), title=f"{_NAMES[r.design]}: {r.outcome}"),),
        context=context(r),
        headline=headline(r),
        charts=tuple(charts),
    )


def describe(r: SeriesResult) -> str:
    """One line: the headline (or why there is none)."""
    h = headline(r)
    return h.text if h is not None else _NAMES[r.design]
