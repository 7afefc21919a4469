"""PostgreSQL gives the numbers DuckDB gives: the decision analysis, the readout and the ROI.

The same rows are loaded into the session's PostgreSQL server and written to Parquet for DuckDB.
Binary columns (the churn label, the treatment flag, the retention outcome) are stored as 0/1
integers, booleans or 'yes'/'no' strings; every encoding, on either engine, must reproduce the
numbers of 0/1 integers on DuckDB.

Tolerance: 1e-9 relative (1e-12 absolute near zero). The decision's sums agree exactly (both
engines add the values in fixed point, ``DECIMAL(38, 10)``), but the readout's sums of squares
and cross-products are float sums in whatever order each engine adds rows, and a few statistics
are computed by each engine in its own floating-point way (the quantile of a capped metric),
which moves the last bits.

Two things are engine-specific by design and left out of the comparison or relied upon:

- the approximate number of distinct scores the binned method states (DuckDB estimates it with
  HyperLogLog, PostgreSQL counts exactly);
- the order of the rows the bootstrap reads: each row's Poisson weights follow its position, and
  both engines return a freshly loaded table in insertion order. A PostgreSQL table rewritten
  by updates may return its rows in another order, and then gives other (equally valid)
  bootstrap spreads.
"""

from __future__ import annotations

import math
import re
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


def _without_engine_notes(x: Any) -> Any:
    """``x`` without the notes saying how the engine counted distinct units (DuckDB counts
    them in a bitmap over the id range its Parquet footers give), at any depth."""
    if isinstance(x, dict):
        return {
            k: [n for n in v if not str(n).startswith("units checked for duplicates")]
            if k == "notes" and isinstance(v, list | tuple)
            else _without_engine_notes(v)
            for k, v in x.items()
        }
    if isinstance(x, list | tuple):
        return [_without_engine_notes(v) for v in x]
    return x


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    found = differences(_without_engine_notes(got), _without_engine_notes(want))
    assert not found, f"{len(found)} differences, first: " + "; ".join(found[:5])


# --- the decision analysis ---------------------------------------------------------------------


CHURN_VALUE_MODEL = {
    "template": "churn",
    "columns": {"clv": "saved_value"},
    "parameters": {
        "saved_value": {"low": 350, "likely": 480, "high": 600},
        "g": {"beta": [6, 14]},
        "stayers_accept": 0.6,
        "contact": 2.5,
    },
}
"""The churn demo's value model in a decision section (the template and its parameters)."""


def decision_config(source: Source, **changes: Any) -> DecisionConfig:
    """The churn demo's decision section: challenger, past campaign, uplift model, constraint."""
    return DecisionConfig.model_validate(
        changes
        | {
            "source": source,
            "score": "score",
            "label": "churned",
            "challenger": "score_challenger",
            "treated": "treated",
            "uplift_score": "uplift_score",
            "eligible": "tenure_months >= 12",
            **CHURN_VALUE_MODEL,
            "constraints": ["discounts_given <= value_retained"],
            "bootstrap": {"resamples": 20},
            "parameter_draws": 200,
        }
    )


def decision_numbers(
    loader: Loader, engine: str, table: pa.Table, name: str, **changes: Any
) -> dict[str, Any]:
    result = decide(decision_config(loader.load(engine, name, table), **changes), seed=5)
    return result.to_dict()


BINNED = {"max_groups": 1_000, "bins": 100}
"""Fewer groups than the table's distinct scores: the binned curve, refined near the optimum."""


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


@pytest.fixture(scope="module")
def binned_reference(churn: Any, loader: Loader) -> dict[str, Any]:
    return decision_numbers(loader, "duckdb", churn.scored, "scored_reference", **BINNED)


def test_the_binned_reference_reads_bins(binned_reference: dict[str, Any]) -> None:
    for model in binned_reference["models"].values():
        assert model["method"].startswith("binned")


