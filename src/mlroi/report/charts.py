"""Charts as inline SVG, drawn in Python when the report is built.

Why SVG strings and not a charting library: the report must open offline as one small file
(under 1.5 MB) and print cleanly. Plotly's bundle alone is 4.8 MB, Vega-Lite needs a script
and its runtime, while an inline ``<svg>`` needs no JavaScript, no CDN and no font, weighs a
few kilobytes, scales to any width and prints as vectors. The charts are few and simple
(lines, bars, intervals), so a small hand-written drawer is less code than adapting a library's
output to those constraints.

Every chart's root ``<svg>`` has ``class="mlroi-chart"``, ``data-chart="<kind>"``,
``role="img"`` and a ``<title>``, so a browser test (and a screen reader) can find it. Every
text goes through :func:`html.escape`; non-finite numbers are skipped, never printed; the
same chart gives the same bytes. Colours are the Okabe–Ito palette, safe for colour-blind
readers. The root has no ``xmlns``: an HTML parser puts an inline ``<svg>`` in the SVG namespace
itself, and the page then holds no URL at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from html import escape

from mlroi import formatting as fmt
from mlroi.report.view import (
    Axis,
    BarChart,
    Chart,
    ForestChart,
    Histogram,
    LineChart,
    TornadoChart,
)

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision."""

WIDTH = 640
_LINE_HEIGHT = 300
_ROW = 24
_TOP = 34
_BOTTOM = 44
_TEXT = "font-family:system-ui,sans-serif;font-size:11px;fill:#222"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round ticks (1, 2, 2.5 or 5 times a power of ten) covering
    ``[low, high]``.

    Args:
        low: smallest value to cover.
        high: largest value to cover.
        count: how many ticks to aim for.

    Returns:
        Increasing ticks, the first ``<= low`` and the last ``>= high``; a single finite
        value gets a range around it; no finite bound gives ``[0, 1]``.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    low, high = min(low, high), max(low, high)
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    digits = max(0, 2 - math.floor(math.log10(step)) + 12)
    return [round(k * step, min(digits, 15)) + 0.0 for k in range(first, last + 1)]


def _step_digits(ticks: Sequence[float], scale: float) -> int:
    """The fewest decimals that write every tick, multiplied by ``scale``, exactly."""
    for digits in range(7):
        if all(abs(round(t * scale, digits) - t * scale) < 1e-9 for t in ticks):
            return digits
    return 7


def tick_label(x: float, axis: Axis, ticks: Sequence[float]) -> str:
    """One tick's number, written as the axis's unit is written everywhere else."""
    if axis.unit == "money":
        text = fmt.money(x, axis.currency)
        return text.removesuffix(".00") if x == 0 else text
    if axis.unit == "percent":
        return fmt.percent(x, _step_digits(ticks, 100))
    if axis.unit == "share":
        return fmt.share(x, _step_digits(ticks, 100))
    if axis.unit == "months":
        return fmt.number(x)
    return fmt.number(x)


def value_label(x: float, axis: Axis) -> str:
    """A data value (not a tick) in the axis's unit."""
    if axis.unit == "money":
        return fmt.money(x, axis.currency)
    if axis.unit == "percent":
        return fmt.percent(x)
    if axis.unit == "share":
        return fmt.share(x)
    if axis.unit == "months":
        return fmt.months(x)
    return fmt.value(x)


