"""The one error handler of every command: a user error is one line, any other error says how
to see its traceback, and ``--debug`` shows the traceback itself.

Exit codes: 0 success, 1 a failed check withheld the headline or failed the gate (``experiment``,
``roi``, ``report``, ``causal``, ``demo``), 2 a user error (:class:`~mlroi.errors.MlroiError`), 70 an
internal error (``EX_SOFTWARE`` of ``sysexits.h``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, ParamSpec

import typer
from rich.markup import escape

from mlroi.cli.output import QueryBar, err_console, reset, spill_note
from mlroi.errors import MlroiError

EXIT_GATE = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL = 70

_state = {"debug": False}

P = ParamSpec("P")


def set_debug(debug: bool) -> None:
    """Whether errors propagate with their traceback (``--debug``) instead of one line."""
    _state["debug"] = debug


def handle_errors(command: Callable[P, int | None]) -> Callable[P, None]:
    """Run ``command`` under the error handler; a non-zero code it returns is the exit code.

    Args:
        command: a command function; it returns ``None`` or an exit code.

    Returns:
        The command as Typer calls it (same signature and docstring).
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        from mlroi.backend.progress import shown_on

        failed = True
        try:
            with warnings.catch_warnings(), shown_on(QueryBar()):
                # numpy's "overflow encountered" lines name its source files, not the input;
                # the checks name the input (see mlroi.backend.overflow); --debug shows them
                if not _state["debug"]:
                    warnings.simplefilter("ignore", RuntimeWarning)
                code = command(*args, **kwargs)
            failed = False
        except typer.Exit:
            raise
        except Exception as exc:
            _report(exc)
        finally:
            _end_run(noted=not failed)
            reset()
        if code:
            raise typer.Exit(code)

    return run


@contextmanager
def located_in(path: Path) -> Iterator[None]:
    """A user error raised inside, about a field of the file at ``path``, names its line.

    Args:
        path: the case file the work inside reads.

    Raises:
        MlroiError: the error raised inside, with ``path:line`` in front when it names a field.
    """
    from mlroi.spec.loader import locate

    try:
        yield
    except MlroiError as exc:
        raise locate(path, exc) from exc


def _end_run(*, noted: bool) -> None:
    """Close the run's connections and remove its spill folder, even after an error; say how
    much was spilled, if anything was and ``noted`` (a failed run's error line says enough)."""
    from mlroi.backend import spill

    if spill.folder_in_use() is None:
        return
    from mlroi.sources.open import end_run

    spilled = end_run()
    if spilled is not None and noted:
        err_console.print(escape(spill_note(spilled)), highlight=False, soft_wrap=True)


def _report(exc: Exception) -> NoReturn:
    if _state["debug"]:
        raise exc
    if isinstance(exc, MlroiError):
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(EXIT_USER_ERROR)
    err_console.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}"
        " (run with --debug for details)",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_INTERNAL)
