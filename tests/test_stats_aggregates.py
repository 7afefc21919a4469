"""``Aggregates`` against numpy: construction, exact merging, and the backend's variances.

The reference for every (co)variance is numpy's two-pass ``np.cov`` / ``np.var(ddof=1)`` on the
rows, which centres on the mean before squaring and so stays accurate for any location.
"""

from __future__ import annotations

import functools
import operator

import ibis
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from mlroi.stats.aggregates import Aggregates, merge, pair

EPS = np.finfo(float).eps


def numpy_aggregates(cols: dict[str, np.ndarray]) -> Aggregates:
    """Aggregates of the given rows from numpy means and sample covariances (ddof 1)."""
    names = sorted(cols)
    n = len(cols[names[0]])
    if n == 0:
        return Aggregates(n=0)
    mean = {k: float(np.mean(v)) for k, v in cols.items()}
    cov: dict[tuple[str, str], float | None] = {}
    for i, a in enumerate(names):
        for b in names[i:]:
            # a single unit has no sample covariance: SQL returns NULL, numpy NaN
            cov[pair(a, b)] = None if n < 2 else float(np.cov(cols[a], cols[b], ddof=1)[0, 1])
    return Aggregates.from_moments(n, mean, cov)


def correlated(rng: np.random.Generator, n: int, loc: float, scale: float) -> dict[str, np.ndarray]:
    x = loc + scale * rng.standard_normal(n)
    y = -0.5 * loc + 0.7 * (x - loc) + 0.5 * scale * rng.standard_normal(n)
    return {"x": x, "y": y}


# --- construction ---------------------------------------------------------------------------


def test_from_moments_gives_back_numpy_variances_and_covariance() -> None:
    rng = np.random.default_rng(1)
    cols = correlated(rng, 1_000, loc=50.0, scale=3.0)
    agg = numpy_aggregates(cols)

    assert agg.n == 1_000
    np.testing.assert_allclose(agg.mean["x"], np.mean(cols["x"]), rtol=1e-15)
    np.testing.assert_allclose(agg.var("x"), np.var(cols["x"], ddof=1), rtol=1e-14)
    np.testing.assert_allclose(agg.var("y"), np.var(cols["y"], ddof=1), rtol=1e-14)
    np.testing.assert_allclose(agg.cov("x", "y"), np.cov(cols["x"], cols["y"])[0, 1], rtol=1e-14)
    assert agg.cov("y", "x") == agg.cov("x", "y")
    # the co-moment is the sum of cross-deviations
    dev = (cols["x"] - cols["x"].mean()) * (cols["y"] - cols["y"].mean())
    np.testing.assert_allclose(agg.comoment[("x", "y")], dev.sum(), rtol=1e-12)


def test_from_moments_reads_unsorted_pair_keys() -> None:
    agg = Aggregates.from_moments(3, {"a": 1.0, "b": 2.0}, {("b", "a"): 0.5, ("a", "a"): 1.0})
    assert agg.cov("a", "b") == 0.5
    assert agg.comoment[("a", "b")] == 1.0  # 0.5 * (n - 1)


def test_from_moments_treats_a_null_covariance_of_one_unit_as_zero_spread() -> None:
    agg = Aggregates.from_moments(1, {"x": 4.0}, {("x", "x"): None})
    assert agg.var("x") == 0.0
    assert agg.comoment[("x", "x")] == 0.0


