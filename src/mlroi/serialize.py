"""One way to turn frozen results into JSON: non-finite numbers become ``null``."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any


def json_ready(x: Any) -> Any:
    """``x`` (dataclasses, dicts, sequences, floats) as plain JSON-ready data."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        x = dataclasses.asdict(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: json_ready(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_ready(v) for v in x]
    return x


def dumps(x: Any, indent: int | None = 2) -> str:
    """JSON text of ``x``: byte-identical for identical inputs."""
    return json.dumps(json_ready(x), indent=indent, allow_nan=False)
