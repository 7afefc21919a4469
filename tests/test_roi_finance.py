"""Money over time: NPV, IRR and payback against closed forms and numpy_financial."""

from __future__ import annotations

import doctest
import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlroi.roi import finance
from mlroi.roi.finance import (
    CashFlows,
    break_even_scale,
    discount_factors,
    irr,
    monthly_rate,
    npv,
    payback_months,
)

# Hand-made monthly net cash flows with one sign change, so each has a single IRR.
CONVENTIONAL_FLOWS = [
    [-100.0, 39.0, 59.0, 55.0, 20.0],  # numpy_financial's documented example
    [-100.0, 0.0, 0.0, 74.0],  # a negative IRR
    [-100.0, 60.0, 60.0],
    [-5_000.0, -200.0, 100.0, 400.0, 700.0] + [1_000.0] * 19,  # one-time cost, then a ramp
    [-250_000.0] + [6_000.0] * 60,  # five years of a steady saving
    [100.0, -30.0, -30.0, -30.0, -30.0],  # a loan: money in first, then out
    [0.0] * 20 + [-100.0] + [60.0] * 40 + [0.0] * 180,  # starts late, ends early: 20 years
]


def _npf_annual_irr(row: list[float] | np.ndarray) -> float:
    return float((1.0 + npf.irr(row)) ** 12 - 1.0)


def _conventional_draws(n: int, horizon: int, seed: int) -> np.ndarray:
    """Random draws of an up-front cost followed by monthly returns (one sign change)."""
    rng = np.random.default_rng(seed)
    net = np.empty((n, horizon + 1))
    net[:, 0] = -rng.uniform(100.0, 1_000.0, n)
    net[:, 1:] = rng.uniform(0.0, 50.0, (n, horizon))
    return net


def test_monthly_rate_compounds_to_the_annual_rate() -> None:
    for annual in (-0.5, 0.0, 0.08, 0.10, 1.0):
        assert (1.0 + monthly_rate(annual)) ** 12 - 1.0 == pytest.approx(annual, abs=1e-14)


def test_monthly_rate_rejects_a_rate_of_minus_100_percent_or_less() -> None:
    with pytest.raises(ValueError, match="annual_rate must be above -1"):
        monthly_rate(-1.0)


def test_discount_factors_are_one_at_t0_and_one_year_of_discount_at_month_12() -> None:
    factors = discount_factors(24, 0.10)
    assert factors.shape == (25,)
    assert factors[0] == 1.0
    assert factors[12] == pytest.approx(1.0 / 1.10, rel=1e-14)
    assert factors[24] == pytest.approx(1.0 / 1.10**2, rel=1e-14)


def test_npv_of_a_constant_monthly_flow_is_the_annuity_formula() -> None:
    flow, horizon, annual = 1_000.0, 60, 0.10
    r = monthly_rate(annual)
    annuity = flow * (1.0 - (1.0 + r) ** -horizon) / r
    schedule = np.r_[0.0, np.full(horizon, flow)]
    assert float(npv(schedule, annual)) == pytest.approx(annuity, rel=1e-12)


def test_npv_matches_numpy_financial_per_draw() -> None:
    # numpy_financial.npv discounts its FIRST value by (1 + r)^0, i.e. it sits at t = 0, which is
    # our convention for column 0; so npf.npv(r_m, row) is our NPV of the row at the annual rate.
    annual = 0.12
    net = np.random.default_rng(7).normal(100.0, 400.0, size=(50, 37))
    reference = np.array([npf.npv(monthly_rate(annual), row) for row in net])
    np.testing.assert_allclose(npv(net, annual), reference, rtol=1e-12, atol=1e-9)


