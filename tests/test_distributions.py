"""mlroi's hand-written distribution functions against ``scipy.special``, which they replace.

Every comparison is relative, with the tolerance stated where it is used. Where the reference is
below 1e-300 (near or past the underflow to subnormal floats) both values only need to be tiny.
Measured worst relative differences from scipy on the grids below: ``t_cdf`` 5e-14, ``t_ppf``
1.5e-15, ``normal_ppf`` 9e-16, ``chi2_sf`` 1.5e-13 (the last in far tails around 1e-260, where
scipy's own error is of the same size). Hence the 1e-12 tolerance throughout, 1e-11 for the
random property test (worst seen 4e-13, at tails near 1e-290).

``scipy.special.stdtr(1, x)`` is itself off by up to 3e-9 relative for ``|x| < 1e-4`` (it returns
0.5 for ``x = 1e-12``), so for ``df = 1`` the reference is the exact Cauchy distribution.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import scipy.special
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlroi.stats.distributions import (
    Alternative,
    chi2_sf,
    critical_value,
    normal_cdf,
    normal_ppf,
    p_value,
    t_cdf,
    t_ppf,
)

RTOL = 1e-12
TINY = 1e-300  # below this a reference value is (nearly) subnormal: compare absolutely
DFS = (1, 1.5, 2, 2.7, 5, 10, 29.5, 30, 31, 99.9, 1e3, 12345.6, 1e5, 1e6, 1e7, 3.3e7, 1e9, 1e12)
XS = (0, 1e-8, 0.1, 0.5, 1, 1.96, 2, 2.5, 3, 5, 8, 12, 20, 38, 100)
SIGNED_XS = tuple(sorted({s * x for x in XS for s in (-1.0, 1.0)}))
QS = (
    1e-12, 1e-6, 0.001, 0.005, 0.025, 0.05, 0.1, 0.3, 0.5,
    0.7, 0.9, 0.95, 0.975, 0.995, 0.999, 1 - 1e-6, 1 - 1e-12,
)  # fmt: skip
CHI2_XS = (
    0, 1e-8, 1e-3, 0.1, 0.5, 1, 2, 3.84, 5, 10, 20, 50, 100, 200, 300, 500, 700,
    1000, 1300, 1390, 1400, 1401, 1410, 1450, 1500, 1600, 1700, 1800, 2000,
)  # fmt: skip
ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "greater", "less")


def assert_relative(actual: float, expected: float, rtol: float) -> None:
    """``actual`` equals ``expected`` to ``rtol``, or both are below ``TINY``."""
    if abs(expected) < TINY:
        assert abs(actual) <= TINY, (actual, expected)
    else:
        assert abs(actual - expected) <= rtol * abs(expected), (actual, expected)


def reference_t_cdf(x: float, df: float) -> float:
    """scipy's ``stdtr``, except the exact Cauchy CDF at ``df = 1`` (see the module docstring)."""
    if df != 1:
        return float(scipy.special.stdtr(df, x))
    if x == 0:
        return 0.5
    # P(T > t) = atan(1/t) / pi for t > 0, without the cancellation of 1/2 + atan(x) / pi.
    tail = math.atan(1.0 / abs(x)) / math.pi
    return tail if x < 0 else 1.0 - tail


# --- Student's t CDF -------------------------------------------------------------------------


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("x", SIGNED_XS)
def test_t_cdf_matches_scipy(x: float, df: float) -> None:
    assert_relative(t_cdf(x, df), reference_t_cdf(x, df), RTOL)


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("p", [1e-30, 1e-100, 1e-250])
def test_t_cdf_keeps_relative_precision_in_the_far_lower_tail(df: float, p: float) -> None:
    x = float(scipy.special.stdtrit(df, p))  # the statistic whose one-sided p-value is p
    # (At df = 1 the Cauchy reference: scipy's stdtr(1, x) is 0 below x = -1e154 or so.)
    assert_relative(t_cdf(x, df), reference_t_cdf(x, df), RTOL)


@pytest.mark.parametrize("x", [1.0, 1e3, 1e10, 1e50, 1e100, 1e200, 1e300])
def test_t_cdf_far_tail_matches_the_cauchy_closed_form(x: float) -> None:
    assert_relative(t_cdf(-x, 1), math.atan(1.0 / x) / math.pi, 1e-14)


