"""The ``mlroi`` command line: one module per command, all under one error handler.

Start-up stays light: this package imports Typer, Rich and the command modules, which import
their analysis modules inside the command function, so ``mlroi --help`` and ``mlroi experiment``
load no more than they use.
"""

from __future__ import annotations

import sys
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
from mlroi.cli.handler import set_debug
from mlroi.cli.usage import OneLineUsageErrors

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
) -> None:
    set_debug(debug)


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
    """Entry point of the ``mlroi`` script."""
    return app(args=argv if argv is not None else sys.argv[1:])


__all__ = ["app", "main"]
