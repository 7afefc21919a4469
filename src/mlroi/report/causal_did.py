"""Difference in differences as a view: failed checks first, the effect next to the naive
comparison, the pre-trend test, the event study (table and chart), the group-time effects,
the assumptions, what was left out."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.causal.did_result import DidResult, EventPoint
from mlroi.report.view import (
    Axis,
    Cell,
    Chart,
    Column,
    ForestChart,
    ForestRow,
    LineChart,
    Section,
    Sentence,
    Series,
    Table,
    View,
    interval_tone,
)
from mlroi.stats.interval import Interval

ESTIMATOR_NAMES = {
    "twfe": "two-way fixed effects",
    "callaway_santanna": "Callaway and Sant'Anna (simple average)",
    "callaway_santanna (group average)": "Callaway and Sant'Anna (group average)",
    "synthetic_did": "synthetic difference in differences",
}


def _name(key: str) -> str:
    return ESTIMATOR_NAMES.get(key, key)


def failed_checks(r: DidResult) -> tuple[Sentence, ...]:
    """The failed diagnostics, blocking ones first, as alarms or warnings."""
    return tuple(
        Sentence(
            f"{'Failed check' if c.blocking else 'Warning'}: {c.name}: {c.detail}.",
            "alarm" if c.blocking else "warn",
        )
        for c in r.failed_checks
    )


def headline(r: DidResult) -> Sentence:
    """The effect with its interval and period, or why none is given."""
    if r.withheld:
        return Sentence(
            "No headline: the pre-trend test fails, so the outcome of treated and comparison"
            " units already diverged before adoption and the difference in differences would"
            " read that divergence as an effect.",
            "alarm",
        )
    rel = "" if r.relative is None else f" ({fmt.interval(r.relative, relative=True)})"
    return Sentence(
        f"Effect of the treatment on {r.outcome}: {fmt.interval(r.effect)}{rel}"
        f" {r.effect_unit}, {fmt.level(r.level)} interval; {_name(r.estimator)}"
        f" over {r.period}.",
        "strong" if r.effect.lower > 0 or r.effect.upper < 0 else "plain",
    )


def context(r: DidResult) -> tuple[Sentence, ...]:
    """Failed checks, then where the figures come from."""
    units = ", ".join(f"{k} {fmt.count(v)}" for k, v in r.units.items())
    lines = [
        *failed_checks(r),
        Sentence(
            f"Design: difference in differences on a panel, {r.adoption} adoption, compared"
            f" with {r.control} units; units: {units}; periods {r.period}.",
            "muted",
        ),
    ]
    if r.sources:
        lines.append(Sentence("Inputs: " + "; ".join(r.sources) + ".", "muted"))
    return tuple(lines)


def estimates_table(r: DidResult) -> Table:
    """Every estimator run, and the naive comparison, with intervals."""
    rows = [
        (
            Cell(_name(k) + (" (headline)" if k == r.estimator else "")),
            Cell(fmt.interval(iv), interval_tone(iv)),
            Cell(fmt.number(iv.std_error)),
        )
        for k, iv in r.estimates.items()
    ]
    if r.naive is not None:
        rows.append(
            (
                Cell("naive: treated vs comparison in the same period (no unit effects)"),
                Cell(fmt.interval(r.naive), "muted"),
                Cell(fmt.number(r.naive.std_error)),
            )
        )
    return Table(
        f"Effect on {r.outcome} ({r.effect_unit}; {fmt.level(r.level)} intervals)",
        (Column("estimator"), Column("effect [interval]", "right"), Column("std. error", "right")),
        tuple(rows),
    )


def two_by_two_table(r: DidResult) -> Table | None:
    """The four means of the 2x2 comparison."""
    t = r.two_by_two
    if t is None:
        return None
    rows = (
        (
            Cell("treated"),
            Cell(fmt.number(t.treated_before)),
            Cell(fmt.number(t.treated_after)),
            Cell(fmt.signed(t.treated_after - t.treated_before)),
        ),
        (
            Cell("comparison"),
            Cell(fmt.number(t.control_before)),
            Cell(fmt.number(t.control_after)),
            Cell(fmt.signed(t.control_after - t.control_before)),
        ),
        (
            Cell("difference in differences"),
            Cell(""),
            Cell(""),
            Cell(fmt.signed(t.effect), "strong"),
        ),
    )
    return Table(
        f"Mean {r.outcome} per unit and period, before and after adoption",
        (
            Column("units"),
            Column("before", "right"),
            Column("after", "right"),
            Column("change", "right"),
        ),
        rows,
    )


def pre_trend_sentence(r: DidResult) -> Sentence:
    """The pre-trend test in words."""
    p = r.pre_trend
    if not p.ran:
        return Sentence(
            f"Pre-trend test: cannot test ({p.reason}); parallel trends is assumed, not checked.",
            "warn",
        )
    df = f"{p.df}" if p.df_denominator is None else f"{p.df} and {p.df_denominator}"
    kind = (
        "Hotelling's F of the clustered Wald statistic"
        if p.test == "F"
        else ("Wald chi-square with the placebo covariance")
    )
    ok = p.p_value >= p.alpha
    return Sentence(
        f"Pre-trend test (are all effects before adoption zero? {kind}, {df} degrees of"
        f" freedom): statistic {fmt.number(p.statistic)}, {fmt.p_equals(p.p_value)};"
        + (
            f" no sign of diverging trends at {fmt.number(p.alpha)}."
            if ok
            else f" below {fmt.number(p.alpha)}: the trends diverge before adoption."
        ),
        "plain" if ok else "alarm",
    )


MAX_ROWS = 40
"""Rows of the event-study and group-time tables at most (the JSON and the chart hold all)."""


def event_table(r: DidResult) -> Table | None:
    """Effects by period relative to adoption (the :data:`MAX_ROWS` nearest adoption)."""
    if not r.event_study:
        return None
    count = "treated units" if r.estimator in ("twfe", "synthetic_did") else "groups averaged"
    near = sorted(r.event_study, key=lambda e: (abs(e.relative), e.relative))[:MAX_ROWS]
    shown = sorted(near, key=lambda e: e.relative)
    rows = tuple(
        (
            Cell(f"{e.relative:+d}" if e.relative else "0 (adoption)"),
            Cell(fmt.interval(e.effect), interval_tone(e.effect)),
            Cell(fmt.count(e.count)),
        )
        for e in shown
    )
    more = len(r.event_study) - len(shown)
    extra = (
        f"; periods {shown[0].relative:+d} to {shown[-1].relative:+d} of {len(r.event_study)},"
        " all in the chart and the JSON"
        if more
        else ""
    )
    return Table(
        f"Event study: effect on {r.outcome} by period relative to adoption{extra}",
        (Column("period", "right"), Column("effect [interval]", "right"), Column(count, "right")),
        rows,
    )


def group_time_table(r: DidResult) -> Table | None:
    """Callaway and Sant'Anna's ATT(g, t)."""
    if not r.group_time:
        return None
    cells = r.group_time
    if len(cells) > MAX_ROWS:  # the post-adoption cells nearest adoption
        post = [g for g in cells if g.post]
        cells = tuple(sorted(post, key=lambda g: r.periods.index(g.period))[:MAX_ROWS])
    rows = tuple(
        (
            Cell(g.group),
            Cell(g.period),
            Cell(g.base),
            Cell(fmt.interval(g.effect), interval_tone(g.effect) if g.post else "muted"),
            Cell(f"{fmt.count(g.treated)} / {fmt.count(g.controls)}"),
        )
        for g in cells
    )
    more = len(r.group_time) - len(cells)
    return Table(
        "Group-time effects ATT(g, t) (g: first treated period; before adoption: placebo)"
        + (
            f"; the first {len(cells)} after adoption of {len(r.group_time)}, all in the JSON"
            if more
            else ""
        ),
        (
            Column("group"),
            Column("period"),
            Column("base"),
            Column("effect [interval]", "right"),
            Column("treated / comparison", "right"),
        ),
        rows,
    )


def weights_blocks(r: DidResult) -> tuple[Table | Sentence, ...]:
    """Synthetic DiD's comparison units with their weights, and its weighted pre-periods."""
    if not r.unit_weights:
        return ()
    units = list(r.unit_weights.items())[:MAX_ROWS]
    rows = tuple((Cell(u), Cell(fmt.share(w))) for u, w in units)
    shown = f" (the {len(units)} largest shown)" if len(units) < len(r.unit_weights) else ""
    periods = ", ".join(f"{p} {fmt.share(w)}" for p, w in r.period_weights.items())
    return (
        Table("Unit weights", (Column("comparison unit"), Column("weight", "right")), rows),
        Sentence(
            f"{len(r.unit_weights)} comparison units carry weight{shown}; the periods before"
            f" adoption weighted as the baseline: {periods}.",
            "muted",
        ),
    )


