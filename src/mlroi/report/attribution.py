"""The view of an attribution result: credit per channel per model, influenced vs incremental.

Every view says, before any figure, that influenced revenue is not incremental revenue.
"""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.attribution.result import AttributionResult, ModelCredits
from mlroi.report.view import (
    Axis,
    Cell,
    Column,
    ForestChart,
    ForestRow,
    Section,
    Sentence,
    Table,
    View,
)
from mlroi.stats.interval import Interval

MODEL_NAMES = {
    "last_click": "last click",
    "first_touch": "first touch",
    "linear": "linear",
    "time_decay": "time decay",
    "position_based": "position based",
    "markov": "Markov",
    "shapley": "Shapley",
}

DATA_ROWS = (
    ("touches_without_user", "touchpoint rows without a user id (left out)"),
    ("order_lines_without_user", "order lines without a user id (left out)"),
    ("duplicate_touches", "duplicate touchpoint rows dropped"),
    ("duplicate_order_lines", "duplicate order lines dropped"),
    ("orders_with_several_users", "order ids with lines of several users (smallest user id kept)"),
    ("refunds_exceeding_order", "orders whose refunds exceed their sales (valued at 0)"),
    ("orders_without_touch", "orders without a touch in the lookback window (not attributed)"),
    ("touches_outside_lookback", "touches before the lookback window of their order (dropped)"),
    ("touches_after_last_order", "touches after the user's last order (journeys without order)"),
    ("truncated_journeys", "journeys cut to their last touches"),
    ("excluded_touches", "recommendation impressions left out (view-through off)"),
    ("users_missing_from_assignments", "users of the logs missing from the assignment table"),
)
"""Irregular rows the backend counted, and what was done with them."""


def _num(x: float) -> str:
    """A ratio in a sentence (``—`` when not finite: never ``nan``)."""
    return fmt.number(x, 3) if math.isfinite(x) else "—"


def _name(model: str) -> str:
    return MODEL_NAMES.get(model, model.replace("_", " "))


def _span(iv: Interval, currency: str) -> str:
    if math.isnan(iv.lower):
        return fmt.money(iv.estimate, currency)
    return f"{fmt.money(iv.estimate, currency)} ({fmt.money_range(iv.lower, iv.upper, currency)})"


def period(r: AttributionResult) -> str:
    """The period the logs cover, in words."""
    if r.period_start and r.period_end:
        zone = f" ({r.time_zone})" if r.time_zone else ""
        return f"{r.period_start[:10]} to {r.period_end[:10]}{zone}"
    return r.period_start or "the logs' period"


def credit_table(r: AttributionResult) -> Table:
    """Revenue credited to each channel, one column per model (point estimates)."""
    return Table(
        f"Revenue credited to each channel ({r.currency}, {period(r)})",
        (Column("channel"), *(Column(_name(m.model), "right") for m in r.models)),
        tuple(
            (
                Cell(ch + (" (recommendation)" if ch in r.recommendation_channels else "")),
                *(Cell(fmt.money(m.channels[i].value.estimate, r.currency)) for m in r.models),
            )
            for i, ch in enumerate(r.channels)
        ),
    )


def interval_table(r: AttributionResult) -> Table:
    """Each model's credit per channel with its bootstrap interval and share."""
    return Table(
        f"Credit with {fmt.level(r.level)} bootstrap intervals ({fmt.count(r.resamples)} "
        "resamples of the journeys)",
        (
            Column("model"),
            Column("channel"),
            Column("revenue (interval)", "right"),
            Column("conversions", "right"),
            Column("share", "right"),
        ),
        tuple(
            (
                Cell(_name(m.model)),
                Cell(c.channel),
                Cell(_span(c.value, r.currency)),
                Cell(fmt.number(c.conversions.estimate, 4)),
                Cell(fmt.share(c.share)),
            )
            for m in r.models
            for c in m.channels
        ),
    )


def influence_table(r: AttributionResult) -> Table:
    """Revenue the recommendations influenced, under each rule and model, and the test's."""
    rows = [
        (
            Cell(f"{rule.rule}-level window: {rule.window}"),
            Cell(_span(rule.revenue, r.currency)),
            Cell(f"{fmt.count(rule.orders)} {'order lines' if rule.rule == 'item' else 'orders'}"),
        )
        for rule in r.influenced
    ]
    rows += [
        (
            Cell(f"{_name(m.model)} credit of the recommendation channels"),
            Cell(_span(m.recommendation, r.currency)),
            Cell(""),
        )
        for m in r.models
    ]
    if r.reconciliation is not None:
        rec = r.reconciliation
        rows.append(
            (
                Cell("incremental revenue (causal)", "strong"),
                Cell(_span(rec.incremental, r.currency), "strong"),
                Cell(rec.source),
            )
        )
    return Table(
        f"Influenced vs incremental revenue ({r.currency}, {period(r)})",
        (Column("measure"), Column("revenue (interval)", "right"), Column("basis")),
        tuple(rows),
    )


def data_table(r: AttributionResult) -> Table:
    """Irregular rows and how each was handled."""
    return Table(
        "Rows the attribution set aside or repaired",
        (Column("rows"), Column("count", "right")),
        tuple(
            (Cell(text), Cell(fmt.count(r.data.get(key, 0.0))))
            for key, text in DATA_ROWS
            if key in r.data
        ),
    )


