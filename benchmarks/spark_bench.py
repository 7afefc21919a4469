"""The readout on Spark in local mode: mlroi through Ibis's PySpark backend against the same sums
written by hand in Spark SQL, with mlroi on DuckDB beside them.

How to run, from the repository root (needs the ``spark`` extra and Java, as ``./dev test``
installs them)::

    .venv/bin/python benchmarks/spark_bench.py                   # 1M users
    .venv/bin/python benchmarks/spark_bench.py --users 200000    # a small smoke run

The data: ``readout_bench.py``'s per-user table (``benchmarks/data/users-<n>/users.parquet``,
written once and reused). The readout: revenue per user with CUPED, conversion, order value, the
SRM check and the duplicate-unit check, as in ``readout_bench.py``.

What is timed, each in its own process, one warm-up call then the median of ``--repeats``:

- ``mlroi-spark``: ``mlroi.readout(table, config)`` with ``table`` read by Ibis's PySpark
  backend from the Parquet file on a local SparkSession (``local[2]``, the tests' settings);
- ``floor-spark``: one Spark SQL query of the per-variant sums (``floor.py``'s) with the count of
  distinct users joined to it, then ``floor.py``'s closed-form statistics;
- ``mlroi-duckdb``: the same readout on DuckDB, for scale.

Peak memory is the Python process's and, for the Spark cases, the JVM's high-water mark
(``VmHWM`` of the ``SparkSubmit`` process, read before the session stops). CPU seconds are the
Python process's only (the JVM's work is not in them), so only the wall times compare across
engines. Results go to ``benchmarks/spark_results.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import run_worker, timed

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SPARK = {
    "spark.master": "local[2]",
    "spark.app.name": "mlroi-bench",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
}


def _users(n: int) -> Path:
    folder = DATA / f"users-{n}"
    if not (folder / "done.json").exists():
        script = str(HERE / "readout_bench.py")
        argv = [sys.executable, script, "--generate", "users", "--n-users", str(n)]
        subprocess.run([*argv, "--out", str(folder)], check=True)
    return folder / "users.parquet"


def _session() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in SPARK.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _jvm_peak_mib() -> float | None:
    """The high-water mark of this process's Spark JVM (``SparkSubmit``), or None."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"org.apache.spark.deploy.SparkSubmit" not in cmdline:
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _summary(result: Any) -> dict[str, float]:
    rev = result.comparison("revenue_per_user")
    conv = result.comparison("conversion")
    return {
        "revenue_abs": rev.absolute.estimate,
        "revenue_se_abs": (rev.absolute.upper - rev.absolute.lower) / 2,
        "conversion_abs": conv.absolute.estimate,
        "srm_p": result.srm.p_value,
    }


def worker_mlroi_spark(a: argparse.Namespace) -> dict[str, Any]:
    import ibis
    from readout_bench import _mlroi_config

    from mlroi import readout

    session = _session()
    con = ibis.pyspark.connect(session)
    config = _mlroi_config(unique=True)
    path = str(_users(a.users))

    def run() -> dict[str, float]:
        return _summary(readout(con.read_parquet(path), config))

    out = timed(run, a.repeats)
    out["jvm_mib"] = _jvm_peak_mib()
    session.stop()
    return out


def worker_floor_spark(a: argparse.Namespace) -> dict[str, Any]:
    import floor

    session = _session()
    path = str(_users(a.users))
    sums = floor.USERS_SQL.replace("read_parquet(?)", f"parquet.`{path}`")
    sql = (
        f"SELECT s.*, u.units FROM ({sums}) s"
        f" CROSS JOIN (SELECT count(DISTINCT user_id) AS units FROM parquet.`{path}`) u"
    )

    def run() -> dict[str, float]:
        rows = {r["variant"]: r.asDict() for r in session.sql(sql).collect()}
        if next(iter(rows.values()))["units"] < sum(int(r["n"]) for r in rows.values()):
            raise ValueError("duplicate units")
        got = floor.analyse({v: floor.moments_from_sums(r) for v, r in rows.items()})
        return {"revenue_abs": got["revenue_per_user"]["abs"][0]}

    out = timed(run, a.repeats)
    out["jvm_mib"] = _jvm_peak_mib()
    session.stop()
    return out


def worker_mlroi_duckdb(a: argparse.Namespace) -> dict[str, Any]:
    from readout_bench import _mlroi_config

    from mlroi import readout

    config = _mlroi_config(unique=True)
    path = str(_users(a.users))
    return timed(lambda: _summary(readout(path, config)), a.repeats)


WORKERS = {
    "mlroi-spark": worker_mlroi_spark,
    "floor-spark": worker_floor_spark,
    "mlroi-duckdb": worker_mlroi_duckdb,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--worker", choices=sorted(WORKERS))
    a = p.parse_args()
    if a.worker:
        print(json.dumps(WORKERS[a.worker](a)))
        return
    _users(a.users)
    results: dict[str, Any] = {}
    args = ["--users", str(a.users), "--repeats", str(a.repeats)]
    for name in WORKERS:
        results[name] = run_worker(__file__, name, args)
    floor_s = results["floor-spark"]["median_s"]
    lines = [
        f"# The readout on Spark local: {a.users:,} users, {a.repeats} repeats (medians)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; Spark"
        " `local[2]`; load is the 1-minute load average before and after each case. Python"
        " MiB is the worker process's peak; JVM MiB the Spark JVM's (VmHWM). CPU s is the Python"
        " process's only.",
        "",
        "| case | median s | first call s | x Spark floor | Python CPU s | Python MiB | JVM MiB"
        " | load | revenue lift |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, r in results.items():
        jvm = r.get("jvm_mib")
        lines.append(
            f"| {name} | {r['median_s']:.3f} | {r['first_s']:.3f} | {r['median_s'] / floor_s:.2f}x"
            f" | {r['cpu_s']:.3f} | {r['peak_mib']:.0f} | {'' if jvm is None else f'{jvm:.0f}'}"
            f" | {r['load'][0]:.1f} to {r['load'][1]:.1f} | {r['check']['revenue_abs']:.6f} |"
        )
    text = "\n".join(lines) + "\n"
    full = a.users >= 1_000_000
    stem = HERE / "spark_results" if full else DATA / f"spark_results-{a.users}"
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
