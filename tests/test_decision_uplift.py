"""Uplift (Qini) curves from a randomized treatment flag: exact against rows, a hand-worked case,
the backend against numpy, standard errors against statsmodels, targeting by uplift against
targeting by risk on a campaign whose true uplift is known, and one-line errors for bad input."""

from __future__ import annotations

import doctest
import itertools
import json
import math
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep

import mlroi.decision.qini as qini_module
import mlroi.decision.targeting as targeting_module
import mlroi.decision.uplift as uplift_module
import mlroi.decision.uplift_groups as uplift_groups_module
from mlroi.decision.qini import QINI_COLUMNS, QiniCurve, qini_curve
from mlroi.decision.targeting import TargetingCurve, compare_targeting, targeting_curve
from mlroi.decision.uplift import uplift_groups, uplift_groups_many
from mlroi.decision.uplift_groups import UpliftGroups
from mlroi.demo.churn import generate_churn
from mlroi.errors import DataError
from mlroi.report.decision import targeting_sentences
from mlroi.serialize import dumps

Rows = dict[str, np.ndarray]


# ------------------------------------------------------------------------------ brute force


def brute_point(rows: Rows, threshold: float, favourable: int) -> dict[str, float]:
    """The estimates for treating the rows with ``score >= threshold``, straight from rows."""
    top = rows["score"] >= threshold
    treated = rows["treated"][top] == 1
    good = rows["label"][top] == favourable
    k, n_t, n_c = int(top.sum()), int(treated.sum()), int((~treated).sum())
    y_t, y_c = int((good & treated).sum()), int((good & ~treated).sum())
    p_t = y_t / n_t if n_t else math.nan
    p_c = y_c / n_c if n_c else math.nan
    if k == 0:
        return {"targeted": 0, "incremental": 0.0, "se": 0.0, "qini": 0.0, "anyway": 0.0}
    variance = p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c if n_t and n_c else math.nan
    return {
        "targeted": k,
        "incremental": (p_t - p_c) * k,
        "se": k * math.sqrt(variance),
        "qini": y_t - y_c * n_t / n_c if n_c else (math.nan if n_t else 0.0),
        "anyway": p_c * k,
    }


def thresholds(rows: Rows) -> list[float]:
    return [math.inf, *sorted(set(rows["score"].tolist()), reverse=True)]


def trapezoid_over_random(x: list[float], y: list[float]) -> float:
    """Area between the defined points and the line to the last point, in plain Python."""
    pts = [(a, b) for a, b in zip(x, y, strict=True) if not math.isnan(b)]
    area = sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in itertools.pairwise(pts))
    return area - x[-1] * y[-1] / 2


def brute_qini_coefficient(rows: Rows, favourable: int) -> float:
    """Radcliffe's Q the way scikit-uplift computes it: the perfect ranking is the score
    ``y t - y (1 - t)``, its curve taken at its distinct scores (a prefix without control rows
    counts as ``Y_T``)."""
    y = (rows["label"] == favourable).astype(int)
    t = rows["treated"]

    def curve(score: np.ndarray, *, sklift: bool) -> tuple[list[float], list[float]]:
        xs, qs = [0.0], [0.0]
        for s in sorted(set(score.tolist()), reverse=True):
            top = score >= s
            n_t, n_c = int(t[top].sum()), int((1 - t[top]).sum())
            y_t, y_c = int((y * t)[top].sum()), int((y * (1 - t))[top].sum())
            xs.append(float(top.sum()))
            if n_c:
                qs.append(y_t - y_c * n_t / n_c)
            else:  # scikit-uplift takes N_T / N_C as 0 here; undefined for the model's curve
                qs.append(float(y_t) if sklift else (math.nan if n_t else 0.0))
        return xs, qs

    model = trapezoid_over_random(*curve(rows["score"], sklift=False))
    perfect = trapezoid_over_random(*curve(y * t - y * (1 - t), sklift=True))
    return model / perfect if perfect > 0 else math.nan


def random_rows(rng: np.random.Generator, n: int, *, treated_share: float = 0.3) -> Rows:
    return {
        "score": np.round(rng.uniform(size=n), 2),  # many ties
        "treated": (rng.uniform(size=n) < treated_share).astype(np.int64),
        "label": (rng.uniform(size=n) < 0.3).astype(np.int64),
        "clv": rng.lognormal(5.0, 0.6, n),
        "discount": rng.uniform(5.0, 20.0, n),
    }


