"""The difference-in-differences request: rows reduced to one cell per unit and period.

One query, grouped by unit and period: rows, the (weighted) mean outcome, the treatment flag's or
first-treated period's smallest and largest value in the cell, and counts of rows that cannot be
used (no unit or period: their own NULL group; no outcome; a NaN or infinite outcome). Python
sees the cells only (units x periods rows), never a row of the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlroi.backend.checks import binary, count, nonfinite, require_columns
from mlroi.backend.columns import as_float
from mlroi.backend.execute import fetch_columns
from mlroi.errors import DataError


@dataclass(frozen=True)
class DidCells:
    """One record per observed unit x period cell (numpy columns of equal length).

    Attributes:
        unit: unit labels (text); period: period values (numbers or datetime64).
        mean: mean outcome; rows: rows with an outcome behind it.
        low, high: the treatment flag's (or first-treated period's) smallest and largest value.
        excluded: rows left out, by reason.
        notes: how the inputs were read.
    """

    unit: Any
    period: Any
    mean: Any
    rows: Any
    low: Any
    high: Any
    excluded: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _time_kind(table: Any, column: str, role: str) -> str:
    kind = table[column].type()
    if kind.is_date() or kind.is_timestamp():
        return "time"
    if kind.is_integer() or kind.is_floating() or kind.is_decimal():
        return "number"
    raise DataError(
        f"{role} {column!r} holds {kind}: store whole-number periods, dates or times (text"
        " periods would sort as text)"
    )


def did_cells(
    table: Any,
    *,
    unit: str,
    period: str,
    outcome: str,
    treated: str | None = None,
    first_treated: str | None = None,
    weights: str | None = None,
) -> DidCells:
    """Unit x period cells of ``table`` (see the module docstring).

    Raises:
        DataError: a column is missing or has an unusable type; a NaN or infinite outcome; a
            treatment flag that is not 0/1; a negative weight; no cell with an outcome.
    """
    import ibis

    roles = [("unit column", unit), ("period column", period), ("outcome column", outcome)]
    if treated is not None:
        roles.append(("treated column", treated))
    if first_treated is not None:
        roles.append(("first-treated column", first_treated))
    if weights is not None:
        roles.append(("weights column", weights))
    require_columns(table, roles)
    kind = _time_kind(table, period, "period column")
    y_type = table[outcome].type()
    if not (y_type.is_numeric() or y_type.is_boolean()):
        raise DataError(f"outcome column {outcome!r} holds {y_type}: it must hold numbers")
    y = as_float(table[outcome])
    w = ibis.literal(1.0) if weights is None else as_float(table[weights])
    usable = y.notnull() & ~nonfinite(y).fill_null(True) & w.notnull()
    cols: dict[str, Any] = {
        "__u": table[unit].cast("string"),
        "__p": table[period],
        "__y": ibis.ifelse(usable, y * w, None),
        "__w": ibis.ifelse(usable, w, None),
        "__bad": nonfinite(y).fill_null(False),
        "__noy": y.isnull() | w.isnull(),
        "__neg": (w < 0).fill_null(False),
    }
    if treated is not None:
        cols["__d"] = binary(table[treated]).cast("float64")
        cols["__dnull"] = table[treated].isnull()
    else:
        assert first_treated is not None
        f_kind = _time_kind(table, first_treated, "first-treated column")
        if f_kind != kind:
            raise DataError(
                f"first-treated column {first_treated!r} and period column {period!r} hold"
                " different kinds of value (a date and a number): store both alike"
            )
        f = table[first_treated]
        cols["__d"] = f.cast(table[period].type()) if kind == "time" else f.cast("float64")
        cols["__dnull"] = ibis.literal(False)
    t = table.select(**cols)
    cells = t.group_by("__u", "__p").aggregate(
        rows=count(t["__w"].notnull()),
        wsum=t["__w"].sum(),
        ysum=t["__y"].sum(),
        low=t["__d"].min(),
        high=t["__d"].max(),
        dnull=count(t["__dnull"]),
        bad=count(t["__bad"]),
        noy=count(t["__noy"]),
        neg=count(t["__neg"]),
        total=t.count(),
    )
    c = fetch_columns(cells, "the difference-in-differences cells query")
    return _read(c, outcome=outcome, treated=treated, weights=weights)


def _plain(values: Any) -> Any:
    """A fetched column as a plain array: NULLs (masked entries) as NaN, NaT or None."""
    if not isinstance(values, np.ma.MaskedArray):
        return np.asarray(values)
    mask = np.ma.getmaskarray(values)
    data = np.asarray(values.data)
    if np.issubdtype(data.dtype, np.datetime64):
        return np.where(mask, np.datetime64("NaT"), data)
    if np.issubdtype(data.dtype, np.number):
        return np.where(mask, np.nan, data.astype(np.float64))
    out = data.astype(object)
    out[mask] = None
    return out


def _read(
    fetched: dict[str, Any], *, outcome: str, treated: str | None, weights: str | None
) -> DidCells:
    c = {k: _plain(v) for k, v in fetched.items()}
    total = np.asarray(c["total"], dtype=np.int64)
    bad = int(np.asarray(c["bad"], dtype=np.int64).sum())
    if bad:
        raise DataError(
            f"outcome column {outcome!r}: {bad:,} of {int(total.sum()):,} rows hold NaN or"
            " infinity: drop or fix them in the source"
        )
    neg = int(np.asarray(c["neg"], dtype=np.int64).sum())
    if neg:
        raise DataError(
            f"weights column {weights!r}: {neg:,} rows have a negative weight: weights must be"
            " 0 or more"
        )
    units = np.asarray(c["__u"], dtype=object)
    periods = np.asarray(c["__p"])
    no_key = np.array([u is None for u in units]) | _missing(periods)
    excluded = {"rows with no unit or period": int(total[no_key].sum())}
    dnull = int(np.asarray(c["dnull"], dtype=np.int64)[~no_key].sum())
    if dnull and treated is not None:
        raise DataError(
            f"treated column {treated!r}: {dnull:,} rows are empty: fill them (1 = treated in"
            " that period, 0 = not)"
        )
    rows = np.asarray(c["rows"], dtype=np.float64)
    keep = ~no_key & (rows > 0)
    excluded["rows with no outcome" + ("" if weights is None else " or weight")] = int(
        np.asarray(c["noy"], dtype=np.int64)[~no_key].sum()
    )
    if not keep.any():
        raise DataError(
            f"no row has a unit, a period and an outcome {outcome!r}: nothing to analyse"
        )
    wsum = np.asarray(c["wsum"], dtype=np.float64)[keep]
    if (wsum <= 0).any():
        raise DataError(
            f"weights column {weights!r}: the weights of every row of some unit x period cell"
            " add to 0: drop those rows or fix the weights"
        )
    mean = np.asarray(c["ysum"], dtype=np.float64)[keep] / wsum
    low, high = np.asarray(c["low"])[keep], np.asarray(c["high"])[keep]
    if treated is not None:
        lo_f, hi_f = low.astype(np.float64), high.astype(np.float64)
        odd = ~np.isin(lo_f, (0.0, 1.0)) | ~np.isin(hi_f, (0.0, 1.0))
        if odd.any():
            raise DataError(
                f"treated column {treated!r} holds values other than 0 and 1 (or yes/no): use 1"
                " for treated in that period, 0 for not"
            )
        low, high = lo_f, hi_f
    return DidCells(
        unit=units[keep].astype(str),
        period=periods[keep],
        mean=mean,
        rows=rows[keep],
        low=low,
        high=high,
        excluded=excluded,
    )


def _missing(values: Any) -> Any:
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        return np.isnat(arr)
    if np.issubdtype(arr.dtype, np.number):
        return np.isnan(arr.astype(np.float64))
    return np.array([v is None for v in arr])
