"""Fieller's interval for a relative lift: its closed form, when it is used, and its coverage.

Closed form: Fieller's set is ``{rho : (T - rho C)^2 <= q^2 (v_T - 2 rho c + rho^2 v_C)}``; its
ends are written out in Franz (2007, eq. 6) as
``(1 / (1 - g)) [r - g c / v_C -+ (q / C) sqrt(v_T - 2 r c + r^2 v_C - g (v_T - c^2 / v_C))]``
with ``r = T / C`` and ``g = q^2 v_C / C^2``, which the tests compare with to 1e-12.

Coverage: seeded simulations in the style of ``tests/test_simulation.py`` (arms turned into the
aggregates the backend returns, read out by ``compare_aggregates`` with the real metrics), in the
three settings where an independent audit found the delta interval short: a normal control mean 3
standard errors from 0, a proportion with about 10 expected conversions per arm, heavy-tailed
revenue with 200 units per arm. With 2,000 runs the standard error of a coverage near 95% is 0.49
points: the accepted band 93.5%-96.5% is three of them on each side, and "delta under-covers"
means below 94% (two of them under nominal).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from mlroi import formatting as fmt
from mlroi import readout
from mlroi.experiment.readout import compare_aggregates
from mlroi.metrics import Mean, Proportion
from mlroi.report.build import view_of
from mlroi.report.methods import readout as methods_readout
from mlroi.stats.aggregates import Aggregates
from mlroi.stats.fieller import AUTO_LIMIT, RatioMoments, fieller, use_fieller
from mlroi.stats.lift import ArmEstimate, compare

Q95 = 1.959963984540054


def franz(t: float, c: float, m: RatioMoments, q: float) -> tuple[float, float]:
    """Fieller's ends as Franz (2007) writes them (a second, independent arrangement)."""
    r = t / c
    g = q * q * m.denominator / (c * c)
    root = m.numerator - 2 * r * m.covariance + r * r * m.denominator
    root -= g * (m.numerator - m.covariance**2 / m.denominator)
    half = q / c * math.sqrt(root)
    centre = r - g * m.covariance / m.denominator
    return (centre - half) / (1 - g), (centre + half) / (1 - g)


def inside(rho: float, t: float, c: float, m: RatioMoments, q: float) -> bool:
    """Whether ``rho`` is in Fieller's set, from its defining inequality."""
    var = m.numerator - 2 * rho * m.covariance + rho * rho * m.denominator
    return (t - rho * c) ** 2 <= q * q * var


# ----------------------------------------------------------------------------------- closed form


@pytest.mark.parametrize(
    ("t", "c", "moments"),
    [
        (2.0, 1.0, RatioMoments(0.01, 0.01)),
        (1.05, 1.0, RatioMoments(0.04, 0.09, 0.02)),
        (3e6, 2e6, RatioMoments(1e11, 2e11, -3e10)),
        (0.012, 0.01, RatioMoments(1.1e-5, 9.9e-6)),
    ],
)
def test_ends_match_franz_closed_form(t: float, c: float, moments: RatioMoments) -> None:
    found = fieller(t, c, moments, Q95)
    assert found.bounded
    low, high = franz(t, c, moments, Q95)
    assert found.lower == pytest.approx(low, rel=1e-12)
    assert found.upper == pytest.approx(high, rel=1e-12)
    # the ends solve the quadratic with equality; the estimate is inside
    for end in (found.lower, found.upper):
        var = moments.numerator - 2 * end * moments.covariance + end**2 * moments.denominator
        assert (t - end * c) ** 2 == pytest.approx(Q95**2 * var, rel=1e-9)
    assert found.lower < t / c < found.upper


@pytest.mark.parametrize("scale", [1e-150, 1e-80, 1e80, 1e150])
def test_relative_interval_does_not_depend_on_the_unit_of_measurement(scale: float) -> None:
    c, t = ArmEstimate(2.0, 0.09, 50), ArmEstimate(2.3, 0.1, 60)
    base = compare(c, t, relative_interval="fieller").relative
    scaled = compare(
        ArmEstimate(c.value * scale, c.variance * scale**2, c.n),
        ArmEstimate(t.value * scale, t.variance * scale**2, t.n),
        relative_interval="fieller",
    ).relative
    assert base is not None and scaled is not None
    assert (scaled.lower, scaled.upper) == pytest.approx((base.lower, base.upper), rel=1e-9)
    moments = RatioMoments(0.1 * scale * scale, 0.09 * scale * scale, 0.02 * scale * scale)
    found = fieller(2.3 * scale, 2.0 * scale, moments, Q95)
    want = fieller(2.3, 2.0, RatioMoments(0.1, 0.09, 0.02), Q95)
    assert (found.lower, found.upper) == pytest.approx((want.lower, want.upper), rel=1e-9)


