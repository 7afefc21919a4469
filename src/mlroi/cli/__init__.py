"""The ``mlroi`` command line: one module per command, all under one error handler.

Start-up stays light: this package imports Typer, Rich and the command modules, which import
their analysis modules inside the command function, so ``mlroi --help`` and ``mlroi experiment``
load no more than they use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mlroi.cli import (
    attribute,
    causal,
    decide,
    demo,
    design,
    experiment,
    init,
    report,
    retention,
    roi,
    schema,
    validate,
)
from mlroi.cli.handler import handle_errors, set_debug
from mlroi.cli.usage import OneLineUsageErrors
from mlroi.process import collecting_rarely

app = typer.Typer(
    name="mlroi",
    help="Measure what a machine-learning system is worth to the business.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=OneLineUsageErrors,
)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    temp_dir: Annotated[
        Path | None,
        typer.Option(
            "--temp-dir",
            help="Folder in which DuckDB spills data that does not fit in memory (mlroi makes "
            "its own mlroi-spill-* folder there and removes it after the run; default: "
            "MLROI_TEMP_DIR, else the system's temporary folder).",
        ),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            help="DuckDB's memory limit, e.g. 4GB (default: MLROI_MEMORY_LIMIT, else 80% of RAM).",
        ),
    ] = None,
    max_temp_size: Annotated[
        str | None,
        typer.Option(
            "--max-temp-size",
            help="The most DuckDB may spill to disk, e.g. 100GB (default: MLROI_MAX_TEMP_SIZE, "
            "else 90% of the free space).",
        ),
    ] = None,
) -> None:
    set_debug(debug)
    handle_errors(_spill_settings)(temp_dir, memory_limit, max_temp_size)


def _spill_settings(temp_dir: Path | None, memory_limit: str | None, max_temp: str | None) -> None:
    from mlroi.backend import spill

    spill.configure(temp_dir, memory_limit, max_temp)


app.command(name="experiment")(experiment.experiment)
app.command(name="design")(design.design)
app.command(name="roi")(roi.roi)
app.command(name="decide")(decide.decide)
app.command(name="retention")(retention.retention)
app.command(name="attribute")(attribute.attribute)
app.command(name="causal")(causal.causal)
app.command(name="report")(report.report)
app.command(name="validate")(validate.validate)
app.command(name="schema")(schema.schema)
app.command(name="init")(init.init)
app.command(name="demo")(demo.demo)


def main(argv: list[str] | None = None) -> Any:
    """Run the command ``argv`` (default: the process's arguments) in this process, which
    goes on after; Typer ends the command with :class:`SystemExit`. The ``mlroi`` script is
    :func:`mlroi.process.run`."""
    with collecting_rarely():
        return app(args=argv if argv is not None else sys.argv[1:])


__all__ = ["app", "main"]
