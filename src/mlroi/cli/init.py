"""``mlroi init``: write a commented starter case file to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import handle_errors
from mlroi.cli.output import console
from mlroi.errors import SpecError


@handle_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter case.")] = Path(
        "case.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter case file to edit."""
    from mlroi.spec.starter import STARTER_CASE

    if path.exists() and not force:
        raise SpecError(f"{path} exists: choose another path or pass --force")
    path.write_text(STARTER_CASE, encoding="utf-8")
    console.print(
        f"Starter case written to {escape(str(path))}. Edit it, then run"
        f" `mlroi validate {escape(str(path))}` and `mlroi roi {escape(str(path))}`."
    )
