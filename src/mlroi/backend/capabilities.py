"""What each backend engine can do, in one table: DuckDB's fast paths and everyone's fallbacks.

Query builders ask :func:`capabilities` instead of testing an engine's name, so that adding an
engine (Spark, BigQuery...) means adding a row here, not editing every query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Capabilities:
    """What an engine offers beyond plain SQL aggregation.

    Attributes:
        bitmap_distinct: counts distinct integers in a range with a bitmap (DuckDB's
            ``bitstring_agg`` + ``bit_count``) instead of a hash table.
        exact_decimal_sum: sums ``DECIMAL(38, 10)`` exactly, so a parallel sum does not depend
            on the order the threads add rows in (same data and seed, same bits).
        one_pass_moments: has numerically stable ``var_samp`` / ``covar_samp`` aggregates.
        quantiles: computes exact quantiles (``percentile_cont``) in an aggregation.
        native_fetch: small results are fetched as plain rows without Arrow (which would import
            pandas and pyarrow on every command-line run).
        sorted_lists: an aggregated list sorts in a scalar function (DuckDB's ``array_sort`` of
            an ``array_agg``), which is faster than an aggregate with its own ``ORDER BY``, and
            the only ordered list on engines whose string aggregate takes no ``ORDER BY`` in
            Ibis (Spark, ClickHouse).
        list_lambdas: lists are transformed element by element (DuckDB's ``list_transform``)
            and unnested, so that each journey's touches are sorted once, in a list, instead of
            by window functions over all touches.
        exact_count_distinct: ``COUNT(DISTINCT ...)`` counts exactly; where Ibis compiles it to
            an estimate (ClickHouse's ``uniq``), distinct values are counted as the rows of a
            ``SELECT DISTINCT``.
        rows_in_process: the engine runs in this process, so reading its rows into memory
            moves no data over a network (the adjustment design then fits its models on the
            rows in memory, when they fit in :data:`mlroi.backend.causal_adjust.ROWS_IN_MEMORY`).
    """

    bitmap_distinct: bool = False
    exact_decimal_sum: bool = True
    one_pass_moments: bool = True
    quantiles: bool = True
    native_fetch: bool = False
    sorted_lists: bool = False
    list_lambdas: bool = False
    exact_count_distinct: bool = True
    rows_in_process: bool = False


ENGINES: dict[str, Capabilities] = {
    "duckdb": Capabilities(
        bitmap_distinct=True,
        native_fetch=True,
        sorted_lists=True,
        list_lambdas=True,
        rows_in_process=True,
    ),
    "postgres": Capabilities(),
    # Spark through Ibis' PySpark backend, run in local mode in the tests marked `spark`:
    # DECIMAL(38, 10) sums are exact, PERCENTILE is exact, COLLECT_LIST takes no ORDER BY
    "pyspark": Capabilities(sorted_lists=True),
    # compiled, not run (tests/test_dialects.py): what each engine's SQL offers through Ibis 12
    # BIGNUMERIC sums; PERCENTILE_CONT is analytic only, and Ibis compiles no quantile aggregate
    "bigquery": Capabilities(quantiles=False),
    "snowflake": Capabilities(),  # PERCENTILE_CONT ... WITHIN GROUP, NUMBER(38, 10) sums
    # Spark SQL: exact PERCENTILE; COLLECT_LIST has no ORDER BY, ARRAY_SORT does the ordering
    "databricks": Capabilities(sorted_lists=True),
    "trino": Capabilities(quantiles=False),  # approx_percentile only
    # quantile() samples, varSamp is documented as numerically unstable, COUNT(DISTINCT)
    # compiles to the estimate uniq(), and groupArray takes no ORDER BY
    "clickhouse": Capabilities(
        quantiles=False, one_pass_moments=False, sorted_lists=True, exact_count_distinct=False
    ),
}
"""Capabilities of every engine mlroi runs on (DuckDB, PostgreSQL, Spark) or compiles for, by Ibis
backend name."""

DEFAULT = Capabilities()
"""What an engine not in :data:`ENGINES` is assumed to offer (standard SQL aggregates)."""


def engine(expr: Any) -> Any:
    """The Ibis backend an expression runs on (the default DuckDB for an in-memory table)."""
    return expr._find_backend(use_default=True)


def engine_name(expr: Any) -> str:
    """The Ibis name of the engine ``expr`` runs on (``"duckdb"``, ``"postgres"``...)."""
    return str(getattr(engine(expr), "name", "unknown"))


def capabilities(expr: Any) -> Capabilities:
    """The capabilities of the engine ``expr`` runs on."""
    return ENGINES.get(engine_name(expr), DEFAULT)
