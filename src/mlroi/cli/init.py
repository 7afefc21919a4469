"""``mlroi init``: write a commented starter case file to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from mlroi.cli.handler import handle_errors
from mlroi.cli.output import console
from mlroi.errors import SpecError

TemplateName = Literal["churn", "fraud", "recommender", "feed"]


@handle_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter case.")] = Path(
        "case.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    template: Annotated[
        TemplateName | None,
        typer.Option(
            help="A starter for a common case: churn or fraud (decision-only: which rows to act "
            "on), recommender or feed (the ROI from an A/B test). Each runs on the demo data."
        ),
    ] = None,
) -> None:
    """Write a commented starter case file to edit."""
    from mlroi.files import is_stdout, write_file
    from mlroi.spec.starter import STARTER_CASE
    from mlroi.spec.templates import DECISION_ONLY, TEMPLATES

    # a case file is the user's from the moment it is written: never replaced without --force
    if (path.exists() or path.is_symlink()) and not path.is_dir() and not force:
        raise SpecError(f"{path} exists: choose another path or pass --force")
    write_file(
        path,
        STARTER_CASE if template is None else TEMPLATES[template],
        option="PATH",
        force=True,
    )
    if is_stdout(path):
        return
    shown = escape(str(path))
    run = "decide" if template in DECISION_ONLY else "roi"
    console.print(
        f"Starter case written to {shown}. Edit it, then run"
        f" `mlroi validate {shown}` and `mlroi {run} {shown}`.",
        soft_wrap=True,
    )
