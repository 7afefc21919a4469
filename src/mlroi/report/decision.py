"""The decision analysis as a view: the chosen thresholds as a table, then the findings in words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlroi import formatting as fmt
from mlroi.decision.result import DecisionResult, ModelResult
from mlroi.decision.score_groups import CURVE_COLUMNS
from mlroi.decision.stated import StatedPoint
from mlroi.decision.targeting import TargetingComparison
from mlroi.expr import ExprError, evaluate, parse
from mlroi.report.assumptions import table as assumption_table
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
    Span,
    Table,
    View,
)
from mlroi.stats.interval import Interval

_CHECKED_METRICS = ("precision", "recall", "fpr", "f1")
BUDGETS = (0.05, 0.1, 0.2, 0.3)
"""Shares of the rows at which the curve is summarised."""
CHART_POINTS = 400
"""Most points of a value curve drawn in a chart (the chosen point always among them)."""


def _yearly(r: DecisionResult, total: float) -> str:
    year = r.per_year(total)
    return "" if year is None else f" ({fmt.money(year, r.currency)} a year)"


def best_within(m: ModelResult, share: float) -> float:
    """The highest incremental value of a threshold that acts on at most ``share`` of the rows."""
    c = m.curve
    last = int(np.searchsorted(c.share_targeted, share, side="right"))
    return float(np.max(c.incremental_value[:last]))


def _budget_runs(values: list[tuple[float, str]]) -> list[str]:
    """``top 5% $124K``, with budgets of equal value written once: ``top 5% to 30% $367K each``
    (the best threshold acts on fewer rows than the smallest of them)."""
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1][1] == values[i][1]:
            j += 1
        first, money = values[i]
        if j == i:
            out.append(f"top {fmt.budget(first)} {money}")
        else:
            out.append(f"top {fmt.budget(first)} to {fmt.budget(values[j][0])} {money} each")
        i = j + 1
    return out


def model_sentences(r: DecisionResult, m: ModelResult) -> list[str]:
    """The chosen threshold of one model, its value and what limits it."""
    d = m.decision
    cur = r.currency
    level = fmt.level(r.level)
    if d.point is None:
        return [f"{m.column}: no threshold is feasible: {d.reason}."]
    p = d.point
    act = (
        "act on nobody (no threshold is worth more)"
        if math.isinf(p["threshold"])
        else f"act on scores >= {fmt.threshold(p['threshold'])}"
    )
    lines = [
        f"{m.column}: {act}: "
        f"{fmt.count(p['targeted'])} of {fmt.count(r.rows)} eligible rows "
        f"({fmt.share(p['share_targeted'])}), worth {fmt.money(p['incremental_value'], cur)} "
        f"on these rows over acting on nobody{_yearly(r, p['incremental_value'])}."
    ]
    metrics = ", ".join(f"{k} {fmt.score(p[k])}" for k in _CHECKED_METRICS if not math.isnan(p[k]))
    auc = "" if m.curve.auc is None else f"; AUC {fmt.score(m.curve.auc)}"
    lines.append(f"  At this threshold: {metrics}{auc}.")
    lines.append(
        "  Best within a budget: "
        + ", ".join(_budget_runs([(s, fmt.money(best_within(m, s), cur)) for s in BUDGETS]))
        + " (the best threshold acting on at most that share of the rows)."
    )
    calibrated = calibration_sentence(r, m)
    if calibrated is not None:
        lines.append(f"  {calibrated}")
    extra = [k for k in m.curve.sums if k in p]
    if extra:
        lines.append(
            "  "
            + ", ".join(
                f"{k.replace('_', ' ')} "
                + (fmt.count(p[k]) if k in r.counts else fmt.money(p[k], cur))
                for k in extra
            )
            + "."
        )
    boot = m.bootstrap
    if boot is not None:
        data = boot.incremental_value_at_chosen
        best = boot.optimal_threshold
        lines.append(
            f"  From the data ({r.resamples} bootstrap resamples): value at this threshold "
            f"{fmt.money_range(data.interval.lower, data.interval.upper, cur)} ({level} "
            f"interval); the best threshold of a resample ranges {fmt.threshold(best.lower)} to "
            f"{fmt.threshold(best.upper)} ({level} interval)"
            + (
                f"; no threshold is feasible in {fmt.share(boot.infeasible_share)} of them"
                if boot.infeasible_share > 0
                else ""
            )
            + "."
        )
    if m.parameters is not None:
        s = m.parameters
        iv = s.incremental_value
        lines.append(
            f"  Over the uncertain parameters ({fmt.count(s.draws)} draws): value "
            f"{fmt.money_range(iv.lower, iv.upper, cur)} ({level} interval), "
            f"{fmt.chance('P(value > 0)', s.probability_positive)}; the best threshold ranges "
            f"{fmt.threshold(s.threshold.lower)} to {fmt.threshold(s.threshold.upper)}."
        )
    if d.given_up:
        lines.append(
            f"  The constraints cost {fmt.money(d.given_up, cur)} against the unconstrained"
            " optimum."
        )
    lines.extend(f"  Binding: {b}." for b in d.binding)
    return lines


def _amount(r: DecisionResult, total: float) -> str:
    """A total over the table's rows, a year when the case gives ``rows_per_year``."""
    year = r.per_year(total)
    if year is None:
        return f"{fmt.money(total, r.currency)} on this table"
    return f"{fmt.money(year, r.currency)} a year"


