"""The command line: exit codes a CI job can rely on, one-line errors, JSON equal to the API's.

Exit codes: 0 readout passes (or ``--no-fail``), 1 SRM or a guardrail failed, 2 bad input.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from mlroi import ExperimentConfig, readout
from mlroi.cli import app
from mlroi.demo import generate_recommender_test
from mlroi.spec.loader import load_model

N_USERS = 20_000
METRICS = ("revenue_per_user", "conversion", "ctr", "minutes_per_session")

CONFIG_YAML = """\
source: {{path: {data}}}
control: control
arms: {{control: 0.5, treatment: 0.5}}
metrics:
  - name: revenue_per_user
    type: mean
    column: {revenue}
    covariate: pre_revenue
  - name: conversion
    type: proportion
    column: converted
  - name: ctr
    type: ratio
    numerator: clicks
    denominator: impressions
  - name: minutes_per_session
    type: ratio
    numerator: session_minutes
    denominator: sessions
guardrails:
  - metric: minutes_per_session
    direction: increase
    margin: 0.02
segments: [platform]
fail_on: {fail_on}
"""


def write_config(
    folder: Path,
    data: str,
    *,
    name: str = "cfg.yaml",
    revenue: str = "revenue",
    fail_on: str = "[srm, guardrail]",
    extra: str = "",
) -> Path:
    path = folder / name
    text = CONFIG_YAML.format(data=data, revenue=revenue, fail_on=fail_on) + extra
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three data sets: a healthy test, a broken 55/45 split, and an engagement drop."""
    out = tmp_path_factory.mktemp("cli")
    healthy = generate_recommender_test(N_USERS, seed=21)
    pq.write_table(healthy.users, out / "users.parquet")
    broken = generate_recommender_test(N_USERS, seed=22, arms={"control": 0.55, "treatment": 0.45})
    pq.write_table(broken.users, out / "broken_split.parquet")
    drop = generate_recommender_test(N_USERS, seed=23, effects={"session_minutes": -0.15})
    pq.write_table(drop.users, out / "engagement_drop.parquet")
    return out


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()


