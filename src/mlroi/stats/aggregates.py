"""Sufficient statistics of a group of units, mergeable with ``+``.

The backend returns, per group, the count, and either the sums and sums of products of the
columns a metric needs, or (when those would cancel) its own one-pass, numerically stable
``var_samp`` / ``covar_samp``. We keep co-moments (sums of cross-deviations) so that two groups
merge exactly by Chan's parallel formula, which is what lets one query grouped by variant x
segment serve the overall readout and every segment.

References:
    Chan, Golub, LeVeque (1979). Updating formulae and a pairwise algorithm for computing
    sample variances.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def pair(a: str, b: str) -> tuple[str, str]:
    """The canonical (sorted) key of a column pair; ``pair(a, a)`` is the variance of ``a``."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Aggregates:
    """Count, means and co-moments of some columns over one group of units.

    Attributes:
        n: number of units.
        mean: mean of each column.
        comoment: for each column pair ``(a, b)`` (sorted), the sum over units of
            ``(a - mean_a) * (b - mean_b)``; ``(a, a)`` gives the sum of squared deviations.
    """

    n: int
    mean: Mapping[str, float] = field(default_factory=dict)
    comoment: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", MappingProxyType(dict(self.mean)))
        object.__setattr__(self, "comoment", MappingProxyType(dict(self.comoment)))

    @classmethod
    def from_moments(
        cls,
        n: int,
        mean: Mapping[str, float],
        cov: Mapping[tuple[str, str], float | None],
    ) -> Aggregates:
        """Build from sample (co)variances (ddof = 1), as SQL ``var_samp`` / ``covar_samp`` give.

        A covariance of ``None`` (the SQL result for a single unit) counts as zero spread.
        """
        scale = max(n - 1, 0)
        return cls(
            n=n,
            mean=mean,
            comoment={pair(*k): (0.0 if v is None else v * scale) for k, v in cov.items()},
        )

    @classmethod
    def from_sums(
        cls,
        n: int,
        sums: Mapping[str, float],
        cross_sums: Mapping[tuple[str, str], float],
    ) -> Aggregates:
        """Build from raw sums and sums of products (e.g. ``sum_squares`` of a peer tool).

        ``cross_sums[(a, b)]`` is the sum over units of ``a * b``; the co-moment is
        ``cross_sums[(a, b)] - sums[a] * mean[b]``. The readout's query returns these sums; it
        checks the cancellation of the subtraction (see :mod:`mlroi.backend.moments`).
        """
        mean = {k: v / n for k, v in sums.items()} if n else {k: 0.0 for k in sums}
        comoment = {
            pair(a, b): v - sums[a] * mean[b] if n else 0.0 for (a, b), v in cross_sums.items()
        }
        return cls(n=n, mean=mean, comoment=comoment)

    def cov(self, a: str, b: str) -> float:
        """Sample covariance (ddof = 1) of columns ``a`` and ``b``; 0 for fewer than 2 units."""
        if self.n < 2:
            return 0.0
        return self.comoment[pair(a, b)] / (self.n - 1)

    def var(self, a: str) -> float:
        """Sample variance (ddof = 1) of column ``a``."""
        return self.cov(a, a)

    def __add__(self, other: Aggregates) -> Aggregates:
        if not isinstance(other, Aggregates):
            return NotImplemented
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = {k: other.mean[k] - self.mean[k] for k in self.mean}
        mean = {k: self.mean[k] + delta[k] * other.n / n for k in self.mean}
        weight = self.n * other.n / n
        comoment = {
            (a, b): self.comoment[(a, b)] + other.comoment[(a, b)] + delta[a] * delta[b] * weight
            for (a, b) in self.comoment
        }
        return Aggregates(n=n, mean=mean, comoment=comoment)

    def __radd__(self, other: object) -> Aggregates:
        if other == 0:  # lets sum() start from its default 0
            return self
        return NotImplemented


def merge(groups: Iterable[Aggregates]) -> Aggregates:
    """Merge the aggregates of disjoint groups into those of their union."""
    total = Aggregates(n=0)
    for group in groups:
        total = total + group
    return total
