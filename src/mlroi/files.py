"""Every file mlroi writes: never over a file mlroi did not write, always whole.

A file mlroi writes carries its mark (:data:`GENERATOR`, or a text starting ``mlroi``) where
mlroi can find it again without trusting the rest of the file:

- JSON: the first key, ``{"generator": "mlroi ..."`` (a JSON Schema: ``"$comment"``);
- HTML: ``<meta name='generator' content='mlroi ...'>`` in the head;
- Markdown, YAML: a first line ``<!-- generator: mlroi ... -->`` or ``# generator: mlroi ...``;
- Parquet: the footer's key-value metadata ``generator = mlroi ...``.

Any other file (a case YAML, a data file, notes) is only replaced with ``force``. A file is
written to a temporary file in the same folder, then renamed over the target (``os.replace``),
so a crash or a full disk never leaves half a file, and ``-`` as a path means standard output.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlroi.errors import DataError

GENERATOR = "mlroi"
"""The mark of a file mlroi wrote; every mark starts with it (``mlroi report``, ``mlroi demo``)."""

STDOUT = "-"
"""The path that means standard output."""

_HEAD = 4096
"""How far into a text file mlroi looks for its mark."""

_MARKS = (
    re.compile(rb'\A\s*\{\s*"(?:generator|\$comment)"\s*:\s*"(?:generator: )?mlroi\b'),
    re.compile(
        rb"\A\s*<!doctype html>(?:(?!</head>).)*?"
        rb"<meta name=['\"]generator['\"] content=['\"]mlroi\b",
        re.S | re.I,
    ),
    re.compile(rb"\A(?:<!--|#) generator: mlroi\b"),
)


def is_stdout(path: Path | str | None) -> bool:
    """Whether ``path`` is ``-``, standard output."""
    return path is not None and str(path) == STDOUT


def written_by_mlroi(path: Path) -> bool:
    """Whether ``path`` is a regular file that carries mlroi's mark."""
    try:
        if not path.is_file():
            return False
        if path.suffix == ".parquet":
            return _parquet_marked(path)
        with path.open("rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return False
    return any(mark.search(head) for mark in _MARKS)


def _parquet_marked(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path).metadata or {}
    except Exception:  # not a Parquet file at all: certainly not ours
        return False
    mark: bytes = meta.get(b"generator", b"")
    return mark.startswith(GENERATOR.encode())


def check_target(path: Path, *, option: str, force: bool = False) -> None:
    """Refuse, before any work is done, a path mlroi may not write.

    Args:
        path: the file to write (``-`` is standard output and always fine).
        option: the option or argument that named it, for the message (``--json``).
        force: replace a file mlroi did not write.

    Raises:
        DataError: the folder is missing or not writable, the path is a folder, or it is a file
            mlroi did not write and ``force`` is not set.
    """
    if is_stdout(path):
        return
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DataError(
            f"{option} {path}: folder {folder} {what}: create it or choose another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataError(f"{option} {path}: folder {folder} is not writable: choose another path")
    if path.is_dir():
        raise DataError(f"{option} {path}: is a folder: give a file name")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise DataError(f"{option} {path}: not a regular file: choose another path")
        if not force and not written_by_mlroi(path):
            raise DataError(
                f"{option} {path}: the file exists and was not written by mlroi: choose another "
                "path, move it away, or pass --force to replace it"
            )


def check_folder(
    folder: Path, names: Iterable[str], *, option: str, force: bool = False, who: str = "mlroi"
) -> None:
    """Refuse, before any work is done, a folder mlroi may not write ``names`` into.

    The folder may be missing (it is made on writing) if its nearest existing parent is a
    writable folder. ``who`` names the writer in the message (``mlroi demo``).

    Raises:
        DataError: the folder is a file or not writable, or one of ``names`` in it is a file
            mlroi did not write and ``force`` is not set.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise DataError(f"{option} {folder}: {existing} is not a folder: choose another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DataError(f"{option} {folder}: folder {existing} is not writable: choose another")
    if existing != folder:
        return
    for name in names:
        path = folder / name
        if path.is_dir():
            raise DataError(f"{option} {folder}: {path} is a folder: move it away")
        if path.exists() and not force and not written_by_mlroi(path):
            raise DataError(
                f"{path} exists and was not written by {who}: move it away, choose another "
                f"folder with {option}, or pass --force to replace it"
            )


def make_folder(folder: Path, *, option: str) -> None:
    """Make ``folder`` (and its parents) if missing.

    Raises:
        DataError: it cannot be made (a file in the way, no permission).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise DataError(f"{option} {folder}: a file is in the way: choose another folder") from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataError(f"{option} {folder}: cannot make the folder ({reason})") from exc


def write_atomic(path: Path, data: str | bytes, *, option: str = "output") -> Path:
    """Write ``data`` to ``path`` whole: a temporary file in the same folder, then a rename.

    Args:
        path: the file (``-`` writes text to standard output).
        data: text (written as UTF-8) or bytes.
        option: what named the path, for the message.

    Returns:
        ``path``.

    Raises:
        DataError: the file could not be written (disk full, no permission); the old file, if
            any, is left as it was.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if is_stdout(path):
        sys.stdout.write(raw.decode("utf-8"))
        sys.stdout.flush()
        return path
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataError(f"{option} {path}: cannot write the file ({reason})") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def write_file(path: Path, data: str | bytes, *, option: str, force: bool = False) -> Path:
    """Check ``path`` (see :func:`check_target`), then write it whole."""
    check_target(path, option=option, force=force)
    return write_atomic(path, data, option=option)


def write_folder(
    folder: Path, texts: Mapping[str, str | bytes], *, option: str, force: bool = False
) -> dict[str, Path]:
    """Write each text into ``folder`` under its name; nothing is written unless every name is
    free, holds a file mlroi wrote, or ``force`` is set.

    Returns:
        Each name and its path.
    """
    check_folder(folder, texts, option=option, force=force)
    make_folder(folder, option=option)
    return {name: write_atomic(folder / name, text, option=option) for name, text in texts.items()}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
