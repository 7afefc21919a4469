"""Where the command line writes: the consoles for results and errors, and JSON result files."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.status import Status

from mlroi.report.terminal import wide_console

console = wide_console()
err_console = wide_console(stderr=True)


class _Serialisable(Protocol):
    def to_json(self) -> str: ...


def write_json(result: _Serialisable, json_out: Path | None) -> None:
    """Write ``result.to_json()`` to ``json_out`` (when given) and say where.

    Args:
        result: any result with a ``to_json()``.
        json_out: the file to write, its folder made if missing; ``None`` writes nothing.
    """
    if json_out is None:
        return
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(result.to_json() + "\n", encoding="utf-8")
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


def case_stages(has_experiment: bool, has_decision: bool) -> list[str]:
    """The stages :func:`mlroi.pipeline.run_case` reports for a case with these sections."""
    stages = ["reading out the experiment"] if has_experiment else []
    if has_decision:
        stages.append("decision analysis")
    return [*stages, "simulating value, costs and ROI"]


@contextmanager
def steps(total: int) -> Iterator[Steps]:
    """A progress bar of ``total`` steps on the results console, gone when done (in a terminal;
    elsewhere nothing is drawn)."""
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
