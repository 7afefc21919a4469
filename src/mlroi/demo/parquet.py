"""Write a scenario's blocks of tables to Parquet files, one block at a time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def write_blocks(
    paths: Mapping[str, Path],
    schemas: Mapping[str, pa.Schema],
    blocks: Iterable[Mapping[str, pa.Table]],
) -> None:
    """Append each block's tables (by name) to the Parquet file of that name.

    Memory stays bounded by one block; every writer is closed, also when a block fails.
    """
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for name, path in paths.items():
            writers[name] = pq.ParquetWriter(path, schemas[name])
        for block in blocks:
            for name, table in block.items():
                writers[name].write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