def test_from_sums_matches_numpy_on_well_conditioned_data() -> None:
    rng = np.random.default_rng(2)
    cols = correlated(rng, 5_000, loc=2.0, scale=1.5)
    x, y = cols["x"], cols["y"]
    agg = Aggregates.from_sums(
        len(x),
        {"x": x.sum(), "y": y.sum()},
        {("x", "x"): (x * x).sum(), ("y", "x"): (x * y).sum(), ("y", "y"): (y * y).sum()},
    )
    # mean/scale ~ 1: the raw-sum formula loses only a few digits here
    np.testing.assert_allclose(agg.mean["x"], x.mean(), rtol=1e-12)
    np.testing.assert_allclose(agg.var("x"), np.var(x, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(agg.var("y"), np.var(y, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(agg.cov("x", "y"), np.cov(x, y)[0, 1], rtol=1e-9)


# --- merging ----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(0, 60), min_size=1, max_size=6).filter(lambda s: sum(s) >= 2),
    loc=st.floats(-1e4, 1e4),
    scale=st.floats(1e-2, 1e3),
)
def test_merging_random_splits_equals_aggregating_the_concatenation(
    seed: int, sizes: list[int], loc: float, scale: float
) -> None:
    rng = np.random.default_rng(seed)
    parts = [correlated(rng, k, loc, scale) for k in sizes]
    whole = numpy_aggregates({c: np.concatenate([p[c] for p in parts]) for c in ("x", "y")})
    groups = [numpy_aggregates(p) for p in parts]

    # Each part's mean carries a rounding error ~eps*|loc|; Chan's cross term
    # delta_a * delta_b * n_1 n_2 / n turns it into an error ~eps*(|loc|/scale) relative to the
    # co-moments' magnitude n*scale^2. 100x that bound leaves room for the sums over parts.
    atol_comoment = 100 * EPS * (abs(loc) / scale + 1.0) * whole.n * scale**2
    atol_mean = 100 * EPS * (abs(loc) + scale)
    for merged in (merge(groups), functools.reduce(operator.add, groups), sum(groups)):
        assert isinstance(merged, Aggregates)
        assert merged.n == whole.n
        for c in ("x", "y"):
            np.testing.assert_allclose(merged.mean[c], whole.mean[c], rtol=1e-12, atol=atol_mean)
        for key in (("x", "x"), ("x", "y"), ("y", "y")):
            np.testing.assert_allclose(
                merged.comoment[key], whole.comoment[key], rtol=1e-9, atol=atol_comoment
            )


def test_merge_with_an_empty_group_is_the_identity() -> None:
    agg = numpy_aggregates(correlated(np.random.default_rng(3), 10, 1.0, 1.0))
    assert (agg + Aggregates(n=0)) is agg
    assert (Aggregates(n=0) + agg) is agg
    assert merge([]).n == 0


# --- the backend's one-pass variances on revenue-like data -------------------------------------


def _duckdb_group_aggregates(cols: dict[str, np.ndarray], groups: int) -> list[Aggregates]:
    """Per-group Aggregates from DuckDB's var_samp / covar_samp, as the readout query has them."""
    con = ibis.duckdb.connect()
    g = np.arange(len(cols["x"])) % groups
    t = ibis.memtable(pa.table({"g": g, **cols}))
    expr = t.group_by("g").aggregate(
        n=t.count(),
        mx=t.x.mean(),
        my=t.y.mean(),
        vx=t.x.var(how="sample"),
        vy=t.y.var(how="sample"),
        cxy=t.x.cov(t.y, how="sample"),
    )
    rows = con.to_pyarrow(expr).to_pylist()
    con.disconnect()
    return [
        Aggregates.from_moments(
            r["n"],
            {"x": r["mx"], "y": r["my"]},
            {("x", "x"): r["vx"], ("y", "y"): r["vy"], ("x", "y"): r["cxy"]},
        )
        for r in rows
    ]


def _naive(cols: dict[str, np.ndarray]) -> Aggregates:
    """The sum-of-squares route: Sum x, Sum x^2, Sum xy, then Sum x^2 - (Sum x)^2 / n."""
    x, y = cols["x"], cols["y"]
    return Aggregates.from_sums(
        len(x),
        {"x": x.sum(), "y": y.sum()},
        {("x", "x"): (x * x).sum(), ("x", "y"): (x * y).sum(), ("y", "y"): (y * y).sum()},
    )


def _revenue_like(sd: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(4)
    n = 100_000
    x = 1e9 + rng.normal(0.0, sd, n)
    y = 1e9 + 0.5 * (x - 1e9) + rng.normal(0.0, sd, n)
    return {"x": x, "y": y}


def test_duckdb_variances_of_huge_mean_data_merge_to_numpy_within_1e_6() -> None:
    cols = _revenue_like(sd=1.0)  # mean 1e9, cv 1e-9
    agg = merge(_duckdb_group_aggregates(cols, groups=4))
    x, y = cols["x"], cols["y"]

    assert agg.n == len(x)
    np.testing.assert_allclose(agg.var("x"), np.var(x, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(agg.var("y"), np.var(y, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(agg.cov("x", "y"), np.cov(x, y)[0, 1], rtol=1e-6)

    # contrast: Sum x^2 ~ 1e23 has an ulp of ~1.7e7, far above the true Sum of squared
    # deviations (~1e5), so Sum x^2 - (Sum x)^2/n is rounding noise (0 or negative here)
    naive = _naive(cols)
    assert abs(naive.var("x") / np.var(x, ddof=1) - 1.0) >= 0.5
    assert abs(naive.var("y") / np.var(y, ddof=1) - 1.0) >= 0.5
    assert abs(naive.cov("x", "y") / np.cov(x, y)[0, 1] - 1.0) >= 0.5


def test_duckdb_variances_at_cv_1e_12_are_only_accurate_to_ulp_over_sd() -> None:
    # 1e9 + N(0, 1e-3): the deviations carry only ~13 significant bits (ulp(1e9) = 1.2e-7).
    # DuckDB's one-pass update rounds its running mean to that grid, an error of order
    # ulp(mean)/sd ~ 1e-4 relative in the variance (measured ~5e-5 here), so this reference
    # check is approximate: rtol 5e-4. numpy's two-pass value is accurate to ~1e-9.
    cols = _revenue_like(sd=1e-3)
    agg = merge(_duckdb_group_aggregates(cols, groups=4))
    x, y = cols["x"], cols["y"]

    np.testing.assert_allclose(agg.var("x"), np.var(x, ddof=1), rtol=5e-4)
    np.testing.assert_allclose(agg.var("y"), np.var(y, ddof=1), rtol=5e-4)
    np.testing.assert_allclose(agg.cov("x", "y"), np.cov(x, y)[0, 1], rtol=5e-4)

    naive = _naive(cols)
    assert abs(naive.var("x") / np.var(x, ddof=1) - 1.0) >= 0.5
