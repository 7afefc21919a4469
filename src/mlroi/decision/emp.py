"""Maximum profit (MP) and expected maximum profit (EMP) of a customer-churn model.

Verbraken, Verbeke & Baesens (2013) value a churn model by the profit of the retention campaign it
drives: the customers scored highest are contacted (cost ``f``) and offered an incentive (cost
``d``). A contacted churner accepts with probability ``gamma`` and is retained, worth ``clv - d``;
a contacted non-churner takes the incentive without having meant to leave. Targeting everyone
scored at or above a threshold ``t``, the profit per customer is

    P(t; gamma) = (gamma (clv - d) - f) pi1 TPR(t) - (d + f) pi0 FPR(t),

with ``pi1`` the share of churners (label 1), ``pi0 = 1 - pi1``, ``TPR(t)`` the fraction of churners
and ``FPR(t)`` the fraction of non-churners targeted. The paper labels churners 0 and writes
``F0``/``F1`` for those two fractions; here churners are 1, as in empulse.

- MP is ``max_t P(t; gamma)`` for a known acceptance rate ``gamma``.
- EMP is ``E[max_t P(t; gamma)]`` for ``gamma ~ Beta(alpha, beta)``: the campaign is planned after
  ``gamma`` is known, and the measure averages its best profit over what ``gamma`` may be.

Both are taken on the ROC convex hull. ``P`` is linear in ``(FPR, TPR)``, so its maximum over all
thresholds is reached at a vertex of the hull: MP on the hull equals the maximum over every
empirical threshold. Along the hull (vertices ``v = 0..K`` from targeting no one to targeting
everyone, vertex ``v`` targeting ``TP_v`` churners and ``FP_v`` non-churners), moving from vertex
``v - 1`` to ``v`` pays when

    gamma > gamma_v = (f dTP_v + (d + f) dFP_v) / ((clv - d) dTP_v),

with ``dTP_v``, ``dFP_v`` the churners and non-churners the step adds (``gamma_v = inf`` for a step
that adds no churner). The hull's slopes fall, so ``gamma_v`` rises: vertex ``v`` is optimal for
``gamma`` in ``[gamma_v, gamma_{v+1}]`` (clipped to [0, 1]; ``gamma_0 = 0``, ``gamma_{K+1} = 1``).
With ``I_x(a, b)`` the regularised incomplete beta function and ``mu = alpha / (alpha + beta)``, the
integral is exact:

    EMP = sum_v [(clv - d) mu TP_v dI_v(alpha + 1, beta)
                 - (f TP_v + (d + f) FP_v) dI_v(alpha, beta)] / n
    dI_v(a, b) = I_{gamma_{v+1}}(a, b) - I_{gamma_v}(a, b)

using ``gamma h(gamma; alpha, beta) = mu h(gamma; alpha + 1, beta)`` for the Beta density ``h``. The
expected fraction targeted is ``sum_v (TP_v + FP_v) / n * dI_v(alpha, beta)``: the probability that
each vertex is optimal, times the fraction it targets. That is the number empulse's
``empc_score.optimal_rate`` and the R package EMP's ``EMPfrac`` report.

Ties between scores form one threshold: tied customers are targeted together or not at all.
Where two thresholds give the same maximum profit, MP reports the one targeting fewer customers.

Hand-written rather than taken from empulse, which brings sympy, scikit-learn and a compiled
extension for what is here a sort, scipy's PAVA and two calls of ``betainc``.

References:
    Verbraken, T., Verbeke, W. & Baesens, B. (2013). A novel profit maximizing metric for measuring
    classification performance of customer churn prediction models. IEEE Transactions on Knowledge
    and Data Engineering, 25(5), 961-973.

    Provost, F. & Fawcett, T. (2001). Robust classification for imprecise environments. Machine
    Learning, 42(3), 203-231 (the ROC convex hull).

    Barlow, R. E., Bartholomew, D. J., Bremner, J. M. & Brunk, H. D. (1972). Statistical Inference
    under Order Restrictions. Wiley (the least concave majorant as a pool-adjacent-violators fit).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import isotonic_regression
from scipy.special import betainc


class MaxProfit(NamedTuple):
    """The deterministic maximum profit; unpacks as ``(profit, fraction_targeted)``.

    Attributes:
        profit: the highest profit per customer over all thresholds (0 when targeting no one is
            best).
        fraction_targeted: the fraction of customers targeted at that threshold (the smallest one
            when several thresholds reach the maximum).
    """

    profit: float
    fraction_targeted: float

    def to_dict(self) -> dict[str, float]:
        """The fields as a plain dict."""
        return {"profit": self.profit, "fraction_targeted": self.fraction_targeted}


@dataclass(frozen=True)
class Emp:
    """The expected maximum profit of a churn model.

    Attributes:
        emp: expected maximum profit per customer, over ``gamma ~ Beta(alpha, beta)``.
        fraction_targeted: expected fraction of customers targeted at the optimal threshold.
    """

    emp: float
    fraction_targeted: float

    def to_dict(self) -> dict[str, float]:
        """The fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class _Hull:
    """Vertices of the ROC convex hull as counts, from targeting no one to targeting everyone."""

    churners: NDArray[np.int64]
    non_churners: NDArray[np.int64]
    n: int


