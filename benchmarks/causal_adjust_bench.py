"""Benchmark of the adjustment design: AIPW with 10 covariates from Parquet, against the same two
linear outcome models fitted by hand in DuckDB + numpy.

How to run, from the repository root::

    .venv/bin/python benchmarks/causal_adjust_bench.py                 # 10M users
    .venv/bin/python benchmarks/causal_adjust_bench.py --users 100000  # a small smoke run

The data: ``--users`` users, seeded, one row each (``user_id``, ``exposed``, ``minutes``, and ten
covariates ``x0``..``x9``: intent signals, correlated through a latent intent); exposure is
logistic and the outcome linear in the covariates, with an effect of 2. Written once per size to
``benchmarks/data/causal-adjust-<users>.parquet`` (git-ignored) and reused.

What is timed, each tool in its own process (peak memory is that process's ``ru_maxrss``, read
with ``os.wait4``, imports included):

- ``mlroi``: :func:`mlroi.causal.adjust.analyse_adjustment` on the Parquet file (AIPW headline,
  every estimator, both estimands): the column check, the moments per arm, one pass per Newton
  step of the propensity model, the weighted sums, the influence-function sums; every pass one
  aggregate query, rows never leave DuckDB.
- ``floor``: one hand-written DuckDB query of ``X'X`` and ``X'y`` per arm (the two linear
  outcome models of regression adjustment), solved in numpy; the ATT of regression adjustment.

The issue's target: ``mlroi`` within 3x of ``floor`` at 10M users, peak memory under 2 GiB.
Each: one untimed warm-up call, then the median of ``--repeats`` calls. Results go to
``benchmarks/causal_adjust_results.{md,json}`` (with ``--users`` below 10M:
``benchmarks/data/causal_adjust_results-<users>.{md,json}``). The driver imports only the
standard library, so each child's peak memory is its own.
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
K = 10
EFFECT = 2.0


def _data_path(users: int) -> Path:
    return DATA / f"causal-adjust-{users}.parquet"


def worker_generate(a: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = _data_path(a.users)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    load = np.linspace(0.2, 1.0, K)
    writer = None
    block = 1_000_000
    try:
        for lo in range(0, a.users, block):
            n = min(block, a.users - lo)
            intent = rng.normal(0.0, 1.0, n)
            x = intent[:, None] * load + rng.normal(0.0, 1.0, (n, K))
            eta = -0.3 + x @ (0.15 * load)
            exposed = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
            y = 20.0 + x @ (1.0 + load) + EFFECT * exposed + rng.normal(0.0, 5.0, n)
            cols: dict[str, Any] = {
                "user_id": pa.array(np.arange(lo, lo + n, dtype=np.int64)),
                "exposed": pa.array(exposed.astype(np.int8)),
                "minutes": pa.array(y),
            }
            cols.update({f"x{j}": pa.array(x[:, j]) for j in range(K)})
            table = pa.table(cols)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return {"path": str(path)}


def worker_mlroi(a: argparse.Namespace) -> dict[str, Any]:
    from mlroi.causal.adjust import analyse_adjustment
    from mlroi.spec.causal_adjust import AdjustmentConfig

    cfg = AdjustmentConfig(
        source={"path": str(_data_path(a.users))},
        outcome="minutes",
        covariates=[f"x{j}" for j in range(K)],
    )

    def run() -> dict[str, Any]:
        r = analyse_adjustment(cfg)
        return {
            "aipw_att": r.effect.estimate,
            "regression_att": r.estimates["regression"].estimate,
            "passes": r.passes,
        }

    return timed(run, a.repeats)


def _floor_sql(path: Path) -> str:
    xs = ["1.0", *(f"x{j}" for j in range(K))]
    sums = [f"sum({xs[i]} * {xs[j]}) as xx_{i}_{j}" for i in range(K + 1) for j in range(i, K + 1)]
    sums += [f"sum({xs[i]} * minutes) as xy_{i}" for i in range(K + 1)]
    return f"select exposed, {', '.join(sums)} from read_parquet('{path}') group by exposed"


def worker_floor(a: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    sql = _floor_sql(_data_path(a.users))
    p = K + 1

    def run() -> dict[str, Any]:
        rel = con.execute(sql)
        names = [d[0] for d in rel.description]
        beta, xbar = {}, {}
        for row in rel.fetchall():
            r = dict(zip(names, row, strict=True))
            xtx = np.empty((p, p))
            for i in range(p):
                for j in range(i, p):
                    xtx[i, j] = xtx[j, i] = r[f"xx_{i}_{j}"]
            xty = np.array([r[f"xy_{i}"] for i in range(p)])
            beta[int(r["exposed"])] = np.linalg.solve(xtx, xty)
            xbar[int(r["exposed"])] = (xtx[0] / xtx[0, 0], xty[0] / xtx[0, 0])
        # regression adjustment's ATT: mean over exposed of y - x'b0
        x1, y1 = xbar[1]
        return {"regression_att": float(y1 - x1 @ beta[0])}

    return timed(run, a.repeats)


WORKERS = {"generate": worker_generate, "mlroi": worker_mlroi, "floor": worker_floor}


def _run_worker(name: str, a: argparse.Namespace) -> dict[str, Any]:
    """Run one worker in its own process; its result plus its peak memory (MiB)."""
    return run_worker(__file__, name, ["--users", str(a.users), "--repeats", str(a.repeats)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=10_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--worker", choices=sorted(WORKERS))
    a = p.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](a)))
        return
    if not _data_path(a.users).exists():
        _run_worker("generate", a)
    results = {}
    for name in ("mlroi", "floor"):
        results[name] = _run_worker(name, a)
    floor = results["floor"]["median_s"]
    floor_cpu = results["floor"]["cpu_s"]
    lines = [
        f"# Adjustment benchmark: {a.users:,} users, {K} covariates, {a.repeats} repeats (medians)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; load is"
        " the 1-minute load average before and after each tool's process; CPU s is the"
        " process's CPU time per call, every thread included (the work done, which other"
        " processes on the machine barely move). Target: mlroi within 3x of the floor, peak"
        " memory under 2 GiB.",
        "",
        "| tool | median s | first call s | x floor | CPU s | x floor CPU | peak MiB | load"
        " | RA ATT | AIPW ATT |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, r in results.items():
        c = r["check"]
        aipw = f"{c['aipw_att']:.6f}" if "aipw_att" in c else ""
        lines.append(
            f"| {name} | {r['median_s']:.3f} | {r['first_s']:.3f} | {r['median_s'] / floor:.2f}x"
            f" | {r['cpu_s']:.3f} | {r['cpu_s'] / floor_cpu:.2f}x"
            f" | {r['peak_mib']:.0f} | {r['load'][0]:.1f} to {r['load'][1]:.1f}"
            f" | {c['regression_att']:.6f} | {aipw} |"
        )
    if "passes" in results["mlroi"]["check"]:
        lines += [
            "",
            f"mlroi made {results['mlroi']['check']['passes']} passes over the rows (aggregate"
            " queries, or passes over the rows held in memory).",
        ]
    text = "\n".join(lines) + "\n"
    full = a.users >= 10_000_000
    stem = HERE / "causal_adjust_results" if full else DATA / f"causal_adjust_results-{a.users}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
