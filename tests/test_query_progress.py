"""The progress of a long query: polled from a thread, shown after a second, on a terminal only.

Tested with fake progress sources and a fake display: nothing here depends on how long a query
takes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from mlroi.backend import progress
from mlroi.backend.progress import Poll, QueryProgress
from mlroi.cli import output
from mlroi.cli.output import QueryBar


class Recorder:
    """A display that keeps what it was shown, and says when it was first shown."""

    def __init__(self) -> None:
        self.shown: list[QueryProgress] = []
        self.hidden = 0
        self.first = threading.Event()

    def show(self, now: QueryProgress) -> None:
        self.shown.append(now)
        self.first.set()

    def hide(self) -> None:
        self.hidden += 1


def test_a_query_shorter_than_the_delay_shows_nothing() -> None:
    display = Recorder()
    poll = Poll("the readout query", lambda: 50.0, lambda: 0, (display,), delay=1.0)
    poll.tick(0.1)
    poll.tick(0.9)
    poll.end()
    assert display.shown == [] and display.hidden == 0


def test_after_the_delay_each_poll_shows_the_percentage_and_the_spill() -> None:
    display = Recorder()
    percents = iter([10.0, 40.0, 75.0])
    spilled = iter([0, 1024, 4096])
    poll = Poll("the readout query", lambda: next(percents), lambda: next(spilled), (display,), 1.0)
    poll.tick(0.5)
    poll.tick(1.0)
    poll.tick(1.5)
    poll.end()
    assert display.shown == [
        QueryProgress("the readout query", 40.0, 1024, 1.0),
        QueryProgress("the readout query", 75.0, 4096, 1.5),
    ]
    assert display.hidden == 1


@pytest.mark.parametrize("reading", [-1.0, None, 101.0, "error"])
def test_no_estimate_shows_as_none(reading: float | str | None) -> None:
    def percent() -> float | None:
        if reading == "error":
            raise RuntimeError("the connection gives no progress")
        assert not isinstance(reading, str)
        return reading

    display = Recorder()
    Poll("q", percent, lambda: 0, (display,), delay=0.0).tick(0.0)
    assert display.shown[0].percent is None


def test_duckdb_says_no_estimate_when_no_query_runs() -> None:
    import duckdb

    assert progress.duckdb_percent(duckdb.connect())() is None


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "INTERVAL", 0.001)
    monkeypatch.setattr(progress, "DELAY", 0.0)


def test_a_watched_query_is_polled_from_a_thread_and_the_display_taken_down(
    fast_polls: None,
) -> None:
    display = Recorder()
    with progress.shown_on(display), progress.watched("the readout query", lambda: 42.0):
        assert display.first.wait(timeout=30), "the polling thread showed nothing"
    assert display.shown[0].percent == 42.0
    assert display.shown[0].purpose == "the readout query"
    assert display.hidden == 1
    assert not any(t.name == "mlroi-query-progress" for t in threading.enumerate())


def test_the_executor_polls_the_query_it_runs(
    fast_polls: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A query made slow by a fetch that waits until the display was shown."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlroi.backend import execute
    from mlroi.sources.open import open_table

    display = Recorder()
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), path)
    table = open_table(path)
    monkeypatch.setattr(execute, "duckdb_percent", lambda con: lambda: 12.5)
    real = execute._run

    def slow(query, purpose, native, arrow):  # type: ignore[no-untyped-def]
        def wait_then(relation):  # type: ignore[no-untyped-def]
            assert display.first.wait(timeout=30)
            return native(relation)

        return real(query, purpose, wait_then, arrow)

    monkeypatch.setattr(execute, "_run", slow)
    with progress.shown_on(display):
        rows = execute.fetch_rows(table.aggregate(s=table.x.sum()), "the sum")
    assert rows == [{"s": 6.0}]
    assert display.shown[0] == QueryProgress("the sum", 12.5, 0, display.shown[0].elapsed)
    assert display.hidden == 1


# --- the command line's bar ---------------------------------------------------------------------


@pytest.fixture
def terminal() -> Iterator[tuple[Console, io.StringIO]]:
    out = io.StringIO()
    yield Console(file=out, force_terminal=True, width=100), out
    output.reset()


def test_the_bar_shows_the_query_its_percentage_and_the_spill_on_a_terminal(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, out = terminal
    bar = QueryBar(console)
    bar.show(QueryProgress("the readout query", 40.0, 3 * 2**20, 1.2))
    bar.hide()
    text = out.getvalue()
    assert "Running the readout query" in text
    assert "40%" in text
    assert "spilled 3.0 MiB" in text


def test_a_query_without_an_estimate_shows_a_bar_without_a_percentage(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, out = terminal
    bar = QueryBar(console)
    bar.show(QueryProgress("the readout query", None, 0, 1.2))
    bar.hide()
    text = out.getvalue()
    assert "Running the readout query" in text
    assert "%" not in text and "spilled" not in text


def test_the_bar_is_silent_when_the_output_is_not_a_terminal() -> None:
    out = io.StringIO()
    bar = QueryBar(Console(file=out, force_terminal=False))
    bar.show(QueryProgress("the readout query", 40.0, 0, 1.2))
    bar.hide()
    assert out.getvalue() == ""


def test_the_bar_is_silent_with_json(terminal: tuple[Console, io.StringIO], tmp_path: Path) -> None:
    console, out = terminal
    output.prepare_json(tmp_path / "result.json")
    bar = QueryBar(console)
    bar.show(QueryProgress("the readout query", 40.0, 0, 1.2))
    bar.hide()
    assert out.getvalue() == ""
