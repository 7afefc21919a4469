"""One readout, many sources: every way of handing mlroi the same rows gives the same numbers.

The reference is the readout of the generated per-user table as a pyarrow Table. Every other
representation (files, frames, Ibis tables, a DuckDB file, a PostgreSQL table, and the event log
the per-user table derives from) must reproduce its ``to_dict()`` to a relative tolerance of 1e-9:
the backend only changes how the sufficient statistics are summed, never what they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.backends.duckdb
import ibis.backends.postgres
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlroi import (
    EventLog,
    ExperimentConfig,
    Guardrail,
    Mean,
    Proportion,
    Ratio,
    Source,
    readout,
)
from mlroi.demo import RecommenderData, generate_recommender_test
from mlroi.errors import DataError

ARMS = {"control": 0.5, "a": 0.25, "b": 0.25}
RTOL = 1e-9
# Sums in another order move the last bits of values near zero; 1e-12 is far below any
# difference that would matter and far above the rounding of a 20k-row sum.
ATOL = 1e-12

CONFIG = ExperimentConfig(
    control="control",
    arms=ARMS,
    metrics=[
        Mean(name="revenue_per_user", column="revenue", covariate="pre_revenue"),
        Proportion(name="conversion", column="converted"),
        Ratio(name="ctr", numerator="clicks", denominator="impressions"),
        Ratio(
            name="average_order_value",
            numerator="revenue",
            denominator="orders",
            covariate_numerator="pre_revenue",
            covariate_denominator="pre_sessions",
        ),
        Mean(name="revenue_capped", column="revenue", cap=0.99),
        Mean(name="sessions_per_user", column="sessions", covariate="pre_sessions"),
    ],
    guardrails=[Guardrail(metric="sessions_per_user", direction="increase", margin=0.05)],
    segments=["platform"],
    correction="holm",
)
N_COMPARISONS = len(CONFIG.metrics) * len(CONFIG.treatments)
N_PLATFORMS = 3


@pytest.fixture(scope="module")
def data() -> RecommenderData:
    return generate_recommender_test(20_000, seed=2024, arms=dict(ARMS))


@pytest.fixture(scope="module")
def reference(data: RecommenderData) -> dict[str, Any]:
    """The readout of the pyarrow per-user table: what every other source must reproduce."""
    return readout(data.users, CONFIG).to_dict()


def _flatten(x: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(x, dict):
        for key, value in x.items():
            yield from _flatten(value, f"{path}.{key}")
    elif isinstance(x, list):
        for i, value in enumerate(x):
            yield from _flatten(value, f"{path}[{i}]")
    else:
        yield path, x


def assert_same_result(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Same structure and strings; every number within ``RTOL`` (``ATOL`` near zero). What
    was read (``exclusions``: units, or an event log's events and assignments) may differ."""
    skip = ("exclusions", "window_days")  # how the rows were read, not what they say
    got, want = ({k: v for k, v in d.items() if k not in skip} for d in (got, want))
    # how the engine counted distinct units (a bitmap where footers give the id range)
    for d in (got, want):
        d["notes"] = [n for n in d["notes"] if not n.startswith("units checked for duplicates")]
    got_flat, want_flat = dict(_flatten(got)), dict(_flatten(want))
    assert list(got_flat) == list(want_flat)
    mismatches = []
    for path, expected in want_flat.items():
        actual = got_flat[path]
        if isinstance(expected, bool) or not isinstance(expected, int | float):
            same = actual == expected
        else:
            same = (
                isinstance(actual, int | float)
                and not isinstance(actual, bool)
                and math.isclose(actual, expected, rel_tol=RTOL, abs_tol=ATOL)
            )
        if not same:
            mismatches.append(f"{path}: got {actual!r}, want {expected!r}")
    assert not mismatches, f"{len(mismatches)} differences, first: " + "; ".join(mismatches[:5])


# --- the reference exercises every feature it is meant to cover --------------------------------


