"""Poisson bootstrap of the decision value curve: seeded, exact per resample, calibrated, paired."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pytest

import mlroi.decision.bootstrap as bootstrap_module
import mlroi.decision.bootstrap_rows as bootstrap_rows_module
from mlroi.decision.bootstrap import bootstrap
from mlroi.decision.bootstrap_rows import BootstrapRows
from mlroi.decision.optimum import optimum
from mlroi.decision.poisson_weights import row_weights
from mlroi.decision.score_groups import ScoreGroups
from mlroi.decision.value_curve import value_curve
from mlroi.expr import ExprError
from mlroi.serialize import dumps


def churn_rows(n: int, seed: int, *, distinct: int | None = None) -> BootstrapRows:
    """Scores in [0, 1] (rounded to ``distinct`` levels if given), churn with probability score,
    a retention offer worth 10 on a churner and costing 2, and a discount of 1 per offer."""
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    if distinct is not None:
        score = np.floor(score * distinct) / distinct
    label = (rng.random(n) < score).astype(np.int8)
    act = 10.0 * label - 2.0 + rng.normal(0.0, 1.0, n)
    leave = -3.0 * label
    return BootstrapRows(label, act, leave, {"model": score}, {"discounts": np.ones(n)})


def value_of_rows(rows: BootstrapRows, score: np.ndarray, threshold: float) -> np.ndarray:
    """Each row's value under "act on score >= threshold"."""
    return np.where(score >= threshold, rows.act, rows.leave)


# ------------------------------------------------------------------------------ reproducibility


def test_same_seed_gives_identical_result() -> None:
    rows = churn_rows(3_000, 1)
    first, again = (
        bootstrap(rows, {"model": 0.6}, constraints=["fpr <= 0.3"], resamples=30, seed=11)
        for _ in range(2)
    )
    assert dumps(first.to_dict(draws=True)) == dumps(again.to_dict(draws=True))


def test_different_seed_gives_different_resamples() -> None:
    rows = churn_rows(3_000, 1)
    a = bootstrap(rows, {"model": 0.6}, resamples=30, seed=11).models["model"].draws
    b = bootstrap(rows, {"model": 0.6}, resamples=30, seed=12).models["model"].draws
    assert not np.any(a.value_at_chosen == b.value_at_chosen)


def test_row_weights_do_not_depend_on_the_other_models() -> None:
    rows = churn_rows(2_000, 2)
    other = np.random.default_rng(3).random(rows.n)
    paired = BootstrapRows(
        rows.label, rows.act, rows.leave, {"model": rows.scores["model"], "other": other}
    )
    alone = bootstrap(rows, {"model": 0.5}, resamples=20, seed=5).models["model"].draws
    together = bootstrap(paired, {"model": 0.5, "other": 0.5}, resamples=20, seed=5)
    np.testing.assert_array_equal(
        alone.value_at_chosen, together.models["model"].draws.value_at_chosen
    )


# ---------------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("bins", [4096, 16], ids=["every-score-a-bin", "16-bins"])
def test_value_at_chosen_is_the_weighted_sum_over_the_rows(bins: int) -> None:
    rows = churn_rows(2_000, 4, distinct=500)
    score, threshold = rows.scores["model"], 0.634
    result = bootstrap(rows, {"model": threshold}, resamples=25, seed=9, bins=bins)
    weights = row_weights(rows.n, 25, seed=9).astype(np.float64)
    acted = score >= threshold
    value = weights.T @ value_of_rows(rows, score, threshold)
    incremental = weights[acted].T @ (rows.act - rows.leave)[acted]
    draws = result.models["model"].draws
    np.testing.assert_allclose(draws.value_at_chosen, value, rtol=1e-12)
    np.testing.assert_allclose(draws.incremental_value_at_chosen, incremental, rtol=1e-12)
    assert result.models["model"].bins <= bins


