"""``mlroi experiment``: read out an A/B test; exit 1 when a check it gates on fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import EXIT_GATE, handle_errors
from mlroi.cli.output import ForceOption, console, err_console, prepare_json, write_json


@handle_errors
def experiment(
    config: Annotated[
        Path,
        typer.Argument(
            help="Experiment configuration (YAML), or a case file with an `experiment:` section."
        ),
    ],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the full result as JSON to this file ('-': stdout)."),
    ] = None,
    fail: Annotated[
        bool,
        typer.Option(
            "--fail/--no-fail",
            help="Exit 1 when SRM or a guardrail fails (what counts is set by `fail_on`).",
        ),
    ] = True,
    segments: Annotated[
        bool, typer.Option("--segments/--no-segments", help="Show the per-segment tables.")
    ] = True,
    force: ForceOption = False,
) -> int:
    """Read out an A/B test: SRM check, lifts with intervals, guardrails, segments."""
    prepare_json(json_out, force=force)
    return run_readout(config, json_out, fail, segments, force=force)


def run_readout(
    config_path: Path, json_out: Path | None, fail: bool, segments: bool, *, force: bool = False
) -> int:
    """Read out the experiment of ``config_path``, print it, and say which gates failed.

    Args:
        config_path: the experiment configuration (YAML).
        json_out: where to write the result as JSON, if anywhere.
        fail: whether a failed gate (``fail_on``) gives exit code 1.
        segments: whether to print the per-segment tables.
        force: replace a file at ``json_out`` that mlroi did not write.

    Returns:
        The exit code: 1 when a gate failed and ``fail`` is set, else 0.
    """
    from mlroi.experiment.readout import readout
    from mlroi.report.terminal import print_result
    from mlroi.spec.experiment_file import load_experiment

    config = load_experiment(config_path)
    with console.status("Aggregating in the backend…"):
        result = readout(config=config, base=config_path.parent)
    print_result(result, console, segments=segments)
    write_json(result, json_out, force=force)
    failures = result.failures(tuple(config.fail_on))
    for line in failures:
        err_console.print(f"[bold red]FAILED:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return EXIT_GATE if failures and fail else 0
