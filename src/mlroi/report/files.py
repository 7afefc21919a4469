"""A case report on disk: ``report.html``, ``report.md`` and ``result.json`` from one result.

Every file carries mlroi's mark (:data:`mlroi.case_result.GENERATOR`); a file of the same name
without it is never overwritten, and nothing is written until every name is known to be safe.
"""

from __future__ import annotations

from pathlib import Path

from mlroi.case_result import GENERATOR, CaseResult
from mlroi.comparison import Comparison
from mlroi.errors import DataError
from mlroi.report import case, comparison, html, markdown
from mlroi.report.view import Section, Sentence, View

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
    views = case.parts(result)
    title = f"{result.name}: is it paying for itself?"
    return _write(
        out,
        {
            "report.html": html.page(views, title=title),
            "report.md": markdown.page(views, title=title),
            "result.json": result.to_json() + "\n",
        },
    )


def write_comparison(c: Comparison, out: Path, folders: list[str]) -> dict[str, Path]:
    """Write the page that compares several cases into ``out``, beside their reports.

    Args:
        c: the cases' ROI results.
        out: the folder (made if missing).
        folders: each case's report folder, relative to ``out``, in the order of ``c.cases``.

    Returns:
        Each file's name and path (``comparison.html``, ``comparison.md``, ``comparison.json``).

    Raises:
        DataError: a file of the same name is there and mlroi did not write it.
    """
    v = comparison.view(c)
    links = "; ".join(f"{r.case}: {f}/report.html" for r, f in zip(c.cases, folders, strict=True))
    title = f"{len(c.cases)} ML systems: are they paying for themselves?"
    linked = [v, _links_view(links)]
    return _write(
        out,
        {
            "comparison.html": html.page(linked, title=title),
            "comparison.md": markdown.page(linked, title=title),
            "comparison.json": c.to_json() + "\n",
        },
    )


def _links_view(links: str) -> View:
    return View(label="Each case's report", sections=(Section((Sentence(links),)),))


def _write(out: Path, texts: dict[str, str]) -> dict[str, Path]:
    """Write each text into ``out`` under its name; nothing is written unless every name is
    free or holds a file mlroi wrote."""
    paths = {name: out / name for name in texts}
    for path in paths.values():
        if not _ours(path):
            raise DataError(
                f"{path} exists and was not written by mlroi: move it away, or choose another"
                " folder with --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        paths[name].write_text(text, encoding="utf-8")
    return paths