def test_reference_readout_covers_the_whole_configuration(reference: dict[str, Any]) -> None:
    comparisons = reference["comparisons"]
    assert len(comparisons) == N_COMPARISONS
    assert all(c["status"] == "ok" for c in comparisons)
    assert {c["arm"] for c in comparisons} == {"a", "b"}
    by_metric = {c["metric"]: c for c in comparisons if c["arm"] == "a"}
    assert by_metric["revenue_per_user"]["cuped_theta"] is not None
    assert by_metric["average_order_value"]["cuped_theta"] is not None
    assert by_metric["ctr"]["cuped_theta"] is None
    assert any("revenue capped at its 0.99 quantile" in n for n in reference["notes"])
    assert any("Holm" in n for n in reference["notes"])
    assert len(reference["segments"]) == N_COMPARISONS * N_PLATFORMS
    assert {s["segment_value"] for s in reference["segments"]} == {"android", "ios", "web"}
    assert [(g["metric"], g["arm"]) for g in reference["guardrails"]] == [
        ("sessions_per_user", "a"),
        ("sessions_per_user", "b"),
    ]
    assert set(reference["srm"]["observed"]) == set(ARMS)
    assert sum(reference["srm"]["observed"].values()) == 20_000
    assert any(
        c["p_value_adjusted"] > c["p_value"] for c in comparisons
    )  # Holm actually adjusted something


def test_comparison_helper_detects_a_difference(
    data: RecommenderData, reference: dict[str, Any]
) -> None:
    changed = readout(data.users, CONFIG.model_copy(update={"level": 0.9})).to_dict()
    with pytest.raises(AssertionError, match="differences"):
        assert_same_result(changed, reference)


# --- per-unit table in every shape ---------------------------------------------------------------


def _parquet(data: RecommenderData, tmp: Path) -> Any:
    path = tmp / "users.parquet"
    pq.write_table(data.users, path)
    return str(path)


def _parquet_pathlib(data: RecommenderData, tmp: Path) -> Any:
    path = tmp / "users.parquet"
    pq.write_table(data.users, path)
    return path


def _parquet_source(data: RecommenderData, tmp: Path) -> Any:
    pq.write_table(data.users, tmp / "users.parquet")
    return Source(path="users.parquet")  # relative: resolved against base=tmp


def _csv(data: RecommenderData, tmp: Path) -> Any:
    path = tmp / "users.csv"
    pacsv.write_csv(data.users, path)
    return str(path)


def _parquet_glob(data: RecommenderData, tmp: Path) -> Any:
    half = data.users.num_rows // 2
    pq.write_table(data.users.slice(0, half), tmp / "part-0.parquet")
    pq.write_table(data.users.slice(half), tmp / "part-1.parquet")
    return str(tmp / "part-*.parquet")


def _pandas(data: RecommenderData, tmp: Path) -> Any:
    return data.users.to_pandas()


def _polars(data: RecommenderData, tmp: Path) -> Any:
    import polars as pl

    frame = pl.from_arrow(data.users)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _ibis_memtable(data: RecommenderData, tmp: Path) -> Any:
    return ibis.memtable(data.users)


def _ibis_own_connection(data: RecommenderData, tmp: Path) -> Any:
    con = ibis.duckdb.connect()
    return con.create_table("users", data.users)


def _duckdb_url(data: RecommenderData, tmp: Path) -> Any:
    path = tmp / "warehouse.duckdb"
    users = data.users  # noqa: F841 - read by DuckDB's replacement scan below
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE experiment_users AS SELECT * FROM users")
    return Source(url=f"duckdb:///{path}", table="experiment_users")


SOURCES: dict[str, Callable[[RecommenderData, Path], Any]] = {
    "parquet path": _parquet,
    "parquet pathlib": _parquet_pathlib,
    "parquet Source relative": _parquet_source,
    "csv path": _csv,
    "parquet glob": _parquet_glob,
    "pandas": _pandas,
    "polars": _polars,
    "ibis memtable": _ibis_memtable,
    "ibis table on its own connection": _ibis_own_connection,
    "duckdb url": _duckdb_url,
}


@pytest.mark.parametrize("make", SOURCES.values(), ids=SOURCES.keys())
def test_per_unit_source_gives_the_reference_numbers(
    make: Callable[[RecommenderData, Path], Any],
    data: RecommenderData,
    reference: dict[str, Any],
    tmp_path: Path,
) -> None:
    result = readout(make(data, tmp_path), CONFIG, base=tmp_path)
    assert_same_result(result.to_dict(), reference)