def event_chart(r: DidResult) -> LineChart | None:
    """Event-study coefficients with their intervals by relative period."""
    if not r.event_study:
        return None
    points = sorted(r.event_study, key=lambda e: e.relative)
    if r.estimator == "twfe" and all(e.relative != -1 for e in points):
        reference = EventPoint(-1, Interval(0.0, 0.0, 0.0), 0)
        points = sorted([*points, reference], key=lambda e: e.relative)
    x = tuple(float(e.relative) for e in points)
    return LineChart(
        f"Event study: effect on {r.outcome} by period relative to adoption",
        (
            Series(
                "effect",
                x,
                tuple(e.effect.estimate for e in points),
                tuple(e.effect.lower for e in points),
                tuple(e.effect.upper for e in points),
            ),
            Series("no effect", x, tuple(0.0 for _ in x)),
        ),
        Axis("periods since adoption (0: adoption period; -1: reference)"),
        Axis(f"effect on {r.outcome} ({fmt.level(r.level)} band)"),
    )


def estimates_chart(r: DidResult) -> ForestChart:
    """Each estimator and the naive comparison as a forest."""
    rows = [
        ForestRow(_name(k), iv.estimate, iv.lower, iv.upper)
        for k, iv in r.estimates.items()
        if math.isfinite(iv.estimate)
    ]
    if r.naive is not None:
        rows.append(ForestRow("naive comparison", r.naive.estimate, r.naive.lower, r.naive.upper))
    return ForestChart(
        f"Effect on {r.outcome} by estimator", tuple(rows), Axis(f"effect ({r.effect_unit})")
    )


