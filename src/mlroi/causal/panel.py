"""Units x periods: the small matrix interrupted time series and synthetic control run on.

Built from the backend's sums per unit and period (or from a wide frame given in code). Periods
must be evenly spaced (every day, every week, every year...): the spacing is the smallest gap
between two periods in the data, and a unit missing a period on that grid is refused with the
count and the first missing period, never filled (a missing day is not a day with zero sales,
and only the user knows which it is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlroi.errors import DataError

Array = npt.NDArray[np.float64]

EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Panel:
    """Outcome per period (rows) and unit (columns).

    Attributes:
        units: column names.
        keys: period keys (epoch days for dates; the numbers themselves otherwise).
        kind: ``date`` (keys are days), ``month`` (keys are months since January 1970: dates
            one month apart, all on the same day of the month or all on a month's last day)
            or ``number``.
        step: keys between consecutive periods.
        values: ``(periods, units)``.
    """

    units: tuple[str, ...]
    keys: npt.NDArray[np.int64]
    kind: Literal["date", "month", "number"]
    step: int
    values: Array

    @property
    def labels(self) -> tuple[str, ...]:
        """The periods as text: ISO dates, or the numbers."""
        return tuple(self.label(int(k)) for k in self.keys)

    def label(self, key: int) -> str:
        """One period key as text."""
        if self.kind == "date":
            return (EPOCH + dt.timedelta(days=key)).isoformat()
        if self.kind == "month":
            return f"{1970 + key // 12:04d}-{key % 12 + 1:02d}"
        return str(key)

    @property
    def frequency(self) -> str:
        """The spacing of periods in words."""
        if self.kind == "date":
            return {1: "day", 7: "week"}.get(self.step, f"{self.step} days")
        if self.kind == "month":
            return {1: "month", 3: "quarter", 12: "year"}.get(self.step, f"{self.step} months")
        return "period" if self.step == 1 else f"{self.step} periods"

    def key_of(self, when: dt.date | int, field: str) -> int:
        """The key of a configured period (a date, or a number for numbered periods).

        Raises:
            DataError: a date given for numbered periods, or the reverse.
        """
        if self.kind in ("date", "month"):
            if isinstance(when, dt.datetime):
                when = when.date()
            if not isinstance(when, dt.date):
                raise DataError(
                    f"{field}: {when!r} is a number, but the date column holds dates: give a"
                    " date such as 2024-03-01"
                )
            if self.kind == "month":
                return (when.year - 1970) * 12 + when.month - 1
            return (when - EPOCH).days
        if isinstance(when, dt.date):
            raise DataError(
                f"{field}: {when.isoformat()} is a date, but the date column holds period"
                " numbers: give the number of the period (e.g. 1989)"
            )
        return int(when)

    def column(self, unit: str) -> int:
        """The index of a unit."""
        return self.units.index(unit)


def panel_from_sums(
    units: npt.NDArray[Any],
    keys: npt.NDArray[np.int64],
    totals: Array,
    *,
    kind: Literal["date", "month", "number"],
    wanted: Sequence[str] | None = None,
    date_column: str = "date",
) -> Panel:
    """The panel of the units in ``wanted`` (default: every unit) from long sums.

    Raises:
        DataError: no rows; periods not evenly spaced; a unit missing periods (gaps).
    """
    if totals.size == 0:
        raise DataError("the series source has no rows with an outcome: check the source")
    if kind == "date":
        keys, kind = _monthly(np.asarray(keys, dtype=np.int64))
    names = np.asarray(units).astype(str)
    chosen = sorted(set(names.tolist())) if wanted is None else list(wanted)
    keep = np.isin(names, chosen)
    names, keys, totals = names[keep], np.asarray(keys)[keep], np.asarray(totals)[keep]
    grid_keys = np.unique(keys)
    if grid_keys.size < 2:
        raise DataError(f"date column {date_column!r}: one period only; a series needs many")
    step = int(np.diff(grid_keys).min())
    span = int(grid_keys[-1] - grid_keys[0])
    if span % step or np.any((grid_keys - grid_keys[0]) % step):
        raise DataError(
            f"date column {date_column!r}: periods are not evenly spaced (smallest gap {step},"
            " others not a multiple of it): aggregate to one regular frequency first"
        )
    grid = np.arange(grid_keys[0], grid_keys[-1] + 1, step, dtype=np.int64)
    index = {u: i for i, u in enumerate(chosen)}
    values = np.full((grid.size, len(chosen)), np.nan)
    rows = (keys - grid[0]) // step
    cols = np.array([index[u] for u in names], dtype=np.int64)
    values[rows, cols] = totals
    panel = Panel(tuple(chosen), grid, kind, step, values)
    missing = np.isnan(values)
    if missing.any():
        j = int(np.argmax(missing.sum(axis=0)))
        n = int(missing[:, j].sum())
        first = panel.label(int(grid[int(np.argmax(missing[:, j]))]))
        what = "no rows" if n == grid.size else f"no rows for {n:,} of {grid.size:,} periods"
        raise DataError(
            f"unit {chosen[j]!r} has {what} (first missing {first}; {int(missing.sum()):,}"
            " unit-periods missing in all): fill them in the source (0 when nothing happened)"
            " or leave the unit out of the controls"
        )
    return panel


def _monthly(
    days: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], Literal["date", "month"]]:
    """Epoch days as months since January 1970 when the dates are monthly (module docstring
    of :class:`Panel`), else unchanged."""
    distinct = np.unique(days)
    if distinct.size < 2 or int(np.diff(distinct).min()) < 28:
        return days, "date"
    dates = [EPOCH + dt.timedelta(days=int(d)) for d in distinct]
    month_end = all((d + dt.timedelta(days=1)).day == 1 for d in dates)
    same_day = len({d.day for d in dates}) == 1 and dates[0].day <= 28
    if not (month_end or same_day):
        return days, "date"
    months = {
        int(d): (x.year - 1970) * 12 + x.month - 1 for d, x in zip(distinct, dates, strict=True)
    }
    return np.array([months[int(d)] for d in days], dtype=np.int64), "month"


def wide_panel(
    frame: Any, *, date: str, kind: Literal["date", "number"] | None = None
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], Array, Literal["date", "number"]]:
    """Long arrays (units, keys, totals) from a wide pandas frame: one column per unit and a
    date column (as :func:`panel_from_sums` takes them)."""
    import pandas as pd

    if date not in frame.columns:
        raise DataError(f"date column {date!r} not found in the wide frame")
    when = frame[date]
    if kind is None:
        kind = "number" if pd.api.types.is_integer_dtype(when) else "date"
    if kind == "date":
        days = (pd.to_datetime(when).dt.normalize() - pd.Timestamp(EPOCH)).dt.days
        keys = days.to_numpy(dtype=np.int64)
    else:
        keys = when.to_numpy(dtype=np.int64)
    units = [c for c in frame.columns if c != date]
    values = frame[units].to_numpy(dtype=np.float64)
    long_units = np.repeat(np.array(units, dtype=object)[None, :], len(keys), axis=0).ravel()
    long_keys = np.repeat(keys, len(units))
    return long_units, long_keys, values.ravel(), kind