def test_rows_drawn_is_the_sum_of_the_row_weights_in_each_resample() -> None:
    # 70,000 rows: two chunks of weight streams. Every model sees the same weights, so the same
    # rows drawn; the per-row figures divide each resample's total by them.
    rows = churn_rows(70_000, 22)
    other = np.random.default_rng(23).random(rows.n)
    pair = BootstrapRows(
        rows.label, rows.act, rows.leave, {"model": rows.scores["model"], "other": other}
    )
    result = bootstrap(pair, {"model": 0.6, "other": 0.4}, resamples=6, seed=5, bins=8)
    weights = row_weights(rows.n, 6, seed=5)
    drawn = weights.sum(axis=0, dtype=np.int64).astype(np.float64)
    for model in result.models.values():
        np.testing.assert_array_equal(model.draws.rows_drawn, drawn)
        per_row = model.draws.incremental_value_at_chosen / drawn
        assert model.incremental_value_per_row.interval.estimate == pytest.approx(
            float(per_row.mean())
        )
    difference = result.differences["other"]
    per_row = difference.draws["value_at_chosen"] / drawn
    assert difference.value_at_chosen_per_row.interval.estimate == pytest.approx(
        float(per_row.mean())
    )
    assert difference.value_at_chosen_per_row.interval.std_error == pytest.approx(
        float(np.std(per_row, ddof=1))
    )
    # the challenger's total (and so its value a year) is the per-row difference over n rows
    total, row = difference.value_at_chosen.interval, difference.value_at_chosen_per_row.interval
    assert (total.lower, total.upper, total.std_error) == pytest.approx(
        (rows.n * row.lower, rows.n * row.upper, rows.n * row.std_error), rel=1e-12
    )


def test_resampled_optimum_and_auc_are_those_of_the_resampled_rows() -> None:
    rows = churn_rows(1_500, 5, distinct=200)
    constraints = ["fpr <= 0.25", "discounts <= 900"]
    result = bootstrap(rows, {"model": 0.5}, constraints=constraints, resamples=10, seed=3)
    assert result.models["model"].exact
    weights = row_weights(rows.n, 10, seed=3)
    draws = result.models["model"].draws
    for r in range(10):
        repeat = np.repeat(np.arange(rows.n), weights[:, r])
        groups = ScoreGroups.from_rows(
            rows.scores["model"][repeat],
            rows.label[repeat],
            rows.act[repeat],
            rows.leave[repeat],
            {"discounts": rows.sums["discounts"][repeat]},
        )
        curve = value_curve(groups)
        decision = optimum(curve, constraints)
        assert decision.point is not None
        assert draws.optimal_threshold[r] == decision.point["threshold"]
        assert draws.optimal_objective[r] == pytest.approx(decision.point["value"], rel=1e-12)
        assert draws.auc[r] == pytest.approx(curve.auc, rel=1e-12)


# ---------------------------------------------------------------------------------- calibration


def test_standard_error_of_a_total_is_that_of_a_sum_over_n_rows() -> None:
    # Each resample's total is scaled to the table's n rows (total x n / rows drawn), so its
    # spread is the classical bootstrap's sqrt(n var(x)), not the raw Poisson total's
    # sqrt(sum x^2), which also counts the random number of rows drawn. With B resamples the
    # standard deviation's own relative error is about 1 / sqrt(2 (B - 1)) = 2.2% at B = 1,000;
    # 9% is four of those. The raw weighted totals' spread is the Poisson formula.
    base = churn_rows(2_000, 6)
    # every row worth 4 more whatever is done: the mean matters next to the spread
    rows = BootstrapRows(base.label, base.act + 4.0, base.leave + 4.0, base.scores)
    threshold = 0.55
    result = bootstrap(rows, {"model": threshold}, resamples=1_000, seed=2, bins=32)
    x = value_of_rows(rows, rows.scores["model"], threshold)
    model = result.models["model"]
    classical = math.sqrt(rows.n * float(np.var(x)))
    assert model.value_at_chosen.interval.std_error == pytest.approx(classical, rel=0.09)
    poisson = math.sqrt(float(np.sum(x**2)))
    raw = float(np.std(model.draws.value_at_chosen, ddof=1))
    assert raw == pytest.approx(poisson, rel=0.09)
    assert poisson > 1.2 * classical  # the two differ by more than the tolerance


