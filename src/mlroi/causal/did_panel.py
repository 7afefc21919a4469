"""A panel of unit x period cells as matrices, and when each unit adopted the treatment.

The backend reduces the rows to one cell per unit and period (mean outcome, rows, and the
treatment flag's or first-treated period's smallest and largest value in the cell); this module
lays the cells out as a units x periods matrix (NaN where a cell is missing), derives each unit's
first treated period, and refuses what the designs cannot use, with the reason: a flag that mixes
treated and untreated rows in one cell, a treatment that switches off, a first-treated period
that differs between a unit's rows, no treated unit, no comparison unit, a constant outcome.

Periods are the distinct values of the period column, sorted: "relative period k" counts those
values from the adoption period (a period no unit has is not counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.errors import DataError

NEVER = np.iinfo(np.int64).max // 2
"""First-treated index of a unit never treated (larger than every period index)."""

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Panel:
    """Units x periods matrices and each unit's adoption period.

    Attributes:
        units: unit labels, in row order.
        periods: period labels (ISO dates or numbers as text), in column order.
        y: mean outcome per cell, NaN where the cell is missing.
        rows: rows behind each cell (0 where missing).
        first: index of each unit's first treated period, :data:`NEVER` for a unit never
            treated within the panel.
        excluded: units or cells left out, by reason.
        notes: how the cells were read.
    """

    units: tuple[str, ...]
    periods: tuple[str, ...]
    y: Array
    rows: Array
    first: npt.NDArray[np.int64]
    excluded: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def observed(self) -> npt.NDArray[np.bool_]:
        """Whether each cell has rows."""
        return np.asarray(self.rows > 0)

    @property
    def gaps(self) -> int:
        """Unit x period cells with no row."""
        return int((~self.observed).sum())

    @property
    def treated(self) -> npt.NDArray[np.bool_]:
        """Whether each cell is treated (the unit adopted at or before the period)."""
        t = np.arange(len(self.periods))
        return np.asarray(t[None, :] >= self.first[:, None])

    @property
    def adoption_periods(self) -> tuple[int, ...]:
        """The distinct first treated period indices (cohorts), in order."""
        return tuple(int(g) for g in np.unique(self.first[self.first < NEVER]))

    @property
    def staggered(self) -> bool:
        """Whether units adopted in more than one period."""
        return len(self.adoption_periods) > 1

    def cohort_sizes(self) -> dict[str, int]:
        """Units per first treated period (by its label), and never treated."""
        out = {self.periods[g]: int((self.first == g).sum()) for g in self.adoption_periods}
        never = int((self.first == NEVER).sum())
        return out | ({"never treated": never} if never else {})

    def balanced(self) -> Panel:
        """The units observed in every period (units with a gap dropped and counted)."""
        full: npt.NDArray[np.bool_] = np.asarray(self.observed.all(axis=1))
        if full.all():
            return self
        dropped = int((~full).sum())
        return Panel(
            tuple(u for u, k in zip(self.units, full.tolist(), strict=True) if k),
            self.periods,
            self.y[full],
            self.rows[full],
            self.first[full],
            self.excluded | {"units with a missing period (balanced panel needed)": dropped},
            self.notes,
        )

    def long(self) -> tuple[Array, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The observed cells as long arrays: outcome, unit index, period index."""
        ui, ti = np.nonzero(self.observed)
        return self.y[ui, ti], ui.astype(np.int64), ti.astype(np.int64)


