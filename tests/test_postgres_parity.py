"""PostgreSQL gives the numbers DuckDB gives: the decision analysis, the readout and the ROI.

The same rows are loaded into the session's PostgreSQL server and written to Parquet for DuckDB.
Binary columns (the churn label, the treatment flag, the retention outcome) are stored as 0/1
integers, booleans or 'yes'/'no' strings; every encoding, on either engine, must reproduce the
numbers of 0/1 integers on DuckDB.

Tolerance: 1e-9 relative (1e-12 absolute near zero). The sums themselves agree exactly (both
engines add the values in fixed point, ``DECIMAL(38, 10)``), but a few statistics are computed by
each engine in its own floating-point way (the quantile of a capped metric, a ``float8`` mean),
which can move the last bits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlroi import ExperimentConfig, Mean, Proportion, Source, readout
from mlroi.decision.analysis import decide
from mlroi.decision.config import DecisionConfig
from mlroi.demo import generate_churn
from mlroi.errors import BackendError, DataError, MlroiError

pytestmark = pytest.mark.postgres

RTOL = 1e-9
ATOL = 1e-12
ROWS = 3_000
ENCODINGS = ("int", "bool", "text")


# --- data --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def churn() -> Any:
    return generate_churn(ROWS, seed=11)


def encode(column: pa.ChunkedArray, encoding: str) -> pa.Array:
    """A 0/1 integer column as integers, booleans or 'yes'/'no' strings."""
    ones = column.to_numpy() == 1
    if encoding == "int":
        return pa.array(ones.astype(np.int64))
    if encoding == "bool":
        return pa.array(ones)
    return pa.array(np.where(ones, "yes", "no"))


def with_encoding(table: pa.Table, encodings: dict[str, str]) -> pa.Table:
    for name, encoding in encodings.items():
        table = table.set_column(
            table.schema.get_field_index(name), name, encode(table[name], encoding)
        )
    return table


class Loader:
    """Puts a pyarrow table on an engine and returns its :class:`Source`."""

    def __init__(self, con: Any, url: str, folder: Path) -> None:
        self.con, self.url, self.folder = con, url, folder
        self.tables: list[str] = []

    def postgres(self, name: str, table: pa.Table) -> Source:
        self.con.create_table(name, obj=table, overwrite=True)
        self.tables.append(name)
        return Source(url=self.url, table=name)

    def duckdb(self, name: str, table: pa.Table) -> Source:
        path = self.folder / f"{name}.parquet"
        pq.write_table(table, path)
        return Source(path=str(path))

    def load(self, engine: str, name: str, table: pa.Table) -> Source:
        return self.postgres(name, table) if engine == "postgres" else self.duckdb(name, table)


@pytest.fixture(scope="module")
def loader(
    postgres_con: Any, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loader]:
    loader = Loader(postgres_con, postgres_url, tmp_path_factory.mktemp("parity"))
    try:
        yield loader
    finally:
        for name in loader.tables:
            postgres_con.drop_table(name, force=True)


# --- comparison --------------------------------------------------------------------------------


def _flatten(x: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(x, dict):
        for key, value in x.items():
            yield from _flatten(value, f"{path}.{key}")
    elif isinstance(x, list | tuple):
        for i, value in enumerate(x):
            yield from _flatten(value, f"{path}[{i}]")
    else:
        yield path, x


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """Paths where ``got`` differs from ``want``: strings exactly, numbers within RTOL."""
    got_flat, want_flat = dict(_flatten(got)), dict(_flatten(want))
    if list(got_flat) != list(want_flat):
        return [f"different fields: {sorted(set(got_flat) ^ set(want_flat))[:5]}"]
    out = []
    for path, expected in want_flat.items():
        actual = got_flat[path]
        if isinstance(expected, float) and isinstance(actual, int | float):
            same = (math.isnan(expected) and math.isnan(actual)) or math.isclose(
                actual, expected, rel_tol=RTOL, abs_tol=ATOL
            )
        else:
            same = actual == expected
        if not same:
            out.append(f"{path}: got {actual!r}, want {expected!r}")
    return out


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    found = differences(got, want)
    assert not found, f"{len(found)} differences, first: " + "; ".join(found[:5])


# --- the decision analysis ---------------------------------------------------------------------


def decision_config(source: Source) -> DecisionConfig:
    """The churn demo's decision section: challenger, past campaign, uplift model, constraint."""
    return DecisionConfig.model_validate(
        {
            "source": source,
            "score": "score",
            "label": "churned",
            "challenger": "score_challenger",
            "treated": "treated",
            "uplift_score": "uplift_score",
            "eligible": "tenure_months >= 12",
            "template": "churn",
            "columns": {"clv": "saved_value"},
            "parameters": {
                "saved_value": {"low": 350, "likely": 480, "high": 600},
                "g": {"beta": [6, 14]},
                "stayers_accept": 0.6,
                "contact": 2.5,
            },
            "constraints": ["discounts_given <= value_retained"],
            "bootstrap": {"resamples": 20},
            "parameter_draws": 200,
        }
    )


