"""Value curves: exact at every threshold, model metrics against references, constraints, optimum,
and the calibration check of the scores."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import mlroi.decision.optimum as optimum_module
import mlroi.decision.score_groups as score_groups_module
import mlroi.decision.value_curve as value_curve_module
from mlroi.decision.calibration import calibration
from mlroi.decision.expr import ExprError
from mlroi.decision.optimum import optimum
from mlroi.decision.score_groups import ScoreGroups
from mlroi.decision.value_curve import ValueCurve, value_curve

Rows = dict[str, np.ndarray]


# ------------------------------------------------------------------------------ brute force


def brute_point(rows: Rows, threshold: float) -> dict[str, float]:
    """Counts and value of acting on the rows with ``score >= threshold``, straight from rows."""
    acted = rows["score"] >= threshold
    label = rows["label"]
    positives = int(label.sum())
    tp = int(label[acted].sum())
    return {
        "targeted": int(acted.sum()),
        "tp": tp,
        "fp": int(acted.sum()) - tp,
        "recall": tp / positives if positives else math.nan,
        "value": float(rows["act"][acted].sum() + rows["leave"][~acted].sum()),
        "cost": float(rows["cost"][acted].sum()),
    }


def brute_thresholds(rows: Rows) -> list[float]:
    """Acting on nobody, then every distinct score from the highest."""
    return [math.inf, *sorted(set(rows["score"].tolist()), reverse=True)]


def brute_optimum(rows: Rows, recall_min: float | None, targeted_max: int | None) -> float | None:
    """The threshold of highest value meeting the constraints (fewest targeted on a tie)."""
    best: tuple[float, float] | None = None
    for t in brute_thresholds(rows):
        point = brute_point(rows, t)
        if recall_min is not None and not point["recall"] >= recall_min:
            continue
        if targeted_max is not None and not point["targeted"] <= targeted_max:
            continue
        if best is None or point["value"] > best[1]:
            best = (t, point["value"])
    return None if best is None else best[0]


def curve_of(rows: Rows) -> ValueCurve:
    groups = ScoreGroups.from_rows(
        rows["score"], rows["label"], rows["act"], rows["leave"], sums={"cost": rows["cost"]}
    )
    return value_curve(groups)


@st.composite
def tied_rows(draw: Any, whole_values: bool = False) -> Rows:
    """Up to 40 rows with scores rounded to 1 or 2 decimals, so many scores tie."""
    size = draw(st.integers(1, 40))
    scale = draw(st.sampled_from([10, 100]))
    ints = st.lists(st.integers(0, scale), min_size=size, max_size=size)
    if whole_values:
        values = st.lists(st.integers(-50, 50).map(float), min_size=size, max_size=size)
    else:
        values = st.lists(st.floats(-100, 100), min_size=size, max_size=size)
    return {
        "score": np.array(draw(ints), dtype=float) / scale,
        "label": np.array(draw(st.lists(st.integers(0, 1), min_size=size, max_size=size))),
        "act": np.array(draw(values)),
        "leave": np.array(draw(values)),
        "cost": np.array(draw(values)),
    }


# ----------------------------------------------------------------------------- exact curve


@settings(max_examples=300, deadline=None)
@given(tied_rows())
def test_curve_equals_brute_force_at_every_threshold(rows: Rows) -> None:
    curve = curve_of(rows)
    assert curve.threshold.tolist() == brute_thresholds(rows)
    for i, t in enumerate(curve.threshold):
        point = brute_point(rows, float(t))
        assert curve.targeted[i] == point["targeted"]
        assert curve.tp[i] == point["tp"]
        assert curve.fp[i] == point["fp"]
        assert curve.value[i] == pytest.approx(point["value"], abs=1e-9)
        assert curve.sums["cost"][i] == pytest.approx(point["cost"], abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(tied_rows(whole_values=True))
def test_optimum_without_constraints_is_the_brute_force_best(rows: Rows) -> None:
    decision = optimum(curve_of(rows))
    assert decision.status == "optimal"
    assert decision.point is not None
    assert decision.point["threshold"] == brute_optimum(rows, None, None)


@settings(max_examples=300, deadline=None)
@given(
    tied_rows(whole_values=True),
    st.one_of(st.none(), st.floats(0.0, 1.0)),
    st.one_of(st.none(), st.integers(0, 40)),
)
def test_constrained_optimum_is_the_brute_force_best_feasible(
    rows: Rows, recall_min: float | None, targeted_max: int | None
) -> None:
    constraints = []
    if recall_min is not None:
        constraints.append(f"recall >= {recall_min!r}")
    if targeted_max is not None:
        constraints.append(f"targeted <= {targeted_max}")
    decision = optimum(curve_of(rows), constraints)
    expected = brute_optimum(rows, recall_min, targeted_max)
    if expected is None:
        assert decision.status == "infeasible"
    else:
        assert decision.point is not None
        assert decision.point["threshold"] == expected


def test_rows_with_equal_scores_form_one_group() -> None:
    groups = ScoreGroups.from_rows(
        [0.3, 0.9, 0.3, 0.3], [1, 0, 0, 1], [1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]
    )
    assert groups.score.tolist() == [0.9, 0.3]
    assert groups.n.tolist() == [1, 3]
    assert groups.positives.tolist() == [0, 2]
    assert groups.act.tolist() == pytest.approx([2.0, 8.0])
    assert groups.leave.tolist() == pytest.approx([0.5, 1.5])


def test_labels_other_than_zero_or_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="label must be 0 or 1"):
        ScoreGroups.from_rows([0.1, 0.2], [0, 2], [0.0, 0.0], [0.0, 0.0])


def test_groups_out_of_score_order_are_rejected() -> None:
    with pytest.raises(ValueError, match="strictly decreasing"):
        ScoreGroups(score=[0.2, 0.9], n=[1, 1], positives=[0, 1], act=[0, 0], leave=[0, 0])


# ---------------------------------------------------------------------------- model metrics

HAND = {
    "score": np.array([0.9, 0.8, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1]),
    "label": np.array([1, 1, 0, 1, 0, 0, 1, 0]),
}


def test_metrics_at_a_threshold_match_the_hand_computation() -> None:
    # score >= 0.8 acts on 3 rows (the tie included): tp 2, fp 1; 4 positives, 4 negatives.
    zeros = np.zeros(8)
    curve = value_curve(ScoreGroups.from_rows(HAND["score"], HAND["label"], zeros, zeros))
    i = int(np.flatnonzero(curve.threshold == 0.8)[0])
    assert (curve.targeted[i], curve.tp[i], curve.fp[i], curve.fn[i], curve.tn[i]) == (
        3,
        2,
        1,
        2,
        3,
    )
    assert curve.precision[i] == pytest.approx(2 / 3, abs=1e-15)
    assert curve.recall[i] == pytest.approx(1 / 2, abs=1e-15)
    assert curve.fpr[i] == pytest.approx(1 / 4, abs=1e-15)
    assert curve.f1[i] == pytest.approx(4 / 7, abs=1e-15)
    assert curve.share_targeted[i] == pytest.approx(3 / 8, abs=1e-15)


def test_acting_on_nobody_is_the_first_point_with_undefined_precision() -> None:
    rows = {"score": [0.7, 0.2], "label": [1, 0], "act": [5.0, -1.0], "leave": [-2.0, 0.5]}
    curve = value_curve(ScoreGroups.from_rows(**rows))
    assert curve.threshold[0] == math.inf
    assert curve.targeted[0] == 0
    assert math.isnan(curve.precision[0])
    assert curve.value.tolist() == pytest.approx([-1.5, 5.5, 4.0])
    assert curve.incremental_value.tolist() == pytest.approx([0.0, 7.0, 5.5])


def test_auc_and_average_precision_reproduce_scikit_learn_documentation() -> None:
    # sklearn docs: roc_auc_score -> 0.75, average_precision_score -> 0.83 (= 5/6).
    zeros = np.zeros(4)
    groups = ScoreGroups.from_rows([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], zeros, zeros)
    curve = value_curve(groups)
    assert curve.auc == pytest.approx(0.75, abs=1e-15)
    assert curve.pr_auc == pytest.approx(5 / 6, abs=1e-15)


def average_precision_by_definition(score: np.ndarray, label: np.ndarray) -> float:
    """scikit-learn's definition: sum over distinct thresholds of (R_k - R_{k-1}) P_k."""
    total, previous_recall = 0.0, 0.0
    for t in sorted(set(score.tolist()), reverse=True):
        acted = score >= t
        recall = label[acted].sum() / label.sum()
        total += (recall - previous_recall) * label[acted].mean()
        previous_recall = recall
    return float(total)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auc_equals_mann_whitney_and_pr_auc_equals_average_precision_with_ties(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, 3_000)
    score = np.round(rng.uniform(size=3_000) * 0.6 + 0.4 * label, 2)  # ~100 distinct scores
    zeros = np.zeros(3_000)
    curve = value_curve(ScoreGroups.from_rows(score, label, zeros, zeros))
    u = scipy.stats.mannwhitneyu(score[label == 1], score[label == 0]).statistic
    assert curve.auc == pytest.approx(u / (label.sum() * (1 - label).sum()), abs=1e-12)
    assert curve.pr_auc == pytest.approx(average_precision_by_definition(score, label), abs=1e-12)