def test_per_row_standard_error_is_that_of_a_mean() -> None:
    # Per resample, incremental value / rows drawn: a ratio whose bootstrap spread is, as n grows,
    # the standard error of a mean, sqrt(var(x) / n), x the per-row incremental value (act - leave
    # on the rows acted on, 0 elsewhere). With B = 1,000 resamples the standard deviation's
    # relative error is about 1 / sqrt(2 (B - 1)) = 2.2%; 9% is four of those. The raw Poisson
    # total's standard deviation over n would be sqrt(1 + mean(x)^2 / var(x)) = 1.22 times too
    # large here, outside the tolerance; the total scaled to n rows is the per-row figure times n.
    rows = churn_rows(5_000, 20)
    threshold = 0.5
    result = bootstrap(rows, {"model": threshold}, resamples=1_000, seed=0, bins=8)
    acted = rows.scores["model"] >= threshold
    x = np.where(acted, rows.act - rows.leave, 0.0)
    analytic = math.sqrt(float(np.var(x)) / rows.n)
    model = result.models["model"]
    assert model.incremental_value_per_row.interval.std_error == pytest.approx(analytic, rel=0.09)
    assert model.incremental_value_per_row.defined == 1_000
    assert model.incremental_value_per_row.interval.estimate == pytest.approx(
        float(x.mean()), rel=0.01
    )
    assert np.std(model.draws.incremental_value_at_chosen, ddof=1) / rows.n > 1.15 * analytic
    total = model.incremental_value_at_chosen.interval
    per_row = model.incremental_value_per_row.interval
    assert total.std_error == pytest.approx(rows.n * per_row.std_error, rel=1e-12)
    assert (total.lower, total.upper) == pytest.approx(
        (rows.n * per_row.lower, rows.n * per_row.upper), rel=1e-12
    )


def test_per_row_spread_is_zero_when_every_row_is_acted_on_with_the_same_increment() -> None:
    # Acting on every row (scores are >= 0) with act - leave = 2.5 on every row: each resample's
    # incremental value is 2.5 times its rows drawn, so the per-row value is 2.5 in every resample
    # although the raw total varies with the number of rows drawn; so is the total over n rows.
    rows = churn_rows(2_000, 21)
    same = BootstrapRows(rows.label, rows.leave + 2.5, rows.leave, rows.scores)
    model = bootstrap(same, {"model": 0.0}, resamples=50, seed=4, bins=8).models["model"]
    assert np.std(model.draws.incremental_value_at_chosen, ddof=1) > 10.0
    assert model.incremental_value_at_chosen.interval.std_error == pytest.approx(0.0, abs=1e-9)
    assert model.incremental_value_at_chosen.interval.lower == pytest.approx(2.5 * rows.n)
    assert model.incremental_value_per_row.interval.std_error == pytest.approx(0.0, abs=1e-12)
    assert model.incremental_value_per_row.interval.estimate == pytest.approx(2.5, rel=1e-12)
    assert model.incremental_value_per_row.interval.lower == pytest.approx(2.5, rel=1e-12)
    assert model.incremental_value_per_row.interval.upper == pytest.approx(2.5, rel=1e-12)


def test_percentile_interval_of_a_total_covers_about_level_of_the_time() -> None:
    # A table of a known 400 rows; the value at "act on score >= 0.6" is a total over them. With
    # score ~ U(0, 1), churn ~ Bernoulli(score), acting worth 10 churn + 5 (every acted row is
    # positive) and leaving worth 0, its expectation per row is 10 (1 - 0.36) / 2 + 5 (0.4) = 5.2.
    # Percentile intervals of 100 resamples of the totals scaled to 400 rows cover about their
    # level (92% in 300 data sets for a 90% interval); over 200 data sets the binomial standard
    # deviation is 2.1 points, so 84% to 96% passes. The raw Poisson totals, whose spread counts
    # the random number of rows drawn, over-cover (97% in the same 300 data sets).
    n, threshold = 400, 0.6
    truth = n * 5.2
    rng = np.random.default_rng(7)
    scaled = raw = 0
    runs = 200
    for i in range(runs):
        score = rng.random(n)
        churn = (rng.random(n) < score).astype(np.int8)
        rows = BootstrapRows(churn, 10.0 * churn + 5.0, np.zeros(n), {"model": score})
        spread = bootstrap(rows, {"model": threshold}, resamples=100, seed=i, bins=8)
        model = spread.models["model"]
        scaled += model.value_at_chosen.interval.contains(truth)
        low, high = np.quantile(model.draws.value_at_chosen, [0.05, 0.95], method="inverted_cdf")
        raw += bool(low <= truth <= high)
    assert 0.84 <= scaled / runs <= 0.96
    assert raw / runs >= 0.95


