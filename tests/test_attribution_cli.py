"""`mlroi attribute`: the same conventions as `decide` (--json, exit codes, one-line errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from mlroi.cli import app
from mlroi.demo.journeys import generate_journey_logs

EXAMPLES = Path(__file__).parents[1] / "examples"
runner = CliRunner()

CASE = """\
name: Recommender
goal: Increase revenue per user
intervention: Show recommendations
population: {description: everyone}
primary_metric: profit
attribution:
  touchpoints: {path: touchpoints.parquet}
  orders: {path: orders.parquet}
  assignments: {path: assignments.parquet}
  resamples: 25
  incremental: {estimate: 4000, interval: [2000, 6000], source: a holdout in September}
value:
  drivers:
    - {name: profit, lift: {estimate: 1.0}, per: month, value_per_unit: 1, units_per_month: 1000}
costs:
  - {kind: fixed, name: licence, category: licence, amount: 100, every: month}
finance: {currency: EUR, horizon_months: 12}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("attribution")
    for name, table in generate_journey_logs(3_000, seed=3).items():
        pq.write_table(table, out / f"{name}.parquet")
    assigned = pa.table({"user_id": pa.array(range(1, 2_001), pa.int64())})
    pq.write_table(assigned, out / "assignments.parquet")
    (out / "case.yaml").write_text(CASE)
    return out


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_attribute_prints_the_credits_and_writes_json(folder: Path) -> None:
    out = folder / "attribution.json"
    result = invoke("attribute", folder / "case.yaml", "--json", out)
    assert result.exit_code == 0, result.output
    assert "Influenced revenue is not incremental revenue" in result.output
    assert "Incrementality factor" in result.output
    data = json.loads(out.read_text())
    assert data["kind"] == "attribution" and data["currency"] == "EUR"
    assert data["resamples"] == 25
    for model in data["models"]:
        total = sum(c["value"]["estimate"] for c in model["channels"])
        assert total == pytest.approx(data["attributed_revenue"])
    assert data["reconciliation"]["source"] == "a holdout in September"
    assert data["data"]["duplicate_touches"] > 0
    assert data["data"]["users_missing_from_assignments"] > 0
    assert "not in the assignment table" in result.output


def test_resamples_zero_turns_the_intervals_off(folder: Path) -> None:
    out = folder / "no-bootstrap.json"
    assert (
        invoke("attribute", folder / "case.yaml", "--resamples", "0", "--json", out).exit_code == 0
    )
    channel = json.loads(out.read_text())["models"][0]["channels"][0]
    assert channel["value"]["lower"] is None


def test_a_case_without_the_section_is_one_line(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.split("attribution:")[0] + "value:" + CASE.split("value:")[1])
    assert "no `attribution:` section" in one_error_line(invoke("attribute", case))


def test_a_missing_column_names_the_log_and_the_fix(folder: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    text = CASE.replace("touchpoints.parquet", str(folder / "touchpoints.parquet"))
    text = text.replace("{path: orders.parquet}", f"{{path: {folder / 'orders.parquet'}}}")
    case.write_text(
        text.replace("resamples: 25", "resamples: 0\n  order_columns: {revenue: amount}")
    )
    line = one_error_line(invoke("attribute", case))
    assert "attribution.orders: revenue column 'amount' not found" in line


def test_a_zero_window_is_refused_at_its_line(folder: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.replace("resamples: 25", "lookback_days: 0"))
    line = one_error_line(invoke("attribute", case))
    assert "case.yaml:" in line and "lookback_days" in line


def test_the_example_recommender_reconciles_with_its_experiment() -> None:
    result = invoke("attribute", EXAMPLES / "recommender.yaml", "--resamples", "20")
    assert result.exit_code == 0, result.output
    assert "experiment readout: revenue_per_user" in result.output


def test_an_attribution_driver_values_the_adjusted_influenced_revenue_a_month(
    folder: Path, tmp_path: Path
) -> None:
    from mlroi.attribution.analysis import months_in_period
    from mlroi.pipeline import run_case
    from mlroi.spec.case import load_case

    case = tmp_path / "case.yaml"
    text = CASE.replace("touchpoints.parquet", str(folder / "touchpoints.parquet"))
    text = text.replace("{path: orders.parquet}", f"{{path: {folder / 'orders.parquet'}}}")
    text = text.replace("assignments.parquet", str(folder / "assignments.parquet"))
    text = text.replace(
        "lift: {estimate: 1.0}, per: month, value_per_unit: 1, units_per_month: 1000",
        "lift: {attribution: adjusted_last_click}, units_per_month: 1",
    )
    case.write_text(text)
    result = run_case(load_case(case), base=tmp_path)
    assert result.attribution is not None and result.attribution.reconciliation is not None
    lift = result.roi.lifts[0]
    adjusted = result.attribution.reconciliation.adjusted_last_click
    assert lift.estimate == pytest.approx(adjusted.estimate / months_in_period(result.attribution))
    assert "incrementality factor" in lift.source
    out = tmp_path / "report"
    report = invoke("report", case, "--out", out)
    assert report.exit_code == 0, report.output
    page = (out / "report.md").read_text()
    assert "Influenced vs incremental revenue" in page
    assert "Influenced revenue is not incremental revenue" in page
