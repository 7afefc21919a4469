"""``mlroi retention CASE``: the analysis from Parquet logs, its JSON, its report view and errors.

Exit codes as ``mlroi decide``: 0 done, 2 a user error (one line, file:line where a field is at
fault, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.report.html import fragment
from mlroi.retention.analysis import analyse_counts, analyse_retention
from mlroi.retention.survival import SurvivalCounts
from mlroi.spec.retention import RetentionConfig

CASE = """\
name: retention test
goal: keep users
intervention: recommendations
population: {{description: everyone}}
primary_metric: lift
value:
  drivers:
    - {{name: lift, lift: {{estimate: 1.0}}, per: month, value_per_unit: 1.0, units_per_month: 1}}
costs:
  - {{kind: fixed, name: upkeep, category: licence, amount: 10}}
finance: {{currency: EUR, horizon_months: 12}}
retention:
  assignments: {{path: assignments.parquet}}
  activity: {{source: {{path: activity.parquet}}, inactivity_days: 14}}
  control: control
  window_days: {window}
  days: [7, 30]
  value: {{revenue_per_period: 10, periods: 6}}
  holdout: {{hazard_ratio: 0.9, days: [30, 60]}}
"""


def _write_logs(folder: Path, users: int = 3000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    arm = rng.choice(["control", "treatment"], users)
    x = (pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 30, users), unit="D")).floor(
        "s"
    )
    gaps = rng.exponential(3.0, (users, 60))
    stop = rng.random((users, 60)) < np.where(arm == "control", 0.05, 0.04)[:, None]
    alive = np.cumprod(~stop, axis=1).astype(bool)
    offsets = np.cumsum(gaps, axis=1)
    u, k = np.nonzero(alive)
    ts = x[u] + pd.to_timedelta(offsets[u, k], unit="D")
    keep = ts <= pd.Timestamp("2026-06-01")
    pd.DataFrame({"user_id": range(users), "variant": arm, "first_exposure": x}).to_parquet(
        folder / "assignments.parquet"
    )
    pd.DataFrame({"user_id": u[keep], "ts": ts[keep].floor("s")}).to_parquet(
        folder / "activity.parquet"
    )


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("retention")
    _write_logs(folder)
    (folder / "case.yaml").write_text(CASE.format(window=90))
    return folder


def test_cli_prints_the_analysis_and_writes_json_equal_to_the_api(case_dir: Path) -> None:
    out = case_dir / "out.json"
    res = CliRunner().invoke(app, ["retention", str(case_dir / "case.yaml"), "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "Retention at day 30" in res.output
    data = json.loads(out.read_text())
    assert data.pop("generator") == "mlroi result"  # how mlroi knows the file is its own
    from mlroi.spec.case import load_case

    case = load_case(case_dir / "case.yaml")
    assert case.retention is not None
    api = analyse_retention(
        case.retention, base=case_dir, currency="EUR", annual_discount_rate=0.10
    )
    assert data == json.loads(api.to_json())
    assert data["unit"] == "days since first exposure"
    assert set(data["curves"]) == {"control", "treatment"}
    assert data["at_days"][1]["differences"]["treatment"]["estimate"] > 0
    assert data["lifetime"]["treatment"]["lift"]["estimate"] > 0
    assert data["currency"] == "EUR"


def test_a_case_without_a_retention_section_is_a_user_error(tmp_path: Path) -> None:
    text = CASE.format(window=90).split("retention:\n")[0]
    (tmp_path / "case.yaml").write_text(text)
    res = CliRunner().invoke(app, ["retention", str(tmp_path / "case.yaml")])
    assert res.exit_code == 2
    assert "no `retention:` section" in res.output
    assert "Traceback" not in res.output


def test_a_window_of_zero_is_a_located_error(case_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "case.yaml").write_text(CASE.format(window=0))
    res = CliRunner().invoke(app, ["retention", str(tmp_path / "case.yaml")])
    assert res.exit_code == 2
    assert "case.yaml:" in res.output and "window_days" in res.output
    assert "Traceback" not in res.output


def test_a_missing_column_names_the_column_and_the_fix(case_dir: Path, tmp_path: Path) -> None:
    for name in ("assignments.parquet", "activity.parquet"):
        (tmp_path / name).write_bytes((case_dir / name).read_bytes())
    (tmp_path / "case.yaml").write_text(
        CASE.format(window=90).replace("inactivity_days: 14", "inactivity_days: 14, timestamp: t")
    )
    res = CliRunner().invoke(app, ["retention", str(tmp_path / "case.yaml")])
    assert res.exit_code == 2
    assert "'t' not found" in res.output


def _config(**kw: object) -> RetentionConfig:
    base = {
        "assignments": {"path": "a.parquet"},
        "activity": {"source": {"path": "b.parquet"}},
        "control": "control",
        "window_days": 60,
    }
    return RetentionConfig.model_validate({**base, **kw})


def test_counts_without_the_control_arm_say_which_arms_there_are() -> None:
    arms = {"a": SurvivalCounts.of([1], [1], [0]), "b": SurvivalCounts.of([1], [1], [0])}
    from mlroi.errors import DataError

    with pytest.raises(DataError, match="arms found: a, b"):
        analyse_counts(arms, _config())


def test_days_beyond_the_window_are_a_spec_error() -> None:
    with pytest.raises(ValueError, match="outside the window"):
        _config(days=[90])


def test_the_html_view_draws_the_curves_with_bands_and_the_weekly_lift(case_dir: Path) -> None:
    cfg = _config(
        assignments={"path": "assignments.parquet"},
        activity={"source": {"path": "activity.parquet"}},
        window_days=90,
    )
    r = analyse_retention(cfg, base=case_dir)
    html = fragment(r.view())
    assert 'data-chart="line"' in html
    assert "<polygon" in html  # the bands
    assert "Retention by arm (Kaplan-Meier)" in html
    assert "Lift in weekly retention by week of exposure" in html
    assert "nan" not in html.lower().replace("nano", "")


ROI_DRIVER = """\
    - name: retained users' revenue
      lift: {retention: lifetime_value}
      units_per_month: 10000
