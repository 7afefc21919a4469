"""`mlroi init --template`: each starter is valid as written, and the decision-only ones run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.spec.case import load_case
from mlroi.spec.decision_case import is_decision_only, load_decision_case
from mlroi.spec.templates import DECISION_ONLY, TEMPLATES

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_template_is_written_and_validates(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yaml"
    result = runner.invoke(app, ["init", str(path), "--template", name])
    assert result.exit_code == 0, result.output
    assert path.read_text() == TEMPLATES[name]
    command = "decide" if name in DECISION_ONLY else "roi"
    assert f"mlroi {command} {path}" in result.output
    checked = runner.invoke(app, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    if name in DECISION_ONLY:
        assert is_decision_only(path)
        assert load_decision_case(path).money == "USD"
    else:
        case = load_case(path)
        assert case.experiment is not None and case.value.drivers


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_is_commented(name: str) -> None:
    lines = TEMPLATES[name].splitlines()
    assert lines[0].startswith("# ")
    assert sum("#" in line for line in lines) >= 10


def test_init_with_a_template_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("my own notes\n")
    result = runner.invoke(app, ["init", str(path), "--template", "fraud"])
    assert result.exit_code == 2
    assert "exists: choose another path or pass --force" in result.stderr
    assert path.read_text() == "my own notes\n"


def test_an_unknown_template_lists_the_known_ones(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "x.yaml"), "--template", "spam"])
    assert result.exit_code == 2
    assert "churn" in result.output and "feed" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_the_churn_template_runs_with_decide_as_written(tmp_path: Path) -> None:
    path = tmp_path / "churn.yaml"
    assert runner.invoke(app, ["init", str(path), "--template", "churn"]).exit_code == 0
    result = runner.invoke(app, ["decide", str(path), "--resamples", "0", "--threshold", "0.3"])
    assert result.exit_code == 0, result.output
    assert "Your threshold 0.3" in result.output and "a year" in result.output
