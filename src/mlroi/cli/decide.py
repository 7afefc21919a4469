"""``mlroi decide``: the value of acting on a model's scores at every threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlroi import defaults
from mlroi import formatting as fmt
from mlroi.cli.handler import handle_errors, located_in
from mlroi.cli.output import ForceOption, console, prepare_json, write_json
from mlroi.errors import SpecError


@handle_errors
def decide(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) with a `decision:` section.")],
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Write the full result (curve included) as JSON ('-': stdout)."
        ),
    ] = None,
    resamples: Annotated[
        int | None,
        typer.Option(help="Bootstrap resamples (default: decision.bootstrap.resamples; 0 = off)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the case's).")] = None,
    force: ForceOption = False,
) -> None:
    """The value of acting on a model's scores at every threshold, and the best threshold."""
    from mlroi.decision.analysis import decide as run_decide
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.case import load_case

    prepare_json(json_out, force=force)
    if seed is not None:
        defaults.check_seed(seed, "--seed")
    loaded = load_case(case)
    if loaded.decision is None:
        raise SpecError(
            f"{case}: no `decision:` section to analyse; add one (see README, "
            "'Offline decision value')"
        )
    config = loaded.decision
    if resamples is not None:
        if not 0 <= resamples <= defaults.MAX_RESAMPLES:
            most = fmt.count(defaults.MAX_RESAMPLES)
            raise SpecError(f"--resamples: expected 0 to {most}, got {resamples}")
        boot = config.bootstrap.model_copy(update={"resamples": resamples})
        config = config.model_copy(update={"bootstrap": boot})
    with console.status("Analysing the scored table…") as status, located_in(case):
        result = run_decide(
            config,
            base=case.parent,
            seed=loaded.simulation.seed if seed is None else seed,
            level=loaded.simulation.level,
            currency=loaded.finance.currency,
            progress=lambda step: status.update(f"Decision analysis: {step}…"),
        )
    render(result, console)
    write_json(result, json_out, force=force)
