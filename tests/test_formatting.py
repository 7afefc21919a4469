"""The one formatter: numbers in sentences read the same wherever a layer writes them."""

from __future__ import annotations

import math

from mlroi import formatting as fmt


def test_a_number_in_a_sentence_has_four_significant_digits_and_no_trailing_zeros() -> None:
    assert fmt.number(421.2999) == "421.3"
    assert fmt.number(0.0125) == "0.0125"
    assert fmt.number(12_345.6) == "12,346"
    assert fmt.number(3_000_000.0) == "3,000,000"


def test_a_value_close_to_its_limit_gets_the_digits_that_tell_them_apart() -> None:
    assert fmt.distinct(0.0050004, 0.005) == "0.0050004"
    assert fmt.distinct(0.005, 0.005) == "0.005"


def test_a_threshold_always_has_the_same_significant_digits() -> None:
    assert fmt.threshold(0.16326912) == "0.1633"
    assert fmt.threshold(math.inf) == "none (act on nobody)"  # never "inf" as a number
    assert fmt.THRESHOLD_DIGITS == 4


def test_a_tiny_p_value_reads_below_the_floor_never_zero_or_scientific() -> None:
    assert fmt.p_value(3.95e-194) == "< 0.0001"
    assert fmt.p_value(0.0) == "< 0.0001"
    assert fmt.p_value(0.0123) == "0.0123"
    assert fmt.p_equals(0.0) == "p < 0.0001"
    assert fmt.p_equals(0.25) == "p = 0.25"
    assert fmt.p_equals(1e-9, "srm_p") == "srm_p < 0.0001"


def test_a_share_too_small_to_show_reads_below_the_smallest_step() -> None:
    assert fmt.share(0.0002) == "< 0.1%"
    assert fmt.share(0.004, 0) == "< 1%"
    assert fmt.share(0.0) == "0.0%"
    assert fmt.share(0.26) == "26.0%"


def test_non_finite_figures_are_never_written_as_numbers() -> None:
    nan = math.nan
    for text in (
        fmt.p_value(nan),
        fmt.share(nan),
        fmt.number(nan),
        fmt.value(nan),
        fmt.money(nan),
        fmt.count(nan),
        fmt.multiple(nan),
        fmt.probability(nan),
        fmt.delta(nan),
        fmt.score(nan),
        fmt.rate(-math.inf),
    ):
        assert text == "—"
    assert fmt.number(math.inf) == "∞"


def test_a_huge_figure_is_written_in_three_digits_not_three_hundred() -> None:
    for text in (
        fmt.value(1.234e300),
        fmt.number(1.234e300),
        fmt.count(1.234e300),
        fmt.money(1.234e300),
        fmt.money(1.234e300, exact=True),
        fmt.multiple(1.234e300),
        fmt.signed(1.234e300),
    ):
        assert "1.23e+300" in text and len(text) < 14, text
    assert fmt.percent(1.234e300) == "+1.23e+302%"
