"""A case whose every text is hostile shows it as text: in Chromium, and in a CommonMark parser.

The name, goal, intervention, population, primary metric, model metric, constraint, experiment
metric, segment values aside, driver and cost line all hold a script tag, both kinds of quote,
a table pipe, right-to-left text (Arabic and Hebrew) and CJK text.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from markdown_it import MarkdownIt

from browser import PageVisit
from mlroi.case_result import CaseResult
from mlroi.demo import generate_recommender_test
from mlroi.pipeline import run_case
from mlroi.report.files import write_report
from mlroi.spec.case import load_case

RTL_CJK = ("\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd", "\u6536\u5165")
"""Arabic, Hebrew and Chinese words."""
HOSTILE = "<script>alert(1)</script> \"q\" 'q' a|b " + " ".join(RTL_CJK)
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseResult, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("hostile")
    pq.write_table(generate_recommender_test(5_000, seed=1).users, folder / "users.parquet")
    case = {
        "name": HOSTILE,
        "goal": f"goal {HOSTILE}",
        "intervention": f"act {HOSTILE}",
        "population": {"description": f"who {HOSTILE}", "size": 1000},
        "primary_metric": HOSTILE,
        "model_metrics": {HOSTILE: 0.5},
        "constraints": [{"description": f"must {HOSTILE}"}],
        "experiment": {
            "source": {"path": "users.parquet"},
            "unit": "user_id",
            "variant": "variant",
            "control": "control",
            "arms": {"control": 0.5, "treatment": 0.5},
            "metrics": [{"name": HOSTILE, "type": "mean", "column": "revenue"}],
        },
        "value": {
            "drivers": [
                {
                    "name": f"driver {HOSTILE}",
                    "lift": {"metric": HOSTILE},
                    "value_per_unit": 1,
                    "units_per_month": 1000,
                }
            ]
        },
        "costs": [
            {
                "kind": "fixed",
                "name": f"cost {HOSTILE}",
                "category": "other",
                "amount": 10,
                "every": "month",
            },
        ],
        "finance": {"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
        "simulation": {"draws": 2000},
    }
    path = folder / "case.yaml"
    path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    result = run_case(load_case(path), base=folder)
    return result, write_report(result, folder / "report")


def test_the_page_holds_no_tag_from_the_case(hostile: tuple[CaseResult, dict[str, Path]]) -> None:
    page = hostile[1]["report.html"].read_text(encoding="utf-8")
    assert SCRIPT not in page
    assert html.escape(SCRIPT, quote=False) in page
    for text in RTL_CJK:
        assert text in page


def test_chromium_shows_every_hostile_text_as_text(
    hostile: tuple[CaseResult, dict[str, Path]], open_in_chromium: Callable[[Path], PageVisit]
) -> None:
    seen = open_in_chromium(hostile[1]["report.html"])
    assert seen.dialogs == []  # the script never ran
    assert seen.problems() == ""  # nor any request, console error or page error
    text = seen.text
    for shown in (
        HOSTILE,  # the name, as the heading
        f"goal {HOSTILE}",
        f"act {HOSTILE}",
        f"driver {HOSTILE}",
        f"cost {HOSTILE}",
    ):
        assert shown in text, shown
    assert seen.page.title() == f"{HOSTILE}: is it paying for itself?"
    # the page's only scripts are mlroi's own two (the what-if panel's data and code)
    assert seen.count("script") == 2
    assert seen.screenshot is not None and seen.screenshot.exists()


def _tables(tokens: list) -> list[list[int]]:  # type: ignore[type-arg]
    """Cells per row of every table, in order."""
    tables: list[list[int]] = []
    cells = 0
    for t in tokens:
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            cells = 0
        elif t.type in ("th_open", "td_open"):
            cells += 1
        elif t.type == "tr_close":
            tables[-1].append(cells)
    return tables


def test_markdown_shows_every_hostile_text_as_text_with_its_tables_intact(
    hostile: tuple[CaseResult, dict[str, Path]],
) -> None:
    text = hostile[1]["report.md"].read_text(encoding="utf-8")
    md = MarkdownIt("commonmark").enable("table")
    rendered = md.render(text)
    assert SCRIPT not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    for part in RTL_CJK:
        assert part in rendered
    tables = _tables(md.parse(text))
    rules = [line for line in text.splitlines() if line.startswith(("|---", "|:---"))]
    assert len(tables) == len(rules) >= 5
    for rows in tables:  # a pipe in a text never splits a cell
        assert len(set(rows)) == 1, rows
    # the driver's name is one cell, pipe and all
    assert (
        f"driver {HOSTILE}".replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        in rendered
    )
