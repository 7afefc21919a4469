"""Calibration in words: can the scores be read as probabilities, and where are they off most."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from mlroi.decision.calibration import calibration
from mlroi.report.decision import calibration_sentence


def words(
    score: list[float], n: list[int], positives: list[int], bins: int = 10, **result: Any
) -> str | None:
    r = SimpleNamespace(
        **({"template": "churn", "positive": "churner", "label": "churned"} | result)
    )
    m = SimpleNamespace(calibration=calibration(score, n, positives, bins=bins))
    return calibration_sentence(r, m)  # type: ignore[arg-type]


def test_scores_far_from_their_rates_are_not_calibrated_probabilities() -> None:
    text = words([0.1, 0.3, 0.5, 0.8], [1000] * 4, [100, 300, 500, 310])
    assert text is not None
    assert text.startswith(
        "The scores are not calibrated probabilities: among the 1,000 customers scored 0.800, "
        "31.0% were churners"
    )
    assert "recalibrate" in text


def test_scores_that_match_their_rates_read_as_probabilities() -> None:
    text = words([0.1, 0.3, 0.5, 0.8], [1000] * 4, [100, 300, 500, 800])
    assert text is not None and text.startswith("The scores read as probabilities")
    assert "Hosmer-Lemeshow p = 1" in text


def test_small_but_detectable_gaps_are_close_to_calibrated() -> None:
    n = 1_000_000
    text = words([0.1, 0.3, 0.5, 0.8], [n] * 4, [110_000, 300_000, 500_000, 800_000])
    assert text is not None
    assert text.startswith("The scores are close to calibrated probabilities")
    assert "11.0% were churners" in text


def test_a_bin_of_several_scores_gives_its_range_and_mean() -> None:
    scores = [i / 100 for i in range(1, 100)]
    text = words(scores, [100] * 99, [round(100 * s / 2) for s in scores], bins=10)
    assert text is not None and " to " in text and "(mean " in text


def test_without_a_template_the_rows_and_label_are_named() -> None:
    text = words(
        [0.2, 0.9], [500, 500], [100, 200], template=None, positive="positive", label="bought"
    )
    assert text is not None and "rows scored 0.900" in text
    assert "40.0% were positive (bought = 1)" in text


def test_raw_scores_have_no_calibration_sentence() -> None:
    r = SimpleNamespace(template=None, positive="positive", label="y")
    assert calibration_sentence(r, SimpleNamespace(calibration=None)) is None  # type: ignore[arg-type]
