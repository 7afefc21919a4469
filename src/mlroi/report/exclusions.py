"""A result's Data quality table: the rows an analysis read, and those it left out with why."""

from __future__ import annotations

from mlroi import formatting as fmt
from mlroi.quality import Exclusions
from mlroi.report.view import Cell, Column, Table


def exclusions_table(exclusions: Exclusions, title: str = "Data quality") -> Table | None:
    """One row per table read and reason for leaving rows out: rows read, rows left out and
    their share of the table. ``None`` when nothing could have been left out (a per-unit
    table, whose bad rows are errors)."""
    if not exclusions.excluded:
        return None
    rows = []
    for e in exclusions.excluded:
        read = exclusions.read.get(e.what, 0)
        share = fmt.share(e.rows / read) if read else "—"
        rows.append(
            (
                Cell(e.what),
                Cell(fmt.count(read), "muted"),
                Cell(fmt.count(e.rows), "warn" if e.rows else "plain"),
                Cell(share, "warn" if e.rows else "muted"),
                Cell(e.reason),
            )
        )
    columns = (
        Column("table"),
        Column("rows read", "right"),
        Column("left out", "right"),
        Column("share", "right"),
        Column("why"),
    )
    return Table(title, columns, tuple(rows))


def exclusions_sentence(exclusions: Exclusions) -> str | None:
    """One line saying how many rows were left out, for a summary; ``None`` when none were."""
    if exclusions.total_excluded == 0:
        return None
    parts = [f"{fmt.count(e.rows)} {e.what} ({e.reason})" for e in exclusions.excluded if e.rows]
    return "Left out of the analysis: " + "; ".join(parts) + "."
