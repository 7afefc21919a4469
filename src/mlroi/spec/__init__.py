"""Typed configuration files: YAML -> pydantic models, with errors located at file:line."""

from mlroi.spec.loader import load_model, validation_error_line

__all__ = ["load_model", "validation_error_line"]
