"""Distribution functions used by the statistical tests, in one place, on the standard library.

Student's t, the normal and the chi-square distribution are hand-written here rather than taken
from ``scipy.special``: the readout needs a handful of scalar values, and importing
``scipy.special`` adds 0.1-0.3 s to the start-up of the command line. Each function agrees with
its ``scipy.special`` counterpart (``stdtr``, ``stdtrit``, ``ndtri``, ``chdtrc``) to 1e-13
relative error or better; ``tests/test_distributions.py`` checks it.

Student's t tail is a regularized incomplete beta function, ``P(T > x) = I_y(df/2, 1/2) / 2``
with ``y = df / (df + x^2)``, evaluated by a continued fraction, or, when ``df`` is large and
``|x|`` moderate (where the fraction converges slowly), by an asymptotic expansion in ``1/df``.

References:
    DLMF (NIST Digital Library of Mathematical Functions): 5.11.1 (Stirling series), §8.8
    (recurrence of the incomplete gamma function), §8.17 (incomplete beta function: symmetry
    8.17.4 and the continued fraction of §8.17(v)).
    DiDonato, A. R. and Morris, A. H. (1992). Algorithm 708: Significant digit computation of the
    incomplete beta function ratios. ACM TOMS 18(3), 360-373 (the expansion for large a, small b).
    Temme, N. M. (1987). Incomplete Laplace integrals: uniform asymptotic expansion with
    application to the incomplete beta function. SIAM J. Math. Anal. 18(6), 1638-1663.
    Thompson, I. J. and Barnett, A. R. (1986). Coulomb and Bessel functions of complex arguments
    and order. J. Comput. Phys. 64, 490-509 (the modified Lentz method).
    Wichura, M. J. (1988). Algorithm AS 241: The percentage points of the normal distribution.
    Applied Statistics 37(3), 477-484 (behind ``statistics.NormalDist.inv_cdf``).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

Alternative = Literal["two-sided", "greater", "less"]

_EPS = 2.0**-52  # spacing of floats near 1: the relative accuracy every series below aims for
_TINY = 1e-300  # stands in for an exact zero in the continued fraction's denominators
_LARGE_A = 15.0  # a = df/2 from which the expansion in 1/a is accurate (DiDonato & Morris)
_EXPANSION_MIN_Y = 0.7  # the expansion needs y = df/(df + x^2) above this (DiDonato & Morris)
_STIRLING_MIN = 15.0  # from here six terms of the Stirling series reach full precision
_MAX_EXP = 700.0  # exp(-z) is a normal float for z up to here
_STANDARD_NORMAL = NormalDist()


def t_cdf(x: float, df: float) -> float:
    """CDF of Student's t with ``df`` degrees of freedom (normal when df is infinite).

    NaN for a NaN argument or ``df <= 0``, as ``scipy.special.stdtr``.

    Example:
        >>> round(t_cdf(2.0, 10.0), 6)
        0.963306
    """
    if math.isinf(df):
        return normal_cdf(x)
    if math.isnan(x) or math.isnan(df) or df <= 0.0:
        return math.nan
    if x == 0.0:
        return 0.5
    tail = _t_tail(abs(x), df)
    return tail if x < 0.0 else 0.5 + (0.5 - tail)


def t_ppf(q: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (normal when df is infinite).

    ``-inf`` and ``inf`` at ``q`` = 0 and 1; NaN for ``q`` outside [0, 1] or ``df <= 0``.

    Example:
        >>> round(t_ppf(0.975, 10.0), 6)
        2.228139
    """
    if math.isinf(df):
        return normal_ppf(q)
    if math.isnan(df) or df <= 0.0 or not 0.0 <= q <= 1.0:
        return math.nan
    if q == 0.5:
        return 0.0
    if q in (0.0, 1.0):
        return math.copysign(math.inf, q - 0.5)
    # Solve in the nearer tail: 1 - q is exact for q >= 0.5, so q = 1 - 1e-12 keeps its digits.
    upper = _t_upper_quantile(min(q, 1.0 - q), df)
    return upper if q > 0.5 else -upper


