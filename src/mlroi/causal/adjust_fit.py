"""Regression adjustment, IPW and AIPW from sums over rows that a reducer computes.

Every figure of the adjustment design is a function of a few sums over the units: per-arm
cross-products for the outcome models, ``X'WX`` and ``X'(t - e)`` for each Newton step of the
logistic propensity model, weighted sums for the IPW and AIPW estimates, and the sums of squares
of each estimator's influence function. The row formulas are written once, here, against a small
:class:`~mlroi.causal.adjust_rows.Ops` interface; a reducer evaluates them on its data and
returns their sums: :class:`~mlroi.causal.adjust_rows.ArrayReducer` on numpy arrays (tests and
simulations),
:class:`mlroi.backend.causal_adjust.TableReducer` as one aggregate query per pass (rows never
leave the backend). So the backend path and the array path compute the same numbers by
construction.

Passes over the rows (each one aggregate query on a backend):

1. per arm (grouped by the treatment): counts, sums and squares of the outcome, and the
   covariates' cross-products: the naive difference, the balance before weighting, the scale
   the covariates are standardised to, and the propensity fit's first Newton step (at a
   constant propensity, its information matrix and score are functions of these sums);
2. one pass per further Newton (IRLS) step of the propensity model ``logit e(x) = x'g`` (and
   per halving of a step that would lower the likelihood), stopping when the last steps show
   the coefficients have converged (Newton's steps shrink quadratically);
3. given ``g``, grouped by arm: the propensity histogram and the information matrix over every
   unit, and the kept units' outcome models' cross-products and Hajek-weighted sums (IPW and
   balance after weighting);
4. given the outcome models: the AIPW sums and every estimator's influence-function sum of
   squares.

Estimators (Imbens & Wooldridge 2009, sections 5.3-5.5; Hirano, Imbens & Ridder 2003; Robins,
Rotnitzky & Zhao 1994):

- regression adjustment: one linear model per arm (``y ~ x`` on the treated, on the
  comparison units); ATT ``= mean over treated of (y - x'b0)``, ATE ``= mean of x'(b1 - b0)``;
- IPW (Hajek, normalised weights): ATT weights 1 for the treated, ``e/(1-e)`` for the others;
  ATE weights ``1/e`` and ``1/(1-e)``;
- AIPW (doubly robust): ATE ``= mean of m1 - m0 + t(y - m1)/e - (1-t)(y - m0)/(1-e)``; ATT
  ``= [sum t(y - m0) - sum (1-t) e/(1-e) (y - m0)] / n1``.

Standard errors come from each estimator's influence function, with the estimation of its
nuisance models accounted for: the outcome models' for regression adjustment, the propensity
model's for IPW (stacked estimating equations), none for AIPW (its influence function is
orthogonal to both nuisances). Units whose propensity falls outside the trimming bounds are
left out of every estimator (the trimmed set is then held fixed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mlroi.causal.adjust_rows import (
    Build,
    Counts,
    Cross,
    Dot,
    GroupedBuild,
    Groups,
    Reducer,
    Rows,
    Scale,
    linear,
    symmetric,
    vector,
)
from mlroi.errors import DataError

Estimand = Literal["att", "ate"]
ESTIMANDS: tuple[Estimand, ...] = ("att", "ate")
ESTIMATORS = ("regression", "ipw", "aipw")
BINS = 20
"""Propensity histogram bins of width 0.05 on [0, 1]."""

MAX_COEF = 30.0
"""A standardised propensity coefficient beyond this (a one-SD change multiplying the odds of
exposure by e^30) means the model diverges: the covariate separates the arms."""


def _propensity(rows: Rows, z: Sequence[Any], gamma: npt.NDArray[np.float64]) -> Any:
    return rows.ops.let(1.0 / (1.0 + rows.ops.exp(-linear(z, gamma))))


@dataclass(frozen=True)
class ArmMoments:
    """Per-arm count, means and variances (ddof 1) of the covariates and the outcome."""

    n: int
    mean: tuple[float, ...]
    var: tuple[float, ...]
    y_mean: float
    y_var: float


@dataclass(frozen=True)
class Estimate:
    """One estimator's estimate of one estimand, its standard error and counterfactual mean."""

    estimate: float
    std_error: float
    counterfactual: float


