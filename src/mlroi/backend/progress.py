"""Progress of a long query, read while it runs: how far the engine says it is, and how much it
has spilled to disk.

A thread started by the executor polls every :data:`INTERVAL` seconds: DuckDB's
``query_progress()`` (a percentage; -1 before it has an estimate), and the bytes in mlroi's spill
folder (:func:`mlroi.backend.spill.sample`). Once a query has run :data:`DELAY` seconds, each
poll goes to the displays the caller installed (the command line's progress bar); a query that
ends sooner shows nothing. Engines with no progress estimate (PostgreSQL) report ``None``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from mlroi.backend import spill

INTERVAL = 0.1
"""Seconds between two polls of a running query."""
DELAY = 1.0
"""Seconds a query runs before its progress is shown."""


@dataclass(frozen=True)
class QueryProgress:
    """One poll of a running query.

    Attributes:
        purpose: what the query is for (``"the readout query"``).
        percent: how far the engine says it is, 0 to 100; ``None`` when it gives no estimate.
        spilled_bytes: bytes in mlroi's spill folder now.
        elapsed: seconds since the query started.
    """

    purpose: str
    percent: float | None
    spilled_bytes: int
    elapsed: float


class Display(Protocol):
    """Where progress is shown: called from the polling thread."""

    def show(self, progress: QueryProgress) -> None: ...

    def hide(self) -> None: ...


_DISPLAYS: list[Display] = []


@contextlib.contextmanager
def shown_on(display: Display) -> Iterator[None]:
    """Show the progress of each query run in the block on ``display``."""
    _DISPLAYS.append(display)
    try:
        yield
    finally:
        _DISPLAYS.remove(display)


class Poll:
    """The polling of one query, without the thread: what one poll reads and whom it tells.

    Args:
        purpose: what the query is for.
        percent: reads the engine's progress (0 to 100, or ``None``).
        spilled: reads the bytes spilled so far.
        displays: where progress goes once the query has run ``delay`` seconds.
        delay: seconds before anything is shown (default :data:`DELAY`).
    """

    def __init__(
        self,
        purpose: str,
        percent: Callable[[], float | None],
        spilled: Callable[[], int],
        displays: tuple[Display, ...],
        delay: float | None = None,
    ) -> None:
        self._purpose = purpose
        self._percent = percent
        self._spilled = spilled
        self._displays = displays
        self._delay = DELAY if delay is None else delay
        self.shown = False

    def tick(self, elapsed: float) -> QueryProgress:
        """Read the query's state at ``elapsed`` seconds and show it when it is due."""
        now = QueryProgress(self._purpose, self._read_percent(), self._spilled(), elapsed)
        if elapsed >= self._delay and self._displays:
            self.shown = True
            for display in self._displays:
                display.show(now)
        return now

    def _read_percent(self) -> float | None:
        try:
            value = self._percent()
        except Exception:  # no estimate is not an error of the query
            return None
        return value if value is not None and 0 <= value <= 100 else None

    def end(self) -> None:
        """The query ended: take the displays down if anything was shown."""
        if self.shown:
            for display in self._displays:
                display.hide()


def duckdb_percent(con: Any) -> Callable[[], float | None]:
    """Reads DuckDB's ``query_progress()`` of the raw connection ``con``."""

    def read() -> float | None:
        value = float(con.query_progress())
        return value if value >= 0 else None

    return read


def no_percent() -> float | None:
    """The progress of an engine that gives no estimate."""
    return None


@contextlib.contextmanager
def watched(purpose: str, percent: Callable[[], float | None]) -> Iterator[None]:
    """Poll the query run in the block from a thread, every :data:`INTERVAL` seconds.

    Args:
        purpose: what the query is for.
        percent: reads the engine's progress (see :func:`duckdb_percent`).
    """
    poll = Poll(purpose, percent, spill.sample, tuple(_DISPLAYS))
    stop = threading.Event()
    start = time.monotonic()

    def run() -> None:
        while not stop.wait(INTERVAL):
            poll.tick(time.monotonic() - start)

    thread = threading.Thread(target=run, name="mlroi-query-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        poll.end()
