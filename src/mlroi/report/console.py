"""The terminal console mlroi prints to, kept apart from the renderer so that the command line
can make its consoles at start-up without importing the view builders."""

from __future__ import annotations

from rich.console import Console


def wide_console(stderr: bool = False) -> Console:
    """A console that keeps tables readable when the output is not a terminal (CI logs)."""
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, width=None if probe.is_terminal else 140)
