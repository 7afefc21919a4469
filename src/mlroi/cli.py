"""The ``mlroi`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mlroi.errors import MlroiError
from mlroi.report.terminal import wide_console

app = typer.Typer(
    name="mlroi",
    help="Measure what a machine-learning system is worth to the business.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = wide_console()
err_console = wide_console(stderr=True)
_state = {"debug": False}

EXIT_GATE = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL = 70


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _fail(exc: BaseException) -> None:
    if _state["debug"]:
        raise exc
    if isinstance(exc, MlroiError):
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(EXIT_USER_ERROR)
    err_console.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}"
        " (run with --debug for details)",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_INTERNAL)


def _write_json(result: Any, json_out: Path | None) -> None:
    """Write ``result.to_json()`` to ``json_out`` (when given) and say where."""
    if json_out is None:
        return
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(result.to_json() + "\n", encoding="utf-8")
    console.print(f"Full result written to {escape(str(json_out))}")


def _run_readout(config_path: Path, json_out: Path | None, fail: bool, segments: bool) -> int:
    from mlroi.experiment.config import ExperimentConfig
    from mlroi.experiment.readout import readout
    from mlroi.report.terminal import print_result
    from mlroi.spec.loader import load_model

    config = load_model(config_path, ExperimentConfig)
    with console.status("Aggregating in the backend…"):
        result = readout(config=config, base=config_path.parent)
    print_result(result, console, segments=segments)
    _write_json(result, json_out)
    failures = result.failures(tuple(config.fail_on))
    for line in failures:
        err_console.print(f"[bold red]FAILED:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return EXIT_GATE if failures and fail else 0


@app.command()
def experiment(
    config: Annotated[Path, typer.Argument(help="Experiment configuration (YAML).")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full result as JSON to this file.")
    ] = None,
    fail: Annotated[
        bool,
        typer.Option(
            "--fail/--no-fail",
            help="Exit 1 when SRM or a guardrail fails (what counts is set by `fail_on`).",
        ),
    ] = True,
    segments: Annotated[
        bool, typer.Option("--segments/--no-segments", help="Show the per-segment tables.")
    ] = True,
) -> None:
    """Read out an A/B test: SRM check, lifts with intervals, guardrails, segments."""
    try:
        code = _run_readout(config, json_out, fail, segments)
    except Exception as exc:  # one line for users; --debug for the traceback
        _fail(exc)
        return
    raise typer.Exit(code)


@app.command(name="design")
def design_command(
    config: Annotated[Path, typer.Argument(help="Experiment configuration (YAML).")],
    mde: Annotated[
        float, typer.Option(help="Minimum detectable effect (relative unless --absolute).")
    ] = 0.02,
    absolute: Annotated[
        bool, typer.Option("--absolute", help="Read --mde in metric units.")
    ] = False,
    power: Annotated[float, typer.Option(help="Wanted power.")] = 0.8,
    n_total: Annotated[
        int | None, typer.Option("--n", help="Units (control + one treatment) for the MDE column.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the designs as JSON.")
    ] = None,
) -> None:
    """Sample size for an MDE, and the MDE at a sample size, from the control arm's data."""
    try:
        import json

        from rich.table import Table

        from mlroi.experiment.config import ExperimentConfig
        from mlroi.experiment.design import design
        from mlroi.report import format as fmt
        from mlroi.spec.loader import load_model

        cfg = load_model(config, ExperimentConfig)
        with console.status("Aggregating in the backend…"):
            designs = design(
                cfg,
                mde=mde,
                relative=not absolute,
                power=power,
                n_total=n_total,
                base=config.parent,
            )
        effect = f"{mde:g}" if absolute else f"{mde:.2%}"
        table = Table(
            title=f"Design: α = {1 - cfg.level:.2g} ({cfg.alternative}), power {power:.0%},"
            f" MDE {effect}",
            title_justify="left",
        )
        for col in ("metric", "baseline", "CUPED var. cut", "units needed", "MDE at n", "n"):
            table.add_column(col, justify="left" if col == "metric" else "right")
        for d in designs:
            at_n = d.at_n.mde_relative
            table.add_row(
                d.metric,
                fmt.value(d.baseline.mean),
                f"{d.baseline.variance_reduction:.0%}" if d.baseline.variance_reduction else "",
                f"{d.required.n_total:,}",
                fmt.percent(at_n).lstrip("+")
                if at_n is not None
                else fmt.value(d.at_n.mde_absolute),
                f"{d.at_n.n_total:,}",
            )
        console.print(table)
        if json_out is not None:
            json_out.write_text(json.dumps([d.to_dict() for d in designs], indent=2) + "\n")
    except Exception as exc:
        _fail(exc)


