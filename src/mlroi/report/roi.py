"""The ROI result as a view: headline, figures with intervals, break-even, sensitivity, costs."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.report.assumptions import table as assumption_table
from mlroi.report.view import (
    Axis,
    Bar,
    BarChart,
    Cell,
    Chart,
    Column,
    Histogram,
    LineChart,
    Marker,
    Section,
    Sentence,
    Series,
    Table,
    TornadoChart,
    TornadoRow,
    View,
    WhatIfLine,
    WhatIfPanel,
)
from mlroi.roi.result import RoiResult
from mlroi.stats.interval import Interval


def _money_interval(e: Interval, currency: str) -> str:
    # A dash beside a minus sign reads as a range of negatives: "-$49.62 to $2.57".
    return fmt.money_range(e.lower, e.upper, currency, sep=" to " if e.lower < 0 else "–")


def withheld(r: RoiResult) -> str:
    """Why there is no headline: the failed checks, and how to go on."""
    return (
        f"No ROI headline: the experiment the lift comes from fails {_checks(r)}, so its lift "
        "and every figure built on it cannot be trusted. Fix the test and read it out again; "
        "to give the figures anyway, say why in the case (`accept_failed_checks: <reason>`) "
        "or pass --accept-failed-checks."
    )


def _checks(r: RoiResult) -> str:
    if len(r.failed_checks) == 1:
        return f"a check ({r.failed_checks[0]})"
    return f"{len(r.failed_checks)} checks ({'; '.join(r.failed_checks)})"


def headline(r: RoiResult) -> str:
    """Plain words: what came back per unit of money spent, how sure, and when it pays back.

    e.g. "For every $1 spent, $14.00 came back (90% interval $9.10–$18.40). P(net ROI > 0) =
    99.8%. Payback in 1.3 months." Withheld when a check the lift rests on failed
    (:func:`withheld`); prefixed with the failed checks when the case accepted them.
    """
    if r.withheld:
        return withheld(r)
    text = _verdict(r)
    if r.failed_checks:
        return (
            f"Not trustworthy: the experiment fails {_checks(r)}; shown because "
            f"{r.checks_accepted}. {text}"
        )
    return text


def _verdict(r: RoiResult) -> str:
    c = r.currency
    one = fmt.money(1, c).removesuffix(".00")
    m = r.return_multiple
    level = fmt.level(r.level)
    if r.total_cost.estimate <= 0:
        spread = f" ({level} interval {_money_interval(r.total_value, c)})" if r.uncertain else ""
        return (
            f"It brings {fmt.money(r.total_value.estimate, c)} of {r.value_label}{spread} "
            "and costs nothing over the horizon, so no return multiple is defined."
        )
    # "-$23.93 came back" is no sentence: when the value itself is negative, say it was lost.
    if m.estimate >= 0:
        came = f"{fmt.money(m.estimate, c)} {'came' if r.uncertain else 'comes'} back"
    else:
        came = f"{fmt.money(-m.estimate, c)} of value {'was' if r.uncertain else 'is'} lost"
    if not r.uncertain:
        text = (
            f"For every {one} spent, {came} (every input is a single value, so there is no"
            " interval). "
        )
    else:
        spread = f"{level} interval {_money_interval(m, c)}"
        if m.estimate < 0:
            spread = f"what came back: {spread}"
        text = (
            f"For every {one} spent, {came} ({spread}). "
            f"{fmt.chance('P(net ROI > 0)', r.p_net_roi_positive)}. "
        )
    payback = r.payback_months.estimate
    if math.isfinite(payback):
        text += f"Payback in {fmt.months(payback)}."
    else:
        text += f"It does not pay back within the {r.horizon_months}-month horizon."
    return text


def irr_undefined(r: RoiResult) -> str | None:
    """Why the IRR at the point inputs is undefined, in words; None when it is defined."""
    if not math.isnan(r.irr.estimate) or not r.schedule:
        return None
    net = [p.value - p.cost for p in r.schedule]
    signs = [x > 0 for x in net if x != 0]
    if not signs or all(signs):
        return "no IRR: nothing is invested up front (no month's net flow is negative)"
    if not any(signs):
        return "no IRR: the net flow is never positive"
    return "no IRR: the net flow changes sign more than once, so several rates solve NPV = 0"


def summary_rows(r: RoiResult) -> list[tuple[str, str, str]]:
    """(figure, point value, interval) rows of the headline figures; the interval is empty
    when no input is uncertain."""
    if not r.uncertain:
        return [(name, point, "") for name, point, _ in _rows(r)]
    return _rows(r)


def _rows(r: RoiResult) -> list[tuple[str, str, str]]:
    c = r.currency
    money_rows = [
        (f"Value ({r.value_label})", r.total_value),
        ("Cost", r.total_cost),
        ("Net value (value − cost)", r.net_value),
        (f"NPV at {fmt.level(r.discount_rate)} a year", r.npv),
    ]
    rows = [(name, fmt.money(e.estimate, c), _money_interval(e, c)) for name, e in money_rows]
    for name, e in (
        ("Return multiple (value / cost)", r.return_multiple),
        ("Net ROI ((value − cost) / cost)", r.net_roi),
    ):
        rows.append(
            (name, fmt.multiple(e.estimate), f"{fmt.multiple(e.lower)}–{fmt.multiple(e.upper)}")
        )
    irr = r.irr
    ends = (fmt.rate(irr.lower), fmt.rate(irr.upper))
    spread = (
        "undefined in over 1% of draws"
        if math.isnan(irr.lower)
        else f"all draws {ends[0]}"  # e.g. both ends beyond the rate the formatter writes
        if ends[0] == ends[1]
        else "–".join(ends)
    )
    of_draws = f"; interval of {fmt.count(r.irr_draws)} draws" if r.uncertain else ""
    rows.append(
        (
            f"IRR (annual{of_draws})",
            irr_undefined(r) or fmt.rate(irr.estimate),
            spread,
        )
    )
    p = r.payback_months
    rows.append(("Payback", fmt.months(p.estimate), f"{fmt.months(p.lower)}–{fmt.months(p.upper)}"))
    return rows


def break_even_lines(r: RoiResult) -> list[str]:
    """Break-even lift and cost in words."""
    b = r.break_even
    c = r.currency
    out = []
    what = b.metric or b.driver
    if b.lift is not None:
        rel = f" ({fmt.percent(b.lift_relative)} relative)" if b.lift_relative is not None else ""
        # A break-even on the far side of zero: the other inputs pay for the case without it.
        without = (b.direction == "at least" and b.lift < 0) or (
            b.direction == "at most" and b.lift > 0
        )
        out.append(
            f"Break-even lift of {what}: NPV >= 0 needs {b.direction} {fmt.signed(b.lift)}"
            f" per unit{rel};"
            f" measured {fmt.signed(b.measured_lift)}."
            + (f" NPV stays >= 0 even with no lift of {what}." if without else "")
        )
    if b.cost_total is not None and b.cost_multiple is not None:
        out.append(
            f"Break-even cost: {fmt.money(b.cost_total, c)} over the horizon"
            f" ({fmt.multiple(b.cost_multiple)} today's)."
        )
    if b.value_share is not None and len(r.drivers) > 1:
        out.append(
            f"Break-even for all value together: NPV >= 0 while value stays above "
            f"{fmt.share(b.value_share)} of the estimate."
        )
    return out


def drivers_table(r: RoiResult) -> Table:
    """Each driver's value over the horizon, its interval and share, and its break-even lift."""
    c = r.currency
    level = fmt.level(r.level)
    rows = []
    for d in r.drivers:
        count = d.unit == "count"
        if not r.uncertain:
            spread = ""
        elif count:
            spread = f"{fmt.count(d.total.lower)}–{fmt.count(d.total.upper)}"
        else:
            spread = _money_interval(d.total, c)
        needs = (
            "—" if d.break_even_lift is None else f"{d.direction} {fmt.signed(d.break_even_lift)}"
        )
        rows.append(
            (
                Cell(d.driver),
                Cell(d.counts_as if not count else "count (not money)"),
                Cell(d.basis),
                Cell(fmt.count(d.total.estimate) if count else fmt.money(d.total.estimate, c)),
                Cell(spread),
                Cell("—" if d.share is None else fmt.share(d.share)),
                Cell(fmt.signed(d.measured_lift)),
                Cell(needs),
            )
        )
    return Table(
        f"Value per driver over {r.horizon_months} months ({level} intervals; break-even: the "
        "lift of that driver alone at which NPV = 0)",
        (
            Column("driver"),
            Column("counts as"),
            Column("basis"),
            Column("total", "right"),
            Column("interval", "right"),
            Column("share of value", "right"),
            Column("lift used", "right"),
            Column("break-even lift", "right"),
        ),
        tuple(rows),
    )


