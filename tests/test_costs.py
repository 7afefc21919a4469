"""Cost items, the rate card and the cost schedule: each kind's amount by hand, timing, the rate
card's date and overrides, and clear errors for bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from mlroi.costs import (
    CostItem,
    RateCardError,
    RateCardOverride,
    cost_parameters,
    cost_schedule,
    describe_item,
    load_rate_card,
    packaged_rate_card,
)
from mlroi.errors import SpecError
from mlroi.spec.quantity import Range, draw

ITEMS = TypeAdapter(list[CostItem])
CARD = packaged_rate_card()


def items(*specs: dict[str, Any]) -> list[CostItem]:
    """Cost items as a case file would give them."""
    return ITEMS.validate_python([{"name": f"item {i}", **s} for i, s in enumerate(specs)])


def month_1(*specs: dict[str, Any]) -> float:
    """Total cost in month 1 of a 12-month horizon, at point values."""
    return float(cost_schedule(items(*specs), 12, CARD).total[0, 1])


def test_gpu_cost_is_hours_times_the_rate_card_price() -> None:
    assert CARD.gpu_hour["a100-40gb"] == pytest.approx(3.67)
    assert month_1({"kind": "gpu", "gpu": "a100-40gb", "hours": 200}) == pytest.approx(200 * 3.67)


def test_gpu_cost_with_its_own_rate() -> None:
    assert month_1({"kind": "gpu", "rate_per_hour": 2.5, "hours": 100}) == pytest.approx(250.0)


def test_inference_cost_is_thousands_of_requests_times_the_tier_price() -> None:
    spec = {"kind": "inference", "tier": "gpu-realtime-p99-50ms", "requests": 30_000_000}
    expected = 30_000 * CARD.inference_per_1k["gpu-realtime-p99-50ms"]
    assert month_1(spec) == pytest.approx(expected)


def test_inference_at_a_tighter_latency_target_costs_more() -> None:
    prices = CARD.inference_per_1k
    assert prices["cpu-batch"] < prices["cpu-realtime-p99-100ms"]
    assert prices["gpu-realtime-p99-50ms"] < prices["gpu-realtime-p99-20ms"]


def test_cpu_cost_is_vcpu_hours_times_the_price() -> None:
    expected = 5000 * CARD.cpu_hour["vcpu"]
    assert month_1({"kind": "cpu", "cpu": "vcpu", "vcpu_hours": 5000}) == pytest.approx(expected)


def test_storage_cost_is_tb_times_the_monthly_price() -> None:
    spec = {"kind": "storage", "storage_class": "object-standard", "tb": 12}
    assert month_1(spec) == pytest.approx(12 * 23.0)


def test_people_cost_is_a_twelfth_of_fte_times_salary_times_share() -> None:
    spec = {"kind": "people", "fte": 2, "loaded_salary": 210_000, "share": 0.5}
    assert month_1(spec) == pytest.approx(2 * 210_000 * 0.5 / 12)


def test_fixed_monthly_cost() -> None:
    assert month_1({"kind": "fixed", "category": "maintenance", "amount": 1500}) == 1500.0


def test_build_cost_is_paid_once_at_t0_by_default() -> None:
    schedule = cost_schedule(items({"kind": "build", "amount": 120_000}), 12, CARD)
    np.testing.assert_allclose(schedule.total[0], [120_000] + [0.0] * 12)


def test_build_cost_at_a_later_month() -> None:
    schedule = cost_schedule(items({"kind": "build", "amount": 50, "month": 3}), 6, CARD)
    np.testing.assert_allclose(schedule.total[0], [0, 0, 0, 50, 0, 0, 0])


def test_yearly_items_are_paid_in_months_1_and_13() -> None:
    spec = {"kind": "fixed", "category": "licence", "amount": 24_000, "every": "year"}
    total = cost_schedule(items(spec), 24, CARD).total[0]
    assert np.flatnonzero(total).tolist() == [1, 13]
    assert total.sum() == pytest.approx(48_000)


def test_one_time_fixed_item_is_paid_at_its_month() -> None:
    spec = {"kind": "fixed", "category": "other", "amount": 7, "every": "once", "month": 5}
    total = cost_schedule(items(spec), 12, CARD).total[0]
    assert np.flatnonzero(total).tolist() == [5]


def test_start_and_end_months_limit_an_item_inclusively() -> None:
    spec = {"kind": "fixed", "category": "maintenance", "amount": 10}
    total = cost_schedule(items({**spec, "start_month": 3, "end_month": 5}), 8, CARD).total[0]
    np.testing.assert_allclose(total, [0, 0, 0, 10, 10, 10, 0, 0, 0])


def test_an_item_past_the_horizon_is_an_error() -> None:
    spec = {"kind": "fixed", "category": "maintenance", "amount": 10, "start_month": 30}
    with pytest.raises(SpecError, match=r"costs\[0\].*month 30.*24-month horizon"):
        cost_schedule(items(spec), 24, CARD)


def test_categories_add_up_to_the_total() -> None:
    schedule = cost_schedule(
        items(
            {"kind": "gpu", "gpu": "t4", "hours": 10},
            {"kind": "inference", "cost_per_1k": 0.1, "requests": 1000},
            {"kind": "build", "amount": 100},
        ),
        3,
        CARD,
    )
    assert schedule.by_category is not None
    assert sorted(schedule.by_category) == ["build", "compute"]
    np.testing.assert_allclose(sum(schedule.by_category.values()), schedule.total[0])
    np.testing.assert_allclose(schedule.by_category["compute"], [0] + [10 * 0.53 + 0.1] * 3)


def test_the_rate_card_date_appears_only_when_the_card_was_used() -> None:
    used = cost_schedule(items({"kind": "gpu", "gpu": "l4", "hours": 1}), 3, CARD)
    own = cost_schedule(items({"kind": "gpu", "rate_per_hour": 1, "hours": 1}), 3, CARD)
    assert used.rate_card_date == "2026-11-01"
    assert own.rate_card_date is None


def test_an_override_wins_over_the_packaged_price_and_keeps_the_rest() -> None:
    card = load_rate_card(RateCardOverride(gpu_hour={"a100-40gb": 2.0, "mi300x": 3.0}))
    assert card.gpu_hour["a100-40gb"] == 2.0
    assert card.gpu_hour["mi300x"] == 3.0
    assert card.gpu_hour["t4"] == CARD.gpu_hour["t4"]


def test_an_override_without_a_date_says_the_card_was_changed() -> None:
    card = load_rate_card(RateCardOverride(storage_tb_month={"object-standard": 20.0}))
    schedule = cost_schedule(
        items({"kind": "storage", "storage_class": "object-standard", "tb": 1}), 1, card
    )
    assert schedule.rate_card_date == "2026-11-01 (packaged) + case overrides"
    assert schedule.total[0, 1] == 20.0


def test_an_override_with_a_date_shows_its_date() -> None:
    override = RateCardOverride.model_validate({"date": "2027-01-15", "gpu_hour": {"t4": 0.4}})
    assert load_rate_card(override).date == "2027-01-15"


def test_an_override_in_another_currency_replaces_the_packaged_card() -> None:
    card = load_rate_card(RateCardOverride(currency="EUR", gpu_hour={"t4": 0.5}))
    assert card.currency == "EUR"
    assert card.gpu_hour == {"t4": 0.5}


def test_a_rate_card_in_another_currency_than_the_case_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"costs\[0\].*rate card in USD.*currency is EUR"):
        cost_schedule(items({"kind": "gpu", "gpu": "t4", "hours": 1}), 3, CARD, currency="EUR")


def test_an_unknown_gpu_type_suggests_the_closest_names() -> None:
    with pytest.raises(RateCardError) as caught:
        cost_schedule(
            items(
                {"kind": "gpu", "rate_per_hour": 1, "hours": 1},
                {"kind": "gpu", "gpu": "a100", "hours": 1},
            ),
            3,
            CARD,
        )
    message = str(caught.value)
    assert message.startswith('unknown GPU type "a100" in costs[1].gpu; did you mean "a100-40gb"')
    assert "known: a100-40gb, a100-80gb" in message


def test_an_unknown_rate_card_name_is_a_spec_error_and_a_value_error() -> None:
    with pytest.raises(RateCardError) as caught:
        CARD.lookup("storage_tb_month", "object-standart", "costs[0].storage_class")
    assert isinstance(caught.value, SpecError)
    assert isinstance(caught.value, ValueError)
    assert 'did you mean "object-standard"' in str(caught.value)


def test_a_negative_amount_is_an_error_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"hours must be at least 0, got -5"):
        items({"kind": "gpu", "gpu": "t4", "hours": -5})


def test_a_share_above_one_is_an_error_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"share must be between 0 and 1, got 1.5"):
        items({"kind": "people", "fte": 1, "loaded_salary": 100_000, "share": 1.5})


def test_a_range_reaching_below_zero_is_an_error_naming_the_field() -> None:
    bad = {"low": -10, "likely": 5, "high": 20}
    with pytest.raises(
        ValidationError, match=r"amount must be at least 0, but its range reaches -10"
    ):
        items({"kind": "build", "amount": bad})


def test_a_negative_rate_card_price_is_an_error_naming_the_entry() -> None:
    with pytest.raises(SpecError, match=r"^RateCardOverride: gpu_hour\.t4: Input should be"):
        RateCardOverride(gpu_hour={"t4": -1.0})


def test_an_item_needs_either_a_rate_card_name_or_its_own_price() -> None:
    with pytest.raises(ValidationError, match=r"give `gpu` .* or `rate_per_hour`"):
        items({"kind": "gpu", "hours": 1})
    with pytest.raises(ValidationError, match="not both"):
        items({"kind": "gpu", "hours": 1, "gpu": "t4", "rate_per_hour": 1})


def test_storage_and_people_are_monthly_by_nature() -> None:
    with pytest.raises(ValidationError, match="every"):
        items({"kind": "storage", "storage_class": "block-ssd", "tb": 1, "every": "year"})


def test_parameters_are_keyed_by_item_and_field() -> None:
    hours = Range(low=100, likely=200, high=400)
    keys = cost_parameters(
        items({"kind": "gpu", "gpu": "t4", "hours": hours}, {"kind": "build", "amount": 5})
    )
    assert keys == {"costs[0].hours": hours, "costs[1].amount": 5.0}


def test_drawn_parameters_flow_through_to_the_pert_mean() -> None:
    hours = Range(low=100, likely=200, high=400)
    cost = items({"kind": "gpu", "gpu": "a100-40gb", "hours": hours})
    n = 100_000
    params = {"costs[0].hours": draw(hours, np.random.default_rng(7), n)}
    schedule = cost_schedule(cost, 12, CARD, params=params, n=n)
    assert schedule.total.shape == (n, 13)
    assert schedule.by_item is None
    pert_mean = (100 + 4 * 200 + 400) / 6
    assert schedule.total[:, 1].mean() == pytest.approx(pert_mean * 3.67, rel=0.01)


def test_the_point_schedule_equals_the_one_draw_schedule_at_point_values() -> None:
    cost = items(
        {"kind": "gpu", "gpu": "a100-40gb", "hours": {"low": 100, "likely": 200, "high": 400}},
        {"kind": "people", "fte": {"low": 1, "high": 3}, "loaded_salary": 180_000},
    )
    point = cost_schedule(cost, 12, CARD)
    drawn = cost_schedule(
        cost,
        12,
        CARD,
        params={"costs[0].hours": np.array([200.0]), "costs[1].fte": np.array([2.0])},
    )
    np.testing.assert_array_equal(point.total, drawn.total)
    np.testing.assert_allclose(point.total[0, 1], 200 * 3.67 + 2 * 180_000 / 12)


def test_describe_item_shows_the_rate_card_name_and_date() -> None:
    (gpu,) = items({"kind": "gpu", "gpu": "a100-40gb", "hours": 200})
    text = describe_item(gpu, CARD)
    assert text == "200 GPU-h x $3.67/h (a100-40gb, rate card 2026-11-01) per month"
