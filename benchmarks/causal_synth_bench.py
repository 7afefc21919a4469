"""Benchmark of synthetic control and ITS on daily aggregates (issue 14: synthetic control on
1,000 units x 365 days under 5 s).

How to run, from the repository root::

    .venv/bin/python benchmarks/causal_synth_bench.py                       # 1,000 x 365
    .venv/bin/python benchmarks/causal_synth_bench.py --units 50 --days 120  # a smoke run

The data: ``--units`` units over ``--days`` days from three common random-walk factors with
unit loadings plus noise; unit ``u0`` gets +5 from day ``0.8 * days``. Written once per size to
``benchmarks/data/synth-<units>x<days>.parquet`` (git-ignored; long form: unit, date, outcome).

What is timed (median of ``--repeats`` calls after one warm-up; peak memory is the process's
``ru_maxrss``, data loading and imports included):

- ``synthetic control``: :func:`mlroi.causal.synthetic.analyse_synthetic_control` on the Parquet
  file: the backend's sums per unit and day, the weights over every other unit, ``--placebos``
  placebo fits, the placebo in time.
- ``weights only``: :func:`mlroi.causal.synthetic_control.fit_synthetic` on the matrix.
- ``its``: :func:`mlroi.causal.synthetic.analyse_its` with 20 control units, trend and weekdays.

Results go to ``benchmarks/data/synth_results-<units>x<days>.json`` and are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"


def make_data(units: int, days: int, seed: int = 7) -> Path:
    """The long table of daily outcomes (written once per size)."""
    import numpy as np
    import pandas as pd

    path = DATA / f"synth-{units}x{days}.parquet"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(days, 3)).cumsum(axis=0)
    values = factors @ rng.gamma(2.0, 0.5, size=(3, units)) + rng.normal(size=(days, units)) + 100
    values[int(0.8 * days) :, 0] += 5.0
    start = dt.date(2024, 1, 1)
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    frame = pd.DataFrame(
        {
            "unit": np.repeat([f"u{i}" for i in range(units)], days),
            "date": dates * units,
            "outcome": values.T.ravel(),
        }
    )
    frame.to_parquet(path)
    return path


def timed(fn: Any, repeats: int) -> float:
    fn()
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--placebos", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import numpy as np

    from mlroi.backend.causal_synth import series_sums
    from mlroi.causal.panel import panel_from_sums
    from mlroi.causal.synthetic import analyse_its, analyse_synthetic_control
    from mlroi.causal.synthetic_control import fit_synthetic
    from mlroi.sources.open import open_table
    from mlroi.spec.causal_synth import ItsConfig, SyntheticControlConfig

    path = make_data(args.units, args.days)
    launch = dt.date(2024, 1, 1) + dt.timedelta(days=int(0.8 * args.days))
    sc = SyntheticControlConfig(
        source={"path": str(path)}, treated="u0", launch=launch, placebos=args.placebos
    )
    controls = [f"u{i}" for i in range(1, min(args.units, 21))]
    its = ItsConfig(
        source={"path": str(path)},
        treated="u0",
        launch=launch,
        controls=controls,
        seasonality="day_of_week",
    )
    rows = series_sums(open_table(str(path)), unit="unit", period="date", outcome="outcome")
    panel = panel_from_sums(rows.units, rows.periods, rows.totals, kind=rows.kind)
    n_pre = int(0.8 * args.days)
    treated = panel.column("u0")
    donors = np.array([i for i in range(len(panel.units)) if i != treated])

    results = {
        "units": args.units,
        "days": args.days,
        "placebos": args.placebos,
        "synthetic control (s)": timed(lambda: analyse_synthetic_control(sc), args.repeats),
        "weights only (s)": timed(
            lambda: fit_synthetic(panel.values[:, treated], panel.values[:, donors], n_pre),
            args.repeats,
        ),
        "its (s)": timed(lambda: analyse_its(its), args.repeats),
        "peak memory (MiB)": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    r = analyse_synthetic_control(sc)
    results["effect"] = [r.effect.estimate, r.effect.lower, r.effect.upper]
    out = DATA / f"synth_results-{args.units}x{args.days}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
