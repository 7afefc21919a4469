"""Several cases side by side: what ``mlroi roi A B …`` and ``mlroi report A B …`` compare.

Numbers only: each case's own :class:`~mlroi.roi.result.RoiResult`, in the order given. The
report (:mod:`mlroi.report.comparison`) lays them out as one table and one chart, each row with
its own horizon and currency (cases are never summed or rescaled to look alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlroi.result import Result

if TYPE_CHECKING:
    from mlroi.roi.result import RoiResult


@dataclass(frozen=True, repr=False)
class Comparison(Result):
    """The ROI of several cases, in the order given.

    Attributes:
        cases: each case's ROI result.
    """

    cases: tuple[RoiResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"generator": ..., "cases": [each case's ROI JSON]}``."""
        from mlroi.case_result import GENERATOR

        return {"generator": GENERATOR, "cases": [r.to_dict() for r in self.cases]}