def normal_cdf(x: float) -> float:
    """Standard normal CDF, via ``erfc`` for accuracy in the tails."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_ppf(q: float) -> float:
    """Standard normal quantile (Wichura's AS 241, through ``statistics.NormalDist``).

    ``-inf`` and ``inf`` at ``q`` = 0 and 1, NaN outside [0, 1], as ``scipy.special.ndtri``.

    Example:
        >>> round(normal_ppf(0.975), 6)
        1.959964
    """
    if 0.0 < q < 1.0:
        return _STANDARD_NORMAL.inv_cdf(q)
    if q in (0.0, 1.0):
        return math.copysign(math.inf, q - 0.5)
    return math.nan


def chi2_sf(x: float, df: float) -> float:
    """Survival function ``P(X > x)`` of the chi-square distribution with whole-number ``df``.

    Only whole df occur in mlroi (SRM: arms - 1; Hosmer-Lemeshow: groups - 2), and for them the
    upper incomplete gamma function ``Q(df/2, x/2)`` is a finite sum (see ``_gamma_q_whole``).
    1 for ``x <= 0`` (where ``scipy.special.chdtrc`` gives NaN below 0), NaN for a NaN ``x``.

    Raises:
        ValueError: ``df`` is not a whole number >= 1.

    Example:
        >>> round(chi2_sf(3.84, 1), 6)
        0.050044
    """
    if not float(df).is_integer() or df < 1:
        raise ValueError(f"chi2_sf supports only whole-number degrees of freedom >= 1, got {df!r}")
    if math.isnan(x):
        return math.nan
    if x <= 0.0:
        return 1.0
    if math.isinf(x):
        return 0.0
    return _gamma_q_whole(int(df), 0.5 * x)


def p_value(statistic: float, df: float, alternative: Alternative) -> float:
    """P-value of a t (or z, when df is infinite) statistic for the given alternative."""
    if alternative == "two-sided":
        return min(1.0, 2.0 * t_cdf(-abs(statistic), df))
    if alternative == "greater":
        return t_cdf(-statistic, df)
    return t_cdf(statistic, df)


def critical_value(level: float, df: float, alternative: Alternative) -> float:
    """Multiplier of the standard error for a confidence interval at ``level``."""
    tail = (1.0 - level) / 2.0 if alternative == "two-sided" else 1.0 - level
    return t_ppf(1.0 - tail, df)


# --- Student's t ------------------------------------------------------------------------------


def _t_tail(x: float, df: float) -> float:
    """``P(T > x)`` for ``x > 0`` and finite ``df > 0``: ``I_y(a, 1/2) / 2``, ``a = df/2``.

    ``y = 1 / (1 + r)`` and ``1 - y = r / (1 + r)`` with ``r = x^2 / df`` are both formed
    directly, so neither loses digits to a subtraction from 1.
    """
    a = 0.5 * df
    r = x * x / df
    log_y = -_log1p_square(x, df)
    y, one_minus_y = (1.0 / (1.0 + r), r / (1.0 + r)) if r < 1e300 else (0.0, 1.0)
    if a >= _LARGE_A and y > _EXPANSION_MIN_Y:
        return 0.5 * _beta_large_a_half(a, log_y)
    # Common factor of both fractions: y^a (1-y)^(1/2) / B(a, 1/2), with 1 / B(a, 1/2) =
    # G(a + 1/2) / (G(a) sqrt(pi)).
    front = _power_of_y(a, x, df, log_y) * math.sqrt(one_minus_y)
    front *= _gamma_ratio_half(a) / math.sqrt(math.pi)
    if front == 0.0:
        return 0.0
    # The fraction converges fast below its turning point (a + 1) / (a + b + 2); above it, use
    # I_y(a, b) = 1 - I_{1-y}(b, a), whose fraction converges fast there.
    if y < (a + 1.0) / (a + 2.5):
        return 0.5 * front / a * _beta_fraction(a, 0.5, y)
    return 0.5 * (1.0 - front / 0.5 * _beta_fraction(0.5, a, one_minus_y))


def _power_of_y(a: float, x: float, df: float, log_y: float) -> float:
    """``y^a`` for ``y = 1 / (1 + x^2/df)``, to about ``4a`` units in the last place.

    ``exp(a ln y)`` has a relative error of about ``|a ln y|`` ulp, up to 700 ulp in far tails;
    where ``|ln y| > 4`` the power is taken instead of a ``y`` that is rounded only a few times.
    """
    if log_y > -4.0:
        return math.exp(a * log_y)
    r = x * x / df
    if r < 1e300:
        return math.pow(1.0 / (1.0 + r), a)
    return math.pow(x / math.sqrt(df), -df)  # 1 + r is r, y = (x / sqrt(df))^-2


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of ``I_x(a, b)`` after its prefactor ``x^a (1-x)^b / (a B(a, b))``.

    ``1 / (1 + d_1 / (1 + d_2 / (1 + ...)))`` with ``d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))``
    and ``d_{2m} = m (b-m) x / ((a+2m-1)(a+2m))`` (DLMF §8.17(v)), evaluated forwards by the
    modified Lentz method. Converges quickly for ``x < (a + 1) / (a + b + 2)``.
    """
    value, c, d = 1.0, 1.0, 0.0
    for j in range(1, 2000):
        m = j // 2
        if j % 2:
            step = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))
        else:
            step = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        d = 1.0 + step * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + step / c
        c = c if abs(c) > _TINY else _TINY
        value *= c * d
        if abs(c * d - 1.0) <= _EPS:
            break
    return 1.0 / value


