"""Ibis's SQL compilers, each loaded when an engine first asks for it, not all twenty at once.

``ibis.backends.sql.compilers`` is a package whose ``__init__`` does nothing but re-export
twenty compilers (``from ibis.backends.sql.compilers.athena import AthenaCompiler``, ...). Ibis's
DuckDB backend imports it for ``sc.duckdb.compiler``, and so loads every compiler, their
sqlglot dialects and Ibis's own dialect patches: about 0.1 s of CPU of a ``mlroi roi`` that
only ever speaks DuckDB. :func:`load_on_demand` puts an import hook in front of that one
package: its ``__init__`` is read (not run) and replaced by a module whose attributes import
their compiler on first access (``sc.postgres``, ``sc.PostgresCompiler``, ``from ... import
TrinoCompiler``), each submodule then running as Ibis wrote it, with its dialect patches.

It fails safe: an ``__init__`` holding anything but those re-exports (another Ibis release), or
a package already imported, is imported as usual. Checked in ``tests/test_startup.py``: the
DuckDB readout loads one compiler, and every dialect compiles to the same SQL either way.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "ibis.backends.sql.compilers"


def load_on_demand() -> None:
    """Import Ibis's SQL compilers one at a time, when first used (see the module).

    Does nothing when the package is already imported or the hook already installed.
    """
    if PACKAGE in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())


def reexports(source: str) -> dict[str, str] | None:
    """The names a package's ``__init__`` re-exports, each with the submodule it comes from.

    None unless the source is only a docstring, ``from __future__`` imports, ``__all__`` and
    ``from PACKAGE.sub import Name`` lines: anything else may matter and is left to run.

    Example:
        >>> reexports("from ibis.backends.sql.compilers.duckdb import DuckDBCompiler")
        {'DuckDBCompiler': 'duckdb'}
        >>> reexports("import os") is None
        True
    """
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]:
            continue
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
            return None
        package, _, sub = node.module.rpartition(".")
        if package != PACKAGE or any(a.asname not in (None, a.name) for a in node.names):
            return None
        names.update({a.name: sub for a in node.names})
    return names or None


class _Finder(importlib.abc.MetaPathFinder):
    """Finds :data:`PACKAGE` as Python would, and loads it with :class:`_Loader` when its
    ``__init__`` is only re-exports."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py"):
            return None
        try:
            names = reexports(Path(spec.origin).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            return None
        if names is None:
            return None
        spec.loader = _Loader(names)
        return spec


class _Loader(importlib.abc.Loader):
    """Makes the package a module whose re-exported names import their submodule when read."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module, with the package's __path__ for its submodules

    def exec_module(self, module: ModuleType) -> None:
        names = self.names
        submodules = set(names.values())
        package = module.__name__

        def __getattr__(name: str) -> Any:
            if name in names:
                value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
                setattr(module, name, value)
                return value
            if name in submodules:  # the import sets it on the package as well
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")

        module.__all__ = list(names)  # type: ignore[attr-defined]
        module.__getattr__ = __getattr__  # type: ignore[method-assign]