def charts(r: DidResult) -> tuple[Chart, ...]:
    """The event study, then the estimators."""
    out: list[Chart] = []
    ev = event_chart(r)
    if ev is not None:
        out.append(ev)
    out.append(estimates_chart(r))
    return tuple(out)


def sections(r: DidResult) -> tuple[Section, ...]:
    """The tables and sentences, in reading order."""
    blocks: list[Table | Sentence] = [estimates_table(r)]
    two = two_by_two_table(r)
    if two is not None:
        blocks.append(two)
    out = [Section(tuple(blocks), "Effect")]
    trend: list[Table | Sentence] = [pre_trend_sentence(r)]
    ev = event_table(r)
    if ev is not None:
        trend.append(ev)
    trend.append(Sentence(f"Event study: {r.event_study_method}.", "muted"))
    out.append(Section(tuple(trend), "Before and after adoption"))
    gt = group_time_table(r)
    if gt is not None:
        out.append(Section((gt,), "Group-time effects"))
    weights = weights_blocks(r)
    if weights:
        out.append(Section(weights, "Synthetic comparison"))
    out.append(
        Section(
            tuple(Sentence(f"Assumes {a}.") for a in r.assumptions)
            + tuple(
                Sentence(f"Check {c.name}: {c.detail}.", "good" if c.passed else "warn")
                for c in r.checks
                if c.passed
            ),
            "Assumptions and diagnostics",
        )
    )
    tail: list[Table | Sentence] = []
    left = tuple((Cell(k), Cell(fmt.count(v), "warn")) for k, v in r.excluded.items() if v)
    if left:
        tail.append(Table("Left out", (Column("reason"), Column("count", "right")), left))
    tail += [Sentence(n, "note") for n in r.notes]
    if tail:
        out.append(Section(tuple(tail), "Inputs"))
    return tuple(out)


def view(r: DidResult, *, segments: bool = True) -> View:
    """The difference-in-differences analysis as a view (``segments`` is unused here)."""
    return View(
        label="Difference in differences",
        context=context(r),
        headline=headline(r),
        sections=sections(r),
        charts=charts(r),
    )


def describe(r: DidResult) -> str:
    """The failed checks, the headline and the findings, one sentence a line."""
    v = view(r)
    return "\n".join([*(s.text for s in v.context if s.tone in ("alarm", "warn")), *v.sentences()])
