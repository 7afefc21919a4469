"""Bootstrap intervals of attribution credits and the reconciliation with the causal lift,
against closed forms (stated tolerances: Monte Carlo error of the resamples drawn)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlroi.attribution.analysis import _influenced, reconcile
from mlroi.attribution.bootstrap import bootstrap
from mlroi.attribution.config import MarkovSettings
from mlroi.attribution.heuristics import heuristic
from mlroi.attribution.paths import Journey, path_table
from mlroi.backend.attribution import Influenced
from mlroi.stats.interval import Interval


def journeys(seed: int, n: int = 400) -> list[Journey]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        chans = list(rng.choice(["a", "b", "c"], int(rng.integers(1, 4))))
        converted = bool(rng.random() < 0.5)
        out.append(Journey(chans, float(rng.gamma(2.0, 20.0)), converted))
    return out


def test_the_last_click_bootstrap_error_is_the_poisson_bootstrap_closed_form() -> None:
    # Poisson(1) weights per journey: Var(sum of w_j v_j) = sum of v_j^2 over the channel's journeys
    items = journeys(1)
    table = path_table(items)
    draws = bootstrap(table, ["last_click"], MarkovSettings(), resamples=3000, seed=7)
    se = draws.value["last_click"].std(axis=0, ddof=1)
    for c, name in enumerate(table.channels):
        want = math.sqrt(sum(j.value**2 for j in items if j.converted and j.channels[-1] == name))
        assert se[c] == pytest.approx(want, rel=0.06)  # 3000 resamples: sd of an sd ~1.3%
    point = heuristic(table, "last_click").value
    assert draws.value["last_click"].mean(axis=0) == pytest.approx(point, rel=0.02)


def test_every_resample_conserves_credit_for_every_model() -> None:
    table = path_table(journeys(2, 150))
    models = ["last_click", "linear", "position_based", "markov", "shapley"]
    draws = bootstrap(table, models, MarkovSettings(), resamples=50, seed=1)  # type: ignore[arg-type]
    totals = {m: draws.value[m].sum(axis=1) for m in models}
    for m in models[1:]:
        np.testing.assert_allclose(totals[m], totals["last_click"], rtol=1e-9)


def test_the_same_seed_gives_the_same_draws() -> None:
    table = path_table(journeys(3, 100))
    a = bootstrap(table, ["markov"], MarkovSettings(), resamples=20, seed=5)
    b = bootstrap(table, ["markov"], MarkovSettings(), resamples=20, seed=5)
    np.testing.assert_array_equal(a.value["markov"], b.value["markov"])


def test_influenced_revenue_interval_is_the_bootstrap_of_a_sum_over_users() -> None:
    rng = np.random.default_rng(4)
    per_user = np.where(rng.random(2000) < 0.2, rng.gamma(2.0, 30.0, 2000), 0.0)
    got = Influenced(float(per_user.sum()), 400.0, 2000.0, float((per_user**2).sum()))
    (row,) = _influenced(None, got, ("", "24 hours"), 0.9)
    resampled = [per_user[rng.integers(0, 2000, 2000)].sum() for _ in range(4000)]
    assert row.revenue.std_error == pytest.approx(float(np.std(resampled)), rel=0.05)
    assert row.revenue.estimate == pytest.approx(per_user.sum())


def test_the_incrementality_factor_matches_the_delta_method_for_small_errors() -> None:
    influenced = Interval(1000.0, math.nan, math.nan, 20.0)
    incremental = Interval(150.0, 130.0, 170.0, 10.0)
    r = reconcile(influenced, incremental, "by hand", seed=3, level=0.9)
    ratio = 0.15
    se = ratio * math.sqrt((10 / 150) ** 2 + (20 / 1000) ** 2)
    assert r.factor.estimate == pytest.approx(ratio)
    assert r.factor.std_error == pytest.approx(se, rel=0.03)
    assert r.factor.lower == pytest.approx(ratio - 1.6449 * se, rel=0.03)
    assert r.adjusted_last_click.estimate == pytest.approx(150.0)


def test_no_influenced_revenue_leaves_the_factor_undefined() -> None:
    from mlroi.errors import EstimationError

    with pytest.raises(EstimationError, match="factor is undefined"):
        reconcile(
            Interval(0.0, 0.0, 0.0, 0.0), Interval(1.0, 0.0, 2.0, 0.5), "x", seed=1, level=0.9
        )


def test_a_by_hand_incremental_interval_is_restated_at_the_results_level() -> None:
    from mlroi.attribution.analysis import incremental_revenue
    from mlroi.attribution.config import Incremental

    spec = Incremental(estimate=100.0, interval=(60.0, 140.0), level=0.95)
    iv, source = incremental_revenue(spec, None, level=0.9)
    se = 40.0 / 1.959964
    assert iv.std_error == pytest.approx(se, rel=1e-5)
    assert (iv.lower, iv.upper) == pytest.approx(
        (100 - 1.644854 * se, 100 + 1.644854 * se), rel=1e-5
    )
    assert source == "given by hand"
