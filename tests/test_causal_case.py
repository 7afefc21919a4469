"""The ``causal:`` section of a case: each design runs from a case file, its effect becomes an ROI
lift with its standard error, and a failed blocking diagnostic withholds the ROI's headline.

References: the video example's data hold a known effect (+8 ad impressions per exposed user a
month, :mod:`mlroi.demo.video`); Proposition 99's published estimates (DiD -27.3, Arkhangelsky
et al. 2021, Table 1) are checked in the design's own tests and only read here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlroi.causal.analysis import analyse_causal
from mlroi.cli import app
from mlroi.demo.video import TRUE_IMPRESSIONS
from mlroi.pipeline import evaluate, run_case
from mlroi.spec.case import load_case

EXAMPLES = Path(__file__).parent.parent / "examples"
DATA = Path(__file__).parent / "data" / "causal"
runner = CliRunner()


def _case(tmp_path: Path, causal: dict[str, object], **driver: object) -> Path:
    """The video example with another ``causal:`` section (and driver fields), beside a copy
    of the Proposition 99 panel."""
    shutil.copy(DATA / "california_prop99.csv", tmp_path / "prop99.csv")
    case = yaml.safe_load((EXAMPLES / "video.yaml").read_text())
    case["causal"] = causal
    case["value"]["drivers"][0].update(driver)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    return path


PROP99 = {
    "source": {"path": "prop99.csv"},
    "unit": "State",
    "outcome": "PacksPerCapita",
}


def test_the_video_example_recovers_the_known_effect_where_the_naive_comparison_does_not() -> None:
    result = analyse_causal(load_case(EXAMPLES / "video.yaml").causal, base=EXAMPLES)  # type: ignore[arg-type]
    assert not result.withheld
    assert result.effect.contains(TRUE_IMPRESSIONS)
    assert result.naive is not None and result.naive.lower > 3 * TRUE_IMPRESSIONS


def test_the_roi_values_the_effect_with_its_standard_error() -> None:
    case = load_case(EXAMPLES / "video.yaml")
    roi = evaluate(case, base=EXAMPLES)
    (lift,) = roi.lifts
    causal = analyse_causal(case.causal, base=EXAMPLES)  # type: ignore[arg-type]
    assert lift.estimate == causal.effect.estimate
    assert lift.std_error == causal.effect.std_error
    assert lift.source.startswith("observational estimate (adjustment, aipw)")
    assert not roi.withheld


def test_a_failed_blocking_diagnostic_withholds_the_roi_headline_and_comes_first(
    tmp_path: Path,
) -> None:
    """Heavy users are almost sure to see the shelf: keeping only propensities within [0.3,
    0.7] leaves out far more than a tenth of the exposed (the overlap check blocks)."""
    source = {"demo": "video/users"}
    path = _case(
        tmp_path,
        {
            "design": "adjustment",
            "source": source,
            "treatment": "saw_recs",
            "outcome": "ad_impressions",
            "covariates": ["past_sessions", "past_searches", "past_watch_minutes"],
            "trim": [0.3, 0.7],
        },
    )
    result = run_case(load_case(path), base=path.parent)
    assert result.causal is not None and result.causal.withheld
    assert [c.name for c in result.causal.failed_checks if c.blocking] == ["overlap"]
    assert result.roi.withheld
    assert result.failed_checks()[0] == result.roi.failed_checks[0]
    got = runner.invoke(app, ["roi", str(path)])
    assert got.exit_code == 1
    got = runner.invoke(app, ["causal", str(path)])
    assert got.exit_code == 1 and "FAILED:" in got.output


def test_difference_in_differences_runs_from_a_case_file(tmp_path: Path) -> None:
    path = _case(tmp_path, {"design": "did", **PROP99, "period": "Year", "treated": "treated"})
    out = tmp_path / "did.json"
    got = runner.invoke(app, ["causal", str(path), "--json", str(out)])
    assert got.exit_code in (0, 1), got.output
    body = json.loads(out.read_text())
    assert body["design"] == "did"
    assert body["effect"]["estimate"] == pytest.approx(-27.35, abs=0.05)


def test_synthetic_control_runs_from_a_case_file(tmp_path: Path) -> None:
    path = _case(
        tmp_path,
        {
            "design": "synthetic_control",
            **PROP99,
            "date": "Year",
            "treated": "California",
            "launch": 1989,
            "placebos": 0,
        },
    )
    result = analyse_causal(load_case(path).causal, base=path.parent)  # type: ignore[arg-type]
    assert result.design == "synthetic_control"
    assert result.effect.estimate < -10  # packs per capita a year after 1988 (Abadie et al.: ~ -19)


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        ({"per": None}, "value.drivers[0].per: an observational effect needs its period"),
        ({"per": "window"}, "value.drivers[0].per: an observational effect needs its period"),
    ],
)
def test_a_causal_lift_needs_its_period(
    tmp_path: Path, driver: dict[str, object], message: str
) -> None:
    case = yaml.safe_load((EXAMPLES / "video.yaml").read_text())
    d = case["value"]["drivers"][0]
    for k, v in driver.items():
        if v is None:
            d.pop(k)
        else:
            d[k] = v
    case["causal"]["source"] = {"demo": "video/users"}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    got = runner.invoke(app, ["roi", str(path)])
    assert got.exit_code == 2
    assert message in got.output
    assert "Traceback" not in got.output


def test_a_causal_lift_needs_a_causal_section(tmp_path: Path) -> None:
    case = yaml.safe_load((EXAMPLES / "video.yaml").read_text())
    del case["causal"]
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    got = runner.invoke(app, ["roi", str(path)])
    assert got.exit_code == 2
    assert "value.drivers[0].lift.causal: needs a `causal:` section" in got.output


def test_mlroi_causal_without_a_section_says_what_to_add() -> None:
    got = runner.invoke(app, ["causal", str(EXAMPLES / "feed.yaml")])
    assert got.exit_code == 2
    assert "no `causal:` section" in got.output


def test_an_unknown_design_is_one_located_line(tmp_path: Path) -> None:
    path = _case(tmp_path, {"design": "regression_discontinuity", "source": {"path": "x.csv"}})
    got = runner.invoke(app, ["causal", str(path)])
    assert got.exit_code == 2
    assert "case.yaml:" in got.output and "causal" in got.output
    assert "Traceback" not in got.output
