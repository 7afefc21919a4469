"""A case report on disk: ``report.html``, ``report.md`` and ``result.json`` from one result.

Every file carries mlroi's mark (:data:`mlroi.case_result.GENERATOR`); a file of the same name
without it is never overwritten (unless ``force``), nothing is written until every name is known
to be safe, and each file is written whole (see :mod:`mlroi.files`).
"""

from __future__ import annotations

from pathlib import Path

from mlroi.case_result import CaseResult
from mlroi.comparison import Comparison
from mlroi.files import write_folder
from mlroi.report import case, comparison, html, markdown
from mlroi.report.view import Section, Sentence, View

FILES = ("report.html", "report.md", "result.json")
"""What :func:`write_report` writes, in that order."""

COMPARISON_FILES = ("comparison.html", "comparison.md", "comparison.json")
"""What :func:`write_comparison` writes, in that order."""


def write_report(result: CaseResult, out: Path, *, force: bool = False) -> dict[str, Path]:
    """Write the report of ``result`` into folder ``out`` (made if missing).

    Args:
        result: the case's results.
        out: the folder.
        force: replace files of the same names that mlroi did not write.

    Returns:
        Each file's name and path.

    Raises:
        DataError: a file of the same name is there and mlroi did not write it (nothing is
            written then), or the folder cannot be made or written.
    """
    views = case.parts(result)
    title = f"{result.name}: is it paying for itself?"
    texts = {
        "report.html": html.page(views, title=title),
        "report.md": markdown.page(views, title=title),
        "result.json": result.to_json() + "\n",
    }
    return write_folder(out, texts, option="--out", force=force)


def write_comparison(
    c: Comparison, out: Path, folders: list[str], *, force: bool = False
) -> dict[str, Path]:
    """Write the page that compares several cases into ``out``, beside their reports.

    Args:
        c: the cases' ROI results.
        out: the folder (made if missing).
        folders: each case's report folder, relative to ``out``, in the order of ``c.cases``.
        force: replace files of the same names that mlroi did not write.

    Returns:
        Each file's name and path (``comparison.html``, ``comparison.md``, ``comparison.json``).

    Raises:
        DataError: a file of the same name is there and mlroi did not write it.
    """
    v = comparison.view(c)
    links = "; ".join(f"{r.case}: {f}/report.html" for r, f in zip(c.cases, folders, strict=True))
    title = f"{len(c.cases)} ML systems: are they paying for themselves?"
    linked = [v, _links_view(links)]
    texts = {
        "comparison.html": html.page(linked, title=title),
        "comparison.md": markdown.page(linked, title=title),
        "comparison.json": c.to_json() + "\n",
    }
    return write_folder(out, texts, option="--out", force=force)


def _links_view(links: str) -> View:
    return View(label="Each case's report", sections=(Section((Sentence(links),)),))
