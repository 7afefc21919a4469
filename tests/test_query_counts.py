"""How many queries a readout and a decision send to the backend, and why each one exists.

Each analysis is one pass over the data where the method allows. The queries are counted where
they reach the one executor (:func:`mlroi.backend.execute.watching`); ``tests/test_dialects.py``
checks that nothing reaches the engine without passing through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlroi import ExperimentConfig, Mean, Proportion, Ratio, Source, readout
from mlroi.backend.execute import watching
from mlroi.decision.analysis import decide
from mlroi.decision.config import DecisionConfig
from mlroi.demo import RecommenderData, generate_churn, generate_recommender_test
from mlroi.retention.analysis import analyse_retention
from mlroi.spec.retention import RetentionConfig
from test_postgres_parity import CHURN_VALUE_MODEL
from test_retention_backend import END, _logs

READOUT = ExperimentConfig(
    control="control",
    arms={"control": 0.5, "treatment": 0.5},
    metrics=[
        Mean(name="revenue_per_user", column="revenue", covariate="pre_revenue"),
        Proportion(name="conversion", column="converted"),
        Ratio(name="ctr", numerator="clicks", denominator="impressions"),
        Mean(name="revenue_capped", column="revenue", cap=0.99),
    ],
    segments=["platform"],
)


def purposes(run: Any) -> list[str]:
    """The purposes of the queries ``run()`` sends to the executor, in order."""
    seen: list[str] = []
    with watching(lambda _query, purpose: seen.append(purpose)):
        run()
    return seen


@pytest.fixture(scope="module")
def recommender() -> RecommenderData:
    return generate_recommender_test(1_500, seed=5)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("counts") / "scored.parquet"
    pq.write_table(generate_churn(2_000, seed=11).scored, path)
    return path


def test_a_readout_of_a_per_unit_table_is_one_query(
    recommender: RecommenderData, tmp_path: Path
) -> None:
    # sums, counts, bounds, the cap's quantile (a joined one-row subquery) and the distinct
    # units all come back from one aggregation grouped by arm and segment
    pq.write_table(recommender.users, tmp_path / "users.parquet")
    run = lambda: readout(Source(path=str(tmp_path / "users.parquet")), READOUT)  # noqa: E731
    assert purposes(run) == ["the readout query"]


def test_a_readout_of_an_event_log_is_one_query(recommender: RecommenderData) -> None:
    # the per-unit columns are derived from the events inside the query, and the counts of
    # events and assignments read and left out are a joined one-row subquery
    config = READOUT.model_copy(update={"metrics": READOUT.metrics[:3]})
    run = lambda: readout(  # noqa: E731
        config=config, events=recommender.events, assignments=recommender.assignments
    )
    assert purposes(run) == ["the readout query"]


@pytest.mark.parametrize("mode", ["churn", "activity"])
def test_a_retention_analysis_is_one_query(mode: str) -> None:
    # the per-arm, per-day counts, with the checks of the assignments (and of the activity log)
    # as one-row aggregates joined to them
    asg, act = _logs(3, users=200)
    asg["churned_at"] = asg["first_exposure"] + pd.Timedelta(days=20)
    log = {"activity": {"source": {"path": "activity"}}} if mode == "activity" else {"churn": {}}
    config = RetentionConfig.model_validate(
        {
            "assignments": {"path": "assignments"},
            **log,
            "control": "control",
            "observation_end": END,
            "window_days": 30,
        }
    )
    run = lambda: analyse_retention(  # noqa: E731
        config, assignments=asg, log=act if mode == "activity" else None
    )
    assert purposes(run) == ["the retention counts query"]


def decision(scored: Path, **changes: Any) -> DecisionConfig:
    return DecisionConfig.model_validate(
        {
            "source": {"path": str(scored)},
            "score": "score",
            "label": "churned",
            "challenger": "score_challenger",
            **CHURN_VALUE_MODEL,
            "bootstrap": {"resamples": 0},
        }
        | changes
    )


CHECK = "the check of the scored table"
"""Labels, scores and values are valid, their sums cannot overflow, and the number of distinct
scores (which picks the exact or the binned curve) - one aggregation."""

CURVE = "the per-score sums of the scored table"
"""One model's value curve: sums grouped by score (exact) or by score bin (binned), so one query
per model; a binned curve refines near its optimum with one more query per model."""


def test_a_decision_reads_one_check_then_one_curve_per_model(scored: Path) -> None:
    run = lambda: decide(decision(scored), seed=5)  # noqa: E731
    assert purposes(run) == [CHECK, CURVE, CURVE]  # champion, challenger


def test_a_binned_decision_adds_one_refinement_per_model(scored: Path) -> None:
    config = decision(scored, max_groups=1_000, bins=100)
    # per model: the binned curve, then the exact sums of the bins around its optimum
    assert purposes(lambda: decide(config, seed=5)) == [CHECK, CURVE, CURVE, CURVE, CURVE]


def test_the_bootstrap_adds_one_read_of_the_rows(scored: Path) -> None:
    # the Poisson bootstrap resamples rows in memory: one read of score, label and values
    config = decision(scored, bootstrap={"resamples": 10})
    assert purposes(lambda: decide(config, seed=5)) == [
        CHECK,
        CURVE,
        CURVE,
        "the read of the scored rows for the bootstrap",
    ]


def test_a_past_campaign_adds_a_flag_check_and_the_uplift_queries(scored: Path) -> None:
    config = decision(scored, treated="treated", uplift_score="uplift_score")
    assert purposes(lambda: decide(config, seed=5)) == [
        # the flag is checked before the untreated rows are selected for the curve, so that a
        # bad flag is named rather than read as "no rows"; the campaign check below repeats it
        "the check of the treatment flag",
        CHECK,
        CURVE,
        CURVE,
        # the campaign table's flag, label, scores and values, in one aggregation
        "the check of the campaign table",
        # every ranking's (score, arm, label) sums in one UNION ALL
        "the uplift cells of the campaign table",
    ]


def test_attribution_reads_the_paths_the_counts_and_each_influence_rule_once(
    tmp_path: Path,
) -> None:
    from mlroi.attribution.analysis import attribute
    from mlroi.attribution.config import AttributionConfig
    from mlroi.demo.journeys import generate_journey_logs

    for name, table in generate_journey_logs(300, seed=3).items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    config = AttributionConfig.model_validate(
        {
            "touchpoints": {"path": str(tmp_path / "touchpoints.parquet")},
            "orders": {"path": str(tmp_path / "orders.parquet")},
            "touchpoint_columns": {"session": "session_id"},
            "order_columns": {"session": "session_id"},
            "recommendation": {"clicks": ["rec_click"]},
            "resamples": 10,
        }
    )
    assert purposes(lambda: attribute(config, seed=1)) == [
        # the touchpoint log's rows (from the Parquet footer): a large log is reduced in parts
        "the size of the touchpoint log",
        # the journeys: per path, conversion and position, counts and values
        "the path-count query",
        # rows, duplicates, irregular orders of both logs: one-row aggregates, cross-joined
        "the counts of the logs",
        # the influenced revenue's spread is over the users who ordered: counted once, for
        # the item and order windows and the session rule alike
        "the ordering users",
        # each rule's influenced revenue per user, summed with its squares
        "the order-level query",
        "the item-level query",
        "the session-level query",
    ]