def test_budget_never_splits_a_tied_group() -> None:
    zeros = np.zeros(4)
    curve = value_curve(ScoreGroups.from_rows([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0], zeros, zeros))
    assert curve.at_budget(2)["targeted"] == 1  # the tie at 0.5 would make 3
    assert curve.at_budget(3)["targeted"] == 3
    assert curve.at_budget(share=0.5)["targeted"] == 1
    assert curve.at_budget(share=0.75)["threshold"] == 0.5
    assert curve.at_budget(0)["threshold"] == math.inf


# ------------------------------------------------------------------------------- constraints


def fraud_curve() -> ValueCurve:
    """Blocking a transaction saves 100 on fraud and costs 5 of friction on a legitimate one."""
    n = np.array([10, 100, 1_000, 8_890])
    fraud = np.array([9, 40, 30, 21])
    groups = ScoreGroups(
        score=np.array([0.9, 0.7, 0.5, 0.2]),
        n=n,
        positives=fraud,
        act=100.0 * fraud - 5.0 * (n - fraud),
        leave=np.zeros(4),
    )
    return value_curve(groups)


def test_fpr_limit_gives_up_value_and_says_what_binds() -> None:
    decision = optimum(fraud_curve(), ["fpr <= 0.005"])
    assert decision.status == "optimal"
    assert decision.point is not None and decision.unconstrained is not None
    assert decision.point["threshold"] == 0.9
    assert decision.unconstrained["threshold"] == 0.7
    assert decision.given_up == pytest.approx(3_700.0, abs=1e-9)
    assert decision.binding == (
        "a lower threshold (0.7) would raise fpr to 0.006162, over the limit fpr <= 0.005",
    )