def curve_of(rows: Rows, favourable: int = 0) -> QiniCurve:
    groups = UpliftGroups.from_rows(
        rows["score"],
        rows["label"],
        rows["treated"],
        {k: rows[k] for k in ("clv", "discount") if k in rows},
    )
    return qini_curve(groups, favourable=favourable)  # type: ignore[arg-type]


def assert_curve_matches_rows(curve: QiniCurve, rows: Rows, favourable: int) -> None:
    want = [brute_point(rows, t, favourable) for t in thresholds(rows)]
    assert len(curve) == len(want)
    for name, column in (
        ("targeted", "targeted"),
        ("incremental", "incremental"),
        ("se", "se_incremental"),
        ("qini", "qini"),
        ("anyway", "favourable_anyway"),
    ):
        np.testing.assert_allclose(
            getattr(curve, column), [w[name] for w in want], rtol=1e-9, atol=1e-9, err_msg=name
        )


# ----------------------------------------------------------------------- curves against rows


@pytest.mark.parametrize("favourable", [0, 1])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_qini_curve_equals_the_brute_force_recomputation_from_rows(
    favourable: int, seed: int
) -> None:
    rows = random_rows(np.random.default_rng(seed), 3_000)
    curve = curve_of(rows, favourable)
    assert_curve_matches_rows(curve, rows, favourable)
    x = curve.share_targeted.tolist()
    y = (curve.incremental / curve.n).tolist()
    assert curve.auuc == pytest.approx(trapezoid_over_random(x, y), abs=1e-12)
    assert curve.qini_coefficient == pytest.approx(
        brute_qini_coefficient(rows, favourable), rel=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.1, 0.2, 0.3, 0.7]), st.booleans(), st.booleans()),
        min_size=2,
        max_size=30,
    ).filter(lambda r: 0 < sum(t for _, t, _ in r) < len(r)),
    st.sampled_from([0, 1]),
)
def test_qini_curve_equals_brute_force_on_any_small_table(
    data: list[tuple[float, bool, bool]], favourable: int
) -> None:
    rows = {
        "score": np.array([s for s, _, _ in data]),
        "treated": np.array([int(t) for _, t, _ in data]),
        "label": np.array([int(y) for _, _, y in data]),
    }
    curve = curve_of(rows, favourable)
    assert_curve_matches_rows(curve, rows, favourable)
    want_q = brute_qini_coefficient(rows, favourable)
    assert curve.qini_coefficient == pytest.approx(want_q, rel=1e-9, abs=1e-12, nan_ok=True)


def test_the_curves_and_qini_coefficient_equal_scikit_uplift() -> None:
    """Values printed by scikit-uplift 0.5.1 (``qini_curve``, ``uplift_curve``,
    ``qini_auc_score``) on these rows, recorded once (it is not a dependency)."""
    rng = np.random.default_rng(8)
    score = np.round(rng.uniform(size=5_000), 2)
    treated = (rng.uniform(size=5_000) < 0.4).astype(int)
    label = (rng.uniform(size=5_000) < 0.3 + 0.1 * treated * score).astype(int)
    curve = qini_curve(UpliftGroups.from_rows(score, label, treated), favourable=1)
    np.testing.assert_allclose(
        curve.qini[[1, 2, 3, -1]], [-1.23076923, -0.97674419, 4.23076923, 83.97975179621164]
    )
    np.testing.assert_allclose(
        curve.incremental[[1, 2, 3, -1]],
        [-2.68531469, -2.24947146, 10.34188034, 216.6660263060155],
    )
    assert curve.qini_coefficient == pytest.approx(0.041862698321796704, rel=1e-12)


# ------------------------------------------------------------------------- known answer


def hand_rows() -> Rows:
    """Three tied groups; label 1 = churned, so the favourable outcome is 0 (stayed).

    score 0.9: treated stayed, control churned
    score 0.5: treated stayed, treated churned, control stayed
    score 0.1: treated churned, control stayed, control stayed
    """
    return {
        "score": np.array([0.9, 0.9, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1]),
        "treated": np.array([1, 0, 1, 1, 0, 1, 0, 0]),
        "label": np.array([0, 1, 0, 1, 0, 1, 0, 0]),
    }