def decision_numbers(loader: Loader, engine: str, table: pa.Table, name: str) -> dict[str, Any]:
    result = decide(decision_config(loader.load(engine, name, table)), seed=5)
    return result.to_dict()


@pytest.fixture(scope="module")
def decision_reference(churn: Any, loader: Loader) -> dict[str, Any]:
    """0/1 integers on DuckDB: what every engine and encoding must reproduce."""
    return decision_numbers(loader, "duckdb", churn.scored, "scored_reference")


def test_the_reference_decision_covers_challenger_bootstrap_and_uplift(
    decision_reference: dict[str, Any],
) -> None:
    models = decision_reference["models"]
    assert set(models) == {"champion", "challenger"}
    for model in models.values():
        assert model["decision"]["point"] is not None
        assert model["bootstrap"] is not None
        assert model["parameters"] is not None
    assert decision_reference["comparison"] is not None
    assert set(decision_reference["uplift"]["rankings"]) == {
        "score",
        "score_challenger",
        "uplift_score",
    }


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
@pytest.mark.parametrize("treated", ENCODINGS)
@pytest.mark.parametrize("label", ENCODINGS)
def test_decide_gives_the_reference_numbers_for_every_engine_and_encoding(
    engine: str,
    label: str,
    treated: str,
    churn: Any,
    loader: Loader,
    decision_reference: dict[str, Any],
) -> None:
    table = with_encoding(churn.scored, {"churned": label, "treated": treated})
    got = decision_numbers(loader, engine, table, f"scored_{label}_{treated}")
    assert_same(got, decision_reference)


# --- the readout and the ROI -------------------------------------------------------------------

EXPERIMENT = {
    "unit": "customer_id",
    "variant": "variant",
    "control": "control",
    "arms": {"control": 0.5, "offer": 0.5},
    "segments": ["tenure_bucket"],
}


def experiment_config(source: Source) -> ExperimentConfig:
    return ExperimentConfig(
        source=source,
        **EXPERIMENT,
        metrics=[
            Proportion(name="retained", column="retained"),
            Mean(name="revenue_3m", column="revenue_3m", covariate="pre_revenue_3m"),
            Mean(name="revenue_capped", column="revenue_3m", cap=0.99),
            Mean(name="discount_cost", column="discount_cost"),
        ],
    )


@pytest.fixture(scope="module")
def readout_reference(churn: Any, loader: Loader) -> dict[str, Any]:
    source = loader.load("duckdb", "campaign_reference", churn.campaign)
    return readout(config=experiment_config(source)).to_dict()


def test_the_reference_readout_estimates_every_comparison(
    readout_reference: dict[str, Any],
) -> None:
    assert {c["status"] for c in readout_reference["comparisons"]} == {"ok"}
    assert len(readout_reference["segments"]) > 0


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
@pytest.mark.parametrize("label", ENCODINGS)
def test_the_readout_gives_the_reference_numbers_for_every_engine_and_encoding(
    engine: str, label: str, churn: Any, loader: Loader, readout_reference: dict[str, Any]
) -> None:
    table = with_encoding(churn.campaign, {"retained": label})
    source = loader.load(engine, f"campaign_{label}", table)
    assert_same(readout(config=experiment_config(source)).to_dict(), readout_reference)
