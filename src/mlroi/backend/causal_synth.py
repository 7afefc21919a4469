"""The series request of interrupted time series and synthetic control: raw rows reduced to one
sum of the outcome per unit and period, in one query.

Python receives at most units x periods rows (1,000 units x 365 days is 365,000 numbers),
never the raw rows. The same query counts the rows left out: a NULL outcome (left out of the
sum, counted), a NaN or infinite outcome (refused: the sum would be meaningless), a NULL unit
or period (left out, counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlroi.backend.checks import nonfinite, require_columns, require_numeric
from mlroi.backend.columns import exact_sum
from mlroi.backend.execute import fetch_columns
from mlroi.errors import DataError


@dataclass(frozen=True)
class SeriesRows:
    """Sums per unit and period, as columns of equal length.

    Attributes:
        units: unit names (text).
        periods: period keys: epoch days for dates, the number itself for numbered periods.
        totals: the outcome summed over the unit's rows in the period.
        kind: ``date`` (the period column holds dates or timestamps) or ``number``.
        excluded: rows left out, by reason.
        notes: how the inputs were read.
        rows_read: rows of the table the query read.
    """

    units: np.ndarray[Any, Any]
    periods: np.ndarray[Any, Any]
    totals: np.ndarray[Any, Any]
    kind: Literal["date", "number"]
    excluded: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rows_read: int = 0


def series_sums(
    table: Any, *, unit: str, period: str, outcome: str, prefix: str = ""
) -> SeriesRows:
    """Sum ``outcome`` per ``unit`` and ``period`` in the backend (one query).

    Args:
        table: an Ibis table of raw rows or of daily aggregates (long form).
        unit, period, outcome: column names.
        prefix: where in the case the names were given (``"causal."``), for messages.

    Raises:
        DataError: a column is missing or has the wrong type; an outcome is NaN or infinite.
    """
    import ibis

    require_columns(
        table,
        [("unit column", unit), ("date column", period), ("outcome column", outcome)],
        prefix=prefix,
    )
    require_numeric(table, [outcome], role="outcome column")
    notes: list[str] = []
    col = table[period]
    dtype = col.type()
    kind: Literal["date", "number"]
    if dtype.is_timestamp():
        key = (col.date().cast("timestamp").epoch_seconds() / 86400).round().cast("int64")
        kind = "date"
        notes.append(
            f"date column {period!r} holds timestamps: each row counts on its calendar date"
            + (" (no time zone: as stored)" if dtype.timezone is None else f" ({dtype.timezone})")
        )
    elif dtype.is_date():
        key = (col.cast("timestamp").epoch_seconds() / 86400).round().cast("int64")
        kind = "date"
    elif dtype.is_integer():
        key = col.cast("int64")
        kind = "number"
    else:
        raise DataError(
            f"{prefix}date column {period!r} holds {dtype}: store dates, timestamps or whole"
            " period numbers (e.g. a year)"
        )
    y = table[outcome].cast("float64")
    bad = nonfinite(y)
    usable = y.notnull() & ~bad.fill_null(False)
    keyed = table.select(
        __u=table[unit].cast("string"),
        __p=key,
        __y=ibis.ifelse(usable, y, ibis.null()),
        __bad=ibis.ifelse(bad.fill_null(False), 1, 0),
        __null=ibis.ifelse(y.isnull(), 1, 0),
    )
    grouped = keyed.group_by(["__u", "__p"]).aggregate(
        __total=exact_sum(keyed.__y),
        __values=keyed.__y.count(),
        __rows=keyed.count(),
        __bad=keyed.__bad.sum(),
        __nulls=keyed.__null.sum(),
    )
    cols = fetch_columns(grouped, "the series query (sums per unit and period)")
    bad_rows = int(np.sum(cols["__bad"]))
    if bad_rows:
        raise DataError(
            f"{prefix}outcome column {outcome!r}: {bad_rows:,} values are NaN or infinite;"
            " drop or fix them in the source"
        )
    units = _objects(cols["__u"])
    period_nulls = _is_null(cols["__p"])
    periods = np.asarray(np.ma.getdata(cols["__p"]))
    values = np.asarray(cols["__values"], dtype=np.int64)
    rows = np.asarray(cols["__rows"], dtype=np.int64)
    excluded: dict[str, int] = {}
    nulls = int(np.sum(cols["__nulls"]))
    if nulls:
        excluded["rows with a NULL outcome"] = nulls
    keys_missing = np.array([u is None for u in units], dtype=bool) | period_nulls
    if keys_missing.any():
        excluded["rows with a NULL unit or date"] = int(rows[keys_missing].sum())
    keep = ~keys_missing & (values > 0)
    totals = np.asarray(cols["__total"], dtype=np.float64)
    return SeriesRows(
        units=units[keep].astype(str),
        periods=np.asarray(periods[keep], dtype=np.int64),
        totals=totals[keep],
        kind=kind,
        excluded=excluded,
        notes=tuple(notes),
        rows_read=int(rows.sum()),
    )


def _objects(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Text values as an object array, ``None`` where NULL."""
    if np.ma.isMaskedArray(values):
        mask = np.ma.getmaskarray(values)
        out = np.asarray(values.data, dtype=object)
        out[mask] = None
        return out
    return np.asarray(values, dtype=object)


def _is_null(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if np.ma.isMaskedArray(values):
        return np.asarray(np.ma.getmaskarray(values))
    if values.dtype == object:
        return np.array([v is None for v in values])
    if values.dtype.kind == "f":
        return np.asarray(np.isnan(values))
    return np.zeros(values.shape, dtype=bool)