def test_unconstrained_optimum_has_nothing_binding() -> None:
    decision = optimum(fraud_curve(), ["fpr <= 0.01"])
    assert decision.point is not None
    assert decision.point["threshold"] == 0.7
    assert decision.given_up == 0.0
    assert decision.binding == ()


def test_unreachable_constraint_is_infeasible_and_says_how_close_it_gets() -> None:
    decision = optimum(fraud_curve(), ["precision >= 0.95"])
    assert decision.status == "infeasible"
    assert decision.point is None
    assert decision.reason == (
        "no threshold meets precision >= 0.95: the highest precision at any threshold is 0.9"
    )


def test_constraints_met_only_apart_are_infeasible_together() -> None:
    decision = optimum(fraud_curve(), ["recall >= 0.5", "fpr <= 0.001"])
    assert decision.status == "infeasible"
    assert decision.reason == (
        "each constraint holds at some threshold but no threshold meets all:"
        " recall >= 0.5 holds only at thresholds <= 0.5;"
        " fpr <= 0.001 holds only at thresholds >= 0.9"
    )


def test_constraint_between_two_summed_columns() -> None:
    groups = ScoreGroups(
        score=[0.8, 0.6, 0.4],
        n=[10, 10, 10],
        positives=[5, 3, 1],
        act=[80.0, 10.0, 5.0],
        leave=[0.0, 0.0, 0.0],
        sums={"discounts_given": [20.0, 50.0, 200.0], "value_retained": [100.0, 60.0, 30.0]},
    )
    decision = optimum(value_curve(groups), ["discounts_given <= value_retained"])
    assert decision.point is not None
    assert decision.point["threshold"] == 0.6
    assert decision.binding == (
        "a lower threshold (0.4) would break discounts_given <= value_retained"
        " (discounts_given = 270, value_retained = 190)",
    )