def test_npv_at_a_zero_rate_is_the_plain_sum() -> None:
    net = np.random.default_rng(8).normal(size=(10, 13))
    np.testing.assert_allclose(npv(net, 0.0), net.sum(axis=1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("flows", CONVENTIONAL_FLOWS)
def test_irr_matches_numpy_financial_annualised(flows: list[float]) -> None:
    assert float(irr(flows)) == pytest.approx(_npf_annual_irr(flows), rel=1e-8, abs=1e-12)


def test_irr_over_draws_equals_the_irr_of_each_row() -> None:
    net = _conventional_draws(n=300, horizon=60, seed=11)
    per_row = np.array([float(irr(row)) for row in net])
    np.testing.assert_allclose(irr(net), per_row, rtol=1e-12)


def test_irr_over_draws_matches_numpy_financial() -> None:
    net = _conventional_draws(n=100, horizon=60, seed=12)
    reference = np.array([_npf_annual_irr(row) for row in net])
    np.testing.assert_allclose(irr(net), reference, rtol=1e-8)


def test_irr_discounts_the_net_flow_to_zero() -> None:
    net = _conventional_draws(n=200, horizon=36, seed=13)
    at_irr = np.array([float(npv(row, rate)) for row, rate in zip(net, irr(net), strict=True)])
    np.testing.assert_allclose(at_irr, 0.0, atol=1e-9 * np.abs(net).sum(axis=1).max())


def test_irr_is_zero_when_the_flows_just_pay_back() -> None:
    assert float(irr([-100.0, 50.0, 50.0])) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "flows",
    [
        [0.0, 10.0, 10.0],  # inflows only
        [-10.0, -10.0, 0.0],  # outflows only
        [0.0, 0.0, 0.0],
        [-100.0, 230.0, -132.0],  # two sign changes: both 10% and 20% a month solve it
        [-1.0, np.nan, 3.0],
    ],
)
def test_irr_is_nan_without_exactly_one_sign_change_or_with_nan(flows: list[float]) -> None:
    assert np.isnan(irr(flows))


def _net_payback(net: list[float] | np.ndarray) -> np.ndarray:
    """Payback of a net schedule: its inflows are the value, its outflows the cost."""
    flows = np.asarray(net, dtype=np.float64)
    return payback_months(np.maximum(flows, 0.0), np.maximum(-flows, 0.0))


def test_payback_interpolates_within_the_month() -> None:
    # -100 up front, +60 a month: -40 after month 1, paid back 40/60 into month 2.
    assert float(_net_payback([-100.0, 60.0, 60.0])) == pytest.approx(5.0 / 3.0, rel=1e-12)


def test_payback_is_inf_when_never_reached() -> None:
    assert float(_net_payback([-100.0, 30.0, 30.0, 30.0])) == np.inf


def test_payback_of_a_one_time_cost_and_a_ramp() -> None:
    # cumulative -300, -300, -250, -150, +50: crosses 150/200 into month 4
    flows = [-300.0, 0.0, 50.0, 100.0, 200.0, 200.0]
    assert float(_net_payback(flows)) == pytest.approx(3.75, rel=1e-12)


def test_payback_is_zero_when_the_cumulative_flow_is_never_negative() -> None:
    assert float(_net_payback([0.0, 10.0, 10.0])) == 0.0


def test_payback_counts_from_t0_when_spending_starts_later() -> None:
    # cumulative 0, -100, -40, +20: the first crossing is 40/60 into month 3
    assert float(_net_payback([0.0, -100.0, 60.0, 60.0])) == pytest.approx(8.0 / 3.0, rel=1e-12)


def test_payback_is_the_first_crossing_even_if_the_cumulative_dips_again() -> None:
    # cumulative -100, +50, -150, +150: first back to zero 100/150 into month 1
    flows = [-100.0, 150.0, -200.0, 300.0]
    assert float(_net_payback(flows)) == pytest.approx(2.0 / 3.0, rel=1e-12)


def test_discounted_payback_interpolates_the_discounted_cumulative_flow() -> None:
    annual = 0.25
    d = discount_factors(2, annual)
    remaining_after_month_1 = 100.0 - 60.0 * d[1]
    expected = 1.0 + remaining_after_month_1 / (60.0 * d[2])
    value, cost = np.array([0.0, 60.0, 60.0]), np.array([100.0, 0.0, 0.0])
    got = float(payback_months(value * d, cost * d))
    assert got == pytest.approx(expected, rel=1e-12)


def test_payback_over_draws_equals_the_payback_of_each_row() -> None:
    net = np.array(
        [
            [-100.0, 60.0, 60.0, 0.0],
            [-100.0, 30.0, 30.0, 30.0],
            [0.0, -100.0, 60.0, 60.0],
            [5.0, 1.0, 1.0, 1.0],
        ]
    )
    expected = [5.0 / 3.0, np.inf, 8.0 / 3.0, 0.0]
    np.testing.assert_allclose(_net_payback(net), expected, rtol=1e-12)


def test_worked_example_return_multiple_14_and_net_roi_13() -> None:
    # $2.1M incremental revenue a year against $150K annual cost, paid monthly over a year.
    flows = CashFlows(
        value=np.r_[0.0, np.full(12, 175_000.0)],
        cost=np.r_[0.0, np.full(12, 12_500.0)],
    )
    assert float(flows.total_value) == pytest.approx(2_100_000.0, rel=1e-12)
    assert float(flows.total_cost) == pytest.approx(150_000.0, rel=1e-12)
    assert float(flows.return_multiple) == pytest.approx(14.0, rel=1e-12)
    assert float(flows.net_roi) == pytest.approx(13.0, rel=1e-12)


def test_cashflows_npv_and_irr_are_those_of_the_net_schedule_payback_of_both() -> None:
    value = np.array([[0.0, 80.0, 80.0, 80.0], [0.0, 50.0, 60.0, 70.0]])
    cost = np.array([[150.0, 10.0, 10.0, 10.0], [120.0, 5.0, 5.0, 5.0]])
    flows = CashFlows(value=value, cost=cost)
    net = value - cost
    np.testing.assert_allclose(flows.npv(0.1), npv(net, 0.1), rtol=1e-15)
    np.testing.assert_allclose(flows.irr(), irr(net), rtol=1e-15)
    np.testing.assert_allclose(flows.payback_months(), payback_months(value, cost))


def test_zero_cost_gives_an_infinite_multiple_for_positive_value_and_nan_for_none() -> None:
    flows = CashFlows(
        value=np.array([[0.0, 10.0], [0.0, 0.0], [0.0, -10.0]]),
        cost=np.zeros((3, 2)),
    )
    np.testing.assert_array_equal(flows.return_multiple, [np.inf, np.nan, -np.inf])
    np.testing.assert_array_equal(flows.net_roi, [np.inf, np.nan, -np.inf])


def test_cashflows_rejects_schedules_of_different_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        CashFlows(value=np.zeros((2, 13)), cost=np.zeros((2, 12)))


def test_a_one_dimensional_schedule_is_one_draw() -> None:
    row = np.array(CONVENTIONAL_FLOWS[0])
    assert npv(row, 0.1).shape == ()
    assert irr(row).shape == ()
    assert _net_payback(row).shape == ()
    assert float(irr(row)) == float(irr(row[None, :])[0])


def test_break_even_scale_is_cost_over_value() -> None:
    np.testing.assert_allclose(break_even_scale([400.0, 50.0], [100.0, 100.0]), [0.25, 2.0])


def test_break_even_scale_is_inf_without_positive_value() -> None:
    np.testing.assert_array_equal(break_even_scale([0.0, -5.0], [100.0, 100.0]), [np.inf, np.inf])


@st.composite
def _value_and_cost(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(st.tuples(st.integers(1, 5), st.integers(1, 61)))
    money = st.one_of(st.just(0.0), st.floats(1.0, 1e6))
    value = draw(arrays(np.float64, shape, elements=money))
    cost = draw(arrays(np.float64, shape, elements=money))
    value[:, -1] += 1.0  # some value in every draw, so its present value is positive
    return value, cost


@settings(max_examples=200, deadline=None)
@given(flows=_value_and_cost(), annual=st.floats(-0.5, 0.5))
def test_value_scaled_by_break_even_scale_has_zero_npv(
    flows: tuple[np.ndarray, np.ndarray], annual: float
) -> None:
    value, cost = flows
    cost_pv = npv(cost, annual)
    scale = break_even_scale(npv(value, annual), cost_pv)
    scaled = CashFlows(value=scale[:, None] * value, cost=cost)
    # zero relative to the present value of the cost (exactly zero when there is no cost)
    assert np.all(np.abs(scaled.npv(annual)) <= 1e-6 * cost_pv)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(finance).failed == 0


@pytest.mark.parametrize(
    ("value", "cost", "expected"),
    [
        ([0.0, 175_000.0], [0.0, 12_500.0], 12_500 / 175_000),  # costs paid at the month's start
        ([0.0, 60.0, 60.0, 60.0], [100.0, 0.0, 0.0, 0.0], 1 + 40 / 60),  # same as the net rule
        ([0.0, 60.0, 60.0, 60.0], [100.0, 10.0, 10.0, 10.0], 2.0),
        ([0.0, 10.0, 10.0], [100.0, 0.0, 0.0], math.inf),  # never covered
        ([0.0, 5.0, 5.0], [0.0, 0.0, 0.0], 0.0),  # nothing owed
    ],
)
def test_payback_from_value_and_cost_schedules(
    value: list[float], cost: list[float], expected: float
) -> None:
    assert float(payback_months(value, cost)) == pytest.approx(expected, rel=1e-12)


def test_payback_split_is_vectorised_over_draws() -> None:
    value = np.array([[0.0, 60.0, 60.0, 60.0], [0.0, 10.0, 10.0, 10.0]])
    cost = np.array([[100.0, 10.0, 10.0, 10.0], [100.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(payback_months(value, cost), [2.0, math.inf])