def readout_lines(r: RoiResult) -> list[str]:
    """The readout lifts the ROI rests on, each with its interval: what the headline is built
    from, said before it ("Lift of retained used for customer value retained: ...")."""
    out: list[str] = []
    for x in r.lifts:
        if x.metric is None or x.interval is None:
            continue
        level = "" if x.level is None else f"{fmt.level(x.level)} "
        text = (
            f"Lift of {x.metric} used for {x.driver} ({x.source}): "
            f"{fmt.interval(x.interval)} ({level}CI)"
        )
        if x.relative is not None:
            text += f", relative {fmt.interval(x.relative, relative=True)}"
        if x.units is not None:
            text += f"; {fmt.count(x.units[1])} treatment and {fmt.count(x.units[0])} control units"
        out.append(text + ".")
    return out


def lifts_table(r: RoiResult) -> Table:
    """Where each driver's lift comes from, and how the simulation draws it."""
    return Table(
        "Lifts used (per unit)",
        (
            Column("driver"),
            Column("metric"),
            Column("estimate", "right"),
            Column("standard error", "right"),
            Column("drawn as"),
            Column("source"),
        ),
        tuple(
            (
                Cell(x.driver),
                Cell(x.metric or "—"),
                Cell(fmt.signed(x.estimate)),
                Cell("—" if x.std_error is None else fmt.value(x.std_error)),
                Cell(x.distribution),
                Cell(x.source),
            )
            for x in r.lifts
        ),
    )