# ----------------------------------------------------------------------------------- paired


def test_identical_models_differ_by_exactly_zero_in_every_resample() -> None:
    rows = churn_rows(3_000, 7)
    score = rows.scores["model"]
    twins = BootstrapRows(
        rows.label, rows.act, rows.leave, {"a": score, "b": score.copy()}, rows.sums
    )
    result = bootstrap(
        twins, {"a": 0.6, "b": 0.6}, constraints=["discounts <= 1200"], resamples=40, seed=1
    )
    difference = result.differences["b"]
    assert difference.baseline == "a"
    for draws in difference.draws.values():
        assert np.all(draws == 0.0)
    assert difference.value_at_chosen_per_row.interval.std_error == 0.0
    assert "value_at_chosen_per_row" in difference.to_dict()
    assert difference.optimal_objective.share_positive == 0.0


def test_clearly_better_challenger_is_better_in_nearly_every_resample() -> None:
    rows = churn_rows(4_000, 8)
    noise = np.random.default_rng(9).random(rows.n)
    scores = {"champion": noise, "challenger": rows.scores["model"]}
    pair = BootstrapRows(rows.label, rows.act, rows.leave, scores)
    result = bootstrap(pair, {"champion": 0.5, "challenger": 0.5}, resamples=100, seed=4)
    difference = result.differences["challenger"]
    assert difference.optimal_objective.share_positive >= 0.99
    assert difference.optimal_objective.interval.lower > 0
    assert difference.auc.interval.lower > 0.2


def test_baseline_can_be_the_second_model() -> None:
    rows = churn_rows(1_000, 10)
    noise = np.random.default_rng(1).random(rows.n)
    pair = BootstrapRows(rows.label, rows.act, rows.leave, {"a": rows.scores["model"], "b": noise})
    result = bootstrap(pair, {"a": 0.5, "b": 0.5}, resamples=20, seed=4, baseline="b")
    assert list(result.differences) == ["a"]
    expected = result.models["a"].draws.auc - result.models["b"].draws.auc
    np.testing.assert_array_equal(result.differences["a"].draws["auc"], expected)


# ------------------------------------------------------------------------------- infeasibility


def test_a_constraint_no_threshold_meets_is_counted_as_infeasible() -> None:
    rows = churn_rows(1_000, 11)
    result = bootstrap(rows, {"model": 0.5}, constraints=["tp >= 1e9"], resamples=20, seed=1)
    model = result.models["model"]
    assert model.infeasible_share == 1.0
    assert model.optimal_objective.defined == 0
    t = model.optimal_threshold
    assert all(math.isnan(q) for q in (t.estimate, t.lower, t.upper))
    assert np.all(np.isfinite(model.draws.value_at_chosen))


def test_infeasible_share_counts_the_resamples_without_a_feasible_threshold() -> None:
    # "tp >= P" holds at some threshold exactly when the resample draws at least P positives.
    rows = churn_rows(1_000, 12)
    positives = int(rows.label.sum())
    result = bootstrap(
        rows, {"model": 0.5}, constraints=[f"tp >= {positives}"], resamples=200, seed=6
    )
    drawn = row_weights(rows.n, 200, seed=6).T @ rows.label.astype(np.int64)
    assert result.models["model"].infeasible_share == np.mean(drawn < positives)
    assert 0.2 < result.models["model"].infeasible_share < 0.8


# ----------------------------------------------------------------------------------- binning


def test_every_distinct_score_is_a_bin_when_there_are_few() -> None:
    rows = churn_rows(5_000, 13, distinct=50)
    result = bootstrap(rows, {"model": 0.5}, resamples=5, seed=1, bins=64)
    assert result.models["model"].exact
    assert result.models["model"].bins == np.unique(rows.scores["model"]).size
    assert "exact" in result.method


def test_many_distinct_scores_use_at_most_bins_bins_with_the_chosen_threshold_an_edge() -> None:
    rows = churn_rows(5_000, 14)
    threshold = float(np.sort(rows.scores["model"])[3_333])
    result = bootstrap(rows, {"model": threshold}, resamples=20, seed=1, bins=10)
    model = result.models["model"]
    assert not model.exact
    assert model.bins <= 10
    weights = row_weights(rows.n, 20, seed=1).astype(np.float64)
    expected = weights.T @ value_of_rows(rows, rows.scores["model"], threshold)
    np.testing.assert_allclose(model.draws.value_at_chosen, expected, rtol=1e-12)


