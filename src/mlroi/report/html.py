"""Views as self-contained HTML: inline styles, nothing fetched, every text escaped.

:func:`fragment` is what a notebook shows (``_repr_html_``); :func:`document` is a whole page
that opens offline.
"""

from __future__ import annotations

from html import escape

from mlroi.case_result import GENERATOR
from mlroi.report.charts import svg
from mlroi.report.view import Cell, Sentence, Table, Tone, View

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

_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;"
    "color:#111;background:#fff}"
    ".mlroi table{border-collapse:collapse;margin:.5rem 0 1rem}"
    ".mlroi th,.mlroi td{border-bottom:1px solid #ddd;padding:2px 8px}"
    ".mlroi caption{text-align:left;font-weight:bold}"
    ".mlroi figure{margin:1rem 0}.mlroi svg{max-width:100%;height:auto}"
    "section.part{border-top:2px solid #ddd;margin-top:2rem}"
    "footer{color:#666;font-size:.85rem;margin:2rem 0}"
    # printing to PDF: no page margins of the screen layout, no part split across a table
    "@media print{body{max-width:none;margin:0;font-size:10pt}"
    "section.part{break-before:page;border:0}section.part:first-of-type{break-before:auto}"
    ".mlroi table,.mlroi figure{break-inside:avoid}}"
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
    return f"<div class='mlroi'>{''.join(parts)}</div>"


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
    charts, no script, nothing fetched, every text escaped; prints to clean PDF pages."""
    parts = "".join(f"<section class='part'>{fragment(v)}</section>" for v in views)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='generator' content='{GENERATOR}'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{parts}<footer>Written by mlroi. Every figure states its period and unit; the"
        " JSON beside this page holds every number.</footer></body></html>\n"
    )