@dataclass(frozen=True)
class Regression:
    """The pooled regression ``y ~ 1 + x + t`` on the kept units (for the omitted-variable
    bound): the coefficient of ``t``, its classical standard error and residual df."""

    coef: float
    std_error: float
    df: int


@dataclass(frozen=True)
class AdjustFit:
    """Everything the adjustment design estimates, as numbers.

    Attributes:
        before: per-arm moments of every analysed unit (1 = treated, 0 = comparison).
        naive: the difference in means and its Welch standard error.
        propensity_coef: the logistic propensity coefficients on the raw covariate scale
            (intercept first).
        iterations: passes of the propensity fit (Newton steps, and halvings of a step that
            would have lowered the likelihood).
        passes: passes over the rows (aggregate queries, or passes in memory).
        kept: units kept after trimming, per arm.
        trimmed: units trimmed, per arm.
        histogram: propensity counts per arm in :data:`BINS` bins on [0, 1].
        smd_before, smd_after: standardised mean differences per covariate, before and after
            weighting for the estimand (both over the unweighted pooled SD before weighting).
        estimates: ``{estimand: {estimator: Estimate}}``.
        ra_ate_fixed_x_se: regression adjustment's ATE standard error holding the covariates
            fixed (the HC0 standard error of ``t`` in the interacted regression).
        outcome_sd: the outcome's standard deviation among the kept comparison units.
        binary: every outcome is 0 or 1.
        regression: the pooled regression for the omitted-variable bound.
        treated_mean: the outcome's mean among the kept treated units.
    """

    before: dict[int, ArmMoments]
    naive: Estimate
    propensity_coef: tuple[float, ...]
    iterations: int
    passes: int
    kept: dict[int, int]
    trimmed: dict[int, int]
    histogram: dict[int, tuple[int, ...]]
    smd_before: tuple[float, ...]
    smd_after: dict[str, tuple[float, ...]]
    estimates: dict[str, dict[str, Estimate]]
    ra_ate_fixed_x_se: float
    outcome_sd: float
    regression: Regression
    treated_mean: float
    binary: bool = False
    notes: tuple[str, ...] = field(default=())