def test_acting_on_nobody_is_worth_the_value_of_leaving_every_row() -> None:
    rows = churn_rows(1_000, 15)
    result = bootstrap(rows, {"model": math.inf}, resamples=10, seed=2)
    weights = row_weights(rows.n, 10, seed=2).astype(np.float64)
    draws = result.models["model"].draws
    np.testing.assert_allclose(draws.value_at_chosen, weights.T @ rows.leave, rtol=1e-12)
    assert np.all(draws.incremental_value_at_chosen == 0.0)


# --------------------------------------------------------------------------------- the result


def test_result_serialises_to_json_with_its_method_and_summaries() -> None:
    rows = churn_rows(1_000, 16)
    result = bootstrap(rows, {"model": 0.5}, constraints=["fpr <= 0.2"], resamples=20, seed=3)
    data = result.to_dict()
    assert data["bins"] == {"model": result.models["model"].bins}
    assert data["method"].startswith("Poisson(1) bootstrap, 20 resamples")
    assert set(data["models"]["model"]["optimal_threshold"]) == {"median", "low", "high"}
    assert "draws" not in data["models"]["model"]
    assert len(result.to_dict(draws=True)["models"]["model"]["draws"]["auc"]) == 20
    assert len(result.to_dict(draws=True)["models"]["model"]["draws"]["rows_drawn"]) == 20
    per_row = data["models"]["model"]["incremental_value_per_row"]
    assert per_row == result.models["model"].incremental_value_per_row.to_dict()
    dumps(result.to_dict(draws=True))  # JSON without NaN or inf


