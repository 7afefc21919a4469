"""The bundled demo data on disk: generated once from fixed seeds, then reused.

A case file reads it with ``source: {demo: churn/campaign}``. The tables are written on first use
to ``$MLROI_DEMO_DIR`` (default ``~/.cache/mlroi/demo``), in a folder named for the generator's
version, size and seed, through a temporary folder renamed into place, so concurrent first uses
never see half-written files and a changed size never reads stale data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from mlroi.errors import SpecError

VERSION = "v6"  # v6: the recommender writes its retention panel and journeys with session ids
SEED = 7

# scenario → (rows, writer(directory, n, seed) → {table: path})
_Writer = Callable[[Path, int, int], dict[str, Path]]


def _recommender(out: Path, n: int, seed: int) -> dict[str, Path]:
    from mlroi.demo.journeys import write_journey_logs
    from mlroi.demo.recommender import write_recommender_test
    from mlroi.demo.retention import write_retention_panel

    # the per-user table only: the cases read it; `mlroi demo` writes its own event log
    paths = write_recommender_test(out / "recommender", n, seed=seed, events=False)
    # touchpoint and order logs of 5% as many users, for `attribution:` (see demo/journeys.py)
    journeys = write_journey_logs(out / "recommender", n // 20, seed=seed)
    # a panel of 50,000 of the test's users followed for months, for `retention:`
    panel = write_retention_panel(paths["users"], out / "recommender", seed=seed)
    return {**paths, **journeys, **panel}


def _churn(out: Path, n: int, seed: int) -> dict[str, Path]:
    from mlroi.demo.churn import write_churn

    return write_churn(out, n, seed=seed)


def _fraud(out: Path, n: int, seed: int) -> dict[str, Path]:
    from mlroi.demo.fraud import write_fraud

    return write_fraud(out, n, seed=seed)


def _feed(out: Path, n: int, seed: int) -> dict[str, Path]:
    from mlroi.demo.feed import write_feed

    return write_feed(out, n, seed=seed)


def _video(out: Path, n: int, seed: int) -> dict[str, Path]:
    from mlroi.demo.video import write_video

    return write_video(out, n, seed=seed)


SCENARIOS: dict[str, tuple[int, _Writer]] = {
    "recommender": (1_000_000, _recommender),
    "churn": (100_000, _churn),
    "fraud": (400_000, _fraud),
    "feed": (200_000, _feed),
    "video": (200_000, _video),
}


def demo_root() -> Path:
    """Folder that holds the generated demo tables."""
    base = os.environ.get("MLROI_DEMO_DIR") or Path.home() / ".cache" / "mlroi" / "demo"
    return Path(base) / VERSION


def write_scenario(name: str, directory: Path) -> dict[str, Path]:
    """Write scenario ``name`` with its default size and seed into ``directory``."""
    n, writer = SCENARIOS[name]
    return {k: Path(p) for k, p in writer(directory, n, SEED).items()}


def demo_table(ref: str) -> Path:
    """Path of demo table ``scenario/table`` (e.g. ``churn/campaign``), generated if missing."""
    scenario, _, table = ref.partition("/")
    if scenario not in SCENARIOS:
        raise SpecError(
            f"unknown demo scenario {scenario!r} in {ref!r}: use one of {', '.join(SCENARIOS)}"
        )
    rows, _ = SCENARIOS[scenario]
    done = demo_root() / f"{scenario}-{rows}-seed{SEED}"
    if not done.exists():
        done.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{done.name}-", dir=done.parent))
        try:
            write_scenario(scenario, tmp)
            with contextlib.suppress(OSError):  # another process finished first: use its copy
                tmp.rename(done)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    found = sorted(done.rglob(f"{table}.parquet"))
    if not table or not found:
        tables = sorted(p.stem for p in done.rglob("*.parquet"))
        raise SpecError(
            f"demo scenario {scenario!r} has no table {table!r}: use one of {', '.join(tables)}"
        )
    return found[0]
