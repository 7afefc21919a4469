"""The retention analysis as a view: retention per arm at the chosen days, the log-rank test,
RMST, lift per week of exposure with its trend and decay, lifetime value, the holdout design,
what was left out; charts of the Kaplan-Meier curves with their bands and of the weekly lift."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
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
    Tone,
    View,
    interval_tone,
)
from mlroi.retention.result import RetentionResult
from mlroi.retention.survival import KaplanMeier
from mlroi.stats.interval import Interval


def _days(x: float) -> str:
    return f"day {fmt.number(x)}"


def _share_iv(iv: Interval) -> str:
    return f"{fmt.share(iv.estimate)} [{fmt.share(iv.lower)}, {fmt.share(iv.upper)}]"


def _value_iv(iv: Interval) -> str:
    return f"{fmt.value(iv.estimate)} [{fmt.value(iv.lower)}, {fmt.value(iv.upper)}]"


def headline(r: RetentionResult) -> Sentence:
    """Retention at the last configured day, each treatment against control, and the test."""
    at = r.at_days[-1]
    parts = []
    for t in r.treatments:
        d = at.differences[t]
        parts.append(
            f"{t} {fmt.share(at.arms[t].estimate)} vs {r.control}"
            f" {fmt.share(at.arms[r.control].estimate)} ({fmt.points_interval(d)})"
        )
    tone: Tone = "good" if all(at.differences[t].lower > 0 for t in r.treatments) else "plain"
    if any(at.differences[t].upper < 0 for t in r.treatments):
        tone = "bad"
    return Sentence(
        f"Retention at {_days(at.day)}: {'; '.join(parts)}; log-rank"
        f" {fmt.p_equals(r.log_rank.p_value)}",
        tone,
    )


def context(r: RetentionResult) -> tuple[Sentence, ...]:
    """Where the figures come from: churn definition, window, observation end, users, sources."""
    users = ", ".join(f"{a} {fmt.count(n)}" for a, n in r.users.items())
    end = "" if r.observation_end is None else f" observed to {r.observation_end:%Y-%m-%d} UTC;"
    lines = [
        Sentence(f"Churn: {r.definition}.", "muted"),
        Sentence(
            f"Days since each user's first exposure, followed up to {r.window_days} days;{end}"
            f" users followed: {users}.",
            "muted",
        ),
    ]
    if r.sources:
        lines.append(Sentence("Inputs: " + "; ".join(r.sources) + ".", "muted"))
    return tuple(lines)


def at_days_table(r: RetentionResult) -> Table:
    """Retention per arm at each configured day, and each treatment minus control."""
    arms = (r.control, *r.treatments)
    cols = [Column("day", "right"), *(Column(a, "right") for a in arms)]
    cols += [Column(f"{t} − {r.control}", "right") for t in r.treatments]
    rows = []
    for at in r.at_days:
        cells = [Cell(fmt.number(at.day))]
        cells += [Cell(_share_iv(at.arms[a])) for a in arms]
        cells += [
            Cell(fmt.points_interval(at.differences[t]), interval_tone(at.differences[t]))
            for t in r.treatments
        ]
        rows.append(tuple(cells))
    return Table(
        f"Retention (Kaplan-Meier, {fmt.level(r.level)} log-log intervals)",
        tuple(cols),
        tuple(rows),
    )


def rmst_table(r: RetentionResult) -> Table:
    """Restricted mean days retained per arm and the differences."""
    m = r.rmst
    rows = [(Cell(a), Cell(_value_iv(m.arms[a])), Cell("")) for a in (r.control, *r.treatments)]
    rows += [
        (Cell(f"{t} − {r.control}"), Cell(""), Cell(fmt.interval(d), interval_tone(d)))
        for t, d in m.differences.items()
    ]
    return Table(
        f"Mean days retained out of the first {fmt.number(m.horizon)} (RMST)",
        (Column("arm"), Column("days", "right"), Column("difference", "right")),
        tuple(rows),
    )


def weekly_table(r: RetentionResult, t: str) -> Table | None:
    """Weekly retention per arm and the lift, per week of exposure."""
    if r.over_time is None or not r.over_time[t].weeks:
        return None
    rows = tuple(
        (
            Cell(str(w.week)),
            Cell(fmt.share(w.control.estimate)),
            Cell(fmt.share(w.treatment.estimate)),
            Cell(fmt.points_interval(w.lift), interval_tone(w.lift)),
            Cell(f"{fmt.count(w.at_risk_control)} / {fmt.count(w.at_risk_treatment)}"),
        )
        for w in r.over_time[t].weeks
    )
    return Table(
        f"Weekly retention by week of exposure: {t} vs {r.control}",
        (
            Column("week", "right"),
            Column(r.control, "right"),
            Column(t, "right"),
            Column("lift", "right"),
            Column("users at risk", "right"),
        ),
        rows,
    )


def cohort_table(r: RetentionResult, t: str) -> Table | None:
    """Retention at the cohort day per arm and the lift, per week of first exposure."""
    rows = tuple(
        (
            Cell(f"{c.cohort:%Y-%m-%d}"),
            Cell(fmt.share(c.control.estimate)),
            Cell(fmt.share(c.treatment.estimate)),
            Cell(fmt.points_interval(c.lift), interval_tone(c.lift)),
            Cell(f"{fmt.count(c.followed_control)} / {fmt.count(c.followed_treatment)}"),
        )
        for c in r.cohorts or ()
        if c.arm == t
    )
    if not rows:
        return None
    day = _days((r.cohorts or ())[0].day)
    return Table(
        f"Retention at {day} by week of first exposure (Monday, UTC): {t} vs {r.control}",
        (
            Column("cohort", "right"),
            Column(r.control, "right"),
            Column(t, "right"),
            Column("lift", "right"),
            Column(f"users followed to {day}", "right"),
        ),
        rows,
    )


def over_time_sentences(r: RetentionResult, t: str) -> list[Sentence]:
    """The trend of the weekly lift and its fitted decay, in words."""
    if r.over_time is None:
        return []
    o = r.over_time[t]
    out = []
    tr = o.trend
    if tr.slope is None:
        out.append(Sentence(f"{t}: no trend of the weekly lift: {tr.reason}.", "warn"))
    else:
        out.append(
            Sentence(
                f"{t}: the lift in weekly retention changes by {fmt.points_interval(tr.slope, 2)}"
                f" per week of exposure over {tr.weeks} weeks ({fmt.p_equals(tr.p_value)})"
                + (
                    "; it fades: a novelty effect."
                    if tr.slope.upper < 0 and o.weeks and o.weeks[0].lift.estimate > 0
                    else "."
                )
            )
        )
    d = o.decay
    if d.plateau is None or d.initial is None or d.half_life is None:
        out.append(Sentence(f"{t}: no decay fitted: {d.reason}.", "muted"))
    else:
        out.append(
            Sentence(
                f"{t}: fitted decay from {fmt.points(d.initial.estimate)} in week 1 to a"
                f" plateau of {fmt.points_interval(d.plateau)} per week, half-life"
                f" {fmt.number(d.half_life, 3)} weeks (the long-run lift the ROI can use)."
            )
        )
    return out


def lifetime_table(r: RetentionResult) -> Table | None:
    """Discounted value per exposed user per arm and the lift."""
    if not r.lifetime:
        return None
    cur = r.currency
    rows = []
    first = next(iter(r.lifetime.values()))
    c = first.control.value
    rows.append(
        (
            Cell(r.control),
            Cell(fmt.money(c.estimate, cur)),
            Cell(fmt.money_range(c.lower, c.upper, cur)),
        )
    )
    for t, v in r.lifetime.items():
        rows.append(
            (
                Cell(t),
                Cell(fmt.money(v.treatment.value.estimate, cur)),
                Cell(fmt.money_range(v.treatment.value.lower, v.treatment.value.upper, cur)),
            )
        )
        rows.append(
            (
                Cell(f"{t} − {r.control}"),
                Cell(fmt.money(v.lift.estimate, cur), interval_tone(v.lift)),
                Cell(fmt.money_range(v.lift.lower, v.lift.upper, cur)),
            )
        )
    rate = fmt.level(first.discount_rate)
    return Table(
        f"Value per exposed user over {first.periods} periods of {fmt.number(first.period_days)}"
        f" days ({fmt.money(first.revenue_per_period, cur)} per retained user per period,"
        f" discounted {rate} per period)",
        (Column("arm"), Column("value", "right"), Column(f"{fmt.level(r.level)} interval")),
        tuple(rows),
    )


def holdout_table(r: RetentionResult) -> Table | None:
    """Users a holdout needs per duration, by the two tests."""
    h = r.holdout
    if h is None:
        return None

    def users(n: int | None) -> str:
        return "—" if n is None else fmt.count(n)

    rows = tuple(
        (
            Cell(fmt.number(row.days)),
            Cell("—" if math.isnan(row.control_retention) else fmt.share(row.control_retention)),
            Cell(fmt.points(row.difference)),
            Cell(users(row.users_retention_test)),
            Cell(users(row.users_log_rank)),
        )
        for row in h.rows
    )
    return Table(
        f"Holdout size for a hazard ratio of {fmt.number(h.hazard_ratio)} with"
        f" {fmt.share(h.holdout_share, 0)} held out (alpha {fmt.number(h.alpha)}, power"
        f" {fmt.share(h.power, 0)}; log-rank needs {fmt.count(h.rows[0].events_log_rank)}"
        " churns)",
        (
            Column("days", "right"),
            Column("holdout retention", "right"),
            Column("difference", "right"),
            Column("users: retention test", "right"),
            Column("users: log-rank", "right"),
        ),
        rows,
    )


def excluded_table(r: RetentionResult) -> Table | None:
    """Rows and users left out, by reason (only reasons with any)."""
    rows = tuple((Cell(k), Cell(fmt.count(v), "warn")) for k, v in r.excluded.items() if v)
    if not rows:
        return None
    return Table("Left out", (Column("reason"), Column("count", "right")), rows)


def _steps(km: KaplanMeier) -> tuple[list[float], list[float], list[float], list[float]]:
    """The curve as a step line from day 0 (each step drawn at its day), with its band."""
    xs, ys, lo, hi = [0.0], [1.0], [1.0], [1.0]
    for day, s, a, b in zip(km.day, km.survival, km.lower, km.upper, strict=True):
        if day <= 0:
            ys[-1], lo[-1], hi[-1] = float(s), float(a), float(b)
            continue
        xs += [float(day), float(day)]
        ys += [ys[-1], float(s)]
        lo += [lo[-1], float(a)]
        hi += [hi[-1], float(b)]
    return xs, ys, lo, hi


def curves_chart(r: RetentionResult) -> LineChart:
    """The Kaplan-Meier curve of each arm with its pointwise band."""
    series = []
    for a, km in r.curves.items():
        xs, ys, lo, hi = _steps(km)
        series.append(Series(a, tuple(xs), tuple(ys), tuple(lo), tuple(hi)))
    return LineChart(
        "Retention by arm (Kaplan-Meier)",
        tuple(series),
        Axis("days since first exposure"),
        Axis(f"share of users retained ({fmt.level(r.level)} band)", "share"),
    )


def weekly_chart(r: RetentionResult, t: str) -> LineChart | None:
    """The lift in weekly retention per week with its interval, and the fitted decay."""
    if r.over_time is None or not r.over_time[t].weeks:
        return None
    o = r.over_time[t]
    x = tuple(float(w.week) for w in o.weeks)
    series = [
        Series(
            "lift",
            x,
            tuple(w.lift.estimate for w in o.weeks),
            tuple(w.lift.lower for w in o.weeks),
            tuple(w.lift.upper for w in o.weeks),
        )
    ]
    if o.decay.status == "ok":
        series.append(Series("fitted decay", x, tuple(o.decay.lift_at(w) for w in x)))
    return LineChart(
        f"Lift in weekly retention by week of exposure: {t}",
        tuple(series),
        Axis("week of exposure"),
        Axis(f"{t} − {r.control}, weekly retention (points)", "percent"),
    )


def cohort_chart(r: RetentionResult, t: str) -> ForestChart | None:
    """The lift in retention at the cohort day per week of first exposure, with intervals."""
    rows = tuple(
        ForestRow(f"{c.cohort:%Y-%m-%d}", c.lift.estimate, c.lift.lower, c.lift.upper)
        for c in r.cohorts or ()
        if c.arm == t
    )
    if not rows:
        return None
    day = _days((r.cohorts or ())[0].day)
    return ForestChart(
        f"Lift in retention at {day} by week of first exposure: {t}",
        rows,
        Axis(f"{t} − {r.control}, retention at {day} (points)", "percent"),
    )


def charts(r: RetentionResult) -> tuple[Chart, ...]:
    """The curves, then each treatment's weekly lift and its lift per cohort."""
    out: list[Chart] = [curves_chart(r)]
    for t in r.treatments:
        for c in (weekly_chart(r, t), cohort_chart(r, t)):
            if c is not None:
                out.append(c)
    return tuple(out)


