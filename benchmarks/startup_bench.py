"""Start-up benchmark: how long `mlroi --help` and `mlroi roi examples/recommender.yaml` take as
whole processes, and how much memory they hold at their peak.

How to run, from the repository root::

    .venv/bin/python benchmarks/startup_bench.py                     # 11 runs each
    .venv/bin/python benchmarks/startup_bench.py --runs 5 --cold     # also without bytecode
    .venv/bin/python benchmarks/startup_bench.py --before ../main/src  # also another source tree

What is timed, each command as its own process, after one untimed warm-up run (which also
generates the demo data the recommender case reads, on the first run on a machine):

- ``mlroi --help`` and ``mlroi roi examples/recommender.yaml`` (the A/B readout of 1,000,000
  demo users from Parquet, then 100,000 Monte Carlo draws of value, cost and ROI);
- floors for reading the numbers: ``python -c pass`` (the interpreter), a two-command Typer app's
  ``--help`` (Typer and rich, which any help of this kind pays) and ``import ibis`` with a DuckDB
  connection (what reading data through Ibis costs before any query);
- with ``--before SRC``, both mlroi commands again from another checkout's ``src`` folder, run
  with this environment (the same libraries), alternating with this checkout's runs.

The wall time is the target's measure, but on a loaded machine it counts the time the process
waited for a core; the CPU time (the process is single-threaded but for DuckDB's query) is
what it would take on an idle one, and the verdict gives both.

For each run: wall time (``time.perf_counter`` around the process), CPU time and peak resident
memory of the child (``os.wait4``: ``ru_utime + ru_stime`` and ``ru_maxrss``), and the 1-minute
load average before and after (``os.getloadavg``). The table gives medians with min-max; the
machine is shared, so compare medians taken in the same run, and read the load beside them.

Bytecode: by default the children run with ``PYTHONPYCACHEPREFIX=benchmarks/data/pycache`` and
without ``PYTHONDONTWRITEBYTECODE``, as an installed package runs (pip and uv with
``--compile-bytecode`` write ``.pyc`` files at install). ``--cold`` adds rows with
``PYTHONDONTWRITEBYTECODE=1`` and an empty cache, where every process compiles every module
from source (what ``uv sync`` without ``--compile-bytecode`` gives in an image that sets
``PYTHONDONTWRITEBYTECODE``).

Results go to ``benchmarks/startup_results.md`` and ``benchmarks/data/startup_results.json``.
The driver imports only the standard library, so each child's peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
VENV = ROOT / ".venv" / "bin"
CASE = "examples/recommender.yaml"

TYPER_FLOOR = """\
import typer
app = typer.Typer(add_completion=False)
@app.command()
def first(x: int = 1) -> None:
    "One."
@app.command()
def second(y: int = 1) -> None:
    "Two."
app()
"""

FROM_SRC = (
    "import sys; sys.path.insert(0, {src!r}); sys.argv[0] = 'mlroi'; "
    "from mlroi.cli import main; sys.exit(main(sys.argv[1:]))"
)

TARGETS = {"help": 0.2, "roi": 1.0}
"""Wall-time targets of issue 15, in seconds; roi also has a peak-memory target."""
ROI_PEAK_MIB = 200.0


def commands(before: str | None) -> dict[str, list[str]]:
    """Every command timed, by the name the table gives it."""
    py = str(VENV / "python")
    out = {
        "help": [str(VENV / "mlroi"), "--help"],
        "roi": [str(VENV / "mlroi"), "roi", CASE],
    }
    if before is not None:
        out["help (before)"] = [py, "-c", FROM_SRC.format(src=before), "--help"]
        out["roi (before)"] = [py, "-c", FROM_SRC.format(src=before), "roi", CASE]
    out["floor: python -c pass"] = [py, "-c", "pass"]
    out["floor: two-command Typer app --help"] = [py, "-c", TYPER_FLOOR, "--help"]
    out["floor: import ibis + DuckDB connection"] = [
        py,
        "-c",
        "import ibis; ibis.duckdb.connect()",
    ]
    return out


def environment(cold: bool, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if cold:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_once(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """One whole process: wall and CPU seconds, peak RSS (MiB), load before and after."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # roi exits 1 when a check withholds the headline
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    def three(key: str) -> list[float]:
        values = [r[key] for r in runs]
        return [min(values), statistics.median(values), max(values)]

    loads = [r["load_before"] for r in runs] + [r["load_after"] for r in runs]
    return {
        "runs": len(runs),
        "wall": three("wall"),
        "cpu": three("cpu"),
        "peak_mib": three("peak_mib"),
        "load": [min(loads), statistics.median(loads), max(loads)],
    }