def without_distinct_count(result: dict[str, Any]) -> dict[str, Any]:
    """The result without the approximate count of distinct scores its methods state: DuckDB
    estimates it with HyperLogLog, PostgreSQL counts exactly (both only compare it with
    ``max_groups``, far from it here)."""
    models = {
        name: m | {"method": re.sub(r"about [\d,]+ distinct", "about N distinct", m["method"])}
        for name, m in result["models"].items()
    }
    return result | {"models": models}


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
@pytest.mark.parametrize("label", ENCODINGS)
def test_the_binned_curve_gives_the_reference_numbers_for_every_engine_and_encoding(
    engine: str, label: str, churn: Any, loader: Loader, binned_reference: dict[str, Any]
) -> None:
    table = with_encoding(churn.scored, {"churned": label, "treated": label})
    got = decision_numbers(loader, engine, table, f"scored_{label}_{label}", **BINNED)
    assert_same(without_distinct_count(got), without_distinct_count(binned_reference))


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


def test_a_text_outcome_with_another_word_is_refused_alike_by_both_engines(
    churn: Any, loader: Loader
) -> None:
    """A text 0/1 column may hold yes/no, true/false or 0/1; any other word is named."""
    words = with_encoding(churn.campaign, {"retained": "text"}).to_pydict()
    words["retained"][:3] = ["maybe"] * 3
    table = pa.table(words)
    for engine in ("postgres", "duckdb"):
        source = loader.load(engine, "campaign_words", table)
        with pytest.raises(
            DataError, match=r"metric column 'retained': 3 of [\d,]+ values are not"
        ):
            readout(config=experiment_config(source))


# --- the event-log readout ---------------------------------------------------------------------


def copy_into_postgres(con: Any, name: str, table: pa.Table) -> None:
    """``create_table`` for the schema, then one bulk ``COPY`` (row-by-row inserts are slow)."""
    import ibis
    import pyarrow.csv as pacsv

    con.create_table(name, schema=ibis.memtable(table.slice(0, 0)).schema(), overwrite=True)
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(table, buffer)
    statement = f"COPY {name} ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv, HEADER)"
    with con.con.cursor() as cur, con.con.transaction(), cur.copy(statement) as copy:
        copy.write(buffer.getvalue().to_pybytes())


def test_the_event_log_readout_gives_the_same_numbers_on_both_engines(loader: Loader) -> None:
    """Per-unit columns derived from timestamped events in the backend, then read out."""
    from mlroi import EventLog, Ratio
    from mlroi.demo import generate_recommender_test

    data = generate_recommender_test(3_000, seed=17, arms={"control": 0.5, "b": 0.5})
    copy_into_postgres(loader.con, "parity_events", data.events)
    loader.tables.append("parity_events")
    results = []
    for engine in ("postgres", "duckdb"):
        events = (
            Source(url=loader.url, table="parity_events")
            if engine == "postgres"
            else loader.duckdb("parity_events", data.events)
        )
        assignments = loader.load(engine, "parity_assignments", data.assignments)
        config = ExperimentConfig(
            events=EventLog(source=events, assignments=assignments),
            control="control",
            arms={"control": 0.5, "b": 0.5},
            metrics=[
                Mean(name="revenue_per_user", column="revenue", covariate="pre_revenue"),
                Proportion(name="conversion", column="converted"),
                Ratio(name="ctr", numerator="clicks", denominator="impressions"),
            ],
            segments=["platform"],
        )
        results.append(readout(config=config).to_dict())
    assert {c["status"] for c in results[1]["comparisons"]} == {"ok"}
    assert_same(results[0], results[1])


# --- the ROI of a case valued by the readout ---------------------------------------------------