def _beta_large_a_half(a: float, log_y: float) -> float:
    """``I_y(a, 1/2)`` for ``a >= 15`` and ``y > 0.7`` by the expansion in ``1/a``.

    Temme's uniform expansion as organised by DiDonato & Morris (1992, BGRAT) with ``b = 1/2``:
    with ``nu = a - 1/4`` and ``z = -nu ln y``,

        I_y(a, b) = U (J_0 + sum_n d_n J_n),  U J_0 = Q(b, z) G(a + b) / (G(a) nu^b),

    where ``Q(1/2, z) = erfc(sqrt z)`` and the ``J_n`` and ``d_n`` follow the recurrences below.
    The sum is kept relative to ``J_0 = Q/R``, which grows without bound as ``z -> 0``. With
    ``y > 0.7`` the corrections fall fast: eight terms at most reach full precision; thirty
    bound the loop.
    """
    b = 0.5
    nu = a - 0.25
    z = -nu * log_y
    root_z = math.sqrt(z)
    leading = math.erfc(root_z) * _gamma_ratio_half(a) / math.sqrt(nu)
    if z > _MAX_EXP:  # e^-z below would underflow; the result is under 1e-305 anyway
        return leading
    # J_0 = Q(b, z) / R with R = z^b e^-z / G(b); t below is T_n / J_0, j is J_n / J_0.
    t = root_z * math.exp(-z) / (math.sqrt(math.pi) * math.erfc(root_z))
    v = 0.25 / (nu * nu)
    t2 = 0.25 * log_y * log_y
    j, total, cn, n2 = 1.0, 1.0, 1.0, 0.0
    c: list[float] = []
    d: list[float] = []
    for n in range(1, 31):
        bp2n = b + n2
        j = (bp2n * (bp2n + 1.0) * j + (z + bp2n + 1.0) * t) * v
        n2 += 2.0
        t *= t2
        cn /= n2 * (n2 + 1.0)
        c.append(cn)
        s = sum((i * b - n) * c[i - 1] * d[n - i - 1] for i in range(1, n))
        d.append((b - 1.0) * cn + s / n)
        term = d[-1] * j
        total += term
        if abs(term) <= _EPS * total:
            break
    return leading * total


def _gamma_ratio_half(a: float) -> float:
    """``G(a + 1/2) / G(a)`` for ``a > 0``, to a few units in the last place.

    ``lgamma(a + 1/2) - lgamma(a)`` would lose ``ulp(lgamma(a))``, about 1e-8 relative at
    a = 5e6. Instead, for ``a >= 15`` the Stirling series (DLMF 5.11.1) gives
    ``ln ratio = ln(a)/2 + a log1p(1/(2a)) - 1/2 + S(a + 1/2) - S(a)`` with no large terms
    to cancel; smaller ``a`` are first raised by ``ratio(a) = ratio(a + 1) a / (a + 1/2)``.
    """
    scale = 1.0
    while a < _STIRLING_MIN:
        scale *= a / (a + 0.5)
        a += 1.0
    log_rest = a * math.log1p(0.5 / a) - 0.5 + _stirling_tail(a + 0.5) - _stirling_tail(a)
    return scale * math.sqrt(a) * math.exp(log_rest)


def _stirling_tail(w: float) -> float:
    """``ln G(w) - ((w - 1/2) ln w - w + ln(2 pi)/2)`` for ``w >= 15``, to 3e-16 or better."""
    w2 = w * w
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * w2)) / w2) / w2) / w2) / w


def _t_log_density(x: float, df: float) -> float:
    """Log density of Student's t, ``ln(G(a + 1/2) / (G(a) sqrt(df pi))) - (a + 1/2) ln(1 + r)``.

    ``a = df/2`` and ``r = x^2/df``. In logarithms because, for small df, the density underflows
    long before the tail does.
    """
    a = 0.5 * df
    front = _gamma_ratio_half(a) / math.sqrt(df * math.pi)
    return math.log(front) - (a + 0.5) * _log1p_square(x, df)


def _log1p_square(x: float, df: float) -> float:
    """``ln(1 + x^2 / df)``, also where ``x^2 / df`` overflows (then 1 is far below rounding)."""
    r = x * x / df
    if r < 1e300:
        return math.log1p(r)
    return 2.0 * math.log(abs(x)) - math.log(df)


