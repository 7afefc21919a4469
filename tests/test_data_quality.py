"""The data-quality part of a case report: rows read, and rows left out and why."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from mlroi.case_result import CaseResult
from mlroi.pipeline import run_case
from mlroi.report import case as case_report
from mlroi.report import quality
from mlroi.report.files import write_report
from mlroi.report.view import Table
from mlroi.spec.case import Case, load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def small(case: Case) -> Case:
    sim = case.simulation.model_copy(update={"draws": 2_000})
    return case.model_copy(update={"simulation": sim})


@pytest.fixture(scope="module")
def churn() -> CaseResult:
    return run_case(small(load_case(EXAMPLES / "churn.yaml")), base=EXAMPLES)


def _lines(r: CaseResult) -> dict[str, quality.RowCount]:
    return {x.what: x for x in quality.row_counts(r)}


def test_the_units_read_are_the_readouts_arms(churn: CaseResult) -> None:
    assert churn.experiment is not None
    read = _lines(churn)["experiment: units read"]
    c = churn.experiment.comparisons[0]
    assert read.rows == c.n_control + c.n_treatment == sum(churn.experiment.srm.observed.values())
    assert not read.excluded


def test_the_scored_rows_and_the_treated_rows_left_out_add_up(churn: CaseResult) -> None:
    d = churn.decision
    assert d is not None and d.uplift is not None
    lines = _lines(churn)
    analysed = lines["scored table: rows analysed"]
    treated = lines["scored table: rows treated in the past campaign"]
    assert analysed.rows == d.uplift.comparison.n
    assert treated.rows == d.uplift.comparison.n - d.rows > 0
    assert treated.excluded and "value curve" in treated.reason
    outside = lines["scored table: rows outside the eligible population"]
    assert outside.rows is None and "tenure_months >= 12" in outside.reason


def test_the_view_takes_more_lines_as_they_come(churn: CaseResult) -> None:
    extra = quality.RowCount("experiment: units in two arms", 12, "assigned to both arms", True)
    v = quality.view(churn, [extra])
    table = v.sections[0].blocks[0]
    assert isinstance(table, Table)
    assert [c.text for c in table.rows[-1]] == [
        "experiment: units in two arms",
        "12",
        "assigned to both arms",
    ]


def test_a_result_that_reports_its_exclusions_feeds_the_table(churn: CaseResult) -> None:
    assert churn.experiment is not None
    exp = copy.copy(churn.experiment)
    object.__setattr__(exp, "exclusions", (("rows with a null variant", 7, "no arm"),))
    fed = CaseResult(**{**churn.__dict__, "experiment": exp})
    line = _lines(fed)["experiment: rows with a null variant"]
    assert (line.rows, line.reason, line.excluded) == (7, "no arm", True)


def test_the_report_ends_with_the_data_quality_part(churn: CaseResult, tmp_path: Path) -> None:
    parts = case_report.parts(churn)
    assert parts[-1].label == "Data quality"
    paths = write_report(churn, tmp_path)
    assert "Rows read and left out" in paths["report.html"].read_text(encoding="utf-8")
    text = paths["report.md"].read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert any(t.type == "inline" and t.content == "Data quality" for t in tokens)


def test_a_case_without_data_says_so() -> None:
    v = quality.view(_empty_case())
    assert v.sentences() == ["This case reads no data: every lift is entered in the case."]


def _empty_case() -> CaseResult:
    from mlroi import Case as CaseModel
    from mlroi import evaluate

    c = CaseModel(
        name="hand", goal="g", intervention="i", population={"description": "all"},
        primary_metric="revenue",
        value={"drivers": [{"name": "revenue", "lift": {"estimate": 1000}, "per": "month",
                            "units_per_month": 1}]},
        costs=[{"kind": "fixed", "name": "run", "category": "maintenance", "amount": 100}],
        finance={"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
    )  # fmt: skip
    return CaseResult(
        name=c.name, goal=c.goal, intervention=c.intervention, population="all",
        primary_metric=c.primary_metric, roi=evaluate(c),
    )  # fmt: skip
