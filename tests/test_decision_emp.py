"""Maximum profit and expected maximum profit for churn (Verbraken et al. 2013).

The reference vectors (``tests/data/emp_vectors.json``, provenance in ``tests/data/EMP_NOTES.md``)
are empulse's published test values and values generated with empulse 0.13.1. The other tests
check the definition directly: MP against a brute-force scan of every threshold, EMP against
numerical integration of MP over the Beta density, and closed forms for a perfect and an
uninformative model.
"""

from __future__ import annotations

import doctest
import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, stats

from mlroi.decision import emp as emp_module
from mlroi.decision.emp import Emp, MaxProfit, emp_churn, max_profit_churn

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "emp_vectors.json").read_text()
)
DATASETS: dict[str, tuple[NDArray[np.float64], NDArray[np.int64]]] = {
    name: (np.array(d["scores"], dtype=np.float64), np.array(d["labels"], dtype=np.int64))
    for name, d in VECTORS["datasets"].items()
}


def _case_id(case: dict[str, Any]) -> str:
    params = ",".join(f"{k}={v}" for k, v in case["params"].items()) or "defaults"
    return f"{case['source']}-{case['dataset']}-{case['measure']}-{params}"


@pytest.mark.parametrize("case", VECTORS["cases"], ids=_case_id)
def test_reproduces_reference_vectors(case: dict[str, Any]) -> None:
    """Every published and empulse-generated vector, value and fraction, to 1e-9 (got < 1e-13)."""
    scores, labels = DATASETS[case["dataset"]]
    if case["measure"] == "emp":
        result = emp_churn(scores, labels, **case["params"])
        got = (result.emp, result.fraction_targeted)
    else:
        profit, fraction = max_profit_churn(scores, labels, **case["params"])
        got = (profit, fraction)
    assert got == pytest.approx((case["value"], case["fraction_targeted"]), rel=0, abs=1e-9)


def _brute_force_max_profit(
    scores: NDArray[np.float64],
    labels: NDArray[np.int64],
    clv: float,
    incentive: float,
    contact: float,
    accept: float,
) -> tuple[float, float]:
    """Profit of targeting ``scores >= t`` for every distinct ``t`` (and no one); the first best."""
    n = labels.shape[0]
    benefit = accept * (clv - incentive) - contact
    cost = incentive + contact
    best_total, best_targeted = 0.0, 0
    for t in np.unique(scores)[::-1]:
        targeted = scores >= t
        churners = int(labels[targeted].sum())
        total = benefit * churners - cost * (int(targeted.sum()) - churners)
        if total > best_total:
            best_total, best_targeted = total, int(targeted.sum())
    return best_total / n, best_targeted / n


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=2, max_size=60).filter(
        lambda rows: 0 < sum(y for _, y in rows) < len(rows)
    ),
    clv=st.integers(20, 400),
    incentive=st.integers(0, 19),
    contact=st.integers(0, 30),
    quarters=st.integers(0, 4),
)
def test_max_profit_on_the_hull_equals_the_best_of_every_threshold(
    data: list[tuple[int, bool]], clv: int, incentive: int, contact: int, quarters: int
) -> None:
    """Same profit (1e-12) and the same fraction targeted (the smallest among ties), exactly.

    Whole-number costs and an acceptance rate in quarters make every total profit an exact
    float, so ties between thresholds are real ties in both computations.
    """
    scores = np.array([s for s, _ in data], dtype=np.float64)
    labels = np.array([int(y) for _, y in data], dtype=np.int64)
    accept = quarters / 4
    profit, fraction = max_profit_churn(
        scores, labels, clv=clv, incentive=incentive, contact=contact, accept=accept
    )
    want_profit, want_fraction = _brute_force_max_profit(
        scores, labels, clv, incentive, contact, accept
    )
    assert profit == pytest.approx(want_profit, rel=0, abs=1e-12)
    assert fraction == want_fraction


def _integrate_over_gamma(quantity: Callable[[float], float], alpha: float, beta: float) -> float:
    """Integral of ``quantity(gamma)`` against the Beta(alpha, beta) density, by adaptive quad.

    MP(gamma) has kinks (and its fraction targeted jumps) wherever the best threshold changes, so
    [0, 1] is cut into 100 pieces: each holds few of them, which quad then resolves.
    """
    grid = np.linspace(0.0, 1.0, 101)
    return math.fsum(
        integrate.quad(
            lambda g: quantity(g) * float(stats.beta.pdf(g, alpha, beta)),
            lo,
            hi,
            epsabs=1e-11,
            epsrel=0,
            limit=200,
        )[0]
        for lo, hi in itertools.pairwise(grid)
    )


