"""``mlroi attribute``: revenue credited to each channel, influenced vs incremental revenue."""

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
def attribute(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) with an `attribution:` section.")],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the full result as JSON ('-': stdout)."),
    ] = None,
    resamples: Annotated[
        int | None,
        typer.Option(help="Bootstrap resamples (default: attribution.resamples; 0 = off)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the case's).")] = None,
    force: ForceOption = False,
) -> None:
    """Revenue credited to each channel under several models, and how much of what
    recommendations influenced was incremental."""
    from mlroi.attribution.analysis import attribute as run_attribute
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.case import load_case

    prepare_json(json_out, force=force)
    if seed is not None:
        defaults.check_seed(seed, "--seed")
    loaded = load_case(case)
    if loaded.attribution is None:
        raise SpecError(
            f"{case}: no `attribution:` section to analyse; add one (see README, 'Attribution')"
        )
    config = loaded.attribution
    if resamples is not None:
        if not 0 <= resamples <= defaults.MAX_RESAMPLES:
            most = fmt.count(defaults.MAX_RESAMPLES)
            raise SpecError(f"--resamples: expected 0 to {most}, got {resamples}")
        config = config.model_copy(update={"resamples": resamples})
    with console.status("Attributing revenue…") as status, located_in(case):
        readout = None
        if config.incremental is not None and config.incremental.metric is not None:
            if loaded.experiment is None:
                raise SpecError(
                    "attribution.incremental.metric: needs the case's `experiment:` section, "
                    "or give `estimate` and `interval` by hand"
                )
            from mlroi.experiment.readout import readout as run_readout

            status.update("Reading out the experiment…")
            readout = run_readout(config=loaded.experiment, base=case.parent)
        result = run_attribute(
            config,
            base=case.parent,
            seed=loaded.simulation.seed if seed is None else seed,
            level=loaded.simulation.level,
            currency=loaded.finance.currency,
            readout=readout,
            progress=lambda step: status.update(f"Attribution: {step}…"),
        )
    render(result, console)
    write_json(result, json_out, force=force)
