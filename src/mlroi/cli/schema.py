"""``mlroi schema``: the JSON Schema of the case file, for editor completion."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import handle_errors
from mlroi.cli.output import console


@handle_errors
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the schema to this file (default: stdout).")
    ] = None,
) -> None:
    """Print the JSON Schema of the case file (for editor completion)."""
    import json

    from mlroi.spec.case import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"JSON Schema written to {escape(str(out))}")
