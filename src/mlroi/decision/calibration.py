"""Are the scores probabilities? Reliability bins, expected calibration error, Hosmer-Lemeshow.

A value curve only needs the scores to rank rows; a calibration check says whether a score of 0.2
also means "positive one time in five", which matters as soon as the scores feed an expected
value (``score * gain``). The rows are put into ``bins`` bins of about equal size by score, without
splitting a group of equal scores, and each bin compares its mean score with its positive rate:

- expected calibration error ``ECE = sum_b (n_b / n) |observed_b - predicted_b|``;
- Hosmer-Lemeshow ``H = sum_b (O_b - E_b)^2 / (E_b (1 - predicted_b))`` with ``E_b = n_b
  predicted_b``, referred to chi-square with ``bins - ddof`` degrees of freedom.

References:
    Hosmer, D. W. and Lemeshow, S. (1980). Goodness of fit tests for the multiple logistic
    regression model. Communications in Statistics - Theory and Methods 9(10), 1035-1049.
    Hosmer, D. W., Lemeshow, S. and Sturdivant, R. X. (2013). Applied Logistic Regression,
    3rd ed., section 5.2.2 (``ddof = 2`` for the data the model was fitted on; ``0`` is argued
    for an independent validation sample, which gives larger p-values).
    Naeini, M. P., Cooper, G. F. and Hauskrecht, M. (2015). Obtaining well calibrated
    probabilities using Bayesian binning. AAAI (the expected calibration error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from mlroi.stats.distributions import chi2_sf

__all__ = ["Calibration", "calibration"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Calibration:
    """Reliability bins (lowest scores first) and two summaries of the gap between score and rate.

    Attributes:
        lower: lowest score in each bin.
        upper: highest score in each bin.
        count: rows in each bin.
        predicted: mean score of the bin's rows.
        observed: share of positive rows in the bin.
        ece: expected calibration error, the row-weighted mean of ``|observed - predicted|``.
        hl_statistic: the Hosmer-Lemeshow chi-square statistic (``inf`` when a bin of score 0
            has a positive, or one of score 1 a negative).
        hl_df: its degrees of freedom, ``bins - ddof``.
        hl_p_value: its p-value; ``None`` when ``hl_df < 1`` (too few distinct scores).
    """

    lower: FloatArray
    upper: FloatArray
    count: IntArray
    predicted: FloatArray
    observed: FloatArray
    ece: float
    hl_statistic: float
    hl_df: int
    hl_p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (bins as lists)."""
        return {
            "bins": {
                "lower": self.lower.tolist(),
                "upper": self.upper.tolist(),
                "count": self.count.tolist(),
                "predicted": self.predicted.tolist(),
                "observed": self.observed.tolist(),
            },
            "ece": self.ece,
            "hl_statistic": self.hl_statistic,
            "hl_df": self.hl_df,
            "hl_p_value": self.hl_p_value,
        }


def calibration(
    score: npt.ArrayLike,
    n: npt.ArrayLike,
    positives: npt.ArrayLike,
    *,
    bins: int = 10,
    ddof: int = 2,
) -> Calibration:
    """Calibration of scores from rows grouped by score (or already binned), in any order.

    Pass ``groups.score, groups.n, groups.positives`` of a
    :class:`~mlroi.decision.score_groups.ScoreGroups`, or one entry per bin from a backend, with the
    bin's mean score as ``score``. With more groups than ``bins``, consecutive groups are merged
    into ``bins`` bins of about ``n / bins`` rows (a group starts in the bin its first row falls
    in; a large group of tied scores can leave fewer, larger bins). With at most ``bins`` groups,
    each group is a bin.

    Args:
        score: mean predicted probability of each group's rows, in ``[0, 1]``.
        n: rows in each group (whole numbers >= 1).
        positives: rows with label 1 in each group.
        bins: the number of bins (deciles of risk by default).
        ddof: degrees of freedom subtracted from the number of bins for Hosmer-Lemeshow.

    Raises:
        ValueError: a score outside ``[0, 1]`` (scores that are not probabilities have no
            calibration; the caller turns this into a ``DataError`` naming the score column),
            NaN, counts that are not whole numbers, more positives than rows, or no rows.

    Example:
        >>> c = calibration([0.2, 0.8], [10, 10], [2, 8])
        >>> c.ece, c.observed.tolist()
        (0.0, [0.2, 0.8])
    """
    s = np.asarray(score, dtype=np.float64)
    rows = np.asarray(n, dtype=np.float64)
    pos = np.asarray(positives, dtype=np.float64)
    if s.ndim != 1 or s.shape != rows.shape or s.shape != pos.shape:
        raise ValueError("score, n and positives must be one-dimensional and of the same length")
    if s.size == 0 or not bool(np.all(np.isfinite(rows) & np.isfinite(pos))):
        raise ValueError("calibration needs at least one group and finite counts")
    outside = int(np.count_nonzero(~((s >= 0.0) & (s <= 1.0))))
    if outside:
        raise ValueError(
            f"{outside} scores are not probabilities in [0, 1] (or NaN), so they have no"
            " calibration; calibrate the scores first or skip the check"
        )
    if not bool(np.all((rows >= 1) & (rows == np.floor(rows)))):
        raise ValueError("n must be whole numbers >= 1")
    if not bool(np.all((pos >= 0) & (pos <= rows) & (pos == np.floor(pos)))):
        raise ValueError("positives must be whole numbers between 0 and n")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")

    if bool(np.all(s[1:] <= s[:-1])):  # highest first, as ScoreGroups are: no sort needed
        s, rows, pos = s[::-1], rows[::-1], pos[::-1]
    elif not bool(np.all(s[1:] >= s[:-1])):
        order = np.argsort(s, kind="stable")
        s, rows, pos = s[order], rows[order], pos[order]
    total = float(rows.sum())
    if s.size <= bins:
        starts = np.arange(s.size)
    else:
        before = np.cumsum(rows) - rows
        bin_of = np.floor(bins * before / total)
        starts = np.flatnonzero(np.r_[True, bin_of[1:] != bin_of[:-1]])
    count = np.add.reduceat(rows, starts)
    predicted = np.add.reduceat(s * rows, starts) / count
    observed = np.add.reduceat(pos, starts) / count
    ends = np.r_[starts[1:], s.size] - 1
    ece = float(np.sum(count * np.abs(observed - predicted)) / total)

    expected = count * predicted
    gap = (observed - predicted) * count
    with np.errstate(divide="ignore", invalid="ignore"):
        # Both classes: (O - E)^2 / E + (O - E)^2 / (n - E) = (O - E)^2 / (E (1 - p)).
        terms = gap**2 / expected + gap**2 / (count - expected)
    terms = np.where(gap == 0.0, 0.0, terms)
    statistic = float(np.sum(terms))
    df = int(starts.size) - ddof
    return Calibration(
        lower=s[starts],
        upper=s[ends],
        count=count.astype(np.int64),
        predicted=predicted,
        observed=observed,
        ece=ece,
        hl_statistic=statistic,
        hl_df=df,
        hl_p_value=chi2_sf(statistic, df) if df >= 1 else None,
    )
