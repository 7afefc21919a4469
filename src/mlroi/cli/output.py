"""Where the command line writes: the consoles for results and errors, and JSON result files.

``--json -`` writes the JSON to standard output; the tables then go to standard error, so the
output can be piped (``mlroi roi case.yaml --json - | jq .headline``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.markup import escape
from rich.status import Status

from mlroi.files import GENERATOR, check_target, is_stdout, write_atomic
from mlroi.report.terminal import wide_console
from mlroi.serialize import dumps

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
    ``-`` the tables go to standard error, leaving standard output to the JSON.

    Raises:
        DataError: see :func:`mlroi.files.check_target`.
    """
    if json_out is None:
        return
    check_target(json_out, option="--json", force=force)
    if is_stdout(json_out):
        console.stderr = True


def reset() -> None:
    """Tables back to standard output (after a command that wrote its JSON there)."""
    console.stderr = False


def json_text(result: _Serialisable | dict[str, Any]) -> str:
    """``result`` as the JSON text of a result file, with mlroi's mark as its first key."""
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
