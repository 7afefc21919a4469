"""The money value of treating the top rows of a ranking, and rankings compared at matched budgets.

Money (:func:`targeting_curve`): ``incremental_value`` is ``incremental`` times a value per
outcome, or for a per-row amount such as lifetime value ``(N_T + N_C)`` times the difference of
the arms' means of ``amount * [favourable]``; ``cost`` is a cost per row times the rows
targeted, or a per-row amount summed over them (known, not estimated); ``anyway_cost`` is the
part of it spent on the ``favourable_anyway`` rows; ``net_value = incremental_value - cost``.
:func:`compare_targeting` values several rankings of the same rows (risk, predicted uplift) at
matched budgets and finds the best budget of each.

Counts, formulas and conventions of the Qini curve valued here: :mod:`mlroi.decision.qini`.

References:
    Gutierrez, P. and Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a review of
    the literature. Proceedings of Machine Learning Research 67, 1-13.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlroi import defaults
from mlroi.decision.arrays import FloatArray, frozen
from mlroi.decision.qini import QiniCurve
from mlroi.decision.uplift_cells import Cells, count_columns, difference, locate, rows_of_budget
from mlroi.decision.uplift_groups import CONTROL, TREATED
from mlroi.stats.distributions import normal_ppf
from mlroi.stats.interval import Interval

__all__ = [
    "TARGETING_COLUMNS",
    "TargetingComparison",
    "TargetingCurve",
    "TargetingPoint",
    "compare_targeting",
    "targeting_curve",
]

TARGETING_COLUMNS = (
    "incremental_value",
    "se_incremental_value",
    "cost",
    "anyway_cost",
    "net_value",
)
"""The money columns a :class:`TargetingCurve` adds to its Qini curve's columns."""


