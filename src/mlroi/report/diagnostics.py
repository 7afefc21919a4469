"""The diagnostics table every observational design shows: failed checks first (blocking ones
before warnings), each with its verdict and what was compared."""

from __future__ import annotations

from mlroi.causal.result import CausalResult
from mlroi.report.view import Cell, Column, Table


def checks_table(r: CausalResult) -> Table:
    """The design's diagnostics, failed ones first; a failed blocking one reads "FAILED: no
    headline"."""
    rows = []
    for c in (*r.failed_checks, *(c for c in r.checks if c.passed)):
        if c.passed:
            verdict = Cell("passed", "good")
        elif c.blocking:
            verdict = Cell("FAILED: no headline", "alarm")
        else:
            verdict = Cell("warning", "warn")
        rows.append((Cell(c.name), verdict, Cell(c.detail)))
    return Table("Diagnostics", (Column("check"), Column("verdict"), Column("detail")), tuple(rows))
