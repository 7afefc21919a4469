"""How a case's figures relate: each says its period and its baseline, and a past campaign that
disagrees with the ROI in sign is flagged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlroi import formatting as fmt
from mlroi.case_result import CaseResult
from mlroi.pipeline import run_case
from mlroi.report import case as case_report
from mlroi.report import story
from mlroi.spec.case import Case, load_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def small(case: Case) -> Case:
    sim = case.simulation.model_copy(update={"draws": 2_000})
    return case.model_copy(update={"simulation": sim})


@pytest.fixture(scope="module")
def fraud() -> CaseResult:
    return run_case(small(load_case(EXAMPLES / "fraud.yaml")), base=EXAMPLES)


@pytest.fixture(scope="module")
def churn() -> CaseResult:
    return run_case(small(load_case(EXAMPLES / "churn.yaml")), base=EXAMPLES)


def test_the_first_year_is_the_first_twelve_months_of_the_schedule(fraud: CaseResult) -> None:
    year = story.first_year_value(fraud)
    assert year == pytest.approx(sum(p.value for p in fraud.roi.schedule[1:13]), rel=1e-12)
    assert 0 < year < fraud.roi.total_value.estimate  # a 24-month horizon


def test_each_figure_says_its_period(fraud: CaseResult) -> None:
    first, decision = story.sentences(fraud)[:2]
    c = fraud.roi.currency
    assert "24-month horizon" in first.text
    assert fmt.money(fraud.roi.total_value.estimate, c) in first.text
    assert f"{fmt.money(story.first_year_value(fraud) or 0, c)} of it in the first 12" in first.text
    d = fraud.decision
    assert d is not None
    year = d.per_year(d.champion.incremental_value)
    assert f"{fmt.money(year, d.currency)} a year" in decision.text


def test_the_decision_and_the_roi_name_their_baselines(fraud: CaseResult) -> None:
    text = story.sentences(fraud)[1].text
    assert "against acting on nobody" in text
    assert "control arm ('rules')" in text


def test_a_past_campaign_that_disagrees_in_sign_is_flagged(churn: CaseResult) -> None:
    d = churn.decision
    assert d is not None and d.uplift is not None
    campaign = story.sentences(churn)[-1]
    assert campaign.text.startswith("The past randomized campaign")
    at = d.uplift.comparison.shares.index(0.2)
    net = d.uplift.comparison.budgets[d.score][at].net_value.estimate
    roi_net = churn.roi.net_value.estimate
    if (net < 0) != (roi_net < 0):
        assert campaign.tone == "warn" and "disagree in sign" in campaign.text
    # the same campaign agreeing in sign is not flagged
    agreeing = dataclasses.replace(
        churn,
        roi=dataclasses.replace(
            churn.roi,
            net_value=dataclasses.replace(churn.roi.net_value, estimate=-abs(roi_net))
            if net < 0
            else churn.roi.net_value,
        ),
    )
    quiet = story.sentences(agreeing)[-1]
    assert quiet.tone == "plain" and "agrees in sign" in quiet.text


def test_the_summary_of_the_report_holds_the_story(churn: CaseResult) -> None:
    summary = case_report.summary(churn)
    titles = [s.title for s in summary.sections]
    assert "How the figures relate" in titles
