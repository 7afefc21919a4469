"""The effect's shape over the horizon read from the retention analysis's fitted decay.

With ``value: {decay: {retention: fitted}}`` the effect does not fade by a guessed share a year:
it follows the decay fitted to the lift per week of exposure
(:func:`mlroi.retention.overtime.fit_decay`),
``lift(x) = plateau + (initial - plateau) exp(-x / scale)`` at ``x`` weeks since exposure.
Month ``m = t - start_month`` after launch covers ``x`` in ``[m D / 7, (m + 1) D / 7]`` (``D``
the days of an average month); its factor is the curve's mean over that span,

    plateau + (initial - plateau) scale (exp(-x0 / scale) - exp(-x1 / scale)) / (x1 - x0),

divided by the curve's mean over the ``K`` weeks the drivers' lifts were measured over
(``x = 0 .. K - 1``; ``value.decay.weeks``, by default the weeks the fit used): a driver's lift
is read as the average effect over those weeks, and the months after them follow the curve
towards its plateau. Month ``t`` since launch is read as week ``x`` since a user's
exposure: the launch cohort's clock, an assumption the result lists.

The fitted parameters are drawn jointly (normal on initial, plateau and log scale, with the
fit's covariance) for the Monte Carlo; one at a time, each moves the sensitivity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.assumption import Assumption
from mlroi.spec.quantity import Normal, Quantity
from mlroi.value.model import DAYS_PER_MONTH

FloatArray = npt.NDArray[np.float64]

WEEK = 7.0

INITIAL = "value.decay.initial"
PLATEAU = "value.decay.plateau"
LOG_SCALE = "value.decay.log_scale_weeks"
WEEKS = "value.decay.weeks"
PATHS = (INITIAL, PLATEAU, LOG_SCALE)
"""The drawn parameters, in the order of :attr:`FittedShape.covariance`."""

MIN_Z = 3.0
"""The fitted lift's mean over the weeks observed must be this many standard errors above 0:
the shape divides by it, and a draw near zero would blow the months up."""


@dataclass(frozen=True)
class FittedShape:
    """The fitted decay a case's value model follows, as numbers.

    Attributes:
        arm: the treatment arm whose weekly lift was fitted; control: its control.
        initial, plateau: the fitted lift in week 1 and in the long run (share of users'
            weekly retention, treatment minus control).
        log_scale: natural log of the scale in weeks.
        covariance: of (initial, plateau, log_scale), row by row, from the fit.
        weeks: how many weeks of exposure the fit used.
        source: where the fit comes from, in words.
        reference_weeks: the drivers' lifts are read as the curve's mean over weeks
            ``1 .. reference_weeks``: the case's ``value.decay.weeks``, else ``weeks``.
    """

    arm: str
    control: str
    initial: float
    plateau: float
    log_scale: float
    covariance: tuple[tuple[float, float, float], ...]
    weeks: int
    source: str = "retention analysis"
    reference_weeks: int | None = None

    @property
    def lift_weeks(self) -> int:
        """The weeks each driver's lift is read as the curve's mean over."""
        return self.weeks if self.reference_weeks is None else self.reference_weeks

    @property
    def scale(self) -> float:
        """Weeks for the excess over the plateau to shrink by a factor e."""
        return math.exp(self.log_scale)

    @property
    def half_life(self) -> float:
        """Weeks for the excess over the plateau to halve."""
        return self.scale * math.log(2.0)

    def std_errors(self) -> tuple[float, float, float]:
        """Standard errors of initial, plateau and log scale."""
        c = self.covariance
        return (math.sqrt(c[0][0]), math.sqrt(c[1][1]), math.sqrt(c[2][2]))

    def quantities(self) -> dict[str, Quantity]:
        """The shape's inputs by path: each fitted parameter as a normal with its standard
        error (the sensitivity moves each alone), and the weeks observed."""
        means = (self.initial, self.plateau, self.log_scale)
        out: dict[str, Quantity] = {
            p: Normal(normal=(m, s)) if s > 0 else m
            for p, m, s in zip(PATHS, means, self.std_errors(), strict=True)
        }
        out[WEEKS] = float(self.lift_weeks)
        return out

    def joint_draws(self, rng: np.random.Generator, n: int) -> dict[str, FloatArray]:
        """``n`` joint normal draws of (initial, plateau, log scale) with the fit's covariance."""
        means = np.array([self.initial, self.plateau, self.log_scale])
        cov = np.array(self.covariance, dtype=np.float64)
        x = rng.multivariate_normal(means, cov, size=n, method="eigh")
        return {p: np.ascontiguousarray(x[:, j]) for j, p in enumerate(PATHS)}

    def reference(self) -> tuple[float, float]:
        """The fitted lift's mean over the lifts' weeks, and its delta-method standard
        error."""
        a, p, ls = self.initial, self.plateau, self.log_scale
        s = math.exp(ls)
        k = np.arange(self.lift_weeks, dtype=np.float64)
        e = np.exp(-k / s)
        mean_e = float(np.mean(e))
        grad = np.array([mean_e, 1.0 - mean_e, (a - p) * float(np.mean(e * k / s))])
        var = float(grad @ np.array(self.covariance) @ grad)
        return p + (a - p) * mean_e, math.sqrt(max(var, 0.0))

    def assumptions(self) -> tuple[Assumption, ...]:
        """The shape's inputs as the result lists them (source ``data``)."""
        si, sp, sl = self.std_errors()
        vs = f"{self.arm} vs {self.control}"
        return (
            Assumption(
                INITIAL,
                self.initial,
                "share of users, weekly retention",
                "data",
                f"fitted lift in week 1 of exposure ({vs}; standard error {si:.3g}); {self.source}",
            ),
            Assumption(
                PLATEAU,
                self.plateau,
                "share of users, weekly retention",
                "data",
                f"fitted long-run lift ({vs}; standard error {sp:.3g})",
            ),
            Assumption(
                LOG_SCALE,
                self.log_scale,
                "log of weeks",
                "data",
                f"scale {self.scale:.3g} weeks, half-life {self.half_life:.3g} weeks (standard"
                f" error of the log {sl:.3g}); drawn jointly with initial and plateau",
            ),
            Assumption(
                WEEKS,
                float(self.lift_weeks),
                "weeks",
                "data" if self.reference_weeks is None else "case",
                (
                    f"the {self.weeks} weeks of exposure the decay was fitted to"
                    if self.reference_weeks is None
                    else "weeks of exposure the lifts were measured over (the fit used"
                    f" {self.weeks})"
                )
                + ": each driver's lift is read as the curve's mean over them; month m after"
                " launch (m = 0 first) is read as weeks 4.35 m .. 4.35 (m + 1) of a user's"
                " exposure",
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        from mlroi.serialize import json_ready

        out: dict[str, Any] = json_ready(self)
        return out


def fade(horizon_months: int, start_month: int, params: Mapping[str, FloatArray]) -> FloatArray:
    """The fitted shape per draw and month, shape (n, horizon + 1); zero before launch.

    A draw whose fitted lift over the weeks observed is not positive has no effect to scale:
    its months count zero (the resolver refuses a fit where that is likely, see
    :data:`MIN_Z`).
    """
    a = np.asarray(params[INITIAL], dtype=np.float64)[:, None]
    p = np.asarray(params[PLATEAU], dtype=np.float64)[:, None]
    s = np.exp(np.asarray(params[LOG_SCALE], dtype=np.float64))[:, None]
    weeks = int(np.asarray(params[WEEKS]).reshape(-1)[0])
    t = np.arange(horizon_months + 1, dtype=np.float64)
    m = np.maximum(t - start_month, 0.0)[None, :]
    span = DAYS_PER_MONTH / WEEK
    x0, x1 = m * span, (m + 1) * span
    month_mean = p + (a - p) * s * (np.exp(-x0 / s) - np.exp(-x1 / s)) / span
    k = np.arange(weeks, dtype=np.float64)[None, :]
    ref = p + (a - p) * np.mean(np.exp(-k / s), axis=1, keepdims=True)
    safe = np.where(ref > 0, ref, 1.0)
    out = np.where(ref > 0, month_mean / safe, 0.0)
    return np.asarray(np.where((t >= start_month)[None, :], out, 0.0), dtype=np.float64)