def _range(r: DecisionResult, iv: Interval, *, unit: bool = False) -> str:
    """An interval's ends as :func:`_amount` states them (``unit`` adds "a year" or "on this
    table")."""
    f = r.year_factor or 1.0
    text = fmt.money_range(iv.lower * f, iv.upper * f, r.currency)
    if not unit:
        return text
    return text + (" on this table" if r.year_factor is None else " a year")


def _of_resamples(p: float, resamples: int) -> str:
    text = fmt.resampled_share(p, resamples)
    return text if text.endswith("resamples") else f"{text} of the resamples"


def stated_sentences(r: DecisionResult, s: StatedPoint | None = None) -> list[str]:
    """Is the threshold in use any good: its value, the best threshold's, and the difference."""
    s = s or r.stated
    if s is None:
        return []
    p = s.point
    level = fmt.level(r.level)
    if s.index == 0:
        curve = r.models[s.model].curve
        if s.ask.kind == "threshold" and len(curve.threshold) > 1:
            top = fmt.threshold(float(curve.threshold[1]))
            why = f"no score is >= {fmt.threshold(s.threshold)}; the highest is {top}"
        else:
            why = f"the {s.ask.words(r.rows)} is fewer rows than the highest group of tied scores"
        where = f"acting on nobody ({why})"
    else:
        where = (
            f"acting on {s.column} >= {fmt.threshold(s.threshold)}: "
            f"{fmt.count(p['targeted'])} of {fmt.count(r.rows)} eligible rows "
            f"({fmt.share(p['share_targeted'])})"
        )
    head = f"Your {s.ask.words(r.rows)}: {where}, worth {_amount(r, s.value.estimate)}"
    if s.has_interval:
        head += f" ({level} bootstrap interval {_range(r, s.value)})"
    lines = [head + "."]
    if s.best is None or s.difference is None:
        lines.append(
            "  No threshold meets the constraints, so there is no best one to compare with."
        )
    elif s.index == r.models[s.model].decision.index:
        lines.append("  This is the best threshold the analysis found.")
    else:
        d = s.difference
        gap = abs(d.estimate)
        verb = "gives up" if d.estimate < 0 else "adds"
        best = (
            "The best is to act on nobody, worth"
            if s.best["targeted"] == 0
            else f"The best threshold, {fmt.threshold(s.best['threshold'])} "
            f"({fmt.count(s.best['targeted'])} rows), is worth"
        )
        text = f"  {best} {_amount(r, s.best['incremental_value'])}; yours {verb} {_amount(r, gap)}"
        if s.has_interval and s.share_worse is not None:
            text += (
                f" (difference {level} paired-bootstrap interval {_range(r, d)}; yours is worth "
                f"less in {_of_resamples(s.share_worse, r.resamples)}; "
                "the best was picked on these rows, so its lead is if anything optimistic)"
            )
        lines.append(text + ".")
    if s.parameters is not None:
        sp = s.parameters
        text = (
            f"  Over the uncertain parameters ({fmt.count(sp.draws)} draws): yours is worth "
            f"{_range(r, sp.value, unit=True)}"
        )
        if sp.difference is not None and s.index != r.models[s.model].decision.index:
            text += f", its difference from the best threshold {_range(r, sp.difference)}"
        lines.append(f"{text} ({level} intervals).")
    if s.breaks:
        lines.append(f"  It breaks the constraint(s): {'; '.join(s.breaks)}.")
    if not s.has_interval:
        lines.append(f"  No interval: {s.interval_reason}.")
    return lines