def _moments_build(rows: Rows) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per arm: count, sums and squares of the outcome, and the covariates' cross-products
    (their sums and squares, and what the propensity fit's first step needs)."""
    out: dict[str, Any] = {"n": rows.one, "y": rows.y, "yy": rows.y * rows.y}
    out["ynb"] = rows.ops.indicator((rows.y != 0.0) & (rows.y != 1.0))
    out["xx"] = Cross(rows.one, (rows.one, *rows.x))
    return {"arm": rows.t}, out


def _arm_sums(groups: Groups, k: int) -> dict[str, float]:
    """The moments pass's per-arm sums under the names the fit reads (``n1``, ``x0_2``...)."""
    s: dict[str, float] = {}
    for key, v in groups:
        a = key["arm"]
        for name in ("n", "y", "yy", "ynb"):
            s[f"{name}{a}"] = v[name]
        for i in range(k + 1):
            for j in range(i, k + 1):
                s[f"xx{a}_{i}_{j}"] = v[f"xx{i}_{j}"]
        for j in range(k):
            s[f"x{a}_{j}"] = v[f"xx0_{j + 1}"]
            s[f"xx{a}_{j}"] = v[f"xx{j + 1}_{j + 1}"]
    for a in (1, 0):
        for name in ("n", "y", "yy", "ynb"):
            s.setdefault(f"{name}{a}", 0.0)
    return s


def _var(total: float, squares: float, n: float) -> float:
    if n < 2:
        return math.nan
    return max(squares - total * total / n, 0.0) / (n - 1)


def fit_adjustment(
    reducer: Reducer,
    covariates: Sequence[str],
    *,
    treatment: str = "treatment",
    trim: tuple[float, float] = (0.01, 0.99),
    max_iter: int = 100,
    tol: float = 1e-7,
) -> AdjustFit:
    """Fit the propensity and outcome models and every estimator (module docstring).

    Args:
        reducer: evaluates the row formulas on the analysed units (no NULLs).
        covariates: the covariates' names, in the reducer's column order (for messages).
        treatment: the treatment column's name (for messages).
        trim: units with a propensity outside ``[low, high]`` are left out.
        max_iter: most passes of the propensity fit (Newton steps and halvings).
        tol: the fit has converged when the Newton step moves no coefficient by more than
            ``tol`` (relative), or when the last two steps show that the coefficients after
            this one are within ``1e-4 * tol`` (Newton converges quadratically: each step's size
            is about ``c`` times the square of the one before); that step is taken without
            another pass.

    Raises:
        DataError: an arm is empty, a covariate has no variance, the covariates are collinear,
            or a covariate separates the arms (the propensity fit diverges); the message names
            the column.
    """
    k = len(covariates)
    p = k + 1
    s = _arm_sums(reducer.group_sums(_moments_build, "the covariate moments"), k)
    n1, n0 = s["n1"], s["n0"]
    if n1 < 2 or n0 < 2:
        which = "treated" if n1 < 2 else "untreated"
        raise DataError(
            f"treatment column {treatment!r}: {int(n1 + n0):,} units but {int(min(n1, n0))}"
            f" {which}: an observational comparison needs units in both arms"
        )
    before: dict[int, ArmMoments] = {}
    for a, n in ((1, n1), (0, n0)):
        before[a] = ArmMoments(
            n=round(n),
            mean=tuple(s[f"x{a}_{j}"] / n for j in range(k)),
            var=tuple(_var(s[f"x{a}_{j}"], s[f"xx{a}_{j}"], n) for j in range(k)),
            y_mean=s[f"y{a}"] / n,
            y_var=_var(s[f"y{a}"], s[f"yy{a}"], n),
        )
    n = n1 + n0
    mean = tuple((s[f"x1_{j}"] + s[f"x0_{j}"]) / n for j in range(k))
    sd: list[float] = []
    for j, name in enumerate(covariates):
        v = _var(s[f"x1_{j}"] + s[f"x0_{j}"], s[f"xx1_{j}"] + s[f"xx0_{j}"], n)
        if not v > 1e-12 * max(1.0, mean[j] * mean[j]):
            raise DataError(
                f"covariate {name!r} takes one value ({mean[j]:g}) for every unit: it cannot"
                " adjust for anything; drop it from covariates"
            )
        sd.append(math.sqrt(v))
    scale = Scale(mean, tuple(sd))
    naive = Estimate(
        before[1].y_mean - before[0].y_mean,
        math.sqrt(before[1].y_var / n1 + before[0].y_var / n0),
        before[0].y_mean,
    )
    pooled = [math.sqrt((before[1].var[j] + before[0].var[j]) / 2) for j in range(k)]
    smd_before = tuple(
        (before[1].mean[j] - before[0].mean[j]) / pooled[j] if pooled[j] > 0 else math.nan
        for j in range(k)
    )

    start = _first_step(s, scale, n1, n0)
    gamma, iterations = _irls(reducer, scale, covariates, start, max_iter, tol)
    lo, hi = trim
    groups = reducer.group_sums(_pass3(scale, gamma, lo, hi), "the propensity-weighted sums")
    s3 = _pass3_sums(groups, k)
    fit = _estimate(s3, scale, p, n, pooled)
    s4 = reducer.sums(_pass4(scale, gamma, lo, hi, fit), "the influence-function sums")
    estimates = _standard_errors(fit, s4, n)
    raw = _raw_coef(gamma, scale)
    passes = int(getattr(reducer, "passes", 0)) or 3 + iterations
    return AdjustFit(
        before=before,
        naive=naive,
        propensity_coef=raw,
        iterations=iterations,
        passes=passes,
        kept={1: round(s3["kn1"]), 0: round(s3["kn0"])},
        trimmed={1: round(n1 - s3["kn1"]), 0: round(n0 - s3["kn0"])},
        histogram={a: tuple(round(s3[f"h{a}_{b}"]) for b in range(BINS)) for a in (1, 0)},
        smd_before=smd_before,
        smd_after=fit.smd_after,
        estimates=estimates,
        ra_ate_fixed_x_se=math.sqrt(max(s4["ra_ate_fx"], 0.0)) / n,
        outcome_sd=fit.outcome_sd,
        regression=fit.regression,
        treated_mean=fit.treated_mean,
        binary=s["ynb1"] + s["ynb0"] == 0,
    )


def _raw_coef(gamma: npt.NDArray[np.float64], scale: Scale) -> tuple[float, ...]:
    slopes = [g / s for g, s in zip(gamma[1:], scale.sd, strict=True)]
    intercept = gamma[0] - sum(b * m for b, m in zip(slopes, scale.mean, strict=True))
    return (float(intercept), *(float(b) for b in slopes))


_Evaluation = tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]
"""The log-likelihood, the information matrix and the score at a point."""