def _validated(
    scores: ArrayLike, labels: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    s = np.asarray(scores)
    y = np.asarray(labels)
    if s.ndim != 1 or y.ndim != 1:
        raise ValueError(
            f"scores and labels must be 1-D, got shapes {s.shape} and {y.shape}: pass one value "
            "per customer"
        )
    if s.shape[0] != y.shape[0]:
        raise ValueError(
            f"scores and labels must have the same length, got {s.shape[0]} and {y.shape[0]}"
        )
    if s.dtype.kind not in "biuf":
        raise ValueError(f"scores must be real numbers, got dtype {s.dtype}")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"labels must be 0 (non-churner) or 1 (churner), got dtype {y.dtype}")
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        bad = int(np.flatnonzero(~np.isfinite(s))[0])
        raise ValueError(f"scores must be finite, got {s[bad]} at position {bad}")
    is_binary = (y == 0) | (y == 1)
    if not is_binary.all():
        bad = int(np.flatnonzero(~is_binary)[0])
        raise ValueError(
            f"labels must be 0 (non-churner) or 1 (churner), got {y[bad]} at position {bad}"
        )
    y = y.astype(np.int64)
    n_churners = int(y.sum())
    if n_churners == 0 or n_churners == y.shape[0]:
        raise ValueError(
            f"labels must contain both churners (1) and non-churners (0), got {n_churners} "
            f"churners among {y.shape[0]} customers"
        )
    return s, y


