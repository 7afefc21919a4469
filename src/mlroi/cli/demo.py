"""``mlroi demo``: a realistic recommender A/B test read out, then every example case run once:
its ROI and offline decision side by side, and its stakeholder report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mlroi import formatting as fmt
from mlroi.cli.experiment import run_readout
from mlroi.cli.handler import handle_errors
from mlroi.cli.output import ForceOption, console, json_text, progress

if TYPE_CHECKING:
    from mlroi.case_result import CaseResult


@handle_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the generated data and results.")] = Path(
        "demo-output"
    ),
    users: Annotated[
        int, typer.Option(help="Number of users in the synthetic A/B test.")
    ] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 7,
    force: ForceOption = False,
) -> int:
    """Generate a realistic recommender A/B test and read it out (per-user table and event log)."""
    from mlroi.demo import write_recommender_test
    from mlroi.demo.config import experiment_yaml
    from mlroi.files import GENERATOR, check_folder, make_folder, write_file

    # every name is checked before anything is written: a folder of the user's stays as it was
    check_folder(out, _names(), option="--out", force=force)
    make_folder(out, option="--out")
    with console.status(f"Generating {fmt.count(users)} users and their event log (seed {seed})…"):
        paths = write_recommender_test(out, users, seed=seed, events=True)
    names = ", ".join(p.name for p in paths.values())
    console.print(f"Demo data written to {escape(str(out))}/: {escape(names)}")
    mark = f"# generator: {GENERATOR} demo\n"
    for name, events in (("experiment.yaml", False), ("experiment-events.yaml", True)):
        write_file(out / name, mark + experiment_yaml(events=events), option="--out", force=force)
    console.rule("Readout from the per-user table")
    code = run_readout(out / "experiment.yaml", out / "result.json", True, False, force=force)
    console.rule("The same readout derived from the event log (14-day window after exposure)")
    code = max(
        code,
        run_readout(
            out / "experiment-events.yaml", out / "result-events.json", True, True, force=force
        ),
    )
    _demo_cases(out, force=force)
    return code


def _cases() -> list[Path]:
    from importlib.resources import files

    return sorted(
        Path(str(p))
        for p in files("mlroi.demo").joinpath("cases").iterdir()
        if str(p).endswith(".yaml")
    )


def _names() -> list[str]:
    """Every file `mlroi demo` writes into its folder (the reports go in sub-folders)."""
    fixed = ["users.parquet", "events.parquet", "assignments.parquet", "experiment.yaml"]
    fixed += ["experiment-events.yaml", "result.json", "result-events.json"]
    stems = [p.stem for p in _cases()]
    return fixed + [f"{kind}-{stem}.json" for kind in ("roi", "decision") for stem in stems]


def _demo_cases(out: Path, *, force: bool = False) -> None:
    """Every bundled example case run once: the recommender's ROI in full, every case's ROI and
    offline decision side by side, and each case's stakeholder report."""
    from rich.table import Table

    from mlroi.files import write_file
    from mlroi.pipeline import run_case
    from mlroi.report.files import write_report
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.case import load_case

    cases = _cases()
    table = Table(title="Every example case (examples/*.yaml)", title_justify="left")
    for col in ("case", "value", "cost", "return multiple", "net ROI", "P(net ROI > 0)", "payback"):
        table.add_column(col, justify="left" if col == "case" else "right")
    results: dict[str, CaseResult] = {}
    for path in cases:
        with console.status(f"{path.name} (generating demo data on first use)…") as status:
            ran = run_case(load_case(path), base=path.parent, progress=progress(status, path.name))
        results[path.stem] = ran
        result = ran.roi
        write_file(out / f"roi-{path.stem}.json", json_text(result), option="--out", force=force)
        if path.stem == "recommender":
            console.rule(f"ROI of the recommender (examples/{path.name})")
            render(result, console)
        c = result.currency
        table.add_row(
            result.case,
            fmt.money(result.total_value.estimate, c),
            fmt.money(result.total_cost.estimate, c),
            fmt.multiple(result.return_multiple.estimate),
            fmt.multiple(result.net_roi.estimate),
            fmt.probability(result.p_net_roi_positive),
            fmt.months(result.payback_months.estimate),
        )
    console.rule("ROI of every example case")
    console.print(table)
    console.print(f"Full results written to {escape(str(out))}/roi-*.json")
    _demo_decisions(out, results, force=force)
    console.rule("Stakeholder reports (mlroi report examples/*.yaml)")
    for stem, ran in results.items():
        paths = write_report(ran, out / "reports" / stem, force=force)
        console.print(f"{escape(ran.name)}: {escape(str(paths['report.html']))}", highlight=False)


def _demo_decisions(out: Path, results: dict[str, CaseResult], *, force: bool = False) -> None:
    """The offline decision analysis of every example case that has a `decision:` section."""
    from rich.table import Table

    from mlroi.files import write_file
    from mlroi.report.decision import comparison_sentence
    from mlroi.report.terminal import print_result as render

    table = Table(title="Offline decisions (mlroi decide examples/*.yaml)", title_justify="left")
    for col in ("case", "model", "threshold", "targeted", "value a year", "interval (data)"):
        table.add_column(col, justify="left" if col in ("case", "model") else "right")
    sentences: list[str] = []
    for stem, ran in results.items():
        result = ran.decision
        if result is None:
            continue
        path = out / f"decision-{stem}.json"
        write_file(path, json_text(result), option="--out", force=force)
        if stem == "churn":
            console.rule(f"Which customers to offer the discount (examples/{stem}.yaml)")
            render(result, console)
        f = result.year_factor or 1.0
        for m in result.models.values():
            p = m.point
            boot = m.bootstrap
            table.add_row(
                ran.name,
                m.column,
                "infeasible" if p is None else fmt.threshold(p["threshold"]),
                "—" if p is None else fmt.share(p["share_targeted"]),
                fmt.money(m.incremental_value * f, result.currency),
                "—"
                if boot is None
                else fmt.money_range(
                    boot.incremental_value_at_chosen.interval.lower * f,
                    boot.incremental_value_at_chosen.interval.upper * f,
                    result.currency,
                ),
            )
        compared = comparison_sentence(result)
        if compared:
            sentences.append(f"{ran.name}: {compared}")
    console.rule("Offline decision value of every example case with a scored table")
    console.print(table)
    for line in sentences:
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"Full results written to {escape(str(out))}/decision-*.json")
