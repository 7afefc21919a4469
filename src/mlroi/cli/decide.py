"""``mlroi decide``: the value of acting on a model's scores at every threshold."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlroi import defaults
from mlroi import formatting as fmt
from mlroi.cli.handler import handle_errors, located_in
from mlroi.cli.output import ForceOption, console, prepare_json, write_json
from mlroi.errors import SpecError

if TYPE_CHECKING:
    from mlroi.decision.stated import Ask


@handle_errors
def decide(
    case: Annotated[
        Path,
        typer.Argument(
            help="Case file (YAML) with a `decision:` section; a file with only that section "
            "and `currency:` will do."
        ),
    ],
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
    threshold: Annotated[
        float | None,
        typer.Option(help="A threshold in use: its value next to the best threshold's."),
    ] = None,
    top: Annotated[
        str | None,
        typer.Option(
            help="Act on the top share of the rows, e.g. 10% or 0.1: its value next "
            "to the best threshold's."
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            help="Act on at most this many rows of the table (e.g. 5000): its value "
            "next to the best threshold's."
        ),
    ] = None,
) -> None:
    """The value of acting on a model's scores at every threshold, and the best threshold."""
    from mlroi.decision.analysis import decide as run_decide
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.decision_case import load_decision_case

    prepare_json(json_out, force=force)
    if seed is not None:
        defaults.check_seed(seed, "--seed")
    ask = _ask(threshold, top, budget)
    loaded = load_decision_case(case)
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
            currency=loaded.money,
            progress=lambda step: status.update(f"Decision analysis: {step}…"),
            ask=ask,
        )
    render(result, console)
    write_json(result, json_out, force=force)


def _ask(threshold: float | None, top: str | None, budget: float | None) -> Ask | None:
    """The stated point of ``--threshold``, ``--top`` or ``--budget`` (at most one)."""
    from mlroi.decision.stated import Ask

    given = [
        f"--{k}"
        for k, v in (("threshold", threshold), ("top", top), ("budget", budget))
        if v is not None
    ]
    if not given:
        return None
    if len(given) > 1:
        raise SpecError(f"{' and '.join(given)}: give one of them, not several")
    share: float | None = None
    if top is not None:
        text = top.strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise SpecError(f"--top: expected a share such as 10% or 0.1, got {top!r}") from None
    try:
        return Ask.one_of(threshold=threshold, top=share, budget=budget)
    except ValueError as exc:
        raise SpecError(f"{given[0]}: {exc}") from None
