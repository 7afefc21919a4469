"""``mlroi causal``: the effect of a system from observational data, when no test exists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import EXIT_GATE, handle_errors, located_in
from mlroi.cli.output import ForceOption, console, err_console, prepare_json, write_json
from mlroi.errors import SpecError


@handle_errors
def causal(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) with a `causal:` section.")],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the full result as JSON ('-': stdout)."),
    ] = None,
    force: ForceOption = False,
) -> int:
    """Estimate an effect without an A/B test (adjustment for intent, difference-in-differences,
    interrupted time series, synthetic control), with its diagnostics and assumptions.

    Exits 1 when a blocking diagnostic fails (no overlap, pre-trends, a poor pre-period fit):
    the estimate is then withheld, as a readout with a sample ratio mismatch is."""
    from mlroi.causal.analysis import analyse_causal
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.case import load_case

    prepare_json(json_out, force=force)
    loaded = load_case(case)
    if loaded.causal is None:
        raise SpecError(
            f"{case}: no `causal:` section to estimate; add one (see README, 'Incremental value"
            " without an A/B test')"
        )
    with console.status("Estimating the effect from observational data…"), located_in(case):
        result = analyse_causal(loaded.causal, base=case.parent)
    render(result, console)
    write_json(result, json_out, force=force)
    for c in result.failed_checks:
        if c.blocking:
            err_console.print(
                f"[bold red]FAILED:[/] {escape(c.name)}: {escape(c.detail)}",
                highlight=False,
                soft_wrap=True,
            )
    return EXIT_GATE if result.withheld else 0