def case_dict(source: Source) -> dict[str, Any]:
    """The churn demo case without its decision section, its experiment read from ``source``."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    case = yaml.safe_load((root / "examples" / "churn.yaml").read_text())
    case.pop("decision")
    case["experiment"]["source"] = source.model_dump(exclude_none=True)
    return dict(case)


@pytest.fixture(scope="module")
def roi_reference(churn: Any, loader: Loader) -> dict[str, Any]:
    from mlroi import evaluate
    from mlroi.spec.case import Case

    source = loader.load("duckdb", "campaign_reference", churn.campaign)
    return evaluate(Case.model_validate(case_dict(source))).to_dict()


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
@pytest.mark.parametrize("label", ["int", "bool"])
def test_the_roi_of_a_readout_gives_the_reference_numbers(
    engine: str, label: str, churn: Any, loader: Loader, roi_reference: dict[str, Any]
) -> None:
    from mlroi import evaluate
    from mlroi.spec.case import Case

    table = with_encoding(churn.campaign, {"retained": label})
    source = loader.load(engine, f"campaign_{label}", table)
    assert_same(evaluate(Case.model_validate(case_dict(source))).to_dict(), roi_reference)


# --- failures are one line ---------------------------------------------------------------------


def broken(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, values)


def dates(n: int) -> pa.Array:
    return pa.array(np.datetime64("2026-01-01") + np.arange(n) % 30, type=pa.date32())


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("churned", "date"),
        ("treated", "date"),
        ("score", "text"),
        ("discount", "date"),
        ("churned", "words"),
    ],
)
def test_a_decision_on_an_unusable_column_fails_with_one_line(
    engine: str, column: str, kind: str, churn: Any, loader: Loader
) -> None:
    n = churn.scored.num_rows
    values = {
        "date": dates(n),
        "text": pa.array(np.full(n, "high")),
        "words": pa.array(np.where(np.arange(n) % 2 == 0, "maybe", "no")),
    }[kind]
    table = broken(churn.scored, column, values)
    source = loader.load(engine, f"scored_bad_{column}_{kind}", table)
    with pytest.raises(MlroiError) as caught:
        decide(decision_config(source), seed=5)
    assert isinstance(caught.value, DataError | BackendError)
    assert "\n" not in str(caught.value)
    assert column in str(caught.value)


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
@pytest.mark.parametrize("column", ["retained", "revenue_3m"])
def test_a_readout_of_a_date_metric_fails_with_one_line(
    engine: str, column: str, churn: Any, loader: Loader
) -> None:
    table = broken(churn.campaign, column, dates(churn.campaign.num_rows))
    source = loader.load(engine, f"campaign_bad_{column}", table)
    with pytest.raises(MlroiError) as caught:
        readout(config=experiment_config(source))
    assert isinstance(caught.value, DataError | BackendError)
    assert "\n" not in str(caught.value)
    assert column in str(caught.value)


def test_a_failure_inside_postgresql_is_one_backend_error_naming_the_query(
    churn: Any, loader: Loader
) -> None:
    """A view whose score divides by zero fails only when PostgreSQL runs the query."""
    loader.postgres("scored_under_view", churn.scored)
    columns = [c for c in churn.scored.column_names if c != "score"]
    loader.con.raw_sql(
        f"CREATE VIEW parity_broken AS SELECT {', '.join(columns)},"
        " score / (tenure_months * 0) AS score FROM scored_under_view"
    ).close()
    try:
        with pytest.raises(BackendError) as caught:
            decide(decision_config(Source(url=loader.url, table="parity_broken")), seed=5)
    finally:
        loader.con.raw_sql("DROP VIEW parity_broken").close()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("the backend could not run the check of the scored table")
    assert "division by zero" in message


@pytest.mark.parametrize("engine", ["postgres", "duckdb"])
def test_an_uplift_amount_of_an_unusable_type_is_named(
    engine: str, churn: Any, loader: Loader
) -> None:
    from mlroi.decision.uplift import uplift_groups
    from mlroi.sources.open import open_table

    table = broken(churn.scored, "clv", dates(churn.scored.num_rows))
    source = loader.load(engine, "scored_bad_clv", table)
    with pytest.raises(DataError, match="the uplift amount 'value': column 'clv' has type date"):
        uplift_groups(open_table(source), "score", "churned", "treated", {"value": "clv"})
