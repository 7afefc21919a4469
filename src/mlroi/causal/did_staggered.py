"""Callaway and Sant'Anna (2021): group-time effects under staggered adoption, and their averages.

Two-way fixed effects under staggered adoption compares later adopters with units already
treated, so with effects that change over time its coefficient is a weighted sum of group-time
effects with weights that can be negative (Goodman-Bacon 2021; de Chaisemartin and
D'Haultfoeuille 2020). Callaway and Sant'Anna instead estimate each group-time effect
``ATT(g, t)`` (group ``g``: the units first treated in period ``g``) by a 2x2 comparison with
clean controls, then average them.

Unconditional parallel trends, no covariates, a balanced panel:

* ``ATT(g, t) = mean_{G=g}(Y_t - Y_b) - mean_{C}(Y_t - Y_b)``, base period ``b = g - 1`` for
  ``t >= g`` and ``b = t - 1`` before adoption (the "varying" base of R's ``did`` package, so
  the pre-period effects are period-on-period placebo tests);
* controls ``C``: the never treated (default), or the not yet treated (``G > t``, plus the
  never treated, less group ``g``);
* influence function of unit ``i`` (on all ``n`` units): ``n/n_g 1{G_i=g} (dY_i - m_g)
  - n/n_C 1{i in C} (dY_i - m_C)``; variance ``sum psi^2 / n^2`` (analytic standard errors,
  clustered by unit since a unit is one row);
* averages ``sum_k w_k ATT_k`` with weights ``w_k`` proportional to the group's share of units;
  their influence function adds the estimated weights' own (the ``wif`` term of ``did``'s
  ``aggte``): "simple" (every post-adoption cell, i.e. the mean effect over treated unit-periods),
  "group" (each group's mean over its post periods, then groups weighted by size: the paper's
  overall summary) and event time ``e = t - g``;
* the pre-trend test: the Wald chi-square that every pre-adoption ``ATT(g, t)`` is zero, with
  their influence-function covariance (as ``did``'s pre-test).

Intervals are normal (``z``) intervals, pointwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from mlroi.causal.did_panel import NEVER
from mlroi.causal.did_twfe import WaldTest
from mlroi.errors import DataError
from mlroi.stats.interval import Interval

Array = npt.NDArray[np.float64]
Control = Literal["never", "not_yet"]


@dataclass(frozen=True)
class GroupTime:
    """One group-time effect.

    Attributes:
        group: first treated period index of the group.
        period: period index.
        base: the base period index it is differenced against.
        effect: ``ATT(g, t)`` with its interval.
        treated: units in the group; controls: comparison units.
    """

    group: int
    period: int
    base: int
    effect: Interval
    treated: int
    controls: int

    @property
    def post(self) -> bool:
        """Whether the period is at or after adoption."""
        return self.period >= self.group

    @property
    def event_time(self) -> int:
        """Periods since adoption (``t - g``)."""
        return self.period - self.group


@dataclass(frozen=True)
class EventTime:
    """The average effect ``e`` periods from adoption, over the groups observed then."""

    event_time: int
    effect: Interval
    groups: int


@dataclass(frozen=True)
class CallawaySantanna:
    """Group-time effects and their averages.

    Attributes:
        group_time: every ``ATT(g, t)`` estimated, by group then period.
        simple: the average over treated unit-periods (post-adoption cells weighted by group
            size).
        group: the average of each group's post-adoption mean, weighted by group size.
        event: the average at each event time, pre-adoption ones included.
        pre_trend: the joint test of the pre-adoption effects (``None`` with fewer than one).
        control: "never" or "not_yet".
        skipped: group-time cells left out for want of controls.
    """

    group_time: tuple[GroupTime, ...]
    simple: Interval
    group: Interval
    event: tuple[EventTime, ...]
    pre_trend: WaldTest | None
    control: Control
    skipped: int


def _interval(estimate: float, psi: Array, n: int, z: float) -> Interval:
    se = math.sqrt(float(psi @ psi)) / n
    return Interval(estimate, estimate - z * se, estimate + z * se, se)


def _weights_if(first: npt.NDArray[np.int64], groups: list[int], pg: Array) -> tuple[Array, Array]:
    """The weights ``pg / sum(pg)`` of cells of groups ``groups`` and their influence
    function (one column per cell), as ``did``'s ``wif``."""
    total = float(pg.sum())
    member = np.column_stack([(first == g).astype(np.float64) for g in groups])
    dev = member - pg[None, :]
    wif = dev / total - np.outer(dev.sum(axis=1), pg / total**2)
    return pg / total, wif


def _aggregate(
    att: Array,
    psi: Array,
    first: npt.NDArray[np.int64],
    groups: list[int],
    pg: Array,
    n: int,
    z: float,
) -> Interval:
    w, wif = _weights_if(first, groups, pg)
    estimate = float(w @ att)
    influence = psi @ w + wif @ att
    return _interval(estimate, influence, n, z)