def _finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _n(x: float) -> str:
    """A coordinate: one decimal, no ``-0.0``."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _scale(ticks: Sequence[float], start: float, end: float) -> Callable[[float], float]:
    lo, hi = ticks[0], ticks[-1]
    span = hi - lo or 1.0
    return lambda v: start + (v - lo) / span * (end - start)


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _open(chart: Chart, height: float) -> str:
    title = escape(chart.title)
    return (
        f'<svg class="mlroi-chart" data-chart="{chart.kind}"'
        f' id="{escape(chart.id)}" role="img" aria-label="{title}"'
        f' viewBox="0 0 {WIDTH} {_n(height)}" width="100%" style="max-width:{WIDTH}px;{_TEXT}">'
        f"<title>{title}</title>"
        + _text(8, 16, chart.title, extra=' font-weight="bold" font-size="13"')
    )


def _empty(chart: Chart) -> str:
    return _open(chart, 60) + _text(WIDTH / 2, 42, "no data to plot", "middle") + "</svg>"


def _x_axis(
    ticks: Sequence[float], sx: Callable[[float], float], axis: Axis, y0: float, y1: float
) -> str:
    """Vertical grid lines with the tick labels under them, and the axis label."""
    parts = []
    for t in ticks:
        x = _n(sx(t))
        parts.append(f'<line x1="{x}" x2="{x}" y1="{_n(y0)}" y2="{_n(y1)}" stroke="#ddd"/>')
        parts.append(_text(sx(t), y1 + 14, tick_label(t, axis, ticks), "middle"))
    mid = (sx(ticks[0]) + sx(ticks[-1])) / 2
    parts.append(_text(mid, y1 + 32, axis.label, "middle"))
    return "".join(parts)


def _y_axis(
    ticks: Sequence[float], sy: Callable[[float], float], axis: Axis, x0: float, x1: float
) -> str:
    """Horizontal grid lines with the tick labels left of them, and the axis label."""
    parts = []
    for t in ticks:
        y = _n(sy(t))
        parts.append(f'<line x1="{_n(x0)}" x2="{_n(x1)}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        parts.append(_text(x0 - 4, sy(t) + 4, tick_label(t, axis, ticks), "end"))
    mid = (sy(ticks[0]) + sy(ticks[-1])) / 2
    parts.append(_text(12, mid, axis.label, "middle", f' transform="rotate(-90 12 {_n(mid)})"'))
    return "".join(parts)


def _vline(x: float, y0: float, y1: float, colour: str = "#444", dash: str = "4 3") -> str:
    return (
        f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y0)}" y2="{_n(y1)}" stroke="{colour}"'
        f' stroke-dasharray="{dash}"/>'
    )


def _label_width(labels: Iterable[str]) -> float:
    """Room left of the plot for row labels (at most a third of the width)."""
    longest = max((len(s) for s in labels), default=0)
    return min(WIDTH / 3, 16 + 6.2 * longest)


def _short(label: str, room: float) -> str:
    most = max(4, int((room - 12) / 6.2))
    return label if len(label) <= most else label[: most - 1] + "…"


def forest(chart: ForestChart) -> str:
    """Each estimate as a square on its interval, against a dashed reference line."""
    rows = [
        r for r in chart.rows if math.isfinite(r.estimate) and _finite((r.lower, r.upper)) != []
    ]
    if not rows:
        return _empty(chart)
    values = [v for r in rows for v in _finite((r.estimate, r.lower, r.upper))]
    ticks = nice_ticks(min(*values, chart.reference), max(*values, chart.reference))
    left = _label_width(r.label for r in rows)
    sx = _scale(ticks, left, WIDTH - 20)
    bottom = _TOP + _ROW * len(rows)
    parts = [_open(chart, bottom + _BOTTOM), _x_axis(ticks, sx, chart.axis, _TOP, bottom)]
    parts.append(_vline(sx(chart.reference), _TOP, bottom))
    for i, r in enumerate(rows):
        y = _TOP + _ROW * (i + 0.5)
        lo = r.lower if math.isfinite(r.lower) else ticks[0]
        hi = r.upper if math.isfinite(r.upper) else ticks[-1]
        parts.append(_text(left - 8, y + 4, _short(r.label, left), "end"))
        parts.append(
            f'<line x1="{_n(sx(lo))}" x2="{_n(sx(hi))}" y1="{_n(y)}" y2="{_n(y)}"'
            f' stroke="{PALETTE[0]}" stroke-width="2"/>'
        )
        parts.append(
            f'<rect x="{_n(sx(r.estimate) - 4)}" y="{_n(y - 4)}" width="8" height="8"'
            f' fill="{PALETTE[0]}"><title>{escape(r.label)}: '
            f"{escape(value_label(r.estimate, chart.axis))} "
            f"[{escape(value_label(r.lower, chart.axis))}, "
            f"{escape(value_label(r.upper, chart.axis))}]</title></rect>"
        )
    return "".join(parts) + "</svg>"


def _segments(xs: Sequence[float], ys: Sequence[float]) -> list[list[tuple[float, float]]]:
    """The points split where a value is not finite (a gap, not a jump through it)."""
    out: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=False):
        if math.isfinite(x) and math.isfinite(y):
            out[-1].append((x, y))
        elif out[-1]:
            out.append([])
    return [s for s in out if s]


def _band(
    xs: Sequence[float], lower: Sequence[float], upper: Sequence[float]
) -> list[list[tuple[float, float]]]:
    """A band's stretches where x and both ends are finite, each as its lower points then its
    upper points (in the same x order)."""
    out: list[list[tuple[float, float]]] = []
    lows: list[tuple[float, float]] = []
    highs: list[tuple[float, float]] = []
    for x, lo, hi in zip(xs, lower, upper, strict=False):
        if math.isfinite(x) and math.isfinite(lo) and math.isfinite(hi):
            lows.append((x, lo))
            highs.append((x, hi))
        elif lows:
            out.append(lows + highs)
            lows, highs = [], []
    if lows:
        out.append(lows + highs)
    return out


def line(chart: LineChart) -> str:
    """Each series as a polyline; spans shaded behind them; markers as labelled dots."""
    drawn = [(s.name, _segments(s.x, s.y)) for s in chart.series]
    bands = [_band(s.x, s.lower, s.upper) for s in chart.series]
    points = [p for _, segs in drawn for seg in segs for p in seg]
    points += [p for band in bands for seg in band for p in seg]
    markers = [m for m in chart.markers if math.isfinite(m.x) and math.isfinite(m.y)]
    points += [(m.x, m.y) for m in markers]
    if not points:
        return _empty(chart)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    xt = nice_ticks(min(xs), max(xs))
    yt = nice_ticks(min(ys), max(ys))
    named = [name for name, segs in drawn if segs] if len(chart.series) > 1 else []
    keyed = [m.label for m in markers] if len(markers) > 1 else []
    top = _TOP + 14.0 * (len(named) + len(keyed))
    left, right, bottom = 78.0, WIDTH - 16.0, _LINE_HEIGHT - _BOTTOM + top - _TOP
    sx = _scale(xt, left, right)
    sy = _scale(yt, bottom, top)
    parts = [_open(chart, _LINE_HEIGHT + top - _TOP)]
    for span in chart.spans:
        if not (math.isfinite(span.start) and math.isfinite(span.end)):
            continue
        a = sx(max(min(span.start, span.end), xt[0]))
        b = sx(min(max(span.start, span.end), xt[-1]))
        parts.append(
            f'<rect x="{_n(a)}" y="{_n(top)}" width="{_n(max(b - a, 1.0))}"'
            f' height="{_n(bottom - top)}" fill="{PALETTE[2]}" fill-opacity="0.12">'
            f"<title>{escape(span.label)}</title></rect>"
        )
    parts.append(_x_axis(xt, sx, chart.x_axis, top, bottom))
    parts.append(_y_axis(yt, sy, chart.y_axis, left, right))
    if yt[0] < 0 < yt[-1]:
        y0 = _n(sy(0.0))
        parts.append(f'<line x1="{_n(left)}" x2="{_n(right)}" y1="{y0}" y2="{y0}" stroke="#888"/>')
    for i, band in enumerate(bands):
        for seg in band:
            half = len(seg) // 2
            outline = seg[:half] + seg[half:][::-1]
            coords = " ".join(f"{_n(sx(x))},{_n(sy(y))}" for x, y in outline)
            parts.append(
                f'<polygon points="{coords}" fill="{PALETTE[i % len(PALETTE)]}"'
                ' fill-opacity="0.15" stroke="none"/>'
            )
    legend = 0
    for i, (name, segs) in enumerate(drawn):
        colour = PALETTE[i % len(PALETTE)]
        for seg in segs:
            coords = " ".join(f"{_n(sx(x))},{_n(sy(y))}" for x, y in seg)
            if len(seg) == 1:
                x, y = seg[0]
                parts.append(f'<circle cx="{_n(sx(x))}" cy="{_n(sy(y))}" r="3" fill="{colour}"/>')
            else:
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
        if len(chart.series) > 1 and segs:
            y = _TOP + 14.0 * legend + 4
            parts.append(
                f'<rect x="{_n(left)}" y="{_n(y - 8)}" width="12" height="3" fill="{colour}"/>'
            )
            parts.append(_text(left + 16, y, name))
            legend += 1
    for k, m in enumerate(markers):
        x, y = sx(m.x), sy(m.y)
        parts.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4.5" fill="none" stroke="#000"'
            f' stroke-width="1.5"><title>{escape(m.label)}</title></circle>'
        )
        # one marker is labelled beside it; several are numbered and listed above the plot,
        # since close markers' labels would overlap
        text = m.label if not keyed else str(k + 1)
        anchor = "end" if x > (left + right) / 2 else "start"
        parts.append(_text(x + (-7 if anchor == "end" else 7), y - 7, text, anchor))
        if keyed:
            parts.append(_text(left, _TOP + 14.0 * (legend + k) + 4, f"{k + 1}: {m.label}"))
    return "".join(parts) + "</svg>"


def bar(chart: BarChart) -> str:
    """Each value as a horizontal bar from 0, its amount at the bar's end."""
    bars = [b for b in chart.bars if math.isfinite(b.value)]
    if not bars:
        return _empty(chart)
    values = [b.value for b in bars]
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    left = _label_width(b.label for b in bars)
    sx = _scale(ticks, left, WIDTH - 70)
    bottom = _TOP + _ROW * len(bars)
    parts = [_open(chart, bottom + _BOTTOM), _x_axis(ticks, sx, chart.axis, _TOP, bottom)]
    zero = sx(0.0)
    for i, b in enumerate(bars):
        y = _TOP + _ROW * i
        end = sx(b.value)
        parts.append(_text(left - 8, y + _ROW / 2 + 4, _short(b.label, left), "end"))
        parts.append(
            f'<rect x="{_n(min(zero, end))}" y="{_n(y + 4)}" width="{_n(abs(end - zero))}"'
            f' height="{_ROW - 8}" fill="{PALETTE[0]}"/>'
        )
        parts.append(_text(max(zero, end) + 4, y + _ROW / 2 + 4, value_label(b.value, chart.axis)))
    parts.append(_vline(zero, _TOP, bottom, "#444", "none"))
    return "".join(parts) + "</svg>"


