"""Write a scenario's blocks of tables to Parquet files, one block at a time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mlroi.files import GENERATOR

MARK = {b"generator": f"{GENERATOR} demo".encode()}
"""Footer metadata of every demo table: how mlroi knows the file for its own to overwrite."""


def write_blocks(
    paths: Mapping[str, Path],
    schemas: Mapping[str, pa.Schema],
    blocks: Iterable[Mapping[str, pa.Table]],
) -> None:
    """Append each block's tables (by name) to the Parquet file of that name.

    Memory stays bounded by one block; every writer is closed, also when a block fails. Each
    table is written to a temporary file beside its path and renamed into place once every
    block is written, so a failure never leaves half a table (nor a half-replaced old one).
    """
    temps = {
        name: path.with_name(f".{path.name}.{os.getpid()}.tmp") for name, path in paths.items()
    }
    writers: dict[str, pq.ParquetWriter] = {}
    done = False
    try:
        for name in paths:
            schema = schemas[name].with_metadata({**(schemas[name].metadata or {}), **MARK})
            writers[name] = pq.ParquetWriter(temps[name], schema)
        for block in blocks:
            for name, table in block.items():
                writers[name].write_table(table)
        for writer in writers.values():
            writer.close()
        for name, path in paths.items():
            os.replace(temps[name], path)
        done = True
    finally:
        if not done:
            for writer in writers.values():
                with contextlib.suppress(Exception):
                    writer.close()
            for tmp in temps.values():
                with contextlib.suppress(OSError):
                    tmp.unlink()
