"""Views as self-contained HTML: inline styles, nothing fetched, every text escaped.

:func:`fragment` is what a notebook shows (``_repr_html_``); :func:`document` is a whole page
that opens offline.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib import resources

from mlroi.case_result import GENERATOR
from mlroi.report.charts import svg
from mlroi.report.view import Cell, Sentence, Table, Tone, View, WhatIfPanel

_COLOURS: dict[Tone, str] = {
    "plain": "",
    "good": "color:#1b7f3b",
    "bad": "color:#b00020;font-weight:bold",
    "warn": "color:#9a6700",
    "muted": "color:#666",
    "strong": "font-weight:bold",
    "alarm": "color:#fff;background:#b00020;font-weight:bold;padding:2px 4px",
    "note": "color:#666",
}

_SCOPED_CSS = (
    ".mlroi table{border-collapse:collapse;margin:.5rem 0 1rem}"
    ".mlroi th,.mlroi td{border-bottom:1px solid #ddd;padding:2px 8px}"
    ".mlroi caption{text-align:left;font-weight:bold}"
    ".mlroi figure{margin:1rem 0}.mlroi svg{max-width:100%;height:auto}"
)
"""Rules that touch only mlroi's own markup: safe inside a notebook's page."""

_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;"
    "color:#111;background:#fff}"
    + _SCOPED_CSS
    + "section.part{border-top:2px solid #ddd;margin-top:2rem}"
    "footer{color:#666;font-size:.85rem;margin:2rem 0}"
    # printing to PDF: no page margins of the screen layout, no part split across a table
    "@media print{body{max-width:none;margin:0;font-size:10pt}"
    "section.part{break-before:page;border:0}section.part:first-of-type{break-before:auto}"
    ".mlroi table,.mlroi figure{break-inside:avoid}.what-if form{display:none}}"
    ".what-if fieldset{border:1px solid #ddd;margin:.5rem 0}"
    ".what-if label{display:inline-block;margin:2px 12px 2px 0}"
    ".what-if input{width:7rem}.what-if input[aria-invalid=true]{outline:2px solid #b00020}"
)

_FIGURES = (
    ("total_value", "Value", "money"),
    ("total_cost", "Cost", "money"),
    ("net_value", "Net value (value − cost)", "money"),
    ("return_multiple", "Return multiple (value / cost)", "multiple"),
    ("net_roi", "Net ROI ((value − cost) / cost)", "multiple"),
    ("npv", "NPV", "money"),
    ("payback_months", "Payback", "months"),
)
"""The figures the what-if panel recomputes: name (as in the JSON), label, how to write it."""


@cache
def _script() -> str:
    return resources.files("mlroi.report").joinpath("assets/whatif.js").read_text("utf-8")


def _input(name: str, label: str, value: float, step: str, **bounds: float) -> str:
    limits = "".join(f" {k}='{v:g}'" for k, v in bounds.items())
    return (
        f"<label>{escape(label)} <input type='number' name='{name}' value='{value!r}'"
        f" step='{step}'{limits}></label>"
    )


def _what_if(panel: WhatIfPanel) -> str:
    """The what-if panel: a form of inputs, the figures, and the flows as JSON for the script."""
    drivers: list[str] = []
    costs: list[str] = []
    for i, line in enumerate(panel.lines):
        if line.kind == "cost line":
            costs.append(_input(f"factor-{i}", f"{line.name} (× today's)", 1.0, "any", min=0))
            continue
        assert line.lift is not None
        drivers.append(_input(f"lift-{i}", f"{line.name}: lift per unit", line.lift, "any"))
        if line.margin is not None:
            drivers.append(
                _input(f"margin-{i}", f"{line.name}: margin", line.margin, "any", min=0, max=1)
            )
    data = {
        "currency": panel.currency,
        "months": panel.months,
        "lines": [{"kind": x.kind, "flow": list(x.flow)} for x in panel.lines],
    }
    # inside <script>, "<" must not start a tag: JSON allows it escaped
    embedded = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    rows = "".join(
        f"<tr><td>{escape(label)}</td>"
        f"<td style='text-align:right' data-figure='{name}' data-kind='{kind}'>—</td></tr>"
        for name, label, kind in _FIGURES
    )
    general = "".join(
        (
            _input(
                "horizon", "Horizon (months)", panel.horizon_months, "1", min=1, max=panel.months
            ),
            _input(
                "rate", "Discount rate (% a year)", panel.discount_rate * 100, "any", min=0, max=99
            ),
            _input("population", "Population reached (% of the case's)", 100.0, "any", min=0),
        )
    )
    return (
        "<section class='what-if' id='what-if'><h4>What if…</h4>"
        "<p>Change an input: the figures below are recomputed in this page from the monthly value"
        " of each driver and the monthly cost of each line that mlroi computed, at the point"
        f" inputs (no interval). Amounts in {escape(panel.currency)}; totals over the horizon,"
        " undiscounted; NPV discounted monthly. Changing the population scales every driver;"
        " cost lines are held as written.</p>"
        f"<form><fieldset><legend>Horizon, discounting, population</legend>{general}</fieldset>"
        f"<fieldset><legend>Drivers</legend>{''.join(drivers)}</fieldset>"
        f"<fieldset><legend>Cost lines</legend>{''.join(costs)}</fieldset>"
        "<button type='reset'>Back to the case's inputs</button></form>"
        f"<table><caption>Figures with these inputs</caption><tbody>{rows}</tbody></table>"
        f"<script type='application/json' class='what-if-data'>{embedded}</script>"
        f"<script>{_script()}</script></section>"
    )


def _style(tone: Tone) -> str:
    css = _COLOURS[tone]
    return f" style='{css}'" if css else ""


def _sentence(s: Sentence) -> str:
    prefix = "<b>note:</b> " if s.tone == "note" else ""
    return f"<p{_style(s.tone)}>{prefix}{escape(s.text)}</p>"


def _cell(tag: str, c: Cell, align: str) -> str:
    css = ";".join(x for x in (_COLOURS[c.tone], f"text-align:{align}") if x)
    return f"<{tag} style='{css}'>{escape(c.text)}</{tag}>"


def _table(t: Table) -> str:
    head = "".join(
        f"<th style='text-align:{col.align}'>{escape(col.name)}</th>" for col in t.columns
    )
    body = "".join(
        "<tr>"
        + "".join(_cell("td", c, col.align) for c, col in zip(row, t.columns, strict=True))
        + "</tr>"
        for row in t.rows
    )
    return (
        f"<table><caption>{escape(t.title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _charts(view: View) -> list[str]:
    """Each chart of the view as a ``<figure>``: its inline SVG and its title as the caption."""
    return [
        f"<figure class='mlroi-figure'>{svg(c)}<figcaption>{escape(c.title)}</figcaption></figure>"
        for c in view.charts
    ]


def fragment(view: View) -> str:
    """The view as an HTML ``<div>`` (for a notebook cell)."""
    parts = [f"<h3>{escape(view.title or view.label)}</h3>"]
    parts.extend(_sentence(s) for s in view.context)
    if view.headline is not None:
        parts.append(_sentence(view.headline))
    for section in view.sections:
        if section.title:
            parts.append(f"<h4>{escape(section.title)}</h4>")
        parts.extend(_table(b) if isinstance(b, Table) else _sentence(b) for b in section.blocks)
    parts.extend(_charts(view))
    if view.what_if is not None:
        parts.append(_what_if(view.what_if))
    return f"<div class='mlroi'>{''.join(parts)}</div>"


def notebook(views: list[View]) -> str:
    """Views as a notebook cell shows them (``_repr_html_``): each part as in the report page,
    with its charts, under a style that touches only mlroi's own markup."""
    parts = "".join(fragment(v) for v in views)
    return f"<div class='mlroi-notebook'><style>{_SCOPED_CSS}</style>{parts}</div>"


def document(view: View) -> str:
    """The view as a whole HTML page that needs nothing from the network."""
    title = escape(view.title or view.label)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_CSS}</style></head>"
        f"<body>{fragment(view)}</body></html>\n"
    )


def page(views: list[View], *, title: str) -> str:
    """Several views as one self-contained page (a case report): inline style, inline SVG
    charts, the what-if panel's inline script, nothing fetched, every text escaped; prints to
    clean PDF pages (without the what-if form)."""
    parts = "".join(f"<section class='part'>{fragment(v)}</section>" for v in views)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='generator' content='{GENERATOR}'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{parts}<footer>Written by mlroi. Every figure states its period and unit; the"
        " JSON beside this page holds every number.</footer></body></html>\n"
    )
