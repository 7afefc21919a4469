"""``mlroi roi``: the ROI of a case, with intervals, printed and optionally written as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlroi.cli.handler import handle_errors, located_in
from mlroi.cli.output import console, write_json
from mlroi.errors import SpecError

ACCEPTED_ON_COMMAND_LINE = "--accept-failed-checks was given on the command line"


@handle_errors
def roi(
    case: Annotated[Path, typer.Argument(help="Case file (YAML); see `mlroi init`.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full result as JSON to this file.")
    ] = None,
    draws: Annotated[
        int | None, typer.Option(help="Monte Carlo draws (default: the case's simulation.draws).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the case's).")] = None,
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
    """The ROI of an ML system: value, cost, return multiple, net ROI, NPV, payback, intervals."""
    from pydantic import ValidationError

    from mlroi.pipeline import evaluate
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.case import Simulation, load_case

    loaded = load_case(case)
    if draws is not None or seed is not None:
        given = {k: v for k, v in {"draws": draws, "seed": seed}.items() if v is not None}
        try:
            sim = Simulation.model_validate({**loaded.simulation.model_dump(), **given})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise SpecError(f"--{err['loc'][0]}: {err['msg']}") from exc
        loaded = loaded.model_copy(update={"simulation": sim})
    with console.status("Reading out the experiment and simulating…"), located_in(case):
        result = evaluate(
            loaded,
            base=case.parent,
            accept_failed_checks=ACCEPTED_ON_COMMAND_LINE if accept else None,
        )
    render(result, console)
    write_json(result, json_out)
    return 1 if result.withheld else 0
