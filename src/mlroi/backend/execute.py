"""The one executor: every backend query mlroi runs goes through here.

A driver or Ibis error becomes one :class:`~mlroi.errors.BackendError` line that names the
query's purpose, so a user never sees "internal error" for a query that failed on their data.
Results are small (aggregates), so they come back as plain rows or numpy columns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from mlroi.backend.capabilities import capabilities, engine
from mlroi.errors import BackendError, MlroiError, first_line

if TYPE_CHECKING:
    import numpy as np

Watcher = Callable[[Any, str], None]
_WATCHERS: list[Watcher] = []


@contextlib.contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Call ``watcher(query, purpose)`` before each query the executor runs in the block.

    The tests count the queries of an analysis with it, and compile each for other SQL
    dialects (``tests/test_dialects.py``).
    """
    _WATCHERS.append(watcher)
    try:
        yield
    finally:
        _WATCHERS.remove(watcher)


def _announce(query: Any, purpose: str) -> None:
    for watcher in tuple(_WATCHERS):
        watcher(query, purpose)


def fetch_rows(query: Any, purpose: str) -> list[dict[str, Any]]:
    """Run ``query`` and return its rows as dicts (no numpy, pandas or pyarrow on DuckDB).

    Args:
        query: an Ibis table expression with a small result.
        purpose: what the query is for, as it reads after "could not run" (``"the readout
            query"``).

    Raises:
        BackendError: the engine or driver failed; the message names ``purpose``.
    """
    _announce(query, purpose)
    try:
        if capabilities(query).native_fetch:
            relation = engine(query)._to_duckdb_relation(query)
            names = list(relation.columns)
            return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
        return list(query.to_pyarrow().to_pylist())
    except MlroiError:
        raise
    except Exception as exc:  # drivers raise their own types; one line for the user
        raise BackendError(f"the backend could not run {purpose}: {first_line(exc)}") from exc


def fetch_columns(query: Any, purpose: str) -> dict[str, np.ndarray[Any, Any]]:
    """Run ``query`` and return its columns as numpy arrays.

    Raises:
        BackendError: the engine or driver failed; the message names ``purpose``.
    """
    _announce(query, purpose)
    try:
        if capabilities(query).native_fetch:
            return dict(engine(query)._to_duckdb_relation(query).fetchnumpy())
        arrow = query.to_pyarrow()
        return {name: arrow[name].to_numpy(zero_copy_only=False) for name in arrow.column_names}
    except MlroiError:
        raise
    except Exception as exc:
        raise BackendError(f"the backend could not run {purpose}: {first_line(exc)}") from exc


def fetch_one(query: Any, purpose: str) -> dict[str, Any]:
    """Run a one-row aggregation and return that row."""
    rows = fetch_rows(query, purpose)
    return rows[0] if rows else {}
