"""Retention per arm, the effect over time and lifetime value: pure numerics on per-day counts."""