def _first_step(
    s: Mapping[str, float], scale: Scale, n1: float, n0: float
) -> tuple[npt.NDArray[np.float64], _Evaluation]:
    """The propensity fit's starting point, the share of treated units for every unit, and
    its log-likelihood, information and score: at a constant propensity they are functions of
    the covariates' cross-products, so the first Newton step needs no pass of its own."""
    k = len(scale.mean)
    n = n1 + n0
    share = n1 / n
    m = np.array([0.0, *scale.mean])
    sd = np.array([1.0, *scale.sd])
    raw = {a: symmetric(f"xx{a}_", s, k + 1) for a in (1, 0)}
    total = raw[1] + raw[0]
    # z = (x - m) / sd with z_0 = 1: Z'Z from X'X; the treated units' Z'1 from theirs
    shift = np.eye(k + 1)
    shift[0, 1:] = -m[1:]
    zz = (shift.T @ total @ shift) / np.outer(sd, sd)
    z1 = (shift.T @ raw[1][0]) / sd
    gamma = np.zeros(k + 1)
    gamma[0] = math.log(share / (1 - share))
    ll = n * math.log(share) - n0 * gamma[0]
    return gamma, (ll, share * (1 - share) * zz, z1 - share * zz[0])


def _irls(
    reducer: Reducer,
    scale: Scale,
    covariates: Sequence[str],
    start: tuple[npt.NDArray[np.float64], _Evaluation],
    max_iter: int,
    tol: float,
) -> tuple[npt.NDArray[np.float64], int]:
    """Newton-Raphson (IRLS) for the logistic propensity model from ``start`` (its point and
    evaluation), one pass per further evaluation; a step that lowers the log-likelihood is
    halved (a full Newton step from a poor start can overshoot far when one arm is small).
    Returns the coefficients and the passes taken."""
    p = len(covariates) + 1
    passes = 0

    def evaluate(g: npt.NDArray[np.float64]) -> _Evaluation:
        nonlocal passes

        def build(rows: Rows) -> dict[str, Any]:
            z = scale.design(rows)
            eta = rows.ops.let(linear(z, g))
            e = rows.ops.let(1.0 / (1.0 + rows.ops.exp(-eta)))
            out: dict[str, Any] = {"ll": rows.ops.log(e) - (rows.one - rows.t) * eta}
            out["h"] = Cross(rows.ops.let(e * (1.0 - e)), z)
            out["g"] = Dot(rows.ops.let(rows.t - e), z, first=0)
            return out

        passes += 1
        s = reducer.sums(build, f"step {passes} of the propensity fit")
        return s["ll"], symmetric("h", s, p), vector("g", s, p)

    gamma, (ll, info, score) = start
    last: float | None = None  # the size of the last full step, when one was taken
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            raise _separation(gamma, covariates) from None
        if not np.all(np.isfinite(step)):
            raise _separation(gamma, covariates)
        length = float(np.max(np.abs(step)))
        bound = tol * (1.0 + np.max(np.abs(gamma)))
        # Newton's error after a step is about c * length**2, with c read off the last two
        # steps (quadratic convergence: length = c * last**2): stop when that is 1e-4 * tol
        if length <= bound or (
            last is not None
            and length < last
            and max(length / last**2, 1.0) * length**2 <= 1e-4 * bound
        ):
            return gamma + step, passes
        halved = False
        size = 1.0
        while True:
            cand = gamma + size * step
            if np.max(np.abs(cand[1:]), initial=0.0) > MAX_COEF:
                raise _separation(cand, covariates)
            ll2, info2, score2 = evaluate(cand)
            if math.isfinite(ll2) and ll2 >= ll - 1e-12 * abs(ll):
                break
            size /= 2
            halved = True
            if size < 1e-4 or passes >= max_iter:
                raise _separation(gamma, covariates)
        last = None if halved else length
        gamma, ll, info, score = cand, ll2, info2, score2
    raise _separation(gamma, covariates)


