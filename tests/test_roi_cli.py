"""`mlroi roi`, `validate`, `schema` and `init`, and the example cases on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlroi.cli import app
from mlroi.pipeline import evaluate
from mlroi.spec.case import Case, load_case

EXAMPLES = Path(__file__).parents[1] / "examples"
runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_init_writes_a_starter_case_that_validates_and_runs(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    assert invoke("init", case).exit_code == 0
    assert invoke("validate", case).exit_code == 0
    out = tmp_path / "roi.json"
    result = invoke("roi", case, "--json", out, "--draws", "2000")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["headline"].startswith("For every $1 spent, $")
    assert data["draws"] == 2000
    assert data["rate_card_date"] == "2026-11-01"
    # the worked arithmetic of the starter: value = lift x margin x users x ramp/decay/growth
    assert (
        data["total_value"]["lower"] < data["total_value"]["point"] < data["total_value"]["upper"]
    )


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("keep me")
    line = one_error_line(invoke("init", case))
    assert "exists" in line and "--force" in line
    assert case.read_text() == "keep me"


def test_schema_is_a_json_schema_with_every_section(tmp_path: Path) -> None:
    out = tmp_path / "case.schema.json"
    assert invoke("schema", "--out", out).exit_code == 0
    schema = json.loads(out.read_text())
    assert schema["$schema"].startswith("https://json-schema.org/")
    for section in ("experiment", "value", "costs", "finance", "simulation", "rate_card"):
        assert section in schema["properties"]
    assert set(schema["required"]) >= {"name", "value", "costs", "finance"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "discount_rate: 0.10",
            "discount_rat: 0.10",
            "finance.discount_rat: unknown key 'discount_rat'; did you mean 'discount_rate'?",
        ),
        ("horizon_months: 24", "horizon_months: 0", "finance.horizon_months: "),
        ("  currency: USD\n", "", "finance.currency: required field is missing"),
        ("share: 0.6}", "share: 1.5}", "costs[4].share"),
        ("tb: 8}", 'tb: "2,5"}', 'costs[3].tb: expected a number, got "2,5"'),
        ("amount: 18000", "amount: -18000", "costs[5].amount: "),
        ("margin: {low: 0.25", "margin: {low: -0.25", "value.drivers[0].margin"),
        ("gpu: a100-40gb", "gpu: a100", 'did you mean "a100-40gb"'),
    ],
)
def test_a_broken_case_is_one_line_naming_file_line_and_field(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    case = tmp_path / "case.yaml"
    assert invoke("init", case).exit_code == 0
    text = case.read_text()
    assert old in text
    case.write_text(text.replace(old, new, 1))
    line = one_error_line(invoke("roi", case))
    assert expected in line
    assert f"{case}:" in line


def test_too_few_draws_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    assert invoke("init", case).exit_code == 0
    line = one_error_line(invoke("roi", case, "--draws", "10"))
    assert line.startswith("error: --draws: ")


def test_a_metric_the_experiment_does_not_define_is_an_error(tmp_path: Path) -> None:
    text = (EXAMPLES / "churn.yaml").read_text().replace("{metric: retained}", "{metric: retain}")
    case = tmp_path / "churn.yaml"
    case.write_text(text)
    line = one_error_line(invoke("validate", case))
    assert "value.drivers[0].lift.metric: metric 'retain' is not defined by the experiment" in line
    assert f"{case}:" in line


def test_unknown_file_is_one_line() -> None:
    line = one_error_line(invoke("roi", "no/such/case.yaml"))
    assert "file not found" in line


@pytest.mark.parametrize("name", ["recommender", "churn", "fraud", "feed"])
def test_every_example_case_validates(name: str) -> None:
    case = load_case(EXAMPLES / f"{name}.yaml")
    assert case.finance.currency == "USD"


def small(case: Case) -> Case:
    sim = case.simulation.model_copy(update={"draws": 5_000})
    return case.model_copy(update={"simulation": sim})


def test_churn_case_values_the_retention_lift_of_its_campaign() -> None:
    case = small(load_case(EXAMPLES / "churn.yaml"))
    r = evaluate(case, base=EXAMPLES)
    retained = next(x for x in r.lifts if x.metric == "retained")
    assert retained.estimate == pytest.approx(0.05, abs=0.015)  # the demo's true lift
    # discounts are booked as a measured cost next to the cost items
    assert any(c.category == "measured" and c.name == "discounts given" for c in r.costs)
    cost_items = sum(c.total for c in r.costs)
    assert r.total_cost.estimate == pytest.approx(cost_items, rel=1e-9)


def test_fraud_case_values_the_loss_reduction_of_its_holdout() -> None:
    case = small(load_case(EXAMPLES / "fraud.yaml"))
    r = evaluate(case, base=EXAMPLES)
    loss = next(x for x in r.lifts if x.metric == "fraud_loss")
    assert loss.control_value is not None
    assert loss.estimate / loss.control_value == pytest.approx(-0.288, abs=0.1)
    assert r.total_value.estimate > 0


def test_a_case_built_in_code_gives_the_same_result_as_its_yaml(tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    assert invoke("init", case_file).exit_code == 0
    from_yaml = load_case(case_file)
    in_code = Case.model_validate(from_yaml.model_dump())
    assert in_code == from_yaml
    assert evaluate(small(in_code)).to_json() == evaluate(small(from_yaml)).to_json()


def test_an_error_in_a_hand_entered_lift_speaks_of_that_lift(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    assert invoke("init", case).exit_code == 0
    case.write_text(case.read_text().replace("estimate: 0.35", "estimate: 0.75"))
    line = one_error_line(invoke("validate", case))
    assert "value.drivers[0].lift: estimate 0.75 lies outside its interval [0.2, 0.5]" in line
    assert "unknown key" not in line
