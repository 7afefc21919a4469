"""`mlroi report`: one case run once, written as HTML, Markdown and JSON from one result."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from mlroi.case_result import GENERATOR, CaseResult
from mlroi.cli import app
from mlroi.errors import DataError
from mlroi.pipeline import evaluate, run_case
from mlroi.report import case as case_report
from mlroi.report.files import write_report
from mlroi.spec.case import load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HOSTILE = "<script>alert(1)</script> \"q\" 'q' \u05e9\u05dc\u05d5\u05dd \u6570\u636e"


@pytest.fixture(scope="module")
def recommender() -> CaseResult:
    path = EXAMPLES / "recommender.yaml"
    return run_case(load_case(path), base=path.parent)


def test_the_report_runs_every_analysis_the_case_has(recommender: CaseResult) -> None:
    assert recommender.experiment is not None
    assert recommender.decision is None  # the recommender case has no scored table
    assert recommender.roi.case == recommender.name


def test_the_roi_in_the_report_is_the_roi_of_the_case(recommender: CaseResult) -> None:
    path = EXAMPLES / "recommender.yaml"
    assert recommender.roi.to_dict() == evaluate(load_case(path), base=path.parent).to_dict()


def test_the_json_holds_each_analysis_under_its_name(recommender: CaseResult) -> None:
    got = json.loads(recommender.to_json())
    assert got["generator"] == GENERATOR
    assert got["case"]["name"] == "Home-page product recommender"
    assert got["roi"] == json.loads(recommender.roi.to_json())
    assert got["experiment"] == json.loads(recommender.experiment.to_json())  # type: ignore[union-attr]
    assert got["decision"] is None


def test_the_three_files_are_written_and_name_the_same_headline(
    recommender: CaseResult, tmp_path: Path
) -> None:
    paths = write_report(recommender, tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["report.html", "report.md", "result.json"]
    page = paths["report.html"].read_text(encoding="utf-8")
    headline = json.loads(paths["result.json"].read_text(encoding="utf-8"))["roi"]["headline"]
    assert headline in html.unescape(page)
    assert headline.split(".")[0] in paths["report.md"].read_text(encoding="utf-8")


def test_the_page_fetches_nothing(recommender: CaseResult, tmp_path: Path) -> None:
    page = write_report(recommender, tmp_path)["report.html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    # the only scripts are inline: the what-if panel's flows (JSON) and its code
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ["<script type='application/json' class='what-if-data'>", "<script>"]
    assert "fetch(" not in page and "XMLHttpRequest" not in page


def test_failed_checks_come_before_the_headline(recommender: CaseResult) -> None:
    assert recommender.experiment is not None
    srm = dataclasses.replace(recommender.experiment.srm, mismatch=True)
    broken = dataclasses.replace(
        recommender, experiment=dataclasses.replace(recommender.experiment, srm=srm)
    )
    summary = case_report.summary(broken)
    assert summary.context[0].tone == "alarm"
    assert summary.context[0].text.startswith("Failed check: sample ratio mismatch")


def test_user_text_is_shown_as_text(recommender: CaseResult, tmp_path: Path) -> None:
    hostile = dataclasses.replace(recommender, name=HOSTILE, goal=HOSTILE, constraints=(HOSTILE,))
    paths = write_report(hostile, tmp_path)
    page = paths["report.html"].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\u05e9\u05dc\u05d5\u05dd" in page and "\u6570\u636e" in page
    rendered = MarkdownIt("commonmark").render(paths["report.md"].read_text(encoding="utf-8"))
    assert "<script>alert(1)</script>" not in rendered


def test_the_markdown_report_parses_with_its_tables_intact(
    recommender: CaseResult, tmp_path: Path
) -> None:
    text = write_report(recommender, tmp_path)["report.md"].read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables = [t for t in tokens if t.type == "table_open"]
    pipes = [line for line in text.splitlines() if re.match(r"^\|(---|:---|---:)", line)]
    assert len(tables) == len(pipes) > 3


def test_a_file_mlroi_did_not_write_is_never_overwritten(
    recommender: CaseResult, tmp_path: Path
) -> None:
    mine = tmp_path / "report.md"
    mine.write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"report\.md exists and was not written by mlroi"):
        write_report(recommender, tmp_path)
    assert mine.read_text(encoding="utf-8") == "my own notes\n"
    assert not (tmp_path / "report.html").exists()  # nothing written when one name is taken


def test_a_report_of_its_own_is_overwritten(recommender: CaseResult, tmp_path: Path) -> None:
    write_report(recommender, tmp_path)
    again = write_report(recommender, tmp_path)
    assert again["result.json"].read_text(encoding="utf-8") == recommender.to_json() + "\n"


def test_mlroi_report_writes_the_files_and_says_where(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLES / "recommender.yaml"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    assert (tmp_path / "r" / "report.html").exists()


def test_mlroi_report_refuses_a_foreign_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLES / "recommender.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "result.json exists and was not written by mlroi" in result.output
    assert "Traceback" not in result.output


def test_the_report_ends_with_its_methods(recommender: CaseResult) -> None:
    views = case_report.parts(recommender)
    methods = views[-2]
    assert methods.label == "Assumptions and methods"
    assert views[-1].label == "Data quality"
    text = " ".join(methods.sentences())
    assert "Holm's step-down method" in text
    assert "100,000 independent draws" in text or "no interval" in text
    assert "revenue_per_user" in text  # the CUPED metric, and the lift's source
