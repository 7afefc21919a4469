"""The readout as a view: the sample-ratio check first, then lifts, guardrails, segments, notes."""

from __future__ import annotations

import math

from mlroi import formatting as fmt
from mlroi.experiment.result import Comparison, ExperimentResult
from mlroi.report.exclusions import exclusions_sentence, exclusions_table
from mlroi.report.view import (
    Axis,
    Cell,
    Column,
    ForestChart,
    ForestRow,
    Section,
    Sentence,
    Table,
    Tone,
    View,
)


def srm_sentence(result: ExperimentResult) -> Sentence:
    """The sample-ratio verdict: the line to read before any lift."""
    srm = result.srm
    counts = ", ".join(f"{arm} {fmt.count(n)}" for arm, n in srm.observed.items())
    if srm.mismatch:
        return Sentence(
            f"SAMPLE RATIO MISMATCH: {fmt.p_equals(srm.p_value)} < {srm.threshold} ({counts})."
            " The assignment or logging is broken; do not trust the lifts below.",
            "alarm",
        )
    return Sentence(f"Sample ratio OK: {fmt.p_equals(srm.p_value)} ({counts})", "good")


def relative_text(c: Comparison) -> str:
    """The relative lift with its interval, naming Fieller's method where it was used."""
    if c.relative is None:
        return c.relative_note or "—"
    text = fmt.interval(c.relative, relative=True)
    return text + " (Fieller)" if c.relative_method == "fieller" else text


def _lift_cells(c: Comparison) -> list[Cell]:
    if c.status != "ok" or c.absolute is None:
        return [
            Cell(fmt.value(c.control_value)),
            Cell(fmt.value(c.treatment_value)),
            Cell(f"cannot estimate: {c.reason}", "warn"),
            Cell(""),
            Cell(""),
            Cell(""),
        ]
    a = c.absolute
    rel = Cell(relative_text(c), "plain" if c.relative is not None else "muted")
    tone: Tone = "good" if c.significant and a.estimate > 0 else "bad" if c.significant else "plain"
    cuped = "" if c.variance_reduction is None else f"−{fmt.share(c.variance_reduction, 0)} var"
    return [
        Cell(fmt.value(c.control_value)),
        Cell(fmt.value(c.treatment_value)),
        Cell(fmt.interval(a)),
        rel,
        Cell(fmt.p_value(c.p_value_adjusted), tone),
        Cell(cuped),
    ]


def _level(result: ExperimentResult) -> str:
    return fmt.level(result.level)


def comparison_table(result: ExperimentResult) -> Table:
    """Every overall comparison: both arms' values, the lifts with their intervals, p (adj.)."""
    arms = len(result.arms) > 2
    level = _level(result)
    columns = [Column("metric")] + ([Column("arm")] if arms else [])
    columns += [
        Column("control", "right"),
        Column("treatment", "right"),
        Column(f"abs. lift [{level} CI]", "right"),
        Column(f"rel. lift [{level} CI]", "right"),
        Column("p (adj.)", "right"),
        Column("CUPED", "right"),
    ]
    rows = tuple(
        (Cell(c.metric), *([Cell(c.arm)] if arms else []), *_lift_cells(c))
        for c in result.comparisons
    )
    return Table("Readout", tuple(columns), rows)


def guardrail_table(result: ExperimentResult) -> Table:
    """Each guardrail's verdict and why."""
    tone: dict[str, Tone] = {"pass": "good", "fail": "bad", "inconclusive": "warn"}
    rows = tuple(
        (Cell(g.metric), Cell(g.arm), Cell(g.status.upper(), tone[g.status]), Cell(g.reason))
        for g in result.guardrails
    )
    columns = tuple(Column(c) for c in ("metric", "arm", "verdict", "why"))
    return Table("Guardrails", columns, rows)