def test_a_hand_worked_example_gives_the_known_curve() -> None:
    curve = curve_of(hand_rows())
    # cumulative (N_T, Y_T, N_C, Y_C): (1, 1, 1, 0), (3, 2, 2, 1), (4, 2, 4, 3)
    assert curve.targeted.tolist() == [0, 2, 5, 8]
    np.testing.assert_allclose(curve.qini, [0, 1 - 0, 2 - 1 * 3 / 2, 2 - 3 * 4 / 4])
    np.testing.assert_allclose(curve.incremental, [0, 2 * (1 - 0), 5 * (2 / 3 - 1 / 2), -2])
    np.testing.assert_allclose(curve.favourable_anyway, [0, 0, 5 * 1 / 2, 8 * 3 / 4])
    assert curve.se_incremental[2] == pytest.approx(5 * math.sqrt(2 / 27 + 1 / 8))
    # Qini areas: model 2.5, random 8 * -1 / 2 = -4, perfect (0,0) (2,2) (5,2) (8,-1) = 9.5
    assert curve.qini_coefficient == pytest.approx((2.5 + 4) / (9.5 + 4))
    # uplift curve per row against share: 0.0703125 above the axis, random -0.125
    assert curve.auuc == pytest.approx(0.0703125 + 0.125)


def test_a_budget_inside_a_tie_interpolates_the_counts() -> None:
    curve = curve_of(hand_rows())
    point = curve.at_budget(3.5)  # half of the 0.5 group
    # N_T = 1 + 1, Y_T = 1 + 0.5, N_C = 1 + 0.5, Y_C = 0 + 0.5
    assert point["targeted"] == 3.5
    assert point["threshold"] == 0.5
    assert point["incremental"] == pytest.approx(3.5 * (1.5 / 2 - 0.5 / 1.5))
    assert curve.at_budget(share=5 / 8) == curve.row(2)


def test_a_start_without_control_rows_is_undefined_and_skipped_by_the_areas() -> None:
    rows = hand_rows()
    rows["score"] = np.r_[1.0, rows["score"][1:]]  # the first row (treated) alone at the top
    curve = curve_of(rows)
    assert math.isnan(curve.qini[1]) and math.isnan(curve.incremental[1])
    assert math.isnan(curve.se_qini[1]) and math.isnan(curve.favourable_anyway[1])
    assert not np.isnan(curve.qini[2:]).any()
    assert_curve_matches_rows(curve, rows, 0)
    assert math.isfinite(curve.auuc) and math.isfinite(curve.qini_coefficient)
    assert json.loads(dumps(curve.to_dict()))["columns"]["qini"][1] is None


def test_the_curve_has_every_documented_column() -> None:
    curve = curve_of(hand_rows())
    assert tuple(curve.columns) == QINI_COLUMNS
    assert curve.threshold[0] == math.inf
    assert (curve.total_treated, curve.total_control, curve.n) == (4, 4, 8)


# --------------------------------------------------------------------------- standard errors


def test_the_interval_at_a_cut_is_the_wald_interval_of_two_proportions() -> None:
    rows = random_rows(np.random.default_rng(4), 4_000, treated_share=0.5)
    curve = curve_of(rows)
    value = targeting_curve(curve, value=1.0)
    j = 40
    point = value.at_budget(curve.targeted[j], level=0.9)
    top = rows["score"] >= curve.threshold[j]
    t, stayed = rows["treated"][top] == 1, rows["label"][top] == 0
    low, high = confint_proportions_2indep(
        (stayed & t).sum(),
        t.sum(),
        (stayed & ~t).sum(),
        (~t).sum(),
        method="wald",
        compare="diff",
        alpha=0.1,
    )
    k = top.sum()
    assert point.targeted == k
    assert point.incremental.lower == pytest.approx(k * low, rel=1e-9)
    assert point.incremental.upper == pytest.approx(k * high, rel=1e-9)
    p_t, p_c = stayed[t].mean(), stayed[~t].mean()
    direct = k * math.sqrt(p_t * (1 - p_t) / t.sum() + p_c * (1 - p_c) / (~t).sum())
    assert point.incremental.std_error == pytest.approx(direct, rel=1e-12)
    assert curve.se_qini[j] == pytest.approx(direct * t.sum() / k, rel=1e-12)


