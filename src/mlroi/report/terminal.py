"""Views in the terminal, with rich: title, context, headline, then tables and sentences."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table as RichTable
from rich.text import Text

from mlroi.report.build import view_of
from mlroi.report.console import wide_console as wide_console  # re-exported
from mlroi.report.view import Cell, Sentence, Table, Tone, View

STYLES: dict[Tone, str] = {
    "plain": "",
    "good": "green",
    "bad": "bold red",
    "warn": "yellow",
    "muted": "dim",
    "strong": "bold",
    "alarm": "bold white on red",
    "note": "",
}


def _text(cell: Cell | Sentence) -> Text:
    if cell.tone == "note":
        return Text.assemble(("note:", "yellow"), " ", cell.text)
    return Text(cell.text, style=STYLES[cell.tone])


def table(t: Table) -> RichTable:
    """A view table as a rich table."""
    # Text, not str: a title or column name holds user names, which rich must not read as markup
    title = None if t.title is None else Text(t.title)
    out = RichTable(title=title, title_justify="center" if t.centered_title else "left")
    for col in t.columns:
        out.add_column(Text(col.name), justify=col.align)
    for row in t.rows:
        out.add_row(*(_text(c) for c in row))
    return out


def renderables(view: View) -> list[RichTable | Text]:
    """The view's parts in reading order, as rich renderables."""
    parts: list[RichTable | Text] = []
    if view.title is not None:
        parts.append(Text(view.title, style="bold"))
    parts.extend(_text(s) for s in view.context)
    if view.headline is not None:
        parts.append(_text(view.headline))
    for section in view.sections:
        parts.extend(table(b) if isinstance(b, Table) else _text(b) for b in section.blocks)
    return parts


def render(view: View) -> Group:
    """A renderable of the whole view."""
    return Group(*renderables(view))


def print_result(result: Any, console: Console | None = None, *, segments: bool = True) -> None:
    """Print any result (readout, decision analysis, ROI) to the terminal.

    Sentences are printed without hard wrapping (the terminal wraps them; logs keep one line
    per sentence); tables fit the console's width.
    """
    out = console or wide_console()
    for part in renderables(view_of(result, segments=segments)):
        if isinstance(part, Text):
            out.print(part, soft_wrap=True, highlight=False)
        else:
            out.print(part)
