"""Money over time: NPV, IRR, payback and break-even of monthly value and cost schedules.

A *schedule* is an array of shape ``(n_draws, H + 1)`` (or ``(H + 1,)`` for a single draw; any
leading shape works, the last axis is always time):

- column 0 is ``t = 0``: one-time amounts paid or received at the start, not discounted;
- column ``t = 1..H`` is month ``t``, discounted by ``(1 + r_m)^t`` with the monthly rate
  ``r_m = (1 + r_annual)^(1/12) - 1``, so twelve months discount by exactly ``1 + r_annual``.

The functions of a schedule reduce its time axis and return one number per draw (shape
``(n_draws,)``, or a 0-d array for a 1-D schedule), computed for all draws at once: there is no
Python loop over draws.

References:
    R. A. Brealey, S. C. Myers, F. Allen, *Principles of Corporate Finance*, 13th ed., McGraw-Hill,
    2020, ch. 2 (present value), ch. 5 (payback, IRR and its pitfalls).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# IRR search bracket for log(1 + monthly rate): e^-40 - 1 ~ -100% to e^40 - 1 ~ 2e17 a month.
_LOG_RATE_BOUND = 40.0
# Stop when log(1 + irr_m) moves by less than this (the annual IRR is then exact to ~1e-12).
# Newton gets there in under 10 steps; bisection alone would need about 50 from the full bracket.
_TOLERANCE = 1e-13
_MAX_STEPS = 200


def monthly_rate(annual: float) -> float:
    """The monthly rate that compounds to ``annual`` over twelve months.

    ``r_m = (1 + r_annual)^(1/12) - 1``.

    Args:
        annual: annual discount rate as a fraction (0.10 for 10%); must be above -1.

    Returns:
        The monthly rate as a fraction.

    Example:
        >>> round(monthly_rate(0.12), 6)
        0.009489
    """
    if not annual > -1.0:
        raise ValueError(f"annual_rate must be above -1 (a fraction, 0.10 for 10%), got {annual}")
    return float(np.expm1(np.log1p(annual) / 12.0))


def discount_factors(horizon_months: int, annual_rate: float) -> FloatArray:
    """Discount factors ``(1 + r_m)^-t`` for ``t = 0..H``; the factor at ``t = 0`` is 1.

    Args:
        horizon_months: ``H``, the last month of the schedule.
        annual_rate: annual discount rate as a fraction.

    Returns:
        Array of shape ``(H + 1,)``.

    Example:
        >>> round(float(discount_factors(12, 0.10)[12]), 12)
        0.909090909091
    """
    if horizon_months < 0:
        raise ValueError(f"horizon_months must be 0 or more, got {horizon_months}")
    growth = 1.0 + monthly_rate(annual_rate)
    factors: FloatArray = growth ** -np.arange(horizon_months + 1, dtype=np.float64)
    return factors


def npv(net: npt.ArrayLike, annual_rate: float) -> FloatArray:
    """Net present value of a schedule: ``NPV = sum_t net_t / (1 + r_m)^t``, ``t = 0..H``.

    Args:
        net: schedule of shape ``(..., H + 1)``.
        annual_rate: annual discount rate as a fraction.

    Returns:
        The NPV per draw, shape ``(...)``.

    Example:
        >>> float(npv([-100.0, 60.0, 60.0], annual_rate=0.0))
        20.0
    """
    flows = _schedule(net, "net")
    return np.asarray(flows @ discount_factors(flows.shape[-1] - 1, annual_rate), dtype=np.float64)


def irr(net: npt.ArrayLike) -> FloatArray:
    """Internal rate of return per draw, annualised: ``(1 + irr_m)^12 - 1``.

    The monthly rate ``irr_m`` solves ``sum_t net_t / (1 + irr_m)^t = 0``. It is unique when the
    non-zero flows change sign exactly once (outflows then inflows, or the reverse), by Descartes'
    rule of signs on the polynomial in ``1 / (1 + irr_m)``. Otherwise the IRR is NaN: with no sign
    change there is no rate at all, and with several there may be several rates (or none), and
    none of them would rank the project (Brealey, Myers & Allen, ch. 5). Use the NPV then.
    NaN also where a flow is not finite, or where the rate lies outside about -100% to 2e17 a
    month.

    The root in ``log(1 + irr_m)`` is found for all draws at once by Newton's method safeguarded
    by bisection, to rounding (an NPV of ~1e-15 of the gross flows). ``numpy_financial.irr``,
    which finds all roots of the polynomial one draw at a time, agrees to 1e-8 or better.

    Args:
        net: schedule of shape ``(..., H + 1)``.

    Returns:
        The annualised IRR per draw as a fraction, shape ``(...)``.

    Example:
        >>> round(float(irr([-100.0, 0.0, 0.0, 74.0])), 5)  # -9.55% a month
        -0.70013
    """
    flows = _schedule(net, "net")
    rows = flows.reshape(-1, flows.shape[-1])
    result = np.full(rows.shape[0], np.nan)
    unique = _one_sign_change(rows) & np.isfinite(rows).all(axis=1)
    log_growth = _log_growth_root(rows if unique.all() else rows[unique])  # no copy if all
    result[unique] = np.expm1(12.0 * log_growth)
    return result.reshape(flows.shape[:-1])


def payback_months(value: npt.ArrayLike, cost: npt.ArrayLike) -> FloatArray:
    """Months until cumulative value first covers cumulative cost, from separate schedules.

    The convention used for headline figures: month ``m`` (1..H) spans ``(m - 1, m]``; its cost
    is paid at its start and its value is earned evenly through it; one-time costs in column 0
    are paid at ``t = 0``. The position only rises within a month, so the first crossing lies in
    the first month ``m`` whose end has ``V_m >= C_m`` (cumulative value and cost through ``m``):
    ``payback = (m - 1) + (C_m - V_{m-1}) / v_m``. Nothing owed at the start gives 0; never
    covered within the horizon gives ``inf``; any NaN flow gives NaN.

    Unlike a first crossing of the net flow, a system that earns more than it costs from its
    first month still takes the part of that month its first costs need (12.5 / 175 of a month
    for the worked example), rather than 0. Applied to a net schedule split into its inflows
    (value) and outflows (cost), it interpolates the cumulative net flow linearly within the
    month where it first gets back to zero. The *discounted payback* is the payback of the
    discounted schedules (both multiplied by :func:`discount_factors`).

    Args:
        value: value schedule of shape ``(..., H + 1)``.
        cost: cost schedule, the same shape as ``value`` or broadcastable to it.

    Returns:
        Payback in months per draw, shape ``(...)``.

    Example:
        >>> round(float(payback_months([0.0, 60, 60, 60], [100.0, 10, 10, 10])), 4)
        2.0
        >>> round(float(payback_months([0.0, 60.0, 60.0], [100.0, 0.0, 0.0])), 4)
        1.6667
    """
    v = _schedule(value, "value")
    c = _schedule(cost, "cost")
    if v.shape != c.shape:
        v, c = np.broadcast_arrays(v, c)
    flat_v = v.reshape(-1, v.shape[-1])
    cum_v = np.cumsum(flat_v, axis=-1)
    cum_c = np.cumsum(c.reshape(-1, c.shape[-1]), axis=-1)
    covered = cum_v[:, 1:] >= cum_c[:, 1:]
    month = covered.argmax(axis=1) + 1
    rows = np.arange(month.size)
    owed = np.maximum(cum_c[rows, month] - cum_v[rows, month - 1], 0.0)
    earned = flat_v[rows, month]
    with np.errstate(divide="ignore", invalid="ignore"):
        within = np.where(owed > 0, owed / np.where(earned > 0, earned, 1.0), 0.0)
    result = np.where(covered.any(axis=1), (month - 1) + within, np.inf)
    result[np.isnan(cum_v).any(axis=1) | np.isnan(cum_c).any(axis=1)] = np.nan
    return np.asarray(result.reshape(v.shape[:-1]), dtype=np.float64)


def break_even_scale(value_pv: npt.ArrayLike, cost_pv: npt.ArrayLike) -> FloatArray:
    """The factor on value at which the NPV is zero: ``k * value_pv - cost_pv = 0``.

    ``k = cost_pv / value_pv``: the share of the forecast value that must materialise to pay for
    the cost (``k < 1`` means headroom). ``inf`` where ``value_pv <= 0``: no scaling breaks even.

    Args:
        value_pv: present value of the value schedule, per draw.
        cost_pv: present value of the cost schedule, per draw.

    Returns:
        The break-even factor per draw (broadcast shape of the inputs).

    Example:
        >>> float(break_even_scale(400.0, 100.0))
        0.25
    """
    value = np.asarray(value_pv, dtype=np.float64)
    cost = np.asarray(cost_pv, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = cost / value
    return np.asarray(np.where(value <= 0.0, np.inf, scale), dtype=np.float64)


# eq=False: the fields are arrays, whose == is elementwise, so equality is identity.
@dataclass(frozen=True, eq=False)
class CashFlows:
    """Value and cost schedules of one case, one row per draw.

    Both are stored as float arrays of the same shape ``(..., H + 1)`` with costs positive. The
    undiscounted ratios divide as IEEE floats do: with zero total cost, the return multiple and
    net ROI are ``inf`` for positive value, NaN for zero value and ``-inf`` for negative value.

    Attributes:
        value: value schedule (money the system brings, per month).
        cost: cost schedule (money it costs, per month; one-time costs in column 0).

    Example:
        >>> flows = CashFlows(value=[0.0, 50.0, 50.0], cost=[40.0, 5.0, 5.0])
        >>> float(flows.return_multiple), float(flows.net_roi)
        (2.0, 1.0)
    """

    value: FloatArray
    cost: FloatArray

    def __post_init__(self) -> None:
        value = _schedule(self.value, "value")
        cost = _schedule(self.cost, "cost")
        if value.shape != cost.shape:
            raise ValueError(
                f"value and cost schedules must have the same shape, got {value.shape} and "
                f"{cost.shape}"
            )
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "cost", cost)

    @property
    def net(self) -> FloatArray:
        """Net schedule ``value - cost``."""
        return self.value - self.cost

    # cached: four of the headline figures start from each of these sums
    @cached_property
    def total_value(self) -> FloatArray:
        """Undiscounted value over the horizon, per draw."""
        return np.asarray(self.value.sum(axis=-1), dtype=np.float64)

    @cached_property
    def total_cost(self) -> FloatArray:
        """Undiscounted cost over the horizon, per draw."""
        return np.asarray(self.cost.sum(axis=-1), dtype=np.float64)

    @property
    def return_multiple(self) -> FloatArray:
        """Total value / total cost, undiscounted (``inf`` / NaN at zero cost, see the class)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self.total_value / self.total_cost, dtype=np.float64)

    @property
    def net_roi(self) -> FloatArray:
        """``(total value - total cost) / total cost``, i.e. the return multiple minus 1."""
        return self.return_multiple - 1.0

    def npv(self, annual_rate: float) -> FloatArray:
        """NPV of the net schedule per draw (see :func:`npv`)."""
        return npv(self.net, annual_rate)

    def irr(self) -> FloatArray:
        """Annualised IRR of the net schedule per draw (see :func:`irr`)."""
        return irr(self.net)

    def payback_months(self) -> FloatArray:
        """Months until value covers cost, per draw (see :func:`payback_months`)."""
        return payback_months(self.value, self.cost)

    def break_even_scale(self, annual_rate: float) -> FloatArray:
        """Factor on value at which the NPV is zero, per draw (see :func:`break_even_scale`)."""
        return break_even_scale(npv(self.value, annual_rate), npv(self.cost, annual_rate))


