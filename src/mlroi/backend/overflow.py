"""Values too large for float64 arithmetic, found in what the backend returns and named by column.

A sum of revenue near 1e300, or of squares near 1e155, overflows a double to infinity; the
statistics built on it then read as "no variance" or "control too close to 0". The requests
detect a non-finite or overflowing aggregate (:class:`NonFinite`) and only then run one small
query (:func:`diagnose`) that tells the two causes apart: NaN or infinite values in the column,
or finite values too large to add up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlroi import formatting as fmt
from mlroi.backend.checks import count, nonfinite
from mlroi.backend.columns import as_float
from mlroi.backend.execute import fetch_one
from mlroi.errors import DataError

LIMIT = 1e300
"""Largest magnitude of a sum or a sum of squared deviations taken from the backend: the
statistics add, square and divide these (a variance of a difference, a CUPED adjustment), and
1e300 leaves them room below float64's 1.8e308."""

OUT_OF_RANGE = ("out of range", "overflow")
"""Words of a driver error when the engine itself overflowed (PostgreSQL's float sums)."""


class NonFinite(Exception):
    """An aggregate of ``column`` came back NaN, infinite or beyond :data:`LIMIT`."""

    def __init__(self, column: str, arm: str | None = None) -> None:
        super().__init__(column)
        self.column = column
        self.arm = arm


def overflow_error(column: str, largest: float, what: str = "column") -> DataError:
    """The one message for finite values too large to add up in float64."""
    return DataError(
        f"{what} {column!r}: values up to {fmt.number(largest)} overflow float64 sums;"
        " rescale (e.g. thousands)"
    )


def diagnose(
    table: Any,
    column: str,
    *,
    arm: str | None = None,
    raw: str | None = None,
    derived_from: tuple[Any, str] | None = None,
) -> DataError:
    """The error for a column whose aggregate was not finite: NaN/infinite values, or overflow.

    Args:
        table: the table the column was read from.
        column: the column's name as the user gave it.
        arm: the arm whose aggregate failed, when known.
        raw: the column of ``table`` to read, when the aggregate read a derived one (a capped
            column reads its raw column).
        derived_from: ``(events table, value column)`` when ``column`` sums an event log's
            value column per unit: the values are checked there.
    """
    import ibis

    source, name = derived_from or (table, raw or column)
    x = as_float(source[name])
    bad = nonfinite(x)
    row = fetch_one(
        source.aggregate(
            __bad=count(bad),
            __top=ibis.ifelse(bad, ibis.null(), x.abs()).max(),
        ),
        f"the check of column {name!r}",
    )
    where = f" in arm {arm!r}" if arm is not None and derived_from is None else ""
    origin = "" if derived_from is None else f" (summed from event column {name!r})"
    if int(row["__bad"] or 0):
        return DataError(
            f"column {column!r}{origin} has NaN or infinite values{where}: clean them in the source"
        )
    top = row["__top"]
    largest = math.inf if top is None else float(top)
    return overflow_error(column, largest)


def largest(columns: Mapping[str, tuple[Any, str]]) -> tuple[str, float] | None:
    """The column holding the largest finite magnitude, after an engine reported an overflow.

    Args:
        columns: each column's name as the user gave it -> (table, column of it to read).

    Returns:
        The name and its largest magnitude, or ``None`` when no column reaches the square root
        of :data:`LIMIT` (then the overflow came from elsewhere).
    """
    import ibis

    tops: dict[str, float] = {}
    for name, (table, raw) in columns.items():
        x = as_float(table[raw])
        row = fetch_one(
            table.aggregate(__top=ibis.ifelse(nonfinite(x), ibis.null(), x.abs()).max()),
            f"the check of column {raw!r}",
        )
        tops[name] = float(row["__top"] or 0.0)
    if not tops:
        return None
    name = max(tops, key=lambda k: tops[k])
    return (name, tops[name]) if tops[name] >= math.sqrt(LIMIT) else None


def is_out_of_range(exc: BaseException) -> bool:
    """Whether a backend error says the engine overflowed."""
    text = str(exc).lower()
    return any(word in text for word in OUT_OF_RANGE)
