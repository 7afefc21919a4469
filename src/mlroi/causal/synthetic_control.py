"""Synthetic control: a weighted average of donor units that tracks the treated unit before the
launch, and its gap after it.

Weights (Abadie, Diamond and Hainmueller 2010, matching on every pre-period outcome): the ``w``
that minimises ``||y_1 - Y_0 w||^2`` over the pre-period subject to ``w >= 0`` and
``sum(w) = 1``. Solved by Lawson and Hanson's active-set NNLS (:func:`scipy.optimize.nnls`) on
the system augmented with the row ``M 1' w = M`` (the classical way to hold an equality in a
least-squares problem with bounds), then polished: on the support found, the equality-
constrained least squares is solved exactly from its KKT system, and kept when its weights stay
positive and no donor outside the support would lower the loss (the KKT conditions hold to
``1e-9`` of the loss's scale). The weights then sum to one to rounding.

Inference: placebo-in-space (Abadie et al. 2010, section 4): each donor in turn is treated as if
it had been treated, with the other donors (never the treated unit) as its pool; the ratio of
post- to pre-period RMSPE of the treated unit is ranked among the placebos', and the p-value is
its rank from the top over the number of units ranked. The effect's interval comes from the
same placebos: the treated unit's average gap minus the ``(1 +- level) / 2`` quantiles of the
placebos' average gaps, using placebos whose pre-period fit is at most
:data:`PLACEBO_FIT_LIMIT` times the treated unit's RMSPE (Abadie et al.'s screen), as an
interval read off the distribution of gaps under no effect.

References:
    Abadie, A., Diamond, A. and Hainmueller, J. (2010). Synthetic control methods for
    comparative case studies: estimating the effect of California's tobacco control program.
    JASA 105(490), 493-505.
    Lawson, C. L. and Hanson, R. J. (1974). Solving Least Squares Problems, ch. 23 (NNLS) and
    ch. 20 (equality constraints by weighting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import nnls

from mlroi.stats.interval import Interval

Array = npt.NDArray[np.float64]

PLACEBO_FIT_LIMIT = 5.0
"""Placebos whose pre-period RMSPE exceeds this multiple of the treated unit's are left out of
the effect's interval (Abadie et al. 2010 show cut-offs of 20, 5 and 2)."""

_WEIGHT = 1e3
"""The equality row's weight ``M``, relative to the scaled data (see :func:`simplex_weights`)."""


def simplex_weights(donors: Array, treated: Array) -> Array:
    """The non-negative weights summing to one that minimise ``||treated - donors @ w||``.

    Args:
        donors: ``(T0, J)`` pre-period outcomes of the donor units.
        treated: ``(T0,)`` pre-period outcomes of the treated unit.

    Returns:
        ``(J,)`` weights (see the module docstring for the method and its tolerance).
    """
    A = np.asarray(donors, dtype=np.float64)
    b = np.asarray(treated, dtype=np.float64)
    J = A.shape[1]
    if J == 1:
        return np.ones(1)
    scale = float(np.abs(A).max()) or 1.0
    As, bs = A / scale, b / scale
    aug = np.vstack([As, np.full((1, J), _WEIGHT)])
    rhs = np.concatenate([bs, [_WEIGHT]])
    w, _ = nnls(aug, rhs, maxiter=50 * J)
    polished = _polish(As, bs, w > 0)
    if polished is not None:
        return polished
    clipped: Array = np.clip(w, 0.0, None)
    out: Array = clipped / clipped.sum()
    return out


def _polish(A: Array, b: Array, support: npt.NDArray[np.bool_]) -> Array | None:
    """The exact equality-constrained least squares on ``support``, if it satisfies the KKT
    conditions of the simplex problem; else ``None``."""
    idx = np.flatnonzero(support)
    if idx.size == 0:
        return None
    As = A[:, idx]
    k = idx.size
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = As.T @ As
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.concatenate([As.T @ b, [1.0]])
    try:
        sol = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:
        return None
    ws = sol[:k]
    if not np.all(np.isfinite(ws)) or ws.min() < -1e-12:
        return None
    w = np.zeros(A.shape[1])
    w[idx] = np.clip(ws, 0.0, None)
    w /= w.sum()
    # Stationarity outside the support: the loss's gradient 2 A'(Aw - b) plus the multiplier
    # of the sum must be >= 0 for every donor left out.
    grad = A.T @ (A @ w - b)
    mult = -float(grad[idx].mean())
    tol = 1e-9 * max(1.0, float(np.abs(A.T @ b).max()))
    if np.any(grad + mult < -tol):
        return None
    return w


def rmspe(gaps: Array) -> float:
    """Root mean squared prediction error of ``gaps``."""
    return float(np.sqrt(np.mean(np.square(gaps)))) if gaps.size else math.nan


@dataclass(frozen=True)
class SyntheticFit:
    """One synthetic control: the treated unit's weights, series and fit.

    Attributes:
        weights: ``(J,)`` per donor (in the donor order given).
        synthetic: ``(T,)`` the synthetic unit over every period.
        gaps: ``(T,)`` actual minus synthetic.
        pre_rmspe, post_rmspe: of the gaps before and after the launch.
        ratio: ``post_rmspe / pre_rmspe`` (``inf`` when the pre-period fit is exact).
        average: mean gap over the post period.
    """

    weights: Array
    synthetic: Array
    gaps: Array
    pre_rmspe: float
    post_rmspe: float
    ratio: float
    average: float