def reconciliation_sentences(r: AttributionResult) -> list[Sentence]:
    rec = r.reconciliation
    if rec is None:
        return [
            Sentence(
                "No incremental revenue to reconcile with: add `attribution.incremental` (the "
                "experiment's revenue-per-user metric and its users, or a holdout's figure).",
                "muted",
            )
        ]
    f = rec.factor
    return [
        Sentence(
            f"Incrementality factor: {_num(f.estimate)} (interval "
            f"{_num(f.lower)} to {_num(f.upper)}): of each "
            f"{fmt.money(1.0, r.currency)} of last-click recommendation revenue, "
            f"{fmt.money(f.estimate, r.currency)} is incremental.",
            "strong",
        ),
        Sentence(
            "Adjusted last-click estimate: last-click recommendation revenue x factor = "
            f"{_span(rec.adjusted_last_click, r.currency)} over {period(r)}; for a period "
            "without a test, multiply its last-click recommendation revenue by the factor.",
        ),
    ]


def headline(r: AttributionResult) -> Sentence:
    last = next((m for m in r.models if m.model == "last_click"), r.models[0])
    text = (
        f"Recommendations influenced {fmt.money(last.recommendation.estimate, r.currency)} of "
        f"{fmt.money(r.attributed_revenue, r.currency)} attributed revenue ({_name(last.model)},"
        f" {period(r)})"
    )
    if r.reconciliation is not None:
        text += (
            f"; the test measured {fmt.money(r.reconciliation.incremental.estimate, r.currency)}"
            " incremental"
        )
    return Sentence(text + ".", "strong")


def chart(r: AttributionResult) -> ForestChart:
    """Influenced revenue under each rule and model beside the incremental revenue."""
    rows = [
        ForestRow(f"{x.rule}-level window", x.revenue.estimate, x.revenue.lower, x.revenue.upper)
        for x in r.influenced
    ]
    rows += [
        ForestRow(
            _name(m.model),
            m.recommendation.estimate,
            m.recommendation.lower,
            m.recommendation.upper,
        )
        for m in r.models
    ]
    if r.reconciliation is not None:
        iv = r.reconciliation.incremental
        rows.append(ForestRow("incremental (A/B test)", iv.estimate, iv.lower, iv.upper))
    return ForestChart(
        "Revenue influenced by recommendations vs incremental revenue",
        tuple(rows),
        Axis(f"revenue over the period ({r.currency})", "money", r.currency),
    )


def channel_chart(r: AttributionResult, m: ModelCredits) -> ForestChart:
    return ForestChart(
        f"Revenue credited to each channel, {_name(m.model)}",
        tuple(
            ForestRow(c.channel, c.value.estimate, c.value.lower, c.value.upper) for c in m.channels
        ),
        Axis(f"revenue over the period ({r.currency})", "money", r.currency),
    )


def method_sentences(r: AttributionResult) -> list[Sentence]:
    out = [Sentence(f"{_name(m.model)}: {m.convention}.", "muted") for m in r.models]
    if r.markov is not None:
        effects = ", ".join(
            f"{c} {fmt.share(e)}" for c, e in sorted(r.markov.removal_effects.items())
        )
        out.append(
            Sentence(
                f"Markov chain of order {r.markov.order}: P(conversion) "
                f"{fmt.share(r.markov.conversion_probability)}; removal effects {effects}; "
                f"{r.markov.allocation.replace('_', '-')} allocation.",
                "muted",
            )
        )
    if r.shapley_method == "dividends":
        out.append(
            Sentence(
                "Shapley values by the dividend identity (exact; more than 15 channels).", "muted"
            )
        )
    out += [Sentence(n, "muted") for n in r.notes]
    return out


def view(r: AttributionResult, *, segments: bool = True) -> View:
    """The attribution result as a view (``segments`` is for readouts; unused here)."""
    context = (
        Sentence(r.not_incremental, "note"),
        Sentence(
            f"Revenue in {r.currency} over {period(r)}; journeys: touches up to "
            f"{fmt.number(r.lookback_days)} days before an order; time-decay half-life "
            f"{fmt.number(r.half_life_days)} days. Sources: "
            + "; ".join(f"{k} {v}" for k, v in r.sources.items())
            + ".",
            "muted",
        ),
        Sentence(
            f"{fmt.count(r.journeys)} journeys, {fmt.count(r.converting_journeys)} ending in an "
            f"order; {fmt.money(r.attributed_revenue, r.currency)} attributed.",
            "muted",
        ),
    )
    first = next((m for m in r.models if m.model == "last_click"), r.models[0])
    return View(
        label="Attribution",
        title=f"Revenue attribution, {period(r)}",
        context=context,
        headline=headline(r),
        sections=(
            Section((credit_table(r),), "Credit per channel"),
            Section(
                (influence_table(r), *reconciliation_sentences(r)),
                "Influenced vs incremental revenue",
            ),
            Section((interval_table(r),), "Intervals"),
            Section((data_table(r), *method_sentences(r)), "Data and methods"),
        ),
        charts=(
            chart(r),
            *(channel_chart(r, m) for m in r.models if m is first or m.model == "markov"),
        ),
    )


def describe(r: AttributionResult) -> str:
    """The attribution on one line."""
    return f"AttributionResult({headline(r).text} {r.not_incremental.split(':')[0]}.)"
