"""A decision-only case: a `decision:` section and its currency run with `mlroi decide`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.spec.decision_case import is_decision_only, load_decision_case

runner = CliRunner()

SECTION = """\
decision:
  source: {{path: {path}}}
  score: score
  label: churned
  template: churn
  parameters: {{g: 0.3, clv: 200, discount: 10}}
  rows_per_year: 24000
  bootstrap: {{resamples: 0}}
"""


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    score = np.round(rng.beta(2, 5, 2_000), 3)
    table = pa.table(
        {"score": score, "churned": (rng.uniform(size=score.size) < score).astype(np.int64)}
    )
    path = tmp_path / "scored.parquet"
    pq.write_table(table, path)
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "decision.yaml"
    path.write_text(text)
    return path


def test_a_decision_only_case_runs_with_decide_in_its_currency(
    parquet: Path, tmp_path: Path
) -> None:
    case = write(tmp_path, "currency: EUR\n" + SECTION.format(path=parquet))
    out = tmp_path / "d.json"
    result = runner.invoke(app, ["decide", str(case), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "€" in result.output and "a year" in result.output
    data = json.loads(out.read_text())
    assert data["currency"] == "EUR" and data["rows_per_year"] == 24000


def test_finance_currency_serves_too(parquet: Path, tmp_path: Path) -> None:
    case = write(
        tmp_path,
        "finance: {currency: GBP, horizon_months: 12}\n" + SECTION.format(path=parquet),
    )
    assert load_decision_case(case).money == "GBP"


def test_a_decision_only_case_without_a_currency_is_one_line(parquet: Path, tmp_path: Path) -> None:
    case = write(tmp_path, SECTION.format(path=parquet))
    result = runner.invoke(app, ["decide", str(case)])
    assert result.exit_code == 2
    assert "currency: required: the currency of the values, e.g. `currency: USD`" in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_currency_is_located(parquet: Path, tmp_path: Path) -> None:
    case = write(tmp_path, "currency: eur\n" + SECTION.format(path=parquet))
    result = runner.invoke(app, ["decide", str(case)])
    assert result.exit_code == 2
    assert f"{case}:1 currency: expected a 3-letter ISO 4217 code" in result.stderr


def test_a_typo_in_a_decision_key_is_located_in_a_decision_only_case(
    parquet: Path, tmp_path: Path
) -> None:
    text = "currency: EUR\n" + SECTION.format(path=parquet).replace("label:", "lable:")
    result = runner.invoke(app, ["decide", str(write(tmp_path, text))])
    assert result.exit_code == 2
    assert ":5 decision.lable: unknown key 'lable'; did you mean 'label'?" in result.stderr


def test_a_misspelt_section_of_a_decision_only_case_is_named(tmp_path: Path) -> None:
    case = write(tmp_path, "currency: EUR\ndecison:\n  score: s\n")
    assert is_decision_only(case)
    result = runner.invoke(app, ["decide", str(case)])
    assert result.exit_code == 2
    assert "unknown key 'decison'; did you mean 'decision'?" in result.stderr


def test_a_file_with_a_full_case_section_is_a_full_case(tmp_path: Path) -> None:
    case = write(tmp_path, "currency: EUR\ngoal: keep customers\ndecision: {}\n")
    assert not is_decision_only(case)
    result = runner.invoke(app, ["decide", str(case)])
    assert result.exit_code == 2
    assert "currency: unknown key 'currency'" in result.stderr


def test_validate_recognises_a_decision_only_case(parquet: Path, tmp_path: Path) -> None:
    case = write(tmp_path, "currency: EUR\n" + SECTION.format(path=parquet))
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 0, result.output
    assert "valid decision-only case (act on score, label churned, values in EUR)" in result.output


def test_roi_of_a_decision_only_case_says_to_run_decide(parquet: Path, tmp_path: Path) -> None:
    case = write(tmp_path, "currency: EUR\n" + SECTION.format(path=parquet))
    result = runner.invoke(app, ["roi", str(case)])
    assert result.exit_code == 2
    assert "a decision-only case" in result.stderr and "mlroi decide" in result.stderr