def _check_costs(clv: float, incentive: float, contact: float) -> None:
    for name, value in (("clv", clv), ("incentive", incentive), ("contact", contact)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
    if incentive < 0:
        raise ValueError(f"incentive must be >= 0, got {incentive}")
    if contact < 0:
        raise ValueError(f"contact must be >= 0, got {contact}")
    if clv <= incentive:
        raise ValueError(
            f"clv must exceed incentive (a retained churner is worth clv - incentive), got "
            f"clv={clv} and incentive={incentive}"
        )


def _roc_convex_hull(scores: NDArray[np.float64], labels: NDArray[np.int64]) -> _Hull:
    """The ROC convex hull of valid inputs, in O(n log n).

    Customers sorted by descending score form groups of tied scores. In the plane (customers
    targeted, churners targeted), a linear image of ROC space with determinant 1, the hull is the
    least concave majorant of the cumulative counts. Its slopes are the antitonic regression of
    each group's churn share weighted by the group's size, which scipy's pool-adjacent-violators
    fit computes in O(n); the ends of its pooled blocks are the hull's vertices. Pooling merges
    equal slopes, so no vertex lies on a straight line between two others.
    """
    order = np.argsort(scores, kind="stable")[::-1]
    sorted_scores = scores[order]
    group_ends = np.flatnonzero(np.append(sorted_scores[1:] != sorted_scores[:-1], True))
    targeted = group_ends + 1
    churners = np.cumsum(labels[order])[group_ends]
    group_size = np.diff(targeted, prepend=0)
    group_churners = np.diff(churners, prepend=0)
    fit = isotonic_regression(
        group_churners / group_size, weights=group_size.astype(np.float64), increasing=False
    )
    vertex = np.asarray(fit.blocks[1:], dtype=np.intp) - 1
    hull_targeted = np.concatenate(([0], targeted[vertex])).astype(np.int64)
    hull_churners = np.concatenate(([0], churners[vertex])).astype(np.int64)
    return _Hull(
        churners=hull_churners,
        non_churners=hull_targeted - hull_churners,
        n=int(scores.shape[0]),
    )


def max_profit_churn(
    scores: ArrayLike,
    labels: ArrayLike,
    *,
    clv: float = 200.0,
    incentive: float = 10.0,
    contact: float = 1.0,
    accept: float = 0.3,
) -> MaxProfit:
    """The maximum profit (MP) per customer of a churn campaign, for a known acceptance rate.

    ``MP = max_t [(accept (clv - d) - f) pi1 TPR(t) - (d + f) pi0 FPR(t)]`` over the vertices of the
    ROC convex hull, which equals the maximum over every empirical threshold (see the module
    docstring). Defaults are those of Verbraken et al. (2013) and empulse's ``mpc_score``.

    Args:
        scores: churn scores, higher meaning more likely to churn (any real scale).
        labels: 1 for a churner, 0 for a non-churner; both must occur.
        clv: customer lifetime value of a retained churner.
        incentive: cost ``d`` of the incentive, paid by every targeted customer who accepts it
            (every non-churner, and churners with probability ``accept``).
        contact: cost ``f`` of contacting one customer.
        accept: probability ``gamma`` that a contacted churner accepts and stays, in [0, 1].

    Returns:
        The profit per customer and the fraction of customers targeted to reach it.

    Raises:
        ValueError: an input is malformed (the message names it and says what is allowed).

    Example:
        >>> mp = max_profit_churn([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])
        >>> round(mp.profit, 10), mp.fraction_targeted
        (28.0, 0.5)
    """
    s, y = _validated(scores, labels)
    _check_costs(clv, incentive, contact)
    if not 0.0 <= accept <= 1.0:
        raise ValueError(f"accept must be a probability in [0, 1], got {accept}")
    hull = _roc_convex_hull(s, y)
    benefit = accept * (clv - incentive) - contact
    cost = incentive + contact
    # totals rather than rates, so that equal profits compare equal for whole-number inputs
    totals = benefit * hull.churners - cost * hull.non_churners
    best = int(np.argmax(totals))
    targeted = hull.churners[best] + hull.non_churners[best]
    return MaxProfit(
        profit=float(totals[best]) / hull.n, fraction_targeted=float(targeted) / hull.n
    )


def emp_churn(
    scores: ArrayLike,
    labels: ArrayLike,
    *,
    clv: float = 200.0,
    incentive: float = 10.0,
    contact: float = 1.0,
    alpha: float = 6.0,
    beta: float = 14.0,
) -> Emp:
    """The expected maximum profit (EMP) per customer of a churn campaign.

    ``EMP = integral of MP(gamma) h(gamma; alpha, beta) dgamma``, integrated exactly piece by piece
    over the segments of the ROC convex hull with the regularised incomplete beta function (see
    the module docstring). O(n log n) for the sort, O(n) after it. Defaults are those of Verbraken
    et al. (2013), the R package EMP's ``empChurn`` and empulse's ``empc_score``.

    Args:
        scores: churn scores, higher meaning more likely to churn (any real scale).
        labels: 1 for a churner, 0 for a non-churner; both must occur.
        clv: customer lifetime value of a retained churner.
        incentive: cost ``d`` of the incentive.
        contact: cost ``f`` of contacting one customer.
        alpha: first shape parameter of the Beta distribution of the acceptance rate ``gamma``.
        beta: second shape parameter of that distribution.

    Returns:
        The EMP per customer and the expected fraction of customers targeted.

    Raises:
        ValueError: an input is malformed (the message names it and says what is allowed).

    Example:
        >>> result = emp_churn([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])
        >>> round(result.emp, 6), round(result.fraction_targeted, 6)
        (28.0, 0.5)
    """
    s, y = _validated(scores, labels)
    _check_costs(clv, incentive, contact)
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value}")
    hull = _roc_convex_hull(s, y)
    gain = clv - incentive
    cost = incentive + contact
    step_churners = np.diff(hull.churners).astype(np.float64)
    step_non_churners = np.diff(hull.non_churners).astype(np.float64)
    cutoffs = np.full(step_churners.shape, np.inf)
    np.divide(
        contact * step_churners + cost * step_non_churners,
        gain * step_churners,
        out=cutoffs,
        where=step_churners > 0,
    )
    # nondecreasing in exact arithmetic; the running maximum only irons out rounding
    edges = np.clip(np.maximum.accumulate(np.concatenate(([0.0], cutoffs, [1.0]))), 0.0, 1.0)
    p_optimal = np.diff(betainc(alpha, beta, edges))
    p_optimal_tilted = np.diff(betainc(alpha + 1.0, beta, edges))
    mean = alpha / (alpha + beta)
    churners = hull.churners.astype(np.float64)
    non_churners = hull.non_churners.astype(np.float64)
    total = gain * mean * float(churners @ p_optimal_tilted) - float(
        (contact * churners + cost * non_churners) @ p_optimal
    )
    targeted = float((churners + non_churners) @ p_optimal)
    return Emp(emp=total / hull.n, fraction_targeted=targeted / hull.n)