def period_lines(r: RoiResult) -> tuple[Sentence, ...]:
    """Each driver stated per year or per window, converted to a month (before growth, ramp
    and decay), e.g. ``$2.1M a year = $175K a month``."""
    counts = {d.driver for d in r.drivers if d.unit == "count"}
    out = []
    for p in r.periods:
        if p.per == "month":
            continue
        stated = "a year" if p.per == "year" else f"per {fmt.number(p.window_days or 0)}-day window"

        def shown(x: float, count: bool = p.driver in counts) -> str:
            return fmt.count(x) if count else fmt.money(x, r.currency)

        out.append(
            Sentence(f"{p.driver}: {shown(p.per_period)} {stated} = {shown(p.per_month)} a month.")
        )
    return tuple(out)


def _figures(r: RoiResult) -> Table:
    level = fmt.level(r.level)
    how = (
        f"{level} intervals, {fmt.count(r.draws)} draws, seed {r.seed}"
        if r.uncertain
        else "every input is a single value: no interval"
    )
    return Table(
        f"Headline figures ({how})",
        (Column("figure"), Column("value", "right"), Column("interval", "right")),
        tuple(tuple(Cell(x) for x in row) for row in summary_rows(r)),
    )


def _sensitivity(r: RoiResult) -> Table:
    c = r.currency
    return Table(
        "Sensitivity: NPV with one input at each end of its range"
        f" (a range's ends; a distribution's central {fmt.level(r.level)})",
        (
            Column("input"),
            *(
                Column(name, "right")
                for name in ("low … high", "NPV at low", "NPV at high", "swing")
            ),
        ),
        tuple(
            (
                Cell(s.label),
                Cell(f"{fmt.number(s.low)} … {fmt.number(s.high)}"),
                Cell(fmt.money(s.npv_low, c)),
                Cell(fmt.money(s.npv_high, c)),
                Cell(fmt.money(s.width, c)),
            )
            for s in r.sensitivity
        ),
    )


