"""Results of the designs on aggregated series: interrupted time series and synthetic control.

Both hold the treated unit's actual series, its counterfactual, and the effect after the launch
per period and summed up; each adds its own fit (regression coefficients, donor weights and
placebos).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mlroi.causal.result import CausalResult
from mlroi.causal.synthetic_control import Placebo
from mlroi.stats.interval import Interval


@dataclass(frozen=True)
class PlaceboInTime:
    """The design refitted with a launch that did not happen, inside the pre-period.

    Attributes:
        launch: the fake launch period.
        periods: fake post periods (the last ``periods`` of the real pre-period).
        effect: the average "effect" over them (an interval for ITS; for synthetic control
            the mean gap, with the refit's pre-period RMSPE as ``std_error`` and no interval).
        statistic: what the check compares: ITS the p-value of ``effect``; synthetic control
            ``|effect|``.
    """

    launch: str
    periods: int
    effect: Interval
    statistic: float


@dataclass(frozen=True, repr=False, kw_only=True)
class SeriesResult(CausalResult):
    """What both designs on series show: actual vs counterfactual, effects per period.

    Attributes:
        treated: the treated unit.
        launch: the first period with the treatment.
        frequency: the spacing of periods in words ("day", "week", "year", "period").
        periods: every period analysed, as labels (ISO dates or numbers), pre-period first.
        pre_periods, post_periods: how many periods lie before and from the launch.
        actual: the treated unit's outcome per period.
        counterfactual: its fit (pre-period) and prediction (post-period) per period.
        effects: per post period, actual minus counterfactual with its interval.
        cumulative_effects: per post period, the effect summed from the launch to it.
        cumulative: the effect summed over the whole post period.
        placebo_time: the fake-launch refit, when the pre-period is long enough for one.
    """

    treated: str
    launch: str
    frequency: str
    periods: tuple[str, ...]
    pre_periods: int
    post_periods: int
    actual: tuple[float, ...]
    counterfactual: tuple[float, ...]
    effects: tuple[Interval, ...]
    cumulative_effects: tuple[Interval, ...]
    cumulative: Interval
    placebo_time: PlaceboInTime | None = None


@dataclass(frozen=True, repr=False, kw_only=True)
class ItsResult(SeriesResult):
    """Interrupted time series: the regression fitted before the launch.

    Attributes:
        coefficients: per design column (intercept, controls, trend, seasons).
        r_squared: of the pre-period fit.
        residual_sd: of the pre-period fit, in the outcome's units.
        error_autocorrelation: the AR(1) coefficient of the cumulative effect's interval (0:
            errors taken as independent).
        lag1_autocorrelation: of the pre-period residuals.
        controls: the control series used.
    """

    coefficients: Mapping[str, float] = field(default_factory=dict)
    r_squared: float
    residual_sd: float
    error_autocorrelation: float
    lag1_autocorrelation: float
    controls: tuple[str, ...] = ()


@dataclass(frozen=True, repr=False, kw_only=True)
class SyntheticControlResult(SeriesResult):
    """Synthetic control: donor weights, fit and placebo inference.

    Attributes:
        weights: donor -> weight, the donors with a positive weight, largest first.
        donors: how many donors were in the pool.
        pre_rmspe, post_rmspe: of the gaps before and after the launch.
        rmspe_ratio: post over pre.
        p_value: the placebo-in-space permutation p-value (``None`` without placebos).
        placebos: each donor refitted as if treated.
        placebos_used: placebos whose fit passed the screen and that the intervals use.
    """

    weights: Mapping[str, float] = field(default_factory=dict)
    donors: int
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float
    p_value: float | None = None
    placebos: tuple[Placebo, ...] = ()
    placebos_used: int = 0