def sections(r: RetentionResult) -> tuple[Section, ...]:
    """The result's tables and sentences, in reading order."""
    lr = r.log_rank
    observed = ", ".join(
        f"{a} {fmt.count(lr.observed[a])} vs {fmt.number(lr.expected[a], 4)}" for a in lr.observed
    )
    out = [
        Section((at_days_table(r),), "Retention by arm"),
        Section(
            (
                Sentence(
                    f"Log-rank test of equal curves: chi-square {fmt.number(lr.statistic, 4)} on"
                    f" {lr.df} df, {fmt.p_equals(lr.p_value)} (churns observed vs expected:"
                    f" {observed})."
                ),
                rmst_table(r),
            ),
            "Whole curves",
        ),
    ]
    for t in r.treatments:
        table = weekly_table(r, t)
        blocks: list[Table | Sentence] = [] if table is None else [table]
        blocks += over_time_sentences(r, t)
        cohorts = cohort_table(r, t)
        if cohorts is not None:
            blocks.append(cohorts)
        if blocks:
            out.append(Section(tuple(blocks), f"Effect over time: {t}"))
    lt = lifetime_table(r)
    if lt is not None:
        notes = [n for v in (r.lifetime or {}).values() for n in v.notes]
        out.append(
            Section(
                (lt, *(Sentence(n, "note") for n in dict.fromkeys(notes))),
                "Lifetime value through retention",
            )
        )
    ht = holdout_table(r)
    if ht is not None:
        out.append(Section((ht,), "Holdout design"))
    ex = excluded_table(r)
    tail: list[Table | Sentence] = [] if ex is None else [ex]
    tail += [Sentence(n, "note") for n in r.notes]
    if tail:
        out.append(Section(tuple(tail), "Inputs"))
    return tuple(out)