def test_objective_ties_go_to_fewer_targeted() -> None:
    groups = ScoreGroups(score=[0.9, 0.5], n=[1, 1], positives=[1, 0], act=[3, 0], leave=[0, 0])
    decision = optimum(value_curve(groups))
    assert decision.point is not None
    assert decision.point["targeted"] == 1


def test_unknown_column_in_a_constraint_suggests_the_right_one() -> None:
    with pytest.raises(ExprError, match=r'^constraints\[0\]: unknown name "recal"; did you mean'):
        optimum(fraud_curve(), ["recal >= 0.5"])


# ------------------------------------------------------------------------------- calibration


def calibration_of(score: np.ndarray, label: np.ndarray) -> Any:
    zeros = np.zeros(score.size)
    groups = ScoreGroups.from_rows(score, label, zeros, zeros)
    return calibration(groups.score, groups.n, groups.positives)


def test_calibrated_scores_have_small_error_and_pass_hosmer_lemeshow() -> None:
    rng = np.random.default_rng(11)
    p = np.round(rng.uniform(size=100_000), 2)
    result = calibration_of(p, (rng.uniform(size=p.size) < p).astype(int))
    assert result.ece < 0.01
    assert result.hl_p_value is not None and result.hl_p_value > 0.05


def test_squared_scores_have_large_error_and_fail_hosmer_lemeshow() -> None:
    rng = np.random.default_rng(11)
    p = np.round(rng.uniform(size=100_000), 2)
    result = calibration_of(p**2, (rng.uniform(size=p.size) < p).astype(int))
    assert result.ece > 0.1
    assert result.hl_p_value is not None and result.hl_p_value < 1e-10


def test_hosmer_lemeshow_matches_the_hand_computation() -> None:
    # (25 - 20)^2 / (20 * 0.8) + 0 + (75 - 80)^2 / (80 * 0.2) = 3.125 with 3 - 2 = 1 df
    result = calibration([0.2, 0.5, 0.8], [100, 100, 100], [25, 50, 75])
    assert result.hl_statistic == pytest.approx(3.125, abs=1e-12)
    assert result.hl_df == 1
    assert result.hl_p_value == pytest.approx(scipy.stats.chi2.sf(3.125, 1), rel=1e-12)
    assert result.ece == pytest.approx(10 / 3 / 100, abs=1e-15)


def test_scores_outside_zero_one_have_no_calibration() -> None:
    with pytest.raises(ValueError, match=r"not probabilities in \[0, 1\]"):
        calibration([1.5, 0.5], [10, 10], [1, 1])


@pytest.mark.parametrize("module", [score_groups_module, value_curve_module, optimum_module])
def test_docstring_examples_run(module: Any) -> None:
    assert doctest.testmod(module).failed == 0