def tornado(chart: TornadoChart) -> str:
    """Each input's bar from the base outcome to the outcome at its low end (one colour) and at
    its high end (another)."""
    rows = [r for r in chart.rows if math.isfinite(r.low) and math.isfinite(r.high)]
    if not rows or not math.isfinite(chart.base):
        return _empty(chart)
    values = [v for r in rows for v in (r.low, r.high)]
    ticks = nice_ticks(min(chart.base, *values), max(chart.base, *values))
    left = _label_width(r.label for r in rows)
    sx = _scale(ticks, left, WIDTH - 20)
    top = _TOP + 16
    bottom = top + _ROW * len(rows)
    base = sx(chart.base)
    parts = [_open(chart, bottom + _BOTTOM + 16), _x_axis(ticks, sx, chart.axis, top, bottom)]
    for k, name in enumerate(("input at its low end", "input at its high end")):
        x = left + 170 * k
        parts.append(
            f'<rect x="{_n(x)}" y="{_TOP - 6}" width="10" height="10" fill="{PALETTE[k]}"/>'
        )
        parts.append(_text(x + 14, _TOP + 3, name))
    for i, r in enumerate(rows):
        y = top + _ROW * i
        parts.append(_text(left - 8, y + _ROW / 2 + 4, _short(r.label, left), "end"))
        for k, v in enumerate((r.low, r.high)):
            end = sx(v)
            parts.append(
                f'<rect x="{_n(min(base, end))}" y="{_n(y + 4)}" width="{_n(abs(end - base))}"'
                f' height="{_ROW - 8}" fill="{PALETTE[k]}" fill-opacity="0.85">'
                f"<title>{escape(r.label)}: {escape(value_label(v, chart.axis))}</title></rect>"
            )
    parts.append(_vline(base, top - 4, bottom, "#000", "none"))
    base_text = f"{chart.base_label} {value_label(chart.base, chart.axis)}"
    parts.append(_text(base, bottom + 50, base_text, "middle"))
    return "".join(parts) + "</svg>"


