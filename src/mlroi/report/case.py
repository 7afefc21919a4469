"""The stakeholder report of a whole case: an executive summary, then each analysis.

The summary says, in this order: any failed check that undermines the headline (sample ratio
mismatch, a failed guardrail, a constraint no threshold meets), the goal and intervention, the
verdict with its confidence, and the assumption that would change the conclusion. Each
analysis the case ran follows as its own view (readout, decision, ROI), so the page shows the
very results the ROI used.
"""

from __future__ import annotations

from mlroi import formatting as fmt
from mlroi.case_result import CaseResult
from mlroi.report import attribution, decision, experiment, methods, quality, roi, story
from mlroi.report.view import Cell, Column, Section, Sentence, Table, View


def _turning_assumption(r: CaseResult) -> Sentence | None:
    """The input whose range moves net ROI the most, and whether it can flip the verdict."""
    top = r.roi.most_sensitive
    if top is None:
        return None
    low, high = sorted((top.net_roi_low, top.net_roi_high))
    text = (
        f"The assumption that would change the conclusion most: {top.label} ({top.parameter});"
        f" across its range, net ROI runs from {fmt.multiple(low)} to {fmt.multiple(high)}."
    )
    if low < 0 < high:
        return Sentence(text + " At one end of it the system loses money.", "warn")
    return Sentence(text + " The verdict holds across its range.")


def summary(r: CaseResult) -> View:
    """The executive summary: checks first, then the case in words, the verdict and its risk."""
    context = [Sentence(f"Failed check: {line}", "alarm") for line in r.failed_checks()]
    if context and not r.roi.withheld:
        because = r.roi.checks_accepted
        context.append(
            Sentence(
                "The headline below rests on the analyses that failed these checks"
                + (f"; it is shown because {because}." if because else "; read it with them."),
                "warn",
            )
        )
    context += [Sentence(f"Implausible input: {w}", "warn") for w in r.roi.warnings]
    context += [
        Sentence(f"Goal: {r.goal}."),
        Sentence(f"Intervention: {r.intervention}."),
        Sentence(f"Eligible population: {r.population}."),
    ]
    blocks: list[Table | Sentence] = []
    if not r.roi.withheld:
        blocks.append(
            Table(
                f"Headline figures over the {r.roi.horizon_months}-month horizon, {r.roi.currency}",
                (Column("figure"), Column("estimate", "right"), Column("interval", "right")),
                tuple(
                    (Cell(name), Cell(point), Cell(interval))
                    for name, point, interval in roi.summary_rows(r.roi)
                ),
            )
        )
        turning = _turning_assumption(r)
        if turning is not None:
            blocks.append(turning)
    if r.model_metrics:
        shown = ", ".join(f"{name} {fmt.value(v)}" for name, v in r.model_metrics.items())
        blocks.append(Sentence(f"Model metrics reported beside the business metric: {shown}."))
    if r.constraints:
        blocks.append(Sentence("Must not break: " + "; ".join(r.constraints) + "."))
    ran = ["ROI"]
    if r.experiment is not None:
        ran.insert(0, "experiment readout")
    if r.decision is not None:
        ran.insert(0 if r.experiment is None else 1, "offline decision analysis")
    if r.attribution is not None:
        ran.insert(len(ran) - 1, "revenue attribution")
    if r.retention is not None:
        ran.insert(len(ran) - 1, "retention analysis")
    if r.causal is not None:
        ran.insert(len(ran) - 1, f"observational estimate ({r.causal.design})")
    blocks.append(Sentence("Analyses in this report: " + ", ".join(ran) + ".", "muted"))
    return View(
        label="Executive summary",
        title=r.name,
        context=tuple(context),
        headline=Sentence(roi.headline(r.roi), "alarm" if r.roi.withheld else "strong"),
        sections=(
            Section(tuple(blocks), f"Primary metric: {r.primary_metric}"),
            Section(story.sentences(r), "How the figures relate"),
        ),
    )


def parts(r: CaseResult, *, segments: bool = True) -> list[View]:
    """The summary, then one view per analysis the case ran, in reading order."""
    out = [summary(r)]
    if r.experiment is not None:
        out.append(experiment.view(r.experiment, segments=segments))
    if r.decision is not None:
        out.append(decision.view(r.decision, segments=segments, assumptions=False))
    if r.attribution is not None:
        out.append(attribution.view(r.attribution))
    if r.retention is not None:
        from mlroi.report import retention

        out.append(retention.view(r.retention))
    if r.causal is not None:
        from mlroi.report.build import view_of

        out.append(view_of(r.causal))
    out.append(roi.view(r.roi, assumptions=False))
    out.append(methods.view(r))
    out.append(quality.view(r))
    return out


def view(r: CaseResult, *, segments: bool = True) -> View:
    """The whole report as one view (the summary's parts, then each analysis' sections)."""
    views = parts(r, segments=segments)
    first = views[0]
    sections = list(first.sections)
    charts = list(first.charts)
    for v in views[1:]:
        sections.extend(
            Section(s.blocks, f"{v.label}: {s.title}" if s.title else v.label) for s in v.sections
        )
        charts.extend(v.charts)
    return View(
        label=first.label,
        title=first.title,
        context=first.context,
        headline=first.headline,
        sections=tuple(sections),
        charts=tuple(charts),
        what_if=next((v.what_if for v in views if v.what_if is not None), None),
    )


def describe(r: CaseResult) -> str:
    """The case and its verdict on one line."""
    return f"CaseResult({r.name!r}): {roi.headline(r.roi)}"