@pytest.mark.parametrize(
    ("dataset", "params"),
    [
        ("empulse_221", {}),
        ("empulse_221", {"alpha": 1, "beta": 1, "contact": 15}),
        ("ties_400", {"alpha": 2, "beta": 3, "clv": 1000, "incentive": 50, "contact": 5}),
    ],
)
def test_emp_equals_numerical_integration_of_mp_over_the_beta_density(
    dataset: str, params: dict[str, float]
) -> None:
    """EMP = integral of MP(gamma) h(gamma; alpha, beta) over [0, 1], by quad: 1e-9 (got 1e-12)."""
    scores, labels = DATASETS[dataset]
    alpha, beta = params.get("alpha", 6.0), params.get("beta", 14.0)
    costs = {k: v for k, v in params.items() if k not in ("alpha", "beta")}
    numerical = _integrate_over_gamma(
        lambda g: max_profit_churn(scores, labels, accept=g, **costs).profit, alpha, beta
    )
    assert emp_churn(scores, labels, **params).emp == pytest.approx(numerical, rel=0, abs=1e-9)


def test_expected_fraction_targeted_averages_the_optimal_fraction_over_gamma() -> None:
    """E[fraction targeted by the best threshold], by quad of MP's fraction: 1e-9 (got 1e-12)."""
    scores, labels = DATASETS["ties_400"]
    numerical = _integrate_over_gamma(
        lambda g: max_profit_churn(scores, labels, accept=g).fraction_targeted, 6.0, 14.0
    )
    assert emp_churn(scores, labels).fraction_targeted == pytest.approx(numerical, rel=0, abs=1e-9)


def test_perfect_classifier_has_the_closed_form_emp() -> None:
    """Separating scores: EMP = pi1 [(clv - d) mu P'(gamma > g0) - f P(gamma > g0)].

    Here g0 = f / (clv - d), and ``P'`` is the Beta(alpha + 1, beta) law. The best campaign targets
    exactly the churners, and only when ``gamma (clv - d) > f``. Checked to 1e-12.
    """
    rng = np.random.default_rng(3)
    labels = np.r_[np.ones(30, dtype=np.int64), np.zeros(70, dtype=np.int64)]
    scores = np.r_[rng.uniform(0.6, 1.0, 30), rng.uniform(0.0, 0.5, 70)]
    clv, d, f, alpha, beta = 200.0, 10.0, 20.0, 2.0, 3.0
    g0 = f / (clv - d)
    pi1 = 0.3
    mean = alpha / (alpha + beta)
    expected = pi1 * (
        (clv - d) * mean * stats.beta.sf(g0, alpha + 1, beta) - f * stats.beta.sf(g0, alpha, beta)
    )
    result = emp_churn(scores, labels, clv=clv, incentive=d, contact=f, alpha=alpha, beta=beta)
    assert result.emp == pytest.approx(expected, rel=0, abs=1e-12)
    assert result.fraction_targeted == pytest.approx(
        pi1 * stats.beta.sf(g0, alpha, beta), rel=0, abs=1e-12
    )


def test_uninformative_scores_earn_the_emp_of_targeting_everyone_or_no_one() -> None:
    """All scores tied: the hull is the diagonal, so EMP = E[max(0, profit of targeting all)].

    Targeting everyone pays when gamma > g* = (f + (d + f) pi0 / pi1) / (clv - d). Checked to 1e-12.
    """
    labels = np.r_[np.ones(40, dtype=np.int64), np.zeros(60, dtype=np.int64)]
    scores = np.full(100, 0.5)
    clv, d, f, alpha, beta = 200.0, 10.0, 1.0, 6.0, 14.0
    pi1, pi0 = 0.4, 0.6
    g_star = (f + (d + f) * pi0 / pi1) / (clv - d)
    expected = pi1 * (clv - d) * (alpha / (alpha + beta)) * stats.beta.sf(
        g_star, alpha + 1, beta
    ) - (pi1 * f + pi0 * (d + f)) * stats.beta.sf(g_star, alpha, beta)
    result = emp_churn(scores, labels)
    assert result.emp == pytest.approx(expected, rel=0, abs=1e-12)
    assert result.fraction_targeted == pytest.approx(
        stats.beta.sf(g_star, alpha, beta), rel=0, abs=1e-12
    )