def measure(names: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Each command once untimed, then ``runs`` rounds of every command in turn (so that a
    change in the machine's load touches all of them alike)."""
    for argv in names.values():
        run_once(argv, env)
    raw: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(runs):
        for name, argv in names.items():
            raw[name].append(run_once(argv, env))
    return {name: summary(r) for name, r in raw.items()}


def verdict(name: str, s: dict[str, Any]) -> str:
    key = name.split(" ")[0]
    if key not in TARGETS or "(before)" in name:
        return ""
    wall, cpu, goal = s["wall"][1], s["cpu"][1], TARGETS[key]
    parts = [
        f"wall < {goal} s: {'met' if wall < goal else 'not met'} "
        f"(CPU {'under' if cpu < goal else 'over'} {goal} s)"
    ]
    if key == "roi":
        peak = s["peak_mib"][1]
        parts.append(
            f"peak < {ROI_PEAK_MIB:.0f} MiB: {'met' if peak < ROI_PEAK_MIB else 'not met'}"
        )
    return "; ".join(parts)


def table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| command | wall s, median (min-max) | CPU s, median | peak MiB, median (min-max) "
        "| 1-min load, median (min-max) | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, s in results.items():
        w, c, m, ld = s["wall"], s["cpu"], s["peak_mib"], s["load"]
        lines.append(
            f"| {name} | {w[1]:.3f} ({w[0]:.3f}-{w[2]:.3f}) | {c[1]:.3f} "
            f"| {m[1]:.1f} ({m[0]:.1f}-{m[2]:.1f}) | {ld[1]:.1f} ({ld[0]:.1f}-{ld[2]:.1f}) "
            f"| {verdict(name, s)} |"
        )
    return lines


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    head = [
        "# Start-up benchmark",
        "",
        f"Written by `benchmarks/startup_bench.py` on {results['date']} "
        f"({results['machine']}); {args.runs} timed runs of each command after one warm-up, "
        "the commands in turn. Whole processes; medians; the load is the 1-minute load "
        "average before and after each run, on a machine shared with other work.",
        "",
        "## Bytecode cached (as installed)",
        "",
        *table(results["cached"]),
    ]
    if "cold" in results:
        head += [
            "",
            "## No bytecode (every module compiled from source in every process)",
            "",
            *table(results["cold"]),
        ]
    return "\n".join(head) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs of each command")
    parser.add_argument("--cold", action="store_true", help="also time without bytecode")
    parser.add_argument("--before", help="another checkout's src folder, timed alike")
    parser.add_argument(
        "--out", type=Path, default=HERE / "startup_results.md", help="the Markdown report"
    )
    args = parser.parse_args()
    if args.before is not None:
        args.before = str(Path(args.before).resolve())
    DATA.mkdir(exist_ok=True)
    names = commands(args.before)
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "runs": args.runs,
        "cached": measure(names, args.runs, environment(False, DATA / "pycache")),
    }
    if args.cold:
        with tempfile.TemporaryDirectory() as empty:
            results["cold"] = measure(names, args.runs, environment(True, Path(empty)))
    (DATA / "startup_results.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results, args)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