@app.command()
def roi(
    case: Annotated[Path, typer.Argument(help="Case file (YAML); see `mlroi init`.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full result as JSON to this file.")
    ] = None,
    draws: Annotated[
        int | None, typer.Option(help="Monte Carlo draws (default: the case's simulation.draws).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the case's).")] = None,
) -> None:
    """The ROI of an ML system: value, cost, return multiple, net ROI, NPV, payback, intervals."""
    try:
        _run_roi(case, json_out, draws, seed)
    except Exception as exc:  # one line for users; --debug for the traceback
        _fail(exc)


def _run_roi(case_path: Path, json_out: Path | None, draws: int | None, seed: int | None) -> None:
    from pydantic import ValidationError

    from mlroi.errors import SpecError
    from mlroi.report.terminal import print_result as render
    from mlroi.roi.engine import evaluate
    from mlroi.spec.case import Simulation, load_case
    from mlroi.spec.loader import locate

    case = load_case(case_path)
    if draws is not None or seed is not None:
        given = {k: v for k, v in {"draws": draws, "seed": seed}.items() if v is not None}
        try:
            sim = Simulation.model_validate({**case.simulation.model_dump(), **given})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise SpecError(f"--{err['loc'][0]}: {err['msg']}") from exc
        case = case.model_copy(update={"simulation": sim})
    with console.status("Reading out the experiment and simulating…"):
        try:
            result = evaluate(case, base=case_path.parent)
        except MlroiError as exc:
            raise locate(case_path, exc) from exc
    render(result, console)
    _write_json(result, json_out)


@app.command()
def decide(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) with a `decision:` section.")],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the full result (curve included) as JSON."),
    ] = None,
    resamples: Annotated[
        int | None,
        typer.Option(help="Bootstrap resamples (default: decision.bootstrap.resamples; 0 = off)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the case's).")] = None,
) -> None:
    """The value of acting on a model's scores at every threshold, and the best threshold."""
    try:
        _run_decide(case, json_out, resamples, seed)
    except Exception as exc:  # one line for users; --debug for the traceback
        _fail(exc)


def _run_decide(
    case_path: Path, json_out: Path | None, resamples: int | None, seed: int | None
) -> None:
    from mlroi.decision.analysis import decide as run_decide
    from mlroi.errors import SpecError
    from mlroi.report.terminal import print_result as render
    from mlroi.spec.case import load_case
    from mlroi.spec.loader import locate

    case = load_case(case_path)
    if case.decision is None:
        raise SpecError(
            f"{case_path}: no `decision:` section to analyse; add one (see README, "
            "'Offline decision value')"
        )
    config = case.decision
    if resamples is not None:
        if not 0 <= resamples <= 10_000:
            raise SpecError(f"--resamples: expected 0 to 10,000, got {resamples}")
        boot = config.bootstrap.model_copy(update={"resamples": resamples})
        config = config.model_copy(update={"bootstrap": boot})
    with console.status("Analysing the scored table…") as status:
        try:
            result = run_decide(
                config,
                base=case_path.parent,
                seed=case.simulation.seed if seed is None else seed,
                level=case.simulation.level,
                currency=case.finance.currency,
                progress=lambda step: status.update(f"Decision analysis: {step}…"),
            )
        except MlroiError as exc:
            raise locate(case_path, exc) from exc
    render(result, console)
    _write_json(result, json_out)


@app.command()
def validate(
    case: Annotated[Path, typer.Argument(help="Case file (YAML) to check.")],
) -> None:
    """Check a case file without running it: every field, type and reference."""
    try:
        from mlroi.spec.case import load_case

        loaded = load_case(case)
        console.print(
            f"{escape(str(case))}: valid case {loaded.name!r}"
            f" ({len(loaded.value.drivers)} value driver(s), {len(loaded.costs)} cost item(s),"
            f" {loaded.finance.horizon_months}-month horizon)"
        )
    except Exception as exc:
        _fail(exc)


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the schema to this file (default: stdout).")
    ] = None,
) -> None:
    """Print the JSON Schema of the case file (for editor completion)."""
    try:
        import json

        from mlroi.spec.case import json_schema

        text = json.dumps(json_schema(), indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"JSON Schema written to {escape(str(out))}")
    except Exception as exc:
        _fail(exc)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter case.")] = Path(
        "case.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter case file to edit."""
    try:
        from mlroi.errors import SpecError
        from mlroi.spec.starter import STARTER_CASE

        if path.exists() and not force:
            raise SpecError(f"{path} exists: choose another path or pass --force")
        path.write_text(STARTER_CASE, encoding="utf-8")
        console.print(
            f"Starter case written to {escape(str(path))}. Edit it, then run"
            f" `mlroi validate {escape(str(path))}` and `mlroi roi {escape(str(path))}`."
        )
    except Exception as exc:
        _fail(exc)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the generated data and results.")] = Path(
        "demo-output"
    ),
    users: Annotated[
        int, typer.Option(help="Number of users in the synthetic A/B test.")
    ] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed of the generator.")] = 7,
) -> None:
    """Generate a realistic recommender A/B test and read it out (per-user table and event log)."""
    try:
        from mlroi.demo import write_recommender_test
        from mlroi.demo.config import experiment_yaml

        out.mkdir(parents=True, exist_ok=True)
        with console.status(f"Generating {users:,} users and their event log (seed {seed})…"):
            paths = write_recommender_test(out, users, seed=seed, events=True)
        names = ", ".join(p.name for p in paths.values())
        console.print(f"Demo data written to {escape(str(out))}/: {escape(names)}")
        (out / "experiment.yaml").write_text(experiment_yaml(events=False), encoding="utf-8")
        (out / "experiment-events.yaml").write_text(experiment_yaml(events=True), encoding="utf-8")
        console.rule("Readout from the per-user table")
        code = _run_readout(out / "experiment.yaml", out / "result.json", True, False)
        console.rule("The same readout derived from the event log (14-day window after exposure)")
        code = max(
            code,
            _run_readout(out / "experiment-events.yaml", out / "result-events.json", True, True),
        )
        _demo_cases(out)
    except Exception as exc:
        _fail(exc)
        return
    raise typer.Exit(code)


