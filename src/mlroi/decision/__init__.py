"""Offline value of acting on a model's scores: value curves, constraints, optimum, comparison,
uplift."""