def _separation(gamma: npt.NDArray[np.float64], covariates: Sequence[str]) -> DataError:
    if len(covariates) == 0:
        return DataError("the propensity model did not converge")
    j = int(np.argmax(np.abs(gamma[1:])))
    return DataError(
        f"covariate {covariates[j]!r} (almost) perfectly separates treated from untreated"
        " units: the propensity model diverges and the arms do not overlap; drop or coarsen"
        " it, or restrict the analysis to units where both arms occur"
    )


def _weights(rows: Rows, e: Any, keep: Any, estimand: Estimand) -> tuple[Any, Any, Any, Any]:
    """(w1, w0, g1, g0): the Hajek weights per arm and the factors of their derivatives with
    respect to the propensity coefficients (``dw/dg = g * z``)."""
    t0 = rows.one - rows.t
    let = rows.ops.let
    odds = let(keep * t0 * e / (1.0 - e))
    if estimand == "att":
        return let(keep * rows.t), odds, rows.one * 0.0, odds
    w1, w0 = let(keep * rows.t / e), let(keep * t0 / (1.0 - e))
    return w1, w0, let(-keep * rows.t * (1.0 - e) / e), odds


def _pass3(scale: Scale, gamma: npt.NDArray[np.float64], lo: float, hi: float) -> GroupedBuild:
    """Given the propensity model, per arm: the propensity histogram and the information matrix
    over every unit; the kept units' outcome models' cross-products and the weighted sums of
    both estimands (module docstring). A trimmed unit's terms are multiplied by 0, with its
    propensity clipped into the bounds so that its weights stay finite."""

    def build(rows: Rows) -> tuple[dict[str, Any], dict[str, Any]]:
        ops, t, y = rows.ops, rows.t, rows.y
        z = scale.design(rows)
        e = _propensity(rows, z, gamma)
        keep = ops.let(ops.indicator((e >= lo) & (e <= hi)))
        ek = ops.let(ops.clip(e, lo, hi))
        t0 = rows.one - t
        ky = ops.let(keep * y)
        out: dict[str, Any] = {"kn": keep, "ky": ky, "kyy": ky * y}
        out["bin"] = Counts(ops.floor(e * float(BINS)) - ops.indicator(e >= 1.0), BINS)
        out["zz"] = Cross(keep, z)
        out["H"] = Cross(ops.let(e * (1.0 - e)), z)
        out["zy"] = Dot(ky, z)
        odds = ops.let(keep * t0 * ek / (1.0 - ek))
        # the Hajek weight of each estimand (the ATT's is 1 for the treated, the odds for the
        # others) and, for the ATE, the factor of its derivative in the coefficients; the
        # ATT's factor is its weight among the untreated and 0 among the treated
        weights = {
            "att": ops.let(keep * t + odds),
            "ate": ops.let(keep * (t / ek + t0 / (1.0 - ek))),
        }
        g_ate = ops.let(odds - keep * t * (1.0 - ek) / ek)
        for est, w in weights.items():
            wy = ops.let(w * y)
            out[f"{est}_w"], out[f"{est}_wy"] = w, wy
            out[f"{est}_wz"] = Dot(w, z)
            out[f"{est}_wzz"] = Dot(w, z, squared=True)
            out[f"{est}_wzy"] = Dot(wy, z)
        gy = ops.let(g_ate * y)
        out["ate_g"], out["ate_gy"] = g_ate, gy
        out["ate_gz"] = Dot(g_ate, z)
        out["ate_gzy"] = Dot(gy, z)
        return {"arm": t}, out

    return build