def _t_upper_quantile(p: float, df: float) -> float:
    """The ``t > 0`` with ``P(T > t) = p``, for ``0 < p < 1/2``.

    Newton's method on ``ln P(T > t)`` as a function of ``ln t``: that function is nearly linear
    in the power-law tails of small ``df`` and nearly quadratic for large ``df``, so a few steps
    from the Cornish-Fisher start ``z + (z^3 + z) / (4 df)`` reach the root. Each evaluation
    narrows a bracket; a step that leaves it is replaced by a bisection (in ``ln t``).
    """
    z = -normal_ppf(p)
    t = z + (z**3 + z) / (4.0 * df)
    low, high = 0.0, math.inf
    for _ in range(100):
        tail = _t_tail(t, df)
        if tail == p:
            return t
        if tail > p:
            low = t
        else:
            high = t
        if tail == 0.0:  # far beyond the root, where the logarithm below is undefined
            t = _bisect_log(low, high)
            continue
        # ln t moves by ln(tail / p) / m, m = -d ln(tail) / d ln(t) = t f(t) / tail.
        m = math.exp(math.log(t) + _t_log_density(t, df) - math.log(tail))
        step = math.log(tail / p) / m
        # Newton converges quadratically: after a step of 1e-10 the error is about 1e-20.
        if abs(step) <= 1e-10:
            return t * math.exp(step)
        following = t * math.exp(max(-50.0, min(50.0, step)))  # capped so exp cannot overflow
        if not low < following < high:
            following = _bisect_log(low, high)
        if high - low <= 4.0 * _EPS * low:  # bracket as tight as floats allow
            return following
        t = following
    return t


def _bisect_log(low: float, high: float) -> float:
    """Midpoint of ``(low, high)`` in ``ln t``; a factor of 4 out when one end is still open."""
    if math.isinf(high):
        return 4.0 * low
    if low == 0.0:
        return 0.25 * high
    return math.sqrt(low) * math.sqrt(high)


# --- chi-square -------------------------------------------------------------------------------


def _gamma_q_whole(k: int, z: float) -> float:
    """Upper regularized incomplete gamma ``Q(k/2, z)`` for a whole ``k >= 1`` and ``z > 0``.

    From ``Q(s + 1, z) = Q(s, z) + z^s e^-z / G(s + 1)`` (DLMF §8.8), with ``Q(1, z) = e^-z``
    and ``Q(1/2, z) = erfc(sqrt z)``:

        Q(k/2, z) = [erfc(sqrt z) if k is odd] + sum_{i < k // 2} w_i,
        w_i = e^-z z^(c+i) / G(c+i+1),  c = 1/2 (k odd) or 0 (k even).

    Every term is positive, so the sum keeps full relative precision. The ``w_i`` are built by
    ``w_i = w_{i-1} z / (c + i)`` relative to ``w_0``; the factor ``e^-z`` is applied at the
    end, through the logarithm when it would underflow (z > 700).
    """
    odd = k % 2 == 1
    c = 0.5 if odd else 0.0
    front = 2.0 * math.sqrt(z / math.pi) if odd else 1.0  # w_0 e^z
    total, log_scale = _poisson_like_sum(k // 2, c, z)
    if z <= _MAX_EXP:
        head = math.erfc(math.sqrt(z)) if odd else 0.0
        return head + math.exp(-z) * front * math.ldexp(total, log_scale)
    if odd:  # erfc(sqrt z) in units of w_0 = front e^-z, by its asymptotic series
        total += math.ldexp(_erfc_over_w0(z), -log_scale)
    return math.exp(-z + math.log(front * total) + log_scale * math.log(2.0))


def _poisson_like_sum(count: int, c: float, z: float) -> tuple[float, int]:
    """``sum_{i < count} z^i / ((c+1)(c+2)...(c+i))`` as ``(mantissa, power of 2)``.

    Stops once the terms have passed their peak (``c + i > z``) and no longer change the sum.
    The running sum is rescaled by powers of two (exact) so that it cannot overflow for large z.
    """
    total, term, log_scale = 0.0, 1.0, 0
    for i in range(count):
        if i > 0:
            term *= z / (c + i)
        total += term
        if c + i > z and term <= _EPS * total:
            break
        if total > 1e280:
            total, term = math.ldexp(total, -900), math.ldexp(term, -900)
            log_scale += 900
    return total, log_scale


def _erfc_over_w0(z: float) -> float:
    """``erfc(sqrt z) / (2 sqrt(z / pi) e^-z)`` for ``z > 700``.

    The asymptotic series ``(1 / 2z) sum_n (-1)^n (2n - 1)!! / (2z)^n``; at z > 700 its terms
    fall by 1/1400 or faster, so a dozen give full precision.
    """
    total, term = 0.0, 1.0
    for n in range(1, 20):
        total += term
        term *= -(2 * n - 1) / (2.0 * z)
        if abs(term) <= _EPS * total:
            break
    return total / (2.0 * z)
