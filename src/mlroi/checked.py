"""The base of every configuration object a user builds in Python: a mistake is a SpecError.

``Mean(name="r", column=3)`` raises :class:`~mlroi.errors.SpecError` with one line
(``Mean: column: Input should be a valid string``), as a case file's mistake does, rather than
pydantic's several-line ``ValidationError``. Validation of a whole file goes through
:func:`mlroi.spec.loader.load_model`, which locates each problem at its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mlroi.errors import SpecError

M = TypeVar("M", bound=BaseModel)


class Checked(BaseModel):
    """A pydantic model whose constructor raises :class:`~mlroi.errors.SpecError`."""

    # Validators are built on first use, not at import: a case builds its own once, and the
    # sections a command never validates on their own (most of them) are never built alone.
    model_config = ConfigDict(defer_build=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            from mlroi.spec.loader import validation_error_line

            line = validation_error_line(exc, data, model=type(self))
            raise SpecError(f"{type(self).__name__}: {line}") from exc

    # Tell pydantic this is its own __init__, so that validating a nested section (a case file's
    # `simulation:`) does not go through it: errors there stay pydantic's, located at their line.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


def as_model(model: type[M], value: object, what: str) -> M:
    """``value`` as a ``model``: itself, or a dict of its fields validated.

    Args:
        model: the configuration class (``Case``, ``DecisionConfig``...).
        value: what the caller passed.
        what: the argument's name, for the message.

    Raises:
        SpecError: one line naming ``what`` and the field, or the type given.
    """
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        from mlroi.spec.loader import validation_error_line

        try:
            return model.model_validate(value)
        except ValidationError as exc:
            line = validation_error_line(exc, value, model=model)
            raise SpecError(f"{what}: {line}") from exc
    raise SpecError(
        f"{what}: expected a {model.__name__} (or a dict of its fields), got {type(value).__name__}"
    )