CALIBRATION_P = 0.05
"""Hosmer-Lemeshow p-value below which the scores are said not to be calibrated."""
SMALL_GAP = 0.02
"""Largest gap between a bin's positive rate and its mean score that reads as "close"."""

_POSITIVES = {"churner": "churners", "fraud": "fraud", "responder": "responders"}


def calibration_sentence(r: DecisionResult, m: ModelResult) -> str | None:
    """Whether the scores can be read as probabilities, in words, with the score bin that is
    furthest off: "the scores are not calibrated probabilities: among customers scored 0.71 to
    0.95 (mean 0.80), 31.0% were churners". ``None`` for scores that are not probabilities.

    The verdict: Hosmer-Lemeshow p below :data:`CALIBRATION_P` says "not calibrated", unless
    every bin is within :data:`SMALL_GAP` of its mean score (then "close": with many rows a
    small gap is detectable); otherwise the scores read as probabilities.
    """
    cal = m.calibration
    if cal is None or cal.count.size == 0:
        return None
    from mlroi.decision.templates import TEMPLATES

    who = TEMPLATES[r.template].words[0] if r.template else "rows"
    noun = _POSITIVES.get(r.positive, f"positive ({r.label} = 1)")
    gaps = np.abs(cal.observed - cal.predicted)
    b = int(np.argmax(gaps))
    scored = (
        f"{fmt.score(cal.lower[b])}"
        if cal.lower[b] == cal.upper[b]
        else f"{fmt.score(cal.lower[b])} to {fmt.score(cal.upper[b])} (mean "
        f"{fmt.score(cal.predicted[b])})"
    )
    among = (
        f"among the {fmt.count(cal.count[b])} {who} scored {scored}, "
        f"{fmt.share(cal.observed[b])} were {noun}"
    )
    p = cal.hl_p_value
    test = "" if p is None else f"; {fmt.p_equals(p, 'Hosmer-Lemeshow p')}"
    summary = f"expected calibration error {fmt.value(cal.ece)}{test}"
    largest = float(gaps[b])
    if p is not None and p < CALIBRATION_P and largest >= SMALL_GAP:
        return (
            f"The scores are not calibrated probabilities: {among} ({summary}). Rank by them, "
            "but recalibrate them (e.g. Platt or isotonic) before reading a score as a chance."
        )
    if p is not None and p < CALIBRATION_P:
        return (
            f"The scores are close to calibrated probabilities: every score bin's rate is within "
            f"{fmt.share(SMALL_GAP, 0)} of its mean score, though with this many rows the gaps "
            f"are detectable; the largest: {among} ({summary})."
        )
    return (
        f"The scores read as probabilities: in each score bin the rate is close to the mean "
        f"score; the largest gap: {among} ({summary})."
    )


def comparison_sentence(r: DecisionResult) -> str | None:
    """ "The challenger's +0.021 AUC is worth $X a year (interval ...)"."""
    c = r.comparison
    ch = r.challenger
    if c is None or ch is None:
        return None
    cur = r.currency
    auc = "" if c.auc is None else f"{fmt.delta(c.auc)} AUC"
    what = f"The challenger's {auc} is worth" if auc else "The challenger is worth"
    total = c.value
    year = r.per_year(total)
    amount = fmt.money(total, cur) + (" on this table" if year is None else "")
    if year is not None:
        amount = f"{fmt.money(year, cur)} a year"
    text = f"{what} {amount} at each model's best threshold"
    if c.interval is not None:
        f = r.year_factor or 1.0
        text += (
            f" ({fmt.level(r.level)} paired-bootstrap interval "
            f"{fmt.money_range(c.interval.lower * f, c.interval.upper * f, cur)}; "
            "challenger better in "
            f"{fmt.resampled_share(c.probability_better or 0.0, r.resamples)})"
        )
    if c.recall is not None:
        text += f"; recall {fmt.delta(c.recall)}"
    return text + "."


