"""What an analysis read and what it left out, with why: the counts of a report's Data quality
section.

An analysis either refuses bad rows (a NULL metric, a NaN score: one error line) or leaves rows
out by a rule the user may not know of (an event of a unit that was never assigned, a unit never
exposed). Rows left out are never dropped silently: they are counted here, and the result, its
JSON and its report carry the counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Excluded:
    """Rows of one table an analysis left out, and why.

    Attributes:
        what: which rows: the table, as the report names it (``"events"``,
            ``"assignments"``).
        rows: how many rows were left out.
        reason: why, in a few words (``"unit not in the assignments"``).
    """

    what: str
    rows: int
    reason: str


@dataclass(frozen=True)
class Exclusions:
    """The rows an analysis read per table, and those it left out.

    Attributes:
        read: rows read, by table (``{"units": 20000}``, or ``{"events": ..., "assignments":
            ...}`` for an event log).
        excluded: the rows left out, one entry per table and reason (only reasons that apply
            are listed, with their counts, zeros included, so a report can say "none").
    """

    read: Mapping[str, int] = field(default_factory=dict)
    excluded: tuple[Excluded, ...] = ()

    @property
    def total_excluded(self) -> int:
        """Rows left out over every table and reason."""
        return sum(e.rows for e in self.excluded)

    def __iter__(self) -> Iterator[Excluded]:
        """The rows left out, one :class:`Excluded` per table and reason (what a case report's
        data-quality part reads from any result's ``exclusions``)."""
        return iter(self.excluded)
