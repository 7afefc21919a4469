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
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter case file to edit."""
    from mlroi.files import is_stdout, write_file
    from mlroi.spec.starter import STARTER_CASE

    # a case file is the user's from the moment it is written: never replaced without --force
    if (path.exists() or path.is_symlink()) and not path.is_dir() and not force:
        raise SpecError(f"{path} exists: choose another path or pass --force")
    write_file(path, STARTER_CASE, option="PATH", force=True)
    if is_stdout(path):
        return
    console.print(
        f"Starter case written to {escape(str(path))}. Edit it, then run"
        f" `mlroi validate {escape(str(path))}` and `mlroi roi {escape(str(path))}`."
    )
