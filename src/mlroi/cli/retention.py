"""``mlroi retention``: retention per arm, the effect over time and lifetime value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlroi.cli.handler import handle_errors, located_in
from mlroi.cli.output import ForceOption, console, prepare_json, write_json
from mlroi.errors import SpecError


@handle_errors
def retention(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) with a `retention:` section.")],
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Write the full result (curves included) as JSON ('-': stdout)."
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Retention per arm (Kaplan-Meier, log-rank, RMST), lift per week and lifetime value."""
    from mlroi.report.terminal import print_result as render
    from mlroi.retention.analysis import analyse_retention
    from mlroi.spec.case import load_case

    prepare_json(json_out, force=force)
    loaded = load_case(case)
    if loaded.retention is None:
        raise SpecError(
            f"{case}: no `retention:` section to analyse; add one (see README, 'Retention and"
            " the long-term view')"
        )
    with console.status("Counting churn per arm and day…"), located_in(case):
        result = analyse_retention(
            loaded.retention,
            base=case.parent,
            currency=loaded.finance.currency,
            annual_discount_rate=loaded.finance.discount_rate,
        )
    render(result, console)
    write_json(result, json_out, force=force)
