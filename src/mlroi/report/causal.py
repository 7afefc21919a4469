"""The frame every observational estimate is shown in, whatever its design.

Failed diagnostics first (a blocking one withholds the headline, as a sample ratio mismatch does
for a readout), then the effect with its interval, unit and period beside the naive comparison,
every estimator the design ran, the diagnostics, and the assumptions in words. A design's own
report module adds its sections and charts (propensity overlap, event study, counterfactual)
through :func:`frame`.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlroi import formatting as fmt
from mlroi.causal.result import CausalResult
from mlroi.report.view import Cell, Chart, Column, Section, Sentence, Table, Tone, View
from mlroi.stats.interval import Interval

DESIGNS = {
    "adjustment": "adjustment for confounding",
    "did": "difference-in-differences",
    "its": "interrupted time series",
    "synthetic_control": "synthetic control",
}
"""Each design's name in words."""

NOT_INCREMENTAL_WITHOUT_ASSUMPTIONS = (
    "An observational estimate is causal only under its assumptions, listed below; a "
    "randomized test needs none of them."
)


def design_name(r: CausalResult) -> str:
    """The design in words."""
    return DESIGNS.get(r.design, r.design)


def _tone(iv: Interval) -> Tone:
    if iv.lower > 0:
        return "good"
    if iv.upper < 0:
        return "bad"
    return "plain"


def effect_text(r: CausalResult, iv: Interval) -> str:
    """An effect with its interval and level, e.g. ``+8.05 [+7.1, +9.0] (95% CI)``."""
    return f"{fmt.interval(iv)} ({fmt.level(r.level)} CI)"


def headline(r: CausalResult) -> Sentence:
    """The effect in one sentence, or why none is given."""
    if r.withheld:
        names = ", ".join(c.name for c in r.failed_checks if c.blocking)
        return Sentence(
            f"No estimate is given: the {design_name(r)} design failed {names}, which the "
            "estimate rests on (see the failed checks above).",
            "alarm",
        )
    text = f"Effect on {r.outcome} {r.effect_unit}: {effect_text(r, r.effect)}"
    if r.relative is not None:
        text += f", {fmt.interval(r.relative, relative=True)} relative"
    if r.naive is not None:
        text += f"; the naive comparison says {fmt.signed(r.naive.estimate)}"
    return Sentence(text + ".", _tone(r.effect))


def context(r: CausalResult) -> tuple[Sentence, ...]:
    """Failed checks first, then the design, period and units analysed."""
    out = [
        Sentence(f"Failed check: {c.name}: {c.detail}", "alarm" if c.blocking else "warn")
        for c in r.failed_checks
    ]
    units = ", ".join(f"{role} {fmt.count(n)}" for role, n in r.units.items())
    where = f" over {r.period}" if r.period else ""
    out.append(
        Sentence(
            f"No randomized test: {design_name(r)} ({r.estimator}) on observational data{where};"
            f" units analysed: {units or 'not counted'}.",
            "muted",
        )
    )
    if r.sources:
        out.append(Sentence("Data: " + "; ".join(r.sources) + ".", "muted"))
    return tuple(out)


def estimates_table(r: CausalResult) -> Table:
    """Every estimator the design ran, the naive comparison last."""
    rows = []
    pairs = list(r.estimates.items()) or [(r.estimator, r.effect)]
    if r.naive is not None:
        pairs.append(("naive difference (no adjustment)", r.naive))
    for name, iv in pairs:
        shown = name + (" (headline)" if name == r.estimator else "")
        rows.append(
            (
                Cell(shown),
                Cell(fmt.value(iv.estimate), "muted" if r.withheld else _tone(iv)),
                Cell(f"[{fmt.signed(iv.lower)}, {fmt.signed(iv.upper)}]"),
                Cell(fmt.value(iv.std_error)),
            )
        )
    return Table(
        f"Effect on {r.outcome} {r.effect_unit} ({fmt.level(r.level)} intervals)",
        (
            Column("estimator"),
            Column("effect", "right"),
            Column("interval", "right"),
            Column("std. error", "right"),
        ),
        tuple(rows),
    )


def checks_table(r: CausalResult) -> Table | None:
    """Each diagnostic, its statistic, its limit and its verdict."""
    if not r.checks:
        return None
    rows = []
    for c in r.checks:
        verdict = "passed" if c.passed else ("FAILED" if c.blocking else "warning")
        tone: Tone = "good" if c.passed else ("alarm" if c.blocking else "warn")
        rows.append((Cell(c.name), Cell(verdict, tone), Cell(c.detail)))
    return Table(
        "Diagnostics (a blocking failure withholds the estimate)",
        (Column("check"), Column("verdict"), Column("what was compared")),
        tuple(rows),
    )


def assumptions(r: CausalResult) -> tuple[Sentence, ...]:
    """What the estimate rests on, one sentence each, then the notes."""
    out = [Sentence(NOT_INCREMENTAL_WITHOUT_ASSUMPTIONS, "note")]
    out += [Sentence(f"Assumption: {a}", "plain") for a in r.assumptions]
    out += [Sentence(n, "note") for n in r.notes]
    return tuple(out)


def frame(
    r: CausalResult,
    sections: Sequence[Section] = (),
    charts: Sequence[Chart] = (),
    *,
    label: str | None = None,
) -> View:
    """The view of ``r``: the shared frame around a design's own ``sections`` and ``charts``."""
    blocks: list[Table | Sentence] = [estimates_table(r)]
    checks = checks_table(r)
    if checks is not None:
        blocks.append(checks)
    return View(
        label=label or f"Observational estimate: {design_name(r)}",
        context=context(r),
        headline=headline(r),
        sections=(
            Section(tuple(blocks), "Effect"),
            *sections,
            Section(assumptions(r), "Assumptions"),
        ),
        charts=tuple(charts),
    )


def view(r: CausalResult, *, segments: bool = True) -> View:
    """The shared frame alone (a design without a report module of its own)."""
    return frame(r)


def describe(r: CausalResult) -> str:
    """The headline, or why there is none."""
    return headline(r).text