def _listed(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def targeting_sentences(
    comparison: TargetingComparison,
    share: float | None = None,
    *,
    who: str = "rows",
    outcome: str = "favourable outcomes",
    anyway: str = "would have had the favourable outcome anyway",
    currency: str = "USD",
) -> list[str]:
    """A past campaign's rankings in plain English: one sentence per ranking at one budget,
    with two rankings one on their difference, and one on the best budgets (each the highest
    of many noisy estimates, so optimistic: read its interval).

    Args:
        comparison: the rankings compared at matched budgets.
        share: the budget to describe, one of ``comparison.shares``; the middle one by default.
        who: what a row is, e.g. ``"customers"``.
        outcome: what is gained, e.g. ``"customers retained"``.
        anyway: what the favourable-anyway rows did, e.g. ``"would have stayed anyway"``.
        currency: currency code of the money amounts.

    Returns:
        The sentences, in reading order.

    Raises:
        ValueError: ``share`` is not one of the compared budgets.
    """
    c = comparison
    if share is None:
        share = c.shares[len(c.shares) // 2]
    if share not in c.shares:
        raise ValueError(f"share {share} is not one of the compared budgets {c.shares}")
    at = c.shares.index(share)
    pct = fmt.level(c.level)
    out: list[str] = []
    for name, points in c.budgets.items():
        p = points[at]
        inc, net = p.incremental, p.net_value
        out.append(
            f"Treating the top {fmt.budget(p.share)} by {name} ({fmt.count(p.targeted)} {who})"
            f" gives an estimated {fmt.count(inc.estimate)} more {outcome} than treating nobody"
            f" ({pct} CI {fmt.count(inc.lower)} to {fmt.count(inc.upper)}), a net value of"
            f" {fmt.money(net.estimate, currency)} ({pct} CI"
            f" {fmt.money_range(net.lower, net.upper, currency)});"
            f" {fmt.count(p.favourable_anyway)} of the {fmt.count(p.targeted)} treated {anyway}"
            + (
                f", and treating them cost {fmt.money(p.anyway_cost, currency)}."
                if p.anyway_cost
                else "."
            )
        )
    names = list(c.budgets)
    if len(names) == 2:
        a, b = (c.budgets[x][at].net_value.estimate for x in names)
        better, worse = (names[1], names[0]) if b >= a else (names[0], names[1])
        out.append(
            f"At that budget, ranking by {better} instead of {worse} adds an estimated"
            f" {fmt.money(abs(b - a), currency)} of net value (both estimated on the same"
            " randomized rows, so their intervals are not independent)."
        )
    bests = [
        f"treating nobody by {name} (no budget adds net value)"
        if p.targeted == 0
        else f"the top {fmt.budget(p.share)} by {name} (net"
        f" {fmt.money(p.net_value.estimate, currency)}, {pct} CI"
        f" {fmt.money_range(p.net_value.lower, p.net_value.upper, currency)})"
        for name, p in c.best.items()
    ]
    out.append("The most valuable budget is " + _listed(bests) + ".")
    return out


def reconciliation(r: DecisionResult) -> list[str]:
    """The value model's figure for a budget beside the past campaign's measured one."""
    u = r.uplift
    if u is None:
        return []
    shares = u.comparison.shares
    share = shares[len(shares) // 2]
    measured = u.comparison.budgets[r.score][shares.index(share)].net_value
    n = u.comparison.n  # every eligible row, treated or not
    assumed = best_within(r.champion, share) / r.rows
    cur = r.currency
    return [
        f"Model vs campaign, per eligible row: the value model says acting on the top "
        f"{fmt.budget(share)} by {r.score} is worth up to {fmt.money(assumed, cur)}; the "
        f"randomized campaign measured {fmt.money(measured.estimate / n, cur)} "
        f"({fmt.level(u.comparison.level)} CI "
        f"{fmt.money_range(measured.lower / n, measured.upper / n, cur)}), valuing an outcome "
        f"at {u.value} and a treated row at {u.cost}. Where they disagree, the campaign is the "
        "evidence: check the value model's assumptions (e.g. who accepts the offer) against it."
    ]


def sentences(r: DecisionResult) -> list[str]:
    """The findings in plain sentences, champion first."""
    lines: list[str] = stated_sentences(r)
    for m in r.models.values():
        lines.extend(model_sentences(r, m))
    compared = comparison_sentence(r)
    if compared:
        lines.append(compared)
    if r.uplift is not None:
        who, outcome, anyway = r.uplift.words
        lines.extend(
            targeting_sentences(
                r.uplift.comparison, who=who, outcome=outcome, anyway=anyway, currency=r.currency
            )
        )
        lines.extend(reconciliation(r))
    lines.extend(r.notes)
    return lines


def threshold_table(r: DecisionResult) -> Table:
    """Each model's chosen threshold with its metrics and value, and the threshold in use."""
    yearly = r.rows_per_year is not None
    right = (
        "threshold",
        "targeted",
        "precision",
        "recall",
        "fpr",
        "value, these rows",
        *(("value a year",) if yearly else ()),
        "AUC",
    )
    columns = (Column("model"), *(Column(col, "right") for col in right))
    rows = []
    points: list[tuple[str, dict[str, Any], float | None]] = [
        (m.column, m.point or {}, m.curve.auc) for m in r.models.values()
    ]
    if r.stated is not None:  # the threshold in use, below the best
        s = r.stated
        shown = {**s.point, "threshold": s.threshold}
        points.append((f"{s.column} (yours)", shown, r.models[s.model].curve.auc))
    for name, p, auc in points:
        rows.append(
            (
                Cell(name),
                Cell(fmt.threshold(p["threshold"]) if p else "infeasible"),
                Cell(fmt.count(p["targeted"]) if p else "—"),
                *(
                    Cell(fmt.score(p[k]) if p and not math.isnan(p[k]) else "—")
                    for k in ("precision", "recall", "fpr")
                ),
                Cell(fmt.money(p.get("incremental_value"), r.currency) if p else "—"),
                *(
                    (Cell(fmt.money(r.per_year(p["incremental_value"]), r.currency)),)
                    if yearly and p
                    else (Cell("—"),)
                    if yearly
                    else ()
                ),
                Cell("—" if auc is None else fmt.score(auc)),
            )
        )
    return Table(
        f"Decision: act on {r.score} (label {r.label}, {fmt.count(r.rows)} rows"
        + (f"; {fmt.count(r.rows_per_year)} a year)" if r.rows_per_year is not None else ")"),
        columns,
        tuple(rows),
        centered_title=True,
    )


def thinned(size: int, most: int, chosen: int | None) -> list[int]:
    """At most about ``most`` evenly spaced indices of ``range(size)``, the ends and ``chosen``
    among them (a page draws a curve of millions of points from a few hundred)."""
    if size <= most:
        return list(range(size))
    picks = {int(i) for i in np.linspace(0, size - 1, most).round()}
    if chosen is not None:
        picks.add(chosen)
    return sorted(picks)


def _feasible(m: ModelResult, keep: list[int]) -> list[bool] | None:
    """Whether each kept point meets every constraint; ``None`` without constraints or when one
    cannot be evaluated here."""
    curve = m.curve
    constraints = m.decision.constraints
    if not constraints:
        return None
    ok = np.ones(len(keep), dtype=bool)
    try:
        for text in constraints:
            expr = parse(text, kind="condition")
            data = {
                name: np.asarray(
                    getattr(curve, name) if name in CURVE_COLUMNS else curve.sums[name]
                )[keep]
                for name in expr.names()
            }
            ok &= np.broadcast_to(np.asarray(evaluate(expr, data), dtype=bool), ok.shape)
    except (ExprError, KeyError):
        return None
    return [bool(x) for x in ok]


def _runs(xs: list[float], inside: list[bool]) -> list[tuple[float, float]]:
    """The x ranges (low, high) of consecutive points that are inside."""
    out: list[tuple[float, float]] = []
    start: float | None = None
    last = 0.0
    for x, flag in zip(xs, inside, strict=True):
        if flag and start is None:
            start = x
        if flag:
            last = x
        elif start is not None:
            out.append((min(start, last), max(start, last)))
            start = None
    if start is not None:
        out.append((min(start, last), max(start, last)))
    return out


def value_chart(r: DecisionResult, m: ModelResult) -> LineChart:
    """Incremental value against the score threshold, the feasible thresholds shaded and the
    chosen one marked (the act-on-nobody point, threshold +inf, is left out)."""
    curve = m.curve
    chosen = m.decision.index
    keep = [i for i in thinned(len(curve), CHART_POINTS, chosen) if i > 0]
    xs = [float(x) for x in np.asarray(curve.threshold)[keep]]
    ys = [float(y) for y in np.asarray(curve.incremental_value)[keep]]
    feasible = _feasible(m, keep)
    spans = (
        ()
        if feasible is None
        else tuple(Span("meets every constraint", a, b) for a, b in _runs(xs, feasible))
    )
    p = m.point
    markers: tuple[Marker, ...] = (
        (
            Marker(
                f"chosen {fmt.threshold(p['threshold'])}",
                p["threshold"],
                p["incremental_value"],
            ),
        )
        if p is not None and math.isfinite(p["threshold"])
        else ()
    )
    s = r.stated
    if s is not None and s.model == m.name and math.isfinite(s.point["threshold"]):
        markers += (
            Marker(
                f"yours {fmt.threshold(s.threshold)}",
                s.point["threshold"],
                s.point["incremental_value"],
            ),
        )
    return LineChart(
        f"Value against threshold: {m.column}",
        (Series(m.column, tuple(xs), tuple(ys)),),
        Axis(f"score threshold (act on {m.column} >= threshold)"),
        Axis(f"value over acting on nobody ({r.currency})", "money", r.currency),
        spans=spans,
        markers=markers,
    )


def targeting_chart(r: DecisionResult) -> LineChart | None:
    """The past campaign's net value by budget for each ranking, each one's best marked."""
    if r.uplift is None:
        return None
    c = r.uplift.comparison
    series = tuple(
        Series(name, tuple(x for x, _, _ in points), tuple(v for _, _, v in points))
        for name, points in c.curves.items()
    )
    markers = tuple(
        Marker(f"best by {name}: {fmt.budget(p.share)}", p.share, p.net_value.estimate)
        for name, p in c.best.items()
    )
    return LineChart(
        "Past campaign: net value by budget and ranking",
        series,
        Axis("share of rows treated", "share"),
        Axis(f"net value ({r.currency})", "money", r.currency),
        markers=markers,
    )


def qini_chart(r: DecisionResult) -> LineChart | None:
    """The uplift (Qini-type) curve of each ranking: favourable outcomes gained by treating the
    top rows, against random targeting (the straight line to treating everyone)."""
    if r.uplift is None:
        return None
    curves = r.uplift.comparison.curves
    if not curves:
        return None
    series = [
        Series(name, tuple(x for x, _, _ in points), tuple(g for _, g, _ in points))
        for name, points in curves.items()
    ]
    first = next(iter(curves.values()))
    series.append(Series("random targeting", (0.0, 1.0), (0.0, first[-1][1])))
    gained = r.uplift.words[1]
    return LineChart(
        "Past campaign: uplift curve of each ranking",
        tuple(series),
        Axis("share of rows treated", "share"),
        Axis(f"more {gained} than treating nobody (count)", "number"),
    )


def charts(r: DecisionResult) -> tuple[Chart, ...]:
    """Each model's value curve, then the past campaign's targeting curves when it has one."""
    out: list[Chart] = [value_chart(r, m) for m in r.models.values()]
    out += [c for c in (targeting_chart(r), qini_chart(r)) if c is not None]
    return tuple(out)


def view(r: DecisionResult, *, segments: bool = True, assumptions: bool = True) -> View:
    """The whole decision analysis as a view (``segments`` is for readouts; unused here);
    ``assumptions`` adds the "Assumptions used" table (a case report shows it in its
    "Assumptions and methods" part instead)."""
    infeasible = [
        Sentence(
            f"Failed check: no feasible threshold for {m.column}:"
            f" {m.decision.reason or 'no threshold meets the constraints'}",
            "alarm",
        )
        for m in r.models.values()
        if m.decision.point is None
    ]
    sections = [
        Section((threshold_table(r),), "Chosen thresholds"),
        Section(tuple(Sentence(s) for s in sentences(r)), "Findings"),
    ]
    if assumptions and r.assumptions:
        sections.append(Section((assumption_table(r.assumptions, r.currency),), "Assumptions used"))
    return View(
        label=f"Decision analysis of {r.score}",
        context=tuple(infeasible),
        sections=tuple(sections),
        charts=charts(r),
    )


def describe(r: DecisionResult) -> str:
    """The findings, one sentence a line."""
    return "\n".join(sentences(r))
