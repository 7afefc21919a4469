"""Views as Markdown (GitHub-flavoured tables), for pull requests, wikis and CI summaries."""

from __future__ import annotations

from mlroi.case_result import GENERATOR
from mlroi.report.view import Cell, Sentence, Table, View

_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<|#"})


def escape(text: str) -> str:
    """``text`` with Markdown's special characters escaped (a table cell's ``|`` included; a
    ``>`` only where it would open a quote)."""
    out = text.translate(_SPECIAL).replace("\n", " ")
    return "\\" + out if out.startswith(">") else out


def _sentence(s: Sentence) -> str:
    text = escape(s.text)
    if s.tone == "note":
        return f"*note:* {text}"
    if s.tone in ("strong", "alarm", "bad"):
        return f"**{text}**"
    return text


def _cell(c: Cell) -> str:
    return f"**{escape(c.text)}**" if c.tone in ("bad", "alarm") and c.text else escape(c.text)


def _table(t: Table) -> str:
    head = "| " + " | ".join(escape(c.name) for c in t.columns) + " |"
    rule = "|" + "|".join("---:" if c.align == "right" else ":---" for c in t.columns) + "|"
    rows = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    return "\n".join([f"**{escape(t.title)}**", "", head, rule, *rows])


def render(view: View) -> str:
    """The view as a Markdown document."""
    parts = [f"## {escape(view.title or view.label)}"]
    parts.extend(_sentence(s) for s in view.context)
    if view.headline is not None:
        parts.append(_sentence(view.headline))
    for section in view.sections:
        if section.title:
            parts.append(f"### {escape(section.title)}")
        parts.extend(_table(b) if isinstance(b, Table) else _sentence(b) for b in section.blocks)
    parts.extend(f"*Chart: {escape(c.title)} (chart in the HTML report)*" for c in view.charts)
    return "\n\n".join(parts) + "\n"


GENERATOR_LINE = f"<!-- generator: {GENERATOR} -->"
"""The first line of a Markdown report: how mlroi knows a file is its own to overwrite."""


def page(views: list[View], *, title: str) -> str:
    """Several views as one Markdown document (a case report)."""
    parts = [GENERATOR_LINE, f"# {escape(title)}", *(render(v) for v in views)]
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"