@dataclass(frozen=True)
class TargetingPoint:
    """The estimated value of treating the top rows of a ranking at one budget.

    Attributes:
        targeted: rows treated; ``share`` of all rows.
        threshold: the lowest score treated (a budget inside a tied group treats part of it).
        incremental: favourable outcomes gained over treating nobody, with its interval.
        favourable_anyway: treated rows estimated to have the favourable outcome without
            treatment (for churn: would have stayed anyway).
        incremental_value: money gained from the incremental outcomes, with its interval.
        cost: money spent treating the targeted rows.
        anyway_cost: the part of ``cost`` spent on ``favourable_anyway`` rows.
        net_value: ``incremental_value - cost``, with its interval (the cost is known, so
            the interval is the value's, shifted).
    """

    targeted: float
    share: float
    threshold: float
    incremental: Interval
    favourable_anyway: float
    incremental_value: Interval
    cost: float
    anyway_cost: float
    net_value: Interval

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (NaN and inf kept as floats: serialise with
        :func:`mlroi.serialize.dumps`)."""
        return {
            "targeted": self.targeted,
            "share": self.share,
            "threshold": self.threshold,
            "incremental": _interval_dict(self.incremental),
            "favourable_anyway": self.favourable_anyway,
            "incremental_value": _interval_dict(self.incremental_value),
            "cost": self.cost,
            "anyway_cost": self.anyway_cost,
            "net_value": _interval_dict(self.net_value),
        }


def _interval_dict(x: Interval) -> dict[str, float]:
    return {"estimate": x.estimate, "lower": x.lower, "upper": x.upper, "std_error": x.std_error}


@dataclass(frozen=True, eq=False)
class TargetingCurve:
    """The money value of treating the top rows of a ranking, at every cut of its Qini curve.

    Attributes:
        curve: the Qini curve it values.
        value_per_outcome: money per incremental favourable outcome, or the name of a per-row
            amount of the groups (e.g. ``"clv"``): then the value of the top rows is
            ``targeted * (mean_T - mean_C)`` of ``amount * [favourable]``.
        cost_per_row: money per treated row, or the name of a per-row amount (e.g.
            ``"offer_cost"``), summed over the targeted rows of both arms.
        incremental_value: money gained from the incremental outcomes;
            ``se_incremental_value`` its standard error.
        cost: money spent treating the targeted rows.
        anyway_cost: the part of ``cost`` spent on rows with the favourable outcome anyway:
            ``cost_per_row * favourable_anyway``, or for an amount, ``targeted`` times the
            control mean of ``amount * [favourable]``.
        net_value: ``incremental_value - cost``.
        best: index of the point with the highest defined ``net_value`` (the fewest rows on a
            tie; 0, treating nobody, when no budget pays).
    """

    curve: QiniCurve
    value_per_outcome: float | str
    cost_per_row: float | str
    incremental_value: FloatArray
    se_incremental_value: FloatArray
    cost: FloatArray
    anyway_cost: FloatArray
    net_value: FloatArray
    best: int

    @property
    def columns(self) -> dict[str, FloatArray]:
        """The Qini curve's columns, then :data:`TARGETING_COLUMNS`."""
        return self.curve.columns | {name: getattr(self, name) for name in TARGETING_COLUMNS}

    def __len__(self) -> int:
        return len(self.curve)

    def at_budget(
        self, k: float | None = None, *, share: float | None = None, level: float = defaults.LEVEL
    ) -> TargetingPoint:
        """The value of treating exactly the top ``k`` rows (or ``share`` of the rows), with
        two-sided intervals at ``level``; a budget inside a tied group is interpolated as in
        :meth:`QiniCurve.at_budget`.

        Raises:
            ValueError: neither or both of ``k`` and ``share``, a value out of range, or a
                ``level`` outside (0, 1).
        """
        j, frac = locate(self.curve.targeted, rows_of_budget(self.curve.n, k, share))
        threshold = self.curve.threshold[j + 1] if frac > 0 else self.curve.threshold[j]
        return self._point(self.curve.cells.between(j, frac), float(threshold), level)

    def best_point(self, level: float = defaults.LEVEL) -> TargetingPoint:
        """The point of highest net value (see ``best``), with intervals at ``level``."""
        cells = self.curve.cells.between(self.best, 0.0)
        return self._point(cells, float(self.curve.threshold[self.best]), level)

    def _point(self, cells: Cells, threshold: float, level: float) -> TargetingPoint:
        z = _critical(level)
        c = self.curve
        counts = count_columns(cells, c.favourable, c.n)
        values = _value_columns(cells, c.favourable, c.n, self.value_per_outcome, self.cost_per_row)
        value = _interval(values["incremental_value"][0], values["se_incremental_value"][0], z)
        cost = float(values["cost"][0])
        return TargetingPoint(
            targeted=float(counts["targeted"][0]),
            share=float(counts["share_targeted"][0]),
            threshold=threshold,
            incremental=_interval(counts["incremental"][0], counts["se_incremental"][0], z),
            favourable_anyway=float(counts["favourable_anyway"][0]),
            incremental_value=value,
            cost=cost,
            anyway_cost=float(values["anyway_cost"][0]),
            # the cost is known, not estimated: the interval is the value's, shifted
            net_value=Interval(
                value.estimate - cost, value.lower - cost, value.upper - cost, value.std_error
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The valuation, the best point and every column as lists (NaN and inf kept)."""
        return {
            "value_per_outcome": self.value_per_outcome,
            "cost_per_row": self.cost_per_row,
            "best": self.best_point().to_dict(),
            "curve": self.curve.to_dict()
            | {"columns": {name: v.tolist() for name, v in self.columns.items()}},
        }


def _value_columns(
    cells: Cells, favourable: int, total: int, value: float | str, cost: float | str
) -> dict[str, FloatArray]:
    """Every column of :data:`TARGETING_COLUMNS` at every point of ``cells``: the one place the
    money numbers are computed."""
    counts = count_columns(cells, favourable, total)
    targeted, n_t, n_c = counts["targeted"], counts["n_treated"], counts["n_control"]
    if isinstance(value, str):
        s, q = cells.sums[value], cells.squares[value]
        gained, se, _, _ = difference(
            (s[:, TREATED, favourable], q[:, TREATED, favourable], n_t),
            (s[:, CONTROL, favourable], q[:, CONTROL, favourable], n_c),
            targeted,
        )
    else:
        gained, se = value * counts["incremental"], abs(value) * counts["se_incremental"]
    if isinstance(cost, str):
        amounts = cells.sums[cost]
        spent = amounts.sum(axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            anyway = np.where(targeted > 0, targeted * amounts[:, CONTROL, favourable] / n_c, 0.0)
    else:
        spent, anyway = cost * targeted, cost * counts["favourable_anyway"]
    return {
        "incremental_value": gained,
        "se_incremental_value": se,
        "cost": spent,
        "anyway_cost": anyway,
        "net_value": gained - spent,
    }


def targeting_curve(
    curve: QiniCurve, *, value: float | str, cost: float | str = 0.0
) -> TargetingCurve:
    """The money value of treating the top rows at every cut: incremental value, cost, the cost
    spent on rows with the favourable outcome anyway, and the net value.

    Args:
        curve: the Qini curve of a ranking.
        value: money per incremental favourable outcome (e.g. the average lifetime value of a
            retained customer), or the name of a per-row amount summed by the groups (e.g.
            ``"clv"``: each retained customer is worth their own lifetime value).
        cost: money per treated row (e.g. ``discount * acceptance + contact`` on average), or
            the name of a per-row amount (e.g. ``"offer_cost"`` for the sum
            ``"0.6 * discount + 1"``).

    Raises:
        ValueError: a number that is not finite, or a name the groups did not sum.

    Example:
        >>> from mlroi.decision.qini import qini_curve
        >>> from mlroi.decision.uplift_groups import UpliftGroups
        >>> score, label, treated = [0.9] * 4 + [0.1] * 2, [0, 0, 0, 1, 1, 0], [1, 1, 0, 0, 1, 0]
        >>> g = UpliftGroups.from_rows(score, label, treated)
        >>> t = targeting_curve(qini_curve(g, favourable=0), value=100.0, cost=10.0)
        >>> t.net_value.tolist(), t.anyway_cost.tolist(), t.best
        ([0.0, 160.0, -60.0], [0.0, 20.0, 40.0], 1)
    """
    names = sorted(curve.cells.sums)
    for what, given in (("value", value), ("cost", cost)):
        if isinstance(given, str):
            if given not in curve.cells.sums:
                raise ValueError(
                    f'{what}: "{given}" is not a sum of the groups (sums: '
                    f"{', '.join(names) or 'none'}); add it to `sums` when grouping"
                )
        elif isinstance(given, bool) or not math.isfinite(given):
            raise ValueError(f"{what} must be a finite number or the name of a sum, got {given!r}")
    value = value if isinstance(value, str) else float(value)
    cost = cost if isinstance(cost, str) else float(cost)
    columns = _value_columns(curve.cells, curve.favourable, curve.n, value, cost)
    net = columns["net_value"]
    defined = np.flatnonzero(~np.isnan(net))
    best = int(defined[np.argmax(net[defined])])
    return TargetingCurve(
        curve=curve,
        value_per_outcome=value,
        cost_per_row=cost,
        **{name: frozen(values) for name, values in columns.items()},
        best=best,
    )


def _critical(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    return normal_ppf(0.5 + level / 2.0)


def _interval(estimate: float, std_error: float, z: float) -> Interval:
    e, se = float(estimate), float(std_error)
    return Interval(estimate=e, lower=e - z * se, upper=e + z * se, std_error=se)


# ---------------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class TargetingComparison:
    """Several rankings of the same randomized rows, valued at the same budgets.

    Attributes:
        shares: the budgets, as shares of the rows.
        level: confidence level of the intervals.
        budgets: by ranking, one :class:`TargetingPoint` per share.
        best: by ranking, the point of highest net value over all its cuts.
        auuc: by ranking, the area between its uplift curve and random targeting, per row.
        qini_coefficient: by ranking, Radcliffe's Q.
        n: rows ranked.
        curves: by ranking, its uplift curve at :data:`CURVE_SHARES` (every 2% of the rows) as
            ``(share, incremental outcomes, net value)``, to draw.
    """

    shares: tuple[float, ...]
    level: float
    budgets: Mapping[str, tuple[TargetingPoint, ...]]
    best: Mapping[str, TargetingPoint]
    auuc: Mapping[str, float]
    qini_coefficient: Mapping[str, float]
    n: int
    curves: Mapping[str, tuple[tuple[float, float, float], ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN kept as floats: serialise with :func:`mlroi.serialize.dumps`)."""
        return {
            "n": self.n,
            "shares": list(self.shares),
            "level": self.level,
            "rankings": {
                name: {
                    "budgets": [p.to_dict() for p in points],
                    "best": self.best[name].to_dict(),
                    "auuc": self.auuc[name],
                    "qini_coefficient": self.qini_coefficient[name],
                    "curve": [list(point) for point in self.curves.get(name, ())],
                }
                for name, points in self.budgets.items()
            },
        }


def compare_targeting(
    curves: Mapping[str, TargetingCurve],
    *,
    shares: Sequence[float] = (0.1, 0.2, 0.3),
    level: float = defaults.LEVEL,
) -> TargetingComparison:
    """Value several rankings of the same randomized rows at matched budgets, and find the best
    budget of each (e.g. ranking by churn risk against ranking by predicted uplift).

    Args:
        curves: the targeting curves by a readable ranking name (e.g. ``"churn risk"``), all
            of the same rows (same arms, outcomes and valuation).
        shares: the budgets to compare, as shares of the rows.
        level: confidence level of the intervals.

    Raises:
        ValueError: no curves, curves of different rows or valuations, or a share or level out
            of range.

    Example:
        >>> from mlroi.decision.qini import qini_curve
        >>> from mlroi.decision.uplift_groups import UpliftGroups
        >>> score, label, treated = [0.9] * 4 + [0.1] * 2, [0, 0, 0, 1, 1, 0], [1, 1, 0, 0, 1, 0]
        >>> g = UpliftGroups.from_rows(score, label, treated)
        >>> t = targeting_curve(qini_curve(g, favourable=0), value=100.0, cost=10.0)
        >>> half = compare_targeting({"risk": t}, shares=(0.5,)).budgets["risk"][0]
        >>> half.targeted, half.incremental.estimate, half.net_value.estimate
        (3.0, 1.5, 120.0)
    """
    if not curves:
        raise ValueError("give at least one targeting curve to compare")
    if not shares or not all(0.0 <= s <= 1.0 for s in shares):
        raise ValueError(f"shares must be budgets between 0 and 1, got {list(shares)}")
    _critical(level)
    first = next(iter(curves.values()))
    for name, c in curves.items():
        if not _same_rows(c, first):
            raise ValueError(
                f'"{name}" is not a ranking of the same rows with the same valuation as the '
                "first curve; compare rankings of one randomized table, valued alike"
            )
    return TargetingComparison(
        shares=tuple(float(s) for s in shares),
        level=level,
        budgets={
            name: tuple(c.at_budget(share=s, level=level) for s in shares)
            for name, c in curves.items()
        },
        best={name: c.best_point(level) for name, c in curves.items()},
        auuc={name: c.curve.auuc for name, c in curves.items()},
        qini_coefficient={name: c.curve.qini_coefficient for name, c in curves.items()},
        n=first.curve.n,
        curves={name: _sketch(c, level) for name, c in curves.items()},
    )


CURVE_SHARES = tuple(i / 50 for i in range(51))
"""Where :attr:`TargetingComparison.curves` reads each curve: every 2% of the rows."""


def _sketch(c: TargetingCurve, level: float) -> tuple[tuple[float, float, float], ...]:
    points = (c.at_budget(share=s, level=level) for s in CURVE_SHARES)
    return tuple((p.share, p.incremental.estimate, p.net_value.estimate) for p in points)


def _same_rows(a: TargetingCurve, b: TargetingCurve) -> bool:
    """Whether two curves rank the same rows valued alike: equal totals per cell (the sums up
    to rounding, as they are added in another order) and the same valuation."""
    x, y = a.curve.cells, b.curve.cells
    return (
        a.curve.favourable == b.curve.favourable
        and a.value_per_outcome == b.value_per_outcome
        and a.cost_per_row == b.cost_per_row
        and bool(np.array_equal(x.n[-1], y.n[-1]))
        and x.sums.keys() == y.sums.keys()
        and all(np.allclose(x.sums[k][-1], y.sums[k][-1], rtol=1e-9) for k in x.sums)
    )
