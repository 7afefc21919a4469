"""What the benchmark scripts share: timing a call, and running a worker in its own process.

Standard library only, so that a driver importing it measures nothing of its own: each worker's
peak memory is that process's ``ru_maxrss``, read with ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any


def timed(run: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """One untimed-for-the-median first call, then ``repeats`` calls: the first call's seconds,
    the median seconds, the median CPU seconds (every thread of the process; the work done,
    which other processes on a shared machine barely move), and the last call's result."""
    t0 = time.perf_counter()
    out = run()
    first = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "first_s": first,
        "median_s": statistics.median(times),
        "cpu_s": statistics.median(cpu),
        "check": out,
    }


def run_worker(script: str, name: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``script --worker name *args`` in its own process: the JSON its last line prints,
    plus its peak memory (``peak_mib``) and the 1-minute load average before and after it
    (``load``)."""
    load = os.getloadavg()[0]
    cmd = [sys.executable, script, "--worker", name, *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"worker {name!r} failed (status {status})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024
    result["load"] = [load, os.getloadavg()[0]]
    return result
