"""An assumption a result rests on: a named input, its value and unit, and where it came from.

Decision and ROI results carry the inputs they used as :class:`Assumption` rows, so that no
figure rests on a number nobody sees: a template's default, a price from the rate card, a value
read from a column. The report lists them in its "Assumptions and methods" part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from mlroi.spec.quantity import Quantity, describe

AssumptionSource: TypeAlias = Literal[
    "column", "case", "template default", "mlroi default", "rate card", "data"
]
"""Where an input came from: a column of the data (row by row), the case file, a decision
template's default, mlroi's own default for a field the case left out, the rate card (with its
date in ``note``), or an analysis of the data (a readout, a decision analysis)."""


@dataclass(frozen=True)
class Assumption:
    """One input a result used.

    Attributes:
        name: the input, as the case or template names it (``clv``, ``value.decay``).
        value: a number, or text: a column's name, a distribution (``Beta(6, 14)``), a date.
        unit: what the value is in (``USD``, ``share``, ``probability``, ``USD a month``).
        source: where it came from (see :data:`AssumptionSource`).
        note: what it is, and anything needed to check it (the rate card's date).
    """

    name: str
    value: float | str
    unit: str
    source: AssumptionSource
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "note": self.note,
        }


def shown(q: Quantity) -> float | str:
    """A quantity as an assumption's value: a plain number as a number, anything uncertain as
    its distribution in words (``350 / 480 / 600``, ``Beta(6, 14)``)."""
    return float(q) if isinstance(q, int | float) else describe(q)
