"""Renderers of results: terminal, JSON, HTML tables (and, later, full reports)."""
