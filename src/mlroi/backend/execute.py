"""The one executor: every backend query mlroi runs goes through here.

A driver or Ibis error becomes one :class:`~mlroi.errors.BackendError` line that names the
query's purpose, so a user never sees "internal error" for a query that failed on their data.
Results are small (aggregates), so they come back as plain rows or numpy columns; only
:func:`stream_columns` hands over rows, a batch at a time, to a method that needs them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from mlroi.backend import spill
from mlroi.backend.capabilities import capabilities, engine
from mlroi.backend.progress import duckdb_percent, no_percent, watched
from mlroi.errors import BackendError, MlroiError, first_line

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")
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

    def native(relation: Any) -> list[dict[str, Any]]:
        names = list(relation.columns)
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]

    return _run(query, purpose, native, lambda q: list(q.to_pyarrow().to_pylist()))


def fetch_columns(query: Any, purpose: str) -> dict[str, np.ndarray[Any, Any]]:
    """Run ``query`` and return its columns as numpy arrays.

    Raises:
        BackendError: the engine or driver failed; the message names ``purpose``.
    """
    _announce(query, purpose)
    return _run(
        query,
        purpose,
        lambda relation: dict(relation.fetchnumpy()),
        lambda q: _numpy(q.to_pyarrow()),
    )


def stream_columns(
    query: Any, purpose: str, take: Callable[[dict[str, np.ndarray[Any, Any]]], None]
) -> None:
    """Run ``query`` and hand its rows to ``take`` a batch at a time, as numpy columns (for
    the one method that needs rows in memory; the caller says so in its result).

    Raises:
        BackendError: the engine or driver failed; the message names ``purpose``. An error
            of ``take`` itself is raised as it is, not as the backend's.
    """
    _announce(query, purpose)
    rows = 1 << 17
    failed: list[Exception] = []

    def give(batch: Any) -> None:
        try:
            take(_numpy(batch))
        except Exception as exc:
            failed.append(exc)
            raise

    def native(relation: Any) -> None:
        for batch in relation.to_arrow_reader(rows):
            give(batch)

    def generic(q: Any) -> None:
        for batch in q.to_pyarrow_batches(chunk_size=rows):
            give(batch)

    try:
        _run(query, purpose, native, generic)
    except BackendError:
        if failed:
            raise failed[0] from None
        raise


def _numpy(arrow: Any) -> dict[str, np.ndarray[Any, Any]]:
    """An Arrow table's or batch's columns as numpy arrays."""
    return {
        name: arrow.column(i).to_numpy(zero_copy_only=False)
        for i, name in enumerate(arrow.schema.names)
    }


def _run(query: Any, purpose: str, native: Callable[[Any], T], generic: Callable[[Any], T]) -> T:
    """Run ``query`` (:func:`_guarded`): on DuckDB as a relation fetched by ``native``,
    elsewhere through Ibis by ``generic``."""
    with _guarded(query, purpose):
        if capabilities(query).native_fetch:
            return native(engine(query)._to_duckdb_relation(query))
        return generic(query)


@contextlib.contextmanager
def _guarded(query: Any, purpose: str) -> Iterator[None]:
    """The block runs ``query`` while its progress is polled (:mod:`mlroi.backend.progress`);
    an engine's or driver's error becomes one :class:`BackendError` line naming ``purpose``."""
    try:
        raw = getattr(engine(query), "con", None)
        percent = duckdb_percent(raw) if capabilities(query).native_fetch else no_percent
        with watched(purpose, percent):
            yield
    except MlroiError:
        raise
    except Exception as exc:  # drivers raise their own types; one line for the user
        raise spill.explain(exc, purpose) or BackendError(
            f"the backend could not run {purpose}: {first_line(exc)}"
        ) from exc


def materialize(query: Any, purpose: str) -> Any:
    """Run ``query`` into a temporary table of its engine's connection and return that table,
    for a large result that later queries read in parts (drop it with :func:`drop`).

    Raises:
        BackendError: the engine or driver failed; the message names ``purpose``.
    """
    _announce(query, purpose)
    with _guarded(query, purpose):
        return engine(query).create_table(f"mlroi_part_{uuid.uuid4().hex}", query, temp=True)


def drop(table: Any) -> None:
    """Drop a table :func:`materialize` made (housekeeping: a failure leaves it to the
    connection's end, which drops temporary tables)."""
    with contextlib.suppress(Exception):
        engine(table).drop_table(table.get_name(), force=True)


def fetch_one(query: Any, purpose: str) -> dict[str, Any]:
    """Run a one-row aggregation and return that row."""
    rows = fetch_rows(query, purpose)
    return rows[0] if rows else {}
