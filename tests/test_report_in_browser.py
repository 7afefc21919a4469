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


@pytest.mark.parametrize("stem", ["recommender", "churn", "fraud", "feed"])
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
