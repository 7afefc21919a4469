"""The report layer: results become views, views become terminal text, Markdown and HTML."""

from __future__ import annotations

import io
import math

from rich.console import Console

from mlroi import formatting as fmt
from mlroi.experiment.result import Comparison, ExperimentResult, GuardrailCheck
from mlroi.report import html, markdown
from mlroi.report.build import view_of
from mlroi.report.terminal import print_result
from mlroi.report.view import Cell, Column, Section, Sentence, Table, View
from mlroi.stats.lift import Interval
from mlroi.stats.srm import SrmCheck

EVIL = "<script>alert('x')</script> | *bold*"


def readout(metric: str = "ctr", mismatch: bool = False) -> ExperimentResult:
    """A small readout built by hand: one lift, one guardrail, one segment row, one note."""
    lift = Comparison(
        metric=metric,
        kind="proportion",
        arm="treatment",
        control="control",
        n_control=1000,
        n_treatment=1010,
        control_value=0.05,
        treatment_value=0.052,
        absolute=Interval(0.002, 0.001, 0.003, 0.0005),
        relative=Interval(0.04, 0.02, 0.06, 0.01),
        p_value=0.00001,
        p_value_adjusted=0.00002,
        significant=True,
    )
    segment = Comparison(
        metric=metric,
        kind="proportion",
        arm="treatment",
        control="control",
        n_control=400,
        n_treatment=410,
        status="cannot estimate",
        reason="no conversions in control",
        segment="platform",
        segment_value="web",
    )
    guard = GuardrailCheck(
        metric="latency", arm="treatment", direction="decrease", margin=0.02, relative=True,
        status="fail", reason="relative change [+2.10%, +3.00%] is above +2.00%",
    )  # fmt: skip
    srm = SrmCheck(
        observed={"control": 1000, "treatment": 1010},
        expected_share={"control": 0.5, "treatment": 0.5},
        statistic=0.05,
        p_value=0.00002 if mismatch else 0.823,
        threshold=0.001,
        mismatch=mismatch,
    )
    return ExperimentResult(
        control="control",
        arms={"control": 0.5, "treatment": 0.5},
        level=0.95,
        alternative="two-sided",
        correction="holm",
        srm=srm,
        comparisons=(lift,),
        segments=(segment,),
        guardrails=(guard,),
        notes=("revenue capped at its 0.999 quantile",),
    )


def test_the_readout_view_reads_the_sample_ratio_check_first() -> None:
    view = view_of(readout())
    assert view.headline == Sentence(
        "Sample ratio OK: p = 0.823 (control 1,000, treatment 1,010)", "good"
    )


def test_a_sample_ratio_mismatch_is_an_alarm_with_the_shared_p_value_format() -> None:
    headline = view_of(readout(mismatch=True)).headline
    assert headline is not None and headline.tone == "alarm"
    assert headline.text.startswith("SAMPLE RATIO MISMATCH: p < 0.0001 < 0.001")


def test_the_terminal_shows_lifts_guardrails_segments_and_notes() -> None:
    out = io.StringIO()
    print_result(readout(), Console(file=out, width=200))
    text = out.getvalue()
    for part in ("+0.002000 [+0.001000, +0.003000]", "+4.00% [+2.00%, +6.00%]", "< 0.0001",
                 "FAIL", "platform=web", "cannot estimate: no conversions in control",
                 "note: revenue capped"):  # fmt: skip
        assert part in text


def test_segments_can_be_left_out_of_the_terminal() -> None:
    out = io.StringIO()
    print_result(readout(), Console(file=out, width=200), segments=False)
    assert "platform=web" not in out.getvalue()


def test_the_notebook_view_of_a_readout_is_the_full_view() -> None:
    page = readout()._repr_html_()
    for part in ("Guardrails", "FAIL", "platform=web", "Readout", "note:"):
        assert part in page


def test_html_escapes_every_user_text() -> None:
    page = readout(metric=EVIL)._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_a_document_needs_nothing_from_the_network() -> None:
    page = html.document(view_of(readout()))
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_markdown_escapes_a_table_cell_pipe() -> None:
    view = View(
        label="x",
        sections=(
            Section((Table("t", (Column("a"), Column("b", "right")), ((Cell(EVIL), Cell("1")),)),)),
        ),
    )
    text = markdown.render(view)
    assert "\\| \\*bold\\*" in text
    assert "|:---|---:|" in text


def test_view_sentences_put_the_headline_first() -> None:
    view = View(
        label="x",
        headline=Sentence("first"),
        sections=(Section((Sentence("second"), Table("t", (), ()), Sentence("third"))),),
    )
    assert view.sentences() == ["first", "second", "third"]


def test_a_threshold_always_shows_four_significant_digits() -> None:
    assert fmt.threshold(0.163312) == "0.1633"
    assert fmt.threshold(0.157) == "0.157"
    assert fmt.threshold(math.inf) == "none (act on nobody)"  # no score reaches +inf


def test_a_probability_never_claims_certainty() -> None:
    assert fmt.probability(1.0) == ">99.9%"
    assert fmt.probability(0.0) == "<0.1%"
    assert fmt.chance("P(x > 0)", 0.958) == "P(x > 0) = 95.8%"
    assert fmt.chance("P(x > 0)", 1.0) == "P(x > 0) > 99.9%"


def test_a_resampled_share_at_an_end_says_how_many_resamples() -> None:
    assert fmt.resampled_share(1.0, 200) == "200 of 200 resamples"
    assert fmt.resampled_share(0.5, 200) == "50.0%"


def test_the_readout_json_holds_numbers_and_no_rendered_words() -> None:
    data = readout().to_dict()
    assert data["comparisons"][0]["absolute"] == {
        "estimate": 0.002,
        "lower": 0.001,
        "upper": 0.003,
        "std_error": 0.0005,
    }
    assert "headline" not in data


def test_a_readout_repr_is_a_few_plain_lines() -> None:
    assert repr(readout()).splitlines() == [
        "ExperimentResult(control='control', arms=['control', 'treatment'], srm_p = 0.823)",
        "  ctr [treatment]: +4.00% [+2.00%, +6.00%], p < 0.0001",
        "  guardrail latency [treatment]: fail",
    ]


def test_levels_and_budgets_keep_their_decimals() -> None:
    assert fmt.level(0.95) == "95%"
    assert fmt.level(0.975) == "97.5%"
    assert fmt.budget(0.2) == "20%"
    assert fmt.budget(0.141) == "14.1%"
