"""Where the command line writes: the consoles for results and errors, and JSON result files.

``--json -`` writes the JSON to standard output; the tables then go to standard error, so the
output can be piped (``mlroi roi case.yaml --json - | jq .headline``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer
from rich.markup import escape

from mlroi.files import GENERATOR, check_target, is_stdout, write_atomic
from mlroi.report.console import wide_console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.status import Status

    from mlroi.backend.progress import QueryProgress
    from mlroi.backend.spill import SpillReport
    from mlroi.spec.case import Case

console = wide_console()
err_console = wide_console(stderr=True)

ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace output files that mlroi did not write (never done without it)."
    ),
]
JSON_GENERATOR = f"{GENERATOR} result"
"""The first key of a JSON result file: how mlroi knows the file is its own to overwrite."""


class _Serialisable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def prepare_json(json_out: Path | None, *, force: bool = False) -> None:
    """Check ``--json`` before any work: a file mlroi may write, in a folder that exists; with
    ``-`` the tables go to standard error, leaving standard output to the JSON. A run with
    ``--json`` shows no query progress bar.

    Raises:
        DataError: see :func:`mlroi.files.check_target`.
    """
    if json_out is None:
        return
    check_target(json_out, option="--json", force=force)
    _quiet["queries"] = True
    if is_stdout(json_out):
        console.stderr = True


_quiet = {"queries": False}


def reset() -> None:
    """Tables back to standard output (after a command that wrote its JSON there), query
    progress shown again."""
    console.stderr = False
    _quiet["queries"] = False


class QueryBar:
    """The progress bar of a long query (a :class:`mlroi.backend.progress.Display`): the
    engine's percentage (a pulsing bar when it gives none), what was spilled to disk, and the
    time. Drawn only on a terminal and never with ``--json``; gone when the query ends."""

    def __init__(self, target: Console | None = None) -> None:
        self._console = target
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def _drawn(self) -> bool:
        out = self._console or console
        return out.is_terminal and not _quiet["queries"]

    def show(self, progress: QueryProgress) -> None:
        """Start or move the bar (called from the polling thread)."""
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        from mlroi import formatting as fmt

        total = None if progress.percent is None else 100.0
        if self._bar is None:
            if not self._drawn():
                return
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[spilled]}"),
                TimeElapsedColumn(),
                console=self._console or console,
                transient=True,
            )
            self._task = self._bar.add_task(
                escape(f"Running {progress.purpose}"), total=total, spilled=""
            )
            self._bar.start()
        assert self._task is not None
        spilled = progress.spilled_bytes
        self._bar.update(
            self._task,
            total=total,
            completed=progress.percent or 0.0,
            spilled=f"spilled {fmt.data_size(spilled)}" if spilled else "",
        )

    def hide(self) -> None:
        """Take the bar down (the query ended)."""
        if self._bar is not None:
            self._bar.stop()
        self._bar = None
        self._task = None


def spill_note(spilled: SpillReport) -> str:
    """The line that says a run spilled to disk: how much, where, and how to avoid it."""
    from mlroi import formatting as fmt

    how_much = f"up to {fmt.data_size(spilled.peak_bytes)}" if spilled.peak_bytes else "some data"
    return (
        f"note: the data did not fit in DuckDB's memory limit ({spilled.memory_limit}), so"
        f" {how_much} was spilled to {spilled.folder} (removed now); a larger limit"
        " (mlroi --memory-limit, or MLROI_MEMORY_LIMIT) keeps it in memory"
    )


def json_text(result: _Serialisable | dict[str, Any]) -> str:
    """``result`` as the JSON text of a result file, with mlroi's mark as its first key."""
    from mlroi.serialize import dumps

    body = result if isinstance(result, dict) else result.to_dict()
    return dumps({"generator": JSON_GENERATOR, **body}) + "\n"


def write_json(
    result: _Serialisable | dict[str, Any], json_out: Path | None, *, force: bool = False
) -> None:
    """Write ``result`` as JSON to ``json_out`` (when given; ``-``: standard output) and say where.

    Args:
        result: any result with a ``to_dict()``, or a JSON-ready dict.
        json_out: the file to write, in a folder that exists; ``None`` writes nothing.
        force: replace a file mlroi did not write.
    """
    if json_out is None:
        return
    check_target(json_out, option="--json", force=force)
    write_atomic(json_out, json_text(result), option="--json")
    if not is_stdout(json_out):
        console.print(f"Full result written to {escape(str(json_out))}")


def progress(status: Status, name: str) -> Callable[[str], None]:
    """A step reporter for long work: shows ``name: step…`` on a spinner."""

    def say(step: str) -> None:
        status.update(f"{name}: {step}…")

    return say


class Steps:
    """A progress bar over known steps; a step's own sub-steps update its description."""

    def __init__(self, bar: Progress, total: int) -> None:
        self._bar = bar
        self._task = bar.add_task("", total=total)
        self._done = 0
        self._end = 0

    def _set(self, done: int) -> None:
        self._done = max(self._done, done)
        self._bar.update(self._task, completed=self._done)

    def start(self, what: str, steps: int = 1) -> None:
        """Show ``what`` as under way; it counts ``steps`` steps when :meth:`finish` is called."""
        self._bar.update(self._task, description=escape(what))
        self._end = self._done + steps

    def finish(self) -> None:
        """Count what was started as done."""
        self._set(self._end)

    def case(self, name: str, stages: Sequence[str]) -> Callable[[str], None]:
        """Start a case: a step reporter for :func:`mlroi.pipeline.run_case` that moves the bar
        one step per stage (the leading words of the steps it reports) as the case runs."""
        base = self._done
        self.start(name, len(stages))

        def say(step: str) -> None:
            self._bar.update(self._task, description=escape(f"{name}: {step}"))
            for i, stage in enumerate(stages):
                if step.startswith(stage):
                    self._set(base + i)

        return say


def case_stages(case: Case) -> list[str]:
    """The stages :func:`mlroi.pipeline.run_case` reports for ``case``, in the order it runs
    them (the leading words of its progress messages)."""
    stages = ["reading out the experiment"] if case.experiment is not None else []
    if case.decision is not None:
        stages.append("decision analysis")
    if case.attribution is not None:
        stages.append("attribution")
    if case.retention is not None:
        stages.append("counting churn per arm and day")
    if case.causal is not None:
        stages.append("observational estimate")
    return [*stages, "simulating value, costs and ROI"]


@contextmanager
def steps(total: int) -> Iterator[Steps]:
    """A progress bar of ``total`` steps on the results console, gone when done (in a terminal;
    elsewhere nothing is drawn)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with bar:
        yield Steps(bar, total)
