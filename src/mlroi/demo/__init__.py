"""Realistic synthetic scenarios for demos, docs and tests.

The generators load on first use (PEP 562), so light modules of this package, such as
:mod:`mlroi.demo.cache`, import without numpy or pyarrow: the CLI's start-up stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlroi.demo.churn import ChurnData, generate_churn, write_churn
    from mlroi.demo.feed import FeedData, generate_feed, write_feed
    from mlroi.demo.fraud import FraudData, generate_fraud, write_fraud
    from mlroi.demo.recommender import (
        DEFAULT_EFFECTS,
        EFFECT_NAMES,
        RecommenderData,
        generate_recommender_test,
        write_recommender_test,
    )

_HOMES = {
    "recommender": (
        "DEFAULT_EFFECTS",
        "EFFECT_NAMES",
        "RecommenderData",
        "generate_recommender_test",
        "write_recommender_test",
    ),
    "churn": ("ChurnData", "generate_churn", "write_churn"),
    "feed": ("FeedData", "generate_feed", "write_feed"),
    "fraud": ("FraudData", "generate_fraud", "write_fraud"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "DEFAULT_EFFECTS",
    "EFFECT_NAMES",
    "ChurnData",
    "FeedData",
    "FraudData",
    "RecommenderData",
    "generate_churn",
    "generate_feed",
    "generate_fraud",
    "generate_recommender_test",
    "write_churn",
    "write_feed",
    "write_fraud",
    "write_recommender_test",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'mlroi.demo' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mlroi.demo.{module}"), name)
