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
    assert fmt.threshold(math.inf) == "+inf"
    assert fmt.THRESHOLD_DIGITS == 4
