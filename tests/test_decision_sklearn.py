"""The scikit-learn value scorer: the same value model as the exact curve, tuned on a grid."""

from __future__ import annotations

import doctest
import pickle
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    FixedThresholdClassifier,
    TunedThresholdClassifierCV,
)

import mlroi.decision.sklearn as sklearn_module  # noqa: E402
from mlroi.decision.expr import ExprError, bind, evaluate, parse  # noqa: E402
from mlroi.decision.optimum import optimum  # noqa: E402
from mlroi.decision.score_groups import ScoreGroups  # noqa: E402
from mlroi.decision.sklearn import value_scorer  # noqa: E402
from mlroi.decision.value_curve import ValueCurve, value_curve  # noqa: E402

# Churn campaign of Verbraken et al. (2013): a contacted churner accepts the offer with
# probability g and stays, worth clv - d; every contact costs f, every accepted offer d.
ACT = "g * (clv - d - f) - (1 - g) * f if y == 1 else -(d + f)"
PARAMETERS = {"g": 0.3, "d": 10.0, "f": 1.0}


@pytest.fixture
def churn() -> dict[str, Any]:
    """3,000 customers, a fitted logistic model and each customer's lifetime value."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3_000, 3))
    churn_logit = X @ np.array([1.2, -0.8, 0.5]) - 1.5
    y = (rng.uniform(size=3_000) < 1 / (1 + np.exp(-churn_logit))).astype(int)
    model = LogisticRegression().fit(X[:1_500], y[:1_500])  # fitted on other customers
    return {
        "X": X[1_500:],
        "y": y[1_500:],
        "clv": rng.gamma(2.0, 100.0, size=3_000)[1_500:],
        "model": model,
    }


@pytest.fixture
def routing() -> Iterator[None]:
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def curve_for(churn: dict[str, Any], act: str, clv: Any) -> ValueCurve:
    """mlroi's exact curve of the same value model on the model's scores."""
    y = churn["y"]
    bound = bind(parse(act), ["y", "clv"], PARAMETERS)
    per_row = evaluate(bound, {"y": y, "clv": np.broadcast_to(clv, y.shape)})
    score = churn["model"].predict_proba(churn["X"])[:, 1]
    return value_curve(ScoreGroups.from_rows(score, y, per_row, np.zeros(y.size)))


def value_at(curve: ValueCurve, threshold: float) -> float:
    """The curve's value when acting on every row with ``score >= threshold``."""
    return float(curve.value[int(np.count_nonzero(curve.groups.score >= threshold))])


def tuned(churn: dict[str, Any], scorer: Any, **fit: Any) -> TunedThresholdClassifierCV:
    tuner = TunedThresholdClassifierCV(
        churn["model"], scoring=scorer, cv="prefit", refit=False, store_cv_results=True
    )
    return tuner.fit(churn["X"], churn["y"], **fit)


def test_scorer_value_equals_the_curve_value_at_every_grid_threshold(
    churn: dict[str, Any],
) -> None:
    act = ACT.replace("clv", "200")
    tuner = tuned(churn, value_scorer(act, parameters=PARAMETERS))
    curve = curve_for(churn, act, 200.0)
    grid = tuner.cv_results_
    expected = [value_at(curve, t) for t in grid["thresholds"]]
    assert grid["scores"] == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert tuner.best_score_ == pytest.approx(value_at(curve, tuner.best_threshold_), rel=1e-12)


def test_scorer_at_a_fixed_threshold_equals_the_curve_value(churn: dict[str, Any]) -> None:
    act = ACT.replace("clv", "200")
    scorer = value_scorer(act, parameters=PARAMETERS)
    frozen = FrozenEstimator(churn["model"])
    fixed = FixedThresholdClassifier(frozen, threshold=0.35).fit(churn["X"], churn["y"])
    curve = curve_for(churn, act, 200.0)
    assert scorer(fixed, churn["X"], churn["y"]) == pytest.approx(value_at(curve, 0.35), rel=1e-12)


def test_exact_optimum_is_at_least_the_grid_best(churn: dict[str, Any]) -> None:
    act = ACT.replace("clv", "200")
    tuner = tuned(churn, value_scorer(act, parameters=PARAMETERS))
    decision = optimum(curve_for(churn, act, 200.0))
    assert decision.point is not None
    assert decision.point["value"] >= tuner.best_score_ - 1e-9


def test_per_row_column_reaches_the_scorer_through_metadata_routing(
    churn: dict[str, Any], routing: None
) -> None:
    scorer = value_scorer(ACT, parameters=PARAMETERS, columns=["clv"])
    tuner = tuned(churn, scorer, clv=churn["clv"])
    curve = curve_for(churn, ACT, churn["clv"])
    expected = [value_at(curve, t) for t in tuner.cv_results_["thresholds"]]
    assert tuner.cv_results_["scores"] == pytest.approx(expected, rel=1e-12, abs=1e-9)
    decision = optimum(curve)
    assert decision.point is not None
    assert decision.point["value"] >= tuner.best_score_ - 1e-9


def test_string_classes_read_the_positive_class_as_label_one(churn: dict[str, Any]) -> None:
    words = np.where(churn["y"] == 1, "churn", "stay")
    model = LogisticRegression().fit(churn["X"], words)
    scorer = value_scorer("50 * y - 10", pos_label="churn")
    fixed = FixedThresholdClassifier(FrozenEstimator(model), pos_label="churn")
    fixed = fixed.fit(churn["X"], words)
    acted = fixed.predict(churn["X"]) == "churn"
    expected = float(np.sum(np.where(churn["y"][acted] == 1, 40.0, -10.0)))
    assert scorer(fixed, churn["X"], words) == pytest.approx(expected, rel=1e-12)


def test_scorer_pickles_for_parallel_workers(churn: dict[str, Any]) -> None:
    scorer = value_scorer(ACT.replace("clv", "200"), parameters=PARAMETERS)
    fixed = FixedThresholdClassifier(FrozenEstimator(churn["model"])).fit(churn["X"], churn["y"])
    copy = pickle.loads(pickle.dumps(scorer))
    assert copy(fixed, churn["X"], churn["y"]) == scorer(fixed, churn["X"], churn["y"])
    assert repr(copy) == "make_scorer(decision_value, response_method='predict', pos_label=1)"


def test_columns_without_metadata_routing_are_refused() -> None:
    with pytest.raises(ValueError, match=r"enable_metadata_routing=True"):
        value_scorer(ACT, parameters=PARAMETERS, columns=["clv"])


def test_a_column_not_passed_to_fit_is_named(churn: dict[str, Any], routing: None) -> None:
    scorer = value_scorer(ACT, parameters=PARAMETERS, columns=["clv"])
    fixed = FixedThresholdClassifier(FrozenEstimator(churn["model"])).fit(churn["X"], churn["y"])
    with pytest.raises(ValueError, match='column "clv" did not reach the scorer'):
        scorer._score_func(churn["y"], fixed.predict(churn["X"]))


def test_unknown_name_suggests_the_parameter() -> None:
    with pytest.raises(ExprError, match=r'^act: unknown name "gg"; did you mean "g"\?'):
        value_scorer("gg * 10", parameters={"g": 0.3})


def test_missing_scikit_learn_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install 'mlroi\[sklearn\]'"):
        value_scorer("1")


def test_docstring_example_runs() -> None:
    assert doctest.testmod(sklearn_module).failed == 0
