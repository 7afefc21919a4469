"""Experiment design: the sample size for a minimum detectable effect, and the MDE for a given n.

Normal approximation for the difference of two arm estimates (a mean, a proportion or a ratio of
means, CUPED-adjusted or not). With ``sigma^2`` the per-unit variance of the metric, ``r`` the
fraction of it that CUPED removes, ``n_c`` / ``n_t`` the arm sizes and ``delta`` the absolute
effect, the test of ``H0: delta = 0`` at level ``alpha`` has power ``1 - beta`` when

    delta = (z_{1-alpha/2} + z_{1-beta}) * sqrt(sigma^2 (1 - r) (1/n_c + 1/n_t))

(``z_{1-alpha}`` for a one-sided test). With shares ``s_c + s_t = 1`` of the total ``N`` this
solves to ``N = (z_{1-alpha/2} + z_{1-beta})^2 sigma^2 (1 - r) (1/s_c + 1/s_t) / delta^2``.

Assumptions, stated once:
    * Both arms have the baseline's per-unit variance (the treatment does not change the spread).
      For a proportion that variance is ``p (1 - p)`` at the baseline ``p`` in both arms, the
      form statsmodels' ``NormalIndPower`` uses with ``effect_size = delta / sqrt(p (1 - p))``;
      the unpooled textbook variant ``p_c q_c + p_t q_t`` is not offered.
    * For a two-sided test the negligible chance of rejecting in the wrong direction is ignored
      (it is below 1e-5 at conventional alpha and power).
    * A ratio's variance is the delta-method linearised per-unit variance, so the sample size
      counts units of randomisation (users), not units of analysis (impressions, orders).

References:
    Chow, Shao, Wang (2008). Sample Size Calculations in Clinical Research, 2nd ed., sections 3.2
    and 4.2. Chapman & Hall/CRC.
    Kohavi, Tang, Xu (2020). Trustworthy Online Controlled Experiments, chapter 17. Cambridge.
    Deng, Xu, Kohavi, Walker (2013). Improving the Sensitivity of Online Controlled Experiments by
    Utilizing Pre-Experiment Data. WSDM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, get_args

from mlroi.errors import DataError, SpecError
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.cuped import Linearised
from mlroi.stats.delta import linear_cov
from mlroi.stats.distributions import Alternative, normal_ppf
from mlroi.stats.proportion import bernoulli_variance

_MIN_PER_ARM = 2  # a per-unit variance needs two units


class LinearisableMetric(Protocol):
    """What :meth:`Baseline.from_aggregates` needs of a metric (``mlroi.metrics`` Mean, Proportion,
    Ratio): a name and its delta-method linearisation over one group's aggregates.

    A protocol rather than an import keeps ``stats`` below ``metrics`` in the layering.
    """

    @property
    def name(self) -> str: ...

    def linearise(self, agg: Aggregates) -> Linearised: ...


@dataclass(frozen=True)
class Baseline:
    """The per-unit variability of one metric in the control population.

    Attributes:
        mean: baseline value of the metric (a mean, a proportion or a ratio).
        variance: per-unit variance; for a ratio the delta-method linearised variance.
        variance_reduction: fraction of the variance that CUPED removes, ``rho^2`` with ``rho``
            the correlation between the (linearised) metric and its pre-period covariate;
            0 without CUPED.
    """

    mean: float
    variance: float
    variance_reduction: float = 0.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean):
            raise SpecError(f"mean must be a finite number, got {self.mean}")
        if not (math.isfinite(self.variance) and self.variance > 0.0):
            raise SpecError(f"variance must be a positive finite number, got {self.variance}")
        if not 0.0 <= self.variance_reduction < 1.0:
            raise SpecError(f"variance_reduction must be in [0, 1), got {self.variance_reduction}")

    @property
    def effective_variance(self) -> float:
        """Per-unit variance left after CUPED, ``variance * (1 - variance_reduction)``."""
        return self.variance * (1.0 - self.variance_reduction)

    @classmethod
    def proportion(cls, p: float) -> Baseline:
        """Baseline of a proportion ``p``, with the Bernoulli variance ``p (1 - p)``.

        Example:
            >>> Baseline.proportion(0.1).variance
            0.09000000000000001
        """
        if not 0.0 < p < 1.0:
            raise SpecError(f"p must be in (0, 1), got {p}")
        return cls(mean=p, variance=bernoulli_variance(p))

    @classmethod
    def from_aggregates(cls, metric: LinearisableMetric, agg: Aggregates) -> Baseline:
        """Baseline of ``metric`` measured over one group (e.g. last month's control users).

        The variance is the delta-method per-unit variance ``g' S g`` of the metric's
        linearisation (the sample variance for a mean or proportion). For a metric with a
        covariate, ``variance_reduction = corr(g'Y, h'X)^2 = (g' S h)^2 / (g' S g * h' S h)``
        within that one group: the reduction CUPED achieves when both arms share it.

        Args:
            metric: a ``mlroi.metrics`` Mean, Proportion or Ratio.
            agg: the group's aggregates, with every column pair ``metric.pairs()`` names.

        Returns:
            The baseline.

        Raises:
            DataError: fewer than two units, or a metric without spread in the group.
        """
        if agg.n < _MIN_PER_ARM:
            raise DataError(
                f"metric {metric.name!r}: the baseline needs at least 2 units, got {agg.n}"
            )
        lin = metric.linearise(agg)
        var_y = linear_cov(agg, lin.gradient, lin.gradient)
        if not var_y > 0.0:
            raise DataError(
                f"metric {metric.name!r} has no variance in the baseline group, so no sample"
                " size can be derived from it; pass a Baseline with a known variance"
            )
        reduction = 0.0
        if lin.covariate_gradient:
            var_x = linear_cov(agg, lin.covariate_gradient, lin.covariate_gradient)
            cov_xy = linear_cov(agg, lin.gradient, lin.covariate_gradient)
            if var_x > 0.0:
                # Clipped below 1: a perfectly correlated covariate is a data bug, not a design.
                reduction = min(cov_xy**2 / (var_x * var_y), 1.0 - 1e-12)
        return cls(mean=lin.value, variance=var_y, variance_reduction=reduction)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return {
            "mean": self.mean,
            "variance": self.variance,
            "variance_reduction": self.variance_reduction,
        }


@dataclass(frozen=True)
class Design:
    """A two-arm experiment design: sizes, the effect they detect, and the test behind it.

    Attributes:
        n_total: units over control and the one treatment.
        n_control: units in control.
        n_treatment: units in the treatment.
        n_exact: the unrounded total at which the power is exactly ``power`` for
            ``mde_absolute`` (``n_total`` is at least this).
        shares: control and treatment shares of ``n_total``, normalised to sum to 1.
        mde_absolute: smallest absolute effect ``treatment - control`` detected with ``power``
            (a magnitude, in the direction of ``alternative``).
        mde_relative: ``mde_absolute / baseline.mean``; ``None`` when the baseline mean is not
            positive (a relative effect is undefined there).
        std_error: standard error of the difference at ``n_control`` and ``n_treatment``.
        alpha: significance level.
        power: target power, ``1 - beta``.
        alternative: ``"two-sided"``, ``"greater"`` or ``"less"``.
        baseline: the metric's baseline variability.
    """

    n_total: int
    n_control: int
    n_treatment: int
    n_exact: float
    shares: tuple[float, float]
    mde_absolute: float
    mde_relative: float | None
    std_error: float
    alpha: float
    power: float
    alternative: Alternative
    baseline: Baseline

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (the baseline nested, shares as a list)."""
        return {
            "n_total": self.n_total,
            "n_control": self.n_control,
            "n_treatment": self.n_treatment,
            "n_exact": self.n_exact,
            "shares": list(self.shares),
            "mde_absolute": self.mde_absolute,
            "mde_relative": self.mde_relative,
            "std_error": self.std_error,
            "alpha": self.alpha,
            "power": self.power,
            "alternative": self.alternative,
            "baseline": self.baseline.to_dict(),
        }


def sample_size(
    baseline: Baseline,
    *,
    mde: float,
    relative: bool = True,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: Alternative = "two-sided",
    shares: Sequence[float] = (0.5, 0.5),
) -> Design:
    """Units needed to detect an effect of ``mde`` with the given power.

    ``N = (z_{1-alpha/2} + z_{power})^2 * sigma^2 (1 - r) * (1/s_c + 1/s_t) / delta^2``, with
    ``z_{1-alpha}`` for a one-sided test (Chow, Shao, Wang 2008, section 3.2). Each arm is rounded
    up (``n_c = ceil(N s_c)``, ``n_t = ceil(N s_t)``, at least 2 each) so the power is at least
    the target; ``n_total`` is their sum.

    Args:
        baseline: the metric's baseline mean and per-unit variance (and CUPED reduction).
        mde: the effect to detect, a positive magnitude.
        relative: whether ``mde`` is relative to ``baseline.mean`` (0.05 = +5%) or absolute.
        alpha: significance level, in (0, 1).
        power: probability of detecting an effect of ``mde``, in (0, 1).
        alternative: ``"two-sided"``, or ``"greater"`` / ``"less"`` for a one-sided test.
        shares: control and treatment shares of the units (any positive weights; normalised).

    Returns:
        The design.

    Example:
        >>> sample_size(Baseline.proportion(0.1), mde=0.1).n_total
        28256
    """
    z = _z_sum(alpha, power, alternative)
    s_c, s_t = _shares(shares)
    if not (math.isfinite(mde) and mde > 0.0):
        raise SpecError(f"mde must be a positive number, got {mde}")
    if relative and baseline.mean <= 0.0:
        raise SpecError(
            f"mde: a relative mde needs a positive baseline mean, got {baseline.mean};"
            " pass relative=False with an absolute mde"
        )
    if relative and mde > _MAX_RELATIVE_MDE:
        raise SpecError(
            f"mde: a relative mde of {mde:g} is more than {_MAX_RELATIVE_MDE:g} times the"
            " baseline: give a share of the baseline (0.05 for +5%), or an absolute mde"
        )
    delta = mde * baseline.mean if relative else mde
    try:
        n_exact = (z / delta) ** 2 * baseline.effective_variance * (1.0 / s_c + 1.0 / s_t)
    except (OverflowError, ZeroDivisionError):
        n_exact = math.inf
    if not (math.isfinite(delta) and n_exact <= _MAX_UNITS):
        raise SpecError(
            f"mde: an effect of {delta:g} needs more than {_MAX_UNITS:g} units (too small to"
            " detect): give a larger mde"
        )
    n_c = max(_ceil(n_exact * s_c), _MIN_PER_ARM)
    n_t = max(_ceil(n_exact * s_t), _MIN_PER_ARM)
    return _design(baseline, n_c, n_t, n_exact, (s_c, s_t), delta, alpha, power, alternative)


def minimum_detectable_effect(
    baseline: Baseline,
    *,
    n_total: int,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: Alternative = "two-sided",
    shares: Sequence[float] = (0.5, 0.5),
) -> Design:
    """The smallest effect that ``n_total`` units detect with the given power.

    ``delta = (z_{1-alpha/2} + z_{power}) * sqrt(sigma^2 (1 - r) (1/n_c + 1/n_t))`` with
    ``n_c = round(n_total * s_c)`` and ``n_t = n_total - n_c`` (Chow, Shao, Wang 2008,
    section 3.2, solved for the effect).

    Args:
        baseline: the metric's baseline mean and per-unit variance (and CUPED reduction).
        n_total: units over control and the one treatment.
        alpha: significance level, in (0, 1).
        power: probability of detecting the returned effect, in (0, 1).
        alternative: ``"two-sided"``, or ``"greater"`` / ``"less"`` for a one-sided test.
        shares: control and treatment shares of the units (any positive weights; normalised).

    Returns:
        The design; ``mde_absolute`` and ``mde_relative`` hold the effect.

    Example:
        >>> round(minimum_detectable_effect(Baseline(mean=10.0, variance=4.0), n_total=1000)
        ...       .mde_absolute, 4)
        0.3544
    """
    z = _z_sum(alpha, power, alternative)
    s_c, s_t = _shares(shares)
    if isinstance(n_total, bool) or not isinstance(n_total, int):
        raise SpecError(f"n_total must be an integer, got {n_total!r}")
    n_c = round(n_total * s_c)
    n_t = n_total - n_c
    if min(n_c, n_t) < _MIN_PER_ARM:
        raise SpecError(
            f"n_total={n_total} is too small: shares {s_c:.3g}/{s_t:.3g} leave"
            f" {n_c}/{n_t} units, and each arm needs at least {_MIN_PER_ARM}"
        )
    delta = z * math.sqrt(baseline.effective_variance * (1.0 / n_c + 1.0 / n_t))
    n_exact = (z / delta) ** 2 * baseline.effective_variance * (1.0 / s_c + 1.0 / s_t)
    return _design(baseline, n_c, n_t, n_exact, (s_c, s_t), delta, alpha, power, alternative)


def _design(
    baseline: Baseline,
    n_c: int,
    n_t: int,
    n_exact: float,
    shares: tuple[float, float],
    delta: float,
    alpha: float,
    power: float,
    alternative: Alternative,
) -> Design:
    return Design(
        n_total=n_c + n_t,
        n_control=n_c,
        n_treatment=n_t,
        n_exact=n_exact,
        shares=shares,
        mde_absolute=delta,
        mde_relative=delta / baseline.mean if baseline.mean > 0.0 else None,
        std_error=math.sqrt(baseline.effective_variance * (1.0 / n_c + 1.0 / n_t)),
        alpha=alpha,
        power=power,
        alternative=alternative,
        baseline=baseline,
    )


def _z_sum(alpha: float, power: float, alternative: Alternative) -> float:
    """``z_{1-alpha/2} + z_{power}`` (``z_{1-alpha}`` one-sided), after checking the inputs."""
    if alternative not in get_args(Alternative):
        raise SpecError(
            f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}"
        )
    if not 0.0 < alpha < 1.0:
        raise SpecError(f"alpha must be in (0, 1), got {alpha}")
    if not 0.0 < power < 1.0:
        raise SpecError(f"power must be in (0, 1), got {power}")
    tail = alpha / 2.0 if alternative == "two-sided" else alpha
    z = normal_ppf(1.0 - tail) + normal_ppf(power)
    if z <= 0.0:
        raise SpecError(
            f"power must exceed the test's false-positive rate {tail:g} per tail, got {power}"
        )
    return z


def _shares(shares: Sequence[float]) -> tuple[float, float]:
    if len(shares) != 2:
        raise SpecError(
            f"shares must hold 2 weights (control, treatment), got {len(shares)}: {shares!r}"
        )
    if not all(math.isfinite(s) and s > 0.0 for s in shares):
        raise SpecError(f"shares must be positive numbers, got {tuple(shares)!r}")
    total = shares[0] + shares[1]
    return shares[0] / total, shares[1] / total


# beyond these an mde is a typo (a percentage written as a share, a unit mix-up), and the sample
# size would overflow the arithmetic; 1e15 units outnumber any experiment's population
_MAX_RELATIVE_MDE = 1e6
_MAX_UNITS = 1e15


def _ceil(x: float) -> int:
    # 1000.0000000001 units is 1000 that float rounding pushed up, not 1001.
    nearest = round(x)
    return nearest if math.isclose(x, nearest, rel_tol=1e-12) else math.ceil(x)