def invoke(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def nonempty_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_close(got: Any, want: Any, path: str = "") -> None:
    """Same structure; strings and flags equal; numbers to a relative 1e-9."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), path
        for key in want:
            assert_close(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, int | float), path
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {got} != {want}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def assert_one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = nonempty_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout.strip() == ""
    return lines[0]


# --- a healthy readout -----------------------------------------------------------------------


def test_experiment_prints_srm_first_and_writes_the_api_result(
    runner: CliRunner, folder: Path
) -> None:
    config = write_config(folder, "users.parquet")
    (folder / "out").mkdir(exist_ok=True)
    out = folder / "out" / "result.json"
    result = invoke(runner, "experiment", config, "--json", out)
    assert result.exit_code == 0, result.output
    lines = nonempty_lines(result.stdout)
    assert lines[0].startswith("Sample ratio OK: p = ")
    for name in METRICS:
        assert name in result.stdout
    assert "Guardrails" in result.stdout and "PASS" in result.stdout
    assert f"Full result written to {out}" in result.stdout
    assert result.stderr == ""

    written = json.loads(out.read_text(encoding="utf-8"))
    assert written.pop("generator").startswith("mlroi")  # the mark: mlroi may replace it
    expected = readout(config=load_model(config, ExperimentConfig), base=folder).to_dict()
    assert_close(written, expected)
    assert [c["metric"] for c in written["comparisons"]] == list(METRICS)


def test_experiment_runs_as_a_real_subprocess(folder: Path) -> None:
    config = write_config(folder, "users.parquet", name="subprocess.yaml")
    out = folder / "subprocess.json"
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}}
    proc = subprocess.run(
        [sys.executable, "-m", "mlroi", "experiment", str(config), "--json", str(out)],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert nonempty_lines(proc.stdout)[0].startswith("Sample ratio OK")
    for name in METRICS:
        assert name in proc.stdout
    expected = readout(config=load_model(config, ExperimentConfig), base=folder).to_dict()
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written.pop("generator").startswith("mlroi")
    assert_close(written, expected)


# --- gates: SRM and guardrails -----------------------------------------------------------------


def test_broken_split_fails_with_sample_ratio_mismatch(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "broken_split.parquet", name="broken.yaml")
    result = invoke(runner, "experiment", config)
    assert result.exit_code == 1, result.output
    assert nonempty_lines(result.stdout)[0].startswith("SAMPLE RATIO MISMATCH: p ")
    assert "FAILED: sample ratio mismatch" in result.stderr
    assert "Traceback" not in result.output


def test_no_fail_reports_the_mismatch_but_exits_zero(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "broken_split.parquet", name="broken.yaml")
    result = invoke(runner, "experiment", config, "--no-fail")
    assert result.exit_code == 0, result.output
    assert "SAMPLE RATIO MISMATCH" in result.stdout
    assert "sample ratio mismatch" in result.stderr


def test_failing_guardrail_exits_one(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "engagement_drop.parquet", name="drop.yaml")
    result = invoke(runner, "experiment", config)
    assert result.exit_code == 1, result.output
    first, second = nonempty_lines(result.stdout)[:2]  # the failed check before anything else
    assert first.startswith("Failed check: guardrail minutes_per_session failed for treatment")
    assert second.startswith("Sample ratio OK")
    assert "FAIL" in result.stdout
    failed = [line for line in nonempty_lines(result.stderr) if line.startswith("FAILED:")]
    assert len(failed) == 1
    assert failed[0].startswith("FAILED: guardrail minutes_per_session failed for treatment:")
    assert "is below -2.00%" in failed[0]


def test_fail_on_srm_only_ignores_a_failing_guardrail(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "engagement_drop.parquet", name="srm_only.yaml", fail_on="[srm]")
    result = invoke(runner, "experiment", config)
    assert result.exit_code == 0, result.output
    assert "FAIL" in result.stdout  # still shown in the guardrail table
    assert "FAILED" not in result.stderr


# --- bad input -------------------------------------------------------------------------------


def test_missing_column_is_one_error_line_and_exit_two(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "users.parquet", name="typo_column.yaml", revenue="revenu")
    line = assert_one_error_line(invoke(runner, "experiment", config))
    assert "metric column 'revenu' not found (did you mean 'revenue'?)" in line
    # the message is printed as text, not as rich markup that would eat "[user_id, ...]"
    assert "; the table has [user_id, variant, platform, user_type, pre_revenue," in line


def test_yaml_typo_is_one_error_line_with_file_and_line(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "users.parquet", name="typo_key.yaml", extra="levle: 0.9\n")
    line_no = config.read_text(encoding="utf-8").splitlines().index("levle: 0.9") + 1
    line = assert_one_error_line(invoke(runner, "experiment", config))
    assert line.startswith(f"error: {config}:{line_no} levle: unknown key 'levle'")
    assert "did you mean 'level'?" in line


def test_missing_data_file_is_one_error_line(runner: CliRunner, folder: Path) -> None:
    config = write_config(folder, "nowhere.parquet", name="no_data.yaml")
    line = assert_one_error_line(invoke(runner, "experiment", config))
    assert f"source file not found: {folder / 'nowhere.parquet'}" in line


def test_debug_shows_the_traceback(folder: Path) -> None:
    config = write_config(folder, "users.parquet", name="debug.yaml", revenue="revenu")
    proc = subprocess.run(
        [sys.executable, "-m", "mlroi", "--debug", "experiment", str(config)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr
    assert "mlroi.errors.DataError: metric column 'revenu' not found" in proc.stderr


# --- the demo ----------------------------------------------------------------------------------


def test_demo_writes_agreeing_per_user_and_event_log_results(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = invoke(runner, "demo", "--users", "20000", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    per_user = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    from_events = json.loads((tmp_path / "result-events.json").read_text(encoding="utf-8"))
    assert len(per_user["comparisons"]) == 4
    assert_close(from_events["comparisons"], per_user["comparisons"])
    assert_close(from_events["srm"], per_user["srm"])
    assert_close(from_events["guardrails"], per_user["guardrails"])
    for name in ("users.parquet", "events.parquet", "assignments.parquet", "experiment.yaml"):
        assert (tmp_path / name).exists()
    # one story: the recommender's ROI uses the readout the demo printed, on the demo's data
    roi = json.loads((tmp_path / "roi-recommender.json").read_text(encoding="utf-8"))
    revenue = next(c for c in per_user["comparisons"] if c["metric"] == "revenue_per_user")
    assert roi["lifts"][0]["estimate"] == revenue["absolute"]["estimate"]
    assert "runs on this table" in " ".join(result.output.split())
    for stem in ("recommender", "churn", "fraud", "feed"):
        assert (tmp_path / "reports" / stem / "report.html").exists()
        assert str(tmp_path / "reports" / stem / "report.html") in result.output.replace("\n", "")
    assert "value, first" in result.output and "24 months" in result.output
    assert "How the figures relate" in result.output


def test_the_demo_experiment_is_the_recommender_case_experiment() -> None:
    from mlroi.demo.config import experiment_yaml
    from mlroi.spec.case import load_case

    examples = Path(__file__).resolve().parents[1] / "examples"
    case = load_case(examples / "recommender.yaml").experiment
    assert case is not None
    for events in (False, True):
        text = experiment_yaml(events=events)
        demo = ExperimentConfig.model_validate(__import__("yaml").safe_load(text))
        mine = demo.model_dump(exclude={"source", "events"})
        assert mine == case.model_dump(exclude={"source", "events"})


def test_the_demo_never_overwrites_a_file_it_did_not_write(
    runner: CliRunner, tmp_path: Path
) -> None:
    mine = tmp_path / "experiment.yaml"
    mine.write_text("my own experiment\n", encoding="utf-8")
    line = assert_one_error_line(invoke(runner, "demo", "--users", "2000", "--out", tmp_path))
    assert "experiment.yaml exists and was not written by mlroi demo" in line
    assert mine.read_text(encoding="utf-8") == "my own experiment\n"
    assert not (tmp_path / "users.parquet").exists()
