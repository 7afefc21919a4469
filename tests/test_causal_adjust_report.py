"""The adjustment design's report: failed checks first and no headline when overlap fails; the
naive estimate next to the adjusted ones; the sensitivity in words; the charts the issue asks
for; JSON without NaN."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from causal_adjust_data import COVARIATES, users
from mlroi.causal.adjust import analyse_adjustment
from mlroi.report.view import ForestChart, Histogram
from mlroi.spec.causal_adjust import AdjustmentConfig


def _frame(n: int, rng: np.random.Generator, strong: float = 1.0) -> pd.DataFrame:
    x, t, y = users(n, 2.0, rng)
    if strong != 1.0:  # exposure almost decided by past sessions: poor overlap
        t = (rng.random(n) < 1 / (1 + np.exp(-strong * (x[:, 0] - 6.0)))).astype(float)
    frame = pd.DataFrame(x, columns=list(COVARIATES))
    return frame.assign(user_id=np.arange(n), exposed=t, minutes=y)


def _config(**kw: object) -> AdjustmentConfig:
    base: dict[str, object] = {
        "source": {"path": "users.parquet"},
        "outcome": "minutes",
        "outcome_unit": "watch minutes",
        "period": "the 28 days after launch",
        "covariates": list(COVARIATES),
    }
    return AdjustmentConfig(**(base | kw))


@pytest.fixture(scope="module")
def result():
    return analyse_adjustment(_config(), table=_frame(4000, np.random.default_rng(5)))


def test_headline_states_the_effect_its_unit_period_and_the_naive_difference(result) -> None:
    text = result.headline()
    assert text.startswith("Exposure changed minutes by +")
    assert "watch minutes per exposed user over the 28 days after launch" in text
    assert "AIPW" in text and "95% interval" in text and "naive difference is +" in text


def test_sensitivity_is_written_in_words(result) -> None:
    lines = result.summary()
    assert any("risk ratio of" in s and "E-value" in s for s in lines)
    assert any("robustness values" in s for s in lines)


def test_charts_show_the_propensity_per_arm_and_the_balance(result) -> None:
    charts = result.view().charts
    hist = [c for c in charts if isinstance(c, Histogram)]
    assert [h.title for h in hist] == [
        "Propensity of exposure: exposed users",
        "Propensity of exposure: unexposed users",
    ]
    assert sum(hist[0].counts) == result.units["treated"]
    forest = [c for c in charts if isinstance(c, ForestChart)]
    assert forest[0].title == "Covariate balance before and after weighting"
    assert len(forest[0].rows) == 2 * len(COVARIATES)
    assert forest[1].rows[0].label == "naive difference"


def test_json_is_ready_and_byte_identical(result) -> None:
    again = analyse_adjustment(_config(), table=_frame(4000, np.random.default_rng(5)))
    assert result.to_json() == again.to_json()
    data = json.loads(result.to_json())
    assert data["design"] == "adjustment" and data["estimand"] == "att"
    assert set(data["estimates"]) == {"regression", "ipw", "aipw"}


def test_poor_overlap_withholds_the_headline_and_puts_the_check_first() -> None:
    r = analyse_adjustment(_config(), table=_frame(4000, np.random.default_rng(5), strong=4.0))
    assert r.withheld
    assert r.failed_checks[0].name == "overlap"
    assert r.headline().startswith("No estimate is given: the overlap check failed")
    table = r.view().sections[0].blocks[0]
    assert table.rows[0][0].text == "overlap"
    assert table.rows[0][1].text == "FAILED: no headline"
    assert "—" in r.view().sections[1].blocks[0].rows[1][1].text
