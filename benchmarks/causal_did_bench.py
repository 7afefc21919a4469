"""Benchmark of difference in differences: mlroi from Parquet against a DuckDB + numpy floor.

How to run, from the repository root::

    .venv/bin/python benchmarks/causal_did_bench.py                       # 1,000 units x 365 days
    .venv/bin/python benchmarks/causal_did_bench.py --units 50 --days 30  # a small smoke run

The data: ``--units`` markets over ``--days`` days, ``--rows`` rows per market and day (e.g.
sessions), seeded; columns ``market``, ``day`` (a date), ``y``, ``on`` (treated that day) and
``first_day`` (first treated day, NULL for never). A quarter of the markets never adopt; the
others adopt on one of four dates (staggered), or all on the middle date (``--single``).
Written once per size to ``benchmarks/data/did-<units>x<days>x<rows>[-single].parquet``
(git-ignored) and reused.

What is timed, each in its own process (peak memory is that process's ``ru_maxrss``, imports
and data loading included):

- ``mlroi``: :func:`mlroi.causal.did.analyse_did` on the Parquet file with the estimator that
  ``auto`` picks (Callaway and Sant'Anna when staggered, two-way fixed effects on one date):
  the backend's cells query, the panel, the estimate, the event study, the pre-trend test.
- ``mlroi sdid`` (``--single`` only): the same with ``estimator: synthetic_did`` (200 placebo
  replications).
- ``floor``: one hand-written DuckDB ``GROUP BY market, day`` of the mean outcome, then the
  two-way fixed effects coefficient of the treatment with unit-clustered CR1 errors in numpy
  (two-way demeaning of a balanced panel), the least any DiD over this table must do.

Each: one untimed warm-up call, then the median of ``--repeats`` calls. Results go to
``benchmarks/data/did_results-<units>x<days>x<rows>[-single].{md,json}``. The driver imports
only the standard library, so each child's peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from harness import run_worker, timed

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = 20261203


def _stem(a: argparse.Namespace) -> str:
    return f"{a.units}x{a.days}x{a.rows}" + ("-single" if a.single else "")


def _data_path(a: argparse.Namespace) -> Path:
    return DATA / f"did-{_stem(a)}.parquet"


def worker_generate(a: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    days = np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-01") + a.days)
    if a.single:
        choices = np.array([a.days // 2, -1])
        first = rng.choice(choices, a.units, p=[0.4, 0.6])
    else:
        dates = np.linspace(a.days // 5, 4 * a.days // 5, 4).astype(int)
        first = rng.choice(np.append(dates, -1), a.units, p=[0.1875] * 4 + [0.25])
    level = rng.normal(100, 10, a.units)
    trend = np.cumsum(rng.normal(0, 1, a.days))
    path = _data_path(a)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")  # renamed when complete: a failed run leaves no file
    writer = None
    for i in range(a.units):
        since = np.arange(a.days) - first[i]
        on = (first[i] >= 0) & (since >= 0)
        effect = np.where(on, 2.0 + 0.01 * since, 0.0)
        mean = level[i] + trend + effect
        y = np.repeat(mean, a.rows) + rng.normal(0, 5, a.days * a.rows)
        cells = a.days * a.rows
        first_day = (
            pa.array(np.full(cells, days[first[i]]), type=pa.date32())
            if first[i] >= 0
            else pa.nulls(cells, pa.date32())
        )
        table = pa.table(
            {
                "market": pa.array(np.full(a.days * a.rows, f"m{i:05d}")),
                "day": pa.array(np.repeat(days, a.rows)),
                "y": pa.array(y),
                "on": pa.array(np.repeat(on.astype(np.int8), a.rows)),
                "first_day": first_day,
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(partial, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    partial.rename(path)
    return {"path": str(path)}


def _mlroi(a: argparse.Namespace, estimator: str) -> dict[str, Any]:
    from mlroi.causal.did import analyse_did
    from mlroi.spec.causal_did import DidConfig

    config = DidConfig(
        design="did",
        source={"path": str(_data_path(a))},
        unit="market",
        period="day",
        outcome="y",
        treated="on",
        estimator=estimator,
    )

    def run() -> dict[str, Any]:
        r = analyse_did(config)
        return {"estimator": r.estimator, "effect": r.effect.estimate, "se": r.effect.std_error}

    return timed(run, a.repeats)


def worker_mlroi(a: argparse.Namespace) -> dict[str, Any]:
    return _mlroi(a, "auto")


def worker_mlroi_sdid(a: argparse.Namespace) -> dict[str, Any]:
    return _mlroi(a, "synthetic_did")


def worker_floor(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    import numpy as np

    path = str(_data_path(a))
    con = duckdb.connect()
    sql = (
        'SELECT market, day, avg(y) AS y, max("on") AS d FROM read_parquet(?)'
        " GROUP BY market, day ORDER BY market, day"
    )

    def run() -> dict[str, Any]:
        cells = con.execute(sql, [path]).fetchnumpy()
        units = len(np.unique(cells["market"]))
        y = np.asarray(cells["y"], dtype=float).reshape(units, -1)
        d = np.asarray(cells["d"], dtype=float).reshape(units, -1)

        def demean(m: Any) -> Any:
            return m - m.mean(1, keepdims=True) - m.mean(0, keepdims=True) + m.mean()

        yt, dt_ = demean(y), demean(d)
        beta = float((dt_ * yt).sum() / (dt_ * dt_).sum())
        e = yt - beta * dt_
        scores = (dt_ * e).sum(1)
        n, k = y.size, 1 + y.shape[1]
        factor = units / (units - 1) * (n - 1) / (n - k)
        se = float(np.sqrt(factor * (scores @ scores)) / (dt_ * dt_).sum())
        return {"estimator": "twfe", "effect": beta, "se": se}

    return timed(run, a.repeats)


WORKERS = {
    "generate": worker_generate,
    "mlroi": worker_mlroi,
    "mlroi sdid": worker_mlroi_sdid,
    "floor": worker_floor,
}


def _run_worker(name: str, a: argparse.Namespace) -> dict[str, Any]:
    """Run one worker in its own process; its result plus its peak memory (MiB)."""
    args = ["--units", str(a.units), "--days", str(a.days), "--rows", str(a.rows)]
    args += ["--repeats", str(a.repeats)] + (["--single"] if a.single else [])
    return run_worker(__file__, name, args)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--rows", type=int, default=10, help="rows per unit and day")
    p.add_argument("--single", action="store_true", help="one adoption date (else staggered)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--worker", choices=sorted(WORKERS))
    a = p.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](a)))
        return
    if not _data_path(a).exists():
        _run_worker("generate", a)
    names = ["mlroi", "floor"] + (["mlroi sdid"] if a.single else [])
    results = {}
    for name in names:
        results[name] = _run_worker(name, a)
    floor = results["floor"]["median_s"]
    lines = [
        f"# DiD benchmark: {a.units:,} units x {a.days} days x {a.rows} rows"
        f" ({'one adoption date' if a.single else 'staggered'}), {a.repeats} repeats (medians)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; load is"
        " the 1-minute load average before and after each process.",
        "",
        "| tool | estimator | median s | first call s | x floor | peak MiB | load | effect | se |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, r in results.items():
        c = r["check"]
        lines.append(
            f"| {name} | {c['estimator']} | {r['median_s']:.3f} | {r['first_s']:.3f}"
            f" | {r['median_s'] / floor:.2f}x | {r['peak_mib']:.0f}"
            f" | {r['load'][0]:.1f} to {r['load'][1]:.1f} | {c['effect']:.4f} | {c['se']:.4f} |"
        )
    text = "\n".join(lines) + "\n"
    stem = DATA / f"did_results-{_stem(a)}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
