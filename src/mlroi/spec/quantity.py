"""A number in a case file that may be uncertain: a plain value, a range, or a distribution.

In YAML any such field takes one of::

    rate: 2.5                                # known
    rate: {low: 2.0, likely: 2.5, high: 3.5} # a three-point estimate (PERT by default)
    rate: {low: 2.0, high: 3.0}              # uniform between the two
    g:    {beta: [6, 14]}                    # Beta(a, b)
    lift: {normal: [0.02, 0.005]}            # Normal(mean, sd)
    lift: {student_t: [0.02, 0.005, 38]}     # location + scale x Student's t with 38 df
    cost: {lognormal: [9.2, 0.3]}            # exp(Normal(mu, sigma))

Every quantity has a *point* value (the known value, the range's ``likely`` value or midpoint, or
the distribution's mean) used for the headline figures, *bounds* used for one-at-a-time
sensitivity (the range's ends, or the central ``level`` quantiles of a distribution), and draws
for Monte Carlo. PERT is the Beta-PERT distribution with shape 4 (Vose, *Risk Analysis*, 2008).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    FiniteFloat,
    Tag,
    model_validator,
)

from mlroi import defaults
from mlroi.checked import Checked
from mlroi.stats.distributions import normal_ppf, t_ppf

FloatArray = npt.NDArray[np.float64]


class Range(Checked):
    """A low / likely / high estimate, or a low / high pair (uniform)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float
    likely: float | None = Field(None, description="Most likely value; omit for a uniform range.")
    shape: Literal["pert", "triangular"] = Field(
        "pert", description="Distribution of a three-point range: Beta-PERT or triangular."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        likely = self.low if self.likely is None else self.likely
        if not all(map(math.isfinite, (self.low, self.high, likely))):
            raise ValueError("low, likely and high must be finite numbers")
        if not self.low <= likely <= self.high:
            raise ValueError("expected low <= likely <= high")
        return self


class Normal(Checked):
    """``{normal: [mean, sd]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    normal: tuple[float, float]

    @model_validator(mode="after")
    def _valid(self) -> Normal:
        mean, sd = self.normal
        if not (math.isfinite(mean) and math.isfinite(sd)) or sd < 0:
            raise ValueError("normal: [mean, sd] needs a finite mean and sd >= 0")
        return self


class Beta(Checked):
    """``{beta: [a, b]}`` on [0, 1]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    beta: tuple[float, float]

    @model_validator(mode="after")
    def _valid(self) -> Beta:
        a, b = self.beta
        if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
            raise ValueError("beta: [a, b] needs a > 0 and b > 0")
        return self


class LogNormal(Checked):
    """``{lognormal: [mu, sigma]}``: exp of Normal(mu, sigma), always positive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lognormal: tuple[float, float]

    @model_validator(mode="after")
    def _valid(self) -> LogNormal:
        mu, sigma = self.lognormal
        if not (math.isfinite(mu) and math.isfinite(sigma)) or sigma < 0:
            raise ValueError("lognormal: [mu, sigma] needs a finite mu and sigma >= 0")
        return self


class StudentT(Checked):
    """``{student_t: [location, scale, df]}``: ``location + scale T`` with ``T`` Student's t on
    ``df`` degrees of freedom: the sampling distribution a t-test's estimate is read with (a
    readout's lift is drawn from it, with the readout's standard error and Welch's df)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    student_t: tuple[float, float, float]

    @model_validator(mode="after")
    def _valid(self) -> StudentT:
        loc, scale, df = self.student_t
        if not (math.isfinite(loc) and math.isfinite(scale)) or scale < 0:
            raise ValueError("student_t: [location, scale, df] needs a finite location, scale >= 0")
        if not (math.isfinite(df) and df > 1):
            raise ValueError("student_t: [location, scale, df] needs finite df > 1 (a mean)")
        return self


Distribution = Range | Normal | Beta | LogNormal | StudentT


def _kind(v: Any) -> str:
    """Which form a value is written in, so that an error speaks of that form only."""
    if isinstance(v, dict):
        return next((k for k in ("normal", "beta", "lognormal", "student_t") if k in v), "range")
    if isinstance(v, BaseModel):
        tags: dict[type[BaseModel], str] = {
            Normal: "normal",
            Beta: "beta",
            LogNormal: "lognormal",
            StudentT: "student_t",
        }
        return tags.get(type(v), "range")
    return "number"


Quantity = Annotated[
    Annotated[FiniteFloat, Tag("number")]
    | Annotated[Range, Tag("range")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[Beta, Tag("beta")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[StudentT, Tag("student_t")],
    Discriminator(_kind),
    Field(
        description="A number, {low, likely, high}, {low, high}, {normal|beta|lognormal: [p, q]},"
        " {student_t: [location, scale, df]}"
    ),
]


def is_uncertain(q: Quantity) -> bool:
    """Whether ``q`` has any spread."""
    if isinstance(q, int | float):
        return False
    lo, hi = support(q)
    return hi > lo


def point(q: Quantity) -> float:
    """The value used for point estimates: the number, the range's likely value (or midpoint),
    or the distribution's mean."""
    if isinstance(q, int | float):
        return float(q)
    if isinstance(q, Range):
        return (q.low + q.high) / 2 if q.likely is None else q.likely
    if isinstance(q, Normal):
        return q.normal[0]
    if isinstance(q, StudentT):
        return q.student_t[0]
    if isinstance(q, Beta):
        a, b = q.beta
        return a / (a + b)
    mu, sigma = q.lognormal
    return math.exp(mu + sigma**2 / 2)


def support(q: Quantity) -> tuple[float, float]:
    """Smallest and largest value ``q`` can take."""
    if isinstance(q, int | float):
        return float(q), float(q)
    if isinstance(q, Range):
        return q.low, q.high
    if isinstance(q, Normal):
        return (-math.inf, math.inf) if q.normal[1] > 0 else (q.normal[0], q.normal[0])
    if isinstance(q, StudentT):
        loc, scale, _ = q.student_t
        return (-math.inf, math.inf) if scale > 0 else (loc, loc)
    if isinstance(q, Beta):
        return 0.0, 1.0
    mu, sigma = q.lognormal
    return (0.0, math.inf) if sigma > 0 else (math.exp(mu), math.exp(mu))


def _pert_ab(q: Range) -> tuple[float, float]:
    likely = point(q)
    width = q.high - q.low
    a = 1 + 4 * (likely - q.low) / width
    b = 1 + 4 * (q.high - likely) / width
    return a, b


def quantile(q: Quantity, p: FloatArray | float) -> FloatArray:
    """Inverse CDF of ``q`` at probabilities ``p`` (a constant gives itself).

    The normal, log-normal and Student's t quantiles come from :mod:`mlroi.stats.distributions`
    (standard library, one value at a time: ``p`` is a handful of probabilities here), so that
    ``mlroi roi`` does not import ``scipy.special`` for its sensitivity bounds; only a Beta or
    PERT quantity needs the inverse incomplete beta function of scipy.
    """
    probs = np.asarray(p, dtype=np.float64)
    if isinstance(q, int | float):
        return np.full_like(probs, float(q))
    if isinstance(q, Range):
        width = q.high - q.low
        if width == 0:
            return np.full_like(probs, q.low)
        if q.likely is None:
            return np.asarray(q.low + width * probs, dtype=np.float64)
        if q.shape == "triangular":
            c = (q.likely - q.low) / width
            left = q.low + np.sqrt(probs * width * (q.likely - q.low))
            right = q.high - np.sqrt((1 - probs) * width * (q.high - q.likely))
            return np.asarray(np.where(probs < c, left, right), dtype=np.float64)
        from scipy import special

        a, b = _pert_ab(q)
        return np.asarray(q.low + width * special.betaincinv(a, b, probs), dtype=np.float64)
    if isinstance(q, Normal):
        mean, sd = q.normal
        return np.asarray(mean + sd * _each(normal_ppf, probs), dtype=np.float64)
    if isinstance(q, StudentT):
        loc, scale, df = q.student_t
        return np.asarray(loc + scale * _each(lambda x: t_ppf(x, df), probs), dtype=np.float64)
    if isinstance(q, Beta):
        from scipy import special

        return np.asarray(special.betaincinv(*q.beta, probs), dtype=np.float64)
    mu, sigma = q.lognormal
    return np.asarray(np.exp(mu + sigma * _each(normal_ppf, probs)), dtype=np.float64)


def _each(ppf: Callable[[float], float], probs: FloatArray) -> FloatArray:
    """A scalar quantile function applied to each probability, in the shape given."""
    return np.array([ppf(float(x)) for x in probs.ravel()], dtype=np.float64).reshape(probs.shape)


def bounds(q: Quantity, level: float = defaults.MONTE_CARLO_LEVEL) -> tuple[float, float]:
    """Low and high values for sensitivity: a range's ends, else the central ``level`` interval."""
    if isinstance(q, int | float):
        return float(q), float(q)
    if isinstance(q, Range):
        return q.low, q.high
    lo, hi = quantile(q, np.array([(1 - level) / 2, (1 + level) / 2]))
    return float(lo), float(hi)


def draw(q: Quantity, rng: np.random.Generator, n: int) -> FloatArray:
    """``n`` independent draws of ``q``."""
    if isinstance(q, int | float):
        return np.full(n, float(q))
    if isinstance(q, Normal):
        return rng.normal(q.normal[0], q.normal[1], n)
    if isinstance(q, StudentT):
        loc, scale, df = q.student_t
        return loc + scale * rng.standard_t(df, n)
    if isinstance(q, Beta):
        return rng.beta(*q.beta, n)
    if isinstance(q, LogNormal):
        return rng.lognormal(*q.lognormal, n)
    if q.high == q.low:
        return np.full(n, q.low)
    if q.likely is None:
        return rng.uniform(q.low, q.high, n)
    if q.shape == "triangular":
        return rng.triangular(q.low, q.likely, q.high, n)
    a, b = _pert_ab(q)
    return q.low + (q.high - q.low) * rng.beta(a, b, n)


NORMAL_FROM_DF = 1000.0
"""Degrees of freedom from which an estimate's sampling distribution is drawn as a normal: a
t's central 95% interval on 1,000 df is 0.12% wider than the normal's."""


def sampling_distribution(estimate: float, std_error: float, df: float | None) -> Quantity:
    """How an estimate read with a t-test is drawn: ``estimate + std_error T`` with ``T``
    Student's t on ``df`` degrees of freedom, or the normal when ``df`` is ``None``, infinite or
    at least :data:`NORMAL_FROM_DF` (where the two agree)."""
    if df is None or not df < NORMAL_FROM_DF or std_error == 0:
        return Normal(normal=(estimate, std_error))
    return StudentT(student_t=(estimate, std_error, max(df, 1.0 + 1e-9)))


def check_within(q: Quantity, low: float, high: float, what: str) -> None:
    """Raise ``ValueError`` (for a pydantic validator) when ``q`` can leave [low, high]."""
    lo, hi = support(q)
    if low <= lo and hi <= high:
        return
    span = f"at least {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
    bad = lo if lo < low else hi
    if isinstance(q, int | float):
        raise ValueError(f"{what} must be {span}, got {bad:g}")
    fix = "" if isinstance(q, Range) else "; use a range or a bounded distribution"
    raise ValueError(f"{what} must be {span}, but its range reaches {bad:g}{fix}")


def describe(q: Quantity) -> str:
    """A short text form, e.g. ``2.5`` or ``2 / 2.5 / 3.5`` or ``Beta(6, 14)``."""
    if isinstance(q, int | float):
        return f"{q:g}"
    if isinstance(q, Range):
        mid = "" if q.likely is None else f" / {q.likely:g}"
        return f"{q.low:g}{mid} / {q.high:g}"
    if isinstance(q, Normal):
        return f"Normal({q.normal[0]:g}, {q.normal[1]:g})"
    if isinstance(q, StudentT):
        loc, scale, df = q.student_t
        return f"{loc:g} + {scale:g} x Student's t({df:.3g} df)"
    if isinstance(q, Beta):
        return f"Beta({q.beta[0]:g}, {q.beta[1]:g})"
    return f"LogNormal({q.lognormal[0]:g}, {q.lognormal[1]:g})"


def to_json(q: Quantity) -> Any:
    """The YAML/JSON form of ``q``."""
    if isinstance(q, int | float):
        return float(q)
    return q.model_dump(exclude_none=True, exclude_defaults=False)