def _costs(r: RoiResult) -> Table:
    return Table(
        f"Costs over {r.horizon_months} months",
        (Column("item"), Column("category"), Column("total", "right"), Column("how")),
        tuple(
            (
                Cell(item.name),
                Cell(item.category),
                Cell(fmt.money(item.total, r.currency)),
                Cell(item.description),
            )
            for item in r.costs
        ),
    )


def cash_flow_chart(r: RoiResult) -> LineChart:
    """Cumulative net cash flow (value − cost, undiscounted) by month, payback marked."""
    money = Axis(f"cumulative net cash flow ({r.currency})", "money", r.currency)
    months = tuple(float(p.month) for p in r.schedule)
    net = tuple(p.cumulative_net for p in r.schedule)
    payback = r.payback_months.estimate
    markers = (
        (Marker(f"payback {fmt.months(payback)}", payback, 0.0),)
        if math.isfinite(payback) and r.schedule
        else ()
    )
    return LineChart(
        "Cumulative net cash flow by month",
        (Series("cumulative net", months, net),),
        Axis("month", "months"),
        money,
        markers=markers,
    )


def monthly_chart(r: RoiResult) -> LineChart:
    """Value and cost in each month (month 0: one-time costs paid at the start)."""
    months = tuple(float(p.month) for p in r.schedule)
    return LineChart(
        "Value and cost by month",
        (
            Series("value", months, tuple(p.value for p in r.schedule)),
            Series("cost", months, tuple(p.cost for p in r.schedule)),
        ),
        Axis("month", "months"),
        Axis(f"per month ({r.currency})", "money", r.currency),
    )


def cost_chart(r: RoiResult) -> BarChart:
    """Each cost line's total over the horizon."""
    return BarChart(
        f"Costs over {r.horizon_months} months by line",
        tuple(Bar(f"{item.name} ({item.category})", item.total) for item in r.costs),
        Axis(f"total over the horizon ({r.currency})", "money", r.currency),
    )


def tornado_chart(r: RoiResult) -> TornadoChart:
    """NPV with each uncertain input at either end of its range, widest swing first."""
    return TornadoChart(
        "Sensitivity of NPV to each input",
        tuple(TornadoRow(s.label, s.npv_low, s.npv_high) for s in r.sensitivity),
        r.npv.estimate,
        "NPV estimate",
        Axis(f"NPV ({r.currency})", "money", r.currency),
    )


def charts(r: RoiResult) -> tuple[Chart, ...]:
    """The ROI's charts: cash flow, value per driver, net ROI's distribution, costs,
    sensitivity (each when it has data; only costs when the headline is withheld)."""
    out: list[Chart] = []
    if not r.withheld:
        if r.schedule:
            out.append(cash_flow_chart(r))
            out.append(monthly_chart(r))
        if r.drivers:
            out.append(driver_chart(r))
        histogram = net_roi_chart(r)
        if histogram is not None:
            out.append(histogram)
    if r.costs:
        out.append(cost_chart(r))
    if r.sensitivity and not r.withheld:
        out.append(tornado_chart(r))
    return tuple(out)


def failed_checks(r: RoiResult) -> tuple[Sentence, ...]:
    """The failed checks the ROI rests on, first in any view that shows its figures."""
    out = [Sentence(f"Failed check: {line}", "alarm") for line in r.failed_checks]
    if r.failed_checks and r.checks_accepted is not None:
        out.append(Sentence(f"Figures shown anyway because {r.checks_accepted}.", "warn"))
    return tuple(out)


def driver_chart(r: RoiResult) -> BarChart:
    """Each money driver's value over the horizon (measured costs negative; counts, not
    being money, are left out)."""
    return BarChart(
        f"Value per driver over {r.horizon_months} months",
        tuple(
            Bar(d.driver, d.total.estimate if d.counts_as == "value" else -d.total.estimate)
            for d in r.drivers
            if d.unit == "currency"
        ),
        Axis(f"value over the horizon ({r.currency})", "money", r.currency),
    )


def net_roi_chart(r: RoiResult) -> Histogram | None:
    """The distribution of net ROI over the Monte Carlo draws, with a line at 0."""
    b = r.net_roi_bins
    if b is None:
        return None
    return Histogram(
        f"Distribution of net ROI over {fmt.count(r.draws)} draws",
        b.edges,
        tuple(float(c) for c in b.counts),
        Axis("net ROI ((value − cost) / cost, a multiple of cost)", "number"),
        marker=0.0,
    )


