"""Spark gives the numbers DuckDB gives: the decision analysis (exact and binned curves, the
challenger, the bootstrap, the uplift rankings) and the readout of every 0/1 encoding.

The data, the references and the comparison are those of ``test_postgres_parity.py`` (same rows,
same tolerance: 1e-9 relative, 1e-12 absolute); only the engine differs. Spark reads the rows from
Parquet into a temporary view and mlroi opens it through the URL ``pyspark://`` (Ibis' PySpark
backend on the active SparkSession). The bootstrap weights each row by its position, and a
single-file Parquet view returns its rows in file order, as DuckDB does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from mlroi import readout
from mlroi.decision.analysis import decide
from mlroi.errors import BackendError, DataError, MlroiError
from mlroi.sources.open import Source
from spark_session import URL, SparkTables
from test_postgres_parity import (
    BINNED,
    ENCODINGS,
    Loader,
    assert_same,
    broken,
    churn,
    decision_config,
    decision_numbers,
    experiment_config,
    with_encoding,
    without_distinct_count,
)

pytestmark = pytest.mark.spark
__all__ = ["churn"]  # the module fixture of the PostgreSQL parity tests: the same rows


class SparkLoader(Loader):
    """Puts a table on Spark (engine ``"spark"``) or in a Parquet file for DuckDB."""

    def __init__(self, tables: SparkTables, folder: Path) -> None:
        super().__init__(tables.con, URL, folder)
        self.spark = tables

    def load(self, engine: str, name: str, table: pa.Table) -> Source:
        if engine == "spark":
            return self.spark.put(name, table)  # type: ignore[no-any-return]
        return self.duckdb(name, table)


@pytest.fixture(scope="module")
def loader(spark_tables: SparkTables, tmp_path_factory: pytest.TempPathFactory) -> SparkLoader:
    return SparkLoader(spark_tables, tmp_path_factory.mktemp("spark-parity"))


@pytest.mark.parametrize("label", ["int", "text"])
def test_decide_on_spark_gives_the_duckdb_numbers(
    label: str, churn: Any, loader: SparkLoader
) -> None:
    table = with_encoding(churn.scored, {"churned": label, "treated": "bool"})
    reference = decision_numbers(loader, "duckdb", churn.scored, "scored_reference")
    assert_same(decision_numbers(loader, "spark", table, f"scored_{label}"), reference)


def test_the_binned_curve_on_spark_gives_the_duckdb_numbers(
    churn: Any, loader: SparkLoader
) -> None:
    reference = decision_numbers(loader, "duckdb", churn.scored, "scored_reference", **BINNED)
    got = decision_numbers(loader, "spark", churn.scored, "scored_int", **BINNED)
    assert all(m["method"].startswith("binned") for m in got["models"].values())
    assert_same(without_distinct_count(got), without_distinct_count(reference))


@pytest.mark.parametrize("label", ENCODINGS)
def test_the_readout_on_spark_gives_the_duckdb_numbers_for_every_encoding(
    label: str, churn: Any, loader: SparkLoader
) -> None:
    reference = readout(config=experiment_config(loader.duckdb("campaign", churn.campaign)))
    table = with_encoding(churn.campaign, {"retained": label})
    got = readout(config=experiment_config(loader.load("spark", f"campaign_{label}", table)))
    assert_same(got.to_dict(), reference.to_dict())


def test_a_text_outcome_with_another_word_is_refused_on_spark(
    churn: Any, loader: SparkLoader
) -> None:
    """The check that names the column runs on Spark too (ANSI casts would fail the query)."""
    words = with_encoding(churn.campaign, {"retained": "text"}).to_pydict()
    words["retained"][:3] = ["maybe"] * 3
    source = loader.load("spark", "campaign_words", pa.table(words))
    with pytest.raises(DataError, match=r"metric column 'retained': 3 of [\d,]+ values are not"):
        readout(config=experiment_config(source))


@pytest.mark.parametrize(("column", "kind"), [("churned", "words"), ("score", "text")])
def test_a_decision_on_an_unusable_column_fails_with_one_line_on_spark(
    column: str, kind: str, churn: Any, loader: SparkLoader
) -> None:
    n = churn.scored.num_rows
    values = {
        "text": pa.array(np.full(n, "high")),
        "words": pa.array(np.where(np.arange(n) % 2 == 0, "maybe", "no")),
    }[kind]
    table = broken(churn.scored, column, values)
    source = loader.load("spark", f"scored_bad_{column}_{kind}", table)
    with pytest.raises(MlroiError) as caught:
        decide(decision_config(source), seed=5)
    assert isinstance(caught.value, DataError | BackendError)
    assert "\n" not in str(caught.value)
    assert column in str(caught.value)