@pytest.mark.parametrize("x", [1e-8, 1.0, 1e3, 1e10, 1e50, 1e100])
def test_t_cdf_with_two_df_matches_its_closed_form(x: float) -> None:
    # P(T < -x) = (1 - x / s) / 2 = 1 / (s (s + x)) with s = sqrt(2 + x^2), for df = 2.
    s = math.sqrt(2.0 + x * x)
    assert_relative(t_cdf(-x, 2), 1.0 / (s * (s + x)), 1e-14)


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("x", XS)
def test_t_cdf_is_symmetric(x: float, df: float) -> None:
    assert t_cdf(-x, df) + t_cdf(x, df) == pytest.approx(1.0, abs=1e-15)


# --- Student's t quantile --------------------------------------------------------------------


@pytest.mark.parametrize("df", DFS)
@pytest.mark.parametrize("q", QS)
def test_t_ppf_matches_scipy(q: float, df: float) -> None:
    assert_relative(t_ppf(q, df), float(scipy.special.stdtrit(df, q)), RTOL)


@pytest.mark.parametrize("df", [1, 1.5, 2, 30, 1e7])
@pytest.mark.parametrize("q", [1e-300, 1e-100, 1e-30])
def test_t_ppf_reaches_far_tails(q: float, df: float) -> None:
    # scipy's stdtrit gives up here for some df (inf at df = 3, q = 1e-300); check consistency.
    assert_relative(t_cdf(t_ppf(q, df), df), q, RTOL)


def test_t_ppf_with_one_df_is_the_cauchy_quantile() -> None:
    # For the Cauchy distribution the quantile is -1 / tan(pi q), and tan(pi q) is pi q this small.
    assert_relative(t_ppf(1e-300, 1), -1.0 / (math.pi * 1e-300), 1e-14)


# --- Student's t: random arguments -----------------------------------------------------------

log_dfs = st.floats(min_value=0.0, max_value=9.0)  # df log-uniform in [1, 1e9]
log_xs = st.floats(min_value=-10.0, max_value=3.0)  # |x| log-uniform in [1e-10, 1e3]


@settings(max_examples=500, deadline=None)
@given(log_df=log_dfs, log_x=log_xs, negative=st.booleans())
@example(log_df=0.0, log_x=-8.0, negative=True)  # df = 1 with a tiny x: scipy's weak spot
@example(log_df=7.0, log_x=1.5, negative=True)  # df = 1e7, x = -31.6: expansion, tail 1e-219
def test_t_cdf_matches_scipy_for_random_arguments(
    log_df: float, log_x: float, negative: bool
) -> None:
    df, x = 10.0**log_df, math.copysign(10.0**log_x, -1.0 if negative else 1.0)
    assert_relative(t_cdf(x, df), reference_t_cdf(x, df), 1e-11)


@settings(max_examples=500, deadline=None)
@given(log_df=log_dfs, log_x=log_xs)
def test_t_ppf_inverts_t_cdf(log_df: float, log_x: float) -> None:
    df, x = 10.0**log_df, -(10.0**log_x)
    q = t_cdf(x, df)  # the lower tail, which keeps its relative precision
    if q < TINY:
        return
    back = t_ppf(q, df)
    # In probability the round trip is exact to rounding. In x it is too, except near x = 0,
    # where q is close to 1/2 and its rounding moves the quantile by about 1e-16 / density.
    assert_relative(t_cdf(back, df), q, RTOL)
    if abs(x) >= 1e-3:
        assert_relative(back, x, 1e-10)


# --- Student's t: edge cases -----------------------------------------------------------------


@pytest.mark.parametrize("x", [-40.0, -1.96, -1e-8, 0.0, 0.5, 3.0])
def test_infinite_df_is_the_normal(x: float) -> None:
    assert t_cdf(x, math.inf) == normal_cdf(x)
    q = normal_cdf(x)
    assert t_ppf(q, math.inf) == normal_ppf(q)


def test_huge_df_is_still_t_not_normal() -> None:
    # F_t(x) = F(x) - f(x) (x^3 + x) / (4 df) + O(1 / df^2), F and f the normal CDF and density.
    # (scipy switches to the normal itself beyond df = 1 / eps = 4.5e15.)
    x, df = -3.0, 1e12
    density = math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    expected = normal_cdf(x) - density * (x**3 + x) / (4.0 * df)
    assert expected / normal_cdf(x) - 1.0 > 1e-11  # the difference the test resolves
    assert_relative(t_cdf(x, df), expected, 1e-14)


@pytest.mark.parametrize("df", [1.0, 3.0, 1e7])
def test_t_cdf_edge_values(df: float) -> None:
    assert t_cdf(0.0, df) == 0.5
    assert t_cdf(-0.0, df) == 0.5
    assert t_cdf(math.inf, df) == 1.0
    assert t_cdf(-math.inf, df) == 0.0
    assert math.isnan(t_cdf(math.nan, df))