def test_fieller_tends_to_the_delta_interval_as_the_control_becomes_precise() -> None:
    control, treatment = ArmEstimate(10.0, 1e-6, 1_000), ArmEstimate(10.5, 1e-6, 1_000)
    d = compare(control, treatment, relative_interval="delta").relative
    f = compare(control, treatment, relative_interval="fieller").relative
    assert d is not None and f is not None
    assert f.lower == pytest.approx(d.lower, abs=1e-7)
    assert f.upper == pytest.approx(d.upper, abs=1e-7)
    assert f.estimate == d.estimate and f.std_error == d.std_error


def test_interval_is_asymmetric_and_longer_above_when_the_control_is_noisy() -> None:
    control, treatment = ArmEstimate(1.0, 0.04, 200), ArmEstimate(1.2, 0.04, 200)
    f = compare(control, treatment, relative_interval="fieller").relative
    d = compare(control, treatment, relative_interval="delta").relative
    assert f is not None and d is not None
    assert f.upper - f.estimate > f.estimate - f.lower
    assert f.upper > d.upper


def test_unbounded_set_gives_no_interval_and_says_why() -> None:
    # the control is 1.5 standard errors from 0: no finite 95% interval for the ratio exists
    lift = compare(ArmEstimate(0.3, 0.04, 50), ArmEstimate(0.5, 0.04, 50), relative_interval="auto")
    assert lift.relative is None
    assert lift.relative_method == "fieller"
    assert lift.relative_note is not None and "unbounded" in lift.relative_note
    assert fieller(0.5, 0.3, RatioMoments(0.04, 0.04), Q95).bounded is False
    assert lift.absolute.std_error > 0  # the absolute lift is still there


def test_one_sided_interval_takes_the_matching_root_at_the_one_sided_quantile() -> None:
    control, treatment = ArmEstimate(1.0, 0.02, 10**9), ArmEstimate(1.1, 0.03, 10**9)
    greater = compare(
        control, treatment, level=0.95, alternative="greater", relative_interval="fieller"
    ).relative
    less = compare(
        control, treatment, level=0.95, alternative="less", relative_interval="fieller"
    ).relative
    two = compare(control, treatment, level=0.90, relative_interval="fieller").relative
    assert greater is not None and less is not None and two is not None
    assert greater.upper == math.inf and less.lower == -math.inf
    assert greater.lower == pytest.approx(two.lower, rel=1e-9)
    assert less.upper == pytest.approx(two.upper, rel=1e-9)


def test_auto_switches_to_fieller_above_the_stated_limit() -> None:
    assert AUTO_LIMIT == 0.02
    assert not use_fieller("auto", 1.0, (0.019) ** 2)
    assert use_fieller("auto", 1.0, (0.021) ** 2)
    assert use_fieller("fieller", 1.0, 1e-12) and not use_fieller("delta", 1.0, 1.0)
    noisy = compare(ArmEstimate(1.0, 0.03**2, 500), ArmEstimate(1.1, 0.03**2, 500))
    assert noisy.relative_method == "delta"  # compare's default reproduces gbstats' vectors
    auto = compare(
        ArmEstimate(1.0, 0.03**2, 500), ArmEstimate(1.1, 0.03**2, 500), relative_interval="auto"
    )
    assert auto.relative_method == "fieller"


# ------------------------------------------------------------------------ CUPED's shared centring


