"""A mistake on the command line itself (an unknown option, ``--draws nan``, a missing case
file argument) is one line too, like every other user error: ``error: ...`` and where to look,
exit 2, instead of Click's usage box."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from typer.core import TyperGroup

EXIT_USAGE = 2

_GLOBAL = ("--temp-dir", "--memory-limit", "--max-temp-size", "--debug")
"""Options of ``mlroi`` itself, which a user may give after the command by mistake."""


class OneLineUsageErrors(TyperGroup):
    """The ``mlroi`` group: Click runs it as usual, but reports a usage error in one line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        from typer._click.exceptions import ClickException, UsageError
        from typer.exceptions import Abort

        try:
            code = run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `mlroi` alone: the help
                exc.show()
                sys.exit(exc.exit_code)
            _say(exc.format_message(), getattr(exc, "ctx", None))
            sys.exit(EXIT_USAGE)
        except ClickException as exc:
            _say(exc.format_message(), None)
            sys.exit(exc.exit_code)
        except Abort:
            _say("aborted", None)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _say(message: str, ctx: Any) -> None:
    from mlroi.cli.output import err_console

    text = " ".join(message.replace("Value error, ", "").split())
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    for option in _GLOBAL:
        if text.startswith(f"No such option: {option}") and ctx is not None and ctx.parent:
            hint = f" (an option of mlroi itself: give it before the command, `mlroi {option}"
            hint += f" ... {ctx.info_name} ...`)"
    err_console.print(
        f"[bold red]error:[/] {escape(text)}{escape(hint)}", highlight=False, soft_wrap=True
    )
