"""Influenced revenue under several attribution models, reconciled with the causal lift."""