def what_if_panel(r: RoiResult) -> WhatIfPanel | None:
    """The what-if panel's inputs and flows (none when the headline is withheld)."""
    w = r.what_if
    if w is None or r.withheld:
        return None
    lines = [
        WhatIfLine(
            d.driver,
            "value" if d.counts_as == "value" else "cost",
            flow,
            lift=lift.estimate,
            margin=margin if d.counts_as == "value" else None,
        )
        for d, flow, lift, margin in zip(
            r.drivers, w.driver_flows, r.lifts, w.driver_margins, strict=True
        )
        if d.unit == "currency"  # a count is not money: nothing to recompute
    ]
    lines += [
        WhatIfLine(c.name, "cost line", flow)
        for c, flow in zip(
            (c for c in r.costs if c.category != "measured"), w.cost_flows, strict=True
        )
    ]
    return WhatIfPanel(r.currency, r.horizon_months, r.discount_rate, tuple(lines))


def view(r: RoiResult, *, segments: bool = True, assumptions: bool = True) -> View:
    """The whole ROI result as a view (``segments`` is for readouts; unused here).

    ``assumptions`` adds the "Assumptions used" table (a case report shows it in its
    "Assumptions and methods" part instead).

    Failed checks come first; when they withhold the headline, so are the figures built on
    the lift (the lifts and costs are still shown, to see what went in).
    """
    context: list[Sentence] = list(failed_checks(r))
    context += [Sentence(f"Implausible input: {w}", "warn") for w in r.warnings]
    context.extend(Sentence(line) for line in readout_lines(r))
    if r.model_metrics:
        shown = ", ".join(f"{name} {fmt.value(v)}" for name, v in r.model_metrics)
        context.append(Sentence(f"Model metrics reported beside it: {shown}"))
    sections: list[Section] = []
    if not r.withheld:
        sections.append(Section(tuple(_figure_blocks(r)), "Figures"))
        if r.drivers:
            sections.append(Section((drivers_table(r),), "Value per driver"))
        if r.sensitivity:
            top = r.sensitivity[0]
            sections.append(
                Section(
                    (
                        _sensitivity(r),
                        Sentence(
                            f"The assumption that matters most: {top.label} ({top.parameter})."
                        ),
                    ),
                    "Sensitivity",
                )
            )
    sections.append(Section((lifts_table(r), *period_lines(r)), "Lifts"))
    costs: list[Table | Sentence] = [_costs(r)]
    if r.rate_card_date:
        costs.append(Sentence(f"Prices from the rate card dated {r.rate_card_date}."))
    costs.extend(Sentence(note, "note") for note in r.notes)
    sections.append(Section(tuple(costs), "Costs"))
    if assumptions and r.assumptions:
        sections.append(Section((assumption_table(r.assumptions, r.currency),), "Assumptions used"))
    return View(
        label="Return on investment",
        title=f"{r.case} — {r.horizon_months}-month horizon, {r.currency}",
        context=tuple(context),
        headline=Sentence(headline(r), "alarm" if r.withheld else "strong"),
        sections=tuple(sections),
        charts=charts(r),
        what_if=what_if_panel(r),
    )


def _figure_blocks(r: RoiResult) -> list[Table | Sentence]:
    within = f"P(payback within {r.horizon_months} months)"
    out: list[Table | Sentence] = [
        _figures(r),
        Sentence(
            f"Multiples and totals are undiscounted over the horizon; NPV and IRR use {r.timing}.",
            "muted",
        ),
    ]
    if r.uncertain:
        out.append(
            Sentence(
                f"{fmt.chance('P(net ROI > 0)', r.p_net_roi_positive)};"
                f" {fmt.chance('P(NPV > 0)', r.p_npv_positive)};"
                f" {fmt.chance(within, r.p_payback_within_horizon)}"
            )
        )
    out.extend(Sentence(line) for line in break_even_lines(r))
    return out


def describe(r: RoiResult) -> str:
    """The case and its headline on one line."""
    return f"RoiResult({r.case!r}): {headline(r)}"
