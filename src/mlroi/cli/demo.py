"""``mlroi demo``: the recommender's A/B test generated and read out, then every example case run
once: its ROI and offline decision side by side, how their figures relate, and its stakeholder
report.

One story per scenario: the recommender case runs on the very table the demo generates and reads
out, so the readout printed first is the readout its ROI uses; every other case shows the
readout and decision analysis its ROI uses in its report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mlroi import defaults
from mlroi import formatting as fmt
from mlroi.cli.handler import EXIT_GATE, handle_errors
from mlroi.cli.output import ForceOption, case_stages, console, err_console, json_text, steps
from mlroi.demo.cache import SCENARIOS, SEED
from mlroi.errors import SpecError

if TYPE_CHECKING:
    from mlroi.case_result import CaseResult
    from mlroi.experiment.result import ExperimentResult
    from mlroi.spec.case import Case

WRITES = (
    "users.parquet",
    "events.parquet",
    "assignments.parquet",
    "experiment.yaml",
    "experiment-events.yaml",
    "result.json",
    "result-events.json",
)
"""Files ``mlroi demo`` writes at the top of its folder (besides ``roi-*.json``,
``decision-*.json`` and ``reports/``)."""

MIN_USERS = 1_000
"""Fewest users the demo generates: below, an arm's test is too small for its examples to read."""

MAX_USERS = 100_000_000
"""Most users the demo generates (a few minutes and a few GB of Parquet)."""

RECOMMENDER_USERS = SCENARIOS["recommender"][0]
"""Users of the recommender case's bundled A/B test: the demo's default, so both are one table."""


@handle_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the generated data and results.")] = Path(
        "demo-output"
    ),
    users: Annotated[
        int,
        typer.Option(
            help="Number of users in the synthetic A/B test (the recommender case's ROI uses it)."
        ),
    ] = RECOMMENDER_USERS,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = SEED,
    force: ForceOption = False,
) -> int:
    """Generate a realistic recommender A/B test, read it out (per-user table and event log),
    then run every example case and write its stakeholder report."""
    from mlroi.demo import write_recommender_test
    from mlroi.demo.config import experiment_yaml
    from mlroi.experiment.config import ExperimentConfig
    from mlroi.experiment.readout import readout
    from mlroi.files import GENERATOR, write_file
    from mlroi.pipeline import run_case
    from mlroi.spec.case import load_case
    from mlroi.spec.loader import load_model

    defaults.check_seed(seed, "--seed")
    if not MIN_USERS <= users <= MAX_USERS:
        raise SpecError(
            f"--users: expected {fmt.count(MIN_USERS)} to {fmt.count(MAX_USERS)}, got {users}"
        )
    _claim(out, [p.stem for p in _example_cases()], force=force)
    cases = {p: load_case(p) for p in _example_cases()}
    cases = {p: _on_demo_data(c, out) if p.stem == "recommender" else c for p, c in cases.items()}
    total = 3 + sum(len(case_stages(c)) for c in cases.values())
    results: dict[str, CaseResult] = {}
    reports: dict[str, Path] = {}
    with steps(total) as bar:
        bar.start(f"Generating {fmt.count(users)} users and their event log (seed {seed})")
        write_recommender_test(out, users, seed=seed, events=True)
        mark = f"# generator: {GENERATOR} demo\n"
        for name, events in (("experiment.yaml", False), ("experiment-events.yaml", True)):
            text = mark + experiment_yaml(events=events)
            write_file(out / name, text, option="--out", force=force)
        bar.finish()
        for path, case in cases.items():
            say = bar.case(path.name, case_stages(case))
            results[path.stem] = run_case(case, base=path.parent, progress=say)
            bar.finish()
        bar.start("Reading the A/B test out again from its event log")
        events_config = load_model(out / "experiment-events.yaml", ExperimentConfig)
        from_events = readout(config=events_config, base=out)
        bar.finish()
        bar.start("Writing the stakeholder reports")
        reports = _write_files(out, results, from_events, force=force)
        bar.finish()
    code = _print_recommender(out, users, seed, results["recommender"], from_events)
    _print_cases(out, results)
    _print_decisions(out, results)
    _print_story(results)
    console.rule("Stakeholder reports (mlroi report examples/*.yaml)")
    for stem, path in reports.items():
        console.print(f"{escape(results[stem].name)}: {escape(str(path))}", highlight=False)
    console.print(f"Data, configurations and JSON results: {escape(str(out))}/", highlight=False)
    return code


def _claim(out: Path, stems: list[str], *, force: bool = False) -> None:
    """Make ``out`` the demo's folder, or stop before any work when it holds a file the demo
    would replace that mlroi did not write (unless ``force``)."""
    from mlroi.files import check_folder, make_folder
    from mlroi.report.files import FILES

    names = [*WRITES, *(f"{kind}-{stem}.json" for kind in ("roi", "decision") for stem in stems)]
    check_folder(out, names, option="--out", force=force, who="mlroi demo")
    for stem in stems:
        check_folder(out / "reports" / stem, FILES, option="--out", force=force, who="mlroi")
    make_folder(out, option="--out")


def _example_cases() -> list[Path]:
    from importlib.resources import files

    return sorted(
        Path(str(p))
        for p in files("mlroi.demo").joinpath("cases").iterdir()
        if str(p).endswith(".yaml")
    )


