"""The difference-in-differences result: the shared causal fields plus the panel's detail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mlroi.causal.result import CausalResult
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class EventPoint:
    """The effect ``relative`` periods from adoption (negative: before it), with its interval.

    Attributes:
        relative: periods since adoption (0: the adoption period).
        effect: the coefficient or average with its interval.
        count: treated units observed then (two-way fixed effects), or groups averaged
            (Callaway and Sant'Anna).
    """

    relative: int
    effect: Interval
    count: int


@dataclass(frozen=True)
class GroupTimeEffect:
    """One group-time effect ``ATT(g, t)`` of Callaway and Sant'Anna.

    Attributes:
        group: the group's first treated period (label).
        period: the period (label); base: the period it is differenced against.
        post: whether ``period`` is at or after adoption.
        effect: the estimate with its interval.
        treated, controls: units compared.
    """

    group: str
    period: str
    base: str
    post: bool
    effect: Interval
    treated: int
    controls: int


@dataclass(frozen=True)
class PreTrend:
    """The joint test that the effects before adoption are zero.

    Attributes:
        test: "F" (two-way fixed effects: clustered Wald / q against F(q, G - 1)) or
            "chi-square" (Callaway and Sant'Anna: Wald with the influence-function covariance),
            or "none" when it cannot be run.
        statistic, df, df_denominator, p_value: the test (NaN / 0 / None when not run).
        alpha: the level it is judged at: a p-value below it fails the check.
        reason: why it could not be run ("" when it ran).
    """

    test: str
    statistic: float
    df: int
    df_denominator: int | None
    p_value: float
    alpha: float
    reason: str = ""

    @property
    def ran(self) -> bool:
        """Whether the test was computed."""
        return not self.reason


@dataclass(frozen=True)
class TwoByTwoMeans:
    """The four means of the canonical 2x2 comparison (one adoption date, balanced panel)."""

    treated_before: float
    treated_after: float
    control_before: float
    control_after: float
    effect: float


@dataclass(frozen=True, repr=False, kw_only=True)
class DidResult(CausalResult):
    """Difference in differences on a unit x period panel.

    Attributes:
        adoption: "single date" or "staggered".
        control: the comparison units: "never treated" or "not yet treated".
        periods: the panel's period labels, in order.
        cohorts: units per first treated period (label), and "never treated".
        event_study: effects by period relative to adoption.
        event_study_method: how they were estimated, in words.
        pre_trend: the test of the effects before adoption.
        group_time: Callaway and Sant'Anna's ``ATT(g, t)`` (empty for two-way fixed effects).
        two_by_two: the four means (one adoption date, balanced panel), else ``None``.
        gaps: unit x period cells missing from the panel.
    """

    adoption: str
    control: str
    periods: tuple[str, ...]
    cohorts: Mapping[str, int] = field(default_factory=dict)
    event_study: tuple[EventPoint, ...] = ()
    event_study_method: str = ""
    pre_trend: PreTrend
    group_time: tuple[GroupTimeEffect, ...] = ()
    two_by_two: TwoByTwoMeans | None = None
    gaps: int = 0
