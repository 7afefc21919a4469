"""Results in a notebook (`_repr_html_`): the full report section with the report's charts,
failed checks first."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mlroi.case_result import CaseResult
from mlroi.experiment.result import GuardrailCheck
from mlroi.pipeline import run_case
from mlroi.report import case as case_report
from mlroi.report.build import view_of
from mlroi.report.files import write_report
from mlroi.spec.case import Case, load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def small(case: Case) -> Case:
    sim = case.simulation.model_copy(update={"draws": 2_000})
    return case.model_copy(update={"simulation": sim})


@pytest.fixture(scope="module")
def churn() -> CaseResult:
    """A case with every analysis: readout, decision (with a past campaign) and ROI."""
    return run_case(small(load_case(EXAMPLES / "churn.yaml")), base=EXAMPLES)


def _chart_ids(page: str) -> list[str]:
    return re.findall(r'<svg[^>]*class="mlroi-chart"[^>]*id="([^"]+)"', page) or re.findall(
        r'<svg[^>]*id="([^"]+)"[^>]*class="mlroi-chart"', page
    )


def test_each_result_shows_the_charts_of_its_report_part(churn: CaseResult) -> None:
    for result in (churn.experiment, churn.decision, churn.roi):
        assert result is not None
        charts = view_of(result).charts
        assert charts, type(result).__name__
        shown = _chart_ids(result._repr_html_())
        assert shown == [c.id for c in charts], type(result).__name__


def test_a_case_shows_its_whole_report_with_the_same_charts(
    churn: CaseResult, tmp_path: Path
) -> None:
    page = write_report(churn, tmp_path)["report.html"].read_text(encoding="utf-8")
    shown = churn._repr_html_()
    assert _chart_ids(shown) == _chart_ids(page)
    assert len(_chart_ids(shown)) >= 8
    for part in case_report.parts(churn):  # every part, in the report's order
        assert (part.title or part.label) in shown
    assert "what-if" in shown
    # a notebook page has its own body: the style touches mlroi's markup only
    style = re.search(r"<style>(.*?)</style>", shown)
    assert style is not None and "body{" not in style.group(1)


def _first_alarm_before_everything(page: str, check: str) -> None:
    alarm = page.index("Failed check: " + check)
    assert alarm < page.index("<table")
    assert alarm < page.index("<svg")


def test_a_failed_guardrail_comes_first_in_the_readout(churn: CaseResult) -> None:
    assert churn.experiment is not None
    exp = churn.experiment
    bad = GuardrailCheck(
        metric="revenue_3m",
        arm="offer",
        direction="increase",
        margin=0.02,
        relative=True,
        status="fail",
        reason="relative change [-9.00%, -5.00%] lies below -2.00%",
    )
    broken = dataclasses.replace(exp, guardrails=(bad,))
    _first_alarm_before_everything(broken._repr_html_(), f"guardrail {bad.metric} failed")
    # and in the whole case, before the summary's headline
    page = dataclasses.replace(churn, experiment=broken)._repr_html_()
    assert page.index("Failed check: guardrail") < page.index("For every $1")


def test_an_infeasible_constraint_comes_first_in_the_decision(churn: CaseResult) -> None:
    d = churn.decision
    assert d is not None
    m = d.champion
    infeasible = dataclasses.replace(
        m.decision, status="infeasible", index=None, point=None, reason="fpr <= 0 meets no row"
    )
    models = {**d.models, m.name: dataclasses.replace(m, decision=infeasible)}
    page = dataclasses.replace(d, models=models)._repr_html_()
    _first_alarm_before_everything(page, f"no feasible threshold for {m.column}")


def test_a_failed_check_withholds_the_roi_headline_first(churn: CaseResult) -> None:
    roi = dataclasses.replace(churn.roi, failed_checks=("sample ratio mismatch: p < 0.001",))
    page = roi._repr_html_()
    _first_alarm_before_everything(page, "sample ratio mismatch")
    assert "No ROI headline" in page
