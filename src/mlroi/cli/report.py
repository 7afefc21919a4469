"""``mlroi report``: run every analysis of a case once and write the stakeholder report; with
several cases, a report each and a page that compares them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlroi.cli.handler import EXIT_GATE, handle_errors, located_in
from mlroi.cli.output import ForceOption, case_stages, console, steps
from mlroi.cli.roi import ACCEPTED_ON_COMMAND_LINE, AcceptOption


@handle_errors
def report(
    cases: Annotated[
        list[Path],
        typer.Argument(help="Case file(s) (YAML); see `mlroi init`. Several: a comparison too."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for report.html, report.md and result.json (default: CASE-report). "
            "With several cases: one sub-folder per case and comparison.html, comparison.md and "
            "comparison.json (default: mlroi-reports)."
        ),
    ] = None,
    accept: AcceptOption = False,
    force: ForceOption = False,
) -> int:
    """The stakeholder report of a case: readout, decision value, costs and ROI, in one page."""
    from mlroi.comparison import Comparison
    from mlroi.files import check_folder
    from mlroi.pipeline import run_case
    from mlroi.report.files import COMPARISON_FILES, FILES, write_comparison, write_report
    from mlroi.report.terminal import print_result
    from mlroi.spec.case import load_case

    loaded = [load_case(case) for case in cases]
    several = len(cases) > 1
    root = out if out is not None else (Path("mlroi-reports") if several else None)
    folders = [
        root / path.stem
        if several and root is not None
        else (root or path.with_name(f"{path.stem}-report"))
        for path in cases
    ]
    # every file is checked before any case runs: a refusal costs nothing
    for folder in folders:
        check_folder(folder, FILES, option="--out", force=force)
    if several and root is not None:
        check_folder(root, COMPARISON_FILES, option="--out", force=force)
    results = []
    written: list[Path] = []
    total = sum(len(case_stages(c)) + 1 for c in loaded)
    with steps(total) as bar:
        for path, case, folder in zip(cases, loaded, folders, strict=True):
            say = bar.case(
                path.name,
                case_stages(case),
            )
            with located_in(path):
                result = run_case(
                    case,
                    base=path.parent,
                    progress=say,
                    accept_failed_checks=ACCEPTED_ON_COMMAND_LINE if accept else None,
                )
            bar.finish()
            if not several:
                print_result(result.roi, console)
            others = [
                line for line in result.failed_checks() if line not in result.roi.failed_checks
            ]
            for line in others:
                console.print(
                    f"[bold red]{escape(path.name)}: failed check:[/] {escape(line)}",
                    highlight=False,
                    soft_wrap=True,
                )
            results.append(result)
            bar.start(f"{path.name}: writing the report into {folder}")
            written += write_report(result, folder, force=force).values()
            bar.finish()
    if several:
        assert root is not None
        comparison = Comparison(tuple(r.roi for r in results))
        print_result(comparison, console)
        stems = [p.stem for p in cases]
        written += write_comparison(comparison, root, stems, force=force).values()
    console.print("Report written:" if len(written) == 3 else "Reports written:", highlight=False)
    for p in written:
        console.print(f"  {escape(str(p))}", highlight=False)
    return EXIT_GATE if any(r.roi.withheld for r in results) else 0