def test_uninformative_scores_below_break_even_churn_rate_earn_exactly_zero() -> None:
    """At 5% churn, targeting everyone loses money for every gamma in [0, 1]: EMP is 0."""
    labels = np.r_[np.ones(5, dtype=np.int64), np.zeros(95, dtype=np.int64)]
    result = emp_churn(np.zeros(100), labels)
    assert result == Emp(emp=0.0, fraction_targeted=0.0)


def test_random_scores_earn_emp_near_zero_below_break_even() -> None:
    """Random scores, 100,000 customers, 5% churn: 0 <= EMP < 1e-3 per customer.

    A perfect model earns about 2.8 here. A random one earns only what sampling noise lifts its
    hull above the diagonal (1.2e-12 for this seed).
    """
    rng = np.random.default_rng(7)
    labels = (rng.random(100_000) < 0.05).astype(np.int64)
    result = emp_churn(rng.random(100_000), labels)
    assert 0.0 <= result.emp < 1e-3
    assert emp_churn(labels.astype(np.float64), labels).emp > 2.5


def test_emp_depends_on_the_ranking_only() -> None:
    """A strictly increasing transform of the scores leaves EMP and MP unchanged (1e-12)."""
    scores, labels = DATASETS["empulse_221"]
    transformed = np.log(scores) * 3.0 - 7.0
    assert emp_churn(transformed, labels).emp == pytest.approx(
        emp_churn(scores, labels).emp, rel=0, abs=1e-12
    )
    assert max_profit_churn(transformed, labels) == max_profit_churn(scores, labels)


def test_max_profit_unpacks_as_profit_and_fraction() -> None:
    """The MP result is a named tuple: ``profit, fraction = max_profit_churn(...)``."""
    result = max_profit_churn([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])
    profit, fraction = result
    assert isinstance(result, MaxProfit)
    assert (profit, fraction) == (result.profit, result.fraction_targeted) == (28.0, 0.5)
    assert result.to_dict() == {"profit": 28.0, "fraction_targeted": 0.5}


@pytest.mark.parametrize(
    ("scores", "labels", "kwargs", "name"),
    [
        ([0.1, 0.2], [0, 1, 1], {}, "same length"),
        ([[0.1, 0.2]], [[0, 1]], {}, "1-D"),
        ([0.1, np.nan, 0.3], [0, 1, 0], {}, "scores"),
        ([0.1, np.inf, 0.3], [0, 1, 0], {}, "scores"),
        (["a", "b"], [0, 1], {}, "scores"),
        ([0.1, 0.2, 0.3], [0, 1, 2], {}, "labels"),
        ([0.1, 0.2, 0.3], [0, 1, 0.5], {}, "labels"),
        ([0.1, 0.2], ["no", "yes"], {}, "labels"),
        ([0.1, 0.2], [1, 1], {}, "both churners"),
        ([0.1, 0.2], [0, 0], {}, "both churners"),
        ([], [], {}, "both churners"),
        ([0.1, 0.2], [0, 1], {"clv": 10.0}, "clv"),
        ([0.1, 0.2], [0, 1], {"clv": float("nan")}, "clv"),
        ([0.1, 0.2], [0, 1], {"incentive": -1.0}, "incentive"),
        ([0.1, 0.2], [0, 1], {"contact": -1.0}, "contact"),
    ],
)
@pytest.mark.parametrize("measure", [emp_churn, max_profit_churn])
def test_bad_input_is_a_one_line_value_error_naming_it(
    measure: Any, scores: Any, labels: Any, kwargs: dict[str, float], name: str
) -> None:
    with pytest.raises(ValueError, match=name) as info:
        measure(scores, labels, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: max_profit_churn([0.1, 0.2], [0, 1], accept=1.5), "accept"),
        (lambda: max_profit_churn([0.1, 0.2], [0, 1], accept=-0.1), "accept"),
        (lambda: emp_churn([0.1, 0.2], [0, 1], alpha=0.0), "alpha"),
        (lambda: emp_churn([0.1, 0.2], [0, 1], beta=float("inf")), "beta"),
    ],
)
def test_bad_distribution_parameter_is_a_value_error_naming_it(call: Any, name: str) -> None:
    with pytest.raises(ValueError, match=name) as info:
        call()
    assert "\n" not in str(info.value)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(emp_module).failed == 0
