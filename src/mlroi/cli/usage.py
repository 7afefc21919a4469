"""Command-line usage errors (a bad option value, an unknown option, a missing argument) as one
line, like every other user error: ``error: <what>; see `mlroi CMD --help```, exit 2.

Click prints them as a usage line, a hint and a boxed message; a reader scanning for the one
``error:`` line (and the battery of bad inputs) wants the same shape as a bad case file.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.markup import escape
from typer._click import exceptions as click  # the Click that Typer vendors and raises
from typer.core import TyperGroup

from mlroi.cli.handler import EXIT_USER_ERROR
from mlroi.cli.output import err_console


class OneLineUsageErrors(TyperGroup):
    """The ``mlroi`` group, whose usage errors are one ``error:`` line on stderr."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(_one_line(exc))}", highlight=False, soft_wrap=True
            )
            sys.exit(EXIT_USER_ERROR)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            err_console.print("Aborted.", highlight=False)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _one_line(exc: click.UsageError) -> str:
    message = " ".join(exc.format_message().split())
    ctx = exc.ctx
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        message += f" (see `{ctx.command_path} {ctx.help_option_names[0]}`)"
    return message
