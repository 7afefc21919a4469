"""The command line's one error handler, and the layer rules the command line relies on."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import mlroi
from mlroi.cli import handler
from mlroi.cli.handler import EXIT_INTERNAL, EXIT_USER_ERROR, handle_errors
from mlroi.errors import DataError

SRC = Path(mlroi.__file__).parent


def _app(exc: Exception | None = None, code: int = 0) -> typer.Typer:
    """A one-command app whose command raises ``exc``, or returns ``code``."""
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)

    @app.command()
    @handle_errors
    def run() -> int:
        if exc is not None:
            raise exc
        return code

    return app


@pytest.fixture(autouse=True)
def _no_debug() -> Iterator[None]:
    handler.set_debug(False)
    yield
    handler.set_debug(False)


def test_a_user_error_is_one_line_on_stderr_and_exit_2() -> None:
    got = CliRunner().invoke(_app(DataError("column 'revenu' not found")))
    assert got.exit_code == EXIT_USER_ERROR == 2
    assert got.stderr.strip() == "error: column 'revenu' not found"


def test_any_other_error_is_an_internal_error_and_exit_70() -> None:
    got = CliRunner().invoke(_app(ZeroDivisionError("division by zero")))
    assert got.exit_code == EXIT_INTERNAL == 70
    assert got.stderr.strip() == (
        "internal error: ZeroDivisionError: division by zero (run with --debug for details)"
    )


def test_debug_re_raises_the_error_itself() -> None:
    handler.set_debug(True)
    got = CliRunner().invoke(_app(ZeroDivisionError("division by zero")))
    assert isinstance(got.exception, ZeroDivisionError)


def test_the_code_a_command_returns_is_its_exit_code() -> None:
    assert CliRunner().invoke(_app(code=1)).exit_code == 1
    assert CliRunner().invoke(_app(code=0)).exit_code == 0


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("path", sorted((SRC / "roi").glob("*.py")), ids=lambda p: p.name)
def test_the_roi_layer_reads_no_data(path: Path) -> None:
    forbidden = ("mlroi.experiment.readout", "mlroi.decision.analysis", "mlroi.sources")
    bad = {m for m in _imports(path) if m.startswith(forbidden) or m == "mlroi.pipeline"}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted((SRC / "cli").glob("*.py")), ids=lambda p: p.name)
def test_no_command_catches_errors_itself(path: Path) -> None:
    if path.name == "handler.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    broad = [
        h.lineno
        for h in ast.walk(tree)
        if isinstance(h, ast.ExceptHandler)
        and (h.type is None or ast.unparse(h.type) in ("Exception", "MlroiError"))
    ]
    assert not broad, f"{path.name} catches errors at lines {broad}: use cli.handler"
