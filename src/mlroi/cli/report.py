"""``mlroi report``: run every analysis of a case once and write the stakeholder report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import handle_errors, located_in
from mlroi.cli.output import console, progress
from mlroi.cli.roi import ACCEPTED_ON_COMMAND_LINE


@handle_errors
def report(
    case: Annotated[Path, typer.Argument(help="Case file (YAML); see `mlroi init`.")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for report.html, report.md and result.json (default: CASE-report)."
        ),
    ] = None,
    accept: Annotated[
        bool,
        typer.Option(
            "--accept-failed-checks",
            help="Give the ROI figures although the experiment fails a check (SRM, a "
            "guardrail); the output says so. Without it (or the case's accept_failed_checks) "
            "the headline is withheld and the exit code is 1.",
        ),
    ] = False,
) -> int:
    """The stakeholder report of a case: readout, decision value, costs and ROI, in one page."""
    from mlroi.pipeline import run_case
    from mlroi.report.files import write_report
    from mlroi.report.terminal import print_result
    from mlroi.spec.case import load_case

    loaded = load_case(case)
    folder = out if out is not None else case.with_name(f"{case.stem}-report")
    with console.status("Running the case…") as status, located_in(case):
        result = run_case(
            loaded,
            base=case.parent,
            progress=progress(status, case.name),
            accept_failed_checks=ACCEPTED_ON_COMMAND_LINE if accept else None,
        )
    print_result(result.roi, console)
    others = [line for line in result.failed_checks() if line not in result.roi.failed_checks]
    for line in others:
        console.print(f"[bold red]Failed check:[/] {escape(line)}", highlight=False, soft_wrap=True)
    paths = write_report(result, folder)
    console.print("Report written:", highlight=False)
    for path in paths.values():
        console.print(f"  {escape(str(path))}", highlight=False)
    return 1 if result.roi.withheld else 0
