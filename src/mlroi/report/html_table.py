"""A compact HTML table of a readout, for Jupyter (``_repr_html_``)."""

from __future__ import annotations

from html import escape

from mlroi.experiment.result import ExperimentResult
from mlroi.report import format as fmt


def experiment_table(result: ExperimentResult) -> str:
    """The readout's comparisons as an HTML table with the SRM verdict above it."""
    srm = result.srm
    verdict = (
        f"<p style='color:#b00020'><b>Sample ratio mismatch</b>: p = {srm.p_value:.2g}</p>"
        if srm.mismatch
        else f"<p>Sample ratio OK: p = {srm.p_value:.3g}</p>"
    )
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in ("metric", "arm", "control", "treatment", "abs. lift", "rel. lift", "p (adj.)")
    )
    rows = []
    for c in result.comparisons:
        if c.status != "ok" or c.absolute is None:
            cells = [c.metric, c.arm, "", "", f"cannot estimate: {c.reason}", "", ""]
        else:
            rel = fmt.interval(c.relative, relative=True) if c.relative else (c.relative_note or "")
            cells = [
                c.metric,
                c.arm,
                fmt.value(c.control_value),
                fmt.value(c.treatment_value),
                fmt.interval(c.absolute),
                rel,
                fmt.p_value(c.p_value_adjusted),
            ]
        rows.append("<tr>" + "".join(f"<td>{escape(str(x))}</td>" for x in cells) + "</tr>")
    return f"{verdict}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
