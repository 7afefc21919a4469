"""Where DuckDB spills when a query outgrows memory, how much memory it may use, and what the
user is told when it spills or the disk fills.

mlroi sets every DuckDB connection it opens (the embedded one for paths and demo tables, and
``duckdb://`` URLs) to spill into a fresh ``mlroi-spill-*`` folder of its own, made under the
folder the user names (``mlroi --temp-dir DIR`` or ``MLROI_TEMP_DIR``) or else under the system's
temporary folder (``TMPDIR``, ``/tmp``). It removes that folder, and only that folder, when the
run ends: at the end of a command, or when the Python process exits. DuckDB's own default would
be a ``.tmp`` folder in the working directory, left behind after a crash.

The memory limit (``--memory-limit`` / ``MLROI_MEMORY_LIMIT``) and the spill cap
(``--max-temp-size`` / ``MLROI_MAX_TEMP_SIZE``) are DuckDB's ``memory_limit`` and
``max_temp_directory_size``; left unset, DuckDB's defaults hold (80% of the machine's memory; 90%
of the free space where the folder is), except in the few queries that hold a whole log's rows
at once (:func:`bounded`), which mlroi runs under :data:`BOUNDED_MEMORY` and says so.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlroi.errors import BackendError, SpecError

PREFIX = "mlroi-spill-"
"""How the folders mlroi creates for DuckDB's spill files begin."""

ENV_TEMP_DIR = "MLROI_TEMP_DIR"
ENV_MEMORY_LIMIT = "MLROI_MEMORY_LIMIT"
ENV_MAX_TEMP_SIZE = "MLROI_MAX_TEMP_SIZE"

LARGER_DISK = "point the spill folder at a larger disk (mlroi --temp-dir DIR, or MLROI_TEMP_DIR)"
MORE_MEMORY = "raise the memory limit (mlroi --memory-limit 8GB, or MLROI_MEMORY_LIMIT)"

BOUNDED_MEMORY = "640MB"
"""The memory limit mlroi gives DuckDB for a query :func:`bounded` runs, when the user set none:
the path table of attribution on 50M touches stays under 1 GiB of process memory (DuckDB spills
the rest), at a cost of about a tenth of its time (``benchmarks/README.md``)."""

