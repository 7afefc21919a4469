"""A case report on disk: ``report.html``, ``report.md`` and ``result.json`` from one result.

Every file carries mlroi's mark (:data:`mlroi.case_result.GENERATOR`); a file of the same name
without it is never overwritten, and nothing is written until every name is known to be safe.
"""

from __future__ import annotations

from pathlib import Path

from mlroi.case_result import GENERATOR, CaseResult
from mlroi.errors import DataError
from mlroi.report import case, html, markdown

FILES = ("report.html", "report.md", "result.json")
"""What :func:`write_report` writes, in that order."""

_MARK_WITHIN = 4096
"""How far into an existing file mlroi looks for its mark."""


def _ours(path: Path) -> bool:
    """Whether ``path`` is missing or a report mlroi wrote."""
    if not path.exists():
        return True
    if not path.is_file():
        return False
    with path.open("rb") as f:
        head = f.read(_MARK_WITHIN)
    return GENERATOR.encode() in head


def write_report(result: CaseResult, out: Path) -> dict[str, Path]:
    """Write the report of ``result`` into folder ``out`` (made if missing).

    Returns:
        Each file's name and path.

    Raises:
        DataError: a file of the same name is there and mlroi did not write it (nothing is
            written then).
    """
    paths = {name: out / name for name in FILES}
    for path in paths.values():
        if not _ours(path):
            raise DataError(
                f"{path} exists and was not written by mlroi: move it away, or choose another"
                " folder with --out"
            )
    views = case.parts(result)
    title = f"{result.name}: is it paying for itself?"
    texts = {
        "report.html": html.page(views, title=title),
        "report.md": markdown.page(views, title=title),
        "result.json": result.to_json() + "\n",
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        paths[name].write_text(text, encoding="utf-8")
    return paths