def histogram(chart: Histogram) -> str:
    """Counts as adjoining bars over their bins, with a dashed line at the marker."""
    bins = [
        (a, b, c)
        for a, b, c in zip(chart.edges, chart.edges[1:], chart.counts, strict=False)
        if math.isfinite(a) and math.isfinite(b) and math.isfinite(c) and b > a
    ]
    if not bins:
        return _empty(chart)
    edges = [x for a, b, _ in bins for x in (a, b)]
    marker = chart.marker if chart.marker is not None and math.isfinite(chart.marker) else None
    lo, hi = min(edges), max(edges)
    xt = nice_ticks(
        lo if marker is None else min(lo, marker), hi if marker is None else max(hi, marker)
    )
    yt = nice_ticks(0.0, max(c for _, _, c in bins) or 1.0)
    left, right, bottom = 78.0, WIDTH - 16.0, _LINE_HEIGHT - _BOTTOM
    sx, sy = _scale(xt, left, right), _scale(yt, bottom, _TOP)
    parts = [_open(chart, _LINE_HEIGHT), _x_axis(xt, sx, chart.axis, _TOP, bottom)]
    parts.append(_y_axis(yt, sy, Axis("count"), left, right))
    for a, b, c in bins:
        parts.append(
            f'<rect x="{_n(sx(a))}" y="{_n(sy(c))}" width="{_n(sx(b) - sx(a))}"'
            f' height="{_n(sy(0.0) - sy(c))}" fill="{PALETTE[0]}" stroke="#fff"'
            ' stroke-width="0.5"/>'
        )
    if marker is not None:
        parts.append(_vline(sx(marker), _TOP, bottom, PALETTE[3]))
    return "".join(parts) + "</svg>"


def svg(chart: Chart) -> str:
    """The chart as an inline ``<svg>`` element (one string, no newline)."""
    if isinstance(chart, ForestChart):
        return forest(chart)
    if isinstance(chart, LineChart):
        return line(chart)
    if isinstance(chart, BarChart):
        return bar(chart)
    if isinstance(chart, TornadoChart):
        return tornado(chart)
    return histogram(chart)