def _demo_cases(out: Path) -> None:
    """ROI of every bundled example case: the recommender in full, then all side by side."""
    from importlib.resources import files

    from rich.table import Table

    from mlroi.report import format as fmt
    from mlroi.report.format import probability
    from mlroi.report.terminal import print_result as render
    from mlroi.roi.engine import evaluate
    from mlroi.spec.case import load_case

    cases = sorted(
        Path(str(p))
        for p in files("mlroi.demo").joinpath("cases").iterdir()
        if str(p).endswith(".yaml")
    )
    table = Table(title="Every example case (examples/*.yaml)", title_justify="left")
    for col in ("case", "value", "cost", "return multiple", "net ROI", "P(net ROI > 0)", "payback"):
        table.add_column(col, justify="left" if col == "case" else "right")
    for path in cases:
        with console.status(f"ROI of {path.name} (generating demo data on first use)…"):
            result = evaluate(load_case(path), base=path.parent)
        (out / f"roi-{path.stem}.json").write_text(result.to_json() + "\n", encoding="utf-8")
        if path.stem == "recommender":
            console.rule(f"ROI of the recommender (examples/{path.name})")
            render(result, console)
        c = result.currency
        table.add_row(
            result.case,
            fmt.money(result.total_value.point, c),
            fmt.money(result.total_cost.point, c),
            fmt.multiple(result.return_multiple.point),
            fmt.multiple(result.net_roi.point),
            probability(result.p_net_roi_positive),
            fmt.months(result.payback_months.point),
        )
    console.rule("ROI of every example case")
    console.print(table)
    console.print(f"Full results written to {escape(str(out))}/roi-*.json")
    _demo_decisions(out, [load_case(p) for p in cases], [p.stem for p in cases])


def _demo_decisions(out: Path, cases: list[Any], stems: list[str]) -> None:
    """The offline decision analysis of every example case that has a `decision:` section."""
    from rich.table import Table

    from mlroi.decision.analysis import decide
    from mlroi.money import money
    from mlroi.report.decision import comparison_sentence
    from mlroi.report.terminal import print_result as render

    table = Table(title="Offline decisions (mlroi decide examples/*.yaml)", title_justify="left")
    for col in ("case", "model", "threshold", "targeted", "value a year", "interval (data)"):
        table.add_column(col, justify="left" if col in ("case", "model") else "right")
    sentences: list[str] = []
    for case, stem in zip(cases, stems, strict=True):
        if case.decision is None:
            continue
        with console.status(f"Decision analysis of {stem}.yaml…"):
            result = decide(
                case.decision,
                seed=case.simulation.seed,
                level=case.simulation.level,
                currency=case.finance.currency,
            )
        (out / f"decision-{stem}.json").write_text(result.to_json() + "\n", encoding="utf-8")
        if stem == "churn":
            console.rule(f"Which customers to offer the discount (examples/{stem}.yaml)")
            render(result, console)
        f = result.year_factor or 1.0
        for m in result.models.values():
            p = m.point
            boot = m.bootstrap
            table.add_row(
                case.name,
                m.column,
                "infeasible" if p is None else f"{p['threshold']:.4g}",
                "—" if p is None else f"{p['share_targeted']:.1%}",
                money(m.incremental_value * f, result.currency),
                "—"
                if boot is None
                else f"{money(boot.incremental_value_at_chosen.low * f, result.currency)} to "
                f"{money(boot.incremental_value_at_chosen.high * f, result.currency)}",
            )
        compared = comparison_sentence(result)
        if compared:
            sentences.append(f"{case.name}: {compared}")
    console.rule("Offline decision value of every example case with a scored table")
    console.print(table)
    for line in sentences:
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"Full results written to {escape(str(out))}/decision-*.json")


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``mlroi`` script."""
    return app(args=argv if argv is not None else sys.argv[1:])
