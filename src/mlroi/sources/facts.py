"""What a source's files state before any row is read: Parquet footers' value ranges.

The readout uses them twice: the unit column's range lets DuckDB count distinct units in a
bitmap, and the exact min/max of a checked column (a proportion's, a ratio denominator's) can
prove a data check before the query, which then skips that check's per-group MIN/MAX.
"""

from __future__ import annotations

import dataclasses
import glob
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlroi.sources.open import default_connection, resolve_path

# A bitmap of the unit range costs range / 8 bytes per backend thread: use one while that stays
# within a byte per row (and below DuckDB's limit of 10^9 bits), else count distinct units.
_BITS_PER_ROW = 8
_MIN_BITS = 1 << 16
_MAX_BITS = 10**9
_MAX_FILES = 64  # footers read for a glob; more files: count distinct units


@dataclass(frozen=True)
class TableFacts:
    """What is known before the query: the table whose unit column the uniqueness check
    counts, and what Parquet footers state about value ranges.

    Attributes:
        table: the table the uniqueness check counts (the assignments of an event log).
        bounds: the unit column's range (inclusive, from file statistics). It lets DuckDB
            count distinct integer units in a bitmap instead of a hash table; it is only a
            hint: a value outside it makes the backend fail, and the count is then redone with
            ``COUNT(DISTINCT ...)``.
        column_bounds: min and max of the readout table's own numeric columns, from the same
            footers (exact, as written; empty for an event log or a non-Parquet source). A
            check these already pass (0/1 values, non-negative denominators) is not asked of
            the backend.
        column_nulls: NULLs in each column of ``column_bounds``, where every footer counts
            them.
        derived_from: per-unit columns an event log derives by summing its value column:
            name -> (events table, value column), where a sum that overflows is diagnosed.
        counts: a one-row Ibis table counting the rows read and left out (an event log's, see
            :func:`mlroi.backend.events.event_counts`), computed within the readout's query.
    """

    table: Any
    bounds: tuple[int, int] | None = None
    column_bounds: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    column_nulls: Mapping[str, int] = dataclasses.field(default_factory=dict)
    derived_from: Mapping[str, tuple[Any, str]] = dataclasses.field(default_factory=dict)
    counts: Any = None


def table_facts(
    table: Any,
    source: Any,
    *,
    base: Path | None,
    unit: str | None,
    columns: Sequence[str] = (),
) -> TableFacts:
    """What the Parquet footers of ``source`` state about ``table``.

    Args:
        table: the opened table (its schema says which columns are numeric).
        source: what ``table`` was opened from (a path, a :class:`~mlroi.sources.open.Source`,
            a frame...); only Parquet files have footers.
        base: folder that relative paths are resolved against.
        unit: the unit column whose range a bitmap count needs, or ``None`` (no count).
        columns: columns whose exact range could prove a data check.

    Only file metadata is read (what the backend reads to learn the schema), never the rows.
    """
    resolved = resolve_path(source, base)
    if resolved is None or resolved[1] != "parquet":
        return TableFacts(table)
    files = sorted(glob.glob(str(resolved[0]), recursive=True))
    if not files or len(files) > _MAX_FILES:
        return TableFacts(table)
    schema = table.schema()
    parse: dict[str, Callable[[str], float]] = {
        c: float for c in columns if c in schema and schema[c].is_numeric()
    }
    dtype = schema.get(unit) if unit is not None else None
    # a uint64 id can exceed the int64 the bitmap counts
    if unit is not None and dtype is not None and dtype.is_integer() and not dtype.is_uint64():
        parse[unit] = int
    footer = _footer_bounds(files, parse)
    bounds = footer.pop(unit, None) if unit is not None else None
    if bounds is not None and bounds[1] - bounds[0] + 1 > _bitmap_limit(bounds[2]):
        bounds = None
    return TableFacts(
        table,
        None if bounds is None else (int(bounds[0]), int(bounds[1])),
        {c: (lo, hi) for c, (lo, hi, _, _) in footer.items()},
        {c: nulls for c, (_, _, _, nulls) in footer.items() if nulls is not None},
    )


def _bitmap_limit(rows: int) -> int:
    """The widest unit range counted in a bitmap, for a table of ``rows`` rows."""
    return min(max(_BITS_PER_ROW * rows, _MIN_BITS), _MAX_BITS)


def _footer_bounds(
    files: list[str], parse: Mapping[str, Callable[[str], float]]
) -> dict[str, tuple[float, float, int, int | None]]:
    """Min, max, row count and NULLs (None when a row group does not count them) of columns,
    from Parquet row-group statistics.

    Read by DuckDB's ``parquet_metadata`` as plain rows (pyarrow's reader would add its import,
    about 0.1 s, to every command-line run). ``parse`` turns each column's statistics text into
    a number. A column is left out when a row group has no statistics for it, marks them as not
    exact, or they do not parse; an unreadable footer gives no bounds rather than an error.
    """
    if not parse:
        return {}
    con = default_connection().con
    try:
        groups = con.execute(
            "SELECT path_in_schema, row_group_num_rows,"
            " CASE WHEN min_is_exact IS NOT false THEN stats_min_value END,"
            " CASE WHEN max_is_exact IS NOT false THEN stats_max_value END, stats_null_count"
            " FROM parquet_metadata(?) WHERE list_contains(?, path_in_schema)",
            [files, sorted(parse)],
        ).fetchall()
    except Exception:  # an unreadable footer means no bounds, not an error
        return {}
    out: dict[str, tuple[float, float, int, int | None]] = {}
    for column, to_number in parse.items():
        rows = [(n, lo, hi) for c, n, lo, hi, _ in groups if c == column]
        counted = [nulls for c, _, _, _, nulls in groups if c == column]
        try:
            if any(n and (lo is None or hi is None) for n, lo, hi in rows):
                continue
            filled = [(to_number(lo), to_number(hi)) for n, lo, hi in rows if n]
        except ValueError:
            continue
        if filled:
            lows, highs = zip(*filled, strict=True)
            nulls = None if None in counted else sum(counted)
            out[column] = (min(lows), max(highs), sum(n for n, _, _ in rows), nulls)
    return out
