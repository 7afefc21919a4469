"""``mlroi roi``: the ROI of a case, with intervals, printed and optionally written as JSON;
with several cases, a table that compares them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlroi.cli.handler import EXIT_GATE, handle_errors, located_in
from mlroi.cli.output import ForceOption, console, prepare_json, write_json
from mlroi.errors import SpecError

if TYPE_CHECKING:
    from mlroi.spec.case import Case

ACCEPTED_ON_COMMAND_LINE = "--accept-failed-checks was given on the command line"

AcceptOption = Annotated[
    bool,
    typer.Option(
        "--accept-failed-checks",
        help="Give the ROI figures although the experiment fails a check (SRM, a guardrail); "
        "the output says so. Without it (or the case's accept_failed_checks) the headline is "
        "withheld and the exit code is 1.",
    ),
]


def load_with(case: Path, draws: int | None, seed: int | None) -> Case:
    """The case at ``case``, with ``--draws`` and ``--seed`` applied (validated like the case)."""
    from pydantic import ValidationError

    from mlroi.spec.case import Simulation, load_case

    loaded = load_case(case)
    if draws is None and seed is None:
        return loaded
    given = {k: v for k, v in {"draws": draws, "seed": seed}.items() if v is not None}
    try:
        sim = Simulation.model_validate({**loaded.simulation.model_dump(), **given})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SpecError(f"--{err['loc'][0]}: {err['msg']}") from exc
    return loaded.model_copy(update={"simulation": sim})


@handle_errors
def roi(
    cases: Annotated[
        list[Path],
        typer.Argument(help="Case file(s) (YAML); see `mlroi init`. Several: a comparison."),
    ],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the full result as JSON to this file ('-': stdout)."),
    ] = None,
    draws: Annotated[
        int | None, typer.Option(help="Monte Carlo draws (default: the case's simulation.draws).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the case's).")] = None,
    accept: AcceptOption = False,
    force: ForceOption = False,
) -> int:
    """The ROI of an ML system: value, cost, return multiple, net ROI, NPV, payback, intervals."""
    from mlroi.comparison import Comparison
    from mlroi.pipeline import evaluate
    from mlroi.report.terminal import print_result as render

    prepare_json(json_out, force=force)
    accepted = ACCEPTED_ON_COMMAND_LINE if accept else None
    loaded = [load_with(case, draws, seed) for case in cases]
    results = []
    for path, case in zip(cases, loaded, strict=True):
        with console.status(f"{path.name}: reading out and simulating…"), located_in(path):
            results.append(
                evaluate(
                    case, base=path.parent, accept_failed_checks=accepted, close_connection=True
                )
            )
    if len(results) == 1:
        render(results[0], console)
        write_json(results[0], json_out, force=force)
    else:
        comparison = Comparison(tuple(results))
        render(comparison, console)
        write_json(comparison, json_out, force=force)
    return EXIT_GATE if any(r.withheld for r in results) else 0