def test_spread_is_the_percentile_interval_and_standard_deviation_of_the_draws() -> None:
    rows = churn_rows(1_000, 17)
    result = bootstrap(rows, {"model": 0.5}, resamples=50, seed=3, level=0.8)
    model = result.models["model"]
    draws = rows.n * model.draws.value_at_chosen / model.draws.rows_drawn
    low, high = np.quantile(draws, [0.1, 0.9], method="inverted_cdf")
    assert (model.value_at_chosen.interval.lower, model.value_at_chosen.interval.upper) == (
        low,
        high,
    )
    assert model.value_at_chosen.interval.std_error == pytest.approx(np.std(draws, ddof=1))
    assert model.value_at_chosen.defined == 50


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resamples": 0}, "resamples"),
        ({"resamples": 2.5}, "resamples"),
        ({"level": 1.0}, "level"),
        ({"level": 0.0}, "level"),
        ({"bins": 1}, "bins"),
        ({"seed": -1}, "seed"),
        ({"baseline": "nope"}, "baseline"),
        ({"chosen": {"model": 0.5, "nope": 0.5}}, "chosen names 'nope'"),
        ({"chosen": {}}, "chosen has no threshold for model 'model'"),
        ({"chosen": {"model": math.nan}}, "chosen"),
        ({"bins": 100_000, "resamples": 10_000}, "bins x resamples"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(
    change: dict[str, Any], message: str
) -> None:
    rows = churn_rows(100, 18)
    kwargs: dict[str, Any] = {"chosen": {"model": 0.5}, **change}
    chosen = kwargs.pop("chosen")
    with pytest.raises(ValueError, match=message):
        bootstrap(rows, chosen, **kwargs)


def test_bad_rows_raise_value_error_naming_the_array() -> None:
    n = 10
    ok = {"label": np.zeros(n), "act": np.zeros(n), "leave": np.zeros(n)}
    with pytest.raises(ValueError, match="act has shape"):
        BootstrapRows(ok["label"], np.zeros(n - 1), ok["leave"], {"m": np.zeros(n)})
    with pytest.raises(ValueError, match=r"scores\['m'\] has 1 NaN"):
        BootstrapRows(ok["label"], ok["act"], ok["leave"], {"m": np.r_[np.nan, np.zeros(n - 1)]})
    with pytest.raises(ValueError, match="label must be 0 or 1"):
        BootstrapRows(np.full(n, 2), ok["act"], ok["leave"], {"m": np.zeros(n)})
    with pytest.raises(ValueError, match="scores: give at least one"):
        BootstrapRows(ok["label"], ok["act"], ok["leave"], {})
    with pytest.raises(ValueError, match=r"sums\['d'\] has shape"):
        BootstrapRows(ok["label"], ok["act"], ok["leave"], {"m": np.zeros(n)}, {"d": np.zeros(3)})
    with pytest.raises(ValueError, match="clashes with a built-in column"):
        BootstrapRows(ok["label"], ok["act"], ok["leave"], {"m": np.zeros(n)}, {"tp": np.zeros(n)})
    with pytest.raises(ValueError, match="no rows"):
        BootstrapRows(np.zeros(0), np.zeros(0), np.zeros(0), {"m": np.zeros(0)})


@pytest.mark.parametrize("module", [bootstrap_module, bootstrap_rows_module])
def test_docstring_examples_run(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


def test_a_constraint_on_an_unknown_column_fails_before_resampling() -> None:
    rows = churn_rows(100, 19)
    with pytest.raises(ExprError, match="constraints\\[0\\]"):
        bootstrap(rows, {"model": 0.5}, constraints=["discount <= 5"])


def test_the_bin_sums_are_the_same_on_one_core_and_on_two(monkeypatch: pytest.MonkeyPatch) -> None:
    # with two cores, a second thread draws the next block's weights while one is summed
    import mlroi.decision.score_bins as score_bins

    rows = churn_rows(200_000, seed=4)
    score = rows.scores[next(iter(rows.scores))]
    lows, _ = score_bins.bin_lows(score, 64, 0.5)
    ids = [score_bins.bin_ids(score, lows)]
    got = {}
    for cores in (1, 2):
        monkeypatch.setattr(score_bins.os, "cpu_count", lambda cores=cores: cores)
        got[cores] = score_bins.bin_sums(rows, ids, [lows.size], 7, seed=3)[0]
    np.testing.assert_array_equal(got[1], got[2])
    # and they are the weighted sums of each bin's rows: W' X
    w = row_weights(rows.n, 7, seed=3).astype(np.float64)
    x = np.column_stack([np.ones(rows.n), rows.label, rows.act, rows.leave, *rows.sums.values()])
    for b in (0, 17, lows.size - 1):
        in_bin = ids[0] == b
        np.testing.assert_allclose(got[1][:, b, :], w[in_bin].T @ x[in_bin], rtol=1e-12)


@pytest.mark.parametrize(
    "scores",
    [
        lambda rng: rng.random(100_000),
        lambda rng: np.round(rng.random(100_000), 3),  # ties, edges equal to scores
        lambda rng: rng.standard_cauchy(100_000),  # long tails: crowded and empty cells
        lambda rng: 1e6 + rng.random(100_000) * 1e-3,  # a narrow range far from 0
        lambda rng: 1e6 + rng.random(100_000) * 1e-10,  # too narrow for cells
    ],
)
def test_rows_are_counted_below_the_edges_as_a_binary_search_counts_them(scores: Any) -> None:
    import mlroi.decision.score_bins as score_bins

    rng = np.random.default_rng(12)
    x = scores(rng)
    edges = np.unique(np.r_[rng.choice(x, 2_000), x.min(), x.max()])
    edges = np.unique(np.r_[edges, np.nextafter(edges[::7], np.inf)])
    near = [edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)]
    x = np.r_[x, *near, edges[0] - 1.0, edges[-1] + 1.0]
    expected = np.searchsorted(edges, x, side="right")
    np.testing.assert_array_equal(score_bins.at_or_below(edges, x), expected)


@pytest.mark.parametrize(
    "scores",
    [
        lambda rng: rng.random(300_000),
        lambda rng: np.round(rng.normal(size=300_000), 3),  # ties
        lambda rng: np.r_[np.zeros(200_000), rng.random(100_000)],  # one tie of most rows
        lambda rng: rng.standard_cauchy(300_000),  # long tails: crowded and empty cells
        lambda rng: 1e6 + rng.random(300_000) * 1e-10,  # too narrow for cells
    ],
)
def test_order_statistics_are_those_of_the_sorted_rows(scores: Any) -> None:
    import mlroi.decision.score_bins as score_bins

    rng = np.random.default_rng(13)
    x = scores(rng)
    ranks = np.r_[np.arange(2_047) * x.size // 2_047, x.size - 1]
    np.testing.assert_array_equal(score_bins.order_statistics(x, ranks), np.sort(x)[ranks])