def test_cuped_moments_match_the_simulated_joint_spread_of_the_adjusted_values() -> None:
    # Both adjusted arm values share theta * X_pool, so they covary. The moments the metric gives
    # for their ratio must match the spread over 4,000 simulated experiments: variances and the
    # covariance within 10% (the Monte Carlo error of a variance over 4,000 runs is 2.2%).
    rng = np.random.default_rng(11)
    metric = Mean(name="spend", column="y", covariate="x")
    n, runs = 400, 4_000
    values, reported = [], []
    for _ in range(runs):
        arms = []
        for _arm in range(2):
            x = rng.normal(10.0, 3.0, n)
            y = 2.0 + 0.8 * x + rng.normal(0.0, 1.0, n)
            arms.append(_aggregates({"y": y, "x": x}))
        est = metric.estimates(arms[0], arms[1])
        values.append((est.control.value, est.treatment.value))
        assert est.moments is not None
        reported.append(est.moments)
        diff_var = est.control.variance + est.treatment.variance
        m = est.moments
        assert m.numerator + m.denominator - 2 * m.covariance == pytest.approx(diff_var, rel=1e-9)
    v = np.array(values)
    sim = np.cov(v.T)
    mean_var_c = np.mean([m.denominator for m in reported])
    mean_var_t = np.mean([m.numerator for m in reported])
    mean_cov = np.mean([m.covariance for m in reported])
    assert mean_var_c == pytest.approx(sim[0, 0], rel=0.1)
    assert mean_var_t == pytest.approx(sim[1, 1], rel=0.1)
    assert mean_cov == pytest.approx(sim[0, 1], rel=0.1)
    assert mean_cov > 0.3 * mean_var_c  # far from the independent arms' 0


@pytest.mark.slow
def test_cuped_fieller_covers_at_nominal_only_with_the_arms_covariance() -> None:
    # CUPED on a mean (corr 0.9 with the covariate), 100 units per arm, control mean 0.3 and a
    # true relative lift of +100%. Away from a ratio of 1, the shared pooled centring matters:
    # Fieller's interval with the covariance covers at nominal; treating the adjusted arms as
    # independent does not (91% in this setting). 2,000 runs: band 93.5%-96.5%.
    rng = np.random.default_rng(29)
    metric = Mean(name="y", column="y", covariate="x")
    n, lift, runs = 100, 1.0, 2_000
    with_cov = without = 0
    for _ in range(runs):
        arms = []
        for k in range(2):
            x = rng.normal(0.0, 1.0, n)
            y = 0.3 * (1 + lift * k) + 0.9 * x + math.sqrt(1 - 0.81) * rng.normal(0.0, 1.0, n)
            arms.append(_aggregates({"y": y, "x": x}))
        est = metric.estimates(arms[0], arms[1])
        full = compare(est.control, est.treatment, relative_interval="fieller", moments=est.moments)
        alone = compare(est.control, est.treatment, relative_interval="fieller")
        q = _t_crit(full.df)
        moments = {"with": est.moments, "without": None}
        for name, lifted in (("with", full), ("without", alone)):
            m = moments[name] or RatioMoments(est.treatment.variance, est.control.variance)
            if lifted.relative is not None:
                hit = lifted.relative.contains(lift)
            else:
                hit = inside(1 + lift, est.treatment.value, est.control.value, m, q)
            if name == "with":
                with_cov += hit
            else:
                without += hit
    assert BAND[0] <= with_cov / runs <= BAND[1]
    assert without / runs < 0.93