def _on_demo_data(case: Case, out: Path) -> Case:
    """The recommender case with its experiment reading the demo's own per-user table."""
    from mlroi.sources.open import Source

    assert case.experiment is not None
    source = Source(path=str((out / "users.parquet").resolve()))
    return case.model_copy(
        update={"experiment": case.experiment.model_copy(update={"source": source})}
    )


def _write_files(
    out: Path, results: dict[str, CaseResult], from_events: ExperimentResult, *, force: bool
) -> dict[str, Path]:
    """Every JSON result and report; returns each case's report page."""
    from mlroi.files import write_file
    from mlroi.report.files import write_report

    rec = results["recommender"].experiment
    assert rec is not None
    texts = {"result.json": json_text(rec), "result-events.json": json_text(from_events)}
    for stem, ran in results.items():
        texts[f"roi-{stem}.json"] = json_text(ran.roi)
        if ran.decision is not None:
            texts[f"decision-{stem}.json"] = json_text(ran.decision)
    for name, text in texts.items():
        write_file(out / name, text, option="--out", force=force)
    reports: dict[str, Path] = {}
    for stem, ran in results.items():
        reports[stem] = write_report(ran, out / "reports" / stem, force=force)["report.html"]
    return reports


def _print_recommender(
    out: Path, users: int, seed: int, ran: CaseResult, from_events: ExperimentResult
) -> int:
    """The recommender's A/B test read out twice, then the ROI that uses that readout."""
    from mlroi.report.terminal import print_result

    per_user = ran.experiment
    assert per_user is not None
    where = escape(str(out / "users.parquet"))
    console.rule(
        f"The recommender's A/B test: {fmt.count(users)} users, 14 days after first exposure"
    )
    console.print(
        f"Read out from the per-user table {where} with the experiment of"
        " examples/recommender.yaml (the same configuration: "
        f"{escape(str(out / 'experiment.yaml'))}). The recommender's ROI below uses this readout.",
        highlight=False,
        soft_wrap=True,
    )
    if (users, seed) != (RECOMMENDER_USERS, SEED):
        console.print(
            f"With --users {users} --seed {seed}, the recommender case here runs on this table;"
            f" `mlroi report examples/recommender.yaml` reads the bundled"
            f" {fmt.count(RECOMMENDER_USERS)}-user table of seed {SEED} instead.",
            highlight=False,
            soft_wrap=True,
            style="yellow",
        )
    print_result(per_user, console, segments=False)
    console.rule("The same A/B test derived from its event log (14-day window after exposure)")
    print_result(from_events, console)
    failures = per_user.failures()
    for line in failures:
        err_console.print(f"[bold red]FAILED:[/] {escape(line)}", highlight=False, soft_wrap=True)
    console.rule("ROI of the recommender, from the readout above (examples/recommender.yaml)")
    print_result(ran.roi, console)
    return EXIT_GATE if failures else 0


def _print_cases(out: Path, results: dict[str, CaseResult]) -> None:
    """Every case's ROI in one table, each over its own horizon."""
    from rich.table import Table

    from mlroi.report.story import YEAR, first_year_value

    table = Table(
        title="Every example case (examples/*.yaml): totals over each case's horizon",
        title_justify="left",
    )
    columns = (
        "case",
        "horizon",
        "value",
        f"value, first {YEAR} months",
        "cost",
        "return multiple",
        "net ROI",
        "P(net ROI > 0)",
        "payback",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "case" else "right")
    for ran in sorted(results.values(), key=lambda r: r.name):
        result = ran.roi
        c = result.currency
        year = first_year_value(ran)
        table.add_row(
            result.case,
            f"{result.horizon_months} months",
            fmt.money(result.total_value.estimate, c),
            "—" if year is None else fmt.money(year, c),
            fmt.money(result.total_cost.estimate, c),
            fmt.multiple(result.return_multiple.estimate),
            fmt.multiple(result.net_roi.estimate),
            fmt.probability(result.p_net_roi_positive),
            fmt.months(result.payback_months.estimate),
        )
    console.rule("ROI of every example case")
    console.print(table)
    console.print(f"Full results written to {escape(str(out))}/roi-*.json", highlight=False)


def _print_decisions(out: Path, results: dict[str, CaseResult]) -> None:
    """The offline decision analysis of every example case that has a `decision:` section."""
    from rich.table import Table

    from mlroi.report.decision import comparison_sentence
    from mlroi.report.terminal import print_result

    table = Table(
        title="Offline decisions (mlroi decide examples/*.yaml): a year, against acting on nobody",
        title_justify="left",
    )
    for col in ("case", "model", "threshold", "targeted", "value a year", "interval (data)"):
        table.add_column(col, justify="left" if col in ("case", "model") else "right")
    sentences: list[str] = []
    for stem, ran in results.items():
        result = ran.decision
        if result is None:
            continue
        if stem == "churn":
            console.rule(f"Which customers to offer the discount (examples/{stem}.yaml)")
            print_result(result, console)
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
    console.print(f"Full results written to {escape(str(out))}/decision-*.json", highlight=False)


def _print_story(results: dict[str, CaseResult]) -> None:
    """How each case's figures relate: periods and baselines (as its report says)."""
    from mlroi.report import story
    from mlroi.report.terminal import STYLES

    console.rule("How the figures relate (each report says the same)")
    for ran in results.values():
        for s in story.sentences(ran):
            console.print(
                f"{escape(ran.name)}: {escape(s.text)}",
                style=STYLES[s.tone],
                highlight=False,
                soft_wrap=True,
            )
