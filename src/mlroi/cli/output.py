"""Where the command line writes: the consoles for results and errors, and JSON result files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from rich.markup import escape
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
