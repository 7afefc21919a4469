"""What a report shows, before any markup: frozen view models built from results.

A result holds numbers; a builder (:mod:`mlroi.report.experiment`, :mod:`mlroi.report.decision`,
:mod:`mlroi.report.roi`) turns it into a :class:`View` that holds words and formatted figures;
a renderer (:mod:`mlroi.report.terminal`, :mod:`mlroi.report.markdown`,
:mod:`mlroi.report.html`) turns the view into markup. Renderers never compute a number and
builders never write markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from mlroi.stats.interval import Interval

Tone = Literal["plain", "good", "bad", "warn", "muted", "strong", "alarm", "note"]
"""How a piece of text reads: renderers map tones to colours or emphasis.

``good`` / ``bad`` a favourable or unfavourable verdict, ``warn`` something that could not be
estimated, ``muted`` a side remark, ``strong`` a headline, ``alarm`` a check that invalidates the
rest, ``note`` a caveat (rendered with a ``note:`` prefix).
"""


def interval_tone(iv: Interval) -> Tone:
    """``good`` for an interval wholly above zero, ``bad`` wholly below, else ``plain``."""
    if iv.lower > 0:
        return "good"
    if iv.upper < 0:
        return "bad"
    return "plain"


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


Unit = Literal["number", "money", "percent", "share", "months"]
"""How an axis writes its numbers (through :mod:`mlroi.formatting`): ``percent`` a signed
relative change, ``share`` an unsigned share of the rows."""


def slug(text: str) -> str:
    """``text`` as a DOM id: lower-case ASCII letters and digits joined by ``-``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "chart-" + "-".join(words) if words else "chart"


@dataclass(frozen=True)
class Axis:
    """A chart axis: its label (with the unit in words) and how its numbers are written."""

    label: str
    unit: Unit = "number"
    currency: str = "USD"


@dataclass(frozen=True)
class _Titled:
    """What every chart has: a title, and a DOM id made from it."""

    title: str

    @property
    def id(self) -> str:
        """The chart's DOM id."""
        return slug(self.title)


@dataclass(frozen=True)
class ForestRow:
    """One estimate with its interval."""

    label: str
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class ForestChart(_Titled):
    """Estimates with intervals, one row each, against a reference line (no effect)."""

    kind: ClassVar[str] = "forest"
    rows: tuple[ForestRow, ...]
    axis: Axis
    reference: float = 0.0


@dataclass(frozen=True)
class Series:
    """A named line: ``x`` and ``y`` of the same length, with an optional band (``lower`` and
    ``upper``, as long as ``x``, e.g. a pointwise confidence interval) shaded around it."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    lower: tuple[float, ...] = ()
    upper: tuple[float, ...] = ()


@dataclass(frozen=True)
class Span:
    """A shaded range of x (e.g. the thresholds that meet every constraint)."""

    label: str
    start: float
    end: float


@dataclass(frozen=True)
class Marker:
    """A marked point (e.g. the chosen threshold, the payback month)."""

    label: str
    x: float
    y: float


@dataclass(frozen=True)
class LineChart(_Titled):
    """One or more lines over a shared x axis, with optional shaded ranges and marked points."""

    kind: ClassVar[str] = "line"
    series: tuple[Series, ...]
    x_axis: Axis
    y_axis: Axis
    spans: tuple[Span, ...] = ()
    markers: tuple[Marker, ...] = ()


@dataclass(frozen=True)
class Bar:
    """One labelled value."""

    label: str
    value: float


@dataclass(frozen=True)
class BarChart(_Titled):
    """Labelled values as horizontal bars from 0 (e.g. a cost breakdown)."""

    kind: ClassVar[str] = "bar"
    bars: tuple[Bar, ...]
    axis: Axis


@dataclass(frozen=True)
class TornadoRow:
    """The outcome with one input at the low and at the high end of its range."""

    label: str
    low: float
    high: float


@dataclass(frozen=True)
class TornadoChart(_Titled):
    """One bar per input from the outcome at its low end to that at its high end, around
    ``base`` (widest first, as given)."""

    kind: ClassVar[str] = "tornado"
    rows: tuple[TornadoRow, ...]
    base: float
    base_label: str
    axis: Axis


@dataclass(frozen=True)
class Histogram(_Titled):
    """Counts in bins (``edges`` has one more entry than ``counts``), with a line at
    ``marker`` (e.g. 0)."""

    kind: ClassVar[str] = "histogram"
    edges: tuple[float, ...]
    counts: tuple[float, ...]
    axis: Axis
    marker: float | None = 0.0


Chart = ForestChart | LineChart | BarChart | TornadoChart | Histogram
"""A chart: numbers and labels only; :mod:`mlroi.report.charts` draws it."""


@dataclass(frozen=True)
class WhatIfLine:
    """One line of the what-if panel: a driver (with its lift and margin) or a cost line.

    Attributes:
        name: as the report names it elsewhere.
        kind: ``value`` and ``cost`` for drivers (a driver booked as a cost), ``cost line``.
        flow: per month (month 0 first), a driver's value per unit of lift at a margin of 1,
            or a cost line's cost.
        lift: a driver's lift per unit at its point (None for a cost line).
        margin: a value driver's margin at its point (None otherwise).
    """

    name: str
    kind: Literal["value", "cost", "cost line"]
    flow: tuple[float, ...]
    lift: float | None = None
    margin: float | None = None


@dataclass(frozen=True)
class WhatIfPanel:
    """Inputs a reader can change in the page and the flows the figures are recomputed from.

    The renderer only scales, cuts at the horizon, discounts and sums (as
    :func:`mlroi.roi.whatif.figures` does), so the model stays in Python.
    """

    currency: str
    horizon_months: int
    discount_rate: float
    lines: tuple[WhatIfLine, ...]

    @property
    def months(self) -> int:
        """The longest horizon the flows cover."""
        return len(self.lines[0].flow) - 1 if self.lines else self.horizon_months


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
        charts: charts to draw (in the HTML report; other renderers name or skip them).
        what_if: inputs to change in the page (the HTML report only).
    """

    label: str
    sections: tuple[Section, ...]
    title: str | None = None
    context: tuple[Sentence, ...] = ()
    headline: Sentence | None = None
    charts: tuple[Chart, ...] = ()
    what_if: WhatIfPanel | None = None

    def sentences(self) -> list[str]:
        """The prose of the view (headline first), without tables."""
        out = [] if self.headline is None else [self.headline.text]
        for section in self.sections:
            out.extend(b.text for b in section.blocks if isinstance(b, Sentence))
        return out