def methods(r: RetentionResult) -> list[str]:
    """How the retention figures were computed (the report's "Assumptions and methods")."""
    out = [
        f"Retention: Kaplan-Meier curves per arm from per-day churn and censoring counts computed"
        f" in the backend (churn: {r.definition}); pointwise {fmt.level(r.level)} intervals by"
        " Greenwood's variance on the log-log scale; differences between arms with Wald"
        " intervals (arms independent); the log-rank test across arms.",
        f"Restricted mean survival time to day {fmt.number(r.rmst.horizon)} with its sampling"
        " variance (Klein and Moeschberger 2003, eq. 4.5.2).",
    ]
    if r.over_time is not None:
        out.append(
            "Lift per week of exposure: the Kaplan-Meier retention within each week (week 1 holds"
            " the exposure day), treatment minus control; trend by weighted least squares with"
            " known variances; decay fitted by weighted nonlinear least squares to a plateau."
        )
    if r.lifetime:
        out.append(
            "Lifetime value: retention x revenue per retained user per period, discounted, per"
            " exposed user, with the Kaplan-Meier curve's exact variance; beyond the observed"
            " window a shifted-beta-geometric projection (Fader and Hardie 2007)."
        )
    return out


def view(r: RetentionResult, *, segments: bool = True) -> View:
    """The whole retention analysis as a view (``segments`` is for readouts; unused here)."""
    return View(
        label="Retention by arm",
        context=context(r),
        headline=headline(r),
        sections=sections(r),
        charts=charts(r),
    )


def describe(r: RetentionResult) -> str:
    """The headline and the findings, one sentence a line."""
    return "\n".join(view(r).sentences())