def _pass3_sums(groups: Groups, k: int) -> dict[str, float]:
    """The pass's group sums under the names :func:`_estimate` reads: kept units' sums per arm
    (``kn1``, ``kzz0_1_2``, ``att_gz0_3``...), the propensity histogram, and the information
    matrix ``H`` over every unit."""
    p = k + 1
    s: dict[str, float] = {}

    def add(name: str, v: float) -> None:
        s[name] = s.get(name, 0.0) + v

    for a in (1, 0):
        for b in range(BINS):
            s[f"h{a}_{b}"] = 0.0
        for name in ("kn", "ky", "kyy"):
            s[f"{name}{a}"] = 0.0
    for key, v in groups:
        a = key["arm"]
        for b in range(BINS):
            add(f"h{a}_{b}", v[f"bin{b}"])
        for i in range(p):
            for j in range(i, p):
                add(f"H{i}_{j}", v[f"H{i}_{j}"])
        for name in ("kn", "ky", "kyy"):
            add(f"{name}{a}", v[name])
        for i in range(p):
            add(f"kzy{a}_{i}", v["ky"] if i == 0 else v[f"zy{i}"])
            for j in range(i, p):
                add(f"kzz{a}_{i}_{j}", v[f"zz{i}_{j}"])
        for est in ESTIMANDS:
            add(f"{est}_w{a}", v[f"{est}_w"])
            add(f"{est}_wy{a}", v[f"{est}_wy"])
            # the derivative factors: the ATT's is its weight among the untreated, else 0
            g = f"{est}_w" if est == "att" else "ate_g"
            on = 1.0 if est == "ate" or a == 0 else 0.0
            add(f"{est}_gz{a}_0", on * v[g])
            add(f"{est}_gzy{a}_0", on * v[f"{g}y"])
            for i in range(1, p):
                add(f"{est}_wz{a}_{i}", v[f"{est}_wz{i}"])
                add(f"{est}_wzz{a}_{i}", v[f"{est}_wzz{i}"])
                gz = f"{est}_wz{i}" if est == "att" else f"ate_gz{i}"
                gzy = f"{est}_wzy{i}" if est == "att" else f"ate_gzy{i}"
                add(f"{est}_gz{a}_{i}", on * v[gz])
                add(f"{est}_gzy{a}_{i}", on * v[gzy])
    return s


@dataclass(frozen=True)
class _Point:
    """Point estimates and what pass 4 needs to compute the standard errors."""

    beta: dict[int, npt.NDArray[np.float64]]
    c_ra_att: npt.NDArray[np.float64]
    c_ra_ate: dict[int, npt.NDArray[np.float64]]
    point: dict[str, dict[str, float]]
    counterfactual: dict[str, dict[str, float]]
    ipw_mu: dict[str, tuple[float, float, float, float]]
    ipw_c: dict[str, npt.NDArray[np.float64]]
    kn: dict[int, float]
    smd_after: dict[str, tuple[float, ...]]
    outcome_sd: float
    regression: Regression
    treated_mean: float


def _solve(m: npt.NDArray[np.float64], v: npt.NDArray[np.float64], what: str) -> Any:
    try:
        return np.linalg.solve(m, v)
    except np.linalg.LinAlgError:
        raise DataError(
            f"{what}: the covariates are collinear among the kept units (one is a linear"
            " combination of others, or constant within an arm): drop one of them"
        ) from None


