"""What a report shows, before any markup: frozen view models built from results.

A result holds numbers; a builder (:mod:`mlroi.report.experiment`, :mod:`mlroi.report.decision`,
:mod:`mlroi.report.roi`) turns it into a :class:`View` that holds words and formatted figures;
a renderer (:mod:`mlroi.report.terminal`, :mod:`mlroi.report.markdown`,
:mod:`mlroi.report.html`) turns the view into markup. Renderers never compute a number and
builders never write markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tone = Literal["plain", "good", "bad", "warn", "muted", "strong", "alarm", "note"]
"""How a piece of text reads: renderers map tones to colours or emphasis.

``good`` / ``bad`` a favourable or unfavourable verdict, ``warn`` something that could not be
estimated, ``muted`` a side remark, ``strong`` a headline, ``alarm`` a check that invalidates the
rest, ``note`` a caveat (rendered with a ``note:`` prefix).
"""

Align = Literal["left", "right"]


@dataclass(frozen=True)
class Cell:
    """One formatted table cell."""

    text: str
    tone: Tone = "plain"


@dataclass(frozen=True)
class Column:
    """A table column: its header and how its cells line up."""

    name: str
    align: Align = "left"


@dataclass(frozen=True)
class Table:
    """A titled table of formatted cells.

    Attributes:
        title: shown above the table.
        columns: headers and alignment.
        rows: one tuple of cells per row, as many as ``columns``.
        centered_title: the title is centred over the table rather than flush left.
    """

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    centered_title: bool = False


@dataclass(frozen=True)
class Sentence:
    """One line of prose."""

    text: str
    tone: Tone = "plain"


Block = Table | Sentence


@dataclass(frozen=True)
class Section:
    """Blocks shown together, in order (``title`` heads them in documents, not in terminals)."""

    blocks: tuple[Block, ...]
    title: str | None = None


@dataclass(frozen=True)
class Chart:
    """A chart to come: its kind and the data it plots (reserved; no renderer draws it yet)."""

    kind: str
    title: str
    data: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """Everything a report of one result shows.

    Attributes:
        label: what kind of result this is ("Experiment readout"), the heading when there is no
            ``title``.
        title: the result's own title line (the case name and horizon), if it has one.
        context: lines that frame the result, shown under the title.
        headline: the one sentence to read first.
        sections: tables and sentences, in reading order.
        charts: charts to draw (none yet).
    """

    label: str
    sections: tuple[Section, ...]
    title: str | None = None
    context: tuple[Sentence, ...] = ()
    headline: Sentence | None = None
    charts: tuple[Chart, ...] = ()

    def sentences(self) -> list[str]:
        """The prose of the view (headline first), without tables."""
        out = [] if self.headline is None else [self.headline.text]
        for section in self.sections:
            out.extend(b.text for b in section.blocks if isinstance(b, Sentence))
        return out
