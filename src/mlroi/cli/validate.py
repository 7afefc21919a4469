"""``mlroi validate``: check a case file without running it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import EXIT_USER_ERROR, handle_errors
from mlroi.cli.output import console, err_console

MAX_LISTED = 20
"""Most problems listed at once."""


@handle_errors
def validate(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) to check.")],
) -> None:
    """Check a case file without running it: every field, type and reference; every problem
    found is listed (up to 20), each with its line."""
    from mlroi.errors import SpecError

    try:
        _validate(case)
    except SpecError as exc:
        if len(exc.problems) < 2:
            raise
        for line in exc.problems[:MAX_LISTED]:
            err_console.print(
                f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True
            )
        more = len(exc.problems) - MAX_LISTED
        tail = f" (the first {MAX_LISTED} are listed)" if more > 0 else ""
        err_console.print(
            f"{escape(str(case))}: {len(exc.problems)} problems{tail}", highlight=False
        )
        raise typer.Exit(EXIT_USER_ERROR) from None


def _validate(case: Path) -> None:
    from mlroi.spec.case import load_case
    from mlroi.spec.decision_case import is_decision_only, load_decision_case

    if is_decision_only(case):
        only = load_decision_case(case)
        console.print(
            f"{escape(str(case))}: valid decision-only case (act on {only.decision.score}, "
            f"label {only.decision.label}, values in {only.money}); run `mlroi decide "
            f"{escape(str(case))}`",
            soft_wrap=True,
        )
        return
    loaded = load_case(case)
    console.print(
        f"{escape(str(case))}: valid case {loaded.name!r}"
        f" ({len(loaded.value.drivers)} value driver(s), {len(loaded.costs)} cost item(s),"
        f" {loaded.finance.horizon_months}-month horizon)"
    )