def test_source_in_the_configuration_gives_the_reference_numbers(
    data: RecommenderData, reference: dict[str, Any], tmp_path: Path
) -> None:
    pq.write_table(data.users, tmp_path / "users.parquet")
    config = CONFIG.model_copy(update={"source": Source(path="users.parquet")})
    assert_same_result(readout(config=config, base=tmp_path).to_dict(), reference)


# --- the event log derives to the per-unit table -------------------------------------------------


def test_event_log_readout_equals_per_unit_readout(
    data: RecommenderData, reference: dict[str, Any]
) -> None:
    result = readout(config=CONFIG, events=data.events, assignments=data.assignments)
    assert_same_result(result.to_dict(), reference)


def test_event_log_in_a_duckdb_file_gives_the_reference_numbers(
    data: RecommenderData, reference: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "events.duckdb"
    events, assignments = data.events, data.assignments  # noqa: F841 - replacement scans
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE ev AS SELECT * FROM events")
        con.execute("CREATE TABLE asg AS SELECT * FROM assignments")
    url = f"duckdb:///{path}"
    config = CONFIG.model_copy(
        update={
            "events": EventLog(
                source=Source(url=url, table="ev"), assignments=Source(url=url, table="asg")
            )
        }
    )
    assert_same_result(readout(config=config).to_dict(), reference)


def test_event_log_from_parquet_files_gives_the_reference_numbers(
    data: RecommenderData, reference: dict[str, Any], tmp_path: Path
) -> None:
    pq.write_table(data.events, tmp_path / "events.parquet")
    pq.write_table(data.assignments, tmp_path / "assignments.parquet")
    config = CONFIG.model_copy(
        update={
            "events": EventLog(
                source=Source(path="events.parquet"),
                assignments=Source(path="assignments.parquet"),
            )
        }
    )
    assert_same_result(readout(config=config, base=tmp_path).to_dict(), reference)


# --- PostgreSQL ----------------------------------------------------------------------------------


def _copy_into_postgres(con: Any, name: str, table: pa.Table) -> None:
    """Create ``name`` with ``create_table`` and bulk-load it with COPY.

    ``create_table(obj=...)`` inserts row by row, which takes ~20 s for the 340k events.
    """
    con.create_table(name, schema=ibis.memtable(table.slice(0, 0)).schema(), overwrite=True)
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(table, buffer)
    statement = f"COPY {name} ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv, HEADER)"
    with (
        con.con.cursor() as cur,
        con.con.transaction(),
        cur.copy(statement) as copy,
    ):
        copy.write(buffer.getvalue().to_pybytes())


@pytest.fixture(scope="module")
def pg_tables(postgres_con: Any, data: RecommenderData) -> Iterator[dict[str, str]]:
    names = {
        "users": "readout_users",
        "events": "readout_events",
        "assignments": "readout_assignments",
    }
    postgres_con.create_table(names["users"], obj=data.users, overwrite=True)
    postgres_con.create_table(names["assignments"], obj=data.assignments, overwrite=True)
    _copy_into_postgres(postgres_con, names["events"], data.events)
    assert postgres_con.table(names["events"]).count().execute() == data.events.num_rows
    try:
        yield names
    finally:
        for name in names.values():
            postgres_con.drop_table(name, force=True)


@pytest.mark.postgres
def test_postgres_table_gives_the_reference_numbers(
    postgres_url: str, pg_tables: dict[str, str], reference: dict[str, Any]
) -> None:
    result = readout(Source(url=postgres_url, table=pg_tables["users"]), CONFIG)
    assert_same_result(result.to_dict(), reference)


@pytest.mark.postgres
def test_postgres_event_log_gives_the_reference_numbers(
    postgres_url: str, pg_tables: dict[str, str], reference: dict[str, Any]
) -> None:
    config = CONFIG.model_copy(
        update={
            "events": EventLog(
                source=Source(url=postgres_url, table=pg_tables["events"]),
                assignments=Source(url=postgres_url, table=pg_tables["assignments"]),
            )
        }
    )
    assert_same_result(readout(config=config).to_dict(), reference)


# --- Spark ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_sources(spark_tables: Any, data: RecommenderData) -> dict[str, Source]:
    return {
        name: spark_tables.put(f"readout_{name}", getattr(data, name))
        for name in ("users", "events", "assignments")
    }


def test_spark_table_gives_the_reference_numbers(
    spark_sources: dict[str, Source], reference: dict[str, Any]
) -> None:
    result = readout(spark_sources["users"], CONFIG)
    assert_same_result(result.to_dict(), reference)
    # no Parquet footers and no bitmap count on Spark: the fallback, and the result says so
    assert "units checked for duplicates by COUNT(DISTINCT)" in result.notes


def test_spark_event_log_gives_the_reference_numbers(
    spark_sources: dict[str, Source], reference: dict[str, Any]
) -> None:
    events = EventLog(source=spark_sources["events"], assignments=spark_sources["assignments"])
    result = readout(config=CONFIG.model_copy(update={"events": events}))
    assert_same_result(result.to_dict(), reference)


def test_pyspark_frames_are_read_on_their_session(
    spark_con: Any, spark_sources: dict[str, Source], reference: dict[str, Any]
) -> None:
    frames = {name: spark_con._session.table(s.table) for name, s in spark_sources.items()}
    per_unit = readout(frames["users"], CONFIG)
    assert_same_result(per_unit.to_dict(), reference)
    events = readout(config=CONFIG, events=frames["events"], assignments=frames["assignments"])
    assert_same_result(events.to_dict(), reference)
    views = [t.name for t in spark_con._session.catalog.listTables()]
    assert not [v for v in views if v.startswith("mlroi_spark_")]  # released after each readout


# --- one query per readout -----------------------------------------------------------------------

_EXECUTE_METHODS = (
    "_to_duckdb_relation",  # what the readout fetches on DuckDB (avoids Ibis' pandas import)
    "execute",
    "to_pyarrow",
    "to_pyarrow_batches",
    "to_pandas",
    "to_pandas_batches",
    "to_polars",
    "to_torch",
    "to_csv",
    "to_parquet",
)


class QuerySpy:
    """Counts top-level executions of Ibis expressions on the DuckDB and PostgreSQL backends.

    Nested calls (``to_polars`` going through ``to_pyarrow``) count once; schema look-ups and
    the registration of in-memory tables are not queries over the data and are not counted.
    """

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.rows_returned: list[int] = []
        self._depth = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for backend in (ibis.backends.duckdb.Backend, ibis.backends.postgres.Backend):
            for name in _EXECUTE_METHODS:
                if not hasattr(backend, name):
                    continue
                monkeypatch.setattr(backend, name, self._wrap(getattr(backend, name), name))

    def _wrap(self, original: Callable[..., Any], name: str) -> Callable[..., Any]:
        def counted(backend: Any, expr: Any, *args: Any, **kwargs: Any) -> Any:
            top = self._depth == 0
            if top:
                self.queries.append(f"{name}: {backend.compile(expr)}")
            self._depth += 1
            try:
                out = original(backend, expr, *args, **kwargs)
            finally:
                self._depth -= 1
            if top and isinstance(out, pa.Table):
                self.rows_returned.append(out.num_rows)
            elif top and name == "_to_duckdb_relation":  # a lazy relation: count its rows
                self.rows_returned.append(out.shape[0])
            return out

        return counted


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> QuerySpy:
    s = QuerySpy()
    s.install(monkeypatch)
    return s


def test_query_spy_counts_every_execution(spy: QuerySpy, data: RecommenderData) -> None:
    table = ibis.memtable(data.users)
    table.count().to_pyarrow()
    table.revenue.mean().execute()
    table.limit(3).to_polars()
    assert len(spy.queries) == 3


@pytest.mark.parametrize(
    "make", [_parquet, _pandas, _duckdb_url], ids=["parquet", "pandas", "duckdb url"]
)
def test_per_unit_readout_runs_exactly_one_query(
    spy: QuerySpy,
    make: Callable[[RecommenderData, Path], Any],
    data: RecommenderData,
    tmp_path: Path,
) -> None:
    source = make(data, tmp_path)
    readout(source, CONFIG)
    assert len(spy.queries) == 1, "\n\n".join(spy.queries)
    # Python sees one row of statistics per arm x platform, never the 20k units
    assert spy.rows_returned == [len(ARMS) * N_PLATFORMS]


def test_event_log_readout_runs_exactly_one_query(spy: QuerySpy, data: RecommenderData) -> None:
    readout(config=CONFIG, events=data.events, assignments=data.assignments)
    assert len(spy.queries) == 1, "\n\n".join(spy.queries)
    assert spy.rows_returned == [len(ARMS) * N_PLATFORMS]


@pytest.mark.postgres
def test_postgres_readout_runs_exactly_one_query(
    spy: QuerySpy, postgres_url: str, pg_tables: dict[str, str]
) -> None:
    readout(Source(url=postgres_url, table=pg_tables["users"]), CONFIG)
    assert len(spy.queries) == 1, "\n\n".join(spy.queries)
    assert spy.rows_returned == [len(ARMS) * N_PLATFORMS]


# --- sums of squares, and the one-pass fallback when they would cancel ---------------------

MOMENTS = ExperimentConfig(
    unit="user_id",
    control="control",
    arms={"control": 0.5, "treatment": 0.5},
    metrics=[Mean(name="x", column="x", covariate="pre_x")],
)


def _moments_table(centre: float, sd: float) -> pa.Table:
    """4,000 units: x = centre + N(0, sd), and a pre-period covariate correlated with it."""
    rng = np.random.default_rng(11)
    n = 4_000
    noise = rng.normal(0.0, sd, n)
    return pa.table(
        {
            "user_id": np.arange(n),
            "variant": np.where(np.arange(n) % 2 == 0, "control", "treatment"),
            "x": centre + noise,
            "pre_x": centre + 0.5 * noise + rng.normal(0.0, sd, n),
        }
    )


def _numpy_moments(table: pa.Table, arm: str) -> tuple[float, float, float]:
    rows = np.asarray(table["variant"]) == arm
    x, pre = np.asarray(table["x"])[rows], np.asarray(table["pre_x"])[rows]
    cov = np.cov(x, pre)  # two-pass, ddof 1
    return float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])