def test_intervals_cover_the_true_incremental_outcomes_in_95_percent_of_campaigns() -> None:
    rng = np.random.default_rng(11)
    n, k, reps = 2_000, 600, 400
    risk = 1 / (1 + np.exp(-rng.normal(-1.0, 1.0, n)))
    effect = 0.5 * risk * (1 - risk) ** 2 * 2 * rng.beta(2, 2, n)
    score = rng.uniform(size=n)
    truth = effect[np.argsort(score)[::-1][:k]].sum()  # customers saved among the top k
    covered = 0
    for _ in range(reps):
        treated = (rng.uniform(size=n) < 0.5).astype(np.int64)
        churned = (rng.uniform(size=n) < risk - effect * treated).astype(np.int64)
        groups = UpliftGroups.from_rows(score, churned, treated)
        point = targeting_curve(qini_curve(groups, favourable=0), value=1.0).at_budget(k)
        covered += point.incremental.contains(truth)
    assert 0.92 <= covered / reps <= 0.985


# ------------------------------------------------------------------------------ money value


def test_a_per_row_value_of_ones_equals_a_value_of_one_per_outcome() -> None:
    rows = random_rows(np.random.default_rng(5), 2_000)
    groups = UpliftGroups.from_rows(
        rows["score"], rows["label"], rows["treated"], {"one": np.ones(2_000)}
    )
    curve = qini_curve(groups, favourable=0)
    by_row, by_number = targeting_curve(curve, value="one"), targeting_curve(curve, value=1.0)
    np.testing.assert_allclose(by_row.incremental_value, by_number.incremental_value, atol=1e-9)
    np.testing.assert_allclose(
        by_row.se_incremental_value, by_number.se_incremental_value, atol=1e-9
    )


def test_value_and_costs_from_columns_equal_the_direct_computation() -> None:
    rows = random_rows(np.random.default_rng(6), 3_000)
    value = targeting_curve(curve_of(rows), value="clv", cost="discount")
    j = 30
    point = value.at_budget(value.curve.targeted[j])
    top = rows["score"] >= value.curve.threshold[j]
    t, stayed = rows["treated"][top] == 1, rows["label"][top] == 0
    z = rows["clv"][top] * stayed
    k = top.sum()
    assert point.incremental_value.estimate == pytest.approx(
        k * (z[t].mean() - z[~t].mean()), rel=1e-9
    )
    assert point.incremental_value.std_error == pytest.approx(
        k * math.sqrt(z[t].var() / t.sum() + z[~t].var() / (~t).sum()), rel=1e-9
    )
    assert point.cost == pytest.approx(rows["discount"][top].sum(), rel=1e-12)
    assert point.anyway_cost == pytest.approx(
        k * (rows["discount"][top] * stayed)[~t].mean(), rel=1e-9
    )
    assert point.net_value.estimate == pytest.approx(point.incremental_value.estimate - point.cost)


def test_discounts_to_customers_who_stay_anyway_are_counted_and_costed() -> None:
    value = targeting_curve(curve_of(hand_rows()), value=100.0, cost=10.0)
    point = value.at_budget(5)
    # of the 5 top customers, the control stay rate 1/2 says 2.5 would have stayed anyway
    assert point.favourable_anyway == 2.5
    assert point.anyway_cost == 25.0
    assert point.cost == 50.0
    assert point.net_value.estimate == pytest.approx(100 * 5 * (2 / 3 - 1 / 2) - 50)
    assert value.best == 1  # top 2: +2 customers for $20
    assert value.best_point().net_value.estimate == 180.0


# ------------------------------------------------------------------ risk against true uplift


def simulated_campaign(n: int, seed: int) -> pa.Table:
    """A randomized retention offer where persuadables have uplift ``u = k p (1 - p)^2 s``,
    which peaks at ``p = 1/3``: the riskiest customers are mostly lost causes."""
    rng = np.random.default_rng(seed)
    risk = 1 / (1 + np.exp(-rng.normal(-1.2, 1.3, n)))
    effect = 0.5 * risk * (1 - risk) ** 2 * 2 * rng.beta(2, 2, n)
    treated = (rng.uniform(size=n) < 0.5).astype(np.int64)
    churned = (rng.uniform(size=n) < risk - effect * treated).astype(np.int64)
    return pa.table(
        {
            "risk": risk,
            "true_uplift": effect,
            "treated": treated,
            "churned": churned,
            "clv": np.full(n, 400.0),
            "discount": np.full(n, 15.0),
        }
    )