def fit_synthetic(treated: Array, donors: Array, n_pre: int) -> SyntheticFit:
    """The synthetic control of ``treated`` (``(T,)``) from ``donors`` (``(T, J)``), with
    weights fitted on the first ``n_pre`` periods."""
    w = simplex_weights(donors[:n_pre], treated[:n_pre])
    synthetic = donors @ w
    gaps = treated - synthetic
    pre, post = rmspe(gaps[:n_pre]), rmspe(gaps[n_pre:])
    ratio = post / pre if pre > 0 else math.inf
    average = float(gaps[n_pre:].mean()) if gaps.size > n_pre else math.nan
    return SyntheticFit(w, synthetic, gaps, pre, post, ratio, average)


@dataclass(frozen=True)
class Placebo:
    """One placebo run: a donor treated as if it had been treated on the launch date.

    Attributes:
        unit: the donor's name.
        pre_rmspe, post_rmspe, ratio: as :class:`SyntheticFit`'s.
        average: its mean post-period gap (an effect that did not happen).
    """

    unit: str
    pre_rmspe: float
    post_rmspe: float
    ratio: float
    average: float


def placebos_in_space(
    values: Array,
    donors: npt.NDArray[np.int64],
    names: tuple[str, ...],
    n_pre: int,
    chosen: npt.NDArray[np.int64] | None = None,
) -> tuple[tuple[Placebo, ...], Array]:
    """Refit with each donor (column indices of ``values``, ``(T, N)``) as the treated unit and
    the other donors as its pool.

    Args:
        values: every unit's series.
        donors: the donor pool's columns (the treated unit's column excluded).
        names: of every column.
        n_pre: pre-period rows.
        chosen: the donors to refit (default: all).

    Returns:
        The placebos, and their gaps ``(T, P)`` (one column per placebo).
    """
    chosen = donors if chosen is None else chosen
    out = []
    gaps = np.empty((values.shape[0], len(chosen)))
    for i, j in enumerate(chosen):
        pool = donors[donors != j]
        fit = fit_synthetic(values[:, j], values[:, pool], n_pre)
        out.append(Placebo(names[j], fit.pre_rmspe, fit.post_rmspe, fit.ratio, fit.average))
        gaps[:, i] = fit.gaps
    return tuple(out), gaps


def permutation_p_value(ratio: float, placebos: tuple[Placebo, ...]) -> float:
    """Abadie et al.'s p-value: the share of units (treated included) whose post/pre RMSPE
    ratio is at least the treated unit's."""
    at_least = sum(1 for p in placebos if p.ratio >= ratio)
    return (1 + at_least) / (1 + len(placebos))


@dataclass(frozen=True)
class PlaceboIntervals:
    """The effect's intervals read off the placebos' gaps (module docstring).

    Attributes:
        average: the mean effect over the post period.
        effects: per post period.
        cumulative: per post period, summed from the launch.
        used: placebos that passed the fit screen.
    """

    average: Interval
    effects: tuple[Interval, ...]
    cumulative: tuple[Interval, ...]
    used: int


def placebo_intervals(
    fit: SyntheticFit,
    placebos: tuple[Placebo, ...],
    gaps: Array,
    n_pre: int,
    level: float,
) -> PlaceboIntervals:
    """Each figure minus the ``(1 +- level) / 2`` quantiles of the same figure over the
    placebos whose pre-period RMSPE is at most :data:`PLACEBO_FIT_LIMIT` times the treated
    unit's; NaN ends with fewer than two such placebos."""
    keep = np.array(
        [
            math.isfinite(p.average) and p.pre_rmspe <= PLACEBO_FIT_LIMIT * fit.pre_rmspe
            for p in placebos
        ],
        dtype=bool,
    )
    post = fit.gaps[n_pre:]
    null = gaps[n_pre:, keep] if keep.size else np.empty((post.size, 0))
    m = post.size

    def band(value: Array, draws: Array) -> tuple[Interval, ...]:
        if draws.shape[1] < 2:
            return tuple(Interval(float(v), math.nan, math.nan) for v in value)
        lo, hi = _inverted_cdf(draws, level)
        sd = np.std(draws, axis=1, ddof=1)
        return tuple(
            Interval(float(v), float(v - h), float(v - low), float(s))
            for v, low, h, s in zip(value, lo, hi, sd, strict=True)
        )

    effects = band(post, null)
    cumulative = band(np.cumsum(post), np.cumsum(null, axis=0))
    mean_null = null.mean(axis=0, keepdims=True) if m else np.empty((0, null.shape[1]))
    average = (
        band(np.array([fit.average]), mean_null)[0] if m else Interval(math.nan, math.nan, math.nan)
    )
    return PlaceboIntervals(average, effects, cumulative, int(keep.sum()))


def _inverted_cdf(draws: Array, level: float) -> tuple[Array, Array]:
    """Per row, the ``(1 -+ level) / 2`` quantiles by the inverted empirical CDF (the
    convention of :meth:`mlroi.stats.interval.Interval.of`)."""
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=1, method="inverted_cdf")
    return lo, hi
