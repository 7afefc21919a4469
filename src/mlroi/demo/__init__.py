"""Realistic synthetic scenarios for demos, docs and tests."""

from __future__ import annotations

from mlroi.demo.recommender import (
    DEFAULT_EFFECTS,
    EFFECT_NAMES,
    RecommenderData,
    generate_recommender_test,
    write_recommender_test,
)

__all__ = [
    "DEFAULT_EFFECTS",
    "EFFECT_NAMES",
    "RecommenderData",
    "generate_recommender_test",
    "write_recommender_test",
]

from mlroi.demo.churn import ChurnData, generate_churn, write_churn
from mlroi.demo.feed import FeedData, generate_feed, write_feed
from mlroi.demo.fraud import FraudData, generate_fraud, write_fraud

__all__ += [
    "ChurnData",
    "FeedData",
    "FraudData",
    "generate_churn",
    "generate_feed",
    "generate_fraud",
    "write_churn",
    "write_feed",
    "write_fraud",
]