def test_ranking_by_true_uplift_beats_ranking_by_risk_at_a_mid_budget() -> None:
    data = simulated_campaign(60_000, seed=3)
    groups = uplift_groups_many(
        ibis.memtable(data),
        ["risk", "true_uplift"],
        "churned",
        "treated",
        sums={"clv": "clv", "offer_cost": "0.6 * discount + 1"},
    )
    curves = {
        "churn risk": targeting_curve(
            qini_curve(groups["risk"], favourable=0), value="clv", cost="offer_cost"
        ),
        "true uplift": targeting_curve(
            qini_curve(groups["true_uplift"], favourable=0), value="clv", cost="offer_cost"
        ),
    }
    result = compare_targeting(curves, shares=(0.1, 0.3, 0.5))
    risk, uplift = result.budgets["churn risk"][1], result.budgets["true uplift"][1]
    effect = data["true_uplift"].to_numpy()
    for name, point in (("risk", risk), ("true_uplift", uplift)):
        top = np.argsort(data[name].to_numpy())[::-1][: round(point.targeted)]
        assert abs(point.incremental.estimate - effect[top].sum()) < 4 * point.incremental.std_error
    assert uplift.incremental.estimate > risk.incremental.estimate + 200
    assert uplift.net_value.estimate > risk.net_value.estimate
    # the riskiest customers are lost causes, not customers who stay anyway
    assert risk.favourable_anyway < uplift.favourable_anyway
    assert result.qini_coefficient["true uplift"] > result.qini_coefficient["churn risk"]
    assert (
        result.best["true uplift"].net_value.estimate > result.best["churn risk"].net_value.estimate
    )


def test_the_comparison_reads_as_plain_english_and_serialises() -> None:
    rows = hand_rows()
    groups = UpliftGroups.from_rows(rows["score"], rows["label"], rows["treated"])
    reverse = UpliftGroups.from_rows(-rows["score"], rows["label"], rows["treated"])
    curves = {
        name: targeting_curve(qini_curve(g, favourable=0), value=100.0, cost=10.0)
        for name, g in (("churn risk", groups), ("predicted uplift", reverse))
    }
    result = compare_targeting(curves, shares=(0.25, 0.625))
    text = targeting_sentences(
        result, who="customers", outcome="customers retained", anyway="would have stayed anyway"
    )
    assert text[0].startswith(
        "Treating the top 62.5% by churn risk (5 customers) gives an estimated 1 more customers"
        " retained than treating nobody (95% CI"
    )
    assert (
        "; 2 of the 5 treated would have stayed anyway, and treating them cost $25.00." in text[0]
    )
    assert text[2].startswith("At that budget, ranking by churn risk instead of predicted uplift")
    assert text[3] == (
        "The most valuable budget is the top 25% by churn risk (net $180.00, 95% CI $180.00 to"
        " $180.00) and treating nobody by predicted uplift (no budget adds net value)."
    )
    data = json.loads(dumps(result.to_dict()))
    assert data["rankings"]["churn risk"]["budgets"][1]["favourable_anyway"] == 2.5
    assert data["rankings"]["churn risk"]["best"]["net_value"]["estimate"] == 180.0


def test_curves_of_different_rows_are_not_compared() -> None:
    a = targeting_curve(curve_of(hand_rows()), value=1.0)
    b = targeting_curve(curve_of(random_rows(np.random.default_rng(1), 50)), value=1.0)
    with pytest.raises(ValueError, match='"b" is not a ranking of the same rows'):
        compare_targeting({"a": a, "b": b})


# ---------------------------------------------------------------------------------- backend


def scored_table(n: int = 5_000, seed: int = 1) -> pa.Table:
    rows = random_rows(np.random.default_rng(seed), n)
    rows["score2"] = np.round(np.random.default_rng(seed + 1).normal(size=n), 1)
    return pa.table(rows)


