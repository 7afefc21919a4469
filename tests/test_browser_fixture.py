"""Tests of the browser fixture: it records requests, console and page errors, and dialogs.

The report tests rely on these records to say a page is self-contained and quiet, so each kind
of record is shown to catch what it is for, and a clean page is shown to record nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from browser import PageVisit

pytestmark = pytest.mark.browser

Open = Callable[[Path], PageVisit]

SELF_CONTAINED = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Self-contained</title>
<style>body { font-family: sans-serif; } .mlroi-chart path { stroke: #0072b2; }</style>
</head><body>
<h1>Revenue per user</h1>
<svg class="mlroi-chart" data-chart="line" width="200" height="100" viewBox="0 0 200 100">
  <path d="M0 90 L50 60 L100 70 L150 30 L200 10" fill="none" stroke-width="2"/>
</svg>
<script>document.body.dataset.ready = "yes";</script>
</body></html>
"""


def _write(tmp_path: Path, html: str) -> Path:
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_self_contained_page_records_nothing(open_in_chromium: Open, tmp_path: Path) -> None:
    seen = open_in_chromium(_write(tmp_path, SELF_CONTAINED))
    assert seen.problems() == ""
    assert seen.count('svg.mlroi-chart[data-chart="line"]') == 1
    assert seen.count("svg.mlroi-chart path") == 1
    assert seen.text_of("h1") == "Revenue per user"
    assert seen.page.evaluate("document.body.dataset.ready") == "yes"
    assert seen.screenshot is not None and seen.screenshot.stat().st_size > 0


def test_external_resources_are_recorded(open_in_chromium: Open, tmp_path: Path) -> None:
    html = (
        '<!doctype html><html><head><link rel="stylesheet" href="https://cdn.example/x.css">'
        '</head><body><img src="http://example.invalid/x.png" alt=""></body></html>'
    )
    seen = open_in_chromium(_write(tmp_path, html))
    assert sorted(seen.requests) == ["http://example.invalid/x.png", "https://cdn.example/x.css"]


def test_uncaught_exception_is_recorded(open_in_chromium: Open, tmp_path: Path) -> None:
    html = '<!doctype html><body><script>throw new Error("chart data missing")</script></body>'
    seen = open_in_chromium(_write(tmp_path, html))
    assert len(seen.page_errors) == 1
    assert "chart data missing" in seen.page_errors[0]


def test_console_error_is_recorded(open_in_chromium: Open, tmp_path: Path) -> None:
    html = '<!doctype html><body><script>console.error("bad margin")</script></body>'
    seen = open_in_chromium(_write(tmp_path, html))
    assert seen.console_errors == ["bad margin"]
    assert seen.page_errors == []


def test_escaped_script_is_text_and_never_runs(open_in_chromium: Open, tmp_path: Path) -> None:
    html = (
        '<!doctype html><meta charset="utf-8"><body>'
        "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"
        "<script>alert(2)</script></body>"
    )
    seen = open_in_chromium(_write(tmp_path, html))
    # The live script proves dialogs are recorded; the escaped one is only text.
    assert seen.dialogs == ["alert: 2"]
    assert seen.text_of("h1") == "<script>alert(1)</script>"
    assert seen.count("h1 script") == 0