"""


def _roi_case(case_dir: Path, tmp_path: Path, driver: str = ROI_DRIVER) -> Path:
    for name in ("assignments.parquet", "activity.parquet"):
        (tmp_path / name).write_bytes((case_dir / name).read_bytes())
    text = CASE.format(window=90).replace(
        "    - {name: lift, lift: {estimate: 1.0}, per: month, value_per_unit: 1.0, "
        "units_per_month: 1}\n",
        driver,
    )
    text = text.replace("primary_metric: lift", "primary_metric: retained users' revenue")
    (tmp_path / "case.yaml").write_text(text)
    return tmp_path / "case.yaml"


def test_a_driver_takes_its_lift_and_interval_from_the_retention_analysis(
    case_dir: Path, tmp_path: Path
) -> None:
    case = _roi_case(case_dir, tmp_path)
    out = tmp_path / "roi.json"
    res = CliRunner().invoke(app, ["roi", str(case), "--json", str(out), "--draws", "2000"])
    assert res.exit_code in (0, 1), res.output
    lift = json.loads(out.read_text())["lifts"][0]
    ret = analyse_retention(
        _config(
            assignments={"path": "assignments.parquet"},
            activity={"source": {"path": "activity.parquet"}},
            window_days=90,
            days=[7, 30],
            value={"revenue_per_period": 10, "periods": 6},
        ),
        base=tmp_path,
        currency="EUR",
        annual_discount_rate=0.10,
    )
    assert ret.lifetime is not None
    want = ret.lifetime["treatment"].lift
    assert lift["estimate"] == pytest.approx(want.estimate, rel=1e-12)
    assert lift["std_error"] == pytest.approx(want.std_error, rel=1e-12)
    assert "retention analysis, treatment vs control" in lift["source"]


def test_a_retention_driver_without_the_section_is_a_located_error(tmp_path: Path) -> None:
    text = CASE.format(window=90).split("retention:\n")[0]
    text = text.replace("lift: {estimate: 1.0}", "lift: {retention: rmst}")
    (tmp_path / "case.yaml").write_text(text)
    res = CliRunner().invoke(app, ["roi", str(tmp_path / "case.yaml")])
    assert res.exit_code == 2
    assert "needs a `retention:` section" in res.output


def test_a_retention_driver_at_a_day_not_analysed_names_the_days(
    case_dir: Path, tmp_path: Path
) -> None:
    driver = ROI_DRIVER.replace("{retention: lifetime_value}", "{retention: retention, day: 60}")
    case = _roi_case(case_dir, tmp_path, driver)
    res = CliRunner().invoke(app, ["roi", str(case)])
    assert res.exit_code == 2
    assert "60 is not among retention.days (7, 30)" in res.output


def test_the_case_report_has_a_retention_part(case_dir: Path, tmp_path: Path) -> None:
    case = _roi_case(case_dir, tmp_path)
    res = CliRunner().invoke(app, ["report", str(case), "--out", str(tmp_path / "rep")])
    assert res.exit_code in (0, 1), res.output
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "Retention by arm (Kaplan-Meier)" in html
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "Retention by arm" in md and "retention analysis" in md
    assert "Greenwood's variance on the log-log scale" in md  # the methods part
    data = json.loads((tmp_path / "rep" / "result.json").read_text())
    assert data["retention"]["control"] == "control"
    assert "retention: users followed" in md  # the data-quality part


def test_holdout_durations_beyond_the_window_use_the_projected_control_curve() -> None:
    rng = np.random.default_rng(4)
    weeks = rng.geometric(rng.beta(1.0, 4.0, 20_000))  # sBG churn by week
    days = np.minimum(weeks * 7.0, 60.0)
    arms = {
        "control": SurvivalCounts.from_durations(days, weeks * 7.0 <= 60),
        "treatment": SurvivalCounts.from_durations(days, weeks * 7.0 <= 60),
    }
    r = analyse_counts(
        arms, _config(holdout={"hazard_ratio": 0.9, "days": [28, 140]}, weekly=False)
    )
    assert r.holdout is not None
    inside, beyond = r.holdout.rows
    truth = float(np.mean(weeks > 20))  # retained after 140 days = 20 weeks
    assert beyond.control_retention == pytest.approx(truth, rel=0.05)
    assert inside.control_retention == pytest.approx(r.curves["control"].at(28).estimate)
    assert any("shifted-beta-geometric projection" in n for n in r.notes)


def test_the_python_api_names_the_function_apart_from_the_package() -> None:
    import mlroi
    import mlroi.retention.analysis as analysis

    assert mlroi.analyse_retention is analysis.analyse_retention
    assert mlroi.RetentionResult.__name__ == "RetentionResult"


def test_exclusions_name_the_rows_and_the_reason_for_the_data_quality_part() -> None:
    arms = {"control": SurvivalCounts.of([1], [1], [5]), "t": SurvivalCounts.of([1], [2], [5])}
    r = analyse_counts(
        arms,
        _config(weekly=False),
        excluded={
            "activity rows of users missing from the assignments": 7,
            "users exposed too recently to follow": 3,
            "users assigned more than once": 0,
        },
    )
    assert r.exclusions == (
        ("activity rows", 7, "of users missing from the assignments"),
        ("users", 3, "exposed too recently to follow"),
    )


def test_lifetime_value_is_discounted_at_the_cases_annual_rate_by_default(case_dir: Path) -> None:
    cfg = _config(
        assignments={"path": "assignments.parquet"},
        activity={"source": {"path": "activity.parquet"}},
        window_days=90,
        weekly=False,
        value={"revenue_per_period": 10, "period_days": 30, "periods": 3},
    )
    r = analyse_retention(cfg, base=case_dir, annual_discount_rate=0.10)
    assert r.lifetime is not None
    v = r.lifetime["treatment"]
    assert v.discount_rate == pytest.approx(1.10 ** (30 / 365.25) - 1, rel=1e-12)
    assert any("discounted 10% a year" in n for n in r.notes)


def test_json_to_stdout_and_never_over_a_file_mlroi_did_not_write(
    case_dir: Path, tmp_path: Path
) -> None:
    res = CliRunner().invoke(app, ["retention", str(case_dir / "case.yaml"), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert '"generator": "mlroi result"' in res.stdout
    theirs = tmp_path / "theirs.json"
    theirs.write_text("keep me")
    res = CliRunner().invoke(app, ["retention", str(case_dir / "case.yaml"), "--json", str(theirs)])
    assert res.exit_code == 2
    assert theirs.read_text() == "keep me"