def assert_same_groups(got: UpliftGroups, want: UpliftGroups) -> None:
    np.testing.assert_array_equal(got.score, want.score)
    np.testing.assert_array_equal(got.n, want.n)
    assert set(got.sums) == set(want.sums)
    for name in want.sums:
        np.testing.assert_allclose(got.sums[name], want.sums[name], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(got.squares[name], want.squares[name], rtol=1e-12, atol=1e-9)


def in_memory(data: pa.Table, score: str = "score") -> UpliftGroups:
    col = {name: data[name].to_numpy() for name in data.column_names}
    return UpliftGroups.from_rows(
        col[score],
        col["label"],
        col["treated"],
        {"clv": col["clv"], "offer_cost": 0.6 * col["discount"] + 1},
    )


SUMS = {"clv": "clv", "offer_cost": "0.6 * discount + 1"}


def test_duckdb_groups_equal_the_numpy_groups() -> None:
    data = scored_table()
    got = uplift_groups(ibis.memtable(data), "score", "label", "treated", sums=SUMS)
    assert_same_groups(got, in_memory(data))


def test_several_rankings_in_one_query_equal_one_query_each() -> None:
    data = scored_table()
    table = ibis.memtable(data)
    both = uplift_groups_many(table, ["score", "score2"], "label", "treated", sums=SUMS)
    assert_same_groups(both["score"], in_memory(data, "score"))
    assert_same_groups(both["score2"], in_memory(data, "score2"))


def test_boolean_treatment_and_label_columns_are_read_as_0_1() -> None:
    data = scored_table(500)
    flags = data.set_column(
        data.column_names.index("treated"), "treated", pa.array(data["treated"].to_numpy() == 1)
    )
    flags = flags.set_column(
        flags.column_names.index("label"), "label", pa.array(data["label"].to_numpy() == 1)
    )
    got = uplift_groups(ibis.memtable(flags), "score", "label", "treated", sums=SUMS)
    assert_same_groups(got, in_memory(data))


def test_the_churn_demo_scores_through_duckdb() -> None:
    scored = generate_churn(20_000, seed=3).scored
    groups = uplift_groups_many(
        ibis.memtable(scored),
        ["score", "score_challenger"],
        "churned",
        "treated",
        sums={"clv": "clv", "offer_cost": "0.6 * discount + 1"},
    )
    col = {name: scored[name].to_numpy() for name in scored.column_names}
    want = UpliftGroups.from_rows(
        col["score"],
        col["churned"],
        col["treated"],
        {"clv": col["clv"], "offer_cost": 0.6 * col["discount"] + 1},
    )
    assert_same_groups(groups["score"], want)
    assert 1_500 < groups["score"].n_treated.sum() < 2_500  # ~10% offered at random
    curves = {
        name: targeting_curve(qini_curve(g, favourable=0), value="clv", cost="offer_cost")
        for name, g in groups.items()
    }
    text = targeting_sentences(
        compare_targeting(curves),
        who="customers",
        outcome="customers retained",
        anyway="would have stayed anyway",
    )
    assert len(text) == 4
    assert text[0].startswith("Treating the top 20% by score (4,000 customers) gives an estimated")


@pytest.mark.postgres
def test_postgres_groups_equal_the_numpy_groups(postgres_con: Any) -> None:
    data = scored_table(2_000)
    flags = data.set_column(
        data.column_names.index("treated"), "treated", pa.array(data["treated"].to_numpy() == 1)
    )
    table = postgres_con.create_table("uplift_scored", obj=flags, overwrite=True)
    try:
        both = uplift_groups_many(table, ["score", "score2"], "label", "treated", sums=SUMS)
    finally:
        postgres_con.drop_table("uplift_scored", force=True)
    assert_same_groups(both["score"], in_memory(data, "score"))
    assert_same_groups(both["score2"], in_memory(data, "score2"))


@pytest.mark.spark
def test_spark_groups_equal_the_numpy_groups(spark_tables: Any) -> None:
    from mlroi.sources.open import open_table

    data = scored_table(2_000)
    table = open_table(spark_tables.put("uplift_scored", data))
    both = uplift_groups_many(table, ["score", "score2"], "label", "treated", sums=SUMS)
    assert_same_groups(both["score"], in_memory(data, "score"))
    assert_same_groups(both["score2"], in_memory(data, "score2"))


# ----------------------------------------------------------------------------------- errors


def with_column(data: pa.Table, name: str, values: Any) -> pa.Table:
    return data.set_column(data.column_names.index(name), name, pa.array(values))


def groups_of(data: pa.Table) -> UpliftGroups:
    return uplift_groups(ibis.memtable(data), "score", "label", "treated", sums=SUMS)


def test_a_treatment_flag_other_than_0_1_is_refused() -> None:
    data = scored_table(1_000)
    flags = data["treated"].to_numpy().copy()
    flags[:3] = 2
    with pytest.raises(
        DataError, match=r"column 'treated': 3 of 1,000 treatment flags are not 0 or 1"
    ):
        groups_of(with_column(data, "treated", flags))


def test_null_treatment_flags_are_refused() -> None:
    data = scored_table(1_000)
    flags = [None, *data["treated"].to_numpy()[1:].tolist()]
    with pytest.raises(DataError, match=r"column 'treated': 1 of 1,000 treatment flags are NULL"):
        groups_of(with_column(data, "treated", flags))


@pytest.mark.parametrize(("flag", "missing"), [(1, "control"), (0, "treated")])
def test_a_table_without_one_arm_is_refused(flag: int, missing: str) -> None:
    data = scored_table(1_000)
    with pytest.raises(DataError, match=rf"column 'treated': no {missing} rows \({1 - flag}\)"):
        groups_of(with_column(data, "treated", np.full(1_000, flag)))


def test_a_label_other_than_0_1_is_refused() -> None:
    data = scored_table(1_000)
    labels = data["label"].to_numpy().copy()
    labels[:7] = 2
    with pytest.raises(DataError, match=r"column 'label': 7 of 1,000 labels are not 0 or 1"):
        groups_of(with_column(data, "label", labels))


def test_null_labels_are_refused() -> None:
    data = scored_table(1_000)
    labels = [None, None, *data["label"].to_numpy()[2:].tolist()]
    with pytest.raises(DataError, match=r"column 'label': 2 of 1,000 labels are NULL"):
        groups_of(with_column(data, "label", labels))


def test_nan_scores_are_refused() -> None:
    data = scored_table(1_000)
    score = data["score"].to_numpy().copy()
    score[5] = np.nan
    with pytest.raises(DataError, match=r"column 'score': 1 of 1,000 scores are NULL, NaN"):
        groups_of(with_column(data, "score", score))


def test_yes_no_text_flags_and_labels_read_as_one_and_zero() -> None:
    data = scored_table(1_000)
    flag = ["Yes" if t else "no" for t in data["treated"].to_numpy()]
    label = ["true" if y else "false" for y in data["label"].to_numpy()]
    text = with_column(with_column(data, "treated", flag), "label", label)
    assert_same_groups(groups_of(text), groups_of(data))


def test_a_text_flag_that_is_not_yes_or_no_is_refused() -> None:
    data = scored_table(100)
    text = [
        "maybe" if i == 0 else ("yes" if t else "no")
        for i, t in enumerate(data["treated"].to_numpy())
    ]
    with pytest.raises(DataError, match=r"column 'treated': 1 of 100 treatment flags are not 0"):
        groups_of(with_column(data, "treated", text))


def test_a_date_treatment_column_is_refused_with_its_type() -> None:
    data = scored_table(100)
    dates = pa.array(np.zeros(100, dtype="datetime64[s]"))
    with pytest.raises(
        DataError, match=r"column 'treated' \(the treatment flag\) has type timestamp"
    ):
        groups_of(with_column(data, "treated", dates))


def test_a_missing_column_is_named_with_a_suggestion() -> None:
    data = scored_table(100)
    with pytest.raises(
        DataError, match=r"the treatment flag 'treatd' not found \(did you mean 'treated'\?\)"
    ):
        uplift_groups(ibis.memtable(data), "score", "label", "treatd")


def test_in_memory_rows_refuse_a_fractional_flag_and_a_single_arm() -> None:
    with pytest.raises(ValueError, match="treated must be 0 or 1 in every row"):
        UpliftGroups.from_rows([0.1, 0.2], [0, 1], [0.5, 1])
    with pytest.raises(ValueError, match="there are no control rows"):
        UpliftGroups.from_rows([0.1, 0.2], [0, 1], [1, 1])


def test_the_value_must_name_a_summed_amount() -> None:
    with pytest.raises(ValueError, match='value: "clv" is not a sum of the groups'):
        targeting_curve(curve_of(hand_rows()), value="clv")


@pytest.mark.parametrize(
    "module", [uplift_module, uplift_groups_module, qini_module, targeting_module]
)
def test_the_docstring_examples_run(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


def test_targeting_curve_columns_extend_the_qini_columns() -> None:
    value: TargetingCurve = targeting_curve(curve_of(hand_rows()), value=1.0)
    assert list(value.columns)[: len(QINI_COLUMNS)] == list(QINI_COLUMNS)
    assert json.loads(dumps(value.to_dict()))["best"]["targeted"] == 2.0
