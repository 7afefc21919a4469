"""Charts drawn as inline SVG: valid XML, escaped text, no NaN, round ticks, one per builder."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from mlroi.decision.analysis import decide
from mlroi.decision.result import DecisionResult
from mlroi.pipeline import evaluate
from mlroi.report import decision, experiment, html, markdown, roi
from mlroi.report.charts import nice_ticks, svg
from mlroi.report.view import (
    Axis,
    Bar,
    BarChart,
    Chart,
    ForestChart,
    ForestRow,
    Histogram,
    LineChart,
    Marker,
    Section,
    Series,
    Span,
    TornadoChart,
    TornadoRow,
    View,
)
from mlroi.roi.result import RoiResult
from mlroi.spec.case import Case, load_case

EXAMPLES = Path(__file__).parents[1] / "examples"
EVIL = "<script>alert(1)</script> \"quoted\" 'single' & שלום עולם 收入 ↗"
NAN = float("nan")
INF = float("inf")


def every_kind(label: str = "a", values: tuple[float, ...] = (1.0, -2.0, 3.5)) -> list[Chart]:
    """One chart of each kind, every text ``label`` and every number from ``values``."""
    v = values
    money = Axis(label, "money")
    return [
        ForestChart(label, tuple(ForestRow(label, x, x - 1, x + 1) for x in v), Axis(label)),
        LineChart(
            label,
            (Series(label, tuple(float(i) for i in range(len(v))), v), Series(label, v, v)),
            Axis(label, "share"),
            money,
            spans=(Span(label, 0.0, 1.0),),
            markers=(Marker(label, 1.0, 1.0), Marker(label, 0.0, 2.0)),
        ),
        BarChart(label, tuple(Bar(label, x) for x in v), money),
        TornadoChart(label, tuple(TornadoRow(label, x, -x) for x in v), 0.5, label, money),
        Histogram(label, (*v, 4.0), v, Axis(label, "percent")),
    ]


def parsed(chart: Chart) -> ET.Element:
    root = ET.fromstring(svg(chart))
    assert root.tag == "svg"
    assert root.get("class") == "mlroi-chart" and root.get("data-chart") == chart.kind
    assert root.get("role") == "img" and root.get("viewBox")
    return root


def texts(root: ET.Element) -> list[str]:
    return [t for e in root.iter() for t in (e.text, e.tail) if t]


@pytest.mark.parametrize("chart", every_kind(), ids=lambda c: c.kind)
def test_every_chart_is_an_svg_element_a_browser_test_can_find(chart: Chart) -> None:
    root = parsed(chart)
    assert root.findtext("title") == chart.title
    assert root.get("id") == chart.id == "chart-a"


@pytest.mark.parametrize("chart", every_kind(EVIL), ids=lambda c: c.kind)
def test_user_text_is_escaped_and_shown_as_text(chart: Chart) -> None:
    raw = svg(chart)
    assert "<script" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    root = parsed(chart)
    assert EVIL in texts(root) or any(EVIL.startswith(t.rstrip("…")) for t in texts(root))
    assert root.findtext("title") == EVIL
    assert root.get("aria-label") == EVIL


@pytest.mark.parametrize(
    "values",
    [(NAN, 1.0, INF, -INF, 2.0), (NAN,), (), (5.0,), (3.0, 3.0, 3.0), (-4.0, -1.0, -2.5)],
    ids=["some-nan", "all-nan", "empty", "single", "all-equal", "negative"],
)
def test_edge_cases_draw_without_printing_nan(values: tuple[float, ...]) -> None:
    for chart in every_kind("x", values):
        raw = svg(chart)
        parsed(chart)
        assert "nan" not in raw.lower() and "inf" not in raw.lower()


def test_a_chart_without_finite_data_says_so() -> None:
    chart = BarChart("t", (Bar("a", NAN),), Axis("x"))
    assert "no data to plot" in texts(parsed(chart))


def test_the_same_chart_gives_the_same_bytes() -> None:
    assert [svg(c) for c in every_kind()] == [svg(c) for c in every_kind()]


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, 1), (-0.0417, 0.0333), (3, 3), (0, 0), (-3e6, 31e6), (0.0012, 0.0079), (-7, -2)],
)
def test_ticks_are_round_numbers_covering_the_data(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 3 <= len(ticks) <= 8
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    assert all(math.isclose(b - a, step) for a, b in itertools.pairwise(ticks))
    assert all(math.isclose(t / step, round(t / step), abs_tol=1e-9) for t in ticks)


def test_ticks_of_a_non_finite_range_fall_back_to_zero_one() -> None:
    assert nice_ticks(NAN, 1.0) == [0.0, 1.0]


def test_axis_ticks_are_written_as_their_unit() -> None:
    chart = ForestChart("t", (ForestRow("a", 0.04, -0.01, 0.075),), Axis("lift", "percent"))
    shown = texts(parsed(chart))
    assert "+2.5%" in shown and "+0.0%" in shown


def test_html_draws_each_chart_in_a_figure_and_markdown_names_it() -> None:
    view = View(label="v", sections=(Section(()),), charts=tuple(every_kind(EVIL)))
    page = html.fragment(view)
    assert page.count("<figure") == page.count('class="mlroi-chart"') == len(view.charts)
    assert "<script" not in page
    text = markdown.render(view)
    assert text.count("chart in the HTML report") == len(view.charts)
    assert "\\<script>" in text  # escaped as every Markdown text is


# the builders, on the example cases ---------------------------------------------------------


def small(case: Case) -> Case:
    sim = case.simulation.model_copy(update={"draws": 2_000})
    return case.model_copy(update={"simulation": sim})


@cache
def roi_of(name: str) -> RoiResult:
    return evaluate(small(load_case(EXAMPLES / f"{name}.yaml")), base=EXAMPLES)


@cache
def decision_of(name: str) -> DecisionResult:
    case = load_case(EXAMPLES / f"{name}.yaml")
    assert case.decision is not None
    return decide(
        case.decision,
        base=EXAMPLES,
        seed=case.simulation.seed,
        level=case.simulation.level,
        currency=case.finance.currency,
    )


def kinds(view: View) -> list[str]:
    for chart in view.charts:
        parsed(chart)
    return [c.kind for c in view.charts]


def test_roi_view_draws_cash_flow_drivers_net_roi_costs_and_sensitivity() -> None:
    r = roi_of("recommender")
    view = roi.view(r)
    assert kinds(view) == ["line", "line", "bar", "histogram", "bar", "tornado"]
    cash = view.charts[0]
    assert isinstance(cash, LineChart)
    assert [m.x for m in cash.markers] == [r.payback_months.estimate]
    assert len(cash.series[0].x) == len(r.schedule)


def test_the_recommender_roi_html_stays_small() -> None:
    assert len(html.document(roi.view(roi_of("recommender"))).encode()) < 150_000


def test_readout_view_draws_a_forest_of_the_estimable_lifts() -> None:
    readout = roi_of("churn").experiment
    assert readout is not None
    view = experiment.view(readout)
    assert kinds(view) == ["forest"]
    chart = view.charts[0]
    assert isinstance(chart, ForestChart)
    estimable = [c for c in readout.comparisons if c.status == "ok" and c.relative is not None]
    assert [r.estimate for r in chart.rows] == [c.relative.estimate for c in estimable]


def test_decision_view_draws_each_models_value_curve_and_the_campaigns_targeting() -> None:
    d = decision_of("churn")
    view = decision.view(d)
    assert kinds(view) == ["line"] * (len(d.models) + 2 * (d.uplift is not None))
    if d.uplift is not None:  # the uplift curves start at treating nobody and end at everyone
        qini = view.charts[-1]
        assert isinstance(qini, LineChart)
        for series in qini.series:
            assert series.x[0] == 0.0 and series.x[-1] == 1.0 and series.y[0] == 0.0
        ends = {s.y[-1] for s in qini.series}
        assert max(ends) - min(ends) <= 1e-9 * max(1.0, max(abs(e) for e in ends))
    chosen = view.charts[0]
    assert isinstance(chosen, LineChart)
    point = d.champion.point
    assert point is not None
    assert [(m.x, m.y) for m in chosen.markers] == [
        (point["threshold"], point["incremental_value"])
    ]
    assert len(chosen.series[0].x) <= decision.CHART_POINTS + 1
    # the chosen threshold lies in a shaded (feasible) range
    assert any(s.start <= point["threshold"] <= s.end for s in chosen.spans)


def test_thinning_keeps_the_ends_and_the_chosen_point() -> None:
    keep = decision.thinned(10_000, 400, 1234)
    assert keep[0] == 0 and keep[-1] == 9_999 and 1234 in keep and len(keep) <= 401
    assert decision.thinned(5, 400, None) == [0, 1, 2, 3, 4]
