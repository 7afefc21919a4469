"""Sample-ratio mismatch: are the arms' sizes consistent with the planned split?

Pearson's chi-square goodness-of-fit test of the observed unit counts against the planned shares.
A tiny p-value means the assignment or the logging is broken, and no lift can be trusted.

References:
    Fabijan et al. (2019). Diagnosing Sample Ratio Mismatch in Online Controlled Experiments. KDD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlroi.stats.distributions import chi2_sf


@dataclass(frozen=True)
class SrmCheck:
    """The result of a sample-ratio-mismatch test.

    Attributes:
        observed: units per arm.
        expected_share: planned share per arm (normalised to sum to 1).
        statistic: the chi-square statistic.
        p_value: its p-value with ``arms - 1`` degrees of freedom.
        threshold: p-values below this are a mismatch.
        mismatch: whether the split is off.
    """

    observed: Mapping[str, int]
    expected_share: Mapping[str, float]
    statistic: float
    p_value: float
    threshold: float
    mismatch: bool


def srm_test(
    observed: Mapping[str, int], planned: Mapping[str, float], threshold: float = 0.001
) -> SrmCheck:
    """Chi-square test of observed arm sizes against the planned split.

    Args:
        observed: units counted in each arm.
        planned: planned weight of each arm (any positive scale; normalised here).
        threshold: the p-value below which the split counts as mismatched.
    """
    total_weight = sum(planned.values())
    shares = {arm: w / total_weight for arm, w in planned.items()}
    n = sum(observed.get(arm, 0) for arm in shares)
    statistic = 0.0
    for arm, share in shares.items():
        expected = n * share
        statistic += (observed.get(arm, 0) - expected) ** 2 / expected if expected > 0 else 0.0
    p = chi2_sf(statistic, len(shares) - 1) if n > 0 else 1.0
    return SrmCheck(
        observed={arm: observed.get(arm, 0) for arm in shares},
        expected_share=shares,
        statistic=statistic,
        p_value=p,
        threshold=threshold,
        mismatch=p < threshold,
    )
