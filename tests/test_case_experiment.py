"""`mlroi experiment` and `mlroi design` read a case's `experiment:` section; `mlroi roi` shows
the readout lifts it used above its headline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mlroi.cli import app
from mlroi.experiment.config import ExperimentConfig
from mlroi.spec.experiment_file import load_experiment
from mlroi.spec.loader import load_model

runner = CliRunner()

EXPERIMENT = """\
  source: {{path: {path}}}
  unit: user_id
  control: control
  arms: {{control: 0.5, treatment: 0.5}}
  metrics:
    - {{name: conversion, type: proportion, column: converted}}
    - {{name: revenue, type: mean, column: revenue}}
"""

CASE = """\
name: Recommender
goal: More revenue
intervention: Show recommendations
population: {{description: users}}
primary_metric: conversion
experiment:
{experiment}
value:
  drivers:
    - {{name: orders, lift: {{metric: conversion}}, value_per_unit: 40, units_per_month: 10000}}
costs:
  - {{kind: fixed, name: team, category: other, amount: 2000, every: month}}
finance: {{currency: USD, horizon_months: 12}}
simulation: {{draws: 2000}}
"""


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 4_000
    variant = np.where(np.arange(n) % 2 == 0, "control", "treatment")
    converted = (rng.uniform(size=n) < np.where(variant == "control", 0.10, 0.14)).astype(int)
    table = pa.table(
        {
            "user_id": np.arange(n),
            "variant": variant,
            "converted": converted,
            "revenue": converted * rng.lognormal(3, 0.4, n),
        }
    )
    path = tmp_path / "ab.parquet"
    pq.write_table(table, path)
    return path


def case_file(tmp_path: Path, parquet: Path, experiment: str | None = None) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(CASE.format(experiment=experiment or EXPERIMENT.format(path=parquet)))
    return path


def experiment_file(tmp_path: Path, parquet: Path) -> Path:
    path = tmp_path / "experiment.yaml"
    lines = EXPERIMENT.format(path=parquet).splitlines()
    path.write_text("\n".join(line.removeprefix("  ") for line in lines) + "\n")
    return path


def test_a_case_file_gives_the_experiment_section(parquet: Path, tmp_path: Path) -> None:
    from_case = load_experiment(case_file(tmp_path, parquet))
    alone = load_model(experiment_file(tmp_path, parquet), ExperimentConfig)
    assert from_case == alone
    assert load_experiment(experiment_file(tmp_path, parquet)) == alone


def test_mlroi_experiment_reads_out_a_case_as_it_reads_an_experiment_file(
    parquet: Path, tmp_path: Path
) -> None:
    outs = []
    for name, path in (
        ("case", case_file(tmp_path, parquet)),
        ("alone", experiment_file(tmp_path, parquet)),
    ):
        out = tmp_path / f"{name}.json"
        result = runner.invoke(app, ["experiment", str(path), "--json", str(out)])
        assert result.exit_code == 0, result.output
        assert "conversion" in result.output
        outs.append(json.loads(out.read_text()))
    assert outs[0] == outs[1]


def test_mlroi_design_reads_a_case(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "design.json"
    result = runner.invoke(app, ["design", str(case_file(tmp_path, parquet)), "--json", str(out)])
    assert result.exit_code == 0, result.output
    designs = json.loads(out.read_text())["designs"]  # beside mlroi's mark, "generator"
    assert [d["metric"] for d in designs] == ["conversion", "revenue"]


def test_an_error_in_the_section_names_the_case_line(parquet: Path, tmp_path: Path) -> None:
    bad = EXPERIMENT.format(path=parquet).replace("column: converted", "colum: converted")
    result = runner.invoke(app, ["experiment", str(case_file(tmp_path, parquet, bad))])
    assert result.exit_code == 2
    assert ":12 experiment.metrics[0].colum: unknown key 'colum'; did you mean 'column'?" in (
        result.stderr
    )


def test_a_case_without_an_experiment_says_how_to_add_one(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    assert runner.invoke(app, ["init", str(case)]).exit_code == 0
    for command in ("experiment", "design"):
        result = runner.invoke(app, [command, str(case)])
        assert result.exit_code == 2
        assert "a case without an `experiment:` section: add one" in result.stderr
        assert "unknown key" not in result.stderr


def test_roi_shows_the_readout_lift_it_used_above_the_headline(
    parquet: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["roi", str(case_file(tmp_path, parquet))])
    assert result.exit_code == 0, result.output
    out = result.output
    line = next(x for x in out.splitlines() if x.startswith("Lift of conversion used for orders"))
    assert "(experiment readout, treatment vs control)" in line
    assert "(95% CI), relative +" in line and "2,000 treatment and 2,000 control units" in line
    assert out.index("Lift of conversion") < out.index("For every $1 spent")
