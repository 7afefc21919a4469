"""Several cases' ROI side by side: one table, the return multiples as a chart.

Each row keeps its own horizon and currency; a case whose headline is withheld (a failed check)
shows why instead of figures, so a comparison never ranks a number that cannot be trusted.
"""

from __future__ import annotations

from mlroi import formatting as fmt
from mlroi.comparison import Comparison
from mlroi.report.roi import summary_rows
from mlroi.report.view import (
    Axis,
    Cell,
    Column,
    ForestChart,
    ForestRow,
    Section,
    Sentence,
    Table,
    View,
)
from mlroi.roi.result import RoiResult

_FIGURES = ("Value", "Cost", "Net value", "Return multiple", "Payback")
"""The headline figures compared (the first words of :func:`mlroi.report.roi.summary_rows`)."""


def _row(r: RoiResult) -> tuple[Cell, ...]:
    head = (Cell(r.case), Cell(f"{r.horizon_months} months"))
    if r.withheld:
        withheld = Cell("failed: no figures", "alarm")
        return (*head, withheld, *(Cell("—") for _ in range(len(_FIGURES) + 2)))
    figures = {name.split(" (")[0]: point for name, point, _ in summary_rows(r)}
    m = r.return_multiple
    checks = Cell("failed, accepted", "warn") if r.failed_checks else Cell("passed", "good")
    return (
        *head,
        checks,
        *(Cell(figures[name]) for name in _FIGURES),
        Cell(f"{fmt.multiple(m.lower)}–{fmt.multiple(m.upper)}" if r.uncertain else "—"),
        Cell(fmt.probability(r.p_net_roi_positive) if r.uncertain else "—"),
    )


def table(c: Comparison) -> Table:
    """One row per case: horizon, checks, the headline figures, the return multiple's
    interval and P(net ROI > 0)."""
    levels = " / ".join(sorted({fmt.level(r.level) for r in c.cases}))
    return Table(
        "The cases side by side (totals over each case's own horizon, undiscounted)",
        (
            Column("case"),
            Column("horizon"),
            Column("checks"),
            *(Column(name.lower(), "right") for name in _FIGURES),
            Column(f"multiple, {levels} interval", "right"),
            Column("P(net ROI > 0)", "right"),
        ),
        tuple(_row(r) for r in c.cases),
    )


def view(c: Comparison, *, segments: bool = True) -> View:
    """The comparison as a view (``segments`` is for readouts; unused here)."""
    shown = [r for r in c.cases if not r.withheld]
    charts = (
        (
            ForestChart(
                "Return multiple of each case (value / cost over its horizon)",
                tuple(
                    ForestRow(
                        r.case,
                        r.return_multiple.estimate,
                        r.return_multiple.lower,
                        r.return_multiple.upper,
                    )
                    for r in shown
                ),
                Axis("return multiple (1 = pays for itself)", "number"),
                reference=1.0,
            ),
        )
        if shown
        else ()
    )
    context = tuple(
        Sentence(f"{r.case}: no figures, a check failed ({'; '.join(r.failed_checks)})", "alarm")
        for r in c.cases
        if r.withheld
    )
    currencies = {r.currency for r in c.cases}
    horizons = {r.horizon_months for r in c.cases}
    notes = [Sentence("Amounts in " + ", ".join(sorted(currencies)) + ".", "muted")]
    if len(currencies) > 1 or len(horizons) > 1:
        notes.append(
            Sentence(
                "The cases differ in currency or horizon: compare return multiples and payback, "
                "not totals.",
                "warn",
            )
        )
    return View(
        label="Cases compared",
        title=f"{len(c.cases)} cases compared",
        context=context,
        sections=(Section((table(c), *notes)),),
        charts=charts,
    )


def describe(c: Comparison) -> str:
    """The cases compared, on one line."""
    return f"Comparison({', '.join(repr(r.case) for r in c.cases)})"