def segment_table(result: ExperimentResult) -> Table:
    """The comparisons within each segment value (relative lift only; p not adjusted)."""
    arms = len(result.arms) > 2
    columns = [Column("segment"), Column("metric")] + ([Column("arm")] if arms else [])
    columns += [
        Column("n (c / t)", "right"),
        Column(f"rel. lift [{_level(result)} CI]", "right"),
        Column("p", "right"),
    ]
    rows = []
    for c in result.segments:
        if c.status != "ok" or c.absolute is None:
            rel = Cell(f"cannot estimate: {c.reason}", "warn")
        else:
            rel = Cell(relative_text(c), "plain" if c.relative is not None else "muted")
        rows.append(
            (
                Cell(f"{c.segment}={c.segment_value}"),
                Cell(c.metric),
                *([Cell(c.arm)] if arms else []),
                Cell(f"{fmt.count(c.n_control)} / {fmt.count(c.n_treatment)}"),
                rel,
                Cell(fmt.p_value(c.p_value)),
            )
        )
    return Table("Segments (p-values not adjusted)", tuple(columns), tuple(rows))


def lift_chart(result: ExperimentResult) -> ForestChart | None:
    """A forest plot of each comparison's relative lift with its interval (those that could be
    estimated); ``None`` when there is none."""
    arms = len(result.arms) > 2
    rows = tuple(
        ForestRow(
            f"{c.metric} [{c.arm}]" if arms else c.metric,
            c.relative.estimate,
            c.relative.lower,
            c.relative.upper,
        )
        for c in result.comparisons
        if c.status == "ok"
        and c.absolute is not None
        and c.relative is not None
        and math.isfinite(c.relative.estimate)
    )
    if not rows:
        return None
    return ForestChart(
        f"Relative lift per metric ({_level(result)} CI)",
        rows,
        Axis("relative lift, treatment vs control (%)", "percent"),
    )


def view(result: ExperimentResult, *, segments: bool = True) -> View:
    """The whole readout as a view (``segments=False`` leaves the segment table out)."""
    blocks: list[Table | Sentence] = [comparison_table(result)]
    if result.guardrails:
        blocks.append(guardrail_table(result))
    if segments and result.segments:
        blocks.append(segment_table(result))
    quality = exclusions_table(result.exclusions)
    if quality is not None:
        blocks.append(quality)
        left_out = exclusions_sentence(result.exclusions)
        if left_out is not None:
            blocks.append(Sentence(left_out, "warn"))
    blocks.extend(Sentence(note, "note") for note in result.notes)
    if result.window_days is not None:
        blocks.append(
            Sentence(
                f"Period: each unit's metrics cover the test window of "
                f"{fmt.number(result.window_days)} days after its first exposure; the lifts are"
                " per unit per window.",
                "note",
            )
        )
    chart = lift_chart(result)
    # the SRM verdict is the headline; a failed guardrail is read before it too
    failed = [line for line in result.failures(("guardrail",))]
    return View(
        label="Experiment readout",
        context=tuple(Sentence(f"Failed check: {line}", "alarm") for line in failed),
        headline=srm_sentence(result),
        sections=(Section(tuple(blocks)),),
        charts=() if chart is None else (chart,),
    )


def _describe(c: Comparison) -> str:
    if c.status != "ok" or c.absolute is None:
        return f"{c.metric} [{c.arm}]: cannot estimate ({c.reason})"
    rel = relative_text(c) if c.relative else f"relative n/a ({c.relative_note})"
    return f"{c.metric} [{c.arm}]: {rel}, {fmt.p_equals(c.p_value)}"


def describe(result: ExperimentResult) -> str:
    """The readout in a few plain lines: SRM, one line per comparison and guardrail."""
    srm = result.srm
    lines = [
        f"ExperimentResult(control={result.control!r}, arms={list(result.arms)},"
        f" {fmt.p_equals(srm.p_value, 'srm_p')}{' MISMATCH' if srm.mismatch else ''})"
    ]
    lines.extend("  " + _describe(c) for c in result.comparisons)
    lines.extend(f"  guardrail {g.metric} [{g.arm}]: {g.status}" for g in result.guardrails)
    return "\n".join(lines)
