"""Column expressions every request builds on: numbers as doubles, exact sums, distinct counts.

Each picks the engine's fast path from :mod:`mlroi.backend.capabilities` and falls back to plain
SQL elsewhere.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mlroi.backend.capabilities import capabilities
from mlroi.backend.checks import binary


def as_float(column: Any) -> Any:
    """A numeric column as float64; a boolean or a yes/no string column as 1.0/0.0 (see
    :func:`~mlroi.backend.checks.binary`: PostgreSQL casts neither to a double, and DuckDB
    fails on a word). A NULL, or a string that is not a binary word, gives NULL, which the
    checks count and report."""
    dtype = column.type()
    if dtype.is_boolean() or dtype.is_string():
        return binary(column).cast("float64")
    return column.cast("float64")


def exact_sum(value: Any, top: float | None = None) -> Any:
    """The sum of a float column, added in fixed point (10 decimals, 38 digits) where the engine
    can: exact and the same whatever order a parallel engine adds the rows in, so the same data
    and seed give the same result to the last bit (a double sum varies with the threads' order).

    With ``top``, the largest ``|value|`` of any row (from a check query), at most
    :data:`NARROW_TOP` and on an engine with ``narrow_decimal_sum``, each row is cast to
    ``DECIMAL(18, 10)`` instead: the same 10 decimals a row, so the same sum to the last bit,
    added from 64-bit rows into the same 128-bit total.
    """
    can = capabilities(value)
    if not can.exact_decimal_sum:
        return value.cast("float64").sum()
    if top is not None and top <= NARROW_TOP and can.narrow_decimal_sum:
        return value.cast("decimal(18, 10)").sum().cast("float64")
    return value.cast("decimal(38, 10)").sum().cast("float64")


NARROW_TOP = 99_999_999.0
"""Largest ``|value|`` of a row that :func:`exact_sum` casts to ``DECIMAL(18, 10)`` (8 digits
before the point): a row up to 10^8 - 1 rounds to at most 99,999,999.0000000000."""


EXACT_SUM_LIMIT = 1e27
"""Largest total :func:`exact_sum` adds on an engine with fixed-point sums: ``DECIMAL(38, 10)``
holds 28 digits before the point (one left for the sign of a partial sum)."""


def sum_limit(value: Any) -> float:
    """The largest total a sum of ``value`` may reach on its engine: the fixed-point range where
    :func:`exact_sum` adds in fixed point, else the float headroom of
    :data:`mlroi.backend.overflow.LIMIT`."""
    from mlroi.backend.overflow import LIMIT

    return EXACT_SUM_LIMIT if capabilities(value).exact_decimal_sum else LIMIT


def distinct_count(column: Any, bounds: tuple[int, int] | None) -> Any:
    """The number of distinct non-NULL values of ``column``, exactly.

    With ``bounds`` on an engine with a bitmap count (DuckDB): the popcount of a bitmap with one
    bit per value in the range (``bitstring_agg``), a fraction of the time and memory of the hash
    table behind ``COUNT(DISTINCT ...)``; DuckDB raises an error for a value outside the range,
    so a wrong range can fail the query but never miscount. On an engine whose
    ``COUNT(DISTINCT ...)`` is an estimate, the rows of a ``SELECT DISTINCT`` of the column's
    table are counted instead (a scalar subquery).
    """
    can = capabilities(column)
    if not can.exact_count_distinct:
        table = column.op().rel.to_expr()
        distinct = table.select(__value=column).filter(lambda t: t.__value.notnull()).distinct()
        return distinct.count().as_scalar()
    if bounds is None or not can.bitmap_distinct:
        return column.nunique()
    bitstring_agg, bit_count = _bitmap_functions()
    lo, hi = bounds
    return bit_count(bitstring_agg(column.cast("int64"), lo, hi))


def distinct_method(column: Any, bounds: tuple[int, int] | None) -> str:
    """How :func:`distinct_count` counts ``column`` on its engine, in words for a result's note."""
    can = capabilities(column)
    if not can.exact_count_distinct:
        return "the rows of a SELECT DISTINCT (this engine's COUNT(DISTINCT) is an estimate)"
    if bounds is None or not can.bitmap_distinct:
        return "COUNT(DISTINCT)"
    return f"a bitmap over the id range {bounds[0]:,} to {bounds[1]:,} in the Parquet footers"


@lru_cache(maxsize=1)
def _bitmap_functions() -> tuple[Any, Any]:
    """DuckDB's ``bitstring_agg`` and ``bit_count`` as Ibis built-ins (defined on first use)."""
    import ibis

    def bitstring_agg(arg: int, lo: int, hi: int) -> str:
        """A bitmap of the values in ``[lo, hi]`` (DuckDB's BIT type)."""
        raise NotImplementedError  # runs in the backend, never in Python

    def bit_count(bits: str) -> int:
        """The number of set bits."""
        raise NotImplementedError

    return ibis.udf.agg.builtin(bitstring_agg), ibis.udf.scalar.builtin(bit_count)
