"""The readout as rich tables in the terminal: SRM first, then lifts, guardrails, segments."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from mlroi.experiment.result import Comparison, ExperimentResult
from mlroi.report import format as fmt


def _lift_cells(c: Comparison) -> list[str | Text]:
    if c.status != "ok" or c.absolute is None:
        return [
            fmt.value(c.control_value),
            fmt.value(c.treatment_value),
            Text(f"cannot estimate: {c.reason}", style="yellow"),
            "",
            "",
            "",
        ]
    a = c.absolute
    abs_text = fmt.interval(a)
    if c.relative is not None:
        rel: str | Text = fmt.interval(c.relative, relative=True)
    else:
        rel = Text(c.relative_note or "—", style="dim")
    style = (
        "bold green" if c.significant and a.estimate > 0 else "bold red" if c.significant else ""
    )
    p = Text(fmt.p_value(c.p_value_adjusted), style=style)
    cuped = "" if c.variance_reduction is None else f"−{c.variance_reduction:.0%} var"
    return [fmt.value(c.control_value), fmt.value(c.treatment_value), abs_text, rel, p, cuped]


def _comparison_table(title: str, rows: list[Comparison], level: float, arms: bool) -> Table:
    table = Table(title=title, title_justify="left")
    columns = [("metric", "left")] + ([("arm", "left")] if arms else [])
    columns += [
        ("control", "right"),
        ("treatment", "right"),
        (f"abs. lift [{level:.0%} CI]", "right"),
        (f"rel. lift [{level:.0%} CI]", "right"),
        ("p (adj.)", "right"),
        ("CUPED", "right"),
    ]
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in rows:
        table.add_row(c.metric, *([c.arm] if arms else []), *_lift_cells(c))
    return table


def _segment_table(rows: list[Comparison], level: float, arms: bool) -> Table:
    table = Table(title="Segments (p-values not adjusted)", title_justify="left")
    columns = [("segment", "left"), ("metric", "left")] + ([("arm", "left")] if arms else [])
    columns += [("n (c / t)", "right"), (f"rel. lift [{level:.0%} CI]", "right"), ("p", "right")]
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in rows:
        if c.status != "ok" or c.absolute is None:
            rel: str | Text = Text(f"cannot estimate: {c.reason}", style="yellow")
        elif c.relative is None:
            rel = Text(c.relative_note or "—", style="dim")
        else:
            rel = fmt.interval(c.relative, relative=True)
        table.add_row(
            f"{c.segment}={c.segment_value}",
            c.metric,
            *([c.arm] if arms else []),
            f"{c.n_control:,} / {c.n_treatment:,}",
            rel,
            fmt.p_value(c.p_value),
        )
    return table


def render(result: ExperimentResult, *, segments: bool = True) -> Group:
    """A renderable of the whole readout."""
    srm = result.srm
    counts = ", ".join(f"{arm} {n:,}" for arm, n in srm.observed.items())
    if srm.mismatch:
        srm_line = Text(
            f"SAMPLE RATIO MISMATCH: p = {srm.p_value:.2g} < {srm.threshold} ({counts})."
            " The assignment or logging is broken; do not trust the lifts below.",
            style="bold white on red",
        )
    else:
        srm_line = Text(f"Sample ratio OK: p = {srm.p_value:.3g} ({counts})", style="green")
    many_arms = len(result.arms) > 2
    parts: list[Table | Text] = [
        srm_line,
        _comparison_table("Readout", list(result.comparisons), result.level, many_arms),
    ]
    if result.guardrails:
        g_table = Table(title="Guardrails", title_justify="left")
        for col in ("metric", "arm", "verdict", "why"):
            g_table.add_column(col)
        colour = {"pass": "green", "fail": "bold red", "inconclusive": "yellow"}
        for g in result.guardrails:
            g_table.add_row(
                g.metric, g.arm, Text(g.status.upper(), style=colour[g.status]), g.reason
            )
        parts.append(g_table)
    if segments and result.segments:
        parts.append(_segment_table(list(result.segments), result.level, many_arms))
    for note in result.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    return Group(*parts)


def print_result(
    result: ExperimentResult, console: Console | None = None, *, segments: bool = True
) -> None:
    """Print the readout to the terminal."""
    (console or wide_console()).print(render(result, segments=segments))


def wide_console(stderr: bool = False) -> Console:
    """A console that keeps tables readable when the output is not a terminal (CI logs)."""
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, width=None if probe.is_terminal else 140)