def _aggregates(columns: dict[str, Any]) -> Aggregates:
    names = list(columns)
    data = np.vstack([columns[c] for c in names])
    cov = np.atleast_2d(np.cov(data))
    n = data.shape[1]
    return Aggregates.from_moments(
        n,
        {c: float(columns[c].mean()) for c in names},
        {(a, b): float(cov[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)},
    )


# -------------------------------------------------------------------------------------- coverage

RUNS = 2_000
BAND = (0.935, 0.965)


def _arms(draw: Any, runs: int, seed: int) -> list[tuple[Aggregates, Aggregates]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(runs):
        c, t = draw(rng, 1.0), draw(rng, 1.0)  # no lift: the true ratio is 1
        out.append((_aggregates({"y": c}), _aggregates({"y": t})))
    return out


def _coverage(metric: Mean | Proportion, arms: list[tuple[Aggregates, Aggregates]], method: str):
    """Share of runs whose set holds the true relative lift 0; an unbounded set holds it when
    the defining inequality does (checked at the estimates the readout used)."""
    hits = 0
    for c_agg, t_agg in arms:
        r = compare_aggregates(metric, c_agg, t_agg, relative_interval=method)  # type: ignore[arg-type]
        assert r.status == "ok"
        if r.relative is not None:
            hits += r.relative.contains(0.0)
        else:
            est = metric.estimates(c_agg, t_agg)
            m = RatioMoments(est.treatment.variance, est.control.variance)
            q = Q95 if r.df is None else _t_crit(r.df)
            hits += inside(1.0, est.treatment.value, est.control.value, m, q)
    return hits / len(arms)


def _t_crit(df: float) -> float:
    from mlroi.stats.distributions import critical_value

    return critical_value(0.95, df, "two-sided")


SETTINGS = {
    # control mean 3 standard errors from 0: mean 0.3, sd 1, 100 units
    "normal mean 3 SE from 0": (Mean(name="y", column="y"), lambda r, m: r.normal(0.3, 1.0, 100)),
    # 1% conversion over 1,000 units: about 10 expected conversions per arm
    "10 expected conversions": (
        Proportion(name="y", column="y"),
        lambda r, m: (r.random(1_000) < 0.01).astype(np.float64),
    ),
    # 10% buy, lognormal(3, 1) spend, 200 units per arm
    "heavy-tailed revenue, 200 per arm": (
        Mean(name="y", column="y"),
        lambda r, m: np.where(r.random(200) < 0.1, r.lognormal(3.0, 1.0, 200), 0.0),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SETTINGS))
def test_fieller_covers_at_nominal_where_delta_under_covers(name: str) -> None:
    metric, draw = SETTINGS[name]
    arms = _arms(draw, RUNS, seed=sum(map(ord, name)))
    delta = _coverage(metric, arms, "delta")
    fieller_ = _coverage(metric, arms, "fieller")
    auto = _coverage(metric, arms, "auto")
    lo, hi = BAND
    assert delta < 0.94, f"{name}: delta covered {delta:.2%}"
    assert lo <= fieller_ <= hi, f"{name}: Fieller covered {fieller_:.2%}"
    assert auto == fieller_  # every one of these controls is far above the limit


def test_auto_covers_at_nominal_at_its_own_limit() -> None:
    # The switch's worst case: a control whose true relative standard error equals the limit.
    # Normal arms with known variances, 100,000 runs (Monte Carlo error 0.07 points): within
    # 0.4 points of 95%.
    rng = np.random.default_rng(7)
    s, runs = AUTO_LIMIT, 100_000
    hits = 0
    for c, t in zip(
        1 + s * rng.standard_normal(runs), 1 + s * rng.standard_normal(runs), strict=True
    ):
        lift = compare(
            ArmEstimate(float(c), s * s, 10**9),
            ArmEstimate(float(t), s * s, 10**9),
            relative_interval="auto",
        )
        assert lift.relative is not None
        hits += lift.relative.contains(0.0)
    assert abs(hits / runs - 0.95) < 0.004


# ------------------------------------------------------------------------------------- the readout


def _table(seed: int, n: int, mean: float) -> Any:
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    variant = np.repeat(["control", "treatment"], n)
    y = rng.normal(mean, 1.0, 2 * n)
    y[n:] += 0.1
    return pa.table(
        {"user_id": np.arange(2 * n), "variant": variant, "y": y, "ok": (y > mean).astype(int)}
    )


def test_readout_reports_the_method_in_json_terminal_and_methods() -> None:
    table = _table(1, 200, 1.0)  # control SE 0.07: relative SE 7%, Fieller under auto
    settings = {"control": "control", "arms": {"control": 1, "treatment": 1}}
    metrics = [Mean(name="y", column="y")]
    result = readout(table, metrics=metrics, **settings)
    c = result.comparison("y")
    assert c.relative_method == "fieller"
    data = result.to_dict()
    assert data["comparisons"][0]["relative_method"] == "fieller"
    assert data["relative_interval"] == "auto"
    assert "(Fieller)" in repr(result)
    cells = [cell.text for row in view_of(result).sections[0].blocks[0].rows for cell in row]
    assert any("(Fieller)" in text for text in cells)
    assert any("Fieller's interval is used for: y" in s for s in methods_readout(result))

    forced = readout(table, metrics=metrics, relative_interval="delta", **settings)
    assert forced.comparison("y").relative_method == "delta"
    assert "(Fieller)" not in repr(forced)
    assert all("Fieller" not in s for s in methods_readout(forced))


def test_guardrail_of_a_one_sided_readout_judges_fieller_two_sided_interval() -> None:
    table = _table(2, 200, 1.0)
    settings = {
        "control": "control",
        "arms": {"control": 1, "treatment": 1},
        "metrics": [Mean(name="y", column="y")],
        "guardrails": [{"metric": "y", "direction": "increase", "margin": 0.5}],
    }
    one = readout(table, alternative="greater", **settings)
    two = readout(table, **settings)
    assert one.guardrails[0].reason == two.guardrails[0].reason
    rel = two.comparison("y").relative
    assert rel is not None and two.comparison("y").relative_method == "fieller"
    assert f"[{fmt.percent(rel.lower)}, {fmt.percent(rel.upper)}]" in two.guardrails[0].reason
