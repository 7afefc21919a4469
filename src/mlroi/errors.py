"""The error types users see.

Every user-facing error is one line: what is wrong, where (file:line, field, column), and how to fix
it. The CLI prints ``str(error)`` without a traceback and exits non-zero.
"""

from __future__ import annotations


class MlroiError(Exception):
    """Base class of every error mlroi raises on purpose."""


class SpecError(MlroiError):
    """The case or experiment configuration is invalid (a field, a value, a typo)."""

    problems: tuple[str, ...] = ()
    """Every problem found, one line each, when the file was checked as a whole (the message
    is the one to read first); ``mlroi validate`` lists them."""


class DataError(MlroiError):
    """The data does not fit the configuration (missing column, wrong type, NaN, empty arm)."""


class BackendError(MlroiError):
    """The backend could not be reached or could not run the query."""


class EstimationError(MlroiError):
    """A statistic cannot be estimated from the data given."""


def first_line(exc: BaseException) -> str:
    """The first line of a third-party exception's message (drivers and Ibis write several)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