def _backend_table(backend: str, table: pa.Table, postgres_con: Any) -> Any:
    if backend == "duckdb":
        return ibis.memtable(table)
    postgres_con.create_table("moments_check", obj=table, overwrite=True)
    return postgres_con.table("moments_check")


@pytest.mark.parametrize(
    ("centre", "sd", "one_pass", "queries", "rtol"),
    [
        # revenue-like spread: the sums of squares lose no digits, one query
        (50.0, 40.0, False, 1, 1e-12),
        # a mean 1e9 times the spread: sum x^2 - (sum x)^2 / n would be rounding noise, so
        # the backend's one-pass moments are asked for in a second query
        (1e9, 1.0, True, 2, 1e-6),
    ],
    ids=["revenue-like", "huge-mean"],
)
@pytest.mark.parametrize(
    "backend", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_moments_match_numpy_and_fall_back_to_one_pass_only_when_sums_cancel(
    request: pytest.FixtureRequest,
    spy: QuerySpy,
    backend: str,
    centre: float,
    sd: float,
    one_pass: bool,
    queries: int,
    rtol: float,
) -> None:
    from mlroi.experiment.readout import aggregate

    data = _moments_table(centre, sd)
    con = request.getfixturevalue("postgres_con") if backend == "postgres" else None
    spy.queries.clear()
    stats, _, _ = aggregate(_backend_table(backend, data, con), MOMENTS)

    assert stats.one_pass is one_pass
    assert len(spy.queries) == queries
    assert ("COVAR_SAMP" in spy.queries[-1].upper()) is one_pass
    for arm in MOMENTS.arms:
        var_x, var_pre, cov = _numpy_moments(data, arm)
        agg = stats.arm(arm)
        np.testing.assert_allclose(agg.var("x"), var_x, rtol=rtol)
        np.testing.assert_allclose(agg.var("pre_x"), var_pre, rtol=rtol)
        np.testing.assert_allclose(agg.cov("x", "pre_x"), cov, rtol=rtol)


def test_sums_of_squares_of_huge_means_are_refused_rather_than_used() -> None:
    from mlroi.backend.moments import IllConditioned, build_query, run_query
    from mlroi.experiment.readout import plan_aggregation

    table = ibis.memtable(_moments_table(1e9, 1.0))
    spec, _ = plan_aggregation(table, MOMENTS)
    assert not spec.one_pass
    with pytest.raises(IllConditioned):
        run_query(build_query(table, spec), spec)


def test_a_single_unit_group_and_a_zero_column_need_no_fallback() -> None:
    from mlroi.experiment.readout import aggregate

    table = pa.table(
        {
            "user_id": [1, 2, 3],
            "variant": ["control", "control", "treatment"],
            "x": [0.0, 0.0, 7.5],
            "pre_x": [0.0, 0.0, 2.0],
        }
    )
    stats, _, _ = aggregate(ibis.memtable(table), MOMENTS)
    assert not stats.one_pass
    assert stats.arm("treatment").comoment[("x", "x")] == 0.0
    assert stats.arm("control").comoment[("pre_x", "x")] == 0.0


def test_command_line_readout_of_parquet_imports_no_heavy_library(
    data: RecommenderData, tmp_path: Path
) -> None:
    """`mlroi experiment` on a Parquet file loads no pyarrow, pandas, numpy or scipy.

    Ibis asks DuckDB for a table's schema as an Arrow table, and a footer read through pyarrow
    would import it too; both go through DuckDB's own rows instead. The t, normal and
    chi-square functions are the standard library's arithmetic, not scipy.special.
    """
    import json
    import subprocess
    import sys

    path = tmp_path / "users.parquet"
    pq.write_table(data.users, path)
    case = tmp_path / "experiment.json"
    case.write_text(
        json.dumps(
            {
                "source": {"path": str(path)},
                "control": "control",
                "arms": ARMS,
                "metrics": [
                    {
                        "name": "rpu",
                        "type": "mean",
                        "column": "revenue",
                        "covariate": "pre_revenue",
                    },
                    {"name": "conversion", "type": "proportion", "column": "converted"},
                ],
            }
        )
    )
    script = (
        "import sys\n"
        "from mlroi.cli import app\n"
        f'try:\n    app(["experiment", {str(case)!r}])\n'
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(sorted(m for m in ('pyarrow', 'pandas', 'numpy', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_parquet_footers_spare_the_query_the_bounds_they_already_prove(
    spy: QuerySpy, data: RecommenderData, tmp_path: Path, reference: dict[str, Any]
) -> None:
    path = tmp_path / "users.parquet"
    pq.write_table(data.users, path)
    result = readout(path, CONFIG)
    assert_same_result(result.to_dict(), reference)
    query = spy.queries[-1].upper()
    # 0/1 conversion and non-negative denominators are proven by the footers
    assert "__LO" not in query and "__HI" not in query, query


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("converted", 2, "must be 0/1, found values in [0, 2]"),
        ("orders", -1, "denominator column 'orders' has negative values (min -1)"),
    ],
)
def test_a_footer_that_does_not_prove_a_bound_leaves_the_check_to_the_backend(
    spy: QuerySpy, data: RecommenderData, tmp_path: Path, column: str, value: int, message: str
) -> None:
    values = data.users[column].to_pylist()
    values[7] = value
    users = data.users.set_column(
        data.users.schema.get_field_index(column), column, pa.array(values, pa.int64())
    )
    path = tmp_path / "users.parquet"
    pq.write_table(users, path)
    with pytest.raises(DataError, match=re.escape(message)):
        readout(path, CONFIG)
    assert "__LO" in spy.queries[-1].upper()


def test_a_rare_zero_in_a_0_1_column_needs_no_fallback() -> None:
    """Retention of 99.99%: n p (1 - p) comes from the mean exactly, whatever p is."""
    from mlroi.experiment.readout import aggregate

    n = 40_000
    kept = np.ones(n, dtype=np.int64)
    kept[[4, 16, 20_001]] = 0  # two in control (even ids), one in treatment
    table = pa.table(
        {
            "user_id": np.arange(n),
            "variant": np.where(np.arange(n) % 2 == 0, "control", "treatment"),
            "kept": kept,
        }
    )
    config = MOMENTS.model_copy(update={"metrics": [Proportion(name="kept", column="kept")]})
    stats, _, _ = aggregate(ibis.memtable(table), config)
    assert not stats.one_pass
    control = stats.arm("control")
    p = 1 - 2 / (n // 2)
    assert control.comoment[("kept", "kept")] == pytest.approx(n // 2 * p * (1 - p), rel=1e-12)