_SIZE = re.compile(r"^\s*(\d+(\.\d+)?)\s*(B|[KMGT]i?B)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """The spill settings of a run.

    Attributes:
        temp_root: the folder mlroi makes its ``mlroi-spill-*`` folder in; ``None``: the
            system's temporary folder.
        memory_limit: DuckDB's ``memory_limit`` (``"4GB"``); ``None``: DuckDB's default, 80% of
            the machine's memory.
        max_temp_size: DuckDB's ``max_temp_directory_size``, the cap on spilled bytes;
            ``None``: DuckDB's default, 90% of the free space on the folder's disk.
    """

    temp_root: Path | None = None
    memory_limit: str | None = None
    max_temp_size: str | None = None


@dataclass(frozen=True)
class SpillReport:
    """What a run spilled: the folder and the most bytes seen in it while a query ran.

    ``peak_bytes`` is sampled (every 0.1 s while a query runs, see :mod:`mlroi.backend.progress`),
    so it is a lower bound of the true peak; 0 when the spill was too short to be seen.
    """

    folder: Path
    peak_bytes: int
    memory_limit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "peak_bytes": self.peak_bytes,
            "memory_limit": self.memory_limit,
        }


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: Settings | None = None
        self.folder: Path | None = None
        self.peak = 0
        self.memory_limit = ""
        self.connections: list[Any] = []


_STATE = _State()


def check_size(text: str, option: str) -> str:
    """``text`` if it reads as a size DuckDB takes (``4GB``, ``512MiB``).

    Raises:
        SpecError: it does not; the message names ``option``.
    """
    if not _SIZE.match(text):
        raise SpecError(f"{option}: expected a size such as 4GB, 512MB or 2GiB, got {text!r}")
    return text.strip()


def configure(
    temp_dir: Path | str | None = None,
    memory_limit: str | None = None,
    max_temp_size: str | None = None,
) -> Settings:
    """Set where DuckDB spills and how much memory it may use, for connections opened from now.

    Each argument left ``None`` falls back to its environment variable (``MLROI_TEMP_DIR``,
    ``MLROI_MEMORY_LIMIT``, ``MLROI_MAX_TEMP_SIZE``), then to the default.

    Args:
        temp_dir: an existing folder; mlroi makes its own ``mlroi-spill-*`` folder in it.
        memory_limit: DuckDB's memory limit, e.g. ``"4GB"``.
        max_temp_size: the most DuckDB may spill, e.g. ``"100GB"``.

    Returns:
        The settings now in force.

    Raises:
        SpecError: a folder that does not exist, or a size that does not read as one.
    """
    root = temp_dir if temp_dir is not None else os.environ.get(ENV_TEMP_DIR) or None
    memory = memory_limit if memory_limit is not None else os.environ.get(ENV_MEMORY_LIMIT)
    cap = max_temp_size if max_temp_size is not None else os.environ.get(ENV_MAX_TEMP_SIZE)
    settings = Settings(
        temp_root=_check_root(Path(root)) if root else None,
        memory_limit=check_size(memory, "--memory-limit / MLROI_MEMORY_LIMIT") if memory else None,
        max_temp_size=check_size(cap, "--max-temp-size / MLROI_MAX_TEMP_SIZE") if cap else None,
    )
    with _STATE.lock:
        _STATE.settings = settings
    return settings


def _check_root(root: Path) -> Path:
    if not root.is_dir():
        raise SpecError(
            f"--temp-dir / MLROI_TEMP_DIR: {root} is not a folder; create it, or name an"
            " existing folder on a disk with room for spilled data"
        )
    return root


def settings() -> Settings:
    """The settings in force (from the environment, unless :func:`configure` set them)."""
    with _STATE.lock:
        current = _STATE.settings
    return current if current is not None else configure()


def _folder() -> Path:
    """This run's spill folder, made on first use (mode 0700: spilled rows are the user's data)."""
    root = settings().temp_root
    with _STATE.lock:
        if _STATE.folder is None:
            try:
                made = tempfile.mkdtemp(prefix=PREFIX, dir=root)
            except OSError as exc:
                where = root if root is not None else tempfile.gettempdir()
                raise BackendError(
                    f"cannot make a spill folder in {where}: {exc.strerror}; name a writable"
                    " folder with mlroi --temp-dir DIR (or MLROI_TEMP_DIR)"
                ) from exc
            _STATE.folder = Path(made)
            _STATE.peak = 0
        return _STATE.folder


def setup(con: Any) -> None:
    """Point the DuckDB connection ``con`` (a ``duckdb.DuckDBPyConnection``) at this run's spill
    folder, set its limits, and turn on its query progress (read by
    :mod:`mlroi.backend.progress`; DuckDB prints nothing itself).

    Raises:
        SpecError: DuckDB refused a size it was given.
    """
    chosen = settings()
    folder = _folder()
    # every result fetched to its end: DuckDB refuses other work on a connection with an
    # unfinished result
    con.execute(f"SET temp_directory = '{_quote(str(folder))}'").fetchall()
    for name, value, option in (
        ("memory_limit", chosen.memory_limit, "--memory-limit / MLROI_MEMORY_LIMIT"),
        ("max_temp_directory_size", chosen.max_temp_size, "--max-temp-size / MLROI_MAX_TEMP_SIZE"),
    ):
        if value is None:
            continue
        try:
            con.execute(f"SET {name} = '{_quote(value)}'").fetchall()
        except Exception as exc:
            raise SpecError(f"{option}: DuckDB does not take {value!r}") from exc
    con.execute("SET enable_progress_bar = true").fetchall()
    con.execute("SET enable_progress_bar_print = false").fetchall()
    ((limit,),) = con.execute("SELECT current_setting('memory_limit')").fetchall()
    with _STATE.lock:
        _STATE.connections.append(con)
        _STATE.memory_limit = str(limit)
    _register_exit()


@contextlib.contextmanager
def bounded(con: Any) -> Iterator[str | None]:
    """Run the queries inside under DuckDB's memory limit :data:`BOUNDED_MEMORY`, on the DuckDB
    connection ``con`` that mlroi set up (:func:`setup`), when the user set no limit and the
    one in force is larger; the default returns after. Yields the limit set (DuckDB's text,
    ``"610.3 MiB"``), or ``None`` when it changed nothing: another engine or connection, a
    limit the user chose (``--memory-limit``, or in a ``duckdb://`` URL), or a smaller default.

    A run that spills under it says so with that limit (:func:`report`).
    """
    with _STATE.lock:
        ours = any(c is con for c in _STATE.connections)
        before = _STATE.memory_limit
    spilled = report()
    if not ours or settings().memory_limit is not None:
        yield None
        return
    try:
        ((current,),) = con.execute("SELECT current_setting('memory_limit')").fetchall()
        if str(current) != _duckdb_default() or size_bytes(str(current)) <= size_bytes(
            BOUNDED_MEMORY
        ):
            yield None  # a limit set in a duckdb:// URL, or a small machine: kept
            return
        con.execute(f"SET memory_limit = '{BOUNDED_MEMORY}'").fetchall()
        ((limit,),) = con.execute("SELECT current_setting('memory_limit')").fetchall()
    except Exception:  # DuckDB could not free memory for a lower limit: run as before
        yield None
        return
    with _STATE.lock:
        _STATE.memory_limit = str(limit)
    try:
        yield str(limit)
    finally:
        with contextlib.suppress(Exception):  # a closed connection has no limit to restore
            con.execute("RESET memory_limit").fetchall()
        if not spilled_since(spilled):  # a later spill note names the default
            with _STATE.lock:
                _STATE.memory_limit = before


@functools.lru_cache(maxsize=1)
def _duckdb_default() -> str:
    """DuckDB's own memory limit on this machine, as it writes it (``"18.8 GiB"``)."""
    import duckdb

    con = duckdb.connect()
    try:
        ((limit,),) = con.execute("SELECT current_setting('memory_limit')").fetchall()
    finally:
        con.close()
    return str(limit)


_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def size_bytes(text: str) -> float:
    """The bytes of a size as DuckDB writes or reads it (``"19.0 GiB"``, ``"640MB"``; ``GiB``
    is 1024^3, ``GB`` 1000^3); infinite for a text that is not a size."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?(?:ytes)?\s*$", text, re.IGNORECASE)
    if m is None:
        return float("inf")
    unit = m.group(2).lower()
    scale = 1024 ** "_kmgt".index(unit) if m.group(3) and unit else _UNITS[unit]
    return float(m.group(1)) * scale


def _quote(text: str) -> str:
    return text.replace("'", "''")


def sample() -> int:
    """The bytes in this run's spill folder now (0 when there is none); the peak is kept for
    :func:`report`. Safe to call from another thread while a query runs."""
    with _STATE.lock:
        folder = _STATE.folder
    if folder is None:
        return 0
    used = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    used += entry.stat(follow_symlinks=False).st_size
                except OSError:  # DuckDB removed the file while it was being counted
                    continue
    except OSError:
        return 0
    with _STATE.lock:
        _STATE.peak = max(_STATE.peak, used)
    return used


def report() -> SpillReport | None:
    """What this run spilled, or ``None`` when it spilled nothing.

    DuckDB leaves a small ``duckdb_temp_*_owner`` file in a folder it has spilled to, so a
    spill too short for any poll to see still counts (with a peak of 0: not measured).
    """
    with _STATE.lock:
        folder, peak, limit = _STATE.folder, _STATE.peak, _STATE.memory_limit
    if folder is None:
        return None
    try:
        touched = peak > 0 or any(folder.iterdir())
    except OSError:
        touched = peak > 0
    return SpillReport(folder, peak, limit) if touched else None


def spilled_since(before: SpillReport | None) -> bool:
    """The run spilled after ``before`` (:func:`report` taken earlier): its first spill, or a
    higher peak (a smaller spill after a larger one goes unseen)."""
    now = report()
    return now is not None and (before is None or now.peak_bytes > before.peak_bytes)


def folder_in_use() -> Path | None:
    """This run's spill folder, if a connection uses one."""
    with _STATE.lock:
        return _STATE.folder


def finish() -> SpillReport | None:
    """End the run: close the connections set up here, remove the spill folder mlroi made (never
    anything else), and say what was spilled.

    The connections are closed first: DuckDB cannot spill again into a folder removed under it,
    and cannot move an open connection to another folder. Whoever cached them opens new ones.
    """
    spilled = report()
    with _STATE.lock:
        connections, _STATE.connections = _STATE.connections, []
        folder, _STATE.folder = _STATE.folder, None
        _STATE.peak = 0
    for con in connections:
        try:
            con.close()
        except Exception:  # closing is housekeeping; a closed connection is fine
            continue
    if folder is not None and folder.name.startswith(PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
    return spilled


_EXIT = {"registered": False}


def _register_exit() -> None:
    if not _EXIT["registered"]:
        _EXIT["registered"] = True
        atexit.register(finish)


def out_of_memory(exc: BaseException) -> bool:
    """``exc``, or the error it was raised from, is DuckDB running out of memory."""
    while exc is not None:
        text = str(exc)
        if type(exc).__name__ == "OutOfMemoryException" or text.startswith("Out of Memory Error"):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def explain(exc: BaseException, purpose: str) -> BackendError | None:
    """The one-line error for a query that ran out of memory or of spill room, or ``None``
    when ``exc`` is another failure.

    DuckDB says ``max_temp_directory_size`` when the cap is hit, "No space left on device" when
    the disk fills, and "could not allocate" or "failed to pin" when an operator that cannot
    spill outgrows the memory limit.
    """
    text = str(exc)
    folder = folder_in_use()
    where = str(folder) if folder is not None else "DuckDB's temp_directory"
    if "max_temp_directory_size" in text:
        cap = settings().max_temp_size
        if cap is None:
            return BackendError(
                f"{purpose} filled the space DuckDB may spill to in {where} (90% of the free"
                f" space on that disk): free space there, {LARGER_DISK}, or {MORE_MEMORY}"
            )
        return BackendError(
            f"{purpose} hit the spill cap of {cap} in {where}: raise the cap (mlroi"
            f" --max-temp-size 100GB, or MLROI_MAX_TEMP_SIZE), or {MORE_MEMORY}"
        )
    if "No space left on device" in text or "ENOSPC" in text:
        return BackendError(
            f"the disk filled while {purpose} spilled to {where}: free space there, or"
            f" {LARGER_DISK}"
        )
    if out_of_memory(exc):
        with _STATE.lock:
            limit = _STATE.memory_limit or "DuckDB's default, 80% of the machine's memory"
        return BackendError(
            f"{purpose} ran out of memory (memory limit {limit}; spill folder {where}):"
            f" {MORE_MEMORY}, or close other programs"
        )
    return None
