"""Where rows live: files, frames, Ibis tables and connection URLs, opened as Ibis tables."""

from mlroi.sources.open import Source, open_table

__all__ = ["Source", "open_table"]
