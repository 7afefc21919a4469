"""The ROI engine: worked example, Monte Carlo behaviour, break-even, sensitivity, bad input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from mlroi.pipeline import evaluate
from mlroi.roi.engine import roi_from_lifts
from mlroi.spec.case import Case


def case_dict(**changes: Any) -> dict[str, Any]:
    """A case with a hand-entered lift: $175K a month against $12.5K of cost, for 12 months."""
    base: dict[str, Any] = {
        "name": "worked example",
        "goal": "increase revenue",
        "intervention": "show recommendations",
        "population": {"description": "all users"},
        "primary_metric": "incremental revenue",
        "value": {
            "drivers": [
                {
                    "name": "incremental revenue",
                    "lift": {"estimate": 175_000.0},
                    "per": "month",
                    "units_per_month": 1,
                }
            ]
        },
        "costs": [
            {
                "kind": "fixed",
                "name": "run cost",
                "category": "maintenance",
                "amount": 12_500.0,
                "every": "month",
            }
        ],
        "finance": {"currency": "USD", "horizon_months": 12, "discount_rate": 0.0},
        "simulation": {"draws": 20_000, "seed": 1},
    }
    for key, value in changes.items():
        base[key] = value
    return base


def run(**changes: Any) -> Any:
    return evaluate(Case.model_validate(case_dict(**changes)))


def test_worked_example_is_a_return_multiple_of_14_and_a_net_roi_of_13() -> None:
    # $2.1M incremental revenue a year against $150K annual cost (the method's worked example)
    r = run()
    assert r.total_value.estimate == pytest.approx(2_100_000, rel=1e-12)
    assert r.total_cost.estimate == pytest.approx(150_000, rel=1e-12)
    assert r.return_multiple.estimate == pytest.approx(14.0, rel=1e-12)
    assert r.net_roi.estimate == pytest.approx(13.0, rel=1e-12)


def test_without_uncertain_inputs_every_interval_collapses_to_the_point() -> None:
    r = run()
    for e in (r.total_value, r.total_cost, r.return_multiple, r.net_roi, r.npv, r.payback_months):
        assert e.lower == pytest.approx(e.estimate, rel=1e-12)
        assert e.upper == pytest.approx(e.estimate, rel=1e-12)
    assert r.p_net_roi_positive == 1.0
    assert r.sensitivity == ()


def test_a_normal_lift_gives_the_analytic_interval_of_value() -> None:
    lift = {"estimate": 175_000.0, "interval": [125_000.0, 225_000.0], "level": 0.95}
    drivers = [{"name": "incremental revenue", "lift": lift, "per": "month", "units_per_month": 1}]
    r = evaluate(
        Case.model_validate(
            case_dict(value={"drivers": drivers}, simulation={"draws": 200_000, "seed": 3})
        )
    )
    sd_month = (225_000 - 125_000) / (2 * stats.norm.ppf(0.975))
    sd_total = 12 * sd_month  # one lift draw scales every month
    z = stats.norm.ppf(0.95)  # 90% interval
    assert r.total_value.lower == pytest.approx(2_100_000 - z * sd_total, rel=0.005)
    assert r.total_value.upper == pytest.approx(2_100_000 + z * sd_total, rel=0.005)
    p_loss = stats.norm.cdf((150_000 - 2_100_000) / sd_total)
    assert r.p_net_roi_positive == pytest.approx(1 - p_loss, abs=1e-3)


def test_the_same_seed_gives_byte_identical_json() -> None:
    lift = {"estimate": {"low": 100_000.0, "likely": 175_000.0, "high": 200_000.0}}
    drivers = [{"name": "incremental revenue", "lift": lift, "per": "month", "units_per_month": 1}]
    a = run(value={"drivers": drivers}).to_json()
    b = run(value={"drivers": drivers}).to_json()
    assert a == b
    c = run(value={"drivers": drivers}, simulation={"draws": 20_000, "seed": 2}).to_json()
    assert a != c


def test_break_even_lift_makes_npv_zero() -> None:
    r = run(finance={"currency": "USD", "horizon_months": 24, "discount_rate": 0.1})
    b = r.break_even
    assert b.lift is not None
    moved = run(
        value={
            "drivers": [
                {
                    "name": "incremental revenue",
                    "lift": {"estimate": b.lift},
                    "per": "month",
                    "units_per_month": 1,
                }
            ]
        },
        finance={"currency": "USD", "horizon_months": 24, "discount_rate": 0.1},
    )
    assert moved.npv.estimate == pytest.approx(0.0, abs=1e-6 * r.total_cost.estimate)
    # break-even cost: every cost line scaled until NPV = 0
    assert b.cost_multiple is not None
    assert b.cost_multiple == pytest.approx(
        r.total_value.estimate / r.total_cost.estimate, rel=1e-12
    )


def test_payback_of_the_worked_example_is_the_part_of_month_one_its_cost_needs() -> None:
    # $12.5K paid at the start of month 1, $175K earned evenly through it
    r = run()
    assert r.payback_months.estimate == pytest.approx(12_500 / 175_000, rel=1e-12)


def test_sensitivity_ranks_the_input_that_moves_npv_most_first() -> None:
    drivers = [
        {
            "name": "incremental revenue",
            "lift": {"estimate": 175_000.0},
            "per": "month",
            "units_per_month": 1,
            "margin": {"low": 0.2, "likely": 0.3, "high": 0.4},
        }
    ]
    costs = [
        {
            "kind": "fixed",
            "name": "run cost",
            "category": "maintenance",
            "amount": {"low": 12_000.0, "likely": 12_500.0, "high": 13_000.0},
            "every": "month",
        }
    ]
    r = run(value={"drivers": drivers}, costs=costs)
    assert [s.parameter for s in r.sensitivity] == [
        "value.drivers[0].margin",
        "costs[0].amount",
    ]
    top = r.sensitivity[0]
    # value at margin 0.2 and 0.4 over 12 months, cost at its point; discount rate 0
    assert top.npv_low == pytest.approx(2_100_000 * 0.2 - 150_000, rel=1e-12)
    assert top.npv_high == pytest.approx(2_100_000 * 0.4 - 150_000, rel=1e-12)


def test_ramp_decay_and_growth_shape_the_monthly_value() -> None:
    value = {
        "drivers": [
            {
                "name": "incremental revenue",
                "lift": {"estimate": 100.0},
                "per": "month",
                "units_per_month": 1,
            }
        ],
        "start_month": 2,
        "ramp_months": 2,
        "decay": 0.5,
        "growth": 0.2,
    }
    r = run(value=value)
    months = np.array([p.value for p in r.schedule])
    t = np.arange(13)
    expected = np.where(
        t >= 2,
        100 * np.minimum(1, (t - 1) / 2) * 0.5 ** ((t - 2) / 12) * 1.2 ** ((t - 1) / 12),
        0,
    )
    np.testing.assert_allclose(months, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"finance": {"currency": "USD", "horizon_months": 0}}, "horizon_months"),
        ({"finance": {"horizon_months": 12}}, "currency"),
        (
            {
                "costs": [
                    {
                        "kind": "fixed",
                        "name": "x",
                        "category": "maintenance",
                        "amount": -5.0,
                        "every": "month",
                    }
                ]
            },
            "amount",
        ),
        (
            {
                "value": {
                    "drivers": [
                        {
                            "name": "r",
                            "lift": {"estimate": 1.0},
                            "per": "month",
                            "units_per_month": 1,
                            "margin": 1.3,
                        }
                    ]
                }
            },
            "margin",
        ),
        (
            {
                "value": {
                    "drivers": [{"name": "r", "lift": {"metric": "revenue"}, "units_per_month": 1}]
                }
            },
            "experiment",
        ),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Case.model_validate(case_dict(**changes))


def test_a_manual_lift_outside_its_interval_is_rejected() -> None:
    drivers = [
        {
            "name": "r",
            "lift": {"estimate": 5.0, "interval": [1.0, 2.0]},
            "per": "month",
            "units_per_month": 1,
        }
    ]
    with pytest.raises(ValidationError, match="outside its interval"):
        Case.model_validate(case_dict(value={"drivers": drivers}))


def test_headline_reads_in_plain_words() -> None:
    drivers = [
        {
            "name": "incremental revenue",
            "lift": {"estimate": 175_000.0, "interval": [150_000.0, 200_000.0]},
            "per": "month",
            "units_per_month": 1,
        }
    ]
    r = run(value={"drivers": drivers})
    text = r.headline()
    assert text.startswith("For every $1 spent, $14.00 came back (90% interval $")
    assert "P(net ROI > 0) > 99.9%" in text
    assert math.isfinite(r.payback_months.estimate)


def test_break_even_of_a_driver_booked_as_cost_is_an_upper_bound() -> None:
    # value 1,000/month; a measured cost of 0.2 x 1,000/month; build 1,200; 12 months, r = 0
    drivers = [
        {"name": "value", "lift": {"estimate": 1.0}, "per": "month", "units_per_month": 1000},
        {
            "name": "disc",
            "lift": {"estimate": 0.2},
            "per": "month",
            "units_per_month": 1000,
            "counts_as": "cost",
        },
    ]
    costs = [{"kind": "build", "name": "build", "amount": 1_200.0}]
    r = run(value={"drivers": drivers}, costs=costs, primary_metric="disc")
    # NPV = 12,000 - 1,200 - 12,000 x lift = 0 at lift 0.9
    assert r.break_even.lift == pytest.approx(0.9, rel=1e-12)
    assert r.break_even.direction == "at most"
    assert r.total_cost.estimate == pytest.approx(1_200 + 0.2 * 12_000, rel=1e-12)


def test_a_cost_driver_does_not_decay_with_the_effect() -> None:
    drivers = [
        {"name": "value", "lift": {"estimate": 1.0}, "per": "month", "units_per_month": 1000},
        {
            "name": "disc",
            "lift": {"estimate": 0.2},
            "per": "month",
            "units_per_month": 1000,
            "counts_as": "cost",
        },
    ]
    r = run(
        value={"drivers": drivers, "decay": 0.5, "ramp_months": 3},
        primary_metric="value",
        costs=[{"kind": "build", "name": "build", "amount": 1.0}],
    )
    costs = [p.cost for p in r.schedule]
    assert costs[1:] == pytest.approx([200.0] * 12, rel=1e-12)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "value": {
                    "drivers": [
                        {
                            "name": "d",
                            "lift": {"estimate": 0.2},
                            "per": "month",
                            "units_per_month": 1,
                            "counts_as": "cost",
                            "margin": 0.3,
                        }
                    ]
                }
            },
            "takes no margin",
        ),
        (
            {
                "value": {
                    "drivers": [
                        {
                            "name": "incremental revenue",
                            "lift": {"estimate": 1.0},
                            "per": "month",
                            "units_per_month": 1,
                        }
                    ],
                    "start_month": 15,
                }
            },
            "after the 12-month horizon",
        ),
        ({"finance": {"currency": "usd", "horizon_months": 12}}, "ISO 4217"),
        (
            {
                "value": {
                    "drivers": [
                        {
                            "name": "r",
                            "lift": {"estimate": 1.0, "interval": [0.5, math.inf]},
                            "per": "month",
                            "units_per_month": 1,
                        }
                    ]
                }
            },
            "finite",
        ),
    ],
)
def test_more_bad_input_names_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Case.model_validate(case_dict(**changes))


def test_the_engine_takes_one_resolved_lift_per_driver() -> None:
    with pytest.raises(ValueError, match="one per value driver"):
        roi_from_lifts(Case.model_validate(case_dict()), [])
