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