def wald_from_scores(coef: Array, psi: Array, n: int) -> WaldTest | None:
    """The Wald chi-square that ``coef`` is zero, with covariance ``psi'psi / n^2`` from the
    influence functions ``psi`` (units x coefficients; pseudo-inverse, rank at most the number
    of units), through the eigen-decomposition of the smaller Gram matrix (``psi psi'`` when
    there are more coefficients than units): no q x q inverse of a long pre-period.
    ``None`` without sampling variance."""
    if psi.shape[1] <= psi.shape[0]:
        s2, v = np.linalg.eigh(psi.T @ psi)
        along = v.T @ coef  # V'a
    else:
        s2, u = np.linalg.eigh(psi @ psi.T)
        along = u.T @ (psi @ coef)  # S V'a
        along = along / np.sqrt(np.where(s2 > 0, s2, 1.0))
    if s2.size == 0 or s2.max() <= 0:
        return None
    keep = s2 > 1e-12 * s2.max()
    w = float(n**2 * np.sum(along[keep] ** 2 / s2[keep]))
    q = int(keep.sum())
    return WaldTest(w, q, None, float(stats.chi2.sf(w, q)), "chi-square")


def callaway_santanna(
    y: Array,
    first: npt.NDArray[np.int64],
    *,
    control: Control = "never",
    level: float = 0.95,
) -> CallawaySantanna:
    """Callaway and Sant'Anna's estimator on a balanced panel (see the module docstring).

    Args:
        y: outcome, units x periods, no missing cell.
        first: each unit's first treated period index (:data:`NEVER` for never treated); no
            unit is treated in period 0.
        control: "never" (the never treated) or "not_yet" (also those treated after ``t``).
        level: of the intervals.

    Raises:
        DataError: no group-time effect has controls (no never-treated units with
            ``control="never"``; nobody untreated with ``"not_yet"``).
    """
    n, n_periods = y.shape
    z = float(stats.norm.ppf((1 + level) / 2))
    groups = sorted(int(g) for g in np.unique(first[first < NEVER]))
    never = first == NEVER
    cells: list[GroupTime] = []
    psis: list[Array] = []
    skipped = 0
    for g in groups:
        in_g = first == g
        n_g = int(in_g.sum())
        for t in range(1, n_periods):
            base = g - 1 if t >= g else t - 1
            ctrl = never if control == "never" else (first > t) & ~in_g
            n_c = int(ctrl.sum())
            if n_c == 0:
                skipped += 1
                continue
            dy = y[:, t] - y[:, base]
            m_g = float(dy[in_g].mean())
            m_c = float(dy[ctrl].mean())
            psi = np.zeros(n)
            psi[in_g] = n / n_g * (dy[in_g] - m_g)
            psi[ctrl] -= n / n_c * (dy[ctrl] - m_c)
            cells.append(GroupTime(g, t, base, _interval(m_g - m_c, psi, n, z), n_g, n_c))
            psis.append(psi)
    post = [k for k, c in enumerate(cells) if c.post]
    if not post:
        what = "never-treated units" if control == "never" else "units not yet treated"
        raise DataError(
            f"no group has {what} to compare with after adoption: "
            + (
                "use control: not_yet (units treated later serve as controls)"
                if control == "never"
                else "every unit is treated by then; difference in differences needs some"
                " untreated units in each post-adoption period"
            )
        )
    att = np.array([c.effect.estimate for c in cells])
    psi_all = np.column_stack(psis)
    share = {g: float((first == g).mean()) for g in groups}

    def agg(keys: list[int]) -> Interval:
        gs = [cells[k].group for k in keys]
        return _aggregate(
            att[keys], psi_all[:, keys], first, gs, np.array([share[g] for g in gs]), n, z
        )

    simple = agg(post)
    per_group_att, per_group_psi, with_post = [], [], []
    for g in groups:
        ks = [k for k in post if cells[k].group == g]
        if ks:
            with_post.append(g)
            per_group_att.append(float(att[ks].mean()))
            per_group_psi.append(psi_all[:, ks].mean(axis=1))
    group = _aggregate(
        np.array(per_group_att),
        np.column_stack(per_group_psi),
        first,
        with_post,
        np.array([share[g] for g in with_post]),
        n,
        z,
    )
    event = []
    event_times = np.array([c.event_time for c in cells])
    for e in np.unique(event_times).tolist():
        ks = np.flatnonzero(event_times == e).tolist()
        event.append(EventTime(int(e), agg(ks), len(ks)))
    pre = np.flatnonzero(event_times < 0).tolist()
    pre_trend = wald_from_scores(att[pre], psi_all[:, pre], n) if pre else None
    return CallawaySantanna(tuple(cells), simple, group, tuple(event), pre_trend, control, skipped)
