"""The "Assumptions used" table: every input a result rests on, its unit and its source."""

from __future__ import annotations

from collections.abc import Sequence

from mlroi import formatting as fmt
from mlroi.assumption import Assumption
from mlroi.report.view import Cell, Column, Table


def _value(a: Assumption, currency: str) -> str:
    if isinstance(a.value, str):
        return a.value
    if a.unit == currency or a.unit.startswith(f"{currency} "):
        return fmt.money(a.value, currency, exact=True)
    if a.unit.startswith("share"):
        return fmt.share(a.value)
    if float(a.value).is_integer():
        return fmt.count(a.value)
    return fmt.number(a.value)


def table(
    assumptions: Sequence[Assumption], currency: str, title: str = "Assumptions used"
) -> Table:
    """One row per assumption: input, value, unit, source and what it is."""
    return Table(
        title,
        (
            Column("input"),
            Column("value", "right"),
            Column("unit"),
            Column("source"),
            Column("note"),
        ),
        tuple(
            (
                Cell(a.name),
                Cell(_value(a, currency)),
                Cell(a.unit),
                Cell(
                    a.source,
                    "warn" if a.source in ("template default", "mlroi default") else "plain",
                ),
                Cell(a.note),
            )
            for a in assumptions
        ),
    )
