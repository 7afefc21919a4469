"""Invariants of the adjustment estimators: swapping the arms negates every ATE (with the same
standard error); shifting the outcome leaves every effect unchanged; scaling it scales them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_adjust_data import COVARIATES, users
from mlroi.causal.adjust_fit import fit_adjustment
from mlroi.causal.adjust_rows import ArrayReducer


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(300, 1500))
def test_swapping_the_arms_negates_every_ate(seed: int, n: int) -> None:
    x, t, y = users(n, 1.5, np.random.default_rng(seed))
    a = fit_adjustment(ArrayReducer(x, t, y), COVARIATES)
    b = fit_adjustment(ArrayReducer(x, 1.0 - t, y), COVARIATES)
    for name, e in a.estimates["ate"].items():
        assert b.estimates["ate"][name].estimate == pytest.approx(-e.estimate, rel=1e-7, abs=1e-9)
        assert b.estimates["ate"][name].std_error == pytest.approx(e.std_error, rel=1e-7)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shift=st.floats(-1e3, 1e3),
    scale=st.floats(0.01, 100.0),
)
def test_effects_move_with_the_outcomes_units_not_its_origin(
    seed: int, shift: float, scale: float
) -> None:
    x, t, y = users(800, 1.5, np.random.default_rng(seed))
    a = fit_adjustment(ArrayReducer(x, t, y), COVARIATES)
    b = fit_adjustment(ArrayReducer(x, t, scale * y + shift), COVARIATES)
    for est in ("att", "ate"):
        for name, e in a.estimates[est].items():
            got = b.estimates[est][name]
            assert got.estimate == pytest.approx(scale * e.estimate, rel=1e-6, abs=1e-6 * scale)
            assert got.std_error == pytest.approx(scale * e.std_error, rel=1e-6)