def _estimate(
    s: Mapping[str, float],
    scale: Scale,
    p: int,
    n: float,
    pooled: Sequence[float],
) -> _Point:
    kn = {1: s["kn1"], 0: s["kn0"]}
    if kn[1] < 1 or kn[0] < 1:
        raise DataError(
            "no overlap: after trimming, the "
            f"{'treated' if kn[1] < 1 else 'untreated'} arm has no units; the propensity"
            " model separates the arms"
        )
    kzz = {a: symmetric(f"kzz{a}_", s, p) for a in (1, 0)}
    kzy = {a: vector(f"kzy{a}_", s, p) for a in (1, 0)}
    kz = {a: kzz[a][0] for a in (1, 0)}
    beta = {a: _solve(kzz[a], kzy[a], "the outcome model") for a in (1, 0)}
    delta = beta[1] - beta[0]
    nk = kn[1] + kn[0]
    zbar = (kz[1] + kz[0]) / nk
    ybar1 = s["ky1"] / kn[1]
    point: dict[str, dict[str, float]] = {"att": {}, "ate": {}}
    cf: dict[str, dict[str, float]] = {"att": {}, "ate": {}}
    point["att"]["regression"] = ybar1 - float(kz[1] @ beta[0]) / kn[1]
    cf["att"]["regression"] = float(kz[1] @ beta[0]) / kn[1]
    point["ate"]["regression"] = float(zbar @ delta)
    cf["ate"]["regression"] = float(zbar @ beta[0])
    c_att = _solve(kzz[0], kz[1], "the outcome model")
    c_ate = {a: _solve(kzz[a], kz[1] + kz[0], "the outcome model") for a in (1, 0)}
    info = symmetric("H", s, p) / n
    ipw_mu: dict[str, tuple[float, float, float, float]] = {}
    ipw_c: dict[str, npt.NDArray[np.float64]] = {}
    for est in ESTIMANDS:
        w1, w0 = s[f"{est}_w1"], s[f"{est}_w0"]
        mu1, mu0 = s[f"{est}_wy1"] / w1, s[f"{est}_wy0"] / w0
        g = {
            a: (vector(f"{est}_gzy{a}_", s, p) - mu * vector(f"{est}_gz{a}_", s, p)) / n
            for a, mu in ((1, mu1), (0, mu0))
        }
        W1, W0 = w1 / n, w0 / n
        ipw_c[est] = _solve(info, g[1] / W1 - g[0] / W0, "the propensity model")
        ipw_mu[est] = (mu1, mu0, W1, W0)
        point[est]["ipw"] = mu1 - mu0
        cf[est]["ipw"] = mu0
    smd_after: dict[str, tuple[float, ...]] = {
        est: _smd_after(s, scale, pooled, est) for est in ESTIMANDS
    }
    # pooled regression y ~ 1 + z + t on the kept units, from the per-arm cross-products
    xtx = np.zeros((p + 1, p + 1))
    xtx[:p, :p] = kzz[1] + kzz[0]
    xtx[:p, p] = xtx[p, :p] = kz[1]
    xtx[p, p] = kn[1]
    xty = np.append(kzy[1] + kzy[0], s["ky1"])
    b = _solve(xtx, xty, "the pooled regression")
    yy = s["kyy1"] + s["kyy0"]
    df = round(nk) - (p + 1)
    rss = max(yy - float(b @ xty), 0.0)
    sigma2 = rss / df if df > 0 else math.nan
    inv = np.linalg.inv(xtx)
    regression = Regression(float(b[p]), math.sqrt(sigma2 * inv[p, p]), df)
    outcome_sd = math.sqrt(_var(s["ky0"], s["kyy0"], kn[0]))
    return _Point(
        beta=beta,
        c_ra_att=c_att,
        c_ra_ate=c_ate,
        point=point,
        counterfactual=cf,
        ipw_mu=ipw_mu,
        ipw_c=ipw_c,
        kn=kn,
        smd_after=smd_after,
        outcome_sd=outcome_sd,
        regression=regression,
        treated_mean=ybar1,
    )


def _smd_after(
    s: Mapping[str, float], scale: Scale, pooled: Sequence[float], est: str
) -> tuple[float, ...]:
    out = []
    for j in range(1, len(scale.sd) + 1):
        m = [s[f"{est}_wz{a}_{j}"] / s[f"{est}_w{a}"] for a in (1, 0)]
        diff = (m[0] - m[1]) * scale.sd[j - 1]
        pj = pooled[j - 1]
        out.append(diff / pj if pj > 0 else math.nan)
    return tuple(out)