def period_labels(values: Any) -> tuple[str, ...]:
    """Text labels of sorted period values: ISO dates (with the time when it is not midnight),
    or numbers."""
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        days = arr.astype("datetime64[D]")
        if (arr == days.astype(arr.dtype)).all():
            return tuple(str(d) for d in days)
        return tuple(str(d) for d in arr.astype("datetime64[s]"))
    out = []
    for v in arr.tolist():
        out.append(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    return tuple(out)


def _first_from_flags(
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
    units: tuple[str, ...],
    periods: tuple[str, ...],
    column: str,
) -> npt.NDArray[np.int64]:
    """First treated period of each unit from per-cell flag minima and maxima (NaN: missing)."""
    mixed = np.nan_to_num(lo, nan=0) != np.nan_to_num(hi, nan=0)
    if mixed.any():
        i, t = np.argwhere(mixed)[0]
        raise DataError(
            f"treated column {column!r}: {int(mixed.sum()):,} unit x period cells mix treated and"
            f" untreated rows (e.g. unit {units[i]!r} in {periods[t]}): give one flag per unit"
            " and period"
        )
    flag = np.where(np.isnan(hi), np.nan, hi)
    n_units = flag.shape[0]
    first = np.full(n_units, NEVER, dtype=np.int64)
    switched: list[int] = []
    for i in range(n_units):
        seen = np.flatnonzero(~np.isnan(flag[i]))
        on = seen[flag[i, seen] > 0]
        if on.size == 0:
            continue
        first[i] = on[0]
        if (flag[i, seen[seen > on[0]]] == 0).any():
            switched.append(i)
    if switched:
        raise DataError(
            f"treated column {column!r}: the treatment switches off for {len(switched):,} units"
            f" (e.g. {units[switched[0]]!r}): difference in differences here assumes adoption is"
            " permanent; give the first treated period with `first_treated` or drop those units"
        )
    return first


def build_panel(
    unit: Any,
    period: Any,
    y: Any,
    rows: Any,
    *,
    flag_min: Any = None,
    flag_max: Any = None,
    first_min: Any = None,
    first_max: Any = None,
    outcome: str = "outcome",
    treated_column: str = "treated",
    first_column: str = "first_treated",
) -> Panel:
    """A :class:`Panel` from one record per observed cell.

    Args:
        unit, period: each cell's unit and period (any sortable values).
        y: each cell's mean outcome; rows: rows behind it.
        flag_min, flag_max: the treatment flag's smallest and largest value in each cell
            (0/1), or
        first_min, first_max: the first treated period's (a period value; NaN/NaT/None for
            never treated, or 0 when 0 is not a period, as in R's ``did`` package).
        outcome, treated_column, first_column: column names, for messages.

    Raises:
        DataError: mixed flags in a cell, a treatment that switches off, a first-treated
            period that varies within a unit, no treated or no comparison unit, a constant
            outcome.
    """
    u_values, u_codes = np.unique(np.asarray(unit).astype(str), return_inverse=True)
    u_labels = tuple(str(v) for v in u_values)
    p_values, p_codes = np.unique(np.asarray(period), return_inverse=True)
    periods = period_labels(p_values)
    n_units, n_periods = len(u_labels), len(periods)
    shape = (n_units, n_periods)
    y_mat = np.full(shape, np.nan)
    r_mat = np.zeros(shape)
    y_mat[u_codes, p_codes] = np.asarray(y, dtype=np.float64)
    r_mat[u_codes, p_codes] = np.asarray(rows, dtype=np.float64)
    notes: list[str] = []
    excluded: dict[str, int] = {}
    finite = y_mat[np.isfinite(y_mat)]
    if finite.size and float(finite.max() - finite.min()) == 0.0:
        raise DataError(
            f"outcome column {outcome!r} is constant ({finite[0]:g} in every cell): there is no"
            " change to compare"
        )
    if flag_max is not None:
        lo, hi = np.full(shape, np.nan), np.full(shape, np.nan)
        lo[u_codes, p_codes] = np.asarray(flag_min, dtype=np.float64)
        hi[u_codes, p_codes] = np.asarray(flag_max, dtype=np.float64)
        first = _first_from_flags(lo, hi, u_labels, periods, treated_column)
    else:
        first = _first_from_values(
            np.asarray(first_min),
            np.asarray(first_max),
            u_codes,
            n_units,
            p_values,
            u_labels,
            first_column,
            notes,
        )
    always = first == 0
    if always.any():
        keep = ~always
        excluded["units treated from the first period (no period before adoption)"] = int(
            always.sum()
        )
        u_labels = tuple(u for u, k in zip(u_labels, keep, strict=True) if k)
        y_mat, r_mat, first = y_mat[keep], r_mat[keep], first[keep]
    if not (first < NEVER).any():
        raise DataError(
            f"no unit is ever treated after the first period ({periods[0]}): check the"
            f" {treated_column if flag_max is not None else first_column!r} column"
        )
    if not (first == NEVER).any() and len(np.unique(first)) < 2:
        raise DataError(
            f"every unit adopts the treatment in {periods[int(first[0])]} and none is untreated"
            " then: difference in differences needs comparison units (never treated or treated"
            " later)"
        )
    return Panel(u_labels, periods, y_mat, r_mat, first, excluded, tuple(notes))


def _first_from_values(
    lo: Any,
    hi: Any,
    u_codes: Any,
    n_units: int,
    p_values: Any,
    units: tuple[str, ...],
    column: str,
    notes: list[str],
) -> npt.NDArray[np.int64]:
    """First treated period index of each unit from per-cell first-treated minima and maxima."""
    is_time = np.issubdtype(p_values.dtype, np.datetime64)
    if is_time:
        lo_v = lo.astype(p_values.dtype)
        hi_v = hi.astype(p_values.dtype)
        missing = np.isnat(lo_v) | np.isnat(hi_v)
    else:
        lo_v = np.asarray(lo, dtype=np.float64)
        hi_v = np.asarray(hi, dtype=np.float64)
        missing = np.isnan(lo_v) | np.isnan(hi_v)
        zero = ~missing & (lo_v == 0) & (hi_v == 0) & ~(p_values == 0).any()
        if zero.any():
            notes.append(f"{column!r} = 0 read as never treated (as in R's did package)")
            missing = missing | zero
    per_unit: dict[int, Any] = {}
    for i, (a, b, m) in enumerate(zip(lo_v, hi_v, missing, strict=True)):
        u = int(u_codes[i])
        value = None if m else a
        if (not m and a != b) or (u in per_unit and per_unit[u] != value):
            per_unit[u] = "varies"
        else:
            per_unit.setdefault(u, value)
    varies = [u for u, v in per_unit.items() if isinstance(v, str)]
    if varies:
        raise DataError(
            f"first-treated column {column!r} differs between the rows of {len(varies):,} units"
            f" (e.g. {units[varies[0]]!r}): give one first treated period per unit"
        )
    first = np.full(n_units, NEVER, dtype=np.int64)
    late = 0
    for u, v in per_unit.items():
        if v is None:
            continue
        k = int(np.searchsorted(p_values, v, side="left"))
        if k >= len(p_values):
            late += 1
            continue
        first[u] = k
    if late:
        notes.append(
            f"{late:,} units first treated after the last period are read as never treated"
        )
    return first


def describe_gaps(panel: Panel) -> str | None:
    """A note counting missing cells, or ``None`` for a balanced panel."""
    gaps = panel.gaps
    if not gaps:
        return None
    units = int((~panel.observed.all(axis=1)).sum())
    total = panel.y.size
    return (
        f"the panel has gaps: {gaps:,} of {total:,} unit x period cells are missing, in"
        f" {units:,} units ({math.floor(100 * gaps / total)}% of cells)"
    )
