"""Scaling of each scan: time, CPU time and peak memory against rows, at several sizes.

How to run, from the repository root::

    .venv/bin/python benchmarks/scaling.py                          # 1M, 2M, 5M, 10M rows
    .venv/bin/python benchmarks/scaling.py --sizes 250000,500000,1000000,2000000 --repeats 2
    .venv/bin/python benchmarks/scaling.py --scans adjustment,retention

Each scan is timed by its own benchmark script's workers (each in its own process; peak memory is
that process's ``ru_maxrss``), on that script's generated data at each size (written once to
``benchmarks/data/`` and reused):

- ``readout``: ``mlroi.readout`` on a per-user table (``readout_bench.py``: revenue per user
  with CUPED, conversion, order value, SRM and the duplicate-unit check) and the hand-written
  floor with the same check (``floor.readout_users(unique=True)``);
- ``decision``: ``mlroi.decision.analysis.decide`` (exact curve and optimum, no bootstrap) on
  scored rows (``decision_bench.py``); no floor;
- ``retention``: Kaplan-Meier, log-rank and RMST per arm (``retention_bench.py``) and its floor;
- ``adjustment``: AIPW with 10 covariates (``causal_adjust_bench.py``) and its floor.

What it writes (``benchmarks/scaling_results.{md,json}``, or ``benchmarks/data/`` with
``--out-dir``): per scan and size, the median seconds of ``--repeats`` calls after a warm-up, CPU
seconds per call where the worker reports them, peak MiB, the floor's seconds, and the 1-minute
load before and after; per scan, the growth exponents between successive sizes (the slope of
log time against log rows: 1 is linear, about 1.05 to 1.1 is ``n log n`` at these sizes) and the
peak memory's growth per million rows. The issue asks for linear growth (``n log n`` for sorts)
and memory flat once data exceeds RAM-friendly sizes.

The driver imports only the standard library.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import run_worker

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable


def _script(name: str) -> str:
    return str(HERE / name)


def _file_worker(script: str, worker: str, args: list[str]) -> dict[str, Any]:
    """Run a worker that writes its payload to ``--out``: the payload plus the process's peak
    memory (``peak_mib``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        proc = subprocess.Popen([PY, script, "--worker", worker, *args, "--out", str(out)])
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0 or not out.exists():
            raise SystemExit(f"{Path(script).name} worker {worker!r} failed (status {status})")
        payload: dict[str, Any] = json.loads(out.read_text())
    payload["peak_mib"] = usage.ru_maxrss / 1024
    return payload


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


# --- each scan: make the data at a size, time mlroi, time the floor -------------------------


def readout(n: int, repeats: int) -> dict[str, Any]:
    folder = DATA / f"users-{n}"
    if not (folder / "done.json").exists():
        script = _script("readout_bench.py")
        argv = [PY, script, "--generate", "users", "--n-users", str(n), "--out", str(folder)]
        subprocess.run(argv, check=True)
    data = ["--data", str(folder / "users.parquet"), "--repeats", str(repeats)]
    script = _script("readout_bench.py")
    m = _file_worker(script, "mlroi", data)
    f = _file_worker(script, "floor", [*data, "--variant", "unique"])
    return {
        "mlroi_s": _median(m["times"]),
        "mlroi_cpu_s": None,
        "mlroi_mib": m["peak_mib"],
        "floor_s": _median(f["times"]),
    }


def decision(n: int, repeats: int) -> dict[str, Any]:
    path = DATA / f"decision-{n}.parquet"
    script = _script("decision_bench.py")
    if not path.exists():
        _file_worker(script, "generate", ["--rows", str(n), "--data", str(path)])
    m = _file_worker(script, "mlroi-decide", ["--data", str(path), "--repeats", str(repeats)])
    return {
        "mlroi_s": m["time"],
        "mlroi_cpu_s": m["cpu"],
        "mlroi_mib": m["peak_mib"],
        "floor_s": None,
    }


def _harness_scan(script_name: str, data: str) -> Callable[[int, int], dict[str, Any]]:
    """A scan whose script runs workers by ``--worker NAME --users N --repeats R`` on the file
    ``data`` (``{n}`` the users) that its ``generate`` worker writes."""
    script = _script(script_name)

    def scan(n: int, repeats: int) -> dict[str, Any]:
        args = ["--users", str(n), "--repeats", str(repeats)]
        if not (DATA / data.format(n=n)).exists():
            run_worker(script, "generate", args)
        m = run_worker(script, "mlroi", args)
        f = run_worker(script, "floor", args)
        return {
            "mlroi_s": m["median_s"],
            "mlroi_cpu_s": m["cpu_s"],
            "mlroi_mib": m["peak_mib"],
            "floor_s": f["median_s"],
        }

    return scan


SCANS: dict[str, Callable[[int, int], dict[str, Any]]] = {
    "readout": readout,
    "decision": decision,
    "retention": _harness_scan("retention_bench.py", "retention-{n}.parquet"),
    "adjustment": _harness_scan("causal_adjust_bench.py", "causal-adjust-{n}.parquet"),
}


def _slopes(rows: list[dict[str, Any]], key: str) -> list[float | None]:
    """The growth exponent of ``key`` between successive sizes."""
    out: list[float | None] = []
    for a, b in itertools.pairwise(rows):
        x, y = a.get(key), b.get(key)
        if x and y and x > 0 and y > 0:
            out.append(math.log(y / x) / math.log(b["rows"] / a["rows"]))
        else:
            out.append(None)
    return out


def _fmt(v: float | None, spec: str) -> str:
    return "" if v is None else format(v, spec)


def render(results: dict[str, Any]) -> str:
    lines = [
        "# Scaling of each scan against rows",
        "",
        f"{results['cpus']} CPUs; the median of several calls after a warm-up (the number and"
        " the date under each scan), each tool in its own process; load is the 1-minute load"
        " average before and"
        " after each size. CPU s is per call, every thread included (where the worker reports"
        " it). Growth: the slope of log time against log rows from the size before (1 is"
        " linear).",
        "",
    ]
    for scan, run in results["scans"].items():
        rows = run["rows"]
        lines += [
            f"## {scan}",
            "",
            f"{run['date']}, median of {run['repeats']} calls.",
            "",
            "| rows | mlroi s | growth | CPU s | growth | peak MiB | MiB per 1M rows more"
            " | floor s | x floor | load |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        time_slopes = [None, *_slopes(rows, "mlroi_s")]
        cpu_slopes = [None, *_slopes(rows, "mlroi_cpu_s")]
        for i, r in enumerate(rows):
            per_million = (
                None
                if i == 0
                else (r["mlroi_mib"] - rows[i - 1]["mlroi_mib"])
                / ((r["rows"] - rows[i - 1]["rows"]) / 1e6)
            )
            ratio = r["mlroi_s"] / r["floor_s"] if r.get("floor_s") else None
            lines.append(
                f"| {r['rows']:,} | {r['mlroi_s']:.3f} | {_fmt(time_slopes[i], '.2f')}"
                f" | {_fmt(r.get('mlroi_cpu_s'), '.3f')} | {_fmt(cpu_slopes[i], '.2f')}"
                f" | {r['mlroi_mib']:.0f} | {_fmt(per_million, '+.1f')}"
                f" | {_fmt(r.get('floor_s'), '.3f')} | {_fmt(ratio, '.2f')}"
                f" | {r['load'][0]:.1f} to {r['load'][1]:.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1000000,2000000,5000000,10000000")
    p.add_argument("--scans", default=",".join(SCANS), help=f"of {', '.join(SCANS)}")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out-dir", help="where scaling_results.{md,json} go (default: benchmarks/)")
    a = p.parse_args()
    sizes = sorted(int(s) for s in a.sizes.split(","))
    scans = a.scans.split(",")
    unknown = sorted(set(scans) - set(SCANS))
    if unknown:
        p.error(f"unknown scan {unknown[0]!r}: choose from {', '.join(SCANS)}")
    out = Path(a.out_dir) if a.out_dir else HERE
    out.mkdir(parents=True, exist_ok=True)
    # the scans not run this time keep their earlier rows, each with its own date
    earlier = out / "scaling_results.json"
    results: dict[str, Any] = {"cpus": os.cpu_count(), "scans": {}}
    if earlier.exists():
        results["scans"] = json.loads(earlier.read_text()).get("scans", {})
    for scan in scans:
        rows = []
        date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        for n in sizes:
            print(f"{scan} at {n:,} rows ...", flush=True)
            load = os.getloadavg()[0]
            r = SCANS[scan](n, a.repeats)
            r.update(rows=n, load=[load, os.getloadavg()[0]])
            rows.append(r)
        results["scans"][scan] = {"date": date, "repeats": a.repeats, "rows": rows}
    (out / "scaling_results.json").write_text(json.dumps(results, indent=1) + "\n")
    text = render(results)
    (out / "scaling_results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