def _pass4(
    scale: Scale, gamma: npt.NDArray[np.float64], lo: float, hi: float, fit: _Point
) -> Build:
    def build(rows: Rows) -> dict[str, Any]:
        z = scale.design(rows)
        e = _propensity(rows, z, gamma)
        keep = rows.ops.let(rows.ops.indicator((e >= lo) & (e <= hi)))
        t1, t0 = rows.t, rows.one - rows.t
        let = rows.ops.let
        m1, m0 = let(linear(z, fit.beta[1])), let(linear(z, fit.beta[0]))
        r1, r0 = let(rows.y - m1), let(rows.y - m0)
        out: dict[str, Any] = {}
        # regression adjustment, ATT: [K t (r0 - tau) - K (1-t) r0 c'z] / (n1k / N)
        tau = fit.point["att"]["regression"]
        psi = let(keep * (t1 * (r0 - tau) - t0 * r0 * linear(z, fit.c_ra_att)))
        out["ra_att"] = psi * psi
        # regression adjustment, ATE: [K (z'd - tau) + K t r1 c1'z - K (1-t) r0 c0'z] / (nk / N)
        tau = fit.point["ate"]["regression"]
        resid = let(
            keep * (t1 * r1 * linear(z, fit.c_ra_ate[1]) - t0 * r0 * linear(z, fit.c_ra_ate[0]))
        )
        psi = let(keep * (m1 - m0 - tau) + resid)
        out["ra_ate"] = psi * psi
        out["ra_ate_fx"] = resid * resid
        for est in ESTIMANDS:
            w1, w0, _, _ = _weights(rows, e, keep, est)
            mu1, mu0, W1, W0 = fit.ipw_mu[est]
            psi = w1 * (rows.y - mu1) / W1 - w0 * (rows.y - mu0) / W0
            psi = let(psi + linear(z, fit.ipw_c[est]) * (rows.t - e))
            out[f"ipw_{est}"] = psi * psi
        # AIPW: the bracket b, centred at the IPW estimate to keep the squares well scaled
        ref = fit.point["ate"]["ipw"]
        b = let(keep * (m1 - m0 + t1 * r1 / e - t0 * r0 / (1.0 - e) - ref))
        out["aipw_ate_b"], out["aipw_ate_bb"] = b, b * b
        out["aipw_ate_m0"] = keep * (m0 + t0 * r0 / (1.0 - e))
        ref = fit.point["att"]["ipw"]
        b = let(keep * (t1 * (r0 - ref) - t0 * e / (1.0 - e) * r0))
        out["aipw_att_b"], out["aipw_att_bb"] = b, b * b
        out["aipw_att_bt"] = b * t1
        return out

    return build


def _standard_errors(
    fit: _Point, s: Mapping[str, float], n: float
) -> dict[str, dict[str, Estimate]]:
    kn1, nk = fit.kn[1], fit.kn[1] + fit.kn[0]
    out: dict[str, dict[str, Estimate]] = {"att": {}, "ate": {}}

    def put(est: str, name: str, tau: float, se: float, cf: float) -> None:
        out[est][name] = Estimate(tau, se, cf)

    pt, cf = fit.point, fit.counterfactual
    put(
        "att",
        "regression",
        pt["att"]["regression"],
        _root(s["ra_att"]) / kn1,
        cf["att"]["regression"],
    )
    put(
        "ate",
        "regression",
        pt["ate"]["regression"],
        _root(s["ra_ate"]) / nk,
        cf["ate"]["regression"],
    )
    for est in ESTIMANDS:
        put(est, "ipw", pt[est]["ipw"], _root(s[f"ipw_{est}"]) / n, cf[est]["ipw"])
    # ATE: tau = ref + mean(b); sum of (b - (tau - ref) K)^2 = sum b^2 - (sum b)^2 / nk
    d = s["aipw_ate_b"] / nk
    tau = fit.point["ate"]["ipw"] + d
    ss = s["aipw_ate_bb"] - d * s["aipw_ate_b"]
    put("ate", "aipw", tau, _root(ss) / nk, s["aipw_ate_m0"] / nk)
    # ATT: tau = ref + sum b / n1; sum of (b - (tau - ref) K t)^2
    d = s["aipw_att_b"] / kn1
    tau = fit.point["att"]["ipw"] + d
    ss = s["aipw_att_bb"] - 2 * d * s["aipw_att_bt"] + d * d * kn1
    put("att", "aipw", tau, _root(ss) / kn1, fit.treated_mean - tau)
    return out


def _root(x: float) -> float:
    return math.sqrt(max(x, 0.0))
