"""``mlroi schema``: the JSON Schema of the case file, for editor completion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import handle_errors
from mlroi.cli.output import ForceOption, console


@handle_errors
def schema(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the schema to this file (default or '-': stdout)."),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Print the JSON Schema of the case file (for editor completion)."""
    import json

    from mlroi.files import GENERATOR, STDOUT, is_stdout, write_file
    from mlroi.spec.case import json_schema

    # the mark comes first, so that mlroi knows the file for its own next time
    marked = {"$comment": f"generator: {GENERATOR} schema", **json_schema()}
    target = Path(STDOUT) if out is None else out
    write_file(target, json.dumps(marked, indent=2) + "\n", option="--out", force=force)
    if not is_stdout(target):
        console.print(f"JSON Schema written to {escape(str(target))}")
