"""``mlroi design``: sample size for an MDE, and the MDE at a sample size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlroi.cli.handler import handle_errors
from mlroi.cli.output import ForceOption, console, prepare_json, write_json


@handle_errors
def design(
    config: Annotated[
        Path,
        typer.Argument(
            help="Experiment configuration (YAML), or a case file with an `experiment:` section."
        ),
    ],
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
        Path | None, typer.Option("--json", help="Write the designs as JSON ('-': stdout).")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Sample size for an MDE, and the MDE at a sample size, from the control arm's data."""
    from rich.table import Table

    from mlroi import formatting as fmt
    from mlroi.experiment.design import design as run_design
    from mlroi.spec.experiment_file import load_experiment

    prepare_json(json_out, force=force)
    cfg = load_experiment(config)
    with console.status("Aggregating in the backend…"):
        designs = run_design(
            cfg,
            mde=mde,
            relative=not absolute,
            power=power,
            n_total=n_total,
            base=config.parent,
        )
    effect = fmt.number(mde) if absolute else fmt.share(mde, 2)
    table = Table(
        title=f"Design: α = {fmt.number(1 - cfg.level)} ({cfg.alternative}),"
        f" power {fmt.share(power, 0)}, MDE {effect}",
        title_justify="left",
    )
    for col in ("metric", "baseline", "CUPED var. cut", "units needed", "MDE at n", "n"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    unsized = []
    for d in designs:
        base = "—" if d.baseline is None else fmt.value(d.baseline.mean)
        if d.required is None or d.at_n is None or d.baseline is None:
            unsized.append(f"note: {d.metric}: {d.reason}")
            table.add_row(d.metric, base, "", "—", "—", "")
            continue
        at_n = d.at_n.mde_relative
        table.add_row(
            d.metric,
            base,
            fmt.share(d.baseline.variance_reduction, 0) if d.baseline.variance_reduction else "",
            fmt.count(d.required.n_total),
            fmt.percent(at_n).lstrip("+") if at_n is not None else fmt.value(d.at_n.mde_absolute),
            fmt.count(d.at_n.n_total),
        )
    console.print(table)
    for line in unsized:
        console.print(line, markup=False)
    write_json({"designs": [d.to_dict() for d in designs]}, json_out, force=force)
