"""What an attribution model returns: the conversions and revenue credited to each channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlroi.attribution.paths import FloatArray


@dataclass(frozen=True)
class Credits:
    """Conversions and revenue credited to each channel by one model.

    Credit is conserved: ``conversions.sum()`` and ``value.sum()`` equal the attributed
    conversions and revenue of the table the model read (up to rounding).

    Attributes:
        model: the model's name (``last_click``, ``markov`` ...).
        channels: channel names, in the order of the arrays.
        conversions: conversions credited to each channel.
        value: revenue credited to each channel.
    """

    model: str
    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray

    def share(self) -> FloatArray:
        """Each channel's share of the credited revenue (of conversions when revenue is 0)."""
        base = self.value if self.value.sum() != 0 else self.conversions
        total = base.sum()
        return np.asarray(base / total if total else np.zeros_like(base), dtype=np.float64)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``{channel: {"conversions": .., "value": ..}}``."""
        return {
            c: {"conversions": float(n), "value": float(v)}
            for c, n, v in zip(self.channels, self.conversions, self.value, strict=True)
        }
