"""Each example's stakeholder report opened in real headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from browser import PageVisit
from mlroi.pipeline import run_case
from mlroi.report.files import write_report
from mlroi.spec.case import load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("stem", ["recommender", "churn", "fraud", "feed", "video"])
def test_the_report_opens_offline_with_every_chart_and_the_json_headline(
    stem: str, tmp_path: Path, open_in_chromium: Callable[[Path], PageVisit]
) -> None:
    path = EXAMPLES / f"{stem}.yaml"
    paths = write_report(run_case(load_case(path), base=path.parent), tmp_path)
    seen = open_in_chromium(paths["report.html"])
    assert seen.problems() == ""  # no request, console error, page error or dialog
    page = paths["report.html"].read_text(encoding="utf-8")
    assert seen.count("svg.mlroi-chart") == page.count('class="mlroi-chart"') + page.count(
        "class='mlroi-chart'"
    )
    assert seen.count("svg.mlroi-chart") >= 2
    headline = json.loads(paths["result.json"].read_text(encoding="utf-8"))["roi"]["headline"]
    assert headline in seen.text
    assert paths["report.html"].stat().st_size < 1_500_000


def _figures_in(seen: PageVisit) -> dict[str, float]:
    cells = seen.page.locator("section.what-if [data-figure]")
    return {
        cells.nth(i).get_attribute("data-figure") or "": float(
            cells.nth(i).get_attribute("data-value") or "nan"
        )
        for i in range(cells.count())
    }


def test_the_what_if_panel_reproduces_python_for_changed_inputs(
    tmp_path: Path, open_in_chromium: Callable[[Path], PageVisit]
) -> None:
    from mlroi.roi import whatif

    path = EXAMPLES / "recommender.yaml"
    case = load_case(path)
    result = run_case(case, base=path.parent)
    paths = write_report(result, tmp_path)
    seen = open_in_chromium(paths["report.html"])
    assert seen.problems() == ""
    r = result.roi
    assert r.what_if is not None
    kinds = [d.counts_as for d in case.value.drivers]
    lifts = [x.estimate for x in r.lifts]
    margins = list(r.what_if.driver_margins)
    n_drivers = len(lifts)

    def check(inputs: whatif.Inputs) -> None:
        want = whatif.figures(r.what_if, kinds, inputs, r.horizon_months, r.discount_rate)
        got = _figures_in(seen)
        assert set(got) == set(want)
        for name, x in want.items():
            assert got[name] == pytest.approx(x, rel=1e-9), name

    # at the case's inputs, the page shows the point figures
    check(whatif.Inputs(lifts=lifts, margins=margins))
    assert _figures_in(seen)["npv"] == pytest.approx(r.npv.estimate, rel=1e-9)
    # a changed margin, a changed cost line, a longer horizon, another rate and population
    page = seen.page
    page.fill("section.what-if [name='margin-0']", "0.22")
    page.fill(f"section.what-if [name='factor-{n_drivers + 1}']", "3")
    page.fill("section.what-if [name='horizon']", "36")
    page.fill("section.what-if [name='rate']", "15")
    page.fill("section.what-if [name='population']", "80")
    factors = [1.0] * len(r.what_if.cost_flows)
    factors[1] = 3.0
    check(
        whatif.Inputs(
            lifts=lifts,
            margins=[0.22, *margins[1:]],
            population=0.8,
            cost_factors=factors,
            horizon_months=36,
            discount_rate=0.15,
        )
    )
    # an input that makes no sense shows no figure, never a number
    page.fill("section.what-if [name='horizon']", "-3")
    assert "check the inputs" in seen.text_of("section.what-if table")
    assert seen.problems() == ""
