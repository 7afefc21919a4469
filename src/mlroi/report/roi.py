"""The ROI result as a view: headline, figures with intervals, break-even, sensitivity, costs."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.report.view import (
    Axis,
    Bar,
    BarChart,
    Cell,
    Chart,
    Column,
    LineChart,
    Marker,
    Section,
    Sentence,
    Series,
    Table,
    TornadoChart,
    TornadoRow,
    View,
)
from mlroi.roi.result import RoiResult
from mlroi.stats.interval import Interval


def _money_interval(e: Interval, currency: str) -> str:
    return fmt.money_range(e.lower, e.upper, currency, sep="–")


def headline(r: RoiResult) -> str:
    """Plain words: what came back per unit of money spent, how sure, and when it pays back.

    e.g. "For every $1 spent, $14.00 came back (90% interval $9.10–$18.40). P(net ROI > 0) =
    99.8%. Payback in 1.3 months."
    """
    c = r.currency
    one = fmt.money(1, c).removesuffix(".00")
    m = r.return_multiple
    level = fmt.level(r.level)
    if r.total_cost.estimate <= 0:
        return (
            f"It brings {fmt.money(r.total_value.estimate, c)} of {r.value_label} "
            f"({level} interval {_money_interval(r.total_value, c)}) and costs nothing "
            "over the horizon, so no return multiple is defined."
        )
    text = (
        f"For every {one} spent, {fmt.money(m.estimate, c)} came back "
        f"({level} interval {_money_interval(m, c)}). "
        f"{fmt.chance('P(net ROI > 0)', r.p_net_roi_positive)}. "
    )
    payback = r.payback_months.estimate
    if math.isfinite(payback):
        text += f"Payback in {fmt.months(payback)}."
    else:
        text += f"It does not pay back within the {r.horizon_months}-month horizon."
    return text


def summary_rows(r: RoiResult) -> list[tuple[str, str, str]]:
    """(figure, point value, interval) rows of the headline figures."""
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
    spread = (
        "undefined in over 1% of draws"
        if math.isnan(irr.lower)
        else f"{fmt.rate(irr.lower)}–{fmt.rate(irr.upper)}"
    )
    rows.append(
        (
            f"IRR (annual; interval of {fmt.count(r.irr_draws)} draws)",
            fmt.rate(irr.estimate),
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
        out.append(
            f"Break-even lift of {what}: NPV >= 0 needs {b.direction} {fmt.signed(b.lift)}"
            f" per unit{rel};"
            f" measured {fmt.signed(b.measured_lift)}."
        )
    if b.cost_total is not None and b.cost_multiple is not None:
        out.append(
            f"Break-even cost: {fmt.money(b.cost_total, c)} over the horizon"
            f" ({fmt.multiple(b.cost_multiple)} today's)."
        )
    return out


def _figures(r: RoiResult) -> Table:
    level = fmt.level(r.level)
    return Table(
        f"Headline figures ({level} intervals, {fmt.count(r.draws)} draws, seed {r.seed})",
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
                Cell(f"{fmt.value(s.low)} … {fmt.value(s.high)}"),
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
    """The ROI's charts: cash flow, costs, sensitivity (each when it has data)."""
    out: list[Chart] = []
    if r.schedule:
        out.append(cash_flow_chart(r))
    if r.costs:
        out.append(cost_chart(r))
    if r.sensitivity:
        out.append(tornado_chart(r))
    return tuple(out)


def view(r: RoiResult, *, segments: bool = True) -> View:
    """The whole ROI result as a view (``segments`` is for readouts; unused here)."""
    context: tuple[Sentence, ...] = ()
    if r.model_metrics:
        shown = ", ".join(f"{name} {fmt.value(v)}" for name, v in r.model_metrics)
        context = (Sentence(f"Model metrics reported beside it: {shown}"),)
    within = f"P(payback within {r.horizon_months} months)"
    figures: list[Table | Sentence] = [
        _figures(r),
        Sentence(
            f"Multiples and totals are undiscounted over the horizon; NPV and IRR use {r.timing}.",
            "muted",
        ),
        Sentence(
            f"{fmt.chance('P(net ROI > 0)', r.p_net_roi_positive)};"
            f" {fmt.chance('P(NPV > 0)', r.p_npv_positive)};"
            f" {fmt.chance(within, r.p_payback_within_horizon)}"
        ),
        *(Sentence(line) for line in break_even_lines(r)),
    ]
    sections = [Section(tuple(figures), "Figures")]
    if r.sensitivity:
        top = r.sensitivity[0]
        sections.append(
            Section(
                (
                    _sensitivity(r),
                    Sentence(f"The assumption that matters most: {top.label} ({top.parameter})."),
                ),
                "Sensitivity",
            )
        )
    costs: list[Table | Sentence] = [_costs(r)]
    if r.rate_card_date:
        costs.append(Sentence(f"Prices from the rate card dated {r.rate_card_date}."))
    costs.extend(Sentence(note, "note") for note in r.notes)
    sections.append(Section(tuple(costs), "Costs"))
    return View(
        label="Return on investment",
        title=f"{r.case} — {r.horizon_months}-month horizon, {r.currency}",
        context=context,
        headline=Sentence(headline(r), "strong"),
        sections=tuple(sections),
        charts=charts(r),
    )


def describe(r: RoiResult) -> str:
    """The case and its headline on one line."""
    return f"RoiResult({r.case!r}): {headline(r)}"
