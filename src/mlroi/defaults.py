"""The defaults every analysis shares: interval levels, seed, draws and resamples.

One place for each, so a readout, a decision analysis and an ROI case that say nothing agree.

- :data:`LEVEL` is the confidence level of a sampling interval (a lift's CI, a campaign's CI).
- :data:`MONTE_CARLO_LEVEL` is the level of an interval read off draws (Monte Carlo over
  uncertain inputs, bootstrap resamples): the central 90%, since a 95% interval of simulated
  draws leans on few draws in each tail.
"""

from __future__ import annotations

LEVEL = 0.95
"""Confidence level of sampling intervals (two-sided)."""

MONTE_CARLO_LEVEL = 0.90
"""Level of intervals read off Monte Carlo draws or bootstrap resamples."""

SEED = 20261124
"""Seed of every random draw when none is given: the same inputs give the same result."""

MAX_SEED = 2**63 - 1
"""Largest seed accepted (seeds are whole numbers from 0)."""

DRAWS = 100_000
"""Monte Carlo draws of an ROI case."""

PARAMETER_DRAWS = 10_000
"""Monte Carlo draws of a decision analysis's uncertain parameters."""

RESAMPLES = 200
"""Bootstrap resamples of a decision analysis."""

MAX_RESAMPLES = 10_000
"""Most bootstrap resamples a decision analysis accepts (the case file and ``--resamples``)."""


def check_seed(seed: object, where: str = "seed") -> int:
    """``seed`` if it is a whole number from 0 to :data:`MAX_SEED`.

    Raises:
        SpecError: one line naming ``where`` and the range.
    """
    from mlroi.errors import SpecError

    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        shown = seed if isinstance(seed, int) and len(str(abs(seed))) < 30 else "out of range"
        raise SpecError(f"{where}: expected a whole number from 0 to 2**63 - 1, got {shown}")
    return seed


def check_level(level: object, where: str = "level") -> float:
    """``level`` if it is a number strictly between 0 and 1.

    Raises:
        SpecError: one line naming ``where``.
    """
    from mlroi.errors import SpecError

    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise SpecError(f"{where}: expected a level between 0 and 1 (e.g. 0.9), got {level!r}")
    return float(level)