def _schedule(x: npt.ArrayLike, name: str) -> FloatArray:
    flows = np.asarray(x, dtype=np.float64)
    if flows.ndim == 0 or flows.shape[-1] == 0:
        raise ValueError(f"{name} must be a schedule with a time axis (t = 0..H), got {flows!r}")
    return flows


def _one_sign_change(rows: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each row's non-zero flows are all of one sign, then all of the other."""
    n_cols = rows.shape[1]
    months = np.arange(n_cols)
    positive, negative = rows > 0.0, rows < 0.0
    first_pos = np.where(positive, months, n_cols).min(axis=1)
    last_pos = np.where(positive, months, -1).max(axis=1)
    first_neg = np.where(negative, months, n_cols).min(axis=1)
    last_neg = np.where(negative, months, -1).max(axis=1)
    both = positive.any(axis=1) & negative.any(axis=1)
    return np.asarray(both & ((last_neg < first_pos) | (last_pos < first_neg)))


def _log_growth_root(rows: FloatArray) -> FloatArray:
    """``y = log(1 + irr_m)`` per row (one sign change each), NaN outside the bracket.

    Solves ``log PV_in(y) = log PV_out(y)``, the present values of the inflows and of the
    outflows, rather than ``NPV(y) = 0``: both sums have no cancellation, and the log ratio is
    monotone with slope ``D_out(y) - D_in(y)`` (the gap between their discounted mean times, at
    least a month), so Newton's method is nearly linear on it. Its first step from ``y = 0`` puts
    all inflows at their mean time and all outflows at theirs. Newton steps are safeguarded by
    bisection as in ``rtsafe`` (Press et al., *Numerical Recipes*, 3rd ed., ch. 9.4): the
    midpoint of the bracket is taken when a step would leave it.
    """
    months = np.arange(rows.shape[1], dtype=np.float64)
    inflow = np.maximum(rows, 0.0)
    outflow = inflow - rows
    timed_in = inflow * months  # flow x month, for the mean times: the same in every step
    timed_out = outflow * months
    nonzero = rows != 0.0
    first = np.argmax(nonzero, axis=1)
    last = rows.shape[1] - 1 - np.argmax(nonzero[:, ::-1], axis=1)
    discount = np.empty_like(rows)  # reused: a fresh array per step costs more than the maths

    def log_ratio_and_slope(log_growth: FloatArray) -> tuple[FloatArray, FloatArray]:
        # Discount factors are scaled so the largest one on a non-zero flow is 1 (those on the
        # zeros before the first flow or after the last are capped at 1 too): nothing overflows,
        # and the common scale cancels in the ratio and in both mean times.
        shift = -log_growth * np.where(log_growth >= 0.0, first, last)
        np.multiply(-log_growth[:, None], months, out=discount)
        np.subtract(discount, shift[:, None], out=discount)
        np.minimum(discount, 0.0, out=discount)
        np.exp(discount, out=discount)
        pv_in = np.einsum("ij,ij->i", inflow, discount)
        pv_out = np.einsum("ij,ij->i", outflow, discount)
        # At the far ends of the bracket one of the two may underflow to 0: the ratio is then
        # +-inf, of the right sign, and the Newton step is not finite, so bisection is taken.
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(pv_in) - np.log(pv_out)
            mean_time_in = np.einsum("ij,ij->i", timed_in, discount) / pv_in
            mean_time_out = np.einsum("ij,ij->i", timed_out, discount) / pv_out
        return log_ratio, mean_time_out - mean_time_in

    lower = np.full(rows.shape[0], -_LOG_RATE_BOUND)
    upper = np.full(rows.shape[0], _LOG_RATE_BOUND)
    sign_lower = np.sign(log_ratio_and_slope(lower)[0])
    bracketed = sign_lower * np.sign(log_ratio_and_slope(upper)[0]) < 0.0
    guess = np.zeros(rows.shape[0])
    for _ in range(_MAX_STEPS):
        log_ratio, slope = log_ratio_and_slope(guess)
        below_root = np.sign(log_ratio) == sign_lower
        lower = np.where(below_root, guess, lower)
        upper = np.where(below_root, upper, guess)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = guess - log_ratio / slope
        # strictly inside, so that Newton cannot cycle between two points on the bracket's ends
        accept = ((newton > lower) & (newton < upper)) | (np.abs(newton - guess) <= _TOLERANCE)
        step = np.where(accept, newton, 0.5 * (lower + upper))
        converged = np.abs(step - guess) <= _TOLERANCE
        guess = step
        if np.all(converged | ~bracketed):
            break
    return np.where(bracketed, guess, np.nan)
