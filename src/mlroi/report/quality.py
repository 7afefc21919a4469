"""The data-quality part of a case report: the rows each analysis read, and those it left out
and why.

The part is a table of :class:`RowCount` lines (what, rows, reason). :func:`row_counts` makes
them from what the results carry (the readout's units per arm and the metrics it could not
estimate; the decision analysis' eligible rows and the past campaign's treated rows); a result
that reports its own exclusions (an ``exclusions`` sequence of ``(what, rows, reason)`` lines)
is added as it is, so a new source of counts needs no change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mlroi import formatting as fmt
from mlroi.case_result import CaseResult
from mlroi.report.view import Cell, Column, Section, Sentence, Table, View


@dataclass(frozen=True)
class RowCount:
    """One line of the data-quality table.

    Attributes:
        what: which rows, e.g. "experiment: units read".
        rows: how many (None: not counted by the analysis).
        reason: "read", or why they were left out or changed.
        excluded: the rows were left out of (or changed for) the analysis.
    """

    what: str
    rows: int | None
    reason: str
    excluded: bool = False


def _reported(result: Any, source: str) -> list[RowCount]:
    """A result's own ``exclusions`` as lines (each ``(what, rows, reason)`` or an object with
    those attributes)."""
    out: list[RowCount] = []
    for x in getattr(result, "exclusions", None) or ():
        what, rows, reason = (
            x if isinstance(x, tuple) else (x.what, getattr(x, "rows", None), x.reason)
        )
        out.append(RowCount(f"{source}: {what}", None if rows is None else int(rows), reason, True))
    return out


def row_counts(r: CaseResult) -> list[RowCount]:
    """Every count the case's results carry, readout first."""
    out: list[RowCount] = []
    e = r.experiment
    if e is not None:
        arms = ", ".join(f"{arm} {fmt.count(n)}" for arm, n in e.srm.observed.items())
        out.append(RowCount("experiment: units read", sum(e.srm.observed.values()), arms))
        out += _reported(e, "experiment")
        for c in e.comparisons:
            if c.status != "ok":
                out.append(
                    RowCount(
                        f"experiment: {c.metric} ({c.arm})",
                        c.n_control + c.n_treatment,
                        f"cannot estimate: {c.reason}",
                        True,
                    )
                )
        out += [
            RowCount("experiment: values", None, note, True) for note in e.notes if "capped" in note
        ]
    d = r.decision
    if d is not None:
        campaign = d.uplift.comparison.n if d.uplift is not None else None
        read = campaign if campaign is not None else d.rows
        filtered = f"eligible: {d.eligible}" if d.eligible else "every row"
        out.append(RowCount("scored table: rows analysed", read, filtered))
        if d.eligible:
            out.append(
                RowCount(
                    "scored table: rows outside the eligible population",
                    None,
                    f"left out by the filter {d.eligible}",
                    True,
                )
            )
        if campaign is not None and campaign > d.rows:
            out.append(
                RowCount(
                    "scored table: rows treated in the past campaign",
                    campaign - d.rows,
                    "left out of the value curve (their outcome shows the treatment, not what"
                    " happens without it); used by the uplift analysis",
                    True,
                )
            )
        out += _reported(d, "scored table")
    t = r.retention
    if t is not None:
        users = ", ".join(f"{arm} {fmt.count(n)}" for arm, n in t.users.items())
        out.append(RowCount("retention: users followed", sum(t.users.values()), users))
        out += _reported(t, "retention")
    o = r.causal
    if o is not None:
        units = ", ".join(f"{role} {fmt.count(n)}" for role, n in o.units.items())
        out.append(RowCount(f"{o.design}: units analysed", sum(o.units.values()), units))
        out += [
            RowCount(f"{o.design}: rows", n, reason, True) for reason, n in o.excluded.items() if n
        ]
    return out


def view(r: CaseResult, extra: Iterable[RowCount] = ()) -> View:
    """The data-quality part: one table of rows read and left out, then what it cannot say."""
    lines: Sequence[RowCount] = [*row_counts(r), *extra]
    blocks: list[Table | Sentence] = []
    if lines:
        blocks.append(
            Table(
                "Rows read and left out",
                (Column("rows of"), Column("rows", "right"), Column("read, or left out because")),
                tuple(
                    (
                        Cell(x.what),
                        Cell("not counted", "muted") if x.rows is None else Cell(fmt.count(x.rows)),
                        Cell(x.reason, "warn" if x.excluded else "plain"),
                    )
                    for x in lines
                ),
            )
        )
        if any(x.rows is None for x in lines):
            blocks.append(
                Sentence(
                    "'Not counted': the analysis applied this filter or change in the backend"
                    " and does not report how many rows it touched.",
                    "muted",
                )
            )
    else:
        blocks.append(Sentence("This case reads no data: every lift is entered in the case."))
    return View(label="Data quality", sections=(Section(tuple(blocks)),))
