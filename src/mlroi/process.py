"""The ``mlroi`` process: its entry point (:func:`run`), garbage collection while a command runs,
and the exit.

A command imports Ibis, sqlglot, numpy and pydantic: about 100,000 objects the collector tracks,
which live until the process ends, and little of what it allocates after is garbage. Python's
default collector runs every 700 allocations and walks those objects again and again (0.16 s of
CPU in ``mlroi roi``), then tears the whole heap down at exit, three full collections more
(0.3 s). So:

- :func:`collect_rarely`: from the script's first import on, the young generation is collected
  every :data:`YOUNG_THRESHOLD` allocations instead of 700 (the older generations as before);
  :func:`collecting_rarely` restores the caller's setting after a block (``mlroi.cli.main``);
- :func:`leave`: the ``mlroi`` script ends as the interpreter would (``atexit`` handlers run,
  standard streams flushed), then with ``os._exit``, without freeing memory the operating
  system takes back anyway. Any doubt (another thread alive, a
  profiler or tracer attached, a stream that cannot be flushed) takes the ordinary exit.

This module imports nothing from mlroi at its top, so that the script sets the collector before
it imports the command line (Typer, rich and the command modules).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn

YOUNG_THRESHOLD = 100_000
"""Allocations between collections of the youngest generation while a command runs."""


def collect_rarely() -> tuple[int, ...]:
    """From now on, collect the youngest generation every :data:`YOUNG_THRESHOLD` allocations;
    returns the thresholds before."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    return before


@contextlib.contextmanager
def collecting_rarely() -> Iterator[None]:
    """:func:`collect_rarely` in the block, for a caller that goes on after it: its thresholds
    are restored (which collects at the next allocation what the block left young)."""
    before = collect_rarely()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def prepare() -> None:
    """The settings of a process that runs one command and ends: garbage collected rarely for
    the rest of it, and Ibis's SQL compilers loaded on demand
    (:func:`mlroi.backend.compilers.load_on_demand`). Not done on ``import mlroi``: a program
    that uses mlroi as a library keeps its collector and Ibis as they were (code using sqlglot's
    dialects directly would otherwise miss the patches Ibis's compilers make to them)."""
    collect_rarely()
    from mlroi.backend.compilers import load_on_demand

    load_on_demand()


def run() -> NoReturn:
    """Entry point of the ``mlroi`` script and of ``python -m mlroi``: the command line on the
    process's arguments, after :func:`prepare`, then :func:`leave`."""
    prepare()
    from mlroi.cli import app

    try:
        app(args=sys.argv[1:])
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def leave(code: object) -> NoReturn:
    """End the process with ``code`` (as :class:`SystemExit` takes it), skipping the
    interpreter's teardown of its heap when nothing else can depend on it.

    Args:
        code: None or an int (the exit status), or a message (printed, status 1).
    """
    if isinstance(code, int | None):
        status = code or 0
    else:
        print(code, file=sys.stderr)
        status = 1
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if (
        run_exit_handlers is None
        or threading.active_count() > 1
        or sys.getprofile() is not None
        or sys.gettrace() is not None
        or not _flushed()
    ):
        sys.exit(status)  # the interpreter's own exit: it waits, reports and cleans up
    run_exit_handlers()
    os._exit(status if _flushed() else 120)  # 120: what Python exits with when it cannot flush


def _flushed() -> bool:
    """Whether standard output and error are flushed (False: one is closed or broken)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True
