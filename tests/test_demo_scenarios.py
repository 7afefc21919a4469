"""The churn, fraud and feed scenarios: reproducible, in their schema, and true to their effects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlroi.demo import (
    ChurnData,
    FeedData,
    FraudData,
    churn,
    feed,
    fraud,
    generate_churn,
    generate_feed,
    generate_fraud,
    write_churn,
    write_feed,
    write_fraud,
)
from mlroi.errors import SpecError

SCHEMAS = {
    ("churn", "scored"): [
        ("customer_id", pa.int64()),
        ("tenure_months", pa.int64()),
        ("monthly_revenue", pa.float64()),
        ("clv", pa.float64()),
        ("score", pa.float64()),
        ("score_challenger", pa.float64()),
        ("churned", pa.int64()),
        ("treated", pa.int64()),
        ("discount", pa.float64()),
        ("uplift_score", pa.float64()),
    ],
    ("churn", "campaign"): [
        ("customer_id", pa.int64()),
        ("variant", pa.string()),
        ("retained", pa.int64()),
        ("revenue_3m", pa.float64()),
        ("discount_cost", pa.float64()),
        ("pre_revenue_3m", pa.float64()),
        ("tenure_bucket", pa.string()),
    ],
    ("fraud", "scored"): [
        ("txn_id", pa.int64()),
        ("amount", pa.float64()),
        ("merchant_category", pa.string()),
        ("is_fraud", pa.int64()),
        ("score", pa.float64()),
        ("score_challenger", pa.float64()),
    ],
    ("fraud", "holdout"): [
        ("txn_id", pa.int64()),
        ("variant", pa.string()),
        ("amount", pa.float64()),
        ("is_fraud", pa.int64()),
        ("blocked", pa.int64()),
        ("fraud_loss", pa.float64()),
        ("legit_blocked", pa.int64()),
        ("customer_friction_cost", pa.float64()),
    ],
    ("feed", "users"): [
        ("user_id", pa.int64()),
        ("variant", pa.string()),
        ("sessions", pa.int64()),
        ("minutes", pa.float64()),
        ("ad_impressions", pa.int64()),
        ("ad_clicks", pa.int64()),
        ("pre_minutes", pa.float64()),
        ("platform", pa.string()),
    ],
}
GENERATORS: dict[str, Callable[..., Any]] = {
    "churn": generate_churn,
    "fraud": generate_fraud,
    "feed": generate_feed,
}
WRITERS: dict[str, Callable[..., dict[str, Path]]] = {
    "churn": write_churn,
    "fraud": write_fraud,
    "feed": write_feed,
}


@pytest.fixture(scope="module")
def churn_data() -> ChurnData:
    return generate_churn(200_000, seed=21)


@pytest.fixture(scope="module")
def fraud_data() -> FraudData:
    """A million transactions: fraud losses are rare and heavy-tailed, so they need volume."""
    return generate_fraud(1_000_000, seed=22)


@pytest.fixture(scope="module")
def feed_data() -> FeedData:
    return generate_feed(200_000, seed=23)


def _tables(data: Any) -> dict[str, Any]:
    names = ("scored", "campaign", "holdout", "users")
    return {name: getattr(data, name) for name in names if hasattr(data, name)}


def _numbers(table: Any, name: str) -> np.ndarray[Any, Any]:
    """A numeric column as numpy, from the Arrow buffer.

    By hand because pyarrow's ``to_numpy`` imports pandas, which costs a second per test run.
    """
    array = table.column(name).combine_chunks()
    dtype = {pa.int64(): np.int64, pa.float64(): np.float64}[array.type]
    values = np.frombuffer(array.buffers()[1], dtype=dtype)
    return values[array.offset : array.offset + len(array)]


def _equals(table: Any, name: str, value: str) -> np.ndarray[Any, Any]:
    """Row mask: the string column ``name`` equals ``value`` (dictionary codes, no pandas)."""
    encoded = table.column(name).combine_chunks().dictionary_encode()
    codes = np.frombuffer(encoded.indices.buffers()[1], dtype=np.int32)
    codes = codes[encoded.offset : encoded.offset + len(encoded)]
    return codes == encoded.dictionary.to_pylist().index(value)


def _auc(score: np.ndarray[Any, Any], label: np.ndarray[Any, Any]) -> float:
    """Area under the ROC curve by the Mann-Whitney rank formula, ties given their mean rank."""
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2
    ranks = mean_rank[inverse]
    positives = int(label.sum())
    negatives = label.size - positives
    return float(
        (ranks[label == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


def test_auc_formula_matches_hand_computed_values() -> None:
    label = np.array([0, 0, 1, 1])
    assert _auc(np.array([0.1, 0.4, 0.35, 0.8]), label) == 0.75
    assert _auc(np.array([0.5, 0.5, 0.5, 0.5]), label) == 0.5


@pytest.mark.parametrize("scenario", sorted(GENERATORS))
def test_same_seed_gives_identical_tables(scenario: str) -> None:
    first = _tables(GENERATORS[scenario](3_000, seed=5))
    second = _tables(GENERATORS[scenario](3_000, seed=5))
    for name, table in first.items():
        assert table.equals(second[name]), name


@pytest.mark.parametrize("scenario", sorted(GENERATORS))
def test_different_seeds_give_different_tables(scenario: str) -> None:
    first = _tables(GENERATORS[scenario](3_000, seed=5))
    second = _tables(GENERATORS[scenario](3_000, seed=6))
    for name, table in first.items():
        assert not table.equals(second[name]), name


@pytest.mark.parametrize(("scenario", "table"), sorted(SCHEMAS), ids="/".join)
def test_tables_have_the_documented_schema(scenario: str, table: str) -> None:
    schema = _tables(GENERATORS[scenario](500, seed=1))[table].schema
    assert list(zip(schema.names, schema.types, strict=True)) == SCHEMAS[scenario, table]


@pytest.mark.parametrize("scenario", sorted(GENERATORS))
def test_blocks_are_stitched_into_one_table_with_unique_ids(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr({"churn": churn, "fraud": fraud, "feed": feed}[scenario], "BLOCK_SIZE", 400)
    for table in _tables(GENERATORS[scenario](1_000, seed=2)).values():
        ids = _numbers(table, table.schema.names[0])
        np.testing.assert_array_equal(ids, ids[0] + np.arange(1_000))


@pytest.mark.parametrize("scenario", sorted(WRITERS))
def test_write_puts_each_table_in_the_scenario_folder(scenario: str, tmp_path: Path) -> None:
    paths = WRITERS[scenario](tmp_path, 2_000, seed=4)
    expected = _tables(GENERATORS[scenario](2_000, seed=4))
    assert set(paths) == set(expected)
    for name, path in paths.items():
        assert path == tmp_path / scenario / f"{name}.parquet"
        # ParquetFile.read, unlike pq.read_table, does not import pandas.
        written = pq.ParquetFile(path).read()
        assert written.num_rows == 2_000
        assert written.equals(expected[name]), name


@pytest.mark.parametrize(
    ("generate", "arguments", "field"),
    [
        (generate_churn, {"n": 0}, "n"),
        (generate_churn, {"n": 10, "retention_lift": 0.5}, "retention_lift"),
        (generate_fraud, {"n": 10, "model_threshold": 1.0}, "model_threshold"),
        (generate_fraud, {"n": 10, "fraud_rate": 0.0}, "fraud_rate"),
        (generate_feed, {"n": 10, "effects": {"minute": 0.03}}, "effects"),
        (generate_feed, {"n": 2.5}, "n"),
    ],
)
def test_bad_arguments_are_named_in_the_error(
    generate: Callable[..., Any], arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(SpecError, match=field):
        generate(**arguments)


def test_churn_campaign_recovers_the_true_retention_lift(churn_data: ChurnData) -> None:
    campaign = churn_data.campaign
    offer = _equals(campaign, "variant", "offer")
    retained = _numbers(campaign, "retained")
    lift = retained[offer].mean() - retained[~offer].mean()
    assert churn_data.effects["retention"] == 0.05
    assert abs(lift - 0.05) < 0.015
    assert 0.6 < retained[~offer].mean() < 0.8


def test_churn_campaign_costs_and_revenue_follow_retention(churn_data: ChurnData) -> None:
    campaign = churn_data.campaign
    offer = _equals(campaign, "variant", "offer")
    retained = _numbers(campaign, "retained") == 1
    cost = _numbers(campaign, "discount_cost")
    revenue = _numbers(campaign, "revenue_3m")
    assert np.all(cost[~offer] == 0)
    assert np.all(cost[offer & ~retained] == 0)
    assert 0.5 < np.mean(cost[offer & retained] > 0) < 0.8
    assert np.all(revenue[~retained] == 0) and np.all(revenue[retained] > 0)
    assert np.corrcoef(revenue, _numbers(campaign, "pre_revenue_3m"))[0, 1] > 0.3
    assert set(campaign.column("tenure_bucket").unique().to_pylist()) == {"12-24", "24+"}


def test_churn_scores_are_probabilities_with_the_stated_auc(churn_data: ChurnData) -> None:
    scored = churn_data.scored
    churned = _numbers(scored, "churned")
    score, challenger = _numbers(scored, "score"), _numbers(scored, "score_challenger")
    assert score.min() >= 0 and score.max() <= 1
    assert challenger.min() >= 0 and challenger.max() <= 1
    auc = _auc(score, churned)
    assert 0.75 <= auc <= 0.80
    assert 0.01 <= _auc(challenger, churned) - auc <= 0.03


def test_churn_score_is_calibrated_within_two_points_per_decile(churn_data: ChurnData) -> None:
    scored = churn_data.scored
    untreated = _numbers(scored, "treated") == 0
    score = _numbers(scored, "score")[untreated]
    churned = _numbers(scored, "churned")[untreated]
    decile = np.searchsorted(np.quantile(score, np.linspace(0.1, 0.9, 9)), score)
    for group in range(10):
        in_group = decile == group
        assert abs(score[in_group].mean() - churned[in_group].mean()) < 0.02, group


def test_churn_base_rate_and_past_campaign_are_realistic(churn_data: ChurnData) -> None:
    scored = churn_data.scored
    tenure = _numbers(scored, "tenure_months")
    churned = _numbers(scored, "churned")
    treated = _numbers(scored, "treated") == 1
    assert tenure.min() >= 0 and tenure.max() == 72
    assert 0.10 <= churned[tenure >= 12].mean() <= 0.15
    assert abs(treated.mean() - 0.10) < 0.005
    assert churned[treated].mean() < churned[~treated].mean()
    clv = _numbers(scored, "clv")
    assert clv.mean() > 1.5 * np.median(clv)  # heavy right tail
    np.testing.assert_allclose(
        _numbers(scored, "discount"), 0.6 * _numbers(scored, "monthly_revenue"), atol=0.006
    )


def test_fraud_holdout_recovers_the_true_loss_reduction(fraud_data: FraudData) -> None:
    holdout = fraud_data.holdout
    model = _equals(holdout, "variant", "model")
    loss = _numbers(holdout, "fraud_loss")
    change = loss[model].mean() / loss[~model].mean() - 1
    assert -0.35 <= fraud_data.effects["fraud_loss"] <= -0.25
    assert abs(change - fraud_data.effects["fraud_loss"]) < 0.10


def test_fraud_model_blocks_fewer_legitimate_transactions(fraud_data: FraudData) -> None:
    holdout = fraud_data.holdout
    model = _equals(holdout, "variant", "model")
    legit_blocked = _numbers(holdout, "legit_blocked")
    rules_rate = fraud_data.baseline["legit_blocked"]
    model_rate = rules_rate + fraud_data.effects["legit_blocked"]
    assert 0.0045 <= rules_rate <= 0.0055 and 0.003 <= model_rate <= 0.004
    assert abs(legit_blocked[~model].mean() - rules_rate) < 0.0005
    assert abs(legit_blocked[model].mean() - model_rate) < 0.0005


def test_fraud_holdout_outcomes_follow_the_blocking_decision(fraud_data: FraudData) -> None:
    holdout = fraud_data.holdout
    is_fraud = _numbers(holdout, "is_fraud") == 1
    blocked = _numbers(holdout, "blocked") == 1
    np.testing.assert_array_equal(
        _numbers(holdout, "fraud_loss"),
        np.where(is_fraud & ~blocked, _numbers(holdout, "amount"), 0),
    )
    np.testing.assert_array_equal(_numbers(holdout, "legit_blocked"), blocked & ~is_fraud)
    np.testing.assert_array_equal(
        _numbers(holdout, "customer_friction_cost"), 5.0 * (blocked & ~is_fraud)
    )


def test_fraud_scores_are_probabilities_with_the_stated_auc(fraud_data: FraudData) -> None:
    scored = fraud_data.scored
    is_fraud = _numbers(scored, "is_fraud")
    score, challenger = _numbers(scored, "score"), _numbers(scored, "score_challenger")
    assert score.min() >= 0 and score.max() <= 1
    assert abs(_auc(score, is_fraud) - 0.93) < 0.01
    assert abs(_auc(challenger, is_fraud) - 0.95) < 0.01
    assert abs(score.mean() - is_fraud.mean()) < 0.0005  # calibrated on average


def test_fraud_is_rare_and_larger_than_legitimate_spend(fraud_data: FraudData) -> None:
    scored = fraud_data.scored
    is_fraud = _numbers(scored, "is_fraud") == 1
    amount = _numbers(scored, "amount")
    assert 0.005 <= is_fraud.mean() <= 0.01
    assert amount[is_fraud].mean() > 2 * amount[~is_fraud].mean()
    assert len(scored.column("merchant_category").unique()) == 8


def test_feed_minutes_lift_is_recovered_with_cuped(feed_data: FeedData) -> None:
    users = feed_data.users
    ranker = _equals(users, "variant", "ranker")
    minutes, pre = _numbers(users, "minutes"), _numbers(users, "pre_minutes")
    theta = np.cov(minutes, pre)[0, 1] / pre.var(ddof=1)
    adjusted = minutes - theta * (pre - pre.mean())
    lift = adjusted[ranker].mean() / adjusted[~ranker].mean() - 1
    assert feed_data.effects["minutes"] == 0.03
    assert abs(lift - 0.03) < 0.015
    assert np.corrcoef(minutes, pre)[0, 1] > 0.6


def test_feed_ad_load_per_minute_is_unchanged_and_engagement_heavy_tailed(
    feed_data: FeedData,
) -> None:
    users = feed_data.users
    ranker = _equals(users, "variant", "ranker")
    minutes, impressions = _numbers(users, "minutes"), _numbers(users, "ad_impressions")
    load = impressions[ranker].sum() / minutes[ranker].sum()
    control_load = impressions[~ranker].sum() / minutes[~ranker].sum()
    assert abs(load / control_load - 1) < 0.01
    assert minutes.mean() > 1.5 * np.median(minutes)
    assert _numbers(users, "sessions").min() >= 1
    assert np.all(_numbers(users, "ad_clicks") <= impressions)
