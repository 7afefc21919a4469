"""Synthetic difference in differences (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021).

One adoption date, a balanced panel with ``N0`` comparison units and ``T0`` periods before
adoption. Unit weights ``omega`` make the weighted comparison units' pre-period path parallel to
the treated units' mean (up to a constant: an intercept); time weights ``lambda`` make the
weighted pre-periods predict each comparison unit's post-period mean (again up to a constant).
The effect is the weighted 2x2 comparison:

``tau = (Ybar_tr,post - sum_t lambda_t Ybar_tr,t)``
``      - sum_i omega_i (Ybar_i,post - sum_t lambda_t Y_it)``.

Weights solve ridge-penalised least squares on the simplex (Algorithm 1 of the paper) by
Frank-Wolfe with exact line search, as the authors' ``synthdid`` R package does, with its
defaults: noise level ``sigma`` = standard deviation of the comparison units' pre-period first
differences; penalty ``zeta_omega = (N1 T1)^(1/4) sigma`` for unit weights and ``1e-6 sigma`` for
time weights; 100 iterations, then weights at most a quarter of the largest set to zero
("sparsified") and the solver restarted from there until the penalised loss decreases by less
than ``(1e-5 sigma)^2`` (at most 10,000 iterations).

Standard error: the placebo method (the paper's Algorithm 4), for one or few treated units:
``N1`` comparison units drawn at random play the treated, the estimator is rerun on the
comparison units only (weights re-solved from the original's, renormalised), and the standard
deviation of the placebo estimates (times ``sqrt((B-1)/B)``) is the standard error. It needs
more comparison than treated units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from mlroi.causal.did_panel import NEVER, Panel
from mlroi.errors import DataError
from mlroi.stats.interval import Interval

Array = npt.NDArray[np.float64]

PLACEBOS = 200
"""Placebo replications of the standard error (the R package's default)."""

BATCH_CELLS = 4_000_000
"""Panel cells solved at once across placebo replications (about 32 MB per copy)."""


def _frank_wolfe(y: Array, zeta: float, start: Array, min_decrease: float, max_iter: int) -> Array:
    """Simplex weights ``x`` minimising ``zeta^2 |x|^2 + |A x - b|^2 / n`` with ``A`` the first
    columns of ``y`` and ``b`` its last, both centred by column (the intercept).

    Batched: ``y`` is (problems, n, k + 1) and ``start`` (problems, k); each problem stops on
    its own when its loss decreases by at most ``min_decrease^2`` (after two steps at least),
    so the placebo replications run as one array computation.
    """
    y = y - y.mean(axis=1, keepdims=True)
    a, b = y[:, :, :-1], y[:, :, -1]
    n = y.shape[1]
    eta = n * zeta**2
    x = start.copy()
    rows = np.arange(len(x))
    last = np.full(len(x), np.inf)
    active = np.ones(len(x), dtype=bool)
    for it in range(max_iter):
        idx = rows[active]
        xa, aa, ba = x[idx], a[idx], b[idx]
        ax = np.einsum("pnk,pk->pn", aa, xa)
        half_grad = np.einsum("pn,pnk->pk", ax - ba, aa) + eta * xa
        i = np.argmin(half_grad, axis=1)
        dx = -xa
        dx[np.arange(len(idx)), i] += 1.0
        d_err = aa[np.arange(len(idx)), :, i] - ax
        denom = np.einsum("pn,pn->p", d_err, d_err) + eta * np.einsum("pk,pk->p", dx, dx)
        num = -np.einsum("pk,pk->p", half_grad, dx)
        step = np.where(denom > 0, num / np.where(denom > 0, denom, 1.0), 0.0)
        xa = xa + np.clip(step, 0.0, 1.0)[:, None] * dx
        x[idx] = xa
        err = np.einsum("pnk,pk->pn", aa, xa) - ba
        value = zeta**2 * np.einsum("pk,pk->p", xa, xa) + np.einsum("pn,pn->p", err, err) / n
        done = (last[idx] - value <= min_decrease**2) if it >= 1 else np.zeros(len(idx), bool)
        last[idx] = value
        active[idx[done]] = False
        if not active.any():
            break
    return np.asarray(x, dtype=np.float64)


def _sparsify(x: Array) -> Array:
    """Weights at most a quarter of the largest set to zero, the rest renormalised."""
    out: Array = np.where(x <= x.max(axis=1, keepdims=True) / 4, 0.0, x)
    return np.asarray(out / out.sum(axis=1, keepdims=True), dtype=np.float64)


@dataclass(frozen=True)
class SyntheticWeights:
    """Unit weights of the comparison units and time weights of the pre-periods."""

    omega: Array
    lambda_: Array


@dataclass(frozen=True)
class Penalties:
    """The solver's settings, fixed by the original panel (placebos reuse them)."""

    zeta_omega: float
    zeta_lambda: float
    min_decrease: float


def penalties(y: Array, n0: int, t0: int) -> Penalties:
    """The R package's defaults from the panel (module docstring)."""
    n1, t1 = y.shape[0] - n0, y.shape[1] - t0
    sigma = float(np.std(np.diff(y[:n0, :t0], axis=1), ddof=1))
    return Penalties((n1 * t1) ** 0.25 * sigma, 1e-6 * sigma, 1e-5 * sigma)


def synthetic_did(
    y: Array,
    n0: int,
    t0: int,
    *,
    pen: Penalties | None = None,
    start: SyntheticWeights | None = None,
    max_iter: int = 10_000,
) -> tuple[float, SyntheticWeights]:
    """The synthetic DiD estimate on ``y`` (comparison units in the first ``n0`` rows,
    pre-periods in the first ``t0`` columns) and its weights."""
    pen = pen or penalties(y, n0, t0)
    taus, om, lam = _batch(y[None], n0, t0, pen, start, max_iter)
    return float(taus[0]), SyntheticWeights(om[0], lam[0])


def _batch(
    ys: Array, n0: int, t0: int, pen: Penalties, start: SyntheticWeights | None, max_iter: int
) -> tuple[Array, Array, Array]:
    """Estimates and weights of several panels of one shape at once (see :func:`synthetic_did`);
    ``start`` holds one row of starting weights per panel, or ``None`` for uniform ones."""
    b = ys.shape[0]
    n1, t1 = ys.shape[1] - n0, ys.shape[2] - t0
    # the collapsed panel: comparison units' pre-periods and post mean; the treated mean row
    top = np.concatenate([ys[:, :n0, :t0], ys[:, :n0, t0:].mean(axis=2)[:, :, None]], axis=2)
    bottom = np.concatenate(
        [ys[:, n0:, :t0].mean(axis=1), ys[:, n0:, t0:].mean(axis=(1, 2))[:, None]], axis=1
    )
    collapsed = np.concatenate([top, bottom[:, None, :]], axis=1)
    lam0 = np.full((b, t0), 1.0 / t0) if start is None else np.atleast_2d(start.lambda_)
    om0 = np.full((b, n0), 1.0 / n0) if start is None else np.atleast_2d(start.omega)
    pre = collapsed[:, :n0, :]
    lam = _frank_wolfe(pre, pen.zeta_lambda, lam0, pen.min_decrease, 100)
    lam = _frank_wolfe(pre, pen.zeta_lambda, _sparsify(lam), pen.min_decrease, max_iter)
    units = np.transpose(collapsed[:, :, :t0], (0, 2, 1))
    om = _frank_wolfe(units, pen.zeta_omega, om0, pen.min_decrease, 100)
    om = _frank_wolfe(units, pen.zeta_omega, _sparsify(om), pen.min_decrease, max_iter)
    rows = np.concatenate([-om, np.full((b, n1), 1.0 / n1)], axis=1)
    cols = np.concatenate([-lam, np.full((b, t1), 1.0 / t1)], axis=1)
    taus = np.einsum("pn,pnt,pt->p", rows, ys, cols)
    return taus, om, lam


def _series(ys: Array, n0: int, t0: int, om: Array, lam: Array) -> Array:
    """Per panel and period: treated mean less the weighted comparison, less its time-weighted
    pre-period value (the post-period mean of a row is the estimate)."""
    gap = ys[:, n0:, :].mean(axis=1) - np.einsum("pn,pnt->pt", om, ys[:, :n0, :])
    return np.asarray(gap - np.einsum("pt,pt->p", lam, gap[:, :t0])[:, None])


@dataclass(frozen=True)
class SyntheticDid:
    """The estimate, its placebo interval, the weights and how they were read."""

    effect: Interval
    omega: tuple[float, ...]
    lambda_: tuple[float, ...]
    placebos: int
    notes: tuple[str, ...]
    periods: tuple[Interval, ...] = ()
    """Per period: the weighted gap less its pre-period baseline, with a placebo interval."""
    pre_cov: Array | None = None
    """Placebo covariance of the pre-period gaps (for the pre-trend test)."""


def placebos(
    y: Array,
    n0: int,
    t0: int,
    weights: SyntheticWeights,
    pen: Penalties,
    *,
    replications: int,
    rng: np.random.Generator,
) -> tuple[Array, Array]:
    """Placebo estimates (Algorithm 4: comparison units drawn to play the treated, all
    replications solved as one batch) and each placebo's per-period gaps."""
    n1 = y.shape[0] - n0
    fake_n0 = n0 - n1
    orders = np.stack([rng.permutation(n0) for _ in range(replications)])
    # batches of about BATCH_CELLS cells, so a large panel's placebos stay within memory
    size = max(1, BATCH_CELLS // max(1, y[:n0].size))
    draws, gaps = [], []
    for start in range(0, replications, size):
        chunk = orders[start : start + size]
        ys = y[:n0][chunk]
        om = weights.omega[chunk[:, :fake_n0]]
        total = om.sum(axis=1, keepdims=True)
        om = np.where(total > 0, om / np.where(total > 0, total, 1.0), 1.0 / fake_n0)
        lam = np.tile(weights.lambda_, (len(chunk), 1))
        d, om_b, lam_b = _batch(ys, fake_n0, t0, pen, SyntheticWeights(om, lam), 10_000)
        draws.append(d)
        gaps.append(_series(ys, fake_n0, t0, om_b, lam_b))
    return np.concatenate(draws), np.concatenate(gaps)


def placebo_se(draws: Array) -> float:
    """``sqrt((B-1)/B)`` times the placebo estimates' standard deviation (as ``synthdid``)."""
    b = len(draws)
    return math.sqrt((b - 1) / b) * float(np.std(draws, ddof=1))


def synthetic_did_of(
    panel: Panel, *, level: float, seed: int, replications: int = PLACEBOS
) -> SyntheticDid:
    """Synthetic DiD of a balanced panel with one adoption date, with its placebo interval.

    Raises:
        DataError: staggered adoption, or no more comparison than treated units.
    """
    if panel.staggered:
        raise DataError(
            "synthetic_did needs one adoption date; units here adopt on"
            f" {len(panel.adoption_periods)}: use estimator callaway_santanna"
        )
    t0 = panel.adoption_periods[0]
    control = panel.first == NEVER
    n0 = int(control.sum())
    n1 = len(control) - n0
    if t0 < 2:
        raise DataError("synthetic_did needs at least two periods before adoption")
    if n0 <= n1:
        raise DataError(
            f"synthetic_did's placebo standard error needs more comparison units ({n0}) than"
            f" treated units ({n1}): use estimator twfe"
        )
    y = np.vstack([panel.y[control], panel.y[~control]])
    pen = penalties(y, n0, t0)
    tau, w = synthetic_did(y, n0, t0, pen=pen)
    draws, gaps = placebos(
        y, n0, t0, w, pen, replications=replications, rng=np.random.default_rng(seed)
    )
    se = placebo_se(draws)
    z = float(stats.norm.ppf((1 + level) / 2))
    series = _series(y[None], n0, t0, w.omega[None], w.lambda_[None])[0]
    scale = math.sqrt((replications - 1) / replications)
    sds = scale * np.std(gaps, axis=0, ddof=1)
    periods = tuple(
        Interval(float(v), float(v - z * s), float(v + z * s), float(s))
        for v, s in zip(series, sds, strict=True)
    )
    pre_cov = np.cov(gaps[:, :t0], rowvar=False, ddof=1) * scale**2
    used = int((w.omega > 0).sum())
    notes = (
        f"synthetic difference in differences: {used} of {n0} comparison units and"
        f" {int((w.lambda_ > 0).sum())} of {t0} pre-periods carry weight; standard error from"
        f" {replications} placebo assignments (comparison units playing the treated, seeded)",
    )
    return SyntheticDid(
        Interval(tau, tau - z * se, tau + z * se, se),
        tuple(float(v) for v in w.omega),
        tuple(float(v) for v in w.lambda_),
        replications,
        notes,
        periods,
        pre_cov,
    )
