"""The ROI result in words and tables: the headline, the terminal view and a notebook view."""

from __future__ import annotations

import html
import math

from rich.console import Console
from rich.table import Table

from mlroi.report import format as fmt
from mlroi.roi.result import Estimate, RoiResult


def _money_interval(e: Estimate, currency: str) -> str:
    return f"{fmt.money(e.lower, currency)}–{fmt.money(e.upper, currency)}"


def headline(r: RoiResult) -> str:
    """Plain words: what came back per unit of money spent, how sure, and when it pays back.

    e.g. "For every $1 spent, $14.00 came back (90% interval $9.10–$18.40). P(net ROI > 0) =
    99.8%. Payback in 1.3 months."
    """
    c = r.currency
    one = fmt.money(1, c).removesuffix(".00")
    m = r.return_multiple
    if r.total_cost.point <= 0:
        return (
            f"It brings {fmt.money(r.total_value.point, c)} of {r.value_label} "
            f"({r.level:.0%} interval {_money_interval(r.total_value, c)}) and costs nothing "
            "over the horizon, so no return multiple is defined."
        )
    text = (
        f"For every {one} spent, {fmt.money(m.point, c)} came back "
        f"({r.level:.0%} interval {_money_interval(m, c)}). "
        f"{chance('P(net ROI > 0)', r.p_net_roi_positive)}. "
    )
    payback = r.payback_months.point
    if math.isfinite(payback):
        text += f"Payback in {fmt.months(payback)}."
    else:
        text += f"It does not pay back within the {r.horizon_months}-month horizon."
    return text


def _rate(x: float) -> str:
    if math.isnan(x):
        return "—"
    return ">1000%" if x > 10 else f"{x:.0%}"


def chance(label: str, p: float) -> str:
    """``P(x) = 95.8%``, or ``P(x) > 99.9%`` at the ends."""
    text = probability(p)
    return f"{label} {text[0]} {text[1:]}" if text[0] in "<>" else f"{label} = {text}"


def probability(p: float) -> str:
    if p >= 0.999:
        return ">99.9%"
    if p <= 0.001:
        return "<0.1%"
    return f"{p:.1%}"


def summary_rows(r: RoiResult) -> list[tuple[str, str, str]]:
    """(figure, point value, interval) rows shared by every renderer."""
    c = r.currency
    money_rows = [
        (f"Value ({r.value_label})", r.total_value),
        ("Cost", r.total_cost),
        ("Net value (value − cost)", r.net_value),
        (f"NPV at {r.discount_rate:.0%} a year", r.npv),
    ]
    rows = [(name, fmt.money(e.point, c), _money_interval(e, c)) for name, e in money_rows]
    for name, e in (
        ("Return multiple (value / cost)", r.return_multiple),
        ("Net ROI ((value − cost) / cost)", r.net_roi),
    ):
        rows.append(
            (name, fmt.multiple(e.point), f"{fmt.multiple(e.lower)}–{fmt.multiple(e.upper)}")
        )
    irr = r.irr
    spread = (
        "undefined in over 1% of draws"
        if math.isnan(irr.lower)
        else f"{_rate(irr.lower)}–{_rate(irr.upper)}"
    )
    rows.append(
        (
            f"IRR (annual; interval of {r.irr_draws:,} draws)",
            _rate(irr.point),
            spread,
        )
    )
    p = r.payback_months
    rows.append(("Payback", fmt.months(p.point), f"{fmt.months(p.lower)}–{fmt.months(p.upper)}"))
    return rows


def render(r: RoiResult, console: Console) -> None:
    """Print the result: headline, figures, break-even, sensitivity, costs, notes."""
    c = r.currency
    console.print(f"[bold]{r.case}[/] — {r.horizon_months}-month horizon, {c}")
    if r.model_metrics:
        shown = ", ".join(f"{name} {fmt.value(v)}" for name, v in r.model_metrics)
        console.print(f"Model metrics reported beside it: {shown}", soft_wrap=True)
    console.print(f"[bold]{headline(r)}[/]", soft_wrap=True)
    table = Table(
        title_justify="left",
        title=f"Headline figures ({r.level:.0%} intervals, {r.draws:,} draws, seed {r.seed})",
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("interval", justify="right")
    for row in summary_rows(r):
        table.add_row(*row)
    console.print(table)
    console.print(
        f"Multiples and totals are undiscounted over the horizon; NPV and IRR use {r.timing}.",
        soft_wrap=True,
        style="dim",
    )
    console.print(
        f"{chance('P(net ROI > 0)', r.p_net_roi_positive)};"
        f" {chance('P(NPV > 0)', r.p_npv_positive)};"
        f" {chance(f'P(payback within {r.horizon_months} months)', r.p_payback_within_horizon)}"
    )
    for line in break_even_lines(r):
        console.print(line, soft_wrap=True)
    if r.sensitivity:
        sens = Table(
            title="Sensitivity: NPV with one input at each end of its range"
            f" (a range's ends; a distribution's central {r.level:.0%})",
            title_justify="left",
        )
        for col in ("input", "low … high", "NPV at low", "NPV at high", "swing"):
            sens.add_column(col, justify="left" if col == "input" else "right")
        for s in r.sensitivity:
            sens.add_row(
                s.label,
                f"{fmt.value(s.low)} … {fmt.value(s.high)}",
                fmt.money(s.npv_low, c),
                fmt.money(s.npv_high, c),
                fmt.money(s.width, c),
            )
        console.print(sens)
        top = r.sensitivity[0]
        console.print(f"The assumption that matters most: [bold]{top.label}[/] ({top.parameter}).")
    costs = Table(title=f"Costs over {r.horizon_months} months", title_justify="left")
    for col in ("item", "category", "total", "how"):
        costs.add_column(col, justify="right" if col == "total" else "left")
    for item in r.costs:
        costs.add_row(item.name, item.category, fmt.money(item.total, c), item.description)
    console.print(costs)
    if r.rate_card_date:
        console.print(f"Prices from the rate card dated {r.rate_card_date}.")
    for note in r.notes:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True)


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


def html_summary(r: RoiResult) -> str:
    """A small HTML table for Jupyter."""
    rows = "".join(
        f"<tr><td>{html.escape(a)}</td><td style='text-align:right'>{html.escape(b)}</td>"
        f"<td style='text-align:right'>{html.escape(c)}</td></tr>"
        for a, b, c in summary_rows(r)
    )
    return (
        f"<div><p><b>{html.escape(r.case)}</b>: {html.escape(headline(r))}</p>"
        f"<table><tr><th>figure</th><th>value</th><th>{r.level:.0%} interval</th></tr>"
        f"{rows}</table></div>"
    )
