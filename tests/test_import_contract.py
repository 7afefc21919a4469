"""Layering rules, checked on the source: which packages may not import which.

Each rule is a row of :data:`RULES`: the packages it governs (under ``src/mlroi``), the import
prefix they may not use (at the top of a module or inside a function), and the modules allowed
to break it, each with the reason. Add a rule by adding a row.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mlroi"


@dataclass(frozen=True)
class Rule:
    """Modules under ``packages`` never import ``forbidden`` (or anything below it)."""

    name: str
    packages: tuple[str, ...]
    forbidden: str
    exceptions: dict[str, str] = field(default_factory=dict)
    """module path (relative to ``src/mlroi``) -> why it may, for now."""


RULES = (
    Rule(
        name="results hold numbers: no layer below the report imports it",
        packages=(
            "experiment",
            "decision",
            "retention",
            "attribution",
            "causal",
            "roi",
            "stats",
            "value",
            "costs",
            "metrics",
            "expr",
            "spec",
        ),
        forbidden="mlroi.report",
    ),
    Rule(
        name="the one formatter is a leaf every layer may import: it imports nothing from mlroi",
        packages=("formatting",),
        forbidden="mlroi",
    ),
)


QUERY_LAYER = ("backend", "sources")
"""The only packages that import Ibis: backend/ builds and runs queries, sources/ opens tables."""

EVERY_OTHER = tuple(
    sorted(
        p.stem if p.suffix == ".py" else p.name
        for p in SRC.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name not in QUERY_LAYER
    )
)

RULES += (
    Rule(
        name="only backend/ and sources/ import Ibis",
        packages=EVERY_OTHER,
        forbidden="ibis",
    ),
    Rule(
        name="estimation code never runs a query",
        packages=("stats", "expr", "value", "costs", "roi", "metrics", "spec"),
        forbidden="mlroi.backend",
    ),
    *(
        Rule(
            name=f"data moves one way: backend/ does not import {above}",
            packages=("backend", "sources"),
            forbidden=f"mlroi.{above}",
        )
        for above in (
            "experiment",
            "decision",
            "retention",
            "attribution",
            "roi",
            "report",
            "cli",
            "pipeline",
            "result",
        )
    ),
    Rule(
        name="data moves one way: backend/ does not import causal",
        packages=("backend", "sources"),
        forbidden="mlroi.causal",
        exceptions={
            "backend/causal_adjust.py": "the adjustment design's per-row formulas "
            "(causal/adjust_rows.py: arithmetic on an Ops interface, no estimation) "
            "are written once for the array reducer and this query reducer, so both compute the "
            "same sums by construction",
        },
    ),
)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(rule: Rule) -> list[str]:
    """``module -> import`` lines that break ``rule``."""
    out = []
    for package in rule.packages:
        root = SRC / package
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]
        for path in files:
            if not path.exists():
                continue
            rel = path.relative_to(SRC).as_posix()
            if rel in rule.exceptions:
                continue
            out += [
                f"{rel} -> {m}"
                for m in sorted(imported_modules(path))
                if _matches(m, rule.forbidden)
            ]
    return out


@pytest.mark.parametrize("rule", RULES, ids=[r.forbidden for r in RULES])
def test_no_module_breaks_the_layering_rule(rule: Rule) -> None:
    assert violations(rule) == [], rule.name


@pytest.mark.parametrize("rule", RULES, ids=[r.forbidden for r in RULES])
def test_every_exception_still_needs_its_exemption(rule: Rule) -> None:
    stale = [
        rel
        for rel in rule.exceptions
        if not any(_matches(m, rule.forbidden) for m in imported_modules(SRC / rel))
    ]
    assert stale == [], f"remove these exceptions from the rule: {stale}"


def test_the_ibis_rule_covers_every_package_but_the_query_layer() -> None:
    assert {"decision", "experiment", "stats", "roi", "report", "cli", "pipeline"} <= set(
        EVERY_OTHER
    )
    assert not set(QUERY_LAYER) & set(EVERY_OTHER)


def test_the_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from mlroi.report.html import fragment\n")
    assert _matches(sorted(imported_modules(module))[0], "mlroi.report")