@pytest.mark.parametrize("df", [1.0, 3.0, 1e7, math.inf])
def test_t_ppf_edge_values(df: float) -> None:
    assert t_ppf(0.0, df) == -math.inf
    assert t_ppf(0.5, df) == 0.0
    assert t_ppf(1.0, df) == math.inf
    for outside in (-0.1, 1.1, math.nan):
        assert math.isnan(t_ppf(outside, df))


@pytest.mark.parametrize("df", [0.0, -1.0, math.nan])
def test_t_functions_are_nan_without_positive_df(df: float) -> None:
    assert math.isnan(t_cdf(1.0, df))
    assert math.isnan(t_ppf(0.3, df))


# --- p-values and critical values ------------------------------------------------------------


@pytest.mark.parametrize("df", [1.0, 7.5, 1e4, 1e7])
@pytest.mark.parametrize("statistic", [-6.0, -1.2, 0.0, 2.5, 30.0])
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_p_value_matches_scipy(statistic: float, df: float, alternative: Alternative) -> None:
    lower = float(scipy.special.stdtr(df, statistic))
    upper = float(scipy.special.stdtr(df, -statistic))
    expected = {
        "two-sided": min(1.0, 2.0 * min(lower, upper)),
        "greater": upper,
        "less": lower,
    }[alternative]
    assert_relative(p_value(statistic, df, alternative), expected, RTOL)


@pytest.mark.parametrize("df", [1.0, 7.5, 1e4, 1e7, math.inf])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_critical_value_matches_scipy(level: float, df: float, alternative: Alternative) -> None:
    tail = (1 - level) / 2 if alternative == "two-sided" else 1 - level
    expected = float(scipy.special.stdtrit(df, 1 - tail))
    assert_relative(critical_value(level, df, alternative), expected, RTOL)


# --- normal quantile -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [*QS, 1e-300, 1e-100, 1e-20, 0.5 - 1e-9, 0.5 + 1e-9, 1 - 2**-53, 2**-1074],
)
def test_normal_ppf_matches_scipy(q: float) -> None:
    assert_relative(normal_ppf(q), float(scipy.special.ndtri(q)), RTOL)


def test_normal_ppf_edge_values() -> None:
    assert normal_ppf(0.0) == -math.inf
    assert normal_ppf(1.0) == math.inf
    for outside in (-0.1, 1.1, math.nan):
        assert math.isnan(normal_ppf(outside))


# --- chi-square ------------------------------------------------------------------------------


@pytest.mark.parametrize("df", range(1, 61))
def test_chi2_sf_matches_scipy(df: int) -> None:
    for x in CHI2_XS:
        assert_relative(chi2_sf(x, df), float(scipy.special.chdtrc(df, x)), RTOL)


@pytest.mark.parametrize("df", [100, 501, 1500])
def test_chi2_sf_matches_scipy_for_many_df(df: int) -> None:
    # scipy's own error grows with df (1.6e-12 at df = 3000); mlroi's stays near 3e-13.
    for x in (0.5 * df, 0.8 * df, df, 1.2 * df, 1.5 * df, 2.0 * df):
        assert_relative(chi2_sf(x, df), float(scipy.special.chdtrc(df, x)), 1e-11)


def test_chi2_sf_edge_values() -> None:
    assert chi2_sf(0.0, 3) == 1.0
    assert chi2_sf(-1.0, 3) == 1.0  # scipy gives NaN; a statistic below 0 cannot be exceeded less
    assert chi2_sf(math.inf, 3) == 0.0
    assert math.isnan(chi2_sf(math.nan, 3))
    assert chi2_sf(3.0, 2.0) == chi2_sf(3.0, 2)


@pytest.mark.parametrize("df", [2.5, 0, -1, math.nan])
def test_chi2_sf_needs_whole_number_df(df: float) -> None:
    with pytest.raises(ValueError, match="whole-number degrees of freedom"):
        chi2_sf(3.0, df)


# --- start-up --------------------------------------------------------------------------------


def test_distributions_do_not_import_scipy() -> None:
    code = (
        "import sys\n"
        "from mlroi.stats import distributions as d\n"
        "d.t_cdf(1.5, 12.3); d.t_cdf(-2.0, 1e7); d.t_ppf(0.975, 12.3); d.t_ppf(0.975, 1e7)\n"
        "d.normal_cdf(1.0); d.normal_ppf(0.975); d.chi2_sf(3.0, 2); d.chi2_sf(3.0, 3)\n"
        "d.p_value(2.0, 10.0, 'two-sided'); d.critical_value(0.95, 10.0, 'greater')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'numpy')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
